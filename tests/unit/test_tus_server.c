/*
 * test_tus_server.c: unit tests of the server's tus pieces: the header parsers of fcgi/tus.c
 * (Upload-Offset/Length, Upload-Metadata, Upload-Checksum) and the tus uploads of store/
 * (create, lock, write, sync, rewind, complete, delete, expiry and collection, the schema
 * upgrade from version 1).
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "fcgi/tus.h"
#include "store/store.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1700000000

/* ---- Upload-Offset, Upload-Length ---------------------------------------------------------- */

Test(tus, u64_parse)
{
	static const struct { const char *s; int ok; uint64_t v; } cases[] = {
		{"0", 1, 0}, {"123", 1, 123}, {" 42\t", 1, 42}, {"007", 1, 7},
		{"9223372036854775807", 1, 9223372036854775807ULL},
		{"9223372036854775808", 0, 0}, {"18446744073709551616", 0, 0}, {"", 0, 0},
		{"  ", 0, 0}, {"-1", 0, 0}, {"+1", 0, 0}, {"1 2", 0, 0}, {"0x10", 0, 0},
		{"1.0", 0, 0}, {"1e3", 0, 0}, {"12a", 0, 0},
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < NCASES(cases); i++) {
		v = 99;
		cr_assert_eq(tus_u64_parse(cases[i].s, &v), cases[i].ok ? 0 : -1, "'%s'", cases[i].s);
		if (cases[i].ok)
			cr_assert_eq(v, cases[i].v, "'%s'", cases[i].s);
	}
	cr_assert_eq(tus_u64_parse(NULL, &v), -1);
	cr_assert_eq(tus_u64_parse("1", NULL), -1);
}

/* ---- base64 -------------------------------------------------------------------------------- */

Test(tus, base64_decode)
{
	static const struct { const char *in; long n; const char *out; } cases[] = {
		{"", 0, ""}, {"aGVsbG8=", 5, "hello"}, {"aGVsbG8", 5, "hello"},
		{"aGVsbA==", 4, "hell"}, {"aGVsbA", 4, "hell"}, {"aGVs", 3, "hel"},
		{"Pz8/", 3, "???"}, {"Pj4+", 3, ">>>"},
		{"a", -1, NULL}, {"aGVsbG8==", -1, NULL}, {"aGV=sbG8", -1, NULL}, {"=aGV", -1, NULL},
		{"aGVsbG8===", -1, NULL}, {"aGVs bG8=", -1, NULL}, {"aGVs-G8=", -1, NULL},
		{"aGVs_G8=", -1, NULL}, {"aG\x01s", -1, NULL}, {"====", -1, NULL},
	};
	unsigned char out[64];
	size_t i;
	long n;

	for (i = 0; i < NCASES(cases); i++) {
		n = tus_base64_decode(cases[i].in, strlen(cases[i].in), out, sizeof out);
		cr_assert_eq(n, cases[i].n, "'%s': %ld", cases[i].in, n);
		if (n > 0)
			cr_assert_eq(memcmp(out, cases[i].out, (size_t)n), 0, "'%s'", cases[i].in);
	}
	/* The output bound is kept. */
	cr_assert_eq(tus_base64_decode("aGVsbG8=", 8, out, 4), -1);
	cr_assert_eq(tus_base64_decode("aGVsbG8=", 8, out, 5), 5);
}

/* ---- Upload-Metadata ----------------------------------------------------------------------- */

struct pairs {
	int    n;
	char   key[40][TUS_META_KEY_MAX + 1];
	char   value[40][META_VALUE_MAX + 1];
	size_t len[40];
	int    refuse_at;   /* the callback refuses pair number refuse_at (1-based), 0 never */
};

static int collect(void *ctx, const char *key, const unsigned char *value, size_t len, char *err,
                   size_t errsz)
{
	struct pairs *p = ctx;

	cr_assert_lt(p->n, 40);
	cr_assert_eq(value[len], '\0', "the value is NUL-terminated for convenience");
	if (p->refuse_at == p->n + 1) {
		snprintf(err, errsz, "refused %s", key);
		return -1;
	}
	snprintf(p->key[p->n], sizeof p->key[0], "%s", key);
	memcpy(p->value[p->n], value, len + 1);
	p->len[p->n] = len;
	p->n++;
	return 0;
}

static int parse(const char *v, struct pairs *p, char *err)
{
	memset(p, 0, sizeof *p);
	err[0] = '\0';
	return tus_metadata_parse(v, collect, p, err, 200);
}

Test(tus, metadata_parse_pairs)
{
	struct pairs p;
	char err[200];

	cr_assert_eq(parse("", &p, err), 0);
	cr_assert_eq(p.n, 0);
	cr_assert_eq(parse("   ", &p, err), 0);
	cr_assert_eq(p.n, 0);
	cr_assert_eq(tus_metadata_parse(NULL, collect, &p, err, sizeof err), 0);
	/* protocol.md's example: a value, and a key alone. */
	cr_assert_eq(parse("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential", &p, err),
	             0, "%s", err);
	cr_assert_eq(p.n, 2);
	cr_assert_str_eq(p.key[0], "filename");
	cr_assert_str_eq(p.value[0], "world_domination_plan.pdf");
	cr_assert_str_eq(p.key[1], "is_confidential");
	cr_assert_eq(p.len[1], 0);
	/* Spaces and tabs around pairs; a key with a trailing space and no value. */
	cr_assert_eq(parse(" a YQ== ,\tb Yg,c ", &p, err), 0, "%s", err);
	cr_assert_eq(p.n, 3);
	cr_assert_str_eq(p.value[0], "a");
	cr_assert_str_eq(p.value[1], "b");
	cr_assert_eq(p.len[2], 0);
	/* Any byte, NUL included, reaches the callback with its length. */
	cr_assert_eq(parse("bin AAEC/w==", &p, err), 0);
	cr_assert_eq(p.len[0], 4);
	cr_assert_eq(memcmp(p.value[0], "\x00\x01\x02\xff", 4), 0);
}

Test(tus, metadata_parse_refusals)
{
	static const char *const bad[] = {
		"a YQ==,,b Yg==",       /* an empty pair */
		"a YQ==,",              /* a trailing comma */
		",a YQ==",              /* a leading one */
		"a YQ== Yg==",          /* three words */
		"a YQ==,a Yg==",        /* a key twice */
		"a !!!!",               /* not base64 */
		"a YQ=",                /* bad padding */
		"k\x01y YQ==",          /* a control character in the key */
		"k\xc3\xa9 YQ==",       /* non-ASCII in the key */
	};
	struct pairs p;
	char err[200], v[4096], *w;
	size_t i;

	for (i = 0; i < NCASES(bad); i++) {
		cr_assert_eq(parse(bad[i], &p, err), -1, "'%s'", bad[i]);
		cr_assert_neq(err[0], '\0', "no reason for '%s'", bad[i]);
	}
	cr_assert_eq(parse("a YQ==,a Yg==", &p, err), -1);
	cr_assert_not_null(strstr(err, "a: given more than once"), "%s", err);
	/* 65-byte key. */
	memset(v, 'k', 65);
	strcpy(v + 65, " YQ==");
	cr_assert_eq(parse(v, &p, err), -1);
	cr_assert_not_null(strstr(err, "key over 64"), "%s", err);
	/* 32 pairs are fine, 33 are not. */
	w = v;
	for (i = 0; i < 33; i++)
		w += sprintf(w, "%sk%zu YQ==", i ? "," : "", i);
	cr_assert_eq(parse(v, &p, err), -1);
	*strrchr(v, ',') = '\0';
	cr_assert_eq(parse(v, &p, err), 0, "%s", err);
	cr_assert_eq(p.n, 32);
	/* A value of META_VALUE_MAX bytes decoded is fine, one more is not (512 = 3 * 170 + 2). */
	strcpy(v, "v ");
	for (i = 0; i < 170; i++)
		strcat(v, "YWFh");
	strcat(v, "YWE=");
	cr_assert_eq(parse(v, &p, err), 0, "%s", err);
	cr_assert_eq(p.len[0], META_VALUE_MAX);
	strcpy(v + strlen(v) - 4, "YWFh");
	cr_assert_eq(parse(v, &p, err), -1);
	/* The callback's refusal stops the parse with its reason. */
	memset(&p, 0, sizeof p);
	p.refuse_at = 2;
	cr_assert_eq(tus_metadata_parse("a YQ==,b Yg==,c Yw==", collect, &p, err, sizeof err), -1);
	cr_assert_str_eq(err, "refused b");
	cr_assert_eq(p.n, 1);
}

/* Upload-Metadata text for pairs of (key, plain value), NULL-terminated. */
static const char *md(const char *const *kv)
{
	static char out[2048];
	unsigned char enc[1024];
	size_t n = 0;

	out[0] = '\0';
	for (; kv[0] != NULL; kv += 2) {
		EVP_EncodeBlock(enc, (const unsigned char *)kv[1], (int)strlen(kv[1]));
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s %s", n ? "," : "", kv[0],
		                      (const char *)enc);
	}
	return out;
}

Test(tus, metadata_apply)
{
	struct meta m;
	char ctype[64], err[200];
	const char *const ok[] = {
		"kind", "audio", "format", "pcm_s16le", "sampling_rate", "16000", "num_channels", "2",
		"filename", "../../etc/passwd", "filetype", "Audio/L16; rate=16000", "name", "x",
		"relativePath", "null", NULL,
	};

	memset(&m, 0, sizeof m);
	strcpy(ctype, "application/octet-stream");
	cr_assert_eq(tus_metadata_apply(md(ok), &m, ctype, sizeof ctype, err, sizeof err), 0, "%s",
	             err);
	cr_assert_str_eq(m.kind, "audio");
	cr_assert_str_eq(m.format, "pcm_s16le");
	cr_assert_eq(m.sampling_rate, 16000);
	cr_assert_eq(m.num_channels, 2);
	cr_assert_str_eq(m.filename, "passwd", "sanitised, never a path");
	cr_assert_str_eq(ctype, "audio/l16");

	/* No media type: ctype stays as it was; an empty filetype is "unknown". */
	memset(&m, 0, sizeof m);
	strcpy(ctype, "application/octet-stream");
	cr_assert_eq(tus_metadata_apply("filetype,width MTA=,height MjA=", &m, ctype, sizeof ctype,
	                                err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(ctype, "application/octet-stream");
	cr_assert_eq(m.width, 10);
	cr_assert_eq(m.height, 20);
	cr_assert_eq(tus_metadata_apply(NULL, &m, ctype, sizeof ctype, err, sizeof err), 0);

	/* content_type is the other name of filetype; not both. */
	memset(&m, 0, sizeof m);
	cr_assert_eq(tus_metadata_apply("content_type aW1hZ2UvcG5n", &m, ctype, sizeof ctype, err,
	                                sizeof err), 0);
	cr_assert_str_eq(ctype, "image/png");
	cr_assert_eq(tus_metadata_apply("content_type aW1hZ2UvcG5n,filetype aW1hZ2UvcG5n", &m, ctype,
	                                sizeof ctype, err, sizeof err), -1);
}

Test(tus, metadata_apply_refusals)
{
	static const char *const bad[][3] = {
		{"kind", "sound", "kind"},
		{"sampling_rate", "16k", "sampling_rate"},
		{"num_channels", "33", "num_channels"},
		{"format", "pcm s16", "format"},
		{"filetype", "not a type", "filetype"},
		{"width", "0", "width"},
	};
	struct meta m;
	char ctype[64], err[200];
	size_t i;

	for (i = 0; i < NCASES(bad); i++) {
		const char *kv[] = {bad[i][0], bad[i][1], NULL};
		memset(&m, 0, sizeof m);
		err[0] = '\0';
		cr_assert_eq(tus_metadata_apply(md(kv), &m, ctype, sizeof ctype, err, sizeof err), -1,
		             "%s=%s", bad[i][0], bad[i][1]);
		cr_assert_not_null(strstr(err, bad[i][2]), "'%s' does not name %s", err, bad[i][2]);
	}
	/* A NUL byte in a value we use is refused; in one we ignore it does not matter. */
	memset(&m, 0, sizeof m);
	cr_assert_eq(tus_metadata_apply("filename YQBi", &m, ctype, sizeof ctype, err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "NUL"), "%s", err);
	cr_assert_eq(tus_metadata_apply("other YQBi", &m, ctype, sizeof ctype, err, sizeof err), 0);
	/* A field twice, under one key each time. */
	memset(&m, 0, sizeof m);
	cr_assert_eq(tus_metadata_apply("kind ZmlsZQ==,kind ZmlsZQ==", &m, ctype, sizeof ctype, err,
	                                sizeof err), -1);
}

/* ---- Upload-Checksum ----------------------------------------------------------------------- */

Test(tus, checksum_parse)
{
	/* "hello world": protocol.md's sha1 example, and its sha256. */
	static const unsigned char sha1[20] = {
		0x2a, 0xae, 0x6c, 0x35, 0xc9, 0x4f, 0xcf, 0xb4, 0x15, 0xdb, 0xe9, 0x5f, 0x40, 0x8b,
		0x9c, 0xe9, 0x1e, 0xe8, 0x46, 0xed,
	};
	static const char *const malformed[] = {
		"", "sha1", "sha1 ", " sha1", "sha1  Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
		"sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0", "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=x",
		"sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0= x", "sha1 YWJj",
		"sha256 Kq5sNclPz7QV2+lfQIuc6R7oRu0=",          /* a SHA-1 length for sha256 */
		"sha256 uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek",   /* unpadded */
		"sha1\tKq5sNclPz7QV2+lfQIuc6R7oRu0=",
	};
	static const char *const unsupported[] = {
		"md5 XrY7u+Ae7tCTyyK7j1rNww==", "SHA1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
		"crc32 DUoRhQ==", "sha512 AAAA",
	};
	struct tus_checksum c;
	unsigned char d[32];
	unsigned int n;
	size_t i;

	cr_assert_eq(tus_checksum_parse("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", &c), 0);
	cr_assert_eq(c.algorithm, TUS_SHA1);
	cr_assert_eq(c.len, 20);
	cr_assert_eq(memcmp(c.digest, sha1, 20), 0);
	cr_assert_eq(tus_checksum_parse("  sha256 uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek= \t",
	                                &c), 0);
	cr_assert_eq(c.algorithm, TUS_SHA256);
	cr_assert_eq(c.len, 32);
	EVP_Digest("hello world", 11, d, &n, tus_checksum_md(c.algorithm), NULL);
	cr_assert_eq(n, 32);
	cr_assert_eq(memcmp(c.digest, d, 32), 0);
	cr_assert_eq(tus_checksum_md(TUS_SHA1), EVP_sha1());
	cr_assert_null(tus_checksum_md((enum tus_algorithm)0));
	for (i = 0; i < NCASES(malformed); i++)
		cr_assert_eq(tus_checksum_parse(malformed[i], &c), -1, "'%s'", malformed[i]);
	for (i = 0; i < NCASES(unsupported); i++)
		cr_assert_eq(tus_checksum_parse(unsupported[i], &c), -2, "'%s'", unsupported[i]);
	cr_assert_eq(tus_checksum_parse(NULL, &c), -1);
}

/* ---- the store's tus uploads --------------------------------------------------------------- */

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/mg-tus-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *upload_path(const char *id)
{
	static char p[128];

	snprintf(p, sizeof p, "%s/uploads/%s", dir, id);
	return p;
}

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* A store with one live session; its id in *session. */
static struct store *open_with_session(struct store_session *s)
{
	struct store *st = NULL;

	cr_assert_eq(store_open(dir, &st), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, 3600, s), STORE_OK);
	return st;
}

static struct store_tus new_tus(const struct store_session *s, int64_t length)
{
	struct store_tus t;

	memset(&t, 0, sizeof t);
	strcpy(t.session, s->id);
	t.length_known = length >= 0;
	t.length = length >= 0 ? (uint64_t)length : 0;
	t.created_at = NOW;
	t.expires_at = NOW + 100;
	strcpy(t.metadata, "filename YS50eHQ=");
	return t;
}

static struct store_input_meta input_meta(const struct store_session *s)
{
	struct store_input_meta m;

	memset(&m, 0, sizeof m);
	strcpy(m.session, s->id);
	strcpy(m.kind, "file");
	strcpy(m.content_type, "text/plain");
	strcpy(m.filename, "a.txt");
	m.created_at = NOW + 1;
	return m;
}

TestSuite(tus_store, .init = setup, .fini = teardown);

Test(tus_store, create_write_sync_complete)
{
	struct store_session s;
	struct store *st = open_with_session(&s);
	struct store_tus t = new_tus(&s, 11), got;
	struct store_tus_writer *w = NULL;
	struct store_input_meta m = input_meta(&s);
	struct store_input in;
	uint64_t bytes, count;
	char buf[32];
	int fd;

	cr_assert_eq(store_tus_create(st, &t, &w), STORE_OK);
	cr_assert(store_id_valid(t.id));
	cr_assert_str_eq(store_tus_writer_id(w), t.id);
	cr_assert_eq(file_size(upload_path(t.id)), 0);
	cr_assert_eq(store_tus_write(w, "hello", 5), STORE_OK);
	cr_assert_eq(store_tus_size(w), 5);
	cr_assert_eq(store_tus_recorded(w), 0);
	/* Not recorded yet: a reader sees offset 0 (the file may hold more). */
	cr_assert_eq(store_tus_get(st, t.id, NOW, &got), STORE_OK);
	cr_assert_eq(got.offset, 0);
	cr_assert_eq(store_tus_sync(w, -1, NOW + 200), STORE_OK);
	cr_assert_eq(store_tus_get(st, t.id, NOW, &got), STORE_OK);
	cr_assert_eq(got.offset, 5);
	cr_assert_eq(got.length, 11);
	cr_assert(got.length_known);
	cr_assert_eq(got.expires_at, NOW + 200);
	cr_assert_str_eq(got.session, s.id);
	cr_assert_str_eq(got.metadata, "filename YS50eHQ=");
	/* The uploads count for the quota by their length, leaving out the one asking. */
	cr_assert_eq(store_tus_usage(st, s.id, NULL, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 11);
	cr_assert_eq(count, 1);
	cr_assert_eq(store_tus_usage(st, s.id, t.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(count, 0);
	/* A chunk written then rewound (a failed checksum) leaves no trace. */
	cr_assert_eq(store_tus_write(w, " XXXX", 5), STORE_OK);
	cr_assert_eq(store_tus_rewind(w), STORE_OK);
	cr_assert_eq(store_tus_size(w), 5);
	cr_assert_eq(file_size(upload_path(t.id)), 5);
	/* The reader's view: the file, read-only. */
	cr_assert_eq(store_tus_open(st, t.id, &fd), STORE_OK);
	cr_assert_eq(pread(fd, buf, sizeof buf, 0), 5);
	cr_assert_eq(store_tus_write(w, " world", 6), STORE_OK);
	/* Unrecorded bytes cannot complete. */
	cr_assert_eq(store_tus_complete(w, &m, &in), STORE_INVALID);
	cr_assert_eq(store_tus_sync(w, -1, NOW + 200), STORE_OK);
	cr_assert_eq(store_tus_complete(w, &m, &in), STORE_OK);
	cr_assert_str_eq(in.id, t.id);
	cr_assert_eq(in.size, 11);
	cr_assert_str_eq(in.sha256,
	                 "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
	store_input_free(&in);
	/* The same file is the input now: the descriptor opened before reads on. */
	cr_assert_eq(pread(fd, buf, sizeof buf, 0), 11);
	cr_assert_eq(memcmp(buf, "hello world", 11), 0);
	close(fd);
	cr_assert_eq(file_size(upload_path(t.id)), -1, "uploads/ID goes");
	cr_assert_eq(store_tus_get(st, t.id, NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_input_get(st, t.id, &in), STORE_OK);
	cr_assert_eq(in.size, 11);
	store_input_free(&in);
	cr_assert_eq(store_session_usage(st, s.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 11);
	cr_assert_eq(count, 1);
	store_close(st);
}

Test(tus_store, lock_is_exclusive_and_cuts_unrecorded_bytes)
{
	struct store_session s;
	struct store *st = open_with_session(&s), *other = NULL;
	struct store_tus t = new_tus(&s, -1), got;
	struct store_tus_writer *w = NULL, *w2 = NULL;

	cr_assert_eq(store_open(dir, &other), STORE_OK);
	cr_assert_eq(store_tus_create(st, &t, &w), STORE_OK);
	cr_assert(!t.length_known);
	cr_assert_eq(store_tus_lock(other, t.id, NOW, &w2, &got), STORE_BUSY);
	cr_assert_null(w2);
	cr_assert_eq(store_tus_write(w, "abcdef", 6), STORE_OK);
	cr_assert_eq(store_tus_sync(w, -1, NOW + 100), STORE_OK);
	cr_assert_eq(store_tus_write(w, "gh", 2), STORE_OK);
	store_tus_release(w);   /* the unrecorded "gh" is cut */
	cr_assert_eq(file_size(upload_path(t.id)), 6);

	/* A writer that died after its write, before its sync: the next lock cuts its bytes. */
	{
		int fd = open(upload_path(t.id), O_WRONLY | O_APPEND);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, "zzz", 3), 3);
		close(fd);
	}
	cr_assert_eq(store_tus_lock(other, t.id, NOW, &w2, &got), STORE_OK);
	cr_assert_eq(got.offset, 6);
	cr_assert_eq(store_tus_size(w2), 6);
	cr_assert_eq(file_size(upload_path(t.id)), 6);
	/* The deferred length, set once with a sync; not below the offset. */
	cr_assert_eq(store_tus_sync(w2, 5, NOW + 100), STORE_INVALID);
	cr_assert_eq(store_tus_sync(w2, 10, NOW + 100), STORE_OK);
	cr_assert_eq(store_tus_get(st, t.id, NOW, &got), STORE_OK);
	cr_assert(got.length_known);
	cr_assert_eq(got.length, 10);
	store_tus_release(w2);
	/* Expired: GONE for a reader and for a writer. */
	cr_assert_eq(store_tus_get(st, t.id, NOW + 100, &got), STORE_GONE);
	cr_assert_eq(store_tus_lock(st, t.id, NOW + 100, &w2, &got), STORE_GONE);
	cr_assert_eq(store_tus_lock(st, "AAAAAAAAAAAAAAAAAAAAAA", NOW, &w2, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_tus_lock(st, "../../etc/passwd", NOW, &w2, &got), STORE_NOT_FOUND);
	store_close(other);
	store_close(st);
}

Test(tus_store, delete_remove_session_end)
{
	struct store_session s;
	struct store *st = open_with_session(&s);
	struct store_tus t1 = new_tus(&s, 100), t2 = new_tus(&s, 100), t3 = new_tus(&s, 100), got;
	struct store_tus_writer *w = NULL;

	cr_assert_eq(store_tus_create(st, &t1, &w), STORE_OK);
	cr_assert_eq(store_tus_write(w, "x", 1), STORE_OK);
	/* Terminated while held: the writer's sync finds the row gone. */
	cr_assert_eq(store_tus_delete(st, t1.id), STORE_OK);
	cr_assert_eq(file_size(upload_path(t1.id)), -1);
	cr_assert_eq(store_tus_sync(w, -1, NOW + 100), STORE_NOT_FOUND);
	store_tus_release(w);
	cr_assert_eq(store_tus_delete(st, t1.id), STORE_NOT_FOUND);

	cr_assert_eq(store_tus_create(st, &t2, &w), STORE_OK);
	cr_assert_eq(store_tus_remove(w), STORE_OK);
	cr_assert_eq(file_size(upload_path(t2.id)), -1);
	cr_assert_eq(store_tus_get(st, t2.id, NOW, &got), STORE_NOT_FOUND);

	/* Ending the session removes its uploads, rows and files. */
	cr_assert_eq(store_tus_create(st, &t3, &w), STORE_OK);
	store_tus_release(w);
	cr_assert_eq(store_session_end(st, s.id, NOW + 1), STORE_OK);
	cr_assert_eq(store_tus_get(st, t3.id, NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(file_size(upload_path(t3.id)), -1);
	/* No upload for an ended session. */
	cr_assert_eq(store_tus_create(st, &t3, &w), STORE_GONE);
	cr_assert_null(w);
	store_close(st);
}

Test(tus_store, gc_takes_expired_and_rowless_uploads_not_held_ones)
{
	struct store_session s;
	struct store *st = open_with_session(&s);
	struct store_tus a = new_tus(&s, 100), b = new_tus(&s, 100), live = new_tus(&s, 100), got;
	struct store_tus_writer *w = NULL;
	struct store_gc_stats g;
	char orphan[128], foreign[128];
	FILE *f;

	live.expires_at = NOW + 100000;
	cr_assert_eq(store_tus_create(st, &a, &w), STORE_OK);
	store_tus_release(w);
	cr_assert_eq(store_tus_create(st, &live, &w), STORE_OK);
	store_tus_release(w);
	cr_assert_eq(store_tus_create(st, &b, &w), STORE_OK);   /* b stays held */
	snprintf(orphan, sizeof orphan, "%s/uploads/BBBBBBBBBBBBBBBBBBBBBB", dir);
	snprintf(foreign, sizeof foreign, "%s/uploads/notes.txt", dir);
	cr_assert_not_null(f = fopen(orphan, "w"));
	fclose(f);
	cr_assert_not_null(f = fopen(foreign, "w"));
	fclose(f);

	cr_assert_eq(store_gc(st, NOW + 200, 3600, &g), STORE_OK);
	cr_assert_eq(g.uploads_removed, 2, "the expired one and the one without a row");
	cr_assert_eq(store_tus_get(st, a.id, NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(file_size(upload_path(a.id)), -1);
	cr_assert_eq(file_size(orphan), -1);
	cr_assert_eq(file_size(foreign), 0, "names that are not ids stay");
	cr_assert_eq(store_tus_get(st, live.id, NOW, &got), STORE_OK);
	cr_assert_eq(store_tus_get(st, b.id, NOW, &got), STORE_OK, "held: its writer syncs on");
	cr_assert_eq(store_tus_sync(w, -1, NOW + 1000), STORE_OK);
	store_tus_release(w);
	cr_assert_eq(store_gc(st, NOW + 200, 3600, &g), STORE_OK);
	cr_assert_eq(g.uploads_removed, 0);
	/* Restart-safe: opening the store again leaves uploads/ alone. */
	store_close(st);
	cr_assert_eq(store_open(dir, &st), STORE_OK);
	cr_assert_eq(store_tus_get(st, live.id, NOW, &got), STORE_OK);
	cr_assert_eq(file_size(upload_path(live.id)), 0);
	store_close(st);
}

Test(tus_store, complete_refuses_quota_and_keeps_the_upload)
{
	struct store_session s;
	struct store *st = open_with_session(&s);
	struct store_tus t = new_tus(&s, 4), got;
	struct store_tus_writer *w = NULL;
	struct store_input_meta m = input_meta(&s);
	struct store_input in;

	cr_assert_eq(store_tus_create(st, &t, &w), STORE_OK);
	cr_assert_eq(store_tus_write(w, "abcd", 4), STORE_OK);
	cr_assert_eq(store_tus_sync(w, -1, NOW + 100), STORE_OK);
	m.max_bytes = 3;
	cr_assert_eq(store_tus_complete(w, &m, &in), STORE_QUOTA);
	cr_assert_eq(store_tus_get(st, t.id, NOW, &got), STORE_OK, "nothing changed");
	cr_assert_eq(store_input_get(st, t.id, &in), STORE_NOT_FOUND);
	cr_assert_eq(file_size(upload_path(t.id)), 4);
	cr_assert_eq(store_tus_remove(w), STORE_OK);
	cr_assert_eq(file_size(upload_path(t.id)), -1);
	store_close(st);
}

Test(tus_store, schema_version_1_is_upgraded_in_place)
{
	static const char v1[] =
		"CREATE TABLE sessions (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL,"
		" expires_at INTEGER NOT NULL, ended_at INTEGER);"
		"CREATE TABLE inputs (id TEXT PRIMARY KEY,"
		" session_id TEXT NOT NULL REFERENCES sessions(id), kind TEXT NOT NULL,"
		" content_type TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL,"
		" sha256 TEXT NOT NULL, created_at INTEGER NOT NULL, deleted_at INTEGER,"
		" metadata TEXT NOT NULL DEFAULT '{}');"
		"CREATE INDEX inputs_session ON inputs(session_id);"
		"INSERT INTO sessions VALUES ('SSSSSSSSSSSSSSSSSSSSSS', 1, 4000000000, NULL);"
		"INSERT INTO inputs VALUES ('IIIIIIIIIIIIIIIIIIIIII', 'SSSSSSSSSSSSSSSSSSSSSS', 'file',"
		" 'text/plain', 'x.txt', 3, 'abc', 1, NULL, '{}');"
		"PRAGMA user_version = 1;";
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *q;
	struct store *st = NULL;
	struct store_session s;
	struct store_input in;
	struct store_tus t;
	struct store_tus_writer *w = NULL;

	snprintf(path, sizeof path, "%s/index.sqlite", dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	chmod(path, 0600);

	cr_assert_eq(store_open(dir, &st), STORE_OK);
	cr_assert_eq(store_session_get(st, "SSSSSSSSSSSSSSSSSSSSSS", NOW, &s), STORE_OK);
	cr_assert_eq(store_input_get(st, "IIIIIIIIIIIIIIIIIIIIII", &in), STORE_OK);
	cr_assert_str_eq(in.filename, "x.txt");
	store_input_free(&in);
	t = new_tus(&s, 1);
	cr_assert_eq(store_tus_create(st, &t, &w), STORE_OK);
	store_tus_release(w);
	store_close(st);

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 2);
	sqlite3_finalize(q);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM uploads", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	/* A version this program does not know is refused, not touched. */
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_neq(store_open(dir, &st), STORE_OK);
}
