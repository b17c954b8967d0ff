/* fuzz_audio.c: libFuzzer harness for audio probing and WAV conversion (media/audio.c, wav.c). */
// fuzz-sources: media/audio.c media/wav.c
// fuzz-pkgs: sndfile soxr
// fuzz-max-len: 65536
/*
 * Build and run (tests/fuzz/run.sh does this for every harness):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -I. -o fuzz_audio tests/fuzz/fuzz_audio.c media/audio.c \
 *       media/wav.c $(pkg-config --cflags --libs sndfile soxr)
 *   ./fuzz_audio -max_total_time=60 -dict=tests/fuzz/dict/audio.dict tests/fuzz/corpus/audio
 * Input: a mode byte, then for raw PCM three format bytes, then the audio bytes (at most 1 MiB),
 * written to a memfd (audio_probe reads a descriptor with pread).
 *   mode bit 0     0: a file libsndfile recognises; 1: raw PCM, format from the next bytes:
 *                  rate (index into raw_rates), channels (% 36: 0 and 33..35 are refused),
 *                  sample (% 3: s16, f32, or an out-of-range value that is refused)
 *   mode bit 1     output sample format for audio_to_wav: s16 or f32
 *   mode bits 2-3  output rate: keep, keep, 8000 Hz, 48000 Hz (kept when the ratio is over 16)
 *   mode bits 4-5  output channels: keep, 1, 2, keep
 * mpg123 may print to stderr; that is expected. Invariants failing abort():
 *   - audio_probe answers AUDIO_OK or AUDIO_UNSUPPORTED (a memfd does not fail), an error has a
 *     reason, the descriptor's offset never moves; an accepted source has a rate in 1..768000,
 *     1..32 channels, frames > 0, named formats; raw PCM is accepted exactly when its format is
 *     in range and its size is whole frames, and then has size / block align frames;
 *   - an accepted source converts (audio_to_wav) without error to a WAV whose header is what
 *     wav_header writes for the format asked and the data present (RIFF size = file size - 8,
 *     data size = file size - 44, whole frames, info->frames = data / block align), with the
 *     source's frame count when neither rate nor channels change; raw PCM converted to its own
 *     format comes back bit-exact; the WAV made probes back as a playable WAV of the same
 *     frames.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/audio.h"
#include "media/wav.h"

#define FUZZ_MAX_INPUT   (1u << 20)
#define FUZZ_MAX_SAMPLES (1u << 22)   /* samples (frames x channels) converted, to keep runs fast */
#define FUZZ_RATIO_MAX   16

static const uint32_t raw_rates[16] = {
	8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000,
	1, 7, 768000, 0, 768001, 44100, 48000, 16000,
};

static int memfd(const char *name)
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		abort();
	return fd;
}

static void fill(int fd, const uint8_t *p, size_t n)
{
	size_t done = 0;
	ssize_t w;

	if (ftruncate(fd, 0) != 0)
		abort();
	while (done < n) {
		w = pwrite(fd, p + done, n - done, (off_t)done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	if (lseek(fd, 5, SEEK_SET) != 5)
		abort();
}

/* An error comes with a reason (success leaves err alone). */
static void check_err(enum audio_err rc, const char *err, size_t errsz)
{
	if (rc != AUDIO_OK && (memchr(err, '\0', errsz) == NULL || err[0] == '\0'))
		abort();
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_info(const struct audio_info *in)
{
	if (in->sample_rate < 1 || in->sample_rate > 768000 || in->channels < 1 ||
	    in->channels > 32)
		abort();
	if (in->duration_s != (double)in->frames / (double)in->sample_rate)
		abort();
	if (memchr(in->source_format, '\0', sizeof in->source_format) == NULL ||
	    memchr(in->sample_format, '\0', sizeof in->sample_format) == NULL ||
	    in->source_format[0] == '\0' || in->sample_format[0] == '\0')
		abort();
	if (in->is_wav_pcm != 0 && in->is_wav_pcm != 1)
		abort();
	if (in->is_wav_pcm && (strcmp(in->source_format, "wav") != 0 ||
	                       (strcmp(in->sample_format, "pcm_s16le") != 0 &&
	                        strcmp(in->sample_format, "pcm_f32le") != 0)))
		abort();
}

/* The WAV audio_to_wav wrote to fd, for format f: header, size and frame count. */
static uint64_t check_wav(int fd, const struct wav_format *f, const struct audio_info *out)
{
	uint8_t hdr[WAV_HEADER_SIZE], want[WAV_HEADER_SIZE];
	struct stat st;
	uint64_t data;
	uint32_t align = wav_block_align(f);

	if (fstat(fd, &st) != 0 || st.st_size < WAV_HEADER_SIZE)
		abort();
	if (pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
		abort();
	data = (uint64_t)st.st_size - WAV_HEADER_SIZE;
	if (memcmp(hdr, "RIFF", 4) != 0 || le32(hdr + 4) != (uint64_t)st.st_size - 8 ||
	    memcmp(hdr + 8, "WAVEfmt ", 8) != 0 || memcmp(hdr + 36, "data", 4) != 0 ||
	    le32(hdr + 40) != data)
		abort();
	if (wav_header(want, f, data) != 0 || memcmp(hdr, want, sizeof hdr) != 0)
		abort();
	if (data % align != 0 || out->frames != data / align)
		abort();
	if (out->sample_rate != f->sample_rate || out->channels != f->channels ||
	    strcmp(out->source_format, "wav") != 0 ||
	    strcmp(out->sample_format, wav_sample_name(f->sample)) != 0 || out->is_wav_pcm != 1)
		abort();
	if (out->duration_s != (double)out->frames / (double)out->sample_rate)
		abort();
	return data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int in_fd = -1, out_fd = -1;
	static uint8_t back[FUZZ_MAX_INPUT];
	struct audio_source src, wsrc;
	struct audio_info info, out, again;
	struct wav_format wf;
	enum audio_err rc;
	const uint8_t *body;
	char err[256];
	uint8_t mode;
	size_t n;
	uint32_t rate;
	uint16_t ch;
	uint64_t bytes;
	int raw_ok;

	if (size < 1)
		return 0;
	if (in_fd < 0) {
		in_fd = memfd("fuzz_audio_in");
		out_fd = memfd("fuzz_audio_out");
	}
	mode = data[0];
	memset(&src, 0, sizeof src);
	src.fd = in_fd;
	body = data + 1;
	n = size - 1;
	raw_ok = 0;
	if (mode & 1) {
		if (n < 3)
			return 0;
		src.raw = 1;
		src.raw_format.sample_rate = raw_rates[body[0] % 16];
		src.raw_format.channels = (uint16_t)(body[1] % 36);
		src.raw_format.sample = (enum wav_sample)(body[2] % 3);
		body += 3;
		n -= 3;
		raw_ok = src.raw_format.sample_rate >= 1 && src.raw_format.sample_rate <= 768000 &&
		         src.raw_format.channels >= 1 && src.raw_format.channels <= 32 &&
		         src.raw_format.sample != 2 && n > 0 &&
		         n % wav_block_align(&src.raw_format) == 0;
	}
	if (n > FUZZ_MAX_INPUT)
		return 0;
	/* libsndfile 1.2 can loop forever parsing a LIST chunk (its issue #1118, found here: see
	   crashes/README.md). The app opens uploads in a CPU-limited child (audio_open_check);
	   here LIST chunks are left out so that the time goes to our code, not to that known hang. */
	if (!src.raw && memmem(body, n, "LIST", 4) != NULL)
		return 0;
	fill(in_fd, body, n);

	memset(&info, 0x77, sizeof info);
	memset(err, 'E', sizeof err);
	rc = audio_probe(&src, &info, err, sizeof err);
	check_err(rc, err, sizeof err);
	if (lseek(in_fd, 0, SEEK_CUR) != 5)
		abort();
	if (rc != AUDIO_OK && rc != AUDIO_UNSUPPORTED)
		abort();
	if (src.raw && (rc == AUDIO_OK) != raw_ok)
		abort();
	if (rc != AUDIO_OK)
		return 0;
	check_info(&info);
	if (info.frames == 0)
		abort();
	if (src.raw) {
		if (info.frames != n / wav_block_align(&src.raw_format) ||
		    info.sample_rate != src.raw_format.sample_rate ||
		    info.channels != src.raw_format.channels ||
		    strcmp(info.source_format, "pcm") != 0 ||
		    strcmp(info.sample_format, wav_sample_name(src.raw_format.sample)) != 0)
			abort();
	}
	if (info.is_wav_pcm && (n < 12 || memcmp(body, "RIFF", 4) != 0 ||
	                        memcmp(body + 8, "WAVE", 4) != 0))
		abort();
	if (info.frames * info.channels > FUZZ_MAX_SAMPLES)
		return 0;

	/* Convert: the same decode succeeded, so this must too. */
	rate = 0;
	if ((mode >> 2 & 3) == 2)
		rate = 8000;
	else if ((mode >> 2 & 3) == 3)
		rate = 48000;
	if (rate != 0 && ((uint64_t)rate > (uint64_t)info.sample_rate * FUZZ_RATIO_MAX ||
	                  (uint64_t)info.sample_rate > (uint64_t)rate * FUZZ_RATIO_MAX))
		rate = 0;
	ch = (uint16_t)((mode >> 4 & 3) == 1 ? 1 : (mode >> 4 & 3) == 2 ? 2 : 0);
	wf.sample = mode & 2 ? WAV_F32LE : WAV_S16LE;
	wf.sample_rate = rate != 0 ? rate : info.sample_rate;
	wf.channels = ch != 0 ? ch : info.channels;
	memset(&out, 0x77, sizeof out);
	memset(err, 'E', sizeof err);
	rc = audio_to_wav(&src, rate, ch, wf.sample, out_fd, &out, err, sizeof err);
	check_err(rc, err, sizeof err);
	if (rc != AUDIO_OK || lseek(in_fd, 0, SEEK_CUR) != 5)
		abort();
	bytes = check_wav(out_fd, &wf, &out);
	if (wf.sample_rate == info.sample_rate && out.frames != info.frames)
		abort();
	/* Raw PCM to its own format: the very same samples. */
	if (src.raw && wf.sample_rate == info.sample_rate && wf.channels == info.channels &&
	    wf.sample == src.raw_format.sample) {
		if (bytes != n || pread(out_fd, back, n, WAV_HEADER_SIZE) != (ssize_t)n ||
		    memcmp(back, body, n) != 0)
			abort();
	}
	/*
	 * The WAV made is one a browser plays as it is, with the frames it says. libsndfile
	 * (1.2.0, wav.c) refuses any WAV whose data starts with the bytes "OggS" or "wvpk",
	 * whatever the samples mean ("Data is in WAVPACK format"): such PCM does not read back
	 * (tests/fuzz/crashes/libsndfile-wav-data-starts-OggS).
	 */
	if (out.frames > 0) {
		uint8_t first[4] = { 0 };

		memset(&wsrc, 0, sizeof wsrc);
		wsrc.fd = out_fd;
		memset(err, 'E', sizeof err);
		rc = audio_probe(&wsrc, &again, err, sizeof err);
		check_err(rc, err, sizeof err);
		if (bytes >= 4 && pread(out_fd, first, 4, WAV_HEADER_SIZE) != 4)
			abort();
		if (memcmp(first, "OggS", 4) == 0 || memcmp(first, "wvpk", 4) == 0) {
			if (rc != AUDIO_UNSUPPORTED)
				abort();
			return 0;
		}
		if (rc != AUDIO_OK || again.frames != out.frames || again.is_wav_pcm != 1 ||
		    again.sample_rate != wf.sample_rate || again.channels != wf.channels ||
		    strcmp(again.sample_format, wav_sample_name(wf.sample)) != 0)
			abort();
	}
	return 0;
}
