/* fcgi_stream.c: benchmark baseline (c): a trivial FastCGI responder that streams a range itself. */
/*
 * Serves one file (argv[1]) for any request: with "Range: bytes=A-B" (one range, both ends given)
 * it answers 206 with those bytes, read with pread and written with FCGX_PutStr in 64 KiB pieces;
 * otherwise 200 with the whole file. Nothing is checked beyond what keeps it from misbehaving:
 * it is the floor the app is measured against, not a server. Started by bench/run.sh under
 * spawn-fcgi (the listening socket is fd 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#define CHUNK 65536

/* Parses "bytes=A-B" with A <= B < size (RFC 9110 section 14.1.2, the one form wrk sends). */
static int parse_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
	char *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0)
		return -1;
	errno = 0;
	*a = strtoull(h + 6, &end, 10);
	if (errno != 0 || *end != '-')
		return -1;
	*b = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || *a > *b || *a >= size)
		return -1;
	if (*b >= size)
		*b = size - 1;
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	FCGX_Request req;
	struct stat st;
	uint64_t a, b, off, left, size;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
		perror(argv[1]);
		return 1;
	}
	size = (uint64_t)st.st_size;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		if (parse_range(FCGX_GetParam("HTTP_RANGE", req.envp), size, &a, &b) == 0) {
			FCGX_FPrintF(req.out, "Status: 206 Partial Content\r\n"
				     "Content-Type: application/octet-stream\r\n"
				     "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n"
				     "Content-Length: %" PRIu64 "\r\n\r\n", a, b, size, b - a + 1);
		} else {
			a = 0;
			b = size - 1;
			FCGX_FPrintF(req.out, "Status: 200 OK\r\n"
				     "Content-Type: application/octet-stream\r\n"
				     "Content-Length: %" PRIu64 "\r\n\r\n", size);
		}
		for (off = a, left = b - a + 1; left > 0;) {
			size_t want = left < CHUNK ? (size_t)left : CHUNK;
			ssize_t got = pread(fd, buf, want, (off_t)off);

			if (got <= 0 || FCGX_PutStr(buf, (int)got, req.out) != (int)got)
				break;
			off += (uint64_t)got;
			left -= (uint64_t)got;
		}
		FCGX_Finish_r(&req);
	}
	close(fd);
	return 0;
}
