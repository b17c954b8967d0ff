/* token_verify.c: micro-benchmark: verify one token N times, print verifications per second. */
/*
 * Not part of the build or the tests. Build and run by hand:
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -I. -o /tmp/token_verify bench/token_verify.c \
 *       tokens/token.c tokens/keyring.c tokens/b64url.c $(pkg-config --cflags --libs libcrypto)
 *   /tmp/token_verify [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "tokens/b64url.h"
#include "tokens/keyring.h"
#include "tokens/token.h"

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct keyring kr;
	struct token_claims c, out;
	uint8_t raw[TOKEN_ID_BYTES];
	char tok[TOKEN_LEN + 1];
	long n = 1000000, i, ok = 0;
	double t0, dt;
	int rc = 1;

	if (argc > 1) {
		n = strtol(argv[1], NULL, 10);
		if (n <= 0) {
			fprintf(stderr, "usage: %s [N > 0]\n", argv[0]);
			return 2;
		}
	}
	memset(&kr, 0, sizeof kr);
	memset(&c, 0, sizeof c);
	kr.nkeys = 1;
	kr.keys[0].id = 1;
	if (RAND_bytes(kr.keys[0].key, KEYRING_KEY_BYTES) != 1 || RAND_bytes(raw, sizeof raw) != 1)
		goto out;
	b64url_encode(c.session, raw, sizeof raw);
	b64url_encode(c.input, raw, sizeof raw);
	c.issued_at = 1700000000;
	c.expires_at = c.issued_at + 3600;
	if (token_sign(&kr, &c, tok) != TOKEN_OK)
		goto out;
	/* One verification outside the timing, so lazy initialisation is not counted. */
	if (token_verify(&kr, tok, TOKEN_LEN, c.issued_at, &out) != TOKEN_OK)
		goto out;
	t0 = seconds();
	for (i = 0; i < n; i++)
		ok += token_verify(&kr, tok, TOKEN_LEN, c.issued_at, &out) == TOKEN_OK;
	dt = seconds() - t0;
	if (ok != n)
		goto out;
	printf("%ld verifications in %.3f s: %.0f verifications/s (%.0f ns each)\n",
	       n, dt, (double)n / dt, dt * 1e9 / (double)n);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "token_verify: benchmark setup or verification failed\n");
	keyring_wipe(&kr);
	return rc;
}
