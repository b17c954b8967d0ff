/* fuzz_tus.c: libFuzzer harness for the tus header parsers (fcgi/tus.c). */
// fuzz-sources: fcgi/tus.c fcgi/http.c fcgi/meta.c tokens/b64url.c
// fuzz-pkgs: jansson libcrypto
// fuzz-max-len: 8192
/*
 * The input, NUL-terminated, is the value of Upload-Metadata, Upload-Checksum, Upload-Offset;
 * every parser runs on it. Invariants failing abort():
 *   - tus_u64_parse: a value is at most INT64_MAX and is what strtoull reads from the input;
 *   - tus_base64_decode: at most 3 bytes per 4 characters; what it decodes, encoded again
 *     (EVP_EncodeBlock), decodes to the same bytes; a smaller output buffer fails or agrees;
 *   - tus_metadata_parse: on success at most TUS_META_PAIRS_MAX pairs of unique keys of 1..64
 *     visible ASCII characters without ',', values of at most META_VALUE_MAX bytes; on failure
 *     a printable reason;
 *   - tus_metadata_apply: 0, or -1 with a printable reason; a media type it sets is lowercase;
 *   - tus_checksum_parse: 0 with a digest of the algorithm's length, or -1 / -2.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fcgi/tus.h"

struct seen {
	int  n;
	char keys[TUS_META_PAIRS_MAX][TUS_META_KEY_MAX + 1];
};

static void printable(const char *s)
{
	if (s[0] == '\0')
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

static int pair(void *ctx, const char *key, const unsigned char *value, size_t len, char *err,
                size_t errsz)
{
	struct seen *s = ctx;
	size_t k = strlen(key), i;
	int j;

	if (s->n >= TUS_META_PAIRS_MAX || k == 0 || k > TUS_META_KEY_MAX || len > META_VALUE_MAX ||
	    value[len] != '\0')
		abort();
	for (i = 0; i < k; i++)
		if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f || key[i] == ',')
			abort();
	for (j = 0; j < s->n; j++)
		if (strcmp(s->keys[j], key) == 0)
			abort();
	strcpy(s->keys[s->n++], key);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), err[200], ctype[64] = "x/y";
	unsigned char out[8192], again[8192], enc[8192 * 2];
	struct tus_checksum c;
	struct seen seen;
	struct meta m;
	uint64_t v;
	long n, n2;
	int rc;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	if (tus_u64_parse(in, &v) == 0 && (v > (uint64_t)INT64_MAX || strtoull(in, NULL, 10) != v))
		abort();

	n = tus_base64_decode(in, strlen(in), out, sizeof out);
	if (n >= 0) {
		if ((size_t)n > strlen(in) / 4 * 3 + 2)
			abort();
		EVP_EncodeBlock(enc, out, (int)n);
		n2 = tus_base64_decode((const char *)enc, strlen((const char *)enc), again, sizeof again);
		if (n2 != n || memcmp(out, again, (size_t)n) != 0)
			abort();
		if (n > 0) {
			n2 = tus_base64_decode(in, strlen(in), again, (size_t)n - 1);
			if (n2 != -1)
				abort();
		}
	}

	memset(&seen, 0, sizeof seen);
	err[0] = '\0';
	if (tus_metadata_parse(in, pair, &seen, err, sizeof err) != 0)
		printable(err);

	memset(&m, 0, sizeof m);
	err[0] = '\0';
	if (tus_metadata_apply(in, &m, ctype, sizeof ctype, err, sizeof err) != 0) {
		printable(err);
	} else {
		const char *p;
		for (p = ctype; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
	}

	rc = tus_checksum_parse(in, &c);
	if (rc == 0 && !((c.algorithm == TUS_SHA1 && c.len == 20) ||
	                 (c.algorithm == TUS_SHA256 && c.len == 32)))
		abort();
	if (rc != 0 && rc != -1 && rc != -2)
		abort();
	free(in);
	return 0;
}
