/* annotated.h: the "annotated binary" upload: 4-byte length, JSON metadata, payload (streamed). */
#ifndef MG_ANNOTATED_H
#define MG_ANNOTATED_H

#include <stddef.h>
#include <stdint.h>

#define AB_CONTENT_TYPE "application/x-annotated-binary"
#define AB_META_MAX     65536   /* bytes of JSON metadata at most */

/*
 * The body of Content-Type application/x-annotated-binary (mediagate's own framing, the one
 * notebook front ends use to send decoded PCM or canvas pixels with their metadata):
 *   length:u32 big-endian | metadata: length bytes of UTF-8 JSON (an object) | payload
 * The parser collects the metadata (at most AB_META_MAX bytes, in the parser struct) and then
 * hands every further byte back as payload, without copying it.
 */

enum ab_state {
	AB_LENGTH = 0,   /* reading the 4 length bytes */
	AB_META,         /* reading the metadata */
	AB_PAYLOAD,      /* everything further is payload */
	AB_FAILED
};

enum ab_err {
	AB_OK = 0,
	AB_ERR_TOO_LONG,   /* the length is over AB_META_MAX */
	AB_ERR_SHORT       /* ab_finish: the body ended inside the length or the metadata */
};

struct ab_parser {
	enum ab_state state;
	uint32_t      length;              /* the metadata length, once read */
	size_t        got;                 /* bytes of the current field read so far */
	uint8_t       lenbuf[4];
	char          meta[AB_META_MAX + 1]; /* NUL-terminated once complete */
};

/* ab_init: start parsing a new body. */
void ab_init(struct ab_parser *p);

/*
 * ab_feed: consume the next len bytes of the body (any split works, even inside the 4 length
 * bytes; len may be 0, buf may then be NULL). While the length and metadata are being read,
 * they are taken in; once the metadata is complete, *payload and *payload_len point at the
 * part of buf that is payload (possibly empty; also for every later call, all of buf). Until
 * then, and on error, *payload is NULL and *payload_len 0; payload and payload_len must not
 * be NULL. A length of 0 is valid framing (the metadata is then "").
 * Returns AB_OK, or AB_ERR_TOO_LONG as soon as the 4th length byte says more than AB_META_MAX
 * (then the parser is AB_FAILED and stays so: every later call returns it again).
 */
enum ab_err ab_feed(struct ab_parser *p, const uint8_t *buf, size_t len, const uint8_t **payload,
                    size_t *payload_len);

/*
 * ab_finish: the body ended. AB_OK when the metadata was complete, AB_ERR_TOO_LONG when the
 * parser had failed, AB_ERR_SHORT otherwise (the body ended inside the length or metadata).
 */
enum ab_err ab_finish(const struct ab_parser *p);

/*
 * ab_metadata: the complete metadata text (NUL-terminated, length p->length), or NULL before.
 * The bytes are as sent: a NUL among them ends the C string early, so a caller that parses it
 * as a string must first check strlen() == p->length (a JSON text never holds a raw NUL).
 */
const char *ab_metadata(const struct ab_parser *p);

#endif
