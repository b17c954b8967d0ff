#!/usr/bin/env bash
# run.sh: the integration tests (make check): real lighttpd + spawn-fcgi via deploy/run.sh, curl.
#
#   tests/integration/run.sh [GROUP...]    GROUP is NAME of a test_NAME.sh; default: all of them
#   SERVER=nginx tests/integration/run.sh  the same behind nginx (deploy/nginx/run.sh)
#   MOUNT=/media tests/integration/run.sh  the app mounted at a prefix (the deploy scripts' MOUNT)
#   OFFLOAD=1 tests/integration/run.sh     the web server sends the bytes of files on disk (the
#                                          deploy scripts' OFFLOAD; test_offload.sh proves it)
#   SERVER=apache tests/integration/run.sh behind Apache + mod_fcgid (deploy/apache/run.sh), at
#                                          MOUNT=/media unless MOUNT is set (MOUNT= for "/")
#
# SERVER (lighttpd, the default, nginx or apache) picks the web server in front of the app; the few
# expectations that are the web server's own (its 400/411 answers) branch on it.
# Starts the server on a free loopback port with a throwaway data folder, runs the groups, stops
# it, and ends with the line "N passed, M failed"; exits 0 only when nothing failed. Artifacts
# (media, requests and responses, server.log) go to tests/out/integration/, or to MG_TEST_OUT
# when set (so that two runs, e.g. SERVER=lighttpd and SERVER=nginx, can go at once).
set -u
unset CDPATH

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/integration
OUT=${MG_TEST_OUT:-$ROOT/tests/out/integration}
MEDIA=$OUT/media
BIN=${BIN:-$ROOT/build/mediagate}
SERVER=${SERVER:-lighttpd}
MAX_UPLOAD=4194304   # 4 MiB: the 413 tests stay cheap
TOKEN_TTL=3600
TOKEN_TTL_MAX=86400
[ "$SERVER" != apache ] || MOUNT=${MOUNT-/media}   # Apache is the prefix deployment
MOUNT=${MOUNT:-}
export BIN SERVER MOUNT
OFFLOAD=${OFFLOAD:-0}
export OFFLOAD
# Hermetic: no MEDIAGATE_* setting of the caller's shell reaches the servers under test.
for v in $(compgen -e | grep '^MEDIAGATE_'); do unset "$v"; done

# shellcheck source=tests/integration/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/integration/media.sh
. "$HERE/media.sh"

abort() {
	echo "integration: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

for tool in curl jq sqlite3 sox espeak-ng cmp sha256sum od; do
	command -v "$tool" >/dev/null || abort "$tool is not installed (make deps installs it)"
done
[ -x "$BIN" ] || abort "$BIN is not built (make build/mediagate)"
case $SERVER in
lighttpd | nginx | apache) ;;
*) abort "SERVER must be lighttpd, nginx or apache, not '$SERVER'" ;;
esac

rm -rf "$OUT"
mkdir -p "$OUT/req" "$OUT/jars" || abort "cannot create $OUT"
make_media "$MAX_UPLOAD" 2>"$OUT/media.err" || abort "making test media failed: $(cat "$OUT/media.err")"

DATA=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-test.XXXXXX") || abort "mktemp failed"
# What a crash leaves: an upload in progress and its object file without an index row. The app
# must remove both when it starts (issue: "at start-up the app removes temporary files").
CRASH_ID=crashLeftoverAAAAAAAAA
mkdir -p "$DATA/tmp" "$DATA/objects/${CRASH_ID:0:2}"
printf 'half an upload' >"$DATA/tmp/$CRASH_ID.part"
printf 'half an upload' >"$DATA/objects/${CRASH_ID:0:2}/$CRASH_ID"

SERVER_PID=
cleanup() {
	[ -z "$SERVER_PID" ] || server_stop "$SERVER_PID" >/dev/null 2>&1
	rm -rf "$DATA"
}
trap cleanup EXIT

server_start "$OUT/server.log" "$DATA" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" \
	MEDIAGATE_TOKEN_TTL="$TOKEN_TTL" MEDIAGATE_TOKEN_TTL_MAX="$TOKEN_TTL_MAX" ||
	abort "the server did not start"
SERVER_PID=$S_PID
BASE=$S_BASE
echo "integration: $SERVER on $BASE${MOUNT:+ mounted at $MOUNT}, offload $OFFLOAD, data in $DATA, artifacts in $OUT"

started=$(now)
for file in "$HERE"/test_*.sh; do
	name=$(basename "$file" .sh)
	name=${name#test_}
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx -- "$name"; then
		continue
	fi
	group "$name"
	# shellcheck source=/dev/null
	. "$file"
	"test_$name"
done

group "shutdown"
server_stop "$SERVER_PID"
rc=$?
SERVER_PID=
assert_eq "the deploy script ($SERVER) exits 0 on SIGTERM" 0 "$rc"
assert_true "the port is closed after the stop" "something still listens on $BASE" \
	port_closed "${BASE##*:}"
left=$(app_pids "$DATA")
assert_eq "no FastCGI process of the data folder is left" "" "$left"

group "memory checkers"
# make check SANITIZE=1: ASan and UBSan write their reports to the servers' logs (a report
# in a request usually also fails that request). make check VALGRIND=1: valgrind writes to a
# file per process, empty when it found nothing.
reports=$(grep -lE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer' \
	"$OUT"/server*.log 2>/dev/null)
assert_eq "no sanitizer report in the server logs" "" "$reports"
if [ -n "${MG_VALGRIND_LOGS:-}" ]; then
	reports=$(find "$MG_VALGRIND_LOGS" -name 'vg.*.log' -size +0 2>/dev/null)
	assert_eq "no valgrind report in $MG_VALGRIND_LOGS" "" "$reports"
fi

echo
echo "integration: $(($(now) - started)) s"
if [ "$FAILED" -gt 0 ]; then
	echo "Failures:"
	for f in "${FAILURES[@]}"; do
		printf -- '- %s\n' "$f"
	done
	echo
	echo "Last 40 lines of $OUT/server.log:"
	tail -n 40 "$OUT/server.log" | sed 's/^/    /'
fi
[ "$SKIPPED" -eq 0 ] || echo "$SKIPPED skipped"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
