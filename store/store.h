/* store.h: input files on disk and their SQLite index; sessions. Knows nothing of HTTP. */
#ifndef MG_STORE_H
#define MG_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_ID_CHARS       22    /* base64url of 16 random bytes (128 bits) */
#define STORE_KIND_MAX       15    /* "audio", "image", "video", "file" */
#define STORE_CTYPE_MAX      255
#define STORE_FILENAME_MAX   255   /* bytes of UTF-8, after sanitising */
#define STORE_SHA256_HEX     64

/*
 * Layout of the data folder:
 *   DIR/index.sqlite            the index (WAL mode)
 *   DIR/objects/XY/ID           one file per input, XY the first two characters of its id
 *   DIR/objects/XY/ID.VARIANT   derived representations of input ID (decoded WAV, PNG, ...)
 *   DIR/tmp/ID.part             uploads in progress, each held under flock(LOCK_EX) by its writer
 *   DIR/tmp/ID.VARIANT.RAND.dpart  derived representations being made, likewise locked
 * Paths are built only from ids this module generated (and checked with store_id_valid).
 */

enum store_err {
	STORE_OK = 0,
	STORE_NOT_FOUND,   /* no such session or input */
	STORE_GONE,        /* the session ended or expired, or the input was deleted */
	STORE_NOSPC,       /* the file system is full (ENOSPC, EDQUOT) */
	STORE_IO,          /* another file system error; errno is kept */
	STORE_DB,          /* an SQLite error */
	STORE_INVALID,     /* an argument that is not valid (an id of the wrong shape, ...) */
	STORE_QUOTA        /* the session's quota (store_input_meta.max_*) would be exceeded */
};

struct store;          /* opaque: the data folder and the open database */
struct store_upload;   /* opaque: one upload being written */
struct store_derived;  /* opaque: one derived representation being written */

struct store_session {
	char    id[STORE_ID_CHARS + 1];
	int64_t created_at;   /* Unix seconds */
	int64_t expires_at;
	int64_t ended_at;     /* 0 while the session lives */
};

/* What the caller knows of an input before it is committed. Strings are NUL-terminated. */
struct store_input_meta {
	char        session[STORE_ID_CHARS + 1];
	char        kind[STORE_KIND_MAX + 1];
	char        content_type[STORE_CTYPE_MAX + 1];
	char        filename[STORE_FILENAME_MAX + 1];  /* already sanitised by the caller */
	const char *metadata_json;                     /* a JSON object text, or NULL for "{}" */
	int64_t     created_at;                        /* Unix seconds */
	/* The session's quota, checked at commit (0: no limit); see store_upload_commit. */
	uint64_t    max_bytes;                         /* its live inputs' bytes, this one included */
	uint64_t    max_inputs;                        /* its live inputs, this one included */
};

/* An indexed input. metadata_json is owned by the struct: release with store_input_free. */
struct store_input {
	char     id[STORE_ID_CHARS + 1];
	char     session[STORE_ID_CHARS + 1];
	char     kind[STORE_KIND_MAX + 1];
	char     content_type[STORE_CTYPE_MAX + 1];
	char     filename[STORE_FILENAME_MAX + 1];
	char     sha256[STORE_SHA256_HEX + 1];        /* lowercase hex */
	uint64_t size;                                /* bytes */
	int64_t  created_at;
	int64_t  deleted_at;                          /* 0 unless deleted (tombstone) */
	char    *metadata_json;                       /* malloc'd JSON object text */
};

/*
 * store_open: open (creating when missing) the data folder dir with objects/ and tmp/ (mode 0700)
 * and index.sqlite (WAL, busy timeout 5 s, foreign keys on, schema created or checked). Then removes
 * what a crash left: every tmp/ID.part that no live process holds locked, and with it the object
 * file of an input whose row was never committed, and every such tmp/ID.VARIANT.RAND.dpart.
 * Several processes may open the same folder.
 * Returns STORE_OK and *out, or STORE_IO / STORE_DB with *out NULL and the reason printed to
 * stderr (there is no struct store yet to hold it).
 */
enum store_err store_open(const char *dir, struct store **out);

/* store_close: close the database and free st (NULL is fine). */
void store_close(struct store *st);

/* store_errmsg: the last error of st in English (SQLite's message, strerror, ...). */
const char *store_errmsg(const struct store *st);

/* store_id_new: write a fresh id, 16 bytes from RAND_bytes in base64url, NUL-terminated. 0 or -1. */
int store_id_new(char out[STORE_ID_CHARS + 1]);

/* store_id_valid: 1 when s is exactly STORE_ID_CHARS base64url characters (then NUL), else 0. */
int store_id_valid(const char *s);

/* Sessions ---------------------------------------------------------------------------------- */

/* store_session_create: a new session created at now (Unix s) that expires after ttl seconds. */
enum store_err store_session_create(struct store *st, int64_t now, int64_t ttl,
                                    struct store_session *out);

/*
 * store_session_get: look up session id. STORE_NOT_FOUND when unknown or the id is malformed,
 * STORE_GONE when ended or expired at now (out is still filled), STORE_OK when alive.
 */
enum store_err store_session_get(struct store *st, const char *id, int64_t now,
                                 struct store_session *out);

/*
 * store_session_end: end session id at now: mark it ended and delete its inputs (tombstones, then
 * their files). Ending an already-ended session is STORE_OK; an unknown one STORE_NOT_FOUND.
 */
enum store_err store_session_end(struct store *st, const char *id, int64_t now);

/*
 * store_session_usage: the bytes (sum of sizes) and the count of the live (not deleted) inputs
 * of session id, for quotas. An unknown session has none: STORE_OK with both 0 (a session made
 * by the upload itself starts empty). STORE_NOT_FOUND for a malformed id, STORE_DB.
 */
enum store_err store_session_usage(struct store *st, const char *id, uint64_t *bytes,
                                   uint64_t *count);

/*
 * store_stats: the count of the live (not deleted) inputs of every session, and the sum of
 * their sizes in bytes (as uploaded; derived representations are not counted), for metrics.
 * One scan of the inputs table. STORE_OK with both set (0 when there are none), STORE_INVALID
 * for a NULL argument, STORE_DB.
 */
enum store_err store_stats(struct store *st, uint64_t *inputs, uint64_t *bytes);

/* Uploads ----------------------------------------------------------------------------------- */

/* store_upload_begin: create tmp/ID.part for a new input id (locked), ready for writes. */
enum store_err store_upload_begin(struct store *st, struct store_upload **out);

/*
 * store_upload_write: append len bytes, hashing them (SHA-256, OpenSSL EVP) on the way.
 * STORE_NOSPC when the disk is full; on any error the upload must still be aborted.
 */
enum store_err store_upload_write(struct store_upload *up, const void *buf, size_t len);

/* store_upload_size: the bytes written so far. */
uint64_t store_upload_size(const struct store_upload *up);

/* store_upload_id: the id the input will have. */
const char *store_upload_id(const struct store_upload *up);

/*
 * store_upload_fd: the temporary file's descriptor, open read-write, for probing what was
 * written (read it with pread; do not write or close it).
 */
int store_upload_fd(const struct store_upload *up);

/*
 * store_upload_commit: make the upload durable and indexed: fsync the file, then in one
 * transaction insert the row and link the file to objects/XY/ID, fsync that folder, commit, and
 * remove the temporary name. Fills out (when not NULL) with the indexed input. Frees up whatever
 * the result; on error nothing is left (no object file, no row). STORE_NOT_FOUND / STORE_GONE when
 * meta->session is unknown / ended or expired at meta->created_at (checked inside the
 * transaction), STORE_INVALID for a malformed meta or after a failed store_upload_write.
 * STORE_QUOTA when the session would then hold more than meta->max_inputs live inputs or more
 * than meta->max_bytes bytes of them: checked inside the write transaction, so concurrent
 * uploads of one session (in any process) can never together exceed the quota.
 */
enum store_err store_upload_commit(struct store_upload *up, const struct store_input_meta *meta,
                                   struct store_input *out);

/* store_upload_abort: remove the temporary file and free up (NULL is fine). */
void store_upload_abort(struct store_upload *up);

/* Inputs ------------------------------------------------------------------------------------ */

/*
 * store_input_get: look up input id. STORE_OK (out filled), STORE_GONE when deleted (out filled,
 * deleted_at set), STORE_NOT_FOUND when unknown or the id is malformed.
 */
enum store_err store_input_get(struct store *st, const char *id, struct store_input *out);

/* store_input_free: release what store_input_get/commit allocated in in (not in itself). */
void store_input_free(struct store_input *in);

/* store_input_open: open the input's file read-only (O_CLOEXEC); *fd is the caller's to close. */
enum store_err store_input_open(struct store *st, const struct store_input *in, int *fd);

/*
 * store_input_delete: mark input id deleted at now, then unlink its file and its derived files.
 * STORE_NOT_FOUND when unknown, STORE_GONE when already deleted.
 */
enum store_err store_input_delete(struct store *st, const char *id, int64_t now);

/*
 * store_input_list: call fn for each live (not deleted) input of session, oldest first. fn returns
 * 0 to go on. The struct passed to fn is only valid during the call.
 */
enum store_err store_input_list(struct store *st, const char *session,
                                int (*fn)(void *ctx, const struct store_input *in), void *ctx);


/* Garbage collection ------------------------------------------------------------------------ */

/* A file without any row is only removed when its mtime is at least this old (seconds). */
#define STORE_GC_ORPHAN_AGE 3600

/* What one store_gc run removed. */
struct store_gc_stats {
	uint64_t sessions_ended;   /* expired sessions ended (ended_at set) by this run */
	uint64_t inputs_deleted;   /* their live inputs, now tombstones */
	uint64_t files_removed;    /* object and derived files of deleted inputs unlinked */
	uint64_t orphans_removed;  /* object and derived files without any row unlinked */
	uint64_t tmp_removed;      /* tmp/ files of dead writers (as store_open removes them) */
	uint64_t input_rows;       /* tombstone rows of inputs removed from the index */
	uint64_t session_rows;     /* rows of ended sessions removed from the index */
};

/*
 * store_gc: collect the garbage of the data folder at now (Unix s). In order:
 *  1. ends every session that expired (expires_at <= now) and was not ended, as
 *     store_session_end does at now: its live inputs become tombstones, their files and derived
 *     files are unlinked;
 *  2. removes what crashed writers left in tmp/ (as store_open does; live writers hold locks);
 *  3. scans objects/XY/ (names ID or ID.VARIANT only; anything else is left alone) and unlinks
 *     the files of deleted inputs (orphans of a crash between a delete's COMMIT and its unlink),
 *     and the files of ids without any row, unless tmp/ID.part exists (an upload links its
 *     object before its COMMIT and removes that name only after it) or the file's mtime is
 *     less than STORE_GC_ORPHAN_AGE seconds before now;
 *  4. deletes the rows of inputs deleted, and of sessions ended, at or before now -
 *     tombstone_ttl (sessions also once expired and without input rows). Until then their ids
 *     answer 410, not 404; pass the longest token lifetime, after which every token that could
 *     name them has expired anyway.
 * Each step is crash-safe and idempotent, and several processes may run it at once (each file
 * and row goes once; the others see ENOENT or no row). Empty objects/XY folders are kept:
 * removing one could race an upload linking into it. stats (may be NULL) is zeroed, then counts
 * what this call removed, also when it fails part way. STORE_INVALID for now or tombstone_ttl
 * negative; STORE_DB; STORE_IO when objects/ or tmp/ cannot be read (an objects/XY folder or a
 * file that cannot be read or unlinked is printed to stderr and skipped). The cost is one scan
 * of objects/ with one indexed lookup per file, and scans of the sessions and inputs tables.
 */
enum store_err store_gc(struct store *st, int64_t now, int64_t tombstone_ttl,
                        struct store_gc_stats *stats);

/* Derived representations ------------------------------------------------------------------- */

/*
 * A derived representation is a file made from an input (a decoded WAV, a resampled WAV, a PNG
 * of raw pixels), made once and kept beside the input as objects/XY/ID.VARIANT. variant is
 * 1..32 characters of [a-z0-9_] (store_variant_valid); the caller builds it from validated
 * numbers, never from client text. Deleting the input, or ending its session, removes them.
 */

/* store_variant_valid: 1 when v is 1..32 characters of [a-z0-9_], else 0. */
int store_variant_valid(const char *v);

/*
 * store_derived_open: open the derived representation variant of input id read-only.
 * STORE_NOT_FOUND when it has not been made (yet), STORE_INVALID for a bad id or variant.
 */
enum store_err store_derived_open(struct store *st, const char *id, const char *variant, int *fd);

/*
 * store_derived_begin: create a locked temporary file for variant of input id (the input need
 * not be committed yet: an upload may make its derived files before its commit). *fd is open
 * read-write at offset 0 for the caller to fill (do not close it).
 */
enum store_err store_derived_begin(struct store *st, const char *id, const char *variant,
                                   struct store_derived **out, int *fd);

/*
 * store_derived_commit: fsync the file and rename it into place as objects/XY/ID.VARIANT (fsync
 * the folder). Several processes making the same variant at once is fine: each rename is
 * atomic and all versions are equal. Refused (STORE_GONE, file removed) when the input is
 * deleted, also when that happens during the commit; STORE_NOT_FOUND when it has no row. On
 * error nothing of d is left. Frees d whatever the result.
 */
enum store_err store_derived_commit(struct store_derived *d);

/* store_derived_abort: remove the temporary file and free d (NULL is fine). */
void store_derived_abort(struct store_derived *d);

#endif
