/* range.h: byte Range requests (RFC 9110 section 14) and multipart/byteranges framing (14.6). */
#ifndef MG_RANGE_H
#define MG_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define RANGE_MAX 32   /* more range-specs than this in one header: serve the whole representation */

/* One satisfiable byte range of a representation, first and last byte positions inclusive. */
struct byte_range {
	uint64_t first;
	uint64_t last;
};

enum range_result {
	RANGE_IGNORE = 0,     /* no header, syntax error, unknown unit, empty representation, too many
	                         ranges or more bytes asked than the representation has: answer 200 with
	                         the whole representation (RFC 9110 section 14.2) */
	RANGE_SATISFIABLE,    /* *n >= 1 ranges, sorted and coalesced: 206 (section 15.3.7) */
	RANGE_UNSATISFIABLE   /* well-formed, but no range-spec is satisfiable: 416 with
	                         "Content-Range: bytes * /size" (section 15.5.17) */
};

/*
 * range_parse: parse a Range header field value (header, NUL-terminated, may be NULL) against a
 * representation of size bytes, following the ranges-specifier grammar of RFC 9110 section 14.1.1
 * and the satisfiability rules of 14.1.2:
 *   - int-range "A-B" is satisfiable when A < size; B past the end is clamped to size - 1;
 *     B < A makes the whole header invalid;
 *   - int-range "A-" means A to the end; suffix-range "-N" means the last N bytes (all of them when
 *     N >= size); "-0" is unsatisfiable;
 *   - OWS around commas and empty list elements are accepted (section 5.6.1); numbers of any
 *     length are accepted and saturate;
 *   - unsatisfiable range-specs are dropped; the rest are sorted and overlapping or adjacent
 *     ranges coalesced (section 14.2 permits it); more than RANGE_MAX range-specs, or a sum of
 *     satisfiable lengths (before coalescing) larger than size, gives RANGE_IGNORE, to refuse
 *     the amplification attacks section 14.2 warns about.
 * out must hold RANGE_MAX entries; *n is set to the number of ranges for RANGE_SATISFIABLE and 0
 * otherwise.
 */
enum range_result range_parse(const char *header, uint64_t size, struct byte_range *out, size_t *n);

/* range_length: the number of bytes in r (last - first + 1). */
static inline uint64_t range_length(const struct byte_range *r) { return r->last - r->first + 1; }

/*
 * range_part_header: write into buf (bufsz bytes, NUL-terminated) the delimiter and header block
 * that precedes body part r of a multipart/byteranges payload (RFC 9110 section 14.6, RFC 2046
 * section 5.1.1):
 *   "\r\n--" boundary "\r\nContent-Type: " content_type "\r\nContent-Range: bytes F-L/size\r\n\r\n"
 * The first part is written with the same leading CRLF (a preamble-free body that starts with
 * CRLF is valid). Returns the length written, or -1 when bufsz is too small.
 */
int range_part_header(char *buf, size_t bufsz, const char *boundary, const char *content_type,
                      const struct byte_range *r, uint64_t size);

/*
 * range_multipart_length: the exact Content-Length of the multipart/byteranges payload for the n
 * ranges, with the part headers of range_part_header and the closing "\r\n--" boundary "--\r\n".
 */
uint64_t range_multipart_length(const char *boundary, const char *content_type,
                                const struct byte_range *r, size_t n, uint64_t size);

/* range_closing: write the closing delimiter "\r\n--" boundary "--\r\n" into buf; as above. */
int range_closing(char *buf, size_t bufsz, const char *boundary);

#endif
