#!/usr/bin/env bash
# deploy/systemd/check.sh: what can be checked of mediagate.service without systemd running as
# PID 1 (a container, CI): prints "ok ..." or "FAIL ..." lines and exits non-zero on a failure.
#
#   BIN=build/mediagate deploy/systemd/check.sh
#
# 1. systemd-analyze verify accepts the unit (the app's path replaced by BIN), without a warning.
# 2. systemd-analyze security --offline rates its exposure 2.0 or lower.
# 3. systemd-sysusers creates the user mediagate from mediagate.sysusers.conf (in a scratch root).
# 4. The unit's own ExecStartPre (init) and ExecStart command lines, with /run/mediagate and the
#    app's path moved to a scratch folder, run as an unprivileged user (nobody, when run as
#    root): spawn-fcgi starts PROCS=2 apps on a 0660 socket, a FastCGI GET /healthz through it
#    (cgi-fcgi) answers 200, and the app's access-log line reaches the unit's stderr.
# Not checked (needs systemd as PID 1): User=/Group=, the sandboxing (ProtectSystem=, the system
# call filter...), StateDirectory=/RuntimeDirectory=, the "+" chgrp commands, stop and restart.
set -u
unset CDPATH

root=$(cd "$(dirname "$0")/../.." && pwd)
unit=$root/deploy/systemd/mediagate.service
sysusers=$root/deploy/systemd/mediagate.sysusers.conf
BIN=${BIN:-$root/build/mediagate}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
PATH=$PATH:/usr/sbin:/sbin
failed=0

ok() { echo "ok    $*"; }
fail() {
	echo "FAIL  $*"
	failed=1
}

for tool in systemd-analyze systemd-sysusers spawn-fcgi cgi-fcgi setpriv; do
	command -v "$tool" >/dev/null || {
		echo "FAIL  $tool is not installed (make deps installs it)"
		exit 1
	}
done
[ -x "$BIN" ] || {
	echo "FAIL  $BIN is not built"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-systemd.XXXXXX") || exit 1
pids=''
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	# shellcheck disable=SC2086 # pids split into words
	[ -z "$pids" ] || kill $pids 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 0755 "$tmp"

# 1. verify: a copy named like the original, with the app where it is here.
mkdir "$tmp/unit"
sed "s|/usr/local/bin/mediagate|$BIN|g" "$unit" >"$tmp/unit/mediagate.service"
if out=$(systemd-analyze verify "$tmp/unit/mediagate.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify mediagate.service"
else
	fail "systemd-analyze verify mediagate.service: $out"
fi

# 2. security rating.
if out=$(systemd-analyze security --offline=yes --threshold=20 "$tmp/unit/mediagate.service" 2>&1); then
	ok "systemd-analyze security: $(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: //p')"
else
	fail "systemd-analyze security (threshold 2.0): $(printf '%s\n' "$out" | tail -n 1)"
fi

# 3. sysusers in a scratch root.
mkdir -p "$tmp/sysroot/etc"
if out=$(systemd-sysusers --root="$tmp/sysroot" "$sysusers" 2>&1) &&
	grep -q '^mediagate:x:[0-9]*:[0-9]*:[^:]*:/var/lib/mediagate:/usr/sbin/nologin$' \
		"$tmp/sysroot/etc/passwd" && grep -q '^mediagate:' "$tmp/sysroot/etc/group"; then
	ok "systemd-sysusers creates the user and group mediagate"
else
	fail "systemd-sysusers: $out $(cat "$tmp/sysroot/etc/passwd" 2>/dev/null)"
fi

# 4. The start commands, as the unit has them.
line() { sed -n "s/^$1=//p" "$unit"; }
pre=$(line ExecStartPre | grep -v '^+' | head -n 1)
start=$(line ExecStart)
data=$tmp/data rundir=$tmp/run
mkdir -m 0700 "$data" && mkdir -m 0750 "$rundir"
as=()
if [ "$(id -u)" = 0 ]; then
	chown nobody "$data" "$rundir"
	as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --no-new-privs)
fi
# What systemd does to the command line: ${PROCS} is its own expansion; the paths are moved.
subst() { sed "s|/usr/local/bin/mediagate|$BIN|g; s|/run/mediagate|$rundir|g; s|\${PROCS}|2|g"; }
pre=$(printf '%s' "$pre" | subst)
start=$(printf '%s' "$start" | subst)
case $start in
"/bin/sh -c '"*"'") start=${start#"/bin/sh -c '"} start=${start%"'"} ;;
*) fail "ExecStart is not /bin/sh -c '...': $start" ;;
esac
export MEDIAGATE_DATA_DIR=$data
# shellcheck disable=SC2086 # ExecStartPre is a plain command line
if out=$(cd / && umask 0077 && "${as[@]}" $pre 2>&1); then
	ok "ExecStartPre (mediagate init) as $("${as[@]}" id -un)"
else
	fail "ExecStartPre: $out"
fi
(cd / && umask 0077 && "${as[@]}" /bin/sh -c "$start") >"$tmp/stdout" 2>"$tmp/stderr"
sock=$rundir/fcgi.sock
for _ in $(seq 50); do
	[ -S "$sock" ] && break
	sleep 0.1
done
for _ in $(seq 50); do
	pids=$(for p in $(pgrep -x "$(basename "$BIN" | cut -c1-15)"); do
		grep -qzxF "MEDIAGATE_DATA_DIR=$data" "/proc/$p/environ" 2>/dev/null && echo "$p"
	done)
	[ "$(printf '%s\n' "$pids" | grep -c .)" -ge 2 ] && break
	sleep 0.1
done
mode=$(stat -c %a "$sock" 2>/dev/null)
if [ "$mode" = 660 ]; then ok "spawn-fcgi made the socket, mode 0660"; else fail "socket mode '$mode'"; fi
n=$(printf '%s\n' "$pids" | grep -c .)
if [ "$n" = 2 ]; then ok "PROCS=2: two app processes"; else fail "$n app processes: $(cat "$tmp/stdout" "$tmp/stderr")"; fi
resp=$(cd / && env -i REQUEST_METHOD=GET REQUEST_URI=/healthz SCRIPT_NAME= QUERY_STRING= \
	REMOTE_ADDR=127.0.0.1 cgi-fcgi -bind -connect "$sock" 2>&1 | tr -d '\r')
if printf '%s\n' "$resp" | grep -q '^{"status":"ok"}$'; then
	ok "GET /healthz over the socket (cgi-fcgi): ok"
else
	fail "GET /healthz over the socket: $resp"
fi
for _ in $(seq 20); do
	grep -q '^mediagate .* route=/healthz .* status=200 ' "$tmp/stderr" && break
	sleep 0.1
done
if grep -q '^mediagate .* route=/healthz .* status=200 ' "$tmp/stderr"; then
	ok "the app's access log reaches the unit's stderr (the journal)"
else
	fail "no access-log line on stderr: $(cat "$tmp/stderr")"
fi

[ "$failed" = 0 ] && echo "systemd unit: all checks passed" || echo "systemd unit: FAILED"
exit "$failed"
