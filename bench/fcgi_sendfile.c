/* fcgi_sendfile.c: benchmark baseline (b): a trivial FastCGI responder that offloads to the server. */
/*
 * Every request gets an empty answer naming the file in one header field: argv[1] is its value,
 * argv[2] its name, X-Sendfile by default. With X-Sendfile (argv[1] a path), lighttpd
 * ("x-sendfile" => "enable") sends the file itself and applies the Range header (RFC 9110
 * section 14); with X-Accel-Redirect (argv[1] the URI of an nginx "internal" location), nginx
 * does. Started by bench/run.sh under spawn-fcgi (the listening socket is fd 0).
 */
#include <stdio.h>

#include <fcgiapp.h>

int main(int argc, char **argv)
{
	const char *field = argc == 3 ? argv[2] : "X-Sendfile";
	FCGX_Request req;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s VALUE [FIELD]   (FIELD: X-Sendfile, X-Accel-Redirect)\n",
			argv[0]);
		return 2;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_FPrintF(req.out, "Status: 200 OK\r\n"
			     "Content-Type: application/octet-stream\r\n"
			     "%s: %s\r\n\r\n", field, argv[1]);
		FCGX_Finish_r(&req);
	}
	return 0;
}
