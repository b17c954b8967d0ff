# test_faults.sh: faults (issue 4): SIGKILL mid-upload, clients gone mid-upload and mid-download,
# and a soak of 64 concurrent clients against 4 FastCGI processes; each case has its own server.
#
# Each case starts deploy/run.sh on a data folder of its own (server_start), points BASE and DATA
# at it and puts the main server's back when done. CONCURRENCY_SECONDS (30) and
# CONCURRENCY_CLIENTS (64) size the soak.

# faults_up NAME DIR [VAR=VALUE...]: start a server for case NAME on data folder DIR (log
# $OUT/server-faults-NAME.log, which run.sh scans for sanitizer reports); BASE, DATA and F_PID
# point at it. Returns 1 (after recording a failure) when it does not start.
faults_up() {
	local name=$1 dir=$2
	shift 2
	if ! server_start "$OUT/server-faults-$name.log" "$dir" "$@"; then
		fail "$name: server" "did not start, see $OUT/server-faults-$name.log"
		return 1
	fi
	BASE=$S_BASE DATA=$dir F_PID=$S_PID
}

# faults_down NAME: stop the case's server; deploy/run.sh must exit 0.
faults_down() {
	server_stop "$F_PID"
	assert_eq "$1: the server stops with 0" 0 "$?"
	F_PID=
}

# fd_holders FILE: the pids of the processes that have FILE open (the FastCGI process writing a
# tmp/ID.part; every app process holds index.sqlite). By descriptor, so also under valgrind.
fd_holders() {
	local f
	f=$(readlink -f "$1") || return 0
	find /proc/[0-9]*/fd -maxdepth 1 -lname "$f" 2>/dev/null | cut -d/ -f3 | sort -un | tr '\n' ' '
}

# serving_pids: the live app processes of DATA (those holding its index open), sorted.
serving_pids() { fd_holders "$DATA/index.sqlite"; }

# parts_growing N SECONDS: wait until N files tmp/ID.part exist and each grew between two looks
# (0.2 s apart). Prints their paths; returns 1 when that did not happen in time.
parts_growing() {
	local want=$1 tries=$(($2 * 5)) i f size
	local -a grown
	local -A before=()
	for ((i = 0; i < tries; i++)); do
		sleep 0.2
		grown=()
		for f in "$DATA"/tmp/*.part; do
			[ -f "$f" ] || continue
			size=$(stat -c %s "$f" 2>/dev/null) || continue
			if [ -n "${before[$f]:-}" ] && [ "$size" -gt "${before[$f]}" ]; then
				grown+=("$f")
			fi
			before[$f]=$size
		done
		if [ "${#grown[@]}" -ge "$want" ]; then
			printf '%s\n' "${grown[@]}"
			return 0
		fi
	done
	return 1
}

# faults_wait_tmp_empty SECONDS: wait for DATA/tmp to empty.
faults_wait_tmp_empty() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ -z "$(find "$DATA/tmp" -mindepth 1 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

# app_5xx LOG: the app's access-log lines of LOG with a 5xx status.
app_5xx() { grep -E '^mediagate ts=[^ ]+ pid=[0-9]+ id=[0-9]+-[0-9]+ .* status=5[0-9][0-9] ' "$1"; }

# log_errors LOG: the lines of LOG that are neither access-log lines below 500, nor start/stop
# notices, nor a note that a client went away.
log_errors() {
	local ok='^mediagate ts=[^ ]+ pid=[0-9]+ id=[0-9]+-[0-9]+ .* status=[1-4][0-9][0-9] '
	ok+='|^mediagate\[[0-9]+\]: (serving, data in|stopping after) '
	ok+='|^mediagate: (data folder .* ready|serving http)'
	ok+='|\(server\.c\.[0-9]+\) server (started|stopped)'
	ok+='|client (gone|went away|closed|disconnected)|[Bb]roken pipe|[Cc]onnection reset'
	# Apache's start and stop notices, and as root its alert about running without a User.
	ok+='|^\[[^]]+\] \[(mpm_event|core):notice\] |\[unixd:alert\] .* AH02155: '
	grep -Ev "$ok" "$1"
}

test_faults() {
	local main_base=$BASE main_data=$DATA root
	root=$(mktemp -d "${TMPDIR:-/tmp}/mediagate-faults.XXXXXX") || {
		fail "faults" "mktemp failed"
		return
	}
	head -c $((3 * 1024 * 1024)) /dev/urandom >"$MEDIA/faults-slow.bin"
	if [ "$SERVER" = apache ]; then
		# mod_fcgid reads a whole body before it calls the app (deploy/apache/apache2.conf.in):
		# no upload is being written by the app while its client sends it.
		skip "faults: sigkill, upload-gone" "mod_fcgid does not stream request bodies"
	else
		faults_sigkill "$root/kill"
		faults_upload_gone "$root/upload-gone"
	fi
	faults_download_gone "$root/download-gone"
	faults_soak "$root/soak"
	BASE=$main_base DATA=$main_data
	rm -rf "$root"
}

# SIGKILL the FastCGI processes writing two uploads (a raw body and a form), restart the server
# on the same data folder: no temp file, no object, no row; every earlier input still reads back.
faults_sigkill() {
	local dir=$1/data n=sigkill i pids parts p killed='' st ids=() urls=() files=() out
	local slow=$MEDIA/faults-slow.bin pcm=$MEDIA/faults-pcm.raw c_raw c_form
	PROCS=2 faults_up $n "$dir" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" || return

	# Six earlier inputs of several kinds, as forms and raw bodies.
	head -c 32000 /dev/urandom >"$pcm"
	new_session kill >/dev/null
	upload kill audio "$M_WAV" audio/wav && ids+=("$ID") urls+=("$CONTENT_URL") files+=("$M_WAV")
	upload_raw kill "kind=audio&filename=speech.ogg" "$M_OGG" audio/ogg &&
		ids+=("$ID") urls+=("$CONTENT_URL") files+=("$M_OGG")
	upload kill image "$M_PNG" image/png && ids+=("$ID") urls+=("$CONTENT_URL") files+=("$M_PNG")
	upload_raw kill "kind=file" "$M_BIN" application/octet-stream &&
		ids+=("$ID") urls+=("$CONTENT_URL") files+=("$M_BIN")
	upload kill file "$M_TEXT" text/plain && ids+=("$ID") urls+=("$CONTENT_URL") files+=("$M_TEXT")
	upload_raw kill "kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=1" "$pcm" \
		application/octet-stream && ids+=("$ID") urls+=("$CONTENT_URL") files+=("$pcm")
	assert_eq "$n: six earlier inputs stored" 6 "${#ids[@]}"
	snapshot

	# Two slow uploads (200 KiB/s, 3 MiB: 15 s each), one per FastCGI process.
	curl -sS -o "$OUT/$n-raw.body" -w '%{http_code}' --max-time 30 --limit-rate 200k -H 'Expect:' \
		-b "$OUT/jars/kill" --data-binary "@$slow" -H 'Content-Type: application/octet-stream' \
		"$BASE${MOUNT:-}/inputs?kind=file" >"$OUT/$n-raw.status" 2>/dev/null &
	c_raw=$!
	curl -sS -o "$OUT/$n-form.body" -w '%{http_code}' --max-time 30 --limit-rate 200k -H 'Expect:' \
		-b "$OUT/jars/kill" -F kind=file -F "file=@$slow;type=application/octet-stream" \
		"$BASE${MOUNT:-}/inputs" >"$OUT/$n-form.status" 2>/dev/null &
	c_form=$!
	parts=$(parts_growing 2 10)
	assert_eq "$n: two uploads are being written (tmp/ID.part growing)" 2 \
		"$(printf '%s' "$parts" | grep -c .)"
	pids=$(serving_pids)
	for p in $parts; do
		i=$(fd_holders "$p")
		assert_match "$n: one app process writes $(basename "$p")" '^[0-9]+ $' "$i"
		assert_match "$n: the writer of $(basename "$p") is a FastCGI process of the server" \
			"(^| )${i% } " "$pids"
		# shellcheck disable=SC2086 # one pid, or several to kill when the assert above failed
		[ -z "$i" ] || { kill -KILL ${i% } && killed+=$i; }
	done
	wait "$c_raw" "$c_form"
	for p in raw form; do
		st=$(cat "$OUT/$n-$p.status")
		assert_no_match "$n: the killed $p upload did not get 201 (got $st)" '^2' "$st"
	done
	for p in $parts; do
		if [ "${SPAWN:-}" = lighttpd ] && [ ! -f "$p" ]; then
			# lighttpd restarts a backend that died, and the new app removes at start-up
			# the temporary files no live process holds.
			skip "$n: the crash left $(basename "$p")" "the app lighttpd restarted removed it"
		else
			assert_true "$n: the crash left $(basename "$p")" "it is gone before the restart" \
				test -f "$p"
		fi
	done
	out=$(serving_pids)
	for p in $killed; do
		assert_no_match "$n: process $p is dead" "(^| )$p " "$out"
	done

	# spawn-fcgi does not restart a killed app: restart the whole server on the same folder
	# (its own log: the first one keeps lighttpd's account of the dead backends).
	faults_down $n
	PROCS=2 faults_up $n-restart "$dir" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" || return
	assert_nothing_left "$n: after the restart, no temp file and objects and rows as before"
	for p in $parts; do
		i=$(basename "$p" .part)
		assert_true "$n: no object for the killed upload $i" "$(object_path "$i") exists" \
			test ! -e "$(object_path "$i")"
		assert_eq "$n: no row for the killed upload $i" 0 \
			"$(db "SELECT count(*) FROM inputs WHERE id = '$i'")"
	done
	for i in "${!ids[@]}"; do
		http GET "${urls[i]}&format=original"
		assert_status "$n: earlier input $((i + 1)) ($(basename "${files[i]}")) reads back: 200" 200
		assert_body_file "$n: earlier input $((i + 1)) ($(basename "${files[i]}")) is bit-exact" \
			"${files[i]}"
	done
	if upload_raw kill "kind=file" "$M_TEXT" text/plain; then
		pass "$n: a new upload after the restart: 201"
	fi
	faults_down $n
}

# Clients that go away while they upload (a raw body and a form): nothing partial is indexed,
# tmp/ empties, the same processes keep serving.
faults_upload_gone() {
	local dir=$1/data n=upload-gone pids parts c_raw c_form
	local slow=$MEDIA/faults-slow.bin log=$OUT/server-faults-upload-gone.log
	PROCS=2 faults_up $n "$dir" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" || return
	new_session gone >/dev/null
	pids=$(serving_pids)
	snapshot
	curl -sS -o /dev/null --max-time 1.5 --limit-rate 200k -H 'Expect:' -b "$OUT/jars/gone" \
		--data-binary "@$slow" -H 'Content-Type: application/octet-stream' \
		"$BASE${MOUNT:-}/inputs?kind=file" 2>/dev/null &
	c_raw=$!
	curl -sS -o /dev/null --max-time 1.5 --limit-rate 200k -H 'Expect:' -b "$OUT/jars/gone" \
		-F kind=file -F "file=@$slow;type=application/octet-stream" "$BASE${MOUNT:-}/inputs" 2>/dev/null &
	c_form=$!
	parts=$(parts_growing 2 2)
	assert_eq "$n: both uploads were being written when the clients left" 2 \
		"$(printf '%s' "$parts" | grep -c .)"
	wait "$c_raw"
	assert_eq "$n: the raw upload was cut (curl timed out)" 28 "$?"
	wait "$c_form"
	assert_eq "$n: the form upload was cut (curl timed out)" 28 "$?"
	assert_true "$n: tmp/ emptied within 5 s" \
		"left: $(find "$DATA/tmp" -mindepth 1 | head -n 3 | tr '\n' ' ')" faults_wait_tmp_empty 5
	assert_nothing_left "$n: nothing partial is indexed or stored"
	assert_eq "$n: the same FastCGI processes are serving" "$pids" "$(serving_pids)"
	if upload_raw gone "kind=file" "$M_BIN" application/octet-stream; then
		pass "$n: a good upload afterwards: 201"
		http GET "$CONTENT_URL"
		assert_body_file "$n: and it reads back bit-exact" "$M_BIN"
	fi
	assert_eq "$n: no 5xx in the app's log" "" "$(app_5xx "$log")"
	faults_down $n
}

# Clients that go away while they download 64 MiB (whole and ranged): the same processes keep
# serving, nothing but the client gone in the log, a full read afterwards is bit-exact.
faults_download_gone() {
	local dir=$1/data n=download-gone big=$MEDIA/faults-64m.bin pids url c cs=() rc
	local log=$OUT/server-faults-download-gone.log
	PROCS=2 faults_up $n "$dir" MEDIAGATE_MAX_UPLOAD=80M || return
	head -c $((64 * 1024 * 1024)) /dev/urandom >"$big"
	if ! upload_raw big "kind=file" "$big" application/octet-stream; then
		faults_down $n
		rm -f "$big"
		return
	fi
	url=$BASE$CONTENT_URL
	pids=$(serving_pids)
	# Four readers at 1 MiB/s cut after 1 s: two whole, one from 1 MiB on, one multi-range.
	curl -sS -o /dev/null --limit-rate 1M --max-time 1 "$url" 2>/dev/null &
	cs+=($!)
	curl -sS -o /dev/null --limit-rate 1M --max-time 1 "$url" 2>/dev/null &
	cs+=($!)
	curl -sS -o /dev/null --limit-rate 1M --max-time 1 -H 'Range: bytes=1048576-' "$url" \
		2>/dev/null &
	cs+=($!)
	curl -sS -o /dev/null --limit-rate 1M --max-time 1 -H 'Range: bytes=0-9,33554432-' "$url" \
		2>/dev/null &
	cs+=($!)
	for c in "${cs[@]}"; do
		wait "$c"
		rc=$?
		assert_eq "$n: reader $c was cut mid-body (curl timed out)" 28 "$rc"
	done
	sleep 0.5
	if [ "$SERVER" = apache ]; then
		# mod_fcgid starts processes on demand (up to PROCS): the first ones are still there.
		# shellcheck disable=SC2046,SC2086 # pid lists split into words
		assert_eq "$n: the same FastCGI processes are serving (and maybe more)" "$pids" \
			"$(comm -12 <(printf '%s\n' $pids | sort) <(printf '%s\n' $(serving_pids) | sort) | sort -n | tr '\n' ' ')"
	else
		assert_eq "$n: the same FastCGI processes are serving" "$pids" "$(serving_pids)"
	fi
	http GET /healthz
	assert_status "$n: still healthy" 200
	http GET "$CONTENT_URL"
	assert_status "$n: a full read afterwards: 200" 200
	assert_body_file "$n: a full read afterwards is bit-exact" "$big"
	http GET "$CONTENT_URL" -H 'Range: bytes=1048576-2097151'
	assert_status "$n: a ranged read afterwards: 206" 206
	if slice "$big" 1048576 1048576 | cmp -s - "$BODY"; then
		pass "$n: the ranged read is bit-exact"
	else
		fail "$n: the ranged read is bit-exact" "$BODY differs from bytes 1048576-2097151"
	fi
	faults_down $n
	assert_eq "$n: no error in the log but clients gone" "" "$(log_errors "$log")"
	rm -f "$big"
}

# soak_client N END DIR: one soak client until EPOCHSECONDS reaches END: upload a random file
# (1 KiB..512 KiB; raw body and form alternately), read it back (every third time a random
# range), and every fourth time list the session's inputs. Writes to DIR/log.N one line per
# request, "U STATUS", "R STATUS ok|bad", "L STATUS", and "C ID SHA256 SIZE URL" per 201.
soak_client() {
	local n=$1 end=$2 dir=$3 i=0 size sha st resp id url a len got bad
	local f=$dir/f.$n g=$dir/g.$n b=$dir/b.$n jar=$dir/jar.$n log=$dir/log.$n
	local -a cookie=(-b "$jar" -c "$jar")
	RANDOM=$((BASHPID * 31 + n))
	: >"$jar"
	while [ "$EPOCHSECONDS" -lt "$end" ]; do
		i=$((i + 1))
		size=$((1024 + ((RANDOM << 15) | RANDOM) % (512 * 1024 - 1024 + 1)))
		head -c "$size" /dev/urandom >"$f"
		sha=$(sha256sum <"$f")
		sha=${sha%% *}
		if ((i % 2)); then
			st=$(curl -sS -o "$b" -w '%{http_code}' --max-time 60 -H 'Expect:' "${cookie[@]}" \
				--data-binary "@$f" -H 'Content-Type: application/octet-stream' \
				"$BASE${MOUNT:-}/inputs?kind=file" 2>>"$dir/curl.err") || st=000
		else
			st=$(curl -sS -o "$b" -w '%{http_code}' --max-time 60 -H 'Expect:' "${cookie[@]}" \
				-F kind=file -F "file=@$f;type=application/octet-stream" \
				"$BASE${MOUNT:-}/inputs" 2>>"$dir/curl.err") || st=000
		fi
		printf 'U %s\n' "$st" >>"$log"
		[ "$st" = 201 ] || continue
		resp=
		IFS= read -r resp <"$b"
		if [[ $resp =~ \"id\":\"([A-Za-z0-9_-]+)\" ]]; then id=${BASH_REMATCH[1]}; else id=; fi
		if [[ $resp =~ \"content_url\":\"([^\"]+)\" ]]; then url=${BASH_REMATCH[1]}; else url=; fi
		printf 'C %s %s %s %s\n' "${id:-noid}" "$sha" "$size" "${url:-nourl}" >>"$log"
		[ -n "$url" ] || continue
		bad=ok
		if ((i % 3 == 0)); then
			a=$((((RANDOM << 15) | RANDOM) % (size - 1)))
			len=$((1 + ((RANDOM << 15) | RANDOM) % (size - a - 1)))
			got=$(curl -sS -o "$g" -w '%{http_code} %{size_download}' --max-time 60 \
				-H "Range: bytes=$a-$((a + len - 1))" "$BASE$url" 2>>"$dir/curl.err") ||
				got="000 0"
			st=${got% *}
			if [ "$st" != 206 ] || [ "${got#* }" != "$len" ] || ! cmp -s -n "$len" "$g" "$f" 0 "$a"
			then
				bad=bad
				printf 'range %s-%s of %s (%s bytes): %s\n' "$a" "$((a + len - 1))" "${id:-?}" \
					"$size" "$got" >>"$dir/bad"
			fi
		else
			st=$(curl -sS -o "$g" -w '%{http_code}' --max-time 60 "$BASE$url" \
				2>>"$dir/curl.err") || st=000
			if [ "$st" != 200 ] || ! cmp -s "$g" "$f"; then
				bad=bad
				printf 'read of %s (%s bytes): %s\n' "${id:-?}" "$size" "$st" >>"$dir/bad"
			fi
		fi
		printf 'R %s %s\n' "$st" "$bad" >>"$log"
		if ((i % 4 == 0)); then
			st=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 60 "${cookie[@]}" \
				"$BASE${MOUNT:-}/inputs" 2>>"$dir/curl.err") || st=000
			printf 'L %s\n' "$st" >>"$log"
		fi
	done
}

# The soak: PROCS=4, CONCURRENCY_CLIENTS clients for CONCURRENCY_SECONDS, then every 201 read
# back once more; no 5xx, nothing lost, as many rows as 201s.
faults_soak() {
	local dir=$1/data work=$1/work n=soak secs=${CONCURRENCY_SECONDS:-30}
	local clients=${CONCURRENCY_CLIENTS:-64} log=$OUT/server-faults-soak.log
	local k end start elapsed cs=() created=0 statuses total uploads reads lists n5 n0 bad rows
	local lost mismatched objects logged
	mkdir -p "$work"
	PROCS=4 faults_up $n "$dir" MEDIAGATE_MAX_UPLOAD="$MAX_UPLOAD" || return
	start=$EPOCHREALTIME
	end=$((EPOCHSECONDS + secs))
	for ((k = 1; k <= clients; k++)); do
		soak_client "$k" "$end" "$work" &
		cs+=($!)
	done
	wait "${cs[@]}"
	elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	cat "$work"/log.* >"$work/all"
	grep '^C ' "$work/all" >"$work/created"
	created=$(grep -c . "$work/created")
	statuses=$(awk '$1 != "C" { print $1 " " $2 }' "$work/all" | sort | uniq -c |
		awk '{ k = $2 == "U" ? "upload" : $2 == "R" ? "read" : "list"
			printf "%s%s %s x%s", sep, k, $3, $1; sep = ", " }')
	total=$(grep -c '^[URL] ' "$work/all")
	uploads=$(grep -c '^U ' "$work/all")
	reads=$(grep -c '^R ' "$work/all")
	lists=$(grep -c '^L ' "$work/all")
	n5=$(grep -c '^[URL] 5' "$work/all")
	n0=$(grep -c '^[URL] 000' "$work/all")
	bad=$(grep -c '^R .* bad$' "$work/all")
	printf '  soak: %s clients, %s s, PROCS=4: %s requests (%s uploads, %s reads, %s lists), %s/s\n' \
		"$clients" "$elapsed" "$total" "$uploads" "$reads" "$lists" \
		"$(awk -v t="$total" -v e="$elapsed" 'BEGIN { printf "%.0f", t / e }')"
	logged=$(grep -cE '^mediagate ts=[^ ]+ pid=[0-9]+ id=[0-9]+-[0-9]+ ' "$log")
	printf '  soak: statuses %s; app requests logged: %s\n' "$statuses" "$logged"

	assert_true "$n: at least one upload per client got 201" \
		"only $created uploads got 201 for $clients clients" \
		test "$created" -ge "$clients"
	assert_eq "$n: no response was 5xx" 0 "$n5"
	if [ "$n5" != 0 ]; then
		printf '  soak: the app logged these 5xx (and store errors):\n'
		{ app_5xx "$log"; grep -iE 'busy|locked|store' "$log"; } | head -n 20 | sed 's/^/    /'
	fi
	assert_eq "$n: no request failed without a response (curl errors: $(sort -u \
		"$work/curl.err" 2>/dev/null | head -n 3 | tr '\n' ' '))" 0 "$n0"
	assert_eq "$n: every read during the soak was bit-exact ($(head -n 3 "$work/bad" 2>/dev/null |
		tr '\n' ';'))" 0 "$bad"
	assert_eq "$n: every upload's read-back got 200 or 206" "$reads" \
		"$(grep -cE '^R (200|206) ' "$work/all")"
	assert_eq "$n: every list of inputs got 200" "$lists" "$(grep -c '^L 200$' "$work/all")"
	assert_true "$n: the app logged every request ($logged lines for $total requests)" \
		"fewer access-log lines than requests" test "$logged" -ge "$total"

	# Every 201, read once more after the soak, 8 at a time.
	awk -v base="$BASE" -v d="$work/reread" \
		'{ printf "url = \"%s%s\"\noutput = \"%s/%s\"\n", base, $5, d, $2 }' "$work/created" \
		>"$work/reread.cfg"
	mkdir -p "$work/reread"
	curl -sS -Z --parallel-max 8 --max-time 120 -K "$work/reread.cfg" \
		-w '%{http_code} %{filename_effective}\n' >"$work/reread.status" 2>"$work/reread.err"
	lost=$(grep -vc '^200 ' "$work/reread.status")
	mismatched=$(cd "$work/reread" && awk '{ print $3 "  " $2 }' "$work/created" |
		sha256sum -c --quiet 2>/dev/null | grep -c .)
	assert_eq "$n: all $created uploads that got 201 read back at the end: 200" \
		"$created" "$(grep -c '^200 ' "$work/reread.status")"
	assert_eq "$n: inputs lost or changed (not bit-exact at the end)" 0 "$mismatched"
	rows=$(db 'SELECT count(*) FROM inputs')
	assert_eq "$n: SELECT COUNT(*) FROM inputs equals the number of 201s" \
		"$created" "$rows"
	objects=$(count_objects)
	assert_eq "$n: one object file per 201" "$created" "$objects"
	assert_true "$n: tmp/ is empty" "left: $(find "$DATA/tmp" -mindepth 1 | head -n 3 |
		tr '\n' ' ')" faults_wait_tmp_empty 5
	printf '  soak: %s uploads got 201, %s rows, %s objects; re-read: %s not 200, %s not bit-exact\n' \
		"$created" "$rows" "$objects" "$lost" "$mismatched"
	assert_eq "$n: no 5xx in the app's log" "" "$(app_5xx "$log" | head -n 5)"
	faults_down $n
	rm -rf "$work"
}
