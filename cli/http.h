/*
 * http.h: the HTTP requests of mediagate-put, over libcurl (one easy handle: its connection is
 * kept alive between requests). Collects what a tus client reads from a response (protocol.md
 * "Headers") and the start of the body, and carries the mg_session cookie.
 */
#ifndef MG_CLI_HTTP_H
#define MG_CLI_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "cli/tus.h"

/* The most body bytes kept of a response (JSON answers are small; the rest is dropped). */
#define HTTP_BODY_MAX 65536

struct http_resp {
	long     status;              /* the final response's status code */
	int      has_offset;          /* Upload-Offset was there and valid */
	uint64_t offset;
	int      has_length;          /* Upload-Length was there and valid */
	uint64_t length;
	int      deferred;            /* Upload-Defer-Length: 1 */
	int      has_max_size;        /* Tus-Max-Size was there and valid */
	uint64_t max_size;
	char     location[TUS_URL_MAX];
	char     tus_resumable[32];
	char     tus_version[128];
	char     tus_extension[256];
	char     checksum_algorithms[128];
	char     content_type[128];
	char     input[TUS_URL_MAX];  /* Mediagate-Input: the path of the input the upload becomes */
	char     body[HTTP_BODY_MAX + 1];  /* NUL-terminated; cut at HTTP_BODY_MAX */
	size_t   body_len;
};

/* Called while a request body goes out: sent of total body bytes so far. */
typedef void (*http_progress_fn)(void *arg, uint64_t sent, uint64_t total);

struct http {
	void            *curl;          /* CURL * */
	char             cookie[256];   /* the mg_session value, "" for none; Set-Cookie updates it */
	int              cookie_changed; /* a response set a new value */
	int64_t          max_send_speed; /* bytes per second a request body may go at, 0: no limit */
	int              verbose;       /* print each request and its status on stderr */
	http_progress_fn progress;
	void            *progress_arg;
	char             error[256];    /* why the last request failed without a response */
};

/* http_init: one handle (curl_global_init must have been called). 0, or -1. */
int http_init(struct http *h);

/* http_free: close the connection and free the handle. */
void http_free(struct http *h);

/*
 * http_request: send one request and read its response into *r.
 * method: "GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS". url: absolute. headers: NULL or
 * a NULL-terminated array of "Name: value" fields added to the request. body, len: the request
 * body (len 0: an empty body with Content-Length: 0 for POST and PATCH; none for the others).
 * Never sends Expect: 100-continue. Sends "Cookie: mg_session=VALUE" when h->cookie is set,
 * and takes an mg_session Set-Cookie of the response into h->cookie.
 * Timeouts: 10 s to connect; the request fails when less than 1 byte per second moves for 30 s
 * (protocol.md recommends handling timeouts by closing the connection).
 * Returns 0 when a response came (whatever its status), -1 on a transport failure (connection
 * refused or cut, timeout: h->error says which), or -2 on a local error (out of memory, a bad
 * option): retrying cannot help then.
 */
int http_request(struct http *h, const char *method, const char *url, const char *const *headers,
                 const void *body, size_t len, struct http_resp *r);

#endif
