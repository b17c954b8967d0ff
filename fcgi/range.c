/* range.c: byte Range requests (RFC 9110 section 14) and multipart/byteranges framing (14.6). */
#include "fcgi/range.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * A first-pos, last-pos or suffix-length as written: its value saturated at UINT64_MAX, and its
 * significant digits, so that "last-pos < first-pos" (section 14.1.1) is decided exactly even for
 * numbers that do not fit in 64 bits.
 */
struct range_num {
	uint64_t    value;
	const char *digits;   /* first significant digit (leading zeros skipped) */
	size_t      ndigits;  /* number of significant digits, 0 for the value zero */
};

/* The fixed text of a body part header and of the closing delimiter (section 14.6, RFC 2046
 * section 5.1.1); range_part_header and range_multipart_length must agree byte for byte. */
static const char range_delim[]  = "\r\n--";
static const char range_ctype[]  = "\r\nContent-Type: ";
static const char range_crange[] = "\r\nContent-Range: bytes ";
static const char range_hend[]   = "\r\n\r\n";
static const char range_close[]  = "--\r\n";

#define RANGE_LIT_LEN(s) ((uint64_t)(sizeof(s) - 1))

static bool
range_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* OWS = *( SP / HTAB ) (RFC 9110 section 5.6.3). */
static bool
range_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Scan 1*DIGIT at p (before end). Returns the position after the digits, or NULL when there is no
 * digit. Saturates instead of overflowing, since section 14.1.1 puts no bound on the length.
 */
static const char *
range_scan_num(const char *p, const char *end, struct range_num *num)
{
	unsigned d;

	if (p == end || !range_is_digit(*p))
		return NULL;
	num->value = 0;
	while (p < end && *p == '0')
		p++;
	num->digits = p;
	for (; p < end && range_is_digit(*p); p++) {
		d = (unsigned)(*p - '0');
		if (num->value > (UINT64_MAX - d) / 10)
			num->value = UINT64_MAX;
		else
			num->value = num->value * 10 + d;
	}
	num->ndigits = (size_t)(p - num->digits);
	return p;
}

/* Compare two numbers as written (<0, 0, >0), exact at any length. */
static int
range_num_cmp(const struct range_num *a, const struct range_num *b)
{
	if (a->ndigits != b->ndigits)
		return a->ndigits < b->ndigits ? -1 : 1;
	return memcmp(a->digits, b->digits, a->ndigits);
}

/* range-unit is case-insensitive (section 14.1); compare ASCII only, independent of locale. */
static bool
range_unit_is_bytes(const char *p, const char *end)
{
	static const char unit[] = "bytes";
	size_t i;

	if ((size_t)(end - p) < sizeof(unit) - 1)
		return false;
	for (i = 0; i < sizeof(unit) - 1; i++)
		if ((p[i] | 0x20) != unit[i])   /* only 'X' and 'x' map to 'x' under | 0x20 */
			return false;
	return true;
}

/* Insertion sort by first-pos: at most RANGE_MAX entries, no allocation. */
static void
range_sort(struct byte_range *r, size_t n)
{
	struct byte_range tmp;
	size_t i, j;

	for (i = 1; i < n; i++) {
		tmp = r[i];
		for (j = i; j > 0 && r[j - 1].first > tmp.first; j--)
			r[j] = r[j - 1];
		r[j] = tmp;
	}
}

/*
 * Grammar choices (RFC 9110 sections 5.5, 5.6.1, 14.1.1):
 *   - leading and trailing SP/HTAB of the whole value are dropped: they are not part of a field
 *     value (section 5.5), and a gateway may pass them on;
 *   - inside, OWS is allowed only around the commas of the range-set list (5.6.1.2, which also
 *     makes recipients accept empty list elements): "bytes=0-1 , 2-3", "bytes=,0-1" and even
 *     "bytes= ,0-1" (an empty element, OWS, a comma) are valid, "bytes= 0-1", "bytes =0-1" and
 *     "bytes=0 -1" are not, since the grammar has no whitespace after "=" or inside a range-spec;
 *   - header is a C string: a NUL ends it, so only what precedes a NUL is judged;
 *   - for the bytes unit a range-spec is an int-range or a suffix-range; anything else (an
 *     other-range, a sign, a hex digit, a CTL) makes the header invalid and it is ignored.
 */
enum range_result
range_parse(const char *header, uint64_t size, struct byte_range *out, size_t *n)
{
	struct byte_range spec[RANGE_MAX];   /* satisfiable range-specs, as requested */
	struct range_num first, last;
	enum range_result res = RANGE_IGNORE;
	const char *p, *end;
	size_t nspec = 0, nsat = 0, k, i;
	uint64_t sum = 0, a, b;
	bool suffix, has_last;

	if (n != NULL)
		*n = 0;
	/* Section 14.2: an empty representation has no byte to select; serve it whole. */
	if (header == NULL || out == NULL || n == NULL || size == 0)
		goto out;

	p = header;
	end = header + strlen(header);
	/* Leading OWS is not part of the field value; trailing OWS is skipped by the list loop. */
	while (p < end && range_is_ows(*p))
		p++;

	/* ranges-specifier = range-unit "=" range-set; an unknown unit is ignored (section 14.2). */
	if (!range_unit_is_bytes(p, end))
		goto out;
	p += 5;
	if (p == end || *p != '=')
		goto out;
	p++;

	/* range-set = 1#range-spec, parsed as [ element ] *( OWS "," OWS [ element ] ) (5.6.1.2). */
	for (;;) {
		if (p < end && *p != ',' && !range_is_ows(*p)) {
			suffix = *p == '-';
			has_last = false;
			if (suffix) {
				/* suffix-range = "-" suffix-length */
				if ((p = range_scan_num(p + 1, end, &last)) == NULL)
					goto out;
			} else {
				/* int-range = first-pos "-" [ last-pos ] */
				if ((p = range_scan_num(p, end, &first)) == NULL)
					goto out;
				if (p == end || *p != '-')
					goto out;
				p++;
				if (p < end && range_is_digit(*p)) {
					p = range_scan_num(p, end, &last);
					has_last = true;
					/* Section 14.1.1: last-pos < first-pos makes the int-range invalid. */
					if (range_num_cmp(&last, &first) < 0)
						goto out;
				}
			}
			/* Section 14.2: refuse many small ranges (amplification, ranges attacks). */
			if (++nspec > RANGE_MAX)
				goto out;

			/* Section 14.1.2: satisfiability, clamping last-pos and suffix-length to size. */
			if (suffix) {
				if (last.value == 0)
					goto next;
				a = last.value >= size ? 0 : size - last.value;
				b = size - 1;
			} else {
				if (first.value >= size)
					goto next;
				a = first.value;
				b = has_last && last.value < size ? last.value : size - 1;
			}
			/* Section 14.2: more bytes asked than the representation holds (overlaps). */
			if (b - a + 1 > size - sum)
				goto out;
			sum += b - a + 1;
			spec[nsat].first = a;
			spec[nsat].last = b;
			nsat++;
		}
next:
		while (p < end && range_is_ows(*p))
			p++;
		if (p == end)
			break;
		if (*p != ',')
			goto out;
		p++;
		while (p < end && range_is_ows(*p))
			p++;
	}

	/* 1#: empty list elements do not count, at least one range-spec is required. */
	if (nspec == 0)
		goto out;
	if (nsat == 0) {
		res = RANGE_UNSATISFIABLE;
		goto out;
	}

	/* Section 14.2 lets a server coalesce; sorted, disjoint, non-adjacent parts are simplest. */
	range_sort(spec, nsat);
	k = 0;
	out[0] = spec[0];
	for (i = 1; i < nsat; i++) {
		/* out[k].last < size <= UINT64_MAX, so + 1 cannot wrap. */
		if (spec[i].first <= out[k].last + 1) {
			if (spec[i].last > out[k].last)
				out[k].last = spec[i].last;
		} else {
			out[++k] = spec[i];
		}
	}
	*n = k + 1;
	res = RANGE_SATISFIABLE;
out:
	return res;
}

/* Decimal digits of v, as printed by PRIu64. */
static uint64_t
range_dec_len(uint64_t v)
{
	uint64_t len = 1;

	while (v >= 10) {
		v /= 10;
		len++;
	}
	return len;
}

/* a + b, saturated: a Content-Length that wrapped would frame the body wrongly. */
static uint64_t
range_add(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

int
range_part_header(char *buf, size_t bufsz, const char *boundary, const char *content_type,
                  const struct byte_range *r, uint64_t size)
{
	int len;

	len = snprintf(buf, bufsz, "%s%s%s%s%s%" PRIu64 "-%" PRIu64 "/%" PRIu64 "%s",
	               range_delim, boundary, range_ctype, content_type, range_crange,
	               r->first, r->last, size, range_hend);
	if (len < 0 || (size_t)len >= bufsz) {
		if (bufsz > 0)
			buf[0] = '\0';
		return -1;
	}
	return len;
}

uint64_t
range_multipart_length(const char *boundary, const char *content_type,
                       const struct byte_range *r, size_t n, uint64_t size)
{
	uint64_t blen = strlen(boundary), clen = strlen(content_type), total = 0, part;
	size_t i;

	for (i = 0; i < n; i++) {
		part = RANGE_LIT_LEN(range_delim) + blen + RANGE_LIT_LEN(range_ctype) + clen +
		       RANGE_LIT_LEN(range_crange) + range_dec_len(r[i].first) + 1 +
		       range_dec_len(r[i].last) + 1 + range_dec_len(size) + RANGE_LIT_LEN(range_hend);
		total = range_add(total, part);
		total = range_add(total, range_length(&r[i]));
	}
	return range_add(total, RANGE_LIT_LEN(range_delim) + blen + RANGE_LIT_LEN(range_close));
}

int
range_closing(char *buf, size_t bufsz, const char *boundary)
{
	int len;

	len = snprintf(buf, bufsz, "%s%s%s", range_delim, boundary, range_close);
	if (len < 0 || (size_t)len >= bufsz) {
		if (bufsz > 0)
			buf[0] = '\0';
		return -1;
	}
	return len;
}
