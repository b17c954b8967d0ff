/* token.h: HMAC-SHA256 capability tokens that bind a session and an input until a time. */
#ifndef MG_TOKEN_H
#define MG_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "tokens/keyring.h"

/*
 * The token format, version 1:
 *   token   = base64url(payload) "." base64url(mac)        (RFC 4648 section 5, no padding)
 *   payload = version:u8 (=1) | key_id:u32be | issued_at:i64be | expires_at:i64be
 *             | session:16 bytes | input:16 bytes                  (53 bytes, 71 characters)
 *   mac     = HMAC-SHA256(key[key_id], payload)                    (32 bytes, 43 characters)
 * The session and input ids are the 22-character base64url ids of the store, carried as the 16
 * bytes they encode. A token is exactly TOKEN_LEN characters.
 */
#define TOKEN_VERSION      1
#define TOKEN_ID_BYTES     16
#define TOKEN_ID_CHARS     22                 /* B64URL_ENCLEN(16) */
#define TOKEN_PAYLOAD_SIZE 53
#define TOKEN_MAC_SIZE     32
#define TOKEN_LEN          (71 + 1 + 43)      /* 115 */

enum token_err {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,   /* wrong length, alphabet, version or id */
	TOKEN_BAD_MAC,     /* the MAC does not match, or the key id is not in the keyring */
	TOKEN_EXPIRED,     /* now >= expires_at */
	TOKEN_INTERNAL     /* the HMAC computation itself failed (OpenSSL) */
};

struct token_claims {
	uint32_t key_id;                        /* set by token_sign to the newest key's id */
	int64_t  issued_at;                     /* Unix seconds */
	int64_t  expires_at;                    /* Unix seconds; the token is valid while now < it */
	char     session[TOKEN_ID_CHARS + 1];   /* base64url id, NUL-terminated */
	char     input[TOKEN_ID_CHARS + 1];
};

/*
 * token_sign: sign claims with the newest key of kr and write the token, NUL-terminated, to out
 * (at least TOKEN_LEN + 1 bytes). claims->key_id is set to the key used.
 * Returns TOKEN_OK; TOKEN_MALFORMED when an id is not a 22-character base64url id of 16 bytes or
 * expires_at <= issued_at; TOKEN_INTERNAL when kr is empty or OpenSSL fails.
 */
enum token_err token_sign(const struct keyring *kr, struct token_claims *claims, char *out);

/*
 * token_verify: check the token text tok (len characters, not necessarily NUL-terminated) against
 * kr at time now (Unix seconds). Checks in this order: shape (TOKEN_MALFORMED), key id and MAC in
 * constant time with CRYPTO_memcmp (TOKEN_BAD_MAC), expiry (TOKEN_EXPIRED). Claims are written
 * to out only when the MAC verified (also for TOKEN_EXPIRED, so callers can log them).
 */
enum token_err token_verify(const struct keyring *kr, const char *tok, size_t len, int64_t now,
                            struct token_claims *out);

/* token_strerror: a short English sentence for err. */
const char *token_strerror(enum token_err err);

#endif
