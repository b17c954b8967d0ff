#!/usr/bin/env bash
# run.sh: the browser tests (make check): mediagate's pages in Debian's headless Chromium.
#
#   tests/browser/run.sh
#
# Installs playwright-core (pinned in package-lock.json) with `npm ci` when node_modules is
# missing or holds another version; never downloads a browser: the tests drive Debian's
# /usr/bin/chromium. Then runs run.mjs, which starts the server itself and ends with the line
# "N passed, M failed"; exits 0 only when nothing failed. Artifacts: tests/out/browser/.
set -eu
unset CDPATH

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-$ROOT/build/mediagate}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export BIN CHROMIUM

abort() {
	echo "browser: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ -x "$CHROMIUM" ] || abort "$CHROMIUM is missing: install Debian's chromium (make deps)"
for tool in node npm sox soxi espeak-ng lighttpd spawn-fcgi; do
	PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null ||
		abort "$tool is not installed (make deps installs it)"
done
[ -x "$BIN" ] || abort "$BIN is not built (make build/mediagate)"
# playwright-core 1.61 is the last release that runs on Node 18 (Debian 12's nodejs).
# shellcheck source=tests/node/deps.sh
. "$ROOT/tests/node/deps.sh"
node_deps "$HERE" playwright-core browser

status=0
node "$HERE/run.mjs" || status=$?
# The app's memory checkers (make check SANITIZE=1 / VALGRIND=1): their reports fail the run.
reports=$(grep -lE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer' \
	"$ROOT/tests/out/browser/server.log" 2>/dev/null || true)
if [ -n "${MG_VALGRIND_LOGS:-}" ]; then
	reports="$reports$(find "$MG_VALGRIND_LOGS" -name 'vg.*.log' -size +0 2>/dev/null)"
fi
if [ -n "$reports" ]; then
	echo "browser: the app's memory checker reported errors: $reports"
	echo "0 passed, 1 failed"
	exit 1
fi
exit "$status"
