/*
 * auth.c: who may do what: token checks for reads, session-cookie checks for owners; of inputs,
 * and of tus uploads in progress (the input to be, of the same id).
 */
#include <string.h>
#include <strings.h>

#include "fcgi/handlers.h"
#include "fcgi/metrics.h"

int auth_request_token(const struct req *r, char *out, size_t outsz)
{
	const char *auth = req_param(r, "HTTP_AUTHORIZATION");
	int q = req_query(r, "token", out, outsz);

	if (q != 0)
		return q;   /* 1, or -1 for a value too long to be a token: malformed */
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		auth += 7;
		while (*auth == ' ')
			auth++;
		if (strlen(auth) >= outsz)
			return -1;
		strcpy(out, auth);
		return 1;
	}
	return 0;
}

int auth_has_token(const struct req *r)
{
	char tok[TOKEN_LEN + 2];

	return auth_request_token(r, tok, sizeof tok) != 0;
}

/*
 * The input id, or the upload in progress of that id when t is not NULL (tus: the upload's id
 * is the input's to be). An upload completes between two lookups at most once: the input is
 * looked up again after the upload was not found. 0 with *in, 1 with *t, or the store's error
 * (STORE_NOT_FOUND, STORE_GONE with *in filled: deleted, STORE_DB, ...); for an upload that
 * expired, STORE_GONE with *t filled and 2 returned through *upload.
 */
static enum store_err input_or_upload(struct req *r, const char *id, struct store_input *in,
                                      struct store_tus *t, int *upload)
{
	enum store_err se = store_input_get(r->app->store, id, in), te;

	*upload = 0;
	if (se != STORE_NOT_FOUND || t == NULL)
		return se;
	te = store_tus_get(r->app->store, id, r->now, t);
	if (te == STORE_OK || te == STORE_GONE) {
		*upload = te == STORE_OK ? 1 : 2;
		return te;
	}
	if (te != STORE_NOT_FOUND)
		return te;
	return store_input_get(r->app->store, id, in);   /* completed meanwhile? */
}

int auth_token_upload(struct req *r, const char *id, struct store_input *in,
                      struct store_tus *t, struct token_claims *claims)
{
	char tok[TOKEN_LEN + 2];
	enum store_err se, session_state;
	int found = auth_request_token(r, tok, sizeof tok), upload = 0;

	if (found == 0) {
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_MISSING);
		resp_error(r, 401, "token_missing", "this request needs a token (?token= or Bearer)");
		return -1;
	}
	switch (found < 0 ? TOKEN_MALFORMED
	                  : token_verify(&r->app->keys, tok, strlen(tok), r->now, claims)) {
	case TOKEN_OK:
		break;
	case TOKEN_EXPIRED:
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_EXPIRED);
		resp_error(r, 410, "token_expired", "the token expired; ask the owner for a new link");
		return -1;
	case TOKEN_INTERNAL:
		resp_error(r, 500, "internal", "token verification failed");
		return -1;
	default:
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_INVALID);
		resp_error(r, 403, "token_invalid", "the token is malformed or its signature is wrong");
		return -1;
	}
	if (strcmp(claims->input, id) != 0) {
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_WRONG_INPUT);
		resp_error(r, 403, "token_wrong_input", "the token is for another input");
		return -1;
	}
	/*
	 * The session and the input in one statement, one read transaction (store_read_lookup);
	 * an upload in progress (tus) is looked for only when there is no input of that id.
	 */
	se = store_read_lookup(r->app->store, claims->session, id, r->now, &session_state, in);
	if (se != STORE_OK && se != STORE_GONE && se != STORE_NOT_FOUND)
		goto internal;
	if (session_state != STORE_OK) {
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_SESSION_ENDED);
		resp_error(r, 410, "session_ended", "the session this token belongs to has ended");
		return -1;
	}
	if (se == STORE_NOT_FOUND && t != NULL)
		se = input_or_upload(r, id, in, t, &upload);
	/* A token is signed for its session's own ids only; another session's upload is unknown. */
	if (upload && strcmp(t->session, claims->session) != 0) {
		upload = 0;
		se = STORE_NOT_FOUND;
	}
	if (upload == 2) {
		resp_error(r, 410, "upload_expired", "this upload expired before it was complete");
		return -1;
	}
	if (upload)
		return 1;
	if (se == STORE_GONE) {
		store_input_free(in);
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_INPUT_DELETED);
		resp_error(r, 410, "input_deleted", "this input was deleted");
		return -1;
	}
	if (se == STORE_NOT_FOUND) {
		metrics_token_failure(r->app->metrics, METRICS_TOKEN_NOT_FOUND);
		resp_error(r, 404, "not_found", "no such input");
		return -1;
	}
	if (se != STORE_OK)
		goto internal;
	return 0;
internal:
	resp_error(r, 500, "internal", "index lookup failed");
	return -1;
}

int auth_token(struct req *r, const char *id, struct store_input *in, struct token_claims *claims)
{
	return auth_token_upload(r, id, in, NULL, claims);
}

int auth_owner_upload(struct req *r, const char *id, struct store_input *in,
                      struct store_tus *t, struct store_session *s)
{
	enum store_err se;
	int upload;

	if (session_from_cookie(r, 1, s) != 0)
		return -1;
	se = input_or_upload(r, id, in, t, &upload);
	if (upload) {
		if (strcmp(t->session, s->id) != 0) {
			resp_error(r, 403, "not_owner", "this input belongs to another session");
			return -1;
		}
		if (upload == 2) {
			resp_error(r, 410, "upload_expired", "this upload expired before it was "
			           "complete");
			return -1;
		}
		return 1;
	}
	if (se == STORE_NOT_FOUND) {
		resp_error(r, 404, "not_found", "no such input");
		return -1;
	}
	if (se != STORE_OK && se != STORE_GONE) {
		resp_error(r, 500, "internal", "index lookup failed");
		return -1;
	}
	if (strcmp(in->session, s->id) != 0) {
		store_input_free(in);
		resp_error(r, 403, "not_owner", "this input belongs to another session");
		return -1;
	}
	if (se == STORE_GONE) {
		store_input_free(in);
		resp_error(r, 410, "input_deleted", "this input was deleted");
		return -1;
	}
	return 0;
}

int auth_owner(struct req *r, const char *id, struct store_input *in, struct store_session *s)
{
	return auth_owner_upload(r, id, in, NULL, s);
}
