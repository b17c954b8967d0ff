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
#include <sys/wait.h>
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
	cr_assert_eq(query_int(db, "PRAGMA user_version"), 2);
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

/* Uploads: probing what was written ---------------------------------------------------------- */

Test(store, upload_fd_reads_back_what_was_written)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input_meta m;
	struct store_upload *up = NULL;
	struct store_input in;
	char buf[32], *file;
	size_t len;
	int fd;

	cr_assert_eq(store_upload_fd(NULL), -1);
	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	fd = store_upload_fd(up);
	cr_assert_geq(fd, 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(store_upload_write(up, "RIFF", 4), STORE_OK);
	cr_assert_eq(store_upload_write(up, "....WAVE", 8), STORE_OK);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(pread(fd, buf, sizeof(buf), 0), 12, "%s", strerror(errno));
	cr_assert_eq(memcmp(buf, "RIFF....WAVE", 12), 0);
	cr_assert_eq(pread(fd, buf, 4, 8), 4);
	cr_assert_eq(memcmp(buf, "WAVE", 4), 0);

	/* pread moved no offset: later writes still append. */
	cr_assert_eq(store_upload_write(up, "fmt ", 4), STORE_OK);
	fill_meta(&m, ses.id, NOW, NULL);
	cr_assert_eq(store_upload_commit(up, &m, &in), STORE_OK);
	file = slurp(obj_path(in.id), &len);
	cr_assert_eq(len, 16);
	cr_assert_str_eq(file, "RIFF....WAVEfmt ");
	free(file);
	store_input_free(&in);
	store_close(st);
}

/* Derived representations ------------------------------------------------------------------- */

static const char *derived_path(const char *id, const char *variant)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "objects/%.2s/%s.%s", id, id, variant);
	return path_of(rel);
}

static void write_all(int fd, const char *text)
{
	size_t len = strlen(text);

	cr_assert_eq(write(fd, text, len), (ssize_t)len, "%s", strerror(errno));
}

/* Begins, writes text and commits a derived file; returns what the commit said. */
static enum store_err make_derived(struct store *st, const char *id, const char *variant,
                                   const char *text)
{
	struct store_derived *d = NULL;
	int fd = -1;

	cr_assert_eq(store_derived_begin(st, id, variant, &d, &fd), STORE_OK, "%s",
	             store_errmsg(st));
	cr_assert_not_null(d);
	cr_assert_geq(fd, 0);
	write_all(fd, text);
	return store_derived_commit(d);
}

/* The whole content of fd from offset 0, NUL-terminated, in buf[bufsz]. */
static void read_fd(int fd, char *buf, size_t bufsz)
{
	ssize_t n = pread(fd, buf, bufsz - 1, 0);

	cr_assert_geq(n, 0, "%s", strerror(errno));
	buf[n] = '\0';
}

/* The one entry of tmp/, in name[namesz]; fails unless there is exactly one. */
static void only_tmp_entry(char *name, size_t namesz)
{
	struct dirent *de;
	DIR *d = opendir(path_of("tmp"));
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cr_assert_lt(strlen(de->d_name), 100);
		snprintf(name, namesz, "%.100s", de->d_name);
		n++;
	}
	closedir(d);
	cr_assert_eq(n, 1);
}

Test(store, derived_round_trip)
{
	static const char text[] = "RIFF derived bytes";
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in;
	struct store_derived *d = NULL;
	char name[128], prefix[64], rel[128], buf[64];
	struct stat sb;
	int fd = -1, rfd = 7, probe;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_NOT_FOUND);
	cr_assert_eq(rfd, -1);

	cr_assert_eq(store_derived_begin(st, in.id, "wav", &d, &fd), STORE_OK);
	cr_assert_geq(fd, 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* tmp/ID.wav.RAND.dpart, 0600, locked by its maker. */
	only_tmp_entry(name, sizeof(name));
	snprintf(prefix, sizeof(prefix), "%s.wav.", in.id);
	cr_assert_eq(strncmp(name, prefix, strlen(prefix)), 0, "%s", name);
	cr_assert_eq(strlen(name), strlen(prefix) + 8 + strlen(".dpart"), "%s", name);
	cr_assert_str_eq(name + strlen(name) - 6, ".dpart");
	snprintf(rel, sizeof(rel), "tmp/%.100s", name);
	cr_assert_eq(stat(path_of(rel), &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	probe = open(path_of(rel), O_RDONLY);
	cr_assert_geq(probe, 0);
	cr_assert_eq(flock(probe, LOCK_EX | LOCK_NB), -1);
	cr_assert_eq(errno, EWOULDBLOCK);
	close(probe);

	write_all(fd, text);
	/* Not visible before the commit. */
	cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_NOT_FOUND);
	cr_assert_not(exists(derived_path(in.id, "wav")));
	cr_assert_eq(store_derived_commit(d), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(stat(derived_path(in.id, "wav"), &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(sb.st_nlink, 1);

	cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_OK);
	cr_assert_geq(rfd, 0);
	cr_assert(fcntl(rfd, F_GETFD) & FD_CLOEXEC);
	read_fd(rfd, buf, sizeof(buf));
	cr_assert_str_eq(buf, text);
	close(rfd);
	/* Another variant is another file; the input itself is untouched. */
	cr_assert_eq(store_derived_open(st, in.id, "wav16000_1", &rfd), STORE_NOT_FOUND);
	cr_assert_eq(store_input_open(st, &in, &rfd), STORE_OK);
	read_fd(rfd, buf, sizeof(buf));
	cr_assert_str_eq(buf, "original");
	close(rfd);
	cr_assert_eq(count_objects(), 2);
	store_input_free(&in);
	store_close(st);
}

Test(store, derived_remade_replaces)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in;
	char buf[64];
	int rfd = -1;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(make_derived(st, in.id, "png", "first version"), STORE_OK);
	cr_assert_eq(make_derived(st, in.id, "png", "second"), STORE_OK);
	cr_assert_eq(store_derived_open(st, in.id, "png", &rfd), STORE_OK);
	read_fd(rfd, buf, sizeof(buf));
	cr_assert_str_eq(buf, "second");
	close(rfd);
	cr_assert_eq(count_objects(), 2);
	store_input_free(&in);
	store_close(st);
}

Test(store, derived_abort_leaves_nothing)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in;
	struct store_derived *d = NULL;
	int fd = -1, rfd;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(store_derived_begin(st, in.id, "wav", &d, &fd), STORE_OK);
	write_all(fd, "half a decode");
	cr_assert_eq(count_entries(path_of("tmp")), 1);
	store_derived_abort(d);
	store_derived_abort(NULL);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 1);
	cr_assert_not(exists(derived_path(in.id, "wav")));
	cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_NOT_FOUND);
	store_input_free(&in);
	store_close(st);
}

Test(store, derived_commit_unknown_input_leaves_nothing)
{
	struct store *st = open_store();
	char id[STORE_ID_CHARS + 1];
	int rfd;

	cr_assert_eq(store_id_new(id), 0);
	cr_assert_eq(make_derived(st, id, "wav", "orphan"), STORE_NOT_FOUND);
	cr_assert_str_neq(store_errmsg(st), "no error");
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	cr_assert_eq(store_derived_open(st, id, "wav", &rfd), STORE_NOT_FOUND);
	store_close(st);
}

/* An upload may make its derived file before its commit, and commit that after its own. */
Test(store, derived_made_during_upload)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input_meta m;
	struct store_upload *up = NULL;
	struct store_derived *early = NULL, *d = NULL;
	char id[STORE_ID_CHARS + 1], buf[64];
	int fd = -1, rfd = -1;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	strcpy(id, store_upload_id(up));
	cr_assert_eq(store_upload_write(up, "OggS...", 7), STORE_OK);

	/* Committed before the input has a row: refused, and nothing left of it. */
	cr_assert_eq(store_derived_begin(st, id, "wav", &early, &fd), STORE_OK);
	write_all(fd, "too early");
	cr_assert_eq(store_derived_commit(early), STORE_NOT_FOUND);
	cr_assert_eq(count_entries(path_of("tmp")), 1);                 /* the upload's .part */

	cr_assert_eq(store_derived_begin(st, id, "wav", &d, &fd), STORE_OK);
	write_all(fd, "decoded");
	fill_meta(&m, ses.id, NOW, NULL);
	cr_assert_eq(store_upload_commit(up, &m, NULL), STORE_OK);
	cr_assert_eq(store_derived_commit(d), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(store_derived_open(st, id, "wav", &rfd), STORE_OK);
	read_fd(rfd, buf, sizeof(buf));
	cr_assert_str_eq(buf, "decoded");
	close(rfd);
	store_close(st);
}

Test(store, derived_commit_after_delete_is_gone)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in;
	struct store_derived *d = NULL;
	int fd = -1, rfd;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(store_derived_begin(st, in.id, "wav", &d, &fd), STORE_OK);
	write_all(fd, "late");
	cr_assert_eq(store_input_delete(st, in.id, NOW + 1), STORE_OK);
	cr_assert_eq(store_derived_commit(d), STORE_GONE);
	cr_assert_str_neq(store_errmsg(st), "no error");
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_NOT_FOUND);

	/* A fresh begin for the deleted input fares no better. */
	cr_assert_eq(make_derived(st, in.id, "wav", "later"), STORE_GONE);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	store_input_free(&in);
	store_close(st);
}

/* Adds a row for a crafted id (the store only makes random ones) and its object file. */
static void craft_input(const char *id, const char *session)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	cr_assert_eq(sqlite3_open_v2(path_of("index.sqlite"), &db, SQLITE_OPEN_READWRITE, NULL),
	             SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO inputs(id, session_id, kind, content_type,"
	                                " filename, size, sha256, created_at)"
	                                " VALUES (?1, ?2, 'audio', 'audio/wav', 'b.wav', 1, ?3, ?4)",
	                                -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, session, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, "0000000000000000000000000000000000000000000000000000000000000000",
	                  -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, NOW);
	cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	write_file(obj_path(id), "b");
}

Test(store, delete_removes_derived_files_of_that_input_only)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input a, got;
	char b[STORE_ID_CHARS + 1], c[STORE_ID_CHARS + 1], xy[64];
	int rfd = -1;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "input a", NOW, &a);
	/* b differs from a in its last character only, c in its third: same XY folder. */
	strcpy(b, a.id);
	b[STORE_ID_CHARS - 1] = b[STORE_ID_CHARS - 1] == 'A' ? 'B' : 'A';
	strcpy(c, a.id);
	c[2] = c[2] == 'A' ? 'B' : 'A';
	craft_input(b, ses.id);
	craft_input(c, ses.id);
	cr_assert_eq(store_input_get(st, b, &got), STORE_OK);
	store_input_free(&got);

	cr_assert_eq(make_derived(st, a.id, "wav", "a wav"), STORE_OK);
	cr_assert_eq(make_derived(st, a.id, "wav16000_1", "a 16k"), STORE_OK);
	cr_assert_eq(make_derived(st, b, "wav", "b wav"), STORE_OK);
	cr_assert_eq(make_derived(st, c, "png", "c png"), STORE_OK);
	snprintf(xy, sizeof(xy), "objects/%.2s", a.id);
	cr_assert_eq(count_entries(path_of(xy)), 7);

	cr_assert_eq(store_input_delete(st, a.id, NOW + 1), STORE_OK);
	cr_assert_not(exists(obj_path(a.id)));
	cr_assert_not(exists(derived_path(a.id, "wav")));
	cr_assert_not(exists(derived_path(a.id, "wav16000_1")));
	cr_assert(exists(obj_path(b)));
	cr_assert(exists(derived_path(b, "wav")));
	cr_assert(exists(obj_path(c)));
	cr_assert(exists(derived_path(c, "png")));
	cr_assert_eq(count_entries(path_of(xy)), 4);
	cr_assert_eq(store_derived_open(st, b, "wav", &rfd), STORE_OK);
	close(rfd);

	cr_assert_eq(store_input_delete(st, b, NOW + 2), STORE_OK);
	cr_assert_eq(count_entries(path_of(xy)), 2);
	cr_assert(exists(derived_path(c, "png")));
	store_input_free(&a);
	store_close(st);
}

Test(store, session_end_removes_derived_files)
{
	struct store *st = open_store();
	struct store_session ses, other;
	struct store_input a, b, c;
	int rfd = -1;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &other), STORE_OK);
	put(st, ses.id, "a", NOW, &a);
	put(st, ses.id, "b", NOW, &b);
	put(st, other.id, "c", NOW, &c);
	cr_assert_eq(make_derived(st, a.id, "wav", "a wav"), STORE_OK);
	cr_assert_eq(make_derived(st, a.id, "png", "a png"), STORE_OK);
	cr_assert_eq(make_derived(st, b.id, "wav", "b wav"), STORE_OK);
	cr_assert_eq(make_derived(st, c.id, "wav", "c wav"), STORE_OK);
	cr_assert_eq(count_objects(), 7);

	cr_assert_eq(store_session_end(st, ses.id, NOW + 1), STORE_OK);
	cr_assert_not(exists(derived_path(a.id, "wav")));
	cr_assert_not(exists(derived_path(a.id, "png")));
	cr_assert_not(exists(derived_path(b.id, "wav")));
	cr_assert_eq(store_derived_open(st, a.id, "wav", &rfd), STORE_NOT_FOUND);
	cr_assert(exists(obj_path(c.id)));
	cr_assert(exists(derived_path(c.id, "wav")));
	cr_assert_eq(count_objects(), 2);
	store_input_free(&a);
	store_input_free(&b);
	store_input_free(&c);
	store_close(st);
}

Test(store, recover_removes_dead_dpart_keeps_locked)
{
	struct store *st = open_store(), *other;
	struct store_session ses;
	struct store_input in;
	struct store_derived *live = NULL;
	char dead[96], locked[96], longest[128], name[96], v32[33];
	int fd, lfd = -1, rfd;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	store_close(st);

	/* Two crash leftovers and one whose maker still lives (it holds the lock). */
	snprintf(dead, sizeof(dead), "tmp/%s.wav.Ab-_x9Z0.dpart", in.id);
	write_file(path_of(dead), "dead maker");
	memset(v32, 'v', 32);
	v32[32] = '\0';
	snprintf(longest, sizeof(longest), "tmp/%s.%s.AAAAAAAA.dpart", in.id, v32);
	write_file(path_of(longest), "dead maker, longest variant");
	snprintf(locked, sizeof(locked), "tmp/%s.png.QQQQQQQQ.dpart", in.id);
	write_file(path_of(locked), "live maker");
	fd = open(path_of(locked), O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	/* Names that are not ours: kept. */
	snprintf(name, sizeof(name), "tmp/%s.wav.dpart", in.id);              /* no RAND */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/%s.WAV.AAAAAAAA.dpart", in.id);     /* bad variant */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/%s.wav.AAAAAAA.dpart", in.id);      /* short RAND */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/%s.wav.AAAA.AAA.dpart", in.id);     /* '.' in RAND */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/%s.%sv.AAAAAAAA.dpart", in.id, v32);  /* 33 chars */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/AAAAAAAAAAAAAAAAAAAAA.wav.AAAAAAAA.dpart");  /* id 21 */
	write_file(path_of(name), "keep");
	snprintf(name, sizeof(name), "tmp/%s.wav.AAAAAAAA.dpartx", in.id);
	write_file(path_of(name), "keep");

	st = open_store();
	cr_assert_not(exists(path_of(dead)));
	cr_assert_not(exists(path_of(longest)));
	cr_assert(exists(path_of(locked)));
	cr_assert_eq(count_entries(path_of("tmp")), 8);
	cr_assert_eq(count_objects(), 1);                                    /* the input stays */

	/* A maker of this process is alive too: another opener leaves its file alone. */
	cr_assert_eq(store_derived_begin(st, in.id, "wav", &live, &lfd), STORE_OK);
	write_all(lfd, "being made");
	other = open_store();
	cr_assert_eq(count_entries(path_of("tmp")), 9);
	cr_assert_eq(store_derived_commit(live), STORE_OK);
	cr_assert_eq(store_derived_open(other, in.id, "wav", &rfd), STORE_OK);
	close(rfd);
	store_close(other);
	store_close(st);

	close(fd);                                                           /* that maker dies */
	st = open_store();
	cr_assert_not(exists(path_of(locked)));
	cr_assert_eq(count_entries(path_of("tmp")), 7);
	cr_assert(exists(derived_path(in.id, "wav")));
	store_input_free(&in);
	store_close(st);
}

Test(store, derived_two_makers_of_one_variant)
{
	static const char text[] = "the same decoded bytes";
	struct store *st = open_store(), *st2 = open_store();
	struct store_session ses;
	struct store_input in;
	struct store_derived *d1 = NULL, *d2 = NULL;
	char xy[64], buf[64];
	int fd1 = -1, fd2 = -1, rfd = -1;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(store_derived_begin(st, in.id, "wav", &d1, &fd1), STORE_OK);
	cr_assert_eq(store_derived_begin(st2, in.id, "wav", &d2, &fd2), STORE_OK);
	cr_assert_neq(fd1, fd2);
	cr_assert_eq(count_entries(path_of("tmp")), 2);                   /* distinct RAND */
	write_all(fd1, text);
	write_all(fd2, text);
	cr_assert_eq(store_derived_commit(d2), STORE_OK);
	cr_assert_eq(store_derived_commit(d1), STORE_OK);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	snprintf(xy, sizeof(xy), "objects/%.2s", in.id);
	cr_assert_eq(count_entries(path_of(xy)), 2);                      /* input + one derived */
	cr_assert_eq(store_derived_open(st2, in.id, "wav", &rfd), STORE_OK);
	read_fd(rfd, buf, sizeof(buf));
	cr_assert_str_eq(buf, text);
	close(rfd);
	store_input_free(&in);
	store_close(st2);
	store_close(st);
}

/*
 * A test seam: store.c's call to renameat resolves to this definition (the executable's symbol
 * wins over libc's), which can first run a delete through another connection. That is the
 * interleaving a real race rarely hits: the delete commits right after store_derived_commit
 * checked the input, and its scan of objects/XY runs before the rename. store.c keeps no
 * file-scope state, so glibc declaring renameat a leaf function changes nothing there.
 */
static struct store *race_st;   /* when set, the next renameat deletes race_id through it */
static const char   *race_id;
static int           race_renames;

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	struct store *s = race_st;

	race_renames++;
	if (s != NULL) {
		race_st = NULL;
		cr_assert_eq(store_input_delete(s, race_id, NOW + 1), STORE_OK, "%s",
		             store_errmsg(s));
	}
	return renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

Test(store, derived_commit_deleted_during_commit_is_gone)
{
	struct store *st = open_store(), *deleter = open_store();
	struct store_session ses;
	struct store_input in, got;
	struct store_derived *d = NULL;
	int fd = -1, rfd;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(make_derived(st, in.id, "png", "made earlier"), STORE_OK);
	cr_assert_eq(store_derived_begin(st, in.id, "wav", &d, &fd), STORE_OK);
	write_all(fd, "made while deleted");
	race_renames = 0;
	race_id = in.id;
	race_st = deleter;
	cr_assert_eq(store_derived_commit(d), STORE_GONE);
	cr_assert_eq(race_renames, 1);                     /* the delete ran inside the commit */
	cr_assert_null(race_st);
	cr_assert_eq(store_input_get(st, in.id, &got), STORE_GONE);
	store_input_free(&got);
	cr_assert_not(exists(derived_path(in.id, "wav")));
	cr_assert_not(exists(derived_path(in.id, "png")));
	cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_NOT_FOUND);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	store_input_free(&in);
	store_close(deleter);
	store_close(st);
}

/*
 * Deletes racing commits, in two processes: whatever the interleaving, once both are done no
 * derived file of the deleted input may remain. The child opens its own store after fork (an
 * SQLite connection must not cross a fork) and deletes each id the parent sends.
 */
Test(store, derived_commit_racing_delete_leaves_nothing)
{
	enum { ROUNDS = 40 };
	int to_child[2], to_parent[2], i, status, ok = 0, gone = 0;
	pid_t pid;

	cr_assert_eq(pipe(to_child), 0);
	cr_assert_eq(pipe(to_parent), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct store *cst = NULL;
		char id[STORE_ID_CHARS + 1];
		char r;

		close(to_child[1]);
		close(to_parent[0]);
		if (store_open(dir, &cst) != STORE_OK)
			_exit(2);
		while (read(to_child[0], id, sizeof(id)) == (ssize_t)sizeof(id)) {
			r = store_input_delete(cst, id, NOW + 1) == STORE_OK ? 'y' : 'n';
			if (write(to_parent[1], &r, 1) != 1)
				_exit(3);
		}
		store_close(cst);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);

	struct store *st = open_store();
	struct store_session ses;
	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	for (i = 0; i < ROUNDS; i++) {
		struct store_input in;
		struct store_derived *d = NULL;
		enum store_err rc;
		char r = 0;
		int fd = -1, rfd = -1;

		put(st, ses.id, "original", NOW, &in);
		cr_assert_eq(store_derived_begin(st, in.id, "wav", &d, &fd), STORE_OK);
		write_all(fd, "derived");
		cr_assert_eq(write(to_child[1], in.id, sizeof(in.id)), (ssize_t)sizeof(in.id));
		rc = store_derived_commit(d);
		cr_assert(rc == STORE_OK || rc == STORE_GONE, "commit: %d %s", rc,
		          store_errmsg(st));
		ok += rc == STORE_OK;
		gone += rc == STORE_GONE;
		cr_assert_eq(read(to_parent[0], &r, 1), 1);
		cr_assert_eq(r, 'y');
		cr_assert_not(exists(derived_path(in.id, "wav")), "round %d: %s", i,
		              rc == STORE_OK ? "committed" : "gone");
		cr_assert_eq(store_derived_open(st, in.id, "wav", &rfd), STORE_NOT_FOUND);
		store_input_free(&in);
	}
	close(to_child[1]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	cr_assert_eq(ok + gone, ROUNDS);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 0);
	store_close(st);
}

Test(store, variant_valid_cases)
{
	char v[40];

	cr_assert(store_variant_valid("wav"));
	cr_assert(store_variant_valid("a"));
	cr_assert(store_variant_valid("0"));
	cr_assert(store_variant_valid("_"));
	cr_assert(store_variant_valid("wav16000_1"));
	cr_assert(store_variant_valid("abcdefghijklmnopqrstuvwxyz_0189"));
	memset(v, 'x', sizeof(v));
	v[32] = '\0';
	cr_assert(store_variant_valid(v));                        /* 32 */
	v[32] = 'x';
	v[33] = '\0';
	cr_assert_not(store_variant_valid(v));                    /* 33 */
	cr_assert_not(store_variant_valid(NULL));
	cr_assert_not(store_variant_valid(""));
	cr_assert_not(store_variant_valid("WAV"));
	cr_assert_not(store_variant_valid("wav.png"));
	cr_assert_not(store_variant_valid("../x"));
	cr_assert_not(store_variant_valid("a/b"));
	cr_assert_not(store_variant_valid("a-b"));
	cr_assert_not(store_variant_valid("a b"));
	cr_assert_not(store_variant_valid("wav\n"));
	cr_assert_not(store_variant_valid("\xc3\xa9"));
}

Test(store, derived_rejects_bad_id_and_variant)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input in;
	struct store_derived *d = (struct store_derived *)1;
	int fd = 7;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	put(st, ses.id, "original", NOW, &in);
	cr_assert_eq(store_derived_open(st, "../../index.sqlite", "wav", &fd), STORE_INVALID);
	cr_assert_eq(fd, -1);
	cr_assert_eq(store_derived_open(st, in.id, "../x", &fd), STORE_INVALID);
	cr_assert_eq(store_derived_open(st, in.id, "", &fd), STORE_INVALID);
	cr_assert_eq(store_derived_open(st, in.id, NULL, &fd), STORE_INVALID);
	cr_assert_eq(store_derived_open(NULL, in.id, "wav", &fd), STORE_INVALID);
	cr_assert_eq(store_derived_open(st, in.id, "wav", NULL), STORE_INVALID);
	fd = 7;
	cr_assert_eq(store_derived_begin(st, "AAAA", "wav", &d, &fd), STORE_INVALID);
	cr_assert_null(d);
	cr_assert_eq(fd, -1);
	cr_assert_eq(store_derived_begin(st, in.id, "W", &d, &fd), STORE_INVALID);
	cr_assert_eq(store_derived_begin(st, in.id, "wav", NULL, &fd), STORE_INVALID);
	cr_assert_eq(store_derived_begin(st, in.id, "wav", &d, NULL), STORE_INVALID);
	cr_assert_eq(store_derived_commit(NULL), STORE_INVALID);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_objects(), 1);

	/* A symbolic link in place of a derived file is not followed. */
	cr_assert_eq(symlink(obj_path(in.id), derived_path(in.id, "wav")), 0);
	cr_assert_eq(store_derived_open(st, in.id, "wav", &fd), STORE_IO);
	cr_assert_eq(errno, ELOOP);
	cr_assert_eq(fd, -1);
	store_input_free(&in);
	store_close(st);
}

/* Quotas ------------------------------------------------------------------------------------ */

Test(store, session_usage_counts_live_inputs)
{
	struct store *st = open_store();
	struct store_session ses, other;
	struct store_input a, b, c;
	uint64_t bytes = 99, count = 99;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &other), STORE_OK);
	cr_assert_eq(store_session_usage(st, ses.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(count, 0);
	put(st, ses.id, "12345", NOW, &a);
	put(st, ses.id, "1234567890", NOW, &b);
	put(st, other.id, "elsewhere", NOW, &c);
	cr_assert_eq(store_session_usage(st, ses.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 15);
	cr_assert_eq(count, 2);
	cr_assert_eq(store_input_delete(st, b.id, NOW + 1), STORE_OK);
	cr_assert_eq(store_session_usage(st, ses.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 5);
	cr_assert_eq(count, 1);
	cr_assert_eq(store_session_usage(st, other.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 9);
	cr_assert_eq(count, 1);
	cr_assert_eq(store_session_end(st, ses.id, NOW + 2), STORE_OK);
	cr_assert_eq(store_session_usage(st, ses.id, &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(count, 0);

	/* Unknown: nothing used; malformed: not found; missing outputs: invalid. */
	bytes = count = 7;
	cr_assert_eq(store_session_usage(st, "AAAAAAAAAAAAAAAAAAAAAA", &bytes, &count), STORE_OK);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(count, 0);
	bytes = count = 7;
	cr_assert_eq(store_session_usage(st, "../x", &bytes, &count), STORE_NOT_FOUND);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(count, 0);
	cr_assert_eq(store_session_usage(st, ses.id, NULL, &count), STORE_INVALID);
	cr_assert_eq(store_session_usage(st, ses.id, &bytes, NULL), STORE_INVALID);
	cr_assert_eq(store_session_usage(NULL, ses.id, &bytes, &count), STORE_INVALID);
	store_input_free(&a);
	store_input_free(&b);
	store_input_free(&c);
	store_close(st);
}

/* Begins an upload of text into session with the quota given; returns what the commit said. */
static enum store_err put_quota(struct store *st, const char *session, const char *text,
                                uint64_t max_bytes, uint64_t max_inputs)
{
	struct store_input_meta m;
	struct store_upload *up = NULL;

	fill_meta(&m, session, NOW, NULL);
	m.max_bytes = max_bytes;
	m.max_inputs = max_inputs;
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	cr_assert_eq(store_upload_write(up, text, strlen(text)), STORE_OK);
	return store_upload_commit(up, &m, NULL);
}

static int64_t count_rows(const char *sql)
{
	sqlite3 *db;
	int64_t n;

	cr_assert_eq(sqlite3_open_v2(path_of("index.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	n = query_int(db, sql);
	sqlite3_close(db);
	return n;
}

Test(store, commit_quota_inputs_and_bytes)
{
	struct store *st = open_store();
	struct store_session ses, other;
	struct store_input in;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &other), STORE_OK);
	/* At most 2 inputs. */
	cr_assert_eq(put_quota(st, ses.id, "one", 0, 2), STORE_OK);
	cr_assert_eq(put_quota(st, ses.id, "two", 0, 2), STORE_OK);
	cr_assert_eq(put_quota(st, ses.id, "three", 0, 2), STORE_QUOTA);
	cr_assert_not_null(strstr(store_errmsg(st), "inputs"), "%s", store_errmsg(st));
	cr_assert_eq(count_objects(), 2);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), 2);
	/* Per session: another one is not affected. */
	cr_assert_eq(put_quota(st, other.id, "three", 0, 2), STORE_OK);

	/* At most 10 bytes: 6 used, 4 more fit exactly, 1 more does not. */
	cr_assert_eq(put_quota(st, ses.id, "abcd", 10, 0), STORE_OK);
	cr_assert_eq(put_quota(st, ses.id, "x", 10, 0), STORE_QUOTA);
	cr_assert_not_null(strstr(store_errmsg(st), "bytes"), "%s", store_errmsg(st));
	/* Already over a smaller quota: even an empty input is refused. */
	cr_assert_eq(put_quota(st, ses.id, "", 5, 0), STORE_QUOTA);
	cr_assert_eq(put_quota(st, ses.id, "", 10, 0), STORE_OK);
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), 5);
	cr_assert_eq(count_entries(path_of("tmp")), 0);

	/* Deleting frees room. */
	put(st, ses.id, "0123456789", NOW, &in);
	cr_assert_eq(put_quota(st, ses.id, "y", 20, 0), STORE_QUOTA);
	cr_assert_eq(store_input_delete(st, in.id, NOW + 1), STORE_OK);
	cr_assert_eq(put_quota(st, ses.id, "y", 20, 0), STORE_OK);
	store_input_free(&in);
	store_close(st);
}

/*
 * Quota races: uploads of one session in several processes, all begun before any commits, as
 * two handlers that both passed the early check. The check at commit lets exactly the quota in.
 */
Test(store, commit_quota_holds_across_processes)
{
	enum { PROCS = 8, QUOTA = 3 };
	struct store *st = open_store();
	struct store_session ses;
	int go[2], i, status, ok = 0, refused = 0;
	pid_t pids[PROCS];

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	store_close(st);
	cr_assert_eq(pipe(go), 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			struct store_input_meta m;
			struct store_upload *up = NULL;
			struct store *cst = NULL;
			enum store_err rc;
			char c;

			close(go[1]);
			if (store_open(dir, &cst) != STORE_OK ||
			    store_upload_begin(cst, &up) != STORE_OK ||
			    store_upload_write(up, "racing", 6) != STORE_OK)
				_exit(2);
			if (read(go[0], &c, 1) != 0)       /* wait for the pipe to close: all ready */
				_exit(3);
			fill_meta(&m, ses.id, NOW, NULL);
			m.max_inputs = QUOTA;
			rc = store_upload_commit(up, &m, NULL);
			store_close(cst);
			_exit(rc == STORE_OK ? 0 : rc == STORE_QUOTA ? 10 : 4);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < PROCS; i++) {
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status), "child %d: status %d", i, status);
		ok += WEXITSTATUS(status) == 0;
		refused += WEXITSTATUS(status) == 10;
	}
	cr_assert_eq(ok, QUOTA);
	cr_assert_eq(refused, PROCS - QUOTA);
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), QUOTA);
	cr_assert_eq(count_objects(), QUOTA);
	cr_assert_eq(count_entries(path_of("tmp")), 0);
}

/* Garbage collection ------------------------------------------------------------------------ */

static void exec_db(const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	cr_assert_eq(sqlite3_open_v2(path_of("index.sqlite"), &db, SQLITE_OPEN_READWRITE, NULL),
	             SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s", sql, err);
	sqlite3_close(db);
}

/* Sets the mtime (and atime) of path to t, not following a symbolic link. */
static void set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	cr_assert_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0, "%s: %s", path,
	             strerror(errno));
}

static int stats_zero(const struct store_gc_stats *s)
{
	return s->sessions_ended == 0 && s->inputs_deleted == 0 && s->files_removed == 0 &&
	       s->orphans_removed == 0 && s->tmp_removed == 0 && s->input_rows == 0 &&
	       s->session_rows == 0;
}

Test(store, gc_ends_expired_sessions)
{
	struct store *st = open_store();
	struct store_session old, live, got;
	struct store_input a, b, d, c, g;
	struct store_gc_stats gs;

	cr_assert_eq(store_session_create(st, NOW, TTL, &old), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, 10 * TTL, &live), STORE_OK);
	put(st, old.id, "a", NOW, &a);
	put(st, old.id, "b", NOW, &b);
	put(st, old.id, "d", NOW, &d);
	put(st, live.id, "c", NOW, &c);
	cr_assert_eq(make_derived(st, a.id, "wav", "a wav"), STORE_OK);
	cr_assert_eq(make_derived(st, a.id, "png", "a png"), STORE_OK);
	cr_assert_eq(make_derived(st, c.id, "wav", "c wav"), STORE_OK);
	cr_assert_eq(store_input_delete(st, d.id, NOW + 5), STORE_OK);
	cr_assert_eq(count_objects(), 6);

	/* One second before the expiry: nothing to do. */
	memset(&gs, 0xff, sizeof(gs));
	cr_assert_eq(store_gc(st, NOW + TTL - 1, 86400, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert(stats_zero(&gs));
	cr_assert_eq(count_objects(), 6);

	/* At it (expires_at <= now): ended, its live inputs deleted with all their files. */
	cr_assert_eq(store_gc(st, NOW + TTL, 86400, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(gs.sessions_ended, 1);
	cr_assert_eq(gs.inputs_deleted, 2);
	cr_assert_eq(gs.files_removed, 4);                 /* a, a.wav, a.png, b */
	cr_assert_eq(gs.orphans_removed, 0);
	cr_assert_eq(gs.tmp_removed, 0);
	cr_assert_eq(gs.input_rows, 0);
	cr_assert_eq(gs.session_rows, 0);
	cr_assert_eq(store_session_get(st, old.id, NOW, &got), STORE_GONE);
	cr_assert_eq(got.ended_at, NOW + TTL);
	cr_assert_eq(store_input_get(st, a.id, &g), STORE_GONE);   /* 410 semantics stay */
	cr_assert_eq(g.deleted_at, NOW + TTL);
	store_input_free(&g);
	cr_assert_eq(store_input_get(st, d.id, &g), STORE_GONE);
	cr_assert_eq(g.deleted_at, NOW + 5);                       /* its own delete time stays */
	store_input_free(&g);
	cr_assert_not(exists(obj_path(a.id)));
	cr_assert_not(exists(derived_path(a.id, "wav")));
	cr_assert_not(exists(obj_path(b.id)));
	cr_assert_eq(store_session_get(st, live.id, NOW + TTL, &got), STORE_OK);
	cr_assert_eq(store_input_get(st, c.id, &g), STORE_OK);
	store_input_free(&g);
	cr_assert(exists(obj_path(c.id)));
	cr_assert(exists(derived_path(c.id, "wav")));
	cr_assert_eq(count_objects(), 2);

	/* Idempotent: again, nothing; and stats may be NULL. */
	cr_assert_eq(store_gc(st, NOW + TTL + 1, 86400, &gs), STORE_OK);
	cr_assert(stats_zero(&gs));
	cr_assert_eq(store_gc(st, NOW + TTL + 1, 86400, NULL), STORE_OK);
	cr_assert_eq(count_objects(), 2);
	store_input_free(&a);
	store_input_free(&b);
	store_input_free(&c);
	store_input_free(&d);
	store_close(st);
}

Test(store, gc_removes_files_of_deleted_inputs)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input a, b;
	struct store_gc_stats gs;
	char sql[256];

	cr_assert_eq(store_session_create(st, NOW, 10 * TTL, &ses), STORE_OK);
	put(st, ses.id, "orphaned by a crash", NOW, &a);
	put(st, ses.id, "live", NOW, &b);
	cr_assert_eq(make_derived(st, a.id, "wav", "a wav"), STORE_OK);
	cr_assert_eq(make_derived(st, b.id, "wav", "b wav"), STORE_OK);
	/* A crash between a delete's COMMIT and its unlink: the tombstone, the files still there. */
	snprintf(sql, sizeof(sql), "UPDATE inputs SET deleted_at = %d WHERE id = '%s'", NOW + 1,
	         a.id);
	exec_db(sql);

	cr_assert_eq(store_gc(st, NOW + 2, 86400, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(gs.files_removed, 2);
	cr_assert_eq(gs.sessions_ended + gs.inputs_deleted + gs.orphans_removed + gs.input_rows +
	             gs.session_rows + gs.tmp_removed, 0);
	cr_assert_not(exists(obj_path(a.id)));
	cr_assert_not(exists(derived_path(a.id, "wav")));
	cr_assert(exists(obj_path(b.id)));
	cr_assert(exists(derived_path(b.id, "wav")));
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), 2);    /* the tombstone stays */
	store_input_free(&a);
	store_input_free(&b);
	store_close(st);
}

/* Creates objects/XY/name (XY: its first two characters) holding text, with mtime t. */
static void plant(const char *name, const char *text, time_t t)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "objects/%.2s", name);
	mkdir(path_of(rel), 0700);
	snprintf(rel, sizeof(rel), "objects/%.2s/%s", name, name);
	write_file(path_of(rel), text);
	set_mtime(path_of(rel), t);
}

Test(store, gc_removes_old_files_without_a_row_only)
{
	struct store *st = open_store();
	struct store_session ses;
	struct store_input live;
	struct store_gc_stats gs;
	char old_id[STORE_ID_CHARS + 1], young[STORE_ID_CHARS + 1], link_id[STORE_ID_CHARS + 1];
	char name[96], wrong[96], lnk[160];
	time_t now = time(NULL), old = now - STORE_GC_ORPHAN_AGE - 1;

	cr_assert_eq(store_session_create(st, now, TTL, &ses), STORE_OK);
	put(st, ses.id, "live", now, &live);
	set_mtime(obj_path(live.id), old);                 /* a row: kept however old */
	cr_assert_eq(store_id_new(old_id), 0);
	cr_assert_eq(store_id_new(young), 0);
	plant(old_id, "orphan", old);
	snprintf(name, sizeof(name), "%s.wav", old_id);
	plant(name, "orphan wav", old);
	plant(young, "maybe a commit in flight", now - STORE_GC_ORPHAN_AGE + 60);
	/* Names this module never makes are left alone, however old. */
	snprintf(name, sizeof(name), "%s.WAV", old_id);
	plant(name, "upper-case variant", old);
	snprintf(name, sizeof(name), "%s.wav.x", old_id);
	plant(name, "two dots", old);
	snprintf(name, sizeof(name), "%.21s", old_id);
	plant(name, "21 characters", old);
	/* A valid id in a folder that is not its XY. */
	snprintf(wrong, sizeof(wrong), "objects/%.2s/%s", live.id, old_id);
	if (strncmp(live.id, old_id, 2) != 0) {
		write_file(path_of(wrong), "misplaced");
		set_mtime(path_of(wrong), old);
	}
	/* A symbolic link with an id's name: not a regular file of ours. */
	cr_assert_eq(store_id_new(link_id), 0);
	plant(link_id, "placeholder", old);
	snprintf(lnk, sizeof(lnk), "%s", obj_path(link_id));
	cr_assert_eq(unlink(lnk), 0);
	cr_assert_eq(symlink(obj_path(live.id), lnk), 0);
	set_mtime(lnk, old);

	cr_assert_eq(store_gc(st, now, 86400, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(gs.orphans_removed, 2, "%llu", (unsigned long long)gs.orphans_removed);
	cr_assert_eq(gs.files_removed + gs.sessions_ended + gs.tmp_removed + gs.input_rows, 0);
	cr_assert_not(exists(obj_path(old_id)));
	cr_assert_not(exists(derived_path(old_id, "wav")));
	cr_assert(exists(obj_path(young)));
	cr_assert(exists(obj_path(live.id)));
	cr_assert(exists(derived_path(old_id, "WAV")));
	cr_assert(exists(derived_path(old_id, "wav.x")));
	if (strncmp(live.id, old_id, 2) != 0)
		cr_assert(exists(path_of(wrong)));
	{
		struct stat sb;
		cr_assert_eq(lstat(lnk, &sb), 0);
		cr_assert(S_ISLNK(sb.st_mode));
	}

	/* The young one goes once it is old enough. */
	cr_assert_eq(store_gc(st, now + 61, 86400, &gs), STORE_OK);
	cr_assert_eq(gs.orphans_removed, 1);
	cr_assert_not(exists(obj_path(young)));
	cr_assert(exists(obj_path(live.id)));
	store_input_free(&live);
	store_close(st);
}

/*
 * An upload between link and COMMIT: its object has no row yet, but tmp/ID.part is there (and
 * locked): kept however old; once the upload is over (here aborted) it is an orphan.
 */
Test(store, gc_keeps_the_object_of_a_commit_in_flight)
{
	struct store *st = open_store();
	struct store_upload *up = NULL;
	struct store_gc_stats gs;
	char id[STORE_ID_CHARS + 1], xy[64];
	time_t now = time(NULL);

	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	cr_assert_eq(store_upload_write(up, "in flight", 9), STORE_OK);
	strcpy(id, store_upload_id(up));
	snprintf(xy, sizeof(xy), "objects/%.2s", id);
	mkdir(path_of(xy), 0700);
	cr_assert_eq(link(part_path(id), obj_path(id)), 0);    /* as the commit links it */
	set_mtime(obj_path(id), now - 2 * STORE_GC_ORPHAN_AGE);

	cr_assert_eq(store_gc(st, now, 86400, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert(stats_zero(&gs));
	cr_assert(exists(obj_path(id)));
	cr_assert(exists(part_path(id)));                      /* a live writer's lock */

	store_upload_abort(up);        /* as a crashed commit's rollback would not unlink it */
	cr_assert_eq(store_gc(st, now, 86400, &gs), STORE_OK);
	cr_assert_eq(gs.orphans_removed, 1);
	cr_assert_not(exists(obj_path(id)));
	store_close(st);
}

Test(store, gc_removes_what_dead_writers_left_in_tmp)
{
	struct store *st = open_store();
	struct store_gc_stats gs;
	char dead[STORE_ID_CHARS + 1], live[STORE_ID_CHARS + 1];
	int fd;

	cr_assert_eq(store_id_new(dead), 0);
	cr_assert_eq(store_id_new(live), 0);
	fake_leftover(dead, "crashed between link and COMMIT", 1);
	fake_leftover(live, "being written", 1);
	fd = open(part_path(live), O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0);

	/* The store is open already: only a sweep can find these. */
	cr_assert_eq(store_gc(st, NOW, 86400, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(gs.tmp_removed, 1);
	cr_assert_eq(gs.orphans_removed, 1);
	cr_assert_not(exists(part_path(dead)));
	cr_assert_not(exists(obj_path(dead)));
	cr_assert(exists(part_path(live)));
	cr_assert(exists(obj_path(live)));
	close(fd);
	store_close(st);
}

Test(store, gc_deletes_old_tombstone_rows)
{
	enum { T = 86400 };
	struct store *st = open_store();
	struct store_session ended, cookie, live, got;
	struct store_input a, b, c, d, e, g;
	struct store_gc_stats gs;

	cr_assert_eq(store_session_create(st, NOW, TTL, &ended), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, 30 * T, &cookie), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, 60 * T, &live), STORE_OK);
	put(st, ended.id, "a", NOW, &a);
	put(st, ended.id, "b", NOW, &b);
	put(st, cookie.id, "c", NOW, &c);
	put(st, live.id, "d", NOW, &d);
	put(st, live.id, "e", NOW, &e);
	cr_assert_eq(store_session_end(st, ended.id, NOW + 10), STORE_OK);
	cr_assert_eq(store_session_end(st, cookie.id, NOW + 10), STORE_OK);
	cr_assert_eq(store_input_delete(st, d.id, NOW + 20), STORE_OK);

	/* One second early: every tombstone stays (their tokens may still be valid). */
	cr_assert_eq(store_gc(st, NOW + 10 + T - 1, T, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert(stats_zero(&gs));
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), 5);

	cr_assert_eq(store_gc(st, NOW + 10 + T, T, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(gs.input_rows, 3);                         /* a, b, c */
	cr_assert_eq(gs.session_rows, 1);                       /* ended; cookie not expired */
	cr_assert_eq(gs.sessions_ended + gs.inputs_deleted + gs.files_removed, 0);
	cr_assert_eq(store_input_get(st, a.id, &g), STORE_NOT_FOUND);
	cr_assert_eq(store_input_get(st, c.id, &g), STORE_NOT_FOUND);
	cr_assert_eq(store_session_get(st, ended.id, NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_session_get(st, cookie.id, NOW, &got), STORE_GONE);
	cr_assert_eq(store_input_get(st, d.id, &g), STORE_GONE);
	store_input_free(&g);
	cr_assert_eq(store_input_get(st, e.id, &g), STORE_OK);
	store_input_free(&g);

	cr_assert_eq(store_gc(st, NOW + 20 + T, T, &gs), STORE_OK);
	cr_assert_eq(gs.input_rows, 1);                         /* d */
	cr_assert_eq(gs.session_rows, 0);
	cr_assert_eq(store_input_get(st, d.id, &g), STORE_NOT_FOUND);

	/* The ended session's row goes once its cookie expired too; live ones never. */
	cr_assert_eq(store_gc(st, NOW + 30 * T - 1, T, &gs), STORE_OK);
	cr_assert_eq(gs.session_rows, 0);
	cr_assert_eq(store_gc(st, NOW + 30 * T, T, &gs), STORE_OK);
	cr_assert_eq(gs.session_rows, 1);
	cr_assert_eq(gs.sessions_ended, 0);
	cr_assert_eq(store_session_get(st, cookie.id, NOW, &got), STORE_NOT_FOUND);
	cr_assert_eq(store_session_get(st, live.id, NOW, &got), STORE_OK);
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), 1);
	cr_assert_eq(count_rows("SELECT count(*) FROM sessions"), 1);
	cr_assert(exists(obj_path(e.id)));
	cr_assert_eq(count_objects(), 1);
	store_input_free(&a);
	store_input_free(&b);
	store_input_free(&c);
	store_input_free(&d);
	store_input_free(&e);
	store_close(st);
}

/* More tombstones than one batch of the row deletion. */
Test(store, gc_deletes_rows_in_batches)
{
	enum { N = 2500 };
	struct store *st = open_store();
	struct store_session ses;
	struct store_gc_stats gs;
	char sql[512];

	cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         " INSERT INTO inputs(id, session_id, kind, content_type, filename, size, sha256,"
	         " created_at, deleted_at) SELECT printf('gc%%020d', i), '%s', 'file', 'x/y', '',"
	         " 1, '', %d, %d FROM n", N, ses.id, NOW, NOW + 1);
	exec_db(sql);
	cr_assert_eq(store_session_end(st, ses.id, NOW + 1), STORE_OK);
	cr_assert_eq(store_gc(st, NOW + TTL, 50, &gs), STORE_OK, "%s", store_errmsg(st));
	cr_assert_eq(gs.input_rows, N);
	cr_assert_eq(gs.session_rows, 1);
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs"), 0);
	cr_assert_eq(count_rows("SELECT count(*) FROM sessions"), 0);
	store_close(st);
}

Test(store, gc_rejects_bad_arguments)
{
	struct store *st = open_store();
	struct store_gc_stats gs;

	memset(&gs, 0xff, sizeof(gs));
	cr_assert_eq(store_gc(NULL, NOW, 1, &gs), STORE_INVALID);
	cr_assert(stats_zero(&gs));
	cr_assert_eq(store_gc(st, -1, 1, &gs), STORE_INVALID);
	cr_assert_eq(store_gc(st, NOW, -1, &gs), STORE_INVALID);
	cr_assert_eq(store_gc(st, 0, 0, &gs), STORE_OK);
	cr_assert_eq(store_gc(st, INT64_MAX, INT64_MAX, &gs), STORE_OK, "%s", store_errmsg(st));
	store_close(st);
}

/*
 * Several processes collecting at once: every session is ended once, every file unlinked once
 * (the others see ENOENT), and the counts over all of them add up exactly.
 */
Test(store, gc_in_several_processes_at_once)
{
	enum { PROCS = 4, SESSIONS = 40 };
	struct store *st = open_store();
	struct store_session ses, live;
	struct store_input in;
	struct store_gc_stats sum, gs;
	int go[2], res[2], i, status;
	pid_t pids[PROCS];

	cr_assert_eq(store_session_create(st, NOW, 10 * TTL, &live), STORE_OK);
	put(st, live.id, "live", NOW, &in);
	store_input_free(&in);
	for (i = 0; i < SESSIONS; i++) {
		cr_assert_eq(store_session_create(st, NOW, TTL, &ses), STORE_OK);
		put(st, ses.id, "one", NOW, &in);
		cr_assert_eq(make_derived(st, in.id, "wav", "one wav"), STORE_OK);
		store_input_free(&in);
		put(st, ses.id, "two", NOW, &in);
		store_input_free(&in);
	}
	store_close(st);
	cr_assert_eq(count_objects(), 1 + 3 * SESSIONS);
	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(res), 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			struct store *cst = NULL;
			char c;

			close(go[1]);
			close(res[0]);
			if (store_open(dir, &cst) != STORE_OK)
				_exit(2);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			if (store_gc(cst, NOW + TTL, 86400, &gs) != STORE_OK) {
				fprintf(stderr, "gc: %s\n", store_errmsg(cst));
				_exit(4);
			}
			store_close(cst);
			_exit(write(res[1], &gs, sizeof(gs)) == (ssize_t)sizeof(gs) ? 0 : 5);
		}
	}
	close(go[0]);
	close(go[1]);
	close(res[1]);
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < PROCS; i++) {
		cr_assert_eq(read(res[0], &gs, sizeof(gs)), (ssize_t)sizeof(gs));
		sum.sessions_ended += gs.sessions_ended;
		sum.inputs_deleted += gs.inputs_deleted;
		sum.files_removed += gs.files_removed;
		sum.orphans_removed += gs.orphans_removed;
	}
	for (i = 0; i < PROCS; i++) {
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: %d", i, status);
	}
	close(res[0]);
	cr_assert_eq(sum.sessions_ended, SESSIONS);
	cr_assert_eq(sum.inputs_deleted, 2 * SESSIONS);
	cr_assert_eq(sum.files_removed, 3 * SESSIONS);
	cr_assert_eq(sum.orphans_removed, 0);
	cr_assert_eq(count_objects(), 1);
	cr_assert_eq(count_rows("SELECT count(*) FROM sessions WHERE ended_at IS NULL"), 1);
	cr_assert_eq(count_rows("SELECT count(*) FROM inputs WHERE deleted_at IS NULL"), 1);
}
