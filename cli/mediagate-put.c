/*
 * mediagate-put.c: upload a file (or standard input) to mediagate with tus 1.0.0
 * (tus/tus-resumable-upload-protocol, protocol.md: core, creation, creation-defer-length,
 * checksum), resuming after interruptions, and print the URL that reads it back.
 * `mediagate-put --help` and README.md ("Command-line client") say how to use it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli/http.h"
#include "cli/source.h"
#include "cli/tus.h"

/* Exit statuses (README.md, "Command-line client"). */
enum {
	EXIT_DONE = 0,      /* uploaded; the content URL is on standard output */
	EXIT_USAGE = 1,     /* bad options, or a local problem: the file, the state folder */
	EXIT_REFUSED = 2,   /* the server answered with an error (its JSON body on stderr) */
	EXIT_NETWORK = 3,   /* no answer, after the retries */
};

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define DEFAULT_CHUNK  (4u * 1024 * 1024)
#define MAX_META       16
#define WAV_HEADER_MAX (1024 * 1024)   /* the most bytes read looking for a WAV's data chunk */
#define STATE_MAX_AGE  (30 * 86400)    /* state files older than this are removed, seconds */

struct opts {
	const char *server;
	uint64_t    chunk;
	const char *meta_key[MAX_META];
	const char *meta_val[MAX_META];
	int         nmeta;
	const char *filename;       /* the filename metadata; NULL: FILE's last path component */
	const char *cookie;         /* --session-cookie */
	const char *state_dir;
	int         resume;         /* keep a state file (regular files only) */
	unsigned    retries;
	int         quiet, verbose, realtime, defer, checksum, progress;
	int64_t     limit_rate;
	const char *path;
};

struct put {
	struct opts     *o;
	struct http      h;
	struct source    src;
	char             uploads[TUS_URL_MAX];  /* the creation URL: SERVER/uploads/ */
	char             url[TUS_URL_MAX];      /* this upload's URL, "" before creation */
	uint64_t         offset;                /* the server's offset, as it last said */
	int              server_knows_length;   /* the upload has its Upload-Length */
	int              checksum;              /* send Upload-Checksum: sha256 */
	int              defer_ok;              /* the server has creation-defer-length */
	int              cookie_given;          /* the session is --session-cookie's */
	char             state_path[PATH_MAX];  /* "" when no state file is kept */
	int              realtime;
	struct tus_wav   wav;
	double           t0;                    /* when offset 0 was "recorded", for --real-time */
	unsigned         failures;              /* failed attempts in a row */
	int              restarts;              /* uploads begun again after the server lost one */
	/* progress */
	int              bar;                   /* draw the progress line */
	int              bar_drawn;
	double           started, last_draw;
	uint64_t         start_offset, chunk_offset;
	struct http_resp resp;                  /* the last response */
	struct http_resp done;                  /* the response that completed the upload */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Progress --------------------------------------------------------------------------------------*/

static int term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col - 1;
	return 79;
}

static void draw(struct put *p, uint64_t done, int force)
{
	char line[600];
	double t = now_s(), el = t - p->started;
	double rate = el > 0.05 ? (double)(done - p->start_offset) / el : 0;
	int n, width;

	if (!p->bar || (!force && t - p->last_draw < 0.1))
		return;
	p->last_draw = t;
	width = term_width();
	if (width > (int)sizeof line - 1)
		width = (int)sizeof line - 1;
	n = tus_progress_line(line, sizeof line, done, p->src.length, rate, el, width);
	fprintf(stderr, "\r%-*s", n < width ? width : n, line);
	fflush(stderr);
	p->bar_drawn = 1;
}

/* End the progress line so that a message starts on a line of its own. */
static void bar_break(struct put *p)
{
	if (p->bar_drawn) {
		fputc('\n', stderr);
		p->bar_drawn = 0;
	}
}

static void on_progress(void *arg, uint64_t sent, uint64_t total)
{
	struct put *p = arg;

	draw(p, p->chunk_offset + sent, 0);
}

/* Messages and exits ----------------------------------------------------------------------------*/

static struct put *the_put;   /* for messages: the progress line to break */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (the_put != NULL)
		bar_break(the_put);
	fputs("mediagate-put: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void cleanup(struct put *p)
{
	http_free(&p->h);
	source_close(&p->src);
	curl_global_cleanup();
	free(p);
	the_put = NULL;
}

static void die(struct put *p, int code, const char *fmt, ...) __attribute__((noreturn,
                                                                             format(printf, 3, 4)));
/* Exit with code, saying first whether the same command can resume the upload. */
static void leave(struct put *p, int code) __attribute__((noreturn));
static void leave(struct put *p, int code)
{
	if (p != NULL && p->state_path[0] != '\0' && p->url[0] != '\0' && code != EXIT_USAGE &&
	    access(p->state_path, F_OK) == 0)
		fprintf(stderr, "mediagate-put: run the same command again to resume\n");
	if (p != NULL)
		cleanup(p);
	exit(code);
}

static void die(struct put *p, int code, const char *fmt, ...)
{
	va_list ap;

	if (p != NULL)
		bar_break(p);
	fputs("mediagate-put: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	leave(p, code);
}

/* The server said no: its status and its JSON error body, then exit 2. */
static void refused(struct put *p, const char *what) __attribute__((noreturn));
static void refused(struct put *p, const char *what)
{
	struct http_resp *r = &p->resp;

	bar_break(p);
	fprintf(stderr, "mediagate-put: %s: the server answered %ld%s\n", what, r->status,
	        r->body_len > 0 ? ":" : "");
	if (r->body_len > 0) {
		fwrite(r->body, 1, r->body_len, stderr);
		if (r->body[r->body_len - 1] != '\n')
			fputc('\n', stderr);
	}
	leave(p, EXIT_REFUSED);
}

/* A status worth retrying after a pause: the server is busy, or the upload is locked by another
 * request that has not ended yet (423, a cut PATCH still being read). */
static int transient(long status)
{
	return status == 423 || status == 429 || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

/*
 * One more failed attempt: wait (randomized exponential backoff) or, past --retries, exit 3
 * (no answer: net) or 2 (the server kept answering with an error).
 */
static void backoff(struct put *p, int net, const char *what)
{
	long ms;

	if (p->failures >= p->o->retries) {
		if (net)
			die(p, EXIT_NETWORK, "%s: %s (gave up after %u retries)", what, p->h.error,
			    p->o->retries);
		refused(p, what);
	}
	ms = tus_backoff_ms(p->failures, (double)random() / ((double)RAND_MAX + 1));
	p->failures++;
	if (!p->o->quiet) {
		char why[64];
		snprintf(why, sizeof why, "the server answered %ld", p->resp.status);
		note("%s: %s; retry %u of %u in %.1f s", what, net ? p->h.error : why, p->failures,
		     p->o->retries, ms / 1000.0);
	}
	sleep_s(ms / 1000.0);
}

/*
 * request: one request, retried after transport failures and transient statuses. Returns with
 * p->resp holding a definitive response (any other status). Exits 2 or 3 past --retries.
 */
static void request(struct put *p, const char *method, const char *url, const char *const *hdrs,
                    const char *what)
{
	for (;;) {
		int rc = http_request(&p->h, method, url, hdrs, NULL, 0, &p->resp);
		if (rc == -2)
			die(p, EXIT_USAGE, "%s: %s", what, p->h.error);
		if (rc == 0 && !transient(p->resp.status)) {
			p->failures = 0;
			return;
		}
		backoff(p, rc != 0, what);
	}
}

/* The resume state file --------------------------------------------------------------------------*/

/* mkdir -p with mode 0700 for the folders it makes. 0, or -1. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return -1;
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		path[i] = dir[i];
	}
	return 0;
}

/* Where state files go: --state-dir, $XDG_CACHE_HOME/mediagate-put, ~/.cache/mediagate-put. */
static int state_dir(const struct opts *o, char *out, size_t outsz)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (o->state_dir != NULL)
		n = snprintf(out, outsz, "%s", o->state_dir);
	else if (x != NULL && x[0] == '/')
		n = snprintf(out, outsz, "%s/mediagate-put", x);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, outsz, "%s/.cache/mediagate-put", home);
	else
		return -1;
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* Load the state file, if any. 1 loaded, 0 none or unreadable (it is then ignored). */
static int state_load(struct put *p, struct tus_state *st)
{
	char text[TUS_URL_MAX + 512];
	ssize_t n;
	int fd = open(p->state_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof text);
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof text || tus_state_parse(text, (size_t)n, st) != 0) {
		note("ignoring the unreadable state file %s", p->state_path);
		return 0;
	}
	return 1;
}

/* Write the state file (atomically: a temporary file, fsync, rename; mode 0600: it holds the
 * session cookie). A failure is only a note: the upload goes on, without resume. */
static void state_save(struct put *p)
{
	struct tus_state st;
	char text[TUS_URL_MAX + 512], tmp[PATH_MAX + 32];
	int n, fd, ok;

	if (p->state_path[0] == '\0')
		return;
	memset(&st, 0, sizeof st);
	snprintf(st.url, sizeof st.url, "%s", p->url);
	snprintf(st.cookie, sizeof st.cookie, "%s", p->h.cookie);
	st.length = p->server_knows_length ? p->src.length : TUS_LENGTH_UNKNOWN;
	n = tus_state_format(text, sizeof text, &st);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", p->state_path, (long)getpid());
	fd = n < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, p->state_path) == 0)
		return;
	note("cannot write the state file %s: %s (the upload goes on, but cannot be resumed)",
	     p->state_path, strerror(errno));
	unlink(tmp);
	p->state_path[0] = '\0';
}

static void state_remove(struct put *p)
{
	if (p->state_path[0] != '\0' && unlink(p->state_path) != 0 && errno != ENOENT)
		note("cannot remove the state file %s: %s", p->state_path, strerror(errno));
}

/* Remove the state files of uploads left unfinished long ago (the server has expired them:
 * MEDIAGATE_TUS_EXPIRY is a day by default), so that no session cookie lingers for ever. */
static void state_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t old = time(NULL) - STATE_MAX_AGE;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		size_t n = strlen(e->d_name);
		if (n != 32 + 6 || strcmp(e->d_name + 32, ".state") != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < old)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Decide the state file's path (regular files, unless --no-resume). */
static void state_init(struct put *p)
{
	char dir[PATH_MAX], real[PATH_MAX], key[33];
	const struct stat *st = &p->src.st;

	if (!p->o->resume || !p->src.seekable || strcmp(p->o->path, "-") == 0)
		return;
	if (realpath(p->o->path, real) == NULL || state_dir(p->o, dir, sizeof dir) != 0 ||
	    tus_state_key(key, p->o->server, real, p->src.length, (int64_t)st->st_mtim.tv_sec,
	                  st->st_mtim.tv_nsec) != 0) {
		note("no state folder: the upload cannot be resumed if interrupted");
		return;
	}
	if (make_dirs(dir) != 0) {
		note("cannot create %s: %s (the upload cannot be resumed if interrupted)", dir,
		     strerror(errno));
		return;
	}
	state_sweep(dir);
	if ((size_t)snprintf(p->state_path, sizeof p->state_path, "%s/%s.state", dir, key) >=
	    sizeof p->state_path)
		p->state_path[0] = '\0';
}

/* The protocol ------------------------------------------------------------------------------------*/

static const char *const tus_headers[] = { "Tus-Resumable: " TUS_VERSION, NULL };

/* OPTIONS SERVER/uploads/: the version, the extensions, the checksum algorithms, the limit. */
static void discover(struct put *p)
{
	struct http_resp *r = &p->resp;

	request(p, "OPTIONS", p->uploads, NULL, "OPTIONS (what the server supports)");
	if (r->status != 200 && r->status != 204) {
		if (r->status == 404 || r->status == 405)
			note("no tus endpoint at %s: is --server right (with its mount prefix)?",
			     p->uploads);
		refused(p, "OPTIONS");
	}
	if (!tus_list_has(r->tus_version, TUS_VERSION))
		die(p, EXIT_REFUSED, "the server speaks tus '%s', not " TUS_VERSION, r->tus_version);
	if (!tus_list_has(r->tus_extension, "creation"))
		die(p, EXIT_REFUSED, "the server lacks the tus creation extension");
	p->defer_ok = tus_list_has(r->tus_extension, "creation-defer-length");
	p->checksum = p->o->checksum && tus_list_has(r->tus_extension, "checksum") &&
	              tus_list_has(r->checksum_algorithms, "sha256");
	if (r->has_max_size && p->src.length != TUS_LENGTH_UNKNOWN && p->src.length > r->max_size)
		die(p, EXIT_REFUSED, "the file (%" PRIu64 " bytes) is larger than the server takes "
		    "(Tus-Max-Size %" PRIu64 ")", p->src.length, r->max_size);
}

/* POST SERVER/sessions: a new session; its cookie goes into p->h.cookie. */
static void new_session(struct put *p)
{
	char url[TUS_URL_MAX];

	if (tus_url_join(url, sizeof url, p->o->server, "/sessions") != 0)
		die(p, EXIT_USAGE, "bad --server URL");
	p->h.cookie[0] = '\0';
	request(p, "POST", url, NULL, "POST /sessions");
	if (p->resp.status != 201 || p->h.cookie[0] == '\0')
		refused(p, "POST /sessions");
}

/* The Upload-Metadata value: the options' pairs, the filename. */
static void metadata(struct put *p, char *buf, size_t bufsz)
{
	const struct opts *o = p->o;
	const char *name = o->filename;
	int i;

	buf[0] = '\0';
	if (name == NULL && strcmp(o->path, "-") != 0) {
		name = strrchr(o->path, '/');
		name = name != NULL ? name + 1 : o->path;
	}
	for (i = 0; i < o->nmeta; i++)
		if (tus_metadata_add(buf, bufsz, o->meta_key[i], o->meta_val[i]) != 0)
			die(p, EXIT_USAGE, "metadata '%s': an invalid or repeated key, or too long",
			    o->meta_key[i]);
	if (name != NULL && name[0] != '\0' && tus_metadata_add(buf, bufsz, "filename", name) != 0)
		die(p, EXIT_USAGE, "the filename metadata is too long or repeated");
}

/* POST SERVER/uploads/ (creation, creation-defer-length): sets p->url, offset 0. */
static void create(struct put *p)
{
	char meta[8192], mh[8300], lh[64];
	const char *hdrs[6];
	int n = 0, again = !p->cookie_given;
	int defer = p->o->defer || p->src.length == TUS_LENGTH_UNKNOWN;

	if (defer && !p->defer_ok)
		die(p, EXIT_REFUSED, "the server cannot take an upload of unknown length "
		    "(no creation-defer-length)%s", p->src.seekable ? ": leave out --defer-length" : "");
	metadata(p, meta, sizeof meta);
	hdrs[n++] = "Tus-Resumable: " TUS_VERSION;
	hdrs[n++] = "Content-Type:";   /* an empty POST: no libcurl default type */
	if (defer)
		snprintf(lh, sizeof lh, "Upload-Defer-Length: 1");
	else
		snprintf(lh, sizeof lh, "Upload-Length: %" PRIu64, p->src.length);
	hdrs[n++] = lh;
	if (meta[0] != '\0') {
		snprintf(mh, sizeof mh, "Upload-Metadata: %s", meta);
		hdrs[n++] = mh;
	}
	hdrs[n] = NULL;
	for (;;) {
		if (p->h.cookie[0] == '\0')
			new_session(p);
		request(p, "POST", p->uploads, hdrs, "POST /uploads/ (creation)");
		if (p->resp.status == 201)
			break;
		if ((p->resp.status == 401 || p->resp.status == 410) && again) {
			/* the stored session has ended: a new one, once */
			again = 0;
			p->h.cookie[0] = '\0';
			continue;
		}
		refused(p, "POST /uploads/ (creation)");
	}
	if (p->resp.location[0] == '\0' ||
	    tus_url_resolve(p->url, sizeof p->url, p->uploads, p->resp.location) != 0)
		die(p, EXIT_REFUSED, "the creation response has no usable Location ('%s')",
		    p->resp.location);
	p->offset = p->resp.has_offset ? p->resp.offset : 0;
	p->server_knows_length = !defer;
	if (p->server_knows_length && p->src.length == 0)
		p->done = p->resp;
	state_save(p);
}

/*
 * HEAD the upload URL: the server's offset. Returns 1 (p->offset set), or 0 when the upload is
 * gone (404, 410, 403: another session's, 401: no session any more), for the caller to begin a
 * new one. Exits on other errors.
 */
static int head(struct put *p)
{
	struct http_resp *r = &p->resp;

	request(p, "HEAD", p->url, tus_headers, "HEAD (the upload's offset)");
	if (r->status == 404 || r->status == 410 || r->status == 403 || r->status == 401)
		return 0;
	if ((r->status != 200 && r->status != 204) || !r->has_offset)
		refused(p, "HEAD (the upload's offset)");
	p->offset = r->offset;
	if (r->has_length)
		p->server_knows_length = 1;
	return 1;
}

/* Begin the upload anew after the server lost it (expired, deleted): only a file can. */
static void restart(struct put *p, const char *why)
{
	if (!p->src.seekable || p->restarts >= 1)
		die(p, EXIT_REFUSED, "%s, and it cannot be begun again", why);
	p->restarts++;
	if (!p->o->quiet)
		note("%s: beginning a new upload", why);
	p->url[0] = '\0';
	create(p);
}

/* Resume from the state file when it names a live upload of the same length. 1 resumed. */
static int resume(struct put *p, const struct tus_state *st)
{
	snprintf(p->url, sizeof p->url, "%s", st->url);
	if (!p->cookie_given)
		snprintf(p->h.cookie, sizeof p->h.cookie, "%s", st->cookie);
	if (!head(p)) {
		if (!p->o->quiet)
			note("the upload of the state file is gone (%ld): beginning a new one",
			     p->resp.status);
		if (p->resp.status == 401 && !p->cookie_given)
			p->h.cookie[0] = '\0';
		p->url[0] = '\0';
		return 0;
	}
	if ((p->resp.has_length && p->resp.length != p->src.length) ||
	    p->offset > p->src.length) {
		if (!p->o->quiet)
			note("the upload of the state file does not match the file: beginning a new "
			     "one");
		p->url[0] = '\0';
		return 0;
	}
	if (!p->o->quiet)
		note("resuming %s at byte %" PRIu64, p->url, p->offset);
	if (p->offset == p->src.length && p->server_knows_length)
		p->done = p->resp;
	return 1;
}

/* PATCH one chunk: the upload loop, until the server has every byte. */
static void send_all(struct put *p)
{
	const struct opts *o = p->o;
	char oh[64], lh[64], ch[TUS_CHECKSUM_MAX + 24];
	const char *hdrs[8];

	p->t0 = now_s() - (p->realtime ? tus_wav_due(&p->wav, p->offset) : 0);
	p->start_offset = p->offset;
	p->started = now_s();
	while (!(p->server_knows_length && p->offset >= p->src.length)) {
		const uint8_t *data;
		uint64_t end = p->realtime ? tus_wav_chunk_end(&p->wav, p->offset) : p->offset + o->chunk;
		long n = source_get(&p->src, p->offset, (size_t)(end - p->offset), &data);
		int rc, n_h = 0, last;

		if (n < 0 && errno == ESPIPE)
			die(p, EXIT_REFUSED, "the server lost bytes of standard input that were already "
			    "sent (offset %" PRIu64 "): they cannot be read again", p->offset);
		if (n < 0)
			die(p, EXIT_USAGE, "reading %s: %s", o->path, strerror(errno));
		last = p->src.length != TUS_LENGTH_UNKNOWN && p->offset + (uint64_t)n >= p->src.length;
		if (p->realtime)
			sleep_s(p->t0 + tus_wav_due(&p->wav, p->offset + (uint64_t)n) - now_s());
		hdrs[n_h++] = "Tus-Resumable: " TUS_VERSION;
		hdrs[n_h++] = "Content-Type: application/offset+octet-stream";
		snprintf(oh, sizeof oh, "Upload-Offset: %" PRIu64, p->offset);
		hdrs[n_h++] = oh;
		if (last && !p->server_knows_length) {
			snprintf(lh, sizeof lh, "Upload-Length: %" PRIu64, p->src.length);
			hdrs[n_h++] = lh;
		}
		if (p->checksum) {
			memcpy(ch, "Upload-Checksum: ", 17);
			if (tus_checksum_sha256(ch + 17, data, (size_t)n) != 0)
				die(p, EXIT_USAGE, "SHA-256 failed (OpenSSL)");
			hdrs[n_h++] = ch;
		}
		hdrs[n_h] = NULL;
		p->chunk_offset = p->offset;
		rc = http_request(&p->h, "PATCH", p->url, hdrs, data, (size_t)n, &p->resp);
		if (rc == -2)
			die(p, EXIT_USAGE, "PATCH: %s", p->h.error);
		if (rc == 0 && p->resp.status == 204) {
			uint64_t want = p->offset + (uint64_t)n;
			if (!p->resp.has_offset || p->resp.offset < p->offset || p->resp.offset > want) {
				/* not what a tus server says: ask it where the upload is */
				note("PATCH answered Upload-Offset %s: checking with HEAD",
				     p->resp.has_offset ? "out of range" : "missing");
				if (!head(p))
					restart(p, "the upload is gone");
				continue;
			}
			if (last && !p->server_knows_length && p->resp.offset == want)
				p->server_knows_length = 1;
			p->offset = p->resp.offset;
			p->failures = 0;
			draw(p, p->offset, 0);
			if (p->server_knows_length && p->offset >= p->src.length)
				p->done = p->resp;
			continue;
		}
		if (rc != 0 || transient(p->resp.status) || p->resp.status == 409 ||
		    p->resp.status == 460) {
			/* cut off, busy, or the offset or checksum did not match: wait, ask the server
			 * where the upload is, go on from there */
			backoff(p, rc != 0, rc != 0 ? "PATCH" : p->resp.status == 460 ?
			        "PATCH (checksum mismatch)" : p->resp.status == 409 ?
			        "PATCH (offset mismatch)" : "PATCH");
			if (!head(p))
				restart(p, "the upload is gone");
			continue;
		}
		if (p->resp.status == 404 || p->resp.status == 410) {
			restart(p, "the upload is gone");
			continue;
		}
		if (last)
			state_remove(p);   /* a completion that fails leaves nothing on the server */
		refused(p, "PATCH");
	}
	draw(p, p->offset, 1);
	bar_break(p);
}

/* The content URL ---------------------------------------------------------------------------------*/

/*
 * Print the content URL of the finished upload. The server names the input the upload became in
 * the Mediagate-Input field (PREFIX/inputs/ID) of the response that completed it, and of HEAD
 * (README.md, "Resumable uploads"); POST PREFIX/inputs/ID/tokens gives its content URL.
 */
static void finish(struct put *p)
{
	char input[TUS_URL_MAX], url[TUS_URL_MAX + 8], out[TUS_URL_MAX];
	const char *content = NULL;
	json_t *tok, *v;

	if (p->done.input[0] == '\0') {
		if (!head(p) || p->resp.input[0] == '\0')
			die(p, EXIT_REFUSED, "uploaded, but the server does not say which input it became "
			    "(no Mediagate-Input)");
		p->done = p->resp;
	}
	if (tus_url_resolve(input, sizeof input, p->url, p->done.input) != 0 ||
	    strstr(input, "/inputs/") == NULL || strpbrk(input, "?#") != NULL)
		die(p, EXIT_REFUSED, "uploaded, but Mediagate-Input is not an input's path ('%s')",
		    p->done.input);
	snprintf(url, sizeof url, "%s/tokens", input);
	request(p, "POST", url, NULL, "POST /inputs/ID/tokens");
	if (p->resp.status != 201)
		refused(p, "POST /inputs/ID/tokens");
	tok = json_loadb(p->resp.body, p->resp.body_len, 0, NULL);
	v = json_is_object(tok) ? json_object_get(tok, "content_url") : NULL;
	if (json_is_string(v))
		content = json_string_value(v);
	if (content == NULL || tus_url_resolve(out, sizeof out, url, content) != 0) {
		json_decref(tok);
		refused(p, "POST /inputs/ID/tokens (no content_url)");
	}
	json_decref(tok);
	state_remove(p);
	if (printf("%s\n", out) < 0 || fflush(stdout) != 0)
		die(p, EXIT_USAGE, "writing to standard output: %s", strerror(errno));
}

/* Options -----------------------------------------------------------------------------------------*/

static void usage(FILE *f)
{
	fputs(
"Usage: mediagate-put [OPTIONS] FILE|-\n"
"Upload FILE (or standard input, -) to a mediagate server with the tus 1.0.0 resumable\n"
"upload protocol, and print the URL that reads it back (.../inputs/ID/content?token=...).\n"
"\n"
"  -s, --server URL        the server, with its mount prefix (default " DEFAULT_SERVER ")\n"
"  -c, --chunk-size SIZE   bytes per PATCH request (default 4M; suffixes K, M, G)\n"
"      --kind KIND         metadata: audio, image, video or file\n"
"      --format FORMAT     metadata: pcm_s16le, pcm_f32le, rgb, rgba, ...\n"
"      --sampling-rate HZ  metadata (raw PCM)\n"
"      --num-channels N    metadata (raw PCM)\n"
"      --width PX, --height PX  metadata (raw pixels)\n"
"      --filename NAME     metadata (default: FILE's last path component)\n"
"      --content-type TYPE metadata: the media type of the bytes (default: the server\n"
"                          names them by their leading bytes)\n"
"      --meta KEY=VALUE    another Upload-Metadata pair\n"
"      --session-cookie V  upload into this session (the mg_session cookie's value);\n"
"                          default: a new session (POST /sessions), kept in the state file\n"
"      --no-resume         no state file: an interrupted upload starts over next time\n"
"                          (default for files: the same command resumes it)\n"
"      --state-dir DIR     where state files go (default $XDG_CACHE_HOME/mediagate-put\n"
"                          or ~/.cache/mediagate-put)\n"
"      --retries N         retries after network errors and busy answers (default 10),\n"
"                          with randomized exponential backoff (0.5 s doubling, up to 30 s)\n"
"      --real-time         pace a WAV file at its own byte rate: the header and 1 s of audio,\n"
"                          then 1 s of audio each second, as a live recording arrives\n"
"      --defer-length      create the upload without its length (Upload-Defer-Length);\n"
"                          always so for standard input and pipes\n"
"      --no-checksum       no Upload-Checksum (sha256) on the PATCH requests\n"
"      --limit-rate RATE   send at most RATE bytes per second (suffixes K, M, G)\n"
"      --progress          the progress bar even when stderr is not a terminal\n"
"  -q, --quiet             no progress bar, no notes (errors only)\n"
"  -v, --verbose           print each request and its status on stderr\n"
"  -h, --help              this text\n"
"\n"
"Exit status: 0 uploaded (the URL is on standard output), 1 usage or a local error,\n"
"2 the server refused (its JSON error is on standard error), 3 network errors after the\n"
"retries. After 2 or 3, running the same command again resumes the upload of a file.\n", f);
}

enum {
	OPT_KIND = 256, OPT_FORMAT, OPT_RATE, OPT_CHANNELS, OPT_WIDTH, OPT_HEIGHT, OPT_FILENAME,
	OPT_META, OPT_COOKIE, OPT_RESUME, OPT_NO_RESUME, OPT_STATE_DIR, OPT_RETRIES, OPT_REALTIME,
	OPT_DEFER, OPT_NO_CHECKSUM, OPT_LIMIT, OPT_PROGRESS, OPT_TYPE,
};

static int add_meta(struct opts *o, const char *key, const char *val)
{
	if (o->nmeta >= MAX_META)
		return -1;
	o->meta_key[o->nmeta] = key;
	o->meta_val[o->nmeta] = val;
	o->nmeta++;
	return 0;
}

/* An integer option in 1..max. */
static int int_arg(const char *s, uint64_t max, uint64_t *out)
{
	return tus_parse_u64(s, strlen(s), out) == 0 && *out >= 1 && *out <= max ? 0 : -1;
}

/* Parse argv into *o. Returns -1 (after a message) on a usage error, 1 for --help, else 0. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "server", required_argument, NULL, 's' },
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "sampling-rate", required_argument, NULL, OPT_RATE },
		{ "num-channels", required_argument, NULL, OPT_CHANNELS },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "filename", required_argument, NULL, OPT_FILENAME },
		{ "content-type", required_argument, NULL, OPT_TYPE },
		{ "meta", required_argument, NULL, OPT_META },
		{ "session-cookie", required_argument, NULL, OPT_COOKIE },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "no-resume", no_argument, NULL, OPT_NO_RESUME },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "real-time", no_argument, NULL, OPT_REALTIME },
		{ "defer-length", no_argument, NULL, OPT_DEFER },
		{ "no-checksum", no_argument, NULL, OPT_NO_CHECKSUM },
		{ "limit-rate", required_argument, NULL, OPT_LIMIT },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;
	char *eq;

	memset(o, 0, sizeof *o);
	o->server = DEFAULT_SERVER;
	o->chunk = DEFAULT_CHUNK;
	o->resume = 1;
	o->retries = 10;
	o->checksum = 1;
	o->progress = -1;
	while ((c = getopt_long(argc, argv, "s:c:qvh", longs, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 'c':
			if (tus_parse_size(optarg, &o->chunk) != 0 || o->chunk > (1u << 30)) {
				fprintf(stderr, "mediagate-put: --chunk-size: a size from 1 byte to 1G\n");
				return -1;
			}
			break;
		case OPT_KIND: case OPT_FORMAT: case OPT_TYPE:
			if (add_meta(o, c == OPT_KIND ? "kind" : c == OPT_FORMAT ? "format" :
			             "content_type", optarg) != 0)
				goto too_many;
			break;
		case OPT_RATE: case OPT_CHANNELS: case OPT_WIDTH: case OPT_HEIGHT:
			if (int_arg(optarg, UINT32_MAX, &v) != 0) {
				fprintf(stderr, "mediagate-put: %s: a positive integer\n", argv[optind - 1]);
				return -1;
			}
			if (add_meta(o, c == OPT_RATE ? "sampling_rate" : c == OPT_CHANNELS ?
			             "num_channels" : c == OPT_WIDTH ? "width" : "height", optarg) != 0)
				goto too_many;
			break;
		case OPT_FILENAME: o->filename = optarg; break;
		case OPT_META:
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg) {
				fprintf(stderr, "mediagate-put: --meta: KEY=VALUE\n");
				return -1;
			}
			*eq = '\0';
			if (add_meta(o, optarg, eq + 1) != 0)
				goto too_many;
			break;
		case OPT_COOKIE:
			/* the value, or "mg_session=VALUE" as a cookie jar line has it */
			o->cookie = strncmp(optarg, "mg_session=", 11) == 0 ? optarg + 11 : optarg;
			break;
		case OPT_RESUME: o->resume = 1; break;
		case OPT_NO_RESUME: o->resume = 0; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_RETRIES:
			if (tus_parse_u64(optarg, strlen(optarg), &v) != 0 || v > 1000) {
				fprintf(stderr, "mediagate-put: --retries: 0 to 1000\n");
				return -1;
			}
			o->retries = (unsigned)v;
			break;
		case OPT_REALTIME: o->realtime = 1; break;
		case OPT_DEFER: o->defer = 1; break;
		case OPT_NO_CHECKSUM: o->checksum = 0; break;
		case OPT_LIMIT:
			if (tus_parse_size(optarg, &v) != 0 || v > INT64_MAX) {
				fprintf(stderr, "mediagate-put: --limit-rate: bytes per second\n");
				return -1;
			}
			o->limit_rate = (int64_t)v;
			break;
		case OPT_PROGRESS: o->progress = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "mediagate-put: one FILE (or -) is needed\n");
		return -1;
	}
	o->path = argv[optind];
	return 0;
too_many:
	fprintf(stderr, "mediagate-put: at most %d metadata fields\n", MAX_META);
	return -1;
}

/* --real-time: read the WAV header (from a pipe too: the bytes stay buffered). */
static void read_wav_header(struct put *p)
{
	size_t want = 4096;

	for (;;) {
		const uint8_t *data;
		long n = source_get(&p->src, 0, want, &data);
		int rc;
		if (n < 0)
			die(p, EXIT_USAGE, "reading %s: %s", p->o->path, strerror(errno));
		rc = tus_wav_scan(data, (size_t)n, &p->wav);
		if (rc == 1)
			break;
		if (rc < 0 || (size_t)n < want || want >= WAV_HEADER_MAX)
			die(p, EXIT_USAGE, "--real-time: %s is not a WAV file this client can pace "
			    "(RIFF/WAVE with a fmt chunk before its data chunk)", p->o->path);
		want *= 4;
	}
	p->realtime = 1;
	if (p->o->verbose)
		note("WAV: %u Hz, %u channels, %u bytes per second, data at byte %" PRIu64,
		     p->wav.sample_rate, p->wav.channels, p->wav.byte_rate, p->wav.data_offset);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct put *p;
	struct tus_state st;
	int rc = parse_opts(argc, argv, &o);

	if (rc != 0) {
		if (rc < 0)
			fputs("Try 'mediagate-put --help'.\n", stderr);
		else
			usage(stdout);
		return rc < 0 ? EXIT_USAGE : EXIT_DONE;
	}
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "mediagate-put: libcurl failed to start\n");
		return EXIT_USAGE;
	}
	p = calloc(1, sizeof *p);
	if (p == NULL || http_init(&p->h) != 0) {
		fprintf(stderr, "mediagate-put: out of memory\n");
		return EXIT_USAGE;
	}
	p->src.fd = -1;
	p->o = &o;
	the_put = p;
	p->h.verbose = o.verbose;
	p->h.max_send_speed = o.limit_rate;
	p->h.progress = on_progress;
	p->h.progress_arg = p;
	p->bar = !o.quiet && (o.progress == 1 || isatty(STDERR_FILENO));
	if (tus_url_join(p->uploads, sizeof p->uploads, o.server, "/uploads/") != 0)
		die(p, EXIT_USAGE, "--server: an http:// or https:// URL without query ('%s')", o.server);
	if (source_open(&p->src, o.path) != 0)
		die(p, EXIT_USAGE, "%s: %s", o.path, strerror(errno));
	if (o.realtime)
		read_wav_header(p);
	if (o.cookie != NULL) {
		if (snprintf(p->h.cookie, sizeof p->h.cookie, "%s", o.cookie) >=
		    (int)sizeof p->h.cookie || o.cookie[0] == '\0')
			die(p, EXIT_USAGE, "--session-cookie: an mg_session value");
		p->cookie_given = 1;
	}
	state_init(p);
	discover(p);
	if (p->state_path[0] != '\0' && state_load(p, &st) && resume(p, &st))
		state_save(p);   /* a new cookie, if the server set one */
	else
		create(p);
	send_all(p);
	finish(p);
	cleanup(p);
	return EXIT_DONE;
}
