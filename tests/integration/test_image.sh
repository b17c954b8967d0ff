# test_image.sh: issue 3 images, against a server of its own with MEDIAGATE_MAX_PIXELS=1000000.
# PNG and JPEG made at test time (sox, ffmpeg) come back byte-identical with their dimensions;
# raw rgb/rgba pixels come back as they are and as a PNG that pngcheck and ffmpeg decode to the
# very same pixels; size mismatches, overflows, corrupt files and the pixel limit are refused.

IMG=''   # where the bodies read back are kept: $OUT/image
IMG_MAX_PIXELS=1000000

# image_case NAME MODE FILE TYPE FORMAT CHANNELS: upload a PNG or JPEG (MODE multipart or raw);
# its image object against ffprobe's reading of FILE, then the bytes read back. CHANNELS may be
# empty (not asserted: a palette PNG's channel count is a matter of convention).
image_case() {
	local name=$1 mode=$2 file=$3 type=$4 format=$5 channels=$6 sha w h image_json
	sha=$(sha256_of "$file")
	read -r w h <<<"$(probe "$file" width,height)"
	if [ "$mode" = multipart ]; then
		upload img image "$file" "$type" || return
	else
		upload_raw img "kind=image&filename=$(basename "$file")" "$file" "$type" || return
	fi
	pass "$name: 201"
	image_json=$(json '.image | to_entries | sort_by(.key) | tojson')
	assert_eq "$name: image width height = ffprobe's" "$w $h" \
		"$(json '"\(.image.width) \(.image.height)"')"
	assert_eq "$name: image.format" "$format" "$(json .image.format)"
	[ -z "$channels" ] || assert_eq "$name: image.channels" "$channels" "$(json .image.channels)"
	if [ "$format" = png ]; then
		assert_eq "$name: width height = the IHDR's (od)" "$w $h" "$(png_size "$file")"
	fi
	http GET "/inputs/$ID?token=$TOKEN"
	assert_eq "$name: GET /inputs/ID has the same image object" "${image_json:-(none)}" \
		"$(json '.image | to_entries | sort_by(.key) | tojson')"
	http GET "$CONTENT_URL"
	assert_status "$name: GET content 200" 200
	assert_eq "$name: Content-Type" "$type" "$(header Content-Type)"
	assert_body_file "$name: the bytes as uploaded" "$file"
	assert_eq "$name: ETag" "\"$sha\"" "$(header ETag)"
}

# raw_case NAME MODE FILE FORMAT W H PIX_FMT: upload raw pixels with format/width/height, read
# them back, then ?format=png checked by pngcheck and decoded back by ffmpeg.
raw_case() {
	local name=$1 mode=$2 file=$3 format=$4 w=$5 h=$6 pix=$7 ch=3 slug etag png sha
	[ "$format" = rgba ] && ch=4
	slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-')
	sha=$(sha256_of "$file")
	if [ "$mode" = multipart ]; then
		upload img image "$file" application/octet-stream -F "format=$format" -F "width=$w" \
			-F "height=$h" || return
	else
		upload_raw img "kind=image&format=$format&width=$w&height=$h&filename=$(basename "$file")" \
			"$file" application/octet-stream || return
	fi
	pass "$name: 201"
	assert_eq "$name: image object" "$w $h $format $ch" \
		"$(json '"\(.image.width) \(.image.height) \(.image.format) \(.image.channels)"')"
	http GET "$CONTENT_URL"
	assert_status "$name: GET content 200" 200
	assert_eq "$name: Content-Type" application/octet-stream "$(header Content-Type)"
	assert_eq "$name: X-Image-Width X-Image-Height X-Image-Format" "$w $h $format" \
		"$(header X-Image-Width) $(header X-Image-Height) $(header X-Image-Format)"
	assert_eq "$name: Content-Length" "$(size_of "$file")" "$(header Content-Length)"
	assert_body_file "$name: the pixels as uploaded" "$file"
	assert_eq "$name: ETag" "\"$sha\"" "$(header ETag)"

	http GET "$CONTENT_URL&format=png"
	assert_status "$name: ?format=png 200" 200
	assert_eq "$name: ?format=png is image/png" image/png "$(header Content-Type)"
	[ "$STATUS" = 200 ] || return
	png=$IMG/$slug.png
	cp "$BODY" "$png"
	etag=$(header ETag)
	assert_true "$name: pngcheck passes" "$(pngcheck "$png" 2>&1 | head -n 3)" \
		eval "pngcheck -q '$png' >/dev/null 2>&1"
	assert_eq "$name: PNG IHDR width height (od)" "$w $h" "$(png_size "$png")"
	assert_eq "$name: ffprobe width height" "$w $h" "$(probe "$png" width,height)"
	ffmpeg -v error -y -i "$png" -f rawvideo -pix_fmt "$pix" "$IMG/$slug.decoded" 2>"$IMG/$slug.err"
	assert_true "$name: ffmpeg decodes the PNG to the uploaded pixels" \
		"$(cmp "$file" "$IMG/$slug.decoded" 2>&1 | head -n 1) $(head -c 200 "$IMG/$slug.err")" \
		cmp -s "$file" "$IMG/$slug.decoded"
	assert_match "$name: ?format=png has its own strong ETag" "^\"$sha-[^\"]+\"\$" "$etag"
	http GET "$CONTENT_URL&format=png"
	assert_eq "$name: ?format=png again: the same ETag" "$etag" "$(header ETag)"
	assert_body_file "$name: ?format=png again: the same bytes" "$png"
	http GET "$CONTENT_URL&format=png" -H 'Range: bytes=0-7'
	printf '\211PNG\r\n\032\n' >"$IMG/png-signature"
	assert_eq "$name: ?format=png with Range: 206" 206 "$STATUS"
	assert_body_file "$name: ?format=png bytes=0-7: the PNG signature" "$IMG/png-signature"
}

image_tests() {
	local f=$IMG/err big
	new_session img >/dev/null

	image_case "sox spectrogram PNG (palette), form" multipart "$I_PNG" image/png png ''
	image_case "testsrc RGBA PNG, form" multipart "$I_RGBA_PNG" image/png png 4
	image_case "testsrc RGB PNG, raw body" raw "$I_RGB_PNG" image/png png 3
	image_case "testsrc gray PNG, raw body" raw "$I_GRAY_PNG" image/png png 1
	image_case "testsrc JPEG, form" multipart "$I_JPEG" image/jpeg jpeg 3
	image_case "JPEG 4:2:0 321x241, raw body" raw "$I_ODD_JPEG" image/jpeg jpeg 3
	image_case "PNG at the pixel limit (1000x1000)" raw "$I_LIMIT_PNG" image/png png 3

	raw_case "rgb 160x120 testsrc, form" multipart "$I_RGB" rgb 160 120 rgb24
	raw_case "rgb 160x120 testsrc, raw body" raw "$I_RGB" rgb 160 120 rgb24
	raw_case "rgba 97x61 random, form" multipart "$I_RGBA" rgba 97 61 rgba
	raw_case "rgba 97x61 random, raw body" raw "$I_RGBA" rgba 97 61 rgba
	raw_case "rgb 1x1" raw "$I_RGB_1" rgb 1 1 rgb24
	if upload_raw img "kind=image&format=rgb&width=1000&height=1000" "$I_LIMIT_RGB" \
		application/octet-stream; then
		pass "raw rgb at the pixel limit (1000x1000): 201"
	fi

	# Raw pixels whose size is not width x height x channels: 400.
	head -c $((160 * 120 * 3 - 1)) "$I_RGB" >"$f.short"
	{ cat "$I_RGB"; printf x; } >"$f.long"
	expect_post_error img "rgb one byte short" 400 bad_metadata \
		"/inputs?kind=image&format=rgb&width=160&height=120" --data-binary "@$f.short" \
		-H 'Content-Type: application/octet-stream'
	expect_post_error img "rgb one byte too many, form" 400 bad_metadata /inputs -F kind=image \
		-F format=rgb -F width=160 -F height=120 -F "file=@$f.long;type=application/octet-stream"
	expect_post_error img "rgb pixels said to be rgba" 400 bad_metadata \
		"/inputs?kind=image&format=rgba&width=160&height=120" --data-binary "@$I_RGB" \
		-H 'Content-Type: application/octet-stream'
	expect_post_error img "rgb without height" 400 bad_metadata \
		"/inputs?kind=image&format=rgb&width=160" --data-binary "@$I_RGB" \
		-H 'Content-Type: application/octet-stream'
	expect_post_error img "rgb with height=0" 400 bad_metadata \
		"/inputs?kind=image&format=rgb&width=160&height=0" --data-binary "@$I_RGB" \
		-H 'Content-Type: application/octet-stream'
	# Products that overflow 32 or 64 bits must not wrap around to the body's size.
	big=4294967295
	expect_post_error img "rgba ${big}x$big (overflows 64 bits with 4 channels)" 400 bad_metadata \
		"/inputs?kind=image&format=rgba&width=$big&height=$big" --data-binary "@$I_RGBA" \
		-H 'Content-Type: application/octet-stream'
	expect_post_error img "rgb width=4294967296" 400 bad_metadata \
		"/inputs?kind=image&format=rgb&width=4294967296&height=1" --data-binary "@$I_RGB_1" \
		-H 'Content-Type: application/octet-stream'
	expect_post_error img "rgb 18446744073709551616x1" 400 bad_metadata \
		"/inputs?kind=image&format=rgb&width=18446744073709551616&height=1" \
		--data-binary "@$I_RGB_1" -H 'Content-Type: application/octet-stream'
	# 2^62 x 4 wraps a 64-bit product to 0; 1431655766 x 3 wraps a 32-bit one to 2.
	expect_post_error img "rgba 4611686018427387904x1 (x4 wraps to 0)" 400 bad_metadata \
		"/inputs?kind=image&format=rgba&width=4611686018427387904&height=1" \
		--data-binary "@$I_EMPTY_PNG" -H 'Content-Type: application/octet-stream'
	printf 'xy' >"$f.two"
	expect_post_error img "rgb 1431655766x1 (x3 wraps 32 bits to 2)" 400 bad_metadata \
		"/inputs?kind=image&format=rgb&width=1431655766&height=1" --data-binary "@$f.two" \
		-H 'Content-Type: application/octet-stream'
	http GET /healthz
	assert_status "healthy after the overflow attempts" 200

	# Corrupt, truncated, empty or another format: 415, nothing stored.
	expect_post_error img "PNG with a bad IDAT CRC" 415 unsupported_media_type /inputs \
		-F kind=image -F "file=@$I_BAD_CRC_PNG;type=image/png"
	expect_post_error img "PNG cut in half" 415 unsupported_media_type \
		"/inputs?kind=image" --data-binary "@$I_HALF_PNG" -H 'Content-Type: image/png'
	expect_post_error img "zero-length PNG" 415 unsupported_media_type /inputs \
		-F kind=image -F "file=@$I_EMPTY_PNG;type=image/png"
	expect_post_error img "JPEG cut in half" 415 unsupported_media_type /inputs \
		-F kind=image -F "file=@$I_HALF_JPEG;type=image/jpeg"
	expect_post_error img "JPEG: SOI then random bytes" 415 unsupported_media_type \
		"/inputs?kind=image" --data-binary "@$I_GARBAGE_JPEG" -H 'Content-Type: image/jpeg'
	expect_post_error img "JPEG with a frame height of 0" 415 unsupported_media_type /inputs \
		-F kind=image -F "file=@$I_NOSIZE_JPEG;type=image/jpeg"
	expect_post_error img "GIF as an image" 415 unsupported_media_type /inputs \
		-F kind=image -F "file=@$I_GIF;type=image/gif"
	expect_post_error img "random bytes as an image" 415 unsupported_media_type /inputs \
		-F kind=image -F "file=@$M_BIN;type=application/octet-stream"

	# Over the pixel limit: 413, decided from the header.
	expect_post_error img "PNG 2000x1000 over a 1000000-pixel limit" 413 too_large /inputs \
		-F kind=image -F "file=@$I_BIG_PNG;type=image/png"
	expect_post_error img "JPEG 2000x1000 over the limit" 413 too_large "/inputs?kind=image" \
		--data-binary "@$I_BIG_JPEG" -H 'Content-Type: image/jpeg'
	expect_post_error img "raw rgb 1001x1000 over the limit" 413 too_large \
		"/inputs?kind=image&format=rgb&width=1001&height=1000" --data-binary "@$I_BIG_RGB" \
		-H 'Content-Type: application/octet-stream'
	http GET /healthz
	assert_status "healthy after the image errors" 200
}

test_image() {
	local main_base=$BASE main_data=$DATA data
	need_tools "image tools" ffmpeg ffprobe pngcheck || return
	if ! make_image_media 2>"$OUT/image-media.err"; then
		fail "making the image media" "$(head -c 500 "$OUT/image-media.err")"
		return
	fi
	IMG=$OUT/image
	mkdir -p "$IMG"
	data=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-image.XXXXXX")
	if ! server_start "$OUT/server-image.log" "$data" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" \
		MEDIAGATE_TOKEN_TTL="$TOKEN_TTL" MEDIAGATE_MAX_PIXELS="$IMG_MAX_PIXELS"; then
		fail "image server (MEDIAGATE_MAX_PIXELS=$IMG_MAX_PIXELS)" \
			"did not start, see $OUT/server-image.log"
		rm -rf "$data"
		return
	fi
	BASE=$S_BASE DATA=$data
	image_tests
	server_stop "$S_PID"
	assert_eq "image server stops with 0" 0 "$?"
	BASE=$main_base DATA=$main_data
	rm -rf "$data"
}
