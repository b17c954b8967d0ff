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
 *   DIR/uploads/ID              tus uploads in progress (table uploads), each locked (flock) by
 *                               the request writing it; ID is the id the input will have
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
	STORE_QUOTA,       /* the session's quota (store_input_meta.max_*) would be exceeded */
	STORE_BUSY         /* another request holds the tus upload (its file's lock) */
};

struct store;          /* opaque: the data folder and the open database */
struct store_upload;   /* opaque: one upload being written */
struct store_derived;  /* opaque: one derived representation being written */
struct store_tus_writer; /* opaque: one tus upload held for writing (the lock on its file) */

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
 * store_open: open (creating when missing) the data folder dir with objects/, tmp/ and uploads/
 * (mode 0700) and index.sqlite (WAL, busy timeout 5 s, foreign keys on, schema created, or
 * upgraded in place from version 1 to 2 (the uploads table), or checked). Then removes
 * what a crash left: every tmp/ID.part that no live process holds locked, and with it the object
 * file of an input whose row was never committed, and every such tmp/ID.VARIANT.RAND.dpart.
 * uploads/ is left alone: tus uploads outlive restarts.
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
 * their files) and its tus uploads (rows, then files). Ending an already-ended session is
 * STORE_OK; an unknown one STORE_NOT_FOUND.
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

/*
 * store_read_lookup: store_session_get(session) and store_input_get(id) in one statement, so
 * one read transaction (what a token-checked read needs, once per request). *session_state is
 * what store_session_get would return (STORE_OK, STORE_GONE when ended or expired at now,
 * STORE_NOT_FOUND); only when it is STORE_OK is the input looked up. Returns what
 * store_input_get would return for id (STORE_OK or STORE_GONE with out filled: free it with
 * store_input_free; STORE_NOT_FOUND), STORE_NOT_FOUND when the session is not alive, or a
 * failure (STORE_DB, STORE_INVALID).
 */
enum store_err store_read_lookup(struct store *st, const char *session, const char *id,
                                 int64_t now, enum store_err *session_state,
                                 struct store_input *out);

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


/* tus uploads ------------------------------------------------------------------------------ */

/*
 * A tus upload (tus 1.0.0, tus/tus-resumable-upload-protocol protocol.md) grows by appends to
 * DIR/uploads/ID until its offset reaches its length; then store_tus_complete makes it the input
 * ID (the same id, the same file: a hard link, so an open descriptor keeps reading the same
 * bytes). Until then it has a row in the table uploads and no row in inputs: listings and quotas
 * do not see it. Its offset is the count of durable bytes: they were fsynced before the row said
 * so. The file may hold more (a writer between its write and its store_tus_sync, or one that
 * died there): readers use [0, offset) only; the next store_tus_lock cuts the rest off.
 * Writers serialise on flock(LOCK_EX | LOCK_NB) of the file: a second one gets STORE_BUSY.
 */

#define STORE_TUS_METADATA_MAX 4000   /* bytes of an Upload-Metadata value kept for HEAD */

/* One tus upload as its row says. */
struct store_tus {
	char     id[STORE_ID_CHARS + 1];
	char     session[STORE_ID_CHARS + 1];
	uint64_t offset;        /* durable bytes (Upload-Offset) */
	uint64_t length;        /* Upload-Length, when length_known */
	int      length_known;  /* 0 while deferred (creation-defer-length) */
	int64_t  created_at;    /* Unix seconds */
	int64_t  expires_at;    /* Unix seconds (Upload-Expires); at or after it the upload is gone */
	char     metadata[STORE_TUS_METADATA_MAX + 1];  /* Upload-Metadata as sent, "" for none */
};

/*
 * store_tus_create: a new upload of t->session (alive at t->created_at, checked in the
 * transaction that inserts the row) with t->length / t->length_known, t->metadata and
 * t->expires_at; t->id is set and t->offset is 0. The file DIR/uploads/ID is created (0600),
 * fsynced into its folder, and locked: *out holds it for writing (creation-with-upload), to be
 * ended with store_tus_release (or the others that end a writer). STORE_NOT_FOUND / STORE_GONE
 * for an unknown / ended session, STORE_INVALID for a bad argument (metadata without its NUL,
 * length over INT64_MAX). On error nothing is left.
 */
enum store_err store_tus_create(struct store *st, struct store_tus *t,
                                struct store_tus_writer **out);

/*
 * store_tus_get: the row of upload id, read now (no lock): STORE_OK, STORE_GONE when it expired
 * (expires_at <= now; out filled), STORE_NOT_FOUND when there is none (never was, terminated,
 * completed, collected) or id is malformed. This is what a reader of a growing input asks: the
 * durable bytes, and the length when known.
 */
enum store_err store_tus_get(struct store *st, const char *id, int64_t now, struct store_tus *out);

/*
 * store_tus_open: open upload id's file read-only (O_CLOEXEC) into *fd (the caller's to close).
 * Bytes [0, offset) of store_tus_get are durable; there may be more. After completion the same
 * file is the input's object: a descriptor opened before reads on. STORE_NOT_FOUND when the file
 * is gone (or id malformed).
 */
enum store_err store_tus_open(struct store *st, const char *id, int *fd);

/*
 * store_tus_lock: take upload id for writing: open its file, flock(LOCK_EX | LOCK_NB), then read
 * the row under the lock into *state and cut the file to state->offset (bytes a dead writer left
 * unrecorded). STORE_BUSY when another writer holds it, STORE_NOT_FOUND, STORE_GONE when expired
 * at now (nothing held in these cases), STORE_IO when the file is shorter than its offset.
 */
enum store_err store_tus_lock(struct store *st, const char *id, int64_t now,
                              struct store_tus_writer **out, struct store_tus *state);

/* store_tus_size: the bytes in the held file: the recorded offset plus what was written since. */
uint64_t store_tus_size(const struct store_tus_writer *w);

/* store_tus_recorded: the offset the row records (durable), as of the last sync or lock. */
uint64_t store_tus_recorded(const struct store_tus_writer *w);

/* store_tus_writer_id: the upload's id. */
const char *store_tus_writer_id(const struct store_tus_writer *w);

/* store_tus_fd: the held file, open read-write, for probing it with pread (do not close). */
int store_tus_fd(const struct store_tus_writer *w);

/*
 * store_tus_write: append len bytes at store_tus_size (pwrite). On error the file is cut back to
 * what it held before this call (size unchanged): STORE_NOSPC when the disk is full, STORE_IO.
 */
enum store_err store_tus_write(struct store_tus_writer *w, const void *buf, size_t len);

/*
 * store_tus_sync: make what was written durable and record it: fdatasync the file, then set the
 * row's offset to store_tus_size, its expires_at, and its length when length >= 0 (a deferred
 * length now known; the caller checked it). STORE_NOT_FOUND when the row is gone (the upload
 * was terminated, or its session ended, meanwhile: stop writing).
 */
enum store_err store_tus_sync(struct store_tus_writer *w, int64_t length, int64_t expires_at);

/*
 * store_tus_rewind: discard what was written since the last sync or lock (a chunk whose
 * checksum failed, tus "checksum"): cut the file back to the recorded offset.
 */
enum store_err store_tus_rewind(struct store_tus_writer *w);

/*
 * store_tus_complete: make the held upload, whose bytes are all recorded (store_tus_sync), the
 * input of the same id, as store_upload_commit does for an upload: SHA-256 of the file, then in
 * one transaction: the uploads row still there (else STORE_NOT_FOUND) and of meta->session
 * (else STORE_INVALID), the session alive (STORE_GONE / STORE_NOT_FOUND), the quota of meta
 * (STORE_QUOTA), the uploads row deleted, the inputs row inserted, the file linked to
 * objects/XY/ID (folder fsynced), COMMIT; then the name uploads/ID goes. Fills out (when not
 * NULL). On success w is freed; on error nothing changed and w is still held (the caller
 * releases or removes it).
 */
enum store_err store_tus_complete(struct store_tus_writer *w, const struct store_input_meta *meta,
                                  struct store_input *out);

/* store_tus_release: cut unrecorded bytes off, unlock, close and free w (NULL is fine). */
void store_tus_release(struct store_tus_writer *w);

/*
 * store_tus_remove: delete the held upload: its row, then its file; frees w whatever the
 * result (when the row cannot be deleted the file stays for the garbage collector).
 */
enum store_err store_tus_remove(struct store_tus_writer *w);

/*
 * store_tus_delete: terminate upload id (tus "termination"), held or not: delete its row, then
 * unlink its file (a writer holding it finds the row gone at its next sync). STORE_NOT_FOUND
 * when there is no row.
 */
enum store_err store_tus_delete(struct store *st, const char *id);

/*
 * store_tus_usage: for the quotas, the uploads in progress of session: their count, and the
 * bytes they may still grow to (the length, or the offset while deferred), leaving out the
 * upload except (NULL: none). STORE_NOT_FOUND for a malformed session id.
 */
enum store_err store_tus_usage(struct store *st, const char *session, const char *except,
                               uint64_t *bytes, uint64_t *count);

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
	uint64_t uploads_removed;  /* tus uploads expired (row and file), and uploads/ files
	                              without a row, removed */
	uint64_t input_rows;       /* tombstone rows of inputs removed from the index */
	uint64_t session_rows;     /* rows of ended sessions removed from the index */
};

/*
 * store_gc: collect the garbage of the data folder at now (Unix s). In order:
 *  1. ends every session that expired (expires_at <= now) and was not ended, as
 *     store_session_end does at now: its live inputs become tombstones, their files and derived
 *     files are unlinked;
 *  2. removes what crashed writers left in tmp/ (as store_open does; live writers hold locks);
 *     then the tus uploads that expired at now (row, then file), except one a writer holds
 *     (its next sync moves expires_at on), and files in uploads/ without a row whose lock
 *     nobody holds (a creation or a completion that crashed);
 *  3. scans objects/XY/ (names ID or ID.VARIANT only; anything else is left alone) and unlinks
 *     the files of deleted inputs (orphans of a crash between a delete's COMMIT and its unlink),
 *     and the files of ids without any row, unless tmp/ID.part or uploads/ID exists (an upload
 *     links its object before its COMMIT and removes that name only after it) or the file's
 *     mtime is less than STORE_GC_ORPHAN_AGE seconds before now;
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
