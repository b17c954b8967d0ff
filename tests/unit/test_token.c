/* test_token.c: unit tests for tokens/token.c (HMAC-SHA256 capability tokens). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "tokens/b64url.h"
#include "tokens/keyring.h"
#include "tokens/token.h"

#define NOW     1700000000
#define EXPIRES (NOW + 3600)

static struct keyring kr;
static char dir[64];
static char path[128];

/* A keyring in memory with one random key, id 1: most tests need no file. */
static void setup(void)
{
	memset(&kr, 0, sizeof kr);
	kr.nkeys = 1;
	kr.keys[0].id = 1;
	cr_assert_eq(RAND_bytes(kr.keys[0].key, KEYRING_KEY_BYTES), 1);
	dir[0] = '\0';
}

static void teardown(void)
{
	char p[256];

	if (dir[0] == '\0')
		return;
	unlink(path);
	snprintf(p, sizeof p, "%s.tmp", path);
	unlink(p);
	rmdir(dir);
}

TestSuite(token, .init = setup, .fini = teardown);

/* A fresh random 22-character id, as the store makes them. */
static void new_id(char out[TOKEN_ID_CHARS + 1])
{
	uint8_t raw[TOKEN_ID_BYTES];

	cr_assert_eq(RAND_bytes(raw, sizeof raw), 1);
	cr_assert_eq(b64url_encode(out, raw, sizeof raw), TOKEN_ID_CHARS);
}

static void new_claims(struct token_claims *c)
{
	memset(c, 0, sizeof *c);
	c->issued_at = NOW;
	c->expires_at = EXPIRES;
	new_id(c->session);
	new_id(c->input);
}

static void sign_ok(const struct keyring *k, struct token_claims *c, char tok[TOKEN_LEN + 1])
{
	cr_assert_eq(token_sign(k, c, tok), TOKEN_OK);
	cr_assert_eq(strlen(tok), TOKEN_LEN);
}

/* Split a token into its payload bytes (test-side decoding, independent of token.c). */
static void decode_payload(const char *tok, uint8_t payload[TOKEN_PAYLOAD_SIZE])
{
	cr_assert_eq(b64url_decode(payload, TOKEN_PAYLOAD_SIZE, tok, 71), TOKEN_PAYLOAD_SIZE);
}

/*
 * Build a token from payload bytes with a MAC computed here by the one-shot HMAC(), so a test
 * can change one field of the payload and still present a correct MAC.
 */
static void remac(char tok[TOKEN_LEN + 1], const uint8_t payload[TOKEN_PAYLOAD_SIZE],
                  const uint8_t key[KEYRING_KEY_BYTES])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	cr_assert_not_null(HMAC(EVP_sha256(), key, KEYRING_KEY_BYTES, payload, TOKEN_PAYLOAD_SIZE,
	                        mac, &maclen));
	cr_assert_eq(maclen, TOKEN_MAC_SIZE);
	b64url_encode(tok, payload, TOKEN_PAYLOAD_SIZE);
	tok[71] = '.';
	b64url_encode(tok + 72, mac, TOKEN_MAC_SIZE);
}

static enum token_err verify(const char *tok, size_t len, int64_t now)
{
	struct token_claims out;

	return token_verify(&kr, tok, len, now, &out);
}

Test(token, sign_verify_round_trip)
{
	struct token_claims c, out;
	char tok[TOKEN_LEN + 1];

	new_claims(&c);
	c.key_id = 12345;                  /* overwritten by token_sign */
	sign_ok(&kr, &c, tok);
	cr_assert_eq(c.key_id, 1);
	cr_assert_eq(tok[71], '.');
	cr_assert_eq(token_verify(&kr, tok, TOKEN_LEN, NOW, &out), TOKEN_OK);
	/* NULL claims are allowed when the caller only wants the verdict. */
	cr_assert_eq(token_verify(&kr, tok, TOKEN_LEN, NOW, NULL), TOKEN_OK);
	/* The text need not be NUL-terminated: len counts. */
	{
		char copy[TOKEN_LEN + 5];
		memcpy(copy, tok, TOKEN_LEN);
		memset(copy + TOKEN_LEN, 'A', 5);
		cr_assert_eq(verify(copy, TOKEN_LEN, NOW), TOKEN_OK);
	}
}

Test(token, claims_are_preserved)
{
	struct token_claims c, out;
	char tok[TOKEN_LEN + 1];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	memset(&out, 0x55, sizeof out);
	cr_assert_eq(token_verify(&kr, tok, TOKEN_LEN, NOW, &out), TOKEN_OK);
	cr_assert_eq(out.key_id, 1);
	cr_assert_eq(out.issued_at, NOW);
	cr_assert_eq(out.expires_at, EXPIRES);
	cr_assert_str_eq(out.session, c.session);
	cr_assert_str_eq(out.input, c.input);

	/* Extreme times survive the big-endian round trip, the sign bit included. */
	c.issued_at = INT64_MIN;
	c.expires_at = INT64_MAX;
	sign_ok(&kr, &c, tok);
	cr_assert_eq(token_verify(&kr, tok, TOKEN_LEN, NOW, &out), TOKEN_OK);
	cr_assert_eq(out.issued_at, INT64_MIN);
	cr_assert_eq(out.expires_at, INT64_MAX);
	c.issued_at = -2;
	c.expires_at = -1;
	sign_ok(&kr, &c, tok);
	cr_assert_eq(token_verify(&kr, tok, TOKEN_LEN, -3, &out), TOKEN_OK);
	cr_assert_eq(out.issued_at, -2);
	cr_assert_eq(out.expires_at, -1);
}

Test(token, format_matches_the_header)
{
	struct token_claims c;
	uint8_t payload[TOKEN_PAYLOAD_SIZE], sess[TOKEN_ID_BYTES], in[TOKEN_ID_BYTES];
	char tok[TOKEN_LEN + 1], want[TOKEN_LEN + 1];

	/* Rebuild the token here from token.h's description and compare byte for byte. */
	new_claims(&c);
	c.issued_at = 0x0102030405060708;
	c.expires_at = 0x1112131415161718;
	kr.keys[0].id = 0xA1B2C3D4;
	sign_ok(&kr, &c, tok);
	cr_assert_eq(b64url_decode(sess, sizeof sess, c.session, TOKEN_ID_CHARS), TOKEN_ID_BYTES);
	cr_assert_eq(b64url_decode(in, sizeof in, c.input, TOKEN_ID_CHARS), TOKEN_ID_BYTES);
	payload[0] = 1;
	memcpy(payload + 1, "\xA1\xB2\xC3\xD4", 4);
	memcpy(payload + 5, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(payload + 13, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	memcpy(payload + 21, sess, 16);
	memcpy(payload + 37, in, 16);
	remac(want, payload, kr.keys[0].key);
	cr_assert_str_eq(tok, want);
}

Test(token, wrong_length_is_malformed)
{
	struct token_claims c;
	char tok[TOKEN_LEN + 8];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	cr_assert_eq(verify(tok, TOKEN_LEN - 1, NOW), TOKEN_MALFORMED);
	strcat(tok, "A");
	cr_assert_eq(verify(tok, TOKEN_LEN + 1, NOW), TOKEN_MALFORMED);
	strcat(tok, "AAAA");
	cr_assert_eq(verify(tok, TOKEN_LEN + 5, NOW), TOKEN_MALFORMED);
	cr_assert_eq(verify("", 0, NOW), TOKEN_MALFORMED);
	cr_assert_eq(verify(NULL, 0, NOW), TOKEN_MALFORMED);
}

Test(token, bad_character_is_malformed)
{
	static const char bad[] = "+/= .\t\x80\xff";
	struct token_claims c;
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];
	size_t i, pos;
	static const size_t where[] = { 0, 1, 35, 70, 72, 100, 114 };

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	for (i = 0; i < sizeof bad - 1; i++) {
		for (pos = 0; pos < sizeof where / sizeof where[0]; pos++) {
			memcpy(t, tok, sizeof t);
			t[where[pos]] = bad[i];
			cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_MALFORMED,
			             "0x%02x at %zu", (unsigned char)bad[i], where[pos]);
		}
	}
	/* A NUL inside the length. */
	memcpy(t, tok, sizeof t);
	t[50] = '\0';
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_MALFORMED);
}

Test(token, missing_or_moved_dot_is_malformed)
{
	struct token_claims c;
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	memcpy(t, tok, sizeof t);
	t[71] = 'A';
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_MALFORMED);
	/* The dot one place to the left or right. */
	memcpy(t, tok, sizeof t);
	t[71] = t[70];
	t[70] = '.';
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_MALFORMED);
	memcpy(t, tok, sizeof t);
	t[71] = t[72];
	t[72] = '.';
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_MALFORMED);
}

Test(token, wrong_version_is_malformed_even_with_a_good_mac)
{
	struct token_claims c;
	uint8_t payload[TOKEN_PAYLOAD_SIZE];
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];
	int v;

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	decode_payload(tok, payload);
	/* Control: re-MAC'd with version 1 unchanged gives the same, valid token. */
	remac(t, payload, kr.keys[0].key);
	cr_assert_str_eq(t, tok);
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_OK);
	for (v = 0; v < 256; v++) {
		if (v == TOKEN_VERSION)
			continue;
		payload[0] = (uint8_t)v;
		remac(t, payload, kr.keys[0].key);
		cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_MALFORMED, "version %d", v);
	}
}

Test(token, bad_mac)
{
	struct token_claims c, out;
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	/* A different valid MAC character (still canonical base64url). */
	memcpy(t, tok, sizeof t);
	t[80] = t[80] == 'A' ? 'B' : 'A';
	memset(&out, 0x55, sizeof out);
	cr_assert_eq(token_verify(&kr, t, TOKEN_LEN, NOW, &out), TOKEN_BAD_MAC);
	cr_assert_eq(out.key_id, 0x55555555u, "claims not written when the MAC fails");
	/* A changed payload (a different input id) under the old MAC. */
	memcpy(t, tok, sizeof t);
	t[60] = t[60] == 'A' ? 'B' : 'A';
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
	/* A MAC of all zero bytes. */
	memcpy(t, tok, sizeof t);
	memset(t + 72, 'A', 43);
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
}

Test(token, unknown_key_id_is_bad_mac)
{
	struct token_claims c;
	uint8_t payload[TOKEN_PAYLOAD_SIZE];
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	decode_payload(tok, payload);
	/* Key id 99, MAC'd with the right key: only the id is wrong. */
	payload[1] = 0;
	payload[2] = 0;
	payload[3] = 0;
	payload[4] = 99;
	remac(t, payload, kr.keys[0].key);
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
	/* Key id 0 and 2^32-1 likewise. */
	memset(payload + 1, 0, 4);
	remac(t, payload, kr.keys[0].key);
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
	memset(payload + 1, 0xff, 4);
	remac(t, payload, kr.keys[0].key);
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
}

Test(token, expiry)
{
	struct token_claims c, out;
	char tok[TOKEN_LEN + 1];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	cr_assert_eq(verify(tok, TOKEN_LEN, EXPIRES - 1), TOKEN_OK, "one second before");
	cr_assert_eq(verify(tok, TOKEN_LEN, NOW - 100), TOKEN_OK, "before issue (clock skew)");
	memset(&out, 0, sizeof out);
	cr_assert_eq(token_verify(&kr, tok, TOKEN_LEN, EXPIRES, &out), TOKEN_EXPIRED, "at expiry");
	/* Claims are still written for an expired token, for logging. */
	cr_assert_eq(out.expires_at, EXPIRES);
	cr_assert_str_eq(out.input, c.input);
	cr_assert_eq(verify(tok, TOKEN_LEN, EXPIRES + 1), TOKEN_EXPIRED, "after");
	cr_assert_eq(verify(tok, TOKEN_LEN, INT64_MAX), TOKEN_EXPIRED);
}

Test(token, malformed_beats_bad_mac_beats_expired)
{
	struct token_claims c;
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	/* Expired and a bad MAC: the MAC is reported. */
	memcpy(t, tok, sizeof t);
	t[100] = t[100] == 'A' ? 'B' : 'A';
	cr_assert_eq(verify(t, TOKEN_LEN, EXPIRES + 10), TOKEN_BAD_MAC);
	/* Expired, bad MAC and a bad character: malformed. */
	t[10] = '*';
	cr_assert_eq(verify(t, TOKEN_LEN, EXPIRES + 10), TOKEN_MALFORMED);
}

Test(token, every_single_bit_flip_is_rejected)
{
	struct token_claims c;
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];
	enum token_err e;
	size_t i;
	int bit, round;

	for (round = 0; round < 4; round++) {
		new_claims(&c);
		sign_ok(&kr, &c, tok);
		cr_assert_eq(verify(tok, TOKEN_LEN, NOW), TOKEN_OK);
		for (i = 0; i < TOKEN_LEN; i++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(t, tok, sizeof t);
				t[i] = (char)(t[i] ^ (1 << bit));
				e = verify(t, TOKEN_LEN, NOW);
				cr_assert(e == TOKEN_MALFORMED || e == TOKEN_BAD_MAC,
				          "round %d byte %zu bit %d: %d", round, i, bit, (int)e);
			}
		}
	}
}

Test(token, truncated_tokens_are_rejected)
{
	struct token_claims c;
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];
	size_t len;

	new_claims(&c);
	sign_ok(&kr, &c, tok);
	for (len = 0; len < TOKEN_LEN; len++) {
		/* Both as a prefix of the buffer and as a fresh NUL-terminated copy. */
		cr_assert_eq(verify(tok, len, NOW), TOKEN_MALFORMED, "length %zu", len);
		memcpy(t, tok, len);
		t[len] = '\0';
		cr_assert_eq(verify(t, len, NOW), TOKEN_MALFORMED, "copy of length %zu", len);
	}
}

Test(token, another_keyrings_key_is_bad_mac)
{
	struct keyring other;
	struct token_claims c;
	uint8_t payload[TOKEN_PAYLOAD_SIZE];
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];

	/* Same key id 1, different key material. */
	memset(&other, 0, sizeof other);
	other.nkeys = 1;
	other.keys[0].id = 1;
	cr_assert_eq(RAND_bytes(other.keys[0].key, KEYRING_KEY_BYTES), 1);
	new_claims(&c);
	sign_ok(&other, &c, tok);
	cr_assert_eq(token_verify(&other, tok, TOKEN_LEN, NOW, NULL), TOKEN_OK);
	cr_assert_eq(verify(tok, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
	/* Re-signed by hand: a payload of ours with the other key's MAC. */
	sign_ok(&kr, &c, tok);
	decode_payload(tok, payload);
	remac(t, payload, other.keys[0].key);
	cr_assert_str_neq(t, tok);
	cr_assert_eq(verify(t, TOKEN_LEN, NOW), TOKEN_BAD_MAC);
}

Test(token, rotation_keeps_old_tokens_and_signs_with_the_new_key)
{
	struct keyring file_kr;
	struct token_claims c1, c2, out;
	char tok1[TOKEN_LEN + 1], tok2[TOKEN_LEN + 1];

	strcpy(dir, "/tmp/mg_token_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/keys", dir);
	cr_assert_eq(keyring_load(&file_kr, path, 1), KEYRING_OK);
	new_claims(&c1);
	sign_ok(&file_kr, &c1, tok1);
	cr_assert_eq(c1.key_id, 1);

	cr_assert_eq(keyring_rotate(&file_kr, path), KEYRING_OK);
	cr_assert_eq(token_verify(&file_kr, tok1, TOKEN_LEN, NOW, &out), TOKEN_OK);
	cr_assert_eq(out.key_id, 1);
	new_claims(&c2);
	sign_ok(&file_kr, &c2, tok2);
	cr_assert_eq(c2.key_id, 2);
	cr_assert_eq(token_verify(&file_kr, tok2, TOKEN_LEN, NOW, &out), TOKEN_OK);
	cr_assert_eq(out.key_id, 2);

	/* A process still holding only key 1 cannot verify key 2's tokens. */
	file_kr.nkeys = 1;
	cr_assert_eq(token_verify(&file_kr, tok2, TOKEN_LEN, NOW, NULL), TOKEN_BAD_MAC);
	cr_assert_eq(token_verify(&file_kr, tok1, TOKEN_LEN, NOW, NULL), TOKEN_OK);
	keyring_wipe(&file_kr);
}

Test(token, sign_refuses_bad_ids)
{
	static const char *bad[] = {
		"",
		"AAAAAAAAAAAAAAAAAAAAA",       /* 21 characters */
		"AAAAAAAAAAAAAAAAAAAAAB",      /* 22, non-zero trailing bits */
		"AAAAAAAAAAAAAAAAAAAAA+",      /* base64, not base64url */
		"AAAAAAAAAAAAAAAAAAAA=A",
		"AAAAAAAAAAAA.AAAAAAAAA",
	};
	struct token_claims c;
	char tok[TOKEN_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		new_claims(&c);
		strcpy(c.session, bad[i]);
		cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_MALFORMED, "session \"%s\"", bad[i]);
		new_claims(&c);
		strcpy(c.input, bad[i]);
		cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_MALFORMED, "input \"%s\"", bad[i]);
	}
	/* 23 characters: the id field is full, with no NUL. */
	new_claims(&c);
	memset(c.session, 'A', sizeof c.session);
	cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_MALFORMED);
	/* Control: the valid neighbours of those ids sign. */
	new_claims(&c);
	strcpy(c.session, "AAAAAAAAAAAAAAAAAAAAAA");
	strcpy(c.input, "_____________________w");
	cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_OK);
}

Test(token, sign_refuses_bad_times_and_empty_keyring)
{
	struct keyring empty;
	struct token_claims c;
	char tok[TOKEN_LEN + 1];

	new_claims(&c);
	c.expires_at = c.issued_at;
	cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_MALFORMED);
	c.expires_at = c.issued_at - 1;
	cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_MALFORMED);
	c.expires_at = c.issued_at + 1;
	cr_assert_eq(token_sign(&kr, &c, tok), TOKEN_OK);
	memset(&empty, 0, sizeof empty);
	cr_assert_eq(token_sign(&empty, &c, tok), TOKEN_INTERNAL);
	cr_assert_eq(token_verify(&empty, tok, TOKEN_LEN, NOW, NULL), TOKEN_BAD_MAC);
}

Test(token, strerror_covers_every_error)
{
	enum token_err e;

	for (e = TOKEN_OK; e <= TOKEN_INTERNAL; e++) {
		cr_assert_not_null(token_strerror(e));
		cr_assert_gt(strlen(token_strerror(e)), 0);
	}
	cr_assert_str_neq(token_strerror(TOKEN_BAD_MAC), token_strerror(TOKEN_EXPIRED));
}
