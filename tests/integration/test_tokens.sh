# test_tokens.sh: token checks on content reads, in the documented order; POST /inputs/ID/tokens.

# flip TOKEN INDEX: TOKEN with the character at INDEX replaced by another base64url character.
flip() {
	local t=$1 i=$2 r=A
	[ "${t:i:1}" != A ] || r=B
	printf '%s' "${t:0:i}$r${t:i+1}"
}

test_tokens() {
	local a tok_a b tok_b tok_short t t0 exp dot len late tok

	new_session tok >/dev/null
	new_session stranger >/dev/null
	upload tok audio "$M_WAV" audio/wav || return
	a=$ID tok_a=$TOKEN
	upload tok audio "$M_OGG" audio/ogg || return
	b=$ID tok_b=$TOKEN

	# A token that expires during this group; checked at its end (saves a sleep).
	JAR=tok http POST "/inputs/$a/tokens?ttl=1"
	assert_status "POST tokens with ttl=1: 201" 201
	tok_short=$(json .token)
	t0=$(now)

	http GET "/inputs/$a/content"
	assert_error "no token: 401" 401 token_missing
	http GET "/inputs/$a/content?token="
	assert_error "empty token: 401 or 403" "$([ "$STATUS" = 401 ] && echo 401 || echo 403)" \
		"$([ "$STATUS" = 401 ] && echo token_missing || echo token_invalid)"
	http GET "/inputs/$a/content?token=garbage"
	assert_error "garbage token: 403" 403 token_invalid
	http GET "/inputs/$a/content?token=$tok_a.x"
	assert_error "token with a third part: 403" 403 token_invalid
	http GET "/inputs/$a/content?token=${tok_a%%.*}"
	assert_error "token without its MAC: 403" 403 token_invalid
	dot=${tok_a%%.*}
	dot=${#dot}
	len=${#tok_a}
	http GET "/inputs/$a/content?token=$(flip "$tok_a" $((dot / 2)))"
	assert_error "one payload character flipped: 403" 403 token_invalid
	http GET "/inputs/$a/content?token=$(flip "$tok_a" $((dot + 1 + (len - dot) / 2)))"
	assert_error "one MAC character flipped: 403" 403 token_invalid
	http GET "/inputs/$a/content?token=$(flip "$tok_a" 0)"
	assert_error "first character flipped: 403" 403 token_invalid
	http GET "/inputs/$a/content" -H "Authorization: Bearer garbage"
	assert_error "garbage Bearer token: 403" 403 token_invalid

	http GET "/inputs/$b/content?token=$tok_a"
	assert_error "token of input A on input B: 403" 403 token_wrong_input
	http GET "/inputs/$a/content" -H "Authorization: Bearer $tok_a"
	assert_status "Bearer token: 200" 200
	assert_body_file "Bearer token: the bytes" "$M_WAV"
	http GET "/inputs/$b/content?token=$tok_b&format=original"
	assert_body_file "token of B on B: the bytes" "$M_OGG"

	# POST /inputs/ID/tokens: owner only.
	t=$(now)
	JAR=tok http POST "/inputs/$a/tokens"
	assert_status "POST tokens with the owner cookie: 201" 201
	tok=$(json .token)
	exp=$(json .expires_at)
	assert_eq "new token: content_url" "${MOUNT:-}/inputs/$a/content?token=$tok" \
		"$(json .content_url)"
	assert_true "new token: default lifetime" "expires_at '$exp', now $t" \
		test "${exp:-0}" -ge $((t + TOKEN_TTL - 5)) -a "${exp:-0}" -le $((t + TOKEN_TTL + 5))
	http GET "/inputs/$a/content?token=$tok"
	assert_status "new token works: 200" 200
	assert_body_file "new token works: the bytes" "$M_WAV"
	JAR=tok http POST "/inputs/$a/tokens?ttl=60"
	exp=$(json .expires_at)
	assert_true "ttl=60: expires in 60 s" "expires_at '$exp', now $t" \
		test "${exp:-0}" -ge $((t + 55)) -a "${exp:-0}" -le $((t + 65))
	JAR=tok http POST "/inputs/$a/tokens?ttl=999999999"
	assert_status "ttl over the maximum: 201 (capped)" 201
	exp=$(json .expires_at)
	assert_true "ttl over the maximum: capped at MEDIAGATE_TOKEN_TTL_MAX" "expires_at '$exp', now $t" \
		test "${exp:-0}" -gt "$t" -a "${exp:-0}" -le $((t + TOKEN_TTL_MAX + 5))
	JAR=tok http POST "/inputs/$a/tokens" -H 'Content-Type: application/json' --data-binary '{"ttl": 60}'
	assert_status "ttl in a JSON body: 201" 201
	JAR=tok http POST "/inputs/$a/tokens?ttl=0"
	assert_error "ttl=0: 400" 400 bad_request
	JAR=tok http POST "/inputs/$a/tokens?ttl=abc"
	assert_error "ttl=abc: 400" 400 bad_request
	http POST "/inputs/$a/tokens"
	assert_error "POST tokens without a cookie: 401" 401 session_required
	JAR=stranger http POST "/inputs/$a/tokens"
	assert_error "POST tokens from another session: 403" 403 not_owner
	http POST "/inputs/$a/tokens" -H "Authorization: Bearer $tok_a"
	assert_error "POST tokens with only a token: 401" 401 session_required
	JAR=tok http POST "/inputs/AAAAAAAAAAAAAAAAAAAAAA/tokens"
	assert_error "POST tokens for an unknown input: 404" 404 not_found

	# Expiry, and that it is checked before the input id (issue's order).
	late=$((t0 + 2 - $(now)))
	[ "$late" -le 0 ] || sleep "$late"
	sleep 1
	http GET "/inputs/$a/content?token=$tok_short"
	assert_error "expired token: 410" 410 token_expired
	http GET "/inputs/$b/content?token=$tok_short"
	assert_error "expired token on another input: 410 (expiry checked first)" 410 token_expired
	http GET "/inputs/$a/content?token=$(flip "$tok_short" $((dot + 1 + (len - dot) / 2)))"
	assert_error "expired token with a bad MAC: 403 (MAC checked first)" 403 token_invalid
	http GET "/inputs/$a?token=$tok_short"
	assert_error "expired token on GET /inputs/ID: 410" 410 token_expired
}
