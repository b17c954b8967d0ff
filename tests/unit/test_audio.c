/* test_audio.c: probe, decode to WAV, resample and remix, on signals made here with libsndfile. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

/* The module itself, to reach the output writer's size limit and the sample conversion. */
#include "media/audio.c"

#define PI 3.14159265358979323846

/* ---- signals (no libm: the sine is a rotating phasor) ---- */

static void
sincos_series(double x, double *s, double *c)
{
	double ts = x, tc = 1.0;
	int k;

	*s = ts;
	*c = tc;
	for (k = 1; k < 40; k++) {
		ts *= -x * x / ((2.0 * k) * (2.0 * k + 1));
		tc *= -x * x / ((2.0 * k - 1) * (2.0 * k));
		*s += ts;
		*c += tc;
	}
}

struct osc {
	double c, s, dc, ds;
};

static void
osc_init(struct osc *o, double freq, double rate)
{
	sincos_series(2 * PI * freq / rate, &o->ds, &o->dc);
	o->c = 1.0;
	o->s = 0.0;
}

static double
osc_next(struct osc *o)
{
	double v = o->s, c = o->c;

	o->c = c * o->dc - o->s * o->ds;
	o->s = o->s * o->dc + c * o->ds;
	return v;
}

static int
tmpfd(void)
{
	char path[] = "/tmp/test_audio_XXXXXX";
	int fd = mkstemp(path);

	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	return fd;
}

static off_t
fdsize(int fd)
{
	struct stat st;

	cr_assert_eq(fstat(fd, &st), 0);
	return st.st_size;
}

/* A sine (440 Hz unless told; channel c at amplitude amp / (c + 1)) written by libsndfile. */
static int
make_sine(int format, int rate, int ch, sf_count_t frames, double freq, double amp)
{
	SF_INFO si;
	SNDFILE *sf;
	struct osc o;
	float buf[1024 * 8];
	sf_count_t done = 0, n, i;
	int fd = tmpfd(), c;
	double v;

	cr_assert(ch <= 8);
	memset(&si, 0, sizeof si);
	si.samplerate = rate;
	si.channels = ch;
	si.format = format;
	sf = sf_open_fd(fd, SFM_WRITE, &si, SF_FALSE);
	cr_assert_not_null(sf, "cannot write %#x: %s", format, sf_strerror(NULL));
	osc_init(&o, freq, rate);
	while (done < frames) {
		n = frames - done < 1024 ? frames - done : 1024;
		for (i = 0; i < n; i++) {
			v = osc_next(&o);
			for (c = 0; c < ch; c++)
				buf[i * ch + c] = (float)(amp * v / (c + 1));
		}
		cr_assert_eq(sf_writef_float(sf, buf, n), n);
		done += n;
	}
	cr_assert_eq(sf_close(sf), 0);
	return fd;
}

static int
make_bytes(const void *p, size_t len)
{
	int fd = tmpfd();

	cr_assert_eq(write(fd, p, len), (ssize_t)len);
	return fd;
}

/* A copy of fd's first len bytes. */
static int
cut(int fd, off_t len)
{
	char *buf = malloc((size_t)len + 1);
	int out;

	cr_assert_not_null(buf);
	cr_assert_eq(pread(fd, buf, (size_t)len, 0), (ssize_t)len);
	out = make_bytes(buf, (size_t)len);
	free(buf);
	return out;
}

static struct audio_source
file_source(int fd)
{
	struct audio_source s;

	memset(&s, 0, sizeof s);
	s.fd = fd;
	return s;
}

static struct audio_source
raw_source(int fd, uint32_t rate, uint16_t ch, enum wav_sample sample)
{
	struct audio_source s = file_source(fd);

	s.raw = 1;
	s.raw_format.sample_rate = rate;
	s.raw_format.channels = ch;
	s.raw_format.sample = sample;
	return s;
}

/* Read an output WAV back with libsndfile: the independent reader. */
static SNDFILE *
open_wav(int fd, SF_INFO *si)
{
	SNDFILE *sf;

	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	memset(si, 0, sizeof *si);
	sf = sf_open_fd(dup(fd), SFM_READ, si, SF_TRUE);
	cr_assert_not_null(sf, "libsndfile cannot read our WAV: %s", sf_strerror(NULL));
	return sf;
}

/* Decode to WAV and check the result: its header, its size and libsndfile's view of it. */
static void
to_wav_ok(const struct audio_source *src, uint32_t rate, uint16_t ch, enum wav_sample s,
          int out, struct audio_info *info)
{
	char err[256] = "";
	enum audio_err rc;
	SF_INFO si;
	SNDFILE *sf;
	uint8_t h[WAV_HEADER_SIZE];
	size_t bps = s == WAV_F32LE ? 4 : 2;

	rc = audio_to_wav(src, rate, ch, s, out, info, err, sizeof err);
	cr_assert_eq(rc, AUDIO_OK, "audio_to_wav: %d %s", rc, err);
	cr_assert_eq(fdsize(out), (off_t)(WAV_HEADER_SIZE + info->frames * info->channels * bps));
	cr_assert_eq(pread(out, h, sizeof h, 0), (ssize_t)sizeof h);
	cr_assert_eq(memcmp(h, "RIFF", 4), 0);
	cr_assert_eq(h[20], s == WAV_F32LE ? 3 : 1);
	sf = open_wav(out, &si);
	cr_assert_eq(si.samplerate, (int)info->sample_rate);
	cr_assert_eq(si.channels, info->channels);
	cr_assert_eq((uint64_t)si.frames, info->frames);
	cr_assert_eq(si.format, SF_FORMAT_WAV | (s == WAV_F32LE ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16));
	sf_close(sf);
	cr_assert_str_eq(info->source_format, "wav");
	cr_assert_str_eq(info->sample_format, wav_sample_name(s));
	cr_assert_eq(info->is_wav_pcm, 1);
}

/* ---- probe: every container libsndfile writes, then decode each to WAV ---- */

struct fmt_case {
	const char *name;
	int         format;
	int         rate;
	const char *source;
	const char *sample;
	int         is_wav_pcm;
	uint64_t    tolerance;    /* frames: 0 for lossless, the codec's priming otherwise */
};

static const struct fmt_case cases[] = {
	{"wav s16", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, "wav", "pcm_s16le", 1, 0},
	{"wav f32", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, "wav", "pcm_f32le", 1, 0},
	{"wav s24", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 22050, "wav", "pcm_s24le", 0, 0},
	{"wav u8", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, "wav", "pcm_u8", 0, 0},
	{"rifx s16", SF_FORMAT_WAV | SF_FORMAT_PCM_16 | SF_ENDIAN_BIG, 44100, "wav", "pcm_s16be",
	 0, 0},
	{"wavex s16", SF_FORMAT_WAVEX | SF_FORMAT_PCM_16, 44100, "wav", "pcm_s16le", 1, 0},
	{"aiff s16", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 44100, "aiff", "pcm_s16be", 0, 0},
	{"aiff f32", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, 32000, "aiff", "pcm_f32be", 0, 0},
	{"flac s16", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, "flac", "pcm_s16", 0, 0},
	{"flac s24", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 96000, "flac", "pcm_s24", 0, 0},
	{"au ulaw", SF_FORMAT_AU | SF_FORMAT_ULAW, 8000, "au", "ulaw", 0, 0},
	{"caf s16", SF_FORMAT_CAF | SF_FORMAT_PCM_16, 44100, "caf", "pcm_s16be", 0, 0},
	{"ogg vorbis", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, "ogg", "vorbis", 0, 2048},
	{"ogg opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, "ogg", "opus", 0, 2048},
	{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, "mp3", "mpeg_layer_iii", 0, 4096},
};

static uint64_t
absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void
probe_and_decode(const struct fmt_case *c, int ch, sf_count_t frames)
{
	struct audio_source src;
	struct audio_info info, out;
	char err[256] = "";
	enum audio_err rc;
	int fd, wfd;

	fd = make_sine(c->format, c->rate, ch, frames, 440, 0.5);
	src = file_source(fd);
	/* The probe reads with pread: the descriptor's offset is left where it was. */
	cr_assert_eq(lseek(fd, 123, SEEK_SET), 123);
	memset(&info, 0xff, sizeof info);
	rc = audio_probe(&src, &info, err, sizeof err);
	cr_assert_eq(rc, AUDIO_OK, "%s: %d %s", c->name, rc, err);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 123, "%s: offset moved", c->name);
	cr_assert_eq(info.sample_rate, (uint32_t)c->rate, "%s", c->name);
	cr_assert_eq(info.channels, ch, "%s", c->name);
	cr_assert(absdiff(info.frames, (uint64_t)frames) <= c->tolerance, "%s: %llu frames, not %lld",
	          c->name, (unsigned long long)info.frames, (long long)frames);
	cr_assert_float_eq(info.duration_s, (double)info.frames / c->rate, 1e-9, "%s", c->name);
	cr_assert_str_eq(info.source_format, c->source, "%s", c->name);
	cr_assert_str_eq(info.sample_format, c->sample, "%s", c->name);
	cr_assert_eq(info.is_wav_pcm, c->is_wav_pcm, "%s", c->name);

	/* Decoding gives the frames the probe counted, at the source's rate and channels. */
	wfd = tmpfd();
	to_wav_ok(&src, 0, 0, WAV_S16LE, wfd, &out);
	cr_assert_eq(out.sample_rate, (uint32_t)c->rate, "%s", c->name);
	cr_assert_eq(out.channels, ch, "%s", c->name);
	cr_assert_eq(out.frames, info.frames, "%s", c->name);
	to_wav_ok(&src, 0, 0, WAV_F32LE, wfd, &out);
	cr_assert_eq(out.frames, info.frames, "%s", c->name);
	close(wfd);
	close(fd);
}

Test(audio, probe_and_decode_every_format_mono)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		probe_and_decode(&cases[i], 1, 30011);
}

Test(audio, probe_and_decode_every_format_stereo)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		probe_and_decode(&cases[i], 2, 50000);
}

Test(audio, probe_six_channels)
{
	struct fmt_case c = {"wav s16 x6", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, "wav",
	                     "pcm_s16le", 1, 0};
	struct fmt_case f = {"flac x6", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 48000, "flac",
	                     "pcm_s16", 0, 0};

	probe_and_decode(&c, 6, 4801);
	probe_and_decode(&f, 6, 4801);
}

/* ---- exactness: 16-bit and float PCM survive decoding bit for bit ---- */

/* The source's samples as libsndfile reads them, against our WAV's data bytes. */
static void
check_s16_exact(int srcfd, int wavfd, uint64_t samples)
{
	SF_INFO si;
	SNDFILE *sf;
	int16_t *want = malloc(samples * 2);
	uint8_t *got = malloc(samples * 2);
	uint64_t i;

	cr_assert(want && got);
	sf = open_wav(srcfd, &si);
	cr_assert_eq((uint64_t)sf_read_short(sf, want, (sf_count_t)samples), samples);
	sf_close(sf);
	cr_assert_eq(pread(wavfd, got, samples * 2, WAV_HEADER_SIZE), (ssize_t)(samples * 2));
	for (i = 0; i < samples; i++)
		cr_assert_eq((int16_t)(uint16_t)(got[2 * i] | got[2 * i + 1] << 8), want[i],
		             "sample %llu", (unsigned long long)i);
	free(want);
	free(got);
}

Test(audio, raw_s16_decode_is_bit_exact)
{
	enum { FRAMES = 70000, CH = 3 };
	uint8_t *raw = malloc(FRAMES * CH * 2), *got = malloc(FRAMES * CH * 2);
	struct audio_source src;
	struct audio_info info;
	uint32_t x = 12345;
	int fd, out = tmpfd();
	size_t i;

	cr_assert(raw && got);
	for (i = 0; i < FRAMES * CH * 2; i++) {
		x = x * 1103515245u + 12345u;
		raw[i] = (uint8_t)(x >> 16);
	}
	/* The extremes too. */
	raw[0] = 0x00; raw[1] = 0x80;       /* -32768 */
	raw[2] = 0xff; raw[3] = 0x7f;       /* 32767 */
	raw[4] = 0xff; raw[5] = 0xff;       /* -1 */
	fd = make_bytes(raw, FRAMES * CH * 2);
	src = raw_source(fd, 22050, CH, WAV_S16LE);
	cr_assert_eq(audio_probe(&src, &info, NULL, 0), AUDIO_OK);
	cr_assert_eq(info.frames, FRAMES);
	cr_assert_str_eq(info.source_format, "pcm");
	cr_assert_str_eq(info.sample_format, "pcm_s16le");
	cr_assert_eq(info.is_wav_pcm, 0);
	to_wav_ok(&src, 0, 0, WAV_S16LE, out, &info);
	cr_assert_eq(info.frames, FRAMES);
	cr_assert_eq(pread(out, got, FRAMES * CH * 2, WAV_HEADER_SIZE), FRAMES * CH * 2);
	cr_assert_eq(memcmp(got, raw, FRAMES * CH * 2), 0);
	/* To float: each sample is s / 32768 exactly. */
	to_wav_ok(&src, 0, 0, WAV_F32LE, out, &info);
	for (i = 0; i < FRAMES * CH; i += 997) {
		float f, want = (float)(int16_t)(uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8) / 32768.0f;
		cr_assert_eq(pread(out, &f, 4, WAV_HEADER_SIZE + 4 * i), 4);
		cr_assert_eq(f, want, "sample %zu: %g, not %g", i, f, want);
	}
	free(raw);
	free(got);
	close(fd);
	close(out);
}

Test(audio, raw_f32_decode_is_bit_exact)
{
	enum { FRAMES = 10007, CH = 2 };
	float *raw = malloc(FRAMES * CH * 4), *got = malloc(FRAMES * CH * 4);
	struct audio_source src;
	struct audio_info info;
	int fd, out = tmpfd();
	size_t i;

	cr_assert(raw && got);
	for (i = 0; i < FRAMES * CH; i++)
		raw[i] = (float)((int)(i * 7919 % 20001) - 10000) / 7777.0f;  /* beyond [-1, 1] too */
	fd = make_bytes(raw, FRAMES * CH * 4);
	src = raw_source(fd, 48000, CH, WAV_F32LE);
	to_wav_ok(&src, 0, 0, WAV_F32LE, out, &info);
	cr_assert_eq(info.frames, FRAMES);
	cr_assert_eq(pread(out, got, FRAMES * CH * 4, WAV_HEADER_SIZE), FRAMES * CH * 4);
	cr_assert_eq(memcmp(got, raw, FRAMES * CH * 4), 0);
	free(raw);
	free(got);
	close(fd);
	close(out);
}

Test(audio, wav_and_flac_16_bit_decode_is_bit_exact)
{
	int formats[] = {SF_FORMAT_WAV | SF_FORMAT_PCM_16, SF_FORMAT_FLAC | SF_FORMAT_PCM_16,
	                 SF_FORMAT_AIFF | SF_FORMAT_PCM_16};
	struct audio_source src;
	struct audio_info info;
	size_t i;
	int fd, out;

	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		fd = make_sine(formats[i], 44100, 2, 20000, 1000, 0.99);
		out = tmpfd();
		src = file_source(fd);
		to_wav_ok(&src, 0, 0, WAV_S16LE, out, &info);
		cr_assert_eq(info.frames, 20000);
		check_s16_exact(fd, out, 40000);
		close(out);
		close(fd);
	}
}

Test(audio, float_to_s16_conversion)
{
	cr_assert_eq(audio_f2s16(0.0f), 0);
	cr_assert_eq(audio_f2s16(1.0f), 32767);             /* clamped */
	cr_assert_eq(audio_f2s16(-1.0f), -32768);
	cr_assert_eq(audio_f2s16(2.5f), 32767);
	cr_assert_eq(audio_f2s16(-7.0f), -32768);
	cr_assert_eq(audio_f2s16(0.5f / 32768), 1);         /* half away from zero */
	cr_assert_eq(audio_f2s16(-0.5f / 32768), -1);
	cr_assert_eq(audio_f2s16(0.49f / 32768), 0);
	cr_assert_eq(audio_f2s16(1.5f / 32768), 2);
	cr_assert_eq(audio_f2s16(12345.0f / 32768), 12345);
	cr_assert_eq(audio_f2s16(-12345.0f / 32768), -12345);
	cr_assert_eq(audio_f2s16(32766.6f / 32768), 32767);
	cr_assert_eq(audio_f2s16(__builtin_nanf("")), 0);
	cr_assert_eq(audio_f2s16(__builtin_inff()), 32767);
	cr_assert_eq(audio_f2s16(-__builtin_inff()), -32768);
}

Test(audio, raw_f32_to_s16_rounds_and_clamps)
{
	const float in[] = {0.0f, 1.0f, -1.0f, 1.5f, -1.5f, 0.25f, -0.25f, 0.5f / 32768};
	const int16_t want[] = {0, 32767, -32768, 32767, -32768, 8192, -8192, 1};
	struct audio_source src;
	struct audio_info info;
	int fd = make_bytes(in, sizeof in), out = tmpfd();
	uint8_t got[sizeof want];
	size_t i;

	src = raw_source(fd, 8000, 1, WAV_F32LE);
	to_wav_ok(&src, 0, 0, WAV_S16LE, out, &info);
	cr_assert_eq(info.frames, 8);
	cr_assert_eq(pread(out, got, sizeof got, WAV_HEADER_SIZE), (ssize_t)sizeof got);
	for (i = 0; i < 8; i++)
		cr_assert_eq((int16_t)(uint16_t)(got[2 * i] | got[2 * i + 1] << 8), want[i], "%zu", i);
	close(fd);
	close(out);
}

/* ---- channels ---- */

static float *
read_all_float(int wavfd, SF_INFO *si)
{
	SNDFILE *sf = open_wav(wavfd, si);
	float *buf = malloc((size_t)si->frames * si->channels * sizeof(float) + 1);

	cr_assert_not_null(buf);
	cr_assert_eq(sf_readf_float(sf, buf, si->frames), si->frames);
	sf_close(sf);
	return buf;
}

Test(audio, stereo_to_mono_averages)
{
	enum { FRAMES = 5000 };
	float *raw = malloc(FRAMES * 2 * 4), *got;
	struct audio_source src;
	struct audio_info info;
	SF_INFO si;
	int fd, out = tmpfd();
	size_t i;

	for (i = 0; i < FRAMES; i++) {
		raw[2 * i] = 0.5f;
		raw[2 * i + 1] = i < FRAMES / 2 ? -0.5f : 0.25f;
	}
	fd = make_bytes(raw, FRAMES * 2 * 4);
	src = raw_source(fd, 16000, 2, WAV_F32LE);
	to_wav_ok(&src, 0, 1, WAV_F32LE, out, &info);
	cr_assert_eq(info.channels, 1);
	cr_assert_eq(info.frames, FRAMES);
	got = read_all_float(out, &si);
	cr_assert_eq(si.channels, 1);
	for (i = 0; i < FRAMES; i++)
		cr_assert_eq(got[i], i < FRAMES / 2 ? 0.0f : 0.375f, "frame %zu: %g", i, got[i]);
	free(got);
	free(raw);
	close(fd);
	close(out);
}

Test(audio, mono_to_stereo_and_six_copy)
{
	enum { FRAMES = 3000 };
	float *raw = malloc(FRAMES * 4), *got;
	struct audio_source src;
	struct audio_info info;
	SF_INFO si;
	int fd, out = tmpfd(), c;
	size_t i;

	for (i = 0; i < FRAMES; i++)
		raw[i] = (float)((int)(i % 200) - 100) / 128.0f;
	fd = make_bytes(raw, FRAMES * 4);
	src = raw_source(fd, 8000, 1, WAV_F32LE);
	to_wav_ok(&src, 0, 2, WAV_F32LE, out, &info);
	cr_assert_eq(info.channels, 2);
	got = read_all_float(out, &si);
	for (i = 0; i < FRAMES; i++) {
		cr_assert_eq(got[2 * i], raw[i]);
		cr_assert_eq(got[2 * i + 1], raw[i]);
	}
	free(got);
	to_wav_ok(&src, 0, 6, WAV_F32LE, out, &info);
	got = read_all_float(out, &si);
	cr_assert_eq(si.channels, 6);
	for (i = 0; i < FRAMES; i++)
		for (c = 0; c < 6; c++)
			cr_assert_eq(got[6 * i + c], raw[i]);
	free(got);
	free(raw);
	close(fd);
	close(out);
}

Test(audio, stereo_to_six_cycles_and_six_to_stereo_averages)
{
	enum { FRAMES = 1000 };
	float *raw = malloc(FRAMES * 6 * 4), *got;
	struct audio_source src;
	struct audio_info info;
	SF_INFO si;
	int fd, out = tmpfd(), c;
	size_t i;

	/* Stereo L = 0.5, R = -0.25: upmixed channel i is source channel i % 2. */
	for (i = 0; i < FRAMES; i++) {
		raw[2 * i] = 0.5f;
		raw[2 * i + 1] = -0.25f;
	}
	fd = make_bytes(raw, FRAMES * 2 * 4);
	src = raw_source(fd, 8000, 2, WAV_F32LE);
	to_wav_ok(&src, 0, 6, WAV_F32LE, out, &info);
	got = read_all_float(out, &si);
	cr_assert_eq(si.channels, 6);
	cr_assert_eq(si.frames, FRAMES);
	for (i = 0; i < FRAMES; i++)
		for (c = 0; c < 6; c++)
			cr_assert_eq(got[6 * i + c], c % 2 ? -0.25f : 0.5f);
	free(got);
	close(fd);

	/* Six channels 0.1 .. 0.6 (as 1..6 / 8 to stay exact): both outputs get the mean. */
	for (i = 0; i < FRAMES; i++)
		for (c = 0; c < 6; c++)
			raw[6 * i + c] = (float)(c + 1) / 8.0f;
	fd = make_bytes(raw, FRAMES * 6 * 4);
	src = raw_source(fd, 8000, 6, WAV_F32LE);
	to_wav_ok(&src, 0, 2, WAV_F32LE, out, &info);
	got = read_all_float(out, &si);
	cr_assert_eq(si.channels, 2);
	for (i = 0; i < 2 * FRAMES; i++)
		cr_assert_float_eq(got[i], 21.0f / 48.0f, 1e-7, "%zu: %g", i, got[i]);
	free(got);
	free(raw);
	close(fd);
	close(out);
}

/* ---- resampling ---- */

/* Mean square and zero crossings of channel 0 over frames [from, to). */
static void
measure(const float *p, int ch, sf_count_t from, sf_count_t to, double *ms, int *zc)
{
	sf_count_t i;
	double sum = 0;

	*zc = 0;
	for (i = from; i < to; i++) {
		sum += (double)p[i * ch] * p[i * ch];
		if (i > from && (p[(i - 1) * ch] < 0) != (p[i * ch] < 0))
			(*zc)++;
	}
	*ms = sum / (double)(to - from);
}

static void
check_resample(int format, int in_rate, int in_ch, uint32_t out_rate, uint16_t out_ch,
               sf_count_t frames)
{
	struct audio_source src;
	struct audio_info info;
	SF_INFO si;
	float *got;
	double ms, want_frames = (double)frames * out_rate / in_rate, secs;
	int fd, out = tmpfd(), zc, expect_zc;
	sf_count_t edge;

	fd = make_sine(format, in_rate, in_ch, frames, 440, 0.5);
	src = file_source(fd);
	to_wav_ok(&src, out_rate, out_ch, WAV_F32LE, out, &info);
	cr_assert_eq(info.sample_rate, out_rate);
	cr_assert_eq(info.channels, out_ch);
	cr_assert(absdiff(info.frames, (uint64_t)(want_frames + 0.5)) <= 2,
	          "%d -> %u: %llu frames, want %.1f", in_rate, out_rate,
	          (unsigned long long)info.frames, want_frames);
	got = read_all_float(out, &si);
	/* Away from the filter's edges, a 440 Hz sine keeps its energy and its pitch. */
	edge = (sf_count_t)out_rate / 10;
	measure(got, out_ch, edge, si.frames - edge, &ms, &zc);
	/* Mono from channels at amp / (c + 1): the average of those amplitudes. */
	{
		double amp = 0;
		int c;

		for (c = 0; c < in_ch; c++)
			amp += 0.5 / (c + 1);
		amp = out_ch < in_ch ? amp / in_ch : 0.5;
		/* +-0.1 dB: 10^(0.01) = 1.0233 in power. */
		cr_assert(ms > amp * amp / 2 / 1.0233 && ms < amp * amp / 2 * 1.0233,
		          "%d -> %u: mean square %g, want %g", in_rate, out_rate, ms, amp * amp / 2);
	}
	secs = (double)(si.frames - 2 * edge) / out_rate;
	expect_zc = (int)(2 * 440 * secs + 0.5);
	cr_assert(zc >= expect_zc - 2 && zc <= expect_zc + 2, "%d zero crossings, want %d", zc,
	          expect_zc);
	free(got);
	close(fd);
	close(out);
}

Test(audio, resample_44100_to_16000_mono)
{
	check_resample(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1, 16000, 1, 3 * 44100 + 17);
}

Test(audio, resample_stereo_44100_to_16000_mono)
{
	check_resample(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 16000, 1, 2 * 44100);
}

Test(audio, resample_up_and_odd_ratios)
{
	check_resample(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 1, 48000, 2, 8000 * 2);
	check_resample(SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 48000, 2, 44100, 2, 48000);
	check_resample(SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 1, 16000, 1, 48000 * 2);
}

Test(audio, resample_extreme_ratios)
{
	/* 100 Hz to 768 kHz and back down: soxr is fed one bounded block at a time. */
	float raw[64];
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";
	int fd, out = tmpfd();
	size_t i;

	for (i = 0; i < 64; i++)
		raw[i] = 0.1f * (float)(i % 3);
	fd = make_bytes(raw, sizeof raw);
	src = raw_source(fd, 100, 1, WAV_F32LE);
	to_wav_ok(&src, 768000, 1, WAV_S16LE, out, &info);
	cr_assert(absdiff(info.frames, 64 * 7680) <= 2, "%llu", (unsigned long long)info.frames);
	close(fd);
	fd = make_bytes(raw, sizeof raw);
	src = raw_source(out, 768000, 1, WAV_S16LE);   /* the header read as samples: harmless */
	to_wav_ok(&src, 100, 1, WAV_S16LE, fd, &info);
	cr_assert(absdiff(info.frames, 64) <= 2, "%llu", (unsigned long long)info.frames);
	/* Past a ratio of 65536 libsoxr stalls (1 Hz to 530 kHz never returns): refused. */
	src = raw_source(fd, 1, 1, WAV_S16LE);
	cr_assert_eq(audio_to_wav(&src, 768000, 1, WAV_S16LE, out, &info, err, sizeof err),
	             AUDIO_UNSUPPORTED);
	cr_assert(strstr(err, "ratio") != NULL, "%s", err);
	src = raw_source(fd, 768000, 1, WAV_S16LE);
	cr_assert_eq(audio_to_wav(&src, 11, 1, WAV_S16LE, out, &info, err, sizeof err),
	             AUDIO_UNSUPPORTED);
	src = raw_source(fd, 768000, 1, WAV_S16LE);
	to_wav_ok(&src, 12, 1, WAV_S16LE, out, &info);
	close(fd);
	close(out);
}

/* ---- corrupt, truncated and empty inputs ---- */

static void
expect_unsupported(int fd, const char *what, const char *reason)
{
	struct audio_source src = file_source(fd);
	struct audio_info info;
	char err[256];
	enum audio_err rc;
	int out = tmpfd();

	memset(err, 0, sizeof err);
	rc = audio_probe(&src, &info, err, sizeof err);
	cr_assert_eq(rc, AUDIO_UNSUPPORTED, "%s: probe gave %d", what, rc);
	cr_assert_neq(err[0], '\0', "%s: no reason", what);
	if (reason != NULL)
		cr_assert(strstr(err, reason) != NULL, "%s: reason \"%s\"", what, err);
	memset(err, 0, sizeof err);
	rc = audio_to_wav(&src, 0, 0, WAV_S16LE, out, &info, err, sizeof err);
	cr_assert_eq(rc, AUDIO_UNSUPPORTED, "%s: audio_to_wav gave %d", what, rc);
	cr_assert_neq(err[0], '\0', "%s: no reason", what);
	close(out);
}

Test(audio, empty_file)
{
	int fd = tmpfd();

	expect_unsupported(fd, "empty", "empty");
	close(fd);
}

Test(audio, random_bytes)
{
	uint8_t buf[65536];
	uint32_t x = 42;
	size_t i;
	int fd;

	for (i = 0; i < sizeof buf; i++) {
		x = x * 1664525u + 1013904223u;
		buf[i] = (uint8_t)(x >> 24);
	}
	fd = make_bytes(buf, sizeof buf);
	expect_unsupported(fd, "random", NULL);
	close(fd);
	/* Text is not audio either. */
	fd = make_bytes("hello, this is not audio at all\n", 32);
	expect_unsupported(fd, "text", NULL);
	close(fd);
}

Test(audio, header_only_wav_has_no_frames)
{
	uint8_t h[WAV_HEADER_SIZE];
	struct wav_format f = {44100, 2, WAV_S16LE};
	int fd;

	cr_assert_eq(wav_header(h, &f, 0), 0);
	fd = make_bytes(h, sizeof h);
	expect_unsupported(fd, "header only", "no audio frames");
	close(fd);
}

Test(audio, truncated_flac_and_ogg)
{
	const struct {
		const char *name;
		int format;
		int rate;
		const char *reason;     /* NULL: libsndfile's own, which varies with the cut */
	} t[] = {
		{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, NULL},
		{"vorbis", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, "truncated"},
		{"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, "truncated"},
	};
	const double at[] = {0.5, 0.9, 0.97};
	size_t i, j;
	int fd, cfd;
	char what[64];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		fd = make_sine(t[i].format, t[i].rate, 2, 100000, 440, 0.5);
		for (j = 0; j < sizeof at / sizeof at[0]; j++) {
			cfd = cut(fd, (off_t)(fdsize(fd) * at[j]));
			snprintf(what, sizeof what, "%s cut at %g", t[i].name, at[j]);
			expect_unsupported(cfd, what, t[i].reason);
			close(cfd);
		}
		close(fd);
	}
}

/*
 * What libsndfile decodes as a prefix, documented: a WAV (or AIFF) cut short, whose data chunk
 * is clamped to the file (streamed WAVs declare placeholder sizes), and an MP3, whose length is
 * an estimate. Both give fewer frames than the original, and the WAV is not served as stored.
 */
Test(audio, truncated_wav_and_mp3_decode_a_prefix)
{
	struct audio_source src;
	struct audio_info info;
	int fd, cfd;
	char err[256] = "";

	fd = make_sine(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 100000, 440, 0.5);
	cfd = cut(fd, fdsize(fd) / 2);
	src = file_source(cfd);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_OK, "%s", err);
	cr_assert_lt(info.frames, 100000);
	cr_assert_eq(info.frames, (uint64_t)(fdsize(cfd) - 44) / 4);
	cr_assert_eq(info.is_wav_pcm, 0);
	close(cfd);
	close(fd);

	fd = make_sine(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, 2, 100000, 440, 0.5);
	cfd = cut(fd, fdsize(fd) / 2);
	src = file_source(cfd);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_OK, "%s", err);
	cr_assert_lt(info.frames, 60000);
	cr_assert_gt(info.frames, 40000);
	close(cfd);
	close(fd);
}

/* A streamed WAV (espeak-ng --stdout, sox to a pipe): placeholder sizes, decoded not served. */
Test(audio, streamed_wav_placeholder_sizes)
{
	struct wav_format f = {22050, 1, WAV_S16LE};
	uint8_t buf[WAV_HEADER_SIZE + 2000];
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";
	int fd, out = tmpfd();
	size_t i;

	cr_assert_eq(wav_header(buf, &f, 0x7ffff000), 0);
	buf[4] = 0x24; buf[5] = 0xf0; buf[6] = 0xff; buf[7] = 0x7f;
	for (i = WAV_HEADER_SIZE; i < sizeof buf; i++)
		buf[i] = (uint8_t)i;
	fd = make_bytes(buf, sizeof buf);
	src = file_source(fd);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_OK, "%s", err);
	cr_assert_eq(info.frames, 1000);
	cr_assert_eq(info.is_wav_pcm, 0);
	/* Decoded, it gets the true size and the same samples. */
	to_wav_ok(&src, 0, 0, WAV_S16LE, out, &info);
	cr_assert_eq(info.frames, 1000);
	check_s16_exact(fd, out, 1000);
	close(fd);
	close(out);
}

Test(audio, raw_format_checks)
{
	uint8_t buf[30] = {0};
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";
	int fd = make_bytes(buf, sizeof buf);

	/* 30 bytes are not whole 4-byte frames (stereo s16) nor 8-byte frames (stereo f32). */
	src = raw_source(fd, 8000, 2, WAV_S16LE);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_UNSUPPORTED);
	cr_assert(strstr(err, "whole number") != NULL, "%s", err);
	src = raw_source(fd, 8000, 1, WAV_S16LE);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_OK, "%s", err);
	cr_assert_eq(info.frames, 15);
	src = raw_source(fd, 0, 1, WAV_S16LE);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_UNSUPPORTED);
	src = raw_source(fd, 768001, 1, WAV_S16LE);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_UNSUPPORTED);
	src = raw_source(fd, 8000, 33, WAV_S16LE);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_UNSUPPORTED);
	close(fd);
	/* An empty raw upload has no frames. */
	fd = tmpfd();
	src = raw_source(fd, 8000, 1, WAV_F32LE);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_UNSUPPORTED);
	cr_assert_str_eq(err, "no audio frames");
	close(fd);
}

Test(audio, output_format_checks)
{
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";
	int fd = make_sine(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 100, 440, 0.5), out = tmpfd();

	src = file_source(fd);
	cr_assert_eq(audio_to_wav(&src, 768001, 0, WAV_S16LE, out, &info, err, sizeof err),
	             AUDIO_UNSUPPORTED);
	cr_assert_eq(audio_to_wav(&src, 0, 33, WAV_S16LE, out, &info, err, sizeof err),
	             AUDIO_UNSUPPORTED);
	cr_assert_eq(audio_to_wav(&src, 0, 0, (enum wav_sample)5, out, &info, err, sizeof err),
	             AUDIO_UNSUPPORTED);
	cr_assert(strstr(err, "out of range") != NULL, "%s", err);
	close(fd);
	close(out);
}

Test(audio, too_many_channels_for_a_wav)
{
	int fd = make_sine(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 8, 10, 440, 0.5);
	SF_INFO si;
	SNDFILE *sf;
	float buf[40 * 10] = {0};
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";

	close(fd);
	/* 40 channels: libsndfile reads them; no WAV of ours can hold them. */
	fd = tmpfd();
	memset(&si, 0, sizeof si);
	si.samplerate = 8000;
	si.channels = 40;
	si.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	sf = sf_open_fd(fd, SFM_WRITE, &si, SF_FALSE);
	cr_assert_not_null(sf);
	cr_assert_eq(sf_writef_float(sf, buf, 10), 10);
	sf_close(sf);
	src = file_source(fd);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_UNSUPPORTED);
	cr_assert(strstr(err, "40 channels") != NULL, "%s", err);
	close(fd);
}

/* ---- output: truncation, size limit, errors ---- */

Test(audio, output_is_truncated_to_its_size)
{
	char junk[200000];
	struct audio_source src;
	struct audio_info info;
	int fd = make_sine(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 1000, 440, 0.5);
	int out = tmpfd();

	memset(junk, 'x', sizeof junk);
	cr_assert_eq(write(out, junk, sizeof junk), (ssize_t)sizeof junk);
	src = file_source(fd);
	to_wav_ok(&src, 0, 0, WAV_S16LE, out, &info);
	cr_assert_eq(fdsize(out), 44 + 2000);
	close(fd);
	close(out);
}

Test(audio, output_size_limit)
{
	struct audio_out *o = calloc(1, sizeof *o);
	float f[4] = {0.1f, 0.2f, 0.3f, 0.4f};
	char err[256] = "";

	cr_assert_not_null(o);
	o->fd = -1;                 /* nothing reaches it: the buffer is not flushed */
	o->sample = WAV_S16LE;
	o->bytes = WAV_DATA_MAX - 4;
	cr_assert_eq(audio_out_frames(o, f, 2, 1, err, sizeof err), AUDIO_OK);
	cr_assert_eq(o->bytes, WAV_DATA_MAX);
	cr_assert_eq(audio_out_frames(o, f, 1, 1, err, sizeof err), AUDIO_TOO_LARGE);
	cr_assert(strstr(err, "exceed") != NULL, "%s", err);
	o->sample = WAV_F32LE;
	o->bytes = WAV_DATA_MAX - 7;
	cr_assert_eq(audio_out_frames(o, f, 2, 1, err, sizeof err), AUDIO_TOO_LARGE);
	cr_assert_eq(o->bytes, WAV_DATA_MAX - 7);
	free(o);
}

Test(audio, write_errors)
{
	struct audio_out *o = calloc(1, sizeof *o);
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";
	int fd;

	cr_assert_not_null(o);
	/* /dev/full: every write fails with ENOSPC, which is its own error. */
	o->fd = open("/dev/full", O_WRONLY);
	cr_assert(o->fd >= 0);
	o->used = 10;
	cr_assert_eq(audio_out_flush(o, err, sizeof err), AUDIO_NOSPC);
	cr_assert_eq(errno, ENOSPC);
	close(o->fd);
	/* A descriptor open for reading only: EBADF is an I/O error, errno kept. */
	fd = make_sine(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 100, 440, 0.5);
	o->fd = open("/dev/null", O_RDONLY);
	cr_assert_eq(audio_out_flush(o, err, sizeof err), AUDIO_IO);
	cr_assert_eq(errno, EBADF);
	src = file_source(fd);
	cr_assert_eq(audio_to_wav(&src, 0, 0, WAV_S16LE, o->fd, &info, err, sizeof err), AUDIO_IO);
	cr_assert_neq(err[0], '\0');
	close(o->fd);
	close(fd);
	free(o);
}

Test(audio, read_errors)
{
	struct audio_source src;
	struct audio_info info;
	char err[256] = "";
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	/* A directory: fstat works, pread fails with EISDIR. */
	cr_assert(fd >= 0);
	src = file_source(fd);
	errno = 0;
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_IO, "%s", err);
	cr_assert_eq(errno, EISDIR);
	cr_assert(strstr(err, "read") != NULL, "%s", err);
	close(fd);
	src = file_source(-1);
	cr_assert_eq(audio_probe(&src, &info, err, sizeof err), AUDIO_IO);
	cr_assert_eq(errno, EBADF);
}
