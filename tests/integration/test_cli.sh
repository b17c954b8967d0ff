# test_cli.sh: mediagate-put, the tus command-line client (cli/), against the server under test:
# uploads in small chunks read back bit-exact, metadata, a SIGKILL mid-upload resumed by the same
# command, standard input with deferred length, --real-time pacing of a WAV, the exit statuses.

# MG_CLI: the client to test (make check-integration sets it; build/asan/... with SANITIZE=1).
CLI=${MG_CLI:-$ROOT/build/mediagate-put}

# cli NAME ARGS...: run the client (stdin from CLI_STDIN, default /dev/null) into $OUT/cli/NAME.out
# and .err; sets CLI_RC, CLI_URL (the first stdout line), CLI_ERR (the stderr file) and CLI_S
# (seconds taken, decimal).
cli() {
	local name=$1 t0 t1
	shift
	CLI_ERR=$OUT/cli/$name.err
	t0=$(date +%s.%N)
	"$CLI" --server "$BASE$MOUNT" --state-dir "$OUT/cli/state" "$@" \
		<"${CLI_STDIN:-/dev/null}" >"$OUT/cli/$name.out" 2>"$CLI_ERR"
	CLI_RC=$?
	t1=$(date +%s.%N)
	CLI_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	CLI_URL=$(head -n 1 "$OUT/cli/$name.out")
}

# cli_ok NAME: the last run exited 0 and printed a content URL of this server.
cli_ok() {
	if [ "$CLI_RC" = 0 ]; then
		pass "$1: exit 0"
	else
		fail "$1: exit 0" "exit $CLI_RC, stderr: $(head -c 600 "$CLI_ERR")"
	fi
	assert_match "$1: prints the content URL" \
		"^$BASE$MOUNT/inputs/[A-Za-z0-9_-]{22}/content\\?token=[A-Za-z0-9_.-]+\$" "$CLI_URL"
}

# cli_readback NAME FILE: the content URL of the last run serves FILE, bit-exact.
cli_readback() {
	http GET "$CLI_URL"
	assert_status "$1: GET the content URL: 200" 200
	assert_body_file "$1: reads back bit-exact" "$2"
}

# paced SECONDS: the last run took at least SECONDS less 0.05 (never faster than real time) and
# not much more (0.7 s for requests, 2 s when the app runs under valgrind).
paced() {
	local slack=0.7
	[ -z "${MG_VALGRIND_LOGS:-}" ] || slack=2
	awk -v t="$CLI_S" -v d="$1" -v s="$slack" 'BEGIN { exit !(t >= d - 0.05 && t <= d + s) }'
}

# state_files: how many state files the client keeps now.
state_files() { find "$OUT/cli/state" -name '*.state' 2>/dev/null | wc -l; }

test_cli() {
	local f pcm wav3 pid url cookie off n i id tok
	if [ ! -x "$CLI" ]; then
		fail "mediagate-put is built" "$CLI is missing (make build/mediagate-put)"
		return
	fi
	mkdir -p "$OUT/cli/state"

	# Usage.
	"$CLI" --help >"$OUT/cli/help.out" 2>&1
	assert_eq "--help: exit 0" 0 $?
	assert_match "--help: describes the usage and the exit statuses" 'Usage: mediagate-put.*' \
		"$(head -n 1 "$OUT/cli/help.out")"
	assert_true "--help: lists the exit statuses" "no 'Exit status' in --help" \
		grep -q '^Exit status: 0 uploaded' "$OUT/cli/help.out"
	cli usage-none
	assert_eq "no FILE: exit 1 (usage)" 1 "$CLI_RC"
	cli usage-bad --chunk-size 0 "$M_TEXT"
	assert_eq "--chunk-size 0: exit 1 (usage)" 1 "$CLI_RC"
	cli usage-missing "$OUT/cli/no-such-file"
	assert_eq "a missing FILE: exit 1" 1 "$CLI_RC"
	cli usage-realtime --real-time "$M_BIN"
	assert_eq "--real-time on a file that is not a WAV: exit 1" 1 "$CLI_RC"

	# A file in small chunks (with Upload-Checksum: sha256 on each), read back bit-exact.
	cli chunks --chunk-size 64K "$M_BIN"
	cli_ok "1 MiB file in 64 KiB chunks"
	cli_readback "1 MiB file in 64 KiB chunks" "$M_BIN"
	assert_eq "a finished upload leaves no state file" 0 "$(state_files)"
	assert_eq "no progress bar nor notes when stderr is not a terminal" "" "$(cat "$CLI_ERR")"
	id=$(printf '%s' "$CLI_URL" | sed -E 's|.*/inputs/([^/]+)/content.*|\1|')
	tok=${CLI_URL##*token=}
	http GET "/inputs/$id" -H "Authorization: Bearer $tok"
	assert_eq "the filename metadata is the file's name" "$(basename "$M_BIN")" "$(json .filename)"
	assert_eq "the input's size" "$(size_of "$M_BIN")" "$(json .size)"
	assert_eq "the input's sha256" "$(sha256_of "$M_BIN")" "$(json .sha256)"

	cli text --chunk-size 100 --no-checksum --progress "$M_TEXT"
	cli_ok "1000 bytes in 100-byte chunks without checksums, --progress"
	cli_readback "1000 bytes in 100-byte chunks" "$M_TEXT"
	assert_true "--progress draws the bar on stderr" "stderr: $(head -c 300 "$CLI_ERR")" \
		grep -q '100%' "$CLI_ERR"

	# Metadata: raw PCM with its format; reads return a WAV.
	pcm=$OUT/cli/tone.pcm
	sox -n -r 16000 -c 1 -b 16 -e signed -t raw "$pcm" synth 0.5 sine 440 2>/dev/null
	cli pcm --kind audio --format pcm_s16le --sampling-rate 16000 --num-channels 1 \
		--filename tone.raw "$pcm"
	cli_ok "raw PCM with --kind --format --sampling-rate --num-channels"
	id=$(printf '%s' "$CLI_URL" | sed -E 's|.*/inputs/([^/]+)/content.*|\1|')
	tok=${CLI_URL##*token=}
	http GET "/inputs/$id" -H "Authorization: Bearer $tok"
	jfields "$BODY" .kind .filename .audio.sampling_rate .audio.num_channels
	assert_eq "metadata reached the input (kind filename rate channels)" \
		"audio tone.raw 16000 1" "${JF[*]}"
	http GET "$CLI_URL"
	slice "$BODY" 44 $(($(size_of "$BODY") - 44)) >"$OUT/cli/pcm.back"
	assert_true "the PCM reads back as a WAV of the same samples" \
		"$(size_of "$BODY") bytes; PCM part differs" cmp -s "$pcm" "$OUT/cli/pcm.back"

	# Its own session, or the one given.
	new_session clijar >/dev/null
	cookie=$(awk '$6 == "mg_session" { print $7 }' "$OUT/jars/clijar")
	cli given --session-cookie "$cookie" "$M_TEXT"
	cli_ok "--session-cookie"
	id=$(printf '%s' "$CLI_URL" | sed -E 's|.*/inputs/([^/]+)/content.*|\1|')
	JAR=clijar http GET /inputs
	assert_eq "--session-cookie: the input is that session's" "$id" \
		"$(json '[.inputs[] | .id] | join(" ")')"

	# SIGKILL in the middle, then the same command resumes where the server stopped.
	f=$OUT/cli/resume.bin
	head -c $((1536 * 1024 + 777)) /dev/urandom >"$f"
	local cmd=(--chunk-size 256K --limit-rate 256K "$f")
	"$CLI" --server "$BASE$MOUNT" --state-dir "$OUT/cli/state" "${cmd[@]}" \
		</dev/null >"$OUT/cli/killed.out" 2>"$OUT/cli/killed.err" &
	pid=$!
	off=0
	for i in $(seq 100); do
		sleep 0.1
		[ "$(state_files)" = 1 ] || continue
		url=$(sed -n 's/^url //p' "$OUT"/cli/state/*.state)
		cookie=$(sed -n 's/^cookie //p' "$OUT"/cli/state/*.state)
		off=$(curl -sS -I -H 'Tus-Resumable: 1.0.0' -b "mg_session=$cookie" "$url" |
			tr -d '\r' | sed -n 's/^[Uu]pload-[Oo]ffset: *//p')
		[ "${off:-0}" -gt 300000 ] && break
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	assert_true "killed mid-upload (server offset $off of $(size_of "$f"))" \
		"offset '$off'" test "${off:-0}" -gt 0 -a "${off:-0}" -lt "$(size_of "$f")"
	assert_eq "the killed run left its state file" 1 "$(state_files)"
	assert_match "the state file names the upload URL" "^$BASE$MOUNT/uploads/" "$url"
	assert_eq "the state file is private (0600)" 600 "$(stat -c %a "$OUT"/cli/state/*.state)"
	cli resumed "${cmd[@]}"
	cli_ok "the same command after SIGKILL"
	cli_readback "resumed after SIGKILL" "$f"
	n=$(sed -n 's/.*resuming .* at byte \([0-9]*\).*/\1/p' "$CLI_ERR")
	assert_true "it resumed (at byte ${n:-?}), not from 0" "stderr: $(head -c 300 "$CLI_ERR")" \
		test "${n:-0}" -ge "${off:-1}"
	assert_eq "the resumed upload removed its state file" 0 "$(state_files)"

	# Standard input: deferred length, the end found with the last chunk (also exactly on a
	# chunk boundary).
	CLI_STDIN=$M_BIN cli stdin --chunk-size 100K -
	cli_ok "standard input (Upload-Defer-Length)"
	cli_readback "standard input" "$M_BIN"
	head -c $((3 * 65536)) "$M_BIN" >"$OUT/cli/three-chunks.bin"
	CLI_STDIN=/dev/stdin cli pipe --chunk-size 64K - < <(cat "$OUT/cli/three-chunks.bin")
	cli_ok "a pipe whose end is on a chunk boundary"
	cli_readback "a pipe whose end is on a chunk boundary" "$OUT/cli/three-chunks.bin"
	cli deferred-file --defer-length --chunk-size 300K "$M_BIN"
	cli_ok "--defer-length on a file"
	cli_readback "--defer-length on a file" "$M_BIN"

	# --real-time: a 3 s WAV takes about 3 s, from a file and from a pipe.
	wav3=$OUT/cli/three-seconds.wav
	sox -n -r 16000 -c 1 -b 16 "$wav3" synth 3 sine 300 2>/dev/null
	cli realtime --real-time "$wav3"
	cli_ok "--real-time on a 3 s WAV"
	assert_true "--real-time on a 3 s WAV takes about 3 s (${CLI_S} s)" "${CLI_S} s" paced 3
	cli_readback "--real-time on a 3 s WAV" "$wav3"
	CLI_STDIN=/dev/stdin cli realtime-pipe --real-time - < <(cat "$wav3")
	cli_ok "--real-time from a pipe"
	assert_true "--real-time from a pipe takes about 3 s (${CLI_S} s)" "${CLI_S} s" paced 3
	cli_readback "--real-time from a pipe" "$wav3"

	# Exit statuses: 2 with the server's JSON error, 3 when nobody answers.
	cli refused --meta kind=bogus "$M_TEXT"
	assert_eq "bad metadata: exit 2 (refused)" 2 "$CLI_RC"
	assert_true "refused: the server's JSON error is on stderr" \
		"stderr: $(head -c 300 "$CLI_ERR")" grep -q '"error": *"bad_metadata"' "$CLI_ERR"
	assert_eq "refused: nothing on stdout" "" "$CLI_URL"
	cli too-big "$M_OVER"
	assert_eq "a file over the server's maximum: exit 2" 2 "$CLI_RC"
	"$CLI" --server "http://127.0.0.1:$(free_port)" --retries 1 --no-resume "$M_TEXT" \
		>"$OUT/cli/down.out" 2>"$OUT/cli/down.err"
	assert_eq "no server: exit 3 after the retries" 3 "$?"
	assert_true "no server: says it gave up" "stderr: $(head -c 300 "$OUT/cli/down.err")" \
		grep -q 'gave up after 1 retries' "$OUT/cli/down.err"
}
