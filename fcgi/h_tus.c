/*
 * h_tus.c: tus 1.0.0 resumable uploads at /uploads (tus/tus-resumable-upload-protocol,
 * protocol.md): the core protocol (OPTIONS, HEAD, PATCH) and the extensions creation,
 * creation-with-upload, creation-defer-length, expiration, checksum and termination. An upload
 * belongs to the session that created it; when its last byte arrives it becomes the input of the
 * same id, probed and indexed as POST /inputs does (struct ingest, h_upload.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/tus.h"

/*
 * Bytes per read of a PATCH body. FCGX_GetStr waits until it has them all (or the body ends),
 * so this is also how far behind a live upload's durable offset may lag while it streams.
 */
#define READ_CHUNK   (16 * 1024)
#define SYNC_SECONDS 1            /* a long PATCH without a checksum records its bytes this often */

/* The request header field name as a CGI meta-variable (RFC 3875 section 4.1.18). */
#define H_TUS_RESUMABLE       "HTTP_TUS_RESUMABLE"
#define H_UPLOAD_OFFSET       "HTTP_UPLOAD_OFFSET"
#define H_UPLOAD_LENGTH       "HTTP_UPLOAD_LENGTH"
#define H_UPLOAD_DEFER_LENGTH "HTTP_UPLOAD_DEFER_LENGTH"
#define H_UPLOAD_METADATA     "HTTP_UPLOAD_METADATA"
#define H_UPLOAD_CHECKSUM     "HTTP_UPLOAD_CHECKSUM"
#define H_METHOD_OVERRIDE     "HTTP_X_HTTP_METHOD_OVERRIDE"

/* Tus-Resumable on every response (protocol.md, Core, "Tus-Resumable"), OPTIONS included. Written
   before the Status field: CGI header fields come in any order (RFC 3875 section 6.3). */
static void tus_resumable(struct req *r)
{
	resp_header(r, "Tus-Resumable", "%s", TUS_VERSION);
}

/* A header field value without the spaces and tabs around it, in out (outsz bytes); NULL none. */
static const char *field(const struct req *r, const char *name, char *out, size_t outsz)
{
	const char *v = req_param(r, name);
	size_t n;

	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= outsz) {
		v = "\x7f";   /* too long to be valid: a value no parser takes */
		n = 1;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

/* The request speaks tus 1.0.0: else 412 with Tus-Version and nothing done. 0 or -1. */
static int version_ok(struct req *r)
{
	char v[32];

	if (field(r, H_TUS_RESUMABLE, v, sizeof v) != NULL && strcmp(v, TUS_VERSION) == 0)
		return 0;
	resp_header(r, "Tus-Version", "%s", TUS_VERSION);
	resp_error(r, 412, "unsupported_version", "send Tus-Resumable: %s, the version this server "
	           "speaks", TUS_VERSION);
	return -1;
}

/* Upload-Expires (protocol.md, Expiration): an HTTP-date (RFC 9110 section 5.6.7). */
static void expires_header(struct req *r, int64_t expires_at)
{
	char date[HTTP_DATE_LEN + 1];

	http_date_format((time_t)expires_at, date);
	resp_header(r, "Upload-Expires", "%s", date);
}

/* Where the upload's input is, or will be once complete (README, "Resumable uploads (tus)"). */
static void input_header(struct req *r, const char *id)
{
	resp_header(r, "Mediagate-Input", "%s/inputs/%s", r->prefix, id);
}

/*
 * What id names for the request's session: an upload in progress (0, *t), or one completed
 * into an input (1, *in, to be released with store_input_free). Answers and returns -1
 * otherwise: 401 / 410 for the session (session_from_cookie), 410 upload_expired, 404 not_found
 * for anything else, another session's uploads included (no existence oracle).
 */
static int lookup(struct req *r, const char *id, struct store_session *s, struct store_tus *t,
                  struct store_input *in)
{
	enum store_err se;

	if (session_from_cookie(r, 1, s) != 0)
		return -1;
	se = store_tus_get(r->app->store, id, r->now, t);
	if ((se == STORE_OK || se == STORE_GONE) && strcmp(t->session, s->id) == 0) {
		if (se == STORE_OK)
			return 0;
		resp_error(r, 410, "upload_expired", "this upload expired; start a new one");
		return -1;
	}
	if (se != STORE_OK && se != STORE_GONE && se != STORE_NOT_FOUND)
		goto internal;
	se = store_input_get(r->app->store, id, in);
	if (se == STORE_OK && strcmp(in->session, s->id) == 0)
		return 1;
	if (se == STORE_OK || se == STORE_GONE)
		store_input_free(in);
	else if (se != STORE_NOT_FOUND)
		goto internal;
	resp_error(r, 404, "not_found", "no such upload");
	return -1;
internal:
	resp_error(r, 500, "internal", "index lookup failed");
	return -1;
}

/*
 * The bytes session may still store, as its quota allows (MEDIAGATE_SESSION_MAX_BYTES less its
 * live inputs and what its other uploads in progress may grow to), and how many inputs and
 * uploads it has. except is the upload asking (NULL for a new one). 0, or -1 after a 500.
 */
static int room(struct req *r, const char *session, const char *except, uint64_t *left,
                uint64_t *count)
{
	const struct config *cfg = &r->app->cfg;
	uint64_t ib = 0, ic = 0, ub = 0, uc = 0;

	if (store_session_usage(r->app->store, session, &ib, &ic) != STORE_OK ||
	    store_tus_usage(r->app->store, session, except, &ub, &uc) != STORE_OK) {
		resp_error(r, 500, "internal", "could not read the session's usage");
		return -1;
	}
	/* Each sum is below 2^63 (sizes are int64 in the index): no overflow. */
	*left = ib + ub < cfg->session_max_bytes ? cfg->session_max_bytes - ib - ub : 0;
	*count = ic + uc;
	return 0;
}

/* A body chunk on its way into an upload (PATCH, or a POST with creation-with-upload). */
struct chunk {
	struct req              *r;
	struct store_tus_writer *w;
	struct store_tus        *t;         /* the row as locked; offset updated on success */
	int                      has_sum;   /* Upload-Checksum given */
	struct tus_checksum      sum;
	int64_t                  length;    /* an Upload-Length to record (deferred), else -1 */
	uint64_t                 limit;     /* the most bytes the file may reach */
	int                      limit_quota; /* limit is the session's quota, not the length */
	int                      known;     /* Content-Length given */
	uint64_t                 clen;
	/* The failure, answered by the caller once the upload is let go of. */
	int                      status;
	const char              *code;
	char                     detail[200];
};

static int chunk_fail(struct chunk *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int chunk_fail(struct chunk *c, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (c->status == 0) {
		c->status = status;
		c->code = code;
		va_start(ap, fmt);
		vsnprintf(c->detail, sizeof c->detail, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Record what was written: offset, expiry, a new length. 0, or -1 (c's failure set). */
static int chunk_sync(struct chunk *c)
{
	int64_t expires = (int64_t)time(NULL) + c->r->app->cfg.tus_expiry;

	switch (store_tus_sync(c->w, c->length, expires)) {
	case STORE_OK:
		c->t->offset = store_tus_recorded(c->w);
		c->t->expires_at = expires;
		if (c->length >= 0) {
			c->t->length = (uint64_t)c->length;
			c->t->length_known = 1;
		}
		return 0;
	case STORE_NOT_FOUND:
		return chunk_fail(c, 404, "not_found", "the upload was terminated meanwhile");
	case STORE_NOSPC:
		return chunk_fail(c, 507, "insufficient_storage", "the server's disk is full");
	default:
		return chunk_fail(c, 500, "internal", "could not record the upload's offset");
	}
}

/*
 * Stream the request body into the upload (protocol.md, Core, PATCH): appended as it arrives,
 * within c->limit (413, chunk discarded); with a checksum, verified at the end (460, chunk
 * discarded: "the upload and its offset MUST NOT be updated"); without one, recorded every
 * SYNC_SECONDS, and a body cut short keeps what arrived ("the Server SHOULD always attempt to
 * store as much of the received data as possible"). 0, or -1 with c's failure set; either way
 * c->t->offset is what the upload durably holds.
 */
static int chunk_receive(struct chunk *c)
{
	struct req *r = c->r;
	EVP_MD_CTX *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	uint64_t start = r->bytes_in;
	time_t last_sync = time(NULL);
	char *buf = malloc(READ_CHUNK);
	enum store_err se;
	size_t n;

	if (buf == NULL)
		return chunk_fail(c, 500, "internal", "out of memory");
	if (c->has_sum && ((md = EVP_MD_CTX_new()) == NULL ||
	                   EVP_DigestInit_ex(md, tus_checksum_md(c->sum.algorithm), NULL) != 1)) {
		chunk_fail(c, 500, "internal", "could not start the checksum");
		goto out;
	}
	while ((n = req_read(r, buf, READ_CHUNK)) > 0) {
		uint64_t size = store_tus_size(c->w);
		if (n > c->limit - size) {
			if (c->limit_quota)
				chunk_fail(c, 413, "quota_exceeded", "the session's inputs and uploads "
				           "would be over its quota of %llu bytes",
				           (unsigned long long)r->app->cfg.session_max_bytes);
			else
				chunk_fail(c, 413, "too_large", "the body goes past %s of %llu bytes",
				           c->t->length_known || c->length >= 0 ? "the upload's length"
				           : "the maximum upload", (unsigned long long)c->limit);
			store_tus_rewind(c->w);
			goto out;
		}
		if ((se = store_tus_write(c->w, buf, n)) != STORE_OK) {
			if (se == STORE_NOSPC)
				chunk_fail(c, 507, "insufficient_storage", "the server's disk is full");
			else
				chunk_fail(c, 500, "internal", "could not write the upload");
			break;
		}
		if (md != NULL && EVP_DigestUpdate(md, buf, n) != 1) {
			chunk_fail(c, 500, "internal", "checksum failed");
			break;
		}
		/* A live upload's bytes become durable, and readable, as they stream. */
		if (md == NULL && time(NULL) - last_sync >= SYNC_SECONDS) {
			if (chunk_sync(c) != 0)
				goto out;
			last_sync = time(NULL);
		}
	}
	if (c->status == 0 && c->known && r->bytes_in - start < c->clen)
		chunk_fail(c, 400, "bad_request", "the body ended after %llu of %llu bytes",
		           (unsigned long long)(r->bytes_in - start), (unsigned long long)c->clen);
	if (md != NULL && c->status == 0 &&
	    (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != c->sum.len ||
	     CRYPTO_memcmp(digest, c->sum.digest, dlen) != 0))
		chunk_fail(c, 460, "checksum_mismatch", "Upload-Checksum does not match the body: "
		           "the chunk was discarded");
	if (md != NULL && c->status != 0) {
		store_tus_rewind(c->w);           /* a chunk not verified is not kept */
		goto out;
	}
	/* Whatever arrived, complete or cut short, is kept (no checksum) and recorded. */
	if (store_tus_size(c->w) != store_tus_recorded(c->w) || c->length >= 0 || c->status == 0)
		chunk_sync(c);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return c->status == 0 ? 0 : -1;
}

/*
 * The headers of a chunk request: Upload-Checksum (400 malformed or unsupported), and
 * Content-Length, which must fit within c->limit from the current offset (413, before a byte is
 * read). 0, or -1 with c's failure set.
 */
static int chunk_headers(struct chunk *c)
{
	const char *clen = req_param(c->r, "CONTENT_LENGTH");
	char v[128];
	int rc;

	if (field(c->r, H_UPLOAD_CHECKSUM, v, sizeof v) != NULL) {
		if ((rc = tus_checksum_parse(v, &c->sum)) == -2)
			return chunk_fail(c, 400, "bad_request", "Upload-Checksum: the algorithm is not "
			                  "one of " TUS_CHECKSUM_ALGORITHMS);
		if (rc != 0)
			return chunk_fail(c, 400, "bad_request", "Upload-Checksum: expected an algorithm, "
			                  "a space and the base64 of its digest");
		c->has_sum = 1;
	}
	if (clen != NULL && *clen != '\0') {
		if (tus_u64_parse(clen, &c->clen) != 0)
			return chunk_fail(c, 400, "bad_request", "Content-Length is not a number");
		c->known = 1;
		if (c->clen > c->limit - c->t->offset) {
			if (c->limit_quota)
				return chunk_fail(c, 413, "quota_exceeded", "the session's inputs and "
				                  "uploads would be over its quota of %llu bytes",
				                  (unsigned long long)c->r->app->cfg.session_max_bytes);
			return chunk_fail(c, 413, "too_large", "%llu bytes at offset %llu go past %s of "
			                  "%llu bytes", (unsigned long long)c->clen,
			                  (unsigned long long)c->t->offset,
			                  c->t->length_known || c->length >= 0 ? "the upload's length"
			                  : "the maximum upload", (unsigned long long)c->limit);
		}
	}
	return 0;
}

/*
 * The limit of a chunk: the upload's length when known (from its row, or the Upload-Length this
 * request sets), else the most that MEDIAGATE_MAX_UPLOAD and the session's quota allow. 0, or -1
 * after a 500.
 */
static int chunk_limit(struct chunk *c)
{
	uint64_t left, count;

	if (c->t->length_known || c->length >= 0) {
		c->limit = c->t->length_known ? c->t->length : (uint64_t)c->length;
		return 0;
	}
	if (room(c->r, c->t->session, c->t->id, &left, &count) != 0)
		return -1;
	c->limit = c->r->app->cfg.max_upload;
	if (left < c->limit) {
		c->limit = left;
		c->limit_quota = 1;
	}
	if (c->limit < c->t->offset)
		c->limit = c->t->offset;   /* over already (the quota shrank): no byte more */
	return 0;
}

/* ingest_commit_fn of a tus upload: store_tus_complete frees the writer only on success. */
struct completion {
	struct store_tus_writer *w;
};

static enum store_err commit_tus(void *src, const struct store_input_meta *meta,
                                 struct store_input *out)
{
	struct completion *c = src;
	enum store_err se = store_tus_complete(c->w, meta, out);

	if (se == STORE_OK)
		c->w = NULL;
	return se;
}

/*
 * The upload held by *w has all its bytes: make it the input of the same id, exactly as POST
 * /inputs would (probe, quota, index). 0 with *w NULL and *in (store_input_free); or -1 after
 * answering the failure, the upload removed (row and file) and *w NULL.
 */
static int complete(struct req *r, struct store_tus_writer **w, const struct store_tus *t,
                    const struct store_session *s, struct store_input *in)
{
	struct completion c = {*w};
	struct store_session live;
	struct ingest *g = calloc(1, sizeof *g);
	char err[200];
	int rc = -1;

	if (g == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	g->r = r;
	g->id = t->id;
	g->fd = store_tus_fd(*w);
	g->size = store_tus_size(*w);
	strcpy(g->content_type, "application/octet-stream");
	/* Checked at creation: a failure now means the row was damaged. */
	if (tus_metadata_apply(t->metadata, &g->meta, g->content_type, sizeof g->content_type, err,
	                       sizeof err) != 0)
		ingest_fail(g, 500, "internal", "the upload's metadata: %s", err);
	if (ingest_probe(g) == 0 && ingest_commit(g, s, commit_tus, &c, in) == 0) {
		rc = 0;
	} else if (g->status == 410 && store_session_get(r->app->store, s->id, r->now, &live) ==
	           STORE_OK) {
		/* The row commit needs went, the session lives: the upload was terminated. */
		resp_error(r, 404, "not_found", "the upload was terminated meanwhile");
	} else {
		resp_error(r, g->status, g->code, "%s", g->detail);
	}
	ingest_release(g);
out:
	/* A completion that fails leaves nothing: the client starts a new upload. */
	if (c.w != NULL)
		store_tus_remove(c.w);
	*w = NULL;
	free(g);
	return rc;
}

/* The state of an upload in response headers (protocol.md, Core, HEAD and PATCH). */
static void state_headers(struct req *r, const struct store_tus *t)
{
	resp_header(r, "Upload-Offset", "%llu", (unsigned long long)t->offset);
	if (t->length_known)
		resp_header(r, "Upload-Length", "%llu", (unsigned long long)t->length);
	else
		resp_header(r, "Upload-Defer-Length", "1");
	expires_header(r, t->expires_at);
}

/* The answer to a chunk that made the upload complete: its input exists now. */
static void completed(struct req *r, int status, const struct store_input *in)
{
	resp_status(r, status);
	resp_header(r, "Upload-Offset", "%llu", (unsigned long long)in->size);
	input_header(r, in->id);
	resp_body_start(r);
}

void h_tus_options(struct req *r, const char *id)
{
	/* protocol.md, Core, OPTIONS: the request's Tus-Resumable is ignored. */
	tus_resumable(r);
	resp_status(r, 204);
	resp_header(r, "Tus-Version", "%s", TUS_VERSION);
	resp_header(r, "Tus-Extension", "%s", TUS_EXTENSIONS);
	resp_header(r, "Tus-Max-Size", "%llu", (unsigned long long)r->app->cfg.max_upload);
	resp_header(r, "Tus-Checksum-Algorithm", "%s", TUS_CHECKSUM_ALGORITHMS);
	resp_body_start(r);
}

/*
 * The creation's length: Upload-Length, or Upload-Defer-Length: 1 (protocol.md, Creation, POST).
 * 0 with *length (-1 deferred), or -1 after answering 400 or 413.
 */
static int creation_length(struct req *r, int64_t *length)
{
	char l[64], d[16];
	const char *lv = field(r, H_UPLOAD_LENGTH, l, sizeof l);
	const char *dv = field(r, H_UPLOAD_DEFER_LENGTH, d, sizeof d);
	uint64_t v;

	if (dv != NULL) {
		if (strcmp(dv, "1") != 0) {
			resp_error(r, 400, "bad_request", "Upload-Defer-Length must be 1");
			return -1;
		}
		if (lv != NULL) {
			resp_error(r, 400, "bad_request", "send Upload-Length or Upload-Defer-Length, "
			           "not both");
			return -1;
		}
		*length = -1;
		return 0;
	}
	if (lv == NULL) {
		resp_error(r, 400, "bad_request", "send Upload-Length, or Upload-Defer-Length: 1");
		return -1;
	}
	if (tus_u64_parse(lv, &v) != 0) {
		resp_error(r, 400, "bad_request", "Upload-Length is not a number");
		return -1;
	}
	if (v > r->app->cfg.max_upload) {
		resp_error(r, 413, "too_large", "the upload is over the maximum of %llu bytes",
		           (unsigned long long)r->app->cfg.max_upload);
		return -1;
	}
	*length = (int64_t)v;
	return 0;
}

/*
 * Whether the creation carries a body (creation-with-upload): a Content-Length above 0, or a
 * body of unknown length (a chunked one behind nginx) announced by its Content-Type. 1, 0, or
 * -1 after answering 400 or 415.
 */
static int creation_has_body(struct req *r)
{
	const char *ctype = req_param(r, "CONTENT_TYPE"), *clen = req_param(r, "CONTENT_LENGTH");
	char type[STORE_CTYPE_MAX + 1] = "";
	uint64_t n = 0;
	int typed;

	if (clen != NULL && *clen != '\0' && tus_u64_parse(clen, &n) != 0) {
		resp_error(r, 400, "bad_request", "Content-Length is not a number");
		return -1;
	}
	typed = ctype != NULL && *ctype != '\0' &&
	        http_media_type(ctype, type, sizeof type) == 0 && strcmp(type, TUS_CONTENT_TYPE) == 0;
	if (n > 0 && !typed) {
		resp_error(r, 415, "unsupported_media_type", "a creation with upload sends its body "
		           "as " TUS_CONTENT_TYPE);
		return -1;
	}
	return n > 0 || (typed && (clen == NULL || *clen == '\0'));
}

void h_tus_create(struct req *r, const char *id)
{
	const struct config *cfg = &r->app->cfg;
	struct store_session s;
	struct store_tus *t = NULL;
	struct store_tus_writer *w = NULL;
	struct store_input in;
	struct chunk c;
	struct meta m;
	char ctype[STORE_CTYPE_MAX + 1], err[200], location[REQ_PREFIX_MAX + 64];
	char input_url[REQ_PREFIX_MAX + 64], *body_text;
	const char *meta = req_param(r, H_UPLOAD_METADATA);
	uint64_t left, count;
	int64_t length;
	int body;
	json_t *o;

	tus_resumable(r);
	if (req_param(r, H_METHOD_OVERRIDE) != NULL &&
	    strcmp(req_param(r, H_METHOD_OVERRIDE), "POST") != 0) {
		resp_error_with(r, 405, "Allow", "OPTIONS, POST", "method_not_allowed",
		                "the upload creation URL takes POST (and OPTIONS) only");
		return;
	}
	if (version_ok(r) != 0 || creation_length(r, &length) != 0)
		return;
	/* The metadata are checked now, as POST /inputs checks them, and kept as sent for HEAD. */
	memset(&m, 0, sizeof m);
	if (meta != NULL && strlen(meta) > STORE_TUS_METADATA_MAX) {
		resp_error(r, 400, "bad_metadata", "Upload-Metadata: over %d bytes",
		           STORE_TUS_METADATA_MAX);
		return;
	}
	if (tus_metadata_apply(meta, &m, ctype, sizeof ctype, err, sizeof err) != 0) {
		resp_error(r, 400, "bad_metadata", "%s", err);
		return;
	}
	if ((body = creation_has_body(r)) < 0)
		return;
	/* The session: the request's, or a new one (as POST /inputs makes one). */
	if (session_from_cookie(r, 0, &s) != 0) {
		if (store_session_create(r->app->store, r->now, cfg->session_ttl, &s) != STORE_OK) {
			resp_error(r, 500, "internal", "could not create a session");
			return;
		}
		session_set_cookie(r, &s);
	}
	/* Quotas (README, "Configuration"): uploads in progress count as the inputs they become. */
	if (room(r, s.id, NULL, &left, &count) != 0)
		return;
	if (count >= cfg->session_max_inputs) {
		resp_error(r, 429, "quota_exceeded", "the session holds %llu inputs and uploads, the "
		           "most it may; delete some first", (unsigned long long)count);
		return;
	}
	if (length >= 0 && (uint64_t)length > left) {
		resp_error(r, 413, "quota_exceeded", "the session's inputs and uploads would be over "
		           "its quota of %llu bytes (%llu left)",
		           (unsigned long long)cfg->session_max_bytes, (unsigned long long)left);
		return;
	}
	if ((t = calloc(1, sizeof *t)) == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	strcpy(t->session, s.id);
	t->length_known = length >= 0;
	t->length = length >= 0 ? (uint64_t)length : 0;
	t->created_at = r->now;
	t->expires_at = r->now + cfg->tus_expiry;
	snprintf(t->metadata, sizeof t->metadata, "%s", meta != NULL ? meta : "");
	switch (store_tus_create(r->app->store, t, &w)) {
	case STORE_OK:
		break;
	case STORE_NOSPC:
		resp_error(r, 507, "insufficient_storage", "the server's disk is full");
		goto out;
	case STORE_GONE:
	case STORE_NOT_FOUND:
		resp_error(r, 410, "session_ended", "the session ended meanwhile");
		goto out;
	default:
		resp_error(r, 500, "internal", "could not create the upload");
		goto out;
	}
	if (body) {
		/* creation-with-upload: the body is the first chunk. A creation whose body fails
		   leaves nothing: its client never learnt the upload's URL. */
		memset(&c, 0, sizeof c);
		c.r = r;
		c.w = w;
		c.t = t;
		c.length = -1;
		if (chunk_limit(&c) != 0 || chunk_headers(&c) != 0 || chunk_receive(&c) != 0) {
			store_tus_remove(w);
			w = NULL;
			if (c.status != 0)
				resp_error(r, c.status, c.code, "%s", c.detail);
			goto out;
		}
	}
	snprintf(location, sizeof location, "%s/uploads/%s", r->prefix, t->id);
	if (t->length_known && t->offset == t->length) {
		/* All of it at once (or a length of 0): the input exists already. */
		if (complete(r, &w, t, &s, &in) != 0)
			goto out;
		resp_header(r, "Location", "%s", location);
		completed(r, 201, &in);
		store_input_free(&in);
		goto out;
	}
	store_tus_release(w);
	w = NULL;
	snprintf(input_url, sizeof input_url, "%s/inputs/%s", r->prefix, t->id);
	o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:I}", "id", t->id, "upload_url", location,
	              "input_url", input_url, "offset", (json_int_t)t->offset, "length",
	              t->length_known ? json_integer((json_int_t)t->length) : json_null(),
	              "expires_at", (json_int_t)t->expires_at);
	body_text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body_text == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	/* protocol.md, Creation: 201 with Location; Upload-Offset (creation-with-upload) and
	   Upload-Expires (Expiration) too. */
	resp_status(r, 201);
	resp_header(r, "Location", "%s", location);
	state_headers(r, t);
	input_header(r, t->id);
	resp_json_text(r, body_text);
	free(body_text);
out:
	store_tus_release(w);
	free(t);
}

void h_tus_head(struct req *r, const char *id)
{
	struct store_session s;
	struct store_tus *t = calloc(1, sizeof *t);
	struct store_input in;
	char url[REQ_PREFIX_MAX + 64], *text = NULL;
	json_t *o = NULL;
	int done = -1;

	tus_resumable(r);
	if (t == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	/* A GET (a person looking) need not speak tus; a HEAD must. */
	if ((strcmp(r->method, "GET") != 0 && version_ok(r) != 0) ||
	    (done = lookup(r, id, &s, t, &in)) < 0)
		goto out;
	snprintf(url, sizeof url, "%s/inputs/%s", r->prefix, id);
	if (done) {
		/* Completed: "Upload-Offset ... even if the upload is already considered completed". */
		o = json_pack("{s:s, s:I, s:I, s:b, s:s}", "id", id, "offset", (json_int_t)in.size,
		              "length", (json_int_t)in.size, "complete", 1, "input_url", url);
	} else {
		o = json_pack("{s:s, s:I, s:o, s:b, s:I, s:s}", "id", id, "offset",
		              (json_int_t)t->offset, "length", t->length_known ?
		              json_integer((json_int_t)t->length) : json_null(), "complete", 0,
		              "expires_at", (json_int_t)t->expires_at, "input_url", url);
	}
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	resp_status(r, 200);
	if (done) {
		resp_header(r, "Upload-Offset", "%llu", (unsigned long long)in.size);
		resp_header(r, "Upload-Length", "%llu", (unsigned long long)in.size);
	} else {
		state_headers(r, t);
		if (t->metadata[0] != '\0')
			resp_header(r, "Upload-Metadata", "%s", t->metadata);
	}
	input_header(r, id);
	/* protocol.md, Core, HEAD: "Cache-Control: no-store" (resp_json_text sends it). */
	resp_json_text(r, text);
out:
	if (done > 0)
		store_input_free(&in);
	json_decref(o);
	free(text);
	free(t);
}

void h_tus_patch(struct req *r, const char *id)
{
	const struct config *cfg = &r->app->cfg;
	const char *ctype = req_param(r, "CONTENT_TYPE");
	char type[STORE_CTYPE_MAX + 1] = "", v[64];
	struct store_session s;
	struct store_tus *t = calloc(1, sizeof *t), locked;
	struct store_tus_writer *w = NULL;
	struct store_input in;
	struct chunk c;
	uint64_t offset, length = 0;
	int done = -1, has_length = 0;

	tus_resumable(r);
	memset(&c, 0, sizeof c);
	if (t == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	if (version_ok(r) != 0)
		goto out;
	/* protocol.md, Core, PATCH: "otherwise the server SHOULD return 415". */
	if (ctype == NULL || http_media_type(ctype, type, sizeof type) != 0 ||
	    strcmp(type, TUS_CONTENT_TYPE) != 0) {
		resp_error(r, 415, "unsupported_media_type", "a PATCH sends " TUS_CONTENT_TYPE);
		goto out;
	}
	if (field(r, H_UPLOAD_OFFSET, v, sizeof v) == NULL || tus_u64_parse(v, &offset) != 0) {
		resp_error(r, 400, "bad_request", "Upload-Offset: missing or not a number");
		goto out;
	}
	if (field(r, H_UPLOAD_LENGTH, v, sizeof v) != NULL) {
		if (tus_u64_parse(v, &length) != 0) {
			resp_error(r, 400, "bad_request", "Upload-Length is not a number");
			goto out;
		}
		has_length = 1;
	}
	if ((done = lookup(r, id, &s, t, &in)) < 0)
		goto out;
	if (done) {
		/* Completed already: a repeat of the last (empty) chunk is fine, nothing else is. */
		const char *clen = req_param(r, "CONTENT_LENGTH");
		if (offset != in.size)
			resp_error(r, 409, "offset_mismatch", "Upload-Offset is %llu, the upload is "
			           "complete at %llu", (unsigned long long)offset,
			           (unsigned long long)in.size);
		else if (clen != NULL && *clen != '\0' && strcmp(clen, "0") != 0)
			resp_error(r, 413, "too_large", "the upload is complete at %llu bytes",
			           (unsigned long long)in.size);
		else
			completed(r, 204, &in);
		goto out;
	}
	switch (store_tus_lock(r->app->store, id, r->now, &w, &locked)) {
	case STORE_OK:
		break;
	case STORE_BUSY:
		/* Two PATCHes at once: one writes, the other waits its turn (tus-js-client retries). */
		resp_error(r, 423, "locked", "another request is writing this upload; retry after it");
		goto out;
	case STORE_NOT_FOUND:
		resp_error(r, 404, "not_found", "no such upload");
		goto out;
	case STORE_GONE:
		resp_error(r, 410, "upload_expired", "this upload expired; start a new one");
		goto out;
	default:
		resp_error(r, 500, "internal", "could not open the upload");
		goto out;
	}
	*t = locked;
	/* protocol.md, Core, PATCH: "If the offsets do not match ... 409 Conflict". */
	if (offset != t->offset) {
		resp_header(r, "Upload-Offset", "%llu", (unsigned long long)t->offset);
		resp_error(r, 409, "offset_mismatch", "Upload-Offset is %llu, the upload is at %llu",
		           (unsigned long long)offset, (unsigned long long)t->offset);
		goto out;
	}
	c.r = r;
	c.w = w;
	c.t = t;
	c.length = -1;
	/* creation-defer-length: the length comes with a later PATCH, once; then it is fixed. */
	if (has_length && t->length_known && length != t->length) {
		resp_error(r, 400, "bad_request", "Upload-Length is %llu already",
		           (unsigned long long)t->length);
		goto out;
	}
	if (has_length && !t->length_known) {
		uint64_t left, count;
		if (length < t->offset) {
			resp_error(r, 400, "bad_request", "Upload-Length %llu is below the offset %llu",
			           (unsigned long long)length, (unsigned long long)t->offset);
			goto out;
		}
		if (length > cfg->max_upload) {
			resp_error(r, 413, "too_large", "the upload is over the maximum of %llu bytes",
			           (unsigned long long)cfg->max_upload);
			goto out;
		}
		if (room(r, s.id, id, &left, &count) != 0)
			goto out;
		if (length > left) {
			resp_error(r, 413, "quota_exceeded", "the session's inputs and uploads would be "
			           "over its quota of %llu bytes", (unsigned long long)cfg->session_max_bytes);
			goto out;
		}
		c.length = (int64_t)length;
	}
	if (chunk_limit(&c) != 0 || chunk_headers(&c) != 0)
		goto chunk_failed;
	chunk_receive(&c);
	if (c.status != 0)
		goto chunk_failed;
	if (t->length_known && t->offset == t->length) {
		if (complete(r, &w, t, &s, &in) == 0) {
			completed(r, 204, &in);
			store_input_free(&in);
		}
		done = -1;
		goto out;
	}
	/* protocol.md, Core, PATCH: 204 with the new offset; Expiration: Upload-Expires. */
	resp_status(r, 204);
	state_headers(r, t);
	resp_body_start(r);
	goto out;
chunk_failed:
	if (c.status != 0) {
		resp_header(r, "Upload-Offset", "%llu", (unsigned long long)t->offset);
		resp_error(r, c.status, c.code, "%s", c.detail);
	}
out:
	if (done > 0)
		store_input_free(&in);
	store_tus_release(w);
	free(t);
}

void h_tus_delete(struct req *r, const char *id)
{
	struct store_session s;
	struct store_tus *t = calloc(1, sizeof *t);
	struct store_input in;
	enum store_err se;
	int done;

	tus_resumable(r);
	if (t == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	if (version_ok(r) != 0 || (done = lookup(r, id, &s, t, &in)) < 0)
		goto out;
	/* protocol.md, Termination: completed uploads too, that is the input they became. */
	if (done) {
		store_input_free(&in);
		se = store_input_delete(r->app->store, id, r->now);
	} else {
		se = store_tus_delete(r->app->store, id);
	}
	if (se == STORE_NOT_FOUND || se == STORE_GONE) {
		resp_error(r, 404, "not_found", "no such upload");
		goto out;
	}
	if (se != STORE_OK) {
		resp_error(r, 500, "internal", "could not terminate the upload");
		goto out;
	}
	resp_status(r, 204);
	resp_body_start(r);
out:
	free(t);
}

void h_tus_override(struct req *r, const char *id)
{
	char m[16];

	/* protocol.md, Core, X-HTTP-Method-Override: the header's method replaces POST's. */
	if (field(r, H_METHOD_OVERRIDE, m, sizeof m) != NULL) {
		if (strcmp(m, "PATCH") == 0) {
			r->method = "PATCH";
			h_tus_patch(r, id);
			return;
		}
		if (strcmp(m, "DELETE") == 0) {
			r->method = "DELETE";
			h_tus_delete(r, id);
			return;
		}
		/* The response is a POST's: the body is sent (a HEAD's Content-Length promises one). */
		if (strcmp(m, "HEAD") == 0 || strcmp(m, "GET") == 0) {
			r->method = m[0] == 'H' ? "HEAD" : "GET";
			h_tus_head(r, id);
			return;
		}
		if (strcmp(m, "OPTIONS") == 0) {
			r->method = "OPTIONS";
			h_tus_options(r, id);
			return;
		}
	}
	tus_resumable(r);
	resp_error_with(r, 405, "Allow", "GET, HEAD, PATCH, DELETE, OPTIONS", "method_not_allowed",
	                "an upload takes HEAD, PATCH and DELETE (or POST with X-HTTP-Method-Override)");
}
