# test_metrics.sh: issue 5, GET /metrics (Prometheus text format 0.0.4) and the access log.
#   - the exposition parses line by line: HELP and TYPE before every family, sample lines of
#     the right shape, counters named _total, histogram buckets cumulative with +Inf = _count;
#   - scrape, make an upload, a read, token failures (missing, invalid, expired) and a 404,
#     scrape again: every counter moved by exactly what was done (the suite's server runs two
#     FastCGI processes, so this holds only because the counters are shared);
#   - every request the app logged since it started is counted once in mediagate_requests_total;
#   - the access log: one logfmt line per request with the X-Request-Id of its response, the
#     route pattern, the path without the query, status, bytes, duration and the failure
#     reason; no token and no session cookie anywhere in the log.
# The 403 for addresses outside MEDIAGATE_METRICS_ALLOW cannot be produced from loopback: the
# allow-list is unit-tested (tests/unit/test_metrics.c, metrics_allowed).

# metrics_value FILE SERIES: the value of the sample SERIES (name and labels as printed) in FILE;
# 0 when absent (request counters appear once counted).
metrics_value() {
	awk -v s="$2" 'index($0, s " ") == 1 { v = substr($0, length(s) + 2) }
		END { print (v == "" ? 0 : v) }' "$1"
}

# metrics_delta NAME BEFORE AFTER SERIES EXPECTED: the sample moved by EXPECTED between scrapes.
metrics_delta() {
	local a b
	a=$(metrics_value "$2" "$4")
	b=$(metrics_value "$3" "$4")
	assert_eq "$1: $4 +$5" "$5" "$((b - a))"
}

# metrics_format_errors FILE: what is wrong with FILE as a text exposition; nothing when fine.
metrics_format_errors() {
	awk '
	function err(m) { print FNR ": " m ": " $0; bad++ }
	/^# HELP / {
		if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ || NF < 4) err("bad HELP")
		help[$3] = 1
		next
	}
	/^# TYPE / {
		if (NF != 4 || $4 !~ /^(counter|gauge|histogram)$/) err("bad TYPE")
		if (!($3 in help)) err("TYPE without HELP")
		if ($3 in type) err("family twice")
		if ($4 == "counter" && $3 !~ /_total$/) err("counter not named _total")
		type[$3] = $4
		next
	}
	/^#/ { err("unknown comment"); next }
	{
		line = $0
		if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { err("no metric name"); next }
		name = substr(line, 1, RLENGTH)
		rest = substr(line, RLENGTH + 1)
		labels = ""
		if (substr(rest, 1, 1) == "{") {
			pair = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
			if (!match(rest, "^[{]" pair "(," pair ")*[}]")) { err("bad labels"); next }
			labels = substr(rest, 1, RLENGTH)
			rest = substr(rest, RLENGTH + 1)
		}
		if (rest !~ /^ (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)$/) {
			err("bad value")
			next
		}
		value = substr(rest, 2)
		if (name !~ /^mediagate_/) err("not prefixed mediagate_")
		fam = name
		if (!(fam in type)) {
			fam = name
			sub(/_(bucket|sum|count)$/, "", fam)
			if (!(fam in type) || type[fam] != "histogram") { err("no TYPE for its family"); next }
		}
		if (name == fam "_bucket") {
			if (!match(labels, /le="[^"]*"/)) { err("bucket without le"); next }
			le = substr(labels, RSTART + 4, RLENGTH - 5)
			if (fam in last && value + 0 < last[fam] + 0) err("buckets not cumulative")
			last[fam] = value
			if (le == "+Inf") inf[fam] = value
		}
		if (name == fam "_count" && type[fam] == "histogram") {
			if (!(fam in inf)) err("no +Inf bucket before _count")
			else if (inf[fam] != value) err("+Inf bucket " inf[fam] " != _count")
			counted[fam] = 1
		}
		samples++
	}
	END {
		for (f in type)
			if (type[f] == "histogram" && !(f in counted)) print "histogram " f " has no _count"
		if (samples == 0) print "no samples"
	}' "$1"
}

# metrics_sum_requests FILE: the sum of every mediagate_requests_total sample.
metrics_sum_requests() {
	awk '/^mediagate_requests_total[{]/ { n += $NF } END { print n + 0 }' "$1"
}

# access_line ID: the server log's access-log line of request ID ("" when none).
access_line() { grep -E "^mediagate ts=[^ ]+ pid=[0-9]+ id=$1 " "$OUT/server.log"; }

test_metrics() {
	local m1=$OUT/metrics.1 m2=$OUT/metrics.2 bin=$MEDIA/metrics.bin size=5000 out=0
	local rid_scrape rid_upload rid_read rid_missing rid_invalid rid_expired rid_404
	local kid sess t expired line ids
	local ts_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
	local id tok session logged counted read s r f read_out

	head -c "$size" /dev/urandom >"$bin"
	: >"$OUT/jars/metrics"

	http GET /metrics
	assert_status "GET /metrics from loopback: 200" 200
	assert_header "GET /metrics: Content-Type of the text format 0.0.4" Content-Type \
		"text/plain; version=0.0.4; charset=utf-8"
	assert_header "GET /metrics: not cached" Cache-Control no-store
	cp "$BODY" "$m1"
	rid_scrape=$(header X-Request-Id)
	out=$((out + $(size_of "$BODY")))
	assert_eq "first scrape: every line parses" "" "$(metrics_format_errors "$m1")"
	for f in requests_total request_body_bytes_total response_body_bytes_total \
		upload_duration_seconds read_duration_seconds token_failures_total \
		uploads_in_progress store_inputs store_size_bytes; do
		assert_match "first scrape: mediagate_$f has HELP and TYPE" \
			"# TYPE mediagate_$f (counter|gauge|histogram)" "$(grep "^# TYPE mediagate_$f " "$m1")"
	done

	# What the second scrape must account for, exactly.
	upload_raw metrics "kind=file&filename=metrics.bin" "$bin" application/octet-stream || return
	id=$ID tok=$TOKEN rid_upload=$(header X-Request-Id)
	out=$((out + $(size_of "$BODY")))
	http GET "$CONTENT_URL"
	assert_status "metrics: the read: 200" 200
	rid_read=$(header X-Request-Id)
	# With OFFLOAD the web server sends the read's bytes and the app writes none (test_offload).
	case ${OFFLOAD:-0} in 0 | no | off | none) read_out=$size ;; *) read_out=0 ;; esac
	out=$((out + read_out))
	http GET "/inputs/$id/content"
	assert_error "metrics: no token: 401" 401 token_missing
	rid_missing=$(header X-Request-Id)
	out=$((out + $(size_of "$BODY")))
	http GET "/inputs/$id/content?token=garbage"
	assert_error "metrics: a garbage token: 403" 403 token_invalid
	rid_invalid=$(header X-Request-Id)
	out=$((out + $(size_of "$BODY")))
	kid=$(token_key_id "$tok")
	sess=$(db "SELECT session_id FROM inputs WHERE id = '$id'")
	t=$(now)
	expired=$(token_make "$DATA/keyring" "$kid" "$kid" $((t - 100)) $((t - 10)) "$sess" "$id")
	http GET "/inputs/$id/content" -H "Authorization: Bearer $expired"
	assert_error "metrics: an expired token: 410" 410 token_expired
	rid_expired=$(header X-Request-Id)
	out=$((out + $(size_of "$BODY")))
	http GET /metrics/nothing-here
	assert_error "metrics: an unknown path: 404" 404 not_found
	rid_404=$(header X-Request-Id)
	out=$((out + $(size_of "$BODY")))

	http GET /metrics
	assert_status "second scrape: 200" 200
	cp "$BODY" "$m2"
	assert_eq "second scrape: every line parses" "" "$(metrics_format_errors "$m2")"

	metrics_delta "deltas" "$m1" "$m2" \
		'mediagate_requests_total{method="GET",route="/metrics",status="200"}' 1
	metrics_delta "deltas" "$m1" "$m2" \
		'mediagate_requests_total{method="POST",route="/inputs",status="201"}' 1
	read='mediagate_requests_total{method="GET",route="/inputs/{id}/content",status='
	for s in 200 401 403 410; do
		metrics_delta "deltas" "$m1" "$m2" "$read\"$s\"}" 1
	done
	metrics_delta "deltas" "$m1" "$m2" \
		'mediagate_requests_total{method="other",route="other",status="404"}' 1
	assert_eq "deltas: 7 requests in all (the first scrape and the 6 after it)" 7 \
		$(($(metrics_sum_requests "$m2") - $(metrics_sum_requests "$m1")))
	metrics_delta "deltas" "$m1" "$m2" mediagate_request_body_bytes_total "$size"
	metrics_delta "deltas (the first scrape's body and the 6 others')" "$m1" "$m2" \
		mediagate_response_body_bytes_total "$out"
	metrics_delta "deltas" "$m1" "$m2" mediagate_upload_duration_seconds_count 1
	metrics_delta "deltas" "$m1" "$m2" 'mediagate_upload_duration_seconds_bucket{le="+Inf"}' 1
	metrics_delta "deltas" "$m1" "$m2" mediagate_read_duration_seconds_count 4
	for r in missing invalid expired; do
		metrics_delta "deltas" "$m1" "$m2" "mediagate_token_failures_total{reason=\"$r\"}" 1
	done
	for r in wrong_input session_ended input_deleted not_found; do
		metrics_delta "deltas" "$m1" "$m2" "mediagate_token_failures_total{reason=\"$r\"}" 0
	done
	metrics_delta "deltas" "$m1" "$m2" mediagate_store_inputs 1
	metrics_delta "deltas" "$m1" "$m2" mediagate_store_size_bytes "$size"
	assert_eq "no upload in progress" 0 "$(metrics_value "$m2" mediagate_uploads_in_progress)"
	assert_eq "mediagate_store_inputs is the index's count of live inputs" \
		"$(db 'SELECT count(*) FROM inputs WHERE deleted_at IS NULL')" \
		"$(metrics_value "$m2" mediagate_store_inputs)"

	# Both processes' requests since the start, each counted once: the log has one line for
	# each request and one more for the second scrape (logged after it was written).
	logged=$(grep -cE '^mediagate ts=[^ ]+ pid=[0-9]+ id=[0-9]+-[0-9]+ ' "$OUT/server.log")
	counted=$(metrics_sum_requests "$m2")
	assert_eq "every request logged since the start is counted once" "$((logged - 1))" "$counted"
	if [ "$SERVER" = apache ] || [ "${SPAWN:-}" = lighttpd ]; then
		# mod_fcgid starts a second process only when a request finds the first one busy;
		# lighttpd's bin-path backends each have their own socket, and lighttpd sends a request
		# to the first one that is idle (with spawn-fcgi the processes share one socket).
		skip "the requests came from more than one process" "$SERVER sends them to the first idle one"
	else
		assert_true "the requests came from more than one process" \
			"only pids $(grep -oE '^mediagate ts=[^ ]+ pid=[0-9]+' "$OUT/server.log" | sort -u |
				cut -d= -f3 | tr '\n' ' ')" \
			test "$(grep -oE '^mediagate ts=[^ ]+ pid=[0-9]+' "$OUT/server.log" | cut -d' ' -f3 |
				sort -u | wc -l)" -ge 2
	fi

	# The access log.
	ids=("$rid_scrape" "$rid_upload" "$rid_read" "$rid_missing" "$rid_invalid" "$rid_expired" "$rid_404")
	assert_eq "X-Request-Id: on every response, unique" 7 \
		"$(printf '%s\n' "${ids[@]}" | grep -E '^[0-9]+-[0-9]+$' | sort -u | wc -l)"
	line=$(access_line "$rid_read")
	assert_match "access log: the read" "^mediagate ts=$ts_re pid=${rid_read%-*} id=$rid_read \
method=GET route=/inputs/\{id\}/content path=${MOUNT:-}/inputs/$id/content status=200 in=0 out=$read_out \
ms=[0-9]+\.[0-9]{3}$" "$line"
	line=$(access_line "$rid_upload")
	assert_match "access log: the upload" "^mediagate ts=$ts_re pid=[0-9]+ id=$rid_upload \
method=POST route=/inputs path=${MOUNT:-}/inputs status=201 in=$size out=[1-9][0-9]* ms=[0-9.]+$" "$line"
	line=$(access_line "$rid_missing")
	assert_match "access log: reason for a missing token" \
		" path=${MOUNT:-}/inputs/$id/content status=401 .* reason=token_missing$" "$line"
	line=$(access_line "$rid_invalid")
	assert_match "access log: reason for an invalid token, no query" \
		" path=${MOUNT:-}/inputs/$id/content status=403 .* reason=token_invalid$" "$line"
	line=$(access_line "$rid_expired")
	assert_match "access log: reason for an expired token" \
		" status=410 .* reason=token_expired$" "$line"
	line=$(access_line "$rid_404")
	assert_match "access log: an unknown path is route other" \
		" method=GET route=other path=${MOUNT:-}/metrics/nothing-here status=404 .* reason=not_found$" "$line"
	line=$(access_line "$rid_scrape")
	assert_match "access log: the scrape" " route=/metrics path=${MOUNT:-}/metrics status=200 in=0 " "$line"

	session=$(awk '$6 == "mg_session" { print $7 }' "$OUT/jars/metrics")
	assert_true "the test has a token and a session cookie to look for" \
		"token '$tok' session '$session'" test -n "$tok" -a -n "$session" -a -n "$expired"
	assert_eq "no token in the server log" 0 \
		"$(grep -cF -e "$tok" -e "$expired" -e "${tok%%.*}" "$OUT/server.log")"
	assert_eq "no session cookie in the server log" 0 "$(grep -cF -e "$session" "$OUT/server.log")"
	assert_eq "no query string in the access log" 0 \
		"$(grep -E '^mediagate ts=' "$OUT/server.log" | grep -cE 'token=|\?')"
	assert_eq "no old-style access lines" 0 \
		"$(grep -cE '^mediagate\[[0-9]+\]: req=' "$OUT/server.log")"
}
