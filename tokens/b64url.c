/* b64url.c: base64url without padding (RFC 4648 section 5), and decoding standard base64
 * (section 4) for tus; encoding that is OpenSSL's EVP_EncodeBlock. */
#include "tokens/b64url.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64url_encode(char *dst, const uint8_t *src, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = alphabet[v >> 18 & 63];
		dst[o++] = alphabet[v >> 12 & 63];
		dst[o++] = alphabet[v >> 6 & 63];
		dst[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;
		dst[o++] = alphabet[v >> 18 & 63];
		dst[o++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = alphabet[v >> 18 & 63];
		dst[o++] = alphabet[v >> 12 & 63];
		dst[o++] = alphabet[v >> 6 & 63];
	}
	dst[o] = '\0';
	return o;
}

/* The 6-bit value of c in the alphabet whose last two characters are c62 and c63, or -1. */
static int value(unsigned char c, char c62, char c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (unsigned char)c62)
		return 62;
	if (c == (unsigned char)c63)
		return 63;
	return -1;
}

/* Decode len unpadded characters of the alphabet ending in c62, c63 (see b64url_decode). */
static long decode(char c62, char c63, uint8_t *dst, size_t dstsz, const char *src, size_t len)
{
	size_t i, o = 0, rem = len % 4;
	size_t need = len / 4 * 3 + (rem ? rem - 1 : 0);
	uint32_t acc = 0;
	int bits = 0;

	if (rem == 1 || need > dstsz)
		return -1;
	for (i = 0; i < len; i++) {
		int v = value((unsigned char)src[i], c62, c63);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 section 3.5: the pad bits must be zero for the encoding to be canonical. */
	if (acc != 0)
		return -1;
	return (long)o;
}

long b64url_decode(uint8_t *dst, size_t dstsz, const char *src, size_t len)
{
	return decode('-', '_', dst, dstsz, src, len);
}

long b64_decode(uint8_t *dst, size_t dstsz, const char *src, size_t len)
{
	size_t pad = 0;

	/* Padding: only at the end, at most two, and then the length is a multiple of 4. */
	while (pad < len && pad < 2 && src[len - 1 - pad] == '=')
		pad++;
	if (pad > 0 && len % 4 != 0)
		return -1;
	return decode('+', '/', dst, dstsz, src, len - pad);
}
