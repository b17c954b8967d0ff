/* http.c: small parsers for HTTP fields: query strings, cookies, dates, media types, entity-tags. */
#include "fcgi/http.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode the urlencoded bytes s[0..len) into out; -1 on a bad escape, a NUL, or no room. */
static int urldecode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	if (outsz == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* Find the next parameter named key in *q, advancing *q past it: 1 with its undecoded value in
   *val and *vlen (empty when it has no '='), or 0 at the end. */
static int next_param(const char **q, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);

	while (*q != NULL && **q != '\0') {
		const char *p = *q, *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq ? (size_t)(eq - p) : len;

		*q = amp ? amp + 1 : NULL;
		/* Keys are matched undecoded: ours are plain ASCII words. Empty sequences are skipped. */
		if (len > 0 && nlen == klen && memcmp(p, key, klen) == 0) {
			*val = eq ? eq + 1 : "";
			*vlen = eq ? len - nlen - 1 : 0;
			return 1;
		}
	}
	return 0;
}

int http_query_get(const char *q, const char *key, char *out, size_t outsz)
{
	const char *val;
	size_t vlen;

	if (!next_param(&q, key, &val, &vlen))
		return 0;
	return urldecode(val, vlen, out, outsz) == 0 ? 1 : -1;
}

int http_query_count(const char *q, const char *key)
{
	const char *val;
	size_t vlen;
	int n = 0;

	while (next_param(&q, key, &val, &vlen))
		n++;
	return n;
}

int http_cookie_get(const char *header, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		const char *semi, *v;
		size_t vlen;

		while (*p == ' ' || *p == '\t')
			p++;
		semi = strchr(p, ';');
		/* The pair ends at the ';': a name holding one (never ours) matches nothing. */
		if ((semi == NULL || (size_t)(semi - p) > nlen) && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			v = p + nlen + 1;
			vlen = semi ? (size_t)(semi - v) : strlen(v);
			while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen >= outsz)
				return 0;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 1;
		}
		p = semi ? semi + 1 : NULL;
	}
	return 0;
}

static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wdays_long[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years an IMF-fixdate's 4DIGIT can hold. */
#define DATE_MIN INT64_C(-62167219200)
#define DATE_MAX INT64_C(253402300799)

size_t http_u64_format(uint64_t v, char *out)
{
	char tmp[HTTP_U64_LEN];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

/* Two decimal digits of v (0..99) at out. */
static void put2(char *out, unsigned v)
{
	out[0] = (char)('0' + v / 10 % 10);
	out[1] = (char)('0' + v % 10);
}

void http_date_format(time_t t, char *out)
{
	/* The last time formatted (reads of one input ask for its Last-Modified again and again). */
	static __thread time_t last_t;
	static __thread char last[HTTP_DATE_LEN + 1];
	struct tm tm;
	int64_t v = (int64_t)t;
	unsigned year;

	/* Pin times whose year has no four-digit form to the nearest end rather than wrap it. */
	if (v < DATE_MIN)
		t = (time_t)DATE_MIN;
	else if (v > DATE_MAX)
		t = (time_t)DATE_MAX;
	if (last[0] != '\0' && t == last_t) {
		memcpy(out, last, HTTP_DATE_LEN + 1);
		return;
	}
	if (gmtime_r(&t, &tm) == NULL) {
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", HTTP_DATE_LEN + 1);
		return;
	}
	/* "Sun, 06 Nov 1994 08:49:37 GMT", written by hand rather than with strftime (the locale
	   can never change the names) or snprintf (a tenth of the instructions). */
	year = (unsigned)(tm.tm_year + 1900) % 10000u;
	memcpy(out, wdays[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, (unsigned)tm.tm_mday);
	out[7] = ' ';
	memcpy(out + 8, months[tm.tm_mon], 3);
	out[11] = ' ';
	put2(out + 12, year / 100);
	put2(out + 14, year % 100);
	out[16] = ' ';
	put2(out + 17, (unsigned)tm.tm_hour);
	out[19] = ':';
	put2(out + 20, (unsigned)tm.tm_min);
	out[22] = ':';
	put2(out + 23, (unsigned)tm.tm_sec);
	memcpy(out + 25, " GMT", 5);
	memcpy(last, out, HTTP_DATE_LEN + 1);
	last_t = t;
}

/* The value of exactly n ASCII digits at s, or -1 (also when s ends first). */
static int digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The index of the three-letter month name at s (case-sensitive, RFC 9110 section 5.6.7), or -1. */
static int month_index(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

/* 1 when the three-letter day-name is at s. */
static int is_day_name(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strncmp(s, wdays[i], 3) == 0)
			return 1;
	return 0;
}

/* The length of the day-name-l at s (rfc850-date), or 0. */
static size_t day_name_l_len(const char *s)
{
	int i;

	for (i = 0; i < 7; i++) {
		size_t n = strlen(wdays_long[i]);
		if (strncmp(s, wdays_long[i], n) == 0)
			return n;
	}
	return 0;
}

/* time-of-day = hour ":" minute ":" second, 8 characters at s; 0 or -1. */
static int time_of_day(const char *s, int *h, int *m, int *sec)
{
	if ((*h = digits(s, 2)) < 0 || s[2] != ':' || (*m = digits(s + 3, 2)) < 0 || s[5] != ':' ||
	    (*sec = digits(s + 6, 2)) < 0)
		return -1;
	return 0;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t civil_seconds(int64_t y, int mon, int mday, int h, int m, int s)
{
	return days_from_civil(y, mon + 1, mday) * 86400 + h * 3600 + m * 60 + s;
}

/*
 * RFC 9110 section 5.6.7: a two-digit year that would be more than 50 years in the future is the
 * most recent past year with those digits; so take the latest such year that is not.
 */
static int64_t rfc850_year(int yy, int mon, int mday, int h, int m, int s)
{
	time_t now = time(NULL);
	struct tm tm;
	int64_t y, limit;

	if (gmtime_r(&now, &tm) == NULL)
		return 1900 + yy;
	y = tm.tm_year + 1900 + 50;
	limit = civil_seconds(y, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	y = y - y % 100 + yy;
	if (civil_seconds(y, mon, mday, h, m, s) > limit)
		y -= 100;
	return y;
}

int http_date_parse(const char *s, time_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int mon, mday, h, m, sec;
	int64_t year, v;
	size_t n;

	if (is_day_name(s) && s[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (strlen(s) != HTTP_DATE_LEN || s[4] != ' ' || (mday = digits(s + 5, 2)) < 0 ||
		    s[7] != ' ' || (mon = month_index(s + 8)) < 0 || s[11] != ' ' ||
		    (year = digits(s + 12, 4)) < 0 || s[16] != ' ' || time_of_day(s + 17, &h, &m, &sec) ||
		    strcmp(s + 25, " GMT") != 0)
			return -1;
	} else if (is_day_name(s) && s[3] == ' ') {
		/* asctime-date: "Sun Nov  6 08:49:37 1994"; day = 2DIGIT / ( SP DIGIT ) */
		if (strlen(s) != 24 || (mon = month_index(s + 4)) < 0 || s[7] != ' ' ||
		    (mday = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2)) < 0 || s[10] != ' ' ||
		    time_of_day(s + 11, &h, &m, &sec) || s[19] != ' ' || (year = digits(s + 20, 4)) < 0)
			return -1;
	} else if ((n = day_name_l_len(s)) > 0) {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
		s += n;
		if (strlen(s) != 24 || s[0] != ',' || s[1] != ' ' || (mday = digits(s + 2, 2)) < 0 ||
		    s[4] != '-' || (mon = month_index(s + 5)) < 0 || s[8] != '-' ||
		    (year = digits(s + 9, 2)) < 0 || s[11] != ' ' || time_of_day(s + 12, &h, &m, &sec) ||
		    strcmp(s + 20, " GMT") != 0)
			return -1;
		year = rfc850_year((int)year, mon, mday, h, m, sec);
	} else {
		return -1;
	}
	/* The day must exist in its month; the second may be a leap second (RFC 5322 3.3). */
	if (mday < 1 || mday > mdays[mon] + (mon == 1 && is_leap(year)) || h > 23 || m > 59 ||
	    sec > 60)
		return -1;
	v = civil_seconds(year, mon, mday, h, m, sec);
	/* A leap second closing 9999 is a time no IMF-fixdate can give back: refuse it. */
	if (v > DATE_MAX || (int64_t)(time_t)v != v)
		return -1;
	*out = (time_t)v;
	return 0;
}

/* RFC 9110 section 5.6.2: tchar (ASCII only, whatever the locale). */
static int is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 section 5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text. */
static int is_qdtext(int c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* RFC 9110 section 5.6.4: the octet of a quoted-pair: HTAB / SP / VCHAR / obs-text. */
static int is_qpchar(int c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

/* RFC 9110 section 8.8.3: etagc = %x21 / %x23-7E / obs-text. */
static int is_etagc(int c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

int http_media_type(const char *s, char *out, size_t outsz)
{
	size_t o = 0, n;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	for (n = 0; is_tchar((unsigned char)p[n]); n++)
		;
	if (n == 0 || p[n] != '/')
		return -1;
	for (n++; is_tchar((unsigned char)p[n]); n++)
		;
	if (p[n - 1] == '/' || n >= outsz)
		return -1;
	for (o = 0; o < n; o++)
		out[o] = (char)tolower((unsigned char)p[o]);
	out[o] = '\0';
	p += n;
	/* parameters: *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ) */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ';')
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == ';')
			continue;
		for (n = 0; is_tchar((unsigned char)p[n]); n++)
			;
		if (n == 0 || p[n] != '=')
			return -1;
		p += n + 1;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\\' && is_qpchar((unsigned char)p[1]))
					p++;
				else if (!is_qdtext((unsigned char)*p))
					return -1;
			}
			p++;
		} else {
			for (n = 0; is_tchar((unsigned char)p[n]); n++)
				;
			if (n == 0)
				return -1;
			p += n;
		}
	}
}

int http_prefers_html(const char *accept)
{
	size_t n;

	if (accept == NULL)
		return 0;
	while (*accept == ' ' || *accept == '\t')
		accept++;
	n = strlen("text/html");
	return strncasecmp(accept, "text/html", n) == 0 &&
	       (accept[n] == '\0' || accept[n] == ',' || accept[n] == ';' || accept[n] == ' ' ||
	        accept[n] == '\t');
}

int http_etag_match(const char *list, const char *etag, int weak)
{
	const char *p = list, *want = etag;
	int want_weak = 0, found = 0;
	size_t wlen;

	/* Our own tag may be weak too: then it never matches strongly (section 8.8.3.2). */
	if (want[0] == 'W' && want[1] == '/') {
		want_weak = 1;
		want += 2;
	}
	wlen = strlen(want);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		return *p == '\0';
	}
	/* #entity-tag: [ W/ ] DQUOTE *etagc DQUOTE, comma-separated with OWS; the whole list is
	 * checked so that a malformed field never matches. */
	for (;;) {
		int is_weak = 0;
		const char *q;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (p[0] == 'W' && p[1] == '/') {
			is_weak = 1;
			p += 2;
		}
		if (*p != '"')
			return 0;
		for (q = p + 1; is_etagc((unsigned char)*q); q++)
			;
		if (*q != '"')
			return 0;
		if ((size_t)(q - p + 1) == wlen && memcmp(p, want, wlen) == 0 &&
		    (weak || (!is_weak && !want_weak)))
			found = 1;
		for (p = q + 1; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != ',' && *p != '\0')
			return 0;
	}
	return found;
}
