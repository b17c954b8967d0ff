/* fuzz_token.c: libFuzzer harness for capability token verification (tokens/token.c). */
// fuzz-sources: tokens/token.c tokens/keyring.c tokens/b64url.c
// fuzz-pkgs: libcrypto
// fuzz-max-len: 256
/*
 * Build and run (tests/fuzz/run.sh does this for every harness):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -I. -o fuzz_token tests/fuzz/fuzz_token.c tokens/token.c \
 *       tokens/keyring.c tokens/b64url.c $(pkg-config --cflags --libs libcrypto)
 *   ./fuzz_token -max_total_time=60 -dict=tests/fuzz/dict/token.dict tests/fuzz/corpus/token
 * The seeds in tests/fuzz/corpus/token were written by this file built as a program:
 *   clang -std=c11 -D_GNU_SOURCE -DFUZZ_TOKEN_GEN -I. -o gen tests/fuzz/fuzz_token.c \
 *       tokens/token.c tokens/keyring.c tokens/b64url.c -lcrypto && ./gen tests/fuzz/corpus/token
 *
 * The keyring is fixed (ids 1 and 7, known bytes) and so is the time. The input is a token text.
 * Invariants failing abort():
 *   - only TOKEN_OK / MALFORMED / BAD_MAC / EXPIRED come back (HMAC never fails here), a token
 *     of the wrong length is MALFORMED, and the result does not depend on the claims pointer;
 *   - the claims are written only for OK and EXPIRED (their memory is checked untouched
 *     otherwise), name a key of the ring and carry valid 22-character ids; EXPIRED exactly
 *     when now >= expires_at;
 *   - an accepted token is byte for byte what token_sign makes of its claims with that key:
 *     one token has one text.
 * A fuzzer cannot forge a MAC, so the input is verified twice: as it is, and with its MAC
 * replaced by the true one (computed here with OpenSSL) over whatever payload it decodes to,
 * which takes every fuzzed payload (versions, key ids, times, ids) past the MAC check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tokens/b64url.h"
#include "tokens/keyring.h"
#include "tokens/token.h"

#define NOW           INT64_C(1700000000)
#define PAYLOAD_CHARS 71

static struct keyring ring;        /* keys 1 and 7: what the app verifies with */
static struct keyring ring1;       /* key 1 alone, to re-sign tokens of the older key */
static struct keyring ring7;       /* key 7 alone */

static void rings_init(void)
{
	size_t i;

	if (ring.nkeys != 0)
		return;
	ring.nkeys = 2;
	ring.keys[0].id = 1;
	ring.keys[1].id = 7;
	for (i = 0; i < KEYRING_KEY_BYTES; i++) {
		ring.keys[0].key[i] = (uint8_t)(0x11 * (i + 1));
		ring.keys[1].key[i] = (uint8_t)(0xa5 ^ (i * 7));
	}
	ring1.nkeys = 1;
	ring1.keys[0] = ring.keys[0];
	ring7.nkeys = 1;
	ring7.keys[0] = ring.keys[1];
}

static int64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;   /* two's complement: what the token format means */
}

static int valid_id(const char *id)
{
	uint8_t raw[TOKEN_ID_BYTES];

	return memchr(id, '\0', TOKEN_ID_CHARS + 1) == id + TOKEN_ID_CHARS &&
	       b64url_decode(raw, sizeof raw, id, TOKEN_ID_CHARS) == TOKEN_ID_BYTES;
}

/* Verify tok (len bytes) and check everything the result promises; returns the result. */
static enum token_err check(const char *tok, size_t len, struct token_claims *c)
{
	struct token_claims untouched;
	const struct keyring *one;
	char again[TOKEN_LEN + 1];
	enum token_err rc;

	memset(c, 0x5a, sizeof *c);
	untouched = *c;
	rc = token_verify(&ring, tok, len, NOW, c);
	if (token_verify(&ring, tok, len, NOW, NULL) != rc)
		abort();
	switch (rc) {
	case TOKEN_MALFORMED:
	case TOKEN_BAD_MAC:
		if (memcmp(c, &untouched, sizeof *c) != 0)
			abort();
		return rc;
	case TOKEN_OK:
	case TOKEN_EXPIRED:
		break;
	default:
		abort();
	}
	if (len != TOKEN_LEN)
		abort();
	if (c->key_id != 1 && c->key_id != 7)
		abort();
	if (!valid_id(c->session) || !valid_id(c->input))
		abort();
	if ((rc == TOKEN_EXPIRED) != (NOW >= c->expires_at))
		abort();
	/* Re-sign the claims with the key that verified them: the very same text. */
	one = c->key_id == 1 ? &ring1 : &ring7;
	memset(again, 0, sizeof again);
	if (c->expires_at <= c->issued_at) {
		/* token_sign refuses such claims: only a key holder can mint this. */
		if (token_sign(one, c, again) != TOKEN_MALFORMED)
			abort();
		return rc;
	}
	if (token_sign(one, c, again) != TOKEN_OK || strlen(again) != TOKEN_LEN ||
	    memcmp(again, tok, TOKEN_LEN) != 0)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t payload[TOKEN_PAYLOAD_SIZE], mac[EVP_MAX_MD_SIZE];
	const struct keyring_key *k;
	struct token_claims c;
	char tok[TOKEN_LEN + 1];
	unsigned maclen = 0;
	enum token_err rc, want;
	uint32_t key_id;
	int64_t expires_at;

	rings_init();
	/* As it is: the text is not NUL-terminated, so a read past len shows up in ASan. */
	check((const char *)data, size, &c);

	/* With the true MAC over its payload. */
	if (size != TOKEN_LEN ||
	    b64url_decode(payload, sizeof payload, (const char *)data, PAYLOAD_CHARS) !=
	    TOKEN_PAYLOAD_SIZE)
		return 0;
	key_id = (uint32_t)payload[1] << 24 | (uint32_t)payload[2] << 16 |
	         (uint32_t)payload[3] << 8 | payload[4];
	expires_at = be64(payload + 13);
	k = keyring_find(&ring, key_id);
	if (HMAC(EVP_sha256(), (k != NULL ? k : &ring.keys[1])->key, KEYRING_KEY_BYTES, payload,
	         sizeof payload, mac, &maclen) == NULL || maclen != TOKEN_MAC_SIZE)
		abort();
	memcpy(tok, data, PAYLOAD_CHARS);
	tok[PAYLOAD_CHARS] = '.';
	b64url_encode(tok + PAYLOAD_CHARS + 1, mac, TOKEN_MAC_SIZE);
	if (payload[0] != TOKEN_VERSION)
		want = TOKEN_MALFORMED;
	else if (k == NULL)
		want = TOKEN_BAD_MAC;
	else
		want = NOW >= expires_at ? TOKEN_EXPIRED : TOKEN_OK;
	rc = check(tok, TOKEN_LEN, &c);
	if (rc != want)
		abort();
	if (rc == TOKEN_OK || rc == TOKEN_EXPIRED) {
		uint8_t ids[2 * TOKEN_ID_BYTES];

		if (c.key_id != key_id || c.issued_at != be64(payload + 5) ||
		    c.expires_at != expires_at)
			abort();
		if (b64url_decode(ids, TOKEN_ID_BYTES, c.session, TOKEN_ID_CHARS) != TOKEN_ID_BYTES ||
		    b64url_decode(ids + TOKEN_ID_BYTES, TOKEN_ID_BYTES, c.input, TOKEN_ID_CHARS) !=
		    TOKEN_ID_BYTES || memcmp(ids, payload + 21, sizeof ids) != 0)
			abort();
		/* One bit of the MAC flipped (a canonical character change): refused. */
		tok[TOKEN_LEN - 2] = tok[TOKEN_LEN - 2] == 'A' ? 'B' : 'A';
		if (check(tok, TOKEN_LEN, &c) != TOKEN_BAD_MAC)
			abort();
	}
	return 0;
}

#ifdef FUZZ_TOKEN_GEN
/* Seeds: real tokens of both keys and garbage around them. */
static void put(const char *dir, const char *name, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void sign(const struct keyring *kr, int64_t iat, int64_t exp, const char *session,
                 const char *input, char *out)
{
	struct token_claims c;

	memset(&c, 0, sizeof c);
	c.issued_at = iat;
	c.expires_at = exp;
	snprintf(c.session, sizeof c.session, "%s", session);
	snprintf(c.input, sizeof c.input, "%s", input);
	if (token_sign(kr, &c, out) != TOKEN_OK) {
		fprintf(stderr, "token_sign failed\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const char s1[] = "AAAAAAAAAAAAAAAAAAAAAA", s2[] = "abcdefghijklmnopqrstuw";
	static const char i1[] = "_-_-_-_-_-_-_-_-_-_-_w", i2[] = "0123456789ABCDEFGHIJKg";
	char t[TOKEN_LEN + 1], u[TOKEN_LEN + 8];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	rings_init();
	sign(&ring, NOW - 60, NOW + 3600, s1, i1, t);
	put(argv[1], "valid_key7", t, TOKEN_LEN);
	sign(&ring1, NOW - 86400, NOW + 86400, s2, i2, t);
	put(argv[1], "valid_key1", t, TOKEN_LEN);
	sign(&ring, NOW - 7200, NOW - 3600, s2, i1, t);
	put(argv[1], "expired", t, TOKEN_LEN);
	sign(&ring, NOW - 1, NOW, s1, i2, t);
	put(argv[1], "expires_now", t, TOKEN_LEN);
	sign(&ring, INT64_MIN, INT64_MAX, s2, i2, t);
	put(argv[1], "extreme_times", t, TOKEN_LEN);
	/* Garbage: cut, too long, '.' moved, a padded MAC, a flipped MAC bit, other text. */
	sign(&ring, NOW, NOW + 60, s1, i1, t);
	put(argv[1], "truncated", t, TOKEN_LEN - 1);
	memcpy(u, t, TOKEN_LEN);
	memcpy(u + TOKEN_LEN, "=", 1);
	put(argv[1], "padded", u, TOKEN_LEN + 1);
	memcpy(u, t, TOKEN_LEN);
	u[PAYLOAD_CHARS] = u[PAYLOAD_CHARS - 1];
	u[PAYLOAD_CHARS - 1] = '.';
	put(argv[1], "dot_moved", u, TOKEN_LEN);
	memcpy(u, t, TOKEN_LEN);
	u[TOKEN_LEN - 1] ^= 1;
	put(argv[1], "mac_last_char", u, TOKEN_LEN);
	memcpy(u, t, TOKEN_LEN);
	u[3] = '+';
	put(argv[1], "not_url_alphabet", u, TOKEN_LEN);
	memset(u, 'A', TOKEN_LEN);
	u[PAYLOAD_CHARS] = '.';
	put(argv[1], "all_a", u, TOKEN_LEN);
	put(argv[1], "empty", "", 0);
	put(argv[1], "short", "eyJhbGciOiJIUzI1NiJ9.e30.", 25);
	return 0;
}
#endif
