/* fcgi_sendfile.c: benchmark baseline (b): a trivial FastCGI responder that answers X-Sendfile. */
/*
 * Every request gets an empty answer naming the file (argv[1]) in X-Sendfile; lighttpd
 * ("allow-x-send-file" => "enable") then sends the file itself and applies the Range header.
 * Started by bench/run.sh under spawn-fcgi (the listening socket is fd 0).
 */
#include <stdio.h>

#include <fcgiapp.h>

int main(int argc, char **argv)
{
	FCGX_Request req;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_FPrintF(req.out, "Status: 200 OK\r\n"
			     "Content-Type: application/octet-stream\r\n"
			     "X-Sendfile: %s\r\n\r\n", argv[1]);
		FCGX_Finish_r(&req);
	}
	return 0;
}
