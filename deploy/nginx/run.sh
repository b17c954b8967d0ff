#!/usr/bin/env bash
# deploy/nginx/run.sh: serve mediagate in the foreground behind nginx, the app under spawn-fcgi.
#
#   PORT=8080 BIND=127.0.0.1 DATA_DIR=./var PROCS=1 BIN=build/mediagate deploy/nginx/run.sh
#
# Same interface and behaviour as deploy/run.sh (lighttpd), with which it shares
# deploy/common.sh; OFFLOAD=1 lets nginx send the bytes of files on disk (README, "Offload").
# MEDIAGATE_* variables pass through to the app. Ctrl-C or SIGTERM stops
# everything (exit 0); if nginx dies on its own, the app is stopped too and the script exits
# non-zero.
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/../.." && pwd)
me=deploy/nginx/run.sh
# shellcheck source=deploy/common.sh
. "$root/deploy/common.sh"

mg_prepare nginx spawn-fcgi
# OFFLOAD=1: x-accel-redirect to the internal location of nginx.conf.in.
mg_offload x-accel-redirect x-accel-redirect
offload_prefix=${offload_prefix:-/_mediagate_objects/}
case $offload_prefix in
*/) ;;
*) offload_prefix=$offload_prefix/ ;;
esac
mg_rundir

# A master process started as root runs its workers as "nobody" unless told otherwise; they
# must reach the 0600 socket of the app, which runs as the current user.
user=''
[ "$(id -u)" != 0 ] || user='user root;'

conf=$(cat "$root/deploy/nginx/nginx.conf.in")
conf=${conf//@USER@/"$user"}
conf=${conf//@RUN@/"$run"}
conf=${conf//@BIND@/"$BIND"}
conf=${conf//@PORT@/"$PORT"}
conf=${conf//@DOCROOT@/"$run/docroot"}
conf=${conf//@SOCKET@/"$sock"}
conf=${conf//@MOUNT@/"$MOUNT"}
conf=${conf//@OFFLOAD_PREFIX@/"$offload_prefix"}
conf=${conf//@OBJECTS@/"$DATA_DIR/objects"}
printf '%s\n' "$conf" >"$run/nginx.conf"
# -p: relative paths and the compiled-in ones (logs) stay in the runtime dir; -e: the error log
# before the config is read.
nginx_cmd=(nginx -p "$run/" -e stderr -c "$run/nginx.conf")
"${nginx_cmd[@]}" -t -q || die "bad generated nginx config ($run/nginx.conf)"

mg_spawn
mg_serve nginx "${nginx_cmd[@]}"
