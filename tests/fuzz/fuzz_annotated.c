/* fuzz_annotated.c: libFuzzer harness for the annotated binary parser and its JSON metadata. */
// fuzz-sources: fcgi/annotated.c fcgi/meta.c
// fuzz-pkgs: jansson
// fuzz-max-len: 8192
/*
 * Build and run:
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       -o fuzz_annotated tests/fuzz/fuzz_annotated.c fcgi/annotated.c fcgi/meta.c \
 *       $(pkg-config --cflags --libs jansson)
 *   ./fuzz_annotated -max_total_time=60 tests/fuzz/corpus/annotated
 * The first input byte picks how the rest is split into ab_feed calls; the rest is the body.
 * Each input is parsed whole and split, and the two parses must agree; the framing is checked
 * against the body directly (metadata = the bytes after the length, payload = all the rest),
 * and complete metadata goes through meta_set_json. Invariants failing abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/annotated.h"
#include "fcgi/meta.h"

/* The payload a parse handed out, concatenated (up to the body's size), and the results. */
struct seen {
	uint8_t    *payload;
	size_t      payload_len;
	enum ab_err feed, finish;
};

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

static void run(struct ab_parser *p, const uint8_t *body, size_t n, uint8_t pattern, int whole,
                struct seen *s)
{
	uint32_t rng = pattern;
	size_t off = 0, k = 0, len;

	s->payload_len = 0;
	s->feed = AB_OK;
	ab_init(p);
	while (off < n || k == 0) {
		const uint8_t *pl = (const uint8_t *)"x";
		size_t pl_len = 7;
		enum ab_err e;

		len = whole ? n : next_size(pattern, n, k, n - off, &rng);
		if (len > n - off)
			len = n - off;
		e = ab_feed(p, body + off, len, &pl, &pl_len);
		if (e != AB_OK && e != AB_ERR_TOO_LONG)
			abort();
		if (s->feed != AB_OK && e != s->feed)
			abort();   /* an error sticks */
		s->feed = e;
		if (e != AB_OK || ab_metadata(p) == NULL) {
			if (pl != NULL || pl_len != 0)
				abort();   /* no payload before the metadata, nor after an error */
		} else if (len > 0) {
			/* The payload is the tail of this very buffer. */
			if (pl_len > len || pl != body + off + len - pl_len)
				abort();
			if (s->payload_len + pl_len > n)
				abort();
			memcpy(s->payload + s->payload_len, pl, pl_len);
			s->payload_len += pl_len;
		} else if (pl_len != 0) {
			abort();
		}
		off += len;
		k++;
	}
	s->finish = ab_finish(p);
	if (s->finish != ab_finish(p))
		abort();
}

/* The metadata through meta_set_json: a result of 0 or -1, a reason, m untouched on -1. */
static void check_json(const char *text)
{
	struct meta m, before;
	char err[200];
	size_t i, nseen;
	int rc;

	memset(&m, 0, sizeof m);
	memset(err, 'Z', sizeof err);
	before = m;
	rc = meta_set_json(&m, text, err, sizeof err);
	if (rc == -1) {
		if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
			abort();
		for (i = 0; err[i] != '\0'; i++)
			if (err[i] < 0x20 || err[i] > 0x7e)
				abort();
		if (memcmp(&m, &before, sizeof m) != 0)
			abort();
		return;
	}
	if (rc != 0)
		abort();
	if ((m.seen[META_SAMPLING_RATE] && (m.sampling_rate < 1 || m.sampling_rate > 768000)) ||
	    (m.seen[META_NUM_CHANNELS] && (m.num_channels < 1 || m.num_channels > 32)) ||
	    (m.seen[META_WIDTH] && (m.width < 1 || m.width > 1048576)) ||
	    (m.seen[META_HEIGHT] && (m.height < 1 || m.height > 1048576)))
		abort();
	if (memchr(m.kind, '\0', sizeof m.kind) == NULL ||
	    memchr(m.format, '\0', sizeof m.format) == NULL ||
	    memchr(m.filename, '\0', sizeof m.filename) == NULL)
		abort();
	if (m.seen[META_FORMAT] && m.format[0] == '\0')
		abort();
	/* Applied again, any known key it holds is now a repeat: refused, m untouched. */
	for (i = 0, nseen = 0; i < META_NFIELDS; i++)
		nseen += m.seen[i] != 0;
	before = m;
	if (meta_set_json(&m, text, err, sizeof err) != (nseen > 0 ? -1 : 0))
		abort();
	if (memcmp(&m, &before, sizeof m) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ab_parser p;   /* 64 KiB: not on the stack */
	static uint8_t bufa[1 << 20], bufb[1 << 20];
	struct seen a = { bufa, 0, AB_OK, AB_OK }, b = { bufb, 0, AB_OK, AB_OK };
	const uint8_t *body;
	uint32_t length = 0;
	size_t n;

	if (size < 1 || size - 1 > sizeof bufa)
		return 0;
	body = data + 1;
	n = size - 1;
	if (n >= 4)
		length = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
		         (uint32_t)body[2] << 8 | body[3];

	run(&p, body, n, data[0], 1, &a);
	run(&p, body, n, data[0], 0, &b);
	if (a.feed != b.feed || a.finish != b.finish || a.payload_len != b.payload_len ||
	    memcmp(a.payload, b.payload, a.payload_len) != 0)
		abort();

	/* What the framing must have decided, from the body alone. */
	if (n >= 4 && length > AB_META_MAX) {
		if (a.finish != AB_ERR_TOO_LONG || a.feed != AB_ERR_TOO_LONG ||
		    a.payload_len != 0 || ab_metadata(&p) != NULL)
			abort();
		return 0;
	}
	if (a.feed != AB_OK)
		abort();
	if (n < 4 || n - 4 < length) {
		if (a.finish != AB_ERR_SHORT || a.payload_len != 0 || ab_metadata(&p) != NULL)
			abort();
		return 0;
	}
	if (a.finish != AB_OK || ab_metadata(&p) == NULL || p.length != length)
		abort();
	/* payload = the input minus 4 + length; metadata = the bytes in between. */
	if (a.payload_len != n - 4 - length || memcmp(a.payload, body + 4 + length,
	                                              a.payload_len) != 0)
		abort();
	if (memcmp(ab_metadata(&p), body + 4, length) != 0 || ab_metadata(&p)[length] != '\0')
		abort();
	/* A raw NUL is never JSON: the handler refuses the text by its length, as here. */
	if (strlen(ab_metadata(&p)) == length)
		check_json(ab_metadata(&p));
	return 0;
}
