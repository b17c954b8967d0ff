#!/usr/bin/env bash
# bench/run.sh: the benchmarks of issue 5: the app against baselines in one run, wrk on loopback.
#
#   bench/run.sh                   about 5-6 minutes; writes bench/RESULTS.md
#   BENCH_BIG=1 bench/run.sh       also uploads 1 GiB (peak RSS at that size; raw body sent with
#                                  curl -T, as curl will not hold 1 GiB for --data-binary)
#   BENCH_DURATION=5s              wrk duration of one run of one target
#   BENCH_ROUNDS=3                 rounds: every read target runs once per round, the targets
#                                  interleaved (the order reversed every other round), and the
#                                  best round counts (noise from other work only slows a run down)
#   BENCH_NGINX=0                  skip the nginx rows (default: 1 when nginx is installed)
#   BENCH_WAIT_LOAD=120            wait up to 120 s for the 1-minute load average to fall below
#                                  the number of CPUs before starting (default 0: do not wait)
#   BENCH_WAIT_IDLE=30             before each round, wait up to 30 s (the default) while other
#                                  work keeps 20% or more of the CPUs busy
#   PROCS=2                        FastCGI processes per server
#
# Reads are measured against the app streaming (deploy/run.sh), the app offloading to lighttpd
# (OFFLOAD=1 deploy/run.sh: X-Sendfile2) and to nginx (OFFLOAD=1 deploy/nginx/run.sh:
# X-Accel-Redirect), each with its own data folder holding the same input.
# Everything listens on 127.0.0.1 only, in a throwaway folder; every process started is stopped
# on exit. Needs root only to install wrk when it is missing (apt-get).
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${BENCH_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
BIG=${BENCH_BIG:-0}
WAIT_LOAD=${BENCH_WAIT_LOAD:-0}
WAIT_IDLE=${BENCH_WAIT_IDLE:-30}
PROCS=${PROCS:-2}
RESULTS=${BENCH_RESULTS:-$root/bench/RESULTS.md}
PATH=$PATH:/usr/sbin:/sbin
MiB=$((1024 * 1024))

die() { echo "bench/run.sh: $*" >&2; exit 1; }
say() { printf '%s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
	[ "$(id -u)" = 0 ] || die "wrk is missing: run as root to install it (apt-get install wrk)"
	say "installing wrk (apt-get)"
	if ! { apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }; then
		die "apt-get install wrk failed"
	fi
fi
for tool in lighttpd spawn-fcgi curl jq gcc python3 make; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make deps installs most)"
done
case $ROUNDS in '' | 0 | *[!0-9]*) die "BENCH_ROUNDS must be a number >= 1, not '$ROUNDS'" ;; esac
case $WAIT_LOAD in '' | *[!0-9]*) die "BENCH_WAIT_LOAD must be a number of seconds, not '$WAIT_LOAD'" ;; esac
case $WAIT_IDLE in '' | *[!0-9]*) die "BENCH_WAIT_IDLE must be a number of seconds, not '$WAIT_IDLE'" ;; esac
NGINX=${BENCH_NGINX:-}
if [ -z "$NGINX" ]; then
	NGINX=0
	command -v nginx >/dev/null && NGINX=1
fi
[ "$NGINX" = 0 ] || command -v nginx >/dev/null || die "BENCH_NGINX=1 but nginx is not installed"

# --- cleanup: every process we start is stopped here ----------------------------------------
tmp='' app_pids='' front_pids='' pidfiles=''
# shellcheck disable=SC2317,SC2086 # called from the traps; pids split into words
cleanup() {
	trap - EXIT INT TERM
	# deploy/run.sh and deploy/nginx/run.sh stop their own web server and FastCGI processes on TERM.
	for p in $app_pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $app_pids; do wait "$p" 2>/dev/null || true; done
	# lighttpd -D and nginx (daemon off; the master stops its workers) are our children.
	for p in $front_pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $front_pids; do wait "$p" 2>/dev/null || true; done
	# spawn-fcgi's children are orphans, not ours: signal them by the pids it wrote.
	for f in $pidfiles; do
		[ -f "$f" ] || continue
		pids=$(cat "$f")
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 30); do
			kill -0 $pids 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL $pids 2>/dev/null || true
	done
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tmp=$(mktemp -d /tmp/mgbench.XXXXXX)   # short: unix socket paths must stay under 108 bytes
mkdir "$tmp/www" "$tmp/empty" "$tmp/sink" "$tmp/data"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
	for _ in $(seq 100); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	die "nothing answers at $1"
}
# start_fcgi NAME BINARY ARG...: PROCS processes under spawn-fcgi on $tmp/NAME.sock
start_fcgi() {
	spawn-fcgi -s "$tmp/$1.sock" -M 0600 -F "$PROCS" -P "$tmp/$1.pid" -- "${@:2}" >/dev/null ||
		die "spawn-fcgi failed to start $2"
	pidfiles="$pidfiles $tmp/$1.pid"
}
# start_lighttpd NAME PORT: lighttpd on 127.0.0.1:PORT with the config read from stdin
start_lighttpd() {
	{
		printf 'server.bind = "127.0.0.1"\nserver.port = %s\n' "$2"
		printf 'server.errorlog = "%s"\nserver.tag = "bench-%s"\n' "$tmp/$1.err" "$1"
		cat
	} >"$tmp/$1.conf"
	lighttpd -tt -f "$tmp/$1.conf" >/dev/null || die "bad generated config $tmp/$1.conf"
	lighttpd -D -f "$tmp/$1.conf" >>"$tmp/$1.err" 2>&1 &
	front_pids="$front_pids $!"
}
# Float helpers (awk): ratio A B, and "met"/"not met" for ratio >= floor.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
floor() { awk -v r="$1" -v f="$2" 'BEGIN { print (r != "n/a" && r + 0 >= f) ? "met" : "NOT met" }'; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

# check_range URL FILE OFFSET SPAN: the response must be 206 with exactly those bytes of FILE.
check_range() {
	local got
	got=$(curl -sS -o "$tmp/check.out" -w '%{http_code} %{size_download}' \
		-H "Range: bytes=$3-$(($3 + $4 - 1))" "$1") || die "curl $1 failed"
	[ "$got" = "206 $4" ] || die "$1: expected '206 $4' for a range, got '$got'"
	tail -c +$(($3 + 1)) "$2" | head -c "$4" | cmp -s - "$tmp/check.out" ||
		die "$1: the range's bytes differ from $2"
}

# check_offloaded URL LOG: a range of URL was sent by the web server, not the app: the app's
# access-log line (LOG) of the response, found by its X-Request-Id, says out=0.
check_offloaded() {
	local id line='' _
	id=$(curl -sS -o /dev/null -D - -H 'Range: bytes=0-65535' "$1" |
		tr -d '\r' | sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *//p')
	[ -n "$id" ] || die "$1: no X-Request-Id in the response"
	for _ in $(seq 50); do
		line=$(grep -F " id=$id " "$2" | tail -n 1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	case $line in
	*' out=0 '*) ;;
	*) die "$1: the read was not offloaded (access log: '${line:-none}')" ;;
	esac
}

# cpu_snapshot: "BUSY TOTAL OURS" in clock ticks: the machine's busy time (all but idle and
# iowait: a process' system time includes the softirq time of its loopback traffic; steal is
# other work too) and its total time (/proc/stat), and the time used so far by our processes
# alive now: this script's process tree and the spawn-fcgi children (orphans: their pids are in
# the pid files). Checked on an idle machine: wrk against lighttpd leaves 2-3% to "others".
cpu_snapshot() {
	# shellcheck disable=SC2086 # pid files split into words
	python3 - "$$" $pidfiles "$tmp"/*/mediagate.*/fcgi.pid <<'PY'
import os, sys
ours, todo = set(), [int(sys.argv[1])]
for f in sys.argv[2:]:
    try:
        todo += [int(x) for x in open(f).read().split()]
    except (OSError, ValueError):
        pass
kids, ticks = {}, {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % d).read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()   # from field 3 (state): ppid f[1], utime f[11], stime f[12]
    kids.setdefault(int(f[1]), []).append(int(d))
    ticks[int(d)] = int(f[11]) + int(f[12])
while todo:
    p = todo.pop()
    if p not in ours:
        ours.add(p)
        todo += kids.get(p, [])
v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
print(sum(v) - v[3] - v[4], sum(v), sum(ticks.get(p, 0) for p in ours))
PY
}
# child_ticks VAR: sets VAR to the user + system clock ticks of this shell's ended children
# (bash's times, which must run in this shell: a subshell's children would be others)
child_ticks() {
	times >"$tmp/times"
	printf -v "$1" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/)
		s += t[1] * 60 + t[2] }; printf "%.0f\n", s * 100 }' "$tmp/times")"
}
# others BEFORE AFTER WRK0 WRK1: the share (%) of all CPUs that processes not ours used between
# two cpu_snapshot lines; WRK0 and WRK1 are child_ticks around the wrk run.
others() {
	awk -v a="$1" -v b="$2" -v w0="$3" -v w1="$4" 'BEGIN { split(a, x); split(b, y)
		t = y[2] - x[2]; o = (y[1] - x[1]) - (y[3] - x[3]) - (w1 - w0)
		printf "%.0f\n", (t > 0 && o > 0) ? 100 * o / t : 0 }'
}

# wrk_once NAME URL SIZE SPAN CONNS ROUND: one wrk run with random ranges; records its figures
# in RPS_R[NAME,ROUND] (and OTH_R: what other work took of the CPUs meanwhile, %), and in RPS
# MBS P50 P99 OTH of NAME when it is NAME's best run so far (most requests/s); ERR[NAME] adds
# up the errors of every round.
declare -A RPS MBS P50 P99 OTH ERR RPS_R P50_R P99_R OTH_R
wrk_once() {
	local out=$tmp/wrk_$1_$6.txt rps mbs p50 p99 err s0 s1 w0 w1 oth
	s0=$(cpu_snapshot)
	child_ticks w0
	BENCH_SIZE=$3 BENCH_SPAN=$4 wrk -t 2 -c "$5" -d "$DURATION" --latency \
		-s "$root/bench/range.lua" "$2" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
	child_ticks w1
	s1=$(cpu_snapshot)
	oth=$(others "$s0" "$s1" "$w0" "$w1")
	# Latencies to ms, Transfer/sec to MiB/s (wrk's units are powers of 1024).
	read -r rps mbs p50 p99 err < <(awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
			if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
		function mib(v) { if (v ~ /GB$/) return v * 1024; if (v ~ /MB$/) return v + 0;
			if (v ~ /KB$/) return v / 1024; return v / 1048576 }
		/^Requests\/sec:/ { rps = $2 }
		/^Transfer\/sec:/ { mbs = mib($2) }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
		/Non-2xx or 3xx responses:/ { err += $5 }
		END { printf "%.0f %.1f %.3f %.3f %d\n", rps, mbs, p50, p99, err }' "$out")
	RPS_R[$1,$6]=$rps P50_R[$1,$6]=$p50 P99_R[$1,$6]=$p99 OTH_R[$1,$6]=$oth
	ERR[$1]=$((${ERR[$1]:-0} + err))
	if [ -z "${RPS[$1]:-}" ] || [ "$rps" -gt "${RPS[$1]}" ]; then
		RPS[$1]=$rps MBS[$1]=$mbs P50[$1]=$p50 P99[$1]=$p99 OTH[$1]=$oth
	fi
	say "  $(printf '%-4s' "$1") $rps req/s, $mbs MiB/s, p50 $p50 ms, p99 $p99 ms, errors $err; others $oth% of the CPUs"
	# The app logs a line per request: keep its logs (opened O_APPEND) from filling the disk.
	local f
	for f in "$tmp"/app*.log; do
		if [ -f "$f" ]; then : >"$f"; fi
	done
}
# rounds_of NAME: its requests/s per round, each with what other work took of the CPUs
# meanwhile: "a (x%) b (y%) ..."
rounds_of() {
	local r s=''
	for r in $(seq "$ROUNDS"); do s="$s ${RPS_R[$1,$r]} (${OTH_R[$1,$r]}%)"; done
	echo "${s# }"
}
# round_ratios A B: the ratio A/B of each round (runs next to each other), "x y z"
round_ratios() {
	local r s=''
	for r in $(seq "$ROUNDS"); do s="$s $(ratio "${RPS_R[$1,$r]}" "${RPS_R[$2,$r]}")"; done
	echo "${s# }"
}

# cpu_busy: the share of all CPUs (%) busy over one second, from /proc/stat (user to steal).
cpu_busy() {
	local a b
	a=$(head -n 1 /proc/stat)
	sleep 1
	b=$(head -n 1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(a, x); split(b, y)
		for (i = 2; i <= n && i <= 9; i++) { d = y[i] - x[i]; t += d; if (i == 5 || i == 6) idle += d }
		printf "%.0f\n", (t > 0) ? 100 * (t - idle) / t : 0 }'
}
load1() { cut -d ' ' -f 1 /proc/loadavg; }
# high LOAD: whether a 1-minute load average is at or above the number of CPUs
high() { awk -v l="$1" -v n="$(nproc)" 'BEGIN { exit !(l >= n) }'; }

# --- machine -----------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
nginx_v=''
[ "$NGINX" = 0 ] || nginx_v=", $(nginx -v 2>&1 | sed 's/^nginx version: //')"
machine="nproc $(nproc), CPU ${cpu:-unknown}, kernel $(uname -sr), $(lighttpd -v 2>&1 | head -n 1 |
	sed 's/ - .*//')$nginx_v, $(wrk -v 2>&1 | head -n 1 | sed 's/ \[.*//'), \
$(awk '/MemTotal/ { printf "%d MiB RAM", $2 / 1024 }' /proc/meminfo)"
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
say "machine: $machine; load average at start: $load"
waited=''
if [ "$WAIT_LOAD" -gt 0 ] && high "$(load1)"; then
	say "the 1-minute load average is $(load1) on $(nproc) CPUs: waiting up to $WAIT_LOAD s for it to fall"
	t0=$SECONDS
	while high "$(load1)" && [ $((SECONDS - t0)) -lt "$WAIT_LOAD" ]; do sleep 5; done
	waited="waited $((SECONDS - t0)) s for the load to fall (BENCH_WAIT_LOAD=$WAIT_LOAD): $(cut -d ' ' -f 1-3 /proc/loadavg)"
	say "$waited"
fi
busy0=$(cpu_busy)
say "CPU busy (all CPUs, 1 s, before anything of ours runs): $busy0%"

# --- build -------------------------------------------------------------------------------------
stale=''
say "building the app (make)"
if ! make -C "$root" all >"$tmp/make.log" 2>&1; then
	[ -x "$root/build/mediagate" ] || die "make failed: $(tail -n 20 "$tmp/make.log")"
	stale="make failed; these figures are for the build/mediagate that was already there"
	say "WARNING: $stale"
	tail -n 5 "$tmp/make.log" >&2
fi
cflags="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes"
for b in fcgi_stream fcgi_sendfile fcgi_sink; do
	# shellcheck disable=SC2086
	gcc $cflags -o "$tmp/$b" "$root/bench/$b.c" -lfcgi || die "building bench/$b.c failed"
done
# shellcheck disable=SC2046
(cd "$root" && gcc -std=c11 -D_GNU_SOURCE -O2 -I. -o "$tmp/token_verify" bench/token_verify.c \
	tokens/token.c tokens/keyring.c tokens/b64url.c $(pkg-config --cflags --libs libcrypto)) ||
	die "building bench/token_verify.c failed"

# --- inputs ------------------------------------------------------------------------------------
size16=$((16 * MiB))
head -c "$size16" /dev/urandom >"$tmp/www/in16.bin"
head -c "$size16" /dev/urandom >"$tmp/pcm.raw"
# The same PCM as a WAV file: the canonical 44-byte header (RFC 2361 WAVE_FORMAT_PCM), 48 kHz stereo.
python3 - "$tmp/pcm.raw" "$tmp/pcm.wav" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
rate, ch, bits = 48000, 2, 16
hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
    "<IHHIIHH", 16, 1, ch, rate, rate * ch * bits // 8, ch * bits // 8, bits) + \
    b"data" + struct.pack("<I", len(data))
open(sys.argv[2], "wb").write(hdr + data)
PY
wavsize=$((size16 + 44))

# --- servers -----------------------------------------------------------------------------------
# start_app NAME SCRIPT OFFLOAD: the app behind deploy/SCRIPT on a free port, PROCS processes,
# data in $tmp/data-NAME, its log (the app's access log too) in $tmp/app-NAME.log; sets
# base[NAME]. TMPDIR puts the script's runtime folder (and its fcgi.pid) in $tmp/NAME.
declare -A base
start_app() {
	local port
	port=$(free_port)
	say "starting the app ($1): $2 on 127.0.0.1:$port, PROCS=$PROCS, OFFLOAD=$3"
	mkdir "$tmp/$1"
	TMPDIR=$tmp/$1 PORT=$port BIND=127.0.0.1 DATA_DIR=$tmp/data-$1 PROCS=$PROCS OFFLOAD=$3 \
		MEDIAGATE_MAX_UPLOAD=2G MEDIAGATE_SESSION_MAX_BYTES=100G \
		"$root/$2" >>"$tmp/app-$1.log" 2>&1 &
	app_pids="$app_pids $!"
	base[$1]=http://127.0.0.1:$port
}
start_app s deploy/run.sh 0          # streams every byte itself
start_app x deploy/run.sh 1          # MEDIAGATE_OFFLOAD=x-sendfile2, lighttpd sends the bytes
[ "$NGINX" = 0 ] || start_app n deploy/nginx/run.sh 1   # x-accel-redirect, nginx sends them
app=${base[s]}

a_port=$(free_port)
start_lighttpd a "$a_port" <<CONF
server.document-root = "$tmp/www"
CONF

start_fcgi b "$tmp/fcgi_sendfile" "$tmp/www/in16.bin"
b_port=$(free_port)
# lighttpd applies the Range (server.range-requests, on by default) to the file it sends.
start_lighttpd b "$b_port" <<CONF
server.modules = ( "mod_fastcgi" )
server.document-root = "$tmp/empty"
fastcgi.server = ( "/" => (( "socket" => "$tmp/b.sock", "check-local" => "disable",
	"x-sendfile" => "enable", "x-sendfile-docroot" => ( "$tmp/www" ) )) )
CONF

start_fcgi c "$tmp/fcgi_stream" "$tmp/www/in16.bin"
c_port=$(free_port)
# As deploy/lighttpd/lighttpd.conf.in: the backend does Range, responses are streamed.
start_lighttpd c "$c_port" <<CONF
server.modules = ( "mod_fastcgi" )
server.document-root = "$tmp/empty"
server.range-requests = "disable"
server.stream-response-body = 1
fastcgi.server = ( "/" => (( "socket" => "$tmp/c.sock", "check-local" => "disable" )) )
CONF

start_fcgi sink "$tmp/fcgi_sink" "$tmp/sink"
s_port=$(free_port)
# As deploy/lighttpd/lighttpd.conf.in: request bodies streamed to the backend, no size limit.
start_lighttpd sink "$s_port" <<CONF
server.modules = ( "mod_fastcgi" )
server.document-root = "$tmp/empty"
server.max-request-size = 0
server.stream-request-body = 2
fastcgi.server = ( "/" => (( "socket" => "$tmp/sink.sock", "check-local" => "disable" )) )
CONF
a_url=http://127.0.0.1:$a_port/in16.bin
b_url=http://127.0.0.1:$b_port/f
c_url=http://127.0.0.1:$c_port/f
s_url=http://127.0.0.1:$s_port/upload
for u in "$a_url" "$b_url" "$c_url" "$s_url"; do wait_http "$u"; done

if [ "$NGINX" != 0 ]; then
	# nginx baselines, one nginx (one worker, as deploy/nginx/nginx.conf.in) with two servers:
	# (na) the file served statically, with sendfile; (nb) bench/fcgi_sendfile.c answering
	# X-Accel-Redirect to an internal location set as deploy/nginx/nginx.conf.in's (sendfile,
	# tcp_nopush; nginx applies the Range). Not tcp_nopush for (na): nginx 1.22 serving a 206
	# statically with it takes 40 ms a request here (1,000 requests/s; the corked last segment
	# waits for a delayed ACK); after an X-Accel-Redirect it does not.
	start_fcgi nb "$tmp/fcgi_sendfile" /_bench_files/in16.bin X-Accel-Redirect
	na_port=$(free_port) nb_port=$(free_port)
	mkdir "$tmp/ng"
	user=''
	[ "$(id -u)" != 0 ] || user='user root;'   # else the workers run as nobody: no socket, no file
	cat >"$tmp/ng/nginx.conf" <<CONF
$user
daemon off;
master_process on;
worker_processes 1;
pid $tmp/ng/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
	access_log off;
	server_tokens off;
	default_type application/octet-stream;
	client_body_temp_path $tmp/ng/client_body;
	fastcgi_temp_path $tmp/ng/fastcgi;
	proxy_temp_path $tmp/ng/proxy;
	uwsgi_temp_path $tmp/ng/uwsgi;
	scgi_temp_path $tmp/ng/scgi;
	server {
		listen 127.0.0.1:$na_port;
		root $tmp/www;
		sendfile on;
	}
	server {
		listen 127.0.0.1:$nb_port;
		root $tmp/empty;
		location / {
			fastcgi_pass unix:$tmp/nb.sock;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param REQUEST_URI \$request_uri;
		}
		location ^~ /_bench_files/ {
			internal;
			alias $tmp/www/;
			sendfile on;
			tcp_nopush on;
		}
	}
}
CONF
	nginx -p "$tmp/ng/" -e stderr -c "$tmp/ng/nginx.conf" -t -q 2>"$tmp/ng.err" ||
		die "bad generated nginx config: $(cat "$tmp/ng.err")"
	nginx -p "$tmp/ng/" -e stderr -c "$tmp/ng/nginx.conf" >>"$tmp/ng.err" 2>&1 &
	front_pids="$front_pids $!"
	na_url=http://127.0.0.1:$na_port/in16.bin
	nb_url=http://127.0.0.1:$nb_port/f
	for u in "$na_url" "$nb_url"; do wait_http "$u"; done
fi
for n in "${!base[@]}"; do wait_http "${base[$n]}/healthz"; done

# upload NAME ARGS...: POST to the app NAME, print the content URL
upload() {
	local resp b=${base[$1]}
	shift
	resp=$(curl -sS -f "$@") || die "upload to the app failed ($*)"
	printf '%s%s\n' "$b" "$(printf '%s' "$resp" | jq -r .content_url)"
}
# The same input in each app: a file of 16 MiB.
declare -A in16
for n in "${!base[@]}"; do
	in16[$n]=$(upload "$n" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$tmp/www/in16.bin" "${base[$n]}/inputs?kind=file&filename=in16.bin")
done
us_url=${in16[s]}
pcm_url=$(upload s -H 'Content-Type: application/octet-stream' --data-binary "@$tmp/pcm.raw" \
	"$app/inputs?kind=audio&format=pcm_s16le&sampling_rate=48000&num_channels=2")
wav_url=$(upload s -H 'Content-Type: audio/wav' --data-binary "@$tmp/pcm.wav" \
	"$app/inputs?kind=audio&filename=pcm.wav")

checks=("${in16[@]}" "$a_url" "$b_url" "$c_url")
[ "$NGINX" = 0 ] || checks+=("$na_url" "$nb_url")
for u in "${checks[@]}"; do check_range "$u" "$tmp/www/in16.bin" 12345 65536; done
check_range "$wav_url" "$tmp/pcm.wav" 0 65536
check_range "$pcm_url" "$tmp/pcm.wav" 44 65536
pcm_hdr=same
(check_range "$pcm_url" "$tmp/pcm.wav" 0 65536) 2>/dev/null || pcm_hdr=different
say "all targets answer 206 with the right bytes (the app's PCM WAV header vs ours: $pcm_hdr)"
# The offload rows measure offload: the app's access log says the web server sent the body.
check_offloaded "${in16[x]}" "$tmp/app-x.log"
[ "$NGINX" = 0 ] || check_offloaded "${in16[n]}" "$tmp/app-n.log"
say "offload checked: the web server sent the bytes (access log out=0)"

# --- reads -------------------------------------------------------------------------------------
# Each round runs every target once, each app next to its baseline; the order is reversed every
# other round, so that a slow spell of the machine does not always hit the same side of a pair.
# NAME|URL|SIZE|SPAN|CONNS (SIZE: of the representation; SPAN: bytes per range)
targets=("us|$us_url|$size16|65536|32" "c|$c_url|$size16|65536|32"
	"usx|${in16[x]}|$size16|65536|32" "b|$b_url|$size16|65536|32" "a|$a_url|$size16|65536|32")
[ "$NGINX" = 0 ] || targets+=("ngx|${in16[n]}|$size16|65536|32" "nb|$nb_url|$size16|65536|32"
	"na|$na_url|$size16|65536|32")
targets+=("pcm|$pcm_url|$wavsize|65536|32" "wav|$wav_url|$wavsize|65536|32"
	"lat|$us_url|$size16|4096|64")
say "warm-up: each target for 1 s (not counted)"
for t in "${targets[@]}"; do
	IFS='|' read -r name url size span conns <<<"$t"
	BENCH_SIZE=$size BENCH_SPAN=$span wrk -t 2 -c "$conns" -d 1s -s "$root/bench/range.lua" "$url" \
		>"$tmp/warmup.txt" 2>&1 || die "wrk failed: $(cat "$tmp/warmup.txt")"
done
declare -a busy loads
waits=''
for r in $(seq "$ROUNDS"); do
	list=("${targets[@]}")
	if [ $((r % 2)) = 0 ]; then
		mapfile -t list < <(printf '%s\n' "${targets[@]}" | tac)
	fi
	busy[r]=$(cpu_busy) loads[r]=$(load1)
	# Other work busy: give it up to WAIT_IDLE seconds to calm down before the round.
	t0=$SECONDS w=0
	while [ "${busy[r]}" -ge 20 ] && [ $((SECONDS - t0)) -lt "$WAIT_IDLE" ]; do
		say "  other work keeps ${busy[r]}% of the CPUs busy: waiting (up to $WAIT_IDLE s)"
		sleep 4
		busy[r]=$(cpu_busy) loads[r]=$(load1) w=1
	done
	[ "$w" = 0 ] || waits="$waits round $r: $((SECONDS - t0)) s,"
	say "round $r of $ROUNDS (wrk -t 2, $DURATION each): load average ${loads[r]}, CPUs busy before it ${busy[r]}%"
	for t in "${list[@]}"; do
		IFS='|' read -r name url size span conns <<<"$t"
		wrk_once "$name" "$url" "$size" "$span" "$conns" "$r"
	done
done

r_b=$(ratio "${RPS[us]}" "${RPS[b]}")
r_c=$(ratio "${RPS[us]}" "${RPS[c]}")
r_a=$(ratio "${RPS[us]}" "${RPS[a]}")
r_xb=$(ratio "${RPS[usx]}" "${RPS[b]}")
r_xa=$(ratio "${RPS[usx]}" "${RPS[a]}")
if [ "$NGINX" != 0 ]; then
	r_nb=$(ratio "${RPS[ngx]}" "${RPS[nb]}")
	r_na=$(ratio "${RPS[ngx]}" "${RPS[na]}")
fi
r_pcm=$(ratio "${RPS[pcm]}" "${RPS[wav]}")
load_reads=$(cut -d ' ' -f 1-3 /proc/loadavg)
busy_reads=$(cpu_busy)
say "after the reads: load average $load_reads, CPUs busy $busy_reads%"

# --- uploads -----------------------------------------------------------------------------------
app_fcgi_pids() { cat "$tmp/s"/mediagate.*/fcgi.pid 2>/dev/null; }
# Resets the peak RSS of the app's FastCGI processes (clear_refs 5, Linux >= 4.0).
hwm_reset() {
	local p
	hwm_note=''
	for p in $(app_fcgi_pids); do
		echo 5 2>/dev/null >"/proc/$p/clear_refs" || hwm_note=" (could not reset VmHWM: lifetime peak)"
	done
}
hwm_kib() {
	local p m=0 v
	for p in $(app_fcgi_pids); do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
		[ "${v:-0}" -gt "$m" ] && m=$v
	done
	echo "$m"
}
# up_once TARGET MODE FILE: one upload; prints MB/s (10^6 bytes) from curl's own total time.
up_once() {
	local url=$1 mode=$2 f=$3 bytes out code t id
	bytes=$(stat -c %s "$f")
	rm -f "$tmp/jar"
	# curl holds a --data-binary @file in memory and gives up at 1 GiB: stream those with -T.
	local body=(--data-binary "@$f")
	[ "$bytes" -le $((512 * MiB)) ] || body=(-T "$f" -X POST -H 'Expect:')
	if [ "$url" = app ]; then
		if [ "$mode" = raw ]; then
			set -- -H 'Content-Type: application/octet-stream' "${body[@]}" "$app/inputs?kind=file"
		else
			set -- -F "file=@$f;type=application/octet-stream" -F kind=file "$app/inputs"
		fi
		set -- -c "$tmp/jar" "$@"
	elif [ "$mode" = raw ]; then
		set -- -H 'Content-Type: application/octet-stream' "${body[@]}" "$s_url"
	else
		set -- -F "file=@$f;type=application/octet-stream" -F kind=file "$s_url"
	fi
	out=$(curl -sS -o "$tmp/up.out" -w '%{http_code} %{time_total}' "$@") || die "upload failed"
	code=${out% *} t=${out#* }
	[ "$code" = 201 ] || die "upload ($url $mode) answered $code: $(head -c 300 "$tmp/up.out")"
	if [ "$url" = app ]; then   # keep the data folder small: delete what we uploaded
		id=$(jq -r .id "$tmp/up.out")
		curl -sS -f -o /dev/null -b "$tmp/jar" -X DELETE "$app/inputs/$id" || die "DELETE failed"
	fi
	awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.1f", b / t / 1e6 }'
}
declare -A UP
up_median() {   # up_median KEY TARGET MODE FILE
	local r1 r2 r3
	r1=$(up_once "$2" "$3" "$4"); r2=$(up_once "$2" "$3" "$4"); r3=$(up_once "$2" "$3" "$4")
	UP[$1]=$(median3 "$r1" "$r2" "$r3")
	say "upload $1: $r1 $r2 $r3 MB/s, median ${UP[$1]}"
}
say "uploads: 256 MiB, raw and multipart, 3 runs each"
head -c $((256 * MiB)) /dev/urandom >"$tmp/up256.bin"
rss0=$(hwm_kib)
hwm_reset
up_median app_raw app raw "$tmp/up256.bin"
up_median app_mp app multipart "$tmp/up256.bin"
rss256=$(hwm_kib)
up_median sink_raw sink raw "$tmp/up256.bin"
up_median sink_mp sink multipart "$tmp/up256.bin"
rm -f "$tmp/up256.bin" "$tmp"/sink/*
r_up_raw=$(ratio "${UP[app_raw]}" "${UP[sink_raw]}")
r_up_mp=$(ratio "${UP[app_mp]}" "${UP[sink_mp]}")
say "peak RSS of the app's FastCGI processes: before uploads $rss0 KiB, 256 MiB uploads $rss256 KiB$hwm_note"
rss1g='not measured (BENCH_BIG=1)'
kib() { case $1 in *[!0-9]*) echo "$1" ;; *) echo "$1 KiB" ;; esac; }
big_note=''
if [ "$BIG" = 1 ]; then
	say "uploads: 1 GiB, raw and multipart, once each"
	head -c $((1024 * MiB)) /dev/urandom >"$tmp/up1g.bin"
	hwm_reset
	big_raw=$(up_once app raw "$tmp/up1g.bin")
	big_mp=$(up_once app multipart "$tmp/up1g.bin")
	rss1g=$(hwm_kib)
	rm -f "$tmp/up1g.bin"
	big_note="1 GiB uploads: raw $big_raw MB/s, multipart $big_mp MB/s (one run each)"
	say "$big_note; peak RSS $rss1g KiB"
fi
rss_floor() { case $1 in *[!0-9]*) echo "TODO" ;; *) [ "$1" -lt 16384 ] && echo met || echo "NOT met" ;; esac; }

# --- token verification ------------------------------------------------------------------------
say "token verification (one core, best of 3)"
tv_rate=0 tv=''
for _ in 1 2 3; do
	out=$(taskset -c 0 "$tmp/token_verify" 2000000 2>&1) || die "token_verify failed: $out"
	rate=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) verifications\/s.*/\1/p')
	say "  $out"
	if [ "${rate:-0}" -gt "$tv_rate" ]; then tv_rate=$rate tv=$out; fi
done
load_end=$(cut -d ' ' -f 1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------------------------
lat_ok=$([ "${ERR[lat]}" = 0 ] && echo met || echo "NOT met")
errs=0
for k in "${!ERR[@]}"; do errs=$((errs + ERR[$k])); done
row() { printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "${RPS[$2]}" "${OTH[$2]}%" \
	"$(rounds_of "$2")" "${MBS[$2]}" "${P50[$2]}" "${P99[$2]}" "${ERR[$2]}"; }
# cmp_row TEXT A B FLOOR: a ratio row, requests/s of A over B, best rounds and per round
cmp_row() {
	local r status=-
	r=$(ratio "${RPS[$2]}" "${RPS[$3]}")
	[ "$4" = none ] || status=$(floor "$r" "$4")
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$r" "$(round_ratios "$2" "$3")" \
		"$([ "$4" = none ] && echo none || echo ">= $4")" "$status"
}
# Noise: what other work took of the CPUs, from the 1-s samples taken while nothing of ours
# ran (before the reads, before each round, after the reads) and from each wrk run (the
# machine's busy time less our processes'); the machine is called noisy when one reached 20%.
# The 1-minute load average lags by about a minute: high at the start with idle samples, it
# is earlier work that had ended.
busy_all=("$busy0" "${busy[@]}" "$busy_reads")
busy_list="${busy_all[*]}"
busy_max=0
for v in "${busy_all[@]}"; do [ "$v" -le "$busy_max" ] || busy_max=$v; done
oth_max=0 oth_n=0 oth_hi=0
for v in "${OTH_R[@]}"; do
	oth_n=$((oth_n + 1))
	[ "$v" -lt 20 ] || oth_hi=$((oth_hi + 1))
	[ "$v" -le "$oth_max" ] || oth_max=$v
done
oth_med=$(printf '%s\n' "${OTH_R[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
noisy='' load_note=''
if [ "$busy_max" -ge 20 ] || [ "$oth_max" -ge 20 ]; then
	noisy="other work took up to $oth_max% of the CPUs during a wrk run (median $oth_med%; \
$oth_hi of $oth_n runs at 20% or more) and up to $busy_max% in the samples between them; load \
average $load at the start, on $(nproc) CPUs. The figures are lower and less steady than on an \
idle machine. The ratios compare runs made next to each other, best round against best round; \
the per-round ratios show how much they moved"
	say "NOTE: $noisy"
elif high "${load%% *}"; then
	load_note="The 1-minute load average was high at the start ($load on $(nproc) CPUs) from \
earlier work, but the CPUs were idle in every sample (at most $busy_max% busy; other work took \
at most $oth_max% during a wrk run)"
	say "NOTE: $load_note"
fi
git_rev="git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
git -C "$root" diff --quiet 2>/dev/null || git_rev="$git_rev (with uncommitted changes)"
{
	echo "# mediagate benchmarks (bench/run.sh)"
	echo
	echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it to refresh."
	echo
	echo "- Machine: $machine"
	echo "- Load average (1, 5, 15 min): $load at the start, $load_reads after the reads, $load_end at"
	echo "  the end (the last two include this run's own load: wrk and the servers fill both CPUs)."
	echo "- CPUs busy with other work, sampled over 1 s while nothing of ours ran: $busy0% at the"
	echo "  start; before each round $(for r in $(seq "$ROUNDS"); do printf '%s%% (load %s), ' \
		"${busy[r]}" "${loads[r]}"; done)after the reads $busy_reads%. During each wrk run"
	echo "  (\"others\" below: the machine's busy time, /proc/stat, less that of this run's processes):"
	echo "  median $oth_med%, at most $oth_max%."
	[ -z "$waited" ] || echo "- $waited."
	[ -z "$waits" ] || echo "- Waited for other work to calm down (BENCH_WAIT_IDLE=$WAIT_IDLE) before${waits%,}."
	[ -z "$noisy" ] || echo "- **Noisy machine: $noisy.**"
	[ -z "$load_note" ] || echo "- $load_note."
	[ -z "$stale" ] || echo "- **WARNING: $stale**"
	echo "- App: $PROCS FastCGI processes (spawn-fcgi) per server, $git_rev; three instances, each"
	echo "  with its own data folder holding the same input: streaming (\`deploy/run.sh\`), offload"
	if [ "$NGINX" != 0 ]; then
		echo "  to lighttpd (\`OFFLOAD=1 deploy/run.sh\`: X-Sendfile2), offload to nginx"
		echo "  (\`OFFLOAD=1 deploy/nginx/run.sh\`: X-Accel-Redirect)."
	else
		echo "  to lighttpd (\`OFFLOAD=1 deploy/run.sh\`: X-Sendfile2); no nginx rows (BENCH_NGINX=0)."
	fi
	echo "  Before the reads the script checks each target's 206 and bytes, and that the offload"
	echo "  apps' reads were sent by the web server (access log \`out=0\`)."
	echo "- wrk: 2 threads, loopback; each request a random \`Range: bytes=N-(N+L-1)\` of a 16 MiB"
	echo "  random input (bench/range.lua). $ROUNDS rounds of $DURATION per target; in each round every"
	echo "  target runs once, each app right beside its baseline, the order reversed every other round."
	echo "  A target's figures are from its best round (other work only slows a run down); \"per round\""
	echo "  lists requests/s of every round, \"others\" the share of the CPUs other work took during"
	echo "  the run. MiB/s is wrk's Transfer/sec (headers included)."
	echo "- Baselines, each behind its own web server, FastCGI ones with $PROCS processes:"
	echo "  (a) lighttpd serving the file statically; (b) bench/fcgi_sendfile.c answering X-Sendfile,"
	echo "  lighttpd sends the range; (c) bench/fcgi_stream.c streaming the range itself (pread +"
	echo "  FCGX_PutStr)$([ "$NGINX" = 0 ] && echo "." || echo ";")"
	if [ "$NGINX" != 0 ]; then
		echo "  one nginx (one worker) with (na) the file served statically (sendfile) and (nb)"
		echo "  bench/fcgi_sendfile.c answering X-Accel-Redirect to an internal location set as"
		echo "  deploy/nginx/nginx.conf.in's (sendfile, tcp_nopush)."
	fi
	echo
	echo "## Reads: 64 KiB ranges, 32 connections"
	echo
	echo "| target | requests/s | others | per round (others) | MiB/s | p50 ms | p99 ms | errors |"
	echo "|---|---|---|---|---|---|---|---|"
	row "us, streaming (lighttpd): token-checked GET /inputs/ID/content" us
	row "(c) lighttpd + FastCGI streaming the range" c
	row "us, offload (lighttpd, X-Sendfile2): the same GET" usx
	row "(b) lighttpd + FastCGI answering X-Sendfile" b
	row "(a) lighttpd static file" a
	if [ "$NGINX" != 0 ]; then
		row "us, offload (nginx, X-Accel-Redirect): the same GET" ngx
		row "(nb) nginx + FastCGI answering X-Accel-Redirect" nb
		row "(na) nginx static file" na
	fi
	row "us: PCM input read as WAV (virtual header)" pcm
	row "us: the same bytes stored as a WAV file" wav
	echo
	echo "## Ratios and the floors of issue 5"
	echo
	echo "| comparison | ratio | per round | floor | status |"
	echo "|---|---|---|---|---|"
	cmp_row "without offload: us streaming / (c)" us c 0.9
	cmp_row "with offload: us X-Sendfile2 / (b)" usx b 0.9
	if [ "$NGINX" != 0 ]; then
		cmp_row "nginx, with offload: us X-Accel-Redirect / (nb) (extra)" ngx nb 0.9
	fi
	cmp_row "us streaming / (b), for reference" us b none
	cmp_row "us X-Sendfile2 / (a) lighttpd static, for reference" usx a none
	cmp_row "us streaming / (a), for reference" us a none
	[ "$NGINX" = 0 ] || cmp_row "us X-Accel-Redirect / (na) nginx static, for reference" ngx na none
	cmp_row "PCM-as-WAV / stored WAV (requests/s)" pcm wav 0.9
	echo "| upload raw 256 MiB, us / sink (MB/s) | $r_up_raw | median of 3 | >= 0.8 | $(floor "$r_up_raw" 0.8) |"
	echo "| upload multipart 256 MiB, us / sink (MB/s) | $r_up_mp | median of 3 | >= 0.8 | $(floor "$r_up_mp" 0.8) |"
	echo "| peak RSS, 256 MiB uploads | $rss256 KiB | | < 16384 KiB | $(rss_floor "$rss256") |"
	echo "| peak RSS, 1 GiB uploads | $(kib "$rss1g") | | < 16384 KiB | $(rss_floor "$rss1g") |"
	echo "| token verifications/s, one core | $tv_rate | best of 3 | >= 1000000 | $(floor "$tv_rate" 1000000) |"
	echo "| latency, 4 KiB ranges, 64 connections: errors | ${ERR[lat]} | all rounds | 0 | $lat_ok |"
	echo
	echo "## Uploads (curl, median of 3, MB/s = 10^6 bytes/s from curl's total time)"
	echo
	echo "| 256 MiB | us | sink (bench/fcgi_sink.c) | ratio |"
	echo "|---|---|---|---|"
	echo "| raw body (--data-binary) | ${UP[app_raw]} | ${UP[sink_raw]} | $r_up_raw |"
	echo "| multipart (-F) | ${UP[app_mp]} | ${UP[sink_mp]} | $r_up_mp |"
	echo
	echo "Peak RSS (VmHWM, the largest of the streaming app's FastCGI processes, reset before the"
	echo "uploads$hwm_note): $rss0 KiB before, $rss256 KiB over the 256 MiB uploads; 1 GiB uploads: $(kib "$rss1g")."
	[ -z "$big_note" ] || echo "$big_note."
	echo "The sink writes the body to a file and nothing else (no parsing, hashing, fsync, index)."
	echo
	echo "## Latency: 4 KiB ranges, 64 connections, against the streaming app"
	echo
	echo "Best round: p50 ${P50[lat]} ms, p99 ${P99[lat]} ms, ${RPS[lat]} requests/s; ${ERR[lat]} errors"
	echo "over all rounds. Per round, p50/p99 ms: $(for r in $(seq "$ROUNDS"); do
		printf '%s/%s ' "${P50_R[lat,$r]}" "${P99_R[lat,$r]}"; done | sed 's/ $//')."
	echo
	echo "## Token verification (bench/token_verify.c, taskset to one core, best of 3)"
	echo
	echo "    $tv"
} >"$RESULTS"

say ""
say "== summary (best of $ROUNDS rounds; per-round ratios in brackets) =="
say "reads (req/s): us ${RPS[us]}, usx ${RPS[usx]}, (a) ${RPS[a]}, (b) ${RPS[b]}, (c) ${RPS[c]}"
[ "$NGINX" = 0 ] || say "nginx (req/s): us offload ${RPS[ngx]}, (nb) ${RPS[nb]}, (na) ${RPS[na]}"
say "| comparison | ratio | floor | status |"
say "| us streaming / (c) | $r_c [$(round_ratios us c)] | >= 0.9 | $(floor "$r_c" 0.9) |"
say "| us X-Sendfile2 / (b) | $r_xb [$(round_ratios usx b)] | >= 0.9 | $(floor "$r_xb" 0.9) |"
[ "$NGINX" = 0 ] ||
	say "| nginx: us X-Accel-Redirect / (nb) | $r_nb [$(round_ratios ngx nb)] | >= 0.9 | $(floor "$r_nb" 0.9) |"
say "| us streaming / (b), (a); us X-Sendfile2 / (a) | $r_b, $r_a; $r_xa | none | - |"
[ "$NGINX" = 0 ] || say "| nginx: us X-Accel-Redirect / (na) | $r_na | none | - |"
say "| PCM-as-WAV / WAV | $r_pcm [$(round_ratios pcm wav)] | >= 0.9 | $(floor "$r_pcm" 0.9) |"
say "| upload raw, us / sink | $r_up_raw | >= 0.8 | $(floor "$r_up_raw" 0.8) |"
say "| upload multipart, us / sink | $r_up_mp | >= 0.8 | $(floor "$r_up_mp" 0.8) |"
say "| peak RSS 256 MiB / 1 GiB | $rss256 KiB / $(kib "$rss1g") | < 16384 KiB | $(rss_floor "$rss256") / $(rss_floor "$rss1g") |"
say "| token verifications/s | $tv_rate | >= 1000000 | $(floor "$tv_rate" 1000000) |"
say "| latency 4 KiB x 64 (p50 ${P50[lat]} ms, p99 ${P99[lat]} ms): errors | ${ERR[lat]} | 0 | $lat_ok |"
say "wrk errors over all runs: $errs"
say "load average: start $load, after the reads $load_reads, end $load_end; CPUs busy (start, rounds, after): $busy_list (%)"
say "others' share of the CPUs during the wrk runs: median $oth_med%, at most $oth_max% ($oth_hi of $oth_n runs at 20% or more)"
say "written: $RESULTS"
