/* test_multipart.c: unit tests for the streaming multipart/form-data parser (fcgi/multipart.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/multipart.h"

#define B      "----WebKitFormBoundaryx8Q2aVzmiuL7XvJd"
#define MAXP   80

/* What the callbacks saw of one part. */
struct rpart {
	struct mp_part meta;
	char          *data;
	size_t         len;
	int            ended;
};

struct rec {
	struct rpart parts[MAXP];
	size_t       n;
	size_t       pieces;       /* part_data calls */
	int          bad;          /* callbacks out of order, or empty pieces */
	size_t       stop_begin;   /* return non-zero from the Nth call of a callback, from 1 */
	size_t       stop_data;
	size_t       stop_end;
	size_t       nbegin, ndata, nend;
	int          stopped;
	int          after_stop;   /* callbacks made after one asked to stop */
};

static int on_begin(void *ctx, const struct mp_part *part)
{
	struct rec *r = ctx;

	r->after_stop += r->stopped;
	if (r->n > 0 && !r->parts[r->n - 1].ended)
		r->bad++;
	if (r->n == MAXP) {
		r->bad++;
		return 1;
	}
	r->parts[r->n].meta = *part;
	r->n++;
	if (++r->nbegin == r->stop_begin) {
		r->stopped = 1;
		return 1;
	}
	return 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct rec *r = ctx;
	struct rpart *rp;

	r->after_stop += r->stopped;
	r->pieces++;
	if (len == 0 || r->n == 0 || r->parts[r->n - 1].ended) {
		r->bad++;
		return 0;
	}
	rp = &r->parts[r->n - 1];
	rp->data = realloc(rp->data, rp->len + len);
	cr_assert_not_null(rp->data);
	memcpy(rp->data + rp->len, data, len);
	rp->len += len;
	if (++r->ndata == r->stop_data) {
		r->stopped = 1;
		return 1;
	}
	return 0;
}

static int on_end(void *ctx)
{
	struct rec *r = ctx;

	r->after_stop += r->stopped;
	if (r->n == 0 || r->parts[r->n - 1].ended)
		r->bad++;
	else
		r->parts[r->n - 1].ended = 1;
	if (++r->nend == r->stop_end) {
		r->stopped = 1;
		return 1;
	}
	return 0;
}

static const struct mp_callbacks callbacks = { on_begin, on_data, on_end };

static struct rec *rec_new(void)
{
	struct rec *r = calloc(1, sizeof *r);

	cr_assert_not_null(r);
	return r;
}

static void rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->parts[i].data);
	free(r);
}

/*
 * Parse body with the boundary: in chunks of chunk bytes, or (chunk 0) in two feeds split at
 * split. Every feed after the first non-MP_OK result must return that same result; mp_finish
 * follows, and must agree. Returns the final result.
 */
static enum mp_err parse_ex(const char *boundary, const struct mp_limits *lim, const char *body,
                            size_t len, size_t split, size_t chunk, struct rec *r,
                            struct mp_parser *p)
{
	enum mp_err e = MP_OK, got;
	size_t off = 0, n;
	int first = 1;

	mp_init(p, boundary, lim, &callbacks, r);
	while (first || off < len) {
		n = chunk ? chunk : (first ? split : len - off);
		if (n > len - off)
			n = len - off;
		got = mp_feed(p, body + off, n);
		if (e != MP_OK)
			cr_assert_eq(got, e, "feed after final result %d returned %d", e, got);
		e = got;
		off += n;
		first = 0;
	}
	got = mp_finish(p);
	if (e != MP_OK)
		cr_assert_eq(got, e, "mp_finish returned %d after %d", got, e);
	cr_assert_eq(mp_finish(p), got, "mp_finish is not idempotent");
	cr_assert_eq(mp_feed(p, "x", 1), got, "feed after mp_finish changed the result");
	if (got == MP_DONE)
		cr_assert_str_eq(mp_detail(p), "");
	else
		cr_assert_neq(mp_detail(p)[0], '\0', "no detail for error %d", got);
	return got;
}

static enum mp_err parse(const char *body, size_t len, struct rec *r)
{
	struct mp_parser p;

	return parse_ex(B, NULL, body, len, len, 0, r, &p);
}

/* The expected view of one part. */
struct exp_part {
	const char *name;
	const char *filename;
	int         has_filename;
	const char *ctype;
	const char *data;
	size_t      len;
};

static void check(const struct rec *r, const struct exp_part *e, size_t n, const char *how)
{
	size_t i;

	cr_assert_eq(r->bad, 0, "%s: callbacks out of order or empty pieces", how);
	cr_assert_eq(r->n, n, "%s: %zu parts, want %zu", how, r->n, n);
	for (i = 0; i < n; i++) {
		const struct rpart *rp = &r->parts[i];
		cr_assert_str_eq(rp->meta.name, e[i].name, "%s: part %zu name", how, i);
		cr_assert_str_eq(rp->meta.filename, e[i].filename, "%s: part %zu filename", how, i);
		cr_assert_eq(rp->meta.has_filename, e[i].has_filename, "%s: part %zu", how, i);
		cr_assert_str_eq(rp->meta.content_type, e[i].ctype, "%s: part %zu type", how, i);
		cr_assert_eq(rp->len, e[i].len, "%s: part %zu has %zu bytes, want %zu", how, i,
		             rp->len, e[i].len);
		cr_assert(e[i].len == 0 || memcmp(rp->data, e[i].data, e[i].len) == 0,
		          "%s: part %zu content differs", how, i);
		cr_assert(rp->ended, "%s: part %zu not ended", how, i);
	}
}

/* Parse whole, split in two at every byte, in every chunk size up to 17, and byte by byte;
 * every way must give exactly the expected parts. */
static void check_all_ways(const char *boundary, const char *body, size_t len,
                           const struct exp_part *e, size_t n)
{
	struct mp_parser p;
	struct rec *r;
	char how[64];
	size_t k;

	for (k = 0; k <= len; k++) {
		r = rec_new();
		snprintf(how, sizeof how, "split at %zu", k);
		cr_assert_eq(parse_ex(boundary, NULL, body, len, k, 0, r, &p), MP_DONE,
		             "%s: %s", how, mp_detail(&p));
		check(r, e, n, how);
		rec_free(r);
	}
	for (k = 1; k <= 17; k++) {
		r = rec_new();
		snprintf(how, sizeof how, "chunks of %zu", k);
		cr_assert_eq(parse_ex(boundary, NULL, body, len, 0, k, r, &p), MP_DONE,
		             "%s: %s", how, mp_detail(&p));
		check(r, e, n, how);
		rec_free(r);
	}
}

/* A body under construction. */
struct body {
	char   d[1 << 16];
	size_t n;
};

static void add(struct body *b, const char *s, size_t n)
{
	cr_assert_leq(b->n + n, sizeof b->d);
	memcpy(b->d + b->n, s, n);
	b->n += n;
}

static void adds(struct body *b, const char *s)
{
	add(b, s, strlen(s));
}

/* A body with one part: the given header lines (each ending in CRLF) and content. */
static void one_part(struct body *b, const char *headers, const char *content, size_t clen)
{
	b->n = 0;
	adds(b, "--" B "\r\n");
	adds(b, headers);
	adds(b, "\r\n");
	add(b, content, clen);
	adds(b, "\r\n--" B "--\r\n");
}

/* Parse a one-part body; returns the result and leaves the parts in r. */
static enum mp_err parse_one(const char *headers, const char *content, struct rec *r)
{
	static struct body b;

	one_part(&b, headers, content, strlen(content));
	return parse(b.d, b.n, r);
}

/* ---- a typical browser body ---- */

/* Content with every look-alike that must stay content. */
static void browser_file(struct body *c)
{
	c->n = 0;
	add(c, "\x00\x01\xff\xfe\r", 5);           /* lone CR */
	add(c, "x\ny\n", 4);                        /* lone LFs */
	add(c, "--\r\r\n\n-\r\n-\0\0", 12);         /* CRs, dashes, NULs */
	adds(c, "x--" B "\r\n");                    /* the boundary, no CRLF before it */
	adds(c, "\r\n--" "----WebKitFormBound" "Z"); /* CRLF, dashes, boundary prefix, other */
	adds(c, "\r\n--" "----WebKitFormBoundaryx8Q2aVzmiuL7XvJ" "\r\n"); /* all but the last */
	adds(c, "\r\n-\r\n--\r\n\r\n\r");           /* short prefixes, ends with a CR */
}

static void browser_body(struct body *b, struct body *file)
{
	browser_file(file);
	b->n = 0;
	adds(b, "--" B "\r\n"
	        "Content-Disposition: form-data; name=\"title\"\r\n"
	        "\r\n"
	        "Hello, world\r\n"
	        "--" B "\r\n"
	        "Content-Disposition: form-data; name=\"notes\"\r\n"
	        "\r\n"
	        "line one\r\nline two\r\n"
	        "\r\n--" B "\r\n"
	        "Content-Disposition: form-data; name=\"empty\"\r\n"
	        "\r\n"
	        "\r\n--" B "\r\n"
	        "Content-Disposition: form-data; name=\"media\"; filename=\"clip.bin\"\r\n"
	        "Content-Type: application/octet-stream\r\n"
	        "\r\n");
	add(b, file->d, file->n);
	adds(b, "\r\n--" B "--\r\n");
}

Test(multipart, browser_body_all_ways)
{
	static struct body b, file;
	struct exp_part e[4] = {
		{ "title", "", 0, "", "Hello, world", 12 },
		{ "notes", "", 0, "", "line one\r\nline two\r\n", 20 },
		{ "empty", "", 0, "", "", 0 },
		{ "media", "clip.bin", 1, "application/octet-stream", NULL, 0 },
	};
	struct rec *r;

	browser_body(&b, &file);
	e[3].data = file.d;
	e[3].len = file.n;
	r = rec_new();
	cr_assert_eq(parse(b.d, b.n, r), MP_DONE);
	check(r, e, 4, "whole");
	rec_free(r);
	check_all_ways(B, b.d, b.n, e, 4);
}

/* Content runs go to part_data whole: one piece for a whole feed, however many CRs. */
Test(multipart, content_in_long_runs)
{
	struct mp_parser p;
	const size_t size = 1 << 20;
	char *body = malloc(size + 512);
	uint32_t x = 12345;
	size_t i, hdr, n;
	struct rec *r = rec_new();
	int crs = 0;

	cr_assert_not_null(body);
	hdr = (size_t)sprintf(body, "--" B "\r\nContent-Disposition: form-data; name=\"f\"; "
	                      "filename=\"big\"\r\n\r\n");
	for (i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		body[hdr + i] = (char)(x >> 16);
		crs += body[hdr + i] == '\r';
	}
	cr_assert_gt(crs, 1000);
	n = hdr + size;
	n += (size_t)sprintf(body + n, "\r\n--" B "--\r\n");
	cr_assert_eq(parse_ex(B, NULL, body, n, n, 0, r, &p), MP_DONE);
	cr_assert_eq(r->n, 1);
	cr_assert_eq(r->pieces, 1, "%zu pieces for one feed", r->pieces);
	cr_assert_eq(r->parts[0].len, size);
	cr_assert(memcmp(r->parts[0].data, body + hdr, size) == 0);
	rec_free(r);

	/* In 64 KiB feeds: at most one piece per feed, plus one for a held-back CR. */
	r = rec_new();
	cr_assert_eq(parse_ex(B, NULL, body, n, 0, 65536, r, &p), MP_DONE);
	cr_assert_leq(r->pieces, n / 65536 + 1 + 16, "%zu pieces", r->pieces);
	cr_assert_eq(r->parts[0].len, size);
	cr_assert(memcmp(r->parts[0].data, body + hdr, size) == 0);
	rec_free(r);
	free(body);
}

/* Only a possible delimiter is held back, and emitted once it is not one. */
Test(multipart, held_back_bytes)
{
	struct mp_parser p;
	struct rec *r = rec_new();
	const char *head = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc";
	const char *tail = "\r\n--" "----WebKit";

	mp_init(&p, B, NULL, &callbacks, r);
	cr_assert_eq(mp_feed(&p, head, strlen(head)), MP_OK);
	cr_assert_eq(mp_feed(&p, tail, strlen(tail)), MP_OK);
	cr_assert_eq(r->n, 1);
	cr_assert_eq(r->parts[0].len, 3);
	cr_assert(memcmp(r->parts[0].data, "abc", 3) == 0);
	cr_assert_eq(mp_feed(&p, "Q", 1), MP_OK);
	cr_assert_eq(r->parts[0].len, 3 + strlen(tail) + 1);
	cr_assert(memcmp(r->parts[0].data + 3, "\r\n------WebKitQ", 15) == 0);
	/* A whole delimiter: nothing of it is content, the part ends at "--". */
	cr_assert_eq(mp_feed(&p, "\r\n--" B, strlen("\r\n--" B)), MP_OK);
	cr_assert_eq(r->parts[0].len, 18);
	cr_assert_eq(r->parts[0].ended, 0);
	cr_assert_eq(mp_feed(&p, "-", 1), MP_OK);
	cr_assert_eq(r->parts[0].ended, 0);
	cr_assert_eq(mp_feed(&p, "-", 1), MP_DONE);
	cr_assert_eq(r->parts[0].ended, 1);
	cr_assert_eq(mp_feed(&p, "epilogue", 8), MP_DONE);
	cr_assert_eq(mp_finish(&p), MP_DONE);
	cr_assert_eq(r->parts[0].len, 18);
	rec_free(r);
}

/* ---- look-alikes and CRLF edge cases ---- */

static void check_content(const char *content, size_t clen)
{
	static struct body b;
	struct exp_part e = { "f", "", 0, "", content, clen };

	one_part(&b, "Content-Disposition: form-data; name=\"f\"\r\n", content, clen);
	check_all_ways(B, b.d, b.n, &e, 1);
}

#define CHECK_CONTENT(s) check_content(s, sizeof(s) - 1)

Test(multipart, boundary_lookalikes_are_content)
{
	CHECK_CONTENT("\r\n--" "----WebKitFormBoundaryx8Q" "Z");
	CHECK_CONTENT("\r\n--" "----WebKitFormBoundaryx8Q2aVzmiuL7XvJ");    /* minus last char */
	CHECK_CONTENT("\r\n--" "----WebKitFormBoundaryx8Q2aVzmiuL7XvJ" "\r\n");
	CHECK_CONTENT("\r\n--" "----WebKitFormBoundaryx8Q2aVzmiuL7XvJe"); /* last char differs */
	CHECK_CONTENT("--" B);                     /* no CRLF before it */
	CHECK_CONTENT("x--" B "--");
	CHECK_CONTENT("\n--" B "\r\n");            /* LF without CR */
	CHECK_CONTENT("\r--" B "\r\n");            /* CR without LF */
	CHECK_CONTENT("\r\n-" B);                  /* one dash */
	CHECK_CONTENT("\r\n" B);                   /* no dashes */
	CHECK_CONTENT("\r\r\n--" "----Web");       /* CR before a partial delimiter */
	CHECK_CONTENT("\r\n--\r\n--\r\n--");
}

Test(multipart, crlf_edges)
{
	CHECK_CONTENT("a\rb");
	CHECK_CONTENT("a\nb");
	CHECK_CONTENT("\r");                       /* content is one CR before the delimiter */
	CHECK_CONTENT("abc\r");
	CHECK_CONTENT("abc\r\r");
	CHECK_CONTENT("\n");
	CHECK_CONTENT("abc\r\n");                  /* a CRLF that is content, then the delimiter */
	CHECK_CONTENT("\r\n");
	CHECK_CONTENT("\r\n\r\n");
	CHECK_CONTENT("");
	CHECK_CONTENT("\0");
}

Test(multipart, preamble_and_epilogue)
{
	static const char body[] =
		"This is the preamble. --" B " appears here without a CRLF,\r\n"
		"and \r\n-- here, \r\n--" "----WebKitFormBoundaryx8Q2aVzmiuL7XvJ" " too.\r\n"
		"--" B "\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n"
		"\r\n"
		"1\r\n"
		"--" B "--\r\n"
		"This is the epilogue.\r\n--" B "\r\n"
		"Content-Disposition: form-data; name=\"x\"\r\n\r\n"
		"\r\n--" B "--\r\n";
	const struct exp_part e[1] = { { "a", "", 0, "", "1", 1 } };

	check_all_ways(B, body, sizeof body - 1, e, 1);
}

Test(multipart, epilogue_without_crlf)
{
	static const char body[] =
		"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
		"1\r\n--" B "--garbage\0";
	const struct exp_part e[1] = { { "a", "", 0, "", "1", 1 } };

	check_all_ways(B, body, sizeof body, e, 1);
}

Test(multipart, preamble_ending_in_crlf)
{
	static const char body[] =
		"\r\n--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--";
	const struct exp_part e[1] = { { "a", "", 0, "", "1", 1 } };

	check_all_ways(B, body, sizeof body - 1, e, 1);
}

Test(multipart, transport_padding)
{
	static const char body[] =
		"--" B " \t \r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
		"--" B "\t\r\n"
		"Content-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n"
		"--" B "--  \r\n";
	const struct exp_part e[2] = { { "a", "", 0, "", "1", 1 }, { "b", "", 0, "", "2", 1 } };

	check_all_ways(B, body, sizeof body - 1, e, 2);
}

Test(multipart, bad_delimiter_lines)
{
	static const char *const bad[] = {
		"--" B " x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--",
		"--" B "\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--",
		"--" B "\rxContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--",
		/* RFC 2046 5.1.1: a whole boundary after CRLF is a delimiter, however it goes on */
		"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "X\r\n",
		"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "-X\r\n",
		"--" B "X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rec *r = rec_new();
		cr_assert_eq(parse(bad[i], strlen(bad[i]), r), MP_ERR_SYNTAX, "body %zu", i);
		cr_assert_eq(r->bad, 0);
		rec_free(r);
	}
}

Test(multipart, zero_parts)
{
	struct rec *r = rec_new();

	cr_assert_eq(parse("--" B "--\r\n", strlen("--" B "--\r\n"), r), MP_DONE);
	cr_assert_eq(r->n, 0);
	cr_assert_eq(r->pieces, 0);
	rec_free(r);
}

/* ---- truncated bodies ---- */

Test(multipart, truncated_everywhere)
{
	static struct body b, file;
	struct mp_parser p;
	const char *close;
	size_t len, close_end;

	browser_body(&b, &file);
	close = memmem(b.d, b.n, "\r\n--" B "--", strlen("\r\n--" B "--"));
	cr_assert_not_null(close);
	close_end = (size_t)(close - b.d) + strlen("\r\n--" B "--");
	for (len = 0; len <= b.n; len++) {
		struct rec *r = rec_new();
		enum mp_err e = parse_ex(B, NULL, b.d, len, len, 0, r, &p);
		if (len < close_end)
			cr_assert_eq(e, MP_ERR_SYNTAX, "prefix of %zu bytes gave %d", len, e);
		else
			cr_assert_eq(e, MP_DONE, "prefix of %zu bytes gave %d", len, e);
		cr_assert_eq(r->bad, 0);
		rec_free(r);
	}
}

Test(multipart, truncated_details)
{
	struct mp_parser p;
	struct rec *r = rec_new();
	const char *s;

	cr_assert_eq(parse_ex(B, NULL, "", 0, 0, 0, r, &p), MP_ERR_SYNTAX);
	cr_assert_str_eq(mp_detail(&p), "no boundary in body");
	s = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n";
	cr_assert_eq(parse_ex(B, NULL, s, strlen(s), 0, 0, r, &p), MP_ERR_SYNTAX);
	cr_assert_str_eq(mp_detail(&p), "body ends inside part headers");
	s = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata\r\n--" B;
	cr_assert_eq(parse_ex(B, NULL, s, strlen(s), 0, 0, r, &p), MP_ERR_SYNTAX);
	cr_assert_str_eq(mp_detail(&p), "missing final boundary");
	s = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata\r\n--" B "\r\n";
	cr_assert_eq(parse_ex(B, NULL, s, strlen(s), 0, 0, r, &p), MP_ERR_SYNTAX);
	cr_assert_str_eq(mp_detail(&p), "body ends inside part headers");
	s = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata";
	cr_assert_eq(parse_ex(B, NULL, s, strlen(s), 0, 0, r, &p), MP_ERR_SYNTAX);
	cr_assert_str_eq(mp_detail(&p), "missing final boundary");
	rec_free(r);
}

/* ---- limits ---- */

/* A one-part body whose header block is exactly hlen bytes, final CRLF included. */
static void header_block_of(struct body *b, size_t hlen)
{
	static char hdr[1 << 15];
	const char *cd = "Content-Disposition: form-data; name=\"f\"\r\nX-Pad: ";
	size_t pad = hlen - strlen(cd) - 4;

	cr_assert_lt(hlen, sizeof hdr);
	strcpy(hdr, cd);
	memset(hdr + strlen(cd), 'p', pad);
	strcpy(hdr + strlen(cd) + pad, "\r\n");
	one_part(b, hdr, "x", 1);
	cr_assert_eq(strlen(hdr) + 2, hlen);
}

Test(multipart, header_block_limit)
{
	static struct body b;
	struct mp_parser p;
	struct mp_limits lim;
	struct rec *r = rec_new();

	header_block_of(&b, 8192);
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p), MP_DONE, "%s", mp_detail(&p));
	rec_free(r);
	r = rec_new();
	header_block_of(&b, 8193);
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p), MP_ERR_LIMIT);
	cr_assert_str_eq(mp_detail(&p), "part header block over 8192 bytes");
	cr_assert_eq(r->n, 0);
	rec_free(r);

	/* Split everywhere and byte by byte, a custom limit. */
	lim.header_bytes = 100;
	lim.parts = 64;
	header_block_of(&b, 101);
	for (size_t k = 0; k <= b.n; k++) {
		r = rec_new();
		cr_assert_eq(parse_ex(B, &lim, b.d, b.n, k, 0, r, &p), MP_ERR_LIMIT);
		cr_assert_str_eq(mp_detail(&p), "part header block over 100 bytes");
		rec_free(r);
	}
	r = rec_new();
	header_block_of(&b, 100);
	cr_assert_eq(parse_ex(B, &lim, b.d, b.n, 0, 1, r, &p), MP_DONE);
	rec_free(r);
}

Test(multipart, long_header_lines)
{
	static struct body b;
	static char hdr[20000];
	struct mp_parser p;
	struct mp_limits lim = { 65536, 64 };
	struct rec *r = rec_new();
	size_t n;

	/* An unknown header longer than the line buffer is skipped. */
	n = (size_t)sprintf(hdr, "X-Long: ");
	memset(hdr + n, 'a', 12000);
	strcpy(hdr + n + 12000, "\r\nContent-Disposition: form-data; name=\"f\"\r\n");
	one_part(&b, hdr, "x", 1);
	cr_assert_eq(parse_ex(B, &lim, b.d, b.n, b.n, 0, r, &p), MP_DONE, "%s", mp_detail(&p));
	cr_assert_eq(r->n, 1);
	cr_assert_str_eq(r->parts[0].meta.name, "f");
	rec_free(r);

	/* A Content-Disposition longer than it is over the limit. */
	r = rec_new();
	n = (size_t)sprintf(hdr, "Content-Disposition: form-data; name=\"f\"; x=\"");
	memset(hdr + n, 'a', 12000);
	strcpy(hdr + n + 12000, "\"\r\n");
	one_part(&b, hdr, "x", 1);
	cr_assert_eq(parse_ex(B, &lim, b.d, b.n, b.n, 0, r, &p), MP_ERR_LIMIT);
	cr_assert_eq(r->n, 0);
	rec_free(r);
}

static void n_parts(struct body *b, size_t n)
{
	size_t i;
	char line[256];

	b->n = 0;
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "--" B "\r\nContent-Disposition: form-data; "
		         "name=\"p%zu\"\r\n\r\nv%zu\r\n", i, i);
		adds(b, line);
	}
	adds(b, "--" B "--\r\n");
}

Test(multipart, part_count_limit)
{
	static struct body b;
	struct mp_parser p;
	struct mp_limits lim = { 8192, 3 };
	struct rec *r = rec_new();

	n_parts(&b, 3);
	cr_assert_eq(parse_ex(B, &lim, b.d, b.n, b.n, 0, r, &p), MP_DONE);
	cr_assert_eq(r->n, 3);
	rec_free(r);

	r = rec_new();
	n_parts(&b, 4);
	cr_assert_eq(parse_ex(B, &lim, b.d, b.n, b.n, 0, r, &p), MP_ERR_LIMIT);
	cr_assert_str_eq(mp_detail(&p), "more than 3 parts");
	cr_assert_eq(r->n, 3);
	cr_assert_eq(r->nend, 3);
	cr_assert_str_eq(r->parts[2].meta.name, "p2");
	rec_free(r);

	/* The default is 64. */
	r = rec_new();
	n_parts(&b, 64);
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p), MP_DONE);
	cr_assert_eq(r->n, 64);
	rec_free(r);
	r = rec_new();
	n_parts(&b, 65);
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p), MP_ERR_LIMIT);
	cr_assert_eq(r->n, 64);
	rec_free(r);
}

Test(multipart, limits_default)
{
	struct mp_limits lim;

	mp_limits_default(&lim);
	cr_assert_eq(lim.header_bytes, 8192);
	cr_assert_eq(lim.parts, 64);
}

/* ---- part headers ---- */

static void expect_part(const char *headers, const char *name, const char *filename,
                        int has_filename, const char *ctype)
{
	struct rec *r = rec_new();
	enum mp_err e = parse_one(headers, "content", r);

	cr_assert_eq(e, MP_DONE, "headers %s: result %d", headers, e);
	cr_assert_eq(r->n, 1);
	cr_assert_str_eq(r->parts[0].meta.name, name, "headers %s", headers);
	cr_assert_str_eq(r->parts[0].meta.filename, filename, "headers %s", headers);
	cr_assert_eq(r->parts[0].meta.has_filename, has_filename, "headers %s", headers);
	cr_assert_str_eq(r->parts[0].meta.content_type, ctype, "headers %s", headers);
	cr_assert_eq(r->parts[0].len, 7);
	rec_free(r);
}

static void expect_error(const char *headers, enum mp_err want, const char *detail)
{
	static struct body b;
	struct mp_parser p;
	struct rec *r = rec_new();
	enum mp_err e;

	one_part(&b, headers, "content", 7);
	e = parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p);
	cr_assert_eq(e, want, "headers %s: result %d (%s), want %d", headers, e, mp_detail(&p),
	             want);
	cr_assert_eq(r->n, 0, "headers %s: a part began", headers);
	if (detail != NULL)
		cr_assert_str_eq(mp_detail(&p), detail);
	rec_free(r);
}

#define CD "Content-Disposition: "

Test(multipart, disposition_required)
{
	expect_error("", MP_ERR_SYNTAX, "part without Content-Disposition");
	expect_error("Content-Type: text/plain\r\n", MP_ERR_SYNTAX,
	             "part without Content-Disposition");
	expect_error(CD "form-data\r\n", MP_ERR_SYNTAX,
	             "Content-Disposition without a name parameter");
	expect_error(CD "form-data; filename=\"a.txt\"\r\n", MP_ERR_SYNTAX,
	             "Content-Disposition without a name parameter");
	expect_error(CD "form-data; names=\"a\"\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "attachment; name=\"a\"\r\n", MP_ERR_SYNTAX,
	             "Content-Disposition type is not form-data");
	expect_error(CD "form-datax; name=\"a\"\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "; name=\"a\"\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"a\"\r\n" CD "form-data; name=\"b\"\r\n",
	             MP_ERR_SYNTAX, "repeated Content-Disposition");
	expect_error(CD "form-data; name=\"a\"; name=\"b\"\r\n", MP_ERR_SYNTAX,
	             "repeated name parameter");
	expect_error(CD "form-data; name=\"a\"; filename=\"x\"; filename=\"y\"\r\n",
	             MP_ERR_SYNTAX, NULL);
}

Test(multipart, disposition_syntax)
{
	expect_part(CD "form-data; name=a\r\n", "a", "", 0, "");
	expect_part(CD "form-data;name=\"a\";filename=b.txt\r\n", "a", "b.txt", 1, "");
	expect_part(CD "  form-data ;  name = \"a\" ; \r\n", "a", "", 0, "");
	expect_part(CD "form-data; foo=bar; name=\"a\"; baz=\"q;u\\\"x\"\r\n", "a", "", 0, "");
	expect_part(CD "form-data; name=\"\"\r\n", "", "", 0, "");
	expect_error(CD "form-data; name=\"a\r\n", MP_ERR_SYNTAX,
	             "bad Content-Disposition parameter value");
	expect_error(CD "form-data; name=\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=a b\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data name=\"a\"\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"a\" x\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; =\"a\"\r\n", MP_ERR_SYNTAX, NULL);
}

Test(multipart, filenames)
{
	/* curl and others escape a quote with a backslash */
	expect_part(CD "form-data; name=\"f\"; filename=\"a\\\"b.txt\"\r\n", "f", "a\"b.txt", 1,
	            "");
	/* browsers send %22: left as sent */
	expect_part(CD "form-data; name=\"f\"; filename=\"a%22b.txt\"\r\n", "f", "a%22b.txt", 1,
	            "");
	expect_part(CD "form-data; name=\"f\"; filename=\"a;b; name=c.txt\"\r\n", "f",
	            "a;b; name=c.txt", 1, "");
	expect_part(CD "form-data; filename=\"x\"; name=\"f\"\r\n", "f", "x", 1, "");
	expect_part(CD "form-data; name=\"f\"; filename=\"../../etc/passwd\"\r\n", "f",
	            "../../etc/passwd", 1, "");
	expect_part(CD "form-data; name=\"f\"; "
	            "filename=\"r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac.pdf\"\r\n",
	            "f", "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac.pdf", 1, "");
	expect_part(CD "form-data; name=\"f\"; filename=\"\"\r\n", "f", "", 1, "");
	expect_part(CD "form-data; name=\"f\"; filename=plain.txt\r\n", "f", "plain.txt", 1, "");
	/* a backslash before anything but '"' or '\' is kept: unescaped Windows paths */
	expect_part(CD "form-data; name=\"f\"; filename=\"C:\\dir\\f.txt\"\r\n", "f",
	            "C:\\dir\\f.txt", 1, "");
	expect_part(CD "form-data; name=\"f\"; filename=\"a\\\\b\"\r\n", "f", "a\\b", 1, "");
	expect_part(CD "form-data; name=\"f\"; filename=\"end\\\"\"\r\n", "f", "end\"", 1, "");
	expect_part(CD "form-data; name=\"a\\\"b\"\r\n", "a\"b", "", 0, "");
	expect_part(CD "form-data; name=\"f\"; filename=\"tab\there\"\r\n", "f", "tab\there", 1,
	            "");
}

Test(multipart, filename_star)
{
	const char *want = "r\xc3\xa9sum\xc3\xa9.pdf";

	expect_part(CD "form-data; name=\"f\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n", "f",
	            want, 1, "");
	/* preferred over filename, in either order */
	expect_part(CD "form-data; name=\"f\"; filename=\"resume.pdf\"; "
	            "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n", "f", want, 1, "");
	expect_part(CD "form-data; name=\"f\"; filename*=utf-8''r%c3%a9sum%c3%a9.pdf; "
	            "filename=\"resume.pdf\"\r\n", "f", want, 1, "");
	expect_part(CD "form-data; name=\"f\"; filename*=ISO-8859-1'fr'r%E9sum%E9.pdf\r\n", "f",
	            want, 1, "");
	expect_part(CD "form-data; name=\"f\"; FILENAME*=UTF-8'en'a%20b%22c\r\n", "f", "a b\"c", 1,
	            "");
	expect_part(CD "form-data; name=\"f\"; filename*=UTF-8''\r\n", "f", "", 1, "");
	expect_error(CD "form-data; name=\"f\"; filename*=UTF-8''a%00b\r\n", MP_ERR_SYNTAX,
	             "NUL byte in filename");
	expect_error(CD "form-data; name=\"f\"; filename*=UTF-8''a%4\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"f\"; filename*=UTF-8''a%zz\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"f\"; filename*=UTF-8''a'b\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"f\"; filename*=KOI8-R''a\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"f\"; filename*=a.txt\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"f\"; filename*=\"UTF-8''a\"\r\n", MP_ERR_SYNTAX, NULL);
}

Test(multipart, nul_in_headers)
{
	static struct body b;
	static const char hdr[] = CD "form-data; name=\"f\"; filename=\"a\0b\"\r\n";
	struct mp_parser p;
	struct rec *r = rec_new();

	b.n = 0;
	adds(&b, "--" B "\r\n");
	add(&b, hdr, sizeof hdr - 1);
	adds(&b, "\r\nx\r\n--" B "--");
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p), MP_ERR_SYNTAX);
	cr_assert_eq(r->n, 0);
	rec_free(r);
}

Test(multipart, value_length_limits)
{
	static char hdr[8192], v[4096];

	memset(v, 'n', MP_NAME_MAX);
	v[MP_NAME_MAX] = '\0';
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"%s\"\r\n", v);
	expect_part(hdr, v, "", 0, "");
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"%sn\"\r\n", v);
	expect_error(hdr, MP_ERR_LIMIT, "name over 128 bytes");

	memset(v, 'f', MP_FILENAME_MAX);
	v[MP_FILENAME_MAX] = '\0';
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"a\"; filename=\"%s\"\r\n", v);
	expect_part(hdr, "a", v, 1, "");
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"a\"; filename=\"%sf\"\r\n", v);
	expect_error(hdr, MP_ERR_LIMIT, "filename over 1024 bytes");
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"a\"; filename*=UTF-8''%sf\r\n", v);
	expect_error(hdr, MP_ERR_LIMIT, "filename over 1024 bytes");
	/* escapes count after unquoting */
	v[0] = '\0';
	for (int i = 0; i < MP_FILENAME_MAX; i++)
		strcat(v, "\\\"");
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"a\"; filename=\"%s\"\r\n", v);
	{
		char want[MP_FILENAME_MAX + 1];
		memset(want, '"', MP_FILENAME_MAX);
		want[MP_FILENAME_MAX] = '\0';
		expect_part(hdr, "a", want, 1, "");
	}

	memset(v, 't', MP_CTYPE_MAX);
	v[MP_CTYPE_MAX] = '\0';
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"a\"\r\nContent-Type: %s \r\n", v);
	expect_part(hdr, "a", "", 0, v);
	snprintf(hdr, sizeof hdr, CD "form-data; name=\"a\"\r\nContent-Type: %st\r\n", v);
	expect_error(hdr, MP_ERR_LIMIT, "part Content-Type over 256 bytes");
}

Test(multipart, case_insensitive_names)
{
	expect_part("CONTENT-DISPOSITION: FORM-DATA; NAME=\"a\"; FileName=\"B.TXT\"\r\n"
	            "content-type: Text/Plain\r\n", "a", "B.TXT", 1, "Text/Plain");
	expect_part("content-disposition: Form-Data; nAmE=x\r\nCONTENT-TYPE:image/png\r\n", "x",
	            "", 0, "image/png");
}

Test(multipart, other_headers)
{
	expect_part(CD "form-data; name=\"a\"\r\nContent-Type: \t image/png \t\r\n", "a", "", 0,
	            "image/png");
	expect_part("X-Foo: bar\r\n" CD "form-data; name=\"a\"\r\n"
	            "Content-Transfer-Encoding: binary\r\nX-Empty:\r\n", "a", "", 0, "");
	expect_part(CD "form-data; name=\"a\"\r\nContent-Type:\r\n", "a", "", 0, "");
	expect_error(CD "form-data;\r\n name=\"a\"\r\n", MP_ERR_SYNTAX, "folded part header line");
	expect_error(CD "form-data; name=\"a\"\r\nX-Foo: a\r\n\tb\r\n", MP_ERR_SYNTAX,
	             "folded part header line");
	expect_error(CD "form-data; name=\"a\"\nX: y\r\n", MP_ERR_SYNTAX,
	             "LF without CR in part headers");
	expect_error(CD "form-data; name=\"a\"\rX: y\r\n", MP_ERR_SYNTAX,
	             "CR without LF in part headers");
	expect_error(CD "form-data; name=\"a\"\r\nNo colon here\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"a\"\r\nNocolon\r\n", MP_ERR_SYNTAX,
	             "part header line without a colon");
	expect_error("Content-Disposition : form-data; name=\"a\"\r\n", MP_ERR_SYNTAX,
	             "bad part header name");
	expect_error(CD "form-data; name=\"a\"\r\n: x\r\n", MP_ERR_SYNTAX, NULL);
	expect_error(CD "form-data; name=\"a\"\r\nContent-Type: a\r\nContent-Type: b\r\n",
	             MP_ERR_SYNTAX, "repeated Content-Type");
}

/* ---- callbacks ---- */

static void stop_case(size_t sb, size_t sd, size_t se, size_t want_parts, const char *detail)
{
	static struct body b, file;
	struct mp_parser p;
	struct rec *r = rec_new();
	size_t k;

	browser_body(&b, &file);
	r->stop_begin = sb;
	r->stop_data = sd;
	r->stop_end = se;
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, b.n, 0, r, &p), MP_ERR_CALLBACK);
	cr_assert_eq(r->after_stop, 0);
	cr_assert_eq(r->n, want_parts);
	cr_assert_str_eq(mp_detail(&p), detail);
	rec_free(r);
	/* the same, fed byte by byte and split everywhere */
	for (k = 0; k <= b.n; k += 7) {
		r = rec_new();
		r->stop_begin = sb;
		r->stop_data = sd;
		r->stop_end = se;
		cr_assert_eq(parse_ex(B, NULL, b.d, b.n, k, 0, r, &p), MP_ERR_CALLBACK);
		cr_assert_eq(r->after_stop, 0);
		cr_assert_eq(r->n, want_parts);
		rec_free(r);
	}
	r = rec_new();
	r->stop_begin = sb;
	r->stop_data = sd;
	r->stop_end = se;
	cr_assert_eq(parse_ex(B, NULL, b.d, b.n, 0, 1, r, &p), MP_ERR_CALLBACK);
	cr_assert_eq(r->after_stop, 0);
	cr_assert_eq(r->n, want_parts);
	rec_free(r);
}

Test(multipart, callback_stops_parse)
{
	stop_case(2, 0, 0, 2, "part_begin callback stopped the parse");
	stop_case(0, 1, 0, 1, "part_data callback stopped the parse");
	stop_case(0, 0, 1, 1, "part_end callback stopped the parse");
	stop_case(0, 0, 4, 4, "part_end callback stopped the parse");
}

Test(multipart, null_callbacks)
{
	static struct body b, file;
	struct mp_parser p;
	struct mp_callbacks none = { NULL, NULL, NULL };

	browser_body(&b, &file);
	mp_init(&p, B, NULL, NULL, NULL);
	cr_assert_eq(mp_feed(&p, b.d, b.n), MP_DONE);
	mp_init(&p, B, NULL, &none, NULL);
	cr_assert_eq(mp_feed(&p, b.d, b.n), MP_DONE);
	cr_assert_eq(mp_finish(&p), MP_DONE);
}

Test(multipart, invalid_boundary_at_init)
{
	struct mp_parser p;
	char b71[72];

	mp_init(&p, "", NULL, &callbacks, NULL);
	cr_assert_eq(mp_feed(&p, "--\r\n", 4), MP_ERR_SYNTAX);
	cr_assert_str_eq(mp_detail(&p), "invalid boundary");
	mp_init(&p, "a\rb", NULL, &callbacks, NULL);
	cr_assert_eq(mp_finish(&p), MP_ERR_SYNTAX);
	mp_init(&p, NULL, NULL, &callbacks, NULL);
	cr_assert_eq(mp_finish(&p), MP_ERR_SYNTAX);
	memset(b71, 'a', 71);
	b71[71] = '\0';
	mp_init(&p, b71, NULL, &callbacks, NULL);
	cr_assert_eq(mp_finish(&p), MP_ERR_SYNTAX);
	b71[70] = '\0';
	mp_init(&p, b71, NULL, &callbacks, NULL);
	cr_assert_eq(mp_feed(&p, "--", 2), MP_OK);
}

/* A short boundary that is a prefix of content bytes, and a 70-char one with spaces. */
Test(multipart, other_boundaries)
{
	static const char body1[] =
		"--a\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
		"\r\n-a\r\n--\r\n--b--a\r\r\n--"
		"\r\n--a\r\nContent-Disposition: form-data; name=\"y\"\r\n\r\n--a\r\n--a--";
	const struct exp_part e1[2] = {
		{ "x", "", 0, "", "\r\n-a\r\n--\r\n--b--a\r\r\n--", 21 },
		{ "y", "", 0, "", "--a", 3 },
	};
	char bnd[71], body2[512];
	int n;

	check_all_ways("a", body1, sizeof body1 - 1, e1, 2);
	memset(bnd, 'x', 70);
	memcpy(bnd + 10, "a b'()+_,-./:=?", 15);
	bnd[70] = '\0';
	n = snprintf(body2, sizeof body2, "--%s\r\nContent-Disposition: form-data; name=\"z\"\r\n"
	             "\r\n\r\n--%.69s\r\n--%s--", bnd, bnd, bnd);
	{
		char want[80];
		const struct exp_part e2[1] = { { "z", "", 0, "", want, 73 } };
		snprintf(want, sizeof want, "\r\n--%.69s", bnd);
		check_all_ways(bnd, body2, (size_t)n, e2, 1);
	}
}

/* ---- mp_boundary ---- */

static void boundary_ok(const char *ct, const char *want)
{
	char out[MP_BOUNDARY_MAX + 1];

	memset(out, 'Z', sizeof out);
	cr_assert_eq(mp_boundary(ct, out), 0, "Content-Type %s refused", ct);
	cr_assert_str_eq(out, want, "Content-Type %s", ct);
}

static void boundary_bad(const char *ct)
{
	char out[MP_BOUNDARY_MAX + 1];

	cr_assert_eq(mp_boundary(ct, out), -1, "Content-Type %s accepted", ct);
}

#define C70 "0123456789012345678901234567890123456789012345678901234567890123456789"

Test(multipart, boundary_param)
{
	boundary_ok("multipart/form-data; boundary=" B, B);
	boundary_ok("multipart/form-data; boundary=\"simple boundary\"", "simple boundary");
	boundary_ok("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a:b=c?\"", "a:b=c?");
	boundary_ok("multipart/form-data;boundary=abc;charset=utf-8", "abc");
	boundary_ok("  multipart/form-data ; boundary = abc ; x=\"y;z\" ", "abc");
	boundary_ok("multipart/form-data; x=\"boundary=no\"; boundary=yes", "yes");
	boundary_ok("multipart/form-data; boundary=\"q\\uoted\"", "quoted");
	boundary_ok("multipart/form-data; boundary=" C70, C70);
	boundary_ok("multipart/form-data; boundary=\"" C70 "\"", C70);
	boundary_ok("multipart/form-data; boundary=\"'()+_,-./:=? x\"", "'()+_,-./:=? x");
	boundary_bad("multipart/form-data; boundary=" C70 "0");
	boundary_bad("multipart/form-data; boundary=\"" C70 "0\"");
	boundary_bad("multipart/form-data; boundary=");
	boundary_bad("multipart/form-data; boundary=\"\"");
	boundary_bad("multipart/form-data; boundary=\"abc \"");
	boundary_bad("multipart/form-data; boundary=\"abc");
	boundary_bad("multipart/form-data; boundary=a@b");
	boundary_bad("multipart/form-data; boundary=\"a@b\"");
	boundary_bad("multipart/form-data; boundary=a!b");
	boundary_bad("multipart/form-data; boundary=abc; boundary=abc");
	boundary_bad("multipart/form-data");
	boundary_bad("multipart/form-data; charset=utf-8");
	boundary_bad("multipart/form-data; boundary=abc x");
	boundary_bad("multipart/form-data; =abc");
	boundary_bad("multipart/mixed; boundary=abc");
	boundary_bad("text/plain; boundary=abc");
	boundary_bad("multipart/form-datax; boundary=abc");
	boundary_bad("multipart/ form-data; boundary=abc");
	boundary_bad("multipart; boundary=abc");
	boundary_bad("");
	boundary_bad(NULL);
}
