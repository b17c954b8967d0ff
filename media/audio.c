/* audio.c: audio files through libsndfile: probe, decode to WAV, resample (libsoxr), remix. */
#include "media/audio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sndfile.h>
#include <soxr.h>

#define AUDIO_BLOCK      4096            /* frames decoded, mixed or resampled at a time */
#define AUDIO_OUTBUF     65536           /* bytes of WAV data buffered before a pwrite */
#define AUDIO_IO_CHUNK   (1u << 30)      /* largest single pread/pwrite */
/* libsoxr 0.1.3 spins without output from a ratio of about 530000 (1 Hz to 530 kHz): cap it. */
#define AUDIO_RATIO_MAX  65536

/* The source: a descriptor read with pread at our own offset, so its file offset is untouched. */
struct audio_vio {
	int        fd;
	sf_count_t off;
	sf_count_t len;
	int        err;          /* errno of a failed pread, 0 if none */
};

/* A source being decoded: libsndfile's handle and one block of float frames. */
struct audio_dec {
	struct audio_vio vio;
	SF_VIRTUAL_IO    cb;
	SF_INFO          si;
	SNDFILE         *sf;
	float           *buf;    /* AUDIO_BLOCK * si.channels */
	uint64_t         frames; /* decoded so far */
};

/* The WAV being written: data goes after the header's room, the header comes last. */
struct audio_out {
	int             fd;
	enum wav_sample sample;
	uint64_t        bytes;   /* data bytes accepted (written and buffered) */
	uint64_t        off;     /* file offset of buf[0] */
	size_t          used;
	uint8_t         buf[AUDIO_OUTBUF];
};

static void
audio_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static sf_count_t
audio_vio_len(void *user)
{
	return ((struct audio_vio *)user)->len;
}

static sf_count_t
audio_vio_seek(sf_count_t offset, int whence, void *user)
{
	struct audio_vio *v = user;
	sf_count_t base;

	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = v->off; break;
	case SEEK_END: base = v->len; break;
	default: return -1;
	}
	/* Both are within [-2^63, 2^63): the sum overflows only when they have the same sign. */
	if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
		return -1;
	v->off = base + offset;
	return v->off;
}

static sf_count_t
audio_vio_read(void *ptr, sf_count_t count, void *user)
{
	struct audio_vio *v = user;
	sf_count_t done = 0;
	ssize_t n;
	size_t want;

	while (count > done && v->off < v->len) {
		want = (size_t)(count - done < AUDIO_IO_CHUNK ? count - done : AUDIO_IO_CHUNK);
		n = pread(v->fd, (char *)ptr + done, want, (off_t)v->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* libsndfile sees a short read; we report the errno once decoding stops. */
			v->err = errno;
			break;
		}
		if (n == 0)
			break;
		done += n;
		v->off += n;
	}
	return done;
}

static sf_count_t
audio_vio_write(const void *ptr, sf_count_t count, void *user)
{
	return 0;               /* opened for reading only */
}

static sf_count_t
audio_vio_tell(void *user)
{
	return ((struct audio_vio *)user)->off;
}

/* Host byte order, asked at run time so no macro decides it. */
static int
audio_host_big(void)
{
	const uint16_t one = 1;
	uint8_t b;

	memcpy(&b, &one, 1);
	return b == 0;
}

static void
audio_source_format(SNDFILE *sf, int format, char *out, size_t outsz)
{
	SF_FORMAT_INFO fi;
	size_t i;
	const char *name = NULL;

	switch (format & SF_FORMAT_TYPEMASK) {
	case SF_FORMAT_WAV:
	case SF_FORMAT_WAVEX: name = "wav"; break;
	case SF_FORMAT_AIFF:  name = "aiff"; break;
	case SF_FORMAT_FLAC:  name = "flac"; break;
	case SF_FORMAT_OGG:   name = "ogg"; break;
	case SF_FORMAT_MPEG:  name = "mp3"; break;
	case SF_FORMAT_RAW:   name = "pcm"; break;
	default: break;
	}
	if (name != NULL) {
		snprintf(out, outsz, "%s", name);
		return;
	}
	/* Any other container: libsndfile's usual file name extension ("au", "caf", "w64", ...). */
	memset(&fi, 0, sizeof fi);
	fi.format = format & SF_FORMAT_TYPEMASK;
	if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) != 0 || fi.extension == NULL ||
	    fi.extension[0] == '\0') {
		snprintf(out, outsz, "unknown");
		return;
	}
	snprintf(out, outsz, "%s", fi.extension);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
}

/*
 * The sample encoding, libsndfile's subtype in lower case. Samples stored as they are (PCM and
 * float wider than a byte) get the file's byte order, which libsndfile tells as "needs a swap
 * on this host"; FLAC's PCM subtypes are a bit depth inside a codec and get none.
 */
static void
audio_sample_format(SNDFILE *sf, int format, char *out, size_t outsz)
{
	static const struct {
		int         subtype;
		const char *name;
		int         ordered;
	} names[] = {
		{SF_FORMAT_PCM_S8, "pcm_s8", 0},       {SF_FORMAT_PCM_16, "pcm_s16", 1},
		{SF_FORMAT_PCM_24, "pcm_s24", 1},      {SF_FORMAT_PCM_32, "pcm_s32", 1},
		{SF_FORMAT_PCM_U8, "pcm_u8", 0},       {SF_FORMAT_FLOAT, "pcm_f32", 1},
		{SF_FORMAT_DOUBLE, "pcm_f64", 1},      {SF_FORMAT_ULAW, "ulaw", 0},
		{SF_FORMAT_ALAW, "alaw", 0},           {SF_FORMAT_IMA_ADPCM, "ima_adpcm", 0},
		{SF_FORMAT_MS_ADPCM, "ms_adpcm", 0},   {SF_FORMAT_GSM610, "gsm610", 0},
		{SF_FORMAT_VOX_ADPCM, "vox_adpcm", 0}, {SF_FORMAT_NMS_ADPCM_16, "nms_adpcm_16", 0},
		{SF_FORMAT_NMS_ADPCM_24, "nms_adpcm_24", 0},
		{SF_FORMAT_NMS_ADPCM_32, "nms_adpcm_32", 0},
		{SF_FORMAT_G721_32, "g721_32", 0},     {SF_FORMAT_G723_24, "g723_24", 0},
		{SF_FORMAT_G723_40, "g723_40", 0},     {SF_FORMAT_DWVW_12, "dwvw_12", 0},
		{SF_FORMAT_DWVW_16, "dwvw_16", 0},     {SF_FORMAT_DWVW_24, "dwvw_24", 0},
		{SF_FORMAT_DWVW_N, "dwvw_n", 0},       {SF_FORMAT_DPCM_8, "dpcm_8", 0},
		{SF_FORMAT_DPCM_16, "dpcm_16", 0},     {SF_FORMAT_VORBIS, "vorbis", 0},
		{SF_FORMAT_OPUS, "opus", 0},           {SF_FORMAT_ALAC_16, "alac_16", 0},
		{SF_FORMAT_ALAC_20, "alac_20", 0},     {SF_FORMAT_ALAC_24, "alac_24", 0},
		{SF_FORMAT_ALAC_32, "alac_32", 0},     {SF_FORMAT_MPEG_LAYER_I, "mpeg_layer_i", 0},
		{SF_FORMAT_MPEG_LAYER_II, "mpeg_layer_ii", 0},
		{SF_FORMAT_MPEG_LAYER_III, "mpeg_layer_iii", 0},
	};
	size_t i;
	int big;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].subtype != (format & SF_FORMAT_SUBMASK))
			continue;
		if (!names[i].ordered || (format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC) {
			snprintf(out, outsz, "%s", names[i].name);
			return;
		}
		big = audio_host_big() != (sf_command(sf, SFC_RAW_DATA_NEEDS_ENDSWAP, NULL, 0) != 0);
		snprintf(out, outsz, "%s%s", names[i].name, big ? "be" : "le");
		return;
	}
	snprintf(out, outsz, "unknown");
}

/*
 * Browsers play a RIFF/WAVE file of 16-bit PCM or 32-bit float as it is, provided its data
 * chunk says how long it really is: streamed WAVs (espeak-ng --stdout, sox to a pipe) carry a
 * placeholder size such as 0x7ffff000, which libsndfile clamps to the file but a browser takes
 * for the duration. Those and RIFX (big-endian) are decoded instead. WAVE_FORMAT_EXTENSIBLE,
 * which writers use for more than two channels, plays as it is in Chromium and Firefox.
 */
static int
audio_is_wav_pcm(SNDFILE *sf, const SF_INFO *si, uint64_t frames)
{
	SF_CHUNK_INFO q, ci;
	SF_CHUNK_ITERATOR *it;
	uint64_t bytes;
	int sub = si->format & SF_FORMAT_SUBMASK;

	if ((si->format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAV &&
	    (si->format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAVEX)
		return 0;
	if (sub != SF_FORMAT_PCM_16 && sub != SF_FORMAT_FLOAT)
		return 0;
	if (audio_host_big() != (sf_command(sf, SFC_RAW_DATA_NEEDS_ENDSWAP, NULL, 0) != 0))
		return 0;
	memset(&q, 0, sizeof q);
	memcpy(q.id, "data", 4);
	q.id_size = 4;
	if ((it = sf_get_chunk_iterator(sf, &q)) == NULL)
		return 0;
	memset(&ci, 0, sizeof ci);
	if (sf_get_chunk_size(it, &ci) != SF_ERR_NO_ERROR)
		return 0;
	/* A second data chunk would be ignored by one reader and not by another. */
	if (sf_next_chunk_iterator(it) != NULL)
		return 0;
	bytes = frames * (uint64_t)si->channels * (sub == SF_FORMAT_FLOAT ? 4 : 2);
	return ci.datalen == bytes;
}

/* The properties a decoded source reports: the format names and the counted frames. */
static void
audio_dec_info(const struct audio_dec *d, struct audio_info *info)
{
	memset(info, 0, sizeof *info);
	info->sample_rate = (uint32_t)d->si.samplerate;
	info->channels = (uint16_t)d->si.channels;
	info->frames = d->frames;
	info->duration_s = (double)d->frames / (double)d->si.samplerate;
	audio_source_format(d->sf, d->si.format, info->source_format, sizeof info->source_format);
	audio_sample_format(d->sf, d->si.format, info->sample_format, sizeof info->sample_format);
	info->is_wav_pcm = audio_is_wav_pcm(d->sf, &d->si, d->frames);
}

static void
audio_dec_close(struct audio_dec *d)
{
	if (d->sf != NULL)
		sf_close(d->sf);
	free(d->buf);
	d->sf = NULL;
	d->buf = NULL;
}

static enum audio_err
audio_dec_open(struct audio_dec *d, const struct audio_source *src, char *err, size_t errsz)
{
	struct stat st;
	struct wav_format rf;
	uint8_t hdr[WAV_HEADER_SIZE];

	memset(d, 0, sizeof *d);
	d->vio.fd = src->fd;
	if (fstat(src->fd, &st) != 0) {
		audio_seterr(err, errsz, "fstat: %s", strerror(errno));
		return AUDIO_IO;
	}
	d->vio.len = st.st_size;
	if (src->raw) {
		rf = src->raw_format;
		/* wav_header checks the rate, channel and sample bounds for us. */
		if (wav_header(hdr, &rf, 0) != 0) {
			audio_seterr(err, errsz, "raw PCM format out of range (rate %u Hz, %u channels)",
			             (unsigned)rf.sample_rate, (unsigned)rf.channels);
			return AUDIO_UNSUPPORTED;
		}
		if ((uint64_t)st.st_size % wav_block_align(&rf) != 0) {
			audio_seterr(err, errsz, "raw PCM of %lld bytes is not a whole number of "
			             "%u-byte frames", (long long)st.st_size,
			             (unsigned)wav_block_align(&rf));
			return AUDIO_UNSUPPORTED;
		}
		d->si.samplerate = (int)rf.sample_rate;
		d->si.channels = rf.channels;
		d->si.format = SF_FORMAT_RAW | SF_ENDIAN_LITTLE |
		               (rf.sample == WAV_F32LE ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
	} else if (st.st_size == 0) {
		audio_seterr(err, errsz, "empty file");
		return AUDIO_UNSUPPORTED;
	}
	d->cb.get_filelen = audio_vio_len;
	d->cb.seek = audio_vio_seek;
	d->cb.read = audio_vio_read;
	d->cb.write = audio_vio_write;
	d->cb.tell = audio_vio_tell;
	d->sf = sf_open_virtual(&d->cb, SFM_READ, &d->si, &d->vio);
	if (d->sf == NULL) {
		if (d->vio.err != 0) {
			errno = d->vio.err;
			audio_seterr(err, errsz, "read: %s", strerror(d->vio.err));
			return AUDIO_IO;
		}
		audio_seterr(err, errsz, "%s", sf_strerror(NULL));
		return AUDIO_UNSUPPORTED;
	}
	/* Everything we make of it is a WAV: refuse what no WAV header can describe. */
	if (d->si.channels < 1 || d->si.channels > 32) {
		audio_seterr(err, errsz, "%d channels: at most 32 are supported", d->si.channels);
		goto unsupported;
	}
	if (d->si.samplerate < 1 || d->si.samplerate > 768000) {
		audio_seterr(err, errsz, "sample rate %d Hz is outside 1..768000",
		             d->si.samplerate);
		goto unsupported;
	}
	d->buf = malloc((size_t)AUDIO_BLOCK * (size_t)d->si.channels * sizeof(float));
	if (d->buf == NULL) {
		audio_seterr(err, errsz, "out of memory");
		audio_dec_close(d);
		return AUDIO_INTERNAL;
	}
	return AUDIO_OK;
unsupported:
	audio_dec_close(d);
	return AUDIO_UNSUPPORTED;
}

/* The next block of float frames into d->buf: *n is 0 at the end of the stream. */
static enum audio_err
audio_dec_read(struct audio_dec *d, size_t *n, char *err, size_t errsz)
{
	sf_count_t got;

	got = sf_readf_float(d->sf, d->buf, AUDIO_BLOCK);
	if (d->vio.err != 0) {
		errno = d->vio.err;
		audio_seterr(err, errsz, "read: %s", strerror(d->vio.err));
		return AUDIO_IO;
	}
	if (got < 0 || got > AUDIO_BLOCK)
		got = 0;
	d->frames += (uint64_t)got;
	*n = (size_t)got;
	return AUDIO_OK;
}

/*
 * After the last block: was that the whole stream? libsndfile reports few decoding errors
 * (sf_error), and a truncated FLAC or Ogg just ends early, so the count is held against what the
 * headers promised. MP3 is left out: libsndfile's count for it is an estimate (from a Xing
 * header or the bit rate), so a truncated MP3 decodes as its prefix. WAV and AIFF are checked by
 * libsndfile, which clamps a data chunk longer than the file to the file (streamed WAVs declare
 * placeholder sizes), so a truncated one also decodes as its prefix.
 */
static enum audio_err
audio_dec_finish(struct audio_dec *d, char *err, size_t errsz)
{
	int major = d->si.format & SF_FORMAT_TYPEMASK;

	if (sf_error(d->sf) != SF_ERR_NO_ERROR) {
		audio_seterr(err, errsz, "%s", sf_strerror(d->sf));
		return AUDIO_UNSUPPORTED;
	}
	/* An Ogg stream whose last page libsndfile cannot find was cut inside a page. */
	if (major == SF_FORMAT_OGG && d->si.frames == SF_COUNT_MAX) {
		audio_seterr(err, errsz, "truncated Ogg stream: no complete last page");
		return AUDIO_UNSUPPORTED;
	}
	if (major != SF_FORMAT_MPEG && d->si.frames > 0 && d->si.frames != SF_COUNT_MAX &&
	    d->frames < (uint64_t)d->si.frames) {
		audio_seterr(err, errsz, "truncated or corrupt: the header promises %lld frames, "
		             "%llu decoded", (long long)d->si.frames,
		             (unsigned long long)d->frames);
		return AUDIO_UNSUPPORTED;
	}
	/* A header and no samples: nothing to play, and nothing a client would want stored. */
	if (d->frames == 0) {
		audio_seterr(err, errsz, "no audio frames");
		return AUDIO_UNSUPPORTED;
	}
	return AUDIO_OK;
}

enum audio_err
audio_open_check(const struct audio_source *src, unsigned cpu_seconds, char *err, size_t errsz)
{
	struct rlimit cpu = {cpu_seconds, cpu_seconds + 1};
	struct audio_dec d;
	char why[256] = "";
	size_t got = 0;
	ssize_t n;
	int status, fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		audio_seterr(err, errsz, "pipe: %s", strerror(errno));
		return AUDIO_INTERNAL;
	}
	if ((pid = fork()) < 0) {
		audio_seterr(err, errsz, "cannot fork to open the audio: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return AUDIO_INTERNAL;
	}
	if (pid == 0) {
		/* The child only opens, and says why it could not. _exit: no atexit, no stdio. */
		close(fds[0]);
		setrlimit(RLIMIT_CPU, &cpu);
		if (audio_dec_open(&d, src, why, sizeof why) == AUDIO_OK) {
			audio_dec_close(&d);
			_exit(0);
		}
		if (write(fds[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(1);
	}
	close(fds[1]);
	while (got < sizeof why - 1 && ((n = read(fds[0], why + got, sizeof why - 1 - got)) > 0 ||
	                                (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	why[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			audio_seterr(err, errsz, "waitpid: %s", strerror(errno));
			return AUDIO_INTERNAL;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return AUDIO_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		audio_seterr(err, errsz, "%s", why[0] ? why : "libsndfile cannot open it");
	else
		audio_seterr(err, errsz, "opening the file did not finish within %u s of CPU time "
		             "(a malformed header)", cpu_seconds);
	return AUDIO_UNSUPPORTED;
}

enum audio_err
audio_probe(const struct audio_source *src, struct audio_info *info, char *err, size_t errsz)
{
	struct audio_dec d;
	enum audio_err rc;
	size_t n;
	int saved = 0;

	if ((rc = audio_dec_open(&d, src, err, errsz)) != AUDIO_OK)
		return rc;
	do {
		if ((rc = audio_dec_read(&d, &n, err, errsz)) != AUDIO_OK)
			goto out;
	} while (n > 0);
	if ((rc = audio_dec_finish(&d, err, errsz)) != AUDIO_OK)
		goto out;
	audio_dec_info(&d, info);
out:
	saved = errno;
	audio_dec_close(&d);
	errno = saved;
	return rc;
}

/*
 * Remix n frames of ic channels into oc channels: a downmix averages all source channels into
 * every output channel; an upmix gives output channel i source channel i % ic.
 */
static void
audio_remix(const float *in, uint16_t ic, float *out, uint16_t oc, size_t n)
{
	size_t f;
	uint16_t c;
	float sum;

	for (f = 0; f < n; f++, in += ic, out += oc) {
		if (oc < ic) {
			sum = 0.0f;
			for (c = 0; c < ic; c++)
				sum += in[c];
			sum /= (float)ic;
			for (c = 0; c < oc; c++)
				out[c] = sum;
		} else {
			for (c = 0; c < oc; c++)
				out[c] = in[c % ic];
		}
	}
}

/*
 * Float to 16-bit: scaled by 32768, the inverse of libsndfile's 16-bit to float (x / 32768), so
 * 16-bit sources (WAV, FLAC, raw) come back bit-exact; rounded half away from zero, in double
 * where every step is exact, then clamped to [-32768, 32767]; NaN gives 0. No libm, no dither:
 * the same input gives the same bytes.
 */
static int16_t
audio_f2s16(float v)
{
	double d = (double)v * 32768.0;

	if (d != d)
		return 0;
	if (d <= -32768.0)
		return -32768;
	if (d >= 32767.0)
		return 32767;
	return (int16_t)(d < 0 ? d - 0.5 : d + 0.5);
}

static enum audio_err
audio_out_flush(struct audio_out *o, char *err, size_t errsz)
{
	size_t done = 0;
	ssize_t n;

	while (done < o->used) {
		n = pwrite(o->fd, o->buf + done, o->used - done, (off_t)(o->off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			audio_seterr(err, errsz, "write: %s", strerror(errno));
			return errno == ENOSPC || errno == EDQUOT ? AUDIO_NOSPC : AUDIO_IO;
		}
		done += (size_t)n;
	}
	o->off += o->used;
	o->used = 0;
	return AUDIO_OK;
}

/* Append n frames of ch channels, converted to the output sample format, little-endian. */
static enum audio_err
audio_out_frames(struct audio_out *o, const float *p, size_t n, uint16_t ch, char *err,
                 size_t errsz)
{
	size_t i, count = n * ch;
	size_t ss = o->sample == WAV_F32LE ? 4 : 2;
	enum audio_err rc;
	uint32_t u;
	uint16_t s;

	if ((uint64_t)count * ss > WAV_DATA_MAX - o->bytes) {
		audio_seterr(err, errsz, "the WAV would exceed %llu data bytes",
		             (unsigned long long)WAV_DATA_MAX);
		return AUDIO_TOO_LARGE;
	}
	for (i = 0; i < count; i++) {
		if (o->used + ss > sizeof o->buf &&
		    (rc = audio_out_flush(o, err, errsz)) != AUDIO_OK)
			return rc;
		if (ss == 4) {
			memcpy(&u, &p[i], 4);
			o->buf[o->used++] = (uint8_t)(u & 0xff);
			o->buf[o->used++] = (uint8_t)((u >> 8) & 0xff);
			o->buf[o->used++] = (uint8_t)((u >> 16) & 0xff);
			o->buf[o->used++] = (uint8_t)(u >> 24);
		} else {
			s = (uint16_t)audio_f2s16(p[i]);
			o->buf[o->used++] = (uint8_t)(s & 0xff);
			o->buf[o->used++] = (uint8_t)(s >> 8);
		}
	}
	o->bytes += (uint64_t)count * ss;
	return AUDIO_OK;
}

/* The pipeline after the decoder: optional resampler, then an upmix when adding channels. */
struct audio_conv {
	soxr_t    soxr;          /* NULL: same rate */
	uint16_t  mc;            /* channels through the resampler: min(source, output) */
	uint16_t  oc;
	float    *sbuf;          /* AUDIO_BLOCK * mc, the resampler's output */
	float    *ubuf;          /* AUDIO_BLOCK * oc, remixed frames */
	uint64_t  frames;        /* output frames */
};

static enum audio_err
audio_conv_emit(struct audio_conv *cv, struct audio_out *o, const float *p, size_t n,
                char *err, size_t errsz)
{
	if (cv->oc > cv->mc) {
		audio_remix(p, cv->mc, cv->ubuf, cv->oc, n);
		p = cv->ubuf;
	}
	cv->frames += n;
	return audio_out_frames(o, p, n, cv->oc, err, errsz);
}

/* Push n frames of mc channels (in NULL: end of input, flush the resampler). */
static enum audio_err
audio_conv_push(struct audio_conv *cv, struct audio_out *o, const float *in, size_t n,
                char *err, size_t errsz)
{
	soxr_error_t se;
	size_t idone, odone;
	enum audio_err rc;

	if (cv->soxr == NULL)
		return in == NULL ? AUDIO_OK : audio_conv_emit(cv, o, in, n, err, errsz);
	/*
	 * soxr takes no more input than its output room needs, so with a bounded output buffer it is
	 * fed the same block until consumed; a flush is repeated until it has nothing left.
	 */
	for (;;) {
		idone = odone = 0;
		se = soxr_process(cv->soxr, in, n, in == NULL ? NULL : &idone, cv->sbuf, AUDIO_BLOCK,
		                  &odone);
		if (se != NULL) {
			audio_seterr(err, errsz, "libsoxr: %s", soxr_strerror(se));
			return AUDIO_INTERNAL;
		}
		if (odone > 0 && (rc = audio_conv_emit(cv, o, cv->sbuf, odone, err, errsz)) != AUDIO_OK)
			return rc;
		if (in == NULL) {
			if (odone == 0)
				return AUDIO_OK;
			continue;
		}
		if (idone > n)
			idone = n;
		in += idone * cv->mc;
		n -= idone;
		if (n == 0)
			return AUDIO_OK;
		if (idone == 0 && odone == 0) {
			audio_seterr(err, errsz, "libsoxr made no progress");
			return AUDIO_INTERNAL;
		}
	}
}

enum audio_err
audio_to_wav(const struct audio_source *src, uint32_t sample_rate, uint16_t channels,
             enum wav_sample out_sample, int out_fd, struct audio_info *info, char *err,
             size_t errsz)
{
	struct audio_dec d;
	struct audio_conv cv;
	struct audio_out *o = NULL;
	struct wav_format wf;
	soxr_io_spec_t io;
	soxr_quality_spec_t q;
	soxr_error_t se = NULL;
	uint8_t hdr[WAV_HEADER_SIZE];
	float *mbuf = NULL;
	const float *p;
	enum audio_err rc;
	uint16_t ic;
	size_t n;
	ssize_t w;
	int saved;

	memset(&cv, 0, sizeof cv);
	if ((rc = audio_dec_open(&d, src, err, errsz)) != AUDIO_OK)
		return rc;
	ic = (uint16_t)d.si.channels;
	wf.sample_rate = sample_rate != 0 ? sample_rate : (uint32_t)d.si.samplerate;
	wf.channels = channels != 0 ? channels : ic;
	wf.sample = out_sample;
	if (wav_header(hdr, &wf, 0) != 0) {
		audio_seterr(err, errsz, "output format out of range (rate %u Hz, %u channels)",
		             (unsigned)wf.sample_rate, (unsigned)wf.channels);
		rc = AUDIO_UNSUPPORTED;
		goto out;
	}
	if ((uint64_t)wf.sample_rate > (uint64_t)d.si.samplerate * AUDIO_RATIO_MAX ||
	    (uint64_t)d.si.samplerate > (uint64_t)wf.sample_rate * AUDIO_RATIO_MAX) {
		audio_seterr(err, errsz, "resampling %d Hz to %u Hz: the ratio exceeds %d",
		             d.si.samplerate, (unsigned)wf.sample_rate, AUDIO_RATIO_MAX);
		rc = AUDIO_UNSUPPORTED;
		goto out;
	}
	/* Fewer channels: mix down before resampling; more: resample, then copy. Less work. */
	cv.oc = wf.channels;
	cv.mc = ic < wf.channels ? ic : wf.channels;
	o = malloc(sizeof *o);
	cv.sbuf = malloc((size_t)AUDIO_BLOCK * cv.mc * sizeof(float));
	cv.ubuf = malloc((size_t)AUDIO_BLOCK * cv.oc * sizeof(float));
	mbuf = malloc((size_t)AUDIO_BLOCK * cv.mc * sizeof(float));
	if (o == NULL || cv.sbuf == NULL || cv.ubuf == NULL || mbuf == NULL) {
		audio_seterr(err, errsz, "out of memory");
		rc = AUDIO_INTERNAL;
		goto out;
	}
	if (wf.sample_rate != (uint32_t)d.si.samplerate) {
		io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
		q = soxr_quality_spec(SOXR_HQ, 0);
		cv.soxr = soxr_create((double)d.si.samplerate, (double)wf.sample_rate, cv.mc, &se,
		                      &io, &q, NULL);
		if (cv.soxr == NULL || se != NULL) {
			audio_seterr(err, errsz, "libsoxr: %s", se != NULL ? se : "soxr_create failed");
			rc = AUDIO_INTERNAL;
			goto out;
		}
	}
	memset(o, 0, offsetof(struct audio_out, buf));
	o->fd = out_fd;
	o->sample = out_sample;
	o->off = WAV_HEADER_SIZE;
	if (ftruncate(out_fd, 0) != 0) {
		audio_seterr(err, errsz, "ftruncate: %s", strerror(errno));
		rc = AUDIO_IO;
		goto out;
	}
	for (;;) {
		if ((rc = audio_dec_read(&d, &n, err, errsz)) != AUDIO_OK)
			goto out;
		if (n == 0)
			break;
		p = d.buf;
		if (cv.mc < ic) {
			audio_remix(d.buf, ic, mbuf, cv.mc, n);
			p = mbuf;
		}
		if ((rc = audio_conv_push(&cv, o, p, n, err, errsz)) != AUDIO_OK)
			goto out;
	}
	if ((rc = audio_dec_finish(&d, err, errsz)) != AUDIO_OK)
		goto out;
	if ((rc = audio_conv_push(&cv, o, NULL, 0, err, errsz)) != AUDIO_OK)
		goto out;
	if ((rc = audio_out_flush(o, err, errsz)) != AUDIO_OK)
		goto out;
	/* The data size is known only now: the header goes in last (one pass over the source). */
	if (wav_header(hdr, &wf, o->bytes) != 0) {
		audio_seterr(err, errsz, "the WAV would exceed %llu data bytes",
		             (unsigned long long)WAV_DATA_MAX);
		rc = AUDIO_TOO_LARGE;
		goto out;
	}
	do
		w = pwrite(out_fd, hdr, sizeof hdr, 0);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof hdr) {
		if (w >= 0)
			errno = EIO;
		audio_seterr(err, errsz, "write: %s", strerror(errno));
		rc = errno == ENOSPC || errno == EDQUOT ? AUDIO_NOSPC : AUDIO_IO;
		goto out;
	}
	if (ftruncate(out_fd, (off_t)(WAV_HEADER_SIZE + o->bytes)) != 0) {
		audio_seterr(err, errsz, "ftruncate: %s", strerror(errno));
		rc = AUDIO_IO;
		goto out;
	}
	if (info != NULL) {
		memset(info, 0, sizeof *info);
		info->sample_rate = wf.sample_rate;
		info->channels = wf.channels;
		info->frames = cv.frames;
		info->duration_s = (double)cv.frames / (double)wf.sample_rate;
		snprintf(info->source_format, sizeof info->source_format, "wav");
		snprintf(info->sample_format, sizeof info->sample_format, "%s",
		         wav_sample_name(out_sample));
		info->is_wav_pcm = 1;
	}
	rc = AUDIO_OK;
out:
	saved = errno;
	if (cv.soxr != NULL)
		soxr_delete(cv.soxr);
	free(cv.sbuf);
	free(cv.ubuf);
	free(mbuf);
	free(o);
	audio_dec_close(&d);
	errno = saved;
	return rc;
}
