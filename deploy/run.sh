#!/usr/bin/env bash
# deploy/run.sh: serve mediagate in the foreground behind lighttpd, the app under spawn-fcgi.
#
#   PORT=8080 BIND=127.0.0.1 DATA_DIR=./var PROCS=1 BIN=build/mediagate deploy/run.sh
#
# MEDIAGATE_* variables pass through to the app. Ctrl-C or SIGTERM stops everything (exit 0);
# if lighttpd dies on its own, the app is stopped too and the script exits non-zero.
# deploy/nginx/run.sh does the same behind nginx; what they share is in deploy/common.sh.
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/.." && pwd)
me=deploy/run.sh
# shellcheck source=deploy/common.sh
. "$root/deploy/common.sh"

mg_prepare lighttpd spawn-fcgi
# lighttpd buffers chunked request bodies (see lighttpd.conf.in): cap those (chunked_kb).
mg_chunked_kb
mg_rundir

conf=$(cat "$root/deploy/lighttpd/lighttpd.conf.in")
conf=${conf//@BIND@/"$BIND"}
conf=${conf//@PORT@/"$PORT"}
conf=${conf//@DOCROOT@/"$run/docroot"}
conf=${conf//@SOCKET@/"$sock"}
conf=${conf//@CHUNKED_MAX_KB@/"$chunked_kb"}
printf '%s\n' "$conf" >"$run/lighttpd.conf"
lighttpd -tt -f "$run/lighttpd.conf" >/dev/null || die "bad generated lighttpd config"

mg_spawn
mg_serve lighttpd lighttpd -D -f "$run/lighttpd.conf"
