# test_offload.sh: offload (MEDIAGATE_OFFLOAD, README "Offload"): the web server sends the bytes
# of files on disk, after the app checked the token and decided status and headers.
#
# Proof that a read was offloaded, or not: the app's access-log line of the response (found by
# its X-Request-Id) says out=0 when the web server sent the body, out=N when the app did.
# The main server runs in the mode run.sh was given (OFFLOAD); the rest runs against a server of
# its own with OFFLOAD=1 (lighttpd: x-sendfile2, nginx: x-accel-redirect, Apache: x-sendfile),
# and on lighttpd one more with OFFLOAD=x-sendfile.

# access_out LOG: the out= field of the access-log line in LOG of the last response (by its
# X-Request-Id); the app writes it once the response is done, so wait a little for it.
access_out() {
	local id line='' _
	id=$(header X-Request-Id)
	[ -n "$id" ] || return 0
	for _ in $(seq 50); do
		line=$(grep -F " id=$id " "$1" | tail -n 1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	printf '%s' "$line" | sed -n 's/.* out=\([0-9]*\) .*/\1/p'
}

# expect_offloaded NAME LOG: the last response's body came from the web server (out=0).
expect_offloaded() { assert_eq "$1: sent by the web server (access log out=0)" 0 "$(access_out "$2")"; }

# expect_streamed NAME LOG BYTES: the app wrote the last response's BYTES body bytes itself.
expect_streamed() { assert_eq "$1: streamed by the app (access log out=$3)" "$3" "$(access_out "$2")"; }

# off_headers NAME: the headers the app must control reached the client, each exactly once.
off_headers() {
	local name=$1 h n
	for h in ETag Last-Modified Cache-Control Accept-Ranges Content-Disposition \
		Content-Security-Policy X-Content-Type-Options Referrer-Policy X-Request-Id Content-Type \
		Content-Length; do
		n=$(tr -d '\r' <"$HDRS" | grep -ic "^$h:")
		assert_eq "$name: $h once" 1 "$n"
	done
}

# off_main: the main server, in run.sh's mode: a stored file is offloaded exactly when OFFLOAD is on.
off_main() {
	new_session off >/dev/null
	upload off file "$M_BIN" || return
	http GET "$CONTENT_URL"
	assert_status "main server ($OFFLOAD_MODE): GET 200" 200
	assert_body_file "main server: the bytes" "$M_BIN"
	if [ "$OFFLOAD_MODE" = off ]; then
		expect_streamed "offload off: a stored file" "$OUT/server.log" "$(size_of "$M_BIN")"
	else
		expect_offloaded "offload on: a stored file" "$OUT/server.log"
	fi
}

# off_cases LOG MODE: against BASE, a server with offload MODE whose log is LOG.
off_cases() {
	local log=$1 mode=$2 size etag url pcm px n
	size=$(size_of "$M_BIN")
	new_session offc >/dev/null
	upload offc file "$M_BIN" || return
	url=$CONTENT_URL

	# A whole stored file.
	http GET "$url"
	assert_status "$mode: whole file: 200" 200
	assert_body_file "$mode: whole file: bytes" "$M_BIN"
	assert_eq "$mode: whole file: Content-Length" "$size" "$(header Content-Length)"
	expect_offloaded "$mode: whole file" "$log"
	off_headers "$mode: whole file"
	assert_match "$mode: whole file: attachment" '^attachment(;|$)' "$(header Content-Disposition)"
	assert_eq "$mode: whole file: CSP sandbox" "default-src 'none'; sandbox" \
		"$(header Content-Security-Policy)"
	assert_eq "$mode: whole file: no offload field reaches the client" "" \
		"$(tr -d '\r' <"$HDRS" | grep -iE '^x-(sendfile|sendfile2|accel-redirect):')"
	etag=$(header ETag)
	assert_eq "$mode: whole file: the app's ETag" "\"$(sha256_of "$M_BIN")\"" "$etag"
	cp "$HDRS" "$OUT/offload-get.headers"
	# HEAD (never offloaded: no body) has the offloaded GET's headers.
	http HEAD "$url"
	assert_eq "$mode: HEAD has the offloaded GET's headers" \
		"$(headers_normalised "$OUT/offload-get.headers" | grep -v '^connection:')" \
		"$(headers_normalised "$HDRS" | grep -v '^connection:')"

	# One range: offloaded with x-sendfile2 and x-accel-redirect; streamed with x-sendfile.
	http GET "$url" -H 'Range: bytes=1000-66535'
	assert_status "$mode: one range: 206" 206
	assert_eq "$mode: one range: Content-Range" "bytes 1000-66535/$size" "$(header Content-Range)"
	slice "$M_BIN" 1000 65536 >"$OUT/offload.expected"
	assert_body_file "$mode: one range: bytes" "$OUT/offload.expected"
	off_headers "$mode: one range"
	if [ "$mode" = x-sendfile ]; then
		expect_streamed "$mode: one range" "$log" 65536
	else
		expect_offloaded "$mode: one range" "$log"
	fi
	http GET "$url" -H 'Range: bytes=-10' -H "If-Range: $etag"
	assert_status "$mode: suffix range with If-Range: 206" 206
	slice "$M_BIN" $((size - 10)) 10 >"$OUT/offload.expected"
	assert_body_file "$mode: suffix range with If-Range: bytes" "$OUT/offload.expected"
	http GET "$url" -H 'Range: bytes=0-9' -H 'If-Range: "another"'
	assert_status "$mode: If-Range with another ETag: 200" 200
	assert_body_file "$mode: If-Range with another ETag: whole body" "$M_BIN"
	assert_eq "$mode: If-Range with another ETag: no Content-Range" "" "$(header Content-Range)"

	# Several ranges: multipart/byteranges, always from the app.
	http GET "$url" -H 'Range: bytes=0-9,100-109'
	assert_status "$mode: two ranges: 206" 206
	assert_match "$mode: two ranges: multipart" '^multipart/byteranges' "$(header Content-Type)"
	expect_streamed "$mode: two ranges" "$log" "$(size_of "$BODY")"

	# Conditionals are the app's: 304 and 412 as without offload.
	http GET "$url" -H "If-None-Match: $etag"
	assert_status "$mode: If-None-Match: 304" 304
	assert_empty_body "$mode: 304 has no body"
	http GET "$url" -H 'If-Match: "another"'
	assert_error "$mode: If-Match fails: 412" 412 precondition_failed
	http GET "$url" -H "If-Match: $etag"
	assert_status "$mode: If-Match holds: 200" 200
	assert_body_file "$mode: If-Match holds: bytes" "$M_BIN"
	http GET "$url" -H 'If-None-Match: "another"' -H 'If-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT'
	assert_status "$mode: If-None-Match another: 200" 200
	assert_body_file "$mode: If-None-Match another: bytes" "$M_BIN"
	http GET "$url" -H "Range: bytes=$size-"
	assert_error "$mode: unsatisfiable: 416" 416 range_not_satisfiable

	# The token is still checked on every request.
	http GET "${url%%token=*}token=${TOKEN:0:100}AAAAAAAAAAAAAAA"
	assert_error "$mode: a bad token: 403, no bytes" 403 token_invalid
	http GET "${url%%\?*}"
	assert_error "$mode: no token: 401" 401 token_missing
	# The web server's file location is not reachable from outside.
	http GET "/_mediagate_objects/${ID:0:2}/$ID"
	assert_true "$mode: the objects are not served directly" "got $STATUS with the file's bytes" \
		test "$STATUS" != 200 -a "$STATUS" != 206
	if cmp -s "$M_BIN" "$BODY"; then
		fail "$mode: the objects' bytes are not served directly" "the body is the file"
	else
		pass "$mode: the objects' bytes are not served directly"
	fi

	# Raw pixels: offloaded with their geometry headers.
	px=$OUT/offload-px.rgb
	head -c 36 /dev/urandom >"$px"   # 4 x 3 rgb
	if upload_raw offc "kind=image&format=rgb&width=4&height=3" "$px" application/octet-stream; then
		http GET "$CONTENT_URL"
		assert_body_file "$mode: raw pixels: bytes" "$px"
		expect_offloaded "$mode: raw pixels" "$log"
		assert_eq "$mode: raw pixels: X-Image-*" "4 3 rgb" \
			"$(header X-Image-Width) $(header X-Image-Height) $(header X-Image-Format)"
		# A derived file (objects/XY/ID.png) is offloaded too.
		http GET "$CONTENT_URL&format=png"
		assert_status "$mode: PNG of raw pixels: 200" 200
		assert_eq "$mode: PNG of raw pixels: image/png" image/png "$(header Content-Type)"
		cp "$BODY" "$OUT/offload-derived.png"
		http GET "$CONTENT_URL&format=png"
		expect_offloaded "$mode: PNG of raw pixels (made, then kept)" "$log"
		assert_body_file "$mode: PNG of raw pixels: the same bytes" "$OUT/offload-derived.png"
	fi

	# The decoded WAV of an Ogg upload (objects/XY/ID.wav, made at upload): offloaded.
	if upload offc audio "$M_OGG" audio/ogg; then
		http GET "$CONTENT_URL"
		assert_status "$mode: decoded WAV: 200" 200
		assert_eq "$mode: decoded WAV: audio/wav" audio/wav "$(header Content-Type)"
		assert_body_file "$mode: decoded WAV: the bytes of ID.wav" "$(object_path "$ID").wav"
		expect_offloaded "$mode: decoded WAV" "$log"
		# A conditional request that gets a 200: only x-sendfile2 hands it over (lighttpd does
		# not evaluate conditionals again there); the others' web servers would.
		http GET "$CONTENT_URL" -H 'If-None-Match: "x"'
		assert_body_file "$mode: decoded WAV, If-None-Match another: bytes" \
			"$(object_path "$ID").wav"
		if [ "$mode" = x-sendfile2 ]; then
			expect_offloaded "$mode: decoded WAV, If-None-Match another" "$log"
		else
			expect_streamed "$mode: decoded WAV, If-None-Match another" "$log" \
				"$(size_of "$BODY")"
		fi
	fi

	# Raw PCM: the WAV header is generated, so the app streams, whole or a range of the PCM.
	pcm=$OUT/offload.pcm
	head -c 40000 /dev/urandom >"$pcm"
	if upload_raw offc "kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=2" "$pcm" \
		application/octet-stream; then
		http GET "$CONTENT_URL"
		assert_status "$mode: PCM as WAV: 200" 200
		n=$(size_of "$BODY")
		assert_eq "$mode: PCM as WAV: header and PCM" 40044 "$n"
		expect_streamed "$mode: PCM as WAV (generated header)" "$log" 40044
		http GET "$CONTENT_URL" -H 'Range: bytes=100-199'
		slice "$pcm" 56 100 >"$OUT/offload.expected"
		assert_body_file "$mode: PCM range inside the PCM: bytes" "$OUT/offload.expected"
		expect_streamed "$mode: PCM range inside the PCM" "$log" 100
		http GET "$CONTENT_URL&format=original"
		assert_body_file "$mode: PCM as uploaded: bytes" "$pcm"
		expect_offloaded "$mode: PCM as uploaded (a stored file)" "$log"
	fi

	# An empty file has nothing to send.
	if upload offc file "$M_EMPTY"; then
		http GET "$CONTENT_URL"
		assert_status "$mode: empty file: 200" 200
		assert_eq "$mode: empty file: Content-Length 0" 0 "$(header Content-Length)"
		assert_empty_body "$mode: empty file: no bytes"
	fi
}

# off_server NAME OFFLOAD MODE: off_cases against a server of its own started with OFFLOAD.
off_server() {
	local name=$1 setting=$2 mode=$3 main_base=$BASE main_data=$DATA data
	data=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-$name.XXXXXX")
	if ! server_start "$OUT/server-$name.log" "$data" OFFLOAD="$setting" \
		MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD"; then
		fail "$name server" "did not start, see $OUT/server-$name.log"
		rm -rf "$data"
		return
	fi
	BASE=$S_BASE DATA=$data
	off_cases "$OUT/server-$name.log" "$mode"
	server_stop "$S_PID"
	assert_eq "$name server stops with 0" 0 "$?"
	BASE=$main_base DATA=$main_data
	rm -rf "$data"
}

test_offload() {
	case ${OFFLOAD:-0} in '' | 0 | no | off | none) OFFLOAD_MODE=off ;; *) OFFLOAD_MODE=on ;; esac
	off_main
	case $SERVER in
	nginx) off_server offload-nginx 1 x-accel-redirect ;;
	apache) off_server offload-apache 1 x-sendfile ;;
	*)
		off_server offload-lighttpd 1 x-sendfile2
		off_server offload-xsendfile x-sendfile x-sendfile
		;;
	esac
}
