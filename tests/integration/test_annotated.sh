# test_annotated.sh: issue 3 application/x-annotated-binary uploads, built here with printf:
# a 4-byte big-endian metadata length, that many bytes of JSON, then the payload.

ANN=''   # bodies built and read back: $OUT/annotated

# ab_body OUT JSON [PAYLOAD_FILE]: write the annotated body (length of JSON in bytes, JSON,
# payload) to OUT.
ab_body() {
	local out=$1 meta=$2 payload=${3:-}
	{
		be32 "$(printf '%s' "$meta" | wc -c)"
		printf '%s' "$meta"
		[ -z "$payload" ] || cat "$payload"
	} >"$out"
}

# ab_post FILE: POST /inputs with FILE as an annotated body, in session ann.
ab_post() {
	JAR=ann http POST /inputs --data-binary "@$1" -H 'Content-Type: application/x-annotated-binary'
}

# ab_error NAME STATUS CODE FILE: the body FILE is refused with STATUS CODE, nothing stored.
ab_error() {
	expect_post_error ann "$1" "$2" "$3" /inputs --data-binary "@$4" \
		-H 'Content-Type: application/x-annotated-binary'
}

test_annotated() {
	local b=$OUT/annotated/body meta pad sha
	need_tools "annotated tools" sox soxi ffmpeg ffprobe || return
	if ! make_audio_media 2>"$OUT/audio-media.err" || ! make_image_media 2>>"$OUT/audio-media.err"
	then
		fail "making the media" "$(head -c 500 "$OUT/audio-media.err")"
		return
	fi
	ANN=$OUT/annotated
	mkdir -p "$ANN"
	new_session ann >/dev/null

	# Decoded PCM, as a browser sends it: f32 stereo with its metadata.
	sha=$(sha256_of "$A_F32_2")
	ab_body "$b.f32" '{"kind":"audio","format":"pcm_f32le","sampling_rate":22050,"num_channels":2,"filename":"decoded.f32"}' "$A_F32_2"
	ab_post "$b.f32"
	if upload_result "annotated pcm_f32le stereo"; then
		pass "annotated pcm_f32le stereo: 201"
		assert_eq "annotated pcm: kind filename size sha256 are the payload's" \
			"audio decoded.f32 $(size_of "$A_F32_2") $sha" \
			"$(json '"\(.kind) \(.filename) \(.size) \(.sha256)"')"
		assert_eq "annotated pcm: audio object" "22050 2 11025 pcm pcm_f32le" \
			"$(json '.audio | "\(.sampling_rate) \(.num_channels) \(.frames) \(.source_format) \(.sample_format)"')"
		assert_near "annotated pcm: duration_s" 0.5 "$(json .audio.duration_s)" 0.001
		http GET "$CONTENT_URL"
		cp "$BODY" "$ANN/f32.wav"
		assert_eq "annotated pcm: audio/wav" audio/wav "$(header Content-Type)"
		assert_eq "annotated pcm: WAV header fields (od)" \
			"$(wav_header_expected 3 2 22050 4 "$(size_of "$A_F32_2")")" \
			"$(wav_header_fields "$ANN/f32.wav")"
		assert_eq "annotated pcm: ffprobe sample_rate channels codec" "22050 2 pcm_f32le" \
			"$(probe "$ANN/f32.wav" sample_rate,channels,codec_name)"
		tail -c +45 "$ANN/f32.wav" >"$ANN/f32.samples"
		assert_true "annotated pcm: after the header, the payload byte for byte" \
			"$(cmp "$A_F32_2" "$ANN/f32.samples" 2>&1)" cmp -s "$A_F32_2" "$ANN/f32.samples"
		http GET "$CONTENT_URL&format=original"
		assert_body_file "annotated pcm: ?format=original is the payload" "$A_F32_2"
		assert_eq "annotated pcm: ?format=original is application/octet-stream" \
			application/octet-stream "$(header Content-Type)"
	fi

	# "pcm_f32" (little-endian) and pcm_s16le, mono and 6 channels.
	ab_body "$b.f32a" '{"kind":"audio","format":"pcm_f32","sampling_rate":22050,"num_channels":1}' \
		"$A_F32_1"
	ab_post "$b.f32a"
	if upload_result "annotated pcm_f32 mono"; then
		assert_eq "annotated pcm_f32: read as pcm_f32le" "pcm_f32le 11025" \
			"$(json '"\(.audio.sample_format) \(.audio.frames)"')"
	fi
	ab_body "$b.s16" '{"kind":"audio","format":"pcm_s16le","sampling_rate":16000,"num_channels":6}' \
		"$A_S16_6"
	ab_post "$b.s16"
	if upload_result "annotated pcm_s16le 6 ch"; then
		assert_eq "annotated pcm_s16le 6 ch: audio object" "16000 6 8000 pcm_s16le" \
			"$(json '.audio | "\(.sampling_rate) \(.num_channels) \(.frames) \(.sample_format)"')"
		http GET "$CONTENT_URL"
		cp "$BODY" "$ANN/s16.wav"
		assert_eq "annotated pcm_s16le 6 ch: soxi rate channels frames" "16000 6 8000" \
			"$(soxi -r "$ANN/s16.wav") $(soxi -c "$ANN/s16.wav") $(soxi -s "$ANN/s16.wav")"
	fi

	# A compressed file as the payload: probed like any other upload.
	ab_body "$b.ogg" '{"kind":"audio","format":"ogg","filename":"speech.ogg"}' "$A_OGG"
	ab_post "$b.ogg"
	if upload_result "annotated Ogg Vorbis"; then
		assert_eq "annotated Ogg Vorbis: audio object" "22050 1 ogg vorbis" \
			"$(json '.audio | "\(.sampling_rate) \(.num_channels) \(.source_format) \(.sample_format)"')"
		http GET "$CONTENT_URL"
		assert_eq "annotated Ogg Vorbis: read as audio/wav" audio/wav "$(header Content-Type)"
	fi

	# Canvas pixels: rgba.
	sha=$(sha256_of "$I_RGBA")
	ab_body "$b.rgba" '{"kind":"image","format":"rgba","width":97,"height":61,"filename":"canvas.rgba"}' \
		"$I_RGBA"
	ab_post "$b.rgba"
	if upload_result "annotated rgba"; then
		pass "annotated rgba: 201"
		assert_eq "annotated rgba: image object" "97 61 rgba 4" \
			"$(json '.image | "\(.width) \(.height) \(.format) \(.channels)"')"
		assert_eq "annotated rgba: size sha256" "$(size_of "$I_RGBA") $sha" \
			"$(json '"\(.size) \(.sha256)"')"
		http GET "$CONTENT_URL"
		assert_body_file "annotated rgba: the pixels as sent" "$I_RGBA"
		assert_eq "annotated rgba: X-Image-* headers" "97 61 rgba" \
			"$(header X-Image-Width) $(header X-Image-Height) $(header X-Image-Format)"
	fi

	# Metadata of exactly 64 KiB (JSON padded with spaces) is allowed.
	meta='{"kind":"audio","format":"pcm_s16le","sampling_rate":16000,"num_channels":1}'
	pad=$(printf '%*s' $((65536 - ${#meta})) '')
	ab_body "$b.max" "$meta$pad" "$A_S16_1"
	assert_eq "metadata of 65536 bytes: framing" $((4 + 65536 + $(size_of "$A_S16_1"))) \
		"$(size_of "$b.max")"
	ab_post "$b.max"
	if upload_result "annotated, metadata of exactly 65536 bytes"; then
		assert_eq "metadata of 65536 bytes: the payload" "$(size_of "$A_S16_1") 8000" \
			"$(json '"\(.size) \(.audio.frames)"')"
	fi

	# Framing errors: 400 bad_annotated_binary.
	{ be32 100; printf '{"kind":"a'; } >"$b.short"
	ab_error "length says 100, 10 bytes follow" 400 bad_annotated_binary "$b.short"
	printf '\000\000' >"$b.len2"
	ab_error "a body of 2 bytes (inside the length)" 400 bad_annotated_binary "$b.len2"
	: >"$b.empty"
	ab_error "an empty body" 400 bad_annotated_binary "$b.empty"
	ab_body "$b.over" "$meta$pad " "$A_S16_1"
	ab_error "metadata length 65537" 400 bad_annotated_binary "$b.over"
	{ be32 4294967295; printf '{}'; } >"$b.huge"
	ab_error "metadata length 4294967295" 400 bad_annotated_binary "$b.huge"
	ab_body "$b.json" '{"kind": "audio", "format": "pcm_s16le",' "$A_S16_1"
	ab_error "invalid JSON" 400 bad_annotated_binary "$b.json"
	ab_body "$b.array" '["audio", "pcm_s16le"]' "$A_S16_1"
	ab_error "JSON array, not an object" 400 bad_annotated_binary "$b.array"
	ab_body "$b.string" '"audio"' "$A_S16_1"
	ab_error "JSON string, not an object" 400 bad_annotated_binary "$b.string"
	ab_body "$b.zero" '' "$A_S16_1"
	ab_error "metadata length 0" 400 bad_annotated_binary "$b.zero"
	{ be32 16; printf '{"kind":"au\000io"}'; cat "$A_S16_1"; } >"$b.nul"
	ab_error "a NUL inside the metadata" 400 bad_annotated_binary "$b.nul"

	# Wrong types or values: 400 bad_metadata.
	ab_body "$b.t1" '{"kind":"audio","format":"pcm_s16le","sampling_rate":"16000","num_channels":1}' \
		"$A_S16_1"
	ab_error "sampling_rate as a string" 400 bad_metadata "$b.t1"
	ab_body "$b.t2" '{"kind":"audio","format":"pcm_s16le","sampling_rate":16000,"num_channels":1.5}' \
		"$A_S16_1"
	ab_error "num_channels 1.5" 400 bad_metadata "$b.t2"
	ab_body "$b.t3" '{"kind":7,"format":"pcm_s16le","sampling_rate":16000,"num_channels":1}' \
		"$A_S16_1"
	ab_error "kind as a number" 400 bad_metadata "$b.t3"
	ab_body "$b.t4" '{"kind":"image","format":"rgba","width":"97","height":61}' "$I_RGBA"
	ab_error "width as a string" 400 bad_metadata "$b.t4"
	ab_body "$b.t5" '{"kind":"banana"}' "$A_S16_1"
	ab_error "kind banana" 400 bad_metadata "$b.t5"
	ab_body "$b.t6" '{"kind":"audio","format":"pcm_s16le","num_channels":1}' "$A_S16_1"
	ab_error "pcm without sampling_rate" 400 bad_metadata "$b.t6"
	assert_detail "pcm without sampling_rate: the detail names it" sampling_rate
	head -c 44099 "$A_F32_1" >"$ANN/odd.f32"
	ab_body "$b.t7" '{"kind":"audio","format":"pcm_f32le","sampling_rate":16000,"num_channels":1}' \
		"$ANN/odd.f32"
	ab_error "pcm payload not whole frames" 400 bad_metadata "$b.t7"
	ab_body "$b.t8" '{"kind":"image","format":"rgba","width":97,"height":60}' "$I_RGBA"
	ab_error "rgba payload of another size" 400 bad_metadata "$b.t8"
	ab_body "$b.t9" '{"kind":"audio","format":"pcm_s16le","sampling_rate":-16000,"num_channels":1}' \
		"$A_S16_1"
	ab_error "sampling_rate -16000" 400 bad_metadata "$b.t9"

	http GET /healthz
	assert_status "healthy after the annotated errors" 200
}
