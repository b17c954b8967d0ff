# test_errors.sh: each upload error code, with its JSON body and nothing left behind (no temp file,
# no object file, no row); 413 by Content-Length and chunked; 507 on a full (tmpfs) disk, and
# uploads work again once space is freed.

# expect_upload_error NAME STATUS CODE [CURL ARGS...]: POST /inputs in session err.
expect_upload_error() {
	local name=$1 status=$2 code=$3
	shift 3
	snapshot
	JAR=err http POST /inputs "$@"
	assert_error "$name: $status $code" "$status" "$code"
	assert_nothing_left "$name: nothing left behind"
}

# expect_raw_error NAME STATUS CODE QUERY FILE TYPE [CURL ARGS...]
expect_raw_error() {
	local name=$1 status=$2 code=$3 query=$4 file=$5 type=$6
	shift 6
	snapshot
	JAR=err http POST "/inputs?$query" --data-binary "@$file" -H "Content-Type: $type" "$@"
	assert_error "$name: $status $code" "$status" "$code"
	assert_nothing_left "$name: nothing left behind"
}

# multipart_body FILE BOUNDARY: write a form body (kind=file, then a file part of 100 KiB of
# random bytes) without its closing delimiter; callers append what they test.
multipart_body() {
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfile\r\n' "$2"
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n' "$2"
		printf 'Content-Type: application/octet-stream\r\n\r\n'
		head -c 102400 "$M_BIN"
	} >"$1"
}

# wait_tmp_empty SECONDS: wait for DATA/tmp to empty (an aborted upload is noticed asynchronously).
wait_tmp_empty() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ -z "$(find "$DATA/tmp" -mindepth 1 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

test_errors() {
	local b=bNd42 body=$OUT/error.multipart i

	new_session err >/dev/null

	# 400 bad_multipart.
	printf 'this is not a multipart body\r\n' >"$body"
	expect_upload_error "not multipart at all" 400 bad_multipart --data-binary "@$body" \
		-H "Content-Type: multipart/form-data; boundary=$b"
	multipart_body "$body" "$b"
	expect_upload_error "no boundary parameter" 400 bad_multipart --data-binary "@$body" \
		-H "Content-Type: multipart/form-data"
	expect_upload_error "missing final boundary (after 100 KiB of file)" 400 bad_multipart \
		--data-binary "@$body" -H "Content-Type: multipart/form-data; boundary=$b"
	multipart_body "$body" "$b"
	printf '\r\n--%s\r\nContent-Disposition: form-data; name="x"\r\n' "$b" >>"$body"
	head -c 9000 /dev/zero | tr '\0' a | sed 's/^/X-Long: /' >>"$body"
	printf '\r\n\r\nv\r\n--%s--\r\n' "$b" >>"$body"
	expect_upload_error "part header block over 8 KiB" 400 bad_multipart --data-binary "@$body" \
		-H "Content-Type: multipart/form-data; boundary=$b"
	multipart_body "$body" "$b"
	for i in $(seq 70); do
		printf '\r\n--%s\r\nContent-Disposition: form-data; name="f%s"\r\n\r\nv' "$b" "$i" >>"$body"
	done
	printf '\r\n--%s--\r\n' "$b" >>"$body"
	expect_upload_error "more than 64 parts" 400 bad_multipart --data-binary "@$body" \
		-H "Content-Type: multipart/form-data; boundary=$b"
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="a.bin"' "$b"
		printf '\r\nno colon in this header line\r\n\r\nxyz\r\n--%s--\r\n' "$b"
	} >"$body"
	expect_upload_error "malformed part header" 400 bad_multipart --data-binary "@$body" \
		-H "Content-Type: multipart/form-data; boundary=$b"

	# 400 missing_file.
	expect_upload_error "no file part" 400 missing_file -F kind=audio -F format=wav
	expect_upload_error "file part under another name" 400 missing_file -F kind=audio \
		-F "upload=@$M_WAV;type=audio/wav"

	# 400 bad_metadata, also when it comes after the file's bytes were streamed.
	expect_upload_error "kind=banana" 400 bad_metadata -F kind=banana -F "file=@$M_WAV;type=audio/wav"
	expect_upload_error "kind=banana after the file" 400 bad_metadata \
		-F "file=@$M_BIN;type=application/octet-stream" -F kind=banana
	expect_upload_error "sampling_rate=-5" 400 bad_metadata -F kind=audio -F sampling_rate=-5 \
		-F "file=@$M_WAV;type=audio/wav"
	expect_upload_error "num_channels=two" 400 bad_metadata -F kind=audio -F num_channels=two \
		-F "file=@$M_WAV;type=audio/wav"
	expect_upload_error "width=-1" 400 bad_metadata -F kind=image -F width=-1 \
		-F "file=@$M_PNG;type=image/png"
	expect_raw_error "raw, ?kind=banana" 400 bad_metadata "kind=banana" "$M_OGG" audio/ogg
	expect_raw_error "raw, ?sampling_rate=-5" 400 bad_metadata "kind=audio&sampling_rate=-5" \
		"$M_OGG" audio/ogg

	# 415.
	expect_upload_error "application/x-www-form-urlencoded" 415 unsupported_media_type \
		--data 'kind=audio&file=abc'

	# 413: decided from CONTENT_LENGTH, and for a chunked body (lighttpd buffers it, see
	# deploy/lighttpd/lighttpd.conf.in, then passes CONTENT_LENGTH on; nginx streams it without
	# CONTENT_LENGTH, see deploy/nginx/nginx.conf.in, and the app counts as it reads).
	expect_raw_error "raw body of max+1 bytes" 413 too_large "kind=file" "$M_OVER" \
		application/octet-stream
	expect_upload_error "multipart, a file of max+1 bytes" 413 too_large -F kind=file \
		-F "file=@$M_OVER;type=application/octet-stream"
	expect_upload_error "multipart body of max + 1 MiB" 413 too_large -F kind=file \
		-F "file=@$M_MAX;type=application/octet-stream" -F "more=@$M_BIN"
	# Behind Apache every chunked body is refused before it is read, 411 length_required (JSON
	# from Apache: mod_fcgid would pass a malformed one on cut short, deploy/apache/apache2.conf.in).
	local chunked_status=413 chunked_code=too_large
	[ "$SERVER" != apache ] || chunked_status=411 chunked_code=length_required
	expect_raw_error "chunked raw body of max+1 bytes" "$chunked_status" "$chunked_code" \
		"kind=file" "$M_OVER" application/octet-stream -H 'Transfer-Encoding: chunked'
	expect_upload_error "chunked multipart, a file of max+1 bytes" "$chunked_status" \
		"$chunked_code" -F kind=file -F "file=@$M_OVER;type=application/octet-stream" \
		-H 'Transfer-Encoding: chunked'

	# The limits are inclusive, and chunked uploads work.
	if upload_raw err "kind=file&filename=at-max.bin" "$M_MAX" application/octet-stream; then
		pass "raw body of exactly the max: 201"
		assert_true "raw body of exactly the max: stored" "object differs" \
			cmp -s "$M_MAX" "$(object_path "$ID")"
	fi
	JAR=err http POST "/inputs?kind=file" --data-binary "@$M_BIN" \
		-H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked'
	if [ "$SERVER" = apache ]; then
		assert_error "chunked raw upload: 411 length_required from Apache" 411 length_required
	elif upload_result "chunked raw upload"; then
		pass "chunked raw upload: 201"
		http GET "$CONTENT_URL"
		assert_body_file "chunked raw upload: the bytes" "$M_BIN"
	fi

	# A client that goes away mid-upload leaves nothing either. While it sends, the upload is
	# already in tmp/: the web server streams the body to the app instead of buffering it first.
	local slow seen=no
	snapshot
	curl -sS -o /dev/null --max-time 1.5 --limit-rate 512K -H 'Expect:' -b "$OUT/jars/err" \
		--data-binary "@$M_MAX" -H 'Content-Type: application/octet-stream' \
		"$BASE${MOUNT:-}/inputs?kind=file" 2>/dev/null &
	slow=$!
	for i in $(seq 12); do
		sleep 0.1
		if [ -n "$(find "$DATA/tmp" -name '*.part' 2>/dev/null)" ]; then
			seen=yes
			break
		fi
	done
	wait "$slow"
	if [ "$SERVER" = apache ]; then
		# mod_fcgid reads the whole body before it calls the app (deploy/apache/apache2.conf.in).
		assert_eq "a slow upload is not streamed behind Apache (mod_fcgid buffers it)" no "$seen"
	else
		assert_eq "a slow upload is streamed to the app (tmp/ID.part while it is sent)" yes "$seen"
	fi
	assert_true "client gone mid-upload: tmp/ emptied within 5 s" \
		"left: $(find "$DATA/tmp" -mindepth 1 | head -n 3 | tr '\n' ' ')" wait_tmp_empty 5
	assert_nothing_left "client gone mid-upload: nothing left behind"

	http GET /healthz
	assert_status "still healthy after the errors" 200

	disk_full
}

# 507: a second server whose data folder is a 2 MiB tmpfs.
disk_full() {
	local disk main_base=$BASE main_data=$DATA fill=$MEDIA/three-mib.bin
	disk=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-full.XXXXXX")
	if ! mount -t tmpfs -o size=2m,mode=0700 tmpfs "$disk" 2>"$OUT/mount.err"; then
		skip "507 insufficient_storage" "cannot mount a 2 MiB tmpfs here ($(head -n 1 "$OUT/mount.err"))"
		rmdir "$disk"
		return
	fi
	head -c $((3 * 1024 * 1024)) "$M_MAX" >"$fill"
	if server_start "$OUT/server-disk-full.log" "$disk/data" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD"; then
		BASE=$S_BASE DATA=$disk/data
		new_session full >/dev/null
		snapshot
		JAR=full http POST "/inputs?kind=file" --data-binary "@$fill" \
			-H 'Content-Type: application/octet-stream'
		assert_error "disk full, raw body: 507" 507 insufficient_storage
		assert_nothing_left "disk full, raw body: nothing left behind"
		snapshot
		JAR=full http POST /inputs -F kind=file -F "file=@$fill;type=application/octet-stream"
		assert_error "disk full, multipart: 507" 507 insufficient_storage
		assert_nothing_left "disk full, multipart: nothing left behind"
		if upload full audio "$M_OGG" audio/ogg; then
			pass "disk full: a small upload still fits afterwards"
		fi
		disk_full_freed
		server_stop "$S_PID"
		assert_eq "disk-full server stops with 0" 0 "$?"
		BASE=$main_base DATA=$main_data
	else
		fail "disk-full server" "did not start, see $OUT/server-disk-full.log"
	fi
	umount "$disk" && rmdir "$disk"
}

# On the full disk of disk_full: fill it with 512 KiB inputs until one gets 507, delete two of
# them (DELETE /inputs/ID), and the upload that did not fit gets 201.
disk_full_freed() {
	local chunk=$MEDIA/half-mib.bin ids=() i got='' a
	head -c $((512 * 1024)) "$M_BIN" >"$chunk"
	for i in 1 2 3 4 5 6; do
		snapshot
		JAR=full http POST "/inputs?kind=file" --data-binary "@$chunk" \
			-H 'Content-Type: application/octet-stream'
		got=$STATUS
		[ "$STATUS" = 201 ] || break
		ids+=("$(json .id)")
	done
	assert_error "disk full: 512 KiB inputs fill the disk until 507 (after ${#ids[@]})" 507 \
		insufficient_storage
	assert_nothing_left "disk full: the 512 KiB upload that did not fit left nothing"
	if [ "$got" != 507 ] || [ "${#ids[@]}" -lt 2 ]; then
		fail "disk full: freeing space" "needs two stored 512 KiB inputs and a 507, got ${#ids[@]}"
		return
	fi
	for i in 0 1; do
		JAR=full http DELETE "/inputs/${ids[i]}"
		assert_status "disk full: DELETE /inputs/ID $((i + 1)) frees space: 204" 204
		a=$(object_path "${ids[i]}")
		assert_true "disk full: its object file is gone" "$a still exists" test ! -e "$a"
	done
	if upload_raw full "kind=file" "$chunk" application/octet-stream; then
		pass "disk full: uploads work again once space is freed: 201"
		http GET "$CONTENT_URL"
		assert_body_file "disk full: and the upload reads back bit-exact" "$chunk"
	fi
}
