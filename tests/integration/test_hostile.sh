# test_hostile.sh: the bad-input matrix of issue 4: tables of hostile requests, each with its
# exact status and JSON error, nothing stored (no file added under objects/ or tmp/, no row added
# to the index), GET /healthz after every case and a good upload read back after every H_EVERY.
#
# A row is a line "TYPE | STATUS | CODE | NAME" and a tab-indented line REQUEST, a command (an hq_*
# helper and its arguments) run through eval, so that it may name files and tokens made at set-up
# (h_bodies, h_setup). TYPE, or TYPE/SERVER for a row that holds only behind that web server
# (SERVER of run.sh: lighttpd, nginx or apache; the other servers skip the row), or TYPE/!SERVER
# for one that holds behind all the others:
#   app      the app answers STATUS with the JSON error CODE
#   front    the web server answers STATUS itself, before the app (CODE is "-")
#   gone     a body shorter than its Content-Length from a client that waits: no answer within
#            a second; once the client closes, the app logs STATUS CODE and stores nothing
#   sane     a hostile filename that is accepted: 201, one input whose stored filename is safe
#            (CODE is the expected name, "*" any safe name, "(empty)" none), and a read whose
#            Content-Disposition is well-formed and names it
#   passive  HTML or SVG that is accepted: 201, and it never comes back inline or as itself
#   range    GET of the 1000-byte input H_A with "Range: REQUEST": STATUS and the exact body
#            (CODE: "whole", "*" for 416, or the FIRST-LAST ranges of the 206)
# The total is printed at the end: "hostile: N cases tried, ...".

H_EVERY=10      # a good upload and read after every H_EVERY cases
H_CASES=0       # cases tried
H_BAD=0         # cases with a failed check
H_GOOD=0        # good uploads between the cases
H_JAR=hostile   # the session of the hostile requests
H_BND=hostileBoundary0123

# The data folder, one line per thing that can be added: "f PATH" for every file under objects/
# and tmp/, "i ID" and "s ID" for the rows of inputs and sessions. Sorted.
h_state() {
	(cd "$DATA" && find objects tmp -type f 2>/dev/null | sed 's/^/f /')
	db "SELECT 'i ' || id FROM inputs UNION ALL SELECT 's ' || id FROM sessions"
}

# h_added: what h_state shows now that it did not at h_begin (a garbage collection may remove
# things meanwhile: only additions count).
h_added() { comm -13 <(printf '%s\n' "$H_BEFORE" | LC_ALL=C sort) <(h_state | LC_ALL=C sort); }

h_begin() {
	H_CASES=$((H_CASES + 1))
	H_FAILED_AT=$FAILED
	H_BEFORE=$(h_state)
}

# h_nothing_added NAME: no file and no row added since h_begin. While something is left in tmp/
# it waits (up to 5 s): an upload whose client went away is removed when the app notices.
h_nothing_added() {
	local i added
	for i in $(seq 50); do
		added=$(h_added)
		printf '%s\n' "$added" | grep -q '^f tmp/' || break
		sleep 0.1
	done
	if [ -z "$added" ]; then
		pass "$1: nothing stored"
	else
		fail "$1: nothing stored" "added: $(printf '%s' "$added" | head -n 4 | tr '\n' ' ')"
	fi
}

# h_end NAME: the server still serves: /healthz after every case, a good upload and its read
# after every H_EVERY cases.
h_end() {
	http GET /healthz
	if [ "$STATUS" = 200 ] && [ "$(tr -d ' \n' <"$BODY")" = '{"status":"ok"}' ]; then
		pass "$1: /healthz after it"
	else
		fail "$1: /healthz after it" "$(last_response)"
	fi
	[ "$FAILED" = "$H_FAILED_AT" ] || H_BAD=$((H_BAD + 1))
	[ $((H_CASES % H_EVERY)) -ne 0 ] || h_good "after case $H_CASES"
}

# h_good NAME: a fresh file uploads (201) and reads back byte for byte.
h_good() {
	local f=$H_DIR/good.bin
	{
		printf 'good upload %s\n' "$H_GOOD"
		head -c 3000 /dev/urandom
	} >"$f"
	H_GOOD=$((H_GOOD + 1))
	if upload "$H_JAR" file "$f" application/octet-stream; then
		http GET "$CONTENT_URL"
		assert_body_file "good upload $1: 201, reads back" "$f"
	fi
}

# Requests the tables use ----------------------------------------------------------------------

# h_path FILE: FILE itself when absolute, else the file of that name in H_DIR.
h_path() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s' "$H_DIR/$1" ;; esac; }

# hq_mp FILE [CONTENT-TYPE [CURL ARGS...]]: POST /inputs with the body FILE, by default a form
# with boundary H_BND.
hq_mp() {
	local file=$1 type=${2:-multipart/form-data; boundary=$H_BND}
	shift
	[ $# -eq 0 ] || shift
	JAR=$H_JAR http POST /inputs --data-binary "@$(h_path "$file")" -H "Content-Type: $type" "$@"
}

# hq_raw QUERY FILE [TYPE [CURL ARGS...]]: POST /inputs?QUERY with the raw body FILE.
hq_raw() {
	local query=$1 file=$2 type=${3:-application/octet-stream}
	shift 2
	[ $# -eq 0 ] || shift
	JAR=$H_JAR http POST "/inputs?$query" --data-binary "@$(h_path "$file")" \
		-H "Content-Type: $type" "$@"
}

# hq_ab FILE: POST /inputs with FILE as an annotated binary body.
hq_ab() {
	JAR=$H_JAR http POST /inputs --data-binary "@$(h_path "$1")" \
		-H 'Content-Type: application/x-annotated-binary'
}

# hq_form CURL ARGS...: POST /inputs with curl's own form (-F ...).
hq_form() { JAR=$H_JAR http POST /inputs "$@"; }

# hq_get PATH [CURL ARGS...]: GET without the session cookie (token checks).
hq_get() { http GET "$@"; }

# hq_owner METHOD PATH [CURL ARGS...]: with the session cookie (owner checks).
hq_owner() { JAR=$H_JAR http "$@"; }

# hq_sock FILE [WAIT]: FILE (in H_DIR) is a whole request, sent as it is (raw_http).
hq_sock() { raw_http "$(h_path "$1")" "${2:-5}"; }

# Runners --------------------------------------------------------------------------------------

h_trim() {
	local s=$1
	s=${s#"${s%%[! ]*}"}
	printf '%s' "${s%"${s##*[! ]}"}"
}

# h_table FUNCTION: run every row FUNCTION prints (see the top of this file).
h_table() {
	local type status code request name where=root
	[ -z "${MOUNT:-}" ] || where=mounted
	while IFS='|' read -r -u 7 type status code name; do
		type=$(h_trim "$type")
		case $type in '' | '#'*) continue ;; esac
		IFS= read -r -u 7 request
		case $type in
		*/*)
			# TYPE/SERVER: only behind SERVER; TYPE/SERVER-root or -mounted: and only with
			# the app at "/" or under a prefix (MOUNT).
			case ${type#*/} in
			"$SERVER" | "$SERVER-$where") ;;
			"!$SERVER") continue ;;
			"!"*) ;;
			*) continue ;;
			esac
			type=${type%/*}
			;;
		esac
		status=$(h_trim "$status") code=$(h_trim "$code")
		request=$(h_trim "${request#$'\t'}") name=$(h_trim "$name")
		case $type in
		app | front) h_case "$type" "$name" "$status" "$code" "$request" ;;
		gone) h_gone "$name" "$status" "$code" "$request" ;;
		sane) h_sane "$name" "$code" "$request" ;;
		passive) h_passive "$name" "$request" ;;
		range) h_range "$name" "$status" "$code" "$request" ;;
		*) fail "hostile table $1" "unknown row type '$type'" ;;
		esac
	done 7< <("$1")
}

h_case() {
	local type=$1 name=$2 status=$3 code=$4 request=$5
	h_begin
	eval "$request"
	if [ "$type" = app ]; then
		assert_error "$name: $status $code" "$status" "$code"
	else
		assert_status "$name: $status from $SERVER" "$status"
	fi
	h_nothing_added "$name"
	h_end "$name"
}

# A client that announced more than it sent and waits: the web server waits for the rest (no
# answer), and when the client gives up the app answers STATUS CODE to nobody, as its access
# log shows.
h_gone() {
	local name=$1 status=$2 code=$3 request=$4 before now i
	local re="^mediagate .* method=POST route=/inputs .* status=$status .* reason=$code\$"
	h_begin
	before=$(grep -cE "$re" "$H_LOG")
	eval "$request"
	assert_eq "$name: no answer while the body is missing" 000 "$STATUS"
	for i in $(seq 50); do
		now=$(grep -cE "$re" "$H_LOG")
		[ "$now" -gt "$before" ] && break
		sleep 0.1
	done
	assert_eq "$name: the app logs $status $code once the client is gone" $((before + 1)) "$now"
	h_nothing_added "$name"
	h_end "$name"
}

# h_disposition_ok VALUE: VALUE is a Content-Disposition of RFC 6266 section 4.1 as the app
# writes it: the type, then either nothing or a quoted ASCII fallback without '"', '\' and '%' and
# an RFC 8187 ext-value of attr-chars and %XX.
h_disposition_ok() {
	local re='(inline|attachment)(; filename="[]-~ !#$&-[]*"; filename[*]=UTF-8'"''"
	re+='([-A-Za-z0-9!#$&+.^_`|~]|%[0-9A-F]{2})+)?'
	printf '%s' "$1" | LC_ALL=C grep -Eqx -- "$re"
}

# The filename must be safe to show: no path separator, no control character, valid UTF-8, at
# most 255 bytes, not "." or ".."; the index holds what the JSON says.
h_sane() {
	local name=$1 want=$2 request=$3 id fname stored disp n enc decoded
	h_begin
	eval "$request"
	if [ "$STATUS" != 201 ]; then
		fail "$name: 201" "$(last_response)"
		h_end "$name"
		return
	fi
	pass "$name: 201"
	jfields "$BODY" '.id' '.filename' '.content_url'
	id=${JF[0]} fname=${JF[1]}
	assert_eq "$name: exactly one input added" "i $id" "$(h_added | grep '^i ')"
	stored=$(db "SELECT filename FROM inputs WHERE id = '$id'")
	assert_eq "$name: the index holds the filename the JSON shows" "$fname" "$stored"
	case $want in
	'*') ;;
	'(empty)') assert_eq "$name: filename" "" "$stored" ;;
	*) assert_eq "$name: filename" "$want" "$stored" ;;
	esac
	case $stored in
	*/* | *\\*) fail "$name: no '/' or '\\' in the filename" "'$stored'" ;;
	*) pass "$name: no '/' or '\\' in the filename" ;;
	esac
	if printf '%s' "$stored" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		fail "$name: no control character in the filename" "'$stored'"
	else
		pass "$name: no control character in the filename"
	fi
	n=$(printf '%s' "$stored" | wc -c)
	assert_true "$name: filename <= 255 bytes" "$n bytes" test "$n" -le 255
	if printf '%s' "$stored" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
		pass "$name: filename is valid UTF-8"
	else
		fail "$name: filename is valid UTF-8" "'$stored'"
	fi
	assert_true "$name: filename is not . or .." "'$stored'" \
		test "$stored" != . -a "$stored" != ..
	http GET "${JF[2]}"
	assert_status "$name: the read" 200
	assert_eq "$name: one Content-Disposition" 1 "$(tr -d '\r' <"$HDRS" |
		grep -ic '^content-disposition:')"
	disp=$(header Content-Disposition)
	assert_true "$name: Content-Disposition is well-formed" "'$disp'" h_disposition_ok "$disp"
	if [ -n "$stored" ]; then
		enc=${disp#*"filename*=UTF-8''"}
		decoded=$(printf '%b' "$(printf '%s' "$enc" | sed 's/%\([0-9A-F][0-9A-F]\)/\\x\1/g')")
		assert_eq "$name: filename* names the stored filename" "$stored" "$decoded"
	else
		assert_match "$name: no filename, no filename parameter" '^(inline|attachment)$' "$disp"
	fi
	h_end "$name"
}

# Active content is accepted but never comes back as itself: attachment, not inline, as
# application/octet-stream, sandboxed, not sniffed; the view page only links it.
h_passive() {
	local name=$1 request=$2 sha view
	h_begin
	eval "$request"
	if [ "$STATUS" != 201 ]; then
		fail "$name: 201" "$(last_response)"
		h_end "$name"
		return
	fi
	pass "$name: 201"
	jfields "$BODY" '.sha256' '.content_url' '.view_url'
	sha=${JF[0]} view=${JF[2]}
	http GET "${JF[1]}"
	assert_status "$name: the read" 200
	assert_eq "$name: the bytes" "$sha" "$(sha256_of "$BODY")"
	assert_eq "$name: Content-Type" application/octet-stream "$(header Content-Type)"
	assert_match "$name: attachment" '^attachment(;|$)' "$(header Content-Disposition)"
	assert_match "$name: Content-Security-Policy sandbox" 'sandbox' \
		"$(header Content-Security-Policy)"
	assert_eq "$name: nosniff" nosniff "$(header X-Content-Type-Options)"
	http GET "$view"
	assert_status "$name: the view page" 200
	assert_no_match "$name: the view page does not embed it" '<(iframe|object|embed)' \
		"$(tr -d '\r\n' <"$BODY")"
	h_end "$name"
}

# A Range request on H_A (the 1000 bytes of M_TEXT): its status, headers and exact body.
h_range() {
	local name=$1 status=$2 want=$3 range ctype boundary r i
	eval "range=$4"
	[ "$want" != H_R32 ] || want=$H_R32
	h_begin
	http GET "$H_AURL" -H "Range: $range"
	assert_status "$name: $status" "$status"
	case $status:$want in
	200:whole)
		assert_eq "$name: no Content-Range" "" "$(header Content-Range)"
		assert_body_file "$name: the whole file" "$M_TEXT"
		;;
	416:*)
		assert_error "$name: JSON error" 416 range_not_satisfiable
		assert_eq "$name: Content-Range" "bytes */1000" "$(header Content-Range)"
		;;
	206:*,*)
		ctype=$(header Content-Type)
		assert_match "$name: multipart/byteranges" '^multipart/byteranges; *boundary=' "$ctype"
		boundary=${ctype#*boundary=}
		# shellcheck disable=SC2086 # the ranges are words
		multipart_expected "$boundary" text/plain 1000 "$M_TEXT" ${want//,/ } >"$H_DIR/expected"
		assert_body_file "$name: the parts" "$H_DIR/expected"
		;;
	206:*)
		r=$want
		assert_eq "$name: Content-Range" "bytes $r/1000" "$(header Content-Range)"
		slice "$M_TEXT" "${r%-*}" $((${r#*-} - ${r%-*} + 1)) >"$H_DIR/expected"
		assert_body_file "$name: the bytes" "$H_DIR/expected"
		;;
	*) fail "$name" "bad row: $status $want" ;;
	esac
	h_nothing_added "$name"
	h_end "$name"
}

# Bodies ---------------------------------------------------------------------------------------

# h_part NAME [FILENAME-PARAMETERS [CONTENT-TYPE]]: the opening of one form part with H_BND.
h_part() {
	printf -- '--%s\r\nContent-Disposition: form-data; name="%s"%s\r\n' "$H_BND" "$1" "${2:+; $2}"
	[ -z "${3:-}" ] || printf 'Content-Type: %s\r\n' "$3"
	printf '\r\n'
}

# h_form_with FILE FILENAME-PARAMETERS: a form whose file part has these parameters (verbatim).
h_form_with() {
	{
		h_part kind
		printf 'file\r\n'
		h_part file "$2" text/plain
		printf 'hostile filename\r\n--%s--\r\n' "$H_BND"
	} >"$H_DIR/$1"
}

# h_form_b BOUNDARY: the good form (p2, p3 and p6 of h_bodies) framed with BOUNDARY.
h_form_b() {
	printf -- '--%s\r\n' "$1"
	cat "$H_DIR/p2" "$H_DIR/p3"
	printf -- '\r\n--%s\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n' "$1"
	printf 'Content-Type: application/octet-stream\r\n\r\n'
	cat "$H_DIR/p6"
	printf -- '\r\n--%s--\r\n' "$1"
}

# h_utf8 TEXT N: TEXT N times.
h_utf8() { local i; for ((i = 0; i < $2; i++)); do printf '%s' "$1"; done; }

# shellcheck disable=SC2059 # q below is a printf format of \r\n escapes (no %), on purpose
h_bodies() {
	local d=$H_DIR b=$H_BND i o
	# A good form in pieces, to cut at each boundary of the grammar (RFC 2046 section 5.1.1).
	printf -- '--%s\r\n' "$b" >"$d/p1"
	printf 'Content-Disposition: form-data; name="kind"\r\n\r\n' >"$d/p2"
	printf 'file' >"$d/p3"
	printf '\r\n' >"$d/p4"
	h_part file 'filename="t.bin"' application/octet-stream >"$d/p5"
	head -c 3000 "$M_BIN" >"$d/p6"
	printf '\r\n--%s--\r\n' "$b" >"$d/p7"
	cat "$d"/p[1-7] >"$d/form"
	o=0
	for i in 1 2 3 4 5 6; do
		o=$((o + $(size_of "$d/p$i")))
		printf -v "H_END$i" '%s' "$o"
	done
	for i in "t-first 5" "t-cd $((H_END1 + 20))" "t-hdr-cr $((H_END2 - 1))" \
		"t-value $((H_END2 + 2))" "t-file-hdr $((H_END4 + 60))" "t-content $((H_END5 + 1500))" \
		"t-no-close $H_END6" "t-in-close $((H_END6 + 4 + ${#b} / 2))" \
		"t-no-dashes $((H_END6 + 4 + ${#b}))" "t-one-dash $((H_END6 + 5 + ${#b}))"; do
		head -c "${i#* }" "$d/form" >"$d/${i% *}"
	done
	: >"$d/empty"
	# Boundaries: 71 characters (RFC 2046 allows 70), and a good form with 70 as the control.
	H_B71=$(printf 'b%.0s' $(seq 71))
	H_B70=${H_B71:1}
	H_B200=$(printf 'c%.0s' $(seq 200))
	h_form_b "$H_B71" >"$d/form-b71"
	h_form_b "$H_B70" >"$d/form-b70"
	h_form_b "$H_B200" >"$d/form-b200"
	# 10 000 parts, part headers of 1 MiB (one line; many lines), a 9 KiB Content-Disposition.
	for ((i = 0; i < 10000; i++)); do
		printf -- '--%s\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' "$b" "$i"
	done >"$d/parts-10000"
	cat "$d/p5" "$d/p6" "$d/p7" >>"$d/parts-10000"
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="a"\r\nX-Big: ' "$b"
		head -c 1048576 /dev/zero | tr '\0' a
		printf '\r\n\r\nx\r\n--%s--\r\n' "$b"
	} >"$d/hdr-line-1m"
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n' "$b"
		for ((i = 0; i < 16384; i++)); do printf 'X-H: %058d\r\n' "$i"; done
		printf '\r\nx\r\n--%s--\r\n' "$b"
	} >"$d/hdr-lines-1m"
	h_form_with cd-9k "filename=\"$(head -c 9216 /dev/zero | tr '\0' n)\""
	# No file part; zero parts; the file under another name; no file chosen; two file parts.
	{ h_part kind; printf 'file\r\n--%s--\r\n' "$b"; } >"$d/no-file"
	printf -- '--%s--\r\n' "$b" >"$d/zero-parts"
	{ h_part upload 'filename="a.bin"'; printf 'x\r\n--%s--\r\n' "$b"; } >"$d/other-name"
	{ h_part file 'filename=""' application/octet-stream; printf '\r\n--%s--\r\n' "$b"; } \
		>"$d/no-file-chosen"
	{
		h_part file 'filename="a.bin"'
		printf 'one\r\n'
		h_part file 'filename="b.bin"'
		printf 'two\r\n--%s--\r\n' "$b"
	} >"$d/two-files"
	{ h_part kind; printf 'fi\0le\r\n'; cat "$d/p5" "$d/p6" "$d/p7"; } >"$d/nul-kind"
	{
		printf -- '--%s\r\nContent-Disposition: attachment; name="file"; filename="a"\r\n' "$b"
		printf '\r\nx\r\n--%s--\r\n' "$b"
	} >"$d/not-form-data"
	# Filenames that are refused: raw NUL, CR, LF, header injection, an open quote, 4 KiB.
	printf 'filename="a\000b.txt"' >"$d/fn-nul.param"
	{
		h_part kind
		printf 'file\r\n'
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; ' "$b"
		cat "$d/fn-nul.param"
		printf '\r\nContent-Type: text/plain\r\n\r\nx\r\n--%s--\r\n' "$b"
	} >"$d/fn-nul"
	h_form_with fn-nul-ext "filename*=UTF-8''a%00b.txt"
	h_form_with fn-cr "$(printf 'filename="a\rb.txt"')"
	h_form_with fn-lf "$(printf 'filename="a\nb.txt"')"
	h_form_with fn-crlf "$(printf 'filename="a.txt\r\nContent-Type: text/html\r\n\r\n<script>"')"
	h_form_with fn-open-quote 'filename="a"b.txt"'
	h_form_with fn-4k "filename=\"$(h_utf8 'ü' 2048)\""
	h_form_with fn-4k-ext "filename*=UTF-8''$(h_utf8 '%C3%BC' 2048)"
	h_form_with fn-4k-path "filename=\"C:\\\\Users\\\\$(h_utf8 '€' 1366)\\\\a.txt\""
	# Filenames that are accepted, made safe.
	h_form_with fn-dotdot 'filename="../../etc/passwd"'
	h_form_with fn-dotdot-win 'filename="..\..\windows\win.ini"'
	h_form_with fn-dots 'filename=".."'
	h_form_with fn-dotdot-ext "filename*=UTF-8''%2e%2e%2f%2e%2e%2fkeyring"
	h_form_with fn-crlf-ext "filename*=UTF-8''a%0d%0aSet-Cookie%3a%20x%3d1.txt"
	h_form_with fn-ctl "$(printf 'filename="a\tb\001c\033[31md\177.txt"')"
	h_form_with fn-quotes 'filename="a\"b\"c.txt"'
	h_form_with fn-bad-utf8 "$(printf 'filename="\377\376\300\257x.txt"')"
	h_form_with fn-1000 "filename=\"$(h_utf8 'ü' 500)\""
	h_form_with fn-html 'filename="<img src=x onerror=alert(1)>.txt"'
	h_form_with fn-pct 'filename="a%0d%0aSet-Cookie: x=1.txt"'
	h_form_with fn-long-utf8 "filename=\"$(h_utf8 'ü' 125)\""
	# Metadata: the same field twice in a form.
	{ h_part kind; printf 'file\r\n'; h_part kind; printf 'audio\r\n'; cat "$d/p5" "$d/p6" "$d/p7"; } \
		>"$d/kind-twice"

	# Raw bodies, PCM and pixels.
	head -c 1000 /dev/zero >"$d/pcm-1000"
	head -c 1001 /dev/zero >"$d/pcm-1001"
	head -c 1002 /dev/zero >"$d/pcm-1002"
	head -c 1003 /dev/zero >"$d/pcm-1003"
	head -c 13 /dev/zero >"$d/px-13"
	head -c 4 /dev/zero >"$d/px-4"
	head -c 5000 "$M_BIN" >"$d/bytes-5000"

	# Annotated binary bodies: length, JSON, payload.
	h_ab ab-long 1000 '{"kind":"file"}' /dev/null
	h_ab ab-4g 4294967295 '{"kind":"file"}' "$d/pcm-1000"
	h_ab ab-64k1 65537 '{"kind":"file"}' "$d/pcm-1000"
	printf '\000\000' >"$d/ab-2"
	h_ab ab-not-json '' 'kind=file' "$d/pcm-1000"
	h_ab ab-array '' '["kind","file"]' "$d/pcm-1000"
	local pcm='"kind":"audio","format":"pcm_s16le"'
	h_ab ab-rate-string '' "{$pcm,\"sampling_rate\":\"16000\",\"num_channels\":1}" "$d/pcm-1000"
	h_ab ab-rate-real '' "{$pcm,\"sampling_rate\":16000.5,\"num_channels\":1}" "$d/pcm-1000"
	h_ab ab-ch-bool '' "{$pcm,\"sampling_rate\":16000,\"num_channels\":true}" "$d/pcm-1000"
	h_ab ab-rate-neg '' "{$pcm,\"sampling_rate\":-16000,\"num_channels\":1}" "$d/pcm-1000"
	h_ab ab-rate-i64 '' "{$pcm,\"sampling_rate\":9223372036854775807,\"num_channels\":1}" \
		"$d/pcm-1000"
	h_ab ab-rate-2e64 '' "{$pcm,\"sampling_rate\":18446744073709551616,\"num_channels\":1}" \
		"$d/pcm-1000"
	h_ab ab-dup '' "{$pcm,\"sampling_rate\":16000,\"num_channels\":1,\"num_channels\":2}" \
		"$d/pcm-1000"
	h_ab ab-nul-name '' '{"kind":"file","filename":"a\u0000b"}' "$d/pcm-1000"
	h_ab ab-4k-name '' "{\"kind\":\"file\",\"filename\":\"$(h_utf8 'é' 2048)\"}" "$d/pcm-1000"
	h_ab ab-frames '' '{"kind":"audio","format":"pcm_f32le","sampling_rate":22050,"num_channels":2}' \
		"$d/pcm-1002"
	h_ab ab-px-wrap '' '{"kind":"image","format":"rgba","width":704093,"height":1525}' "$d/px-4"

	# Media: corrupt, truncated and empty PNG, JPEG, WAV, Ogg.
	ffmpeg -v error -y -f lavfi -i testsrc=size=64x48:rate=1 -frames:v 1 "$d/ok.jpg" || return 1
	local png=$M_PNG jpg=$d/ok.jpg wav=$M_WAV ogg=$M_OGG sof
	head -c $(($(size_of "$png") / 2)) "$png" >"$d/png-half"
	head -c 20 "$png" >"$d/png-ihdr"
	head -c $(($(size_of "$png") - 12)) "$png" >"$d/png-no-iend"
	cp "$png" "$d/png-bad-crc"
	printf 'ZZ' | dd of="$d/png-bad-crc" bs=1 seek=$(($(size_of "$png") / 2)) conv=notrunc \
		status=none
	{ head -c 8 "$png"; head -c 500 /dev/urandom; } >"$d/png-garbage"
	# IHDR of 65536 x 65536 with a correct CRC (gzip's trailer is the CRC-32 of its input).
	cp "$png" "$d/png-huge"
	{ be32 65536; be32 65536; } | dd of="$d/png-huge" bs=1 seek=16 conv=notrunc status=none
	be32 "$(slice "$d/png-huge" 12 17 | gzip -c | tail -c 8 | head -c 4 | od -An -tu4 \
		--endian=little | tr -d ' ')" | dd of="$d/png-huge" bs=1 seek=29 conv=notrunc status=none
	head -c $(($(size_of "$jpg") / 2)) "$jpg" >"$d/jpg-half"
	head -c $(($(size_of "$jpg") - 2)) "$jpg" >"$d/jpg-no-eoi"
	{ printf '\377\330'; head -c 3000 /dev/urandom; } >"$d/jpg-garbage"
	# SOF frame of 65000 x 65000 (height and width, 2 bytes each, 3 and 5 after the length).
	cp "$jpg" "$d/jpg-huge"
	sof=$(LC_ALL=C grep -obUaP '\xff[\xc0\xc1\xc2]' "$jpg" | head -n 1 | cut -d: -f1)
	printf '\375\350\375\350' | dd of="$d/jpg-huge" bs=1 seek=$((sof + 5)) conv=notrunc status=none
	head -c 30 "$wav" >"$d/wav-30"
	head -c 44 "$wav" >"$d/wav-header"
	cp "$wav" "$d/wav-no-channels"
	printf '\000\000' | dd of="$d/wav-no-channels" bs=1 seek=22 conv=notrunc status=none
	{ head -c 12 "$wav"; head -c 2000 /dev/urandom; } >"$d/wav-garbage"
	head -c $(($(size_of "$ogg") / 2)) "$ogg" >"$d/ogg-half"
	head -c 100 "$ogg" >"$d/ogg-100"
	{ printf 'OggS'; head -c 3000 /dev/urandom; } >"$d/ogg-garbage"

	# Whole requests for the socket: Content-Length that lies, or that lighttpd refuses.
	local q="POST ${MOUNT:-}/inputs?kind=file HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
	q+='Content-Type: application/octet-stream\r\n'
	for i in "cl-abc abc" "cl-neg -1" "cl-2e64 18446744073709551616" "cl-hex 0x10" \
		"cl-list 100, 100"; do
		{ printf "$q"'Content-Length: %s\r\nConnection: close\r\n\r\n' "${i#* }"
		  head -c 100 "$d/bytes-5000"; } >"$d/${i%% *}.req"
	done
	{ printf "$q"'Content-Length: 100\r\nContent-Length: 50\r\nConnection: close\r\n\r\n'
	  head -c 100 "$d/bytes-5000"; } >"$d/cl-two.req"
	{ printf "$q"'Content-Length: 100\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
	  head -c 100 "$d/bytes-5000"; } >"$d/cl-te.req"
	{ printf "$q"'Content-Length: 100000\r\n\r\n'; cat "$d/bytes-5000"; } >"$d/cl-more-raw.req"
	{
		printf 'POST %s/inputs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; ' \
			"${MOUNT:-}"
		printf 'boundary=%s\r\nContent-Length: %d\r\n\r\n' "$b" $(($(size_of "$d/form") + 100))
		cat "$d/form"
	} >"$d/cl-more-form.req"
	{ printf "$q"'Content-Length: 100\r\nConnection: close\r\n\r\n'; cat "$d/bytes-5000"; } \
		>"$d/cl-less-raw.req"
	return 0
}

# h_ab NAME LENGTH JSON PAYLOAD: an annotated body (LENGTH "" for the JSON's own length).
h_ab() {
	local len=$2
	[ -n "$len" ] || len=$(printf '%s' "$3" | wc -c)
	{ be32 "$len"; printf '%s' "$3"; cat "$4"; } >"$H_DIR/$1"
}

# Tables ---------------------------------------------------------------------------------------

h_rows_multipart() {
	cat <<'EOF'
app | 400 | bad_multipart | multipart cut inside the first dash-boundary
	hq_mp t-first
app | 400 | bad_multipart | multipart cut inside the first header line
	hq_mp t-cd
app | 400 | bad_multipart | multipart cut between CR and LF ending a header block
	hq_mp t-hdr-cr
app | 400 | bad_multipart | multipart cut inside a field value
	hq_mp t-value
app | 400 | bad_multipart | multipart cut inside the file part's headers
	hq_mp t-file-hdr
app | 400 | bad_multipart | multipart cut inside the file's bytes
	hq_mp t-content
app | 400 | bad_multipart | multipart cut before the close-delimiter
	hq_mp t-no-close
app | 400 | bad_multipart | multipart cut inside the close-delimiter's boundary
	hq_mp t-in-close
app | 400 | bad_multipart | multipart cut after the last boundary, before "--"
	hq_mp t-no-dashes
app | 400 | bad_multipart | multipart cut after one '-' of the closing "--"
	hq_mp t-one-dash
app | 400 | bad_multipart | multipart with an empty body
	hq_mp empty
app | 400 | bad_multipart | boundary of 71 characters
	hq_mp form-b71 "multipart/form-data; boundary=$H_B71"
app | 400 | bad_multipart | quoted boundary of 200 characters
	hq_mp form-b200 "multipart/form-data; boundary=\"$H_B200\""
app | 400 | bad_multipart | no boundary parameter
	hq_mp form "multipart/form-data"
app | 400 | bad_multipart | another parameter, no boundary
	hq_mp form "multipart/form-data; charset=utf-8"
app | 400 | bad_multipart | boundary parameter twice, same value
	hq_mp form "multipart/form-data; boundary=$H_BND; boundary=$H_BND"
app | 400 | bad_multipart | boundary parameter twice, different values
	hq_mp form "multipart/form-data; boundary=x; boundary=$H_BND"
app | 400 | bad_multipart | empty quoted boundary
	hq_mp form 'multipart/form-data; boundary=""'
app | 400 | bad_multipart | boundary ending in a space
	hq_mp form 'multipart/form-data; boundary="ab "'
app | 400 | bad_multipart | boundary with characters outside bchars
	hq_mp form 'multipart/form-data; boundary="a{b}"'
app | 415 | unsupported_media_type | boundary= without a value (malformed Content-Type)
	hq_mp form 'multipart/form-data; boundary='
app | 415 | unsupported_media_type | multipart/mixed
	hq_mp form "multipart/mixed; boundary=$H_BND"
app | 400 | bad_multipart | 10 000 parts
	hq_mp parts-10000
app | 400 | bad_multipart | a part header line of 1 MiB
	hq_mp hdr-line-1m
app | 400 | bad_multipart | 1 MiB of part header lines
	hq_mp hdr-lines-1m
app | 400 | bad_multipart | a Content-Disposition of 9 KiB
	hq_mp cd-9k
app | 400 | bad_multipart | Content-Disposition attachment in a form
	hq_mp not-form-data
app | 400 | missing_file | no file part
	hq_mp no-file
app | 400 | missing_file | zero parts (only the close-delimiter)
	hq_mp zero-parts
app | 400 | missing_file | the file under another part name
	hq_mp other-name
app | 400 | missing_file | no file chosen (filename="" and no bytes)
	hq_mp no-file-chosen
app | 400 | bad_multipart | two file parts
	hq_mp two-files
app | 400 | bad_metadata | a NUL byte in the kind field
	hq_mp nul-kind
app | 400 | bad_metadata | kind twice in one form
	hq_mp kind-twice
app | 400 | bad_multipart | a raw NUL byte in the filename
	hq_mp fn-nul
app | 400 | bad_multipart | %00 in filename*
	hq_mp fn-nul-ext
app | 400 | bad_multipart | a raw CR in the filename
	hq_mp fn-cr
app | 400 | bad_multipart | a raw LF in the filename
	hq_mp fn-lf
app | 400 | bad_multipart | CRLF and a Content-Type injected through the filename
	hq_mp fn-crlf
app | 400 | bad_multipart | an unescaped quote inside the filename
	hq_mp fn-open-quote
app | 400 | bad_multipart | a filename of 4 KiB of UTF-8 (over the 1024-byte parameter limit)
	hq_mp fn-4k
app | 400 | bad_multipart | filename* of 4 KiB of UTF-8, percent-encoded
	hq_mp fn-4k-ext
app | 400 | bad_multipart | a Windows path of 4 KiB of UTF-8
	hq_mp fn-4k-path
app | 400 | bad_metadata | a filename field of 4 KiB of UTF-8
	hq_form -F kind=file -F "filename=$(h_utf8 'é' 2048)" -F "file=@$H_DIR/pcm-1000"
sane | 201 | passwd | filename ../../etc/passwd
	hq_mp fn-dotdot
sane | 201 | win.ini | filename ..\..\windows\win.ini
	hq_mp fn-dotdot-win
sane | 201 | (empty) | filename ..
	hq_mp fn-dots
sane | 201 | keyring | filename* ../../keyring, percent-encoded
	hq_mp fn-dotdot-ext
sane | 201 | aSet-Cookie: x=1.txt | filename* with %0d%0a and a header
	hq_mp fn-crlf-ext
sane | 201 | abc[31md.txt | filename with TAB, SOH, ESC and DEL
	hq_mp fn-ctl
sane | 201 | a"b"c.txt | filename with escaped quotes
	hq_mp fn-quotes
sane | 201 | x.txt | filename with bytes that are not UTF-8
	hq_mp fn-bad-utf8
sane | 201 | * | a filename of 1000 bytes of UTF-8 (cut to 255)
	hq_mp fn-1000
sane | 201 | <img src=x onerror=alert(1)>.txt | filename with HTML
	hq_mp fn-html
sane | 201 | a%0d%0aSet-Cookie: x=1.txt | filename with a literal %0d%0a
	hq_mp fn-pct
sane | 201 | * | a filename of 250 bytes of 2-byte UTF-8
	hq_mp fn-long-utf8
sane | 201 | aSet-Cookie: x=1 | a filename field with CRLF and a header
	hq_form -F kind=file -F "filename=$(printf 'a\r\nSet-Cookie: x=1')" -F "file=@$H_DIR/pcm-1000"
sane | 201 | keyring | ?filename=../../keyring
	hq_raw "kind=file&filename=..%2F..%2Fkeyring" pcm-1000
EOF
}

h_rows_length() {
	cat <<'EOF'
app | 413 | too_large | Content-Length of 5 GB, short body (decided before reading)
	hq_raw kind=file bytes-5000 application/octet-stream -H 'Content-Length: 5000000000'
app | 413 | too_large | a raw body of the maximum + 1
	hq_raw kind=file "$M_OVER"
app | 413 | too_large | a form whose file is the maximum + 1
	hq_form -F kind=file -F "file=@$M_OVER;type=application/octet-stream"
app/!apache | 413 | too_large | a chunked body of the maximum + 1
	hq_raw kind=file "$M_OVER" application/octet-stream -H 'Transfer-Encoding: chunked'
# Apache refuses every chunked body before it is read (JSON from deploy/apache/apache2.conf.in).
app/apache | 411 | length_required | a chunked body of the maximum + 1
	hq_raw kind=file "$M_OVER" application/octet-stream -H 'Transfer-Encoding: chunked'
app | 400 | bad_multipart | Content-Length smaller than the form
	hq_mp form "multipart/form-data; boundary=$H_BND" -H "Content-Length: $((H_END6 - 10))"
front | 400 | - | Content-Length: abc
	hq_sock cl-abc.req
front | 400 | - | Content-Length: -1
	hq_sock cl-neg.req
front | 400 | - | Content-Length: 2^64
	hq_sock cl-2e64.req
front | 400 | - | Content-Length: 0x10
	hq_sock cl-hex.req
front | 400 | - | Content-Length: 100, 100
	hq_sock cl-list.req
front | 400 | - | two different Content-Lengths
	hq_sock cl-two.req
front/!apache | 400 | - | Content-Length and Transfer-Encoding: chunked
	hq_sock cl-te.req
front/apache | 411 | - | Content-Length and Transfer-Encoding: chunked
	hq_sock cl-te.req
# Behind Apache a short body never reaches the app (mod_fcgid reads the whole body first).
gone/!apache | 400 | bad_request | Content-Length larger than a raw body
	hq_sock cl-more-raw.req 1
gone/!apache | 400 | bad_request | Content-Length larger than a form
	hq_sock cl-more-form.req 1
EOF
}

h_rows_metadata() {
	cat <<'EOF'
app | 400 | bad_metadata | sampling_rate=abc
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=abc&num_channels=1" pcm-1000
app | 400 | bad_metadata | sampling_rate=-16000
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=-16000&num_channels=1" pcm-1000
app | 400 | bad_metadata | sampling_rate=10^20
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=99999999999999999999&num_channels=1" pcm-1000
app | 400 | bad_metadata | sampling_rate=1e3
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=1e3&num_channels=1" pcm-1000
app | 400 | bad_metadata | sampling_rate=+16000
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=%2B16000&num_channels=1" pcm-1000
app | 400 | bad_metadata | num_channels=0
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=0" pcm-1000
app | 400 | bad_metadata | num_channels=33
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=33" pcm-1000
app | 400 | bad_metadata | sampling_rate twice in the query
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=16000&sampling_rate=8000&num_channels=1" pcm-1000
app | 400 | bad_metadata | width=2^32
	hq_raw "kind=image&format=rgba&width=4294967296&height=1" px-4
app | 400 | bad_metadata | format=../../x
	hq_raw "kind=image&format=..%2F..%2Fx&width=1&height=1" px-4
app | 400 | bad_metadata | kind=banana
	hq_raw "kind=banana" pcm-1000
app | 400 | bad_metadata | rgb 2 x 2 with 13 bytes
	hq_raw "kind=image&format=rgb&width=2&height=2" px-13
app | 413 | too_large | rgba 2^20 x 2^20 (w x h x 4 = 2^42)
	hq_raw "kind=image&format=rgba&width=1048576&height=1048576" px-4
app | 413 | too_large | rgb 65536 x 65536, no bytes (w x h wraps to 0 in 32 bits)
	hq_raw "kind=image&format=rgb&width=65536&height=65536" empty
app | 400 | bad_metadata | pcm_s16le mono, 1001 bytes
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=1" pcm-1001
app | 400 | bad_metadata | pcm_s16le 6 channels, 1002 bytes
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=6" pcm-1002
app | 400 | bad_metadata | pcm_f32le, 1003 bytes
	hq_raw "kind=audio&format=pcm_f32le&sampling_rate=16000&num_channels=1" pcm-1003
app | 400 | bad_metadata | pcm_f32, no bytes
	hq_raw "kind=audio&format=pcm_f32&sampling_rate=16000&num_channels=1" empty
app | 400 | bad_metadata | PCM without sampling_rate
	hq_raw "kind=audio&format=pcm_s16le&num_channels=1" pcm-1000
app | 400 | bad_metadata | ?filename= of 600 bytes
	hq_raw "kind=file&filename=$(h_utf8 %C3%A9 300)" pcm-1000
front | 400 | - | %00 in the query
	hq_raw "kind=audio&format=pcm_s16le&sampling_rate=16000%00&num_channels=1" pcm-1000
front/lighttpd | 400 | - | %0D%0A in the query
	hq_raw "kind=file&filename=a%0D%0ASet-Cookie:%20x%3D1" pcm-1000
# nginx passes any query on as it came: then the app cuts the control characters of the name.
sane/nginx | 201 | aSet-Cookie: x=1 | %0D%0A in the query
	hq_raw "kind=file&filename=a%0D%0ASet-Cookie:%20x%3D1" pcm-1000
app | 400 | bad_annotated_binary | annotated: metadata length 1000, body shorter
	hq_ab ab-long
app | 400 | bad_annotated_binary | annotated: metadata length 2^32 - 1
	hq_ab ab-4g
app | 400 | bad_annotated_binary | annotated: metadata length 65537
	hq_ab ab-64k1
app | 400 | bad_annotated_binary | annotated: a 2-byte body
	hq_ab ab-2
app | 400 | bad_annotated_binary | annotated: an empty body
	hq_ab empty
app | 400 | bad_annotated_binary | annotated: metadata that is not JSON
	hq_ab ab-not-json
app | 400 | bad_annotated_binary | annotated: metadata that is a JSON array
	hq_ab ab-array
app | 400 | bad_metadata | annotated: sampling_rate a string
	hq_ab ab-rate-string
app | 400 | bad_metadata | annotated: sampling_rate a real
	hq_ab ab-rate-real
app | 400 | bad_metadata | annotated: num_channels a boolean
	hq_ab ab-ch-bool
app | 400 | bad_metadata | annotated: sampling_rate negative
	hq_ab ab-rate-neg
app | 400 | bad_metadata | annotated: sampling_rate 2^63 - 1
	hq_ab ab-rate-i64
app | 400 | bad_metadata | annotated: sampling_rate 2^64 (a JSON object, a wrong value)
	hq_ab ab-rate-2e64
app | 400 | bad_metadata | annotated: num_channels twice (a repeated field)
	hq_ab ab-dup
app | 400 | bad_metadata | annotated: a filename holding \u0000
	hq_ab ab-nul-name
app | 400 | bad_metadata | annotated: a filename of 4 KiB of UTF-8
	hq_ab ab-4k-name
app | 400 | bad_metadata | annotated: pcm_f32le stereo, 1002 bytes
	hq_ab ab-frames
EOF
}

h_rows_media() {
	cat <<'EOF'
app | 415 | unsupported_media_type | PNG cut in half
	hq_form -F kind=image -F "file=@$H_DIR/png-half;type=image/png"
app | 415 | unsupported_media_type | PNG cut inside IHDR
	hq_form -F kind=image -F "file=@$H_DIR/png-ihdr;type=image/png"
app | 415 | unsupported_media_type | PNG without IEND
	hq_form -F kind=image -F "file=@$H_DIR/png-no-iend;type=image/png"
app | 415 | unsupported_media_type | PNG of zero bytes
	hq_form -F kind=image -F "file=@$H_DIR/empty;type=image/png"
app | 415 | unsupported_media_type | PNG with a corrupt IDAT
	hq_form -F kind=image -F "file=@$H_DIR/png-bad-crc;type=image/png"
app | 415 | unsupported_media_type | PNG signature and garbage
	hq_form -F kind=image -F "file=@$H_DIR/png-garbage;type=image/png"
app | 413 | too_large | PNG whose IHDR says 65536 x 65536
	hq_form -F kind=image -F "file=@$H_DIR/png-huge;type=image/png"
app | 415 | unsupported_media_type | JPEG cut in half
	hq_form -F kind=image -F "file=@$H_DIR/jpg-half;type=image/jpeg"
app | 415 | unsupported_media_type | JPEG without EOI
	hq_form -F kind=image -F "file=@$H_DIR/jpg-no-eoi;type=image/jpeg"
app | 415 | unsupported_media_type | JPEG of zero bytes
	hq_form -F kind=image -F "file=@$H_DIR/empty;type=image/jpeg"
app | 415 | unsupported_media_type | JPEG SOI and garbage
	hq_form -F kind=image -F "file=@$H_DIR/jpg-garbage;type=image/jpeg"
app | 413 | too_large | JPEG whose SOF says 65000 x 65000
	hq_form -F kind=image -F "file=@$H_DIR/jpg-huge;type=image/jpeg"
app | 415 | unsupported_media_type | WAV of zero bytes
	hq_form -F kind=audio -F "file=@$H_DIR/empty;type=audio/wav"
app | 415 | unsupported_media_type | WAV cut inside its header
	hq_form -F kind=audio -F "file=@$H_DIR/wav-30;type=audio/wav"
app | 415 | unsupported_media_type | WAV header without samples
	hq_form -F kind=audio -F "file=@$H_DIR/wav-header;type=audio/wav"
app | 415 | unsupported_media_type | WAV with 0 channels
	hq_form -F kind=audio -F "file=@$H_DIR/wav-no-channels;type=audio/wav"
app | 415 | unsupported_media_type | WAV RIFF header and garbage
	hq_form -F kind=audio -F "file=@$H_DIR/wav-garbage;type=audio/wav"
app | 415 | unsupported_media_type | Ogg cut in half
	hq_form -F kind=audio -F "file=@$H_DIR/ogg-half;type=audio/ogg"
app | 415 | unsupported_media_type | Ogg cut after 100 bytes
	hq_form -F kind=audio -F "file=@$H_DIR/ogg-100;type=audio/ogg"
app | 415 | unsupported_media_type | Ogg of zero bytes
	hq_form -F kind=audio -F "file=@$H_DIR/empty;type=audio/ogg"
app | 415 | unsupported_media_type | Ogg capture pattern and garbage
	hq_form -F kind=audio -F "file=@$H_DIR/ogg-garbage;type=audio/ogg"
app | 415 | unsupported_media_type | SVG as an image
	hq_form -F kind=image -F "file=@$M_SVG;type=image/svg+xml"
app | 415 | unsupported_media_type | HTML labelled image/png
	hq_form -F kind=image -F "file=@$M_HTML;type=image/png"
app | 415 | unsupported_media_type | HTML labelled audio/wav
	hq_form -F kind=audio -F "file=@$M_HTML;type=audio/wav"
passive | 201 | - | HTML uploaded as a file
	hq_form -F kind=file -F "file=@$M_HTML;type=text/html"
passive | 201 | - | HTML uploaded as a video
	hq_form -F kind=video -F "file=@$M_HTML;type=text/html"
passive | 201 | - | HTML as TEXT/HTML;Charset=UTF-8
	hq_raw kind=file "$M_HTML" 'TEXT/HTML;Charset=UTF-8'
passive | 201 | - | XHTML, kind from its type
	hq_raw "" "$M_HTML" application/xhtml+xml
passive | 201 | - | SVG uploaded as a file
	hq_form -F kind=file -F "file=@$M_SVG;type=image/svg+xml"
passive | 201 | - | SVG uploaded as a video
	hq_form -F kind=video -F "file=@$M_SVG;type=image/svg+xml"
passive | 201 | - | SVG as application/octet-stream
	hq_raw "kind=file&filename=x.svg" "$M_SVG"
passive | 201 | - | SVG as text/xml
	hq_raw kind=file "$M_SVG" text/xml
passive | 201 | - | HTML with a 255-byte UTF-8 filename
	hq_form -F kind=file -F "file=@$M_HTML;type=text/html;filename=$(h_utf8 'ü' 125).html"
EOF
}

h_rows_tokens() {
	cat <<'EOF'
app | 403 | token_invalid | token without its last character
	hq_get "/inputs/$H_A/content?token=${H_TA:0:114}"
app | 403 | token_invalid | token without its MAC
	hq_get "/inputs/$H_A/content?token=${H_TA:0:71}"
app | 403 | token_invalid | token cut after the dot
	hq_get "/inputs/$H_A/content?token=${H_TA:0:72}"
app | 403 | token_invalid | token with a character more
	hq_get "/inputs/$H_A/content?token=${H_TA}A"
app | 403 | token_invalid | token with a '+' (base64, not base64url)
	hq_get "/inputs/$H_A/content?token=${H_TA:0:10}%2B${H_TA:11}"
app | 403 | token_invalid | a token of 1500 characters
	hq_get "/inputs/$H_A/content?token=$(h_utf8 A 1500)"
app | 403 | token_invalid | a Bearer token of 3000 characters
	hq_get "/inputs/$H_A/content" -H "Authorization: Bearer $(h_utf8 A 3000)"
app | 403 | token_invalid | version byte flipped to 2
	hq_get "/inputs/$H_A/content?token=$(token_flip "$H_TA" p 0 3)"
app | 403 | token_invalid | key id bit flipped
	hq_get "/inputs/$H_A/content?token=$(token_flip "$H_TA" p 4 1)"
app | 403 | token_invalid | expires_at bit flipped (4096 s more or less)
	hq_get "/inputs/$H_A/content?token=$(token_flip "$H_TA" p 19 16)"
app | 403 | token_invalid | input id bit flipped
	hq_get "/inputs/$H_A/content?token=$(token_flip "$H_TA" p 40 1)"
app | 403 | token_invalid | MAC first bit flipped
	hq_get "/inputs/$H_A/content?token=$(token_flip "$H_TA" m 0 128)"
app | 403 | token_invalid | MAC last bit flipped
	hq_get "/inputs/$H_A/content?token=$(token_flip "$H_TA" m 31 1)"
app | 403 | token_invalid | claims re-signed with another data folder's key
	hq_get "/inputs/$H_A/content?token=$H_T_OTHERKEY"
app | 403 | token_invalid | another server's token for its own input
	hq_get "/inputs/$H_S2_ID/content?token=$H_S2_TOKEN"
app | 403 | token_invalid | another server's token on this input
	hq_get "/inputs/$H_A/content?token=$H_S2_TOKEN"
app | 403 | token_invalid | a key id the key file does not have
	hq_get "/inputs/$H_A/content?token=$H_T_UNKNOWNKEY"
app | 410 | token_expired | expired (signed with the right key)
	hq_get "/inputs/$H_A/content?token=$H_T_EXPIRED"
app | 410 | token_expired | expired, on GET /inputs/ID
	hq_get "/inputs/$H_A?token=$H_T_EXPIRED"
app | 403 | token_wrong_input | the token of another input of the session
	hq_get "/inputs/$H_B/content?token=$H_TA"
app | 403 | token_wrong_input | the token of another session's input
	hq_get "/inputs/$H_A/content?token=$H_TC"
app | 410 | session_ended | the token of an ended session
	hq_get "/inputs/$H_E/content?token=$H_TE"
app | 410 | input_deleted | the token of a deleted input
	hq_get "/inputs/$H_D/content?token=$H_TD"
app | 410 | input_deleted | the view page of a deleted input
	hq_get "/inputs/$H_D/view?token=$H_TD"
EOF
}

h_rows_ids() {
	cat <<'EOF'
# nginx decodes %2F and %2E while it normalises the path (it still passes the raw REQUEST_URI
# on) and refuses a path that climbs above "/" with its own 400: /inputs/../../keyring does.
# Under a mount prefix (MOUNT) both servers normalise /media/inputs/../../keyring to /keyring,
# outside the app: their own 404 (rows -root apply at "/", -mounted under a prefix).
app/lighttpd-root | 401 | token_missing | id ..%2F..%2Fkeyring, no token
	hq_get "/inputs/..%2F..%2Fkeyring/content"
front/lighttpd-mounted | 404 | - | id ..%2F..%2Fkeyring, no token
	hq_get "/inputs/..%2F..%2Fkeyring/content"
front/nginx-root | 400 | - | id ..%2F..%2Fkeyring, no token
	hq_get "/inputs/..%2F..%2Fkeyring/content"
front/nginx-mounted | 404 | - | id ..%2F..%2Fkeyring, no token
	hq_get "/inputs/..%2F..%2Fkeyring/content"
app/lighttpd-root | 403 | token_wrong_input | id ..%2F..%2Fkeyring with a good token
	hq_get "/inputs/..%2F..%2Fkeyring/content?token=$H_TA"
front/lighttpd-mounted | 404 | - | id ..%2F..%2Fkeyring with a good token
	hq_get "/inputs/..%2F..%2Fkeyring/content?token=$H_TA"
front/nginx-root | 400 | - | id ..%2F..%2Fkeyring with a good token
	hq_get "/inputs/..%2F..%2Fkeyring/content?token=$H_TA"
front/nginx-mounted | 404 | - | id ..%2F..%2Fkeyring with a good token
	hq_get "/inputs/..%2F..%2Fkeyring/content?token=$H_TA"
app | 403 | token_wrong_input | id %2e%2e
	hq_get "/inputs/%2e%2e/content?token=$H_TA"
app/lighttpd-root | 403 | token_wrong_input | id %2E%2E%2F%2E%2E%2Fkeyring
	hq_get "/inputs/%2E%2E%2F%2E%2E%2Fkeyring/content?token=$H_TA"
front/lighttpd-mounted | 404 | - | id %2E%2E%2F%2E%2E%2Fkeyring
	hq_get "/inputs/%2E%2E%2F%2E%2E%2Fkeyring/content?token=$H_TA"
front/nginx-root | 400 | - | id %2E%2E%2F%2E%2E%2Fkeyring
	hq_get "/inputs/%2E%2E%2F%2E%2E%2Fkeyring/content?token=$H_TA"
front/nginx-mounted | 404 | - | id %2E%2E%2F%2E%2E%2Fkeyring
	hq_get "/inputs/%2E%2E%2F%2E%2E%2Fkeyring/content?token=$H_TA"
app | 403 | token_wrong_input | id ..%5C..%5Ckeyring (backslashes)
	hq_get "/inputs/..%5C..%5Ckeyring/content?token=$H_TA"
app | 403 | token_wrong_input | the id then %2F..%2F..%2Fkeyring
	hq_get "/inputs/$H_A%2F..%2F..%2Fkeyring/content?token=$H_TA"
app | 404 | not_found | /inputs/../keyring/content, unnormalised
	hq_get "/inputs/../keyring/content?token=$H_TA" --path-as-is
app | 404 | not_found | /inputs/ID/../../keyring
	hq_get "/inputs/$H_A/../../keyring?token=$H_TA" --path-as-is
app/lighttpd-root | 404 | not_found | GET /inputs/..%2F..%2Fkeyring as the owner
	hq_owner GET "/inputs/..%2F..%2Fkeyring"
front/lighttpd-mounted | 404 | - | GET /inputs/..%2F..%2Fkeyring as the owner
	hq_owner GET "/inputs/..%2F..%2Fkeyring"
front/nginx-root | 400 | - | GET /inputs/..%2F..%2Fkeyring as the owner
	hq_owner GET "/inputs/..%2F..%2Fkeyring"
front/nginx-mounted | 404 | - | GET /inputs/..%2F..%2Fkeyring as the owner
	hq_owner GET "/inputs/..%2F..%2Fkeyring"
app/lighttpd-root | 404 | not_found | DELETE /inputs/..%2F..%2Fkeyring
	hq_owner DELETE "/inputs/..%2F..%2Fkeyring"
front/lighttpd-mounted | 404 | - | DELETE /inputs/..%2F..%2Fkeyring
	hq_owner DELETE "/inputs/..%2F..%2Fkeyring"
front/nginx-root | 400 | - | DELETE /inputs/..%2F..%2Fkeyring
	hq_owner DELETE "/inputs/..%2F..%2Fkeyring"
front/nginx-mounted | 405 | - | DELETE /inputs/..%2F..%2Fkeyring
	hq_owner DELETE "/inputs/..%2F..%2Fkeyring"
app | 404 | not_found | POST /inputs/%2e%2e%2Fkeyring/tokens
	hq_owner POST "/inputs/%2e%2e%2Fkeyring/tokens"
app | 404 | not_found | an id of 65 characters
	hq_owner GET "/inputs/$(h_utf8 A 65)"
app | 404 | not_found | an id of 65 characters, content
	hq_get "/inputs/$(h_utf8 A 65)/content?token=$H_TA"
app | 414 | bad_request | an id of 2100 characters
	hq_get "/inputs/$(h_utf8 A 2100)/content?token=$H_TA"
front/!apache | 400 | - | id %00
	hq_get "/inputs/%00/content?token=$H_TA"
front/apache | 404 | - | id %00
	hq_get "/inputs/%00/content?token=$H_TA"
EOF
}

h_rows_range() {
	cat <<'EOF'
range | 206 | 0-999 | Range: last-byte-pos of 10^26
	bytes=0-99999999999999999999999999
range | 416 | * | Range: first-byte-pos of 10^26
	bytes=99999999999999999999999999-
range | 416 | * | Range: 2^64 - 1 both ends
	bytes=18446744073709551615-18446744073709551615
range | 206 | 0-999 | Range: last-byte-pos 2^64
	bytes=0-18446744073709551616
range | 206 | 0-999 | Range: suffix of 10^26
	bytes=-99999999999999999999999999
range | 200 | whole | Range: twice the whole file, 2^64 - 1 ends
	bytes=0-18446744073709551615,0-18446744073709551615
range | 200 | whole | Range: negative first-byte-pos
	bytes=-5-10
range | 200 | whole | Range: double minus
	bytes=--5
range | 200 | whole | Range: negative last-byte-pos
	bytes=5--1
range | 416 | * | Range: suffix of 0
	bytes=-0
range | 206 | 0-0 | Range: an unsatisfiable member dropped
	bytes=0-0,-0
range | 200 | whole | Range: 1501 ranges
	bytes=$(h_utf8 0-0, 1500)0-0
range | 200 | whole | Range: 652 disjoint ranges
	bytes=$(for i in $(seq 0 2 1300); do printf '%d-%d,' "$i" "$i"; done)999-999
range | 200 | whole | Range: 34 disjoint ranges
	bytes=$(for i in $(seq 0 3 96); do printf '%d-%d,' "$i" "$i"; done)999-999
range | 206 | H_R32 | Range: 32 disjoint ranges, multipart
	bytes=$H_R32_HDR
EOF
}

# Set-up ---------------------------------------------------------------------------------------

# Sessions, inputs and tokens the token rows need, and a second server with its own key file
# (and a pixel limit of 2^40, for the overflow rows that the main server's limit would stop).
h_setup() {
	local now kid sess
	new_session "$H_JAR" >/dev/null
	new_session hostile_other >/dev/null
	new_session hostile_ended >/dev/null
	upload "$H_JAR" file "$M_TEXT" text/plain || return 1
	H_A=$ID H_TA=$TOKEN H_AURL=$CONTENT_URL
	upload "$H_JAR" file "$M_JS" application/octet-stream || return 1
	H_B=$ID
	upload hostile_other file "$M_JS" application/octet-stream || return 1
	H_C=$ID H_TC=$TOKEN
	upload hostile_ended file "$M_JS" application/octet-stream || return 1
	H_E=$ID H_TE=$TOKEN
	JAR=hostile_ended http DELETE /sessions/current
	assert_status "set-up: the session of H_E ended" 204
	upload "$H_JAR" file "$M_JS" application/octet-stream || return 1
	H_D=$ID H_TD=$TOKEN
	JAR=$H_JAR http DELETE "/inputs/$H_D"
	assert_status "set-up: H_D deleted" 204
	JAR=$H_JAR http POST "/inputs/$H_A/tokens?ttl=1"
	assert_status "set-up: a token for 1 s" 201
	H_TSHORT=$(json .token) H_TSHORT_AT=$(now)

	# Tokens made here with openssl: one with the server's own key is accepted (so the others
	# fail for what they claim, not for how they are made).
	now=$(now)
	kid=$(token_key_id "$H_TA")
	sess=$(db "SELECT session_id FROM inputs WHERE id = '$H_A'")
	http GET "/inputs/$H_A/content?token=$(token_make "$DATA/keyring" "$kid" "$kid" \
		$((now - 10)) $((now + 600)) "$sess" "$H_A")"
	assert_status "control: a token made here with the server's key reads H_A" 200
	assert_body_file "control: a token made here with the server's key: the bytes" "$M_TEXT"
	H_T_EXPIRED=$(token_make "$DATA/keyring" "$kid" "$kid" $((now - 100)) $((now - 10)) "$sess" "$H_A")
	H_T_UNKNOWNKEY=$(token_make "$DATA/keyring" "$kid" 77 "$now" $((now + 600)) "$sess" "$H_A")
	H_T_OTHERKEY=$(token_make "$H_S2_DIR/data/keyring" 1 "$kid" "$now" $((now + 600)) "$sess" "$H_A")
	assert_true "set-up: the other data folder's key is another key" "same key" \
		test "$(key_hex "$DATA/keyring" "$kid")" != "$(key_hex "$H_S2_DIR/data/keyring" 1)"

	# The 32 ranges: every 31st byte.
	local i
	H_R32='' H_R32_HDR=''
	for ((i = 0; i < 32; i++)); do
		H_R32+="${H_R32:+,}$((i * 31))-$((i * 31))"
	done
	H_R32_HDR=$H_R32
}

# The second server: its own data folder, key file and session.
h_s2_start() {
	H_S2_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-hostile.XXXXXX")
	if ! server_start "$OUT/server-hostile.log" "$H_S2_DIR/data" \
		MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" MEDIAGATE_MAX_PIXELS=1099511627776; then
		fail "hostile: second server" "did not start, see $OUT/server-hostile.log"
		return 1
	fi
	H_S2_PID=$S_PID H_S2_BASE=$S_BASE
	local main_base=$BASE
	BASE=$H_S2_BASE
	: >"$OUT/jars/hostile_s2"
	upload hostile_s2 file "$M_JS" application/octet-stream
	BASE=$main_base
	H_S2_ID=$ID H_S2_TOKEN=$TOKEN
	[ -n "$H_S2_ID" ]
}

h_rows_s2() {
	cat <<'EOF'
app | 400 | bad_metadata | rgba 704093 x 1525 with 4 bytes (w x h x 4 = 2^32 + 4)
	hq_raw "kind=image&format=rgba&width=704093&height=1525" px-4
app | 400 | bad_metadata | rgba 65536 x 65536, no bytes (w x h x 4 = 2^34)
	hq_raw "kind=image&format=rgba&width=65536&height=65536" empty
app | 400 | bad_metadata | rgb 2^20 x 2^20, no bytes
	hq_raw "kind=image&format=rgb&width=1048576&height=1048576" empty
app | 400 | bad_metadata | annotated rgba 704093 x 1525 with 4 bytes
	hq_ab ab-px-wrap
EOF
}

test_hostile() {
	local started main_base=$BASE main_data=$DATA
	need_tools "hostile tools" openssl ffmpeg gzip iconv base64 timeout || return
	started=$(now)
	H_DIR=$OUT/hostile H_LOG=$OUT/server.log
	rm -rf "$H_DIR"
	mkdir -p "$H_DIR"
	if ! h_bodies 2>"$H_DIR/bodies.err"; then
		fail "hostile: making the bodies" "$(head -c 300 "$H_DIR/bodies.err")"
		return
	fi
	h_s2_start || return
	if ! h_setup; then
		fail "hostile: set-up" "see above"
		server_stop "$H_S2_PID"
		return
	fi

	# Controls: the bodies the rows cut or bend are good as they are.
	hq_mp form
	assert_status "control: the whole form is accepted" 201
	hq_mp form-b70 "multipart/form-data; boundary=$H_B70"
	assert_status "control: a boundary of 70 characters is accepted" 201

	h_table h_rows_multipart
	h_table h_rows_length
	h_table h_rows_metadata
	h_table h_rows_media
	h_table h_rows_tokens
	h_table h_rows_ids
	h_table h_rows_range

	# A Content-Length smaller than a raw body: HTTP takes Content-Length bytes as the body
	# (RFC 9112 section 6.3): exactly those are stored, and lighttpd refuses the rest as a
	# request of its own.
	h_begin
	hq_sock cl-less-raw.req
	assert_status "Content-Length smaller than a raw body: 201" 201
	jfields "$BODY" '.id' '.size' '.sha256'
	assert_eq "Content-Length smaller than a raw body: 100 bytes stored" \
		"100 $(head -c 100 "$H_DIR/bytes-5000" | sha256sum | cut -d' ' -f1)" "${JF[1]} ${JF[2]}"
	# Without a session cookie the upload makes a session (README): one session row too.
	assert_eq "Content-Length smaller than a raw body: one input and its file added" \
		"$(printf 'f objects/%s/%s\ni %s' "${JF[0]:0:2}" "${JF[0]}" "${JF[0]}")" \
		"$(h_added | grep -v '^s ')"
	assert_eq "Content-Length smaller than a raw body: one session added" 1 \
		"$(h_added | grep -c '^s ')"
	h_end "Content-Length smaller than a raw body"

	# Overflow rows on the second server, whose pixel limit (2^40) lets w x h x channels pass
	# 2^32: only 64-bit arithmetic refuses them.
	BASE=$H_S2_BASE DATA=$H_S2_DIR/data H_JAR=hostile_s2
	h_table h_rows_s2
	BASE=$main_base DATA=$main_data H_JAR=hostile
	server_stop "$H_S2_PID"
	assert_eq "hostile: the second server stops with 0" 0 "$?"
	rm -rf "$H_S2_DIR"

	# The 1-second token of the set-up, now expired.
	local late=$((H_TSHORT_AT + 2 - $(now)))
	[ "$late" -le 0 ] || sleep "$late"
	h_begin
	hq_get "/inputs/$H_A/content?token=$H_TSHORT"
	assert_error "a token of ttl=1, 2 s later: 410 token_expired" 410 token_expired
	h_nothing_added "a token of ttl=1, 2 s later"
	h_end "a token of ttl=1, 2 s later"

	http GET "$H_AURL"
	assert_body_file "after the matrix, the first input still reads back" "$M_TEXT"
	echo "hostile: $H_CASES cases tried, $H_BAD with a failed check, $H_GOOD good uploads between" \
		"them, $(($(now) - started)) s"
}
