/* fcgi_params.c: a FastCGI responder that answers with the params (environment) it was given. */
/*
 * For finding out what a front server sends (RFC 3875 section 4.1 meta-variables as each server
 * fills them, e.g. SCRIPT_NAME / PATH_INFO / REQUEST_URI at a mount prefix). Each request is
 * answered 200 text/plain: one "NAME=value" line per param, sorted, then "STDIN=N", the number of
 * body bytes read from FCGI_STDIN. Started by spawn-fcgi (socket on fd 0), by a server that starts
 * the app itself (lighttpd bin-path, mod_fcgid), or, with a unix socket path as argv[1], listening
 * on that socket itself. With -o FILE (before the socket), each answer is also appended to FILE:
 * mod_fcgid's FcgidWrapper runs it without a chance to read the answer elsewhere.
 *
 *   cc -O2 -o build/fcgi_params tools/fcgi_params.c -lfcgi
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#define MAX_PARAMS 512

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	static char buf[65536];
	const char *out = NULL;
	char *params[MAX_PARAMS];
	FCGX_Request req;
	long long body;
	int sock = 0, n, i, argi = 1;
	FILE *f;

	if (argc > 2 && strcmp(argv[1], "-o") == 0) {
		out = argv[2];
		argi = 3;
	}
	if (FCGX_Init() != 0)
		return 1;
	if (argi < argc && (sock = FCGX_OpenSocket(argv[argi], 16)) < 0) {
		fprintf(stderr, "fcgi_params: cannot listen on %s\n", argv[argi]);
		return 1;
	}
	if (FCGX_InitRequest(&req, sock, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		for (n = 0; req.envp[n] != NULL && n < MAX_PARAMS; n++)
			params[n] = req.envp[n];
		qsort(params, (size_t)n, sizeof params[0], cmp);
		body = 0;
		while ((i = FCGX_GetStr(buf, sizeof buf, req.in)) > 0)
			body += i;
		FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n");
		f = out != NULL ? fopen(out, "a") : NULL;
		for (i = 0; i < n; i++) {
			FCGX_FPrintF(req.out, "%s\n", params[i]);
			if (f != NULL)
				fprintf(f, "%s\n", params[i]);
		}
		FCGX_FPrintF(req.out, "STDIN=%lld\n", body);
		if (f != NULL) {
			fprintf(f, "STDIN=%lld\n\n", body);
			fclose(f);
		}
		FCGX_Finish_r(&req);
	}
	return 0;
}
