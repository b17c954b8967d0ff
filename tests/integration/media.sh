# media.sh: make the test media at test time into $MEDIA (sourced by run.sh after lib.sh).
#
# Real media from the Debian tools, plus files made for edge cases. Sets the M_* names used by the
# test groups. Returns non-zero, with the reason on stderr, when a tool fails.

make_media() {
	local big=$1   # the server's MEDIAGATE_MAX_UPLOAD, bytes
	mkdir -p "$MEDIA" || return 1
	M_WAV=$MEDIA/speech.wav
	M_OGG=$MEDIA/speech.ogg
	M_PNG=$MEDIA/spectrogram.png
	M_BIN=$MEDIA/random.bin
	M_HTML=$MEDIA/page.html
	M_SVG=$MEDIA/image.svg
	M_JS=$MEDIA/script.js
	M_EMPTY=$MEDIA/empty.bin
	M_TEXT=$MEDIA/digits.txt
	M_MAX=$MEDIA/at-max.bin
	M_OVER=$MEDIA/over-max.bin

	espeak-ng -w "$M_WAV" "Hello from mediagate. This sentence was spoken for the integration test." ||
		return 1
	sox "$M_WAV" "$M_OGG" || return 1
	sox "$M_WAV" -n spectrogram -o "$M_PNG" || return 1
	# 1 MiB and a bit: more than one 64 KiB read, not a multiple of any buffer size.
	head -c $((1024 * 1024 + 4321)) /dev/urandom >"$M_BIN" || return 1
	printf '<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n' \
		>"$M_HTML"
	printf '%s\n' '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' \
		'<script>alert(1)</script><rect width="10" height="10"/></svg>' >"$M_SVG"
	printf 'alert(document.cookie);\n' >"$M_JS"
	: >"$M_EMPTY"
	# 1000 bytes whose every position is easy to read in a failure message.
	for i in $(seq 0 99); do printf '%09d\n' "$((i * 10))"; done >"$M_TEXT"
	head -c "$big" /dev/zero | tr '\0' 'm' >"$M_MAX" || return 1
	head -c $((big + 1)) /dev/zero | tr '\0' 'o' >"$M_OVER" || return 1
	local f
	for f in "$M_WAV" "$M_OGG" "$M_PNG"; do
		[ -s "$f" ] || { echo "media.sh: $f is empty" >&2; return 1; }
	done
}

# png_size FILE: "WIDTH HEIGHT" from a PNG's IHDR (big-endian at bytes 16 and 20).
png_size() {
	local w h
	w=$(od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	h=$(od -An -tu1 -j20 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	echo "$w $h"
}

# wav_rate FILE: the sample rate of a canonical WAV (little-endian at byte 24).
wav_rate() { od -An -tu4 -j24 -N4 --endian=little "$1" | tr -d ' '; }
