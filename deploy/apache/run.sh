#!/usr/bin/env bash
# deploy/apache/run.sh: serve mediagate in the foreground behind Apache 2.4, the app under mod_fcgid.
#
#   PORT=8080 BIND=127.0.0.1 DATA_DIR=./var PROCS=1 BIN=build/mediagate MOUNT=/media \
#   OFFLOAD=0 deploy/apache/run.sh
#
# Same interface and behaviour as deploy/run.sh (lighttpd) and deploy/nginx/run.sh, with which
# it shares deploy/common.sh, except:
#   MOUNT    the URL prefix of the app: /media by default here; MOUNT= (or /) mounts it at "/"
#   OFFLOAD  1 (or x-sendfile): the app hands the bytes of a whole file on disk to Apache with
#            "X-Sendfile: PATH" (MEDIAGATE_OFFLOAD=x-sendfile, mod_xsendfile); 0: the app sends them
# Apache runs as the current user with a throwaway ServerRoot and config in a private runtime
# dir; mod_fcgid starts up to PROCS app processes itself (no spawn-fcgi), on demand, and stops
# them with Apache. MEDIAGATE_* variables pass through to the app. Ctrl-C or SIGTERM stops
# everything (exit 0); if Apache dies on its own, the app is stopped with it and the script exits
# non-zero.
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/../.." && pwd)
me=deploy/apache/run.sh
MOUNT=${MOUNT-/media}
[ "$MOUNT" != / ] || MOUNT=''
# shellcheck source=deploy/common.sh
. "$root/deploy/common.sh"

modules=/usr/lib/apache2/modules

mg_prepare apache2
[ -f "$modules/mod_fcgid.so" ] || die "mod_fcgid is not installed (libapache2-mod-fcgid; make deps)"
# BIN is named in the config (ScriptAliasMatch, in double quotes): no quote, backslash or $.
case $BIN in
*[\"\\\$]*) die "BIN must not contain \", \\ or \$: '$BIN'" ;;
esac
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# A body the app may refuse (413 JSON) must still reach it: Apache's limits are the app's
# MEDIAGATE_MAX_UPLOAD plus a MiB (chunked_kb, in KiB, as for lighttpd's buffered bodies).
mg_chunked_kb
max_request=$((chunked_kb * 1024))
limit_body=$max_request
[ "$limit_body" -le 2147483647 ] || limit_body=0   # LimitRequestBody's own maximum

# Offload: mod_xsendfile knows "X-Sendfile: PATH" only (a whole file): the app uses it for a 200
# to a GET without Range or conditional fields (fcgi/offload.h), and streams everything else.
# mod_xsendfile sends the named file instead of the (empty) body, and only files under the
# objects folder (XSendFilePath).
mg_offload x-sendfile x-sendfile
xs_module='' xs_conf=''
if [ "$offload" != none ]; then
	[ -f "$modules/mod_xsendfile.so" ] ||
		die "mod_xsendfile is not installed (libapache2-mod-xsendfile; make deps)"
	xs_module="LoadModule xsendfile_module $modules/mod_xsendfile.so"
	xs_path=${offload_prefix:-$DATA_DIR/objects/}
	case $xs_path in
	*[\"\\\$]*) die "the objects folder must not contain \", \\ or \$: '$xs_path'" ;;
	esac
	xs_conf=$(printf '\tXSendFile On\n\tXSendFilePath "%s"' "$xs_path")
fi

# The app's environment (mod_fcgid gives it nothing of Apache's): MEDIAGATE_*, plus what the
# memory checkers of make check need (SANITIZE=1: *SAN_OPTIONS; VALGRIND=1: MG_VALGRIND_*,
# PATH), and TMPDIR. Values go into double quotes in the config: escape \ and ".
env_lines=''
for v in $(compgen -e | grep -E '^(MEDIAGATE_[A-Z0-9_]*|[A-Z]+SAN_OPTIONS|MG_VALGRIND_[A-Z_]*|PATH|TMPDIR)$'); do
	val=${!v}
	# shellcheck disable=SC2016 # a literal ${, which Apache would expand
	case $val in
	*$'\n'* | *'${'*) die "$v must not contain a newline or \${" ;;
	esac
	val=${val//\\/\\\\}
	val=${val//\"/\\\"}
	env_lines+="FcgidInitialEnv $v \"$val\""$'\n'
done

# Run as the current user. As root Apache refuses "User root" (it was not built with
# BIG_SECURITY_HOLE); with no User at all its processes keep uid 0, the same as lighttpd and
# nginx (user root) get from the other scripts, and the unixd module logs a harmless alert
# (AH02155, getpwuid of uid -1) as each one starts.
user=''
if [ "$(id -u)" != 0 ]; then
	user="User #$(id -u)"$'\n'"Group #$(id -g)"
fi

mg_rundir
mkdir "$run/fcgid"

conf=$(cat "$root/deploy/apache/apache2.conf.in")
conf=${conf//@USER@/"$user"}
conf=${conf//@RUN@/"$run"}
conf=${conf//@BIND@/"$BIND"}
conf=${conf//@PORT@/"$PORT"}
conf=${conf//@DOCROOT@/"$run/docroot"}
conf=${conf//@PROCS@/"$PROCS"}
conf=${conf//@MAX_REQUEST_BYTES@/"$max_request"}
conf=${conf//@LIMIT_REQUEST_BODY@/"$limit_body"}
conf=${conf//@XSENDFILE_MODULE@/"$xs_module"}
conf=${conf//@XSENDFILE@/"$xs_conf"}
conf=${conf//@INITIAL_ENV@/"${env_lines%$'\n'}"}
conf=${conf//@MOUNT_RE@/"${MOUNT//./\\.}"}
conf=${conf//@MOUNT@/"${MOUNT:-/}"}
conf=${conf//@BIN@/"$BIN"}
printf '%s\n' "$conf" >"$run/apache2.conf"
apache_cmd=(apache2 -d "$run" -f "$run/apache2.conf" -DFOREGROUND)
"${apache_cmd[@]}" -t 2>"$run/configtest" ||
	die "bad generated Apache config ($run/apache2.conf): $(cat "$run/configtest")"

# Apache opens its ErrorLog, /dev/stderr, again by name: a file or terminal that the current
# user may not open (one opened for another user, as through sudo) is passed through a pipe.
if ! (: >>"/proc/$$/fd/2") 2>/dev/null; then
	exec 2> >(exec cat >&2)
fi
mg_serve apache2 "${apache_cmd[@]}"
