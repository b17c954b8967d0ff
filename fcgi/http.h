/* http.h: small parsers for HTTP fields: query strings, cookies, dates, media types, entity-tags. */
#ifndef MG_HTTP_H
#define MG_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_DATE_LEN 29   /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * http_query_get: find the first parameter named key in the query string q (the part after '?',
 * application/x-www-form-urlencoded: '&'-separated, '+' is a space, %XX escapes, per the URL
 * Standard's urlencoded parser) and write its decoded value, NUL-terminated, into out (outsz bytes).
 * Returns 1 when found, 0 when absent, -1 when the value does not fit, has a bad %-escape or
 * decodes to a NUL byte.
 */
int http_query_get(const char *q, const char *key, char *out, size_t outsz);

/* http_query_count: how many parameters named key the query string q holds (see http_query_get). */
int http_query_count(const char *q, const char *key);

/*
 * http_cookie_get: find the cookie named name in a Cookie header field value (RFC 6265 section
 * 5.4: "name=value" pairs separated by ";" and optional spaces) and copy its value, without
 * DQUOTEs, into out (outsz bytes). Returns 1 when found and it fits, 0 otherwise.
 */
int http_cookie_get(const char *header, const char *name, char *out, size_t outsz);

/*
 * http_date_format: write t as an IMF-fixdate (RFC 9110 section 5.6.7) into out[HTTP_DATE_LEN + 1].
 * The last time formatted is kept per thread: formatting the same second again is a copy.
 */
void http_date_format(time_t t, char *out);

/* HTTP_U64_LEN: the most digits http_u64_format writes (UINT64_MAX), without the NUL. */
#define HTTP_U64_LEN 20

/*
 * http_u64_format: write v in decimal (the 1*DIGIT of RFC 9110's Content-Length and ranges,
 * sections 8.6 and 14.1.2), without leading zeros, into out[HTTP_U64_LEN + 1], NUL-terminated,
 * without printf. Returns the number of digits written.
 */
size_t http_u64_format(uint64_t v, char *out);

/*
 * http_date_parse: parse an HTTP-date (RFC 9110 section 5.6.7: IMF-fixdate, and the obsolete
 * RFC 850 and asctime forms recipients must accept). Returns 0 and *out, or -1.
 */
int http_date_parse(const char *s, time_t *out);

/*
 * http_media_type: parse a media type (RFC 9110 section 8.3.1: type "/" subtype *( OWS ";" OWS
 * parameter )) and write "type/subtype" in lowercase into out (outsz bytes); parameters are
 * checked for shape only and dropped. Returns 0, or -1 when malformed or too long.
 */
int http_media_type(const char *s, char *out, size_t outsz);

/*
 * http_prefers_html: 1 when the Accept field value (RFC 9110 section 12.5.1) names text/html as
 * its first media range, as browsers send for navigations and form posts; 0 otherwise.
 */
int http_prefers_html(const char *accept);

/*
 * http_etag_match: compare the entity-tag etag (with its DQUOTEs, e.g. "\"abc\"") against a
 * field value that is "*" or a list of entity-tags (RFC 9110 section 8.8.3). weak selects the
 * weak comparison (If-None-Match, section 13.1.2) rather than the strong one (If-Match, If-Range:
 * a W/ tag never matches strongly). Returns 1 on a match, 0 otherwise (also when malformed).
 */
int http_etag_match(const char *list, const char *etag, int weak);

#endif
