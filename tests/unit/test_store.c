/* test_store.c: unit tests of store/ (data folder, SQLite index, uploads, crash recovery). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "store/store.h"

#define NOW 1700000000
#define TTL 3600

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mg-store-XXXXXX");
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

TestSuite(store, .init = setup, .fini = teardown);

/* Helpers ----------------------------------------------------------------------------------- */

static const char *path_of(const char *rel)
{
	static char buf[4][256];
	static int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, rel);
	return p;
}

static const char *obj_path(const char *id)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "objects/%.2s/%s", id, id);
	return path_of(rel);
}

static const char *part_path(const char *id)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "tmp/%s.part", id);
	return path_of(rel);
}

/* Entries of a folder, without "." and "..". */
static int count_entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	cr_assert_not_null(d, "opendir %s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int nfiles;

static int count_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (flag == FTW_F)
		nfiles++;
	return 0;
}

/* Regular files anywhere under objects/. */
static int count_objects(void)
{
	nfiles = 0;
	cr_assert_eq(nftw(path_of("objects"), count_one, 16, FTW_PHYS), 0);
	return nfiles;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	cr_assert_geq(fd, 0, "create %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The whole file at path, malloc'd (NUL-terminated too), its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	buf[sb.st_size] = '\0';
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static void sha256_hex(const void *data, size_t len, char out[STORE_SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	cr_assert_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	cr_assert_eq(n, 32u);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static struct store *open_store(void)
{
	struct store *st = NULL;

	cr_assert_eq(store_open(dir, &st), STORE_OK);
	cr_assert_not_null(st);
	return st;
}

static void fill_meta(struct store_input_meta *m, const char *session, int64_t created_at,
                      const char *json)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->session, session);
	strcpy(m->kind, "audio");
	strcpy(m->content_type, "audio/wav");
	strcpy(m->filename, "take 1.wav");
	m->metadata_json = json;
	m->created_at = created_at;
}

/* Uploads "text" as one piece into session and commits it; out is filled. */
static void put(struct store *st, const char *session, const char *text, int64_t created_at,
                struct store_input *out)
{
	struct store_input_meta m;
	struct store_upload *up = NULL;

	fill_meta(&m, session, created_at, NULL);
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	cr_assert_eq(store_upload_write(up, text, strlen(text)), STORE_OK);
	cr_assert_eq(store_upload_commit(up, &m, out), STORE_OK, "%s", store_errmsg(st));
}

/* Open and layout --------------------------------------------------------------------------- */

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sql);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

Test(store, open_creates_layout_and_schema)
{
	struct store *st = open_store();
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s;

	cr_assert_eq(stat(path_of("objects"), &sb), 0);
	cr_assert(S_ISDIR(sb.st_mode));
	cr_assert_eq(sb.st_mode & 0777, 0700);
	cr_assert_eq(stat(path_of("tmp"), &sb), 0);
	cr_assert(S_ISDIR(sb.st_mode));
	cr_assert_eq(sb.st_mode & 0777, 0700);
	cr_assert_eq(stat(path_of("index.sqlite"), &sb), 0);
	cr_assert(S_ISREG(sb.st_mode));
	cr_assert_eq(sb.st_mode & 0777, 0600);

	cr_assert_eq(sqlite3_open_v2(path_of("index.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(query_int(db, "PRAGMA user_version"), 1);
	cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	                           " AND name IN ('sessions', 'inputs')"), 2);
	cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	                           " AND tbl_name = 'inputs' AND sql LIKE '%session_id%'"), 1);
	cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('inputs')"), 10);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(st);
}

Test(store, open_creates_missing_folder)
{
	char sub[128];
	struct store *st = NULL;
	struct stat sb;

	snprintf(sub, sizeof(sub), "%s/data", dir);
	cr_assert_eq(store_open(sub, &st), STORE_OK);
	cr_assert_eq(stat(sub, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700);
	store_close(st);
}

Test(store, open_fails_on_a_file)
{
	struct store *st = (struct store *)1;

	write_file(path_of("plain"), "x");
	cr_assert_eq(store_open(path_of("plain"), &st), STORE_IO);
	cr_assert_null(st);
}

Test(store, open_twice_shares_the_index)
{
	struct store *a = open_store(), *b = open_store();
	struct store_session s1, s2;
	struct store_input in, got;

	cr_assert_eq(store_session_create(a, NOW, TTL, &s1), STORE_OK);
	cr_assert_eq(store_session_get(b, s1.id, NOW, &s2), STORE_OK);
	cr_assert_eq(s2.expires_at, NOW + TTL);
	put(b, s1.id, "from b", NOW, &in);
	cr_assert_eq(store_input_get(a, in.id, &got), STORE_OK);
	cr_assert_eq(got.size, 6);
	store_input_free(&got);
	store_input_free(&in);
	store_close(a);
	store_close(b);

	/* And it all survives a reopen. */
	a = open_store();
	cr_assert_eq(store_session_get(a, s1.id, NOW, &s2), STORE_OK);
	store_close(a);
}

Test(store, close_null_and_errmsg_null)
{
	store_close(NULL);
	cr_assert_str_eq(store_errmsg(NULL), "no store");
}

/* Ids --------------------------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

Test(store, ids_are_22_base64url_chars_and_distinct)
{
	static char ids[1000][STORE_ID_CHARS + 1];
	size_t i, j;

	for (i = 0; i < 1000; i++) {
		cr_assert_eq(store_id_new(ids[i]), 0);
		cr_assert_eq(strlen(ids[i]), 22);
		for (j = 0; j < 22; j++)
			cr_assert_not_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			                          "0123456789-_", ids[i][j]), "%s", ids[i]);
		cr_assert(store_id_valid(ids[i]));
	}
	qsort(ids, 1000, sizeof(ids[0]), cmp_id);
	for (i = 1; i < 1000; i++)
		cr_assert_str_neq(ids[i - 1], ids[i]);
}

Test(store, id_valid_rejects_bad_shapes)
{
	char s[32];

	cr_assert(store_id_valid("AAAAAAAAAAAAAAAAAAAAAA"));
	cr_assert(store_id_valid("az09-_AZaz09-_AZaz09-_"));
	cr_assert_not(store_id_valid(NULL));
	cr_assert_not(store_id_valid(""));
	cr_assert_not(store_id_valid("AAAAAAAAAAAAAAAAAAAAA"));        /* 21 */
	cr_assert_not(store_id_valid("AAAAAAAAAAAAAAAAAAAAAAA"));      /* 23 */
	cr_assert_not(store_id_valid("../AAAAAAAAAAAAAAAAAAA"));
	cr_assert_not(store_id_valid("AAAAAAAAAA/AAAAAAAAAAA"));
	cr_assert_not(store_id_valid("AAAAAAAAAA.AAAAAAAAAAA"));
	cr_assert_not(store_id_valid("AAAAAAAAAA%2fAAAAAAAAA"));
	cr_assert_not(store_id_valid("AAAAAAAAAA+AAAAAAAAAAA"));       /* base64, not base64url */
	cr_assert_not(store_id_valid("AAAAAAAAAA AAAAAAAAAAA"));
	memset(s, 'A', sizeof(s));
	s[22] = '\0';
	s[5] = '\0';
	cr_assert_not(store_id_valid(s));                              /* NUL inside */
	s[5] = (char)0xc3;
	cr_assert_not(store_id_valid(s));
}

/* Sessions ---------------------------------------------------------------------------------- */

Test(store, session_create_get_expire)
{
	struct store *st = open_store();
	struct store_session ses, got;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert(store_id_valid(ses.id));
	cr_assert_eq(ses.created_at, NOW);
	cr_assert_eq(ses.expires_at, NOW + TTL);
	cr_assert_eq(ses.ended_at, 0);

	memset(&got, 0, sizeof(got));
	cr_assert_eq(store_session_get(st, ses.id, NOW + TTL - 1, &got), STORE_OK);
	cr_assert_str_eq(got.id, ses.id);
	cr_assert_eq(got.created_at, NOW);
	cr_assert_eq(got.expires_at, NOW + TTL);
	cr_assert_eq(got.ended_at, 0);

	memset(&got, 0, sizeof(got));
	cr_assert_eq(store_session_get(st, ses.id, NOW + TTL, &got), STORE_GONE);
	cr_assert_str_eq(got.id, ses.id);                 /* filled even when gone */
	cr_assert_eq(got.expires_at, NOW + TTL);

	cr_assert_eq(store_session_get(st, "AAAAAAAAAAAAAAAAAAAAAA", NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_session_get(st, "../../etc/passwd", NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_session_get(st, NULL, NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_session_create(st, NOW, 0, &ses), STORE_INVALID);
	cr_assert_eq(store_session_create(st, INT64_MAX - 10, 11, &ses), STORE_INVALID);
	store_close(st);
}

Test(store, session_end_deletes_inputs_and_files)
{
	struct store *st = open_store();
	struct store_session ses, other, got;
	struct store_input a, b, c, g;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &other), STORE_OK);
	put(st, ses.id, "first", NOW, &a);
	put(st, ses.id, "second", NOW + 1, &b);
	put(st, other.id, "other", NOW, &c);
	cr_assert(exists(obj_path(a.id)));
	cr_assert(exists(obj_path(b.id)));

	cr_assert_eq(store_session_end(st, ses.id, NOW + 5), STORE_OK);
	cr_assert_eq(store_session_get(st, ses.id, NOW + 6, &got), STORE_GONE);
	cr_assert_eq(got.ended_at, NOW + 5);
	cr_assert_eq(store_input_get(st, a.id, &g), STORE_GONE);
	cr_assert_eq(g.deleted_at, NOW + 5);
	store_input_free(&g);
	cr_assert_eq(store_input_get(st, b.id, &g), STORE_GONE);
	store_input_free(&g);
	cr_assert_not(exists(obj_path(a.id)));
	cr_assert_not(exists(obj_path(b.id)));

	/* The other session is untouched. */
	cr_assert_eq(store_session_get(st, other.id, NOW + 6, &got), STORE_OK);
	cr_assert_eq(store_input_get(st, c.id, &g), STORE_OK);
	store_input_free(&g);
	cr_assert(exists(obj_path(c.id)));
	cr_assert_eq(count_objects(), 1);

	/* Again: fine, and the first end time stays. */
	cr_assert_eq(store_session_end(st, ses.id, NOW + 9), STORE_OK);
	cr_assert_eq(store_session_get(st, ses.id, NOW + 6, &got), STORE_GONE);
	cr_assert_eq(got.ended_at, NOW + 5);
	cr_assert_eq(store_session_end(st, "AAAAAAAAAAAAAAAAAAAAAA", NOW), STORE_NOT_FOUND);
	cr_assert_eq(store_session_end(st, "x", NOW), STORE_NOT_FOUND);
	store_input_free(&a);
	store_input_free(&b);
	store_input_free(&c);
	store_close(st);
}

/* Uploads ----------------------------------------------------------------------------------- */

Test(store, upload_pieces_commit)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input_meta m;
	struct store_upload *up = NULL;
	struct store_input in, got;
	char want[STORE_SHA256_HEX + 1], id[STORE_ID_CHARS + 1];
	size_t big_len = 300000, total, len;
	char *big, *all, *file;
	struct stat sb;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	big = malloc(big_len);
	cr_assert_not_null(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + (i >> 9));

	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	strcpy(id, store_upload_id(up));
	cr_assert(store_id_valid(id));
	cr_assert(exists(part_path(id)));
	cr_assert_eq(stat(part_path(id), &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(store_upload_write(up, "hello ", 6), STORE_OK);
	cr_assert_eq(store_upload_write(up, "", 0), STORE_OK);
	cr_assert_eq(store_upload_write(up, NULL, 0), STORE_OK);
	cr_assert_eq(store_upload_write(up, big, big_len), STORE_OK);
	cr_assert_eq(store_upload_write(up, "\0end", 4), STORE_OK);
	total = 6 + big_len + 4;
	cr_assert_eq(store_upload_size(up), total);

	all = malloc(total);
	memcpy(all, "hello ", 6);
	memcpy(all + 6, big, big_len);
	memcpy(all + 6 + big_len, "\0end", 4);
	sha256_hex(all, total, want);

	fill_meta(&m, ses.id, NOW + 2, NULL);
	cr_assert_eq(store_upload_commit(up, &m, &in), STORE_OK, "%s", store_errmsg(st));
	cr_assert_str_eq(in.id, id);
	cr_assert_str_eq(in.session, ses.id);
	cr_assert_eq(in.size, total);
	cr_assert_str_eq(in.sha256, want);
	cr_assert_str_eq(in.filename, "take 1.wav");
	cr_assert_eq(in.created_at, NOW + 2);
	cr_assert_eq(in.deleted_at, 0);

	file = slurp(obj_path(id), &len);
	cr_assert_eq(len, total);
	cr_assert_eq(memcmp(file, all, total), 0);
	cr_assert_eq(stat(obj_path(id), &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(sb.st_nlink, 1);                     /* the tmp name is gone */
	cr_assert_eq(count_entries(path_of("tmp")), 0);

	cr_assert_eq(store_input_get(st, id, &got), STORE_OK);
	cr_assert_str_eq(got.id, id);
	cr_assert_str_eq(got.session, ses.id);
	cr_assert_str_eq(got.kind, "audio");
	cr_assert_str_eq(got.content_type, "audio/wav");
	cr_assert_str_eq(got.filename, "take 1.wav");
	cr_assert_eq(got.size, total);
	cr_assert_str_eq(got.sha256, want);
	cr_assert_eq(got.created_at, NOW + 2);
	cr_assert_eq(got.deleted_at, 0);
	store_input_free(&got);
	store_input_free(&in);
	free(file);
	free(all);
	free(big);
	store_close(st);
}

Test(store, upload_empty_commit)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input_meta m;
	struct store_upload *up = NULL;
	struct store_input in, got;
	char want[STORE_SHA256_HEX + 1];
	struct stat sb;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	sha256_hex("", 0, want);
	cr_assert_str_eq(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	cr_assert_eq(store_upload_write(up, "", 0), STORE_OK);
	fill_meta(&m, ses.id, NOW, NULL);
	cr_assert_eq(store_upload_commit(up, &m, &in), STORE_OK);
	cr_assert_eq(in.size, 0);
	cr_assert_str_eq(in.sha256, want);
	cr_assert_eq(stat(obj_path(in.id), &sb), 0);
	cr_assert_eq(sb.st_size, 0);
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_OK);
	cr_assert_eq(got.size, 0);
	cr_assert_str_eq(got.sha256, want);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	store_input_free(&got);
	store_input_free(&in);
	store_close(st);
}

Test(store, upload_commit_out_null)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input_meta m;
	struct store_upload *up = NULL;
	char id[STORE_ID_CHARS + 1];

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	strcpy(id, store_upload_id(up));
	cr_assert_eq(store_upload_write(up, "abc", 3), STORE_OK);
	fill_meta(&m, ses.id, NOW, NULL);
	cr_assert_eq(store_upload_commit(up, &m, NULL), STORE_OK);
	cr_assert(exists(obj_path(id)));
	store_close(st);
}

Test(store, upload_abort_leaves_nothing)
{
	struct store *st = open_store();
	struct store_upload *up = NULL;
	struct store_input got;
	char id[STORE_ID_CHARS + 1];

	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	strcpy(id, store_upload_id(up));
	cr_assert_eq(store_upload_write(up, "some bytes", 10), STORE_OK);
	cr_assert_eq(count_entries(path_of("tmp")), 1);
	store_upload_abort(up);
	store_upload_abort(NULL);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_entries(path_of("objects")), 0);
	cr_assert_eq(store_input_get(st, id, &got), STORE_NOT_FOUND);
	store_close(st);
}

/* A commit that fails (unknown, ended or expired session; bad meta) leaves no file and no row. */
static void commit_fails(struct store *st, const struct store_input_meta *m, enum store_err want)
{
	struct store_upload *up = NULL;
	struct store_input in, got;
	char id[STORE_ID_CHARS + 1];

	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	strcpy(id, store_upload_id(up));
	cr_assert_eq(store_upload_write(up, "doomed", 6), STORE_OK);
	cr_assert_eq(store_upload_commit(up, m, &in), want);
	cr_assert_null(in.metadata_json);
	cr_assert_str_neq(store_errmsg(st), "no error");
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	cr_assert_eq(store_input_get(st, id, &got), STORE_NOT_FOUND);
}

Test(store, upload_commit_failures_leave_nothing)
{
	struct store *st = open_store();
	struct store_session ses, ended;
	struct store_input_meta m;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &ended), STORE_OK);
	cr_assert_eq(store_session_end(st, ended.id, NOW + 1), STORE_OK);

	fill_meta(&m, "AAAAAAAAAAAAAAAAAAAAAA", NOW, NULL);
	commit_fails(st, &m, STORE_NOT_FOUND);
	fill_meta(&m, ended.id, NOW + 2, NULL);
	commit_fails(st, &m, STORE_GONE);
	fill_meta(&m, ses.id, NOW + TTL, NULL);
	commit_fails(st, &m, STORE_GONE);
	fill_meta(&m, ses.id, NOW, NULL);
	memset(m.kind, 'a', sizeof(m.kind));                  /* not NUL-terminated */
	commit_fails(st, &m, STORE_INVALID);
	fill_meta(&m, "../AAAAAAAAAAAAAAAAAAA", NOW, NULL);
	commit_fails(st, &m, STORE_INVALID);
	commit_fails(st, NULL, STORE_INVALID);
	store_close(st);
}

/* Crash recovery ---------------------------------------------------------------------------- */

/* Leaves tmp/ID.part with text and, when with_obj, its link objects/XY/ID: a crash mid-commit. */
static void fake_leftover(const char *id, const char *text, int with_obj)
{
	char xy[64];

	write_file(part_path(id), text);
	if (with_obj) {
		snprintf(xy, sizeof(xy), "objects/%.2s", id);
		mkdir(path_of(xy), 0700);
		cr_assert_eq(link(part_path(id), obj_path(id)), 0, "%s", strerror(errno));
	}
}

Test(store, recover_tmp_and_object_without_row)
{
	struct store *st = open_store();
	char id[STORE_ID_CHARS + 1], id2[STORE_ID_CHARS + 1];

	store_close(st);
	cr_assert_eq(store_id_new(id), 0);
	cr_assert_eq(store_id_new(id2), 0);
	fake_leftover(id, "half", 1);                          /* crash between link and COMMIT */
	fake_leftover(id2, "partial", 0);                      /* crash while writing */
	cr_assert(exists(obj_path(id)));

	st = open_store();
	cr_assert_not(exists(part_path(id)));
	cr_assert_not(exists(obj_path(id)));
	cr_assert_not(exists(part_path(id2)));
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	store_close(st);
}

Test(store, recover_tmp_with_row_keeps_object)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in, got;
	size_t len;
	char *text;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "committed", NOW, &in);
	store_close(st);
	/* The crash came after COMMIT, before the tmp name was unlinked. */
	cr_assert_eq(link(obj_path(in.id), part_path(in.id)), 0);

	st = open_store();
	cr_assert_not(exists(part_path(in.id)));
	cr_assert(exists(obj_path(in.id)));
	text = slurp(obj_path(in.id), &len);
	cr_assert_str_eq(text, "committed");
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_OK);
	free(text);
	store_input_free(&got);
	store_input_free(&in);
	store_close(st);
}

Test(store, recover_leaves_locked_tmp_alone)
{
	struct store *st = open_store();
	char id[STORE_ID_CHARS + 1];
	int fd;

	store_close(st);
	cr_assert_eq(store_id_new(id), 0);
	fake_leftover(id, "in progress", 1);
	fd = open(part_path(id), O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0);                   /* a live writer */

	st = open_store();
	cr_assert(exists(part_path(id)));
	cr_assert(exists(obj_path(id)));
	store_close(st);

	close(fd);                                             /* the writer dies */
	st = open_store();
	cr_assert_not(exists(part_path(id)));
	cr_assert_not(exists(obj_path(id)));
	store_close(st);
}

Test(store, recover_ignores_other_names)
{
	struct store *st = open_store();
	char id[STORE_ID_CHARS + 1], name[64];

	store_close(st);
	cr_assert_eq(store_id_new(id), 0);
	write_file(path_of("tmp/notes.txt"), "keep");
	write_file(path_of("tmp/short.part"), "keep");
	snprintf(name, sizeof(name), "tmp/%s", id);            /* no .part */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/%s.partx", id);
	write_file(path_of(name), "keep");
	memcpy(name, "tmp/", 4);
	memcpy(name + 4, "AAAAAAAAAAAAAAAAAAAAA.", 22);        /* '.' where the id has to be */
	strcpy(name + 26, ".part");
	write_file(path_of(name), "keep");

	st = open_store();
	cr_assert_eq(count_entries(path_of("tmp")), 5);
	store_close(st);
}

/* Inputs ------------------------------------------------------------------------------------ */

Test(store, input_get_delete)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in, got;
	int fd = 7;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "to delete", NOW, &in);
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_OK);
	store_input_free(&got);

	cr_assert_eq(store_input_delete(st, in.id, NOW + 3), STORE_OK);
	cr_assert_not(exists(obj_path(in.id)));
	memset(&got, 0, sizeof(got));
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_GONE);
	cr_assert_str_eq(got.id, in.id);
	cr_assert_eq(got.deleted_at, NOW + 3);
	cr_assert_eq(store_input_open(st, &got, &fd), STORE_GONE);
	cr_assert_eq(fd, -1);
	store_input_free(&got);
	/* A stale struct from before the delete. */
	cr_assert_eq(store_input_open(st, &in, &fd), STORE_GONE);

	cr_assert_eq(store_input_delete(st, in.id, NOW + 4), STORE_GONE);
	cr_assert_eq(store_input_delete(st, "AAAAAAAAAAAAAAAAAAAAAA", NOW), STORE_NOT_FOUND);
	cr_assert_eq(store_input_delete(st, "a/b", NOW), STORE_NOT_FOUND);
	cr_assert_eq(store_input_get(st, "AAAAAAAAAAAAAAAAAAAAAA", &got), STORE_NOT_FOUND);
	cr_assert_eq(store_input_get(st, "../index.sqlite", &got), STORE_NOT_FOUND);
	store_input_free(&in);
	store_close(st);
}

Test(store, input_open_reads_and_detects_missing_file)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in, bad;
	char buf[32];
	int fd = -1, flags;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "payload", NOW, &in);
	cr_assert_eq(store_input_open(st, &in, &fd), STORE_OK);
	cr_assert_geq(fd, 0);
	flags = fcntl(fd, F_GETFD);
	cr_assert(flags & FD_CLOEXEC);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 7);
	cr_assert_eq(memcmp(buf, "payload", 7), 0);
	close(fd);

	bad = in;
	strcpy(bad.id, "../../../../etc/passwd");
	cr_assert_eq(store_input_open(st, &bad, &fd), STORE_INVALID);

	cr_assert_eq(unlink(obj_path(in.id)), 0);
	cr_assert_eq(store_input_open(st, &in, &fd), STORE_IO);
	cr_assert_eq(fd, -1);
	cr_assert_eq(errno, ENOENT);
	store_input_free(&in);
	store_close(st);
}

struct seen {
	int  n;
	int  stop_after;
	char ids[8][STORE_ID_CHARS + 1];
	char text[8][16];
};

static int collect(void *ctx, const struct store_input *in)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	strcpy(s->ids[s->n], in->id);
	cr_assert_str_eq(in->metadata_json, "{}");
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

Test(store, input_list_live_oldest_first)
{
	struct store *st = open_store();
	struct store_session ses, other;
	struct store_input a, b, c, d, e;
	struct seen seen;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &other), STORE_OK);
	put(st, ses.id, "c", NOW + 30, &c);
	put(st, ses.id, "a", NOW + 10, &a);
	put(st, ses.id, "b", NOW + 20, &b);
	put(st, ses.id, "d", NOW + 30, &d);                   /* same second as c, added after */
	put(st, other.id, "e", NOW, &e);
	cr_assert_eq(store_input_delete(st, b.id, NOW + 40), STORE_OK);

	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(store_input_list(st, ses.id, collect, &seen), STORE_OK);
	cr_assert_eq(seen.n, 3);
	cr_assert_str_eq(seen.ids[0], a.id);
	cr_assert_str_eq(seen.ids[1], c.id);
	cr_assert_str_eq(seen.ids[2], d.id);

	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	cr_assert_eq(store_input_list(st, ses.id, collect, &seen), STORE_OK);
	cr_assert_eq(seen.n, 1);

	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(store_input_list(st, other.id, collect, &seen), STORE_OK);
	cr_assert_eq(seen.n, 1);
	cr_assert_str_eq(seen.ids[0], e.id);

	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(store_input_list(st, "AAAAAAAAAAAAAAAAAAAAAA", collect, &seen), STORE_OK);
	cr_assert_eq(seen.n, 0);
	cr_assert_eq(store_input_list(st, "nope", collect, &seen), STORE_NOT_FOUND);
	store_input_free(&a);
	store_input_free(&b);
	store_input_free(&c);
	store_input_free(&d);
	store_input_free(&e);
	store_close(st);
}

/* A listing whose callback lists again (and reads) must not disturb the outer walk. */
struct nested {
	struct store *st;
	const char   *session;
	int           outer, inner;
};

static int count_inner(void *ctx, const struct store_input *in)
{
	((struct nested *)ctx)->inner++;
	return 0;
}

static int list_again(void *ctx, const struct store_input *in)
{
	struct nested *n = ctx;
	struct store_input got;

	n->outer++;
	cr_assert_eq(store_input_list(n->st, n->session, count_inner, n), STORE_OK);
	cr_assert_eq(store_input_get(n->st, in->id, &got), STORE_OK);
	store_input_free(&got);
	return 0;
}

Test(store, input_list_nested)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input a, b;
	struct nested n = { st, NULL, 0, 0 };

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "a", NOW, &a);
	put(st, ses.id, "b", NOW + 1, &b);
	n.session = ses.id;
	cr_assert_eq(store_input_list(st, ses.id, list_again, &n), STORE_OK);
	cr_assert_eq(n.outer, 2);
	cr_assert_eq(n.inner, 4);
	store_input_free(&a);
	store_input_free(&b);
	store_close(st);
}

Test(store, metadata_round_trip)
{
	static const char json[] = "{\"duration\":1.5,\"tags\":[\"a\",\"\\u00e9\"],\"n\":null}";
	struct store *st = open_store();
	struct store_session ses;
	struct store_input_meta m;
	struct store_upload *up = NULL;
	struct store_input in, got;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	fill_meta(&m, ses.id, NOW, json);
	cr_assert_eq(store_upload_commit(up, &m, &in), STORE_OK);
	cr_assert_str_eq(in.metadata_json, json);
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_OK);
	cr_assert_str_eq(got.metadata_json, json);
	store_input_free(&got);
	cr_assert_null(got.metadata_json);
	store_input_free(&in);

	put(st, ses.id, "no metadata", NOW, &in);
	cr_assert_str_eq(in.metadata_json, "{}");
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_OK);
	cr_assert_str_eq(got.metadata_json, "{}");
	store_input_free(&got);
	store_input_free(&in);
	store_input_free(NULL);
	store_close(st);
}
