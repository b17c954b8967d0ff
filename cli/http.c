/* http.c: mediagate-put's HTTP requests over libcurl (see http.h). */
#include "cli/http.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define SESSION_COOKIE "mg_session"

struct call {
	struct http      *h;
	struct http_resp *r;
	uint64_t          total;   /* request body bytes */
};

/* Each header line of each response (the 100 Continue's too: a status line starts over). */
static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	struct http_resp *r = c->r;
	size_t len = size * n;
	char v[TUS_URL_MAX];

	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		memset(r, 0, sizeof *r);
		return len;
	}
	if (tus_header_value(line, len, "Upload-Offset", v, sizeof v) == 1)
		r->has_offset = tus_parse_u64(v, strlen(v), &r->offset) == 0;
	else if (tus_header_value(line, len, "Upload-Length", v, sizeof v) == 1)
		r->has_length = tus_parse_u64(v, strlen(v), &r->length) == 0;
	else if (tus_header_value(line, len, "Upload-Defer-Length", v, sizeof v) == 1)
		r->deferred = strcmp(v, "1") == 0;
	else if (tus_header_value(line, len, "Tus-Max-Size", v, sizeof v) == 1)
		r->has_max_size = tus_parse_u64(v, strlen(v), &r->max_size) == 0;
	else if (tus_header_value(line, len, "Location", r->location, sizeof r->location) == -1)
		r->location[0] = '\0';
	else if (tus_header_value(line, len, "Tus-Resumable", r->tus_resumable,
	                          sizeof r->tus_resumable) == -1)
		r->tus_resumable[0] = '\0';
	else if (tus_header_value(line, len, "Tus-Version", r->tus_version,
	                          sizeof r->tus_version) == -1)
		r->tus_version[0] = '\0';
	else if (tus_header_value(line, len, "Tus-Extension", r->tus_extension,
	                          sizeof r->tus_extension) == -1)
		r->tus_extension[0] = '\0';
	else if (tus_header_value(line, len, "Tus-Checksum-Algorithm", r->checksum_algorithms,
	                          sizeof r->checksum_algorithms) == -1)
		r->checksum_algorithms[0] = '\0';
	else if (tus_header_value(line, len, "Content-Type", r->content_type,
	                          sizeof r->content_type) == -1)
		r->content_type[0] = '\0';
	else if (tus_header_value(line, len, "Mediagate-Input", r->input, sizeof r->input) == -1)
		r->input[0] = '\0';
	else if (tus_header_value(line, len, "Set-Cookie", v, sizeof v) == 1) {
		char value[sizeof c->h->cookie];
		if (tus_set_cookie_value(v, SESSION_COOKIE, value, sizeof value) == 1 &&
		    strcmp(value, c->h->cookie) != 0) {
			memcpy(c->h->cookie, value, sizeof value);
			c->h->cookie_changed = 1;
		}
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_resp *r = ((struct call *)arg)->r;
	size_t len = size * n, room = HTTP_BODY_MAX - r->body_len;

	if (len < room)
		room = len;
	memcpy(r->body + r->body_len, data, room);
	r->body_len += room;
	r->body[r->body_len] = '\0';
	return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct call *c = arg;

	if (c->h->progress != NULL && c->total > 0)
		c->h->progress(c->h->progress_arg, (uint64_t)ulnow, c->total);
	return 0;
}

int http_init(struct http *h)
{
	memset(h, 0, sizeof *h);
	h->curl = curl_easy_init();
	return h->curl != NULL ? 0 : -1;
}

void http_free(struct http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

int http_request(struct http *h, const char *method, const char *url, const char *const *headers,
                 const void *body, size_t len, struct http_resp *r)
{
	CURL *cu = h->curl;
	struct curl_slist *list = NULL, *l;
	struct call c = { h, r, len };
	char errbuf[CURL_ERROR_SIZE] = "", cookie[sizeof h->cookie + 16];
	CURLcode rc;
	int ok = 1, ret;

	memset(r, 0, sizeof *r);
	h->error[0] = '\0';
	curl_easy_reset(cu);
	for (; headers != NULL && *headers != NULL; headers++) {
		l = curl_slist_append(list, *headers);
		ok = ok && l != NULL;
		list = l != NULL ? l : list;
	}
	l = curl_slist_append(list, "Expect:");
	ok = ok && l != NULL;
	list = l != NULL ? l : list;
	if (!ok) {
		curl_slist_free_all(list);
		snprintf(h->error, sizeof h->error, "out of memory");
		return -2;
	}
	ok = curl_easy_setopt(cu, CURLOPT_URL, url) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_HTTPHEADER, list) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_HEADERDATA, &c) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_WRITEDATA, &c) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_XFERINFODATA, &c) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 10L) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_LOW_SPEED_TIME, 30L) == CURLE_OK;
	ok = ok && curl_easy_setopt(cu, CURLOPT_USERAGENT, "mediagate-put") == CURLE_OK;
	if (h->max_send_speed > 0)
		ok = ok && curl_easy_setopt(cu, CURLOPT_MAX_SEND_SPEED_LARGE,
		                            (curl_off_t)h->max_send_speed) == CURLE_OK;
	if (h->cookie[0] != '\0') {
		snprintf(cookie, sizeof cookie, "%s=%s", SESSION_COOKIE, h->cookie);
		ok = ok && curl_easy_setopt(cu, CURLOPT_COOKIE, cookie) == CURLE_OK;
	}
	if (strcmp(method, "HEAD") == 0) {
		ok = ok && curl_easy_setopt(cu, CURLOPT_NOBODY, 1L) == CURLE_OK;
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) {
		ok = ok && curl_easy_setopt(cu, CURLOPT_POSTFIELDS, len > 0 ? body : "") == CURLE_OK;
		ok = ok && curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ==
		           CURLE_OK;
		if (strcmp(method, "PATCH") == 0)
			ok = ok && curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, "PATCH") == CURLE_OK;
	} else if (strcmp(method, "GET") != 0) {
		ok = ok && curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
	}
	if (!ok) {
		curl_slist_free_all(list);
		snprintf(h->error, sizeof h->error, "libcurl refused an option");
		return -2;
	}
	rc = curl_easy_perform(cu);
	curl_slist_free_all(list);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &r->status);
		ret = 0;
	} else {
		snprintf(h->error, sizeof h->error, "%s", errbuf[0] != '\0' ? errbuf :
		         curl_easy_strerror(rc));
		ret = rc == CURLE_OUT_OF_MEMORY || rc == CURLE_BAD_FUNCTION_ARGUMENT ||
		      rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ? -2 : -1;
	}
	/* the handle must not keep pointers into this frame */
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, NULL);
	if (h->verbose) {
		if (ret == 0)
			fprintf(stderr, "mediagate-put: %s %s (%zu bytes) -> %ld\n", method, url, len,
			        r->status);
		else
			fprintf(stderr, "mediagate-put: %s %s (%zu bytes) -> %s\n", method, url, len,
			        h->error);
	}
	return ret;
}
