/* h_content.c: GET and HEAD /inputs/ID/content: the stored bytes, with validators and Range. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/range.h"

#define SEND_CHUNK (128 * 1024)   /* bytes per pread and per FastCGI write */

/* Types a browser would run or render as a document: never served as themselves. */
static int is_active(const char *ctype)
{
	static const char *const active[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript",
		"application/javascript", "application/ecmascript", "text/ecmascript", "text/xml",
		"application/xml", "text/xsl", "application/x-shockwave-flash",
	};
	size_t i, n = strlen(ctype);

	for (i = 0; i < sizeof active / sizeof active[0]; i++)
		if (strcmp(ctype, active[i]) == 0)
			return 1;
	return n > 4 && strcmp(ctype + n - 4, "+xml") == 0;
}

/* Inline only for media whose type matches its kind: audio/..., image/..., video/... */
static int is_inline(const struct store_input *in)
{
	size_t n = strlen(in->kind);

	if (strcmp(in->kind, "file") == 0 || is_active(in->content_type))
		return 0;
	return strncmp(in->content_type, in->kind, n) == 0 && in->content_type[n] == '/';
}

/* Content-Disposition (RFC 6266 section 4) with an ASCII fallback and an RFC 8187 filename*. */
static void disposition(struct req *r, const struct store_input *in)
{
	char ascii[STORE_FILENAME_MAX + 1], ext[3 * STORE_FILENAME_MAX + 1];
	const unsigned char *p;
	size_t a = 0, e = 0;

	for (p = (const unsigned char *)in->filename; *p != '\0'; p++) {
		ascii[a++] = (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '%') ? '_'
		                                                                             : (char)*p;
		/* attr-char of RFC 8187 section 3.2.1; everything else percent-encoded */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p) != NULL) {
			ext[e++] = (char)*p;
		} else {
			snprintf(ext + e, 4, "%%%02X", *p);
			e += 3;
		}
	}
	ascii[a] = ext[e] = '\0';
	if (a == 0)
		resp_header(r, "Content-Disposition", "%s", is_inline(in) ? "inline" : "attachment");
	else
		resp_header(r, "Content-Disposition", "%s; filename=\"%s\"; filename*=UTF-8''%s",
		            is_inline(in) ? "inline" : "attachment", ascii, ext);
}

/* Send bytes [first, first + len) of fd. 0, or -1 when reading or the client failed. */
static int send_bytes(struct req *r, int fd, uint64_t first, uint64_t len, char *buf)
{
	if (r->is_head)
		return 0;
	while (len > 0) {
		size_t want = len < SEND_CHUNK ? (size_t)len : SEND_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)first);
		if (n <= 0)
			return -1;
		if (resp_write(r, buf, (size_t)n) != 0)
			return -1;
		first += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/*
 * The conditional requests of RFC 9110 section 13.2.2, in its order of evaluation: If-Match,
 * If-Unmodified-Since (412), If-None-Match, If-Modified-Since (304). 0 when none of them stops
 * the request, else the status to answer.
 */
static int preconditions(struct req *r, const char *etag, time_t mtime)
{
	const char *im = req_param(r, "HTTP_IF_MATCH"), *ius = req_param(r, "HTTP_IF_UNMODIFIED_SINCE");
	const char *inm = req_param(r, "HTTP_IF_NONE_MATCH"), *ims = req_param(r, "HTTP_IF_MODIFIED_SINCE");
	time_t t;

	if (im != NULL) {
		if (!http_etag_match(im, etag, 0))
			return 412;
	} else if (ius != NULL && http_date_parse(ius, &t) == 0 && mtime > t) {
		return 412;
	}
	if (inm != NULL) {
		if (http_etag_match(inm, etag, 1))
			return 304;
	} else if (ims != NULL && http_date_parse(ims, &t) == 0 && mtime <= t) {
		return 304;
	}
	return 0;
}

/* If-Range (RFC 9110 section 13.1.5): 1 when the Range header may be used. */
static int if_range_holds(struct req *r, const char *etag, const char *lastmod)
{
	const char *ir = req_param(r, "HTTP_IF_RANGE");
	time_t t, lm;

	if (ir == NULL)
		return 1;
	while (*ir == ' ')
		ir++;
	if (ir[0] == '"' || (ir[0] == 'W' && ir[1] == '/'))
		return http_etag_match(ir, etag, 0);   /* strong comparison; W/ never matches */
	return http_date_parse(ir, &t) == 0 && http_date_parse(lastmod, &lm) == 0 && t == lm;
}

void h_content(struct req *r, const char *id)
{
	struct store_input in;
	struct token_claims c;
	struct byte_range ranges[RANGE_MAX];
	struct stat st;
	char etag[STORE_SHA256_HEX + 3], lastmod[HTTP_DATE_LEN + 1], boundary[2 * 12 + 1], part[512];
	const char *ctype, *range;
	char *buf = NULL;
	size_t n = 0, i;
	int fd = -1, status;
	uint8_t rnd[12];
	enum range_result rr;
	enum store_err se;

	if (auth_token(r, id, &in, &c) != 0)
		return;
	if ((se = store_input_open(r->app->store, &in, &fd)) == STORE_GONE) {
		resp_error(r, 410, "input_deleted", "this input was deleted");
		goto out;
	}
	if (se != STORE_OK || fstat(fd, &st) != 0 ||
	    (uint64_t)st.st_size != in.size || (buf = malloc(SEND_CHUNK)) == NULL) {
		resp_error(r, 500, "internal", "the stored file cannot be read");
		goto out;
	}
	snprintf(etag, sizeof etag, "\"%s\"", in.sha256);
	http_date_format((time_t)in.created_at, lastmod);
	ctype = is_active(in.content_type) ? "application/octet-stream" : in.content_type;

	status = preconditions(r, etag, (time_t)in.created_at);
	range = if_range_holds(r, etag, lastmod) ? req_param(r, "HTTP_RANGE") : NULL;
	rr = range_parse(range, in.size, ranges, &n);
	if (status == 412) {
		resp_error(r, 412, "precondition_failed", "If-Match or If-Unmodified-Since failed");
		goto out;
	}
	if (status == 0 && rr == RANGE_UNSATISFIABLE) {
		static const char body[] = "{\"error\":\"range_not_satisfiable\",\"detail\":"
		                           "\"no range lies within the representation\"}\n";
		resp_status(r, 416);
		resp_header(r, "Content-Range", "bytes */%llu", (unsigned long long)in.size);
		resp_header(r, "Content-Type", "application/json");
		resp_header(r, "Content-Length", "%zu", sizeof body - 1);
		resp_body_start(r);
		resp_write(r, body, sizeof body - 1);
		r->note = "range_not_satisfiable";
		goto out;
	}
	resp_status(r, status == 304 ? 304 : rr == RANGE_SATISFIABLE ? 206 : 200);
	/* Representation metadata and validators (RFC 9110 sections 8.8.2, 8.8.3). */
	resp_header(r, "ETag", "%s", etag);
	resp_header(r, "Last-Modified", "%s", lastmod);
	resp_header(r, "Cache-Control", "private, max-age=%lld",
	            (long long)(c.expires_at > r->now ? c.expires_at - r->now : 0));
	resp_header(r, "Accept-Ranges", "bytes");
	if (status == 304) {
		resp_body_start(r);
		goto out;
	}
	disposition(r, &in);
	/* Defence in depth for anything opened directly: no script, no plugin, no same origin. */
	resp_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
	if (rr != RANGE_SATISFIABLE) {
		resp_header(r, "Content-Type", "%s", ctype);
		resp_header(r, "Content-Length", "%llu", (unsigned long long)in.size);
		resp_body_start(r);
		send_bytes(r, fd, 0, in.size, buf);
	} else if (n == 1) {
		resp_header(r, "Content-Type", "%s", ctype);
		resp_header(r, "Content-Range", "bytes %llu-%llu/%llu",
		            (unsigned long long)ranges[0].first, (unsigned long long)ranges[0].last,
		            (unsigned long long)in.size);
		resp_header(r, "Content-Length", "%llu", (unsigned long long)range_length(&ranges[0]));
		resp_body_start(r);
		send_bytes(r, fd, ranges[0].first, range_length(&ranges[0]), buf);
	} else {
		/* RFC 9110 section 14.6: several ranges as multipart/byteranges. */
		if (RAND_bytes(rnd, sizeof rnd) != 1) {
			resp_error(r, 500, "internal", "no randomness for the boundary");
			goto out;
		}
		for (i = 0; i < sizeof rnd; i++)
			snprintf(boundary + 2 * i, 3, "%02x", rnd[i]);
		resp_header(r, "Content-Type", "multipart/byteranges; boundary=%s", boundary);
		resp_header(r, "Content-Length", "%llu", (unsigned long long)range_multipart_length(
		            boundary, ctype, ranges, n, in.size));
		resp_body_start(r);
		for (i = 0; i < n; i++) {
			int len = range_part_header(part, sizeof part, boundary, ctype, &ranges[i], in.size);
			if (len < 0 || resp_write(r, part, (size_t)len) != 0 ||
			    send_bytes(r, fd, ranges[i].first, range_length(&ranges[i]), buf) != 0)
				goto out;
		}
		i = (size_t)range_closing(part, sizeof part, boundary);
		resp_write(r, part, i);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	store_input_free(&in);
}
