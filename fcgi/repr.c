/* repr.c: a representation to serve: generated prefix bytes (a WAV header) and a file's bytes. */
#include "fcgi/repr.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

uint64_t repr_size(const struct repr *rp)
{
	return rp->prefix_len + rp->file_len;
}

ssize_t repr_read(const struct repr *rp, uint64_t off, void *buf, size_t len)
{
	uint64_t size = repr_size(rp), end;
	size_t done = 0;

	if (off >= size || len == 0)
		return 0;
	end = size - off < len ? size : off + len;
	if (off < rp->prefix_len) {
		size_t n = (size_t)((end < rp->prefix_len ? end : rp->prefix_len) - off);
		memcpy(buf, rp->prefix + off, n);
		done = n;
		off += n;
	}
	while (off < end) {
		ssize_t n = pread(rp->fd, (char *)buf + done, (size_t)(end - off),
		                  (off_t)(off - rp->prefix_len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;   /* the file is shorter than the index says */
			return -1;
		}
		done += (size_t)n;
		off += (uint64_t)n;
	}
	return (ssize_t)done;
}
