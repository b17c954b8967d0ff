# test_tus.sh: issue 6, tus 1.0.0 resumable uploads at /uploads (protocol.md of
# tus/tus-resumable-upload-protocol), by hand-written curl requests, one status code at a time:
#   - core: OPTIONS, HEAD, PATCH (204, 409, 415, 412, 400), Tus-Resumable on every answer;
#   - creation (201, metadata echoed), creation-with-upload, creation-defer-length, checksum
#     (460, 400), termination (DELETE 204), X-HTTP-Method-Override, 413 (length, body);
#   - ownership (another session: 404), completion into an input of the same id (bit-exact, a
#     WAV probed as audio), a refused completion (415, upload removed);
#   - a PATCH cut off mid-body keeps its bytes and resumes bit-exact; two PATCHes at once: one
#     wins, the other gets 423 (or 409), bytes never interleave;
#   - servers of their own: expiry (MEDIAGATE_TUS_EXPIRY=2s: 410, then 404 after `mediagate gc`,
#     files and rows gone), quotas (413, 429), and a restart that keeps an upload in progress.

TUS_DIR=''   # scratch files: $OUT/tus
TUS_V=(-H 'Tus-Resumable: 1.0.0')
TUS_OCT=(-H 'Content-Type: application/offset+octet-stream')

# tus_b64 TEXT: TEXT in standard base64, as Upload-Metadata values are.
tus_b64() { printf '%s' "$1" | base64 -w0; }

# tus_sum ALGO FILE: the Upload-Checksum value of FILE ("sha1 B64" or "sha256 B64").
tus_sum() { printf '%s %s' "$1" "$(openssl dgst "-$1" -binary "$2" | base64 -w0)"; }

# tus_create JAR NAME LENGTH-HEADER [CURL ARGS...]: POST /uploads in session JAR with the
# header (e.g. 'Upload-Length: 11'); on 201 sets TUS_URL (the Location) and TUS_ID, returns 0.
tus_create() {
	local jar=$1 name=$2 len=$3
	shift 3
	TUS_URL='' TUS_ID=''
	JAR=$jar http POST "/uploads" "${TUS_V[@]}" -H "$len" "$@"
	if [ "$STATUS" != 201 ]; then
		fail "$name: creation 201" "$(last_response)"
		return 1
	fi
	TUS_URL=$(header Location)
	TUS_ID=${TUS_URL##*/}
	return 0
}

# tus_patch JAR URL OFFSET FILE [CURL ARGS...]: PATCH the bytes of FILE at OFFSET.
tus_patch() {
	local jar=$1 url=$2 offset=$3 file=$4
	shift 4
	JAR=$jar http PATCH "$url" "${TUS_V[@]}" "${TUS_OCT[@]}" -H "Upload-Offset: $offset" \
		--data-binary "@$file" "$@"
}

# tus_offset JAR URL: the Upload-Offset a HEAD answers now ("" when none).
tus_offset() {
	JAR=$1 http HEAD "$2" "${TUS_V[@]}"
	header Upload-Offset
}

# tus_read_back JAR ID: the input's content through a fresh token, into $TUS_DIR/read-ID.
tus_read_back() {
	JAR=$1 http POST "/inputs/$2/tokens"
	local url
	url=$(json .content_url)
	http GET "$url"
	cp "$BODY" "$TUS_DIR/read-$2"
}

# tus_file_gone ID: no file of upload ID is left in uploads/ and no row in uploads.
tus_file_gone() {
	[ ! -e "$DATA/uploads/$1" ] && [ "$(db "SELECT count(*) FROM uploads WHERE id = '$1'")" = 0 ]
}

# Core and creation ----------------------------------------------------------------------------

tus_core_tests() {
	local f=$TUS_DIR u id
	http OPTIONS /uploads
	assert_status "OPTIONS /uploads: 204" 204
	assert_header "OPTIONS: Tus-Version" Tus-Version 1.0.0
	assert_header "OPTIONS: Tus-Resumable" Tus-Resumable 1.0.0
	assert_header "OPTIONS: Tus-Extension" Tus-Extension \
		creation,creation-with-upload,creation-defer-length,expiration,checksum,termination
	assert_header "OPTIONS: Tus-Max-Size is MEDIAGATE_MAX_UPLOAD" Tus-Max-Size "$MAX_UPLOAD"
	assert_header "OPTIONS: Tus-Checksum-Algorithm" Tus-Checksum-Algorithm sha1,sha256

	: >"$OUT/jars/tus"
	JAR=tus http POST /uploads -H 'Upload-Length: 11'
	assert_error "creation without Tus-Resumable: 412" 412 unsupported_version
	assert_header "412: Tus-Version" Tus-Version 1.0.0
	assert_header "412: Tus-Resumable" Tus-Resumable 1.0.0
	JAR=tus http POST /uploads -H 'Tus-Resumable: 0.2.2' -H 'Upload-Length: 11'
	assert_error "creation with Tus-Resumable 0.2.2: 412" 412 unsupported_version
	JAR=tus http POST /uploads "${TUS_V[@]}"
	assert_error "creation without Upload-Length: 400" 400 bad_request
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 12x'
	assert_error "creation with Upload-Length 12x: 400" 400 bad_request
	JAR=tus http POST /uploads "${TUS_V[@]}" -H "Upload-Length: $((MAX_UPLOAD + 1))"
	assert_error "creation over Tus-Max-Size: 413" 413 too_large
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 11' \
		-H "Upload-Metadata: kind $(tus_b64 sound)"
	assert_error "creation with kind=sound: 400 bad_metadata" 400 bad_metadata
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 11' -H 'Upload-Metadata: k !!!'
	assert_error "creation with a value not base64: 400 bad_metadata" 400 bad_metadata
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 11' -H 'Upload-Metadata: k,k'
	assert_error "creation with a key twice: 400 bad_metadata" 400 bad_metadata

	printf 'hello world' >"$f/hello.txt"
	printf 'hello' >"$f/hello"
	printf ' world' >"$f/world"
	tus_create tus "creation" 'Upload-Length: 11' \
		-H "Upload-Metadata: filename $(tus_b64 hello.txt),kind $(tus_b64 file),is_draft" || return
	u=$TUS_URL id=$TUS_ID
	assert_match "201: Location is ${MOUNT:-}/uploads/ID" "^${MOUNT:-}/uploads/[A-Za-z0-9_-]{22}\$" "$u"
	assert_header "201: Upload-Offset 0" Upload-Offset 0
	assert_header "201: Tus-Resumable" Tus-Resumable 1.0.0
	assert_header "201: Mediagate-Input names the input to be" Mediagate-Input \
		"${MOUNT:-}/inputs/$id"
	assert_match "201: Upload-Expires is an HTTP-date" \
		'^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' \
		"$(header Upload-Expires)"
	assert_true "201: the upload's file is in uploads/" "no $DATA/uploads/$id" \
		test -f "$DATA/uploads/$id"
	assert_eq "201: no input row before completion" 0 \
		"$(db "SELECT count(*) FROM inputs WHERE id = '$id'")"
	JAR=tus http GET /inputs
	assert_eq "an upload in progress is not listed" 0 "$(json '[.inputs[] | select(.id == "'"$id"'")] | length')"

	JAR=tus http HEAD "$u" "${TUS_V[@]}"
	assert_status "HEAD: 200" 200
	assert_header "HEAD: Upload-Offset 0" Upload-Offset 0
	assert_header "HEAD: Upload-Length 11" Upload-Length 11
	assert_header "HEAD: Upload-Metadata echoed as sent" Upload-Metadata \
		"filename $(tus_b64 hello.txt),kind $(tus_b64 file),is_draft"
	assert_header "HEAD: Cache-Control no-store" Cache-Control no-store
	assert_header "HEAD: Tus-Resumable" Tus-Resumable 1.0.0
	assert_empty_body "HEAD: no body"
	JAR=tus http HEAD "$u"
	assert_status "HEAD without Tus-Resumable: 412" 412

	JAR=tus http PATCH "$u" "${TUS_V[@]}" -H 'Content-Type: application/octet-stream' \
		-H 'Upload-Offset: 0' --data-binary "@$f/hello"
	assert_error "PATCH as application/octet-stream: 415" 415 unsupported_media_type
	assert_header "415: Tus-Resumable" Tus-Resumable 1.0.0
	JAR=tus http PATCH "$u" "${TUS_V[@]}" "${TUS_OCT[@]}" --data-binary "@$f/hello"
	assert_error "PATCH without Upload-Offset: 400" 400 bad_request
	tus_patch tus "$u" 3 "$f/hello"
	assert_error "PATCH at the wrong offset: 409" 409 offset_mismatch
	JAR=tus http PATCH "$u" -H 'Tus-Resumable: 9.9.9' "${TUS_OCT[@]}" -H 'Upload-Offset: 0' \
		--data-binary "@$f/hello"
	assert_error "PATCH with another Tus-Resumable: 412" 412 unsupported_version
	assert_eq "after 409, 412, 415: the offset is still 0" 0 "$(tus_offset tus "$u")"

	tus_patch tus "$u" 0 "$f/hello"
	assert_status "PATCH 5 bytes: 204" 204
	assert_header "204: Upload-Offset 5" Upload-Offset 5
	assert_header "204: Tus-Resumable" Tus-Resumable 1.0.0
	assert_match "204: Upload-Expires" 'GMT$' "$(header Upload-Expires)"
	tus_patch tus "$u" 5 "$f/world" -H "Upload-Checksum: $(tus_sum sha1 "$f/hello")"
	assert_error "PATCH with a wrong sha1: 460" 460 checksum_mismatch
	assert_eq "460: the chunk was discarded (offset 5)" 5 "$(tus_offset tus "$u")"
	tus_patch tus "$u" 5 "$f/world" -H "Upload-Checksum: md5 $(openssl dgst -md5 -binary "$f/world" | base64 -w0)"
	assert_error "PATCH with an md5 checksum (unsupported): 400" 400 bad_request
	tus_patch tus "$u" 5 "$f/world" -H 'Upload-Checksum: sha1 !!!'
	assert_error "PATCH with a malformed checksum: 400" 400 bad_request
	tus_patch tus "$u" 5 "$f/hello.txt"
	assert_error "PATCH past Upload-Length: 413" 413 too_large
	assert_eq "after 460, 400, 413: the offset is still 5" 5 "$(tus_offset tus "$u")"

	# Another session, and none: no existence oracle.
	new_session tus-other >/dev/null
	JAR=tus-other http HEAD "$u" "${TUS_V[@]}"
	assert_status "HEAD from another session: 404" 404
	tus_patch tus-other "$u" 5 "$f/world"
	assert_error "PATCH from another session: 404" 404 not_found
	JAR=tus-other http DELETE "$u" "${TUS_V[@]}"
	assert_error "DELETE from another session: 404" 404 not_found
	http PATCH "$u" "${TUS_V[@]}" "${TUS_OCT[@]}" -H 'Upload-Offset: 5' --data-binary "@$f/world"
	assert_error "PATCH without a session: 401" 401 session_required

	tus_patch tus "$u" 5 "$f/world" -H "Upload-Checksum: $(tus_sum sha256 "$f/world")"
	assert_status "the last chunk, sha256 checked: 204" 204
	assert_header "last chunk: Upload-Offset 11" Upload-Offset 11
	assert_header "last chunk: Mediagate-Input" Mediagate-Input "${MOUNT:-}/inputs/$id"
	JAR=tus http GET "/inputs/$id"
	assert_status "the input of the same id exists" 200
	assert_eq "the input: size, kind, filename" "11 file hello.txt" \
		"$(json '"\(.size) \(.kind) \(.filename)"')"
	assert_eq "the input's sha256" "$(sha256_of "$f/hello.txt")" "$(json .sha256)"
	tus_read_back tus "$id"
	assert_body_file "its content reads back bit-exact" "$f/hello.txt"
	assert_true "completed: uploads/ID and its row are gone" "still there" tus_file_gone "$id"
	JAR=tus http HEAD "$u" "${TUS_V[@]}"
	assert_status "HEAD of a completed upload: 200" 200
	assert_eq "HEAD of a completed upload: offset = length = 11" "11 11" \
		"$(header Upload-Offset) $(header Upload-Length)"
	tus_patch tus "$u" 5 "$f/world"
	assert_error "PATCH of a completed upload at an old offset: 409" 409 offset_mismatch

	# Termination.
	tus_create tus "termination" 'Upload-Length: 100' || return
	tus_patch tus "$TUS_URL" 0 "$f/hello"
	JAR=tus http DELETE "$TUS_URL" "${TUS_V[@]}"
	assert_status "DELETE an upload in progress: 204" 204
	assert_header "DELETE: Tus-Resumable" Tus-Resumable 1.0.0
	JAR=tus http HEAD "$TUS_URL" "${TUS_V[@]}"
	assert_status "HEAD after DELETE: 404" 404
	assert_true "DELETE: file and row gone" "still there" tus_file_gone "$TUS_ID"
	JAR=tus http DELETE "$u" "${TUS_V[@]}"
	assert_status "DELETE a completed upload (its input): 204" 204
	JAR=tus http GET "/inputs/$id"
	assert_error "the input is deleted" 410 input_deleted

	# X-HTTP-Method-Override.
	tus_create tus "override" 'Upload-Length: 11' || return
	JAR=tus http POST "$TUS_URL" "${TUS_V[@]}" "${TUS_OCT[@]}" -H 'X-HTTP-Method-Override: PATCH' \
		-H 'Upload-Offset: 0' --data-binary "@$f/hello"
	assert_status "POST with X-HTTP-Method-Override: PATCH: 204" 204
	assert_header "override PATCH: Upload-Offset 5" Upload-Offset 5
	JAR=tus http POST "$TUS_URL" "${TUS_V[@]}" -H 'X-HTTP-Method-Override: HEAD'
	assert_eq "POST with X-HTTP-Method-Override: HEAD: 200, offset 5" "200 5 5" \
		"$STATUS $(header Upload-Offset) $(json .offset)"
	JAR=tus http POST "$TUS_URL" "${TUS_V[@]}" -H 'X-HTTP-Method-Override: DELETE'
	assert_status "POST with X-HTTP-Method-Override: DELETE: 204" 204
	assert_true "override DELETE: file and row gone" "still there" tus_file_gone "$TUS_ID"
	JAR=tus http POST "$TUS_URL" "${TUS_V[@]}"
	assert_error "POST to an upload without an override: 405" 405 method_not_allowed
}

tus_extension_tests() {
	local f=$TUS_DIR u id half total
	# creation-defer-length.
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Defer-Length: 2'
	assert_error "Upload-Defer-Length: 2: 400" 400 bad_request
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Defer-Length: 1' -H 'Upload-Length: 5'
	assert_error "Upload-Defer-Length and Upload-Length: 400" 400 bad_request
	head -c 300000 /dev/urandom >"$f/deferred.bin"
	slice "$f/deferred.bin" 0 100000 >"$f/d1"
	slice "$f/deferred.bin" 100000 200000 >"$f/d2"
	tus_create tus "defer-length" 'Upload-Defer-Length: 1' || return
	u=$TUS_URL id=$TUS_ID
	assert_header "deferred 201: Upload-Defer-Length 1" Upload-Defer-Length 1
	tus_patch tus "$u" 0 "$f/d1"
	assert_status "deferred: a chunk without the length: 204" 204
	JAR=tus http HEAD "$u" "${TUS_V[@]}"
	assert_eq "deferred HEAD: Upload-Defer-Length 1, no Upload-Length, offset 100000" \
		"1||100000" "$(header Upload-Defer-Length)|$(header Upload-Length)|$(header Upload-Offset)"
	tus_patch tus "$u" 100000 "$f/d2" -H 'Upload-Length: 150000'
	assert_error "deferred: a length below offset + body: 413" 413 too_large
	tus_patch tus "$u" 100000 "$f/d2" -H 'Upload-Length: 300000'
	assert_status "deferred: the last chunk with Upload-Length: 204" 204
	assert_header "deferred: complete" Mediagate-Input "${MOUNT:-}/inputs/$id"
	tus_read_back tus "$id"
	assert_body_file "deferred: reads back bit-exact" "$f/deferred.bin"

	# creation-with-upload: all at once, and a first part.
	tus_create tus "creation-with-upload (whole)" "Upload-Length: $(size_of "$M_PNG")" \
		"${TUS_OCT[@]}" --data-binary "@$M_PNG" \
		-H "Upload-Metadata: filename $(tus_b64 spectrogram.png)" || return
	assert_header "with upload, whole: Upload-Offset = length" Upload-Offset "$(size_of "$M_PNG")"
	assert_header "with upload, whole: Mediagate-Input" Mediagate-Input "${MOUNT:-}/inputs/$TUS_ID"
	JAR=tus http GET "/inputs/$TUS_ID"
	assert_eq "with upload, whole: an image input (sniffed PNG)" "image image/png" \
		"$(json '"\(.kind) \(.content_type)"')"
	total=$(size_of "$M_WAV")
	half=$((total / 2))
	slice "$M_WAV" 0 "$half" >"$f/wav1"
	slice "$M_WAV" "$half" $((total - half)) >"$f/wav2"
	tus_create tus "creation-with-upload (part)" "Upload-Length: $total" "${TUS_OCT[@]}" \
		--data-binary "@$f/wav1" -H "Upload-Checksum: $(tus_sum sha1 "$f/wav1")" || return
	u=$TUS_URL id=$TUS_ID
	assert_header "with upload, part: Upload-Offset" Upload-Offset "$half"
	tus_patch tus "$u" "$half" "$f/wav2"
	assert_status "the rest of the WAV: 204" 204
	JAR=tus http GET "/inputs/$id"
	assert_eq "a WAV through tus, no metadata: probed as audio" "audio audio/wav 22050 1" \
		"$(json '"\(.kind) \(.content_type) \(.audio.sampling_rate) \(.audio.num_channels)"')"
	tus_read_back tus "$id"
	assert_body_file "the WAV reads back bit-exact" "$M_WAV"
	JAR=tus http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 11' --data-binary "@$f/hello.txt" \
		-H 'Content-Type: text/plain'
	assert_error "creation with a body of another type: 415" 415 unsupported_media_type

	# Refused at completion: "audio" that does not decode. The upload goes.
	head -c 5000 /dev/urandom >"$f/noise.bin"
	tus_create tus "bad audio" 'Upload-Length: 5000' \
		-H "Upload-Metadata: kind $(tus_b64 audio),filetype $(tus_b64 audio/ogg)" || return
	snapshot
	tus_patch tus "$TUS_URL" 0 "$f/noise.bin"
	assert_error "the last chunk of audio that does not decode: 415" 415 unsupported_media_type
	assert_nothing_left "a refused completion leaves no input, no object"
	assert_true "a refused completion removes the upload" "still there" tus_file_gone "$TUS_ID"
	JAR=tus http HEAD "$TUS_URL" "${TUS_V[@]}"
	assert_status "HEAD after a refused completion: 404" 404
}

# Durability and concurrency --------------------------------------------------------------------

# tus_cut_off: a PATCH that stops mid-body (curl gives up after 1 s at 200 KB/s) keeps what arrived.
tus_cut_off_tests() {
	local f=$TUS_DIR u id size off
	head -c 1500000 /dev/urandom >"$f/cut.bin"
	size=$(size_of "$f/cut.bin")
	tus_create tus "cut-off" "Upload-Length: $size" || return
	u=$TUS_URL id=$TUS_ID
	curl -sS -o /dev/null -b "$OUT/jars/tus" -X PATCH "${TUS_V[@]}" "${TUS_OCT[@]}" -H 'Expect:' \
		-H 'Upload-Offset: 0' --data-binary "@$f/cut.bin" --limit-rate 200K --max-time 1 \
		"$BASE$u" 2>/dev/null
	# The app sees the end of the body once the web server gives up on the client; until then
	# it holds the upload, and an empty PATCH gets 423.
	for _ in $(seq 50); do
		off=$(tus_offset tus "$u")
		JAR=tus http PATCH "$u" "${TUS_V[@]}" "${TUS_OCT[@]}" -H "Upload-Offset: ${off:-0}" \
			-H 'Content-Length: 0'
		[ "$STATUS" = 204 ] && break
		sleep 0.2
	done
	off=$(tus_offset tus "$u")
	if [ "$SERVER" = apache ]; then
		assert_match "cut off: the offset is within the file (Apache buffers bodies)" \
			'^[0-9]+$' "$off"
	else
		assert_true "cut off: the bytes that arrived were kept (0 < $off < $size)" \
			"offset '$off'" test "${off:-0}" -gt 0 -a "${off:-0}" -lt "$size"
	fi
	slice "$f/cut.bin" "${off:-0}" $((size - ${off:-0})) >"$f/cut-rest"
	tus_patch tus "$u" "${off:-0}" "$f/cut-rest"
	assert_status "cut off: the resume from the kept offset completes: 204" 204
	tus_read_back tus "$id"
	assert_body_file "cut off and resumed: bit-exact" "$f/cut.bin"
}

# Two PATCHes at the same offset: a slow one (100 KB/s) and, once it streams, a fast one.
tus_concurrent_tests() {
	local f=$TUS_DIR u id size slow fast pid
	head -c 300000 /dev/urandom >"$f/slow.bin"
	head -c 300000 /dev/urandom >"$f/fast.bin"
	size=300000
	tus_create tus "concurrent" "Upload-Length: $size" || return
	u=$TUS_URL id=$TUS_ID
	curl -sS -o "$f/slow.out" -w '%{http_code}' -b "$OUT/jars/tus" -X PATCH "${TUS_V[@]}" \
		"${TUS_OCT[@]}" -H 'Expect:' -H 'Upload-Offset: 0' --data-binary "@$f/slow.bin" \
		--limit-rate 100K --max-time 20 "$BASE$u" >"$f/slow.status" 2>/dev/null &
	pid=$!
	sleep 0.7
	tus_patch tus "$u" 0 "$f/fast.bin"
	fast=$STATUS
	if [ "$SERVER" = apache ]; then
		# mod_fcgid hands the app a PATCH only once Apache has its whole body: the fast one
		# goes first, and the slow one, at the same offset, comes too late.
		assert_status "behind Apache the second, fast PATCH is the first the app sees: 204" 204
		wait "$pid"
		assert_eq "and the slow one then fails: 409" 409 "$(cat "$f/slow.status")"
		tus_read_back tus "$id"
		assert_body_file "only the fast PATCH's bytes" "$f/fast.bin"
		return
	fi
	assert_match "a second PATCH while the first streams: 423 (or 409)" '^(423|409)$' "$fast"
	assert_error "the second PATCH's error" "$fast" "locked|offset_mismatch"
	wait "$pid"
	slow=$(cat "$f/slow.status")
	if [ "$fast" = 423 ]; then
		assert_eq "the first PATCH finishes: 204" 204 "$slow"
		tus_read_back tus "$id"
		assert_body_file "only the first PATCH's bytes, not interleaved" "$f/slow.bin"
	else
		assert_match "one of the two PATCHes won" '^(204|409|423)$' "$slow"
		tus_read_back tus "$id"
		if cmp -s "$f/slow.bin" "$BODY" || cmp -s "$f/fast.bin" "$BODY"; then
			pass "the bytes of one PATCH only, not interleaved"
		else
			fail "the bytes of one PATCH only, not interleaved" "$BODY is neither"
		fi
	fi
}

# Servers of their own ----------------------------------------------------------------------------

# tus_with_server NAME FUNCTION VAR=VALUE...: FUNCTION against a server of its own (TUS_ENV
# holds its settings, for a restart).
tus_with_server() {
	local name=$1 fn=$2 main_base=$BASE main_data=$DATA data
	shift 2
	data=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-$name.XXXXXX")
	TUS_ENV=(MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" "$@")
	if ! server_start "$OUT/server-$name.log" "$data" "${TUS_ENV[@]}"; then
		fail "$name server" "did not start, see $OUT/server-$name.log"
		rm -rf "$data"
		return
	fi
	TUS_PID=$S_PID
	BASE=$S_BASE DATA=$data
	"$fn" "$name"
	server_stop "$TUS_PID"
	assert_eq "$name server stops with 0" 0 "$?"
	BASE=$main_base DATA=$main_data
	rm -rf "$data"
}

# Expiry: MEDIAGATE_TUS_EXPIRY=2, no periodic sweep (the command collects).
tus_expiry_tests() {
	local f=$TUS_DIR u id out orphan
	: >"$OUT/jars/tus-exp"
	tus_create tus-exp "expiry" 'Upload-Length: 100' || return
	u=$TUS_URL id=$TUS_ID
	tus_patch tus-exp "$u" 0 "$f/hello"
	assert_status "expiry: a chunk: 204" 204
	sleep 3
	JAR=tus-exp http HEAD "$u" "${TUS_V[@]}"
	assert_status "expired: HEAD 410" 410
	tus_patch tus-exp "$u" 5 "$f/world"
	assert_error "expired: PATCH 410" 410 upload_expired
	orphan=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
	printf 'no row' >"$DATA/uploads/$orphan"
	out=$(env MEDIAGATE_DATA_DIR="$DATA" "$BIN" gc 2>&1)
	assert_match "mediagate gc: the expired upload and the file without a row removed" \
		'uploads_removed=2' "$out"
	assert_true "expired and collected: file and row gone" "still there" tus_file_gone "$id"
	assert_true "a file without a row in uploads/ is collected" "still there" \
		test ! -e "$DATA/uploads/$orphan"
	JAR=tus-exp http HEAD "$u" "${TUS_V[@]}"
	assert_status "after collection: HEAD 404" 404
}

# Quotas and a restart: 2 inputs or uploads and 1 MiB per session.
tus_limits_tests() {
	local f=$TUS_DIR u id rest
	: >"$OUT/jars/tus-q"
	JAR=tus-q http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 1048577'
	assert_error "an Upload-Length over the session's byte quota: 413" 413 quota_exceeded
	tus_create tus-q "quota 1" 'Upload-Length: 600000' || return
	u=$TUS_URL id=$TUS_ID
	JAR=tus-q http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 600000'
	assert_error "uploads in progress count against the byte quota: 413" 413 quota_exceeded
	tus_create tus-q "quota 2" 'Upload-Defer-Length: 1' || return
	JAR=tus-q http POST /uploads "${TUS_V[@]}" -H 'Upload-Length: 10'
	assert_error "a third upload of a session of at most 2: 429" 429 quota_exceeded
	head -c 500000 /dev/urandom >"$f/q.bin"
	tus_patch tus-q "$TUS_URL" 0 "$f/q.bin"
	assert_error "a deferred upload past the quota's room: 413" 413 quota_exceeded
	JAR=tus-q http DELETE "$TUS_URL" "${TUS_V[@]}"

	# A restart keeps the upload in progress (the start-up cleanup is for tmp/ only).
	head -c 600000 /dev/urandom >"$f/restart.bin"
	slice "$f/restart.bin" 0 250000 >"$f/r1"
	tus_patch tus-q "$u" 0 "$f/r1"
	assert_status "before the restart: 250000 bytes" 204
	server_stop "$TUS_PID"
	if ! server_start "$OUT/server-$1-2.log" "$DATA" "${TUS_ENV[@]}"; then
		fail "restarted server" "did not start"
		return
	fi
	TUS_PID=$S_PID BASE=$S_BASE
	assert_eq "after the restart: the offset is kept" 250000 "$(tus_offset tus-q "$u")"
	slice "$f/restart.bin" 250000 350000 >"$f/r2"
	tus_patch tus-q "$u" 250000 "$f/r2"
	assert_status "after the restart: the rest completes" 204
	tus_read_back tus-q "$id"
	assert_body_file "after the restart: bit-exact" "$f/restart.bin"
}

test_tus() {
	TUS_DIR=$OUT/tus
	mkdir -p "$TUS_DIR"
	tus_core_tests
	tus_extension_tests
	tus_cut_off_tests
	tus_concurrent_tests
	tus_with_server tus-expiry tus_expiry_tests MEDIAGATE_TUS_EXPIRY=2 MEDIAGATE_GC_INTERVAL=1d
	tus_with_server tus-limits tus_limits_tests MEDIAGATE_SESSION_MAX_INPUTS=2 \
		MEDIAGATE_SESSION_MAX_BYTES=1M
}
