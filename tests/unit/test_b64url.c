/* test_b64url.c: unit tests for tokens/b64url.c (base64url without padding, RFC 4648 section 5). */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/rand.h>

#include "tokens/b64url.h"

struct vector {
	const char *raw;
	size_t      rawlen;
	const char *enc;
};

/* RFC 4648 section 10, with the '=' padding removed (section 3.2 allows that when agreed). */
static const struct vector rfc_vectors[] = {
	{ "", 0, "" },
	{ "f", 1, "Zg" },
	{ "fo", 2, "Zm8" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg" },
	{ "fooba", 5, "Zm9vYmE" },
	{ "foobar", 6, "Zm9vYmFy" },
};

/* Vectors that hit the two characters where base64url differs from base64 (section 5). */
static const struct vector url_vectors[] = {
	{ "\xfb\xff", 2, "-_8" },              /* base64 "+/8=" */
	{ "\xfb\xef\xbe", 3, "----" },         /* base64 "++++" */
	{ "\xff\xff\xff", 3, "____" },         /* base64 "////" */
	{ "\x00\x00\x00", 3, "AAAA" },
	{ "\x00", 1, "AA" },
};

static void check_vector(const struct vector *v)
{
	char enc[64];
	uint8_t dec[64];
	size_t n;
	long m;

	n = b64url_encode(enc, (const uint8_t *)v->raw, v->rawlen);
	cr_assert_eq(n, strlen(v->enc), "encode length of \"%s\"", v->enc);
	cr_assert_str_eq(enc, v->enc);
	cr_assert_eq(n, B64URL_ENCLEN(v->rawlen));
	m = b64url_decode(dec, sizeof dec, v->enc, strlen(v->enc));
	cr_assert_eq(m, (long)v->rawlen, "decode length of \"%s\"", v->enc);
	cr_assert_eq(memcmp(dec, v->raw, v->rawlen), 0, "decoded bytes of \"%s\"", v->enc);
}

Test(b64url, rfc4648_section10_vectors)
{
	size_t i;

	for (i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++)
		check_vector(&rfc_vectors[i]);
}

Test(b64url, url_safe_alphabet)
{
	size_t i;

	for (i = 0; i < sizeof url_vectors / sizeof url_vectors[0]; i++)
		check_vector(&url_vectors[i]);
}

Test(b64url, encode_writes_nul_and_nothing_past_it)
{
	char enc[16];

	memset(enc, 'x', sizeof enc);
	cr_assert_eq(b64url_encode(enc, (const uint8_t *)"fo", 2), 3);
	cr_assert_eq(enc[3], '\0');
	cr_assert_eq(enc[4], 'x');
}

Test(b64url, round_trip_random_lengths_0_to_64)
{
	uint8_t raw[64], dec[64];
	char enc[B64URL_ENCLEN(64) + 1];
	size_t len, n, i;
	int round;

	for (round = 0; round < 20; round++) {
		for (len = 0; len <= 64; len++) {
			cr_assert_eq(RAND_bytes(raw, sizeof raw), 1);
			n = b64url_encode(enc, raw, len);
			cr_assert_eq(n, B64URL_ENCLEN(len), "length %zu", len);
			cr_assert_eq(strlen(enc), n);
			for (i = 0; i < n; i++)
				cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				                 "0123456789-_", enc[i]) != NULL && enc[i] != '\0',
				          "character %zu of an encoding of %zu bytes", i, len);
			cr_assert_eq(b64url_decode(dec, len, enc, n), (long)len, "length %zu", len);
			cr_assert_eq(memcmp(dec, raw, len), 0, "length %zu", len);
		}
	}
}

Test(b64url, rejects_characters_outside_the_alphabet)
{
	/* '+', '/' and '=' are base64 but not base64url-without-padding. */
	static const char bad[] = "+/=. \t\n\r*~!@$%^&()[]{}<>\"'\\,;:?`|";
	char text[] = "Zm9vYmFy";
	uint8_t dec[16];
	size_t i, pos;

	for (i = 0; i < sizeof bad - 1; i++) {
		for (pos = 0; pos < 8; pos++) {
			char t[9];
			memcpy(t, text, sizeof t);
			t[pos] = bad[i];
			cr_assert_eq(b64url_decode(dec, sizeof dec, t, 8), -1,
			             "'%c' at %zu", bad[i], pos);
		}
	}
	/* A NUL inside the counted length, and bytes with the high bit set. */
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm\0v", 4), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm\x80v", 4), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm\xffv", 4), -1);
	/* Padded forms are refused. */
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zg==", 4), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm8=", 4), -1);
}

Test(b64url, rejects_length_mod_4_equal_1)
{
	uint8_t dec[16];

	cr_assert_eq(b64url_decode(dec, sizeof dec, "Z", 1), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm9vY", 5), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm9vYmFyZ", 9), -1);
	/* The neighbouring lengths are fine. */
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm9vYg", 6), 4);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm9v", 4), 3);
}

Test(b64url, rejects_non_zero_trailing_bits)
{
	uint8_t dec[16];

	/* "f" is "Zg": 'g' leaves 4 pad bits zero; 'h'..'v' set some of them (section 3.5). */
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zh", 2), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zv", 2), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zw", 2), 1);   /* 'w' = 110000: bits 00 */
	/* "fo" is "Zm8": the last character leaves 2 pad bits. */
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm9", 3), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm-", 3), -1);
	cr_assert_eq(b64url_decode(dec, sizeof dec, "Zm8", 3), 2);
}

Test(b64url, every_byte_string_has_one_encoding)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t dec[4];
	char enc[8], t[3];
	int a, b, accepted = 0;

	/* Of the 64 * 64 two-character strings exactly 256 decode, one per byte, canonically. */
	for (a = 0; a < 64; a++) {
		for (b = 0; b < 64; b++) {
			t[0] = alpha[a];
			t[1] = alpha[b];
			if (b64url_decode(dec, sizeof dec, t, 2) == 1) {
				accepted++;
				b64url_encode(enc, dec, 1);
				cr_assert(enc[0] == t[0] && enc[1] == t[1]);
			}
		}
	}
	cr_assert_eq(accepted, 256);
}

Test(b64url, rejects_output_too_small)
{
	uint8_t dec[8];

	memset(dec, 0xAA, sizeof dec);
	cr_assert_eq(b64url_decode(dec, 5, "Zm9vYmFy", 8), -1);
	cr_assert_eq(dec[5], 0xAA, "nothing written past dstsz");
	cr_assert_eq(b64url_decode(dec, 0, "Zg", 2), -1);
	cr_assert_eq(b64url_decode(dec, 6, "Zm9vYmFy", 8), 6);
	cr_assert_eq(b64url_decode(dec, 0, "", 0), 0);
}
