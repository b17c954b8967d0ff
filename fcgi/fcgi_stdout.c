/* fcgi_stdout.c: large response bodies as FCGI_STDOUT records written straight to the connection. */
#include "fcgi/fcgi_stdout.h"

#include <errno.h>
#include <fastcgi.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define RECORDS_PER_CALL 32   /* records per sendmsg: 2 MiB, 65 iovecs (under IOV_MAX) */

/* The record header of FastCGI 1.0 section 3.3 (FCGI_Header), big-endian lengths. */
static void record_header(uint8_t h[FCGI_HEADER_LEN], int type, int request_id, size_t content,
                          size_t padding)
{
	h[0] = FCGI_VERSION_1;
	h[1] = (uint8_t)type;
	h[2] = (uint8_t)(request_id >> 8);
	h[3] = (uint8_t)request_id;
	h[4] = (uint8_t)(content >> 8);
	h[5] = (uint8_t)content;
	h[6] = (uint8_t)padding;
	h[7] = 0;
}

/*
 * Write all of iov[0..n) on fd (blocking or not): resumes after short writes, EINTR and
 * EAGAIN. Consumes iov. 0, or -1 with errno set.
 */
static int write_all(int fd, struct iovec *iov, int n)
{
	int use_writev = 0;

	while (n > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = use_writev ? writev(fd, iov, n) : sendmsg(fd, &m, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == ENOTSOCK && !use_writev) {
				use_writev = 1;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				if (poll(&p, 1, -1) < 0 && errno != EINTR)
					return -1;
			} else if (errno != EINTR) {
				return -1;
			}
			continue;
		}
		if (w == 0) {   /* no empty iovec is ever passed: nothing written means failure */
			errno = EIO;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int fcgi_records_write(int fd, int type, int request_id, const void *buf, size_t len)
{
	static const uint8_t zeros[FCGI_HEADER_LEN];
	uint8_t headers[RECORDS_PER_CALL][FCGI_HEADER_LEN];
	struct iovec iov[2 * RECORDS_PER_CALL + 1];
	const char *p = buf;

	if (request_id < 1 || request_id > 0xffff || (buf == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	while (len > 0) {
		int n = 0, r;

		for (r = 0; r < RECORDS_PER_CALL && len > 0; r++) {
			size_t content = len < FCGI_RECORD_CONTENT_MAX ? len : FCGI_RECORD_CONTENT_MAX;
			size_t padding = (8 - content % 8) % 8;

			record_header(headers[r], type, request_id, content, padding);
			iov[n++] = (struct iovec){headers[r], FCGI_HEADER_LEN};
			iov[n++] = (struct iovec){(void *)p, content};
			if (padding > 0)   /* only the last record: the others are multiples of 8 */
				iov[n++] = (struct iovec){(void *)zeros, padding};
			p += content;
			len -= content;
		}
		if (write_all(fd, iov, n) != 0)
			return -1;
	}
	return 0;
}

int fcgi_stdout_write(FCGX_Request *fx, const void *buf, size_t len)
{
	FCGX_Stream *out = fx->out;

	if (len == 0)
		return 0;
	if (FCGX_FFlush(out) != 0 || FCGX_GetError(out) != 0)
		return -1;
	if (fcgi_records_write(fx->ipcFd, FCGI_STDOUT, fx->requestId, buf, len) == 0)
		return 0;
	/*
	 * What libfcgi's SetError does after its own failed write, through the stream's public
	 * fields: keep the first error, close the stream.
	 */
	if (out->FCGI_errno == 0)
		out->FCGI_errno = errno != 0 ? errno : EIO;
	out->isClosed = 1;
	return -1;
}
