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

# make_audio_media: the audio of test_audio.sh and test_annotated.sh, made once into $MEDIA/audio
# from M_WAV (espeak-ng speech, 22050 Hz mono s16) and sox's synthesiser. Sets the A_* names.
make_audio_media() {
	[ -z "${A_MADE:-}" ] || return 0
	local d=$MEDIA/audio c
	mkdir -p "$d" || return 1
	A_WAV=$M_WAV A_OGG=$M_OGG
	A_OPUS=$d/speech.opus A_FLAC=$d/speech.flac A_MP3=$d/speech.mp3 A_AIFF=$d/speech.aiff
	A_STEREO=$d/stereo-44k1.wav A_SIX=$d/six-48k.wav A_FLOAT=$d/float-32k.wav
	A_ANTI=$d/anti-phase.wav A_TWIN=$d/twin.wav A_MONO16=$d/mono-16k.wav
	A_RANDOM=$d/random.bin A_HALF_OGG=$d/half.ogg A_EMPTY=$d/empty.wav
	ffmpeg -v error -y -i "$A_WAV" -ar 48000 -c:a libopus -b:a 32k "$A_OPUS" || return 1
	ffmpeg -v error -y -i "$A_WAV" -ar 44100 -c:a libmp3lame -b:a 64k "$A_MP3" || return 1
	sox "$A_WAV" "$A_FLAC" || return 1
	sox "$A_WAV" "$A_AIFF" || return 1
	# -D: no dither, so that the channels are exactly what the effects say.
	sox -D -n -r 44100 -c 2 -b 16 "$A_STEREO" synth 1.5 sine 440 sine 660 gain -6 || return 1
	sox -D -n -r 48000 -c 6 -b 16 "$A_SIX" synth 1 sine 200 sine 300 sine 400 sine 500 \
		sine 600 sine 700 gain -6 || return 1
	sox -D -n -r 32000 -c 1 -e floating-point -b 32 "$A_FLOAT" synth 0.8 sine 330 gain -6 ||
		return 1
	sox -D -n -r 16000 -c 1 -b 16 "$A_MONO16" synth 1 sine 440 gain -6 || return 1
	# Right = -left: a downmix that averages is silence. Right = left: it is the signal itself.
	sox -D "$A_MONO16" -c 2 "$A_ANTI" remix 1 1v-1 || return 1
	sox -D "$A_MONO16" -c 2 "$A_TWIN" remix 1 1 || return 1
	# Raw PCM, interleaved little-endian: A_S16_N (sox, 16 kHz) and A_F32_N (ffmpeg, 22.05 kHz)
	# for N = 1, 2, 6 channels, half a second each.
	for c in 1 2 6; do
		printf -v "A_S16_$c" '%s' "$d/s16-16k-${c}ch.raw"
		printf -v "A_F32_$c" '%s' "$d/f32-22k05-${c}ch.raw"
		sox -D -n -r 16000 -c "$c" -b 16 -e signed-integer -t raw "$d/s16-16k-${c}ch.raw" \
			synth 0.5 sine 440 gain -6 || return 1
		ffmpeg -v error -y -f lavfi -i sine=frequency=440:sample_rate=22050:duration=0.5 \
			-ac "$c" -f f32le "$d/f32-22k05-${c}ch.raw" || return 1
	done
	# A fixed text first: random leading bytes could look like an MPEG frame sync (0xFFE).
	{ printf 'not audio: '; head -c 50000 /dev/urandom; } >"$A_RANDOM" || return 1
	head -c $(($(size_of "$A_OGG") / 2)) "$A_OGG" >"$A_HALF_OGG" || return 1
	: >"$A_EMPTY"
	for c in "$A_OPUS" "$A_FLAC" "$A_MP3" "$A_AIFF" "$A_STEREO" "$A_SIX" "$A_FLOAT" "$A_ANTI" \
		"$A_S16_6" "$A_F32_6"; do
		[ -s "$c" ] || { echo "media.sh: $c is empty" >&2; return 1; }
	done
	A_MADE=1
}

# make_image_media: the images of test_image.sh and test_annotated.sh, made once into
# $MEDIA/image with ffmpeg's test source. Sets the I_* names.
make_image_media() {
	[ -z "${I_MADE:-}" ] || return 0
	local d=$MEDIA/image off
	mkdir -p "$d" || return 1
	I_PNG=$M_PNG   # sox spectrogram: a palette PNG
	I_RGBA_PNG=$d/testsrc-rgba.png I_RGB_PNG=$d/testsrc-rgb.png I_GRAY_PNG=$d/testsrc-gray.png
	I_JPEG=$d/testsrc.jpg I_ODD_JPEG=$d/testsrc-321x241.jpg I_GIF=$d/testsrc.gif
	I_RGB=$d/testsrc-160x120.rgb I_RGBA=$d/random-97x61.rgba I_RGB_1=$d/one-pixel.rgb
	I_LIMIT_PNG=$d/limit-1000x1000.png I_BIG_PNG=$d/big-2000x1000.png
	I_BIG_JPEG=$d/big-2000x1000.jpg I_LIMIT_RGB=$d/limit-1000x1000.rgb
	I_BIG_RGB=$d/big-1001x1000.rgb
	I_BAD_CRC_PNG=$d/bad-crc.png I_HALF_PNG=$d/half.png I_EMPTY_PNG=$d/empty.png
	I_HALF_JPEG=$d/half.jpg I_GARBAGE_JPEG=$d/garbage.jpg I_NOSIZE_JPEG=$d/zero-height.jpg
	local src=testsrc=size=320x240:rate=1
	ffmpeg -v error -y -f lavfi -i "$src" -frames:v 1 -pix_fmt rgba "$I_RGBA_PNG" || return 1
	ffmpeg -v error -y -f lavfi -i "$src" -frames:v 1 -pix_fmt rgb24 "$I_RGB_PNG" || return 1
	ffmpeg -v error -y -f lavfi -i "$src" -frames:v 1 -pix_fmt gray "$I_GRAY_PNG" || return 1
	ffmpeg -v error -y -f lavfi -i "$src" -frames:v 1 "$I_JPEG" || return 1
	# 4:2:0 and a size that is not a multiple of the 16-pixel MCU.
	ffmpeg -v error -y -f lavfi -i testsrc=size=321x241:rate=1 -frames:v 1 -pix_fmt yuvj420p \
		"$I_ODD_JPEG" || return 1
	ffmpeg -v error -y -f lavfi -i "$src" -frames:v 1 "$I_GIF" || return 1
	ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=1 -frames:v 1 -f rawvideo \
		-pix_fmt rgb24 "$I_RGB" || return 1
	head -c $((97 * 61 * 4)) /dev/urandom >"$I_RGBA" || return 1
	printf '\377\200\001' >"$I_RGB_1"
	ffmpeg -v error -y -f lavfi -i color=c=blue:size=1000x1000:rate=1 -frames:v 1 "$I_LIMIT_PNG" ||
		return 1
	ffmpeg -v error -y -f lavfi -i color=c=blue:size=2000x1000:rate=1 -frames:v 1 "$I_BIG_PNG" ||
		return 1
	ffmpeg -v error -y -f lavfi -i color=c=blue:size=2000x1000:rate=1 -frames:v 1 "$I_BIG_JPEG" ||
		return 1
	head -c $((1000 * 1000 * 3)) /dev/zero >"$I_LIMIT_RGB" || return 1
	head -c $((1001 * 1000 * 3)) /dev/zero >"$I_BIG_RGB" || return 1
	# One byte inside the first IDAT's data flipped: its CRC no longer matches (PNG 3rd ed. 5.3).
	cp "$I_RGB_PNG" "$I_BAD_CRC_PNG" || return 1
	off=$(LC_ALL=C grep -obUa IDAT "$I_RGB_PNG" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || { echo "media.sh: no IDAT in $I_RGB_PNG" >&2; return 1; }
	printf '\125' | dd of="$I_BAD_CRC_PNG" bs=1 seek=$((off + 20)) conv=notrunc status=none ||
		return 1
	cmp -s "$I_RGB_PNG" "$I_BAD_CRC_PNG" && { echo "media.sh: the flip changed nothing" >&2; return 1; }
	head -c $(($(size_of "$I_RGB_PNG") / 2)) "$I_RGB_PNG" >"$I_HALF_PNG" || return 1
	: >"$I_EMPTY_PNG"
	head -c $(($(size_of "$I_JPEG") / 2)) "$I_JPEG" >"$I_HALF_JPEG" || return 1
	{ printf '\377\330'; head -c 4000 /dev/urandom; } >"$I_GARBAGE_JPEG" || return 1
	# The SOF0 frame height (2 bytes, 3 after the segment length) set to 0.
	cp "$I_JPEG" "$I_NOSIZE_JPEG" || return 1
	off=$(LC_ALL=C grep -obUaP '\xff[\xc0\xc1\xc2]' "$I_JPEG" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || { echo "media.sh: no SOF in $I_JPEG" >&2; return 1; }
	printf '\000\000' | dd of="$I_NOSIZE_JPEG" bs=1 seek=$((off + 5)) conv=notrunc status=none ||
		return 1
	I_MADE=1
}
