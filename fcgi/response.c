/* response.c: reading the request body and writing CGI responses through FastCGI. */
#include "fcgi/request.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/fcgi_stdout.h"
#include "fcgi/http.h"

/* Body writes of at least this many bytes bypass libfcgi's 8 KiB stream (fcgi/fcgi_stdout.h). */
#define RESP_DIRECT_MIN (16 * 1024)
#define RESP_FIELD_NAME_MAX  64     /* the longest field name resp_header sends */
#define RESP_FIELD_VALUE_MAX 4096   /* values of this many bytes or more are not sent */

/*
 * FCGX_GetParam's linear search of the "NAME=value" strings, without a strncmp call for each
 * entry whose first byte already differs (most of them: a read asks for eighteen names).
 */
const char *req_param(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	char **p;

	if (n == 0 || r->fx->envp == NULL)
		return NULL;
	for (p = r->fx->envp; *p != NULL; p++)
		if ((*p)[0] == name[0] && strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

int req_query(const struct req *r, const char *key, char *out, size_t outsz)
{
	return http_query_get(r->query, key, out, outsz);
}

size_t req_read(struct req *r, void *buf, size_t len)
{
	size_t got = 0;

	/* FCGX_GetStr returns short counts at record boundaries as well as at the end. */
	while (got < len) {
		int n = FCGX_GetStr((char *)buf + got, (int)(len - got > (1u << 30) ? 1u << 30 : len - got),
		                    r->fx->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->bytes_in += got;
	return got;
}

const char *resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 423: return "Locked";
	case 429: return "Too Many Requests";
	case 460: return "Checksum Mismatch";   /* tus 1.0.0, Checksum extension */
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default:  return "";
	}
}

void resp_status(struct req *r, int status)
{
	const char *reason = resp_reason(status);
	size_t rlen = strlen(reason);
	char line[64] = "Status: ";
	char *p = line + 8;

	r->status = status;
	if (status < 100 || status > 999)   /* a status code is three digits (RFC 9110 15) */
		status = 500;
	*p++ = (char)('0' + status / 100);
	*p++ = (char)('0' + status / 10 % 10);
	*p++ = (char)('0' + status % 10);
	*p++ = ' ';
	if (rlen > sizeof line - 14)   /* never: the longest phrase above has 22 bytes */
		rlen = 0;
	memcpy(p, reason, rlen);
	p += rlen;
	*p++ = '\r';
	*p++ = '\n';
	FCGX_PutStr(line, (int)(p - line), r->fx->out);
}

/*
 * The field line is made in one buffer and handed to libfcgi in one FCGX_PutStr: no second
 * formatting pass through FCGX_FPrintF. A "%s" format (most fields) and a format without any
 * conversion (a fixed value) are copied, not formatted.
 */
void resp_header(struct req *r, const char *name, const char *fmt, ...)
{
	/* the longest value is Content-Disposition: 255 bytes of name, twice, encoded */
	char line[RESP_FIELD_NAME_MAX + 2 + RESP_FIELD_VALUE_MAX + 2];
	size_t nlen = strlen(name), vlen;
	char *value = line + nlen + 2;
	va_list ap;
	int n;

	if (nlen > RESP_FIELD_NAME_MAX)
		return;
	memcpy(line, name, nlen);
	memcpy(line + nlen, ": ", 2);
	va_start(ap, fmt);
	if (strcmp(fmt, "%s") == 0 || strchr(fmt, '%') == NULL) {
		const char *s = fmt[0] == '%' ? va_arg(ap, const char *) : fmt;
		vlen = s != NULL ? strlen(s) : RESP_FIELD_VALUE_MAX;
		n = vlen < RESP_FIELD_VALUE_MAX ? (int)vlen : -1;
		if (n >= 0)
			memcpy(value, s, vlen);
	} else {
		n = vsnprintf(value, RESP_FIELD_VALUE_MAX, fmt, ap);
	}
	va_end(ap);
	/* A field value never carries CR or LF (RFC 9110 section 5.5): refuse rather than split. */
	if (n < 0 || n >= RESP_FIELD_VALUE_MAX || memchr(value, '\r', (size_t)n) != NULL ||
	    memchr(value, '\n', (size_t)n) != NULL)
		return;
	memcpy(value + n, "\r\n", 2);
	FCGX_PutStr(line, (int)(nlen + 2 + (size_t)n + 2), r->fx->out);
}

void resp_body_start(struct req *r)
{
	FCGX_Stream *out = r->fx->out;

	FCGX_PutS("X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n", out);
	if (r->set_cookie[0] != '\0')
		FCGX_FPrintF(out, "Set-Cookie: %s\r\n", r->set_cookie);
	FCGX_PutS("\r\n", out);
	r->body_started = 1;
}

/*
 * Small pieces go through libfcgi's buffer, so that the header block and a short body leave in
 * one record; large ones are written as FCGI_STDOUT records from buf itself (fcgi/fcgi_stdout.h).
 */
int resp_write(struct req *r, const void *buf, size_t len)
{
	if (r->is_head || len == 0)
		return 0;
	if (len >= RESP_DIRECT_MIN) {
		if (fcgi_stdout_write(r->fx, buf, len) != 0)
			return -1;
	} else if (len > INT_MAX || FCGX_PutStr(buf, (int)len, r->fx->out) != (int)len) {
		return -1;
	}
	r->bytes_out += len;
	return 0;
}

static void json_response(struct req *r, int status, const char *name, const char *value,
                          json_t *body);

void resp_json(struct req *r, int status, json_t *body)
{
	json_response(r, status, NULL, NULL, body);
}

void resp_json_at(struct req *r, int status, const char *location, json_t *body)
{
	json_response(r, status, "Location", location, body);
}

/* A complete JSON response with status and, when name is not NULL, one more header field. */
static void json_response(struct req *r, int status, const char *name, const char *value,
                          json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	resp_status(r, status);
	if (name != NULL)
		resp_header(r, name, "%s", value);
	resp_json_text(r, text);
	free(text);
}

void resp_json_text(struct req *r, const char *text)
{
	resp_header(r, "Content-Type", "application/json");
	resp_header(r, "Content-Length", "%zu", strlen(text) + 1);
	resp_header(r, "Cache-Control", "no-store");
	resp_body_start(r);
	resp_write(r, text, strlen(text));
	resp_write(r, "\n", 1);
}

static void verror(struct req *r, int status, const char *name, const char *value,
                   const char *code, const char *fmt, va_list ap)
{
	char detail[512];

	if (r->status != 0)
		return;
	vsnprintf(detail, sizeof detail, fmt, ap);
	/* Details may quote client input: keep them printable ASCII so they are always valid JSON. */
	for (char *p = detail; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	if (r->note == NULL)
		r->note = code;
	json_response(r, status, name, value,
	              json_pack("{s:s, s:s}", "error", code, "detail", detail));
}

void resp_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(r, status, NULL, NULL, code, fmt, ap);
	va_end(ap);
}

void resp_error_with(struct req *r, int status, const char *name, const char *value,
                     const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(r, status, name, value, code, fmt, ap);
	va_end(ap);
}
