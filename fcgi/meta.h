/* meta.h: an input's metadata from form fields or the query string: validation, normalisation. */
#ifndef MG_META_H
#define MG_META_H

#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

#define META_FORMAT_MAX 32
#define META_VALUE_MAX  512   /* bytes of one field value as sent (filenames are cut after) */

enum meta_field {
	META_KIND = 0,        /* audio | image | video | file */
	META_FORMAT,          /* a short token: "pcm_s16le", "rgb", "ogg", ... */
	META_SAMPLING_RATE,   /* Hz, 1..768000 */
	META_NUM_CHANNELS,    /* 1..32 */
	META_WIDTH,           /* pixels, 1..1048576 */
	META_HEIGHT,          /* pixels, 1..1048576 */
	META_FILENAME,        /* any text; sanitised, never a path */
	META_NFIELDS,
	META_UNKNOWN = -1
};

struct meta {
	int  seen[META_NFIELDS];
	char kind[STORE_KIND_MAX + 1];
	char format[META_FORMAT_MAX + 1];
	long sampling_rate, num_channels, width, height;
	char filename[STORE_FILENAME_MAX + 1];
};

/* meta_field_from_name: the field a form field or query parameter name stands for. */
enum meta_field meta_field_from_name(const char *name);

/* The name of field f, for messages and JSON. */
const char *meta_field_name(enum meta_field f);

/*
 * meta_set: validate value (NUL-terminated, as sent) for field f and keep it in m.
 * Returns 0, or -1 with the reason in err (errsz bytes), naming the field: a repeated field, an
 * unknown kind, a format outside [A-Za-z0-9._+-]{1,32}, a number that is not plain decimal
 * digits or is out of its range.
 */
int meta_set(struct meta *m, enum meta_field f, const char *value, char *err, size_t errsz);

/*
 * meta_sanitize_filename: make a display name from a client's filename: keep what follows the
 * last '/' or '\\', drop control characters (C0, DEL) and bytes that are not valid UTF-8, cut to
 * outsz - 1 bytes on a character boundary; "." and ".." become "". Never used as a path.
 */
void meta_sanitize_filename(const char *in, char *out, size_t outsz);

/*
 * meta_kind_default: set kind from the top-level type of content_type when no kind was sent:
 * "audio/...", "image/..." and "video/..." give that name, anything else "file".
 */
void meta_kind_default(struct meta *m, const char *content_type);

/*
 * meta_set_json: apply the metadata of an annotated binary upload: text is a NUL-terminated
 * JSON text (RFC 8259) whose top level is an object; duplicate keys are refused. The known keys
 * go through meta_set: "kind", "format" and "filename" must be JSON strings (at most
 * META_VALUE_MAX bytes, no \u0000), "sampling_rate", "num_channels", "width" and "height" JSON
 * integers (not reals, strings or booleans) within the meta_set ranges. Unknown keys are
 * ignored. Returns 0, or -1 with the reason in err (errsz bytes), naming the key when one is
 * at fault; m is then left as it was.
 */
int meta_set_json(struct meta *m, const char *text, char *err, size_t errsz);

/* meta_json: the metadata object stored with the input (format and the numbers that were sent). */
json_t *meta_json(const struct meta *m);

#endif
