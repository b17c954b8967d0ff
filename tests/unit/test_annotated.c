/* test_annotated.c: unit tests for fcgi/annotated.c (the annotated binary upload framing). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/annotated.h"

/* What one parse produced: the feed results, the payload concatenated, and the end. */
struct result {
	enum ab_err feed;      /* the first error from ab_feed, or AB_OK */
	enum ab_err finish;
	uint8_t    *payload;
	size_t      payload_len;
	char       *meta;      /* a copy of ab_metadata, or NULL */
	uint32_t    length;
};

static void result_free(struct result *r)
{
	free(r->payload);
	free(r->meta);
}

/* A body: the 4 length bytes (big-endian), the metadata, the payload. */
static uint8_t *make_body(uint32_t length, const char *meta, size_t meta_len,
                          const uint8_t *payload, size_t payload_len, size_t *n)
{
	uint8_t *b = malloc(4 + meta_len + payload_len + 1);

	cr_assert_not_null(b);
	b[0] = (uint8_t)(length >> 24);
	b[1] = (uint8_t)(length >> 16);
	b[2] = (uint8_t)(length >> 8);
	b[3] = (uint8_t)length;
	if (meta_len > 0)
		memcpy(b + 4, meta, meta_len);
	if (payload_len > 0)
		memcpy(b + 4 + meta_len, payload, payload_len);
	*n = 4 + meta_len + payload_len;
	return b;
}

/*
 * Feed body through a fresh parser in pieces: cuts[0..ncuts-1] are ascending offsets where a
 * new ab_feed starts (step > 0 instead feeds step bytes at a time). Checks on the way that
 * metadata appears only when complete and that payload always lies within the feed's buffer.
 */
static void parse(const uint8_t *body, size_t n, const size_t *cuts, size_t ncuts, size_t step,
                  struct result *r)
{
	static struct ab_parser p;   /* 64 KiB: not on the stack */
	size_t off = 0, k = 0;

	memset(r, 0, sizeof *r);
	r->payload = malloc(n + 1);
	cr_assert_not_null(r->payload);
	ab_init(&p);
	cr_assert_null(ab_metadata(&p));
	while (off < n) {
		size_t end = step > 0 ? off + step : k < ncuts ? cuts[k] : n;
		const uint8_t *pl = (const uint8_t *)"junk";
		size_t pl_len = 12345;
		enum ab_err e;

		if (end > n)
			end = n;
		e = ab_feed(&p, body + off, end - off, &pl, &pl_len);
		if (e != AB_OK) {
			cr_assert_null(pl);
			cr_assert_eq(pl_len, 0);
			if (r->feed == AB_OK)
				r->feed = e;
		} else if (ab_metadata(&p) == NULL) {
			cr_assert_null(pl, "payload before the metadata was complete");
			cr_assert_eq(pl_len, 0);
		} else if (end > off) {
			cr_assert_leq(pl_len, end - off);
			cr_assert_eq(pl + pl_len, body + end, "payload is not the end of the buffer");
			memcpy(r->payload + r->payload_len, pl, pl_len);
			r->payload_len += pl_len;
		}
		off = end;
		k++;
	}
	r->finish = ab_finish(&p);
	if (ab_metadata(&p) != NULL) {
		r->meta = strdup(ab_metadata(&p));
		r->length = p.length;
	}
}

static void assert_same(const struct result *a, const struct result *b, const char *what)
{
	cr_assert_eq(a->feed, b->feed, "%s: feed", what);
	cr_assert_eq(a->finish, b->finish, "%s: finish", what);
	cr_assert_eq(a->length, b->length, "%s: length", what);
	cr_assert_eq(a->meta == NULL, b->meta == NULL, "%s: metadata presence", what);
	if (a->meta != NULL)
		cr_assert_str_eq(a->meta, b->meta, "%s: metadata", what);
	cr_assert_eq(a->payload_len, b->payload_len, "%s: payload length", what);
	cr_assert_eq(memcmp(a->payload, b->payload, a->payload_len), 0, "%s: payload", what);
}

/* ---- a valid body, split every way ---------------------------------------------------------- */

static const char meta_text[] =
	"{\"kind\":\"audio\",\"format\":\"pcm_s16le\",\"sampling_rate\":16000,\"num_channels\":1}";

Test(annotated, whole_body)
{
	uint8_t payload[300];
	struct result r;
	uint8_t *body;
	size_t n, i;

	for (i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	body = make_body(sizeof meta_text - 1, meta_text, sizeof meta_text - 1, payload,
	                 sizeof payload, &n);
	parse(body, n, NULL, 0, 0, &r);
	cr_assert_eq(r.feed, AB_OK);
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_not_null(r.meta);
	cr_assert_str_eq(r.meta, meta_text);
	cr_assert_eq(r.length, sizeof meta_text - 1);
	cr_assert_eq(r.payload_len, sizeof payload);
	cr_assert_eq(memcmp(r.payload, payload, sizeof payload), 0);
	result_free(&r);
	free(body);
}

Test(annotated, split_at_every_byte_and_one_at_a_time)
{
	uint8_t payload[64];
	struct result whole, r;
	uint8_t *body;
	size_t n, i, cut;
	char what[64];

	for (i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(255 - i);
	body = make_body(sizeof meta_text - 1, meta_text, sizeof meta_text - 1, payload,
	                 sizeof payload, &n);
	parse(body, n, NULL, 0, 0, &whole);
	cr_assert_eq(whole.finish, AB_OK);
	cr_assert_eq(whole.payload_len, sizeof payload);

	/* Every cut 0..n, including inside the length bytes and at each boundary. */
	for (cut = 0; cut <= n; cut++) {
		parse(body, n, &cut, 1, 0, &r);
		snprintf(what, sizeof what, "cut at %zu", cut);
		assert_same(&whole, &r, what);
		result_free(&r);
	}
	/* Two cuts: the first in or just after the length bytes, the second anywhere after. */
	for (cut = 0; cut <= 8; cut++) {
		size_t cuts[2], j;
		for (j = cut; j <= n; j++) {
			cuts[0] = cut;
			cuts[1] = j;
			parse(body, n, cuts, 2, 0, &r);
			snprintf(what, sizeof what, "cuts at %zu, %zu", cut, j);
			assert_same(&whole, &r, what);
			result_free(&r);
		}
	}
	for (i = 1; i <= 7; i++) {
		parse(body, n, NULL, 0, i, &r);
		snprintf(what, sizeof what, "%zu bytes at a time", i);
		assert_same(&whole, &r, what);
		result_free(&r);
	}
	result_free(&whole);
	free(body);
}

Test(annotated, empty_payload)
{
	static const size_t cut = 2;
	struct result r;
	uint8_t *body;
	size_t n;

	body = make_body(2, "{}", 2, NULL, 0, &n);
	parse(body, n, NULL, 0, 0, &r);
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_str_eq(r.meta, "{}");
	cr_assert_eq(r.payload_len, 0);
	result_free(&r);
	parse(body, n, NULL, 0, 1, &r);
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_str_eq(r.meta, "{}");
	cr_assert_eq(r.payload_len, 0);
	result_free(&r);
	parse(body, n, &cut, 1, 0, &r);
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_eq(r.payload_len, 0);
	result_free(&r);
	free(body);
}

Test(annotated, zero_length_metadata)
{
	static const uint8_t payload[] = "abc";
	struct result r;
	uint8_t *body;
	size_t n;

	/* Valid framing; "" is then refused by the caller as not a JSON object. */
	body = make_body(0, NULL, 0, payload, 3, &n);
	parse(body, n, NULL, 0, 0, &r);
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_not_null(r.meta);
	cr_assert_str_eq(r.meta, "");
	cr_assert_eq(r.length, 0);
	cr_assert_eq(r.payload_len, 3);
	cr_assert_eq(memcmp(r.payload, "abc", 3), 0);
	result_free(&r);
	parse(body, 4, NULL, 0, 1, &r);   /* just the length: complete, no payload */
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_str_eq(r.meta, "");
	cr_assert_eq(r.payload_len, 0);
	result_free(&r);
	free(body);
}

Test(annotated, payload_bytes_any_value)
{
	uint8_t payload[256];
	struct result r;
	uint8_t *body;
	size_t n, i;

	/* NUL, CR, LF and 0xff in the payload are data, not framing. */
	for (i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)i;
	body = make_body(2, "{}", 2, payload, sizeof payload, &n);
	parse(body, n, NULL, 0, 3, &r);
	cr_assert_eq(r.finish, AB_OK);
	cr_assert_eq(r.payload_len, sizeof payload);
	cr_assert_eq(memcmp(r.payload, payload, sizeof payload), 0);
	result_free(&r);
	free(body);
}

/* ---- the metadata limit -------------------------------------------------------------------- */

Test(annotated, length_at_max_is_accepted)
{
	char *meta = malloc(AB_META_MAX);
	struct result whole, r;
	uint8_t *body;
	size_t n;

	cr_assert_not_null(meta);
	memset(meta, ' ', AB_META_MAX);
	meta[0] = '{';
	meta[AB_META_MAX - 1] = '}';
	body = make_body(AB_META_MAX, meta, AB_META_MAX, (const uint8_t *)"xyz", 3, &n);
	parse(body, n, NULL, 0, 0, &whole);
	cr_assert_eq(whole.feed, AB_OK);
	cr_assert_eq(whole.finish, AB_OK);
	cr_assert_eq(whole.length, AB_META_MAX);
	cr_assert_not_null(whole.meta);
	cr_assert_eq(strlen(whole.meta), AB_META_MAX);
	cr_assert_eq(memcmp(whole.meta, meta, AB_META_MAX), 0);
	cr_assert_eq(whole.payload_len, 3);
	cr_assert_eq(memcmp(whole.payload, "xyz", 3), 0);
	parse(body, n, NULL, 0, 4093, &r);
	assert_same(&whole, &r, "4093 at a time");
	result_free(&r);
	result_free(&whole);
	free(body);
	free(meta);
}

Test(annotated, length_over_max_fails_at_the_fourth_byte)
{
	static const uint32_t lengths[] = { AB_META_MAX + 1, 0x01000000, 0x7fffffff, 0xffffffff };
	static struct ab_parser p;
	const uint8_t *pl;
	size_t pl_len, i, j;

	for (i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		uint8_t b[8] = { (uint8_t)(lengths[i] >> 24), (uint8_t)(lengths[i] >> 16),
		                 (uint8_t)(lengths[i] >> 8), (uint8_t)lengths[i], '{', '}', 'x', 'y' };

		/* Only the 4 length bytes, whole. */
		ab_init(&p);
		cr_assert_eq(ab_feed(&p, b, 4, &pl, &pl_len), AB_ERR_TOO_LONG, "0x%x",
		             (unsigned)lengths[i]);
		cr_assert_eq(p.state, AB_FAILED);
		cr_assert_null(ab_metadata(&p));
		cr_assert_eq(ab_finish(&p), AB_ERR_TOO_LONG);

		/* One at a time: fine for 3 bytes, refused at the 4th. */
		ab_init(&p);
		for (j = 0; j < 3; j++)
			cr_assert_eq(ab_feed(&p, b + j, 1, &pl, &pl_len), AB_OK);
		cr_assert_eq(ab_finish(&p), AB_ERR_SHORT);
		cr_assert_eq(ab_feed(&p, b + 3, 1, &pl, &pl_len), AB_ERR_TOO_LONG);
		/* It sticks, whatever comes next, and hands out no payload. */
		pl = b;
		pl_len = 99;
		cr_assert_eq(ab_feed(&p, b + 4, 4, &pl, &pl_len), AB_ERR_TOO_LONG);
		cr_assert_null(pl);
		cr_assert_eq(pl_len, 0);
		cr_assert_eq(ab_feed(&p, NULL, 0, &pl, &pl_len), AB_ERR_TOO_LONG);
		cr_assert_null(ab_metadata(&p));
		cr_assert_eq(ab_finish(&p), AB_ERR_TOO_LONG);

		/* With the rest of the body in the same feed. */
		ab_init(&p);
		cr_assert_eq(ab_feed(&p, b, sizeof b, &pl, &pl_len), AB_ERR_TOO_LONG);
		cr_assert_null(pl);
	}
}

/* ---- short bodies --------------------------------------------------------------------------- */

Test(annotated, short_bodies)
{
	static struct ab_parser p;
	static const uint8_t b[] = { 0, 0, 0, 10, '{', '"', 'a', '"', ':' };
	const uint8_t *pl;
	size_t pl_len, n;

	/* 0..3 bytes: inside the length. */
	for (n = 0; n <= 3; n++) {
		ab_init(&p);
		cr_assert_eq(ab_feed(&p, b, n, &pl, &pl_len), AB_OK);
		cr_assert_null(pl);
		cr_assert_null(ab_metadata(&p));
		cr_assert_eq(ab_finish(&p), AB_ERR_SHORT, "%zu bytes", n);
	}
	/* The length says 10, then 0..5 metadata bytes arrive. */
	for (n = 4; n <= sizeof b; n++) {
		ab_init(&p);
		cr_assert_eq(ab_feed(&p, b, n, &pl, &pl_len), AB_OK);
		cr_assert_null(pl);
		cr_assert_eq(pl_len, 0);
		cr_assert_null(ab_metadata(&p));
		cr_assert_eq(ab_finish(&p), AB_ERR_SHORT, "%zu bytes", n);
	}
	/* One short of complete, fed a byte at a time. */
	{
		static const uint8_t c[] = { 0, 0, 0, 2, '{', '}' };
		size_t i;
		ab_init(&p);
		for (i = 0; i + 1 < sizeof c; i++) {
			cr_assert_eq(ab_feed(&p, c + i, 1, &pl, &pl_len), AB_OK);
			cr_assert_null(ab_metadata(&p));
		}
		cr_assert_eq(ab_finish(&p), AB_ERR_SHORT);
		cr_assert_eq(ab_feed(&p, c + i, 1, &pl, &pl_len), AB_OK);
		cr_assert_not_null(pl);
		cr_assert_eq(pl_len, 0);
		cr_assert_str_eq(ab_metadata(&p), "{}");
		cr_assert_eq(ab_finish(&p), AB_OK);
	}
}

Test(annotated, metadata_null_until_complete)
{
	static struct ab_parser p;
	uint8_t *body;
	const uint8_t *pl;
	size_t n, i, pl_len;

	body = make_body(sizeof meta_text - 1, meta_text, sizeof meta_text - 1,
	                 (const uint8_t *)"PAY", 3, &n);
	ab_init(&p);
	for (i = 0; i < 4 + sizeof meta_text - 1; i++) {
		cr_assert_null(ab_metadata(&p), "metadata after %zu bytes", i);
		cr_assert_eq(ab_feed(&p, body + i, 1, &pl, &pl_len), AB_OK);
	}
	cr_assert_not_null(ab_metadata(&p));
	cr_assert_str_eq(ab_metadata(&p), meta_text);
	cr_assert_eq(p.state, AB_PAYLOAD);
	/* An empty feed in the payload is fine. */
	cr_assert_eq(ab_feed(&p, NULL, 0, &pl, &pl_len), AB_OK);
	cr_assert_eq(pl_len, 0);
	cr_assert_eq(ab_feed(&p, body + i, 3, &pl, &pl_len), AB_OK);
	cr_assert_eq(pl, body + i);
	cr_assert_eq(pl_len, 3);
	cr_assert_eq(ab_finish(&p), AB_OK);
	free(body);
}

Test(annotated, init_resets_a_used_parser)
{
	static struct ab_parser p;
	static const uint8_t big[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t ok[] = { 0, 0, 0, 2, '{', '}', 'z' };
	const uint8_t *pl;
	size_t pl_len;

	ab_init(&p);
	cr_assert_eq(ab_feed(&p, big, 4, &pl, &pl_len), AB_ERR_TOO_LONG);
	ab_init(&p);
	cr_assert_eq(p.state, AB_LENGTH);
	cr_assert_eq(ab_feed(&p, ok, sizeof ok, &pl, &pl_len), AB_OK);
	cr_assert_str_eq(ab_metadata(&p), "{}");
	cr_assert_eq(pl_len, 1);
	cr_assert_eq(pl[0], 'z');
	ab_init(&p);
	cr_assert_null(ab_metadata(&p));
	cr_assert_eq(ab_finish(&p), AB_ERR_SHORT);
}

Test(annotated, nul_in_metadata_is_visible_by_length)
{
	static struct ab_parser p;
	static const uint8_t b[] = { 0, 0, 0, 5, '{', '}', 0, 'x', 'y', 'P' };
	const uint8_t *pl;
	size_t pl_len;

	/* The framing takes any bytes; the caller tells the NUL by strlen != length. */
	ab_init(&p);
	cr_assert_eq(ab_feed(&p, b, sizeof b, &pl, &pl_len), AB_OK);
	cr_assert_eq(p.length, 5);
	cr_assert_eq(strlen(ab_metadata(&p)), 2);
	cr_assert_eq(memcmp(ab_metadata(&p), "{}\0xy", 6), 0);
	cr_assert_eq(pl_len, 1);
	cr_assert_eq(pl[0], 'P');
}
