/* h_upload.c: POST /inputs: a multipart/form-data or raw body streamed to the store. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/meta.h"
#include "fcgi/multipart.h"
#include "media/sniff.h"

#define READ_CHUNK (128 * 1024)   /* bytes per read of the request body */

struct upload {
	struct req          *r;
	struct store_upload *up;
	struct meta          meta;
	char                 content_type[STORE_CTYPE_MAX + 1];
	char                 part_filename[STORE_FILENAME_MAX + 1];
	uint8_t              head[SNIFF_BYTES];   /* the first bytes of the file, for media_sniff */
	size_t               head_len;
	int                  have_file;   /* the file part was seen */
	int                  in_file;     /* inside the file part */
	enum meta_field      field;       /* inside this metadata field, or META_UNKNOWN */
	char                 value[META_VALUE_MAX + 1];
	size_t               value_len;
	/* The first failure; the response is sent once the body parse has stopped. */
	int                  status;
	const char          *code;
	char                 detail[256];
};

static int fail(struct upload *u, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct upload *u, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (u->status == 0) {
		u->status = status;
		u->code = code;
		va_start(ap, fmt);
		vsnprintf(u->detail, sizeof u->detail, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Append file bytes to the store, within the configured maximum. 0 or -1 (failed). */
static int file_write(struct upload *u, const void *buf, size_t len)
{
	uint64_t max = u->r->app->cfg.max_upload;

	if (store_upload_size(u->up) + len > max)
		return fail(u, 413, "too_large", "the upload is over the maximum of %llu bytes",
		            (unsigned long long)max);
	if (u->head_len < SNIFF_BYTES) {
		size_t n = len < SNIFF_BYTES - u->head_len ? len : SNIFF_BYTES - u->head_len;
		memcpy(u->head + u->head_len, buf, n);
		u->head_len += n;
	}
	switch (store_upload_write(u->up, buf, len)) {
	case STORE_OK:
		return 0;
	case STORE_NOSPC:
		return fail(u, 507, "insufficient_storage", "the server's disk is full");
	default:
		return fail(u, 500, "internal", "could not write the upload");
	}
}

/* multipart callbacks (RFC 7578 section 4): the part named "file" is the input, the parts named
   after metadata fields are its metadata, other parts are ignored. */
static int on_part_begin(void *ctx, const struct mp_part *part)
{
	struct upload *u = ctx;

	u->field = META_UNKNOWN;
	if (strcmp(part->name, "file") == 0) {
		if (u->have_file)
			return fail(u, 400, "bad_multipart", "more than one part named file");
		u->have_file = u->in_file = 1;
		if (part->content_type[0] == '\0' ||
		    http_media_type(part->content_type, u->content_type, sizeof u->content_type) != 0)
			strcpy(u->content_type, "application/octet-stream");
		meta_sanitize_filename(part->filename, u->part_filename, sizeof u->part_filename);
		return 0;
	}
	u->field = meta_field_from_name(part->name);
	u->value_len = 0;
	return 0;
}

static int on_part_data(void *ctx, const char *data, size_t len)
{
	struct upload *u = ctx;

	if (u->in_file)
		return file_write(u, data, len);
	if (u->field == META_UNKNOWN)
		return 0;
	if (len > META_VALUE_MAX - u->value_len)
		return fail(u, 400, "bad_metadata", "%s: over %d bytes", meta_field_name(u->field),
		            META_VALUE_MAX);
	memcpy(u->value + u->value_len, data, len);
	u->value_len += len;
	return 0;
}

static int on_part_end(void *ctx)
{
	struct upload *u = ctx;
	char err[160];

	u->in_file = 0;
	if (u->field == META_UNKNOWN)
		return 0;
	u->value[u->value_len] = '\0';
	if (memchr(u->value, '\0', u->value_len) != NULL)
		return fail(u, 400, "bad_metadata", "%s: holds a NUL byte", meta_field_name(u->field));
	if (meta_set(&u->meta, u->field, u->value, err, sizeof err) != 0)
		return fail(u, 400, "bad_metadata", "%s", err);
	u->field = META_UNKNOWN;
	return 0;
}

/* Stream a multipart/form-data body through the parser into the store. */
static void read_multipart(struct upload *u, const char *boundary, char *buf)
{
	static const struct mp_callbacks cb = {on_part_begin, on_part_data, on_part_end};
	struct mp_parser p;
	enum mp_err e = MP_OK;
	size_t n;

	mp_init(&p, boundary, NULL, &cb, u);
	while (e == MP_OK && (n = req_read(u->r, buf, READ_CHUNK)) > 0)
		e = mp_feed(&p, buf, n);
	if (e == MP_OK)
		e = mp_finish(&p);
	if (e == MP_DONE && !u->have_file)
		fail(u, 400, "missing_file", "no part named file in the form");
	else if (e != MP_DONE && e != MP_ERR_CALLBACK)
		fail(u, 400, "bad_multipart", "%s", mp_detail(&p));
}

/* Stream a raw body into the store; its metadata comes from the query string. */
static void read_raw(struct upload *u, char *buf)
{
	char value[META_VALUE_MAX + 1], err[160];
	size_t n;
	int f;

	for (f = 0; f < META_NFIELDS; f++) {
		int q = req_query(u->r, meta_field_name(f), value, sizeof value);
		if (q < 0)
			fail(u, 400, "bad_metadata", "%s: badly encoded or too long", meta_field_name(f));
		else if (q > 0 && meta_set(&u->meta, f, value, err, sizeof err) != 0)
			fail(u, 400, "bad_metadata", "%s", err);
	}
	u->have_file = 1;
	while (u->status == 0 && (n = req_read(u->r, buf, READ_CHUNK)) > 0)
		file_write(u, buf, n);
}

/* Index the stored bytes for the session (made now when the request has none) and answer. */
static void commit(struct upload *u)
{
	struct req *r = u->r;
	struct store_session s;
	struct store_input_meta im;
	struct store_input in;
	char tok[TOKEN_LEN + 1], location[256], *json;
	int64_t exp;
	enum store_err se;
	json_t *body, *mj;

	if (session_from_cookie(r, 0, &s) != 0) {
		if (store_session_create(r->app->store, r->now, r->app->cfg.session_ttl, &s) !=
		    STORE_OK) {
			fail(u, 500, "internal", "could not create a session");
			return;
		}
		session_set_cookie(r, &s);
	}
	memset(&im, 0, sizeof im);
	strcpy(im.session, s.id);
	strcpy(im.kind, u->meta.kind);
	strcpy(im.content_type, u->content_type);
	strcpy(im.filename, u->meta.seen[META_FILENAME] ? u->meta.filename : u->part_filename);
	im.created_at = r->now;
	mj = meta_json(&u->meta);
	json = json_dumps(mj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(mj);
	im.metadata_json = json;
	memset(&in, 0, sizeof in);
	se = store_upload_commit(u->up, &im, &in);
	u->up = NULL;   /* commit frees it whatever the result */
	free(json);
	if (se == STORE_NOSPC) {
		fail(u, 507, "insufficient_storage", "the server's disk is full");
		return;
	}
	if (se == STORE_GONE || se == STORE_NOT_FOUND) {
		fail(u, 410, "session_ended", "the session ended during the upload");
		return;
	}
	if (se != STORE_OK) {
		fail(u, 500, "internal", "could not index the upload");
		return;
	}
	if ((exp = token_issue(r, &s, &in, r->app->cfg.token_ttl, tok)) < 0) {
		store_input_free(&in);
		fail(u, 500, "internal", "could not sign the token");
		return;
	}
	body = input_json(&in, tok, exp);
	/* RFC 9110 section 15.4.4: a browser's form post goes on to the view page with a GET. */
	if (http_prefers_html(req_param(r, "HTTP_ACCEPT"))) {
		snprintf(location, sizeof location, "/inputs/%s/view?token=%s", in.id, tok);
		resp_json_at(r, 303, location, body);
	} else {
		snprintf(location, sizeof location, "/inputs/%s", in.id);
		resp_json_at(r, 201, location, body);
	}
	store_input_free(&in);
}

void h_upload(struct req *r, const char *id)
{
	const char *ctype = req_param(r, "CONTENT_TYPE"), *clen = req_param(r, "CONTENT_LENGTH");
	char boundary[MP_BOUNDARY_MAX + 1], *buf = NULL, *end;
	unsigned long long length = 0;
	int multipart = 0;
	struct upload *u = calloc(1, sizeof *u);

	if (u == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	u->r = r;
	u->field = META_UNKNOWN;
	/* RFC 9110 section 15.5.16: 415 for a body this resource cannot take. */
	if (ctype == NULL || *ctype == '\0' ||
	    http_media_type(ctype, u->content_type, sizeof u->content_type) != 0) {
		fail(u, 415, "unsupported_media_type", "send multipart/form-data or the media type of "
		     "the bytes as Content-Type");
		goto out;
	}
	if (strncmp(u->content_type, "multipart/", 10) == 0 ||
	    strcmp(u->content_type, "application/x-www-form-urlencoded") == 0) {
		if (strcmp(u->content_type, "multipart/form-data") != 0) {
			fail(u, 415, "unsupported_media_type", "%s is not accepted: use "
			     "multipart/form-data or a raw body", u->content_type);
			goto out;
		}
		if (mp_boundary(ctype, boundary) != 0) {
			fail(u, 400, "bad_multipart", "the boundary parameter is missing or invalid");
			goto out;
		}
		multipart = 1;
	}
	/* Decide from the announced length before reading a byte (RFC 9110 section 15.5.14). */
	if (clen != NULL && *clen != '\0') {
		errno = 0;
		length = strtoull(clen, &end, 10);
		if (*clen < '0' || *clen > '9' || *end != '\0' || errno != 0) {
			fail(u, 400, "bad_request", "Content-Length is not a number");
			goto out;
		}
		if (length > r->app->cfg.max_upload + (multipart ? 64 * 1024 : 0)) {
			fail(u, 413, "too_large", "the upload is over the maximum of %llu bytes",
			     (unsigned long long)r->app->cfg.max_upload);
			goto out;
		}
	}
	if ((buf = malloc(READ_CHUNK)) == NULL) {
		fail(u, 500, "internal", "out of memory");
		goto out;
	}
	switch (store_upload_begin(r->app->store, &u->up)) {
	case STORE_OK:
		break;
	case STORE_NOSPC:
		fail(u, 507, "insufficient_storage", "the server's disk is full");
		goto out;
	default:
		fail(u, 500, "internal", "could not start the upload");
		goto out;
	}
	if (multipart)
		read_multipart(u, boundary, buf);
	else
		read_raw(u, buf);
	if (u->status == 0 && clen != NULL && *clen != '\0' && r->bytes_in < length)
		fail(u, 400, "bad_request", "the body ended after %llu of %llu bytes",
		     (unsigned long long)r->bytes_in, length);
	if (u->status == 0 && u->part_filename[0] == '\0' && multipart &&
	    store_upload_size(u->up) == 0)
		fail(u, 400, "missing_file", "no file was chosen");
	if (u->status == 0) {
		/* Forms label what the browser does not know as octet-stream: name it by its bytes. */
		const char *sniffed = media_sniff(u->head, u->head_len);
		if (sniffed != NULL && strcmp(u->content_type, "application/octet-stream") == 0)
			strcpy(u->content_type, sniffed);
		meta_kind_default(&u->meta, u->content_type);
		commit(u);
	}
out:
	store_upload_abort(u->up);
	if (u->status != 0)
		resp_error(r, u->status, u->code, "%s", u->detail);
	free(buf);
	free(u);
}
