# test_basic.sh: health check, upload page, routing errors, sessions, crash leftovers at start-up.

test_basic() {
	local cookie sid exp t

	http GET /healthz
	assert_status "GET /healthz: 200" 200
	assert_match "GET /healthz: JSON" '^application/json' "$(header Content-Type)"
	assert_eq "GET /healthz: status ok" ok "$(json .status)"

	# The issue: the app removes what a crash left (run.sh planted both before the start).
	assert_true "start-up removed tmp/ID.part left by a crash" "$DATA/tmp/$CRASH_ID.part is still there" \
		test ! -e "$DATA/tmp/$CRASH_ID.part"
	assert_true "start-up removed the uncommitted object of that upload" \
		"$(object_path "$CRASH_ID") is still there" test ! -e "$(object_path "$CRASH_ID")"
	assert_true "keyring exists with mode 0600" "$(stat -c '%a' "$DATA/keyring" 2>&1)" \
		test "$(stat -c '%a' "$DATA/keyring" 2>/dev/null)" = 600
	assert_eq "index is in WAL mode" wal "$(db 'PRAGMA journal_mode')"

	# GET /: a plain HTML form, no JavaScript needed.
	http GET /
	assert_status "GET /: 200" 200
	assert_match "GET /: text/html" '^text/html' "$(header Content-Type)"
	t=$(tr -d '\r\n' <"$BODY")
	assert_match "GET /: form posts multipart/form-data" \
		"<form[^>]*enctype=[\"']?multipart/form-data" "$t"
	assert_match "GET /: form method post" "<form[^>]*method=[\"']?post" "$(printf '%s' "$t" | tr '[:upper:]' '[:lower:]')"
	assert_match "GET /: form action ${MOUNT:-}/inputs" "<form[^>]*action=[\"']?${MOUNT:-}/inputs[\"' >]" "$t"
	assert_match "GET /: a file field named file" \
		"<input[^>]*(type=[\"']?file[^>]*name=[\"']?file[\"' >]|name=[\"']?file[\"' ][^>]*type=[\"']?file)" "$t"
	assert_match "GET /: a kind selector" "<select[^>]*name=[\"']?kind[\"' >]" "$t"

	http GET /no/such/thing
	assert_error "unknown path: 404 not_found" 404 not_found
	http PUT /inputs --data-binary x
	assert_error "PUT /inputs: 405 method_not_allowed" 405 method_not_allowed
	assert_match "405 has an Allow header with POST" 'POST' "$(header Allow)"
	http DELETE /healthz
	assert_error "DELETE /healthz: 405" 405 method_not_allowed

	# POST /sessions -> 201 {"session", "expires_at"} and the cookie.
	t=$(now)
	new_session basic
	assert_status "POST /sessions: 201" 201
	sid=$(json .session)
	exp=$(json .expires_at)
	assert_match "POST /sessions: session id" '^[A-Za-z0-9_-]{22,}$' "$sid"
	assert_match "POST /sessions: expires_at is a number" '^[0-9]+$' "$exp"
	assert_true "POST /sessions: expires_at is about now + MEDIAGATE_SESSION_TTL (86400)" \
		"expires_at $exp, now $t" test "${exp:-0}" -ge $((t + 86400 - 5)) -a "${exp:-0}" -le $((t + 86400 + 5))
	cookie=$(header Set-Cookie)
	assert_match "session cookie named mg_session" '^mg_session=[^;]+' "$cookie"
	assert_match "session cookie HttpOnly" '; *HttpOnly(;|$)' "$cookie"
	assert_match "session cookie SameSite=Lax" '; *SameSite=Lax(;|$)' "$cookie"
	assert_match "session cookie Path=${MOUNT:-}/" "; *Path=${MOUNT:-}/(;|\$)" "$cookie"
	assert_eq "sessions row exists" 1 "$(db "SELECT count(*) FROM sessions WHERE id = '$sid'")"

	# A POST without Content-Length or body: here the web servers differ (SERVER of run.sh).
	# lighttpd answers 411 itself (RFC 9110 section 15.5.12 allows a server to); nginx takes
	# it as an empty body (RFC 9112 section 6.3: no length and no chunked means length 0) and
	# the app creates the session.
	printf 'POST %s/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
		"${MOUNT:-}" >"$OUT/post-no-length.req"
	raw_http "$OUT/post-no-length.req"
	case $SERVER in
	nginx | apache) assert_status "POST /sessions without Content-Length: 201 ($SERVER: empty body)" 201 ;;
	*) assert_status "POST /sessions without Content-Length: 411 from lighttpd" 411 ;;
	esac

	JAR=basic http GET /inputs
	assert_status "GET /inputs of a new session: 200" 200
	assert_eq "GET /inputs of a new session: empty" 0 "$(json '(.inputs? // .) | length')"
	http GET /inputs
	assert_error "GET /inputs without a cookie: 401 session_required" 401 session_required
	http GET /inputs -H 'Cookie: mg_session=AAAAAAAAAAAAAAAAAAAAAA'
	assert_error "GET /inputs with an unknown session: 401 session_required" 401 session_required

	# An upload without a session cookie creates one and sets it.
	: >"$OUT/jars/anon"
	if upload anon audio "$M_WAV" audio/wav; then
		pass "upload without a session: 201"
		assert_match "upload without a session sets mg_session" '^mg_session=' "$(header Set-Cookie)"
		local id=$ID
		JAR=anon http GET /inputs
		assert_eq "the new session lists that upload" "$id" "$(json '(.inputs? // .) | map(.id) | join(",")')"
	fi
}
