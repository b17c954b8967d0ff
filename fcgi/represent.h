/* represent.h: which representation of an input a read gets, made (once) when it is derived. */
#ifndef MG_REPRESENT_H
#define MG_REPRESENT_H

#include <stdint.h>

#include "fcgi/repr.h"
#include "fcgi/request.h"
#include "media/wav.h"
#include "store/store.h"

/* The representation selected for a read, ready to serve. */
struct served {
	struct repr body;
	uint8_t     prefix[WAV_HEADER_SIZE];        /* the generated WAV header of a PCM input */
	int         fd;                             /* owned: served_close closes it */
	int         stored;                         /* the bytes as uploaded (not generated) */
	char        content_type[STORE_CTYPE_MAX + 1];
	char        etag[STORE_SHA256_HEX + 48];     /* strong, with its DQUOTEs */
	uint32_t    width, height;                  /* raw pixels: X-Image-* headers; else 0 */
	char        pixel_format[8];
};

/*
 * represent: select the representation of input in that request r asks for, from the input's
 * kind and metadata and the query (?format=original|png, ?sampling_rate=HZ&num_channels=N):
 *   audio: always audio/wav: raw PCM gets a generated header (ETag "SHA-wav"), a WAV upload its
 *          bytes, anything else its decoded WAV (derived "wav"); with sampling_rate/num_channels
 *          a resampled, remixed WAV (derived "wav_RATE_CHANNELS"); format=original the upload;
 *   image: as stored; raw pixels as application/octet-stream with their geometry, or with
 *          format=png as a PNG (derived "png");
 *   other kinds: as stored.
 * A derived representation missing from the store is made now and kept (media/audio.c,
 * media/image.c), so it is made once per input. Returns 0 with *out filled, or -1 after
 * answering the request (400 bad_request for bad parameters, 410, 500, 507).
 */
int represent(struct req *r, const struct store_input *in, struct served *out);

/* served_close: release what represent opened (safe on a zeroed or failed struct). */
void served_close(struct served *s);

#endif
