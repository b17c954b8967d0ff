/*
 * h_growing.c: reading an input while it grows: GET and HEAD /inputs/ID/content of a tus upload
 * in progress, and ?follow=1 (fcgi/h_growing.h; README, "Reading an input while it grows").
 */
#include "fcgi/h_growing.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fcgi/disposition.h"
#include "fcgi/handlers.h"
#include "fcgi/meta.h"
#include "fcgi/range.h"
#include "fcgi/repr.h"
#include "fcgi/tus.h"
#include "media/sniff.h"
#include "media/wav.h"

#define GROW_CHUNK     (128 * 1024)   /* bytes per pread and per FastCGI write */
#define FOLLOW_TICK_MS 200            /* a follow looks at the connection and the file this often */
#define FOLLOW_ROW_MS  1000           /* and reads the upload's row at least this often */
/* A follow's Range is parsed against this size: larger than any upload, so that an open
   range (A-) and a suffix (-N) can be told apart and placed once the durable size is known. */
#define FOLLOW_RANGE_SIZE ((uint64_t)1 << 62)

/* One read of an upload in progress. */
struct growing {
	struct req       *r;
	const char       *id;
	struct store_tus  t;                            /* its row, as last read */
	int               fd;                           /* its file (the input's, once complete) */
	uint64_t          durable;                      /* file bytes [0, durable) are durable */
	int               complete;                     /* it became the input: durable is final */
	struct meta       m;                            /* its Upload-Metadata */
	char              ctype[STORE_CTYPE_MAX + 1];   /* the media type of its bytes */
	const char       *served;                       /* the Content-Type of the read */
	const char       *wav_ext;                      /* ".wav" for PCM served as WAV, else NULL */
	uint8_t           header[WAV_HEADER_SIZE];      /* that WAV's header */
	struct repr       body;                         /* header (or nothing) + [0, durable) */
	char             *buf;
};

/* The upload's metadata as the input will have it: fields into m, the media type into ctype
   (application/octet-stream when none). 0, or -1 (the row holds metadata its creation refused). */
static int upload_meta(const struct store_tus *t, struct meta *m, char *ctype, size_t ctypesz)
{
	char err[200];

	memset(m, 0, sizeof *m);
	snprintf(ctype, ctypesz, "application/octet-stream");
	return tus_metadata_apply(t->metadata, m, ctype, ctypesz, err, sizeof err);
}

json_t *growing_json(const struct req *r, const struct store_tus *t)
{
	struct meta m;
	char ctype[STORE_CTYPE_MAX + 1], url[REQ_PREFIX_MAX + 64];
	json_t *o;

	if (upload_meta(t, &m, ctype, sizeof ctype) != 0)
		memset(&m, 0, sizeof m);
	meta_kind_default(&m, ctype);
	snprintf(url, sizeof url, "%s/uploads/%s", r->prefix, t->id);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:I, s:I, s:s}", "id", t->id, "state",
	              "growing", "kind", m.kind, "content_type", ctype, "filename", m.filename,
	              "offset", (json_int_t)t->offset, "length",
	              t->length_known ? json_integer((json_int_t)t->length) : json_null(),
	              "created_at", (json_int_t)t->created_at, "expires_at",
	              (json_int_t)t->expires_at, "upload_url", url);
	if (o != NULL)
		json_object_set_new(o, "metadata", meta_json(&m));
	return o;
}

/*
 * Open the upload's file, then read its row again: the bytes up to that offset are in the file
 * held (a completion links the same file). 0; 1 when it completed meanwhile (*in, for
 * h_content); -1 after answering (410 upload_expired or input_deleted, 404, 500).
 */
static int open_upload(struct growing *g, struct store_input *in)
{
	struct store *st = g->r->app->store;
	enum store_err se = store_tus_open(st, g->id, &g->fd);

	if (se == STORE_OK)
		se = store_tus_get(st, g->id, (int64_t)time(NULL), &g->t);
	if (se == STORE_OK) {
		g->durable = g->t.offset;
		return 0;
	}
	if (se == STORE_GONE) {
		resp_error(g->r, 410, "upload_expired", "this upload expired before it was complete");
		return -1;
	}
	if (se != STORE_NOT_FOUND) {
		resp_error(g->r, 500, "internal", "could not open the upload");
		return -1;
	}
	se = store_input_get(st, g->id, in);
	if (se == STORE_OK)
		return 1;
	store_input_free(in);
	if (se == STORE_GONE)
		resp_error(g->r, 410, "input_deleted", "this input was deleted");
	else if (se == STORE_NOT_FOUND)
		resp_error(g->r, 404, "not_found", "the upload is gone");
	else
		resp_error(g->r, 500, "internal", "index lookup failed");
	return -1;
}

/* A number parameter equal to want, when sent: 0, or -1 (not a number, or another value). */
static int query_same(struct req *r, const char *key, long want)
{
	char v[16], *end;
	int q = req_query(r, key, v, sizeof v);
	long n;

	if (q == 0)
		return 0;
	if (q < 0 || v[0] < '0' || v[0] > '9')
		return -1;
	n = strtol(v, &end, 10);
	return *end == '\0' && n == want ? 0 : -1;
}

/*
 * What the read serves (README, "Media"; only what needs no complete file): the media type,
 * and for raw PCM a WAV header declaring the most data a WAV can hold. 0, or -1 after a 400 or
 * 500.
 */
static int describe(struct growing *g)
{
	struct req *r = g->r;
	struct wav_format f;
	uint8_t head[SNIFF_BYTES];
	const char *sniffed;
	char v[16];
	int q = req_query(r, "format", v, sizeof v), original = q > 0 && strcmp(v, "original") == 0;
	int pcm;
	ssize_t n;

	if (q < 0 || (q > 0 && !original)) {
		resp_error(r, 400, "bad_request", "format: only original while the upload grows");
		return -1;
	}
	if (upload_meta(&g->t, &g->m, g->ctype, sizeof g->ctype) != 0) {
		resp_error(r, 500, "internal", "the upload's metadata cannot be read");
		return -1;
	}
	/* As the completion will: octet-stream is named by its leading bytes. */
	if (strcmp(g->ctype, "application/octet-stream") == 0 && g->durable > 0) {
		do
			n = pread(g->fd, head, g->durable < sizeof head ? (size_t)g->durable : sizeof head, 0);
		while (n < 0 && errno == EINTR);
		if (n > 0 && (sniffed = media_sniff(head, (size_t)n)) != NULL)
			snprintf(g->ctype, sizeof g->ctype, "%s", sniffed);
	}
	meta_kind_default(&g->m, g->ctype);
	g->served = g->ctype;
	pcm = strcmp(g->m.kind, "audio") == 0 && g->m.seen[META_FORMAT] &&
	      wav_sample_parse(g->m.format, &f.sample) == 0 && g->m.seen[META_SAMPLING_RATE] &&
	      g->m.seen[META_NUM_CHANNELS] && !original;
	if (pcm) {
		/* A live WAV: its sizes are the most a RIFF file can say, in whole frames. */
		f.sample_rate = (uint32_t)g->m.sampling_rate;
		f.channels = (uint16_t)g->m.num_channels;
		if (wav_header(g->header, &f, WAV_DATA_MAX - WAV_DATA_MAX % wav_block_align(&f)) != 0) {
			resp_error(r, 500, "internal", "no WAV header for the upload's format");
			return -1;
		}
		g->served = "audio/wav";
		g->wav_ext = ".wav";
	} else if (strcmp(g->m.kind, "image") == 0 && g->m.seen[META_FORMAT] && !original &&
	           (strcmp(g->m.format, "rgb") == 0 || strcmp(g->m.format, "rgba") == 0)) {
		g->served = "application/octet-stream";
	}
	if (query_same(r, "sampling_rate", pcm ? g->m.sampling_rate : -1) != 0 ||
	    query_same(r, "num_channels", pcm ? g->m.num_channels : -1) != 0) {
		resp_error(r, 400, "bad_request", "sampling_rate and num_channels: only the upload's "
		           "own while it grows (other ones once it is complete)");
		return -1;
	}
	g->body = (struct repr){pcm ? g->header : NULL, pcm ? WAV_HEADER_SIZE : 0, g->fd, g->durable};
	return 0;
}

/* The header fields of every read of a growing input (no validators: it changes). */
static void common_headers(struct growing *g)
{
	struct req *r = g->r;

	resp_header(r, "Content-Type", "%s", content_is_active(g->served) ? "application/octet-stream"
	                                                                  : g->served);
	resp_header(r, "Cache-Control", "no-store");
	content_disposition(r, g->m.kind, g->served, g->m.filename, g->wav_ext);
	/* Defence in depth for anything opened directly: no script, no plugin, no same origin. */
	resp_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
}

/* Send bytes [first, first + len) of the representation. 0, or -1 (reading, or the client). */
static int send_bytes(struct growing *g, uint64_t first, uint64_t len)
{
	if (g->r->is_head)
		return 0;
	while (len > 0) {
		size_t want = len < GROW_CHUNK ? (size_t)len : GROW_CHUNK;
		ssize_t n = repr_read(&g->body, first, g->buf, want);
		if (n <= 0 || resp_write(g->r, g->buf, (size_t)n) != 0)
			return -1;
		first += (uint64_t)n;
		len -= (uint64_t)n;
	}
	/* What libfcgi still buffers (small writes, the header block) goes now. */
	return FCGX_FFlush(g->r->fx->out) == 0 && FCGX_GetError(g->r->fx->out) == 0 ? 0 : -1;
}

/* Without follow: the durable bytes, or the one range within them. */
static void growing_read(struct growing *g)
{
	struct req *r = g->r;
	struct byte_range ranges[RANGE_MAX];
	uint64_t size = repr_size(&g->body), first = 0, last;
	const char *range = req_param(r, "HTTP_IF_RANGE") != NULL ? NULL : req_param(r, "HTTP_RANGE");
	size_t n = 0;
	enum range_result rr;

	if (size == 0) {
		/* Nothing durable yet: no range can be cut from nothing, and a 206 needs one. */
		resp_status(r, 204);
		resp_header(r, "Cache-Control", "no-store");
		resp_body_start(r);
		return;
	}
	rr = range_parse(range, size, ranges, &n);
	if (rr == RANGE_UNSATISFIABLE) {
		/* No Content-Range: an unsatisfied-range names the complete length, unknown here. */
		resp_error(r, 416, "range_not_satisfiable", "the range starts past the %llu bytes "
		           "durable so far", (unsigned long long)size);
		return;
	}
	last = size - 1;
	if (rr == RANGE_SATISFIABLE && n == 1) {
		first = ranges[0].first;
		last = ranges[0].last;
	}
	resp_status(r, 206);
	common_headers(g);
	resp_header(r, "Accept-Ranges", "bytes");
	/* RFC 9110 section 14.4: an asterisk when the complete length is unknown. */
	resp_header(r, "Content-Range", "bytes %llu-%llu/*", (unsigned long long)first,
	            (unsigned long long)last);
	resp_header(r, "Content-Length", "%llu", (unsigned long long)(last - first + 1));
	resp_body_start(r);
	send_bytes(g, first, last - first + 1);
}

/*
 * Where a follow starts and ends (one past its last byte, UINT64_MAX: the end of the upload):
 * one Range's first byte (a suffix -N: the last N durable bytes) and last. No, several or an
 * If-Range: from 0. 0, or -1 after a 416.
 */
static int follow_span(struct growing *g, uint64_t *first, uint64_t *end)
{
	struct req *r = g->r;
	const char *range = req_param(r, "HTTP_RANGE");
	struct byte_range a[RANGE_MAX], b[RANGE_MAX];
	size_t na = 0, nb = 0;
	uint64_t size = repr_size(&g->body);

	*first = 0;
	*end = UINT64_MAX;
	if (range == NULL || req_param(r, "HTTP_IF_RANGE") != NULL)
		return 0;
	switch (range_parse(range, FOLLOW_RANGE_SIZE, a, &na)) {
	case RANGE_UNSATISFIABLE:
		resp_error(r, 416, "range_not_satisfiable", "no byte of the range can ever exist");
		return -1;
	case RANGE_SATISFIABLE:
		break;
	default:
		return 0;
	}
	/* The same range against one byte more: a suffix moves its first byte, an open end its last. */
	if (na != 1 || range_parse(range, FOLLOW_RANGE_SIZE + 1, b, &nb) != RANGE_SATISFIABLE ||
	    nb != 1)
		return 0;
	if (a[0].first != b[0].first) {
		uint64_t suffix = FOLLOW_RANGE_SIZE - a[0].first;
		*first = size > suffix ? size - suffix : 0;
	} else {
		*first = a[0].first;
		if (a[0].last == b[0].last)
			*end = a[0].last + 1;
	}
	return 0;
}

/* Milliseconds on CLOCK_MONOTONIC. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a follow knew of the file when it last read the row. */
struct watch {
	off_t   size;
	nlink_t links;
	int64_t row_at;   /* mono_ms */
};

/*
 * Learn how far the upload is durable now: the row is read when the file changed (its size
 * grows before a sync records it; completion links it, removal unlinks it), while it holds bytes
 * past the durable ones (a sync is coming), or once FOLLOW_ROW_MS passed. 0, or -1 when the upload is gone (terminated, expired, its completion refused, its
 * session ended, the input deleted).
 */
static int refresh(struct growing *g, struct watch *w)
{
	struct store *st = g->r->app->store;
	struct store_input in;
	struct stat sb;
	int64_t now = mono_ms();
	enum store_err se;

	if (fstat(g->fd, &sb) != 0)
		return -1;
	/* Bytes written but not yet recorded: their sync is near, so look at every tick. */
	if (sb.st_size == w->size && sb.st_nlink == w->links && (uint64_t)sb.st_size <= g->durable &&
	    now - w->row_at < FOLLOW_ROW_MS)
		return 0;
	w->size = sb.st_size;
	w->links = sb.st_nlink;
	w->row_at = now;
	se = store_tus_get(st, g->id, (int64_t)time(NULL), &g->t);
	if (se == STORE_OK) {
		if (g->t.offset > g->durable)
			g->durable = g->t.offset;
	} else if (se == STORE_NOT_FOUND) {
		/* Completed (the same file is the input's now), or gone. */
		se = store_input_get(st, g->id, &in);
		if (se == STORE_OK && in.size >= g->durable) {
			g->durable = in.size;
			g->complete = 1;
		}
		store_input_free(&in);
		if (!g->complete)
			return -1;
	} else {
		return -1;
	}
	g->body.file_len = g->durable;
	return 0;
}

/*
 * ?follow=1: 200, the body from the span's first byte, streamed as the upload grows, until it
 * ends (fcgi/h_growing.h). SIGTERM and SIGINT are held back while bytes are sent and let in only
 * while waiting (ppoll), so that a stop is never missed between two waits.
 */
static void growing_follow(struct growing *g)
{
	struct req *r = g->r;
	struct pollfd pfd = {.fd = r->fx->ipcFd, .events = POLLRDHUP};
	const struct timespec tick = {0, FOLLOW_TICK_MS * 1000000L};
	struct watch w = {-1, 0, 0};
	int64_t idle_ms = r->app->cfg.follow_idle * 1000, last_byte;
	uint64_t pos, end;
	sigset_t stop, old;

	if (follow_span(g, &pos, &end) != 0)
		return;
	resp_status(r, 200);
	common_headers(g);
	/* nginx: pass this response on as it comes (fastcgi_buffering off for it alone). */
	resp_header(r, "X-Accel-Buffering", "no");
	resp_body_start(r);
	if (FCGX_FFlush(r->fx->out) != 0 || r->is_head)
		return;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, &old);
	last_byte = mono_ms();
	for (;;) {
		uint64_t avail = repr_size(&g->body), until = avail < end ? avail : end;
		int n;

		if (pos < until) {
			if (send_bytes(g, pos, until - pos) != 0)
				break;   /* the client is gone */
			pos = until;
			last_byte = mono_ms();
		}
		if (pos >= end || (g->complete && pos >= avail))
			break;
		if (mono_ms() - last_byte >= idle_ms)
			break;
		n = ppoll(&pfd, 1, &tick, &old);
		if (n < 0 && errno == EINTR)
			break;   /* SIGTERM or SIGINT: the app stops */
		if (n < 0 || (n > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))))
			break;   /* the web server closed the connection: the client is gone */
		if (refresh(g, &w) != 0)
			break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int growing_content(struct req *r, const char *id, struct store_input *in,
                    struct token_claims *claims)
{
	struct store_tus t;
	struct growing *g;
	const char *im;
	char v[4];
	int rc = auth_token_upload(r, id, in, &t, claims), q;

	if (rc <= 0)
		return rc < 0;   /* an input: h_content's; or answered */
	if ((g = calloc(1, sizeof *g)) == NULL || (g->buf = malloc(GROW_CHUNK)) == NULL) {
		free(g);
		resp_error(r, 500, "internal", "out of memory");
		return 1;
	}
	g->r = r;
	g->id = id;
	g->t = t;
	g->fd = -1;
	rc = open_upload(g, in);
	if (rc != 0)
		goto out;
	if (describe(g) != 0)
		goto out;
	/* No validator matches a representation that has none (RFC 9110 section 13.1.1). */
	im = req_param(r, "HTTP_IF_MATCH");
	if (im != NULL && strcmp(im + strspn(im, " \t"), "*") != 0) {
		resp_error(r, 412, "precondition_failed", "If-Match: a growing input has no ETag");
		goto out;
	}
	q = req_query(r, "follow", v, sizeof v);
	if (q < 0 || (q > 0 && strcmp(v, "0") != 0 && strcmp(v, "1") != 0)) {
		resp_error(r, 400, "bad_request", "follow: 0 or 1");
		goto out;
	}
	if (q > 0 && strcmp(v, "1") == 0)
		growing_follow(g);
	else
		growing_read(g);
out:
	if (g->fd >= 0)
		close(g->fd);
	free(g->buf);
	free(g);
	return rc == 1 ? 0 : 1;
}
