/* metrics.h: counters shared by every FastCGI process (DATA_DIR/metrics, mmap), GET /metrics. */
#ifndef MG_METRICS_H
#define MG_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct req;
struct metrics;   /* opaque: the mapped counters and the route labels */

/*
 * Several processes (spawn-fcgi -F N) serve one data folder, so the counters live in the file
 * DATA_DIR/metrics, mapped MAP_SHARED by each, and are updated with relaxed atomic additions:
 * no lock on any request path. The file starts with a magic and a fingerprint of its layout
 * (the route labels, the statuses, the buckets, the sizes); a file of another layout (another
 * version of the app) is replaced by a fresh one, and the processes of the old version keep
 * the old, unlinked copy.
 */

#define METRICS_ROUTES_MAX 32   /* route table entries counted apart; more count as "other" */

/* One entry of the router's table: the labels of its requests. */
struct metrics_route {
	const char *method;    /* "GET", "POST", "DELETE" (HEAD is routed, and counted, as GET) */
	const char *pattern;   /* "/inputs/{id}/content" */
};

/* Why a token-checked request was refused (the checks of auth_token, in their order). */
enum metrics_token_failure {
	METRICS_TOKEN_MISSING,        /* 401 token_missing */
	METRICS_TOKEN_INVALID,        /* 403 token_invalid */
	METRICS_TOKEN_EXPIRED,        /* 410 token_expired */
	METRICS_TOKEN_WRONG_INPUT,    /* 403 token_wrong_input */
	METRICS_TOKEN_SESSION_ENDED,  /* 410 session_ended */
	METRICS_TOKEN_INPUT_DELETED,  /* 410 input_deleted */
	METRICS_TOKEN_NOT_FOUND,      /* 404 not_found */
	METRICS_TOKEN__COUNT
};

enum metrics_err {
	METRICS_OK = 0,
	METRICS_IO,        /* the file could not be created, locked, sized or mapped (errno kept) */
	METRICS_INVALID    /* a bad argument (no folder, too many or empty labels) */
};

/* What GET /metrics reads at scrape time rather than counts. */
struct metrics_gauges {
	int      have_store;           /* store_inputs and store_bytes are known */
	uint64_t store_inputs;         /* live inputs in the index */
	uint64_t store_bytes;          /* the sum of their sizes */
	int      have_uploads;         /* uploads_in_progress is known */
	uint64_t uploads_in_progress;  /* tmp/ID.part files locked by a live writer */
};

/*
 * metrics_open: map DATA_DIR/metrics (data_dir is the folder, which must exist), creating it
 * (mode 0600, sized with ftruncate, zeroed) when missing, and replacing it when its layout is
 * not this one. routes are the router's table, nroutes of them (at most METRICS_ROUTES_MAX;
 * the strings must live as long as the result): a request is counted under its entry's method
 * and pattern. The entries POST /inputs and GET /inputs/{id}/content also feed the upload and
 * read latency histograms. Only the start-up takes a lock (flock on the file, so that several
 * processes starting at once make it once). Returns METRICS_OK and *out, or an error with
 * *out NULL and an English reason in err (errsz bytes).
 */
enum metrics_err metrics_open(const char *data_dir, const struct metrics_route *routes,
                              size_t nroutes, struct metrics **out, char *err, size_t errsz);

/* metrics_close: unmap and free m (NULL is fine). The file stays. */
void metrics_close(struct metrics *m);

/*
 * metrics_request: count one answered request: route is its index in the table given to
 * metrics_open (-1 or out of range: "other"), status the HTTP status sent (one of the
 * statuses the app sends, else counted as "other"), bytes_in and bytes_out its body bytes,
 * seconds its duration. m may be NULL (nothing is counted).
 */
void metrics_request(struct metrics *m, int route, int status, uint64_t bytes_in,
                     uint64_t bytes_out, double seconds);

/* metrics_token_failure: count one refused token (m may be NULL). */
void metrics_token_failure(struct metrics *m, enum metrics_token_failure why);

/*
 * metrics_write: the Prometheus text exposition (format 0.0.4) of every counter of m and of
 * the gauges g to f: "# HELP" and "# TYPE" before each family, names prefixed mediagate_.
 * Request counters appear for the label sets counted at least once; histograms, token
 * failure reasons and the known gauges always. Returns 0, or -1 when f failed.
 */
int metrics_write(const struct metrics *m, const struct metrics_gauges *g, FILE *f);

/*
 * metrics_allowed: 1 when remote_addr (REMOTE_ADDR, RFC 3875 section 4.1.8: a textual IPv4 or
 * IPv6 address) may read /metrics, else 0. Loopback (127.0.0.0/8, ::1, and IPv4-mapped
 * ::ffff:127.0.0.0/104) always may; allow (MEDIAGATE_METRICS_ALLOW; NULL or "" for none) adds
 * "any", or a comma-separated list of exact addresses (spaces around items ignored), compared
 * as addresses, not text (an IPv4-mapped IPv6 address equals its IPv4 address). NULL,
 * malformed or over-long remote addresses are refused unless allow is "any".
 */
int metrics_allowed(const char *remote_addr, const char *allow);

/*
 * metrics_allow_check: 0 when allow is a valid MEDIAGATE_METRICS_ALLOW value ("", "any", or
 * a comma-separated list of IPv4/IPv6 addresses), else -1 with an English reason in err.
 */
int metrics_allow_check(const char *allow, char *err, size_t errsz);

/*
 * metrics_uploads_in_progress: count the uploads being written in data_dir/tmp: ID.part files
 * whose writer holds its lock (store.h: the writer holds flock(LOCK_EX) until it commits or
 * aborts; a crashed writer's file is unlocked and not counted). Exact at the moment of the
 * scan, with no counter to drift when a process is killed mid-upload. 0 and *count, or -1.
 */
int metrics_uploads_in_progress(const char *data_dir, uint64_t *count);

/*
 * h_metrics: GET /metrics: 403 forbidden unless metrics_allowed(REMOTE_ADDR,
 * MEDIAGATE_METRICS_ALLOW), 500 internal when the counters could not be mapped at start-up,
 * else 200 with the exposition (Content-Type: text/plain; version=0.0.4; charset=utf-8).
 * The store's gauges are read now (one scan of the index, one of tmp/).
 */
void h_metrics(struct req *r, const char *id);

#endif
