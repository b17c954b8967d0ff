/* fcgi_sink.c: benchmark baseline for uploads: a FastCGI responder that copies its input to a file. */
/*
 * Each request body is read with FCGX_GetStr in 64 KiB pieces and written to DIR/sink.PID
 * (argv[1]; truncated per request), then the file is closed and the byte count answered (201).
 * No parsing, no hashing, no fsync: the least any upload handler does. Started by bench/run.sh
 * under spawn-fcgi (the listening socket is fd 0).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <fcgiapp.h>

#define CHUNK 65536

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	char path[4096];
	FCGX_Request req;
	long long total;
	int fd, n, ok;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (snprintf(path, sizeof path, "%s/sink.%ld", argv[1], (long)getpid()) >= (int)sizeof path)
		return 2;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		total = 0;
		ok = 0;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			ok = 1;
			while ((n = FCGX_GetStr(buf, CHUNK, req.in)) > 0) {
				if (write(fd, buf, (size_t)n) != n)
					ok = 0;
				total += n;
			}
			if (close(fd) != 0)
				ok = 0;
		}
		if (ok)
			FCGX_FPrintF(req.out, "Status: 201 Created\r\nContent-Type: text/plain\r\n\r\n"
				     "%lld\n", total);
		else
			FCGX_FPrintF(req.out, "Status: 500 Internal Server Error\r\n"
				     "Content-Type: text/plain\r\n\r\nwrite failed\n");
		FCGX_Finish_r(&req);
	}
	return 0;
}
