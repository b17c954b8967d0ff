/* source.c: a regular file or a stream to upload (see source.h). */
#include "cli/source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/tus.h"

int source_open(struct source *s, const char *path)
{
	memset(s, 0, sizeof *s);
	s->length = TUS_LENGTH_UNKNOWN;
	if (strcmp(path, "-") == 0) {
		s->fd = STDIN_FILENO;
	} else {
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return -1;
	}
	if (fstat(s->fd, &s->st) != 0)
		goto fail;
	if (S_ISDIR(s->st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (S_ISREG(s->st.st_mode)) {
		s->seekable = 1;
		s->length = (uint64_t)s->st.st_size;
	}
	return 0;
fail:
	if (s->fd != STDIN_FILENO) {
		int e = errno;
		close(s->fd);
		errno = e;
	}
	s->fd = -1;
	return -1;
}

/* Make room for need bytes in the buffer. 0, or -1 (ENOMEM). */
static int reserve(struct source *s, size_t need)
{
	uint8_t *nb;
	size_t cap = s->cap ? s->cap : 65536;

	if (need <= s->cap)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	nb = realloc(s->buf, cap);
	if (nb == NULL)
		return -1;
	s->buf = nb;
	s->cap = cap;
	return 0;
}

static long get_file(struct source *s, uint64_t off, size_t want, const uint8_t **data)
{
	size_t got = 0;

	if (off >= s->length) {
		*data = s->buf;
		return 0;
	}
	if (want > s->length - off)
		want = (size_t)(s->length - off);
	if (reserve(s, want) != 0)
		return -1;
	while (got < want) {
		ssize_t n = pread(s->fd, s->buf + got, want - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;   /* the file shrank since fstat: send what there is */
		got += (size_t)n;
	}
	*data = s->buf;
	return (long)got;
}

static long get_stream(struct source *s, uint64_t off, size_t want, const uint8_t **data)
{
	size_t skip, need;

	if (off < s->buf_start) {
		errno = ESPIPE;
		return -1;
	}
	/* Drop what is before off (read it first when off is past what was read). */
	while (off > s->buf_start + s->len && !s->eof) {
		s->buf_start += s->len;
		s->len = 0;
		if (reserve(s, 65536) != 0)
			return -1;
		ssize_t n = read(s->fd, s->buf, (size_t)(off - s->buf_start < 65536 ?
		                                          off - s->buf_start : 65536));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			s->eof = 1;
		s->len = (size_t)n;
	}
	skip = off - s->buf_start <= s->len ? (size_t)(off - s->buf_start) : s->len;
	if (skip > 0)
		memmove(s->buf, s->buf + skip, s->len - skip);
	s->len -= skip;
	s->buf_start += skip;
	need = want + 1;   /* one byte more: the end is known with the chunk that reaches it */
	if (need < want || reserve(s, need) != 0) {
		if (need < want)
			errno = ENOMEM;
		return -1;
	}
	while (s->len < need && !s->eof) {
		ssize_t n = read(s->fd, s->buf + s->len, need - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			s->eof = 1;
		s->len += (size_t)n;
	}
	if (s->eof)
		s->length = s->buf_start + s->len;
	*data = s->buf;
	if (off > s->buf_start)   /* only at the end: off is past it */
		return 0;
	return (long)(s->len < want ? s->len : want);
}

long source_get(struct source *s, uint64_t off, size_t want, const uint8_t **data)
{
	if (want > (size_t)LONG_MAX - 1) {
		errno = EINVAL;
		return -1;
	}
	return s->seekable ? get_file(s, off, want, data) : get_stream(s, off, want, data);
}

void source_close(struct source *s)
{
	if (s->fd >= 0 && s->fd != STDIN_FILENO)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
	s->cap = s->len = 0;
}
