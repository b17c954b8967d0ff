# test_html.sh: the browser path: form post that prefers HTML -> 303 -> view page -> the bytes.

BROWSER_ACCEPT='text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

# form_post NAME KIND FILE TYPE ELEMENT_ERE: post as a browser would, follow the 303 to the view
# page, find ELEMENT's src/href, and fetch the bytes from it.
form_post() {
	local name=$1 kind=$2 file=$3 type=$4 element=$5 loc id token page src
	JAR=browser http POST /inputs -H "Accept: $BROWSER_ACCEPT" -F "file=@$file;type=$type" \
		-F "kind=$kind"
	assert_status "$name: form post prefers HTML: 303" 303
	loc=$(header Location)
	loc=${loc#"$BASE"}
	loc=${loc#"${MOUNT:-}"}
	assert_match "$name: 303 to /inputs/ID/view?token=" '^/inputs/[A-Za-z0-9_-]{22,}/view\?token=[^&]+$' "$loc"
	[ "$STATUS" = 303 ] || return
	id=${loc#/inputs/}
	id=${id%%/*}
	token=${loc#*token=}
	assert_eq "$name: the input was stored" "$(sha256_of "$file")" \
		"$(db "SELECT sha256 FROM inputs WHERE id = '$id'")"

	http GET "$loc"
	assert_status "$name: view page 200" 200
	assert_match "$name: view page is HTML" '^text/html' "$(header Content-Type)"
	page=$(tr -d '\r\n' <"$BODY")
	assert_match "$name: view page shows $element" "$element" "$page"
	# The src or href of that element, HTML-unescaped (&amp; is the only entity a URL gets).
	src=$(printf '%s' "$page" | grep -Eo "${element}[^>]*" | head -n 1 |
		grep -Eo "(src|href)=\"[^\"]*\"" | head -n 1 | sed -E 's/^(src|href)="//; s/"$//; s/&amp;/\&/g')
	if [ -z "$src" ]; then
		src=$(printf '%s' "$page" | grep -Eo "<source[^>]*src=\"[^\"]*\"" | head -n 1 |
			sed -E 's/.*src="//; s/"$//; s/&amp;/\&/g')
	fi
	assert_eq "$name: its src is the content_url" "${MOUNT:-}/inputs/$id/content?token=$token" "$src"
	assert_match "$name: view page shows the filename" "$(basename "$file")" "$page"
	http GET "${src:-/none}"
	assert_status "$name: the src answers 200" 200
	assert_body_file "$name: the src serves the bytes" "$file"
	http GET "$src" -H "Range: bytes=0-99"
	assert_status "$name: the src answers Range" 206
}

test_html() {
	: >"$OUT/jars/browser"
	form_post "speech" audio "$M_WAV" audio/wav '<audio[^>]* controls'
	assert_true "the form post set the session cookie" "no mg_session in the cookie jar" \
		grep -q mg_session "$OUT/jars/browser"
	form_post "spectrogram" image "$M_PNG" image/png '<img'
	form_post "binary" file "$M_BIN" application/octet-stream '<a'

	# The page takes the token like the content does.
	upload browser audio "$M_WAV" audio/wav || return
	http GET "/inputs/$ID/view"
	assert_status "view page without a token: 401" 401
	http GET "/inputs/$ID/view?token=garbage"
	assert_status "view page with a bad token: 403" 403
	http GET "/inputs/$ID/view?token=$TOKEN" -H "Accept: $BROWSER_ACCEPT"
	assert_status "view page with the token: 200" 200
	assert_eq "view page: nosniff" nosniff "$(header X-Content-Type-Options)"

	# JSON stays the answer when HTML is not preferred.
	JAR=browser http POST /inputs -H 'Accept: application/json, text/html;q=0.5' \
		-F kind=audio -F "file=@$M_WAV;type=audio/wav"
	assert_status "Accept preferring JSON: 201" 201
	JAR=browser http POST /inputs -F kind=audio -F "file=@$M_WAV;type=audio/wav"
	assert_status "curl's Accept */*: 201" 201
}
