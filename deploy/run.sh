#!/usr/bin/env bash
# deploy/run.sh: serve mediagate in the foreground behind lighttpd, the app under spawn-fcgi.
#
#   PORT=8080 BIND=127.0.0.1 DATA_DIR=./var PROCS=1 BIN=build/mediagate deploy/run.sh
#
# SPAWN=lighttpd: lighttpd starts the PROCS app processes itself ("bin-path", "max-procs";
# deploy/lighttpd/lighttpd-binpath.conf.in) instead of spawn-fcgi (SPAWN=spawn-fcgi, the default).
# OFFLOAD=1 (or x-sendfile, x-sendfile2) lets lighttpd send the bytes of files on disk (README,
# "Offload"). MEDIAGATE_* variables pass through to the app. Ctrl-C or SIGTERM stops everything (exit 0);
# if lighttpd dies on its own, the app is stopped too and the script exits non-zero.
# deploy/nginx/run.sh does the same behind nginx; what they share is in deploy/common.sh.
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/.." && pwd)
me=deploy/run.sh
# shellcheck source=deploy/common.sh
. "$root/deploy/common.sh"

SPAWN=${SPAWN:-spawn-fcgi}
case $SPAWN in
spawn-fcgi) mg_prepare lighttpd spawn-fcgi ;;
lighttpd) mg_prepare lighttpd ;;
*) die "SPAWN must be spawn-fcgi or lighttpd, not '$SPAWN'" ;;
esac
# lighttpd buffers chunked request bodies (see lighttpd.conf.in): cap those (chunked_kb).
mg_chunked_kb
# OFFLOAD=1: x-sendfile2 (the app keeps Range and conditionals, lighttpd sends the bytes).
mg_offload x-sendfile2 x-sendfile x-sendfile2
mg_rundir

conf=$(cat "$root/deploy/lighttpd/lighttpd.conf.in")
conf=${conf//@BIND@/"$BIND"}
conf=${conf//@PORT@/"$PORT"}
conf=${conf//@DOCROOT@/"$run/docroot"}
conf=${conf//@SOCKET@/"$sock"}
conf=${conf//@CHUNKED_MAX_KB@/"$chunked_kb"}
# At "/" the key is "/" (fix-root-scriptname: SCRIPT_NAME "", PATH_INFO the whole path); at a
# prefix it is the prefix without a trailing '/' (SCRIPT_NAME the prefix; see fcgi/mount.h).
conf=${conf//@MOUNT_KEY@/"${MOUNT:-/}"}
conf=${conf//@MOUNT_RE@/"${MOUNT//./\\.}"}
# The app names files under DATA_DIR/objects/ (or MEDIAGATE_OFFLOAD_PREFIX): lighttpd sends
# none from elsewhere.
xsendfile=disable
[ "$offload" = none ] || xsendfile=enable
conf=${conf//@XSENDFILE@/"$xsendfile"}
conf=${conf//@XSENDFILE_DOCROOT@/"${offload_prefix:-$DATA_DIR/objects/}"}
printf '%s\n' "$conf" >"$run/lighttpd.conf"
conf_file=$run/lighttpd.conf
if [ "$SPAWN" = lighttpd ]; then
	# It includes lighttpd.conf and replaces its fastcgi.server (same fields, plus bin-path and
	# max-procs). lighttpd splits bin-path at spaces (program and arguments).
	case $BIN in *[[:space:]\"\\]*) die "with SPAWN=lighttpd, BIN must not contain spaces, \" or \\" ;; esac
	conf=$(cat "$root/deploy/lighttpd/lighttpd-binpath.conf.in")
	conf=${conf//@BIN@/"$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"}
	conf=${conf//@PROCS@/"$PROCS"}
	conf=${conf//@SOCKET@/"$sock"}
	conf=${conf//@MOUNT_KEY@/"${MOUNT:-/}"}
	conf=${conf//@MOUNT_RE@/"${MOUNT//./\\.}"}
	conf=${conf//@XSENDFILE@/"$xsendfile"}
	conf=${conf//@XSENDFILE_DOCROOT@/"${offload_prefix:-$DATA_DIR/objects/}"}
	printf '%s\n' "$conf" >"$run/lighttpd-binpath.conf"
	conf_file=$run/lighttpd-binpath.conf
fi
lighttpd -tt -f "$conf_file" >/dev/null || die "bad generated lighttpd config ($conf_file)"

[ "$SPAWN" = lighttpd ] || mg_spawn
mg_serve lighttpd lighttpd -D -f "$conf_file"
