/* tus.c: the header fields of tus 1.0.0 as the server reads them (see fcgi/tus.h). */
#include "fcgi/tus.h"

#include <stdio.h>
#include <string.h>

#include "fcgi/http.h"
#include "tokens/b64url.h"

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int tus_u64_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t digits = 0;

	if (s == NULL || out == NULL)
		return -1;
	while (is_ows(*s))
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	while (is_ows(*s))
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	*out = v;
	return 0;
}

long tus_base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz)
{
	return b64_decode(out, outsz, in, len);
}

int tus_metadata_parse(const char *value, tus_metadata_fn *fn, void *ctx, char *err,
                       size_t errsz)
{
	char keys[TUS_META_PAIRS_MAX][TUS_META_KEY_MAX + 1];
	unsigned char decoded[META_VALUE_MAX + 1];
	const char *p = value;
	size_t npairs = 0, i;

	if (value == NULL)
		return 0;
	while (is_ows(*p))
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *key, *val, *end = p + strcspn(p, ",");
		size_t klen, vlen;
		long n;

		/* One pair: [OWS] key [SP value] [OWS], up to the comma or the end. */
		while (p < end && is_ows(*p))
			p++;
		key = p;
		while (p < end && !is_ows(*p))
			p++;
		klen = (size_t)(p - key);
		while (p < end && is_ows(*p))
			p++;
		val = p;
		while (p < end && !is_ows(*p))
			p++;
		vlen = (size_t)(p - val);
		while (p < end && is_ows(*p))
			p++;
		if (klen == 0) {
			snprintf(err, errsz, "Upload-Metadata: an empty pair");
			return -1;
		}
		if (p != end) {
			snprintf(err, errsz, "Upload-Metadata: a pair of more than a key and a value");
			return -1;
		}
		if (klen > TUS_META_KEY_MAX) {
			snprintf(err, errsz, "Upload-Metadata: a key over %d bytes", TUS_META_KEY_MAX);
			return -1;
		}
		for (i = 0; i < klen; i++)
			if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f) {
				snprintf(err, errsz, "Upload-Metadata: a key with a control or non-ASCII "
				         "character");
				return -1;
			}
		if (npairs == TUS_META_PAIRS_MAX) {
			snprintf(err, errsz, "Upload-Metadata: more than %d pairs", TUS_META_PAIRS_MAX);
			return -1;
		}
		memcpy(keys[npairs], key, klen);
		keys[npairs][klen] = '\0';
		for (i = 0; i < npairs; i++)
			if (strcmp(keys[i], keys[npairs]) == 0) {
				snprintf(err, errsz, "Upload-Metadata: %s: given more than once", keys[i]);
				return -1;
			}
		n = tus_base64_decode(val, vlen, decoded, META_VALUE_MAX);
		if (n < 0) {
			snprintf(err, errsz, "Upload-Metadata: %s: not base64, or over %d bytes decoded",
			         keys[npairs], META_VALUE_MAX);
			return -1;
		}
		decoded[n] = '\0';
		if (fn != NULL && fn(ctx, keys[npairs], decoded, (size_t)n, err, errsz) != 0)
			return -1;
		npairs++;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

struct apply {
	struct meta *m;
	char        *ctype;
	size_t       ctypesz;
	int          have_ctype;
};

static int apply_one(void *ctx, const char *key, const unsigned char *value, size_t len,
                     char *err, size_t errsz)
{
	struct apply *a = ctx;
	enum meta_field f = meta_field_from_name(key);
	int is_ctype = strcmp(key, "filetype") == 0 || strcmp(key, "content_type") == 0;
	char why[160];

	if (f == META_UNKNOWN && !is_ctype)
		return 0;       /* tus clients send more (name, type, relativePath...): not ours */
	if (memchr(value, '\0', len) != NULL) {
		snprintf(err, errsz, "%s: holds a NUL byte", key);
		return -1;
	}
	if (is_ctype) {
		if (a->have_ctype) {
			snprintf(err, errsz, "%s: the media type is given twice (filetype, content_type)",
			         key);
			return -1;
		}
		/* An empty filetype is what a browser gives a file it cannot name: unknown. */
		if (len > 0 && http_media_type((const char *)value, a->ctype, a->ctypesz) != 0) {
			snprintf(err, errsz, "%s: not a media type", key);
			return -1;
		}
		a->have_ctype = 1;
		return 0;
	}
	if (meta_set(a->m, f, (const char *)value, why, sizeof why) != 0) {
		snprintf(err, errsz, "%s", why);
		return -1;
	}
	return 0;
}

int tus_metadata_apply(const char *value, struct meta *m, char *ctype, size_t ctypesz,
                       char *err, size_t errsz)
{
	struct apply a = {m, ctype, ctypesz, 0};

	return tus_metadata_parse(value, apply_one, &a, err, errsz);
}

int tus_checksum_parse(const char *value, struct tus_checksum *out)
{
	static const struct {
		const char        *name;
		enum tus_algorithm algorithm;
		size_t             len;
	} known[] = {{"sha1", TUS_SHA1, 20}, {"sha256", TUS_SHA256, 32}};
	const char *name, *b64;
	size_t nlen, blen, i;
	long n;

	if (value == NULL || out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	while (is_ows(*value))
		value++;
	name = value;
	nlen = strcspn(name, " \t");
	if (nlen == 0 || name[nlen] != ' ')
		return -1;
	b64 = name + nlen + 1;
	blen = strcspn(b64, " \t");
	for (i = blen; b64[i] != '\0'; i++)
		if (!is_ows(b64[i]))
			return -1;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i].name) == nlen && memcmp(known[i].name, name, nlen) == 0)
			break;
	if (i == sizeof known / sizeof known[0])
		return -2;
	/* Padded base64 only, as protocol.md's example: a digest has a fixed length. */
	if (blen % 4 != 0)
		return -1;
	n = tus_base64_decode(b64, blen, out->digest, sizeof out->digest);
	if (n < 0 || (size_t)n != known[i].len)
		return -1;
	out->algorithm = known[i].algorithm;
	out->len = known[i].len;
	return 0;
}

const EVP_MD *tus_checksum_md(enum tus_algorithm a)
{
	return a == TUS_SHA1 ? EVP_sha1() : a == TUS_SHA256 ? EVP_sha256() : NULL;
}
