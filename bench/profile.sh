#!/usr/bin/env bash
# bench/profile.sh: instructions and syscalls per request of the app against the FastCGI baselines.
#
#   bench/profile.sh [TOOL...]      TOOL: callgrind, strace, perf (default: all three)
#   N_READS=200 UP_MIB=32 UP_RUNS=2 BIN=build/mediagate bench/profile.sh callgrind
#
# Wall-clock figures (bench/run.sh) are noisy on a busy machine; these are not. Each target runs
# as one FastCGI process behind its own lighttpd on loopback, started as bench/run.sh starts
# them: the app through deploy/run.sh, bench/fcgi_stream.c and bench/fcgi_sink.c under
# spawn-fcgi. The counters of the FastCGI process are read over a window of requests only
# (after a warm-up), so start-up is not counted:
#   callgrind  Ir (user-space instructions) of the process: callgrind_control -z, then --dump
#   strace     strace -c -f attached to the process: syscalls by name
#   perf       perf stat -e instructions:u,instructions:k attached to the process, and to its
#              lighttpd (what the web server spends per read differs with the records it gets)
# Reads: N_READS GETs of the same 64 KiB range (bytes=12345-77880) of a 16 MiB random input,
# one keep-alive curl. Uploads: UP_RUNS uploads of UP_MIB MiB, raw body and multipart.
# Prints per request (reads) and per uploaded byte (uploads), and the app/baseline ratios.
# CG_KEEP=DIR keeps the callgrind dumps there (callgrind_annotate DIR/app-read.*).
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/.." && pwd)
N=${N_READS:-200}
UP_MIB=${UP_MIB:-32}
UP_RUNS=${UP_RUNS:-2}
BIN=${BIN:-$root/build/mediagate}
PATH=$PATH:/usr/sbin:/sbin
TOOLS=${*:-callgrind strace perf}
MiB=$((1024 * 1024))

die() { echo "bench/profile.sh: $*" >&2; exit 1; }
say() { printf '%s\n' "$*" >&2; }

for t in lighttpd spawn-fcgi curl jq gcc python3; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
for t in $TOOLS; do
	case $t in
	callgrind) command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
		die "valgrind (callgrind_control) is not installed" ;;
	strace) command -v strace >/dev/null || die "strace is not installed" ;;
	perf) perf stat -e instructions:u true >/dev/null 2>&1 ||
		die "perf stat -e instructions does not work here" ;;
	*) die "unknown tool $t (callgrind, strace, perf)" ;;
	esac
done
[ -x "$BIN" ] || die "$BIN is missing (make)"

tmp='' app_pid='' lighty_pids='' pidfiles=''
# shellcheck disable=SC2317,SC2086 # called from the traps; pids split into words
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$app_pid" ]; then
		kill -TERM "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
	fi
	for p in $lighty_pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $lighty_pids; do wait "$p" 2>/dev/null || true; done
	for f in $pidfiles; do
		[ -f "$f" ] || continue
		pids=$(cat "$f")
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 $pids 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL $pids 2>/dev/null || true
	done
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tmp=$(mktemp -d /tmp/mgprof.XXXXXX)
mkdir "$tmp/www" "$tmp/empty" "$tmp/sink" "$tmp/cg"
cflags="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra"
for b in fcgi_stream fcgi_sink; do
	# shellcheck disable=SC2086
	gcc $cflags -o "$tmp/$b" "$root/bench/$b.c" -lfcgi || die "building bench/$b.c failed"
done
head -c $((16 * MiB)) /dev/urandom >"$tmp/www/in16.bin"
head -c $((UP_MIB * MiB)) /dev/urandom >"$tmp/up.bin"
up_bytes=$((UP_MIB * MiB))

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
	for _ in $(seq 600); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	die "nothing answers at $1"
}

# wrapper NAME REAL TOOL: an executable that runs REAL under TOOL's needs (callgrind: valgrind)
wrapper() {
	local w=$tmp/wrap-$1
	if [ "$3" = callgrind ]; then
		# "init" (deploy/run.sh runs it first) goes uncounted: only the serving process is read.
		cat >"$w" <<SH
#!/bin/sh
[ "\$1" = init ] && exec "$2" "\$@"
exec valgrind -q --tool=callgrind --vgdb-prefix=$tmp/vgdb --callgrind-out-file=$tmp/cg/$1.%p \\
	"$2" "\$@"
SH
	else
		printf '#!/bin/sh\nexec "%s" "$@"\n' "$2" >"$w"
	fi
	chmod +x "$w"
	echo "$w"
}

# start_target NAME TOOL: the servers of one target; sets URL and FPID (the FastCGI process)
start_target() {
	local name=$1 tool=$2 port conf sock
	port=$(free_port)
	case $name in
	app)
		TMPDIR=$tmp PORT=$port BIND=127.0.0.1 DATA_DIR=$tmp/data PROCS=1 \
			BIN=$(wrapper app "$BIN" "$tool") MEDIAGATE_MAX_UPLOAD=2G \
			MEDIAGATE_SESSION_MAX_BYTES=100G "$root/deploy/run.sh" >"$tmp/app.log" 2>&1 &
		app_pid=$!
		URL=http://127.0.0.1:$port
		wait_http "$URL/healthz"
		FPID=$(cat "$tmp"/mediagate.*/fcgi.pid)
		LPID=$(pgrep -f -- "-f $tmp/mediagate.*/lighttpd.conf" | head -n 1)
		return
		;;
	stream) sock=$tmp/stream.sock
		spawn-fcgi -s "$sock" -M 0600 -F 1 -P "$tmp/$name.pid" -- \
			"$(wrapper stream "$tmp/fcgi_stream" "$tool")" "$tmp/www/in16.bin" >/dev/null ;;
	sink) sock=$tmp/sink.sock
		spawn-fcgi -s "$sock" -M 0600 -F 1 -P "$tmp/$name.pid" -- \
			"$(wrapper sink "$tmp/fcgi_sink" "$tool")" "$tmp/sink" >/dev/null ;;
	esac
	pidfiles="$pidfiles $tmp/$name.pid"
	conf=$tmp/$name.conf
	cat >"$conf" <<CONF
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$tmp/$name.err"
server.modules = ( "mod_fastcgi" )
server.document-root = "$tmp/empty"
server.range-requests = "disable"
server.stream-response-body = 1
server.max-request-size = 0
server.stream-request-body = 2
fastcgi.server = ( "/" => (( "socket" => "$sock", "check-local" => "disable" )) )
CONF
	lighttpd -D -f "$conf" >>"$tmp/$name.err" 2>&1 &
	lighty_pids="$lighty_pids $!"
	LPID=$!
	URL=http://127.0.0.1:$port
	FPID=$(cat "$tmp/$name.pid")
	wait_http "$URL/f"
}

# stop_target NAME: stop what start_target started
# shellcheck disable=SC2086
stop_target() {
	local p pids
	if [ "$1" = app ]; then
		kill -TERM "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
		app_pid=''
		rm -rf "$tmp/data"
		return
	fi
	for p in $lighty_pids; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	lighty_pids=''
	pids=$(cat "$tmp/$1.pid")
	kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 100); do kill -0 $pids 2>/dev/null || break; sleep 0.1; done
	pidfiles=''
}

# reads URL COUNT: COUNT GETs of the 64 KiB range on one keep-alive connection, checked
reads() {
	local i
	: >"$tmp/reads.cfg"
	for i in $(seq "$2"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$1" >>"$tmp/reads.cfg"; done
	curl -sS -f -H 'Range: bytes=12345-77880' -K "$tmp/reads.cfg" || die "a read of $1 failed"
}
# uploads URL MODE COUNT: COUNT uploads of $tmp/up.bin (raw or multipart)
uploads() {
	local i
	for i in $(seq "$3"); do
		if [ "$2" = raw ]; then
			curl -sS -f -o /dev/null -H 'Content-Type: application/octet-stream' \
				--data-binary "@$tmp/up.bin" "$1?kind=file" || die "upload to $1 failed"
		else
			curl -sS -f -o /dev/null -F "file=@$tmp/up.bin;type=application/octet-stream" \
				-F kind=file "$1" || die "upload to $1 failed"
		fi
	done
}

# Counter windows over the FastCGI process FPID: begin, (requests), end; end prints the result.
cg_n=0
win_begin() {   # TOOL
	case $1 in
	callgrind) callgrind_control --vgdb-prefix="$tmp/vgdb" -z "$FPID" >/dev/null 2>&1 || die "callgrind_control -z failed" ;;
	strace|perf)
		local try
		for try in 1 2 3; do
			front_pid=''
			if [ "$1" = strace ]; then
				strace -c -f -o "$tmp/strace.out" -p "$FPID" 2>"$tmp/win.err" &
				win_pid=$!
			else
				perf stat -x, -e instructions:u,instructions:k -o "$tmp/perf.out" \
					-p "$FPID" 2>"$tmp/win.err" &
				win_pid=$!
				if [ -n "${LPID:-}" ]; then
					perf stat -x, -e instructions:u,instructions:k -o "$tmp/perf-front.out" \
						-p "$LPID" 2>/dev/null &
					front_pid=$!
				fi
			fi
			sleep 1
			kill -0 "$win_pid" 2>/dev/null && return 0
			wait "$win_pid" 2>/dev/null || true
			if [ -n "$front_pid" ]; then
				kill -INT "$front_pid" 2>/dev/null || true
				wait "$front_pid" 2>/dev/null || true
			fi
			say "($1 did not attach: $(head -c 200 "$tmp/win.err"); again)"
		done
		die "$1 could not attach to $FPID" ;;
	esac
}
# win_end TOOL LABEL: prints "LABEL TOTAL" (instructions) or the strace table's total calls
win_end() {
	local f
	case $1 in
	callgrind)
		cg_n=$((cg_n + 1))
		callgrind_control --vgdb-prefix="$tmp/vgdb" --dump="$2" "$FPID" >/dev/null 2>&1 || die "callgrind_control --dump failed"
		sleep 0.5
		f=$(ls -t "$tmp"/cg/*."$FPID".* | head -n 1)
		[ -z "${CG_KEEP:-}" ] || { mkdir -p "$CG_KEEP"; cp "$f" "$CG_KEEP/$2.$FPID"; }
		awk '/^(summary|totals):/ { print $2; exit }' "$f"
		;;
	strace)
		kill -INT "$win_pid"; wait "$win_pid" 2>/dev/null || true
		[ -z "${CG_KEEP:-}" ] || { mkdir -p "$CG_KEEP"; cp "$tmp/strace.out" "$CG_KEEP/$2.strace"; }
		# The total line, or the sum of the calls column when strace printed no total.
		awk '/^------/ { n++; next } n == 1 && NF >= 5 { sum += $4 }
			$NF == "total" { total = $4 } END { print total != "" ? total : sum }' "$tmp/strace.out"
		;;
	perf)
		kill -INT "$win_pid"; wait "$win_pid" 2>/dev/null || true
		if [ -n "$front_pid" ]; then
			kill -INT "$front_pid"; wait "$front_pid" 2>/dev/null || true
		fi
		[ -z "${CG_KEEP:-}" ] || { mkdir -p "$CG_KEEP"; cp "$tmp/perf.out" "$CG_KEEP/$2.perf"; }
		# The FastCGI process (user, kernel), then its web server (user + kernel).
		# Only counts measured the whole window (column 5 at 100%: not scaled from a share of
		# it, as perf does when other perf users leave too few hardware counters); else "-".
		awk -F, '$5 == "100.00" && $3 ~ /instructions:u/ { u = $1 }
			$5 == "100.00" && $3 ~ /instructions:k/ { k = $1 }
			END { if (u ~ /^[0-9]+$/ && k ~ /^[0-9]+$/) printf "%s %s ", u, k; else printf "- - " }' \
			"$tmp/perf.out"
		awk -F, '$5 == "100.00" && $3 ~ /instructions/ && $1 ~ /^[0-9]+$/ { t += $1; n++ }
			END { print (n == 2 ? t : "-") }' "$tmp/perf-front.out" 2>/dev/null || echo -
		rm -f "$tmp/perf-front.out"
		;;
	esac
}
# strace_table: the calls column by name of the last strace window, "name calls" per line
strace_table() {
	awk '/^------/ { n++; next } n == 1 && NF >= 5 { print $NF, $4 }' "$tmp/strace.out"
}

per() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) printf "%.3f", a / b; else print "n/a" }'; }
declare -A R
for tool in $TOOLS; do
	say "== $tool"
	for target in app stream sink; do
		start_target "$target" "$tool"
		case $target in
		app)
			# The input to read, uploaded as bench/run.sh does.
			resp=$(curl -sS -f -H 'Content-Type: application/octet-stream' \
				--data-binary "@$tmp/www/in16.bin" "$URL/inputs?kind=file&filename=in16.bin") ||
				die "upload of the read input failed"
			read_url=$URL$(printf '%s' "$resp" | jq -r .content_url)
			reads "$read_url" 20
			win_begin "$tool"; reads "$read_url" "$N"; R[$tool,app_read]=$(win_end "$tool" app-read)
			[ "$tool" != strace ] || strace_table >"$tmp/app_read.calls"
			uploads "$URL/inputs" raw 1
			win_begin "$tool"; uploads "$URL/inputs" raw "$UP_RUNS"
			R[$tool,app_raw]=$(win_end "$tool" app-raw)
			win_begin "$tool"; uploads "$URL/inputs" multipart "$UP_RUNS"
			R[$tool,app_mp]=$(win_end "$tool" app-mp)
			;;
		stream)
			reads "$URL/f" 20
			win_begin "$tool"; reads "$URL/f" "$N"; R[$tool,stream_read]=$(win_end "$tool" stream-read)
			[ "$tool" != strace ] || strace_table >"$tmp/stream_read.calls"
			;;
		sink)
			uploads "$URL/upload" raw 1
			win_begin "$tool"; uploads "$URL/upload" raw "$UP_RUNS"
			R[$tool,sink_raw]=$(win_end "$tool" sink-raw)
			win_begin "$tool"; uploads "$URL/upload" multipart "$UP_RUNS"
			R[$tool,sink_mp]=$(win_end "$tool" sink-mp)
			;;
		esac
		stop_target "$target"
	done
	ub=$((UP_RUNS * up_bytes))
	case $tool in
	callgrind|strace)
		unit=$([ "$tool" = callgrind ] && echo "instructions (Ir)" || echo "syscalls")
		say "$tool: $unit"
		say "  read 64 KiB range, per request: app $(per "${R[$tool,app_read]}" "$N")," \
			"stream $(per "${R[$tool,stream_read]}" "$N")," \
			"ratio $(per "${R[$tool,app_read]}" "${R[$tool,stream_read]}")"
		say "  upload raw, per MiB: app $(per "${R[$tool,app_raw]}" $((UP_RUNS * UP_MIB)))," \
			"sink $(per "${R[$tool,sink_raw]}" $((UP_RUNS * UP_MIB)))"
		say "  upload multipart, per MiB: app $(per "${R[$tool,app_mp]}" $((UP_RUNS * UP_MIB)))," \
			"sink $(per "${R[$tool,sink_mp]}" $((UP_RUNS * UP_MIB)))"
		if [ "$tool" = strace ]; then
			say "  syscalls per read, app | stream:"
			join -a1 -a2 -e0 -o 0,1.2,2.2 <(sort "$tmp/app_read.calls") \
				<(sort "$tmp/stream_read.calls") |
				awk -v n="$N" '{ printf "    %-20s %8.2f | %8.2f\n", $1, $2 / n, $3 / n }' >&2
		fi
		;;
	perf)
		read -r au ak af <<<"${R[perf,app_read]}"
		read -r su sk sf <<<"${R[perf,stream_read]}"
		say "perf: instructions per read, user + kernel: app $(per "$au" "$N") + $(per "$ak" "$N")," \
			"stream $(per "$su" "$N") + $(per "$sk" "$N")"
		say "  their lighttpd, per read (user + kernel): app's $(per "${af:-}" "$N")," \
			"stream's $(per "${sf:-}" "$N")"
		for m in raw mp; do
			read -r au ak _ <<<"${R[perf,app_$m]}"
			read -r su sk _ <<<"${R[perf,sink_$m]}"
			say "  upload $m per byte, user + kernel: app $(per "$au" "$ub") + $(per "$ak" "$ub")," \
				"sink $(per "$su" "$ub") + $(per "$sk" "$ub")"
		done
		;;
	esac
done
