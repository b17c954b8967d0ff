#!/usr/bin/env bash
# tests/deploy.sh: the integration suite behind every deployment (make check-deploy).
#
#   tests/deploy.sh [NAME...]     NAME is a run of the table below; default: all of them
#   JOBS=1 tests/deploy.sh        one run at a time (default 2: two suites at once)
#
# make check runs the suite behind lighttpd + spawn-fcgi with the app at "/" and streaming its
# bytes itself. These runs cover the rest: nginx and Apache (each mounted at /media, one with
# offload), and the offload modes and lighttpd's own spawning with the groups where the front
# server or the offload changes what happens. Each run has its own artifacts folder
# (tests/out/deploy-NAME/) and log (tests/out/deploy-NAME.log); BIN and MG_CLI pass through
# (make check-deploy SANITIZE=1 tests the ASan build). Prints one line per run and the
# failures of failed runs; exits 0 only when every run passed.
set -u
unset CDPATH

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/tests/out
JOBS=${JOBS:-2}

# The groups whose outcome depends on the front server or on the offload mode.
FRONT="basic upload range headers html offload metrics errors tus growing cli"

# NAME | environment | groups (empty: all)
RUNS="
nginx-media      | SERVER=nginx MOUNT=/media        |
apache-offload   | SERVER=apache OFFLOAD=1          |
lighttpd-offload | OFFLOAD=1                        | $FRONT
nginx-offload    | SERVER=nginx OFFLOAD=1           | $FRONT
apache-stream    | SERVER=apache OFFLOAD=0          | $FRONT
lighttpd-binpath | SPAWN=lighttpd                   | $FRONT faults
"

trim() { local s=$1; s=${s#"${s%%[! ]*}"}; printf '%s' "${s%"${s##*[! ]}"}"; }

# run NAME ENV GROUPS: one suite, its output to tests/out/deploy-NAME.log.
run() {
	local name=$1 envs=$2 groups=$3 log=$OUT/deploy-$1.log rc=0
	# shellcheck disable=SC2086 # envs and groups split into words
	env $envs MG_TEST_OUT="$OUT/deploy-$name" "$ROOT/tests/integration/run.sh" $groups \
		>"$log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		printf 'deploy: %-17s ok    %s\n' "$name" "$(tail -n 1 "$log")"
	else
		printf 'deploy: %-17s FAIL  %s (%s)\n' "$name" "$(tail -n 1 "$log")" "$log"
		sed -n '/^Failures:/,$p' "$log" | sed 's/^/    /'
	fi
	echo "$rc" >"$OUT/deploy-$name.rc"
}

mkdir -p "$OUT"
rm -f "$OUT"/deploy-*.rc
started=$SECONDS
while IFS='|' read -r -u 3 name envs groups; do
	name=$(trim "$name")
	[ -n "$name" ] || continue
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx -- "$name"; then
		continue
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	# stdin from /dev/null: the suite must not eat the rest of the table.
	run "$name" "$(trim "$envs")" "$(trim "$groups")" </dev/null &
done 3<<<"$RUNS"
wait
# A run that did not get to write its status counts as failed.
total=$(printf '%s\n' "$RUNS" | grep -c '|')
[ $# -eq 0 ] || total=$#
passed=$(cat "$OUT"/deploy-*.rc 2>/dev/null | grep -cx 0)
echo "deploy: $((SECONDS - started)) s, $passed of $total runs passed"
[ "$passed" -eq "$total" ]
