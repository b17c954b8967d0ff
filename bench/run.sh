#!/usr/bin/env bash
# bench/run.sh: the benchmarks of issue 5: the app against baselines in one run, wrk on loopback.
#
#   bench/run.sh                   about 2-3 minutes; writes bench/RESULTS.md
#   BENCH_BIG=1 bench/run.sh       also uploads 1 GiB (peak RSS at that size; raw body sent with
#                                  curl -T, as curl will not hold 1 GiB for --data-binary)
#   BENCH_DURATION=10s PROCS=2     wrk duration per target; FastCGI processes per server
#
# Everything listens on 127.0.0.1 only, in a throwaway folder; every process started is stopped
# on exit. Needs root only to install wrk when it is missing (apt-get).
set -eu
unset CDPATH

root=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${BENCH_DURATION:-10s}
BIG=${BENCH_BIG:-0}
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

# --- cleanup: every process we start is stopped here ----------------------------------------
tmp='' app_pid='' lighty_pids='' pidfiles=''
# shellcheck disable=SC2317,SC2086 # called from the traps; pids split into words
cleanup() {
	trap - EXIT INT TERM
	# deploy/run.sh stops its own lighttpd and FastCGI processes on TERM.
	if [ -n "$app_pid" ]; then
		kill -TERM "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
	fi
	for p in $lighty_pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $lighty_pids; do wait "$p" 2>/dev/null || true; done
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
# start_fcgi NAME BINARY ARG: PROCS processes under spawn-fcgi on $tmp/NAME.sock
start_fcgi() {
	spawn-fcgi -s "$tmp/$1.sock" -M 0600 -F "$PROCS" -P "$tmp/$1.pid" -- "$2" "$3" >/dev/null ||
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
	lighty_pids="$lighty_pids $!"
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

# wrk_run NAME URL SIZE SPAN CONNS: wrk with random ranges; sets R_rps R_mbs R_p50 R_p99 R_err
declare -A RPS MBS P50 P99 ERR
wrk_run() {
	local out=$tmp/wrk_$1.txt
	say "wrk: $1 ($5 connections, $DURATION, ranges of $4 bytes)"
	BENCH_SIZE=$3 BENCH_SPAN=$4 wrk -t 2 -c "$5" -d "$DURATION" --latency \
		-s "$root/bench/range.lua" "$2" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
	# Latencies to ms, Transfer/sec to MiB/s (wrk's units are powers of 1024).
	eval "$(awk -v n="$1" '
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
		END { printf "RPS[%s]=%.0f MBS[%s]=%.1f P50[%s]=%.3f P99[%s]=%.3f ERR[%s]=%d\n",
			n, rps, n, mbs, n, p50, n, p99, n, err }' "$out")"
	say "     ${RPS[$1]} req/s, ${MBS[$1]} MiB/s, p50 ${P50[$1]} ms, p99 ${P99[$1]} ms, errors ${ERR[$1]}"
}

# --- machine -----------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="nproc $(nproc), CPU ${cpu:-unknown}, kernel $(uname -sr), $(lighttpd -v 2>&1 | head -n 1 |
	sed 's/ - .*//'), $(wrk -v 2>&1 | head -n 1 | sed 's/ \[.*//'), \
$(awk '/MemTotal/ { printf "%d MiB RAM", $2 / 1024 }' /proc/meminfo)"
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
say "machine: $machine; load average at start: $load"

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
app_port=$(free_port)
say "starting the app: deploy/run.sh on 127.0.0.1:$app_port, PROCS=$PROCS"
# TMPDIR puts deploy/run.sh's runtime folder (and its fcgi.pid) under ours.
TMPDIR=$tmp PORT=$app_port BIND=127.0.0.1 DATA_DIR=$tmp/data PROCS=$PROCS \
	MEDIAGATE_MAX_UPLOAD=2G MEDIAGATE_SESSION_MAX_BYTES=100G \
	"$root/deploy/run.sh" >"$tmp/app.log" 2>&1 &
app_pid=$!
app=http://127.0.0.1:$app_port
wait_http "$app/healthz"

a_port=$(free_port)
start_lighttpd a "$a_port" <<CONF
server.document-root = "$tmp/www"
CONF

start_fcgi b "$tmp/fcgi_sendfile" "$tmp/www/in16.bin"
b_port=$(free_port)
start_lighttpd b "$b_port" <<CONF
server.modules = ( "mod_fastcgi" )
server.document-root = "$tmp/empty"
fastcgi.server = ( "/" => (( "socket" => "$tmp/b.sock", "check-local" => "disable",
	"allow-x-send-file" => "enable", "x-sendfile-docroot" => ( "$tmp/www" ) )) )
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

# upload ARGS...: POST to the app, print the content URL
upload() {
	local resp
	resp=$(curl -sS -f "$@") || die "upload to the app failed ($*)"
	printf '%s%s\n' "$app" "$(printf '%s' "$resp" | jq -r .content_url)"
}
us_url=$(upload -H 'Content-Type: application/octet-stream' --data-binary "@$tmp/www/in16.bin" \
	"$app/inputs?kind=file&filename=in16.bin")
pcm_url=$(upload -H 'Content-Type: application/octet-stream' --data-binary "@$tmp/pcm.raw" \
	"$app/inputs?kind=audio&format=pcm_s16le&sampling_rate=48000&num_channels=2")
wav_url=$(upload -H 'Content-Type: audio/wav' --data-binary "@$tmp/pcm.wav" \
	"$app/inputs?kind=audio&filename=pcm.wav")

for u in "$us_url" "$a_url" "$b_url" "$c_url"; do check_range "$u" "$tmp/www/in16.bin" 12345 65536; done
check_range "$wav_url" "$tmp/pcm.wav" 0 65536
check_range "$pcm_url" "$tmp/pcm.wav" 44 65536
pcm_hdr=same
(check_range "$pcm_url" "$tmp/pcm.wav" 0 65536) 2>/dev/null || pcm_hdr=different
say "all targets answer 206 with the right bytes (the app's PCM WAV header vs ours: $pcm_hdr)"

# --- reads -------------------------------------------------------------------------------------
wrk_run us "$us_url" "$size16" 65536 32
wrk_run a "$a_url" "$size16" 65536 32
wrk_run b "$b_url" "$size16" 65536 32
wrk_run c "$c_url" "$size16" 65536 32
wrk_run pcm "$pcm_url" "$wavsize" 65536 32
wrk_run wav "$wav_url" "$wavsize" 65536 32
wrk_run lat "$us_url" "$size16" 4096 64

r_b=$(ratio "${RPS[us]}" "${RPS[b]}")
r_c=$(ratio "${RPS[us]}" "${RPS[c]}")
r_a=$(ratio "${RPS[us]}" "${RPS[a]}")
r_pcm=$(ratio "${RPS[pcm]}" "${RPS[wav]}")

# --- uploads -----------------------------------------------------------------------------------
app_fcgi_pids() { cat "$tmp"/mediagate.*/fcgi.pid 2>/dev/null; }
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
say "token verification (one core)"
tv=$(taskset -c 0 "$tmp/token_verify" 2000000 2>&1) || die "token_verify failed: $tv"
tv_rate=$(printf '%s\n' "$tv" | sed -n 's/.*: \([0-9]*\) verifications\/s.*/\1/p')
say "$tv"

# --- report ------------------------------------------------------------------------------------
lat_ok=$([ "${ERR[lat]}" = 0 ] && echo met || echo "NOT met")
errs=0
for k in us a b c pcm wav lat; do errs=$((errs + ERR[$k])); done
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "${RPS[$2]}" "${MBS[$2]}" "${P50[$2]}" \
	"${P99[$2]}" "${ERR[$2]}"; }
{
	echo "# mediagate benchmarks (bench/run.sh)"
	echo
	echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it to refresh."
	echo
	echo "- Machine: $machine"
	echo "- Load average when the run started: $load (other work on the machine skews the figures)"
	echo "- App: $PROCS FastCGI processes (spawn-fcgi) behind one lighttpd (deploy/run.sh)," \
		"git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
		"$(git -C "$root" diff --quiet 2>/dev/null || echo '(with uncommitted changes)')"
	[ -z "$stale" ] || echo "- **WARNING: $stale**"
	echo "- wrk: 2 threads, $DURATION per target, loopback; each request a random \`Range: bytes=N-(N+L-1)\`"
	echo "  of a 16 MiB random input (bench/range.lua). MiB/s is wrk's Transfer/sec (headers included)."
	echo "- Baselines: (a) lighttpd serving the file statically; (b) bench/fcgi_sendfile.c answering"
	echo "  X-Sendfile, lighttpd sends the range; (c) bench/fcgi_stream.c streaming the range itself"
	echo "  (pread + FCGX_PutStr); each with its own lighttpd, FastCGI ones with $PROCS processes."
	echo
	echo "## Reads: 64 KiB ranges, 32 connections"
	echo
	echo "| target | requests/s | MiB/s | p50 ms | p99 ms | errors |"
	echo "|---|---|---|---|---|---|"
	row "us: token-checked GET /inputs/ID/content" us
	row "(a) lighttpd static file" a
	row "(b) FastCGI + X-Sendfile" b
	row "(c) FastCGI streaming the range" c
	row "us: PCM input read as WAV (virtual header)" pcm
	row "us: the same bytes stored as a WAV file" wav
	echo
	echo "## Ratios and the floors of issue 5"
	echo
	echo "| comparison | ratio | floor | status |"
	echo "|---|---|---|---|"
	echo "| us / (c), without offload (today) | $r_c | >= 0.9 | $(floor "$r_c" 0.9) |"
	echo "| us / (b), with X-Sendfile offload | $r_b (app streams itself) | >= 0.9 | TODO: offload not implemented yet |"
	echo "| us / (a), for reference | $r_a | none | - |"
	echo "| PCM-as-WAV / stored WAV (requests/s) | $r_pcm | >= 0.9 | $(floor "$r_pcm" 0.9) |"
	echo "| upload raw 256 MiB, us / sink (MB/s) | $r_up_raw | >= 0.8 | $(floor "$r_up_raw" 0.8) |"
	echo "| upload multipart 256 MiB, us / sink (MB/s) | $r_up_mp | >= 0.8 | $(floor "$r_up_mp" 0.8) |"
	echo "| peak RSS, 256 MiB uploads | $rss256 KiB | < 16384 KiB | $(rss_floor "$rss256") |"
	echo "| peak RSS, 1 GiB uploads | $(kib "$rss1g") | < 16384 KiB | $(rss_floor "$rss1g") |"
	echo "| token verifications/s, one core | $tv_rate | >= 1000000 | $(floor "$tv_rate" 1000000) |"
	echo "| latency, 4 KiB ranges, 64 connections: errors | ${ERR[lat]} | 0 | $lat_ok |"
	echo
	echo "## Uploads (curl, median of 3, MB/s = 10^6 bytes/s from curl's total time)"
	echo
	echo "| 256 MiB | us | sink (bench/fcgi_sink.c) | ratio |"
	echo "|---|---|---|---|"
	echo "| raw body (--data-binary) | ${UP[app_raw]} | ${UP[sink_raw]} | $r_up_raw |"
	echo "| multipart (-F) | ${UP[app_mp]} | ${UP[sink_mp]} | $r_up_mp |"
	echo
	echo "Peak RSS (VmHWM, the largest of the app's FastCGI processes, reset before the uploads$hwm_note):"
	echo "$rss0 KiB before, $rss256 KiB over the 256 MiB uploads; 1 GiB uploads: $(kib "$rss1g")."
	[ -z "$big_note" ] || echo "$big_note."
	echo "The sink writes the body to a file and nothing else (no parsing, hashing, fsync, index)."
	echo
	echo "## Latency: 4 KiB ranges, 64 connections, against the app"
	echo
	echo "p50 ${P50[lat]} ms, p99 ${P99[lat]} ms, ${RPS[lat]} requests/s, ${ERR[lat]} errors."
	echo
	echo "## Token verification (bench/token_verify.c, taskset to one core)"
	echo
	echo "    $tv"
	echo
	echo "## TODO: X-Sendfile offload"
	echo
	echo "The app streams every byte itself today. When offload exists, add a run of the app with"
	echo "offload enabled against (b) here (floor: at least 0.9x (b)); the row above compares today's"
	echo "streaming app with (b) for information only."
} >"$RESULTS"

say ""
say "== summary =="
say "reads (req/s): us ${RPS[us]}, (a) ${RPS[a]}, (b) ${RPS[b]}, (c) ${RPS[c]}"
say "ratios: us/(b) $r_b (floor applies with offload: TODO), us/(c) $r_c ($(floor "$r_c" 0.9)), us/(a) $r_a"
say "PCM-as-WAV/WAV: $r_pcm ($(floor "$r_pcm" 0.9))"
say "uploads us/sink: raw $r_up_raw ($(floor "$r_up_raw" 0.8)), multipart $r_up_mp ($(floor "$r_up_mp" 0.8))"
say "peak RSS: 256 MiB $rss256 KiB, 1 GiB $(kib "$rss1g")"
say "token verifications/s: $tv_rate ($(floor "$tv_rate" 1000000))"
say "latency 4 KiB x 64: p50 ${P50[lat]} ms, p99 ${P99[lat]} ms, errors ${ERR[lat]}"
say "wrk errors over all runs: $errs"
say "written: $RESULTS"
