/*
 * source.h: the bytes mediagate-put uploads: a regular file (read at any offset, its length
 * known) or a stream (standard input, a pipe, a FIFO: read once, front to back, its length known
 * only at its end). A stream's bytes stay buffered until the upload has moved past them, so a
 * chunk the server did not take can be sent again.
 */
#ifndef MG_CLI_SOURCE_H
#define MG_CLI_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct source {
	int         fd;
	int         seekable;    /* a regular file: any offset can be read again */
	struct stat st;          /* fstat at open (size and mtime key the resume state) */
	uint64_t    length;      /* total bytes; TUS_LENGTH_UNKNOWN until a stream's end is read */
	uint8_t    *buf;         /* the bytes read: from buf_start on (a stream) */
	size_t      cap;
	size_t      len;
	uint64_t    buf_start;   /* the offset of buf[0] */
	int         eof;         /* a stream's end has been read */
};

/*
 * source_open: open path for reading ("-" is standard input, which is not closed later).
 * A regular file is seekable with length its size; anything else is a stream. Returns 0, or -1
 * with errno set (the file cannot be opened, or is a directory: EISDIR).
 */
int source_open(struct source *s, const char *path);

/*
 * source_get: the bytes at offsets [off, off + want): sets *data to them and returns how many
 * there are, fewer than want only at the end of the source (0 at or past it). For a stream it
 * reads (blocking) until it has them and one byte more, so that the end is known (s->length set)
 * as soon as a chunk reaches it, and drops the bytes before off: a later call must not ask for
 * an offset before it. *data stays valid until the next call.
 * Returns -1 with errno set on a read error or out of memory, and -1 with errno ESPIPE when off
 * is before the bytes a stream still holds.
 */
long source_get(struct source *s, uint64_t off, size_t want, const uint8_t **data);

/* source_close: close the file (not standard input) and free the buffer. */
void source_close(struct source *s);

#endif
