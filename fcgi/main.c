/* main.c: start-up, the FastCGI responder loop (FCGX_Accept_r), and the command-line tools. */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/metrics.h"
#include "fcgi/mount.h"

static volatile sig_atomic_t stopping;
static long self_pid;   /* getpid() of the serving process, read once (the log, request ids) */
static char self_pid_text[HTTP_U64_LEN + 1];   /* self_pid in decimal */
static size_t self_pid_len;

static void on_stop(int sig)
{
	stopping = 1;
	FCGX_ShutdownPending();
}

static void usage(FILE *f)
{
	fputs("usage: mediagate              serve FastCGI on fd 0 (under spawn-fcgi or a web server)\n"
	      "       mediagate init         create the data folder, the key file and the index\n"
	      "       mediagate keyring rotate   add a new signing key (old keys keep verifying)\n"
	      "       mediagate gc           remove expired sessions, deleted inputs' files, orphans\n"
	      "                              and old tombstone rows now; print what went\n"
	      "configuration: MEDIAGATE_DATA_DIR, MEDIAGATE_KEYRING, MEDIAGATE_MAX_UPLOAD,\n"
	      "MEDIAGATE_TOKEN_TTL, MEDIAGATE_TOKEN_TTL_MAX, MEDIAGATE_SESSION_TTL,\n"
	      "MEDIAGATE_MAX_PIXELS, MEDIAGATE_SESSION_MAX_BYTES, MEDIAGATE_SESSION_MAX_INPUTS,\n"
	      "MEDIAGATE_GC_INTERVAL, MEDIAGATE_METRICS_ALLOW, MEDIAGATE_OFFLOAD,\n"
	      "MEDIAGATE_OFFLOAD_PREFIX, MEDIAGATE_TUS_EXPIRY, MEDIAGATE_FOLLOW_IDLE,\n"
	      "MEDIAGATE_CONFIG (see README.md)\n", f);
}

/* Load the configuration, the keyring (created at first start) and open the store. */
static int app_open(struct app *app, int create_key)
{
	char err[512];
	enum keyring_err ke;

	if (config_load(&app->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "mediagate: configuration: %s\n", err);
		return -1;
	}
	if (mkdir(app->cfg.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "mediagate: %s: %s\n", app->cfg.data_dir, strerror(errno));
		return -1;
	}
	if ((ke = keyring_load(&app->keys, app->cfg.keyring_path, create_key)) != KEYRING_OK) {
		fprintf(stderr, "mediagate: key file %s: %s\n", app->cfg.keyring_path,
		        keyring_strerror(ke));
		return -1;
	}
	if (store_open(app->cfg.data_dir, &app->store) != STORE_OK) {
		keyring_wipe(&app->keys);
		return -1;
	}
	return 0;
}

static void app_close(struct app *app)
{
	metrics_close(app->metrics);
	app->metrics = NULL;
	store_close(app->store);
	keyring_wipe(&app->keys);
}

/* What a garbage collection removed, as KEY=N words (the gc command's output and the log). */
static int gc_summary(const struct store_gc_stats *g, char *buf, size_t n)
{
	snprintf(buf, n, "sessions_ended=%llu inputs_deleted=%llu files_removed=%llu "
	         "orphans_removed=%llu tmp_removed=%llu input_rows=%llu session_rows=%llu "
	         "uploads_removed=%llu",
	         (unsigned long long)g->sessions_ended, (unsigned long long)g->inputs_deleted,
	         (unsigned long long)g->files_removed, (unsigned long long)g->orphans_removed,
	         (unsigned long long)g->tmp_removed, (unsigned long long)g->input_rows,
	         (unsigned long long)g->session_rows, (unsigned long long)g->uploads_removed);
	return g->sessions_ended || g->inputs_deleted || g->files_removed || g->orphans_removed ||
	       g->tmp_removed || g->input_rows || g->session_rows || g->uploads_removed;
}

/*
 * One garbage collection in the serving process, between requests (never during one): rows
 * of deleted inputs and ended sessions stay while a token could name them, that is
 * MEDIAGATE_TOKEN_TTL_MAX (no token lives longer). One log line when it removed something.
 */
static void sweep(struct app *app)
{
	struct store_gc_stats g;
	char line[320];
	enum store_err e;

	e = store_gc(app->store, (int64_t)time(NULL), app->cfg.token_ttl_max, &g);
	if (e != STORE_OK)
		fprintf(stderr, "mediagate[%ld]: gc failed: %s\n", (long)getpid(),
		        store_errmsg(app->store));
	if (gc_summary(&g, line, sizeof line))
		fprintf(stderr, "mediagate[%ld]: gc: %s\n", (long)getpid(), line);
}

/* Seconds on CLOCK_MONOTONIC: the sweep interval does not jump with the wall clock. */
static int64_t mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* mediagate gc: one collection now, beside (or without) the running app; prints its counts. */
static int gc_command(void)
{
	struct config cfg;
	struct store *st = NULL;
	struct store_gc_stats g;
	struct stat sb;
	char err[512], line[320];
	enum store_err e;

	if (config_load(&cfg, err, sizeof err) != 0) {
		fprintf(stderr, "mediagate: configuration: %s\n", err);
		return 1;
	}
	/* Collect an existing folder; do not make an empty one (store_open would). */
	if (stat(cfg.data_dir, &sb) != 0) {
		fprintf(stderr, "mediagate: %s: %s\n", cfg.data_dir, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "mediagate: %s: not a folder\n", cfg.data_dir);
		return 1;
	}
	if (store_open(cfg.data_dir, &st) != STORE_OK)
		return 1;
	e = store_gc(st, (int64_t)time(NULL), cfg.token_ttl_max, &g);
	gc_summary(&g, line, sizeof line);
	printf("mediagate gc: %s\n", line);
	if (e != STORE_OK)
		fprintf(stderr, "mediagate gc: %s\n", store_errmsg(st));
	store_close(st);
	return e == STORE_OK ? 0 : 1;
}

/*
 * Fill the request from the FastCGI params: method, path and query (RFC 3875 section 4.1), and
 * split the path into the mount prefix and the app's own path (fcgi/mount.h).
 */
static int req_init(struct req *r, FCGX_Request *fx, struct app *app)
{
	const char *uri, *q;
	size_t n, pre;

	memset(r, 0, sizeof *r);
	r->fx = fx;
	r->app = app;
	r->now = (int64_t)time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->method = req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->is_head = strcmp(r->method, "HEAD") == 0;
	q = req_param(r, "QUERY_STRING");
	r->query = q != NULL ? q : "";
	uri = req_param(r, "REQUEST_URI");
	if (uri == NULL)
		uri = req_param(r, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	n = strcspn(uri, "?");
	if (n >= sizeof r->path)
		return -1;
	memcpy(r->path, uri, n);
	r->path[n] = '\0';
	pre = mount_prefix_len(r->path, req_param(r, "SCRIPT_NAME"), req_param(r, "PATH_INFO"));
	if (pre >= sizeof r->prefix)
		return -1;
	memcpy(r->prefix, r->path, pre);
	r->prefix[pre] = '\0';
	memmove(r->path, r->path + pre, n - pre + 1);
	return 0;
}

/* Seconds since the request started (CLOCK_MONOTONIC: no jumps with the wall clock). */
static double elapsed(const struct req *r)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	return (double)(end.tv_sec - r->started.tv_sec) +
	       (double)(end.tv_nsec - r->started.tv_nsec) / 1e9;
}

#define LOG_VALUE_MAX 256   /* bytes of a logged value (the path); longer ones end in "..." */
#define LOG_TAIL_MAX  128   /* " status=... in=... out=... ms=..." and the newline */

/*
 * Append " key=value" to line (logfmt): the value as it is when it is printable ASCII without
 * space, '"', '=' or '\', else quoted, with '"' and '\' escaped and any other byte as \xNN,
 * so that a client's bytes can neither split the line nor fake a field. Copied byte by byte,
 * without printf: this runs three or four times per request.
 */
static void log_field(char *line, size_t size, size_t *len, const char *key, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(v), i, cut = n > LOG_VALUE_MAX ? LOG_VALUE_MAX : n, klen = strlen(key);
	int quote = n == 0;
	char *p;

	for (i = 0; i < cut && !quote; i++)
		quote = v[i] <= ' ' || v[i] > '~' || v[i] == '"' || v[i] == '=' || v[i] == '\\';
	/*
	 * The worst case: 4 bytes per value byte, quotes, "...", the key, " =", and room kept
	 * for the numeric fields and the newline that follow.
	 */
	if (*len + klen + 4 * cut + 8 + LOG_TAIL_MAX >= size)
		return;
	p = line + *len;
	*p++ = ' ';
	memcpy(p, key, klen);
	p += klen;
	*p++ = '=';
	if (!quote) {
		memcpy(p, v, cut);
		p += cut;
	} else {
		*p++ = '"';
		for (i = 0; i < cut; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c == '"' || c == '\\') {
				*p++ = '\\';
				*p++ = (char)c;
			} else if (c < ' ' || c > '~') {
				*p++ = '\\';
				*p++ = 'x';
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
			} else {
				*p++ = (char)c;
			}
		}
	}
	if (cut < n) {
		memcpy(p, "...", 3);
		p += 3;
	}
	if (quote)
		*p++ = '"';
	*len = (size_t)(p - line);
}

/*
 * One access-log line per request on stderr (the web server's error log), logfmt after the
 * word "mediagate": ts (RFC 3339 UTC, milliseconds), pid, id (as X-Request-Id), method, route
 * (the pattern, "other" when none matched), path, status, in and out (body bytes), ms, and
 * reason (the error code) for failures. The query (it holds tokens) and the request's header
 * fields (Cookie, Authorization) are never logged. One write, so that the lines of several
 * processes sharing the log do not mix.
 */
static void access_log(const struct req *r, double seconds)
{
	/* The date and time of second ts_sec: formatted (gmtime_r, strftime) once a second. */
	static time_t ts_sec = -1;
	static char ts[32];
	char line[4096], path[REQ_PREFIX_MAX + REQ_PATH_MAX];
	unsigned long long us = seconds > 0 ? (unsigned long long)(seconds * 1e6 + 0.5) : 0;
	size_t len, pre = strlen(r->prefix);
	struct timespec now;
	struct tm tm;
	unsigned ms;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != ts_sec) {
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		ts_sec = now.tv_sec;
	}
	/* "mediagate ts=%s.%03ldZ pid=%ld id=%s", copied rather than printed */
	len = sizeof "mediagate ts=" - 1;
	memcpy(line, "mediagate ts=", len);
	len += strlen(strcpy(line + len, ts));
	ms = (unsigned)(now.tv_nsec / 1000000);
	line[len++] = '.';
	line[len++] = (char)('0' + ms / 100 % 10);
	line[len++] = (char)('0' + ms / 10 % 10);
	line[len++] = (char)('0' + ms % 10);
	memcpy(line + len, "Z pid=", 6);
	len += 6;
	memcpy(line + len, self_pid_text, self_pid_len);
	len += self_pid_len;
	memcpy(line + len, " id=", 4);
	len += 4;
	len += strlen(strcpy(line + len, r->request_id));
	log_field(line, sizeof line, &len, "method", r->method);
	log_field(line, sizeof line, &len, "route", r->route != NULL ? r->route : "other");
	memcpy(path, r->prefix, pre);
	memcpy(path + pre, r->path, strlen(r->path) + 1);   /* both are bounded by struct req */
	log_field(line, sizeof line, &len, "path", path);
	/* ms with three decimals from whole microseconds: no floating-point formatting. */
	/* " status=%d in=%llu out=%llu ms=%llu.%03llu" (log_field kept LOG_TAIL_MAX bytes) */
	memcpy(line + len, " status=", 8);
	len += 8;
	if (r->status < 0)
		line[len++] = '-';
	len += http_u64_format(r->status < 0 ? 0 - (uint64_t)(int64_t)r->status
	                                     : (uint64_t)r->status, line + len);
	memcpy(line + len, " in=", 4);
	len += 4;
	len += http_u64_format((uint64_t)r->bytes_in, line + len);
	memcpy(line + len, " out=", 5);
	len += 5;
	len += http_u64_format((uint64_t)r->bytes_out, line + len);
	memcpy(line + len, " ms=", 4);
	len += 4;
	len += http_u64_format(us / 1000, line + len);
	line[len++] = '.';
	line[len++] = (char)('0' + us % 1000 / 100);
	line[len++] = (char)('0' + us % 100 / 10);
	line[len++] = (char)('0' + us % 10);
	if (r->note != NULL)
		log_field(line, sizeof line, &len, "reason", r->note);
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

/* Map the shared counters, labelled with the route table; the app serves on without them. */
static void metrics_start(struct app *app)
{
	static struct metrics_route labels[METRICS_ROUTES_MAX];
	char err[PATH_MAX + 128];
	size_t i, n = route_count();

	if (n > METRICS_ROUTES_MAX) {
		fprintf(stderr, "mediagate[%ld]: metrics: %zu routes, the last %zu counted as "
		        "\"other\"\n", (long)getpid(), n, n - METRICS_ROUTES_MAX);
		n = METRICS_ROUTES_MAX;
	}
	for (i = 0; i < n; i++)
		labels[i].pattern = route_at(i, &labels[i].method);
	if (metrics_open(app->cfg.data_dir, labels, n, &app->metrics, err, sizeof err) !=
	    METRICS_OK)
		fprintf(stderr, "mediagate[%ld]: %s; serving without metrics\n", (long)getpid(), err);
	else if (err[0] != '\0')
		fprintf(stderr, "mediagate[%ld]: %s\n", (long)getpid(), err);
}

static int serve(void)
{
	struct app app;
	FCGX_Request fx;
	struct sigaction sa;
	unsigned long serial = 0;
	int64_t last_gc;

	if (FCGX_IsCGI()) {
		fprintf(stderr, "mediagate: fd 0 is not a FastCGI socket; start me with spawn-fcgi or "
		        "from the web server (see README.md)\n");
		return 2;
	}
	memset(&app, 0, sizeof app);
	if (app_open(&app, 1) != 0)
		return 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;   /* no SA_RESTART: accept() returns so the loop can end */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fx, 0, 0) != 0) {
		fprintf(stderr, "mediagate: FCGX_Init failed\n");
		app_close(&app);
		return 1;
	}
	metrics_start(&app);
	self_pid = (long)getpid();
	self_pid_len = http_u64_format((uint64_t)self_pid, self_pid_text);
	fprintf(stderr, "mediagate[%ld]: serving, data in %s\n", self_pid, app.cfg.data_dir);
	sweep(&app);
	last_gc = mono_seconds();
	while (!stopping && FCGX_Accept_r(&fx) >= 0) {
		struct req r;
		double seconds;
		int ok = req_init(&r, &fx, &app) == 0;

		r.route = NULL;
		r.route_index = -1;
		/* "PID-SERIAL" without printf: at most 20 + 1 + 20 digits, within request_id[40]
		   for any pid below 10^18 */
		memcpy(r.request_id, self_pid_text, self_pid_len);
		r.request_id[self_pid_len] = '-';
		http_u64_format((uint64_t)++serial, r.request_id + self_pid_len + 1);
		/*
		 * Written before any handler's Status field: CGI header fields may come in any order
		 * (RFC 3875 section 6.3), so every response, errors included, carries it.
		 */
		resp_header(&r, "X-Request-Id", "%s", r.request_id);
		if (!ok)
			resp_error(&r, 414, "bad_request", "the request target is too long");
		else
			route(&r);
		if (r.status == 0)
			resp_error(&r, 500, "internal", "the handler sent no response");
		/* Counted before FCGX_Finish_r ends the response, so a client's next scrape sees it. */
		seconds = elapsed(&r);
		metrics_request(app.metrics, r.route_index, r.status, r.bytes_in, r.bytes_out, seconds);
		access_log(&r, seconds);
		FCGX_Finish_r(&fx);
		/*
		 * After the response is complete, so no request waits on it. An idle process
		 * sweeps at its next request; with several processes each sweeps (store_gc is
		 * safe to run concurrently).
		 */
		if (!stopping && mono_seconds() - last_gc >= app.cfg.gc_interval) {
			sweep(&app);
			last_gc = mono_seconds();
		}
	}
	fprintf(stderr, "mediagate[%ld]: stopping after %lu requests\n", (long)getpid(), serial);
	app_close(&app);
	return 0;
}

int main(int argc, char **argv)
{
	struct app app;
	enum keyring_err ke;

	if (argc == 1)
		return serve();
	memset(&app, 0, sizeof app);
	if (strcmp(argv[1], "init") == 0 && argc == 2) {
		if (app_open(&app, 1) != 0)
			return 1;
		printf("mediagate: data folder %s ready, key file %s (%zu key%s)\n", app.cfg.data_dir,
		       app.cfg.keyring_path, app.keys.nkeys, app.keys.nkeys == 1 ? "" : "s");
		app_close(&app);
		return 0;
	}
	if (strcmp(argv[1], "keyring") == 0 && argc == 3 && strcmp(argv[2], "rotate") == 0) {
		if (app_open(&app, 0) != 0)
			return 1;
		ke = keyring_rotate(&app.keys, app.cfg.keyring_path);
		if (ke != KEYRING_OK)
			fprintf(stderr, "mediagate: key file %s: %s\n", app.cfg.keyring_path,
			        keyring_strerror(ke));
		else
			printf("mediagate: key %u now signs; %zu keys verify\n",
			       (unsigned)keyring_newest(&app.keys)->id, app.keys.nkeys);
		app_close(&app);
		return ke == KEYRING_OK ? 0 : 1;
	}
	if (strcmp(argv[1], "gc") == 0 && argc == 2)
		return gc_command();
	usage(strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? stdout : stderr);
	return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : 2;
}
