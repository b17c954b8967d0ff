/* h_content.c: GET and HEAD /inputs/ID/content: the stored bytes, with validators and Range. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcgi/disposition.h"
#include "fcgi/h_growing.h"
#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/offload.h"
#include "fcgi/range.h"
#include "fcgi/represent.h"

#define SEND_CHUNK (128 * 1024)   /* bytes per pread and per FastCGI write */

/* Send bytes [first, first + len) of the representation. 0, or -1 when reading or the client
   failed. */
static int send_bytes(struct req *r, const struct repr *rp, uint64_t first, uint64_t len, char *buf)
{
	if (r->is_head)
		return 0;
	while (len > 0) {
		size_t want = len < SEND_CHUNK ? (size_t)len : SEND_CHUNK;
		ssize_t n = repr_read(rp, first, buf, want);
		if (n <= 0)
			return -1;
		if (resp_write(r, buf, (size_t)n) != 0)
			return -1;
		first += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}
/* How the body of a read gets to the client when the web server sends it (fcgi/offload.h). */
struct offload_plan {
	const char *name;          /* the header field that names the file */
	char        value[4096];   /* its value (resp_header takes no longer one) */
};

/*
 * Whether the body of this read, bytes [first, last] of the representation answered with status
 * (200 or 206 with nranges ranges), goes to the web server: 1 with *plan filled, or 0 when the
 * app streams it (offload off, or not allowed for this read: offload_allowed).
 */
static int offload_plan(struct req *r, const struct served *sv, int status, size_t nranges,
                        uint64_t first, uint64_t last, struct offload_plan *plan)
{
	const struct config *cfg = &r->app->cfg;
	struct offload_read rd = {
		.is_get = !r->is_head,
		.status = status,
		.nranges = nranges,
		.prefix_len = sv->body.prefix_len,
		.file_len = sv->body.file_len,
		.has_file = sv->object[0] != '\0',
		.range = req_param(r, "HTTP_RANGE"),
		.if_range = req_param(r, "HTTP_IF_RANGE"),
		.conditional = req_param(r, "HTTP_IF_MATCH") != NULL ||
		               req_param(r, "HTTP_IF_NONE_MATCH") != NULL ||
		               req_param(r, "HTTP_IF_MODIFIED_SINCE") != NULL ||
		               req_param(r, "HTTP_IF_UNMODIFIED_SINCE") != NULL,
		.etag = sv->etag,
	};

	return offload_allowed(cfg->offload, &rd) &&
	       offload_header(cfg->offload, cfg->offload_prefix, sv->object, first, last,
	                      &plan->name, plan->value, sizeof plan->value) == 0;
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
	struct served sv;
	struct byte_range ranges[RANGE_MAX];
	char lastmod[HTTP_DATE_LEN + 1], boundary[2 * 12 + 1], part[512];
	char num[6 + 3 * HTTP_U64_LEN + 3];   /* a Content-Range, Content-Length or Cache-Control */
	const char *ctype, *range;
	char *buf = NULL;
	size_t n = 0, i;
	int status, code, off = 0;
	struct offload_plan plan;
	uint64_t size;
	uint8_t rnd[12];
	enum range_result rr;

	/* The token; an upload in progress (a growing input) is h_growing.c's. */
	if (growing_content(r, id, &in, &c) != 0)
		return;
	if (represent(r, &in, &sv) != 0)
		goto out;
	if ((buf = malloc(SEND_CHUNK)) == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	size = repr_size(&sv.body);
	http_date_format((time_t)in.created_at, lastmod);
	ctype = content_is_active(sv.content_type) ? "application/octet-stream" : sv.content_type;

	status = preconditions(r, sv.etag, (time_t)in.created_at);
	range = if_range_holds(r, sv.etag, lastmod) ? req_param(r, "HTTP_RANGE") : NULL;
	rr = range_parse(range, size, ranges, &n);
	if (status == 412) {
		resp_error(r, 412, "precondition_failed", "If-Match or If-Unmodified-Since failed");
		goto out;
	}
	if (status == 0 && rr == RANGE_UNSATISFIABLE) {
		char unsatisfied[32];

		snprintf(unsatisfied, sizeof unsatisfied, "bytes */%llu", (unsigned long long)size);
		resp_error_with(r, 416, "Content-Range", unsatisfied, "range_not_satisfiable",
		                "no range lies within the representation");
		goto out;
	}
	code = status == 304 ? 304 : rr == RANGE_SATISFIABLE ? 206 : 200;
	if (code == 200 && size > 0)
		off = offload_plan(r, &sv, 200, 0, 0, size - 1, &plan);
	else if (code == 206 && n == 1)
		off = offload_plan(r, &sv, 206, 1, ranges[0].first, ranges[0].last, &plan);
	resp_status(r, code);
	/* Representation metadata and validators (RFC 9110 sections 8.8.2, 8.8.3). */
	resp_header(r, "ETag", "%s", sv.etag);
	resp_header(r, "Last-Modified", "%s", lastmod);
	memcpy(num, "private, max-age=", 17);
	http_u64_format(c.expires_at > r->now ? (uint64_t)(c.expires_at - r->now) : 0, num + 17);
	resp_header(r, "Cache-Control", "%s", num);
	/* nginx adds Accept-Ranges itself to a 200 it sends from a file (its range filter). */
	if (!(off && code == 200 && r->app->cfg.offload == OFFLOAD_X_ACCEL_REDIRECT))
		resp_header(r, "Accept-Ranges", "bytes");
	if (status == 304) {
		resp_body_start(r);
		goto out;
	}
	/* A generated representation keeps the upload's name with the extension of what it is. */
	content_disposition(r, in.kind, sv.content_type, in.filename, sv.stored ? NULL :
	                    strcmp(sv.content_type, "image/png") == 0 ? ".png" : ".wav");
	if (sv.width != 0) {
		resp_header(r, "X-Image-Width", "%u", (unsigned)sv.width);
		resp_header(r, "X-Image-Height", "%u", (unsigned)sv.height);
		resp_header(r, "X-Image-Format", "%s", sv.pixel_format);
	}
	/* Defence in depth for anything opened directly: no script, no plugin, no same origin. */
	resp_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
	/* The headers are the same whoever sends the bytes: the app, or the web server when the
	   read is offloaded (then the app writes no body). */
	if (rr != RANGE_SATISFIABLE) {
		resp_header(r, "Content-Type", "%s", ctype);
		http_u64_format(size, num);
		resp_header(r, "Content-Length", "%s", num);
		if (off)
			resp_header(r, plan.name, "%s", plan.value);
		resp_body_start(r);
		if (!off)
			send_bytes(r, &sv.body, 0, size, buf);
	} else if (n == 1) {
		resp_header(r, "Content-Type", "%s", ctype);
		/* "bytes first-last/size" (RFC 9110 section 14.4), and its length, without printf */
		i = 6;
		memcpy(num, "bytes ", 6);
		i += http_u64_format(ranges[0].first, num + i);
		num[i++] = '-';
		i += http_u64_format(ranges[0].last, num + i);
		num[i++] = '/';
		http_u64_format(size, num + i);
		resp_header(r, "Content-Range", "%s", num);
		http_u64_format(range_length(&ranges[0]), num);
		resp_header(r, "Content-Length", "%s", num);
		if (off)
			resp_header(r, plan.name, "%s", plan.value);
		resp_body_start(r);
		if (!off)
			send_bytes(r, &sv.body, ranges[0].first, range_length(&ranges[0]), buf);
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
		            boundary, ctype, ranges, n, size));
		resp_body_start(r);
		for (i = 0; i < n; i++) {
			int len = range_part_header(part, sizeof part, boundary, ctype, &ranges[i], size);
			if (len < 0 || resp_write(r, part, (size_t)len) != 0 ||
			    send_bytes(r, &sv.body, ranges[i].first, range_length(&ranges[i]), buf) != 0)
				goto out;
		}
		i = (size_t)range_closing(part, sizeof part, boundary);
		resp_write(r, part, i);
	}
out:
	served_close(&sv);
	free(buf);
	store_input_free(&in);
}
