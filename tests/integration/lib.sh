# lib.sh: helpers for the integration tests (sourced by run.sh): results, asserts, curl, JSON, server.
#
# A test group is a file of plain bash that calls http/upload/... and the assert_* helpers. Every
# assert_* records one test: pass or fail NAME DETAIL. Globals set here:
#   ROOT OUT         the repository and the artifacts folder (tests/out/integration)
#   BASE DATA        the server under test (http://127.0.0.1:PORT) and its data folder
#   MOUNT            the app's mount prefix ("" at "/", or e.g. /media): paths the tests write
#                    ("/inputs") are under it; URLs the app emits already carry it
#   STATUS HDRS BODY after http: the status code and the files holding headers and body

PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()
REQ_N=0

# Results ----------------------------------------------------------------------------------------

pass() {
	PASSED=$((PASSED + 1))
	printf '  ok    %s\n' "$1"
}

# fail NAME DETAIL: record a failure; DETAIL may span lines.
fail() {
	FAILED=$((FAILED + 1))
	FAILURES+=("$1: $2")
	printf '  FAIL  %s: %s\n' "$1" "$2"
}

# skip NAME REASON: a test that could not run here; counted apart, neither passed nor failed.
skip() {
	SKIPPED=$((SKIPPED + 1))
	printf 'SKIP %s: %s\n' "$1" "$2"
}

group() { printf '== %s\n' "$1"; }

# What the last response was, for failure details: status, headers, start of the body.
last_response() {
	printf '[%s %s -> %s]' "$REQ_METHOD" "$REQ_PATH" "$STATUS"
	[ -s "$BODY" ] && printf ' body: %s' "$(head -c 300 "$BODY" | tr -c '[:print:]' '.')"
}

# Asserts ----------------------------------------------------------------------------------------

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# assert_match NAME ERE ACTUAL: ACTUAL matches the extended regular expression.
assert_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1" "'$3' does not match /$2/"; fi
}

# assert_no_match NAME ERE ACTUAL
assert_no_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then fail "$1" "'$3' matches /$2/"; else pass "$1"; fi
}

# assert_true NAME DETAIL COMMAND...: passes when the command succeeds.
assert_true() {
	local name=$1 detail=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$detail"; fi
}

# assert_status NAME CODE: the last response's status.
assert_status() {
	if [ "$STATUS" = "$2" ]; then pass "$1"; else fail "$1" "expected status $2, $(last_response)"; fi
}

# assert_header NAME HEADER EXPECTED: the last response's header value, exactly.
assert_header() { assert_eq "$1" "$3" "$(header "$2")"; }

# assert_body_file NAME FILE: the last response's body is byte for byte FILE.
assert_body_file() {
	if cmp -s "$2" "$BODY"; then
		pass "$1"
	else
		fail "$1" "body ($(size_of "$BODY") bytes, $BODY) differs from $2 ($(size_of "$2") bytes) $(
			cmp "$2" "$BODY" 2>&1 | head -n 1)"
	fi
}

# assert_empty_body NAME
assert_empty_body() {
	if [ -s "$BODY" ]; then fail "$1" "expected no body, $(last_response)"; else pass "$1"; fi
}

# assert_error NAME STATUS CODE: status, Content-Type application/json and {"error": CODE, "detail"}.
# CODE may list alternatives, "a|b", where the contract allows either.
assert_error() {
	local name=$1 status=$2 code=$3 got
	if [ "$STATUS" != "$status" ]; then
		fail "$name" "expected $status $code, $(last_response)"
		return
	fi
	case $(header Content-Type) in
	application/json*) ;;
	*)
		fail "$name" "error Content-Type is '$(header Content-Type)', not application/json"
		return
		;;
	esac
	got=$(jq -r 'if (.detail | type) == "string" then .error else "(no detail string)" end' \
		"$BODY" 2>/dev/null)
	case "|$code|" in
	*"|$got|"*) pass "$name" ;;
	*) fail "$name" "expected error '$code', got '$got' $(last_response)" ;;
	esac
}

# Data folder state: "nothing left behind" after an error ------------------------------------------

# snapshot: remember the number of object files and index rows of DATA.
snapshot() {
	SNAP_OBJECTS=$(count_objects)
	SNAP_ROWS=$(db 'SELECT count(*) FROM inputs')
}

count_objects() { find "$DATA/objects" -type f 2>/dev/null | wc -l; }

# assert_nothing_left NAME: DATA/tmp is empty and objects and rows are as at the last snapshot.
assert_nothing_left() {
	local name=$1 tmp objects rows
	tmp=$(find "$DATA/tmp" -mindepth 1 2>/dev/null | head -n 5 | tr '\n' ' ')
	objects=$(count_objects)
	rows=$(db 'SELECT count(*) FROM inputs')
	if [ -n "$tmp" ]; then
		fail "$name" "left in tmp/: $tmp"
	elif [ "$objects" != "$SNAP_OBJECTS" ] || [ "$rows" != "$SNAP_ROWS" ]; then
		fail "$name" "objects $SNAP_OBJECTS -> $objects, rows $SNAP_ROWS -> $rows"
	else
		pass "$name"
	fi
}

# db SQL: run one query on DATA's index (read-only is enough; waits for writers).
db() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DATA/index.sqlite" "$1"; }

# object_path ID: where the store keeps the bytes of input ID.
object_path() { printf '%s/objects/%s/%s' "$DATA" "${1:0:2}" "$1"; }

# HTTP -------------------------------------------------------------------------------------------

# http METHOD PATH [CURL ARGS...]: one request to BASE; sets STATUS and the files HDRS and BODY.
# PATH may also be a full URL; a path gets the mount prefix unless it has it already (the URLs the
# app emits, such as content_url, carry it). With JAR=NAME (e.g. `JAR=alice http GET /inputs`) the request
# sends and updates the cookies of jar NAME. Expect: is off (no 1 s wait for 100-continue).
http() {
	local method=$1 path=$2 url
	shift 2
	REQ_N=$((REQ_N + 1))
	REQ_METHOD=$method REQ_PATH=$path
	HDRS=$OUT/req/$REQ_N.headers BODY=$OUT/req/$REQ_N.body
	case $path in
	http*) url=$path ;;
	"${MOUNT:-}"/*) url=$BASE$path ;;
	*) url=$BASE${MOUNT:-}$path ;;
	esac
	local args=(-sS -g --max-time 30 -D "$HDRS" -o "$BODY" -w '%{http_code}' -H 'Expect:')
	if [ -n "${JAR:-}" ]; then
		: >>"$OUT/jars/$JAR"
		args+=(-b "$OUT/jars/$JAR" -c "$OUT/jars/$JAR")
	fi
	case $method in
	GET) ;;
	HEAD) args+=(--head) ;;
	*) args+=(-X "$method") ;;
	esac
	# lighttpd answers 411 to a POST without Content-Length (nginx does not, see test_basic);
	# send an empty body as browsers do.
	if [ "$method" = POST ] && ! printf '%s\n' "$@" | grep -Eq '^(-d|--data.*|-F|--form.*|-T)$'; then
		args+=(-H 'Content-Length: 0')
	fi
	STATUS=$(curl "${args[@]}" "$@" "$url" 2>"$OUT/req/$REQ_N.err") || STATUS=${STATUS:-000}
	[ -f "$BODY" ] || : >"$BODY"
	# With --head curl writes the header block to -o as well: that is not a body.
	[ "$method" != HEAD ] || : >"$BODY"
	printf '%s %s -> %s\n' "$method" "$url" "$STATUS" >>"$OUT/requests.log"
}

# header NAME: the value of the last response's header NAME (case-insensitive; the last one
# when repeated, and of the final response after a 100 Continue), without the CR.
header() {
	tr -d '\r' <"$HDRS" | awk -v want="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" '
		/^HTTP\// { v = ""; found = 0; next }
		{
			i = index($0, ":"); if (i == 0) next
			name = tolower(substr($0, 1, i - 1))
			if (name == want) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); found = 1 }
		}
		END { if (found) print v }'
}

# headers_normalised FILE: the header block without Date and X-Request-Id (they differ per
# request), names lowercased, max-age numbers blanked (they count down), sorted: for comparing
# GET and HEAD.
headers_normalised() {
	tr -d '\r' <"$1" | grep -v '^HTTP/' | grep -v '^$' | grep -ivE '^(date|x-request-id):' |
		awk -F': ' '{ n = tolower($1); sub(/^[^:]*: */, ""); print n ": " $0 }' |
		sed -E 's/max-age=[0-9]+/max-age=N/' | sort
}

# json FILTER [FILE]: jq -r FILTER on FILE (default: the last body); empty when absent/invalid.
json() { jq -r "$1 // empty" "${2:-$BODY}" 2>/dev/null; }

# jfields FILE FILTER...: several values from one jq run (jq starts slowly): JF[i] is FILTER i's
# value, strings as they are, anything else as JSON ("null" when absent), "" when the filter
# fails or FILE is not JSON. Values must fit on one line.
jfields() {
	local file=$1 f prog='' i
	shift
	for f in "$@"; do
		prog+="${prog:+, }(try ($f) catch \"\" | if type == \"string\" then . else tojson end)"
	done
	JF=()
	mapfile -t JF < <(jq -r "$prog" "$file" 2>/dev/null)
	for ((i = ${#JF[@]}; i < $#; i++)); do JF[i]=''; done
}

size_of() { stat -c %s "$1"; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
now() { date +%s; }

# slice FILE FIRST COUNT: COUNT bytes of FILE from byte FIRST (0-based).
slice() { dd if="$1" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }

# Sessions and uploads ---------------------------------------------------------------------------

# new_session JAR: a fresh cookie jar JAR, then POST /sessions with it.
new_session() {
	: >"$OUT/jars/$1"
	JAR=$1 http POST /sessions
}

# upload JAR KIND FILE [TYPE [CURL ARGS...]]: multipart upload as a form sends it (kind first),
# in session JAR. On 201 sets ID TOKEN CONTENT_URL and returns 0; else records a failure, returns 1.
upload() {
	local jarname=$1 kind=$2 file=$3 type=${4:-application/octet-stream}
	shift 3
	[ $# -eq 0 ] || shift
	JAR=$jarname http POST /inputs -F "kind=$kind" -F "file=@$file;type=$type" "$@"
	upload_result "upload $(basename "$file") ($kind, $type)"
}

# upload_raw JAR QUERY FILE TYPE: raw-body upload (?QUERY) with Content-Type TYPE; as upload.
upload_raw() {
	JAR=$1 http POST "/inputs?$2" --data-binary "@$3" -H "Content-Type: $4"
	upload_result "raw upload $(basename "$3") ($4)"
}

upload_result() {
	ID='' TOKEN='' CONTENT_URL=''
	if [ "$STATUS" != 201 ]; then
		fail "$1" "expected 201, $(last_response)"
		return 1
	fi
	jfields "$BODY" '.id // ""' '.token // ""' '.content_url // ""'
	ID=${JF[0]} TOKEN=${JF[1]} CONTENT_URL=${JF[2]}
	if [ -z "$ID" ] || [ -z "$TOKEN" ]; then
		fail "$1" "201 without id or token: $(head -c 300 "$BODY")"
		return 1
	fi
	return 0
}

# The server -------------------------------------------------------------------------------------

# free_port: a loopback port nothing listens on (a /dev/tcp connect to it fails).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40001))
		if port_closed "$p"; then
			echo "$p"
			return
		fi
	done
}

# port_closed PORT: nothing listens on 127.0.0.1:PORT.
port_closed() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# app_pids DIR: live (not zombie) processes of $BIN serving data folder DIR.
app_pids() {
	local p
	for p in $(pgrep -x "$(basename "$BIN" | cut -c1-15)"); do
		grep -qzxF "MEDIAGATE_DATA_DIR=$1" "/proc/$p/environ" 2>/dev/null || continue
		grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null || echo "$p"
	done
}

# server_script: the deploy script of the server under test, SERVER (lighttpd or nginx).
server_script() {
	case ${SERVER:-lighttpd} in
	nginx) printf '%s' "$ROOT/deploy/nginx/run.sh" ;;
	apache) printf '%s' "$ROOT/deploy/apache/run.sh" ;;
	*) printf '%s' "$ROOT/deploy/run.sh" ;;
	esac
}

# server_start LOG DATA_DIR [VAR=VALUE...]: start the deploy script of SERVER (deploy/run.sh for
# lighttpd, deploy/nginx/run.sh for nginx, deploy/apache/run.sh for apache) on a free port and
# wait (10 s) for GET /healthz.
# Sets S_PID S_PORT S_BASE. Returns 1 (the log printed) when it does not come up.
# A port that looked free can still be taken when the server binds it (an ephemeral port of some
# client connection): then it tries another one.
server_start() {
	local log=$1 dir=$2 _ attempt
	shift 2
	for attempt in 1 2 3 4 5; do
		S_PORT=$(free_port)
		S_BASE=http://127.0.0.1:$S_PORT
		env "$@" PORT="$S_PORT" BIND=127.0.0.1 DATA_DIR="$dir" PROCS="${PROCS:-2}" \
			"$(server_script)" >"$log" 2>&1 &
		S_PID=$!
		for _ in $(seq 100); do
			if curl -fsS --max-time 1 -o /dev/null "$S_BASE${MOUNT:-}/healthz" 2>/dev/null; then
				return 0
			fi
			kill -0 "$S_PID" 2>/dev/null || break
			sleep 0.1
		done
		server_stop "$S_PID" >/dev/null 2>&1
		grep -q 'Address already in use' "$log" || break
		cp "$log" "$log.port-taken.$attempt"
	done
	echo "server did not answer GET ${MOUNT:-}/healthz on $S_BASE within 10 s; $log:" >&2
	sed 's/^/    /' "$log" >&2
	return 1
}

# server_stop PID: SIGTERM the deploy script and wait (10 s); returns its exit status (0 expected),
# or 124 when it had to be killed.
server_stop() {
	local pid=$1 _ rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

# Media checks (issue 3) ---------------------------------------------------------------------------

# expect_post_error JAR NAME STATUS CODE TARGET [CURL ARGS...]: POST TARGET (/inputs or
# /inputs?QUERY) in session JAR; the error STATUS CODE, and nothing left behind (see snapshot).
expect_post_error() {
	local jarname=$1 name=$2 status=$3 code=$4 target=$5
	shift 5
	snapshot
	JAR=$jarname http POST "$target" "$@"
	assert_error "$name: $status $code" "$status" "$code"
	assert_nothing_left "$name: nothing stored"
}

# assert_detail NAME ERE: the last error body's "detail" matches ERE (e.g. names the field).
assert_detail() { assert_match "$1" "$2" "$(json .detail)"; }

# near A B TOL: the decimal numbers A and B differ by at most TOL (false when either is empty).
near() {
	awk -v a="$1" -v b="$2" -v t="$3" \
		'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t + 0) }'
}

# assert_near NAME EXPECTED ACTUAL TOL
assert_near() {
	if near "$2" "$3" "$4"; then pass "$1"; else fail "$1" "expected $2 (+-$4), got '$3'"; fi
}

# probe FILE ENTRY[,ENTRY...]: fields of the first stream of FILE as ffprobe reads it
# (sample_rate, channels, codec_name, duration_ts, width, height, pix_fmt, ...), space-separated
# in the order asked, from one ffprobe run; empty when ffprobe cannot read FILE.
probe() {
	ffprobe -v error -show_entries "stream=$2" -of json "$1" 2>/dev/null |
		jq -r --arg e "$2" '.streams[0] as $s | [$e | split(",")[] | $s[.] // "" | tostring] |
			join(" ")' 2>/dev/null
}

# probe_duration FILE: the container's duration in seconds, as ffprobe reads it.
probe_duration() {
	ffprobe -v error -show_entries format=duration -of default=noprint_wrappers=1:nokey=1 "$1" \
		2>/dev/null | head -n 1
}

# le_u FILE OFFSET BYTES: the unsigned little-endian integer of BYTES (2 or 4) bytes at OFFSET.
le_u() { od -An -tu"$3" -j"$2" -N"$3" --endian=little "$1" | tr -d ' '; }

# be32 N / le32 N: the 4 bytes of N, big-endian / little-endian.
be32() { printf '%b' "$(printf '%08x' "$1" | sed 's/../\\x&/g')"; }
le32() { printf '%b' "$(printf '%08x' "$1" | sed -E 's/(..)(..)(..)(..)/\\x\4\\x\3\\x\2\\x\1/')"; }

# wav_header_fields FILE: the canonical 44-byte header of FILE as "RIFF SIZE WAVE fmt  16 TAG
# CHANNELS RATE BYTE_RATE BLOCK_ALIGN BITS data DATA_SIZE" (od, independent of the app).
wav_header_fields() {
	printf '%s %s %s %s %s %s %s %s %s %s %s %s %s' \
		"$(slice "$1" 0 4)" "$(le_u "$1" 4 4)" "$(slice "$1" 8 4)" "$(slice "$1" 12 4)" \
		"$(le_u "$1" 16 4)" "$(le_u "$1" 20 2)" "$(le_u "$1" 22 2)" "$(le_u "$1" 24 4)" \
		"$(le_u "$1" 28 4)" "$(le_u "$1" 32 2)" "$(le_u "$1" 34 2)" "$(slice "$1" 36 4)" \
		"$(le_u "$1" 40 4)"
}

# wav_header_expected TAG CHANNELS RATE BYTES_PER_SAMPLE DATA_SIZE: what wav_header_fields
# should print for a canonical header (format tag 1 PCM or 3 IEEE float).
wav_header_expected() {
	local tag=$1 ch=$2 rate=$3 bps=$4 data=$5
	printf 'RIFF %s WAVE fmt  16 %s %s %s %s %s %s data %s' $((36 + data)) "$tag" "$ch" "$rate" \
		$((rate * ch * bps)) $((ch * bps)) $((bps * 8)) "$data"
}

# multipart_expected BOUNDARY TYPE SIZE FILE FIRST-LAST...: the exact multipart/byteranges
# payload (RFC 9110 section 14.6) of those ranges of FILE, framed as fcgi/range.h frames it.
multipart_expected() {
	local boundary=$1 type=$2 size=$3 file=$4 r
	shift 4
	for r in "$@"; do
		printf '\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %s/%s\r\n\r\n' \
			"$boundary" "$type" "$r" "$size"
		slice "$file" "${r%-*}" $((${r#*-} - ${r%-*} + 1))
	done
	printf '\r\n--%s--\r\n' "$boundary"
}

# need_tools NAME TOOL...: fail NAME (and return 1) when a tool is not installed.
need_tools() {
	local name=$1 t missing=''
	shift
	for t in "$@"; do command -v "$t" >/dev/null || missing="$missing $t"; done
	[ -z "$missing" ] && return 0
	fail "$name" "not installed:$missing (make deps installs them)"
	return 1
}

# Tokens and raw requests (issue 4) --------------------------------------------------------------

# be64 N: the 8 bytes of N (0 <= N < 2^63), big-endian.
be64() { printf '%b' "$(printf '%016x' "$1" | sed 's/../\\x&/g')"; }

# b64url_encode: standard input as base64url without padding (RFC 4648 section 5).
b64url_encode() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# b64url_decode TEXT: the bytes TEXT encodes, on standard output (nothing when it is not base64url).
b64url_decode() {
	local s=$1
	case $((${#s} % 4)) in 2) s+='==' ;; 3) s+='=' ;; esac
	printf '%s' "$s" | tr -- '-_' '+/' | base64 -d 2>/dev/null
}

# token_payload_byte TOKEN N: byte N (0-based, decimal) of the token's 53-byte payload, the
# base64url text of its first 71 characters (tokens/token.h).
token_payload_byte() { b64url_decode "${1:0:71}" | od -An -tu1 -j"$2" -N1 | tr -d ' '; }

# token_key_id TOKEN: the key id of a token, payload bytes 1..4 big-endian; empty when undecodable.
token_key_id() {
	b64url_decode "${1:0:71}" | od -An -tu1 -j1 -N4 |
		awk 'NF == 4 { print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}

# key_hex KEYFILE ID: the 64 hex digits of key ID in a key file ("ID HEX" lines).
key_hex() { awk -v id="$2" '$1 == id { print $2 }' "$1"; }

# token_make KEYFILE SIGN_ID KEY_ID IAT EXP SESSION INPUT: a version 1 token made here, independently
# of the app: the payload claims key KEY_ID, issued at IAT, expiring at EXP (Unix seconds), for
# the 22-character ids SESSION and INPUT, and is signed with key SIGN_ID of KEYFILE (openssl).
# Prints nothing when SIGN_ID is not in KEYFILE.
token_make() {
	local keyfile=$1 sign=$2 kid=$3 iat=$4 exp=$5 session=$6 input=$7 hex pl
	hex=$(key_hex "$keyfile" "$sign")
	[ -n "$hex" ] || return 1
	pl=$(mktemp "${TMPDIR:-/tmp}/mg-payload.XXXXXX")
	{
		printf '\001'
		be32 "$kid"
		be64 "$iat"
		be64 "$exp"
		b64url_decode "$session"
		b64url_decode "$input"
	} >"$pl"
	printf '%s.%s' "$(b64url_encode <"$pl")" \
		"$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hex" -binary <"$pl" | b64url_encode)"
	rm -f "$pl"
}

# token_flip TOKEN PART BYTE MASK: TOKEN with byte BYTE of its payload (PART p) or of its MAC
# (PART m) XORed with MASK (1..255), re-encoded: a bit-flipped token of the right shape.
token_flip() {
	local tok=$1 part=$2 byte=$3 mask=$4 text f v
	if [ "$part" = p ]; then text=${tok%%.*}; else text=${tok#*.}; fi
	f=$(mktemp "${TMPDIR:-/tmp}/mg-flip.XXXXXX")
	b64url_decode "$text" >"$f"
	v=$(od -An -tu1 -j"$byte" -N1 "$f" | tr -d ' ')
	printf '%b' "$(printf '\\x%02x' $((v ^ mask)))" |
		dd of="$f" bs=1 seek="$byte" conv=notrunc status=none
	text=$(b64url_encode <"$f")
	rm -f "$f"
	if [ "$part" = p ]; then printf '%s.%s' "$text" "${tok#*.}"; else printf '%s.%s' "${tok%%.*}" "$text"; fi
}

# raw_http FILE [WAIT]: send FILE (a whole HTTP/1.1 request, exact bytes) to BASE over a bash
# /dev/tcp socket and read the answer for at most WAIT seconds (default 5); sets STATUS (000 when
# nothing came back), HDRS and BODY as http does. For what curl will not send: a Content-Length
# that lies, two of them, bytes after the body.
raw_http() {
	local file=$1 wait=${2:-5} hostport=${BASE#http://} fd raw
	REQ_N=$((REQ_N + 1))
	REQ_METHOD=RAW REQ_PATH=$(basename "$file")
	HDRS=$OUT/req/$REQ_N.headers BODY=$OUT/req/$REQ_N.body raw=$OUT/req/$REQ_N.raw
	: >"$raw"
	if exec {fd}<>"/dev/tcp/${hostport%%:*}/${hostport##*:}"; then
		# shellcheck disable=SC2261 # stdout to the socket, stderr (EPIPE) away
		cat "$file" >&"$fd" 2>/dev/null
		timeout "$wait" cat <&"$fd" >"$raw" 2>/dev/null
		exec {fd}>&-
	fi
	STATUS=$(head -n 1 "$raw" | sed -n 's/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p')
	STATUS=${STATUS:-000}
	awk 'NR == 1, /^\r?$/' "$raw" >"$HDRS"
	awk 'f { print } /^\r?$/ { f = 1 }' "$raw" >"$BODY"
	printf 'RAW %s -> %s\n' "$file" "$STATUS" >>"$OUT/requests.log"
}
