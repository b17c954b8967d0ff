# test_growing.sh: issue 6, reading an input while it grows (README, "Reading an input while it
# grows"): a tus upload in progress read through a token, with a writer appending in real time.
#   - raw PCM by curl PATCHes, one second of audio a second, while a reader follows: the WAV
#     header declares the most a WAV can hold while it grows and the exact sizes after; the
#     follower's bytes after the header are the PCM; reads in the middle are 206 "bytes
#     A-B/*" equal to the prefix of the final file; 416, 400, 412 answers; the token keeps
#     working after completion;
#   - a WAV sent by `mediagate-put --real-time` while a reader follows: the reader receives
#     exactly the completed input's bytes;
#   - ownership (another session: 403 not_owner, another input's token: 403), 204 before any
#     byte, active content as an attachment, a terminated upload ends the follower's body;
#   - servers of their own: MEDIAGATE_FOLLOW_IDLE=2 ends an idle follow; a follower that leaves
#     frees its FastCGI process (at once behind nginx; behind lighttpd at the next bytes), and
#     SIGTERM during a follow stops the app promptly.

GROW_DIR=''   # scratch files: $OUT/growing
GROW_TUS=(-H 'Tus-Resumable: 1.0.0')
GROW_OCT=(-H 'Content-Type: application/offset+octet-stream')
# The data size a growing s16 mono WAV declares: the most whole 2-byte frames a RIFF file holds.
GROW_WAV_MAX=$(((4294967295 - 36) - (4294967295 - 36) % 2))

# grow_b64 TEXT: an Upload-Metadata value.
grow_b64() { printf '%s' "$1" | base64 -w0; }

# grow_create JAR NAME LENGTH-HEADER [METADATA]: POST /uploads; sets GROW_URL and GROW_ID, 0 on 201.
grow_create() {
	local jar=$1 name=$2 len=$3 meta=${4:-}
	GROW_URL='' GROW_ID=''
	if [ -n "$meta" ]; then
		JAR=$jar http POST /uploads "${GROW_TUS[@]}" -H "$len" -H "Upload-Metadata: $meta"
	else
		JAR=$jar http POST /uploads "${GROW_TUS[@]}" -H "$len"
	fi
	if [ "$STATUS" != 201 ]; then
		fail "$name: creation 201" "$(last_response)"
		return 1
	fi
	GROW_URL=$(header Location)
	GROW_ID=${GROW_URL##*/}
}

# grow_patch JAR URL OFFSET FILE [CURL ARGS...]: PATCH FILE's bytes at OFFSET.
grow_patch() {
	local jar=$1 url=$2 offset=$3 file=$4
	shift 4
	JAR=$jar http PATCH "$url" "${GROW_TUS[@]}" "${GROW_OCT[@]}" -H "Upload-Offset: $offset" \
		--data-binary "@$file" "$@"
}

# grow_token JAR ID NAME: POST /inputs/ID/tokens with JAR's cookie; sets GROW_CURL (content_url).
grow_token() {
	JAR=$1 http POST "/inputs/$2/tokens"
	GROW_CURL=$(json .content_url)
	assert_status "$3: a token for the upload in progress: 201" 201
}

# follow_start NAME URL [CURL ARGS...]: GET URL&follow=1 in the background into $GROW_DIR/NAME
# (.body, .headers; .status gets "CODE SECONDS" at the end). Sets FOLLOW_PID.
follow_start() {
	local name=$1 url=$2
	shift 2
	rm -f "$GROW_DIR/$name".*
	curl -sS -N -g --max-time 60 -D "$GROW_DIR/$name.headers" -o "$GROW_DIR/$name.body" \
		-w '%{http_code} %{time_total}' "$@" "$BASE$url&follow=1" \
		>"$GROW_DIR/$name.status" 2>"$GROW_DIR/$name.err" &
	FOLLOW_PID=$!
}

# follow_wait NAME: wait for the follower; sets FOLLOW_STATUS and FOLLOW_S (seconds).
follow_wait() {
	wait "$FOLLOW_PID" 2>/dev/null
	FOLLOW_STATUS='' FOLLOW_S=''
	read -r FOLLOW_STATUS FOLLOW_S <"$GROW_DIR/$1.status" || true   # no newline at its end
	FOLLOW_STATUS=${FOLLOW_STATUS:-000}
	: >>"$GROW_DIR/$1.body"
}

# follow_header NAME FIELD: a header of a follower's response (as header does).
follow_header() { HDRS=$GROW_DIR/$1.headers header "$2"; }

# size_at_least FILE N: FILE exists and holds at least N bytes.
size_at_least() { [ -f "$1" ] && [ "$(size_of "$1")" -ge "$2" ]; }

# grow_wait SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds or time is up.
grow_wait() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

# seconds_between A B LOW HIGH: LOW <= B - A <= HIGH (decimals).
seconds_between() { awk -v a="$1" -v b="$2" -v l="$3" -v h="$4" 'BEGIN { d = b - a; exit !(d >= l && d <= h) }'; }

# Raw PCM, curl PATCHes one second apart ---------------------------------------------------------

grow_pcm_tests() {
	local f=$GROW_DIR pcm=$GROW_DIR/tone.pcm meta url id i exp_hdr t0 b
	sox -n -r 16000 -c 1 -b 16 -e signed -t raw "$pcm" synth 5 sine 440 2>/dev/null
	for i in 0 1 2 3 4; do slice "$pcm" $((i * 32000)) 32000 >"$f/second.$i"; done
	new_session grow
	meta="kind $(grow_b64 audio),format $(grow_b64 pcm_s16le),sampling_rate $(grow_b64 16000)"
	meta+=",num_channels $(grow_b64 1),filename $(grow_b64 tone.pcm)"
	grow_create grow "pcm" 'Upload-Length: 160000' "$meta" || return
	url=$GROW_URL id=$GROW_ID
	grow_token grow "$id" "pcm"
	assert_eq "pcm: the token's answer says growing" growing "$(json .state)"
	assert_match "pcm: its content_url names the input to be" \
		"^${MOUNT}/inputs/$id/content\\?token=[A-Za-z0-9_.-]+\$" "$GROW_CURL"
	local curl=$GROW_CURL token=${GROW_CURL##*token=}

	http GET "/inputs/$id?token=$token"
	assert_status "pcm: GET /inputs/ID with the token: 200" 200
	jfields "$BODY" .state .offset .length .kind .content_type .filename
	assert_eq "pcm: its JSON: growing, offset 0, length, kind, type, filename" \
		"growing 0 160000 audio application/octet-stream tone.pcm" "${JF[*]}"
	JAR=grow http GET "/inputs/$id"
	assert_eq "pcm: GET /inputs/ID with the owner's cookie: growing" "200 growing" \
		"$STATUS $(json .state)"

	# Nothing durable yet: the WAV header alone, declaring the most a WAV can hold.
	http GET "$curl"
	assert_status "pcm: before any byte: 206" 206
	assert_header "pcm: Content-Range of the header alone, complete length unknown" \
		Content-Range 'bytes 0-43/*'
	assert_header "pcm: served as audio/wav" Content-Type audio/wav
	assert_header "pcm: Cache-Control: no-store" Cache-Control no-store
	assert_eq "pcm: no ETag or Last-Modified (the representation changes)" "" \
		"$(header ETag)$(header Last-Modified)"
	assert_header "pcm: inline, named .wav" Content-Disposition \
		"inline; filename=\"tone.wav\"; filename*=UTF-8''tone.wav"
	assert_eq "pcm: the growing WAV header declares the maximum sizes" \
		"$(wav_header_expected 1 1 16000 2 "$GROW_WAV_MAX")" "$(wav_header_fields "$BODY")"
	cp "$BODY" "$f/max-header"
	http HEAD "$curl"
	assert_eq "pcm: HEAD: 206 with the same Content-Range, no body" "206 bytes 0-43/* 0" \
		"$STATUS $(header Content-Range) $(size_of "$BODY")"

	follow_start pcm "$curl"
	t0=$(date +%s.%N)
	for i in 0 1 2 3 4; do
		grow_patch grow "$url" $((i * 32000)) "$f/second.$i"
		assert_status "pcm: second $i: PATCH 204" 204
		b=$((44 + (i + 1) * 32000))
		assert_true "pcm: second $i: the follower has it within 2 s (streamed as it comes)" \
			"$(size_of "$f/pcm.body" 2>/dev/null) of $b bytes" \
			grow_wait 2 size_at_least "$f/pcm.body" "$b"
		if [ "$i" = 1 ]; then
			cat "$f/max-header" "$f/second.0" "$f/second.1" >"$f/prefix-2s"
			http GET "$curl"
			assert_eq "pcm: mid-way: 206 bytes 0-64043/*" "206 bytes 0-64043/*" \
				"$STATUS $(header Content-Range)"
			assert_body_file "pcm: mid-way: the durable prefix of the final WAV" "$f/prefix-2s"
			http GET "$curl" -H 'Range: bytes=1000-1999'
			assert_eq "pcm: mid-way Range: 206 bytes 1000-1999/*" "206 bytes 1000-1999/*" \
				"$STATUS $(header Content-Range)"
			slice "$f/prefix-2s" 1000 1000 >"$f/range-1000"
			assert_body_file "pcm: mid-way Range: those bytes" "$f/range-1000"
			http GET "$curl" -H 'Range: bytes=-100'
			assert_eq "pcm: a suffix range: the last 100 durable bytes" \
				"206 bytes 63944-64043/*" "$STATUS $(header Content-Range)"
			http GET "$curl" -H 'Range: bytes=64044-'
			assert_error "pcm: a range starting past the durable bytes: 416" 416 \
				range_not_satisfiable
			assert_eq "pcm: the 416 has no Content-Range (the length is unknown)" "" \
				"$(header Content-Range)"
			http GET "$curl" -H 'Range: bytes=0-9, 20-29'
			assert_eq "pcm: several ranges are ignored: all durable bytes" \
				"206 bytes 0-64043/*" "$STATUS $(header Content-Range)"
			http GET "$curl" -H 'If-Match: "abc"'
			assert_error "pcm: If-Match with an entity-tag: 412 (there is none)" 412 \
				precondition_failed
			http GET "$curl&format=png"
			assert_error "pcm: format=png while growing: 400" 400 bad_request
			http GET "$curl&sampling_rate=8000"
			assert_error "pcm: resampling while growing: 400" 400 bad_request
			http GET "$curl&sampling_rate=16000&num_channels=1"
			assert_status "pcm: its own rate and channels: 206" 206
			http GET "$curl&format=original" -H 'Range: bytes=0-3'
			assert_eq "pcm: format=original: the PCM as sent" \
				"206 $(slice "$pcm" 0 4 | od -An -tx1 | tr -d ' ')" \
				"$STATUS $(od -An -tx1 "$BODY" | tr -d ' ')"
			http GET "$curl&follow=2"
			assert_error "pcm: follow=2: 400" 400 bad_request
		fi
		[ "$i" = 4 ] || sleep 1
	done
	follow_wait pcm
	assert_eq "pcm: the follower got 200" 200 "$FOLLOW_STATUS"
	assert_true "pcm: the follow ended with the upload (${FOLLOW_S} s)" "${FOLLOW_S} s" \
		seconds_between 0 "$FOLLOW_S" 3.5 8
	assert_eq "pcm: the follow has no Content-Length, Cache-Control: no-store" " no-store" \
		"$(follow_header pcm Content-Length) $(follow_header pcm Cache-Control)"
	assert_eq "pcm: the follower's header declares the maximum sizes" \
		"$(wav_header_expected 1 1 16000 2 "$GROW_WAV_MAX")" "$(wav_header_fields "$f/pcm.body")"
	tail -c +45 "$f/pcm.body" >"$f/followed.pcm"
	assert_true "pcm: the follower's bytes after the header are the PCM" \
		"$(cmp "$pcm" "$f/followed.pcm" 2>&1)" cmp -s "$pcm" "$f/followed.pcm"

	# Complete: the same token reads the ordinary PCM-as-WAV, exact sizes.
	http GET "$curl"
	assert_status "pcm: complete: the same token reads it: 200" 200
	assert_eq "pcm: complete: the header has the exact sizes" \
		"$(wav_header_expected 1 1 16000 2 160000)" "$(wav_header_fields "$BODY")"
	tail -c +45 "$BODY" >"$f/final.pcm"
	assert_true "pcm: complete: then the PCM" "differs" cmp -s "$pcm" "$f/final.pcm"
	assert_match "pcm: complete: a strong ETag again" '^"[0-9a-f]{64}-wav"$' "$(header ETag)"
	http GET "$curl&follow=1"
	assert_eq "pcm: follow=1 on a complete input: a plain 200 with its length" "200 160044" \
		"$STATUS $(header Content-Length)"
	http GET "/inputs/$id?token=$token"
	assert_eq "pcm: complete: GET /inputs/ID is the input's JSON" " 160000" \
		"$(json .state) $(json .size)"
}

# One long PATCH whose body arrives a piece a second: its bytes are recorded every second, and a
# follower sees them before the PATCH ends (mod_fcgid reads whole bodies first: not Apache).
grow_stream_tests() {
	local f=$GROW_DIR url pid i
	if [ "$SERVER" = apache ]; then
		skip "stream: a long PATCH read while it streams" "mod_fcgid buffers request bodies"
		return
	fi
	head -c $((4 * 32768)) /dev/urandom >"$f/long-patch.bin"
	new_session grow-stream
	grow_create grow-stream "stream" "Upload-Length: $((4 * 32768))" || return
	url=$GROW_URL
	grow_token grow-stream "$GROW_ID" "stream"
	follow_start stream "$GROW_CURL"
	for i in 0 1 2 3; do
		slice "$f/long-patch.bin" $((i * 32768)) 32768
		sleep 1
	done | curl -sS -X PATCH -b "$OUT/jars/grow-stream" "${GROW_TUS[@]}" "${GROW_OCT[@]}" \
		-H 'Upload-Offset: 0' -H "Content-Length: $((4 * 32768))" -H 'Expect:' \
		-H 'Transfer-Encoding:' -T - \
		-o /dev/null -w '%{http_code}' "$BASE$url" >"$f/long-patch.status" 2>&1 &
	pid=$!
	assert_true "stream: the follower has the first second's bytes while the PATCH goes on" \
		"$(size_of "$f/stream.body" 2>/dev/null) bytes, PATCH: $(cat "$f/long-patch.status")" \
		eval 'grow_wait 3 size_at_least "$f/stream.body" 32768 && kill -0 "$pid" 2>/dev/null'
	wait "$pid"
	assert_eq "stream: the PATCH: 204" 204 "$(cat "$f/long-patch.status")"
	follow_wait stream
	assert_true "stream: the follower received the whole body" \
		"$(cmp "$f/long-patch.bin" "$f/stream.body" 2>&1)" cmp -s "$f/long-patch.bin" "$f/stream.body"
}

# A WAV from mediagate-put --real-time ---------------------------------------------------------

# grow_upload_of SESSION: the id of SESSION's upload in progress, in GROW_ID; 1 when it has none.
grow_upload_of() {
	GROW_ID=$(db "SELECT id FROM uploads WHERE session_id = '$1'")
	[ -n "$GROW_ID" ]
}

grow_cli_tests() {
	local f=$GROW_DIR wav=$GROW_DIR/four.wav cli=${MG_CLI:-$ROOT/build/mediagate-put} cookie
	local pid rc id
	if [ ! -x "$cli" ]; then
		fail "cli: mediagate-put is built" "$cli is missing (make build/mediagate-put)"
		return
	fi
	sox -n -r 16000 -c 1 -b 16 "$wav" synth 4 sine 300 2>/dev/null
	new_session grow-cli
	cookie=$(awk '$6 == "mg_session" { print $7 }' "$OUT/jars/grow-cli")
	"$cli" --server "$BASE$MOUNT" --session-cookie "$cookie" --real-time --quiet --no-resume \
		--kind audio "$wav" >"$f/cli.out" 2>"$f/cli.err" &
	pid=$!
	if ! grow_wait 5 grow_upload_of "$cookie"; then
		fail "cli: the upload appears" "no upload row for the session; $(head -c 300 "$f/cli.err")"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	id=$GROW_ID
	grow_token grow-cli "$id" "cli"
	follow_start cli "$GROW_CURL"
	sleep 1.5
	http GET "$GROW_CURL"
	assert_match "cli: a read in the middle: 206 bytes 0-B/*" '^206 bytes 0-[0-9]+/\*$' \
		"$STATUS $(header Content-Range)"
	assert_true "cli: it is a prefix of the file, shorter than it" \
		"$(size_of "$BODY") of $(size_of "$wav") bytes" \
		eval '[ "$(size_of "$BODY")" -lt "$(size_of "$wav")" ] && cmp -s -n "$(size_of "$BODY")" "$BODY" "$wav"'
	wait "$pid"
	rc=$?
	assert_eq "cli: mediagate-put --real-time exits 0" 0 "$rc"
	follow_wait cli
	assert_eq "cli: the follower got 200, no ETag (it began while growing)" "200 " \
		"$FOLLOW_STATUS $(follow_header cli ETag)"
	http GET "$GROW_CURL"
	assert_status "cli: the completed input: 200" 200
	assert_true "cli: the follower received exactly the completed input's bytes" \
		"$(cmp "$BODY" "$f/cli.body" 2>&1)" cmp -s "$BODY" "$f/cli.body"
	assert_body_file "cli: which are the WAV sent" "$wav"
}

# Ownership, nothing yet, active content, termination -----------------------------------------

grow_owner_tests() {
	local f=$GROW_DIR url id id2 curl token meta
	new_session grow-a
	new_session grow-b
	meta="kind $(grow_b64 file),filetype $(grow_b64 text/html),filename $(grow_b64 page.html)"
	grow_create grow-a "owner" 'Upload-Defer-Length: 1' "$meta" || return
	url=$GROW_URL id=$GROW_ID
	grow_create grow-a "owner 2" 'Upload-Defer-Length: 1' || return
	id2=$GROW_ID
	JAR=grow-b http POST "/inputs/$id/tokens"
	assert_error "another session's upload: POST tokens 403" 403 not_owner
	JAR=grow-b http GET "/inputs/$id"
	assert_error "another session's upload: GET /inputs/ID 403" 403 not_owner
	http POST "/inputs/$id/tokens"
	assert_error "no cookie: POST tokens 401" 401 session_required
	grow_token grow-a "$id" "owner"
	curl=$GROW_CURL token=${GROW_CURL##*token=}
	http GET "/inputs/$id2/content?token=$token"
	assert_error "a token of another upload: 403" 403 token_wrong_input
	http GET "/inputs/$id/content?token=$(token_flip "$token" m 3 1)"
	assert_error "a forged token: 403" 403 token_invalid

	http GET "$curl"
	assert_eq "nothing durable yet: 204, no-store, no body" "204 no-store 0" \
		"$STATUS $(header Cache-Control) $(size_of "$BODY")"
	printf '<html><script>alert(1)</script></html>' >"$f/page.html"
	grow_patch grow-a "$url" 0 "$f/page.html"
	http GET "$curl"
	assert_eq "growing HTML: 206 as an application/octet-stream attachment" \
		"206 application/octet-stream attachment" \
		"$STATUS $(header Content-Type) $(header Content-Disposition | cut -d';' -f1)"
	assert_header "growing HTML: under the CSP sandbox" Content-Security-Policy \
		"default-src 'none'; sandbox"
	assert_body_file "growing HTML: its bytes" "$f/page.html"
	JAR=grow-a http DELETE "/inputs/$id"
	assert_error "DELETE /inputs/ID of an upload in progress: 404 (DELETE /uploads/ID ends it)" \
		404 not_found

	# Termination ends a follower's body: it has what was durable.
	follow_start term "$curl"
	grow_wait 3 size_at_least "$f/term.body" "$(size_of "$f/page.html")"
	JAR=grow-a http DELETE "$url" "${GROW_TUS[@]}"
	assert_status "terminated with DELETE /uploads/ID: 204" 204
	follow_wait term
	assert_true "a terminated upload ends the follow soon (${FOLLOW_S} s)" "${FOLLOW_S} s" \
		seconds_between 0 "$FOLLOW_S" 0 4
	assert_eq "the follower got 200 and the durable bytes" "200 $(size_of "$f/page.html")" \
		"$FOLLOW_STATUS $(size_of "$f/term.body")"
	http GET "$curl"
	assert_error "after termination the token finds nothing: 404" 404 not_found
}

# Servers of their own ---------------------------------------------------------------------------

# grow_with_server NAME FUNCTION VAR=VALUE...: FUNCTION NAME against a server of its own
# (PROCS from the caller's environment). GROW_PID is its deploy script.
grow_with_server() {
	local name=$1 fn=$2 main_base=$BASE main_data=$DATA data
	shift 2
	data=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-$name.XXXXXX")
	if ! server_start "$OUT/server-$name.log" "$data" "$@"; then
		fail "$name server" "did not start, see $OUT/server-$name.log"
		rm -rf "$data"
		return
	fi
	GROW_PID=$S_PID
	BASE=$S_BASE DATA=$data
	"$fn" "$name"
	if [ -n "$GROW_PID" ]; then
		server_stop "$GROW_PID"
		assert_eq "$name server stops with 0" 0 "$?"
	fi
	BASE=$main_base DATA=$main_data
	rm -rf "$data"
}

# MEDIAGATE_FOLLOW_IDLE=2, one FastCGI process.
grow_idle_tests() {
	local f=$GROW_DIR
	new_session grow-idle
	grow_create grow-idle "idle" 'Upload-Defer-Length: 1' || return
	printf 'hello' >"$f/hello"
	grow_patch grow-idle "$GROW_URL" 0 "$f/hello"
	grow_token grow-idle "$GROW_ID" "idle"
	follow_start idle "$GROW_CURL"
	follow_wait idle
	assert_eq "idle: the follower got 200 and the durable bytes" "200 hello" \
		"$FOLLOW_STATUS $(cat "$f/idle.body")"
	assert_true "idle: it ended after MEDIAGATE_FOLLOW_IDLE=2 s (${FOLLOW_S} s)" "${FOLLOW_S} s" \
		seconds_between 0 "$FOLLOW_S" 1.8 5
	http GET /healthz
	assert_status "idle: the process serves again" 200
}

# follow_logged ID: the access log of the server under test has the follow of ID's line.
follow_logged() {
	grep -q "route=/inputs/{id}/content path=${MOUNT}/inputs/$1/content status=200 " \
		"$OUT/server-$GROW_NAME.log"
}

# A follower that leaves, and a stop during a follow; MEDIAGATE_FOLLOW_IDLE=30.
grow_gone_tests() {
	local f=$GROW_DIR url t0 t1 rc
	GROW_NAME=$1
	new_session grow-gone
	grow_create grow-gone "gone" 'Upload-Defer-Length: 1' || return
	url=$GROW_URL
	printf 'hello' >"$f/hello"
	grow_patch grow-gone "$url" 0 "$f/hello"
	grow_token grow-gone "$GROW_ID" "gone"
	curl -sS -N --max-time 1 -o "$f/gone.body" "$BASE$GROW_CURL&follow=1" 2>/dev/null
	assert_eq "gone: the client took the durable bytes, then left" hello "$(cat "$f/gone.body")"
	if [ "$SERVER" = nginx ]; then
		# nginx closes the FastCGI connection as soon as its client goes.
		assert_true "gone: nginx: the follow ends at once (its access-log line)" \
			"no line in $OUT/server-$1.log" grow_wait 2 follow_logged "$GROW_ID"
	fi
	# lighttpd keeps a half-closed client until a write to it fails: the next bytes do.
	grow_patch grow-gone "$url" 5 "$f/hello"
	sleep 0.5
	grow_patch grow-gone "$url" 10 "$f/hello"
	assert_true "gone: the follow ends by the next bytes (its access-log line)" \
		"no line in $OUT/server-$1.log" grow_wait 3 follow_logged "$GROW_ID"

	# SIGTERM while a follower waits: the app stops promptly, the follower's body ends.
	follow_start stop "$GROW_CURL"
	grow_wait 3 size_at_least "$f/stop.body" 15
	t0=$(date +%s.%N)
	server_stop "$GROW_PID"
	rc=$?
	t1=$(date +%s.%N)
	GROW_PID=''
	assert_eq "stop: the server stops with 0 during a follow" 0 "$rc"
	assert_true "stop: within 5 s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s" \
		seconds_between "$t0" "$t1" 0 5
	follow_wait stop
	assert_eq "stop: the follower had the 15 durable bytes" 15 "$(size_of "$f/stop.body")"
}

test_growing() {
	GROW_DIR=$OUT/growing
	mkdir -p "$GROW_DIR"
	grow_pcm_tests
	grow_stream_tests
	grow_cli_tests
	grow_owner_tests
	PROCS=1 grow_with_server grow-idle grow_idle_tests MEDIAGATE_FOLLOW_IDLE=2
	PROCS=2 grow_with_server grow-gone grow_gone_tests MEDIAGATE_FOLLOW_IDLE=30
}
