/*
 * tus.h: the pure pieces of mediagate-put, a tus 1.0.0 client (tus/tus-resumable-upload-protocol,
 * protocol.md): header values, Upload-Metadata, Upload-Checksum, URL resolution, the WAV header
 * that --real-time paces by, the resume state file, backoff and the progress line. No I/O here:
 * everything is unit-tested (tests/unit/test_tus.c); cli/mediagate-put.c does the HTTP.
 */
#ifndef MG_CLI_TUS_H
#define MG_CLI_TUS_H

#include <stddef.h>
#include <stdint.h>

/* The protocol version sent as Tus-Resumable on every request but OPTIONS (protocol.md, Core). */
#define TUS_VERSION "1.0.0"

/* An unknown length: a deferred upload before its end (creation-defer-length). */
#define TUS_LENGTH_UNKNOWN UINT64_MAX

/* The longest URL the client keeps (an upload URL, a content URL). */
#define TUS_URL_MAX 4096

/* "sha256 " and the base64 of 32 bytes, and the NUL. */
#define TUS_CHECKSUM_MAX 52

/*
 * tus_base64: standard base64 with '=' padding (RFC 4648 section 4), as tus wants for
 * Upload-Metadata values and Upload-Checksum digests. dst must hold 4 * ((len + 2) / 3) + 1
 * bytes; it is NUL-terminated. Returns the number of characters written (excluding the NUL).
 */
size_t tus_base64(char *dst, const uint8_t *src, size_t len);

/*
 * tus_metadata_add: append the pair "KEY BASE64(VALUE)" to the Upload-Metadata value in buf
 * (protocol.md, Creation, "Upload-Metadata"), with a comma before it when buf is not empty.
 * buf holds bufsz bytes and is a NUL-terminated string ("" to start). The key must be non-empty
 * printable ASCII without space or comma; an empty value gives the key alone.
 * Returns 0, or -1 for an invalid key, a key already in buf, or when the result does not fit
 * (buf is then unchanged).
 */
int tus_metadata_add(char *buf, size_t bufsz, const char *key, const char *value);

/*
 * tus_parse_u64: the value of Upload-Offset or Upload-Length (protocol.md, Core, "Headers": a
 * non-negative integer): len bytes of s, ASCII digits only, optional spaces and tabs around
 * (RFC 9110 section 5.5, OWS). Returns 0 and sets *out, or -1 (empty, a sign, other characters,
 * more than 2^64 - 2; UINT64_MAX is TUS_LENGTH_UNKNOWN).
 */
int tus_parse_u64(const char *s, size_t len, uint64_t *out);

/*
 * tus_parse_size: a size given on the command line, bytes, with an optional suffix K, M or G
 * (powers of 1024, case-insensitive; "KiB", "MiB" and "GiB" too). Returns 0 and sets *out, or
 * -1 for anything else, for 0, and for overflow.
 */
int tus_parse_size(const char *s, uint64_t *out);

/*
 * tus_header_value: when the header line (as libcurl hands it over: "Name: value\r\n", len
 * bytes, not NUL-terminated) is the field name (compared case-insensitively, RFC 9110 section
 * 5.1), copy its value without leading and trailing white space (OWS, section 5.5) and without
 * the CR LF into out (outsz bytes, NUL-terminated).
 * Returns 1 when it is that field, 0 when it is another line (another field, a status line,
 * the empty line), -1 when it is that field but the value does not fit or holds a NUL or a
 * control character other than tab.
 */
int tus_header_value(const char *line, size_t len, const char *name, char *out, size_t outsz);

/*
 * tus_list_has: the comma-separated list (Tus-Extension, Tus-Checksum-Algorithm, Tus-Version,
 * protocol.md "Headers") has the element item, compared exactly after trimming spaces and tabs
 * around each element. Returns 1 or 0.
 */
int tus_list_has(const char *list, const char *item);

/*
 * tus_set_cookie_value: when the Set-Cookie field value (RFC 6265 section 4.1) sets the cookie
 * named name, copy its value (without the attributes after ';', without surrounding DQUOTEs)
 * into out (outsz bytes). Returns 1, 0 for another cookie or a malformed value, -1 when the
 * value does not fit or has characters a cookie-octet may not (section 4.1.1).
 */
int tus_set_cookie_value(const char *field, const char *name, char *out, size_t outsz);

/*
 * tus_checksum_sha256: the Upload-Checksum value for a PATCH body of len bytes (protocol.md,
 * Checksum: the algorithm name, a space, the base64 of the digest): "sha256 " followed by the
 * padded base64 of its SHA-256 (FIPS 180-4), in out. Returns 0, or -1 when OpenSSL fails.
 */
int tus_checksum_sha256(char out[TUS_CHECKSUM_MAX], const void *data, size_t len);

/*
 * tus_url_resolve: resolve the reference ref (a Location field, a content_url) against the
 * absolute http or https URL base, as RFC 3986 section 5.2 does: ref with a scheme is taken as
 * it is; "//host..." takes base's scheme; "/path" takes base's scheme and authority; another
 * relative path is merged with base's path up to its last '/'. Dot segments of the merged path
 * are removed (section 5.2.4); the query and fragment of ref are kept, base's are dropped.
 * Writes a NUL-terminated URL into out (outsz bytes). Returns 0, or -1 when base is not an
 * absolute http(s) URL, ref is empty or has control characters or spaces, or out is too small.
 */
int tus_url_resolve(char *out, size_t outsz, const char *base, const char *ref);

/*
 * tus_url_join: base (the server option: "http://host:port" or with a mount prefix,
 * "http://host/media", with or without a trailing '/') followed by path (which starts with '/'),
 * with exactly one '/' between them: ("http://h/media/", "/uploads/") gives
 * "http://h/media/uploads/". Returns 0, or -1 when base is not an absolute http(s) URL, has a
 * query or fragment, or out (outsz bytes) is too small.
 */
int tus_url_join(char *out, size_t outsz, const char *base, const char *path);

/* What tus_wav_scan finds in a RIFF/WAVE header. */
struct tus_wav {
	uint64_t data_offset;   /* where the PCM bytes start: just after the "data" chunk header */
	uint64_t data_size;     /* the data chunk's declared size; 0 or 0xFFFFFFFF: unknown (a stream) */
	uint32_t byte_rate;     /* bytes of PCM per second: sample rate * block align */
	uint32_t sample_rate;   /* frames per second, Hz */
	uint16_t channels;
	uint16_t block_align;   /* bytes per frame */
	uint16_t format_tag;    /* 1 PCM, 3 IEEE float, 0xFFFE WAVE_FORMAT_EXTENSIBLE, ... */
};

/*
 * tus_wav_scan: read the header of a RIFF/WAVE file from its first len bytes (Microsoft RIFF,
 * "WAVE Form Type": the "RIFF" size "WAVE" preamble, then chunks of a 4-byte id, a 32-bit
 * little-endian size and the data padded to an even size), up to the start of the "data"
 * chunk's bytes, which must follow a "fmt " chunk.
 * Returns 1 and fills *out; 0 when the bytes so far are a valid beginning but more are needed
 * (call again with a longer prefix); -1 when it is not a RIFF/WAVE file or its format is unusable
 * for pacing (no channels, no sample rate, block align 0, byte rate not sample rate * block
 * align, a data chunk before "fmt ").
 */
int tus_wav_scan(const uint8_t *buf, size_t len, struct tus_wav *out);

/*
 * tus_wav_due: when, in seconds after the start of a real-time send, the file's bytes up to
 * (not including) offset exist, for a source that produces PCM at w->byte_rate: 0 for the header
 * (offset <= data_offset), then (offset - data_offset) / byte_rate. Bytes after the data chunk
 * of a known size (trailing chunks) are due with its end.
 */
double tus_wav_due(const struct tus_wav *w, uint64_t offset);

/*
 * tus_wav_chunk_end: the end (exclusive offset) of the real-time chunk holding the byte at
 * offset: chunks end at data_offset + k * step (k >= 1), step = byte_rate rounded down to whole
 * frames, so the first chunk carries the header and the first second of PCM, each later one one
 * second. Always greater than offset.
 */
uint64_t tus_wav_chunk_end(const struct tus_wav *w, uint64_t offset);

/* What the resume state file of one upload holds. */
struct tus_state {
	char     url[TUS_URL_MAX];   /* the absolute upload URL (the creation response's Location) */
	char     cookie[256];        /* the mg_session cookie value the upload belongs to */
	uint64_t length;             /* its Upload-Length, or TUS_LENGTH_UNKNOWN when deferred */
};

/*
 * tus_state_key: the name of the state file of an upload of the file at path (absolute,
 * resolved), of size bytes, last modified at mtime_s + mtime_ns, to server: 32 lowercase hex
 * digits of the SHA-256 of those fields, each on its own line. out holds 33 bytes.
 * Returns 0, or -1 when OpenSSL fails.
 */
int tus_state_key(char out[33], const char *server, const char *path, uint64_t size,
                  int64_t mtime_s, long mtime_ns);

/*
 * tus_state_format: the text of a state file: "mediagate-put-state 1" then "url URL",
 * "cookie VALUE", "length N" (or "length deferred") lines. Returns the length written (NUL
 * excluded), or -1 when it does not fit in bufsz or a field has a control character or space.
 */
int tus_state_format(char *buf, size_t bufsz, const struct tus_state *st);

/*
 * tus_state_parse: read len bytes of text written by tus_state_format into *st. Unknown lines
 * are ignored (a later version may add some). Returns 0, or -1 without the first line, without
 * a url or length line, or with a field too long or malformed.
 */
int tus_state_parse(const char *text, size_t len, struct tus_state *st);

/*
 * tus_backoff_ms: how long to wait before retry number attempt (0 for the first), milliseconds:
 * randomized exponential backoff (protocol.md recommends one): the nominal delay is
 * 500 ms * 2^attempt, capped at 30 s, scaled by 0.5 + r / 2, where r in [0, 1) is a random
 * number the caller draws (so the result is in [nominal / 2, nominal)).
 */
long tus_backoff_ms(unsigned attempt, double r);

/*
 * tus_human_bytes: n bytes as a short text in out (outsz bytes): "999 B", "1.5 KiB", "12.3 MiB",
 * "4.00 GiB" (three significant digits from KiB on). Returns out.
 */
char *tus_human_bytes(char *out, size_t outsz, uint64_t n);

/*
 * tus_progress_line: the progress line for done of total bytes (TUS_LENGTH_UNKNOWN when not
 * known yet) after elapsed seconds, rate in bytes per second, in out (outsz bytes), at most width
 * columns (ASCII only): with a total "  2.0 MiB / 8.0 MiB  25% [=====>          ] 1.0 MiB/s ETA
 * 0:06", without "  2.0 MiB  1.0 MiB/s  0:02". The bar is left out when width is too small for
 * it. Returns the length written.
 */
int tus_progress_line(char *out, size_t outsz, uint64_t done, uint64_t total, double rate,
                      double elapsed, int width);

#endif
