#!/usr/bin/env bash
# run.sh: the tus tests (make check): mediagate's /uploads driven by tus-js-client 4.x in Node.
#
#   tests/tus/run.sh
#
# Installs tus-js-client (pinned in package-lock.json) with `npm ci` when node_modules is missing
# or holds another version. Then runs run.mjs, which starts the server itself (deploy/run.sh) and
# ends with the line "N passed, M failed"; exits 0 only when nothing failed. Artifacts (server.log)
# go to tests/out/tus/, or to MG_TEST_OUT when set.
set -eu
unset CDPATH

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-$ROOT/build/mediagate}
OUT=${MG_TEST_OUT:-$ROOT/tests/out/tus}
export BIN MG_TEST_OUT=$OUT

abort() {
	echo "tus: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

for tool in node npm lighttpd spawn-fcgi; do
	PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null ||
		abort "$tool is not installed (make deps installs it)"
done
[ -x "$BIN" ] || abort "$BIN is not built (make build/mediagate)"
# tus-js-client 4 needs Node 18 or later (fetch, and the ES modules run.mjs is).
# shellcheck source=tests/node/deps.sh
. "$ROOT/tests/node/deps.sh"
node_deps "$HERE" tus-js-client tus

mkdir -p "$OUT"
status=0
node "$HERE/run.mjs" || status=$?
# The app's memory checkers (make check SANITIZE=1 / VALGRIND=1): their reports fail the run.
reports=$(grep -lE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer' \
	"$OUT/server.log" 2>/dev/null || true)
if [ -n "${MG_VALGRIND_LOGS:-}" ]; then
	reports="$reports$(find "$MG_VALGRIND_LOGS" -name 'vg.*.log' -size +0 2>/dev/null)"
fi
if [ -n "$reports" ]; then
	echo "tus: the app's memory checker reported errors: $reports"
	echo "0 passed, 1 failed"
	exit 1
fi
exit "$status"
