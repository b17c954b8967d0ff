/* metrics.c: counters shared by every FastCGI process (DATA_DIR/metrics, mmap), GET /metrics. */
#include "fcgi/metrics.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcgi/request.h"
#include "store/store.h"

#define MAGIC        "MGMETR01"   /* 8 bytes, no NUL in the file */
#define FILE_NAME    "metrics"
#define OPEN_TRIES   8            /* another process replacing the file meanwhile: look again */
#define ADDR_TEXT_MAX 64          /* longer than any textual IPv6 address (45) */
#define PART_SUFFIX  ".part"

/* The statuses the app sends (fcgi/response.c resp_reason); any other is counted as "other". */
static const int statuses[] = {
	200, 201, 204, 206, 303, 304, 400, 401, 403, 404, 405, 409, 410, 411, 412, 413, 414, 415,
	416, 423, 429, 460, 500, 503, 507,
};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* Histogram bucket upper bounds (le, seconds), as printed and in microseconds. */
static const char *const bucket_text[] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
};
static const uint64_t bucket_us[] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
	30000000,
};
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0])

enum hist { HIST_UPLOAD, HIST_READ, NHIST };

static const char *const hist_name[NHIST] = {
	"mediagate_upload_duration_seconds", "mediagate_read_duration_seconds",
};
static const char *const hist_help[NHIST] = {
	"Duration of POST /inputs requests, whatever their status.",
	"Duration of GET and HEAD /inputs/{id}/content requests, whatever their status.",
};

static const char *const token_reason[METRICS_TOKEN__COUNT] = {
	[METRICS_TOKEN_MISSING] = "missing",
	[METRICS_TOKEN_INVALID] = "invalid",
	[METRICS_TOKEN_EXPIRED] = "expired",
	[METRICS_TOKEN_WRONG_INPUT] = "wrong_input",
	[METRICS_TOKEN_SESSION_ENDED] = "session_ended",
	[METRICS_TOKEN_INPUT_DELETED] = "input_deleted",
	[METRICS_TOKEN_NOT_FOUND] = "not_found",
};

/*
 * The file, mapped MAP_SHARED by every process. Only uint64 counters after the header, each
 * updated with __atomic_fetch_add (relaxed: they are independent counts, nothing is ordered
 * by them). Histogram buckets are kept per bucket (not cumulative) and summed when written,
 * so that the +Inf bucket and _count are always the same number.
 */
struct shm {
	char     magic[8];
	uint64_t layout;                                            /* layout_of() */
	uint64_t requests[METRICS_ROUTES_MAX + 1][NSTATUS + 1];     /* last row/column: other */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t hist[NHIST][NBUCKETS + 1];                         /* last: over the largest */
	uint64_t hist_sum_us[NHIST];
	uint64_t token_failures[METRICS_TOKEN__COUNT];
};

struct metrics {
	struct shm                 *f;
	const struct metrics_route *routes;
	size_t                      nroutes;
	int                         hist_route[NHIST];   /* route index feeding each, or -1 */
};

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* FNV-1a, 64 bits: a fingerprint, not a defence (the file is ours, mode 0600). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Everything that decides what a counter's position means: labels, statuses, buckets, sizes. */
static uint64_t layout_of(const struct metrics_route *routes, size_t nroutes)
{
	uint64_t h = 0xcbf29ce484222325ULL, size = sizeof(struct shm);
	size_t i;

	h = fnv(h, &size, sizeof size);
	h = fnv(h, &nroutes, sizeof nroutes);
	for (i = 0; i < nroutes; i++) {
		h = fnv(h, routes[i].method, strlen(routes[i].method) + 1);
		h = fnv(h, routes[i].pattern, strlen(routes[i].pattern) + 1);
	}
	h = fnv(h, statuses, sizeof statuses);
	h = fnv(h, bucket_us, sizeof bucket_us);
	for (i = 0; i < METRICS_TOKEN__COUNT; i++)
		h = fnv(h, token_reason[i], strlen(token_reason[i]) + 1);
	return h;
}

/* Map fd (already sized) read-write and shared; NULL on failure. */
static struct shm *map(int fd)
{
	void *p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Size a fresh (empty, so zeroed) file, map it and write its header. */
static struct shm *init_file(int fd, uint64_t layout)
{
	struct shm *f;

	if (ftruncate(fd, (off_t)sizeof(struct shm)) != 0 || (f = map(fd)) == NULL)
		return NULL;
	f->layout = layout;
	memcpy(f->magic, MAGIC, sizeof f->magic);
	return f;
}

/*
 * Replace path by a fresh file (another version's layout was there): made aside and renamed
 * over it, so that a process of the old version keeps its own (now unlinked) mapping intact.
 */
static struct shm *replace_file(const char *path, uint64_t layout)
{
	char tmp[PATH_MAX];
	struct shm *f = NULL;
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = mkostemp(tmp, O_CLOEXEC);   /* mode 0600 */
	if (fd < 0)
		return NULL;
	f = init_file(fd, layout);
	if (f != NULL && rename(tmp, path) != 0) {
		munmap(f, sizeof *f);
		f = NULL;
	}
	if (f == NULL) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	close(fd);
	return f;
}

/*
 * Open (creating) path under flock(LOCK_EX), so that processes starting together agree on
 * one file; the mapping outlives the descriptor. 1 done (*out set), 0 when the
 * name was replaced meanwhile (try again), -1 on error (errno).
 */
static int open_once(const char *path, uint64_t layout, struct shm **out, int *replaced)
{
	struct stat a, b;
	struct shm *f = NULL;
	int fd, rc = -1, e;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			goto out;
	if (fstat(fd, &a) != 0)
		goto out;
	if (lstat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		rc = 0;   /* renamed over while we waited for the lock */
		goto out;
	}
	if (!S_ISREG(a.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (a.st_size == 0) {
		f = init_file(fd, layout);   /* new: we hold the lock, nobody else maps it yet */
	} else if (a.st_size == (off_t)sizeof(struct shm)) {
		if ((f = map(fd)) == NULL)
			goto out;
		if (memcmp(f->magic, MAGIC, sizeof f->magic) != 0 || f->layout != layout) {
			munmap(f, sizeof *f);
			*replaced = 1;
			f = replace_file(path, layout);
		}
	} else {
		*replaced = 1;
		f = replace_file(path, layout);
	}
	if (f != NULL) {
		*out = f;
		rc = 1;
	}
out:
	e = errno;
	/* Explicitly: a mapping keeps the open file, and with it the lock, beyond close(). */
	flock(fd, LOCK_UN);
	close(fd);
	errno = e;
	return rc;
}

enum metrics_err metrics_open(const char *data_dir, const struct metrics_route *routes,
                              size_t nroutes, struct metrics **out, char *err, size_t errsz)
{
	char path[PATH_MAX];
	struct metrics *m = NULL;
	struct shm *f = NULL;
	uint64_t layout;
	size_t i;
	int tries, r = 0, replaced = 0;

	if (out == NULL)
		return METRICS_INVALID;
	*out = NULL;
	if (data_dir == NULL || data_dir[0] == '\0' || nroutes > METRICS_ROUTES_MAX ||
	    (nroutes > 0 && routes == NULL)) {
		set_err(err, errsz, "metrics: no data folder, or more than %d routes",
		        METRICS_ROUTES_MAX);
		return METRICS_INVALID;
	}
	for (i = 0; i < nroutes; i++)
		if (routes[i].method == NULL || routes[i].pattern == NULL ||
		    routes[i].method[0] == '\0' || routes[i].pattern[0] == '\0') {
			set_err(err, errsz, "metrics: route %zu has no method or pattern", i);
			return METRICS_INVALID;
		}
	if (snprintf(path, sizeof path, "%s/" FILE_NAME, data_dir) >= (int)sizeof path) {
		set_err(err, errsz, "metrics: the data folder's name is too long");
		return METRICS_INVALID;
	}
	layout = layout_of(routes, nroutes);
	for (tries = 0; tries < OPEN_TRIES && (r = open_once(path, layout, &f, &replaced)) == 0;
	     tries++)
		;
	if (r != 1) {
		set_err(err, errsz, "metrics: %s: %s", path,
		        r == 0 ? "replaced too often while opening" : strerror(errno));
		return METRICS_IO;
	}
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		munmap(f, sizeof *f);
		set_err(err, errsz, "metrics: out of memory");
		return METRICS_IO;
	}
	m->f = f;
	m->routes = routes;
	m->nroutes = nroutes;
	m->hist_route[HIST_UPLOAD] = m->hist_route[HIST_READ] = -1;
	for (i = 0; i < nroutes; i++) {
		if (strcmp(routes[i].method, "POST") == 0 && strcmp(routes[i].pattern, "/inputs") == 0)
			m->hist_route[HIST_UPLOAD] = (int)i;
		if (strcmp(routes[i].method, "GET") == 0 &&
		    strcmp(routes[i].pattern, "/inputs/{id}/content") == 0)
			m->hist_route[HIST_READ] = (int)i;
	}
	if (replaced)
		set_err(err, errsz, "metrics: %s had another layout (another version): started anew",
		        path);
	else
		set_err(err, errsz, "%s", "");
	*out = m;
	return METRICS_OK;
}

void metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	munmap(m->f, sizeof *m->f);
	free(m);
}

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* The column of status in requests[][]: its place in statuses[], or NSTATUS (other). */
static size_t status_index(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS;
}

void metrics_request(struct metrics *m, int route, int status, uint64_t bytes_in,
                     uint64_t bytes_out, double seconds)
{
	size_t row, b;
	uint64_t us;
	int h;

	if (m == NULL)
		return;
	row = route >= 0 && (size_t)route < m->nroutes ? (size_t)route : METRICS_ROUTES_MAX;
	add(&m->f->requests[row][status_index(status)], 1);
	add(&m->f->bytes_in, bytes_in);
	add(&m->f->bytes_out, bytes_out);
	/* Durations are measured on CLOCK_MONOTONIC; a day bounds what a request can take. */
	us = !(seconds > 0) ? 0 : seconds > 86400.0 ? 86400000000ULL : (uint64_t)(seconds * 1e6 + 0.5);
	for (h = 0; h < NHIST; h++) {
		if (route < 0 || route != m->hist_route[h])
			continue;
		for (b = 0; b < NBUCKETS && us > bucket_us[b]; b++)
			;
		add(&m->f->hist[h][b], 1);
		add(&m->f->hist_sum_us[h], us);
	}
}

void metrics_token_failure(struct metrics *m, enum metrics_token_failure why)
{
	if (m == NULL || (unsigned)why >= METRICS_TOKEN__COUNT)
		return;
	add(&m->f->token_failures[why], 1);
}

/* Exposition (Prometheus text format 0.0.4) ----------------------------------------------- */

/* A label value with \, " and newline escaped, as the text format requires. */
static void put_label(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_requests(const struct metrics *m, FILE *f)
{
	size_t row, col;

	family(f, "mediagate_requests_total", "counter",
	       "Requests answered, by the router's method and path pattern (\"other\" when no route "
	       "matched the method and path) and status (\"other\" for an unlisted one).");
	for (row = 0; row <= METRICS_ROUTES_MAX; row++) {
		if (row >= m->nroutes && row != METRICS_ROUTES_MAX)
			continue;
		for (col = 0; col <= NSTATUS; col++) {
			uint64_t n = load(&m->f->requests[row][col]);
			if (n == 0)
				continue;
			fputs("mediagate_requests_total{method=\"", f);
			put_label(f, row < m->nroutes ? m->routes[row].method : "other");
			fputs("\",route=\"", f);
			put_label(f, row < m->nroutes ? m->routes[row].pattern : "other");
			if (col < NSTATUS)
				fprintf(f, "\",status=\"%d\"} %llu\n", statuses[col], (unsigned long long)n);
			else
				fprintf(f, "\",status=\"other\"} %llu\n", (unsigned long long)n);
		}
	}
}

static void write_histogram(const struct metrics *m, FILE *f, int h)
{
	uint64_t cum = 0, sum = load(&m->f->hist_sum_us[h]);
	size_t b;

	family(f, hist_name[h], "histogram", hist_help[h]);
	for (b = 0; b <= NBUCKETS; b++) {
		cum += load(&m->f->hist[h][b]);
		fprintf(f, "%s_bucket{le=\"%s\"} %llu\n", hist_name[h],
		        b < NBUCKETS ? bucket_text[b] : "+Inf", (unsigned long long)cum);
	}
	fprintf(f, "%s_sum %llu.%06llu\n", hist_name[h], (unsigned long long)(sum / 1000000),
	        (unsigned long long)(sum % 1000000));
	fprintf(f, "%s_count %llu\n", hist_name[h], (unsigned long long)cum);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

int metrics_write(const struct metrics *m, const struct metrics_gauges *g, FILE *f)
{
	size_t i;

	if (m == NULL || f == NULL)
		return -1;
	write_requests(m, f);
	family(f, "mediagate_request_body_bytes_total", "counter",
	       "Request body bytes the app read, all requests.");
	fprintf(f, "mediagate_request_body_bytes_total %llu\n",
	        (unsigned long long)load(&m->f->bytes_in));
	family(f, "mediagate_response_body_bytes_total", "counter",
	       "Response body bytes the app wrote, all requests (HEAD writes none).");
	fprintf(f, "mediagate_response_body_bytes_total %llu\n",
	        (unsigned long long)load(&m->f->bytes_out));
	write_histogram(m, f, HIST_UPLOAD);
	write_histogram(m, f, HIST_READ);
	family(f, "mediagate_token_failures_total", "counter",
	       "Token-checked requests refused, by the failed check.");
	for (i = 0; i < METRICS_TOKEN__COUNT; i++)
		fprintf(f, "mediagate_token_failures_total{reason=\"%s\"} %llu\n", token_reason[i],
		        (unsigned long long)load(&m->f->token_failures[i]));
	if (g != NULL && g->have_uploads)
		gauge(f, "mediagate_uploads_in_progress", "Uploads being written now, all processes.",
		      g->uploads_in_progress);
	if (g != NULL && g->have_store) {
		gauge(f, "mediagate_store_inputs", "Live (not deleted) inputs in the index.",
		      g->store_inputs);
		gauge(f, "mediagate_store_size_bytes",
		      "Bytes of the live inputs as uploaded (derived representations not counted).",
		      g->store_bytes);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* Who may scrape ------------------------------------------------------------------------- */

/* A parsed address: IPv4-mapped IPv6 addresses (RFC 4291 section 2.5.5.2) as IPv4. */
struct addr {
	int           family;
	unsigned char b[16];
};

static int parse_addr(const char *s, size_t n, struct addr *a)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char text[ADDR_TEXT_MAX];

	if (n == 0 || n >= sizeof text)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, text, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->b) != 1)
		return -1;
	a->family = AF_INET6;
	if (memcmp(a->b, mapped, sizeof mapped) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
	return 0;
}

/* Loopback: 127.0.0.0/8 (RFC 1122 section 3.2.1.3) and ::1 (RFC 4291 section 2.5.3). */
static int is_loopback(const struct addr *a)
{
	static const unsigned char one[16] = {[15] = 1};

	return a->family == AF_INET ? a->b[0] == 127 : memcmp(a->b, one, sizeof one) == 0;
}

/* The next comma-separated item of *p, without the spaces around it; 0 at the end. */
static int next_item(const char **p, const char **item, size_t *n)
{
	const char *s = *p, *e;

	if (*s == '\0')
		return 0;
	e = s + strcspn(s, ",");
	*p = *e == ',' ? e + 1 : e;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*item = s;
	*n = (size_t)(e - s);
	return 1;
}

static int is_any(const char *item, size_t n)
{
	return n == 3 && memcmp(item, "any", 3) == 0;
}

int metrics_allowed(const char *remote_addr, const char *allow)
{
	struct addr remote, a;
	const char *p = allow != NULL ? allow : "", *item;
	size_t n;
	int ok = remote_addr != NULL &&
	         parse_addr(remote_addr, strnlen(remote_addr, ADDR_TEXT_MAX), &remote) == 0;

	if (ok && is_loopback(&remote))
		return 1;
	while (next_item(&p, &item, &n)) {
		if (is_any(item, n))
			return 1;
		if (ok && parse_addr(item, n, &a) == 0 && a.family == remote.family &&
		    memcmp(a.b, remote.b, sizeof a.b) == 0)
			return 1;
	}
	return 0;
}

int metrics_allow_check(const char *allow, char *err, size_t errsz)
{
	const char *p = allow != NULL ? allow : "", *item;
	struct addr a;
	size_t n;

	while (next_item(&p, &item, &n)) {
		if (n == 0 || is_any(item, n))
			continue;   /* an empty item (a trailing comma) allows nobody */
		if (parse_addr(item, n, &a) != 0) {
			set_err(err, errsz, "'%.*s' is not an IP address or \"any\"",
			        (int)(n > 64 ? 64 : n), item);
			return -1;
		}
	}
	return 0;
}

/* Scrape-time gauges ----------------------------------------------------------------------- */

/* 1 when name is ID.part as store_upload_begin makes them (store.h), else 0. */
static int part_name(const char *name)
{
	char id[STORE_ID_CHARS + 1];

	if (strlen(name) != STORE_ID_CHARS + sizeof PART_SUFFIX - 1 ||
	    strcmp(name + STORE_ID_CHARS, PART_SUFFIX) != 0)
		return 0;
	memcpy(id, name, STORE_ID_CHARS);
	id[STORE_ID_CHARS] = '\0';
	return store_id_valid(id);
}

int metrics_uploads_in_progress(const char *data_dir, uint64_t *count)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t n = 0;
	DIR *d;
	int rc = -1;

	if (data_dir == NULL || count == NULL ||
	    snprintf(path, sizeof path, "%s/tmp", data_dir) >= (int)sizeof path)
		return -1;
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		int fd;

		if (!part_name(de->d_name))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;   /* committed or aborted meanwhile */
		/*
		 * A shared lock we cannot get means its writer holds LOCK_EX: in progress. When we
		 * do get it, the writer is gone (a crash leftover); closing releases it at once.
		 */
		if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
			n++;
		close(fd);
	}
	if (errno == 0) {
		*count = n;
		rc = 0;
	}
	closedir(d);
	return rc;
}

/* GET /metrics ------------------------------------------------------------------------------ */

void h_metrics(struct req *r, const char *id)
{
	struct metrics_gauges g;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!metrics_allowed(req_param(r, "REMOTE_ADDR"), r->app->cfg.metrics_allow)) {
		resp_error(r, 403, "forbidden", "/metrics is served to loopback and the addresses "
		           "of MEDIAGATE_METRICS_ALLOW only");
		return;
	}
	if (r->app->metrics == NULL) {
		resp_error(r, 500, "internal", "the metrics file could not be mapped (see the log)");
		return;
	}
	memset(&g, 0, sizeof g);
	if (store_stats(r->app->store, &g.store_inputs, &g.store_bytes) == STORE_OK)
		g.have_store = 1;
	else
		fprintf(stderr, "mediagate[%ld]: metrics: store: %s\n", (long)getpid(),
		        store_errmsg(r->app->store));
	if (metrics_uploads_in_progress(r->app->cfg.data_dir, &g.uploads_in_progress) == 0)
		g.have_uploads = 1;
	else
		fprintf(stderr, "mediagate[%ld]: metrics: %s/tmp: %s\n", (long)getpid(),
		        r->app->cfg.data_dir, strerror(errno));
	f = open_memstream(&text, &len);
	if (f == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	rc = metrics_write(r->app->metrics, &g, f);
	if (fclose(f) != 0 || rc != 0) {
		free(text);
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	resp_status(r, 200);
	resp_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	resp_header(r, "Content-Length", "%zu", len);
	resp_header(r, "Cache-Control", "no-store");
	resp_body_start(r);
	resp_write(r, text, len);
	free(text);
}
