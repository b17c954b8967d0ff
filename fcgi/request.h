/* request.h: the per-request state passed down the handlers, and the response writers. */
#ifndef MG_REQUEST_H
#define MG_REQUEST_H

#include <fcgiapp.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fcgi/config.h"
#include "tokens/keyring.h"

struct store;
struct metrics;

/* What lives for the whole process: configuration and the handles opened at start-up. */
struct app {
	struct config  cfg;
	struct keyring keys;
	struct store  *store;
	struct metrics *metrics;   /* the shared counters (fcgi/metrics.h), NULL when unavailable */
};

#define REQ_PATH_MAX 2048
#define REQ_PREFIX_MAX 256

/* One request. Nothing of it outlives the request; there is no global request state. */
struct req {
	FCGX_Request    *fx;
	struct app      *app;
	const char      *method;           /* REQUEST_METHOD; HEAD is routed as GET */
	int              is_head;
	char             prefix[REQ_PREFIX_MAX]; /* the mount prefix (fcgi/mount.h), "" at "/" */
	char             path[REQ_PATH_MAX]; /* the rest of REQUEST_URI's path: undecoded, no query */
	const char      *query;            /* the query string (after '?'), "" when none */
	int64_t          now;              /* Unix seconds when the request started */
	struct timespec  started;          /* CLOCK_MONOTONIC, for the access log */
	char             set_cookie[REQ_PREFIX_MAX + 192]; /* Set-Cookie value to send, or "" */
	int              status;           /* the status sent, 0 before */
	int              body_started;     /* the header block has been ended */
	uint64_t         bytes_in;         /* request body bytes read */
	uint64_t         bytes_out;        /* response body bytes written */
	const char      *note;             /* why it failed, for the access log (static string) */
	const char      *route;            /* the matched route's path pattern (router), or NULL */
	int              route_index;      /* its entry in the route table (route_at), -1 none */
	char             request_id[40];   /* "PID-SERIAL": the access log and X-Request-Id */
};

/* req_param: a FastCGI params value (CGI/1.1 meta-variable, RFC 3875 section 4.1), or NULL. */
const char *req_param(const struct req *r, const char *name);

/* req_query: http_query_get on this request's query string. 1 found, 0 absent, -1 invalid. */
int req_query(const struct req *r, const char *key, char *out, size_t outsz);

/*
 * req_read: read up to len bytes of the request body (FastCGI stdin) into buf; fewer only at its
 * end. Returns the byte count (0 at the end), counting it in bytes_in.
 */
size_t req_read(struct req *r, void *buf, size_t len);

/*
 * resp_status: start the response with a CGI Status header (RFC 3875 section 6.3.3) for status.
 * Must come first; then resp_header any number of times; then resp_body_start.
 */
void resp_status(struct req *r, int status);

/* resp_header: one header field "name: value", value formatted like printf. No CR or LF allowed. */
void resp_header(struct req *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * resp_body_start: add the fields every response carries (X-Content-Type-Options: nosniff,
 * Referrer-Policy: no-referrer, a pending Set-Cookie) and end the header block.
 */
void resp_body_start(struct req *r);

/* resp_write: send len body bytes (nothing for HEAD). 0, or -1 when the client is gone. */
int resp_write(struct req *r, const void *buf, size_t len);

/*
 * resp_error: a complete error response: status, Content-Type application/json, Cache-Control
 * no-store, and the body {"error": code, "detail": formatted text}. code is one of the documented
 * error codes (README, "Errors"). Does nothing when a response was already started.
 */
void resp_error(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * resp_error_with: resp_error with one more header field name: value, for errors whose status
 * requires one (Allow for 405, RFC 9110 section 15.5.6; Content-Range for 416, section 15.5.17).
 */
void resp_error_with(struct req *r, int status, const char *name, const char *value,
                     const char *code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* resp_json: a complete JSON response with status; takes the reference to body. */
void resp_json(struct req *r, int status, json_t *body);

/* resp_json_at: resp_json with a Location header (a path; RFC 9110 section 10.2.2). */
void resp_json_at(struct req *r, int status, const char *location, json_t *body);

/*
 * resp_json_text: the end of a JSON response (RFC 8259) whose status and other header fields
 * are set: Content-Type application/json, Content-Length, Cache-Control no-store (RFC 9111
 * section 5.2.2.5), then text (NUL-terminated, not taken) and a newline.
 */
void resp_json_text(struct req *r, const char *text);

/* resp_reason: the reason phrase of status (RFC 9110 section 15), "" when unknown. */
const char *resp_reason(int status);

#endif
