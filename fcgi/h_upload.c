/*
 * h_upload.c: POST /inputs: a multipart/form-data or raw body streamed to the store; and what
 * every complete upload goes through to become an input (struct ingest, shared with h_tus.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/meta.h"
#include "fcgi/annotated.h"
#include "fcgi/multipart.h"
#include "media/audio.h"
#include "media/image.h"
#include "media/sniff.h"

#define READ_CHUNK (128 * 1024)   /* bytes per read of the request body */
#define AUDIO_OPEN_CPU_SECONDS 2  /* opening a file takes milliseconds; a hang takes forever */
#define FRAMING    (128 * 1024)   /* multipart headers and fields, or annotated metadata */

/* One POST /inputs: the body's parse state around the ingest of its file. */
struct upload {
	struct ingest        g;           /* the file, its metadata, the first failure */
	struct store_upload *up;
	int                  have_file;   /* the file part was seen */
	int                  in_file;     /* inside the file part */
	enum meta_field      field;       /* inside this metadata field, or META_UNKNOWN */
	char                 value[META_VALUE_MAX + 1];
	size_t               value_len;
	struct ab_parser     ab;          /* annotated binary framing */
	uint64_t             quota_left;  /* file bytes the session's byte quota still allows */
};

int ingest_fail(struct ingest *g, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (g->status == 0) {
		g->status = status;
		g->code = code;
		va_start(ap, fmt);
		vsnprintf(g->detail, sizeof g->detail, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The first failure of upload u; the response is sent once the body parse has stopped. */
#define fail(u, ...) ingest_fail(&(u)->g, __VA_ARGS__)

/* Append file bytes to the store, within the configured maximum. 0 or -1 (failed). */
static int file_write(struct upload *u, const void *buf, size_t len)
{
	uint64_t max = u->g.r->app->cfg.max_upload;

	if (store_upload_size(u->up) + len > max)
		return fail(u, 413, "too_large", "the upload is over the maximum of %llu bytes",
		            (unsigned long long)max);
	if (store_upload_size(u->up) + len > u->quota_left)
		return fail(u, 413, "quota_exceeded", "the session's inputs would be over its quota "
		            "of %llu bytes", (unsigned long long)u->g.r->app->cfg.session_max_bytes);
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
		    http_media_type(part->content_type, u->g.content_type,
		                    sizeof u->g.content_type) != 0)
			strcpy(u->g.content_type, "application/octet-stream");
		meta_sanitize_filename(part->filename, u->g.filename, sizeof u->g.filename);
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
	if (meta_set(&u->g.meta, u->field, u->value, err, sizeof err) != 0)
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
	while (e == MP_OK && (n = req_read(u->g.r, buf, READ_CHUNK)) > 0)
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
		int q = req_query(u->g.r, meta_field_name(f), value, sizeof value);
		if (q > 0 && http_query_count(u->g.r->query, meta_field_name(f)) > 1)
			fail(u, 400, "bad_metadata", "%s: given more than once", meta_field_name(f));
		else if (q < 0)
			fail(u, 400, "bad_metadata", "%s: badly encoded or too long", meta_field_name(f));
		else if (q > 0 && meta_set(&u->g.meta, f, value, err, sizeof err) != 0)
			fail(u, 400, "bad_metadata", "%s", err);
	}
	u->have_file = 1;
	while (u->g.status == 0 && (n = req_read(u->g.r, buf, READ_CHUNK)) > 0)
		file_write(u, buf, n);
}

/* Apply the JSON metadata of an annotated binary body (fcgi/annotated.h). */
static void annotation(struct upload *u, const char *text)
{
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	enum json_error_code code = root == NULL ? json_error_code(&je) : json_error_unknown;
	char err[160];

	/* Framing: the bytes must be a JSON object. Anything wrong inside one is bad metadata. */
	if (strlen(text) != u->ab.length)
		fail(u, 400, "bad_annotated_binary", "the metadata holds a NUL byte");
	else if (root == NULL && code != json_error_duplicate_key &&
	         code != json_error_numeric_overflow && code != json_error_null_character &&
	         code != json_error_null_byte_in_key)
		fail(u, 400, "bad_annotated_binary", "the metadata is not JSON: %s", je.text);
	else if (root != NULL && !json_is_object(root))
		fail(u, 400, "bad_annotated_binary", "the metadata is not a JSON object");
	else if (meta_set_json(&u->g.meta, text, err, sizeof err) != 0)
		fail(u, 400, "bad_metadata", "%s", err);
	json_decref(root);
}

/* Stream an annotated binary body: its metadata, then the payload into the store. */
static void read_annotated(struct upload *u, char *buf)
{
	const uint8_t *payload;
	size_t n, len;

	ab_init(&u->ab);
	u->have_file = 1;
	while (u->g.status == 0 && (n = req_read(u->g.r, buf, READ_CHUNK)) > 0) {
		int had_meta = ab_metadata(&u->ab) != NULL;
		if (ab_feed(&u->ab, (const uint8_t *)buf, n, &payload, &len) != AB_OK) {
			fail(u, 400, "bad_annotated_binary", "the metadata length is over %d bytes",
			     AB_META_MAX);
			return;
		}
		if (!had_meta && ab_metadata(&u->ab) != NULL)
			annotation(u, ab_metadata(&u->ab));
		if (u->g.status == 0 && len > 0)
			file_write(u, payload, len);
	}
	if (u->g.status == 0 && ab_finish(&u->ab) != AB_OK)
		fail(u, 400, "bad_annotated_binary", "the body ended inside the length or metadata");
}

/* Raw PCM (issue 3): rate and channels given, a whole number of frames. */
static void probe_pcm(struct ingest *g, enum wav_sample sample, uint64_t size)
{
	struct wav_format f;
	uint64_t frames;

	if (!g->meta.seen[META_SAMPLING_RATE] || !g->meta.seen[META_NUM_CHANNELS]) {
		ingest_fail(g, 400, "bad_metadata", "%s: required for %s",
		            g->meta.seen[META_SAMPLING_RATE] ? "num_channels" : "sampling_rate",
		            g->meta.format);
		return;
	}
	f = (struct wav_format){(uint32_t)g->meta.sampling_rate, (uint16_t)g->meta.num_channels,
	                        sample};
	if (size == 0 || size % wav_block_align(&f) != 0) {
		ingest_fail(g, 400, "bad_metadata", "the PCM (%llu bytes) is not a whole number of "
		            "frames of %u bytes", (unsigned long long)size,
		            (unsigned)wav_block_align(&f));
		return;
	}
	if (size > WAV_DATA_MAX) {
		ingest_fail(g, 413, "too_large", "PCM over %llu bytes does not fit a WAV file",
		            (unsigned long long)WAV_DATA_MAX);
		return;
	}
	frames = size / wav_block_align(&f);
	g->media = json_pack("{s:{s:I, s:I, s:I, s:f, s:s, s:s}}", "audio",
	                     "sampling_rate", (json_int_t)f.sample_rate,
	                     "num_channels", (json_int_t)f.channels, "frames", (json_int_t)frames,
	                     "duration_s", (double)frames / f.sample_rate, "source_format", "pcm",
	                     "sample_format", wav_sample_name(sample));
}

/* An audio file: decodable by libsndfile; decoded now to the WAV that reads will serve. */
static void probe_audio(struct ingest *g, int fd)
{
	static const char *const types[][2] = {
		{"wav", "audio/wav"}, {"ogg", "audio/ogg"}, {"flac", "audio/flac"},
		{"mp3", "audio/mpeg"}, {"aiff", "audio/aiff"},
	};
	struct audio_source src = {fd, 0, {0, 0, WAV_S16LE}};
	struct audio_info info;
	char err[256] = "";
	enum audio_err e;
	int dfd;
	size_t i;

	if ((e = audio_open_check(&src, AUDIO_OPEN_CPU_SECONDS, err, sizeof err)) != AUDIO_OK ||
	    (e = audio_probe(&src, &info, err, sizeof err)) != AUDIO_OK) {
		ingest_fail(g, e == AUDIO_UNSUPPORTED ? 415 : 500, e == AUDIO_UNSUPPORTED ?
		            "unsupported_media_type" : "internal", "audio: %s", err);
		return;
	}
	g->media = json_pack("{s:{s:I, s:I, s:I, s:f, s:s, s:s}}", "audio",
	                     "sampling_rate", (json_int_t)info.sample_rate,
	                     "num_channels", (json_int_t)info.channels,
	                     "frames", (json_int_t)info.frames, "duration_s", info.duration_s,
	                     "source_format", info.source_format,
	                     "sample_format", info.sample_format);
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(info.source_format, types[i][0]) == 0 &&
		    strncmp(g->content_type, "audio/", 6) != 0)
			strcpy(g->content_type, types[i][1]);
	if (info.is_wav_pcm)
		return;
	/* Decoded once, here, so that no read ever decodes (issue 3). */
	if (store_derived_begin(g->r->app->store, g->id, "wav", &g->derived,
	                        &dfd) != STORE_OK) {
		ingest_fail(g, 500, "internal", "could not start decoding");
		return;
	}
	e = audio_to_wav(&src, 0, 0, strncmp(info.sample_format, "pcm_f", 5) == 0 ? WAV_F32LE
	                 : WAV_S16LE, dfd, NULL, err, sizeof err);
	if (e == AUDIO_NOSPC)
		ingest_fail(g, 507, "insufficient_storage", "no room for the decoded audio");
	else if (e == AUDIO_UNSUPPORTED || e == AUDIO_TOO_LARGE)
		ingest_fail(g, e == AUDIO_TOO_LARGE ? 413 : 415, e == AUDIO_TOO_LARGE ? "too_large"
		            : "unsupported_media_type", "audio: %s", err);
	else if (e != AUDIO_OK)
		ingest_fail(g, 500, "internal", "decoding failed: %s", err);
}

/* Raw pixels: geometry given, and the size it implies. */
static void probe_pixels(struct ingest *g, uint64_t size)
{
	uint64_t channels = strcmp(g->meta.format, "rgba") == 0 ? 4 : 3, want;

	if (!g->meta.seen[META_WIDTH] || !g->meta.seen[META_HEIGHT]) {
		ingest_fail(g, 400, "bad_metadata", "%s: required for %s",
		            g->meta.seen[META_WIDTH] ? "height" : "width", g->meta.format);
		return;
	}
	if ((uint64_t)g->meta.width * (uint64_t)g->meta.height > g->r->app->cfg.max_pixels) {
		ingest_fail(g, 413, "too_large", "%ld x %ld is over the limit of %llu pixels",
		            g->meta.width, g->meta.height,
		            (unsigned long long)g->r->app->cfg.max_pixels);
		return;
	}
	want = image_raw_size((uint64_t)g->meta.width, (uint64_t)g->meta.height, channels);
	if (want != size) {
		ingest_fail(g, 400, "bad_metadata", "%s pixels of %ld x %ld are %llu bytes, not %llu",
		            g->meta.format, g->meta.width, g->meta.height, (unsigned long long)want,
		            (unsigned long long)size);
		return;
	}
	g->media = json_pack("{s:{s:I, s:I, s:s, s:I}}", "image", "width", (json_int_t)g->meta.width,
	                     "height", (json_int_t)g->meta.height, "format", g->meta.format,
	                     "channels", (json_int_t)channels);
}

/* A PNG or JPEG: its header within the pixel limit, then decoded whole once to prove it. */
static void probe_image(struct ingest *g, int fd)
{
	struct image_info info;
	char err[256] = "";
	enum image_err e = image_probe(fd, g->r->app->cfg.max_pixels, &info, err, sizeof err);

	if (e == IMAGE_TOO_LARGE) {
		ingest_fail(g, 413, "too_large", "image: %s", err);
		return;
	}
	if (e == IMAGE_UNSUPPORTED || e == IMAGE_CORRUPT) {
		ingest_fail(g, 415, "unsupported_media_type", "image: %s%s", err,
		            e == IMAGE_UNSUPPORTED ? " (send PNG, JPEG, or raw rgb/rgba pixels)" : "");
		return;
	}
	if (e != IMAGE_OK) {
		ingest_fail(g, 500, "internal", "image: %s", err);
		return;
	}
	snprintf(g->content_type, sizeof g->content_type, "image/%s", info.format);
	g->media = json_pack("{s:{s:I, s:I, s:s, s:I}}", "image", "width", (json_int_t)info.width,
	                     "height", (json_int_t)info.height, "format", info.format,
	                     "channels", (json_int_t)info.channels);
}

/* What the bytes must be for their kind (issue 3); video and file are taken as they are. */
static void probe(struct ingest *g)
{
	int fd = g->fd;
	uint64_t size = g->size;
	enum wav_sample sample;
	int has_format = g->meta.seen[META_FORMAT];

	if (strcmp(g->meta.kind, "audio") == 0) {
		if (has_format && wav_sample_parse(g->meta.format, &sample) == 0)
			probe_pcm(g, sample, size);
		else
			probe_audio(g, fd);
	} else if (strcmp(g->meta.kind, "image") == 0) {
		if (has_format && (strcmp(g->meta.format, "rgb") == 0 ||
		                   strcmp(g->meta.format, "rgba") == 0))
			probe_pixels(g, size);
		else
			probe_image(g, fd);
	}
	if (g->status == 0 && g->media == NULL && (strcmp(g->meta.kind, "audio") == 0 ||
	                                           strcmp(g->meta.kind, "image") == 0))
		ingest_fail(g, 500, "internal", "out of memory");
}

int ingest_probe(struct ingest *g)
{
	uint8_t head[SNIFF_BYTES];
	ssize_t n = 0;
	const char *sniffed;

	if (g->status != 0)
		return -1;
	while (g->size > 0 && (n = pread(g->fd, head, sizeof head, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return ingest_fail(g, 500, "internal", "could not read the upload");
	/* Forms label what the browser does not know as octet-stream: name it by its bytes. */
	sniffed = media_sniff(head, (size_t)n);
	if (sniffed != NULL && strcmp(g->content_type, "application/octet-stream") == 0)
		strcpy(g->content_type, sniffed);
	meta_kind_default(&g->meta, g->content_type);
	probe(g);
	return g->status == 0 ? 0 : -1;
}

/*
 * Quotas per session (issue 4), decided before reading a byte: at its count of inputs, 429
 * (RFC 6585 section 4; no Retry-After: waiting frees nothing, deleting does); when the stored
 * bytes plus the announced length would pass the byte quota, 413. Sets the room that
 * file_write enforces while streaming. A request without a live session gets a new one, empty.
 * Two uploads of one session may both pass here; store_upload_commit checks again inside its
 * write transaction, so the quota holds exactly (quota_refused picks the status then).
 */
static int quota_start(struct upload *u, int framed, int known, unsigned long long length)
{
	const struct config *cfg = &u->g.r->app->cfg;
	struct store_session s;
	uint64_t bytes = 0, count = 0;

	if (session_from_cookie(u->g.r, 0, &s) == 0 &&
	    store_session_usage(u->g.r->app->store, s.id, &bytes, &count) != STORE_OK)
		return fail(u, 500, "internal", "could not read the session's usage");
	if (count >= cfg->session_max_inputs)
		return fail(u, 429, "quota_exceeded", "the session holds %llu inputs, the most it "
		            "may; delete some first", (unsigned long long)count);
	u->quota_left = bytes < cfg->session_max_bytes ? cfg->session_max_bytes - bytes : 0;
	/* Both are capped far below 2^63 (config.c): no overflow. */
	if (known && length > u->quota_left + (framed ? FRAMING : 0))
		return fail(u, 413, "quota_exceeded", "the session's inputs would be over its quota "
		            "of %llu bytes (%llu left)", (unsigned long long)cfg->session_max_bytes,
		            (unsigned long long)u->quota_left);
	return 0;
}

/* The commit found the quota full (another upload of the session came first): which one. */
static void quota_refused(struct ingest *g, const char *session)
{
	const struct config *cfg = &g->r->app->cfg;
	uint64_t bytes = 0, count = 0;

	store_session_usage(g->r->app->store, session, &bytes, &count);
	if (count >= cfg->session_max_inputs)
		ingest_fail(g, 429, "quota_exceeded", "the session holds %llu inputs, the most it "
		            "may; delete some first", (unsigned long long)count);
	else
		ingest_fail(g, 413, "quota_exceeded", "the session's inputs would be over its quota "
		            "of %llu bytes", (unsigned long long)cfg->session_max_bytes);
}

int ingest_commit(struct ingest *g, const struct store_session *s, ingest_commit_fn *commit,
                  void *src, struct store_input *in)
{
	struct req *r = g->r;
	struct store_input_meta im;
	enum store_err se;
	json_t *mj;
	char *json;

	if (g->status != 0)
		return -1;
	memset(&im, 0, sizeof im);
	strcpy(im.session, s->id);
	strcpy(im.kind, g->meta.kind);
	strcpy(im.content_type, g->content_type);
	strcpy(im.filename, g->meta.seen[META_FILENAME] ? g->meta.filename : g->filename);
	im.created_at = r->now;
	im.max_bytes = r->app->cfg.session_max_bytes;
	im.max_inputs = r->app->cfg.session_max_inputs;
	mj = meta_json(&g->meta);
	if (g->media != NULL)
		json_object_update(mj, g->media);
	json = json_dumps(mj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(mj);
	im.metadata_json = json;
	memset(in, 0, sizeof *in);
	se = commit(src, &im, in);
	free(json);
	if (se == STORE_NOSPC)
		return ingest_fail(g, 507, "insufficient_storage", "the server's disk is full");
	if (se == STORE_GONE || se == STORE_NOT_FOUND)
		return ingest_fail(g, 410, "session_ended", "the session ended during the upload");
	if (se == STORE_QUOTA) {
		quota_refused(g, s->id);
		return -1;
	}
	if (se != STORE_OK)
		return ingest_fail(g, 500, "internal", "could not index the upload");
	/* A failure here only costs time: a read makes a missing derived file again. */
	if (g->derived != NULL && store_derived_commit(g->derived) != STORE_OK)
		fprintf(stderr, "mediagate: input %s: keeping the decoded WAV failed: %s\n", in->id,
		        store_errmsg(r->app->store));
	g->derived = NULL;
	return 0;
}

void ingest_release(struct ingest *g)
{
	store_derived_abort(g->derived);
	g->derived = NULL;
	json_decref(g->media);
	g->media = NULL;
}

/* ingest_commit_fn for POST /inputs: store_upload_commit, which frees the upload in any case. */
static enum store_err commit_upload(void *src, const struct store_input_meta *meta,
                                    struct store_input *out)
{
	struct upload *u = src;
	enum store_err se = store_upload_commit(u->up, meta, out);

	u->up = NULL;
	return se;
}

/* Index the stored bytes for the session (made now when the request has none) and answer. */
static void commit(struct upload *u)
{
	struct req *r = u->g.r;
	struct store_session s;
	struct store_input in;
	char tok[TOKEN_LEN + 1], location[REQ_PREFIX_MAX + 256];
	int64_t exp;
	json_t *body;

	if (session_from_cookie(r, 0, &s) != 0) {
		if (store_session_create(r->app->store, r->now, r->app->cfg.session_ttl, &s) !=
		    STORE_OK) {
			fail(u, 500, "internal", "could not create a session");
			return;
		}
		session_set_cookie(r, &s);
	}
	if (ingest_commit(&u->g, &s, commit_upload, u, &in) != 0)
		return;
	if ((exp = token_issue(r, &s, &in, r->app->cfg.token_ttl, tok)) < 0) {
		store_input_free(&in);
		fail(u, 500, "internal", "could not sign the token");
		return;
	}
	body = input_json(r, &in, tok, exp);
	/* RFC 9110 section 15.4.4: a browser's form post goes on to the view page with a GET. */
	if (http_prefers_html(req_param(r, "HTTP_ACCEPT"))) {
		snprintf(location, sizeof location, "%s/inputs/%s/view?token=%s", r->prefix, in.id,
		         tok);
		resp_json_at(r, 303, location, body);
	} else {
		snprintf(location, sizeof location, "%s/inputs/%s", r->prefix, in.id);
		resp_json_at(r, 201, location, body);
	}
	store_input_free(&in);
}

void h_upload(struct req *r, const char *id)
{
	const char *ctype = req_param(r, "CONTENT_TYPE"), *clen = req_param(r, "CONTENT_LENGTH");
	char boundary[MP_BOUNDARY_MAX + 1], *buf = NULL, *end;
	unsigned long long length = 0;
	int multipart = 0, annotated = 0;
	struct upload *u = calloc(1, sizeof *u);

	if (u == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	u->g.r = r;
	u->field = META_UNKNOWN;
	/* RFC 9110 section 15.5.16: 415 for a body this resource cannot take. */
	if (ctype == NULL || *ctype == '\0' ||
	    http_media_type(ctype, u->g.content_type, sizeof u->g.content_type) != 0) {
		fail(u, 415, "unsupported_media_type", "send multipart/form-data or the media type of "
		     "the bytes as Content-Type");
		goto out;
	}
	if (strncmp(u->g.content_type, "multipart/", 10) == 0 ||
	    strcmp(u->g.content_type, "application/x-www-form-urlencoded") == 0) {
		if (strcmp(u->g.content_type, "multipart/form-data") != 0) {
			fail(u, 415, "unsupported_media_type", "%s is not accepted: use "
			     "multipart/form-data or a raw body", u->g.content_type);
			goto out;
		}
		if (mp_boundary(ctype, boundary) != 0) {
			fail(u, 400, "bad_multipart", "the boundary parameter is missing or invalid");
			goto out;
		}
		multipart = 1;
	} else if (strcmp(u->g.content_type, AB_CONTENT_TYPE) == 0) {
		annotated = 1;
		strcpy(u->g.content_type, "application/octet-stream");
	}
	/* Decide from the announced length before reading a byte (RFC 9110 section 15.5.14). */
	if (clen != NULL && *clen != '\0') {
		errno = 0;
		length = strtoull(clen, &end, 10);
		if (*clen < '0' || *clen > '9' || *end != '\0' || errno != 0) {
			fail(u, 400, "bad_request", "Content-Length is not a number");
			goto out;
		}
		/* Framing allowance: multipart headers and fields, or annotated metadata. */
		if (length > r->app->cfg.max_upload + (multipart || annotated ? FRAMING : 0)) {
			fail(u, 413, "too_large", "the upload is over the maximum of %llu bytes",
			     (unsigned long long)r->app->cfg.max_upload);
			goto out;
		}
	}
	if (quota_start(u, multipart || annotated, clen != NULL && *clen != '\0', length) != 0)
		goto out;
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
	else if (annotated)
		read_annotated(u, buf);
	else
		read_raw(u, buf);
	if (u->g.status == 0 && clen != NULL && *clen != '\0' && r->bytes_in < length)
		fail(u, 400, "bad_request", "the body ended after %llu of %llu bytes",
		     (unsigned long long)r->bytes_in, length);
	if (u->g.status == 0 && u->g.filename[0] == '\0' && multipart &&
	    store_upload_size(u->up) == 0)
		fail(u, 400, "missing_file", "no file was chosen");
	if (u->g.status == 0) {
		u->g.id = store_upload_id(u->up);
		u->g.fd = store_upload_fd(u->up);
		u->g.size = store_upload_size(u->up);
		ingest_probe(&u->g);
	}
	if (u->g.status == 0)
		commit(u);
out:
	ingest_release(&u->g);
	store_upload_abort(u->up);
	if (u->g.status != 0)
		resp_error(r, u->g.status, u->g.code, "%s", u->g.detail);
	free(buf);
	free(u);
}
