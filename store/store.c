/* store.c: input files on disk (objects/, tmp/) and their SQLite index (index.sqlite); sessions. */
#include "store/store.h"
#include "tokens/b64url.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#define SCHEMA_VERSION  2
#define BEGIN_TRIES     3                       /* each try already waits busy_timeout */
#define BUSY_TIMEOUT_MS 5000
#define PART_SUFFIX     ".part"
#define PART_NAME_MAX   (STORE_ID_CHARS + sizeof(PART_SUFFIX))      /* with the NUL */
#define OBJ_NAME_MAX    (3 + STORE_ID_CHARS + 1)                    /* "XY/" ID NUL */
#define ID_RAW_BYTES    16
#define VARIANT_MAX     32
#define DPART_SUFFIX    ".dpart"
#define DPART_RAW_BYTES 6                       /* 48 random bits: 8 characters of base64url */
#define DPART_RAND      B64URL_ENCLEN(DPART_RAW_BYTES)
#define DERIVED_NAME_MAX (STORE_ID_CHARS + 1 + VARIANT_MAX + 1)     /* ID "." VARIANT NUL */
#define DERIVED_OBJ_MAX  (3 + DERIVED_NAME_MAX)                     /* "XY/" ID.VARIANT NUL */
/* ID "." VARIANT "." RAND ".dpart" NUL */
#define DPART_NAME_MAX  (STORE_ID_CHARS + 1 + VARIANT_MAX + 1 + DPART_RAND + sizeof(DPART_SUFFIX))
#define GC_BATCH        64                      /* expired sessions ended per query */
#define GC_ROWS_BATCH   1000                    /* rows deleted per write transaction */
#define STR_(x)         #x
#define STR(x)          STR_(x)                 /* a macro's value as a string literal */

/*
 * Version 1 of the schema. Timestamps are Unix seconds; NULL ended_at/deleted_at means alive.
 * A deleted input keeps its row (a tombstone) so that its id answers 410 rather than 404.
 */
static const char schema_v1[] =
	"CREATE TABLE sessions ("
	" id TEXT PRIMARY KEY,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" ended_at INTEGER);"
	"CREATE TABLE inputs ("
	" id TEXT PRIMARY KEY,"
	" session_id TEXT NOT NULL REFERENCES sessions(id),"
	" kind TEXT NOT NULL,"
	" content_type TEXT NOT NULL,"
	" filename TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" deleted_at INTEGER,"
	" metadata TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX inputs_session ON inputs(session_id);"
	"PRAGMA user_version = 1;";

/*
 * Version 2 adds tus uploads in progress (store.h, "tus uploads"): upload_offset counts the
 * durable bytes of DIR/uploads/ID, upload_length is NULL while deferred, metadata is the
 * Upload-Metadata value as sent. A version 1 index is upgraded in place (one transaction).
 */
static const char schema_v2[] =
	"CREATE TABLE uploads ("
	" id TEXT PRIMARY KEY,"
	" session_id TEXT NOT NULL REFERENCES sessions(id),"
	" upload_offset INTEGER NOT NULL DEFAULT 0,"
	" upload_length INTEGER,"
	" metadata TEXT NOT NULL DEFAULT '',"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX uploads_session ON uploads(session_id);"
	"CREATE INDEX uploads_expires ON uploads(expires_at);"
	"PRAGMA user_version = 2;";

/* The statements prepared once in store_open and reused (sqlite3_reset) for the process' life. */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SESSION_INSERT,
	S_SESSION_GET,
	S_SESSION_END,
	S_SESSION_TOMBSTONE,
	S_SESSION_DELETED,
	S_INPUT_INSERT,
	S_INPUT_GET,
	S_READ_LOOKUP,
	S_INPUT_STATE,
	S_INPUT_TOMBSTONE,
	S_INPUT_LIST,
	S_SESSION_USAGE,
	S_GC_EXPIRED,
	S_GC_INPUT_ROWS,
	S_GC_SESSION_ROWS,
	S_TUS_INSERT,
	S_TUS_GET,
	S_TUS_SYNC,
	S_TUS_DELETE,
	S_TUS_SESSION_IDS,
	S_TUS_SESSION_DELETE,
	S_TUS_USAGE,
	S_GC_TUS_EXPIRED,
	S_GC_TUS_DELETE,
	S__COUNT
};

#define INPUT_COLS "id, session_id, kind, content_type, filename, size, sha256, created_at, " \
                   "deleted_at, metadata"

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN]            = "BEGIN IMMEDIATE",
	[S_COMMIT]           = "COMMIT",
	[S_ROLLBACK]         = "ROLLBACK",
	[S_SESSION_INSERT]   = "INSERT INTO sessions(id, created_at, expires_at) VALUES (?1, ?2, ?3)",
	[S_SESSION_GET]      = "SELECT created_at, expires_at, ended_at FROM sessions WHERE id = ?1",
	[S_SESSION_END]      = "UPDATE sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
	[S_SESSION_TOMBSTONE] = "UPDATE inputs SET deleted_at = ?2"
	                       " WHERE session_id = ?1 AND deleted_at IS NULL",
	[S_SESSION_DELETED]  = "SELECT id FROM inputs WHERE session_id = ?1 AND deleted_at IS NOT NULL",
	[S_INPUT_INSERT]     = "INSERT INTO inputs(id, session_id, kind, content_type, filename, size,"
	                       " sha256, created_at, metadata)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_INPUT_GET]        = "SELECT " INPUT_COLS " FROM inputs WHERE id = ?1",
	/* The input's columns first (row_to_input), NULL when there is no such input. */
	[S_READ_LOOKUP]      = "SELECT i.id, i.session_id, i.kind, i.content_type, i.filename, i.size,"
	                       " i.sha256, i.created_at, i.deleted_at, i.metadata,"
	                       " s.expires_at, s.ended_at"
	                       " FROM sessions AS s LEFT JOIN inputs AS i ON i.id = ?2"
	                       " WHERE s.id = ?1",
	[S_INPUT_STATE]      = "SELECT deleted_at FROM inputs WHERE id = ?1",
	[S_INPUT_TOMBSTONE]  = "UPDATE inputs SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
	[S_INPUT_LIST]       = "SELECT " INPUT_COLS " FROM inputs"
	                       " WHERE session_id = ?1 AND deleted_at IS NULL"
	                       " ORDER BY created_at, rowid",
	/* Uses the index inputs_session; sum() of no rows is NULL. */
	[S_SESSION_USAGE]    = "SELECT coalesce(sum(size), 0), count(*) FROM inputs"
	                       " WHERE session_id = ?1 AND deleted_at IS NULL",
	[S_GC_EXPIRED]       = "SELECT id FROM sessions WHERE ended_at IS NULL AND expires_at <= ?1"
	                       " LIMIT " STR(GC_BATCH),
	/*
	 * In batches, each its own write transaction, so that other processes' commits wait at
	 * most one batch. No index on deleted_at: a scan of inputs per sweep (schema version 1).
	 */
	[S_GC_INPUT_ROWS]    = "DELETE FROM inputs WHERE rowid IN (SELECT rowid FROM inputs"
	                       " WHERE deleted_at IS NOT NULL AND deleted_at <= ?1"
	                       " LIMIT " STR(GC_ROWS_BATCH) ")",
	/* An ended session keeps its row while an input or upload row names it (foreign key). */
	[S_GC_SESSION_ROWS]  = "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions AS s"
	                       " WHERE ended_at IS NOT NULL AND ended_at <= ?1 AND expires_at <= ?2"
	                       " AND NOT EXISTS (SELECT 1 FROM inputs WHERE session_id = s.id)"
	                       " AND NOT EXISTS (SELECT 1 FROM uploads WHERE session_id = s.id)"
	                       " LIMIT " STR(GC_ROWS_BATCH) ")",
	[S_TUS_INSERT]       = "INSERT INTO uploads(id, session_id, upload_offset, upload_length,"
	                       " metadata, created_at, expires_at) VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6)",
	[S_TUS_GET]          = "SELECT session_id, upload_offset, upload_length, metadata, created_at,"
	                       " expires_at FROM uploads WHERE id = ?1",
	[S_TUS_SYNC]         = "UPDATE uploads SET upload_offset = ?2,"
	                       " upload_length = coalesce(?3, upload_length), expires_at = ?4"
	                       " WHERE id = ?1",
	[S_TUS_DELETE]       = "DELETE FROM uploads WHERE id = ?1",
	[S_TUS_SESSION_IDS]  = "SELECT id FROM uploads WHERE session_id = ?1",
	[S_TUS_SESSION_DELETE] = "DELETE FROM uploads WHERE session_id = ?1",
	/* What the session's uploads may still grow to: the length, or the offset while deferred. */
	[S_TUS_USAGE]        = "SELECT coalesce(sum(coalesce(upload_length, upload_offset)), 0),"
	                       " count(*) FROM uploads WHERE session_id = ?1 AND id IS NOT ?2",
	/* A cursor on id, so that uploads a writer holds (skipped) do not come back. */
	[S_GC_TUS_EXPIRED]   = "SELECT id FROM uploads WHERE expires_at <= ?1 AND id > ?2"
	                       " ORDER BY id LIMIT " STR(GC_BATCH),
	[S_GC_TUS_DELETE]    = "DELETE FROM uploads WHERE id = ?1 AND expires_at <= ?2",
};

/*
 * No cache of rows lives here: several processes (spawn-fcgi -F N) share the folder, so every
 * read goes to SQLite and every file operation to the file system.
 */
struct store {
	sqlite3      *db;
	int           dirfd;
	int           objfd;                 /* DIR/objects */
	int           tmpfd;                 /* DIR/tmp */
	int           upfd;                  /* DIR/uploads */
	sqlite3_stmt *stmt[S__COUNT];
	int           err_errno;             /* errno of the last STORE_IO/STORE_NOSPC, else 0 */
	char          err[256];
};

struct store_upload {
	struct store *st;
	int           fd;                    /* tmp/ID.part, held under flock(LOCK_EX) */
	int           broken;                /* a write failed: the content is not what was sent */
	uint64_t      size;
	EVP_MD_CTX   *md;
	char          id[STORE_ID_CHARS + 1];
	char          part[PART_NAME_MAX];
};

struct store_tus_writer {
	struct store *st;
	int           fd;                    /* uploads/ID, held under flock(LOCK_EX) */
	uint64_t      recorded;              /* the row's upload_offset: durable */
	uint64_t      size;                  /* bytes in the file: recorded + written since */
	char          id[STORE_ID_CHARS + 1];
};

struct store_derived {
	struct store *st;
	int           fd;                    /* tmp/ID.VARIANT.RAND.dpart, under flock(LOCK_EX) */
	char          id[STORE_ID_CHARS + 1];
	char          name[DERIVED_NAME_MAX];  /* ID.VARIANT, its name in objects/XY/ */
	char          part[DPART_NAME_MAX];
};

/* Errors ------------------------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static void set_err(struct store *st, int e, const char *fmt, ...)
{
	va_list ap;

	st->err_errno = e;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

/* Records a system error e about what and maps it (ENOSPC and EDQUOT are a full disk). */
static enum store_err fail_sys(struct store *st, const char *what, int e)
{
	set_err(st, e, "%s: %s", what, strerror(e));
	errno = e;
	return (e == ENOSPC || e == EDQUOT) ? STORE_NOSPC : STORE_IO;
}

/* Records SQLite's message; call before anything else touches the connection. */
static enum store_err fail_db(struct store *st, const char *what)
{
	set_err(st, 0, "%s: %s", what, sqlite3_errmsg(st->db));
	return STORE_DB;
}

/* STORE_IO/STORE_NOSPC keep errno (store.h): restore it after the cleanup that may clobber it. */
static enum store_err keep_errno(const struct store *st, enum store_err rc)
{
	if (rc == STORE_IO || rc == STORE_NOSPC)
		errno = st->err_errno;
	return rc;
}

const char *store_errmsg(const struct store *st)
{
	if (st == NULL)
		return "no store";
	return st->err[0] ? st->err : "no error";
}

/* Ids --------------------------------------------------------------------------------------- */

int store_id_new(char out[STORE_ID_CHARS + 1])
{
	uint8_t raw[ID_RAW_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	if (b64url_encode(out, raw, sizeof(raw)) != STORE_ID_CHARS)
		return -1;
	return 0;
}

/* The alphabet of RFC 4648 section 5: no '/', '.', '%' can reach a path built from an id. */
static int is_b64url(char ch)
{
	unsigned char c = (unsigned char)ch;

	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int store_id_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < STORE_ID_CHARS; i++)
		if (!is_b64url(s[i]))
			return 0;
	return s[STORE_ID_CHARS] == '\0';
}

/* [a-z0-9_] only: a variant names a file, and no '.', '/' or upper case can come through it. */
int store_variant_valid(const char *v)
{
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; i <= VARIANT_MAX && v[i] != '\0'; i++) {
		unsigned char c = (unsigned char)v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return i >= 1 && i <= VARIANT_MAX && v[i] == '\0';
}

/* "XY/ID" relative to objects/, for an id that passed store_id_valid. */
static void obj_name(const char *id, char out[OBJ_NAME_MAX])
{
	out[0] = id[0];
	out[1] = id[1];
	out[2] = '/';
	memcpy(out + 3, id, STORE_ID_CHARS + 1);
}

/* SQLite helpers ---------------------------------------------------------------------------- */

/* A hot statement, reset and with its bindings cleared. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id i)
{
	sqlite3_stmt *s = st->stmt[i];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/*
 * Run statement i with ?1 = id up to its first row: STORE_OK with *out on that row, or
 * STORE_NOT_FOUND ("no WHAT ID") or STORE_DB ("get WHAT: ..."). *out is set either way; the caller
 * resets it (sqlite3_reset) when done with the row, which ends the read transaction.
 */
static enum store_err row_by_id(struct store *st, enum stmt_id i, const char *id,
                                const char *what, sqlite3_stmt **out)
{
	sqlite3_stmt *s = stmt(st, i);
	int r;

	*out = s;
	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		r = SQLITE_ERROR;
	else
		r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		return STORE_OK;
	if (r == SQLITE_DONE) {
		set_err(st, 0, "no %s %s", what, id);
		return STORE_NOT_FOUND;
	}
	set_err(st, 0, "get %s: %s", what, sqlite3_errmsg(st->db));
	return STORE_DB;
}

/* Run statement i, which takes (?1 id, ?2 now) and returns no row. */
static enum store_err exec_id_time(struct store *st, enum stmt_id i, const char *id, int64_t now,
                                   const char *what)
{
	sqlite3_stmt *s = stmt(st, i);
	enum store_err rc = STORE_OK;

	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, now) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE)
		rc = fail_db(st, what);
	sqlite3_reset(s);
	return rc;
}

/* Run statement i, which takes (?1 id) and returns no row (sqlite3_changes tells how many). */
static enum store_err exec_id(struct store *st, enum stmt_id i, const char *id, const char *what)
{
	sqlite3_stmt *s = stmt(st, i);
	enum store_err rc = STORE_OK;

	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = fail_db(st, what);
	sqlite3_reset(s);
	return rc;
}

/*
 * Runs the statements of sql one after the other (no parameters: only constant text reaches
 * here), retrying one that answers SQLITE_BUSY after the busy timeout. When first is not NULL,
 * the first column of the first row of the last statement is copied there as text.
 */
static enum store_err exec_sql(struct store *st, const char *sql, char *first, size_t firstsz)
{
	const char *tail = sql;
	sqlite3_stmt *s = NULL;
	enum store_err rc = STORE_OK;
	int r, tries;

	if (first != NULL && firstsz > 0)
		first[0] = '\0';
	while (*tail != '\0') {
		if (sqlite3_prepare_v3(st->db, tail, -1, 0, &s, &tail) != SQLITE_OK) {
			rc = fail_db(st, "prepare");
			goto out;
		}
		if (s == NULL)          /* white space or a comment at the end */
			break;
		for (tries = 0; ; tries++) {
			while ((r = sqlite3_step(s)) == SQLITE_ROW) {
				const unsigned char *t = sqlite3_column_text(s, 0);
				if (first != NULL && firstsz > 0 && first[0] == '\0' && t != NULL)
					snprintf(first, firstsz, "%s", (const char *)t);
			}
			if (r == SQLITE_DONE)
				break;
			if ((r & 0xff) != SQLITE_BUSY || tries + 1 >= BEGIN_TRIES) {
				rc = fail_db(st, sqlite3_sql(s));
				goto out;
			}
			sqlite3_reset(s);
		}
		sqlite3_finalize(s);
		s = NULL;
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/* BEGIN IMMEDIATE: take the write lock now, so that no read-then-write upgrade can deadlock. */
static enum store_err tx_begin(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_BEGIN);
	int r = SQLITE_OK, tries;

	for (tries = 0; tries < BEGIN_TRIES; tries++) {
		r = sqlite3_step(s);
		sqlite3_reset(s);
		if (r == SQLITE_DONE)
			return STORE_OK;
		if ((r & 0xff) != SQLITE_BUSY)
			break;
	}
	set_err(st, 0, "BEGIN IMMEDIATE: %s", sqlite3_errstr(r));
	return STORE_DB;
}

static enum store_err tx_commit(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_COMMIT);
	enum store_err rc = STORE_OK;

	if (sqlite3_step(s) != SQLITE_DONE)
		rc = fail_db(st, "COMMIT");
	sqlite3_reset(s);
	return rc;
}

/* Rolls back whatever transaction is open (none after a failed COMMIT that SQLite undid). */
static void tx_rollback(struct store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_get_autocommit(st->db))
		return;
	s = stmt(st, S_ROLLBACK);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/* Copies text column i into dst[dstsz]; -1 when NULL, too long or with a NUL inside. */
static int col_text(sqlite3_stmt *s, int i, char *dst, size_t dstsz)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);

	if (t == NULL || n < 0 || (size_t)n >= dstsz || strlen((const char *)t) != (size_t)n)
		return -1;
	memcpy(dst, t, (size_t)n + 1);
	return 0;
}

/* Fills in from a row of INPUT_COLS; in->metadata_json is malloc'd on success only. */
static enum store_err row_to_input(struct store *st, sqlite3_stmt *s, struct store_input *in)
{
	const unsigned char *meta;
	sqlite3_int64 size;

	memset(in, 0, sizeof(*in));
	size = sqlite3_column_int64(s, 5);
	if (col_text(s, 0, in->id, sizeof(in->id)) < 0 ||
	    col_text(s, 1, in->session, sizeof(in->session)) < 0 ||
	    col_text(s, 2, in->kind, sizeof(in->kind)) < 0 ||
	    col_text(s, 3, in->content_type, sizeof(in->content_type)) < 0 ||
	    col_text(s, 4, in->filename, sizeof(in->filename)) < 0 ||
	    col_text(s, 6, in->sha256, sizeof(in->sha256)) < 0 || size < 0) {
		memset(in, 0, sizeof(*in));
		set_err(st, 0, "malformed inputs row");
		return STORE_DB;
	}
	in->size = (uint64_t)size;
	in->created_at = sqlite3_column_int64(s, 7);
	in->deleted_at = sqlite3_column_type(s, 8) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 8);
	meta = sqlite3_column_text(s, 9);
	in->metadata_json = strdup(meta != NULL ? (const char *)meta : "{}");
	if (in->metadata_json == NULL)
		return fail_sys(st, "strdup", ENOMEM);
	return STORE_OK;
}

/* Opening ----------------------------------------------------------------------------------- */

/* mkdirat + open of a folder of ours (0700, never through a symbolic link); *made when created. */
/* A directory stream on dirfd/name (no symbolic link followed), or NULL with errno set. */
static DIR *dir_open(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), saved;
	DIR *d;

	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

static int open_subdir(int dirfd, const char *name, int *made)
{
	if (mkdirat(dirfd, name, 0700) == 0)
		*made = 1;
	else if (errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

static enum store_err open_db(struct store *st, const char *dir)
{
	char path[4096], mode[16], version[16];
	enum store_err rc;
	int fd, n;

	/* Created here first so that it is 0600; SQLite gives -wal and -shm the same mode. */
	fd = openat(st->dirfd, "index.sqlite", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail_sys(st, "index.sqlite", errno);
	close(fd);
	n = snprintf(path, sizeof(path), "%s/index.sqlite", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return fail_sys(st, "data folder path", ENAMETOOLONG);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			return fail_sys(st, "sqlite3_open_v2", ENOMEM);
		return fail_db(st, "sqlite3_open_v2");
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if ((rc = exec_sql(st, "PRAGMA journal_mode=WAL", mode, sizeof(mode))) != STORE_OK)
		return rc;
	if (strcmp(mode, "wal") != 0) {
		set_err(st, 0, "journal_mode is %s, not wal", mode);
		return STORE_DB;
	}
	/* FULL: in WAL mode every COMMIT syncs the log, so an input that got its 201 stays. */
	if ((rc = exec_sql(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL, 0)))
		return rc;

	/* Read the version inside the write lock: two processes starting together create once. */
	if ((rc = exec_sql(st, "BEGIN IMMEDIATE; PRAGMA user_version", version, sizeof(version))))
		return rc;
	if (strcmp(version, "0") == 0 && (rc = exec_sql(st, schema_v1, NULL, 0)) == STORE_OK)
		strcpy(version, "1");
	if (rc == STORE_OK && strcmp(version, "1") == 0)
		rc = exec_sql(st, schema_v2, NULL, 0);
	else if (rc == STORE_OK && strcmp(version, STR(SCHEMA_VERSION)) != 0) {
		set_err(st, 0, "index.sqlite has schema version %s, this program knows %d",
		        version, SCHEMA_VERSION);
		rc = STORE_DB;
	}
	if (rc == STORE_OK)
		rc = exec_sql(st, "COMMIT", NULL, 0);
	if (rc != STORE_OK && !sqlite3_get_autocommit(st->db))
		exec_sql(st, "ROLLBACK", NULL, 0);
	return rc;
}

static enum store_err prepare_all(struct store *st)
{
	int i;

	for (i = 0; i < S__COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &st->stmt[i], NULL) != SQLITE_OK)
			return fail_db(st, stmt_sql[i]);
	return STORE_OK;
}

/*
 * One leftover tmp/ID.part whose writer is dead (we got its lock). A row means the commit
 * finished and only the temporary name is left; no row means the crash came before COMMIT, so
 * the object link, if link() was reached, belongs to no input and goes too.
 * With id NULL, a leftover tmp/ID.VARIANT.RAND.dpart: its commit is one rename, so a crash
 * left either the file here and nothing in objects/, or no tmp name at all; it just goes.
 * Counts the tmp file in stats->tmp_removed, the object in stats->orphans_removed.
 */
static enum store_err recover_one(struct store *st, const char *name, const char *id,
                                  struct store_gc_stats *stats)
{
	char obj[OBJ_NAME_MAX];
	struct stat a, b;
	sqlite3_stmt *s;
	enum store_err rc = STORE_OK;
	int fd, r;

	fd = openat(st->tmpfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return STORE_OK;        /* gone meanwhile, or a symbolic link: not ours */
	if (fstat(fd, &a) < 0 || !S_ISREG(a.st_mode) || flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto out;               /* EWOULDBLOCK: its writer lives */
	/* Still the file under that name? Its writer may have committed and unlinked it since. */
	if (fstatat(st->tmpfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		goto out;
	if (id == NULL)
		goto unlink_tmp;

	s = stmt(st, S_INPUT_STATE);
	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = fail_db(st, "recover: bind");
		goto out;
	}
	r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		set_err(st, 0, "recover %s: %s", id, sqlite3_errstr(r));
		rc = STORE_DB;
		goto out;
	}
	if (r == SQLITE_DONE) {
		obj_name(id, obj);
		if (unlinkat(st->objfd, obj, 0) == 0)
			stats->orphans_removed++;
		else if (errno != ENOENT) {
			/* Keep the tmp file so that the next store_open tries again. */
			fprintf(stderr, "store: recover: objects/%s: %s\n", obj, strerror(errno));
			goto out;
		}
	}
unlink_tmp:
	if (unlinkat(st->tmpfd, name, 0) == 0)
		stats->tmp_removed++;
	else if (errno != ENOENT)
		fprintf(stderr, "store: recover: tmp/%s: %s\n", name, strerror(errno));
out:
	close(fd);              /* releases the lock */
	return rc;
}

/* 1 when name is ID.VARIANT.RAND.dpart as store_derived_begin makes them, else 0. */
static int dpart_name_valid(const char *name)
{
	char id[STORE_ID_CHARS + 1], variant[VARIANT_MAX + 1];
	size_t len = strlen(name), suf = sizeof(DPART_SUFFIX) - 1, vlen, i;
	const char *rnd;

	/* The shortest is a one-character variant, the longest a VARIANT_MAX one. */
	if (len < STORE_ID_CHARS + 3 + DPART_RAND + suf || len > DPART_NAME_MAX - 1 ||
	    strcmp(name + len - suf, DPART_SUFFIX) != 0)
		return 0;
	memcpy(id, name, STORE_ID_CHARS);
	id[STORE_ID_CHARS] = '\0';
	rnd = name + len - suf - DPART_RAND;
	if (!store_id_valid(id) || name[STORE_ID_CHARS] != '.' || rnd[-1] != '.')
		return 0;
	vlen = (size_t)(rnd - 1 - (name + STORE_ID_CHARS + 1));
	memcpy(variant, name + STORE_ID_CHARS + 1, vlen);
	variant[vlen] = '\0';
	if (!store_variant_valid(variant))
		return 0;
	for (i = 0; i < DPART_RAND; i++)
		if (!is_b64url(rnd[i]))
			return 0;
	return 1;
}

/*
 * Removes what crashed uploads and derived makers left in tmp/; names that are neither ID.part
 * nor ID.VARIANT.RAND.dpart are left alone. Adds what it removed to stats.
 */
static enum store_err recover(struct store *st, struct store_gc_stats *stats)
{
	enum store_err rc = STORE_OK;
	struct dirent *de;
	DIR *d;

	/* A fresh descriptor: readdir moves its offset, and closedir closes it. */
	if ((d = dir_open(st->tmpfd, ".")) == NULL)
		return fail_sys(st, "tmp", errno);
	while (rc == STORE_OK && (errno = 0, de = readdir(d)) != NULL) {
		char id[STORE_ID_CHARS + 1];

		if (dpart_name_valid(de->d_name)) {
			rc = recover_one(st, de->d_name, NULL, stats);
			continue;
		}
		if (strlen(de->d_name) != PART_NAME_MAX - 1 ||
		    strcmp(de->d_name + STORE_ID_CHARS, PART_SUFFIX) != 0)
			continue;
		memcpy(id, de->d_name, STORE_ID_CHARS);
		id[STORE_ID_CHARS] = '\0';
		if (!store_id_valid(id))
			continue;
		rc = recover_one(st, de->d_name, id, stats);
	}
	if (rc == STORE_OK && errno != 0)
		rc = fail_sys(st, "readdir tmp", errno);
	closedir(d);
	return rc;
}

enum store_err store_open(const char *dir, struct store **out)
{
	struct store_gc_stats stats;
	struct store *st;
	enum store_err rc;
	int made = 0;

	if (out == NULL)
		return STORE_INVALID;
	*out = NULL;
	memset(&stats, 0, sizeof(stats));
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		fprintf(stderr, "store_open: %s\n", strerror(ENOMEM));
		return STORE_IO;
	}
	st->dirfd = st->objfd = st->tmpfd = st->upfd = -1;
	if (dir == NULL || dir[0] == '\0') {
		set_err(st, 0, "no data folder");
		rc = STORE_INVALID;
		goto err;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = fail_sys(st, "mkdir", errno);
		goto err;
	}
	/* The folder itself may be a symbolic link the administrator made: follow it. */
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		rc = fail_sys(st, "open", errno);
		goto err;
	}
	st->objfd = open_subdir(st->dirfd, "objects", &made);
	if (st->objfd < 0) {
		rc = fail_sys(st, "objects", errno);
		goto err;
	}
	st->tmpfd = open_subdir(st->dirfd, "tmp", &made);
	if (st->tmpfd < 0) {
		rc = fail_sys(st, "tmp", errno);
		goto err;
	}
	st->upfd = open_subdir(st->dirfd, "uploads", &made);
	if (st->upfd < 0) {
		rc = fail_sys(st, "uploads", errno);
		goto err;
	}
	if (made && fsync(st->dirfd) < 0) {
		rc = fail_sys(st, "fsync", errno);
		goto err;
	}
	if ((rc = open_db(st, dir)) != STORE_OK || (rc = prepare_all(st)) != STORE_OK ||
	    (rc = recover(st, &stats)) != STORE_OK)
		goto err;
	st->err[0] = '\0';
	st->err_errno = 0;
	*out = st;
	return STORE_OK;
err:
	fprintf(stderr, "store_open: %s: %s\n", dir ? dir : "(null)", st->err);
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	if (st->tmpfd >= 0)
		close(st->tmpfd);
	if (st->upfd >= 0)
		close(st->upfd);
	if (st->objfd >= 0)
		close(st->objfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st);
}

/* Sessions ---------------------------------------------------------------------------------- */

enum store_err store_session_create(struct store *st, int64_t now, int64_t ttl,
                                    struct store_session *out)
{
	struct store_session ses;
	enum store_err rc;
	sqlite3_stmt *s;

	if (st == NULL)
		return STORE_INVALID;
	if (now < 0 || ttl <= 0 || now > INT64_MAX - ttl) {
		set_err(st, 0, "session time out of range");
		return STORE_INVALID;
	}
	memset(&ses, 0, sizeof(ses));
	if (store_id_new(ses.id) < 0) {
		set_err(st, 0, "RAND_bytes failed");
		return STORE_IO;
	}
	ses.created_at = now;
	ses.expires_at = now + ttl;

	if ((rc = tx_begin(st)) != STORE_OK)
		return rc;
	s = stmt(st, S_SESSION_INSERT);
	if (sqlite3_bind_text(s, 1, ses.id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, ses.created_at) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, ses.expires_at) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = fail_db(st, "insert session");
		sqlite3_reset(s);
		tx_rollback(st);
		return rc;
	}
	sqlite3_reset(s);
	if ((rc = tx_commit(st)) != STORE_OK) {
		tx_rollback(st);
		return rc;
	}
	if (out != NULL)
		*out = ses;
	return STORE_OK;
}

enum store_err store_session_get(struct store *st, const char *id, int64_t now,
                                 struct store_session *out)
{
	struct store_session ses;
	enum store_err rc;
	sqlite3_stmt *s;

	if (st == NULL)
		return STORE_INVALID;
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	memset(&ses, 0, sizeof(ses));
	if ((rc = row_by_id(st, S_SESSION_GET, id, "session", &s)) != STORE_OK)
		goto out;
	memcpy(ses.id, id, STORE_ID_CHARS + 1);
	ses.created_at = sqlite3_column_int64(s, 0);
	ses.expires_at = sqlite3_column_int64(s, 1);
	ses.ended_at = sqlite3_column_type(s, 2) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 2);
	rc = (sqlite3_column_type(s, 2) != SQLITE_NULL || now >= ses.expires_at) ?
	     STORE_GONE : STORE_OK;
	if (out != NULL)
		*out = ses;
out:
	sqlite3_reset(s);       /* ends the read transaction */
	return rc;
}

/*
 * Unlinks objects/XY/ID.* (the derived representations of input id) by scanning its one XY
 * folder: every name there is ours, and "ID." begins only those of this input (ids all have
 * STORE_ID_CHARS characters, so no other input's names share that prefix). A derived file
 * committed during the scan is handled by store_derived_commit's re-check. Returns how many
 * files it unlinked.
 */
static uint64_t unlink_derived(struct store *st, const char *id)
{
	char xy[3] = { id[0], id[1], '\0' };
	struct dirent *de;
	uint64_t n = 0;
	DIR *d;
	int fd;

	if ((d = dir_open(st->objfd, xy)) == NULL) {
		if (errno != ENOENT)
			fprintf(stderr, "store: objects/%s: %s\n", xy, strerror(errno));
		return 0;
	}
	fd = dirfd(d);
	/* Unlinking entries already returned does not make readdir skip the others. */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, id, STORE_ID_CHARS) != 0 || de->d_name[STORE_ID_CHARS] != '.')
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			fprintf(stderr, "store: objects/%s/%s: %s\n", xy, de->d_name, strerror(errno));
	}
	if (errno != 0)
		fprintf(stderr, "store: readdir objects/%s: %s\n", xy, strerror(errno));
	closedir(d);
	return n;
}

/*
 * Unlinks the files of the session's deleted inputs, the ones just tombstoned and any that an
 * earlier crash between COMMIT and unlink left. A crash during this loop leaves orphan object
 * files with a tombstone row; they hold no live data and the garbage collector removes them.
 * Returns how many files it unlinked.
 */
static uint64_t unlink_deleted(struct store *st, const char *session)
{
	char obj[OBJ_NAME_MAX];
	sqlite3_stmt *s = stmt(st, S_SESSION_DELETED);
	uint64_t n = 0;
	int r;

	if (sqlite3_bind_text(s, 1, session, -1, SQLITE_STATIC) != SQLITE_OK)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if (!store_id_valid(id))
			continue;
		obj_name(id, obj);
		if (unlinkat(st->objfd, obj, 0) == 0)
			n++;
		else if (errno != ENOENT)
			fprintf(stderr, "store: objects/%s: %s\n", obj, strerror(errno));
		n += unlink_derived(st, id);
	}
	if (r != SQLITE_DONE)
		fprintf(stderr, "store: deleted inputs of %s: %s\n", session, sqlite3_errmsg(st->db));
out:
	sqlite3_reset(s);
	return n;
}

typedef char upload_id[STORE_ID_CHARS + 1];

/*
 * Reads the ids of session's tus uploads into *ids (malloc'd, *n of them; NULL when none), in
 * the caller's transaction, so that their files can go once their rows are deleted.
 */
static enum store_err session_upload_ids(struct store *st, const char *session, upload_id **ids,
                                         size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_TUS_SESSION_IDS);
	enum store_err rc = STORE_OK;
	size_t cap = 0;
	int r;

	*ids = NULL;
	*n = 0;
	if (sqlite3_bind_text(s, 1, session, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = fail_db(st, "session uploads");
		goto out;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			upload_id *more = realloc(*ids, (cap = cap ? 2 * cap : 8) * sizeof(**ids));
			if (more == NULL) {
				rc = fail_sys(st, "realloc", ENOMEM);
				goto out;
			}
			*ids = more;
		}
		if (col_text(s, 0, (*ids)[*n], sizeof((*ids)[*n])) == 0 && store_id_valid((*ids)[*n]))
			(*n)++;
	}
	if (r != SQLITE_DONE)
		rc = fail_db(st, "session uploads");
out:
	sqlite3_reset(s);
	if (rc != STORE_OK) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

/*
 * Ends session id (a valid id) at now and unlinks its inputs' files and its tus uploads; adds
 * to stats (not NULL) the session when this call ended it, the inputs it tombstoned, the files
 * it unlinked and the uploads it removed.
 */
static enum store_err session_end(struct store *st, const char *id, int64_t now,
                                  struct store_gc_stats *stats)
{
	enum store_err rc;
	sqlite3_stmt *s;
	uint64_t tombstoned = 0, ended = 0;
	upload_id *uploads = NULL;
	size_t nuploads = 0, i;
	int r;

	if ((rc = tx_begin(st)) != STORE_OK)
		return rc;

	s = stmt(st, S_SESSION_GET);
	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		r = SQLITE_ERROR;
	else
		r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	else if (r != SQLITE_ROW)
		rc = fail_db(st, "end session");
	sqlite3_reset(s);
	if (rc != STORE_OK)
		goto out;

	/* Both in one transaction: no input of an ended session can stay live. */
	if ((rc = exec_id_time(st, S_SESSION_TOMBSTONE, id, now, "delete session inputs")) !=
	        STORE_OK)
		goto out;
	tombstoned = (uint64_t)sqlite3_changes(st->db);
	if ((rc = exec_id_time(st, S_SESSION_END, id, now, "end session")) != STORE_OK)
		goto out;
	ended = (uint64_t)sqlite3_changes(st->db);
	/* Its uploads in progress go too: rows now, files once the rows are gone for good. */
	if ((rc = session_upload_ids(st, id, &uploads, &nuploads)) != STORE_OK)
		goto out;
	if ((rc = exec_id(st, S_TUS_SESSION_DELETE, id, "delete session uploads")) != STORE_OK)
		goto out;
	rc = tx_commit(st);
out:
	if (rc != STORE_OK) {
		tx_rollback(st);
		free(uploads);
		return rc;
	}
	stats->sessions_ended += ended;
	stats->inputs_deleted += tombstoned;
	stats->files_removed += unlink_deleted(st, id);
	for (i = 0; i < nuploads; i++) {
		if (unlinkat(st->upfd, uploads[i], 0) == 0)
			stats->uploads_removed++;
		else if (errno != ENOENT)
			fprintf(stderr, "store: uploads/%s: %s\n", uploads[i], strerror(errno));
	}
	free(uploads);
	return STORE_OK;
}

enum store_err store_session_end(struct store *st, const char *id, int64_t now)
{
	struct store_gc_stats stats;

	if (st == NULL)
		return STORE_INVALID;
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	memset(&stats, 0, sizeof(stats));
	return session_end(st, id, now, &stats);
}

/*
 * Step s, whose one row holds two counts (columns 0 and 1), into *first and *second. A sum()
 * that overflows is an SQLite error; a negative count means a damaged index.
 */
static enum store_err two_counts(struct store *st, sqlite3_stmt *s, const char *what,
                                 uint64_t *first, uint64_t *second)
{
	sqlite3_int64 a, b;

	if (sqlite3_step(s) != SQLITE_ROW)
		return fail_db(st, what);
	a = sqlite3_column_int64(s, 0);
	b = sqlite3_column_int64(s, 1);
	if (a < 0 || b < 0) {
		set_err(st, 0, "%s: negative sizes in the index", what);
		return STORE_DB;
	}
	*first = (uint64_t)a;
	*second = (uint64_t)b;
	return STORE_OK;
}

/* Live inputs' bytes and count of session id (valid), read in the caller's transaction if any. */
static enum store_err session_usage(struct store *st, const char *id, uint64_t *bytes,
                                   uint64_t *count)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_USAGE);
	enum store_err rc;

	*bytes = *count = 0;
	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) == SQLITE_OK)
		rc = two_counts(st, s, "session usage", bytes, count);
	else
		rc = fail_db(st, "session usage");
	sqlite3_reset(s);
	return rc;
}

enum store_err store_session_usage(struct store *st, const char *id, uint64_t *bytes,
                                   uint64_t *count)
{
	if (bytes != NULL)
		*bytes = 0;
	if (count != NULL)
		*count = 0;
	if (st == NULL || bytes == NULL || count == NULL)
		return STORE_INVALID;
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	return session_usage(st, id, bytes, count);
}

enum store_err store_stats(struct store *st, uint64_t *inputs, uint64_t *bytes)
{
	/* Prepared per call: it runs once per scrape, not per request. sum() of no rows is NULL. */
	static const char sql[] = "SELECT count(*), coalesce(sum(size), 0) FROM inputs"
	                          " WHERE deleted_at IS NULL";
	sqlite3_stmt *s = NULL;
	enum store_err rc;

	if (inputs != NULL)
		*inputs = 0;
	if (bytes != NULL)
		*bytes = 0;
	if (st == NULL || inputs == NULL || bytes == NULL)
		return STORE_INVALID;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		rc = fail_db(st, "stats");
	else
		rc = two_counts(st, s, "stats", inputs, bytes);
	sqlite3_finalize(s);
	return rc;
}

/* Uploads ----------------------------------------------------------------------------------- */

/*
 * Opens dirfd/name read-only (O_NOFOLLOW) and checks that it is a regular file. Returns the fd,
 * or -1 with errno set and *notreg 0 when openat failed, 1 when fstat failed or the file is not
 * a regular one (errno EINVAL).
 */
static int open_regular(int dirfd, const char *name, int *notreg)
{
	struct stat sb;
	int f, e;

	*notreg = 0;
	f = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0)
		return -1;
	e = fstat(f, &sb) < 0 ? errno : !S_ISREG(sb.st_mode) ? EINVAL : 0;
	if (e != 0) {
		close(f);
		*notreg = 1;
		errno = e;
		return -1;
	}
	return f;
}

/*
 * Create dirfd/NAME (O_EXCL, 0600) and take its lock. STORE_OK with *fd locked, or with *fd -1
 * when the name was taken (by another upload, or by a store_open or garbage collector that
 * removed it as a leftover between O_EXCL and flock: the name must still be our file): the
 * caller draws a new name. An error otherwise.
 */
static enum store_err create_locked(struct store *st, int dirfd, const char *name, int *fd)
{
	struct stat a, b;

	*fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return errno == EEXIST ? STORE_OK : fail_sys(st, "create file", errno);
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			enum store_err rc = fail_sys(st, "flock", errno);
			unlinkat(dirfd, name, 0);
			close(*fd);
			*fd = -1;
			return rc;
		}
	}
	if (fstat(*fd, &a) < 0 || fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(*fd);
		*fd = -1;
	}
	return STORE_OK;
}

/* create_locked in tmp/. */
static enum store_err tmp_create_locked(struct store *st, const char *name, int *fd)
{
	return create_locked(st, st->tmpfd, name, fd);
}

enum store_err store_upload_begin(struct store *st, struct store_upload **out)
{
	struct store_upload *up = NULL;
	enum store_err rc;
	int tries;

	if (st == NULL || out == NULL)
		return STORE_INVALID;
	*out = NULL;
	up = calloc(1, sizeof(*up));
	if (up == NULL)
		return fail_sys(st, "calloc", ENOMEM);
	up->st = st;
	up->fd = -1;
	up->md = EVP_MD_CTX_new();
	if (up->md == NULL || EVP_DigestInit_ex(up->md, EVP_sha256(), NULL) != 1) {
		set_err(st, 0, "EVP_DigestInit_ex failed");
		rc = STORE_IO;
		goto err;
	}
	for (tries = 0; tries < 4 && up->fd < 0; tries++) {
		if (store_id_new(up->id) < 0) {
			set_err(st, 0, "RAND_bytes failed");
			rc = STORE_IO;
			goto err;
		}
		memcpy(up->part, up->id, STORE_ID_CHARS);
		memcpy(up->part + STORE_ID_CHARS, PART_SUFFIX, sizeof(PART_SUFFIX));
		if ((rc = tmp_create_locked(st, up->part, &up->fd)) != STORE_OK)
			goto err;
	}
	if (up->fd < 0) {
		set_err(st, EEXIST, "could not create a tmp file");
		rc = STORE_IO;
		goto err;
	}
	*out = up;
	return STORE_OK;
err:
	if (up->fd >= 0)
		close(up->fd);
	EVP_MD_CTX_free(up->md);
	free(up);
	return keep_errno(st, rc);
}

enum store_err store_upload_write(struct store_upload *up, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t left = len;

	if (up == NULL || (buf == NULL && len > 0))
		return STORE_INVALID;
	if (up->broken) {
		set_err(up->st, 0, "write after a failed write");
		return STORE_INVALID;
	}
	if ((uint64_t)len > UINT64_MAX - up->size) {
		up->broken = 1;
		set_err(up->st, 0, "upload too large");
		return STORE_INVALID;
	}
	while (left > 0) {
		ssize_t n = write(up->fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			up->broken = 1;
			return fail_sys(up->st, "write", errno);
		}
		if (n == 0) {           /* not for a regular file; do not spin on it */
			up->broken = 1;
			return fail_sys(up->st, "write", EIO);
		}
		p += n;
		left -= (size_t)n;
	}
	if (len > 0 && EVP_DigestUpdate(up->md, buf, len) != 1) {
		up->broken = 1;
		set_err(up->st, 0, "EVP_DigestUpdate failed");
		return STORE_IO;
	}
	up->size += len;
	return STORE_OK;
}

uint64_t store_upload_size(const struct store_upload *up)
{
	return up != NULL ? up->size : 0;
}

const char *store_upload_id(const struct store_upload *up)
{
	return up != NULL ? up->id : NULL;
}

int store_upload_fd(const struct store_upload *up)
{
	return up != NULL ? up->fd : -1;
}

/* 1 when every string of meta ends inside its array and names what a row needs. */
static int meta_valid(const struct store_input_meta *m)
{
	return store_id_valid(m->session) &&
	       memchr(m->kind, '\0', sizeof(m->kind)) != NULL && m->kind[0] != '\0' &&
	       memchr(m->content_type, '\0', sizeof(m->content_type)) != NULL &&
	       memchr(m->filename, '\0', sizeof(m->filename)) != NULL && m->created_at >= 0;
}

/* Frees up; the tmp name is removed first, while the lock is still held. */
static void upload_free(struct store_upload *up)
{
	if (up->fd >= 0) {
		unlinkat(up->st->tmpfd, up->part, 0);
		close(up->fd);
	}
	EVP_MD_CTX_free(up->md);
	free(up);
}

/*
 * Checks, under the write lock, that the session exists and lives at now: an input may not be
 * added to a session that another process ended after the handler looked it up.
 */
static enum store_err session_alive(struct store *st, const char *id, int64_t now)
{
	sqlite3_stmt *s;
	enum store_err rc = row_by_id(st, S_SESSION_GET, id, "session", &s);

	if (rc == STORE_OK &&
	    (sqlite3_column_type(s, 2) != SQLITE_NULL || now >= sqlite3_column_int64(s, 1))) {
		set_err(st, 0, "session %s ended or expired", id);
		rc = STORE_GONE;
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * Checks, under the write lock, that the session stays within meta's quota with one more input
 * of size bytes. Under the lock, the usage read counts every input committed before ours, so
 * concurrent uploads cannot both pass on the same room.
 */
static enum store_err quota_check(struct store *st, const struct store_input_meta *meta,
                                  uint64_t size)
{
	uint64_t bytes, count;
	enum store_err rc;

	if (meta->max_bytes == 0 && meta->max_inputs == 0)
		return STORE_OK;
	if ((rc = session_usage(st, meta->session, &bytes, &count)) != STORE_OK)
		return rc;
	if (meta->max_inputs != 0 && count >= meta->max_inputs) {
		set_err(st, 0, "session %s holds %llu inputs, the most it may", meta->session,
		        (unsigned long long)count);
		return STORE_QUOTA;
	}
	if (meta->max_bytes != 0 && (bytes > meta->max_bytes || size > meta->max_bytes - bytes)) {
		set_err(st, 0, "session %s holds %llu bytes; %llu more is over its %llu",
		        meta->session, (unsigned long long)bytes, (unsigned long long)size,
		        (unsigned long long)meta->max_bytes);
		return STORE_QUOTA;
	}
	return STORE_OK;
}

/* Finalises the SHA-256 in md into lowercase hex (hex has STORE_SHA256_HEX + 1 bytes). */
static enum store_err digest_hex(struct store *st, EVP_MD_CTX *md, char *hex)
{
	static const char hexdig[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (EVP_DigestFinal_ex(md, d, &len) != 1 || len * 2 != STORE_SHA256_HEX) {
		set_err(st, 0, "EVP_DigestFinal_ex failed");
		return STORE_IO;
	}
	for (i = 0; i < len; i++) {
		hex[2 * i] = hexdig[d[i] >> 4];
		hex[2 * i + 1] = hexdig[d[i] & 15];
	}
	hex[STORE_SHA256_HEX] = '\0';
	return STORE_OK;
}

/*
 * Inside the caller's write transaction, for an input of id, size bytes with digest hex: checks
 * that meta's session lives and has room (quota), inserts the inputs row, and links
 * srcdir/srcname to objects/XY/ID with the folder fsynced. *xyfd is the XY folder (the caller
 * closes it; -1 when not opened), *linked 1 once the link exists (the caller unlinks it when
 * the transaction does not commit).
 */
static enum store_err index_input(struct store *st, const char *id,
                                  const struct store_input_meta *meta, const char *json,
                                  uint64_t size, const char *hex, int srcdir, const char *srcname,
                                  int *xyfd, int *linked)
{
	char xy[3] = { id[0], id[1], '\0' };
	enum store_err rc;
	sqlite3_stmt *s;
	int made_xy = 0;

	if ((rc = session_alive(st, meta->session, meta->created_at)) != STORE_OK)
		return rc;
	if ((rc = quota_check(st, meta, size)) != STORE_OK)
		return rc;
	s = stmt(st, S_INPUT_INSERT);
	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, meta->session, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, meta->kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, meta->content_type, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, meta->filename, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, (sqlite3_int64)size) != SQLITE_OK ||
	    sqlite3_bind_text(s, 7, hex, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 8, meta->created_at) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, json, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = fail_db(st, "insert input");
	sqlite3_reset(s);
	if (rc != STORE_OK)
		return rc;
	*xyfd = open_subdir(st->objfd, xy, &made_xy);
	if (*xyfd < 0)
		return fail_sys(st, "objects/XY", errno);
	if (linkat(srcdir, srcname, *xyfd, id, 0) < 0)
		return fail_sys(st, "link", errno);
	*linked = 1;
	/* The new name, and the new XY folder's name in objects/, must survive a power cut. */
	if (fsync(*xyfd) < 0 || (made_xy && fsync(st->objfd) < 0))
		return fail_sys(st, "fsync objects", errno);
	return STORE_OK;
}

/* Fills out with the input just committed; takes json (malloc'd). */
static void committed_input(struct store_input *out, const char *id,
                            const struct store_input_meta *meta, uint64_t size, const char *hex,
                            char *json)
{
	memcpy(out->id, id, sizeof(out->id));
	memcpy(out->session, meta->session, sizeof(out->session));
	memcpy(out->kind, meta->kind, strlen(meta->kind) + 1);
	memcpy(out->content_type, meta->content_type, strlen(meta->content_type) + 1);
	memcpy(out->filename, meta->filename, strlen(meta->filename) + 1);
	memcpy(out->sha256, hex, sizeof(out->sha256));
	out->size = size;
	out->created_at = meta->created_at;
	out->deleted_at = 0;
	out->metadata_json = json;
}

/*
 * Ends the caller's write transaction for the input id: index_input (srcdir/srcname linked to
 * objects/XY/ID), then COMMIT. On any failure: ROLLBACK, and the link removed. On success, with
 * out, fills it and takes *json_copy (set to NULL).
 */
static enum store_err index_commit(struct store *st, const char *id,
                                   const struct store_input_meta *meta, const char *json,
                                   uint64_t size, const char *hex, int srcdir,
                                   const char *srcname, struct store_input *out, char **json_copy)
{
	enum store_err rc;
	int xyfd = -1, linked = 0;

	if ((rc = index_input(st, id, meta, json, size, hex, srcdir, srcname, &xyfd, &linked)) ==
	    STORE_OK && (rc = tx_commit(st)) == STORE_OK) {
		if (out != NULL) {
			committed_input(out, id, meta, size, hex, *json_copy);
			*json_copy = NULL;
		}
	} else {
		tx_rollback(st);
		if (linked)
			unlinkat(xyfd, id, 0);
	}
	if (xyfd >= 0)
		close(xyfd);
	return rc;
}

enum store_err store_upload_commit(struct store_upload *up, const struct store_input_meta *meta,
                                   struct store_input *out)
{
	char hex[STORE_SHA256_HEX + 1];
	const char *json;
	char *json_copy = NULL;
	struct store *st;
	enum store_err rc;

	if (up == NULL)
		return STORE_INVALID;
	st = up->st;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (meta == NULL || !meta_valid(meta) || up->size > (uint64_t)INT64_MAX) {
		set_err(st, 0, "invalid input metadata");
		rc = STORE_INVALID;
		goto out;
	}
	if (up->broken) {
		set_err(st, 0, "commit after a failed write");
		rc = STORE_INVALID;
		goto out;
	}
	json = meta->metadata_json != NULL ? meta->metadata_json : "{}";
	/* Allocate before COMMIT: after it, the call must not fail. */
	if (out != NULL && (json_copy = strdup(json)) == NULL) {
		rc = fail_sys(st, "strdup", ENOMEM);
		goto out;
	}
	if ((rc = digest_hex(st, up->md, hex)) != STORE_OK)
		goto out;

	/* The data reach the disk before the row that promises them. */
	if (fsync(up->fd) < 0) {
		rc = fail_sys(st, "fsync", errno);
		goto out;
	}
	if ((rc = tx_begin(st)) != STORE_OK)
		goto out;
	rc = index_commit(st, up->id, meta, json, up->size, hex, st->tmpfd, up->part, out,
	                  &json_copy);
out:
	/*
	 * The tmp name goes last, under the lock: a store_open that finds it later sees either
	 * the row (commit done) or no row and no object (cleaned by index_commit).
	 */
	free(json_copy);
	upload_free(up);
	return keep_errno(st, rc);
}

void store_upload_abort(struct store_upload *up)
{
	if (up != NULL)
		upload_free(up);
}

/* tus uploads ------------------------------------------------------------------------------- */

/* Fills out from a row of S_TUS_GET for id; STORE_DB for a malformed row. */
static enum store_err row_to_tus(struct store *st, sqlite3_stmt *s, const char *id,
                                 struct store_tus *out)
{
	sqlite3_int64 off = sqlite3_column_int64(s, 1), len = sqlite3_column_int64(s, 2);
	const unsigned char *meta = sqlite3_column_text(s, 3);

	memset(out, 0, sizeof(*out));
	memcpy(out->id, id, STORE_ID_CHARS + 1);
	if (col_text(s, 0, out->session, sizeof(out->session)) < 0 || off < 0 ||
	    (sqlite3_column_type(s, 2) != SQLITE_NULL && (len < 0 || len < off)) ||
	    (meta != NULL && (size_t)sqlite3_column_bytes(s, 3) > STORE_TUS_METADATA_MAX)) {
		set_err(st, 0, "malformed uploads row %s", id);
		return STORE_DB;
	}
	out->offset = (uint64_t)off;
	out->length_known = sqlite3_column_type(s, 2) != SQLITE_NULL;
	out->length = out->length_known ? (uint64_t)len : 0;
	if (meta != NULL)
		snprintf(out->metadata, sizeof(out->metadata), "%s", (const char *)meta);
	out->created_at = sqlite3_column_int64(s, 4);
	out->expires_at = sqlite3_column_int64(s, 5);
	return STORE_OK;
}

/* The row of upload id (valid), in the caller's transaction if any: STORE_OK or NOT_FOUND. */
static enum store_err tus_row(struct store *st, const char *id, struct store_tus *out)
{
	sqlite3_stmt *s;
	enum store_err rc = row_by_id(st, S_TUS_GET, id, "upload", &s);

	if (rc == STORE_OK)
		rc = row_to_tus(st, s, id, out);
	sqlite3_reset(s);       /* ends the read transaction */
	return rc;
}

enum store_err store_tus_create(struct store *st, struct store_tus *t,
                                struct store_tus_writer **out)
{
	struct store_tus_writer *w;
	enum store_err rc;
	sqlite3_stmt *s;
	int tries;

	if (out != NULL)
		*out = NULL;
	if (st == NULL || t == NULL || out == NULL)
		return STORE_INVALID;
	if (!store_id_valid(t->session) || t->created_at < 0 ||
	    memchr(t->metadata, '\0', sizeof(t->metadata)) == NULL ||
	    (t->length_known && t->length > (uint64_t)INT64_MAX)) {
		set_err(st, 0, "invalid upload");
		return STORE_INVALID;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return fail_sys(st, "calloc", ENOMEM);
	w->st = st;
	w->fd = -1;
	for (tries = 0; tries < 4 && w->fd < 0; tries++) {
		if (store_id_new(w->id) < 0) {
			set_err(st, 0, "RAND_bytes failed");
			rc = STORE_IO;
			goto err;
		}
		if ((rc = create_locked(st, st->upfd, w->id, &w->fd)) != STORE_OK)
			goto err;
	}
	if (w->fd < 0) {
		set_err(st, EEXIST, "could not create an upload file");
		rc = STORE_IO;
		goto err;
	}
	/* The name reaches the disk before the row that promises it. */
	if (fsync(st->upfd) < 0) {
		rc = fail_sys(st, "fsync uploads", errno);
		goto err;
	}
	if ((rc = tx_begin(st)) != STORE_OK)
		goto err;
	if ((rc = session_alive(st, t->session, t->created_at)) != STORE_OK) {
		tx_rollback(st);
		goto err;
	}
	s = stmt(st, S_TUS_INSERT);
	if (sqlite3_bind_text(s, 1, w->id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, t->session, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (t->length_known ? sqlite3_bind_int64(s, 3, (sqlite3_int64)t->length)
	                     : sqlite3_bind_null(s, 3)) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, t->metadata, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, t->created_at) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, t->expires_at) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = fail_db(st, "insert upload");
	sqlite3_reset(s);
	if (rc == STORE_OK)
		rc = tx_commit(st);
	if (rc != STORE_OK) {
		tx_rollback(st);
		goto err;
	}
	memcpy(t->id, w->id, sizeof(t->id));
	t->offset = 0;
	*out = w;
	return STORE_OK;
err:
	if (w->fd >= 0) {
		unlinkat(st->upfd, w->id, 0);
		close(w->fd);
	}
	free(w);
	return keep_errno(st, rc);
}

enum store_err store_tus_get(struct store *st, const char *id, int64_t now, struct store_tus *out)
{
	enum store_err rc;

	if (st == NULL || out == NULL)
		return STORE_INVALID;
	memset(out, 0, sizeof(*out));
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	if ((rc = tus_row(st, id, out)) != STORE_OK)
		return rc;
	return out->expires_at <= now ? STORE_GONE : STORE_OK;
}

enum store_err store_tus_open(struct store *st, const char *id, int *fd)
{
	int f, notreg;

	if (fd != NULL)
		*fd = -1;
	if (st == NULL || fd == NULL)
		return STORE_INVALID;
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	f = open_regular(st->upfd, id, &notreg);
	if (f < 0) {
		if (notreg)
			return fail_sys(st, "upload is not a regular file", errno);
		if (errno == ENOENT) {
			set_err(st, ENOENT, "uploads/%s: no such upload", id);
			return STORE_NOT_FOUND;
		}
		return fail_sys(st, "open upload", errno);
	}
	*fd = f;
	return STORE_OK;
}

enum store_err store_tus_lock(struct store *st, const char *id, int64_t now,
                              struct store_tus_writer **out, struct store_tus *state)
{
	struct store_tus_writer *w;
	struct stat a, b;
	enum store_err rc;

	if (out != NULL)
		*out = NULL;
	if (st == NULL || out == NULL || state == NULL)
		return STORE_INVALID;
	memset(state, 0, sizeof(*state));
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return fail_sys(st, "calloc", ENOMEM);
	w->st = st;
	memcpy(w->id, id, sizeof(w->id));
	w->fd = openat(st->upfd, id, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (w->fd < 0) {
		rc = errno == ENOENT ? STORE_NOT_FOUND : fail_sys(st, "open upload", errno);
		goto err;
	}
	while (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			set_err(st, EWOULDBLOCK, "upload %s is being written", id);
			rc = STORE_BUSY;
		} else {
			rc = fail_sys(st, "flock", errno);
		}
		goto err;
	}
	/* Still the file under that name? A terminator or the collector may have unlinked it. */
	if (fstat(w->fd, &a) < 0 || fstatat(st->upfd, id, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino || !S_ISREG(a.st_mode)) {
		set_err(st, ENOENT, "uploads/%s: removed", id);
		rc = STORE_NOT_FOUND;
		goto err;
	}
	if ((rc = tus_row(st, id, state)) != STORE_OK)
		goto err;
	if (state->expires_at <= now) {
		set_err(st, 0, "upload %s expired", id);
		rc = STORE_GONE;
		goto err;
	}
	if ((uint64_t)a.st_size < state->offset) {
		set_err(st, EIO, "uploads/%s: %llu bytes, but %llu recorded", id,
		        (unsigned long long)a.st_size, (unsigned long long)state->offset);
		rc = STORE_IO;
		goto err;
	}
	/* A writer that died between its write and its sync left bytes nobody acknowledged. */
	if ((uint64_t)a.st_size > state->offset && ftruncate(w->fd, (off_t)state->offset) < 0) {
		rc = fail_sys(st, "ftruncate upload", errno);
		goto err;
	}
	w->recorded = w->size = state->offset;
	*out = w;
	return STORE_OK;
err:
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return keep_errno(st, rc);
}

uint64_t store_tus_size(const struct store_tus_writer *w)
{
	return w != NULL ? w->size : 0;
}

uint64_t store_tus_recorded(const struct store_tus_writer *w)
{
	return w != NULL ? w->recorded : 0;
}

const char *store_tus_writer_id(const struct store_tus_writer *w)
{
	return w != NULL ? w->id : NULL;
}

int store_tus_fd(const struct store_tus_writer *w)
{
	return w != NULL ? w->fd : -1;
}

enum store_err store_tus_write(struct store_tus_writer *w, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t left = len;
	uint64_t at;

	if (w == NULL || (buf == NULL && len > 0))
		return STORE_INVALID;
	if ((uint64_t)len > (uint64_t)INT64_MAX - w->size) {
		set_err(w->st, 0, "upload too large");
		return STORE_INVALID;
	}
	at = w->size;
	while (left > 0) {
		ssize_t n = pwrite(w->fd, p, left, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			enum store_err rc = fail_sys(w->st, "write upload", n < 0 ? errno : EIO);
			/* Back to what the file held: no half-written chunk stays behind. */
			if (ftruncate(w->fd, (off_t)w->size) < 0)
				fprintf(stderr, "store: uploads/%s: ftruncate: %s\n", w->id, strerror(errno));
			return keep_errno(w->st, rc);
		}
		p += n;
		at += (uint64_t)n;
		left -= (size_t)n;
	}
	w->size = at;
	return STORE_OK;
}

enum store_err store_tus_sync(struct store_tus_writer *w, int64_t length, int64_t expires_at)
{
	struct store *st;
	enum store_err rc;
	sqlite3_stmt *s;
	int changed = 0;

	if (w == NULL)
		return STORE_INVALID;
	st = w->st;
	if (length >= 0 && (uint64_t)length < w->size) {
		set_err(st, 0, "length %lld below the offset", (long long)length);
		return STORE_INVALID;
	}
	/* The bytes reach the disk before the row that promises them. */
	if (fdatasync(w->fd) < 0)
		return fail_sys(st, "fdatasync upload", errno);
	if ((rc = tx_begin(st)) != STORE_OK)
		return rc;
	s = stmt(st, S_TUS_SYNC);
	if (sqlite3_bind_text(s, 1, w->id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)w->size) != SQLITE_OK ||
	    (length >= 0 ? sqlite3_bind_int64(s, 3, length) : sqlite3_bind_null(s, 3)) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, expires_at) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE)
		rc = fail_db(st, "sync upload");
	else
		changed = sqlite3_changes(st->db);
	sqlite3_reset(s);
	if (rc == STORE_OK && changed == 0) {
		set_err(st, 0, "upload %s is gone", w->id);
		rc = STORE_NOT_FOUND;
	}
	if (rc == STORE_OK)
		rc = tx_commit(st);
	if (rc != STORE_OK) {
		tx_rollback(st);
		return rc;
	}
	w->recorded = w->size;
	return STORE_OK;
}

enum store_err store_tus_rewind(struct store_tus_writer *w)
{
	if (w == NULL)
		return STORE_INVALID;
	if (w->size != w->recorded && ftruncate(w->fd, (off_t)w->recorded) < 0)
		return fail_sys(w->st, "ftruncate upload", errno);
	w->size = w->recorded;
	return STORE_OK;
}

/* Frees w: unrecorded bytes cut off and the lock released (close). */
static void tus_free(struct store_tus_writer *w)
{
	if (w->fd >= 0) {
		if (w->size != w->recorded && ftruncate(w->fd, (off_t)w->recorded) < 0)
			fprintf(stderr, "store: uploads/%s: ftruncate: %s\n", w->id, strerror(errno));
		close(w->fd);
	}
	free(w);
}

void store_tus_release(struct store_tus_writer *w)
{
	if (w != NULL)
		tus_free(w);
}

/* The SHA-256 of the first size bytes of fd, in lowercase hex. */
static enum store_err file_sha256(struct store *st, int fd, uint64_t size, char *hex)
{
	enum { CHUNK = 128 * 1024 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *buf = malloc(CHUNK);
	enum store_err rc = STORE_OK;
	uint64_t at = 0;

	if (md == NULL || buf == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		set_err(st, 0, "EVP_DigestInit_ex failed");
		rc = STORE_IO;
		goto out;
	}
	while (at < size) {
		size_t want = size - at < CHUNK ? (size_t)(size - at) : CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = fail_sys(st, "read upload", n < 0 ? errno : EIO);
			goto out;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			set_err(st, 0, "EVP_DigestUpdate failed");
			rc = STORE_IO;
			goto out;
		}
		at += (uint64_t)n;
	}
	rc = digest_hex(st, md, hex);
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

enum store_err store_tus_complete(struct store_tus_writer *w, const struct store_input_meta *meta,
                                  struct store_input *out)
{
	char hex[STORE_SHA256_HEX + 1];
	struct store_tus row;
	const char *json;
	char *json_copy = NULL;
	struct store *st;
	enum store_err rc;
	int in_tx = 0;

	if (w == NULL)
		return STORE_INVALID;
	st = w->st;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (meta == NULL || !meta_valid(meta) || w->size != w->recorded) {
		set_err(st, 0, "invalid input metadata, or unrecorded bytes");
		return STORE_INVALID;
	}
	json = meta->metadata_json != NULL ? meta->metadata_json : "{}";
	/* Allocate before COMMIT: after it, the call must not fail. */
	if (out != NULL && (json_copy = strdup(json)) == NULL)
		return fail_sys(st, "strdup", ENOMEM);
	/* Synced already (w->size == w->recorded): the bytes are on the disk. */
	if ((rc = file_sha256(st, w->fd, w->size, hex)) != STORE_OK)
		goto out;
	if ((rc = tx_begin(st)) != STORE_OK)
		goto out;
	in_tx = 1;
	if ((rc = tus_row(st, w->id, &row)) != STORE_OK)
		goto out;
	if (strcmp(row.session, meta->session) != 0) {
		set_err(st, 0, "upload %s is of another session", w->id);
		rc = STORE_INVALID;
		goto out;
	}
	if ((rc = exec_id(st, S_TUS_DELETE, w->id, "delete upload")) != STORE_OK)
		goto out;
	in_tx = 0;
	if ((rc = index_commit(st, w->id, meta, json, w->size, hex, st->upfd, w->id, out,
	                       &json_copy)) != STORE_OK)
		goto out;
	/*
	 * The upload's name goes last, under the lock: the collector keeps objects/XY/ID while
	 * uploads/ID exists, and removes an uploads/ID without a row only when nobody holds it.
	 */
	if (unlinkat(st->upfd, w->id, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "store: uploads/%s: %s\n", w->id, strerror(errno));
out:
	if (rc != STORE_OK && in_tx)
		tx_rollback(st);
	free(json_copy);
	if (rc == STORE_OK)
		tus_free(w);
	return keep_errno(st, rc);
}

enum store_err store_tus_remove(struct store_tus_writer *w)
{
	struct store *st;
	enum store_err rc;

	if (w == NULL)
		return STORE_INVALID;
	st = w->st;
	if ((rc = tx_begin(st)) == STORE_OK &&
	    (rc = exec_id(st, S_TUS_DELETE, w->id, "delete upload")) == STORE_OK)
		rc = tx_commit(st);
	if (rc != STORE_OK)
		tx_rollback(st);
	else if (unlinkat(st->upfd, w->id, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "store: uploads/%s: %s\n", w->id, strerror(errno));
	w->recorded = w->size;  /* nothing to cut: the file goes */
	tus_free(w);
	return rc;
}

enum store_err store_tus_delete(struct store *st, const char *id)
{
	enum store_err rc;
	int changed = 0;

	if (st == NULL)
		return STORE_INVALID;
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	if ((rc = tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = exec_id(st, S_TUS_DELETE, id, "delete upload")) == STORE_OK)
		changed = sqlite3_changes(st->db);
	if (rc == STORE_OK && changed == 0) {
		set_err(st, 0, "no upload %s", id);
		rc = STORE_NOT_FOUND;
	}
	if (rc == STORE_OK)
		rc = tx_commit(st);
	if (rc != STORE_OK) {
		tx_rollback(st);
		return rc;
	}
	/* The row is gone for good; a crash before this unlink leaves a file the collector takes. */
	if (unlinkat(st->upfd, id, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "store: uploads/%s: %s\n", id, strerror(errno));
	return STORE_OK;
}

enum store_err store_tus_usage(struct store *st, const char *session, const char *except,
                               uint64_t *bytes, uint64_t *count)
{
	sqlite3_stmt *s;
	enum store_err rc;

	if (bytes != NULL)
		*bytes = 0;
	if (count != NULL)
		*count = 0;
	if (st == NULL || bytes == NULL || count == NULL)
		return STORE_INVALID;
	if (!store_id_valid(session))
		return STORE_NOT_FOUND;
	s = stmt(st, S_TUS_USAGE);
	if (sqlite3_bind_text(s, 1, session, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (except != NULL ? sqlite3_bind_text(s, 2, except, -1, SQLITE_STATIC)
	                    : sqlite3_bind_null(s, 2)) != SQLITE_OK)
		rc = fail_db(st, "upload usage");
	else
		rc = two_counts(st, s, "upload usage", bytes, count);
	sqlite3_reset(s);
	return rc;
}

/* Inputs ------------------------------------------------------------------------------------ */

enum store_err store_input_get(struct store *st, const char *id, struct store_input *out)
{
	struct store_input in;
	enum store_err rc;
	sqlite3_stmt *s;

	if (st == NULL || out == NULL)
		return STORE_INVALID;
	memset(out, 0, sizeof(*out));
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	if ((rc = row_by_id(st, S_INPUT_GET, id, "input", &s)) != STORE_OK)
		goto out;
	if ((rc = row_to_input(st, s, &in)) != STORE_OK)
		goto out;
	*out = in;
	rc = in.deleted_at != 0 ? STORE_GONE : STORE_OK;
out:
	sqlite3_reset(s);
	return keep_errno(st, rc);
}

enum store_err store_read_lookup(struct store *st, const char *session, const char *id,
                                 int64_t now, enum store_err *session_state,
                                 struct store_input *out)
{
	struct store_input in;
	enum store_err rc;
	sqlite3_stmt *s;
	int r;

	if (st == NULL || session_state == NULL || out == NULL)
		return STORE_INVALID;
	memset(out, 0, sizeof(*out));
	*session_state = STORE_NOT_FOUND;
	if (!store_id_valid(session))
		return STORE_NOT_FOUND;
	s = stmt(st, S_READ_LOOKUP);
	if (sqlite3_bind_text(s, 1, session, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = fail_db(st, "read lookup");
		goto out;
	}
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {         /* no such session */
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if (r != SQLITE_ROW) {
		rc = fail_db(st, "read lookup");
		goto out;
	}
	/* As store_session_get: ended, or expired at now, is gone. */
	*session_state = (sqlite3_column_type(s, 11) != SQLITE_NULL ||
	                  now >= sqlite3_column_int64(s, 10)) ? STORE_GONE : STORE_OK;
	if (*session_state != STORE_OK || !store_id_valid(id) ||
	    sqlite3_column_type(s, 0) == SQLITE_NULL) {
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if ((rc = row_to_input(st, s, &in)) != STORE_OK)
		goto out;
	*out = in;
	rc = in.deleted_at != 0 ? STORE_GONE : STORE_OK;
out:
	sqlite3_reset(s);       /* ends the read transaction */
	return keep_errno(st, rc);
}

void store_input_free(struct store_input *in)
{
	if (in == NULL)
		return;
	free(in->metadata_json);
	in->metadata_json = NULL;
}

/* The state of input id now: STORE_OK live, STORE_GONE deleted, STORE_NOT_FOUND, STORE_DB. */
static enum store_err input_state(struct store *st, const char *id)
{
	sqlite3_stmt *s = stmt(st, S_INPUT_STATE);
	enum store_err rc;
	int r;

	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		r = SQLITE_ERROR;
	else
		r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	else if (r != SQLITE_ROW)
		rc = fail_db(st, "input state");
	else
		rc = sqlite3_column_type(s, 0) == SQLITE_NULL ? STORE_OK : STORE_GONE;
	sqlite3_reset(s);
	return rc;
}

/*
 * Object files are 0600, readable by this program only. Should the web server ever send them
 * itself (X-Sendfile), it needs read access: a shared group and 0640, decided at deployment.
 */
enum store_err store_input_open(struct store *st, const struct store_input *in, int *fd)
{
	char obj[OBJ_NAME_MAX];
	enum store_err rc;
	int f, e, notreg;

	if (fd != NULL)
		*fd = -1;
	if (st == NULL || in == NULL || fd == NULL || !store_id_valid(in->id))
		return STORE_INVALID;
	if (in->deleted_at != 0)
		return STORE_GONE;
	obj_name(in->id, obj);
	f = open_regular(st->objfd, obj, &notreg);
	if (f < 0) {
		e = errno;
		if (notreg)
			return fail_sys(st, "object is not a regular file", e);
		if (e != ENOENT)
			return fail_sys(st, "open object", e);
		/* Deleted by another process since the caller read the row? Then it is gone. */
		rc = input_state(st, in->id);
		if (rc == STORE_OK) {
			set_err(st, ENOENT, "objects/%s: missing for a live input", obj);
			errno = ENOENT;
			return STORE_IO;
		}
		return rc;
	}
	*fd = f;
	return STORE_OK;
}

enum store_err store_input_delete(struct store *st, const char *id, int64_t now)
{
	char obj[OBJ_NAME_MAX];
	enum store_err rc;

	if (st == NULL)
		return STORE_INVALID;
	if (!store_id_valid(id))
		return STORE_NOT_FOUND;
	if ((rc = tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = input_state(st, id)) != STORE_OK)
		goto out;
	if ((rc = exec_id_time(st, S_INPUT_TOMBSTONE, id, now, "delete input")) != STORE_OK)
		goto out;
	rc = tx_commit(st);
out:
	if (rc != STORE_OK) {
		tx_rollback(st);
		return rc;
	}
	/*
	 * The tombstone is durable; a crash before this unlink leaves an orphan file that the
	 * garbage collector removes. A failure here does not undo the delete either.
	 */
	obj_name(id, obj);
	if (unlinkat(st->objfd, obj, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "store: objects/%s: %s\n", obj, strerror(errno));
	unlink_derived(st, id);
	return STORE_OK;
}

/*
 * fn may read the store (store_input_get, store_input_open) but should not write to it: this
 * connection holds a read snapshot while the rows are walked.
 */
enum store_err store_input_list(struct store *st, const char *session,
                                int (*fn)(void *ctx, const struct store_input *in), void *ctx)
{
	sqlite3_stmt *s, *own = NULL;
	struct store_input in;
	enum store_err rc = STORE_OK;
	int r;

	if (st == NULL || fn == NULL)
		return STORE_INVALID;
	if (!store_id_valid(session))
		return STORE_NOT_FOUND;
	s = st->stmt[S_INPUT_LIST];
	if (sqlite3_stmt_busy(s)) {
		/* Called from inside another listing's fn: do not reset the outer walk. */
		if (sqlite3_prepare_v3(st->db, stmt_sql[S_INPUT_LIST], -1, 0, &own, NULL) != SQLITE_OK)
			return fail_db(st, "list inputs");
		s = own;
	} else {
		s = stmt(st, S_INPUT_LIST);
	}
	if (sqlite3_bind_text(s, 1, session, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = fail_db(st, "list inputs");
		goto out;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		int stop;

		if ((rc = row_to_input(st, s, &in)) != STORE_OK)
			goto out;
		stop = fn(ctx, &in);
		store_input_free(&in);
		if (stop != 0)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = fail_db(st, "list inputs");
out:
	if (own != NULL)
		sqlite3_finalize(own);
	else
		sqlite3_reset(s);
	return keep_errno(st, rc);
}

/* Derived representations ------------------------------------------------------------------- */

/* "XY/ID.VARIANT" relative to objects/, for a valid id and variant. */
static void derived_obj_name(const char *id, const char *variant, char out[DERIVED_OBJ_MAX])
{
	snprintf(out, DERIVED_OBJ_MAX, "%.2s/%s.%s", id, id, variant);
}

enum store_err store_derived_open(struct store *st, const char *id, const char *variant, int *fd)
{
	char obj[DERIVED_OBJ_MAX];
	int f, e, notreg;

	if (fd != NULL)
		*fd = -1;
	if (st == NULL || fd == NULL || !store_id_valid(id) || !store_variant_valid(variant))
		return STORE_INVALID;
	derived_obj_name(id, variant, obj);
	f = open_regular(st->objfd, obj, &notreg);
	if (f < 0) {
		e = errno;
		if (notreg)
			return fail_sys(st, "derived is not a regular file", e);
		if (e == ENOENT) {
			set_err(st, ENOENT, "objects/%s: not made yet", obj);
			return STORE_NOT_FOUND;
		}
		return fail_sys(st, "open derived", e);
	}
	*fd = f;
	return STORE_OK;
}

/*
 * RAND in the temporary name lets several processes make the same variant at once, each in its
 * own file; the lock tells store_open that the maker lives.
 */
enum store_err store_derived_begin(struct store *st, const char *id, const char *variant,
                                   struct store_derived **out, int *fd)
{
	uint8_t raw[DPART_RAW_BYTES];
	char rnd[DPART_RAND + 1];
	struct store_derived *d = NULL;
	enum store_err rc;
	int tries, n;

	if (out != NULL)
		*out = NULL;
	if (fd != NULL)
		*fd = -1;
	if (st == NULL || out == NULL || fd == NULL || !store_id_valid(id) ||
	    !store_variant_valid(variant))
		return STORE_INVALID;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return fail_sys(st, "calloc", ENOMEM);
	d->st = st;
	d->fd = -1;
	memcpy(d->id, id, sizeof(d->id));
	snprintf(d->name, sizeof(d->name), "%s.%s", id, variant);
	for (tries = 0; tries < 4 && d->fd < 0; tries++) {
		if (RAND_bytes(raw, sizeof(raw)) != 1 ||
		    b64url_encode(rnd, raw, sizeof(raw)) != DPART_RAND) {
			set_err(st, 0, "RAND_bytes failed");
			rc = STORE_IO;
			goto err;
		}
		n = snprintf(d->part, sizeof(d->part), "%s.%s%s", d->name, rnd, DPART_SUFFIX);
		if (n < 0 || (size_t)n >= sizeof(d->part)) {
			set_err(st, 0, "derived tmp name too long");
			rc = STORE_INVALID;
			goto err;
		}
		if ((rc = tmp_create_locked(st, d->part, &d->fd)) != STORE_OK)
			goto err;
	}
	if (d->fd < 0) {
		set_err(st, EEXIST, "could not create a derived tmp file");
		rc = STORE_IO;
		goto err;
	}
	*out = d;
	*fd = d->fd;
	return STORE_OK;
err:
	if (d->fd >= 0)
		close(d->fd);
	free(d);
	return keep_errno(st, rc);
}

/* Frees d; the tmp name, if still there, is removed first, while the lock is held. */
static void derived_free(struct store_derived *d, int renamed)
{
	if (d->fd >= 0) {
		if (!renamed)
			unlinkat(d->st->tmpfd, d->part, 0);
		close(d->fd);
	}
	free(d);
}

/*
 * The input is checked before the rename and again after it. A delete runs as: tombstone
 * COMMIT, then a scan of objects/XY that unlinks ID.*. If that COMMIT comes before our second
 * check, the check sees the tombstone and we unlink what we renamed. If it comes after, then
 * its scan starts after our rename and finds the file. Either way no derived file of a deleted
 * input stays (a crash between the rename and the check leaves one, an orphan of a tombstoned
 * input, like a crash inside store_input_delete). Unlinking by name may remove an equal file
 * a concurrent maker renamed over ours: a cache entry, made again on the next read.
 */
enum store_err store_derived_commit(struct store_derived *d)
{
	char xy[3] = "";
	struct store *st;
	enum store_err rc;
	int xyfd = -1, made_xy = 0, renamed = 0;

	if (d == NULL)
		return STORE_INVALID;
	st = d->st;
	/* The bytes reach the disk before the name that promises them. */
	if (fsync(d->fd) < 0) {
		rc = fail_sys(st, "fsync derived", errno);
		goto out;
	}
	if ((rc = input_state(st, d->id)) != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			set_err(st, 0, "no input %s", d->id);
		else if (rc == STORE_GONE)
			set_err(st, 0, "input %s deleted", d->id);
		goto out;
	}
	xy[0] = d->id[0];
	xy[1] = d->id[1];
	xy[2] = '\0';
	xyfd = open_subdir(st->objfd, xy, &made_xy);
	if (xyfd < 0) {
		rc = fail_sys(st, "objects/XY", errno);
		goto out;
	}
	/* Atomic: a reader opens the old version, the new one, or none, never a partial file. */
	if (renameat(st->tmpfd, d->part, xyfd, d->name) < 0) {
		rc = fail_sys(st, "rename derived", errno);
		goto out;
	}
	renamed = 1;
	if (fsync(xyfd) < 0 || (made_xy && fsync(st->objfd) < 0)) {
		rc = fail_sys(st, "fsync objects", errno);
		goto out;
	}
	if ((rc = input_state(st, d->id)) != STORE_OK) {
		if (rc != STORE_DB)
			set_err(st, 0, "input %s deleted during the commit", d->id);
		goto out;
	}
out:
	if (rc != STORE_OK && renamed && unlinkat(xyfd, d->name, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "store: objects/%s/%s: %s\n", xy, d->name, strerror(errno));
	if (xyfd >= 0)
		close(xyfd);
	derived_free(d, renamed);
	return keep_errno(st, rc);
}

void store_derived_abort(struct store_derived *d)
{
	if (d != NULL)
		derived_free(d, 0);
}

/* Garbage collection ------------------------------------------------------------------------ */

/*
 * Step 1: ends the sessions that expired at now, GC_BATCH per query. Each one ended drops out
 * of the query, so the loop ends; a concurrent collector ending the same one is harmless.
 */
static enum store_err gc_expired(struct store *st, int64_t now, struct store_gc_stats *stats)
{
	char ids[GC_BATCH][STORE_ID_CHARS + 1];
	enum store_err rc = STORE_OK;
	sqlite3_stmt *s;
	int got, n, i, r;

	do {
		s = stmt(st, S_GC_EXPIRED);
		got = n = 0;
		if (sqlite3_bind_int64(s, 1, now) != SQLITE_OK)
			r = SQLITE_ERROR;
		else
			while ((r = sqlite3_step(s)) == SQLITE_ROW && got < GC_BATCH) {
				got++;
				/* Only this module writes ids; skip (forever) one that is not ours. */
				if (col_text(s, 0, ids[n], sizeof(ids[n])) == 0 && store_id_valid(ids[n]))
					n++;
			}
		if (r != SQLITE_DONE && r != SQLITE_ROW)
			rc = fail_db(st, "expired sessions");
		sqlite3_reset(s);       /* no read snapshot held into the write transactions */
		for (i = 0; rc == STORE_OK && i < n; i++) {
			rc = session_end(st, ids[i], now, stats);
			if (rc == STORE_NOT_FOUND)      /* its row went meanwhile: nothing to end */
				rc = STORE_OK;
		}
	} while (rc == STORE_OK && got == GC_BATCH && n > 0);
	return rc;
}

/*
 * Step 2, one tus upload id: taken only when nobody holds its file (a writer's next sync moves
 * expires_at on, or finds the row gone); the row goes when it is (still) expired at now, or
 * when expired is 0 and there is none, then the file. Counts in stats->uploads_removed.
 */
static enum store_err gc_tus_one(struct store *st, const char *id, int64_t now, int expired,
                                 struct store_gc_stats *stats)
{
	struct store_tus row;
	struct stat a, b;
	enum store_err rc = STORE_OK;
	int fd, changed = 0;

	/*
	 * A file with a row is alive (or left to the expiry pass): leave it without taking its
	 * lock, which a PATCH arriving meanwhile would find held (423). The row is looked at
	 * again under the lock below, for one that went in between.
	 */
	if (!expired && (rc = tus_row(st, id, &row)) != STORE_NOT_FOUND)
		return rc;
	rc = STORE_OK;
	fd = openat(st->upfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0) {
		if (fstat(fd, &a) < 0 || !S_ISREG(a.st_mode) || flock(fd, LOCK_EX | LOCK_NB) < 0)
			goto out;       /* EWOULDBLOCK: its writer lives */
		if (fstatat(st->upfd, id, &b, AT_SYMLINK_NOFOLLOW) < 0 || a.st_dev != b.st_dev ||
		    a.st_ino != b.st_ino)
			goto out;       /* gone or replaced meanwhile */
	} else if (errno != ENOENT || !expired) {
		return STORE_OK;
	}
	if (expired) {
		if ((rc = tx_begin(st)) != STORE_OK)
			goto out;
		if ((rc = exec_id_time(st, S_GC_TUS_DELETE, id, now, "gc: delete upload")) ==
		        STORE_OK)
			changed = sqlite3_changes(st->db);
		if (rc == STORE_OK)
			rc = tx_commit(st);
		if (rc != STORE_OK) {
			tx_rollback(st);
			goto out;
		}
		if (changed == 0)
			goto out;       /* a sync moved it on meanwhile */
		if (fd < 0) {           /* a row without its file: the row was all there was */
			stats->uploads_removed++;
			goto out;
		}
	} else {
		rc = tus_row(st, id, &row);
		if (rc != STORE_NOT_FOUND)
			goto out;       /* a row: alive, or expired and left to the expiry pass */
		rc = STORE_OK;
	}
	if (unlinkat(st->upfd, id, 0) == 0)
		stats->uploads_removed++;
	else if (errno != ENOENT)
		fprintf(stderr, "store: gc: uploads/%s: %s\n", id, strerror(errno));
out:
	if (fd >= 0)
		close(fd);      /* releases the lock */
	return rc;
}

/* Step 2: the tus uploads expired at now, GC_BATCH ids per query, walked in id order. */
static enum store_err gc_tus_expired(struct store *st, int64_t now, struct store_gc_stats *stats)
{
	char ids[GC_BATCH][STORE_ID_CHARS + 1], last[STORE_ID_CHARS + 1] = "";
	enum store_err rc = STORE_OK;
	sqlite3_stmt *s;
	int got, n, i, r;

	do {
		s = stmt(st, S_GC_TUS_EXPIRED);
		got = n = 0;
		if (sqlite3_bind_int64(s, 1, now) != SQLITE_OK ||
		    sqlite3_bind_text(s, 2, last, -1, SQLITE_TRANSIENT) != SQLITE_OK)
			r = SQLITE_ERROR;
		else
			while ((r = sqlite3_step(s)) == SQLITE_ROW && got < GC_BATCH) {
				const unsigned char *t = sqlite3_column_text(s, 0);
				got++;
				if (t != NULL && strlen((const char *)t) <= STORE_ID_CHARS)
					snprintf(last, sizeof(last), "%s", (const char *)t);
				/* Only this module writes ids; skip one that is not ours. */
				if (col_text(s, 0, ids[n], sizeof(ids[n])) == 0 && store_id_valid(ids[n]))
					n++;
			}
		if (r != SQLITE_DONE && r != SQLITE_ROW)
			rc = fail_db(st, "expired uploads");
		sqlite3_reset(s);       /* no read snapshot held into the write transactions */
		for (i = 0; rc == STORE_OK && i < n; i++)
			rc = gc_tus_one(st, ids[i], now, 1, stats);
	} while (rc == STORE_OK && got == GC_BATCH);
	return rc;
}

/* Step 2: files in uploads/ without a row, that nobody holds (names that are not ids stay). */
static enum store_err gc_tus_files(struct store *st, int64_t now, struct store_gc_stats *stats)
{
	enum store_err rc = STORE_OK;
	struct dirent *de;
	DIR *d;

	if ((d = dir_open(st->upfd, ".")) == NULL)
		return fail_sys(st, "uploads", errno);
	while (rc == STORE_OK && (errno = 0, de = readdir(d)) != NULL)
		if (store_id_valid(de->d_name))
			rc = gc_tus_one(st, de->d_name, now, 0, stats);
	if (rc == STORE_OK && errno != 0)
		rc = fail_sys(st, "readdir uploads", errno);
	closedir(d);
	return rc;
}

/* 1 when name, in folder objects/xy, is ID or ID.VARIANT as this module names files; id set. */
static int object_name_id(const char *xy, const char *name, char id[STORE_ID_CHARS + 1])
{
	if (strnlen(name, STORE_ID_CHARS) < STORE_ID_CHARS)
		return 0;
	memcpy(id, name, STORE_ID_CHARS);
	id[STORE_ID_CHARS] = '\0';
	if (!store_id_valid(id) || id[0] != xy[0] || id[1] != xy[1])
		return 0;
	return name[STORE_ID_CHARS] == '\0' ||
	       (name[STORE_ID_CHARS] == '.' && store_variant_valid(name + STORE_ID_CHARS + 1));
}

/*
 * Step 3, one file objects/xy/name: kept while its input lives; unlinked when the input is
 * deleted; and when it has no row at all, unlinked only if no upload of that id can be in
 * flight. store_upload_commit links the object, then COMMITs, and only then removes
 * tmp/ID.part (store_tus_complete: uploads/ID): so neither there, checked before the row is
 * read again, means that any
 * commit of this id is over, and a row still missing means there will be none. The mtime age
 * is a margin on top, for whatever else may write there (an administrator's restore).
 */
static enum store_err gc_file(struct store *st, int xyfd, const char *xy, const char *name,
                              int64_t now, struct store_gc_stats *stats)
{
	char id[STORE_ID_CHARS + 1], part[PART_NAME_MAX];
	struct stat sb, tsb;
	enum store_err rc;

	if (!object_name_id(xy, name, id))
		return STORE_OK;
	if (fstatat(xyfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
		return STORE_OK;        /* gone meanwhile, or not a file this module made */
	rc = input_state(st, id);
	if (rc == STORE_NOT_FOUND) {
		memcpy(part, id, STORE_ID_CHARS);
		memcpy(part + STORE_ID_CHARS, PART_SUFFIX, sizeof(PART_SUFFIX));
		if (fstatat(st->tmpfd, part, &tsb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return STORE_OK;
		/* A tus completion links uploads/ID here likewise, and unlinks that name after. */
		if (fstatat(st->upfd, id, &tsb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return STORE_OK;
		rc = input_state(st, id);
		/* now >= 0: no overflow. */
		if (rc == STORE_NOT_FOUND && (int64_t)sb.st_mtime > now - STORE_GC_ORPHAN_AGE)
			return STORE_OK;
	}
	if (rc == STORE_OK)
		return STORE_OK;
	if (rc != STORE_GONE && rc != STORE_NOT_FOUND)
		return rc;
	if (unlinkat(xyfd, name, 0) == 0) {
		if (rc == STORE_GONE)
			stats->files_removed++;
		else
			stats->orphans_removed++;
	} else if (errno != ENOENT) {
		fprintf(stderr, "store: gc: objects/%s/%s: %s\n", xy, name, strerror(errno));
	}
	return STORE_OK;
}

/* Step 3, one folder objects/xy (a folder that cannot be read is reported and skipped). */
static enum store_err gc_folder(struct store *st, const char *xy, int64_t now,
                                struct store_gc_stats *stats)
{
	enum store_err rc = STORE_OK;
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = dir_open(st->objfd, xy)) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
			fprintf(stderr, "store: gc: objects/%s: %s\n", xy, strerror(errno));
		return STORE_OK;
	}
	fd = dirfd(d);
	while (rc == STORE_OK && (errno = 0, de = readdir(d)) != NULL)
		rc = gc_file(st, fd, xy, de->d_name, now, stats);
	if (rc == STORE_OK && errno != 0)
		fprintf(stderr, "store: gc: readdir objects/%s: %s\n", xy, strerror(errno));
	closedir(d);
	return rc;
}

/* Step 3: every objects/XY folder (two base64url characters; other names are not ours). */
static enum store_err gc_objects(struct store *st, int64_t now, struct store_gc_stats *stats)
{
	enum store_err rc = STORE_OK;
	struct dirent *de;
	DIR *d;

	if ((d = dir_open(st->objfd, ".")) == NULL)
		return fail_sys(st, "objects", errno);
	while (rc == STORE_OK && (errno = 0, de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (is_b64url(n[0]) && is_b64url(n[1]) && n[2] == '\0')
			rc = gc_folder(st, n, now, stats);
	}
	if (rc == STORE_OK && errno != 0)
		rc = fail_sys(st, "readdir objects", errno);
	closedir(d);
	return rc;
}

/* Step 4: runs the batched DELETE i (?1 cutoff, ?2 now) until a batch comes back short. */
static enum store_err gc_rows(struct store *st, enum stmt_id i, int64_t cutoff, int64_t now,
                              uint64_t *count)
{
	enum store_err rc;
	sqlite3_stmt *s;
	int changed;

	do {
		if ((rc = tx_begin(st)) != STORE_OK)
			return rc;
		s = stmt(st, i);
		if (sqlite3_bind_int64(s, 1, cutoff) != SQLITE_OK ||
		    (sqlite3_bind_parameter_count(s) >= 2 && sqlite3_bind_int64(s, 2, now) != SQLITE_OK) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = fail_db(st, "gc: delete rows");
			sqlite3_reset(s);
			tx_rollback(st);
			return rc;
		}
		changed = sqlite3_changes(st->db);
		sqlite3_reset(s);
		if ((rc = tx_commit(st)) != STORE_OK) {
			tx_rollback(st);
			return rc;
		}
		*count += (uint64_t)changed;
	} while (changed >= GC_ROWS_BATCH);
	return STORE_OK;
}

enum store_err store_gc(struct store *st, int64_t now, int64_t tombstone_ttl,
                        struct store_gc_stats *stats)
{
	struct store_gc_stats local;
	enum store_err rc;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (st == NULL)
		return STORE_INVALID;
	if (now < 0 || tombstone_ttl < 0) {
		set_err(st, 0, "gc: time out of range");
		return STORE_INVALID;
	}
	/* Tombstones first, files next, rows last: a crash between steps loses nothing. */
	if ((rc = gc_expired(st, now, stats)) != STORE_OK ||
	    (rc = recover(st, stats)) != STORE_OK ||
	    (rc = gc_tus_expired(st, now, stats)) != STORE_OK ||
	    (rc = gc_tus_files(st, now, stats)) != STORE_OK ||
	    (rc = gc_objects(st, now, stats)) != STORE_OK ||
	    (rc = gc_rows(st, S_GC_INPUT_ROWS, now - tombstone_ttl, now, &stats->input_rows)) !=
	        STORE_OK)
		return keep_errno(st, rc);
	rc = gc_rows(st, S_GC_SESSION_ROWS, now - tombstone_ttl, now, &stats->session_rows);
	return keep_errno(st, rc);
}
