/* test_wav.c: the 44-byte WAV header, byte by byte and through an independent reader. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#include "media/wav.h"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Every field of the canonical header at its offset (WAVE Form Type, "fmt " and "data"). */
static void
check_header(uint32_t rate, uint16_t ch, enum wav_sample s, uint64_t data)
{
	struct wav_format f = {rate, ch, s};
	uint8_t h[WAV_HEADER_SIZE];
	uint16_t bytes = s == WAV_F32LE ? 4 : 2;

	memset(h, 0xAA, sizeof h);
	cr_assert_eq(wav_header(h, &f, data), 0, "rate %u ch %u", rate, ch);
	cr_assert_eq(memcmp(h + 0, "RIFF", 4), 0);
	cr_assert_eq(le32(h + 4), (uint32_t)(36 + data));
	cr_assert_eq(memcmp(h + 8, "WAVE", 4), 0);
	cr_assert_eq(memcmp(h + 12, "fmt ", 4), 0);
	cr_assert_eq(le32(h + 16), 16);
	cr_assert_eq(le16(h + 20), s == WAV_F32LE ? 3 : 1);
	cr_assert_eq(le16(h + 22), ch);
	cr_assert_eq(le32(h + 24), rate);
	cr_assert_eq(le32(h + 28), rate * ch * bytes, "byte rate %u", le32(h + 28));
	cr_assert_eq(le16(h + 32), ch * bytes);
	cr_assert_eq(le16(h + 34), 8 * bytes);
	cr_assert_eq(memcmp(h + 36, "data", 4), 0);
	cr_assert_eq(le32(h + 40), (uint32_t)data);
	cr_assert_eq(wav_block_align(&f), (uint32_t)ch * bytes);
}

Test(wav, header_fields_s16)
{
	check_header(44100, 1, WAV_S16LE, 88200);
	check_header(48000, 2, WAV_S16LE, 4 * 48000);
	check_header(16000, 6, WAV_S16LE, 12 * 1000);
}

Test(wav, header_fields_f32)
{
	check_header(44100, 1, WAV_F32LE, 4 * 44100);
	check_header(48000, 2, WAV_F32LE, 8 * 3);
	check_header(96000, 6, WAV_F32LE, 24 * 96000);
}

/* The exact bytes of one header, as a hex dump would show them. */
Test(wav, header_bytes_stereo_s16)
{
	static const uint8_t want[WAV_HEADER_SIZE] = {
		'R', 'I', 'F', 'F', 0x34, 0x00, 0x00, 0x00, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00,
		0x44, 0xac, 0x00, 0x00, 0x10, 0xb1, 0x02, 0x00, 0x04, 0x00, 0x10, 0x00,
		'd', 'a', 't', 'a', 0x10, 0x00, 0x00, 0x00,
	};
	struct wav_format f = {44100, 2, WAV_S16LE};
	uint8_t h[WAV_HEADER_SIZE];

	cr_assert_eq(wav_header(h, &f, 16), 0);
	cr_assert_eq(memcmp(h, want, sizeof want), 0);
}

Test(wav, header_bounds)
{
	struct wav_format f = {768000, 32, WAV_F32LE};
	uint8_t h[WAV_HEADER_SIZE];

	/* The largest everything: the byte rate still fits 32 bits. */
	cr_assert_eq(wav_header(h, &f, WAV_DATA_MAX), 0);
	cr_assert_eq(le32(h + 4), UINT32_MAX);
	cr_assert_eq(le32(h + 28), 768000u * 32 * 4);
	cr_assert_eq(le16(h + 32), 128);
	cr_assert_eq(le32(h + 40), UINT32_MAX - 36);
	cr_assert_eq(wav_header(h, &f, WAV_DATA_MAX + 1), -1);
	cr_assert_eq(wav_header(h, &f, UINT64_MAX), -1);

	f = (struct wav_format){1, 1, WAV_S16LE};
	cr_assert_eq(wav_header(h, &f, 0), 0);
	cr_assert_eq(le32(h + 4), 36);
	cr_assert_eq(le32(h + 40), 0);
}

Test(wav, header_rejects)
{
	uint8_t h[WAV_HEADER_SIZE], before[WAV_HEADER_SIZE];
	struct wav_format bad[] = {
		{0, 1, WAV_S16LE},
		{768001, 1, WAV_S16LE},
		{UINT32_MAX, 2, WAV_F32LE},
		{44100, 0, WAV_S16LE},
		{44100, 33, WAV_S16LE},
		{44100, UINT16_MAX, WAV_F32LE},
		{44100, 2, (enum wav_sample)2},
		{44100, 2, (enum wav_sample)-1},
	};
	size_t i;

	memset(h, 0x5A, sizeof h);
	memcpy(before, h, sizeof h);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(wav_header(h, &bad[i], 0), -1, "case %zu", i);
	/* A refused header writes nothing. */
	cr_assert_eq(memcmp(h, before, sizeof h), 0);
}

Test(wav, sample_names)
{
	enum wav_sample s;
	static const char *bad[] = {
		"", "pcm_s16", "pcm_s16be", "PCM_S16LE", "pcm_f32be", "pcm_f64le", "pcm_s16le ",
		" pcm_f32", "pcm_f32le\n", "pcm_u8", "s16le", "f32",
	};
	size_t i;

	s = WAV_F32LE;
	cr_assert_eq(wav_sample_parse("pcm_s16le", &s), 0);
	cr_assert_eq(s, WAV_S16LE);
	s = WAV_S16LE;
	cr_assert_eq(wav_sample_parse("pcm_f32le", &s), 0);
	cr_assert_eq(s, WAV_F32LE);
	s = WAV_S16LE;
	cr_assert_eq(wav_sample_parse("pcm_f32", &s), 0);
	cr_assert_eq(s, WAV_F32LE);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = WAV_S16LE;
		cr_assert_eq(wav_sample_parse(bad[i], &s), -1, "\"%s\"", bad[i]);
		cr_assert_eq(s, WAV_S16LE, "\"%s\" changed the output", bad[i]);
	}
	cr_assert_eq(wav_sample_parse(NULL, &s), -1);
	cr_assert_str_eq(wav_sample_name(WAV_S16LE), "pcm_s16le");
	cr_assert_str_eq(wav_sample_name(WAV_F32LE), "pcm_f32le");
	cr_assert_null(wav_sample_name((enum wav_sample)9));
	/* Names round-trip. */
	cr_assert_eq(wav_sample_parse(wav_sample_name(WAV_F32LE), &s), 0);
	cr_assert_eq(s, WAV_F32LE);
}

/*
 * An independent reader: libsndfile opens our header followed by PCM and reports the same rate,
 * channels, frames and subtype, and reads back the same samples.
 */
static void
check_with_libsndfile(uint32_t rate, uint16_t ch, enum wav_sample s, uint32_t frames)
{
	struct wav_format f = {rate, ch, s};
	uint8_t h[WAV_HEADER_SIZE];
	size_t n = (size_t)frames * ch, i;
	size_t bytes = n * (s == WAV_F32LE ? 4 : 2);
	int16_t *s16 = calloc(n, sizeof *s16), *r16 = calloc(n, sizeof *r16);
	float *f32 = calloc(n, sizeof *f32), *r32 = calloc(n, sizeof *r32);
	char path[] = "/tmp/test_wav_XXXXXX";
	SF_INFO si;
	SNDFILE *sf;
	int fd;

	cr_assert(s16 && r16 && f32 && r32);
	for (i = 0; i < n; i++) {
		s16[i] = (int16_t)(uint16_t)(i * 2654435761u >> 16);    /* every bit pattern */
		f32[i] = (float)((int)(i % 2001) - 1000) / 1000.0f;
	}
	cr_assert_eq(wav_header(h, &f, bytes), 0);
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	unlink(path);
	cr_assert_eq(write(fd, h, sizeof h), (ssize_t)sizeof h);
	/* This host is little-endian, as the test of the header bytes above shows for RIFF. */
	cr_assert_eq(write(fd, s == WAV_F32LE ? (void *)f32 : (void *)s16, bytes), (ssize_t)bytes);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	memset(&si, 0, sizeof si);
	sf = sf_open_fd(fd, SFM_READ, &si, SF_TRUE);
	cr_assert_not_null(sf, "libsndfile: %s", sf_strerror(NULL));
	cr_assert_eq(si.samplerate, (int)rate);
	cr_assert_eq(si.channels, ch);
	cr_assert_eq(si.frames, frames);
	cr_assert_eq(si.format, SF_FORMAT_WAV | (s == WAV_F32LE ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16),
	             "format %#x", si.format);
	if (s == WAV_F32LE) {
		cr_assert_eq(sf_readf_float(sf, r32, frames), frames);
		cr_assert_eq(memcmp(r32, f32, n * 4), 0);
	} else {
		cr_assert_eq(sf_readf_short(sf, r16, frames), frames);
		cr_assert_eq(memcmp(r16, s16, n * 2), 0);
	}
	cr_assert_eq(sf_error(sf), 0);
	sf_close(sf);
	free(s16);
	free(r16);
	free(f32);
	free(r32);
}

Test(wav, libsndfile_reads_our_header)
{
	const uint16_t chans[] = {1, 2, 6, 32};
	size_t i;

	for (i = 0; i < sizeof chans / sizeof chans[0]; i++) {
		check_with_libsndfile(44100, chans[i], WAV_S16LE, 1000);
		check_with_libsndfile(48000, chans[i], WAV_F32LE, 777);
	}
	check_with_libsndfile(1, 1, WAV_S16LE, 3);
	check_with_libsndfile(768000, 2, WAV_F32LE, 5);
}

Test(wav, host_is_little_endian)
{
	/* The raw sample buffers above are written as the host stores them. */
	const uint16_t one = 1;
	uint8_t b;

	memcpy(&b, &one, 1);
	cr_assert_eq(b, 1);
}
