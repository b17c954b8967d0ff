/* offload.c: handing a file's bytes to the web server (X-Sendfile, X-Sendfile2, X-Accel-Redirect). */
#include "fcgi/offload.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fcgi/http.h"

static const char *const mode_names[] = {
	[OFFLOAD_NONE] = "none",
	[OFFLOAD_X_SENDFILE] = "x-sendfile",
	[OFFLOAD_X_SENDFILE2] = "x-sendfile2",
	[OFFLOAD_X_ACCEL_REDIRECT] = "x-accel-redirect",
};

int offload_mode_parse(const char *s, enum offload_mode *out)
{
	size_t i;

	for (i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum offload_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *offload_mode_name(enum offload_mode m)
{
	return (size_t)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "none";
}

/* Bytes sent as they are: unreserved (RFC 3986 section 2.3) and the path separator. */
static int plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

int offload_prefix_check(enum offload_mode m, const char *prefix, char *why, size_t whysz)
{
	const unsigned char *p = (const unsigned char *)prefix;
	size_t n = strlen(prefix);

	if (n == 0 || prefix[0] != '/' || prefix[n - 1] != '/') {
		snprintf(why, whysz, "must be an absolute path ending in '/'");
		return -1;
	}
	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(why, whysz, "has a control character");
			return -1;
		}
		if (m == OFFLOAD_X_ACCEL_REDIRECT && !plain_char(*p)) {
			snprintf(why, whysz, "may only hold A-Z a-z 0-9 / . _ ~ - for x-accel-redirect");
			return -1;
		}
	}
	/* "." and ".." segments: the web server would resolve them to another place. */
	if (strstr(prefix, "/./") != NULL || strstr(prefix, "/../") != NULL) {
		snprintf(why, whysz, "has a '.' or '..' segment");
		return -1;
	}
	return 0;
}

/* Scan 1 to 18 digits at *p (a value nginx's off_t parsing takes without overflow). */
static int plain_number(const char **p)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > s && *p - s <= 18;
}

int offload_plain_range(const char *range)
{
	const char *p = range;

	if (range == NULL || strncmp(range, "bytes=", 6) != 0)
		return 0;
	p += 6;
	if (*p == '-') {
		p++;
		return plain_number(&p) && *p == '\0';
	}
	if (!plain_number(&p) || *p++ != '-')
		return 0;
	if (*p == '\0')
		return 1;
	return plain_number(&p) && *p == '\0';
}

int offload_allowed(enum offload_mode m, const struct offload_read *rd)
{
	if (m == OFFLOAD_NONE || !rd->is_get || rd->prefix_len != 0 || rd->file_len == 0 ||
	    !rd->has_file)
		return 0;
	if (rd->status != 200 && !(rd->status == 206 && rd->nranges == 1))
		return 0;
	switch (m) {
	case OFFLOAD_X_SENDFILE2:
		return 1;
	case OFFLOAD_X_SENDFILE:
		return rd->status == 200 && rd->range == NULL && !rd->conditional;
	case OFFLOAD_X_ACCEL_REDIRECT:
		if (rd->conditional)
			return 0;
		if (rd->status == 200)
			return rd->range == NULL;
		if (!offload_plain_range(rd->range))
			return 0;
		return rd->if_range == NULL || strcmp(rd->if_range, rd->etag) == 0;
	default:
		return 0;
	}
}

/* Append s to out[*len], percent-encoding (RFC 3986 section 2.1) what plain_char does not
   take when encode is set. 0, or -1 when it does not fit (size bytes with the NUL). */
static int append(char *out, size_t size, size_t *len, const char *s, int encode)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (!encode || plain_char(*p)) {
			if (*len + 1 >= size)
				return -1;
			out[(*len)++] = (char)*p;
		} else {
			if (*len + 3 >= size)
				return -1;
			out[(*len)++] = '%';
			out[(*len)++] = hex[*p >> 4];
			out[(*len)++] = hex[*p & 15];
		}
	}
	out[*len] = '\0';
	return 0;
}

int offload_header(enum offload_mode m, const char *prefix, const char *object, uint64_t first,
                   uint64_t last, const char **name, char *value, size_t valuesz)
{
	size_t len = 0;
	int encode = m != OFFLOAD_X_ACCEL_REDIRECT;
	char span[2 + 2 * HTTP_U64_LEN + 1];

	if (valuesz == 0)
		return -1;
	value[0] = '\0';
	switch (m) {
	case OFFLOAD_X_SENDFILE:
		*name = "X-Sendfile";
		break;
	case OFFLOAD_X_SENDFILE2:
		*name = "X-Sendfile2";
		break;
	case OFFLOAD_X_ACCEL_REDIRECT:
		*name = "X-Accel-Redirect";
		break;
	default:
		return -1;
	}
	if (append(value, valuesz, &len, prefix, encode) != 0 ||
	    append(value, valuesz, &len, object, encode) != 0)
		return -1;
	if (m == OFFLOAD_X_SENDFILE2) {
		if (first > last)
			return -1;
		/* " first-last", without printf */
		size_t n = 1;

		span[0] = ' ';
		n += http_u64_format(first, span + n);
		span[n++] = '-';
		http_u64_format(last, span + n);
		if (append(value, valuesz, &len, span, 0) != 0)
			return -1;
	}
	return 0;
}
