#!/usr/bin/env bash
# run.sh: build the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan, and run each.
#
#   tests/fuzz/run.sh [NAME...]     NAME is the NAME of a tests/fuzz/fuzz_NAME.c; default: all
#
# Environment: FUZZ_SECONDS (default 60) per harness, FUZZ_JOBS (default 2) harnesses at a time,
# FUZZ_CC (default clang).
#
# Each harness carries its own recipe in comment lines near its top:
#   // fuzz-sources: fcgi/range.c          the module sources it links (required)
#   // fuzz-pkgs: jansson                   pkg-config packages it needs (optional)
#   // fuzz-max-len: 1024                   libFuzzer -max_len (optional, default 4096)
# Binaries go to build/fuzz/NAME. Each run starts from a scratch copy of tests/fuzz/corpus/NAME
# (the committed corpus never grows) with tests/fuzz/dict/NAME.dict, -timeout=10,
# -rss_limit_mb=2048 and -malloc_limit_mb=1024 (so that one huge allocation is reported with the
# input that asked for it, rather than a later input once the RSS has grown); its output is tests/out/fuzz/NAME.log and a crash, leak, timeout or
# out-of-memory input is written next to it as tests/out/fuzz/NAME-crash-<sha1> (and so on).
# Prints a table (harness, executions, exec/s, corpus units, crashes), the tail of the log of any
# harness that failed, then "N passed, M failed"; exits non-zero when a harness failed to build,
# crashed, timed out, leaked or ran out of memory.
set -u
unset CDPATH

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_CC=${FUZZ_CC:-clang}
BUILD=build/fuzz
OUT=tests/out/fuzz
# shellcheck disable=SC2054  # the commas are clang's
CFLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -Wall -Wextra -Wshadow -Wno-unused-parameter -I.)

# Sanitizer reports end the run; third-party leaks only are suppressed (tests/fuzz/lsan.supp).
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

case $FUZZ_SECONDS in
''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;;
esac

names=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n#fuzz_}
		n=${n%.c}
		if [ ! -f "tests/fuzz/fuzz_$n.c" ]; then
			echo "run.sh: no tests/fuzz/fuzz_$n.c" >&2
			exit 2
		fi
		names+=("$n")
	done
else
	for f in tests/fuzz/fuzz_*.c; do
		[ -e "$f" ] || continue
		n=${f#tests/fuzz/fuzz_}
		names+=("${n%.c}")
	done
fi
if [ ${#names[@]} -eq 0 ]; then
	echo "run.sh: no harness in tests/fuzz" >&2
	echo "0 passed, 0 failed"
	exit 1
fi

mkdir -p "$BUILD" "$OUT"

# The value of a "// fuzz-KEY:" line of harness file $1, or empty.
recipe() {
	sed -n "s|^// fuzz-$2:[[:space:]]*||p" "$1" | head -n 1
}

# Build harness $1 into $BUILD/fuzz_$1; the compiler's output goes to $OUT/$1.build.log.
build() {
	local n=$1 src=tests/fuzz/fuzz_$1.c sources pkgs pkgflags flags=()
	local log=$OUT/$n.build.log

	sources=$(recipe "$src" sources)
	pkgs=$(recipe "$src" pkgs)
	rm -f "$BUILD/fuzz_$n"
	if [ -z "$sources" ]; then
		echo "$src has no '// fuzz-sources:' line" >"$log"
		return 1
	fi
	if [ -n "$pkgs" ]; then
		# shellcheck disable=SC2086
		if ! pkgflags=$(pkg-config --cflags --libs $pkgs 2>>"$log"); then
			echo "pkg-config $pkgs failed" >>"$log"
			return 1
		fi
		# shellcheck disable=SC2206
		flags=($pkgflags)
	fi
	# shellcheck disable=SC2086
	echo "$FUZZ_CC ${CFLAGS[*]} -o $BUILD/fuzz_$n $src $sources ${flags[*]}" >"$log"
	# shellcheck disable=SC2086
	"$FUZZ_CC" "${CFLAGS[@]}" -o "$BUILD/fuzz_$n" "$src" $sources "${flags[@]}" >>"$log" 2>&1
}

# Run harness $1 for FUZZ_SECONDS; its exit status goes to $BUILD/run/$1/rc.
run() {
	local n=$1 src=tests/fuzz/fuzz_$1.c work=$BUILD/run/$1 maxlen opts=() rc

	maxlen=$(recipe "$src" max-len)
	rm -rf "$work"
	mkdir -p "$work/corpus"
	rm -f "$OUT/$n".log "$OUT/$n"-crash-* "$OUT/$n"-leak-* "$OUT/$n"-timeout-* \
	      "$OUT/$n"-oom-* "$OUT/$n"-slow-unit-*
	if [ -d "tests/fuzz/corpus/$n" ]; then
		cp -R "tests/fuzz/corpus/$n/." "$work/corpus/"
	fi
	if [ -f "tests/fuzz/dict/$n.dict" ]; then
		opts+=("-dict=tests/fuzz/dict/$n.dict")
	fi
	"$BUILD/fuzz_$n" -max_total_time="$FUZZ_SECONDS" -max_len="${maxlen:-4096}" -timeout=10 \
		-rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$OUT/$n-" \
		"${opts[@]}" "$work/corpus" >"$OUT/$n.log" 2>&1
	rc=$?
	echo "$rc" >"$work/rc"
}

# Build everything first (quick), then fuzz FUZZ_JOBS harnesses at a time.
declare -A built
for n in "${names[@]}"; do
	if build "$n"; then
		built[$n]=1
	else
		built[$n]=0
	fi
done

echo "fuzz: ${#names[@]} harnesses, ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time"
running=0
for n in "${names[@]}"; do
	[ "${built[$n]}" = 1 ] || continue
	while [ "$running" -ge "$FUZZ_JOBS" ]; do
		wait -n
		running=$((running - 1))
	done
	run "$n" &
	running=$((running + 1))
done
wait

# The table: executions and exec/s from -print_final_stats, corpus units from the last status line.
passed=0
failed=0
failures=()
printf '%-16s %-12s %12s %9s %8s %8s\n' harness status executions exec/s corpus crashes
for n in "${names[@]}"; do
	log=$OUT/$n.log
	if [ "${built[$n]}" != 1 ]; then
		printf '%-16s %-12s %12s %9s %8s %8s\n' "fuzz_$n" "build-failed" - - - -
		failed=$((failed + 1))
		failures+=("$n")
		continue
	fi
	rc=$(cat "$BUILD/run/$n/rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -n 1)
	corpus=$(grep -aE '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)' "$log" |
	         sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' | tail -n 1)
	crashes=0
	for f in "$OUT/$n"-crash-* "$OUT/$n"-leak-* "$OUT/$n"-timeout-* "$OUT/$n"-oom-*; do
		[ -e "$f" ] && crashes=$((crashes + 1))
	done
	status=ok
	if [ "$rc" != 0 ] || [ "$crashes" -gt 0 ]; then
		if grep -q 'ERROR: libFuzzer: timeout' "$log"; then
			status=timeout
		elif grep -q 'ERROR: LeakSanitizer' "$log"; then
			status=leak
		elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then
			status=oom
		else
			status=crash
		fi
		[ "$crashes" -gt 0 ] || crashes=1
	fi
	printf '%-16s %-12s %12s %9s %8s %8s\n' "fuzz_$n" "$status" "${execs:--}" "${rate:--}" \
		"${corpus:--}" "$crashes"
	if [ "$status" = ok ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$n")
	fi
done

for n in "${failures[@]}"; do
	echo
	if [ "${built[$n]}" != 1 ]; then
		echo "== fuzz_$n: build failed ($OUT/$n.build.log)"
		tail -n 30 "$OUT/$n.build.log"
		continue
	fi
	# From the report on (the first sanitizer or libFuzzer error), else the last lines.
	echo "== fuzz_$n: $OUT/$n.log"
	first=$(grep -anm 1 -E 'ERROR: |runtime error:|ALARM: ' "$OUT/$n.log" | cut -d : -f 1)
	if [ -n "$first" ]; then
		sed -n "$((first > 3 ? first - 3 : 1)),$((first + 30))p" "$OUT/$n.log" | cut -c 1-300
	else
		tail -n 40 "$OUT/$n.log" | cut -c 1-300
	fi
	for f in "$OUT/$n"-crash-* "$OUT/$n"-leak-* "$OUT/$n"-timeout-* "$OUT/$n"-oom-*; do
		[ -e "$f" ] && echo "input: $f (replay: $BUILD/fuzz_$n $f)"
	done
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
