/* fuzz_range.c: libFuzzer harness for the Range header parser and multipart/byteranges framing. */
// fuzz-sources: fcgi/range.c
// fuzz-max-len: 1024
/*
 * Build and run (tests/fuzz/run.sh does this for every harness):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -I. -o fuzz_range tests/fuzz/fuzz_range.c fcgi/range.c
 *   ./fuzz_range -max_total_time=60 -dict=tests/fuzz/dict/range.dict tests/fuzz/corpus/range
 * The input, NUL-terminated, is the Range field value; it is parsed against representations of
 * 0, 1, 100, 2^40 and UINT64_MAX bytes. Invariants failing abort():
 *   - RANGE_SATISFIABLE gives 1..RANGE_MAX ranges, sorted, disjoint and non-adjacent, each
 *     within the representation, *n = 0 otherwise; an empty representation is never ranged;
 *   - range_multipart_length is exactly the bytes range_part_header, the ranges and
 *     range_closing add up to (saturated at UINT64_MAX);
 *   - for 100 bytes, the result agrees with a small independent reading of RFC 9110 section
 *     14.1 (below): the same verdict and the same set of selected bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/range.h"

#define BOUNDARY "3d6b6a416f9b5"
#define CTYPE    "audio/wav"
#define REF_SIZE 100

/* A number as written: 0 when it is below REF_SIZE, with its value; 1 when it is not. */
struct ref_num {
	int      big;
	unsigned value;
};

static int ref_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Read 1*DIGIT from s[*i..len); 0 or -1 when there is none. */
static int ref_num(const char *s, size_t len, size_t *i, struct ref_num *num, const char **digits,
                   size_t *ndigits)
{
	size_t start = *i;

	while (*i < len && s[*i] == '0')
		(*i)++;
	*digits = s + *i;
	num->big = 0;
	num->value = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (!num->big)
			num->value = num->value * 10 + (unsigned)(s[*i] - '0');
		if (num->value >= REF_SIZE)
			num->big = 1;
		(*i)++;
	}
	*ndigits = (size_t)(s + *i - *digits);
	return *i == start ? -1 : 0;
}

/*
 * The reference for a REF_SIZE-byte representation: header is the whole value, sel gets the
 * selected bytes. Written from the grammar, independently of range.c's structure:
 *   value   = OWS "bytes" "=" range-set OWS   (unit case-insensitive)
 *   range-set = [ elem ] *( OWS "," OWS [ elem ] )
 *   elem    = 1*DIGIT "-" [ 1*DIGIT ] / "-" 1*DIGIT
 */
static enum range_result ref_parse(const char *h, unsigned char sel[REF_SIZE])
{
	size_t len = strlen(h), i = 0, nspec = 0, nsat = 0, sum = 0, k;
	struct ref_num a, b;
	const char *ad, *bd;
	size_t an, bn;
	unsigned lo, hi;

	memset(sel, 0, REF_SIZE);
	while (i < len && ref_ows(h[i]))
		i++;
	if (len - i < 6 || h[i + 5] != '=')
		return RANGE_IGNORE;
	for (k = 0; k < 5; k++)
		if ((h[i + k] | 0x20) != "bytes"[k])
			return RANGE_IGNORE;   /* ASCII only: no locale folding */
	i += 6;
	for (;;) {
		/* An element, or nothing. */
		if (i < len && h[i] != ',' && !ref_ows(h[i])) {
			int has_b = 0;

			nspec++;
			if (h[i] == '-') {
				i++;
				if (ref_num(h, len, &i, &b, &bd, &bn) < 0)
					return RANGE_IGNORE;
				if (!b.big && b.value == 0) {
					lo = 1;
					hi = 0;
				} else {
					lo = b.big ? 0 : REF_SIZE - b.value;
					hi = REF_SIZE - 1;
				}
			} else {
				if (ref_num(h, len, &i, &a, &ad, &an) < 0)
					return RANGE_IGNORE;
				if (i == len || h[i] != '-')
					return RANGE_IGNORE;
				i++;
				if (i < len && h[i] >= '0' && h[i] <= '9') {
					ref_num(h, len, &i, &b, &bd, &bn);
					has_b = 1;
					if (bn < an || (bn == an && memcmp(bd, ad, an) < 0))
						return RANGE_IGNORE;
				}
				if (a.big) {
					lo = 1;
					hi = 0;
				} else {
					lo = a.value;
					hi = has_b && !b.big ? b.value : REF_SIZE - 1;
				}
			}
			if (nspec > RANGE_MAX)
				return RANGE_IGNORE;
			if (lo <= hi) {
				nsat++;
				sum += hi - lo + 1;
				if (sum > REF_SIZE)
					return RANGE_IGNORE;
				memset(sel + lo, 1, hi - lo + 1);
			}
		}
		while (i < len && ref_ows(h[i]))
			i++;
		if (i == len)
			break;
		if (h[i] != ',')
			return RANGE_IGNORE;
		i++;
		while (i < len && ref_ows(h[i]))
			i++;
	}
	if (nspec == 0)
		return RANGE_IGNORE;
	return nsat == 0 ? RANGE_UNSATISFIABLE : RANGE_SATISFIABLE;
}

/* The framing adds up: range_multipart_length against the pieces actually written. */
static void check_framing(const struct byte_range *r, size_t n, uint64_t size)
{
	char buf[512];
	unsigned __int128 total = 0;
	uint64_t want;
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		len = range_part_header(buf, sizeof buf, BOUNDARY, CTYPE, &r[i], size);
		if (len <= 0 || (size_t)len != strlen(buf))
			abort();
		total += (unsigned)len;
		total += range_length(&r[i]);
		/* Too small a buffer is refused, with an empty string. */
		if (range_part_header(buf, (size_t)len, BOUNDARY, CTYPE, &r[i], size) != -1 ||
		    buf[0] != '\0')
			abort();
	}
	len = range_closing(buf, sizeof buf, BOUNDARY);
	if (len != (int)strlen("\r\n--" BOUNDARY "--\r\n"))
		abort();
	total += (unsigned)len;
	want = total > UINT64_MAX ? UINT64_MAX : (uint64_t)total;
	if (range_multipart_length(BOUNDARY, CTYPE, r, n, size) != want)
		abort();
}

static void check(const char *h, uint64_t size)
{
	struct byte_range out[RANGE_MAX + 1], again[RANGE_MAX + 1];
	unsigned char want[REF_SIZE], got[REF_SIZE];
	enum range_result res, ref;
	unsigned __int128 sum = 0;
	size_t n = 12345, n2, i;

	/* A canary after the RANGE_MAX entries the caller provides. */
	memset(out, 0xa5, sizeof out);
	res = range_parse(h, size, out, &n);
	if (memcmp(&out[RANGE_MAX], "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8) != 0)
		abort();
	if (res != RANGE_IGNORE && res != RANGE_SATISFIABLE && res != RANGE_UNSATISFIABLE)
		abort();
	if (size == 0 && res != RANGE_IGNORE)
		abort();
	if (res != RANGE_SATISFIABLE) {
		if (n != 0)
			abort();
	} else {
		if (n < 1 || n > RANGE_MAX)
			abort();
		for (i = 0; i < n; i++) {
			if (out[i].first > out[i].last || out[i].last >= size)
				abort();
			/* Sorted, disjoint and not even adjacent: coalesced. */
			if (i > 0 && out[i].first <= out[i - 1].last + 1)
				abort();
			sum += range_length(&out[i]);
		}
		if (sum > size)
			abort();
		check_framing(out, n, size);
	}
	/* The same answer twice. */
	if (range_parse(h, size, again, &n2) != res || n2 != n ||
	    memcmp(again, out, n * sizeof out[0]) != 0)
		abort();

	if (size == REF_SIZE) {
		ref = ref_parse(h, want);
		if (ref != res)
			abort();
		if (ref != RANGE_SATISFIABLE)
			memset(want, 0, sizeof want);   /* the reference marks bytes as it goes */
		memset(got, 0, sizeof got);
		for (i = 0; i < n; i++)
			memset(got + out[i].first, 1, (size_t)range_length(&out[i]));
		if (memcmp(got, want, sizeof got) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 0, 1, REF_SIZE, (uint64_t)1 << 40, UINT64_MAX };
	struct byte_range out[RANGE_MAX];
	char *h;
	size_t i, n = 7;

	h = malloc(size + 1);
	if (h == NULL)
		abort();
	memcpy(h, data, size);
	h[size] = '\0';
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		check(h, sizes[i]);
	/* No header at all, or nowhere to put the ranges: ignored. */
	if (range_parse(NULL, 100, out, &n) != RANGE_IGNORE || n != 0)
		abort();
	free(h);
	return 0;
}
