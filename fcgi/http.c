/* http.c: small parsers for HTTP fields: query strings, cookies, dates, media types, entity-tags. */
#include "fcgi/http.h"

#include <ctype.h>
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

int http_query_get(const char *q, const char *key, char *out, size_t outsz)
{
	size_t klen = strlen(key);

	while (q != NULL && *q != '\0') {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t nlen = eq ? (size_t)(eq - q) : len;

		/* Keys are matched undecoded: ours are plain ASCII words. */
		if (nlen == klen && memcmp(q, key, klen) == 0) {
			if (eq == NULL)
				return urldecode("", 0, out, outsz) == 0 ? 1 : -1;
			return urldecode(eq + 1, len - nlen - 1, out, outsz) == 0 ? 1 : -1;
		}
		q = amp ? amp + 1 : NULL;
	}
	return 0;
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
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
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
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void http_date_format(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* Written by hand rather than strftime so that the locale can never change the names. */
	snprintf(out, HTTP_DATE_LEN + 1, "%s, %02u %s %04u %02u:%02u:%02u GMT", wdays[tm.tm_wday],
	         (unsigned)tm.tm_mday % 100u, months[tm.tm_mon], (unsigned)(tm.tm_year + 1900) % 10000u,
	         (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

static int month_index(const char *m)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(m, months[i], 3) == 0)
			return i;
	return -1;
}

int http_date_parse(const char *s, time_t *out)
{
	struct tm tm;
	char wday[16], mon[4];
	int n = 0, year;
	time_t t;

	memset(&tm, 0, sizeof tm);
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wday, &tm.tm_mday, mon,
	           &year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 7 && n > 0 && s[n] == '\0') {
		tm.tm_year = year - 1900;
	/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years per section 5.6.7. */
	} else if (n = 0, sscanf(s, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", wday,
	                         &tm.tm_mday, mon, &year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	                         &n) == 7 && n > 0 && s[n] == '\0') {
		tm.tm_year = year < 70 ? year + 100 : year;
	/* asctime-date: "Sun Nov  6 08:49:37 1994" */
	} else if (n = 0, sscanf(s, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wday, mon,
	                         &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &year,
	                         &n) == 7 && n > 0 && s[n] == '\0') {
		tm.tm_year = year - 1900;
	} else {
		return -1;
	}
	if ((tm.tm_mon = month_index(mon)) < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 ||
	    tm.tm_sec < 0)
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

/* RFC 9110 section 5.6.2: tchar. */
static int is_tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
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
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\0' || (unsigned char)*p < 0x20)
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
	       (accept[n] == '\0' || accept[n] == ',' || accept[n] == ';' || accept[n] == ' ');
}

int http_etag_match(const char *list, const char *etag, int weak)
{
	size_t elen = strlen(etag);
	const char *p = list;

	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '*' && (p[1] == '\0' || p[1] == ' '))
		return 1;
	/* #entity-tag: [ W/ ] DQUOTE *etagc DQUOTE, comma-separated with OWS. */
	while (*p != '\0') {
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
		q = strchr(p + 1, '"');
		if (q == NULL)
			return 0;
		if ((size_t)(q - p + 1) == elen && memcmp(p, etag, elen) == 0 && (weak || !is_weak))
			return 1;
		p = q + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return 0;
	}
	return 0;
}
