/* test_fcgi_stdout.c: unit tests for fcgi/fcgi_stdout.c (FCGI_STDOUT records written directly). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fastcgi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fcgi/fcgi_stdout.h"

/* What a web server made of the records it read: the streams' bytes and the framing seen. */
struct parsed {
	uint8_t *out;          /* FCGI_STDOUT content, concatenated */
	size_t   out_len;
	size_t   records;      /* FCGI_STDOUT records with content */
	size_t   max_content;  /* the largest contentLength seen */
	int      out_ended;    /* the empty FCGI_STDOUT record was seen */
	int      end_request;  /* FCGI_END_REQUEST was seen */
	int      misaligned;   /* a record whose content + padding is not a multiple of 8 */
	int      bad;          /* wrong version or request id, or a short record */
};

/* Read n bytes from fd; 0, or -1 at the end or on an error. */
static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Parse FastCGI records from fd until its end or FCGI_END_REQUEST (FastCGI 1.0 section 3.3). */
static void parse_records(int fd, int request_id, struct parsed *p)
{
	uint8_t h[FCGI_HEADER_LEN], body[65535 + 255];

	memset(p, 0, sizeof *p);
	while (!p->end_request && read_full(fd, h, sizeof h) == 0) {
		size_t clen = (size_t)h[4] << 8 | h[5], plen = h[6];

		if (h[0] != FCGI_VERSION_1 || ((int)h[2] << 8 | h[3]) != request_id ||
		    read_full(fd, body, clen + plen) != 0) {
			p->bad = 1;
			return;
		}
		if ((clen + plen) % 8 != 0)
			p->misaligned = 1;
		if (h[1] == FCGI_STDOUT && clen == 0) {
			p->out_ended = 1;
		} else if (h[1] == FCGI_STDOUT) {
			p->out = realloc(p->out, p->out_len + clen);
			cr_assert_not_null(p->out);
			memcpy(p->out + p->out_len, body, clen);
			p->out_len += clen;
			p->records++;
			if (clen > p->max_content)
				p->max_content = clen;
		} else if (h[1] == FCGI_END_REQUEST) {
			p->end_request = 1;
		}
	}
}

static uint8_t *pattern(size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	size_t i;

	cr_assert_not_null(b);
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 1);
	return b;
}

/* fcgi_records_write on one end of a socket pair; the other end parsed. */
static void records_case(size_t len)
{
	int sv[2];
	struct parsed p;
	uint8_t *buf = pattern(len);
	size_t want_records = (len + FCGI_RECORD_CONTENT_MAX - 1) / FCGI_RECORD_CONTENT_MAX;

	pid_t pid;
	int status = -1;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* A child writes (more than a socket buffer holds) while this process reads. */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(fcgi_records_write(sv[1], FCGI_STDOUT, 258, buf, len) == 0 ? 0 : 1);
	}
	close(sv[1]);
	parse_records(sv[0], 258, &p);
	close(sv[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "len %zu: the write failed", len);
	cr_assert_eq(p.bad, 0, "len %zu: bad framing", len);
	cr_assert_eq(p.misaligned, 0, "len %zu: a record is not 8-byte aligned", len);
	cr_assert_eq(p.out_len, len, "len %zu: got %zu bytes", len, p.out_len);
	cr_assert(len == 0 || memcmp(p.out, buf, len) == 0, "len %zu: bytes differ", len);
	cr_assert_eq(p.records, want_records, "len %zu: %zu records, want %zu", len, p.records,
	             want_records);
	cr_assert_leq(p.max_content, FCGI_RECORD_CONTENT_MAX);
	cr_assert_eq(p.out_ended, 0, "no empty record: that would end the stream");
	free(p.out);
	free(buf);
}

Test(fcgi_stdout, record_sizes)
{
	static const size_t lens[] = {0, 1, 7, 8, 9, 4096, FCGI_RECORD_CONTENT_MAX - 1,
	                              FCGI_RECORD_CONTENT_MAX, FCGI_RECORD_CONTENT_MAX + 1, 65535,
	                              65536, 131072 + 3, 32 * FCGI_RECORD_CONTENT_MAX,
	                              32 * FCGI_RECORD_CONTENT_MAX + 5, 5 * 1024 * 1024 + 11};
	size_t i;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++)
		records_case(lens[i]);
}

Test(fcgi_stdout, refuses_bad_arguments)
{
	char b = 'x';

	errno = 0;
	cr_assert_eq(fcgi_records_write(1, FCGI_STDOUT, 0, &b, 1), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(fcgi_records_write(1, FCGI_STDOUT, 65536, &b, 1), -1);
	cr_assert_eq(fcgi_records_write(1, FCGI_STDOUT, 1, NULL, 1), -1);
}

Test(fcgi_stdout, closed_peer_is_epipe_without_signal)
{
	int sv[2];
	uint8_t *buf = pattern(200000);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	/* SIGPIPE is left at its default (terminate): MSG_NOSIGNAL must keep it away. */
	errno = 0;
	cr_assert_eq(fcgi_records_write(sv[1], FCGI_STDOUT, 1, buf, 200000), -1);
	cr_assert_eq(errno, EPIPE);
	close(sv[1]);
	free(buf);
}

Test(fcgi_stdout, pipe_falls_back_to_writev)
{
	int fds[2];
	struct parsed p;
	uint8_t *buf = pattern(1000);

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(fcgi_records_write(fds[1], FCGI_STDOUT, 7, buf, 1000), 0);
	close(fds[1]);
	parse_records(fds[0], 7, &p);
	close(fds[0]);
	cr_assert_eq(p.bad, 0);
	cr_assert_eq(p.out_len, 1000);
	cr_assert_eq(memcmp(p.out, buf, 1000), 0);
	free(p.out);
	free(buf);
}

/*
 * A whole request through libfcgi: the web server side (a thread) sends FCGI_BEGIN_REQUEST,
 * FCGI_PARAMS and an empty FCGI_STDIN; the app side answers with libfcgi writes before and
 * after fcgi_stdout_write. The stream must hold all of it, in order, then end properly.
 */
struct server_side {
	char       path[108];
	size_t     body_len;
	struct parsed p;
};

static void put_record(uint8_t *b, size_t *n, int type, const void *content, size_t len)
{
	size_t pad = (8 - len % 8) % 8;

	b[*n] = FCGI_VERSION_1;
	b[*n + 1] = (uint8_t)type;
	b[*n + 2] = 0;
	b[*n + 3] = 1;
	b[*n + 4] = (uint8_t)(len >> 8);
	b[*n + 5] = (uint8_t)len;
	b[*n + 6] = (uint8_t)pad;
	b[*n + 7] = 0;
	memcpy(b + *n + 8, content, len);
	memset(b + *n + 8 + len, 0, pad);
	*n += 8 + len + pad;
}

static void *web_server(void *arg)
{
	struct server_side *s = arg;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	static const uint8_t begin[8] = {0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0};
	static const uint8_t params[] = "\x0e\x03REQUEST_METHODGET";
	uint8_t b[256];
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(a.sun_path, s->path, sizeof a.sun_path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	put_record(b, &n, FCGI_BEGIN_REQUEST, begin, sizeof begin);
	put_record(b, &n, FCGI_PARAMS, params, sizeof params - 1);
	put_record(b, &n, FCGI_PARAMS, "", 0);
	put_record(b, &n, FCGI_STDIN, "", 0);
	cr_assert_eq(write(fd, b, n), (ssize_t)n);
	parse_records(fd, 1, &s->p);
	close(fd);
	return NULL;
}

static void whole_request(size_t body_len)
{
	static const char head[] = "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n";
	static const char tail[] = "-tail";
	struct server_side s = {.body_len = body_len};
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	FCGX_Request req;
	pthread_t t;
	uint8_t *body = pattern(body_len), *want;
	size_t want_len = strlen(head) + body_len + strlen(tail);
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(s.path, sizeof s.path, "/tmp/mg_fcgi_stdout.%ld.sock", (long)getpid());
	unlink(s.path);
	memcpy(a.sun_path, s.path, sizeof a.sun_path);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	cr_assert_eq(FCGX_Init(), 0);
	cr_assert_eq(FCGX_InitRequest(&req, lfd, 0), 0);
	cr_assert_eq(pthread_create(&t, NULL, web_server, &s), 0);
	cr_assert_geq(FCGX_Accept_r(&req), 0);
	cr_assert_str_eq(FCGX_GetParam("REQUEST_METHOD", req.envp), "GET");
	FCGX_PutS(head, req.out);
	cr_assert_eq(fcgi_stdout_write(&req, body, body_len), 0);
	FCGX_PutS(tail, req.out);
	FCGX_Finish_r(&req);
	pthread_join(t, NULL);
	close(lfd);
	unlink(s.path);

	want = malloc(want_len);
	memcpy(want, head, strlen(head));
	memcpy(want + strlen(head), body, body_len);
	memcpy(want + strlen(head) + body_len, tail, strlen(tail));
	cr_assert_eq(s.p.bad, 0, "body %zu: bad framing", body_len);
	cr_assert_eq(s.p.misaligned, 0, "body %zu: misaligned record", body_len);
	cr_assert_eq(s.p.out_len, want_len, "body %zu: %zu bytes, want %zu", body_len, s.p.out_len,
	             want_len);
	cr_assert_eq(memcmp(s.p.out, want, want_len), 0, "body %zu: bytes out of order", body_len);
	cr_assert(s.p.out_ended, "the stream ends with an empty FCGI_STDOUT record");
	cr_assert(s.p.end_request, "FCGI_END_REQUEST follows");
	/* head (flushed), the body's records, tail (at Finish) */
	cr_assert_eq(s.p.records, 2 + (body_len + FCGI_RECORD_CONTENT_MAX - 1) /
	             FCGI_RECORD_CONTENT_MAX, "body %zu: %zu records", body_len, s.p.records);
	free(s.p.out);
	free(want);
	free(body);
}

Test(fcgi_stdout, interleaves_with_libfcgi)
{
	whole_request(65536);
	whole_request(3 * 1024 * 1024 + 5);
	whole_request(1);
}
