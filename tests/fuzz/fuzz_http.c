/* fuzz_http.c: libFuzzer harness for the HTTP field parsers (fcgi/http.c) and fcgi/meta.c. */
// fuzz-sources: fcgi/http.c fcgi/meta.c
// fuzz-pkgs: jansson
// fuzz-max-len: 4096
/*
 * Build and run (tests/fuzz/run.sh does this for every harness):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -I. -o fuzz_http tests/fuzz/fuzz_http.c fcgi/http.c \
 *       fcgi/meta.c $(pkg-config --cflags --libs jansson)
 *   ./fuzz_http -max_total_time=60 -dict=tests/fuzz/dict/http.dict tests/fuzz/corpus/http
 * The input is split at its first NUL or newline into A and B (each NUL-terminated; B ends at
 * its own first NUL). A is the field value, query string, date, file name or JSON text; B is the
 * query key, cookie name or entity-tag. Every parser runs on every input. Invariants failing
 * abort():
 *   - http_query_get and http_query_count agree with a direct reading of the urlencoded
 *     format (a value is found exactly when the count is not 0), and a bigger buffer never
 *     changes a value that fitted; http_cookie_get's value fits, has no ';',
 *     comes from the header, and also does not depend on the buffer when it fits;
 *   - http_date_parse: a parsed time formats (http_date_format) to a date that parses back
 *     to the same time, and so does any time taken from the input's bytes (clamped to the
 *     years 0000..9999);
 *   - http_media_type: lowercase "type/subtype" of tchars with one '/', the input's own
 *     type/subtype, within the buffer;
 *   - http_etag_match: a strong match is a weak match, a W/ tag never matches strongly but
 *     through "*", and a match names the tag in the list; http_prefers_html only for a field
 *     that starts with text/html;
 *   - meta_sanitize_filename: valid UTF-8 with no C0 control, DEL, '/' or '\\', never "." or
 *     "..", within the buffer; a smaller buffer gives a prefix; sanitising twice changes
 *     nothing; a clean name comes back as it was;
 *   - meta_set_json: 0 or -1 with a printable reason and the metadata untouched; accepted
 *     values within their ranges; applying the same text again refuses every known key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fcgi/http.h"
#include "fcgi/meta.h"

#define DATE_MIN INT64_C(-62167219200)   /* 0000-01-01T00:00:00Z */
#define DATE_MAX INT64_C(253402300799)   /* 9999-12-31T23:59:59Z */

static const size_t bufsizes[] = { 1, 2, 5, 16, 64, 4097 };
#define NBUF (sizeof bufsizes / sizeof bufsizes[0])

static char *dupn(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A NUL-terminated string that fits in a buffer of cap bytes. */
static void check_fits(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

/* ---- query strings ---- */

static int ref_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The urlencoded value of the first pair named key; 1, 0 or -1 as http_query_get. */
static int ref_query(const char *q, const char *key, char *out, size_t outsz)
{
	const char *seg = q;
	size_t klen = strlen(key);

	for (;;) {
		const char *end = strchr(seg, '&'), *v;
		size_t len = end != NULL ? (size_t)(end - seg) : strlen(seg), i, o = 0;
		const char *eq = memchr(seg, '=', len);
		size_t nlen = eq != NULL ? (size_t)(eq - seg) : len;

		if (len > 0 && nlen == klen && strncmp(seg, key, klen) == 0) {
			v = eq != NULL ? eq + 1 : seg + len;
			len = (size_t)(seg + len - v);
			for (i = 0; i < len; i++) {
				int c = (unsigned char)v[i];

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (len - i < 3 || ref_hex(v[i + 1]) < 0 || ref_hex(v[i + 2]) < 0)
						return -1;
					c = ref_hex(v[i + 1]) * 16 + ref_hex(v[i + 2]);
					i += 2;
				}
				if (c == 0 || o + 1 >= outsz)
					return -1;
				out[o++] = (char)c;
			}
			if (outsz == 0)
				return -1;
			out[o] = '\0';
			return 1;
		}
		if (end == NULL)
			return 0;
		seg = end + 1;
	}
}

/* How many '&'-separated pairs of q are named key (undecoded), as http_query_count. */
static int ref_count(const char *q, const char *key)
{
	size_t klen = strlen(key);
	int n = 0;

	for (;;) {
		const char *end = strchr(q, '&');
		size_t len = end != NULL ? (size_t)(end - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t nlen = eq != NULL ? (size_t)(eq - q) : len;

		if (len > 0 && nlen == klen && strncmp(q, key, klen) == 0)
			n++;
		if (end == NULL)
			return n;
		q = end + 1;
	}
}

static void check_query(const char *q, const char *key)
{
	char out[4097], ref[4097], big[4097];
	int rc, rrc, brc, count;
	size_t i;

	brc = http_query_get(q, key, big, sizeof big);
	count = http_query_count(q, key);
	if (count != ref_count(q, key) || (count > 0) != (brc != 0))
		abort();
	if (http_query_count(NULL, key) != 0)
		abort();
	for (i = 0; i < NBUF; i++) {
		memset(out, 'Q', sizeof out);
		rc = http_query_get(q, key, out, bufsizes[i]);
		rrc = ref_query(q, key, ref, bufsizes[i]);
		if (rc != rrc)
			abort();
		if (rc == 1) {
			check_fits(out, bufsizes[i]);
			if (strcmp(out, ref) != 0)
				abort();
			/* What fits in a small buffer is what a big one gets. */
			if (brc != 1 || strcmp(out, big) != 0)
				abort();
		}
		if (brc == 1 && strlen(big) < bufsizes[i] && rc != 1)
			abort();
	}
	if (http_query_get(NULL, key, out, sizeof out) != 0)
		abort();
}

/* ---- cookies ---- */

static void check_cookie(const char *header, const char *name)
{
	char out[4097], big[4097];
	int rc, brc;
	size_t i;

	brc = http_cookie_get(header, name, big, sizeof big);
	if (brc != 0 && brc != 1)
		abort();
	if (brc == 1) {
		check_fits(big, sizeof big);
		if (strchr(big, ';') != NULL || strstr(header, big) == NULL)
			abort();
		/* It sits after "name=" (the DQUOTEs dropped) and ends at a ';' or the end. */
		if (strstr(header, name) == NULL)
			abort();
	}
	for (i = 0; i < NBUF; i++) {
		memset(out, 'C', sizeof out);
		rc = http_cookie_get(header, name, out, bufsizes[i]);
		if (rc != 0 && rc != 1)
			abort();
		if (rc == 1 && (brc != 1 || strcmp(out, big) != 0 ||
		                memchr(out, '\0', bufsizes[i]) == NULL))
			abort();
		if (brc == 1 && strlen(big) < bufsizes[i] && rc != 1)
			abort();
	}
}

/* ---- dates ---- */

/* t formats to a 29-character date that parses back to want. */
static void check_date_roundtrip(int64_t t, int64_t want)
{
	char text[HTTP_DATE_LEN + 8];
	time_t back = 0;

	memset(text, 'D', sizeof text);
	http_date_format((time_t)t, text);
	if (strlen(text) != HTTP_DATE_LEN)
		abort();
	if (http_date_parse(text, &back) != 0 || (int64_t)back != want)
		abort();
}

static void check_date(const char *s, const uint8_t *data, size_t size)
{
	time_t t = 0;
	uint64_t u = 0;
	int64_t v;
	size_t i;
	int rc;

	rc = http_date_parse(s, &t);
	if (rc != 0 && rc != -1)
		abort();
	/* Any parsed form (IMF-fixdate, RFC 850, asctime) formats and parses back the same. */
	if (rc == 0)
		check_date_roundtrip((int64_t)t, (int64_t)t);
	/* Times from the input bytes: the format pins them to the years 0000..9999. */
	for (i = 0; i < size && i < 8; i++)
		u = u << 8 | data[i];
	v = (int64_t)u;
	check_date_roundtrip(v, v < DATE_MIN ? DATE_MIN : v > DATE_MAX ? DATE_MAX : v);
	v = DATE_MIN + (int64_t)(u % (uint64_t)(DATE_MAX - DATE_MIN + 1));
	check_date_roundtrip(v, v);
}

/* ---- media types ---- */

static int is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void check_media_type(const char *s)
{
	char out[4097], big[4097];
	const char *p = s, *slash;
	size_t i, len;
	int rc, brc;

	brc = http_media_type(s, big, sizeof big);
	if (brc != 0 && brc != -1)
		abort();
	if (brc == 0) {
		len = strlen(big);
		slash = strchr(big, '/');
		if (slash == NULL || slash == big || slash[1] == '\0' || strchr(slash + 1, '/'))
			abort();
		for (i = 0; i < len; i++)
			if ((big[i] != '/' && !is_tchar((unsigned char)big[i])) ||
			    (big[i] >= 'A' && big[i] <= 'Z'))
				abort();
		/* The input's own type/subtype, after leading OWS, lowercased. */
		while (*p == ' ' || *p == '\t')
			p++;
		for (i = 0; i < len; i++)
			if (big[i] != p[i] && !(p[i] >= 'A' && p[i] <= 'Z' && big[i] == p[i] + 32))
				abort();
		if (is_tchar((unsigned char)p[len]) || p[len] == '/')
			abort();
	}
	for (i = 0; i < NBUF; i++) {
		memset(out, 'M', sizeof out);
		rc = http_media_type(s, out, bufsizes[i]);
		if (rc == 0 && (brc != 0 || strcmp(out, big) != 0 ||
		                memchr(out, '\0', bufsizes[i]) == NULL))
			abort();
		if (brc == 0 && strlen(big) < bufsizes[i] && rc != 0)
			abort();
	}
}

/* ---- entity-tags and Accept ---- */

static void check_etag(const char *list, const char *etag)
{
	const char *p = list, *want = etag;
	int strong, weak;

	strong = http_etag_match(list, etag, 0);
	weak = http_etag_match(list, etag, 1);
	if ((strong != 0 && strong != 1) || (weak != 0 && weak != 1))
		abort();
	if (strong && !weak)
		abort();
	if (!weak)
		return;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*')
		return;   /* "*" matches any current representation (section 13.1.1) */
	if (strong && etag[0] == 'W' && etag[1] == '/')
		abort();
	if (want[0] == 'W' && want[1] == '/')
		want += 2;
	if (want[0] != '"' || strstr(list, want) == NULL)
		abort();
}

static void check_accept(const char *accept)
{
	const char *p = accept;
	int rc;

	rc = http_prefers_html(accept);
	if (rc != 0 && rc != 1)
		abort();
	while (*p == ' ' || *p == '\t')
		p++;
	if (rc == 1 && strncasecmp(p, "text/html", 9) != 0)
		abort();
	if (http_prefers_html(NULL) != 0)
		abort();
}

/* ---- file names ---- */

/* 1 when s is valid UTF-8 (RFC 3629 section 4): no overlong form, surrogate or > U+10FFFF. */
static int utf8_valid(const unsigned char *s)
{
	while (*s != '\0') {
		uint32_t cp;
		int n, i;

		if (s[0] < 0x80) {
			s++;
			continue;
		}
		if ((s[0] & 0xe0) == 0xc0) {
			n = 2;
			cp = s[0] & 0x1f;
		} else if ((s[0] & 0xf0) == 0xe0) {
			n = 3;
			cp = s[0] & 0x0f;
		} else if ((s[0] & 0xf8) == 0xf0) {
			n = 4;
			cp = s[0] & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += n;
	}
	return 1;
}

static void check_filename(const char *in)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 7, 64, STORE_FILENAME_MAX + 1, 4097 };
	char out[4097], big[4097], twice[4097];
	const unsigned char *p;
	size_t i, cap;
	int clean;

	meta_sanitize_filename(in, big, sizeof big);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		cap = sizes[i];
		memset(out, 'F', sizeof out);
		meta_sanitize_filename(in, out, cap);
		check_fits(out, cap);
		if (!utf8_valid((const unsigned char *)out))
			abort();
		for (p = (const unsigned char *)out; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
				abort();
		if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
			abort();
		/* Cut on a character boundary of the same name ("" when the cut left ".."). */
		if (strncmp(out, big, strlen(out)) != 0)
			abort();
		meta_sanitize_filename(out, twice, cap);
		if (strcmp(out, twice) != 0)
			abort();
	}
	/* A name that needs no cleaning comes back as it was. */
	clean = utf8_valid((const unsigned char *)in) && strlen(in) < sizeof big &&
	        strcmp(in, ".") != 0 && strcmp(in, "..") != 0;
	for (p = (const unsigned char *)in; clean && *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			clean = 0;
	if (clean && strcmp(in, big) != 0)
		abort();
}

/* ---- JSON metadata ---- */

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
	if (m.seen[META_KIND] && strcmp(m.kind, "audio") != 0 && strcmp(m.kind, "image") != 0 &&
	    strcmp(m.kind, "video") != 0 && strcmp(m.kind, "file") != 0)
		abort();
	if (m.seen[META_FILENAME] && !utf8_valid((const unsigned char *)m.filename))
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
	size_t k;
	char *a, *b;

	for (k = 0; k < size && data[k] != '\0' && data[k] != '\n'; k++)
		;
	a = dupn(data, k);
	b = dupn(data + (k < size ? k + 1 : size), k < size ? size - k - 1 : 0);

	check_query(a, b);
	check_cookie(a, b);
	check_date(a, data, size);
	check_media_type(a);
	check_etag(a, b);
	check_etag(a, "\"abc\"");
	check_etag(a, "W/\"abc\"");
	check_accept(a);
	check_filename(a);
	check_json(a);

	free(a);
	free(b);
	return 0;
}
