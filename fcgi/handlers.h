/* handlers.h: the resource handlers the router dispatches to, and what they share. */
#ifndef MG_HANDLERS_H
#define MG_HANDLERS_H

#include <jansson.h>

#include "fcgi/meta.h"
#include "fcgi/request.h"
#include "store/store.h"
#include "tokens/token.h"

#define SESSION_COOKIE "mg_session"

/* A handler answers the request completely. id is the {id} path segment, or NULL. */
typedef void handler_fn(struct req *r, const char *id);

/* router.c */
/*
 * route: dispatch r to its handler, or answer 404 / 405 (with Allow). Sets r->route (the
 * matched path pattern, also for a 405; NULL for a 404) and r->route_index (-1 unless a
 * handler ran).
 */
void route(struct req *r);
/* route_count, route_at: the route table, in order: entry i's pattern and *method; NULL past it. */
size_t route_count(void);
const char *route_at(size_t i, const char **method);

/* h_sessions.c: POST /sessions, DELETE /sessions/current */
handler_fn h_session_create, h_session_end;
/*
 * session_from_cookie: the live session named by the request's mg_session cookie. Returns 0 and
 * *out; or, when required is non-zero, answers 401 session_required (no or unknown cookie) or 410
 * session_ended, and returns -1; when required is 0 just returns -1.
 */
int session_from_cookie(struct req *r, int required, struct store_session *out);
/* session_set_cookie: arrange for the response to set the cookie of s (RFC 6265 section 4.1). */
void session_set_cookie(struct req *r, const struct store_session *s);

/* h_upload.c: POST /inputs, and what every complete upload goes through to become an input */
handler_fn h_upload;

/*
 * A complete upload on its way to becoming an input (POST /inputs, a finished tus upload): its
 * bytes and what the client said of them. ingest_probe checks the bytes, ingest_commit indexes
 * them, ingest_release frees what is left (also after a failure). The first failure is kept in
 * status, code and detail for the caller's resp_error; nothing is stored then.
 */
struct ingest {
	struct req           *r;
	const char           *id;          /* the id the input will have */
	int                   fd;          /* the bytes (read with pread; not closed here) */
	uint64_t              size;
	struct meta           meta;        /* validated fields; ingest_probe defaults the kind */
	char                  content_type[STORE_CTYPE_MAX + 1];  /* as sent, or octet-stream */
	char                  filename[STORE_FILENAME_MAX + 1];   /* sanitised; when meta has none */
	json_t               *media;       /* {"audio": {...}} or {"image": {...}} once probed */
	struct store_derived *derived;     /* a decoded WAV made by ingest_probe, kept at commit */
	int                   status;      /* 0, or the first failure's status */
	const char           *code;        /* its documented error code (README, "Errors") */
	char                  detail[256];
};

/* ingest_fail: keep the first failure (status, error code, formatted detail). Returns -1. */
int ingest_fail(struct ingest *g, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * ingest_probe: what the bytes must be for their kind (README, "Media"): application/octet-stream
 * is named by its leading bytes (media_sniff), the kind defaults from the media type; audio must
 * decode with libsndfile (its decoded WAV is made now unless it is WAV PCM), raw PCM must be whole
 * frames with sampling_rate and num_channels, raw pixels width x height x 3 or 4 bytes, images
 * whole PNG or JPEG within MEDIAGATE_MAX_PIXELS. Returns 0, or -1 with the failure: 400
 * bad_metadata, 413 too_large, 415 unsupported_media_type, 500 internal, 507.
 */
int ingest_probe(struct ingest *g);

/*
 * ingest_commit_fn: index the bytes as meta says (store_upload_commit, store_tus_complete),
 * filling out; src is the caller's. Returns the store's result.
 */
typedef enum store_err ingest_commit_fn(void *src, const struct store_input_meta *meta,
                                        struct store_input *out);

/*
 * ingest_commit: make the probed bytes an input of session s: the input's metadata (the
 * client's fields and what probing found) and the session's quota (MEDIAGATE_SESSION_MAX_*,
 * checked by the store inside its transaction) go to commit(src, ...), called once; then the
 * decoded WAV is kept. Returns 0 with *in (release with store_input_free), or -1 with the
 * failure: 507 insufficient_storage, 410 session_ended (the session, or the row commit needs,
 * went meanwhile), 413 or 429 quota_exceeded, 500 internal.
 */
int ingest_commit(struct ingest *g, const struct store_session *s, ingest_commit_fn *commit,
                  void *src, struct store_input *in);

/* ingest_release: free what g still holds (a derived file not committed, the probe's JSON). */
void ingest_release(struct ingest *g);

/*
 * h_tus.c: tus 1.0.0 resumable uploads (tus/tus-resumable-upload-protocol, protocol.md) at
 * /uploads: OPTIONS (the server's capabilities), POST /uploads (creation, with upload, with
 * deferred length), HEAD /uploads/ID (GET answers the same with a JSON body), PATCH and DELETE
 * /uploads/ID, and POST /uploads/ID carrying X-HTTP-Method-Override. README, "Resumable uploads
 * (tus)".
 */
handler_fn h_tus_options, h_tus_create, h_tus_head, h_tus_patch, h_tus_delete, h_tus_override;

/* h_inputs.c: GET /inputs, GET /inputs/ID, DELETE /inputs/ID */
handler_fn h_inputs_list, h_input_get, h_input_delete;
/*
 * input_json: the JSON representation of input in: id, kind, content_type, size, sha256,
 * filename, created_at, metadata; plus token, expires_at, content_url and view_url when token is
 * not NULL.
 */
json_t *input_json(const struct req *r, const struct store_input *in, const char *token,
                   int64_t expires_at);

/* h_tokens.c: POST /inputs/ID/tokens */
handler_fn h_token_create;
/*
 * token_issue: sign a token for input in of session s, valid ttl seconds from now (capped at the
 * session's end). Writes the token to tok (TOKEN_LEN + 1 bytes) and returns its expiry (Unix
 * seconds), or -1 when signing failed.
 */
int64_t token_issue(struct req *r, const struct store_session *s, const struct store_input *in,
                    int64_t ttl, char *tok);

/* auth.c */
/*
 * auth_token: the checks for a token-authorised read of input id, in the documented order:
 * no token 401 token_missing; malformed or bad MAC 403 token_invalid; expired 410 token_expired;
 * another input 403 token_wrong_input; session ended 410 session_ended; input deleted 410
 * input_deleted; unknown 404 not_found. The token comes from ?token= or "Authorization: Bearer".
 * Returns 0 with *in (to be released with store_input_free) and *claims, or -1 after answering.
 */
int auth_token(struct req *r, const char *id, struct store_input *in, struct token_claims *claims);
/*
 * auth_owner: the checks for an owner request on input id: a live session cookie (401/410 as
 * session_from_cookie), the input exists (404 not_found), is not deleted (410 input_deleted) and
 * belongs to that session (403 not_owner). Returns 0 with *in and *s, or -1 after answering.
 */
int auth_owner(struct req *r, const char *id, struct store_input *in, struct store_session *s);
/*
 * auth_token_upload: auth_token for a read that may also name a tus upload in progress (the
 * input to be, of the same id) of the token's session: the same checks in the same order, then
 * an upload whose row is there answers for the unknown input (one that expired: 410
 * upload_expired). Returns 0 with *in (an input, store_input_free), 1 with *t (an upload in
 * progress; *in holds nothing), or -1 after answering. t NULL: auth_token.
 */
int auth_token_upload(struct req *r, const char *id, struct store_input *in,
                      struct store_tus *t, struct token_claims *claims);
/*
 * auth_owner_upload: auth_owner that also takes a tus upload in progress of that id: another
 * session's is 403 not_owner (as for inputs), an expired one 410 upload_expired. Returns 0 with
 * *in and *s, 1 with *t and *s (an upload in progress; *in holds nothing), or -1 after
 * answering. t NULL: auth_owner.
 */
int auth_owner_upload(struct req *r, const char *id, struct store_input *in,
                      struct store_tus *t, struct store_session *s);
/* auth_has_token: 1 when the request carries a token (query or Authorization). */
int auth_has_token(const struct req *r);
/*
 * auth_request_token: copy the request's token, from ?token= or else "Authorization: Bearer"
 * (RFC 6750 section 2.1), into out (outsz bytes). 1 found, 0 none, -1 too long to be a token.
 */
int auth_request_token(const struct req *r, char *out, size_t outsz);

/* h_content.c: GET and HEAD /inputs/ID/content */
handler_fn h_content;

/* pages.c: GET / (upload form), GET /inputs/ID/view */
handler_fn page_upload, page_view, page_record;

/* static.c: GET and HEAD /static/mediagate.js (the pages' script, embedded in the binary) */
handler_fn page_static;

#endif
