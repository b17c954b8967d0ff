# test_upload.sh: uploads of real media by multipart form and by raw body; read back; listing.

# check_upload NAME FILE KIND TYPE FILENAME: the 201 response of the last upload, then the bytes
# read back through its content_url compared with FILE.
# check_upload NAME FILE KIND TYPE FILENAME [READ_QUERY]: READ_QUERY (e.g. "&format=original")
# is added to the content read, for inputs whose default representation is not the upload.
check_upload() {
	local name=$1 file=$2 kind=$3 type=$4 filename=$5 query=${6:-} t id token created exp
	t=$(now)
	id=$(json .id)
	token=$(json .token)
	created=$(json .created_at)
	exp=$(json .expires_at)
	assert_match "$name: id has 128+ random bits, URL-safe" '^[A-Za-z0-9_-]{22,}$' "$id"
	assert_eq "$name: Location" "${MOUNT:-}/inputs/$id" "$(header Location | sed "s|^$BASE||")"
	assert_eq "$name: kind" "$kind" "$(json .kind)"
	assert_eq "$name: content_type" "$type" "$(json .content_type)"
	assert_eq "$name: size" "$(size_of "$file")" "$(json .size)"
	assert_eq "$name: sha256" "$(sha256_of "$file")" "$(json .sha256)"
	assert_eq "$name: filename" "$filename" "$(json .filename)"
	assert_true "$name: created_at is now" "created_at '$created', now $t" \
		test "${created:-0}" -ge $((t - 5)) -a "${created:-0}" -le $((t + 5))
	assert_true "$name: expires_at is now + token TTL" "expires_at '$exp', now $t" \
		test "${exp:-0}" -ge $((t + TOKEN_TTL - 5)) -a "${exp:-0}" -le $((t + TOKEN_TTL + 5))
	assert_eq "$name: content_url" "${MOUNT:-}/inputs/$id/content?token=$token" \
		"$(json .content_url)"
	assert_match "$name: view_url" "^${MOUNT:-}/inputs/$id/view\\?token=" "$(json .view_url)"
	assert_match "$name: metadata is an object" '^object$' "$(json '.metadata | type')"
	assert_true "$name: object file in DATA/objects/XY/ID" "$(object_path "$id") missing" \
		cmp -s "$file" "$(object_path "$id")"
	assert_eq "$name: index row" "$(size_of "$file") $(sha256_of "$file")" \
		"$(db "SELECT size || ' ' || sha256 FROM inputs WHERE id = '$id' AND deleted_at IS NULL")"

	http GET "/inputs/$id/content?token=$token$query"
	assert_status "$name: GET content 200" 200
	assert_body_file "$name: GET content is the same bytes" "$file"
	assert_eq "$name: GET content sha256" "$(sha256_of "$file")" "$(sha256_of "$BODY")"
	assert_eq "$name: Content-Length" "$(size_of "$file")" "$(header Content-Length)"
	assert_eq "$name: Content-Type" "$type" "$(header Content-Type)"
}

test_upload() {
	local w h rate id_wav id_ogg tok_wav body b

	new_session up >/dev/null

	# Speech from espeak-ng, as a form sends it, with audio metadata.
	rate=$(wav_rate "$M_WAV")
	if upload up audio "$M_WAV" audio/wav -F format=wav -F "sampling_rate=$rate" -F num_channels=1; then
		check_upload "multipart WAV" "$M_WAV" audio audio/wav speech.wav
		id_wav=$ID tok_wav=$TOKEN
		http GET "/inputs/$id_wav" -H "Authorization: Bearer $tok_wav"
		assert_status "GET /inputs/ID with a token: 200" 200
		assert_eq "metadata format" wav "$(json .metadata.format)"
		assert_eq "metadata sampling_rate" "$rate" "$(json '.metadata.sampling_rate | tostring')"
		assert_eq "metadata num_channels" 1 "$(json '.metadata.num_channels | tostring')"
		assert_eq "GET /inputs/ID: sha256" "$(sha256_of "$M_WAV")" "$(json .sha256)"
		JAR=up http GET "/inputs/$id_wav"
		assert_status "GET /inputs/ID with the owner cookie: 200" 200
		assert_eq "GET /inputs/ID with the cookie: id" "$id_wav" "$(json .id)"
		http GET "/inputs/$id_wav?token=$tok_wav"
		assert_eq "GET /inputs/ID?token=: id" "$id_wav" "$(json .id)"
		http GET "/inputs/$id_wav"
		assert_error "GET /inputs/ID with neither: 401" 401 "token_missing|session_required"
	fi

	# A sox-made Ogg Vorbis file as a raw body, metadata in the query string.
	if upload_raw up "kind=audio&format=ogg&filename=speech.ogg" "$M_OGG" audio/ogg; then
		check_upload "raw Ogg" "$M_OGG" audio audio/ogg speech.ogg "&format=original"
		id_ogg=$ID
	fi

	# A PNG (sox spectrogram), kind given after the file as some forms order it, with its size.
	read -r w h <<<"$(png_size "$M_PNG")"
	JAR=up http POST /inputs -F "file=@$M_PNG;type=image/png" -F kind=image -F "width=$w" \
		-F "height=$h"
	if upload_result "multipart PNG, kind after the file"; then
		assert_eq "PNG metadata width and height" "$w $h" \
			"$(json '"\(.metadata.width) \(.metadata.height)"')"
		check_upload "multipart PNG" "$M_PNG" image image/png spectrogram.png
	fi

	# 1 MiB+ of random bytes: several reads, boundary look-alikes likely somewhere in there.
	if upload up file "$M_BIN"; then
		check_upload "multipart 1 MiB binary" "$M_BIN" file application/octet-stream random.bin
	fi
	if upload_raw up "kind=file&filename=random.bin" "$M_BIN" application/octet-stream; then
		check_upload "raw 1 MiB binary" "$M_BIN" file application/octet-stream random.bin
	fi

	# A body made by hand: content full of near-boundaries, a quoted odd filename.
	b=XyZzy0123boundary
	body=$OUT/lookalike.multipart
	{
		printf -- 'x--%s' "$b"        # inside a line, not at its start
		printf '\r\n--XyZzy0123bound' # a prefix of the delimiter
		printf '\r\n-%s\r\n' "$b"     # one dash short
		printf '\n--%s\n' "$b"        # LF without CR
		printf '\r\r\n--%sX' "${b%?}" # last character differs
		printf 'end\r\n'              # content may end in CRLF itself
	} >"$OUT/lookalike.content"
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfile\r\n' "$b"
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; ' "$b"
		printf 'filename="../../x \\"quoted\\" name;.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
		cat "$OUT/lookalike.content"
		printf '\r\n--%s--\r\n' "$b"
	} >"$body"
	JAR=up http POST /inputs --data-binary "@$body" -H "Content-Type: multipart/form-data; boundary=$b"
	if upload_result "multipart with boundary look-alikes in the content"; then
		pass "multipart with boundary look-alikes: 201"
		assert_eq "look-alikes: stored size" "$(size_of "$OUT/lookalike.content")" "$(json .size)"
		assert_true "look-alikes: stored bytes" "object differs from $OUT/lookalike.content" \
			cmp -s "$OUT/lookalike.content" "$(object_path "$ID")"
		assert_no_match "odd filename: sanitised, no path separator" '/' "$(json .filename)"
		assert_true "odd filename: not used as a path" "a file named like it was created" \
			test ! -e "$DATA/x \"quoted\" name;.bin" -a ! -e "$DATA/../x \"quoted\" name;.bin"
	fi

	# Concurrent uploads (the suite runs two FastCGI processes): each one whole and separate.
	local pids=() i ok=0
	for i in 1 2 3 4; do
		curl -sS -o "$OUT/parallel.$i.json" -w '%{http_code}' -H 'Expect:' -b "$OUT/jars/up" \
			-F kind=file -F "file=@$M_BIN;type=application/octet-stream" "$BASE${MOUNT:-}/inputs" \
			>"$OUT/parallel.$i.status" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in 1 2 3 4; do
		[ "$(cat "$OUT/parallel.$i.status")" = 201 ] &&
			[ "$(json .sha256 "$OUT/parallel.$i.json")" = "$(sha256_of "$M_BIN")" ] &&
			cmp -s "$M_BIN" "$(object_path "$(json .id "$OUT/parallel.$i.json")")" &&
			ok=$((ok + 1))
	done
	assert_eq "4 concurrent uploads: all 201 with the right bytes" 4 "$ok"
	assert_eq "4 concurrent uploads: 4 different ids" 4 \
		"$(for i in 1 2 3 4; do json .id "$OUT/parallel.$i.json"; echo; done | sort -u | grep -c .)"

	# Listing: the session's inputs, and only to its owner.
	JAR=up http GET /inputs
	assert_status "GET /inputs: 200" 200
	assert_true "GET /inputs lists the uploads" "ids: $(json '[(.inputs? // .)[] | .id] | join(" ")')" \
		eval "json '[(.inputs? // .)[] | .id] | index(\"$id_wav\") and index(\"$id_ogg\")' | grep -qx true"
	assert_eq "GET /inputs: one entry per upload" "$(db "SELECT count(*) FROM inputs WHERE session_id =
		(SELECT session_id FROM inputs WHERE id = '$id_wav')")" "$(json '(.inputs? // .) | length')"
	new_session other >/dev/null
	JAR=other http GET /inputs
	assert_eq "another session lists none of them" 0 "$(json '(.inputs? // .) | length')"
	JAR=other http GET "/inputs/$id_wav"
	assert_error "another session's cookie on GET /inputs/ID: 403 not_owner" 403 not_owner
	JAR=up http GET /inputs/AAAAAAAAAAAAAAAAAAAAAA
	assert_error "GET /inputs/unknown with a cookie: 404" 404 not_found
}
