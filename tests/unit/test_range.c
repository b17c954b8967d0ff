/* test_range.c: unit tests for fcgi/range.c (Range parsing, multipart/byteranges framing). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/range.h"

#define U64MAX UINT64_MAX

/* One table row: a header against a size, and the expected outcome. */
struct range_case {
	const char *hdr;
	uint64_t size;
	enum range_result res;
	size_t n;
	struct byte_range r[4];
};

static const char *
res_name(enum range_result res)
{
	switch (res) {
	case RANGE_IGNORE:        return "IGNORE";
	case RANGE_SATISFIABLE:   return "SATISFIABLE";
	case RANGE_UNSATISFIABLE: return "UNSATISFIABLE";
	}
	return "?";
}

static void
run_cases(const struct range_case *c, size_t ncases)
{
	struct byte_range out[RANGE_MAX];
	enum range_result res;
	size_t i, j, n;

	for (i = 0; i < ncases; i++) {
		n = 12345;
		res = range_parse(c[i].hdr, c[i].size, out, &n);
		cr_assert_eq(res, c[i].res, "case %zu \"%s\" size %" PRIu64 ": got %s, want %s", i,
		             c[i].hdr ? c[i].hdr : "(null)", c[i].size, res_name(res),
		             res_name(c[i].res));
		cr_assert_eq(n, c[i].n, "case %zu \"%s\": n %zu, want %zu", i,
		             c[i].hdr ? c[i].hdr : "(null)", n, c[i].n);
		for (j = 0; j < n; j++) {
			cr_assert_eq(out[j].first, c[i].r[j].first,
			             "case %zu \"%s\" range %zu: first %" PRIu64 ", want %" PRIu64,
			             i, c[i].hdr, j, out[j].first, c[i].r[j].first);
			cr_assert_eq(out[j].last, c[i].r[j].last,
			             "case %zu \"%s\" range %zu: last %" PRIu64 ", want %" PRIu64,
			             i, c[i].hdr, j, out[j].last, c[i].r[j].last);
		}
	}
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))
#define IGN(h, s)   { (h), (s), RANGE_IGNORE, 0, { { 0, 0 } } }
#define UNSAT(h, s) { (h), (s), RANGE_UNSATISFIABLE, 0, { { 0, 0 } } }

Test(range, no_header_or_empty_representation)
{
	static const struct range_case c[] = {
		IGN(NULL, 100),
		IGN(NULL, 0),
		IGN("bytes=0-1", 0),     /* an empty representation ignores Range */
		IGN("bytes=-1", 0),
		IGN("bytes=0-", 0),
		IGN("bytes=5-", 0),
		IGN("garbage", 0),
	};
	run_cases(c, NCASES(c));
}

Test(range, single_range)
{
	static const struct range_case c[] = {
		{ "bytes=0-0", 100, RANGE_SATISFIABLE, 1, { { 0, 0 } } },
		{ "bytes=-1", 100, RANGE_SATISFIABLE, 1, { { 99, 99 } } },
		{ "bytes=5-", 100, RANGE_SATISFIABLE, 1, { { 5, 99 } } },
		{ "bytes=5-1000", 100, RANGE_SATISFIABLE, 1, { { 5, 99 } } },   /* clamped */
		{ "bytes=5-100", 100, RANGE_SATISFIABLE, 1, { { 5, 99 } } },
		{ "bytes=5-99", 100, RANGE_SATISFIABLE, 1, { { 5, 99 } } },
		{ "bytes=5-98", 100, RANGE_SATISFIABLE, 1, { { 5, 98 } } },
		{ "bytes=-1000", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },    /* suffix > size */
		{ "bytes=-100", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=-99", 100, RANGE_SATISFIABLE, 1, { { 1, 99 } } },
		{ "bytes=0-", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=99-", 100, RANGE_SATISFIABLE, 1, { { 99, 99 } } },
		{ "bytes=99-99", 100, RANGE_SATISFIABLE, 1, { { 99, 99 } } },
		{ "bytes=0-0", 1, RANGE_SATISFIABLE, 1, { { 0, 0 } } },
		{ "bytes=-1", 1, RANGE_SATISFIABLE, 1, { { 0, 0 } } },
		{ "bytes=-5", 1, RANGE_SATISFIABLE, 1, { { 0, 0 } } },
		{ "bytes=0-5", 1, RANGE_SATISFIABLE, 1, { { 0, 0 } } },
		{ "bytes=007-0010", 100, RANGE_SATISFIABLE, 1, { { 7, 10 } } },  /* leading zeros */
		{ "bytes=-00", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	};
	run_cases(c, NCASES(c));
}

Test(range, several_ranges_sorted_and_coalesced)
{
	static const struct range_case c[] = {
		{ "bytes=0-1,2-3", 100, RANGE_SATISFIABLE, 1, { { 0, 3 } } },          /* adjacent */
		{ "bytes=10-20,0-5", 100, RANGE_SATISFIABLE, 2, { { 0, 5 }, { 10, 20 } } },
		{ "bytes=0-1,3-4", 100, RANGE_SATISFIABLE, 2, { { 0, 1 }, { 3, 4 } } }, /* gap of 1 */
		{ "bytes=0-5,3-8", 100, RANGE_SATISFIABLE, 1, { { 0, 8 } } },          /* overlap */
		{ "bytes=3-8,0-5", 100, RANGE_SATISFIABLE, 1, { { 0, 8 } } },
		{ "bytes=2-3,0-1", 100, RANGE_SATISFIABLE, 1, { { 0, 3 } } },
		{ "bytes=0-0,0-0", 100, RANGE_SATISFIABLE, 1, { { 0, 0 } } },          /* duplicate */
		{ "bytes=1-8,2-3", 100, RANGE_SATISFIABLE, 1, { { 1, 8 } } },          /* contained */
		{ "bytes=50-,-10", 100, RANGE_SATISFIABLE, 1, { { 50, 99 } } },
		{ "bytes=-10,0-9", 100, RANGE_SATISFIABLE, 2, { { 0, 9 }, { 90, 99 } } },
		{ "bytes=200-300,0-0", 100, RANGE_SATISFIABLE, 1, { { 0, 0 } } },      /* unsat dropped */
		{ "bytes=-0,1-1", 100, RANGE_SATISFIABLE, 1, { { 1, 1 } } },
		{ "bytes=100-,5-6,-0", 100, RANGE_SATISFIABLE, 1, { { 5, 6 } } },
		{ "bytes=0-49,50-99", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },      /* sum == size */
		{ "bytes=0-49,50-100", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=30-39,10-19,50-59,0-4", 100, RANGE_SATISFIABLE, 4,
		  { { 0, 4 }, { 10, 19 }, { 30, 39 }, { 50, 59 } } },
		{ "bytes=30-39,10-19,20-29,0-4", 100, RANGE_SATISFIABLE, 2,
		  { { 0, 4 }, { 10, 39 } } },
		{ "bytes=1-1,3-3,2-2", 100, RANGE_SATISFIABLE, 1, { { 1, 3 } } },
		/* sum of satisfiable lengths before coalescing > size: refused */
		IGN("bytes=0-50,50-99", 100),
		IGN("bytes=0-,0-", 100),
		IGN("bytes=0-0,-1", 1),
		IGN("bytes=-60,0-59", 100),
		IGN("bytes=0-99,0-0", 100),
		IGN("bytes=0-1,0-1,0-1,0-1", 7),
		{ "bytes=0-1,0-1,0-1,0-1", 8, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
	};
	run_cases(c, NCASES(c));
}

Test(range, unsatisfiable)
{
	static const struct range_case c[] = {
		UNSAT("bytes=100-", 100),
		UNSAT("bytes=101-", 100),
		UNSAT("bytes=-0", 100),
		UNSAT("bytes=-0", 1),
		UNSAT("bytes=100-200", 100),
		UNSAT("bytes=100-100", 100),
		UNSAT("bytes=1-1", 1),
		UNSAT("bytes=-0,200-,100-100", 100),
		UNSAT("bytes=99999999999999999999-", 100),
		UNSAT("bytes=18446744073709551615-", 100),
		UNSAT("bytes=18446744073709551615-", U64MAX),
		UNSAT("bytes=99999999999999999999-99999999999999999999999", 100),
	};
	run_cases(c, NCASES(c));
}

/*
 * Invalid syntax is ignored. Choice documented in range.c: OWS is only allowed around the commas
 * of the list (RFC 9110 section 5.6.1.2), so "bytes= 0-1" is invalid, while " bytes=0-1 " is
 * valid (leading and trailing whitespace is not part of a field value, section 5.5).
 */
Test(range, invalid_syntax_is_ignored)
{
	static const struct range_case c[] = {
		IGN("items=0-1", 100),
		IGN("bytes=abc", 100),
		IGN("bytes=5-1", 100),
		IGN("bytes=1-0", 100),
		IGN("bytes=", 100),
		IGN("bytes=-", 100),
		IGN("bytes=1-2-3", 100),
		IGN("bytes=--1", 100),
		IGN("bytes= 0-1", 100),
		IGN("bytes =0-1", 100),
		IGN("bytes=0 -1", 100),
		IGN("bytes=0- 1", 100),
		IGN("bytes=- 1", 100),
		IGN("bytes=0x10-20", 100),
		IGN("bytes=0-0x10", 100),
		IGN("bytes=+1-2", 100),
		IGN("bytes=0-+2", 100),
		IGN("bytes=1.5-2", 100),
		IGN("bytes=1e2-", 100),
		IGN("bytes=\"0-1\"", 100),
		IGN("bytes=0-1\x01", 100),
		IGN("bytes=0\x01-1", 100),
		IGN("bytes=0-1\r\n", 100),
		IGN("bytes=0-1\r\n,2-3", 100),
		IGN("bytes=0\x7f-1", 100),
		IGN("bytes=\x80-1", 100),
		IGN("bytes=\xd9\xa1-2", 100),   /* ARABIC-INDIC DIGIT ONE is not DIGIT */
		IGN("bytes", 100),
		IGN("bytes0-1", 100),
		IGN("byte=0-1", 100),
		IGN("bytesx=0-1", 100),
		IGN("bytes:0-1", 100),
		IGN("bytes==0-1", 100),
		IGN("=0-1", 100),
		IGN("0-1", 100),
		IGN("", 100),
		IGN(" \t ", 100),
		IGN("bytes=0-1;2-3", 100),
		IGN("bytes=0-1 2-3", 100),
		IGN("bytes=0-1,x", 100),
		IGN("bytes=0-1,2-3,", 100 - 100),  /* size 0 wins */
		IGN("bytes=,", 100),               /* 1#range-spec: empty elements do not count */
		IGN("bytes=,,, ,\t,", 100),
		IGN("bytes= , ", 100),
		IGN("bytes=-1-", 100),
		IGN("bytes=0-1-", 100),
		IGN("bytes=-1,5-1", 100),          /* one invalid range-spec spoils the header */
		IGN("bytes=5-1,200-", 100),
		IGN("bytes=0-1,-", 100),
		IGN("bytes=18446744073709551616-18446744073709551615", 100),   /* exact compare */
		IGN("bytes=99999999999999999999999-99999999999999999999", 100),
		IGN("bytes=5-0000000000000000000000000004", 100),
	};
	run_cases(c, NCASES(c));
}

Test(range, negative_looking_values)
{
	static const struct range_case c[] = {
		IGN("bytes=-5-10", 100),
		IGN("bytes=0--5", 100),
		IGN("bytes=-0-1", 100),
		IGN("bytes=--0", 100),
		IGN("bytes=-1--1", 100),
		IGN("bytes=-18446744073709551616-", 100),
		IGN("bytes=5--", 100),
	};
	run_cases(c, NCASES(c));
}

/* A NUL ends the C string: whatever follows it is not seen, what precedes it must stand alone. */
Test(range, nul_inside)
{
	static const char h1[] = "bytes=0\0-1";
	static const char h2[] = "bytes=\0" "0-1";
	static const char h3[] = "bytes=0-1,\0" "garbage";
	struct byte_range out[RANGE_MAX];
	size_t n = 7;

	cr_assert_eq(range_parse(h1, 100, out, &n), RANGE_IGNORE);
	cr_assert_eq(n, 0);
	cr_assert_eq(range_parse(h2, 100, out, &n), RANGE_IGNORE);
	cr_assert_eq(n, 0);
	cr_assert_eq(range_parse(h3, 100, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].first, 0);
	cr_assert_eq(out[0].last, 1);
}

Test(range, unit_is_case_insensitive)
{
	static const struct range_case c[] = {
		{ "Bytes=0-1", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
		{ "BYTES=0-1", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
		{ "bYtEs=-3", 100, RANGE_SATISFIABLE, 1, { { 97, 99 } } },
		IGN("BYTE=0-1", 100),
		IGN("bytez=0-1", 100),
		IGN("bytes\x7f=0-1", 100),
		IGN("Bytes=5-1", 100),
	};
	run_cases(c, NCASES(c));
}

Test(range, ows_around_commas_and_empty_elements)
{
	static const struct range_case c[] = {
		{ "bytes=0-1 , 3-4", 100, RANGE_SATISFIABLE, 2, { { 0, 1 }, { 3, 4 } } },
		{ "bytes=0-1,\t3-4", 100, RANGE_SATISFIABLE, 2, { { 0, 1 }, { 3, 4 } } },
		{ "bytes=0-1 \t,\t 3-4", 100, RANGE_SATISFIABLE, 2, { { 0, 1 }, { 3, 4 } } },
		{ "bytes=,0-1", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
		{ "bytes=0-1,", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
		{ "bytes=0-1,,, ,3-4", 100, RANGE_SATISFIABLE, 2, { { 0, 1 }, { 3, 4 } } },
		{ "bytes= ,0-1", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },  /* [elem] OWS "," */
		{ "bytes=0-1 ,", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
		{ " bytes=0-1 ", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },   /* section 5.5 */
		{ "\tbytes=0-1\t", 100, RANGE_SATISFIABLE, 1, { { 0, 1 } } },
		{ "bytes=-0 , 100-", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	};
	run_cases(c, NCASES(c));
}

Test(range, huge_numbers_saturate)
{
	static const struct range_case c[] = {
		{ "bytes=0-99999999999999999999999999", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=-99999999999999999999", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		UNSAT("bytes=99999999999999999999-", 100),
		{ "bytes=0-18446744073709551615", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=0-18446744073709551616", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=-18446744073709551615", 100, RANGE_SATISFIABLE, 1, { { 0, 99 } } },
		{ "bytes=00000000000000000000000000005-6", 100, RANGE_SATISFIABLE, 1, { { 5, 6 } } },
		{ "bytes=5-000000000000000000000000005", 100, RANGE_SATISFIABLE, 1, { { 5, 5 } } },
		/* the largest representation: no wrap in clamping, suffix or the length sum */
		{ "bytes=0-", U64MAX, RANGE_SATISFIABLE, 1, { { 0, U64MAX - 1 } } },
		{ "bytes=-18446744073709551615", U64MAX, RANGE_SATISFIABLE, 1,
		  { { 0, U64MAX - 1 } } },
		{ "bytes=-99999999999999999999999", U64MAX, RANGE_SATISFIABLE, 1,
		  { { 0, U64MAX - 1 } } },
		{ "bytes=-1", U64MAX, RANGE_SATISFIABLE, 1, { { U64MAX - 1, U64MAX - 1 } } },
		{ "bytes=18446744073709551614-", U64MAX, RANGE_SATISFIABLE, 1,
		  { { U64MAX - 1, U64MAX - 1 } } },
		{ "bytes=18446744073709551613-99999999999999999999", U64MAX, RANGE_SATISFIABLE, 1,
		  { { U64MAX - 2, U64MAX - 1 } } },
		{ "bytes=0-0,18446744073709551614-", U64MAX, RANGE_SATISFIABLE, 2,
		  { { 0, 0 }, { U64MAX - 1, U64MAX - 1 } } },
		IGN("bytes=0-,-1", U64MAX),
		IGN("bytes=0-,0-,0-,0-", U64MAX),
	};
	run_cases(c, NCASES(c));
}

/* Build "bytes=" and count range-specs "i*step-i*step" joined by sep, into buf. */
static void
build_specs(char *buf, size_t bufsz, size_t count, unsigned step, const char *sep)
{
	size_t i, len;

	len = (size_t)snprintf(buf, bufsz, "bytes=");
	for (i = 0; i < count; i++) {
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%zu-%zu", i ? sep : "",
		                        i * step, i * step);
		cr_assert_lt(len, bufsz);
	}
}

Test(range, range_max_specs)
{
	struct byte_range out[RANGE_MAX];
	char buf[4096];
	size_t n, i;

	/* RANGE_MAX disjoint single bytes are served as they are */
	build_specs(buf, sizeof(buf), RANGE_MAX, 2, ",");
	cr_assert_eq(range_parse(buf, 1000, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, RANGE_MAX);
	for (i = 0; i < n; i++) {
		cr_assert_eq(out[i].first, 2 * i);
		cr_assert_eq(out[i].last, 2 * i);
	}
	/* one more is refused */
	build_specs(buf, sizeof(buf), RANGE_MAX + 1, 2, ",");
	cr_assert_eq(range_parse(buf, 1000, out, &n), RANGE_IGNORE);
	cr_assert_eq(n, 0);
	/* also when the extra one, or all of them, are unsatisfiable: specs are counted */
	build_specs(buf, sizeof(buf), RANGE_MAX, 2, ",");
	strcat(buf, ",-0");
	cr_assert_eq(range_parse(buf, 1000, out, &n), RANGE_IGNORE);
	build_specs(buf, sizeof(buf), RANGE_MAX + 1, 2, ",");
	cr_assert_eq(range_parse(buf, 1, out, &n), RANGE_IGNORE);
	/* empty list elements do not count */
	build_specs(buf, sizeof(buf), RANGE_MAX, 2, " ,, ");
	cr_assert_eq(range_parse(buf, 1000, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, RANGE_MAX);
	/* RANGE_MAX adjacent ranges coalesce to one */
	build_specs(buf, sizeof(buf), RANGE_MAX, 1, ",");
	cr_assert_eq(range_parse(buf, 1000, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].first, 0);
	cr_assert_eq(out[0].last, RANGE_MAX - 1);
}

/* Hostile sizes of input: linear time, no crash (criterion kills the test past the timeout). */
Test(range, thousands_of_ranges, .timeout = 10)
{
	struct byte_range out[RANGE_MAX];
	size_t big = 1u << 20, i, n;
	char *buf;

	buf = malloc(big + 16);
	cr_assert_not_null(buf);

	/* 5000 "0-0," entries */
	strcpy(buf, "bytes=");
	for (i = 0; i < 5000; i++)
		strcat(buf + 6 + 4 * i, "0-0,");
	cr_assert_eq(range_parse(buf, 100, out, &n), RANGE_IGNORE);
	cr_assert_eq(n, 0);
	cr_assert_eq(range_parse(buf, U64MAX, out, &n), RANGE_IGNORE);

	/* a megabyte of digits saturates */
	memcpy(buf, "bytes=0-", 8);
	memset(buf + 8, '9', big);
	buf[8 + big] = '\0';
	cr_assert_eq(range_parse(buf, 100, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].last, 99);
	/* and compares exactly: last-pos one digit shorter than first-pos */
	memcpy(buf, "bytes=", 6);
	memset(buf + 6, '9', big / 2);
	buf[6 + big / 2] = '-';
	memset(buf + 7 + big / 2, '9', big / 2 - 1);
	buf[6 + big] = '\0';
	cr_assert_eq(range_parse(buf, 100, out, &n), RANGE_IGNORE);

	/* a megabyte of empty list elements, then one range */
	memcpy(buf, "bytes=", 6);
	for (i = 6; i < big; i++)
		buf[i] = (i & 1) ? ',' : ' ';
	memcpy(buf + big, "5-6", 4);
	cr_assert_eq(range_parse(buf, 100, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].first, 5);
	cr_assert_eq(out[0].last, 6);
	/* a megabyte of empty list elements only */
	buf[big] = '\0';
	cr_assert_eq(range_parse(buf, 100, out, &n), RANGE_IGNORE);
	/* a megabyte of whitespace around the value */
	memset(buf, ' ', big);
	memcpy(buf + big / 2, "bytes=1-2", 9);
	buf[big] = '\0';
	cr_assert_eq(range_parse(buf, 100, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(out[0].first, 1);
	cr_assert_eq(out[0].last, 2);

	free(buf);
}

Test(range, n_cleared_and_null_arguments)
{
	struct byte_range out[RANGE_MAX];
	size_t n;

	n = 99;
	cr_assert_eq(range_parse("bytes=100-", 100, out, &n), RANGE_UNSATISFIABLE);
	cr_assert_eq(n, 0);
	n = 99;
	cr_assert_eq(range_parse("bytes=x", 100, out, &n), RANGE_IGNORE);
	cr_assert_eq(n, 0);
	n = 99;
	cr_assert_eq(range_parse("bytes=0-1", 100, NULL, &n), RANGE_IGNORE);
	cr_assert_eq(n, 0);
	cr_assert_eq(range_parse("bytes=0-1", 100, out, NULL), RANGE_IGNORE);
}

/* ---- multipart/byteranges framing (RFC 9110 section 14.6) ---- */

Test(range, part_header_exact_text)
{
	static const char want[] = "\r\n--THIS_STRING_SEPARATES\r\nContent-Type: audio/ogg\r\n"
	                           "Content-Range: bytes 500-999/8000\r\n\r\n";
	struct byte_range r = { 500, 999 };
	char buf[256];
	int len;

	len = range_part_header(buf, sizeof(buf), "THIS_STRING_SEPARATES", "audio/ogg", &r, 8000);
	cr_assert_eq(len, (int)strlen(want));
	cr_assert_str_eq(buf, want);

	/* exactly enough room (NUL included), and one byte short */
	len = range_part_header(buf, sizeof(want), "THIS_STRING_SEPARATES", "audio/ogg", &r, 8000);
	cr_assert_eq(len, (int)strlen(want));
	cr_assert_str_eq(buf, want);
	len = range_part_header(buf, sizeof(want) - 1, "THIS_STRING_SEPARATES", "audio/ogg", &r,
	                        8000);
	cr_assert_eq(len, -1);
	cr_assert_eq(range_part_header(NULL, 0, "b", "t/t", &r, 8000), -1);

	r.first = 0;
	r.last = U64MAX - 1;
	len = range_part_header(buf, sizeof(buf), "b", "image/png", &r, U64MAX);
	cr_assert_str_eq(buf, "\r\n--b\r\nContent-Type: image/png\r\nContent-Range: bytes "
	                      "0-18446744073709551614/18446744073709551615\r\n\r\n");
	cr_assert_eq(len, (int)strlen(buf));
}

Test(range, closing_exact_text)
{
	char buf[64];

	cr_assert_eq(range_closing(buf, sizeof(buf), "XYZ"), 11);
	cr_assert_str_eq(buf, "\r\n--XYZ--\r\n");
	cr_assert_eq(range_closing(buf, 12, "XYZ"), 11);
	cr_assert_eq(range_closing(buf, 11, "XYZ"), -1);
	cr_assert_eq(range_closing(NULL, 0, "XYZ"), -1);
}

/* Frame n ranges by hand and compare with range_multipart_length. */
static void
check_multipart_length(const char *boundary, const char *ctype, const struct byte_range *r,
                       size_t n, uint64_t size)
{
	char buf[512];
	uint64_t total = 0;
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		len = range_part_header(buf, sizeof(buf), boundary, ctype, &r[i], size);
		cr_assert_gt(len, 0);
		cr_assert_eq((size_t)len, strlen(buf));
		total += (uint64_t)len + range_length(&r[i]);
	}
	len = range_closing(buf, sizeof(buf), boundary);
	cr_assert_gt(len, 0);
	total += (uint64_t)len;
	cr_assert_eq(range_multipart_length(boundary, ctype, r, n, size), total,
	             "n %zu size %" PRIu64 ": %" PRIu64 " != %" PRIu64, n, size,
	             range_multipart_length(boundary, ctype, r, n, size), total);
}

Test(range, multipart_length_matches_framing)
{
	static const uint64_t sizes[] = { 1, 9, 10, 11, 99, 100, 12345, 1000000007ULL,
	                                  999999999999999ULL, 10000000000000000000ULL };
	static const char *const bounds[] = { "a", "3d6b6a416f9b5", "0123456789012345678901234567890"
	                                      "123456789012345678901234567890123456789" };
	static const char *const ctypes[] = { "audio/ogg", "video/mp4", "" };
	struct byte_range r[RANGE_MAX];
	size_t s, b, n, i;
	uint64_t size, step;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size = sizes[s];
		for (b = 0; b < 3; b++) {
			for (n = 0; n <= RANGE_MAX && n <= size; n++) {
				/* n disjoint ranges spread over the representation */
				step = n ? size / n : 1;
				for (i = 0; i < n; i++) {
					r[i].first = i * step;
					r[i].last = i * step + (step > 1 ? step / 2 : 0);
				}
				check_multipart_length(bounds[b], ctypes[b], r, n, size);
			}
		}
	}
	/* a known value: one part "\r\n--b\r\nContent-Type: t\r\nContent-Range: bytes 0-0/1\r\n\r\n"
	 * (54 bytes) + 1 byte + "\r\n--b--\r\n" (9 bytes) */
	r[0].first = r[0].last = 0;
	cr_assert_eq(range_multipart_length("b", "t", r, 1, 1), 54 + 1 + 9);
	cr_assert_eq(range_multipart_length("b", "t", r, 0, 1), 9);
}

/* The ranges range_parse returns frame to the length range_multipart_length announces. */
Test(range, multipart_length_of_parsed_ranges)
{
	struct byte_range out[RANGE_MAX];
	size_t n;

	cr_assert_eq(range_parse("bytes=0-0,10-19,-5,50-", 1000, out, &n), RANGE_SATISFIABLE);
	cr_assert_eq(n, 3);
	check_multipart_length("sep", "image/jpeg", out, n, 1000);
}

/* ---- property test against a bitmap model ---- */

/* A range-spec of the test domain: kind 0 "A-B", 1 "A-", 2 "-A". */
struct mspec {
	int kind;
	unsigned a, b;
};

static int
mspec_fmt(char *buf, size_t bufsz, const struct mspec *s)
{
	switch (s->kind) {
	case 0:  return snprintf(buf, bufsz, "%u-%u", s->a, s->b);
	case 1:  return snprintf(buf, bufsz, "%u-", s->a);
	default: return snprintf(buf, bufsz, "-%u", s->a);
	}
}

/* The requested bytes of s in a representation of size (<= 31) bytes, and its validity. */
static uint32_t
mspec_bits(const struct mspec *s, unsigned size, int *invalid)
{
	uint32_t bits = 0;
	unsigned x;

	*invalid = s->kind == 0 && s->b < s->a;
	for (x = 0; x < size; x++) {
		if ((s->kind == 0 && x >= s->a && x <= s->b) || (s->kind == 1 && x >= s->a) ||
		    (s->kind == 2 && x + s->a >= size))
			bits |= 1u << x;
	}
	return bits;
}

static enum range_result
model(const struct mspec *s, size_t k, unsigned size, uint32_t *mask)
{
	unsigned sum = 0;
	uint32_t bits;
	int invalid, any = 0;
	size_t i;

	*mask = 0;
	if (size == 0)
		return RANGE_IGNORE;
	for (i = 0; i < k; i++) {
		bits = mspec_bits(&s[i], size, &invalid);
		if (invalid)
			return RANGE_IGNORE;
		sum += (unsigned)__builtin_popcount(bits);
		any |= bits != 0;
		*mask |= bits;
	}
	if (sum > size)
		return RANGE_IGNORE;
	return any ? RANGE_SATISFIABLE : RANGE_UNSATISFIABLE;
}

/* Check one header against the model; returns 0 when they agree, else describes it in why. */
static int
check_one(const char *hdr, const struct mspec *s, size_t k, unsigned size, char *why,
          size_t whysz)
{
	struct byte_range out[RANGE_MAX];
	enum range_result want, got;
	uint32_t mask, have = 0;
	size_t n = 777, i;
	uint64_t x;

	want = model(s, k, size, &mask);
	got = range_parse(hdr, size, out, &n);
	if (got != want) {
		snprintf(why, whysz, "\"%s\" size %u: %s, model %s", hdr, size, res_name(got),
		         res_name(want));
		return 1;
	}
	if (got != RANGE_SATISFIABLE) {
		if (n != 0) {
			snprintf(why, whysz, "\"%s\" size %u: n %zu", hdr, size, n);
			return 1;
		}
		return 0;
	}
	if (n < 1 || n > RANGE_MAX) {
		snprintf(why, whysz, "\"%s\" size %u: n %zu", hdr, size, n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (out[i].first > out[i].last || out[i].last >= size ||
		    (i > 0 && out[i].first <= out[i - 1].last + 1)) {
			snprintf(why, whysz, "\"%s\" size %u: range %zu %" PRIu64 "-%" PRIu64
			         " not sorted, disjoint and non-adjacent", hdr, size, i, out[i].first,
			         out[i].last);
			return 1;
		}
		for (x = out[i].first; x <= out[i].last; x++)
			have |= 1u << x;
	}
	if (have != mask) {
		snprintf(why, whysz, "\"%s\" size %u: bytes %#x, model %#x", hdr, size, have, mask);
		return 1;
	}
	return 0;
}

/* All range-specs whose numbers are below lim; with_invalid adds "A-B" with B < A. */
static size_t
mspec_domain(struct mspec *d, unsigned lim, int with_invalid)
{
	size_t k = 0;
	unsigned a, b;

	for (a = 0; a < lim; a++) {
		for (b = 0; b < lim; b++)
			if (b >= a || with_invalid)
				d[k++] = (struct mspec){ 0, a, b };
		d[k++] = (struct mspec){ 1, a, 0 };
		d[k++] = (struct mspec){ 2, a, 0 };
	}
	return k;
}

Test(range, property_pairs, .timeout = 120)
{
	static const char *const seps[] = { ",", ", ", " ,\t", ",,", "\t, ,\t" };
	struct mspec dom[24 * 24 + 2 * 24], s[2];
	char hdr[64], why[160] = "", tmp[160];
	size_t nd, i, j, checked = 0, bad = 0;
	unsigned size;
	int len;

	nd = mspec_domain(dom, 23, 1);
	for (size = 0; size <= 20; size++) {
		for (i = 0; i < nd; i++) {
			for (j = 0; j < nd; j++) {
				s[0] = dom[i];
				s[1] = dom[j];
				len = snprintf(hdr, sizeof(hdr), "bytes=");
				len += mspec_fmt(hdr + len, sizeof(hdr) - (size_t)len, &s[0]);
				len += snprintf(hdr + len, sizeof(hdr) - (size_t)len, "%s",
				                seps[(i + j) % 5]);
				mspec_fmt(hdr + len, sizeof(hdr) - (size_t)len, &s[1]);
				if (check_one(hdr, s, 2, size, tmp, sizeof(tmp)) && bad++ == 0)
					strcpy(why, tmp);
				checked++;
			}
		}
	}
	cr_assert_eq(bad, 0, "%zu of %zu disagree with the model; first: %s", bad, checked, why);
	cr_assert_gt(checked, 100000);
}

Test(range, property_triples, .timeout = 120)
{
	struct mspec dom[10 * 10 + 2 * 10], s[3];
	char hdr[64], why[160] = "", tmp[160];
	size_t nd, i, j, l, checked = 0, bad = 0;
	unsigned size;
	int len;

	nd = mspec_domain(dom, 9, 0);
	for (size = 0; size <= 20; size++) {
		for (i = 0; i < nd; i++) {
			for (j = 0; j < nd; j++) {
				for (l = 0; l < nd; l++) {
					s[0] = dom[i];
					s[1] = dom[j];
					s[2] = dom[l];
					len = snprintf(hdr, sizeof(hdr), "bytes=");
					len += mspec_fmt(hdr + len, sizeof(hdr) - (size_t)len, &s[0]);
					hdr[len++] = ',';
					len += mspec_fmt(hdr + len, sizeof(hdr) - (size_t)len, &s[1]);
					hdr[len++] = ',';
					mspec_fmt(hdr + len, sizeof(hdr) - (size_t)len, &s[2]);
					if (check_one(hdr, s, 3, size, tmp, sizeof(tmp)) &&
					    bad++ == 0)
						strcpy(why, tmp);
					checked++;
				}
			}
		}
	}
	cr_assert_eq(bad, 0, "%zu of %zu disagree with the model; first: %s", bad, checked, why);
	cr_assert_gt(checked, 1000000);
}

/*
 * Random headers over the grammar's alphabet (fixed seed): whatever the verdict, it is one of
 * the three, n agrees with it, and the ranges are sorted, disjoint, non-adjacent and in bounds.
 */
Test(range, random_headers_keep_invariants, .timeout = 60)
{
	static const char alpha[] = "0123456789--,, \tbytes=Bx;\x01";
	struct byte_range out[RANGE_MAX];
	uint32_t seed = 12345;
	char hdr[48];
	size_t it, i, n, len, nsat = 0;
	uint64_t size;
	enum range_result res;

	for (it = 0; it < 300000; it++) {
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % (sizeof(hdr) - 7);
		memcpy(hdr, "bytes=", 6);
		for (i = 6; i < 6 + len; i++) {
			seed = seed * 1103515245u + 12345u;
			hdr[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		hdr[i] = '\0';
		seed = seed * 1103515245u + 12345u;
		size = (seed >> 16) % 50;
		n = 777;
		res = range_parse(hdr, size, out, &n);
		cr_assert(res == RANGE_IGNORE || res == RANGE_SATISFIABLE ||
		          res == RANGE_UNSATISFIABLE);
		if (res != RANGE_SATISFIABLE) {
			cr_assert_eq(n, 0, "\"%s\"", hdr);
			continue;
		}
		nsat++;
		cr_assert(n >= 1 && n <= RANGE_MAX, "\"%s\"", hdr);
		for (i = 0; i < n; i++) {
			cr_assert(out[i].first <= out[i].last && out[i].last < size, "\"%s\"", hdr);
			if (i > 0)
				cr_assert_gt(out[i].first, out[i - 1].last + 1, "\"%s\"", hdr);
		}
	}
	cr_assert_gt(nsat, 0);   /* the alphabet does reach the satisfiable path */
}
