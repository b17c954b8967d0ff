# test_delete.sh: DELETE /inputs/ID and DELETE /sessions/current: files gone, rows tombstoned,
# tokens 410.

test_delete() {
	local a tok_a b tok_b c tok_c

	new_session del >/dev/null
	new_session other >/dev/null
	upload del audio "$M_WAV" audio/wav || return
	a=$ID tok_a=$TOKEN
	upload del image "$M_PNG" image/png || return
	b=$ID tok_b=$TOKEN
	upload del file "$M_BIN" || return
	c=$ID tok_c=$TOKEN

	# DELETE /inputs/ID: owner only.
	http DELETE "/inputs/$a"
	assert_error "DELETE without a cookie: 401" 401 session_required
	http DELETE "/inputs/$a" -H "Authorization: Bearer $tok_a"
	assert_error "DELETE with only a token: 401" 401 session_required
	JAR=other http DELETE "/inputs/$a"
	assert_error "DELETE from another session: 403" 403 not_owner
	JAR=del http DELETE /inputs/AAAAAAAAAAAAAAAAAAAAAA
	assert_error "DELETE an unknown input: 404" 404 not_found
	assert_true "refused DELETEs kept the file" "$(object_path "$a") is gone" test -f "$(object_path "$a")"

	JAR=del http DELETE "/inputs/$a"
	assert_status "DELETE /inputs/ID by the owner: 204" 204
	assert_empty_body "204: no body"
	assert_true "DELETE: the object file is gone" "$(object_path "$a") still exists" \
		test ! -e "$(object_path "$a")"
	assert_match "DELETE: the row has deleted_at" '^[1-9][0-9]*$' \
		"$(db "SELECT deleted_at FROM inputs WHERE id = '$a'")"
	http GET "/inputs/$a/content?token=$tok_a"
	assert_error "token of a deleted input: 410" 410 input_deleted
	http GET "/inputs/$a?token=$tok_a"
	assert_error "GET /inputs/ID of a deleted input by token: 410" 410 input_deleted
	JAR=del http GET "/inputs/$a"
	assert_error "GET /inputs/ID of a deleted input by cookie: 410" 410 input_deleted
	JAR=del http DELETE "/inputs/$a"
	assert_error "DELETE again: 410" 410 input_deleted
	JAR=del http POST "/inputs/$a/tokens"
	assert_error "no new token for a deleted input: 410" 410 input_deleted
	JAR=del http GET /inputs
	assert_eq "GET /inputs no longer lists it" "$(printf '%s\n' "$b" "$c" | LC_ALL=C sort | paste -sd' ')" \
		"$(json '[(.inputs? // .)[] | .id] | sort | join(" ")')"
	http GET "/inputs/$b/content?token=$tok_b"
	assert_body_file "the other inputs still serve" "$M_PNG"

	# DELETE /sessions/current.
	http DELETE /sessions/current
	assert_error "DELETE /sessions/current without a cookie: 401" 401 session_required
	# The jar drops the cookie when the server clears it; keep it to replay it afterwards.
	local old_cookie
	old_cookie=$(awk '$6 == "mg_session" { print $7 }' "$OUT/jars/del")
	JAR=del http DELETE /sessions/current
	assert_status "DELETE /sessions/current: 204" 204
	assert_empty_body "DELETE /sessions/current: no body"
	assert_match "DELETE /sessions/current clears the cookie" \
		'^mg_session=[^;]*;.*([Mm]ax-[Aa]ge=0|[Ee]xpires=[^;]*19[0-9][0-9])' "$(header Set-Cookie)"
	http GET "/inputs/$b/content?token=$tok_b"
	assert_error "token of an ended session: 410" 410 session_ended
	http GET "/inputs/$c/content?token=$tok_c" -H 'Range: bytes=0-0'
	assert_error "token of an ended session, with a Range: 410" 410 session_ended
	assert_true "session end: the files are gone" "$(ls "$(object_path "$b")" "$(object_path "$c")" 2>&1)" \
		test ! -e "$(object_path "$b")" -a ! -e "$(object_path "$c")"
	assert_eq "session end: every row has deleted_at" 0 \
		"$(db "SELECT count(*) FROM inputs WHERE id IN ('$b', '$c') AND deleted_at IS NULL")"
	http GET /inputs -H "Cookie: mg_session=$old_cookie"
	assert_error "the ended session's cookie: 410 session_ended" 410 session_ended
	http POST "/inputs/$b/tokens" -H "Cookie: mg_session=$old_cookie"
	assert_error "no new token in an ended session: 410" 410 session_ended
	http DELETE /sessions/current -H "Cookie: mg_session=$old_cookie"
	assert_error "DELETE /sessions/current again: 410" 410 session_ended

	# The other session is untouched and a new upload without a live cookie starts a new session.
	JAR=other http GET /inputs
	assert_status "another session still works" 200
	upload del audio "$M_OGG" audio/ogg && pass "upload after the session ended: 201 (new session)"
	assert_match "upload after the session ended: new cookie" '^mg_session=' "$(header Set-Cookie)"
}
