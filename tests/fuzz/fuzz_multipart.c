/* fuzz_multipart.c: libFuzzer harness for the multipart/form-data parser (fcgi/multipart.c). */
// fuzz-sources: fcgi/multipart.c
// fuzz-max-len: 16384
/*
 * Build and run:
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       -o fuzz_multipart tests/fuzz/fuzz_multipart.c fcgi/multipart.c
 *   ./fuzz_multipart -max_total_time=60 tests/fuzz/corpus/multipart
 * The first input byte picks how the rest is split into mp_feed calls; the rest is the body,
 * with the fixed boundary BOUNDARY. Each input is parsed whole and split, and the two parses
 * must agree on everything the callbacks saw; invariants failing abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/multipart.h"

#define BOUNDARY "AaB03x"

/* What one parse saw: a hash of the event stream (content hashed byte by byte, so that
 * how it was cut into pieces does not matter) and counts. */
struct seen {
	uint64_t hash;
	size_t   begins, ends, data_bytes;
	int      open;        /* inside a part */
	size_t   fed;         /* body bytes fed so far, for the held-back bound */
};

static void mix(struct seen *s, const void *data, size_t len)
{
	const unsigned char *d = data;
	size_t i;

	for (i = 0; i < len; i++)
		s->hash = (s->hash ^ d[i]) * 1099511628211ull;
}

static void check_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap + 1) == NULL)
		abort();
}

static int on_begin(void *ctx, const struct mp_part *part)
{
	struct seen *s = ctx;

	if (s->open)
		abort();
	check_str(part->name, MP_NAME_MAX);
	check_str(part->filename, MP_FILENAME_MAX);
	check_str(part->content_type, MP_CTYPE_MAX);
	if (part->has_filename != 0 && part->has_filename != 1)
		abort();
	if (!part->has_filename && part->filename[0] != '\0')
		abort();
	s->open = 1;
	s->begins++;
	mix(s, "B", 1);
	mix(s, part, sizeof *part);
	return 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct seen *s = ctx;

	if (!s->open || len == 0 || data == NULL)
		abort();
	s->data_bytes += len;
	if (s->data_bytes > s->fed)
		abort();
	mix(s, data, len);
	return 0;
}

static int on_end(void *ctx)
{
	struct seen *s = ctx;

	if (!s->open)
		abort();
	s->open = 0;
	s->ends++;
	mix(s, "E", 1);
	return 0;
}

static const struct mp_callbacks cbs = { on_begin, on_data, on_end };

/* The size of the next feed: pattern picks the split, k counts feeds, left is what is left. */
static size_t next_size(uint8_t pattern, size_t n, size_t k, size_t left, uint32_t *rng)
{
	switch (pattern & 3) {
	case 0:   /* two feeds, split at a point the rest of the byte picks */
		return k == 0 ? (size_t)(pattern >> 2) * n / 63 : left;
	case 1:   /* one byte at a time */
		return 1;
	case 2:   /* fixed chunks of 1..64 bytes */
		return (size_t)(pattern >> 2) + 1;
	default:  /* pseudo-random sizes 0..15, seeded by the byte */
		*rng = *rng * 1103515245u + 12345u;
		return (*rng >> 16) % 16;
	}
}

/* Parse body; returns the final result and fills *s. */
static enum mp_err run(const char *body, size_t n, uint8_t pattern, int whole,
                       const struct mp_limits *lim, struct seen *s)
{
	struct mp_parser p;
	enum mp_err e = MP_OK, got;
	uint32_t rng = pattern;
	size_t off = 0, k = 0, len;

	memset(s, 0, sizeof *s);
	s->hash = 14695981039346656037ull;
	mp_init(&p, BOUNDARY, lim, &cbs, s);
	while (off < n || k == 0) {
		len = whole ? n : next_size(pattern, n, k, n - off, &rng);
		if (len > n - off)
			len = n - off;
		s->fed += len;
		got = mp_feed(&p, body + off, len);
		if (e != MP_OK && got != e)
			abort();   /* a final result must stick */
		e = got;
		if (p.match > p.delim_len)
			abort();   /* held back no more than a delimiter */
		off += len;
		k++;
	}
	got = mp_finish(&p);
	if (e != MP_OK && got != e)
		abort();
	if (got == MP_OK || got == MP_ERR_CALLBACK)
		abort();   /* no callback stops here, and finish always decides */
	if (mp_finish(&p) != got || mp_feed(&p, "x", 1) != got)
		abort();
	if ((got == MP_DONE) != (mp_detail(&p)[0] == '\0'))
		abort();   /* every error has a detail, success none */
	if (got == MP_DONE && (s->open || s->begins != s->ends))
		abort();   /* a finished body closed every part */
	if (s->begins > lim->parts || s->data_bytes > n)
		abort();
	mix(s, &got, sizeof got);
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_limits lim = { 512, 16 };
	struct seen a, b;
	const char *body;
	size_t n;

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	n = size - 1;
	if (run(body, n, data[0], 1, &lim, &a) != run(body, n, data[0], 0, &lim, &b))
		abort();
	if (a.hash != b.hash || a.begins != b.begins || a.ends != b.ends ||
	    a.data_bytes != b.data_bytes)
		abort();
	return 0;
}
