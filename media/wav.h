/* wav.h: the canonical 44-byte RIFF/WAVE header for PCM, and PCM sample formats. */
#ifndef MG_WAV_H
#define MG_WAV_H

#include <stddef.h>
#include <stdint.h>

#define WAV_HEADER_SIZE 44
/* The RIFF chunk size is 32 bits: the most PCM bytes a WAV header can describe. */
#define WAV_DATA_MAX ((uint64_t)UINT32_MAX - (WAV_HEADER_SIZE - 8))

enum wav_sample {
	WAV_S16LE = 0,   /* signed 16-bit little-endian integer, WAVE_FORMAT_PCM (1) */
	WAV_F32LE        /* IEEE 754 32-bit little-endian float, WAVE_FORMAT_IEEE_FLOAT (3) */
};

struct wav_format {
	uint32_t         sample_rate;   /* Hz, 1..768000 */
	uint16_t         channels;      /* 1..32, interleaved */
	enum wav_sample  sample;
};

/*
 * wav_sample_parse: the sample format named by an upload's format field: "pcm_s16le" gives
 * WAV_S16LE; "pcm_f32le" and "pcm_f32" (little-endian, as browsers' Float32Array) give WAV_F32LE.
 * Returns 0, or -1 for any other name.
 */
int wav_sample_parse(const char *name, enum wav_sample *out);

/* wav_sample_name: "pcm_s16le" or "pcm_f32le" (NULL for a value outside the enum). */
const char *wav_sample_name(enum wav_sample s);

/* wav_block_align: bytes per frame, channels * bytes per sample (2 or 4). */
uint32_t wav_block_align(const struct wav_format *f);

/*
 * wav_header: write the canonical header (RIFF chunk, "fmt " chunk of 16 bytes, "data" chunk
 * header) for data_bytes of PCM in format f into out, following the Microsoft RIFF/WAVE
 * specification (Multimedia Programming Interface and Data Specifications 1.0, "WAVE Form
 * Type"): format tag 1 for s16 and 3 for f32, byte rate = sample rate * block align, bits per
 * sample 16 or 32. Returns 0, or -1 when data_bytes > WAV_DATA_MAX or f is out of range.
 */
int wav_header(uint8_t out[WAV_HEADER_SIZE], const struct wav_format *f, uint64_t data_bytes);

#endif
