/* wav.c: the canonical 44-byte RIFF/WAVE header for PCM, and PCM sample format names. */
#include "media/wav.h"

#include <string.h>

#define WAV_RATE_MAX     768000
#define WAV_CHANNELS_MAX 32

/* WAVE format tags (RFC 2361 appendix A: WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT). */
#define WAV_TAG_PCM   1
#define WAV_TAG_FLOAT 3

static void
wav_put16(uint8_t *p, uint16_t v)
{
	/* RIFF is little-endian whatever the host. */
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static void
wav_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)((v >> 8) & 0xff);
	p[2] = (uint8_t)((v >> 16) & 0xff);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
wav_sample_bytes(enum wav_sample s)
{
	return s == WAV_F32LE ? 4 : 2;
}

int
wav_sample_parse(const char *name, enum wav_sample *out)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "pcm_s16le") == 0) {
		*out = WAV_S16LE;
		return 0;
	}
	/* A browser's Float32Array is little-endian on every platform that ships one. */
	if (strcmp(name, "pcm_f32le") == 0 || strcmp(name, "pcm_f32") == 0) {
		*out = WAV_F32LE;
		return 0;
	}
	return -1;
}

const char *
wav_sample_name(enum wav_sample s)
{
	switch (s) {
	case WAV_S16LE: return "pcm_s16le";
	case WAV_F32LE: return "pcm_f32le";
	}
	return NULL;
}

uint32_t
wav_block_align(const struct wav_format *f)
{
	return (uint32_t)f->channels * wav_sample_bytes(f->sample);
}

int
wav_header(uint8_t out[WAV_HEADER_SIZE], const struct wav_format *f, uint64_t data_bytes)
{
	uint32_t align;

	if (f->sample != WAV_S16LE && f->sample != WAV_F32LE)
		return -1;
	if (f->sample_rate < 1 || f->sample_rate > WAV_RATE_MAX)
		return -1;
	if (f->channels < 1 || f->channels > WAV_CHANNELS_MAX)
		return -1;
	/* The RIFF size counts everything after its own 8 bytes: it must fit 32 bits. */
	if (data_bytes > WAV_DATA_MAX)
		return -1;
	/* At most 32 * 4 bytes a frame and 768000 frames a second: the byte rate fits 32 bits. */
	align = wav_block_align(f);

	memcpy(out + 0, "RIFF", 4);
	wav_put32(out + 4, (uint32_t)(WAV_HEADER_SIZE - 8 + data_bytes));
	memcpy(out + 8, "WAVE", 4);
	memcpy(out + 12, "fmt ", 4);
	wav_put32(out + 16, 16);                        /* PCMWAVEFORMAT: no cbSize */
	wav_put16(out + 20, f->sample == WAV_F32LE ? WAV_TAG_FLOAT : WAV_TAG_PCM);
	wav_put16(out + 22, f->channels);
	wav_put32(out + 24, f->sample_rate);
	wav_put32(out + 28, f->sample_rate * align);    /* nAvgBytesPerSec */
	wav_put16(out + 32, (uint16_t)align);           /* nBlockAlign */
	wav_put16(out + 34, (uint16_t)(8 * wav_sample_bytes(f->sample)));
	memcpy(out + 36, "data", 4);
	wav_put32(out + 40, (uint32_t)data_bytes);
	return 0;
}
