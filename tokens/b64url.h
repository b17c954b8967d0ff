/* b64url.h: base64url without padding (RFC 4648 section 5), for tokens and ids, and standard
 * base64 decoding (section 4), for tus (Upload-Metadata, Upload-Checksum). */
#ifndef MG_B64URL_H
#define MG_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes, without padding and without the terminating NUL. */
#define B64URL_ENCLEN(n) (((n) / 3) * 4 + (((n) % 3) ? ((n) % 3) + 1 : 0))

/*
 * b64url_encode: encode len bytes of src into dst as base64url (RFC 4648 section 5) without
 * '=' padding, and NUL-terminate. dst must hold B64URL_ENCLEN(len) + 1 bytes.
 * Returns the number of characters written (excluding the NUL).
 */
size_t b64url_encode(char *dst, const uint8_t *src, size_t len);

/*
 * b64url_decode: decode len characters of src (base64url alphabet, no padding, no white space)
 * into dst, which must hold dstsz bytes.
 * Returns the number of bytes written, or -1 when src has a character outside the alphabet, a
 * length that no unpadded encoding has (len % 4 == 1), non-zero trailing bits (so that every byte
 * string has exactly one accepted encoding), or does not fit in dstsz.
 */
long b64url_decode(uint8_t *dst, size_t dstsz, const char *src, size_t len);

/*
 * b64_decode: decode len characters of src, standard base64 (RFC 4648 section 4) whose '='
 * padding may be left out but not misplaced (at most two, at the end, and then len % 4 == 0),
 * into dst, which must hold dstsz bytes.
 * Returns the number of bytes written, or -1 on the same grounds as b64url_decode (a character
 * outside the alphabet, len % 4 == 1 once the padding is taken off, non-zero pad bits (section
 * 3.5), or more than dstsz bytes) or misplaced padding.
 */
long b64_decode(uint8_t *dst, size_t dstsz, const char *src, size_t len);

#endif
