# test_audio.sh: issue 3 audio. Every format made at test time (espeak-ng, sox, ffmpeg), uploaded
# as a form and as a raw body, read back as WAV and checked with decoders that are not the app's
# (soxi, ffprobe, od, cmp); the 16 kHz mono variant; Range on the virtual WAV of raw PCM; errors.

AUD=''   # where the bodies read back are kept: $OUT/audio

# aud_keep NAME: keep the last body as $AUD/NAME (echoes that path).
aud_keep() { cp "$BODY" "$AUD/$1" && printf '%s' "$AUD/$1"; }

# rms FILE / peak FILE: the RMS / maximum amplitude of all of FILE's samples (sox stat, 0..1).
rms() { sox "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'; }
peak() { sox "$1" -n stat 2>&1 | awk '/^Maximum +amplitude/ { print $3 }'; }

# s16_raw FILE OUT: FILE's samples as raw 16-bit little-endian PCM (sox, no dither).
s16_raw() { sox -D "$1" -t raw -e signed-integer -b 16 -L "$2"; }

# audio_case NAME KEY=VALUE...: upload one audio file and check everything about it.
#   mode=multipart|raw  file=PATH  type=MEDIA_TYPE  meta='a=1&b=2' (extra fields or query)
#   rate ch frames (frames empty: not asserted, lossy)  dur tol (duration_s and its tolerance)
#   src sfmt (EREs for source_format and sample_format)  codec (of the WAV read back)
#   samples=same (the WAV is the upload) | pcm (header + the upload) | lossless (the samples
#   decode equal to the source's) | lossy (not silence)
# Sets AC_URL, AC_WAV (the WAV read back) and AC_DUR (its duration) for the tests that follow.
audio_case() {
	local name=$1
	shift
	local mode=multipart file='' type='' meta='' rate='' ch='' frames='' dur='' tol=0.001
	local src='' sfmt='' codec=pcm_s16le samples=''
	local "$@"
	local slug sha args=() fields etag size got bps tag data
	slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-')
	sha=$(sha256_of "$file")
	AC_URL='' AC_WAV='' AC_DUR=''

	if [ "$mode" = multipart ]; then
		if [ -n "$meta" ]; then
			IFS='&' read -ra fields <<<"$meta"
			for got in "${fields[@]}"; do args+=(-F "$got"); done
		fi
		upload aud audio "$file" "$type" "${args[@]}" || return
	else
		upload_raw aud "kind=audio&filename=$(basename "$file")${meta:+&$meta}" "$file" "$type" ||
			return
	fi
	pass "$name: 201"
	AC_URL=$CONTENT_URL
	jfields "$BODY" .audio.sampling_rate .audio.num_channels .audio.frames .audio.duration_s \
		'.audio.frames / .audio.sampling_rate' .audio.source_format .audio.sample_format \
		'"\(.size) \(.sha256)"' '.audio | to_entries | sort_by(.key)'
	local j_rate=${JF[0]} j_ch=${JF[1]} j_frames=${JF[2]} j_dur=${JF[3]} j_ratio=${JF[4]}
	local j_src=${JF[5]} j_sfmt=${JF[6]} j_size=${JF[7]} audio_json=${JF[8]}
	assert_eq "$name: audio.sampling_rate" "$rate" "$j_rate"
	assert_eq "$name: audio.num_channels" "$ch" "$j_ch"
	[ -z "$frames" ] || assert_eq "$name: audio.frames" "$frames" "$j_frames"
	assert_near "$name: audio.duration_s" "$dur" "$j_dur" "$tol"
	assert_near "$name: audio.duration_s is frames / sampling_rate" "$j_ratio" "$j_dur" 0.001
	assert_match "$name: audio.source_format" "$src" "$j_src"
	assert_match "$name: audio.sample_format" "$sfmt" "$j_sfmt"
	assert_eq "$name: size and sha256 are the upload's" "$(size_of "$file") $sha" "$j_size"
	http GET "/inputs/$ID?token=$TOKEN"
	jfields "$BODY" '.audio | to_entries | sort_by(.key)'
	assert_eq "$name: GET /inputs/ID has the same audio object" "${audio_json:-(none)}" "${JF[0]}"

	# The WAV read back.
	http GET "$AC_URL"
	assert_status "$name: GET content 200" 200
	assert_eq "$name: Content-Type audio/wav" audio/wav "$(header Content-Type)"
	assert_eq "$name: Content-Length is the body's length" "$(size_of "$BODY")" \
		"$(header Content-Length)"
	[ "$STATUS" = 200 ] || return
	AC_WAV=$(aud_keep "$slug.wav")
	etag=$(header ETag)
	case $samples in
	same) assert_eq "$name: ETag is the SHA-256 of the stored bytes" "\"$sha\"" "$etag" ;;
	pcm) assert_eq "$name: ETag of the virtual WAV" "\"$sha-wav\"" "$etag" ;;
	*) assert_match "$name: ETag of the decoded WAV" "^\"$sha-[^\"]+\"\$" "$etag" ;;
	esac
	size=$(size_of "$AC_WAV")
	assert_eq "$name: soxi rate channels" "$rate $ch" "$(soxi -r "$AC_WAV") $(soxi -c "$AC_WAV")"
	got=$(soxi -s "$AC_WAV")
	assert_eq "$name: ffprobe sample_rate channels codec duration_ts(frames)" \
		"$rate $ch $codec $got" "$(probe "$AC_WAV" sample_rate,channels,codec_name,duration_ts)"
	assert_eq "$name: soxi frames = audio.frames" "$j_frames" "$got"
	[ -z "$frames" ] || assert_eq "$name: frames of the source (soxi)" "$frames" "$got"
	AC_DUR=$(soxi -D "$AC_WAV")
	assert_near "$name: soxi duration" "$dur" "$AC_DUR" "$tol"

	case $samples in
	same)
		assert_true "$name: the WAV read back is the upload, byte for byte" \
			"$(cmp "$file" "$AC_WAV" 2>&1 | head -n 1)" cmp -s "$file" "$AC_WAV"
		;;
	pcm)
		case $codec in pcm_f32le) bps=4 tag=3 ;; *) bps=2 tag=1 ;; esac
		data=$(size_of "$file")
		assert_eq "$name: 44 + PCM bytes" $((44 + data)) "$size"
		assert_eq "$name: WAV header fields (od)" "$(wav_header_expected "$tag" "$ch" "$rate" \
			"$bps" "$data")" "$(wav_header_fields "$AC_WAV")"
		tail -c +45 "$AC_WAV" >"$AUD/$slug.samples"
		assert_true "$name: after the 44-byte header, the PCM byte for byte" \
			"$(cmp "$file" "$AUD/$slug.samples" 2>&1 | head -n 1)" cmp -s "$file" "$AUD/$slug.samples"
		;;
	lossless)
		s16_raw "$file" "$AUD/$slug.src.raw"
		s16_raw "$AC_WAV" "$AUD/$slug.got.raw"
		assert_true "$name: decoded samples equal the source's (sox)" \
			"$(cmp "$AUD/$slug.src.raw" "$AUD/$slug.got.raw" 2>&1 | head -n 1)" \
			cmp -s "$AUD/$slug.src.raw" "$AUD/$slug.got.raw"
		;;
	lossy)
		assert_true "$name: decoded, not silence (RMS > 0.01)" "RMS $(rms "$AC_WAV")" \
			near "$(rms "$AC_WAV")" 0.5 0.49
		;;
	esac

	# The upload itself.
	http GET "$AC_URL&format=original"
	assert_status "$name: ?format=original 200" 200
	assert_body_file "$name: ?format=original is the upload" "$file"
	assert_eq "$name: ?format=original Content-Type" "$type" "$(header Content-Type)"
	assert_eq "$name: ?format=original ETag" "\"$sha\"" "$(header ETag)"
}

# audio_both NAME KEY=VALUE...: audio_case as a raw body, then as a form upload; the AC_* of
# the form upload stay set. AC_URLS[NAME] AC_DURS[NAME] AC_WAVS[NAME] remember it for the
# variants.
audio_both() {
	local name=$1
	shift
	audio_case "$name, raw body" mode=raw "$@"
	audio_case "$name, form" mode=multipart "$@"
	AC_URLS[$name]=$AC_URL
	AC_DURS[$name]=$AC_DUR
	AC_WAVS[$name]=$AC_WAV
}

# audio_variant NAME BASE_NAME QUERY RATE CH [rms]: ?QUERY on the input BASE_NAME: a WAV of
# RATE Hz and CH channels as long as the source, the same (cached) bytes and ETag when asked
# again; with "rms" (a mono source of speech, nothing above 8 kHz to lose), its RMS within 10 %
# of the source's. Sets AV_WAV.
audio_variant() {
	local name="$1 of $2 ($3)" base=$2 query=$3 rate=$4 ch=$5 url etag slug base_etag
	url=${AC_URLS[$base]:-}
	AV_WAV=''
	if [ -z "$url" ]; then
		fail "$name" "no input $base (its upload failed)"
		return
	fi
	slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-')
	http GET "$url"
	base_etag=$(header ETag)
	http GET "$url&$query"
	assert_status "$name: 200" 200
	assert_eq "$name: audio/wav" audio/wav "$(header Content-Type)"
	assert_eq "$name: Content-Length" "$(size_of "$BODY")" "$(header Content-Length)"
	[ "$STATUS" = 200 ] || return
	AV_WAV=$(aud_keep "$slug.wav")
	etag=$(header ETag)
	assert_match "$name: ffprobe sample_rate channels codec" "^$rate $ch pcm_(s16|f32)le\$" \
		"$(probe "$AV_WAV" sample_rate,channels,codec_name)"
	assert_eq "$name: soxi rate channels" "$rate $ch" "$(soxi -r "$AV_WAV") $(soxi -c "$AV_WAV")"
	assert_near "$name: duration within 0.05 s of the source's" "${AC_DURS[$base]}" \
		"$(soxi -D "$AV_WAV")" 0.05
	if [ "${6:-}" = rms ]; then
		local want
		want=$(rms "${AC_WAVS[$base]}")
		assert_near "$name: RMS within 10 % of the source's ($want)" "$want" "$(rms "$AV_WAV")" \
			"$(awk -v w="$want" 'BEGIN { print w / 10 }')"
	fi
	assert_match "$name: a strong ETag of its own" '^"[0-9a-f]{64}-[^"]+"$' "$etag"
	assert_true "$name: ETag differs from the input's" "both $etag" test "$etag" != "$base_etag"
	http GET "$url&$query"
	assert_eq "$name: asked again: the same ETag" "$etag" "$(header ETag)"
	assert_body_file "$name: asked again: the same bytes" "$AV_WAV"
	http GET "$url&$query" -H 'Range: bytes=0-99'
	assert_eq "$name: Range bytes=0-99: 206" 206 "$STATUS"
	slice "$AV_WAV" 0 100 >"$AUD/$slug.first100"
	assert_body_file "$name: Range bytes=0-99: the first 100 bytes" "$AUD/$slug.first100"
}

# pcm_range NAME RANGE FIRST LAST: 206 with exactly bytes FIRST..LAST of the virtual WAV $R_WAV.
pcm_range() {
	local name="$1 ($2)" first=$3 last=$4 want cr cl
	http GET "$R_URL" -H "Range: $2"
	slice "$R_WAV" "$first" $((last - first + 1)) >"$AUD/range.expected"
	want="206 bytes $first-$last/$R_SIZE $((last - first + 1)) $((last - first + 1))"
	cr=$(header Content-Range)
	cl=$(header Content-Length)
	if [ "$STATUS $cr $cl $(size_of "$BODY")" != "$want" ]; then
		fail "$name" "expected status, Content-Range, Content-Length, body length '$want', got \
'$STATUS $cr $cl $(size_of "$BODY")'"
	elif ! cmp -s "$AUD/range.expected" "$BODY"; then
		fail "$name" "the bytes differ from the full WAV's: $(cmp "$AUD/range.expected" "$BODY" 2>&1)"
	else
		pass "$name"
	fi
}

# pcm_multi NAME RANGE FIRST-LAST...: 206 multipart/byteranges of those ranges of $R_WAV.
pcm_multi() {
	local name="$1 ($2)" range=$2 ctype boundary
	shift 2
	http GET "$R_URL" -H "Range: $range"
	assert_status "$name: 206" 206
	ctype=$(header Content-Type)
	assert_match "$name: multipart/byteranges" '^multipart/byteranges; *boundary=' "$ctype"
	boundary=$(printf '%s' "$ctype" | sed -n 's/.*boundary="\{0,1\}\([^";]*\)"\{0,1\}.*/\1/p')
	assert_eq "$name: Content-Length is the body's length" "$(size_of "$BODY")" \
		"$(header Content-Length)"
	multipart_expected "$boundary" audio/wav "$R_SIZE" "$R_WAV" "$@" >"$AUD/multi.expected"
	assert_body_file "$name: the parts, byte for byte" "$AUD/multi.expected"
}

audio_ranges() {
	local a b n last
	R_URL=${AC_URLS[pcm_s16le 2 ch]:-}
	if [ -z "$R_URL" ]; then
		fail "PCM ranges" "the stereo pcm_s16le upload failed"
		return
	fi
	http GET "$R_URL"
	R_WAV=$(aud_keep range-full.wav)
	R_SIZE=$(size_of "$R_WAV")
	n=$R_SIZE last=$((n - 1))
	assert_eq "PCM virtual WAV: 44 + 32000 bytes" 32044 "$n"
	assert_eq "PCM virtual WAV: header fields (od)" "$(wav_header_expected 1 2 16000 2 32000)" \
		"$(wav_header_fields "$R_WAV")"
	tail -c +45 "$R_WAV" >"$AUD/range-full.samples"
	assert_true "PCM virtual WAV: then the PCM" "$(cmp "$A_S16_2" "$AUD/range-full.samples" 2>&1)" \
		cmp -s "$A_S16_2" "$AUD/range-full.samples"

	# Every single range around the header end.
	for a in $(seq 38 46); do
		for b in $(seq "$a" 50); do
			pcm_range "PCM WAV" "bytes=$a-$b" "$a" "$b"
		done
	done
	# bytes=40-50 is the header's data size (4 bytes) then PCM bytes 0..6, built independently.
	http GET "$R_URL" -H 'Range: bytes=40-50'
	{ le32 32000; head -c 7 "$A_S16_2"; } >"$AUD/range-40-50.expected"
	assert_body_file "PCM WAV bytes=40-50: data size, then PCM bytes 0..6" \
		"$AUD/range-40-50.expected"
	pcm_range "PCM WAV, all PCM" "bytes=44-" 44 "$last"
	pcm_range "PCM WAV, the header" "bytes=0-43" 0 43
	pcm_range "PCM WAV, suffix" "bytes=-1" "$last" "$last"
	pcm_range "PCM WAV, suffix" "bytes=-7" $((n - 7)) "$last"
	pcm_range "PCM WAV, suffix from byte 40" "bytes=-$((n - 40))" 40 "$last"
	pcm_range "PCM WAV, suffix longer than the file" "bytes=-$((n + 3))" 0 "$last"
	pcm_range "PCM WAV, end past the last byte" "bytes=43-$((n + 100))" 43 "$last"
	pcm_multi "PCM WAV, several across the header end" "bytes=0-3,40-50,100-109" \
		0-3 40-50 100-109
	pcm_multi "PCM WAV, header end and a suffix" "bytes=43-44,-2" 43-44 "$((n - 2))-$last"
	http GET "$R_URL" -H "Range: bytes=$n-"
	assert_error "PCM WAV, bytes=$n- (the size): 416" 416 range_not_satisfiable
	assert_eq "PCM WAV, 416: Content-Range" "bytes */$n" "$(header Content-Range)"
	http GET "$R_URL" -H "Range: bytes=$((n + 10))-$((n + 20))"
	assert_error "PCM WAV, past the end: 416" 416 range_not_satisfiable
	http HEAD "$R_URL"
	assert_eq "PCM WAV, HEAD: 200, Content-Length" "200 $n" "$STATUS $(header Content-Length)"
	http GET "$R_URL" -H 'Range: bytes=40-50' -H "If-Range: \"$(sha256_of "$A_S16_2")-wav\""
	assert_eq "PCM WAV, If-Range with its ETag: 206" 206 "$STATUS"

	# The 6-channel f32 one, around the header end.
	R_URL=${AC_URLS[pcm_f32le 6 ch]:-}
	[ -n "$R_URL" ] || return
	http GET "$R_URL"
	R_WAV=$(aud_keep range-full-f32.wav)
	R_SIZE=$(size_of "$R_WAV")
	assert_eq "PCM f32 6 ch virtual WAV: header fields (od)" \
		"$(wav_header_expected 3 6 22050 4 "$(size_of "$A_F32_6")")" "$(wav_header_fields "$R_WAV")"
	tail -c +45 "$R_WAV" >"$AUD/range-full-f32.samples"
	assert_true "PCM f32 6 ch virtual WAV: then the PCM" \
		"$(cmp "$A_F32_6" "$AUD/range-full-f32.samples" 2>&1)" \
		cmp -s "$A_F32_6" "$AUD/range-full-f32.samples"
	for a in 40 43 44 45; do
		for b in $a $((a + 1)) $((a + 30)); do
			pcm_range "PCM f32 6 ch WAV" "bytes=$a-$b" "$a" "$b"
		done
	done
}

audio_variants() {
	local mono_peak
	audio_variant "16 kHz mono" "speech WAV" "sampling_rate=16000&num_channels=1" 16000 1 rms
	audio_variant "16 kHz mono" "stereo 44.1 kHz WAV" "sampling_rate=16000&num_channels=1" 16000 1
	audio_variant "16 kHz mono" "6 ch 48 kHz WAV" "sampling_rate=16000&num_channels=1" 16000 1
	audio_variant "16 kHz mono" "Ogg Vorbis" "sampling_rate=16000&num_channels=1" 16000 1 rms
	audio_variant "16 kHz mono" "MP3" "sampling_rate=16000&num_channels=1" 16000 1 rms
	audio_variant "16 kHz mono" "Ogg Opus" "sampling_rate=16000&num_channels=1" 16000 1 rms
	audio_variant "16 kHz mono" "FLAC" "sampling_rate=16000&num_channels=1" 16000 1 rms
	audio_variant "16 kHz mono" "pcm_f32le 6 ch" "num_channels=1&sampling_rate=16000" 16000 1
	audio_variant "rate only" "stereo 44.1 kHz WAV" "sampling_rate=22050" 22050 2
	audio_variant "upmix" "speech WAV" "num_channels=2" 22050 2
	if [ -n "$AV_WAV" ]; then
		assert_eq "upmix: both channels are the same samples (sox: left - right is silence)" \
			0.000000 "$(sox "$AV_WAV" -n remix 1v1,2v-1 stat 2>&1 | awk '/^Maximum +amplitude/ { print $3 }')"
	fi
	audio_variant "downmix" "anti-phase stereo" "num_channels=1" 16000 1
	if [ -n "$AV_WAV" ]; then
		assert_true "downmix averages: right = -left gives silence" "peak $(peak "$AV_WAV")" \
			near "$(peak "$AV_WAV")" 0 0.0002
	fi
	audio_variant "downmix" "twin stereo" "num_channels=1" 16000 1
	if [ -n "$AV_WAV" ]; then
		mono_peak=$(peak "$A_MONO16")
		assert_near "downmix averages: right = left gives the signal itself (peak)" \
			"$mono_peak" "$(peak "$AV_WAV")" 0.002
	fi

	local url=${AC_URLS[speech WAV]:-} q
	[ -n "$url" ] || return
	for q in sampling_rate=0 sampling_rate=768001 sampling_rate=abc sampling_rate=16000x \
		num_channels=0 num_channels=33 num_channels=-1 "sampling_rate=16000&num_channels=two"; do
		http GET "$url&$q"
		assert_error "variant ?$q: 400" 400 bad_request
	done
}

audio_errors() {
	local f=$AUD/err
	new_session auderr >/dev/null
	head -c 31998 "$A_S16_2" >"$f.odd"   # whole samples, half a stereo frame short
	expect_post_error auderr "pcm_s16le stereo, 31998 bytes (not whole frames), form" 400 \
		bad_metadata /inputs -F kind=audio -F format=pcm_s16le -F sampling_rate=16000 \
		-F num_channels=2 -F "file=@$f.odd;type=application/octet-stream"
	expect_post_error auderr "pcm_s16le stereo, 31998 bytes, raw" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=2" \
		--data-binary "@$f.odd" -H 'Content-Type: application/octet-stream'
	# A WAV whose LIST chunk makes libsndfile 1.2 loop forever while opening (its issue #1118,
	# found by tests/fuzz): the open runs in a CPU-limited child, so it costs a 415, not a server
	# process, and the server answers at once afterwards.
	local t0=$SECONDS
	expect_post_error auderr "a WAV that hangs libsndfile's open" 415 unsupported_media_type \
		"/inputs?kind=audio" -H 'Content-Type: audio/wav' \
		--data-binary "@$ROOT/tests/fixtures/libsndfile-1118-hang.wav"
	assert_true "the hanging WAV was refused within 15 s" "took $((SECONDS - t0)) s" \
		test $((SECONDS - t0)) -le 15
	http GET /healthz
	assert_status "healthy after the hanging WAV" 200
	head -c 44098 "$A_F32_1" >"$f.f32odd"
	expect_post_error auderr "pcm_f32le mono, 4n+2 bytes" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_f32le&sampling_rate=22050&num_channels=1" \
		--data-binary "@$f.f32odd" -H 'Content-Type: application/octet-stream'
	expect_post_error auderr "pcm without sampling_rate" 400 bad_metadata /inputs -F kind=audio \
		-F format=pcm_s16le -F num_channels=2 -F "file=@$A_S16_2;type=application/octet-stream"
	assert_detail "pcm without sampling_rate: the detail names it" sampling_rate
	expect_post_error auderr "pcm without num_channels" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_f32le&sampling_rate=22050" --data-binary "@$A_F32_1" \
		-H 'Content-Type: application/octet-stream'
	assert_detail "pcm without num_channels: the detail names it" num_channels
	expect_post_error auderr "pcm, sampling_rate=768001" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_s16le&sampling_rate=768001&num_channels=1" \
		--data-binary "@$A_S16_1" -H 'Content-Type: application/octet-stream'
	assert_detail "pcm, sampling_rate=768001: the detail names it" sampling_rate
	expect_post_error auderr "pcm, sampling_rate=0" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_s16le&sampling_rate=0&num_channels=1" \
		--data-binary "@$A_S16_1" -H 'Content-Type: application/octet-stream'
	expect_post_error auderr "pcm, num_channels=33" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=33" \
		--data-binary "@$A_S16_1" -H 'Content-Type: application/octet-stream'
	assert_detail "pcm, num_channels=33: the detail names it" num_channels
	expect_post_error auderr "pcm, num_channels=0" 400 bad_metadata \
		"/inputs?kind=audio&format=pcm_s16le&sampling_rate=16000&num_channels=0" \
		--data-binary "@$A_S16_1" -H 'Content-Type: application/octet-stream'

	# The largest values are accepted: 32 channels at 768 kHz (byte rate 49152000).
	head -c $((32 * 2 * 10)) "$A_S16_6" >"$f.max"
	if upload_raw aud "kind=audio&format=pcm_s16le&sampling_rate=768000&num_channels=32" \
		"$f.max" application/octet-stream; then
		pass "pcm, 768000 Hz and 32 channels: 201"
		assert_eq "768000 Hz, 32 channels: audio fields" "768000 32 10" \
			"$(json '"\(.audio.sampling_rate) \(.audio.num_channels) \(.audio.frames)"')"
		http GET "$CONTENT_URL"
		cp "$BODY" "$f.max.wav"
		assert_eq "768000 Hz, 32 channels: WAV header fields (od)" \
			"$(wav_header_expected 1 32 768000 2 640)" "$(wav_header_fields "$f.max.wav")"
	fi

	# Corrupt or undecodable: 415 with libsndfile's reason, nothing stored.
	expect_post_error auderr "random bytes, kind=audio" 415 unsupported_media_type /inputs \
		-F kind=audio -F "file=@$A_RANDOM;type=application/octet-stream"
	assert_match "random bytes: a reason in detail" '.{8,}' "$(json .detail)"
	expect_post_error auderr "random bytes as audio/wav, raw" 415 unsupported_media_type \
		"/inputs?kind=audio" --data-binary "@$A_RANDOM" -H 'Content-Type: audio/wav'
	expect_post_error auderr "Ogg Vorbis cut in the middle" 415 unsupported_media_type /inputs \
		-F kind=audio -F "file=@$A_HALF_OGG;type=audio/ogg"
	expect_post_error auderr "zero-length file, kind=audio" 415 unsupported_media_type /inputs \
		-F kind=audio -F "file=@$A_EMPTY;type=audio/wav"
	expect_post_error auderr "zero-length raw body, kind=audio" 415 unsupported_media_type \
		"/inputs?kind=audio" --data-binary "@$A_EMPTY" -H 'Content-Type: audio/ogg'
	http GET /healthz
	assert_status "healthy after the audio errors" 200
}

test_audio() {
	local frames r
	need_tools "audio tools" sox soxi ffmpeg ffprobe || return
	if ! make_audio_media 2>"$OUT/audio-media.err"; then
		fail "making the audio media" "$(head -c 500 "$OUT/audio-media.err")"
		return
	fi
	AUD=$OUT/audio
	mkdir -p "$AUD"
	declare -gA AC_URLS=() AC_DURS=() AC_WAVS=()
	new_session aud >/dev/null

	# WAV: served as stored.
	frames=$(soxi -s "$A_WAV")
	audio_both "speech WAV" file="$A_WAV" type=audio/wav rate=22050 ch=1 frames="$frames" \
		dur="$(soxi -D "$A_WAV")" src='^wav$' sfmt='^pcm_s16le$' samples=same
	audio_both "stereo 44.1 kHz WAV" file="$A_STEREO" type=audio/wav rate=44100 ch=2 \
		frames=66150 dur=1.5 src='^wav$' sfmt='^pcm_s16le$' samples=same
	audio_both "6 ch 48 kHz WAV" file="$A_SIX" type=audio/wav rate=48000 ch=6 frames=48000 dur=1 \
		src='^wav$' sfmt='^pcm_s16le$' samples=same
	audio_both "float WAV" file="$A_FLOAT" type=audio/wav rate=32000 ch=1 frames=25600 dur=0.8 \
		src='^wav$' sfmt='^pcm_f32le$' codec=pcm_f32le samples=same
	audio_both "anti-phase stereo" file="$A_ANTI" type=audio/wav rate=16000 ch=2 frames=16000 \
		dur=1 src='^wav$' sfmt='^pcm_s16le$' samples=same
	audio_both "twin stereo" file="$A_TWIN" type=audio/wav rate=16000 ch=2 frames=16000 dur=1 \
		src='^wav$' sfmt='^pcm_s16le$' samples=same

	# A WAV written to a pipe keeps the placeholder data size its writer could not seek back to
	# fix; browsers would take it at its word, so the upload decodes it and reads get the
	# decoded WAV, whose header states the true size.
	espeak-ng --stdout "a streamed wave file" >"$AUD/streamed.wav"
	if upload aud audio "$AUD/streamed.wav" audio/wav; then
		http GET "$CONTENT_URL"
		assert_status "streamed WAV: 200" 200
		assert_match "streamed WAV: a decoded representation" '-wav"$' "$(header ETag)"
		assert_eq "streamed WAV: data size in the header" "$(($(size_of "$BODY") - 44))" \
			"$(le_u "$BODY" 40 4)"
		assert_eq "streamed WAV: same samples" "$(tail -c +45 "$AUD/streamed.wav" | sha256sum)" \
			"$(tail -c +45 "$BODY" | sha256sum)"
	fi

	# Lossless compressed: decoded to 16-bit WAV with the very same samples.
	audio_both "FLAC" file="$A_FLAC" type=audio/flac rate=22050 ch=1 frames="$frames" \
		dur="$(soxi -D "$A_WAV")" src='^flac$' sfmt='16' samples=lossless
	audio_both "AIFF" file="$A_AIFF" type=audio/aiff rate=22050 ch=1 frames="$frames" \
		dur="$(soxi -D "$A_WAV")" src='^aiff$' sfmt='16' samples=lossless

	# Lossy: as long as the speech they were made from (encoder delay and padding aside).
	audio_both "Ogg Vorbis" file="$A_OGG" type=audio/ogg rate=22050 ch=1 \
		dur="$(soxi -D "$A_WAV")" tol=0.06 src='^ogg$' sfmt='^vorbis$' samples=lossy
	audio_both "Ogg Opus" file="$A_OPUS" type=audio/ogg rate=48000 ch=1 \
		dur="$(soxi -D "$A_WAV")" tol=0.06 src='^ogg$' sfmt='^opus$' samples=lossy
	audio_both "MP3" file="$A_MP3" type=audio/mpeg rate=44100 ch=1 \
		dur="$(soxi -D "$A_WAV")" tol=0.06 src='^mp3$' sfmt='^mpeg_layer_iii$' samples=lossy

	# Raw PCM: a virtual WAV, header + the very bytes uploaded.
	for r in 1 2 6; do
		local s16=A_S16_$r f32=A_F32_$r fmt=pcm_f32le
		[ "$r" != 2 ] || fmt=pcm_f32   # the browsers' name, little-endian f32 as well
		audio_both "pcm_s16le $r ch" file="${!s16}" type=application/octet-stream \
			meta="format=pcm_s16le&sampling_rate=16000&num_channels=$r" rate=16000 ch="$r" \
			frames=8000 dur=0.5 src='^pcm$' sfmt='^pcm_s16le$' samples=pcm
		audio_both "pcm_f32le $r ch" file="${!f32}" type=application/octet-stream \
			meta="format=$fmt&sampling_rate=22050&num_channels=$r" rate=22050 ch="$r" \
			frames=11025 dur=0.5 src='^pcm$' sfmt='^pcm_f32le$' codec=pcm_f32le samples=pcm
	done

	# The listing carries the audio object too.
	JAR=aud http GET /inputs
	assert_eq "GET /inputs: the last input's audio object" "22050 6 11025 pcm" \
		"$(json '[(.inputs? // .)[] | .audio | select(.)] | last |
			"\(.sampling_rate) \(.num_channels) \(.frames) \(.source_format)"')"

	audio_ranges
	audio_variants
	audio_errors
}
