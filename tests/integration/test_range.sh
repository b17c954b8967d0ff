# test_range.sh: Range requests (RFC 9110 sections 14.1.2, 14.2, 14.6, 13.1.5, 15.3.7, 15.5.17)
# compared byte for byte with the uploaded file.

# get_range NAME RANGE [CURL ARGS...]: GET the content with "Range: RANGE".
get_range() {
	local range=$2
	shift 2
	http GET "$R_URL" -H "Range: $range" "$@"
}

# expect_single NAME RANGE FIRST LAST [CURL ARGS...]: 206 with one range, exactly those bytes.
expect_single() {
	local name="$1 ($2)" range=$2 first=$3 last=$4
	shift 4
	get_range "$name" "$range" "$@"
	if [ "$STATUS" != 206 ]; then
		fail "$name" "expected 206 bytes $first-$last/$R_SIZE, $(last_response)"
		return
	fi
	assert_eq "$name: Content-Range" "bytes $first-$last/$R_SIZE" "$(header Content-Range)"
	assert_eq "$name: Content-Length" $((last - first + 1)) "$(header Content-Length)"
	slice "$R_FILE" "$first" $((last - first + 1)) >"$OUT/expected.range"
	assert_body_file "$name: bytes" "$OUT/expected.range"
}

# expected_multipart BOUNDARY FIRST-LAST...: the exact multipart/byteranges payload (14.6) with
# the framing of fcgi/range.h: CRLF before every delimiter, part headers Content-Type then
# Content-Range, and the closing delimiter followed by CRLF.
expected_multipart() {
	local boundary=$1 r
	shift
	for r in "$@"; do
		printf '\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %s/%s\r\n\r\n' \
			"$boundary" "$R_TYPE" "$r" "$R_SIZE"
		slice "$R_FILE" "${r%-*}" $((${r#*-} - ${r%-*} + 1))
	done
	printf '\r\n--%s--\r\n' "$boundary"
}

# expect_multi NAME RANGE FIRST-LAST...: 206 multipart/byteranges with exactly these parts.
expect_multi() {
	local name="$1 ($2)" range=$2 ctype boundary
	shift 2
	get_range "$name" "$range"
	if [ "$STATUS" != 206 ]; then
		fail "$name" "expected 206 multipart with $*, $(last_response)"
		return
	fi
	ctype=$(header Content-Type)
	assert_match "$name: multipart/byteranges" '^multipart/byteranges; *boundary=' "$ctype"
	boundary=$(printf '%s' "$ctype" | sed -n 's/.*boundary="\{0,1\}\([^";]*\)"\{0,1\}.*/\1/p')
	assert_eq "$name: no Content-Range on the whole" "" "$(header Content-Range)"
	assert_eq "$name: Content-Length is the payload length" "$(size_of "$BODY")" \
		"$(header Content-Length)"
	expected_multipart "$boundary" "$@" >"$OUT/expected.multipart"
	assert_body_file "$name: payload rebuilt from the file" "$OUT/expected.multipart"
}

# expect_whole NAME RANGE [CURL ARGS...]: 200 with the whole file and no Content-Range.
expect_whole() {
	local name="$1 ($2)" range=$2
	shift 2
	get_range "$name" "$range" "$@"
	assert_status "$name: 200" 200
	assert_eq "$name: no Content-Range" "" "$(header Content-Range)"
	assert_eq "$name: Content-Length" "$R_SIZE" "$(header Content-Length)"
	assert_body_file "$name: whole body" "$R_FILE"
}

# expect_416 NAME RANGE: 416, "Content-Range: bytes */N", JSON error.
expect_416() {
	local name="$1 ($2)"
	get_range "$name" "$2"
	assert_error "$name: 416" 416 range_not_satisfiable
	assert_eq "$name: Content-Range" "bytes */$R_SIZE" "$(header Content-Range)"
}

test_range() {
	local n last etag lm i spec

	new_session range >/dev/null
	upload range audio "$M_WAV" audio/wav || return
	R_URL=$CONTENT_URL R_FILE=$M_WAV R_TYPE=audio/wav R_SIZE=$(size_of "$M_WAV")
	n=$R_SIZE
	last=$((n - 1))

	# Single ranges (14.1.2).
	expect_single "first byte" "bytes=0-0" 0 0
	expect_single "last byte by suffix" "bytes=-1" "$last" "$last"
	expect_single "from 5 to the end" "bytes=5-" 5 "$last"
	expect_single "a middle slice" "bytes=1000-70999" 1000 70999
	expect_single "end past the last byte is clamped" "bytes=100-$((n + 5000))" 100 "$last"
	expect_single "suffix longer than the file is all of it" "bytes=-$((n + 10))" 0 "$last"
	expect_single "the last byte alone" "bytes=$last-$last" "$last" "$last"
	expect_single "empty list elements and OWS" "bytes=, 0-9 ," 0 9
	expect_single "Bearer token instead of ?token" "bytes=10-19" 10 19 \
		-H "Authorization: Bearer ${R_URL#*token=}"

	# Several ranges: multipart/byteranges (14.6), coalescing (14.2).
	expect_multi "two ranges" "bytes=0-9,20-29" 0-9 20-29
	expect_multi "two ranges with OWS" "bytes=0-9 , 20-29" 0-9 20-29
	expect_multi "three with a suffix" "bytes=0-0,100-199,-5" 0-0 100-199 "$((n - 5))-$last"
	expect_multi "overlapping and adjacent coalesced" "bytes=0-9,5-14,15-19,40-49" 0-19 40-49
	expect_multi "an unsatisfiable member dropped" "bytes=0-9,$((n + 1))-$((n + 9)),30-39" 0-9 30-39
	spec=bytes=
	for i in $(seq 0 31); do spec="${spec}$((i * 100))-$((i * 100 + 9)),"; done
	local parts=()
	for i in $(seq 0 31); do parts+=("$((i * 100))-$((i * 100 + 9))"); done
	expect_multi "32 ranges (the limit)" "${spec%,}" "${parts[@]}"
	expect_whole "33 ranges: whole body" "${spec}4000-4009"
	expect_whole "more bytes asked than the file has: whole body" "bytes=0-,0-"

	# One range left of several: a single part, or a one-part multipart (15.3.7.2 allows both).
	get_range "one of two satisfiable" "bytes=$((n + 1))-,10-19"
	if [ "$STATUS" = 206 ] && [ -n "$(header Content-Range)" ]; then
		expect_single "one of two satisfiable" "bytes=$((n + 1))-,10-19" 10 19
	else
		expect_multi "one of two satisfiable" "bytes=$((n + 1))-,10-19" 10-19
	fi

	# Nothing satisfiable (15.5.17).
	expect_416 "start at the size" "bytes=$n-"
	expect_416 "start past the size" "bytes=$((n + 100))-$((n + 200))"
	expect_416 "empty suffix" "bytes=-0"
	expect_416 "none of several" "bytes=$n-,-0"

	# Invalid: the header is ignored (14.2).
	expect_whole "unknown unit" "items=0-1"
	expect_whole "not a number" "bytes=abc"
	expect_whole "last before first" "bytes=5-1"
	expect_whole "no equals sign" "bytes 0-1"
	expect_whole "a bad member spoils all" "bytes=0-1,x-3"

	# Validators: If-Range (13.1.5), If-None-Match, If-Modified-Since.
	http GET "$R_URL"
	etag=$(header ETag)
	lm=$(header Last-Modified)
	expect_single "If-Range with the ETag" "bytes=0-99" 0 99 -H "If-Range: $etag"
	expect_single "If-Range with the exact Last-Modified" "bytes=0-99" 0 99 -H "If-Range: $lm"
	expect_whole "If-Range with another ETag" "bytes=0-99" -H 'If-Range: "not-the-etag"'
	expect_whole "If-Range with a weak ETag (strong comparison)" "bytes=0-99" -H "If-Range: W/$etag"
	expect_whole "If-Range with another date" "bytes=0-99" \
		-H "If-Range: $(date -u -d "@$(($(date -d "$lm" +%s) - 3600))" '+%a, %d %b %Y %H:%M:%S GMT')"

	http GET "$R_URL" -H "If-None-Match: $etag"
	assert_status "If-None-Match with the ETag: 304" 304
	assert_empty_body "304: no body"
	assert_eq "304: the ETag again" "$etag" "$(header ETag)"
	http GET "$R_URL" -H "If-None-Match: \"other\", W/$etag"
	assert_status "If-None-Match, weak comparison in a list: 304" 304
	http GET "$R_URL" -H 'If-None-Match: *'
	assert_status "If-None-Match: *: 304" 304
	http GET "$R_URL" -H 'If-None-Match: "other"'
	assert_status "If-None-Match with another ETag: 200" 200
	http GET "$R_URL" -H "If-Modified-Since: $lm"
	assert_status "If-Modified-Since the Last-Modified: 304" 304
	http GET "$R_URL" -H "If-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT"
	assert_status "If-Modified-Since long ago: 200" 200
	assert_body_file "If-Modified-Since long ago: whole body" "$R_FILE"
	http GET "$R_URL" -H "If-None-Match: \"other\"" -H "If-Modified-Since: $lm"
	assert_status "If-None-Match wins over If-Modified-Since: 200" 200
	http GET "$R_URL" -H "If-None-Match: $etag" -H "Range: bytes=0-0"
	assert_status "If-None-Match matching with a Range: 304" 304

	# HEAD with a Range: the GET headers, no body.
	http GET "$R_URL" -H "Range: bytes=0-9,20-29"
	cp "$HDRS" "$OUT/range-get.headers"
	http HEAD "$R_URL" -H "Range: bytes=0-9,20-29"
	assert_status "HEAD with a multi-range: 206" 206
	assert_eq "HEAD with a multi-range: the GET headers" \
		"$(headers_normalised "$OUT/range-get.headers" | grep -v '^content-type:')" \
		"$(headers_normalised "$HDRS" | grep -v '^content-type:')"
	http HEAD "$R_URL" -H "Range: bytes=5-"
	assert_status "HEAD with a range: 206" 206
	assert_eq "HEAD with a range: Content-Range" "bytes 5-$last/$n" "$(header Content-Range)"

	# An empty file ignores Range.
	upload range file "$M_EMPTY" || return
	http GET "$CONTENT_URL" -H "Range: bytes=0-0"
	assert_status "empty file with a Range: 200" 200
	assert_eq "empty file: Content-Length 0" 0 "$(header Content-Length)"
	assert_empty_body "empty file: no bytes"
	http GET "$CONTENT_URL" -H "Range: bytes=-5"
	assert_status "empty file with a suffix Range: 200" 200
	JAR=range http GET "/inputs/$ID"
	assert_eq "empty file: size 0, sha256 of nothing" \
		"0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$(json '"\(.size) \(.sha256)"')"
}
