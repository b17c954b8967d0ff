# test_security.sh: issue 4 security: the key file is 0600 and refused at start when group or
# others may use it; key rotation end to end (old links keep working, new ones use the new key,
# a removed key's links stop); sessions expire and take their tokens with them.
# Each part runs its own server on its own data folder (see server_start).

SEC_DIR=''   # the data folders of this group, removed at its end

# sec_run NAME DIR [VAR=VALUE...]: the deploy script of SERVER (server_script) on DIR in the
# foreground, for at most 20 s, its output in $OUT/server-NAME.log; returns its exit status (124
# when it had to be stopped).
sec_run() {
	local name=$1 dir=$2
	shift 2
	env "$@" PORT="$(free_port)" BIND=127.0.0.1 DATA_DIR="$dir" PROCS=1 \
		timeout 20 "$(server_script)" >"$OUT/server-$name.log" 2>&1
}

# sec_refused NAME DIR MODE: with the key file chmod MODE, the server does not start.
sec_refused() {
	local name=$1 dir=$2 mode=$3 rc=0
	chmod "$mode" "$dir/keyring"
	sec_run "$name" "$dir" || rc=$?
	assert_true "key file $mode: deploy/run.sh exits non-zero" "exit status $rc" \
		test "$rc" -ne 0 -a "$rc" -ne 124
	assert_match "key file $mode: the log says why" \
		'key file .*keyring: .*(group or others|0600)' "$(cat "$OUT/server-$name.log")"
	assert_eq "key file $mode: no FastCGI process left" "" "$(app_pids "$dir")"
	assert_eq "key file $mode: the mode was left as it was" "$mode" "$(stat -c %a "$dir/keyring")"
}

sec_key_file() {
	local dir=$SEC_DIR/perm/data base=$BASE
	assert_eq "the key file is 0600 after start" 600 "$(stat -c %a "$DATA/keyring")"
	assert_eq "the key file belongs to the app's user" "$(id -u)" "$(stat -c %u "$DATA/keyring")"

	# Created 0600 whatever the umask (O_EXCL, mode 0600).
	mkdir -p "$SEC_DIR/perm"
	(umask 000 && MEDIAGATE_DATA_DIR=$dir "$BIN" init >"$OUT/security-init.log" 2>&1)
	assert_eq "init: the key file is created 0600 under umask 000" 600 \
		"$(stat -c %a "$dir/keyring" 2>/dev/null)"
	assert_eq "init: one key, id 1" 1 "$(grep -cE '^1 [0-9a-f]{64}$' "$dir/keyring")"

	sec_refused perm-644 "$dir" 644
	sec_refused perm-640 "$dir" 640
	sec_refused perm-604 "$dir" 604
	sec_refused perm-620 "$dir" 620

	chmod 600 "$dir/keyring"
	if server_start "$OUT/server-perm-600.log" "$dir"; then
		pass "key file 0600 again: the server starts"
		BASE=$S_BASE
		http GET /healthz
		assert_status "key file 0600 again: /healthz" 200
		server_stop "$S_PID"
		assert_eq "key file 0600 again: the server stops with 0" 0 "$?"
		BASE=$base
	else
		fail "key file 0600 again: the server starts" "see $OUT/server-perm-600.log"
	fi
}

# sec_read NAME ID TOKEN FILE: the token reads input ID, byte for byte FILE.
sec_read() {
	http GET "/inputs/$2/content?token=$3"
	assert_status "$1: 200" 200
	assert_body_file "$1: the bytes" "$4"
}

sec_rotation() {
	local dir=$SEC_DIR/rot/data base=$BASE id t1 t2 t3 rc=0
	mkdir -p "$SEC_DIR/rot"
	if ! server_start "$OUT/server-rotation.log" "$dir"; then
		fail "rotation: the server starts" "see $OUT/server-rotation.log"
		return
	fi
	BASE=$S_BASE
	new_session rot >/dev/null
	if upload rot file "$M_TEXT" text/plain; then
		id=$ID t1=$TOKEN
		assert_eq "rotation: T1 is a version 1 token" 1 "$(token_payload_byte "$t1" 0)"
		assert_eq "rotation: T1 is signed by key 1" 1 "$(token_key_id "$t1")"
		sec_read "rotation: T1 before the rotation" "$id" "$t1" "$M_TEXT"
	fi
	server_stop "$S_PID"
	assert_eq "rotation: the server stops with 0" 0 "$?"
	BASE=$base
	[ -n "${id:-}" ] || return

	MEDIAGATE_DATA_DIR=$dir "$BIN" keyring rotate >"$OUT/security-rotate.log" 2>&1 || rc=$?
	assert_eq "rotation: mediagate keyring rotate exits 0" 0 "$rc"
	assert_eq "rotation: the key file holds keys 1 and 2" "1 2" \
		"$(grep -E '^[0-9]+ [0-9a-fA-F]{64}$' "$dir/keyring" | cut -d' ' -f1 | paste -sd' ')"
	assert_eq "rotation: the key file is still 0600" 600 "$(stat -c %a "$dir/keyring")"

	if ! server_start "$OUT/server-rotation-2.log" "$dir"; then
		fail "rotation: the server starts after the rotation" "see $OUT/server-rotation-2.log"
		return
	fi
	BASE=$S_BASE
	sec_read "rotation: T1 (key 1) still works" "$id" "$t1" "$M_TEXT"
	JAR=rot http POST "/inputs/$id/tokens"
	assert_status "rotation: a new token: 201" 201
	t2=$(json .token)
	assert_eq "rotation: the new token is version 1" 1 "$(token_payload_byte "$t2" 0)"
	assert_eq "rotation: the new token has key id 2" 2 "$(token_key_id "$t2")"
	sec_read "rotation: the new token (key 2) works" "$id" "$t2" "$M_TEXT"
	if upload rot file "$M_JS" application/octet-stream; then
		assert_eq "rotation: a new upload's token has key id 2" 2 "$(token_key_id "$TOKEN")"
	fi
	server_stop "$S_PID"
	BASE=$base

	# Retire key 1 by hand (README): its tokens stop working, key 2's keep working.
	grep -v '^1 ' "$dir/keyring" >"$dir/keyring.new"
	chmod 600 "$dir/keyring.new"
	mv "$dir/keyring.new" "$dir/keyring"
	assert_eq "rotation: key 1 removed from the key file" 2 \
		"$(grep -E '^[0-9]+ ' "$dir/keyring" | cut -d' ' -f1 | paste -sd' ')"
	if ! server_start "$OUT/server-rotation-3.log" "$dir"; then
		fail "rotation: the server starts without key 1" "see $OUT/server-rotation-3.log"
		return
	fi
	BASE=$S_BASE
	http GET "/inputs/$id/content?token=$t1"
	assert_error "rotation: T1 after key 1 was removed: 403" 403 token_invalid
	sec_read "rotation: the key-2 token still works without key 1" "$id" "$t2" "$M_TEXT"
	JAR=rot http POST "/inputs/$id/tokens"
	t3=$(json .token)
	assert_eq "rotation: tokens made now have key id 2" 2 "$(token_key_id "$t3")"
	sec_read "rotation: a token made now works" "$id" "$t3" "$M_TEXT"
	server_stop "$S_PID"
	assert_eq "rotation: the last server stops with 0" 0 "$?"
	BASE=$base
}

sec_session_expiry() {
	local dir=$SEC_DIR/exp/data base=$BASE main_data=$DATA t0 sexp id tok texp long kid sess
	mkdir -p "$SEC_DIR/exp"
	if ! server_start "$OUT/server-session-ttl.log" "$dir" MEDIAGATE_SESSION_TTL=2; then
		fail "session expiry: the server starts" "see $OUT/server-session-ttl.log"
		return
	fi
	BASE=$S_BASE DATA=$dir
	t0=$(now)
	new_session exp
	assert_status "session expiry: POST /sessions" 201
	sexp=$(json .expires_at)
	assert_true "session expiry: the session lives 2 s" "expires_at '$sexp', now $t0" \
		test "${sexp:-0}" -ge $((t0 + 1)) -a "${sexp:-0}" -le $((t0 + 3))
	if upload exp file "$M_TEXT" text/plain; then
		id=$ID tok=$TOKEN texp=$(json .expires_at)
		# MEDIAGATE_TOKEN_TTL is 1 h, but no token outlives its session (README).
		assert_true "session expiry: the upload's token ends with its session" \
			"token expires_at '$texp', session $sexp" test "${texp:-0}" -le "$sexp"
		sec_read "session expiry: the token while the session lives" "$id" "$tok" "$M_TEXT"
		# The same claims signed with the server's key but valid for an hour: only the
		# session check can stop it (the check after expiry, README "Tokens").
		kid=$(token_key_id "$tok")
		sess=$(db "SELECT session_id FROM inputs WHERE id = '$id'")
		long=$(token_make "$dir/keyring" "$kid" "$kid" "$t0" $((t0 + 3600)) "$sess" "$id")
		sec_read "session expiry: an hour-long token (made here) while the session lives" \
			"$id" "$long" "$M_TEXT"
		t0=$((sexp + 1 - $(now)))
		[ "$t0" -le 0 ] || sleep "$t0"
		http GET "/inputs/$id/content?token=$tok"
		assert_error "session expiry: its token afterwards: 410 token_expired (capped)" 410 \
			token_expired
		http GET "/inputs/$id/content?token=$long"
		assert_error "session expiry: a token that outlives it: 410 session_ended" 410 \
			session_ended
		http GET "/inputs/$id?token=$long"
		assert_error "session expiry: GET /inputs/ID with it: 410 session_ended" 410 \
			session_ended
		JAR=exp http GET /inputs
		assert_error "session expiry: the cookie no longer opens the session: 401" 401 \
			session_required
		JAR=exp http POST "/inputs/$id/tokens"
		assert_error "session expiry: no new token for it: 401" 401 session_required
	fi
	server_stop "$S_PID"
	assert_eq "session expiry: the server stops with 0" 0 "$?"
	BASE=$base DATA=$main_data
}

test_security() {
	need_tools "security tools" openssl base64 timeout || return
	SEC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-security.XXXXXX")
	sec_key_file
	sec_rotation
	sec_session_expiry
	rm -rf "$SEC_DIR"
}
