/*
 * tus.h: the header fields of tus 1.0.0 (tus/tus-resumable-upload-protocol, protocol.md) as the
 * server reads them: Upload-Offset and Upload-Length, Upload-Metadata, Upload-Checksum. Pure
 * parsers, no I/O; fcgi/h_tus.c serves the protocol with them.
 */
#ifndef MG_FCGI_TUS_H
#define MG_FCGI_TUS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "fcgi/meta.h"

#define TUS_VERSION        "1.0.0"   /* Tus-Resumable, Tus-Version (protocol.md, Core) */
#define TUS_EXTENSIONS     "creation,creation-with-upload,creation-defer-length,expiration," \
                           "checksum,termination"
#define TUS_CHECKSUM_ALGORITHMS "sha1,sha256"
#define TUS_CONTENT_TYPE   "application/offset+octet-stream"   /* PATCH bodies (Core, PATCH) */
#define TUS_META_PAIRS_MAX 32        /* Upload-Metadata pairs */
#define TUS_META_KEY_MAX   64        /* bytes of an Upload-Metadata key */
#define TUS_DIGEST_MAX     32        /* the longest digest: SHA-256 */

/*
 * tus_u64_parse: the value of Upload-Offset or Upload-Length (protocol.md, Core, "Headers": a
 * non-negative integer): ASCII digits only, with optional spaces and tabs around (RFC 9110
 * section 5.5, OWS), at most INT64_MAX (the largest file offset). Returns 0 and *out, or -1
 * (NULL, empty, a sign, other characters, too large).
 */
int tus_u64_parse(const char *s, uint64_t *out);

/*
 * tus_metadata_fn: one Upload-Metadata pair: key (NUL-terminated) and its decoded value, len
 * bytes (may hold any byte, NUL included; value[len] is a NUL added for convenience). Returns 0
 * to go on, or -1 with the reason in err (errsz bytes) to stop the parse.
 */
typedef int tus_metadata_fn(void *ctx, const char *key, const unsigned char *value, size_t len,
                            char *err, size_t errsz);

/*
 * tus_metadata_parse: split an Upload-Metadata value (protocol.md, Creation, "Upload-Metadata")
 * into its comma-separated pairs "KEY BASE64" and call fn for each, in order. Spaces and tabs
 * around a pair are skipped; the key is 1..TUS_META_KEY_MAX visible ASCII characters other than
 * ','; the value is standard base64 (RFC 4648 section 4, padded or not), empty or left out (the
 * key alone), decoding to at most META_VALUE_MAX bytes. Keys must be unique; at most
 * TUS_META_PAIRS_MAX pairs; "" has none. Returns 0, or -1 with the reason in err (naming the key
 * when one is at fault), also when fn refused a pair.
 */
int tus_metadata_parse(const char *value, tus_metadata_fn *fn, void *ctx, char *err,
                       size_t errsz);

/*
 * tus_metadata_apply: the input metadata an Upload-Metadata value carries, validated as POST
 * /inputs validates its fields: the keys kind, format, sampling_rate, num_channels, width,
 * height and filename go through meta_set into m (a value holding a NUL byte is refused);
 * filetype (tus-js-client's name) or content_type is the media type of the bytes
 * (http_media_type, written lowercase into ctype, ctypesz bytes; left as it is when absent);
 * other keys are ignored. Returns 0, or -1 with the reason in err, naming the key: the caller
 * answers 400 bad_metadata.
 */
int tus_metadata_apply(const char *value, struct meta *m, char *ctype, size_t ctypesz,
                       char *err, size_t errsz);

enum tus_algorithm {
	TUS_SHA1 = 1,    /* "sha1": the one every server must support (protocol.md, Checksum) */
	TUS_SHA256
};

/* An Upload-Checksum: the algorithm and the digest the client computed over the PATCH body. */
struct tus_checksum {
	enum tus_algorithm algorithm;
	unsigned char      digest[TUS_DIGEST_MAX];
	size_t             len;          /* 20 for SHA-1, 32 for SHA-256 */
};

/*
 * tus_checksum_parse: an Upload-Checksum value (protocol.md, Checksum): the algorithm name, one
 * space, the base64 (RFC 4648 section 4, padded) of the digest, with optional spaces and tabs
 * around. Returns 0 and *out; -1 when malformed or the digest has the wrong length for the
 * algorithm; -2 when the algorithm is not one of TUS_CHECKSUM_ALGORITHMS (both are 400).
 */
int tus_checksum_parse(const char *value, struct tus_checksum *out);

/* tus_checksum_md: the OpenSSL digest of algorithm a (EVP_sha1, EVP_sha256), or NULL. */
const EVP_MD *tus_checksum_md(enum tus_algorithm a);

/*
 * tus_base64_decode: decode len characters of standard base64 (RFC 4648 section 4; the '='
 * padding may be left out, but not misplaced) into out (outsz bytes): b64_decode
 * (tokens/b64url.h). Returns the byte count, or -1 when malformed (non-zero pad bits too, RFC
 * 4648 section 3.5) or out is too small.
 */
long tus_base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz);

#endif
