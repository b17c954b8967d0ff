# deploy/common.sh: what the deploy scripts share (sourced): settings, spawn-fcgi, stopping.
#
# Sourced by deploy/run.sh (lighttpd) and deploy/nginx/run.sh after they set:
#   root   the repository            me     the script's name, for messages
# Settings (environment): PORT BIND DATA_DIR PROCS BIN MOUNT; MEDIAGATE_* pass through to the app.
# MOUNT is the URL path prefix the app is mounted at: "" (the default) for "/", or e.g. /media.
# shellcheck shell=bash

PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
DATA_DIR=${DATA_DIR:-./var}
PROCS=${PROCS:-1}
BIN=${BIN:-$root/build/mediagate}
MOUNT=${MOUNT:-}
PATH=$PATH:/usr/sbin:/sbin   # lighttpd and nginx live in /usr/sbin on Debian

# shellcheck disable=SC2154 # me is set by the sourcing script
die() { echo "$me: $*" >&2; exit 1; }

# mg_prepare TOOL...: check the tools and settings, create the data folder, run "$BIN init".
mg_prepare() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || die "$tool is not installed (make deps installs it)"
	done
	case $PORT in '' | *[!0-9]*) die "PORT must be a number, not '$PORT'" ;; esac
	case $PROCS in '' | 0 | *[!0-9]*) die "PROCS must be a number >= 1, not '$PROCS'" ;; esac
	case $MOUNT in
	'') ;;
	*/ | *//* | *[!A-Za-z0-9._~/-]* | [!/]*)
		die "MOUNT must be empty or a path like /media (no trailing '/'), not '$MOUNT'" ;;
	esac
	[ -x "$BIN" ] || die "$BIN is missing or not executable (run make first)"

	mkdir -p "$DATA_DIR"
	DATA_DIR=$(cd "$DATA_DIR" && pwd)
	export MEDIAGATE_DATA_DIR=$DATA_DIR
	"$BIN" init || die "'$BIN init' failed"
}

# mg_chunked_kb: sets chunked_kb, the front server's cap on the chunked request bodies it has to
# buffer (the FastCGI environment needs CONTENT_LENGTH up front): a MiB above the app's own limit,
# in KiB. Same sources as the app: the environment, else MEDIAGATE_CONFIG.
mg_chunked_kb() {
	local max max_kb
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
	# shellcheck disable=SC2034 # used by the sourcing script
	chunked_kb=$((max_kb + 1024))
}

# mg_config_value NAME: the last NAME=VALUE of the MEDIAGATE_CONFIG file, if any (spaces around
# '=' and at the ends trimmed, as the app reads it).
mg_config_value() {
	[ -n "${MEDIAGATE_CONFIG:-}" ] && [ -r "$MEDIAGATE_CONFIG" ] || return 0
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*\$/\1/p" \
		"$MEDIAGATE_CONFIG" | tail -n 1
}

# mg_offload DEFAULT MODE...: who sends the bytes of files on disk (README, "Offload"). OFFLOAD
# is 0 (the app streams them), 1 (DEFAULT, the front server's own way) or one of the MEDIAGATE_OFFLOAD
# modes MODE... this front server takes; without OFFLOAD, MEDIAGATE_OFFLOAD (the environment, else
# MEDIAGATE_CONFIG) decides, "none" by default. Sets offload (the mode) and offload_prefix
# (MEDIAGATE_OFFLOAD_PREFIX as given, or "" for the app's default), and exports MEDIAGATE_OFFLOAD
# so that the app and the front server's config agree. Call after mg_prepare.
mg_offload() {
	local default=$1 m
	shift
	offload=${OFFLOAD:-}
	case $offload in
	'') offload=${MEDIAGATE_OFFLOAD:-$(mg_config_value MEDIAGATE_OFFLOAD)} ;;
	0 | no | off) offload=none ;;
	1 | yes | on) offload=$default ;;
	esac
	offload=${offload:-none}
	if [ "$offload" != none ]; then
		for m in "$@" ''; do [ "$m" != "$offload" ] || break; done
		[ -n "$m" ] || die "OFFLOAD (or MEDIAGATE_OFFLOAD) must be 0, 1 or one of: $*; not '$offload'"
	fi
	export MEDIAGATE_OFFLOAD=$offload
	# shellcheck disable=SC2034 # used by the sourcing script
	offload_prefix=${MEDIAGATE_OFFLOAD_PREFIX:-$(mg_config_value MEDIAGATE_OFFLOAD_PREFIX)}
}

# Everything started from here on is stopped by mg_stop, on any exit.
run='' front_pid=''
# A pid is alive while it exists and is not a zombie (an orphan's parent may reap it late).
# shellcheck disable=SC2317 # called from the traps
mg_alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null &&
			return 0
	done
	return 1
}
# shellcheck disable=SC2317,SC2086 # called from the traps; pids split into words
mg_stop() {
	local pids _
	trap - EXIT INT TERM
	if [ -n "$front_pid" ]; then
		kill "$front_pid" 2>/dev/null || true
		wait "$front_pid" 2>/dev/null || true
	fi
	# The FastCGI processes are spawn-fcgi's orphans, not our children: signal, then wait.
	if [ -n "$run" ] && [ -f "$run/fcgi.pid" ]; then
		pids=$(cat "$run/fcgi.pid")
		kill $pids 2>/dev/null || true
		for _ in $(seq 50); do
			mg_alive $pids || break
			sleep 0.1
		done
		kill -KILL $pids 2>/dev/null || true
	fi
	[ -z "$run" ] || rm -rf "$run"
}

# mg_rundir: install the traps and make the private runtime dir, $run (unix socket: sun_path holds
# < 108 bytes; config, pid files, an empty docroot); sets sock.
mg_rundir() {
	trap mg_stop EXIT
	trap 'mg_stop; exit 0' INT TERM
	run=$(mktemp -d "${TMPDIR:-/tmp}/mediagate.XXXXXX")
	if [ ${#run} -gt 80 ]; then
		rmdir "$run"
		run=$(mktemp -d /tmp/mediagate.XXXXXX)
	fi
	sock=$run/fcgi.sock
	mkdir "$run/docroot"
}

# mg_spawn: start PROCS app processes under spawn-fcgi on $sock (mode 0600: the front server runs
# as the same user). spawn-fcgi points a forked child's stdout and stderr at /dev/null; keep the
# app's stderr on ours through fd 9 (spawn-fcgi passes other descriptors on). The sh execs, so
# pids stay valid.
mg_spawn() {
	exec 9>&2
	# shellcheck disable=SC2016 # $0 is for the inner sh
	spawn-fcgi -s "$sock" -M 0600 -F "$PROCS" -P "$run/fcgi.pid" \
		-- /bin/sh -c 'exec "$0" 2>&9 9>&-' "$BIN" >/dev/null ||
		die "spawn-fcgi failed to start $BIN"
	exec 9>&-
}

# mg_serve NAME COMMAND...: run the front server COMMAND (in the foreground, logging to stderr)
# until a trapped INT or TERM (stop everything, exit 0); if it dies by itself, stop the app and
# exit non-zero.
mg_serve() {
	local name=$1 status=0
	shift
	"$@" &
	front_pid=$!
	echo "mediagate: serving http://$BIND:$PORT$MOUNT/ (data in $DATA_DIR)"
	# A trapped INT or TERM interrupts this wait and runs mg_stop.
	wait "$front_pid" || status=$?
	front_pid=
	echo "$me: $name exited (status $status); stopping the app" >&2
	exit $((status == 0 ? 1 : status))
}
