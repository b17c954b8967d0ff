# test_headers.sh: response headers of GET/HEAD content: caching, validators, safety, disposition.

# raw_head PATH FILE: a HEAD request on a raw socket, everything the server sends until it closes
# (curl would not notice a body after a HEAD response).
raw_head() {
	local port=${BASE##*:}
	{
		exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
		printf 'HEAD %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" "$port" >&3
		timeout 10 cat <&3 >"$2"
		exec 3<&-
	}
}

# check_disposition NAME KIND FILE TYPE WANT [FORBIDDEN_TYPE_ERE]
check_disposition() {
	local name=$1 kind=$2 file=$3 type=$4 want=$5 forbid=${6:-}
	upload hdr "$kind" "$file" "$type" || return
	http GET "$CONTENT_URL"
	assert_status "$name: 200" 200
	assert_match "$name: Content-Disposition $want" "^$want(;|$)" "$(header Content-Disposition)"
	if [ -n "$forbid" ]; then
		assert_no_match "$name: not served as $type" "$forbid" "$(header Content-Type)"
	fi
	assert_eq "$name: X-Content-Type-Options" nosniff "$(header X-Content-Type-Options)"
	assert_body_file "$name: bytes" "$file"
}

test_headers() {
	local t exp etag etag2 lm cc age url tok_short

	new_session hdr >/dev/null
	upload hdr audio "$M_WAV" audio/wav || return
	url=$CONTENT_URL
	exp=$(json .expires_at)

	http GET "$url"
	t=$(now)
	assert_status "GET content: 200" 200
	assert_eq "Content-Type" audio/wav "$(header Content-Type)"
	assert_eq "Content-Length" "$(size_of "$M_WAV")" "$(header Content-Length)"
	assert_eq "Accept-Ranges" bytes "$(header Accept-Ranges)"
	etag=$(header ETag)
	assert_match "ETag is strong and quoted" '^"[!#-~]+"$' "$etag"
	lm=$(header Last-Modified)
	assert_match "Last-Modified is an IMF-fixdate" \
		'^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' "$lm"
	assert_true "Last-Modified is the upload time" "Last-Modified '$lm', now $t" \
		test "$(date -d "$lm" +%s 2>/dev/null || echo 0)" -ge $((t - 10)) -a \
		"$(date -d "$lm" +%s 2>/dev/null || echo 0)" -le "$t"
	cc=$(header Cache-Control)
	assert_match "Cache-Control private" '(^|[ ,])private([ ,]|$)' "$cc"
	age=$(printf '%s' "$cc" | sed -n 's/.*max-age=\([0-9]*\).*/\1/p')
	assert_true "Cache-Control max-age <= the token's remaining life" \
		"'$cc', token expires in $((exp - t)) s" test -n "$age" -a "${age:-0}" -le $((exp - t + 1))
	assert_eq "X-Content-Type-Options" nosniff "$(header X-Content-Type-Options)"
	assert_eq "Referrer-Policy" no-referrer "$(header Referrer-Policy)"
	assert_match "audio: Content-Disposition inline" '^inline(;|$)' "$(header Content-Disposition)"
	cp "$HDRS" "$OUT/get.headers"

	# HEAD is GET without the body.
	http HEAD "$url"
	assert_status "HEAD content: 200" 200
	assert_eq "HEAD: the same headers as GET (Date and max-age aside)" \
		"$(headers_normalised "$OUT/get.headers")" "$(headers_normalised "$HDRS")"
	if raw_head "$url" "$OUT/raw-head.txt"; then
		local blank
		blank=$(sed -n '/^\r$/{=;q}' "$OUT/raw-head.txt")
		assert_eq "HEAD: nothing after the header block" \
			"$(head -n "${blank:-0}" "$OUT/raw-head.txt" | wc -c)" "$(size_of "$OUT/raw-head.txt")"
	else
		fail "HEAD on a raw socket" "could not connect"
	fi

	# The same bytes uploaded again: the same strong validator; other bytes: another.
	upload hdr audio "$M_WAV" audio/wav
	http GET "$CONTENT_URL"
	etag2=$(header ETag)
	assert_eq "ETag comes from the content (same bytes, same ETag)" "$etag" "$etag2"
	upload hdr audio "$M_OGG" audio/ogg
	http GET "$CONTENT_URL"
	assert_true "ETag differs for other bytes" "both $etag" test "$(header ETag)" != "$etag"

	# A short token: max-age follows it.
	JAR=hdr http POST "/inputs/$ID/tokens?ttl=60"
	tok_short=$(json .token)
	http GET "/inputs/$ID/content?token=$tok_short"
	age=$(header Cache-Control | sed -n 's/.*max-age=\([0-9]*\).*/\1/p')
	assert_true "max-age <= 60 with a 60 s token" "Cache-Control '$(header Cache-Control)'" \
		test -n "$age" -a "${age:-61}" -le 60

	# Content-Disposition by kind and type; active content never inline nor as itself.
	check_disposition "image PNG" image "$M_PNG" image/png inline
	check_disposition "file kind" file "$M_BIN" application/octet-stream attachment
	check_disposition "HTML as file" file "$M_HTML" text/html attachment '^text/html'
	check_disposition "SVG as file" file "$M_SVG" image/svg+xml attachment '^image/svg\+xml'
	# An image must be a whole PNG or JPEG: an SVG (active content) is refused as one.
	expect_post_error hdr "SVG as image" 415 unsupported_media_type "/inputs?kind=image" \
		-H 'Content-Type: image/svg+xml' --data-binary "@$M_SVG"
	check_disposition "JavaScript as file" file "$M_JS" application/javascript attachment \
		'^(application|text)/(x-)?javascript'
	if upload_raw hdr "kind=file&filename=page.html" "$M_HTML" "text/html; charset=utf-8"; then
		http GET "$CONTENT_URL"
		assert_match "raw HTML: attachment" '^attachment(;|$)' "$(header Content-Disposition)"
		assert_no_match "raw HTML: not text/html" '^text/html' "$(header Content-Type)"
	fi
}
