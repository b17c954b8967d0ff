/* audio.h: audio files through libsndfile: probe, decode to WAV, resample (libsoxr), remix. */
#ifndef MG_AUDIO_H
#define MG_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "media/wav.h"

enum audio_err {
	AUDIO_OK = 0,
	AUDIO_UNSUPPORTED,   /* libsndfile cannot open or decode it: the reason is in err */
	AUDIO_TOO_LARGE,     /* the decoded PCM would not fit a WAV header (4 GiB) */
	AUDIO_IO,            /* reading the input or writing the output failed (errno kept) */
	AUDIO_NOSPC,         /* writing the output failed with ENOSPC / EDQUOT */
	AUDIO_INTERNAL       /* libsoxr or memory failure */
};

/* Where the audio comes from: a file libsndfile recognises, or raw interleaved PCM. */
struct audio_source {
	int               fd;       /* read with pread from offset 0; never closed here */
	int               raw;      /* non-zero: headerless PCM in raw_format */
	struct wav_format raw_format;
};

struct audio_info {
	uint32_t sample_rate;        /* Hz */
	uint16_t channels;
	uint64_t frames;             /* as counted by decoding, not as the header claims */
	double   duration_s;         /* frames / sample_rate */
	char     source_format[16];  /* container: "wav", "ogg", "flac", "mp3", "aiff", "pcm", ... */
	char     sample_format[16];  /* "pcm_s16le", "pcm_s24le", "pcm_f32le", "vorbis", "opus",
	                                "mpeg_layer_iii", ... (libsndfile's subtype, lowercase);
	                                PCM stored as is carries the file's byte order ("pcm_s16be"
	                                in AIFF), FLAC's bit depth none ("pcm_s16", "pcm_s24") */
	int      is_wav_pcm;         /* a RIFF/WAVE file of 16-bit PCM or 32-bit float that browsers
	                                play as it is: serve it as stored. Not RIFX, and its data
	                                chunk states the true size (a streamed WAV's placeholder
	                                size is decoded instead) */
};

/*
 * audio_probe: open src with libsndfile (sf_open_virtual over pread, so the fd's offset is not
 * used) and decode it to the end once, to prove it is decodable and to count its frames.
 * Memory does not grow with the file's length. Returns AUDIO_OK and *info, or an error with
 * libsndfile's reason (sf_strerror) or ours in err (errsz bytes; err may be NULL).
 * AUDIO_UNSUPPORTED also for: an empty file; no audio frames (a header alone); more than 32
 * channels or a rate outside 1..768000 Hz (no WAV of ours could carry it); raw PCM whose size is
 * not whole frames or whose raw_format is out of range; a decoding error libsndfile reports; a
 * FLAC (or any container but MP3) decoding to fewer frames than its header promises; an Ogg
 * stream with no complete last page (cut inside a page). A WAV or AIFF cut short decodes as
 * the prefix present (libsndfile clamps the data chunk to the file: streamed WAVs declare
 * placeholder sizes), as does an MP3, whose length libsndfile only estimates.
 * AUDIO_IO with errno kept when fstat or pread fails.
 */
enum audio_err audio_probe(const struct audio_source *src, struct audio_info *info, char *err,
                           size_t errsz);

/*
 * audio_open_check: open src with libsndfile in a child process limited to cpu_seconds of CPU
 * time (RLIMIT_CPU), and close it. Some malformed headers make libsndfile 1.2 loop forever while
 * opening (libsndfile issue #1118: a WAV LIST/INFO sub-chunk claiming 4 GiB); run this before
 * audio_probe on untrusted files so that such a file costs a child, not the server process.
 * A file libsndfile refuses is then never opened by the caller's process either, which also
 * keeps libsndfile 1.2.0's leak on refused Ogg Vorbis streams (vorbis_info_init) out of it.
 * Returns AUDIO_OK when libsndfile opened the file; AUDIO_UNSUPPORTED with libsndfile's reason
 * in err when it refused it, or when the child ran out of time or died; AUDIO_INTERNAL when
 * pipe, fork or waitpid failed.
 */
enum audio_err audio_open_check(const struct audio_source *src, unsigned cpu_seconds, char *err,
                                size_t errsz);

/*
 * audio_to_wav: decode src and write a complete WAV file (wav_header, then PCM) to out_fd from
 * offset 0 (the file is truncated first), converting to sample_rate Hz (0: keep the source's)
 * with libsoxr at its high quality (SOXR_HQ), and to channels (0: keep): a downmix averages all
 * source channels into each output channel, an upmix copies (mono to every channel; otherwise
 * channel i takes source channel i % source channels). A downmix happens before resampling, an
 * upmix after (fewer channels through the resampler). The output sample format is out_sample:
 * float is written as decoded (not clamped); 16-bit is x * 32768 rounded half away from zero
 * and clamped to [-32768, 32767] (the inverse of libsndfile's x / 32768, so 16-bit sources come
 * back bit-exact), without dither: the same input always gives the same bytes.
 * One pass: the PCM is written after the header's room, then the header with the final size,
 * then out_fd (a regular file) is truncated to 44 + data bytes. On error out_fd holds partial
 * output: discard it. Memory does not grow with the length. Returns AUDIO_OK and, when info is
 * not NULL, the output's properties (source_format "wav", sample_format out_sample's name,
 * is_wav_pcm 1; frames may be 0 when a very short source is downsampled far); or an error with
 * its reason in err: those of audio_probe (checked on the same single decode), and
 * AUDIO_UNSUPPORTED for an output rate or channel count outside wav_header's bounds or a rate
 * ratio over 65536 either way (libsoxr 0.1.3 stalls near 530000), AUDIO_TOO_LARGE past
 * WAV_DATA_MAX, AUDIO_NOSPC for ENOSPC/EDQUOT, AUDIO_IO for other write errors (errno kept),
 * AUDIO_INTERNAL for libsoxr or memory failures.
 */
enum audio_err audio_to_wav(const struct audio_source *src, uint32_t sample_rate, uint16_t channels,
                            enum wav_sample out_sample, int out_fd, struct audio_info *info,
                            char *err, size_t errsz);

#endif
