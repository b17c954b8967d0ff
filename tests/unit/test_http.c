/* test_http.c: unit tests for fcgi/http.c (query, Cookie, HTTP-date, media type, Accept, ETag). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcgi/http.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- http_query_get ------------------------------------------------------------------------ */

/* One lookup: query, key, expected return, and the decoded value when it is 1. */
struct query_case {
	const char *q, *key;
	int rc;
	const char *val;
};

static void run_query_cases(const struct query_case *c, size_t n)
{
	char out[64];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;
		memset(out, 'Z', sizeof out);
		rc = http_query_get(c[i].q, c[i].key, out, sizeof out);
		cr_assert_eq(rc, c[i].rc, "case %zu q=\"%s\" key=\"%s\": rc %d, want %d", i,
		             c[i].q ? c[i].q : "(null)", c[i].key, rc, c[i].rc);
		if (rc == 1)
			cr_assert_str_eq(out, c[i].val, "case %zu q=\"%s\" key=\"%s\"", i, c[i].q,
			                 c[i].key);
	}
}

Test(query, found_and_absent)
{
	static const struct query_case c[] = {
		{ "a=1", "a", 1, "1" },
		{ "a=1&b=2", "b", 1, "2" },
		{ "a=1&b=2&c=3", "b", 1, "2" },
		{ "a=1&b=2", "c", 0, NULL },
		{ "", "a", 0, NULL },
		{ NULL, "a", 0, NULL },
		{ "a=1&a=2", "a", 1, "1" },          /* the first one wins */
		{ "a", "a", 1, "" },                 /* no '=': empty value */
		{ "a=", "a", 1, "" },
		{ "a=&b=2", "a", 1, "" },
		{ "a=b=c", "a", 1, "b=c" },          /* only the first '=' splits */
		{ "&&a=1&", "a", 1, "1" },
		{ "x=1&", "x", 1, "1" },
	};
	run_query_cases(c, NCASES(c));
}

Test(query, key_prefixes_and_suffixes)
{
	static const struct query_case c[] = {
		{ "token=abc", "tok", 0, NULL },
		{ "tok=abc", "token", 0, NULL },
		{ "token=abc&tok=x", "tok", 1, "x" },
		{ "tok=x&token=abc", "token", 1, "abc" },
		{ "xtoken=1&token=2", "token", 1, "2" },
		{ "tokenx=1", "token", 0, NULL },
		{ "a=token=1", "token", 0, NULL },    /* a key inside a value is not a key */
		{ "a=1&b=token&token", "token", 1, "" },
		{ "Token=1", "token", 0, NULL },      /* names are case-sensitive */
		{ "%74oken=1", "token", 0, NULL },    /* names are matched undecoded (documented) */
	};
	run_query_cases(c, NCASES(c));
}

Test(query, empty_key)
{
	static const struct query_case c[] = {
		{ "a&&b", "", 0, NULL },              /* empty sequences are skipped (URL Standard) */
		{ "&", "", 0, NULL },
		{ "a=1&=x", "", 1, "x" },
		{ "a=1", "", 0, NULL },
	};
	run_query_cases(c, NCASES(c));
}

Test(query, decoding)
{
	static const struct query_case c[] = {
		{ "a=hello+world", "a", 1, "hello world" },
		{ "a=hello%20world", "a", 1, "hello world" },
		{ "a=%2B", "a", 1, "+" },
		{ "a=%2b%2F", "a", 1, "+/" },
		{ "a=%41%42c", "a", 1, "ABc" },
		{ "a=%26%3D", "a", 1, "&=" },          /* an escaped '&' does not split */
		{ "a=%C3%A9", "a", 1, "\xc3\xa9" },
		{ "a=%25", "a", 1, "%" },
		{ "a=%2525", "a", 1, "%25" },          /* decoded once */
		{ "a=++", "a", 1, "  " },
	};
	run_query_cases(c, NCASES(c));
}

Test(query, bad_escapes)
{
	static const struct query_case c[] = {
		{ "a=%", "a", -1, NULL },
		{ "a=%4", "a", -1, NULL },
		{ "a=%4&b=1", "a", -1, NULL },       /* the escape does not run over the '&' */
		{ "a=x%", "a", -1, NULL },
		{ "a=%zz", "a", -1, NULL },
		{ "a=%4g", "a", -1, NULL },
		{ "a=%g4", "a", -1, NULL },
		{ "a=% 41", "a", -1, NULL },
		{ "a=%-1", "a", -1, NULL },
		{ "a=%00", "a", -1, NULL },           /* decodes to NUL */
		{ "a=x%00y", "a", -1, NULL },
		{ "a=%zz&b=1", "b", 1, "1" },        /* a bad value elsewhere does not matter */
		{ "a=%zz&b=1", "c", 0, NULL },
	};
	run_query_cases(c, NCASES(c));
}

Test(query, output_bounds)
{
	char out[8];
	char big[10001];

	/* "abcdefg" needs 8 bytes with its NUL. */
	memset(out, 'Z', sizeof out);
	cr_assert_eq(http_query_get("a=abcdefg", "a", out, 8), 1);
	cr_assert_str_eq(out, "abcdefg");
	memset(out, 'Z', sizeof out);
	cr_assert_eq(http_query_get("a=abcdefgh", "a", out, 8), -1);
	/* Escapes count decoded: "%41" is one byte. */
	cr_assert_eq(http_query_get("a=%41%41%41%41%41%41%41", "a", out, 8), 1);
	cr_assert_str_eq(out, "AAAAAAA");
	cr_assert_eq(http_query_get("a=x", "a", out, 1), -1);
	cr_assert_eq(http_query_get("a=", "a", out, 1), 1);
	cr_assert_str_eq(out, "");
	cr_assert_eq(http_query_get("a=", "a", out, 0), -1);
	cr_assert_eq(http_query_get("a=x", "a", out, 0), -1);

	/* A huge value into a small buffer: refused, nothing written past out[7]. */
	memset(big, 'x', sizeof big - 1);
	big[0] = 'a';
	big[1] = '=';
	big[sizeof big - 1] = '\0';
	{
		char guard[16];
		memset(guard, 'G', sizeof guard);
		cr_assert_eq(http_query_get(big, "a", guard, 8), -1);
		cr_assert_eq(guard[8], 'G');
		cr_assert_eq(guard[15], 'G');
	}
}

/* ---- http_cookie_get ----------------------------------------------------------------------- */

struct cookie_case {
	const char *hdr, *name;
	int rc;
	const char *val;
};

static void run_cookie_cases(const struct cookie_case *c, size_t n)
{
	char out[64];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;
		memset(out, 'Z', sizeof out);
		rc = http_cookie_get(c[i].hdr, c[i].name, out, sizeof out);
		cr_assert_eq(rc, c[i].rc, "case %zu \"%s\" name \"%s\": rc %d, want %d", i,
		             c[i].hdr ? c[i].hdr : "(null)", c[i].name, rc, c[i].rc);
		if (rc == 1)
			cr_assert_str_eq(out, c[i].val, "case %zu \"%s\"", i, c[i].hdr);
	}
}

Test(cookie, lookup)
{
	static const struct cookie_case c[] = {
		{ "mg_session=abc", "mg_session", 1, "abc" },
		{ "a=1; mg_session=abc; b=2", "mg_session", 1, "abc" },
		{ "a=1;mg_session=abc;b=2", "mg_session", 1, "abc" },
		{ "a=1;\tmg_session=abc", "mg_session", 1, "abc" },
		{ "  mg_session=abc  ", "mg_session", 1, "abc" },
		{ "a=1; mg_session=abc ; b=2", "mg_session", 1, "abc" },
		{ "mg_session=\"abc\"", "mg_session", 1, "abc" },
		{ "mg_session=\"", "mg_session", 1, "\"" },    /* a lone DQUOTE is kept */
		{ "mg_session=", "mg_session", 1, "" },
		{ "mg_session=a=b", "mg_session", 1, "a=b" },
		{ "mg_session=1; mg_session=2", "mg_session", 1, "1" },
		{ "a=1; b=2", "mg_session", 0, NULL },
		{ "", "mg_session", 0, NULL },
		{ NULL, "mg_session", 0, NULL },
		{ "mg_session", "mg_session", 0, NULL },       /* no '=' */
		{ "mg_session; x=1", "mg_session", 0, NULL },
		{ ";;; ;", "mg_session", 0, NULL },
	};
	run_cookie_cases(c, NCASES(c));
}

Test(cookie, names_that_are_prefixes_or_suffixes)
{
	static const struct cookie_case c[] = {
		{ "xmg_session=1", "mg_session", 0, NULL },
		{ "xmg_session=1; mg_session=2", "mg_session", 1, "2" },
		{ "mg_session_old=1", "mg_session", 0, NULL },
		{ "mg_session_old=1; mg_session=2", "mg_session", 1, "2" },
		{ "mg_sessio=1", "mg_session", 0, NULL },
		{ "mg_session=1", "mg_sessio", 0, NULL },
		{ "a=mg_session=x; mg_session=y", "mg_session", 1, "y" },
		{ "a=\"x; mg_session=y\"", "mg_session", 1, "y\"" },   /* RFC 6265 has no escapes */
		{ "MG_SESSION=1", "mg_session", 0, NULL },              /* names are case-sensitive */
	};
	run_cookie_cases(c, NCASES(c));
}

Test(cookie, output_bounds)
{
	char out[16];

	memset(out, 'Z', sizeof out);
	cr_assert_eq(http_cookie_get("s=abcd", "s", out, 5), 1);
	cr_assert_str_eq(out, "abcd");
	memset(out, 'Z', sizeof out);
	cr_assert_eq(http_cookie_get("s=abcde", "s", out, 5), 0);
	cr_assert_eq(out[5], 'Z');
	cr_assert_eq(http_cookie_get("s=\"abcd\"", "s", out, 5), 1);   /* quotes do not count */
	cr_assert_str_eq(out, "abcd");
	cr_assert_eq(http_cookie_get("s=", "s", out, 1), 1);
	cr_assert_str_eq(out, "");
	cr_assert_eq(http_cookie_get("s=", "s", out, 0), 0);
}

/* ---- http_date_format / http_date_parse ---------------------------------------------------- */

/* The C library's own rendering of t, as an oracle (strftime in the "C" locale). */
static void oracle_date(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	cr_assert_not_null(gmtime_r(&t, &tm));
	cr_assert_gt(strftime(out, outsz, "%a, %d %b %Y %H:%M:%S GMT", &tm), 0);
}

Test(date, format_known_values)
{
	static const struct {
		int64_t t;
		const char *s;
	} c[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT" },
		{ 2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT" },
		{ 253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
		/* Beyond four-digit years: pinned to the nearest end, never wrapped. */
		{ 253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
		{ INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
		{ -62167219200LL, "Sat, 01 Jan 0000 00:00:00 GMT" },
		{ -62167219201LL, "Sat, 01 Jan 0000 00:00:00 GMT" },
		{ INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT" },
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++) {
		char out[HTTP_DATE_LEN + 8];
		memset(out, 'Z', sizeof out);
		http_date_format((time_t)c[i].t, out);
		cr_assert_str_eq(out, c[i].s, "t=%lld", (long long)c[i].t);
		cr_assert_eq(strlen(out), HTTP_DATE_LEN);
		cr_assert_eq(out[HTTP_DATE_LEN + 1], 'Z', "wrote past HTTP_DATE_LEN + 1");
	}
}

Test(date, format_matches_libc_and_round_trips)
{
	int64_t t;
	unsigned step = 0;

	/* A spread of times from 1900 to 2200 with uneven steps to hit all fields. */
	for (t = -2208988800LL; t < 7258118400LL; t += 86400LL * 37 + 3671 + (step++ % 7) * 1013) {
		char got[HTTP_DATE_LEN + 1], want[64];
		time_t back = 0;
		http_date_format((time_t)t, got);
		oracle_date((time_t)t, want, sizeof want);
		cr_assert_str_eq(got, want, "t=%lld", (long long)t);
		cr_assert_eq(http_date_parse(got, &back), 0, "\"%s\"", got);
		cr_assert_eq((int64_t)back, t, "\"%s\": %lld", got, (long long)back);
	}
}

Test(date, repeated_and_alternating_times)
{
	/* http_date_format keeps the last date it wrote: the same time again, and two times taken
	   in turn, must each still come out right. */
	static const int64_t t[] = {784111777, 784111777, 1700000000, 784111777, 1700000001, 0, 0};
	size_t i;

	for (i = 0; i < NCASES(t); i++) {
		char got[HTTP_DATE_LEN + 1], want[64];
		http_date_format((time_t)t[i], got);
		oracle_date((time_t)t[i], want, sizeof want);
		cr_assert_str_eq(got, want, "t=%lld (call %zu)", (long long)t[i], i);
	}
}

Test(u64, decimal)
{
	static const struct {
		uint64_t v;
		const char *s;
	} c[] = {
		{0, "0"}, {7, "7"}, {10, "10"}, {65535, "65535"}, {1000000, "1000000"},
		{4294967296ULL, "4294967296"}, {UINT64_MAX, "18446744073709551615"},
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++) {
		char out[HTTP_U64_LEN + 8];
		size_t n;
		memset(out, 'Z', sizeof out);
		n = http_u64_format(c[i].v, out);
		out[n] = '\0';
		cr_assert_str_eq(out, c[i].s);
		cr_assert_eq(n, strlen(c[i].s));
		cr_assert_leq(n, HTTP_U64_LEN);
	}
}

/* One parse: string, expected return, and the time when it is 0. */
struct date_case {
	const char *s;
	int rc;
	int64_t t;
};

static void run_date_cases(const struct date_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		time_t t = 12345;
		int rc = http_date_parse(c[i].s, &t);
		cr_assert_eq(rc, c[i].rc, "case %zu \"%s\": rc %d, want %d", i, c[i].s, rc, c[i].rc);
		if (rc == 0)
			cr_assert_eq((int64_t)t, c[i].t, "case %zu \"%s\": %lld, want %lld", i, c[i].s,
			             (long long)t, (long long)c[i].t);
		else
			cr_assert_eq(t, 12345, "case %zu \"%s\": *out written on failure", i, c[i].s);
	}
}

#define OK(s, t) { (s), 0, (t) }
#define BAD(s)   { (s), -1, 0 }

Test(date, imf_fixdate)
{
	static const struct date_case c[] = {
		OK("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),
		OK("Thu, 01 Jan 1970 00:00:00 GMT", 0),
		OK("Wed, 31 Dec 1969 23:59:59 GMT", -1),       /* -1 is a time, not an error */
		OK("Tue, 29 Feb 2000 00:00:00 GMT", 951782400),
		OK("Thu, 29 Feb 1996 12:00:00 GMT", 825595200),
		OK("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL),
		OK("Sat, 01 Jan 0000 00:00:00 GMT", -62167219200LL),
		OK("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL),
		OK("Sun, 06 Nov 1994 08:49:60 GMT", 784111800), /* leap second */
		OK("Sun, 30 Apr 1995 00:00:00 GMT", 799200000),
	};
	run_date_cases(c, NCASES(c));
}

Test(date, imf_fixdate_rejects)
{
	static const struct date_case c[] = {
		BAD(""),
		BAD("GMT"),
		BAD("Sun"),
		BAD("Sun, 06 Nov 1994 08:49:37"),
		BAD("Sun, 06 Nov 1994 08:49:37 GM"),
		BAD("Sun, 06 Nov 1994 08:49:37 gmt"),
		BAD("Sun, 06 Nov 1994 08:49:37 UTC"),
		BAD("Sun, 06 Nov 1994 08:49:37 +0000"),
		BAD("Sun, 06 Nov 1994 08:49:37 GMT "),          /* trailing junk */
		BAD("Sun, 06 Nov 1994 08:49:37 GMTx"),
		BAD("Sun, 06 Nov 1994 08:49:37 GMT, Mon"),
		BAD(" Sun, 06 Nov 1994 08:49:37 GMT"),
		BAD("sun, 06 Nov 1994 08:49:37 GMT"),           /* case-sensitive (5.6.7) */
		BAD("SUN, 06 Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06 nov 1994 08:49:37 GMT"),
		BAD("Sun, 06 NOV 1994 08:49:37 GMT"),
		BAD("Xyz, 06 Nov 1994 08:49:37 GMT"),           /* invalid day-name */
		BAD("Sun, 06 Foo 1994 08:49:37 GMT"),           /* invalid month */
		BAD("Sun, 06 November 1994 08:49:37 GMT"),
		BAD("Sun, 6 Nov 1994 08:49:37 GMT"),            /* day is 2DIGIT */
		BAD("Sun,  6 Nov 1994 08:49:37 GMT"),
		BAD("Sun, +6 Nov 1994 08:49:37 GMT"),
		BAD("Sun, -6 Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06 Nov 94 08:49:37 GMT"),             /* year is 4DIGIT */
		BAD("Sun, 06 Nov 01994 08:49:37 GMT"),
		BAD("Sun, 06 Nov 1994 8:49:37 GMT"),
		BAD("Sun, 06 Nov 1994 08:49:37.5 GMT"),
		BAD("Sun,06 Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06  Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06-Nov-1994 08:49:37 GMT"),
		BAD("Sun 06 Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06 Nov 1994 08-49-37 GMT"),
		BAD("Sunday, 06 Nov 1994 08:49:37 GMT"),
		BAD("Sun, 00 Nov 1994 08:49:37 GMT"),           /* invalid days */
		BAD("Sun, 32 Nov 1994 08:49:37 GMT"),
		BAD("Thu, 31 Nov 1994 08:49:37 GMT"),           /* November has 30 */
		BAD("Sun, 31 Apr 1995 00:00:00 GMT"),
		BAD("Mon, 29 Feb 1993 00:00:00 GMT"),
		BAD("Thu, 29 Feb 1900 00:00:00 GMT"),           /* 1900 is no leap year */
		BAD("Wed, 30 Feb 2000 00:00:00 GMT"),
		BAD("Sun, 99 Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06 Nov 1994 24:00:00 GMT"),
		BAD("Sun, 06 Nov 1994 08:60:00 GMT"),
		BAD("Sun, 06 Nov 1994 08:49:61 GMT"),
		BAD("Sun, 06 Nov 1994 99:99:99 GMT"),
		BAD("Sun, 0a Nov 1994 08:49:37 GMT"),
		BAD("Sun, 06 Nov 19x4 08:49:37 GMT"),
		BAD("Sun, 06 Nov 1994 08:4x:37 GMT"),
	};
	run_date_cases(c, NCASES(c));
}

Test(date, asctime)
{
	static const struct date_case c[] = {
		OK("Sun Nov  6 08:49:37 1994", 784111777),
		OK("Sun Nov 06 08:49:37 1994", 784111777),      /* day = 2DIGIT / ( SP DIGIT ) */
		OK("Wed Nov 16 08:49:37 1994", 784111777 + 10 * 86400),
		OK("Thu Jan  1 00:00:00 1970", 0),
		BAD("Sun Nov 6 08:49:37 1994"),
		BAD("Sun Nov   6 08:49:37 1994"),
		BAD("Sun Nov  6 08:49:37 1994 "),
		BAD("Sun Nov  6 08:49:37 1994 GMT"),
		BAD("Sun Nov  6 08:49:37 94"),
		BAD("Sun Nov  0 08:49:37 1994"),
		BAD("Sun Nov 31 08:49:37 1994"),
		BAD("Sun Nov  6 24:49:37 1994"),
		BAD("Sun Foo  6 08:49:37 1994"),
		BAD("Sun nov  6 08:49:37 1994"),
		BAD("Sunday Nov  6 08:49:37 1994"),
		BAD("Sun Nov  x 08:49:37 1994"),
		BAD("Sun Nov  6 08:49:37 19 4"),
	};
	run_date_cases(c, NCASES(c));
}

Test(date, rfc850)
{
	static const struct date_case c[] = {
		/* Two-digit years (5.6.7): 94 is 1994 until late 2044. */
		OK("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),
		OK("Monday, 06-Nov-00 08:49:37 GMT", 973500577),
		BAD("Sun, 06-Nov-94 08:49:37 GMT"),
		BAD("sunday, 06-Nov-94 08:49:37 GMT"),
		BAD("Sundae, 06-Nov-94 08:49:37 GMT"),
		BAD("Sunday 06-Nov-94 08:49:37 GMT"),
		BAD("Sunday,06-Nov-94 08:49:37 GMT"),
		BAD("Sunday, 06-Nov-1994 08:49:37 GMT"),
		BAD("Sunday, 06 Nov 94 08:49:37 GMT"),
		BAD("Sunday, 6-Nov-94 08:49:37 GMT"),
		BAD("Sunday, 06-Nov-94 08:49:37"),
		BAD("Sunday, 06-Nov-94 08:49:37 GMT "),
		BAD("Sunday, 06-Nov-94 08:49:37 UTC"),
		BAD("Sunday, 06-nov-94 08:49:37 GMT"),
		BAD("Sunday, 31-Nov-94 08:49:37 GMT"),
		BAD("Sunday, 06-Nov-9x 08:49:37 GMT"),
		BAD("Sunday, 06-Nov-94 08:49:61 GMT"),
		BAD("Sunday,"),
		BAD("Sunday"),
	};
	run_date_cases(c, NCASES(c));
}

/* RFC 9110 section 5.6.7: a two-digit year more than 50 years ahead is the past century's. */
Test(date, rfc850_two_digit_year_window)
{
	time_t now = time(NULL);
	struct tm tm, want;
	int year, yy;
	char s[64];
	time_t got;

	cr_assert_not_null(gmtime_r(&now, &tm));
	year = tm.tm_year + 1900;

	/* 40 years ahead: taken as is. */
	yy = (year + 40) % 100;
	snprintf(s, sizeof s, "Monday, 15-Jun-%02d 12:00:00 GMT", yy);
	cr_assert_eq(http_date_parse(s, &got), 0, "%s", s);
	memset(&want, 0, sizeof want);
	want.tm_year = year + 40 - 1900;
	want.tm_mon = 5;
	want.tm_mday = 15;
	want.tm_hour = 12;
	cr_assert_eq(got, timegm(&want), "%s", s);

	/* 60 years ahead would be too far: 40 years ago. */
	yy = (year + 60) % 100;
	snprintf(s, sizeof s, "Monday, 15-Jun-%02d 12:00:00 GMT", yy);
	cr_assert_eq(http_date_parse(s, &got), 0, "%s", s);
	want.tm_year = year - 40 - 1900;
	cr_assert_eq(got, timegm(&want), "%s", s);

	/* This year's digits: this year. */
	snprintf(s, sizeof s, "Monday, 15-Jun-%02d 12:00:00 GMT", year % 100);
	cr_assert_eq(http_date_parse(s, &got), 0, "%s", s);
	want.tm_year = year - 1900;
	cr_assert_eq(got, timegm(&want), "%s", s);
}

Test(date, all_three_forms_agree)
{
	static const char *const s[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};
	size_t i;

	for (i = 0; i < NCASES(s); i++) {
		time_t t = 0;
		cr_assert_eq(http_date_parse(s[i], &t), 0, "%s", s[i]);
		cr_assert_eq(t, (time_t)784111777, "%s", s[i]);
	}
}

Test(date, every_month_boundary)
{
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m;

	for (y = 1999; y <= 2001; y++) {
		for (m = 0; m < 12; m++) {
			int last = days[m] + (m == 1 && y == 2000);
			char s[64];
			time_t t;
			struct tm want;

			snprintf(s, sizeof s, "Mon, %02d %s %04d 00:00:00 GMT", last, mon[m], y);
			cr_assert_eq(http_date_parse(s, &t), 0, "%s", s);
			memset(&want, 0, sizeof want);
			want.tm_year = y - 1900;
			want.tm_mon = m;
			want.tm_mday = last;
			cr_assert_eq(t, timegm(&want), "%s", s);
			snprintf(s, sizeof s, "Mon, %02d %s %04d 00:00:00 GMT", last + 1, mon[m], y);
			cr_assert_eq(http_date_parse(s, &t), -1, "%s", s);
		}
	}
}

/* ---- http_media_type ----------------------------------------------------------------------- */

struct mt_case {
	const char *s;
	int rc;
	const char *out;
};

static void run_mt_cases(const struct mt_case *c, size_t n)
{
	char out[64];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;
		memset(out, 'Z', sizeof out);
		rc = http_media_type(c[i].s, out, sizeof out);
		cr_assert_eq(rc, c[i].rc, "case %zu \"%s\": rc %d, want %d", i, c[i].s, rc, c[i].rc);
		if (rc == 0)
			cr_assert_str_eq(out, c[i].out, "case %zu \"%s\"", i, c[i].s);
	}
}

Test(media_type, valid)
{
	static const struct mt_case c[] = {
		{ "text/html", 0, "text/html" },
		{ "Text/HTML", 0, "text/html" },
		{ "text/html; charset=UTF-8", 0, "text/html" },
		{ "text/html;charset=utf-8", 0, "text/html" },
		{ "text/html ; charset=utf-8", 0, "text/html" },
		{ "text/html;\tcharset=utf-8", 0, "text/html" },
		{ "  text/plain", 0, "text/plain" },
		{ "text/plain  ", 0, "text/plain" },
		{ "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk", 0,
		  "multipart/form-data" },
		{ "multipart/form-data; boundary=\"a b;c=d\"", 0, "multipart/form-data" },
		{ "text/plain; a=\"\"", 0, "text/plain" },
		{ "text/plain; a=\"x\\\"y\"", 0, "text/plain" },
		{ "text/plain; a=\"x\\\\\"", 0, "text/plain" },
		{ "text/plain; a=\"tab\there\"", 0, "text/plain" },   /* HTAB is qdtext */
		{ "text/plain; a=\"\xc3\xa9\"", 0, "text/plain" },     /* obs-text */
		{ "text/plain;", 0, "text/plain" },                    /* empty parameters */
		{ "text/plain;;a=b;", 0, "text/plain" },
		{ "text/plain; a=b; c=d", 0, "text/plain" },
		{ "application/vnd.api+json", 0, "application/vnd.api+json" },
		{ "audio/L16; rate=44100; channels=2", 0, "audio/l16" },
	};
	run_mt_cases(c, NCASES(c));
}

Test(media_type, malformed)
{
	static const struct mt_case c[] = {
		{ "", -1, NULL },
		{ " ", -1, NULL },
		{ "text", -1, NULL },
		{ "text/", -1, NULL },
		{ "/html", -1, NULL },
		{ "/", -1, NULL },
		{ "text/html/x", -1, NULL },
		{ "te xt/html", -1, NULL },
		{ "text /html", -1, NULL },
		{ "text/ html", -1, NULL },
		{ "text/html x", -1, NULL },
		{ "text/html, text/plain", -1, NULL },
		{ "t\xc3\xa9xt/html", -1, NULL },
		{ "text/h(t)ml", -1, NULL },
		{ "text/html; charset", -1, NULL },
		{ "text/html; charset=", -1, NULL },
		{ "text/html; =utf-8", -1, NULL },
		{ "text/html; charset = utf-8", -1, NULL },     /* no whitespace around '=' */
		{ "text/html; charset =utf-8", -1, NULL },
		{ "text/html; charset=utf 8", -1, NULL },
		{ "text/html; a=\"unterminated", -1, NULL },
		{ "text/html; a=\"x\\", -1, NULL },
		{ "text/html; a=\"x\"y", -1, NULL },
		{ "text/html; a=\"\x01\"", -1, NULL },
		{ "text/html; a=\"\x7f\"", -1, NULL },
		{ "text/html; a=\"\\\x01\"", -1, NULL },
		{ "text/html; a=\"\n\"", -1, NULL },
		{ "text/html; a=b c", -1, NULL },
		{ "text/html; a=(b)", -1, NULL },
		{ "text/html\x01", -1, NULL },
	};
	run_mt_cases(c, NCASES(c));
}

Test(media_type, output_bounds)
{
	char out[16];

	memset(out, 'Z', sizeof out);
	cr_assert_eq(http_media_type("a/b", out, 4), 0);
	cr_assert_str_eq(out, "a/b");
	memset(out, 'Z', sizeof out);
	cr_assert_eq(http_media_type("a/bc", out, 4), -1);
	cr_assert_eq(out[4], 'Z');
	cr_assert_eq(http_media_type("a/b", out, 0), -1);
	cr_assert_eq(http_media_type("image/png; x=1", out, 8), -1);
	cr_assert_eq(http_media_type("audio/ogg; x=1", out, 10), 0);
	cr_assert_str_eq(out, "audio/ogg");
}

/* ---- http_prefers_html --------------------------------------------------------------------- */

Test(accept, prefers_html)
{
	static const struct {
		const char *s;
		int want;
	} c[] = {
		{ "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 1 },
		{ "text/html", 1 },
		{ "TEXT/HTML", 1 },
		{ "Text/Html, */*", 1 },
		{ "  text/html", 1 },
		{ "text/html;q=0.9", 1 },
		{ "text/html ;q=0.9", 1 },
		{ "text/html\t,*/*", 1 },
		{ "text/html , */*", 1 },
		{ "application/json, text/html", 0 },
		{ "application/json", 0 },
		{ "*/*", 0 },
		{ "text/*", 0 },
		{ "text/htm", 0 },
		{ "text/htmlx", 0 },
		{ "text/html-foo", 0 },
		{ "text/html+xml", 0 },
		{ "xtext/html", 0 },
		{ "", 0 },
		{ NULL, 0 },
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++)
		cr_assert_eq(http_prefers_html(c[i].s), c[i].want, "case %zu \"%s\"", i,
		             c[i].s ? c[i].s : "(null)");
}

/* ---- http_etag_match ----------------------------------------------------------------------- */

struct etag_case {
	const char *list, *etag;
	int weak, want;
};

Test(etag, matching)
{
	static const struct etag_case c[] = {
		{ "\"abc\"", "\"abc\"", 0, 1 },
		{ "\"abc\"", "\"abc\"", 1, 1 },
		{ "\"abd\"", "\"abc\"", 0, 0 },
		{ "\"ab\"", "\"abc\"", 0, 0 },
		{ "\"abcd\"", "\"abc\"", 1, 0 },
		{ "\"x\", \"abc\"", "\"abc\"", 0, 1 },
		{ "\"x\",\"abc\",\"y\"", "\"abc\"", 0, 1 },
		{ "  \"x\" ,\t\"abc\"  ", "\"abc\"", 0, 1 },
		{ ", ,\"abc\",", "\"abc\"", 0, 1 },             /* empty list elements (5.6.1) */
		{ "\"\"", "\"\"", 0, 1 },                        /* an empty opaque-tag */
		{ "\"\"", "\"abc\"", 1, 0 },
		{ "*", "\"abc\"", 0, 1 },
		{ "*", "\"abc\"", 1, 1 },
		{ " * ", "\"abc\"", 0, 1 },
		{ "\"ABC\"", "\"abc\"", 1, 0 },                  /* opaque-tags are case-sensitive */
		{ "\"a,b\"", "\"a,b\"", 0, 1 },                  /* a comma inside the tag */
		{ "\"a,b\", \"c\"", "\"c\"", 0, 1 },
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++)
		cr_assert_eq(http_etag_match(c[i].list, c[i].etag, c[i].weak), c[i].want,
		             "case %zu list '%s' etag '%s' weak %d", i, c[i].list, c[i].etag,
		             c[i].weak);
}

/* RFC 9110 section 8.8.3.2: the table of weak and strong comparison. */
Test(etag, weak_versus_strong)
{
	static const struct etag_case c[] = {
		{ "W/\"1\"", "W/\"1\"", 0, 0 },
		{ "W/\"1\"", "W/\"1\"", 1, 1 },
		{ "W/\"1\"", "W/\"2\"", 0, 0 },
		{ "W/\"1\"", "W/\"2\"", 1, 0 },
		{ "W/\"1\"", "\"1\"", 0, 0 },
		{ "W/\"1\"", "\"1\"", 1, 1 },
		{ "\"1\"", "\"1\"", 0, 1 },
		{ "\"1\"", "\"1\"", 1, 1 },
		{ "\"1\"", "W/\"1\"", 0, 0 },
		{ "\"1\"", "W/\"1\"", 1, 1 },
		{ "W/\"1\", \"1\"", "\"1\"", 0, 1 },             /* the strong one in the list */
		{ "w/\"1\"", "\"1\"", 1, 0 },                    /* W/ is case-sensitive */
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++)
		cr_assert_eq(http_etag_match(c[i].list, c[i].etag, c[i].weak), c[i].want,
		             "case %zu list '%s' etag '%s' weak %d", i, c[i].list, c[i].etag,
		             c[i].weak);
}

Test(etag, malformed_never_matches)
{
	static const char *const lists[] = {
		"",
		" ",
		",",
		"abc",
		"\"abc",
		"abc\"",
		"\"abc\" \"abc\"",           /* no comma */
		"\"abc\"x",
		"\"abc\", junk",
		"junk, \"abc\"",
		"\"abc\", \"unterminated",
		"\"a b\", \"abc\"",          /* SP is not etagc */
		"\"a\x01\", \"abc\"",
		"\"a\x7f\", \"abc\"",
		"W/ \"abc\"",
		"W\"abc\"",
		"*, \"abc\"",                /* "*" stands alone */
		"* \"abc\"",
		"**",
		"\"abc\", *",
	};
	size_t i;

	for (i = 0; i < NCASES(lists); i++) {
		cr_assert_eq(http_etag_match(lists[i], "\"abc\"", 1), 0, "weak '%s'", lists[i]);
		cr_assert_eq(http_etag_match(lists[i], "\"abc\"", 0), 0, "strong '%s'", lists[i]);
	}
}

Test(etag, long_list)
{
	static char list[200000];
	size_t o = 0;
	int i;

	for (i = 0; i < 10000; i++)
		o += (size_t)snprintf(list + o, sizeof list - o, "\"tag%d\", ", i);
	cr_assert_lt(o, sizeof list);
	cr_assert_eq(http_etag_match(list, "\"tag9999\"", 0), 1);
	cr_assert_eq(http_etag_match(list, "\"tag10000\"", 0), 0);
	cr_assert_eq(http_etag_match(list, "\"tag0\"", 1), 1);
}

Test(http_query, count)
{
	cr_assert_eq(http_query_count("", "a"), 0);
	cr_assert_eq(http_query_count(NULL, "a"), 0);
	cr_assert_eq(http_query_count("a=1", "a"), 1);
	cr_assert_eq(http_query_count("a=1&b=2&a=3", "a"), 2);
	cr_assert_eq(http_query_count("a&a=&&a=x", "a"), 3);
	cr_assert_eq(http_query_count("ab=1&ba=2&a_=3", "a"), 0);
	cr_assert_eq(http_query_count("sampling_rate=1&sampling_rate=2", "sampling_rate"), 2);
}
