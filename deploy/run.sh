#!/usr/bin/env bash
# deploy/run.sh: serve mediagate in the foreground behind lighttpd, the app under spawn-fcgi.
#
#   PORT=8080 BIND=127.0.0.1 DATA_DIR=./var PROCS=1 BIN=build/mediagate deploy/run.sh
#
# MEDIAGATE_* variables pass through to the app. Ctrl-C or SIGTERM stops everything (exit 0);
# if lighttpd dies on its own, the app is stopped too and the script exits non-zero.
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
DATA_DIR=${DATA_DIR:-./var}
PROCS=${PROCS:-1}
BIN=${BIN:-$root/build/mediagate}
PATH=$PATH:/usr/sbin:/sbin   # lighttpd lives in /usr/sbin on Debian

die() { echo "deploy/run.sh: $*" >&2; exit 1; }

for tool in lighttpd spawn-fcgi; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make deps installs it)"
done
case $PORT in '' | *[!0-9]*) die "PORT must be a number, not '$PORT'" ;; esac
case $PROCS in '' | 0 | *[!0-9]*) die "PROCS must be a number >= 1, not '$PROCS'" ;; esac
[ -x "$BIN" ] || die "$BIN is missing or not executable (run make first)"

mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
export MEDIAGATE_DATA_DIR=$DATA_DIR
"$BIN" init || die "'$BIN init' failed"

# lighttpd buffers chunked request bodies (see lighttpd.conf.in); cap those a MiB above the
# app's own limit, in KiB. Same sources as the app: the environment, else MEDIAGATE_CONFIG.
max=${MEDIAGATE_MAX_UPLOAD:-}
if [ -z "$max" ] && [ -n "${MEDIAGATE_CONFIG:-}" ]; then
	max=$(sed -n 's/^[[:space:]]*MEDIAGATE_MAX_UPLOAD=\([0-9]*[kKmMgG]\?\)[[:space:]]*$/\1/p' \
		"$MEDIAGATE_CONFIG" | tail -n 1)
fi
max=${max:-1G}
case $max in
*[kK]) max_kb=$((10#${max%?})) ;;
*[mM]) max_kb=$((10#${max%?} * 1024)) ;;
*[gG]) max_kb=$((10#${max%?} * 1024 * 1024)) ;;
*) max_kb=$(((10#$max + 1023) / 1024)) ;;
esac
chunked_kb=$((max_kb + 1024))

# Everything started from here on is stopped by stop(), on any exit.
run='' lighttpd_pid=''
# A pid is alive while it exists and is not a zombie (an orphan's parent may reap it late).
# shellcheck disable=SC2317 # called from the traps
alive() {
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null &&
			return 0
	done
	return 1
}
# shellcheck disable=SC2317,SC2086 # called from the traps; pids split into words
stop() {
	trap - EXIT INT TERM
	if [ -n "$lighttpd_pid" ]; then
		kill "$lighttpd_pid" 2>/dev/null || true
		wait "$lighttpd_pid" 2>/dev/null || true
	fi
	# The FastCGI processes are spawn-fcgi's orphans, not our children: signal, then wait.
	if [ -n "$run" ] && [ -f "$run/fcgi.pid" ]; then
		pids=$(cat "$run/fcgi.pid")
		kill $pids 2>/dev/null || true
		for _ in $(seq 50); do
			alive $pids || break
			sleep 0.1
		done
		kill -KILL $pids 2>/dev/null || true
	fi
	[ -z "$run" ] || rm -rf "$run"
}
trap stop EXIT
trap 'stop; exit 0' INT TERM

# Private runtime dir: unix socket (sun_path holds < 108 bytes), config, pid file, empty docroot.
run=$(mktemp -d "${TMPDIR:-/tmp}/mediagate.XXXXXX")
if [ ${#run} -gt 80 ]; then
	rmdir "$run"
	run=$(mktemp -d /tmp/mediagate.XXXXXX)
fi
sock=$run/fcgi.sock
mkdir "$run/docroot"

conf=$(cat "$root/deploy/lighttpd/lighttpd.conf.in")
conf=${conf//@BIND@/"$BIND"}
conf=${conf//@PORT@/"$PORT"}
conf=${conf//@DOCROOT@/"$run/docroot"}
conf=${conf//@SOCKET@/"$sock"}
conf=${conf//@CHUNKED_MAX_KB@/"$chunked_kb"}
printf '%s\n' "$conf" >"$run/lighttpd.conf"
lighttpd -tt -f "$run/lighttpd.conf" >/dev/null || die "bad generated lighttpd config"

# spawn-fcgi points a forked child's stdout and stderr at /dev/null; keep the app's stderr on
# ours through fd 9 (spawn-fcgi passes other descriptors on). The sh execs, so pids stay valid.
exec 9>&2
# shellcheck disable=SC2016 # $0 is for the inner sh
spawn-fcgi -s "$sock" -M 0600 -F "$PROCS" -P "$run/fcgi.pid" \
	-- /bin/sh -c 'exec "$0" 2>&9 9>&-' "$BIN" >/dev/null ||
	die "spawn-fcgi failed to start $BIN"
exec 9>&-

lighttpd -D -f "$run/lighttpd.conf" &
lighttpd_pid=$!
echo "mediagate: serving http://$BIND:$PORT/ (data in $DATA_DIR)"

# A trapped INT or TERM interrupts this wait and runs stop; otherwise lighttpd died by itself.
status=0
wait "$lighttpd_pid" || status=$?
lighttpd_pid=
echo "deploy/run.sh: lighttpd exited (status $status); stopping the app" >&2
exit $((status == 0 ? 1 : status))
