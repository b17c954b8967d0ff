# test_gc.sh: issue 4, the garbage collector and the quotas, each against servers of their own.
#   - `mediagate gc` (server gc-cmd: sessions of 2 s, no periodic sweep to compete with it):
#     an expired session's inputs, files and derived files (decoded WAV, PNG of raw pixels)
#     go; planted orphans older than the guard go, younger ones and names not ours stay; after
#     the tombstone time (MEDIAGATE_TOKEN_TTL_MAX) the rows go; a second run finds nothing.
#   - the periodic sweep (server gc-sweep: MEDIAGATE_GC_INTERVAL=1) does the same after a
#     request, without the command.
#   - quotas (server quota: 3 inputs, 1 MiB per session): 429 and 413 quota_exceeded, decided
#     from Content-Length, while streaming, and chunked; nothing stored; a DELETE frees room.

GC_DIR=''   # scratch files: $OUT/gc

# gc_new_id: a fresh id of the store's shape (22 base64url characters).
gc_new_id() { head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22; }

# gc_plant ID [AGE]: an object file for ID with no row, its mtime AGE ago (touch -d) when given.
gc_plant() {
	local p
	p=$(object_path "$1")
	mkdir -p "$(dirname "$p")"
	printf 'planted orphan' >"$p"
	[ -z "${2:-}" ] || touch -d "$2 ago" "$p"
}

# gc_run: `mediagate gc` on DATA with the gc-cmd server's settings; GC_OUT its output, GC_RC.
gc_run() {
	GC_OUT=$(env MEDIAGATE_DATA_DIR="$DATA" MEDIAGATE_TOKEN_TTL=2 MEDIAGATE_TOKEN_TTL_MAX=3 \
		"$BIN" gc 2>"$GC_DIR/gc.err")
	GC_RC=$?
}

# gc_count KEY: the number KEY=N in GC_OUT ("" when absent).
gc_count() { printf '%s' "$GC_OUT" | grep -oE "(^| )$1=[0-9]+" | cut -d= -f2; }

# wait_expired SESSION: until the store's clock is past the session's expires_at.
wait_expired() {
	local exp
	exp=$(db "SELECT expires_at FROM sessions WHERE id = '$1'")
	[ -n "$exp" ] || return 1
	while [ "$(now)" -lt "$exp" ]; do sleep 0.2; done
}

# wait_until SECONDS COMMAND...: poll COMMAND (every 0.2 s) until it succeeds or time is up.
wait_until() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	"$@"
}

# gc_tombstones: "TOMBSTONED_INPUTS ENDED" for session G_SES.
gc_tombstones() {
	db "SELECT (SELECT count(*) FROM inputs WHERE session_id = '$G_SES' AND deleted_at IS NOT NULL)
		|| ' ' || (SELECT count(*) FROM sessions WHERE id = '$G_SES' AND ended_at IS NOT NULL)"
}

# gone FILE...: none of the files exists.
gone() {
	local f
	for f in "$@"; do [ ! -e "$f" ] || return 1; done
}

# gc_setup JAR: uploads into a new session of JAR: an Ogg (decoded WAV made at upload), raw rgb
# pixels read back as PNG (made on that read). Sets G_OGG G_OGG_TOKEN G_RGB G_SES; 1 when
# something failed.
gc_setup() {
	local jar=$1
	: >"$OUT/jars/$jar"
	upload "$jar" audio "$M_OGG" audio/ogg || return 1
	G_OGG=$ID G_OGG_TOKEN=$TOKEN
	upload_raw "$jar" "kind=image&format=rgb&width=4&height=2" "$GC_DIR/px.rgb" \
		application/octet-stream || return 1
	G_RGB=$ID
	http GET "$CONTENT_URL&format=png"
	assert_status "$jar: raw rgb read as PNG: 200" 200
	G_SES=$(db "SELECT session_id FROM inputs WHERE id = '$G_OGG'")
	assert_eq "$jar: both inputs in one session" "$G_SES" \
		"$(db "SELECT session_id FROM inputs WHERE id = '$G_RGB'")"
	assert_true "$jar: Ogg object and its decoded WAV exist" "missing under $DATA/objects" \
		test -f "$(object_path "$G_OGG")" -a -f "$(object_path "$G_OGG").wav"
	assert_true "$jar: rgb object and its PNG exist" "missing under $DATA/objects" \
		test -f "$(object_path "$G_RGB")" -a -f "$(object_path "$G_RGB").png"
}

# The command ----------------------------------------------------------------------------------

gc_command_tests() {
	local old young old_wav live_id='' live_exp=0 ended=1 inputs=2 files=4 foreign
	gc_setup cmd || return
	old=$(gc_new_id) young=$(gc_new_id) old_wav=$(gc_new_id)
	gc_plant "$old" '2 hours'
	gc_plant "$old_wav.wav" '2 hours'   # a derived file's name: objects/XY/ID.wav
	gc_plant "$young"
	foreign=$DATA/objects/${old:0:2}/notes.txt
	printf 'not ours' >"$foreign"
	touch -d '2 hours ago' "$foreign"

	wait_expired "$G_SES" || fail "gc command: session expiry" "no session row for $G_OGG"
	# A session made now is live: the command must leave it alone.
	: >"$OUT/jars/cmd-live"
	if upload_raw cmd-live "kind=file" "$M_TEXT" text/plain; then
		live_id=$ID
		live_exp=$(db "SELECT s.expires_at FROM sessions s JOIN inputs i ON i.session_id = s.id
			WHERE i.id = '$live_id'")
	fi
	gc_run
	# On a slow machine (valgrind) that 2 s session may have expired before the command ended.
	if [ -n "$live_id" ] && [ "$(now)" -ge "${live_exp:-0}" ]; then
		skip "gc command: a live session is kept" "it expired before the command ended"
		live_id='' ended='1|2' inputs='2|3' files='4|5'
	fi
	assert_eq "gc command: exit status 0" 0 "$GC_RC"
	assert_match "gc command: prints what it removed" '^mediagate gc: sessions_ended=' "$GC_OUT"
	assert_match "gc command: 1 session ended" "^($ended)\$" "$(gc_count sessions_ended)"
	assert_match "gc command: its 2 inputs deleted" "^($inputs)\$" "$(gc_count inputs_deleted)"
	assert_match "gc command: 4 files removed (2 objects, WAV, PNG)" "^($files)\$" \
		"$(gc_count files_removed)"
	assert_eq "gc command: 2 old orphans removed" 2 "$(gc_count orphans_removed)"
	assert_eq "gc command: no row removed yet" "0 0" \
		"$(gc_count input_rows) $(gc_count session_rows)"
	assert_true "gc command: Ogg object and WAV gone" "still there" \
		gone "$(object_path "$G_OGG")" "$(object_path "$G_OGG").wav"
	assert_true "gc command: rgb object and PNG gone" "still there" \
		gone "$(object_path "$G_RGB")" "$(object_path "$G_RGB").png"
	assert_true "gc command: old orphan gone" "still there" gone "$(object_path "$old")"
	assert_true "gc command: old orphan derived file gone" "still there" \
		gone "$DATA/objects/${old_wav:0:2}/$old_wav.wav"
	assert_true "gc command: young orphan kept (an upload may be committing it)" "removed" \
		test -f "$(object_path "$young")"
	assert_true "gc command: a name that is not an id kept" "removed" test -f "$foreign"
	if [ -n "$live_id" ]; then
		assert_true "gc command: a live session's object kept" "removed" \
			test -f "$(object_path "$live_id")"
		assert_eq "gc command: a live session's row kept" "" \
			"$(db "SELECT deleted_at FROM inputs WHERE id = '$live_id'")"
	fi
	assert_eq "gc command: the rows are tombstones (410 until the tokens expire)" "2 1" \
		"$(gc_tombstones)"
	http GET "/inputs/$G_OGG/content?token=$G_OGG_TOKEN"
	assert_error "gc command: a read of a collected input: 410" 410 \
		"token_expired|session_ended|input_deleted"

	gc_run
	assert_eq "gc command again: exit 0" 0 "$GC_RC"
	assert_eq "gc command again: nothing more (idempotent)" "0 0 0 0" \
		"$(gc_count sessions_ended) $(gc_count files_removed) $(gc_count orphans_removed) $(
			gc_count input_rows)"

	# After MEDIAGATE_TOKEN_TTL_MAX (3 s) the tombstones go too.
	sleep 4
	gc_run
	assert_eq "gc command after the tombstone time: exit 0" 0 "$GC_RC"
	assert_eq "gc command after the tombstone time: 2 input rows, 1 session row" "2 1" \
		"$(gc_count input_rows) $(gc_count session_rows)"
	assert_eq "gc command after the tombstone time: no row of the session left" "0 0" \
		"$(db "SELECT count(*) FROM inputs WHERE session_id = '$G_SES'") $(
			db "SELECT count(*) FROM sessions WHERE id = '$G_SES'")"
	assert_eq "gc command: nothing left in tmp/" "" "$(find "$DATA/tmp" -mindepth 1 | head -n 3)"
}

# The periodic sweep ---------------------------------------------------------------------------

# gc_log_sum LOG KEY...: each KEY's sum over the log's "gc: KEY=N ..." lines, space-separated.
gc_log_sum() {
	local log=$1 k out=''
	shift
	for k in "$@"; do
		out+="${out:+ }$(grep -oE "gc: .*" "$log" | grep -oE "(^| )$k=[0-9]+" | cut -d= -f2 |
			awk '{ s += $1 } END { print s + 0 }')"
	done
	printf '%s' "$out"
}

sweep_gone() {
	http GET /healthz
	gone "$(object_path "$G_OGG")" "$(object_path "$G_OGG").wav" "$(object_path "$G_RGB")" \
		"$(object_path "$G_RGB").png"
}

sweep_rows_gone() {
	http GET /healthz
	[ "$(db "SELECT count(*) FROM inputs WHERE session_id = '$G_SES'")" = 0 ]
}

gc_sweep_tests() {
	gc_setup sweep || return
	wait_expired "$G_SES" || fail "sweep: session expiry" "no session row for $G_OGG"
	sleep 1.1   # past MEDIAGATE_GC_INTERVAL=1 since any process' last sweep
	assert_true "sweep: after a request, the expired session's files and derived files go" \
		"still there 10 s later: $(find "$DATA/objects" -type f | head -n 5 | tr '\n' ' ')" \
		wait_until 10 sweep_gone
	assert_eq "sweep: the session ended, its inputs tombstones" "2 1" "$(gc_tombstones)"
	# Two processes may sweep at once and share the work: add up their lines.
	assert_eq "sweep: log lines with what it removed (sessions, inputs, files)" "1 2 4" \
		"$(gc_log_sum "$OUT/server-gc-sweep.log" sessions_ended inputs_deleted files_removed)"
	assert_true "sweep: the rows go after the tombstone time" "still there 15 s later" \
		wait_until 15 sweep_rows_gone
}

# Quotas ---------------------------------------------------------------------------------------

quota_tests() {
	local a b c first ids=()
	# Inputs: 3 per session.
	new_session qi >/dev/null
	for _ in 1 2 3; do
		upload qi file "$M_TEXT" text/plain || return
		ids+=("$ID")
	done
	expect_post_error qi "4th input, multipart" 429 quota_exceeded /inputs -F kind=file \
		-F "file=@$M_TEXT;type=text/plain"
	assert_eq "429: no Retry-After (waiting frees nothing)" "" "$(header Retry-After)"
	expect_post_error qi "4th input, raw body" 429 quota_exceeded "/inputs?kind=file" \
		--data-binary "@$M_TEXT" -H 'Content-Type: text/plain'
	# Behind Apache a chunked body is refused before the app sees it (deploy/apache/).
	if [ "$SERVER" = apache ]; then
		expect_post_error qi "4th input, chunked" 411 length_required "/inputs?kind=file" \
			--data-binary "@$M_TEXT" -H 'Content-Type: text/plain' -H 'Transfer-Encoding: chunked'
	else
		expect_post_error qi "4th input, chunked" 429 quota_exceeded "/inputs?kind=file" \
			--data-binary "@$M_TEXT" -H 'Content-Type: text/plain' -H 'Transfer-Encoding: chunked'
	fi
	JAR=qi http GET /inputs
	assert_eq "the session still lists 3 inputs" 3 "$(json '.inputs | length')"
	if upload qo file "$M_TEXT" text/plain; then
		pass "another session is not limited by the first one's quota"
	fi
	JAR=qi http DELETE "/inputs/${ids[1]}"
	assert_status "DELETE one input: 204" 204
	if upload qi file "$M_TEXT" text/plain; then
		pass "after a DELETE the 4th input fits"
	fi
	expect_post_error qi "then full again" 429 quota_exceeded /inputs -F kind=file \
		-F "file=@$M_TEXT;type=text/plain"

	# Bytes: 1 MiB per session. a = 600 KiB, b = the rest exactly, c = one byte more than b.
	a=$GC_DIR/600k.bin b=$GC_DIR/rest.bin c=$GC_DIR/rest-plus-1.bin
	head -c 614400 /dev/urandom >"$a"
	head -c $((1048576 - 614400)) /dev/urandom >"$b"
	head -c $((1048576 - 614400 + 1)) /dev/urandom >"$c"
	new_session qb >/dev/null
	upload_raw qb "kind=file" "$a" application/octet-stream || return
	first=$ID
	expect_post_error qb "over the byte quota, by Content-Length" 413 quota_exceeded \
		"/inputs?kind=file" --data-binary "@$a" -H 'Content-Type: application/octet-stream'
	assert_detail "over the byte quota: refused before reading, with the room left" \
		'quota of 1048576 bytes \(434176 left\)'
	if [ "$SERVER" = apache ]; then
		expect_post_error qb "over the byte quota, chunked" 411 length_required \
			"/inputs?kind=file" --data-binary "@$a" -H 'Content-Type: application/octet-stream' \
			-H 'Transfer-Encoding: chunked'
	else
		expect_post_error qb "over the byte quota, chunked" 413 quota_exceeded "/inputs?kind=file" \
			--data-binary "@$a" -H 'Content-Type: application/octet-stream' \
			-H 'Transfer-Encoding: chunked'
	fi
	expect_post_error qb "over the byte quota, multipart by Content-Length" 413 quota_exceeded \
		/inputs -F kind=file -F "file=@$a;type=application/octet-stream"
	# Its Content-Length is within the quota plus the multipart allowance: found while streaming.
	expect_post_error qb "one byte over the byte quota, multipart, while streaming" 413 \
		quota_exceeded /inputs -F kind=file -F "file=@$c;type=application/octet-stream"
	assert_no_match "one byte over, multipart: refused while streaming, not up front" \
		'left\)' "$(json .detail)"
	expect_post_error qb "one byte over the byte quota, raw" 413 quota_exceeded \
		"/inputs?kind=file" --data-binary "@$c" -H 'Content-Type: application/octet-stream'
	if upload_raw qb "kind=file" "$b" application/octet-stream; then
		pass "exactly up to the byte quota: 201"
	fi
	printf x >"$GC_DIR/one.bin"
	expect_post_error qb "a full session: even one byte is refused" 413 quota_exceeded \
		"/inputs?kind=file" --data-binary "@$GC_DIR/one.bin" \
		-H 'Content-Type: application/octet-stream'
	JAR=qb http DELETE "/inputs/$first"
	assert_status "DELETE the 600 KiB input: 204" 204
	if upload_raw qb "kind=file" "$a" application/octet-stream; then
		pass "after a DELETE 600 KiB fit again"
	fi
	# Without a session: the new session starts empty, and its quota still applies.
	: >"$OUT/jars/qnew"
	expect_post_error qnew "no session yet, a body over the byte quota" 413 quota_exceeded \
		"/inputs?kind=file" --data-binary "@$M_BIN" -H 'Content-Type: application/octet-stream'
	expect_post_error qnew "over the upload maximum stays too_large" 413 too_large \
		"/inputs?kind=file" --data-binary "@$M_OVER" -H 'Content-Type: application/octet-stream'
	http GET /healthz
	assert_status "quota server still healthy" 200
}

# Servers --------------------------------------------------------------------------------------

# gc_with_server NAME FUNCTION VAR=VALUE...: run FUNCTION against a server of its own.
gc_with_server() {
	local name=$1 fn=$2 main_base=$BASE main_data=$DATA data
	shift 2
	data=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-$name.XXXXXX")
	if ! server_start "$OUT/server-$name.log" "$data" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" "$@"; then
		fail "$name server" "did not start, see $OUT/server-$name.log"
		rm -rf "$data"
		return
	fi
	BASE=$S_BASE DATA=$data
	"$fn"
	server_stop "$S_PID"
	assert_eq "$name server stops with 0" 0 "$?"
	BASE=$main_base DATA=$main_data
	rm -rf "$data"
}

test_gc() {
	GC_DIR=$OUT/gc
	mkdir -p "$GC_DIR"
	head -c 24 /dev/urandom >"$GC_DIR/px.rgb"   # 4 x 2 rgb pixels
	gc_with_server gc-cmd gc_command_tests MEDIAGATE_SESSION_TTL=2 MEDIAGATE_TOKEN_TTL=2 \
		MEDIAGATE_TOKEN_TTL_MAX=3 MEDIAGATE_GC_INTERVAL=1d
	gc_with_server gc-sweep gc_sweep_tests MEDIAGATE_SESSION_TTL=2 MEDIAGATE_TOKEN_TTL=2 \
		MEDIAGATE_TOKEN_TTL_MAX=3 MEDIAGATE_GC_INTERVAL=1
	gc_with_server quota quota_tests MEDIAGATE_SESSION_MAX_INPUTS=3 \
		MEDIAGATE_SESSION_MAX_BYTES=1M
}
