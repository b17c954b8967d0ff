/* h_sessions.c: sessions: POST /sessions, DELETE /sessions/current, and the session cookie. */
#include <stdio.h>
#include <string.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"

int session_from_cookie(struct req *r, int required, struct store_session *out)
{
	const char *cookie = req_param(r, "HTTP_COOKIE");
	char id[STORE_ID_CHARS + 2];
	enum store_err se = STORE_NOT_FOUND;

	if (cookie != NULL && http_cookie_get(cookie, SESSION_COOKIE, id, sizeof id))
		se = store_session_get(r->app->store, id, r->now, out);
	if (se == STORE_OK)
		return 0;
	if (!required)
		return -1;
	if (se == STORE_GONE)
		resp_error(r, 410, "session_ended", "this session has ended; start a new one");
	else if (se == STORE_NOT_FOUND)
		resp_error(r, 401, "session_required", "this request needs the session cookie "
		           SESSION_COOKIE " (POST /sessions)");
	else
		resp_error(r, 500, "internal", "session lookup failed");
	return -1;
}

void session_set_cookie(struct req *r, const struct store_session *s)
{
	const char *https = req_param(r, "HTTPS");
	int secure = https != NULL && strcmp(https, "on") == 0;
	int64_t max_age = s->expires_at - r->now;

	/* RFC 6265 section 4.1; SameSite (RFC 6265bis) keeps the cookie off cross-site posts. */
	snprintf(r->set_cookie, sizeof r->set_cookie,
	         SESSION_COOKIE "=%s; Path=%s/; Max-Age=%lld; HttpOnly; SameSite=Lax%s", s->id,
	         r->prefix, (long long)(max_age > 0 ? max_age : 0), secure ? "; Secure" : "");
}

void h_session_create(struct req *r, const char *id)
{
	struct store_session s;

	if (store_session_create(r->app->store, r->now, r->app->cfg.session_ttl, &s) != STORE_OK) {
		resp_error(r, 500, "internal", "could not create the session");
		return;
	}
	session_set_cookie(r, &s);
	resp_json(r, 201, json_pack("{s:s, s:I}", "session", s.id, "expires_at",
	                            (json_int_t)s.expires_at));
}

void h_session_end(struct req *r, const char *id)
{
	struct store_session s;

	if (session_from_cookie(r, 1, &s) != 0)
		return;
	if (store_session_end(r->app->store, s.id, r->now) != STORE_OK) {
		resp_error(r, 500, "internal", "could not end the session");
		return;
	}
	snprintf(r->set_cookie, sizeof r->set_cookie,
	         SESSION_COOKIE "=; Path=%s/; Max-Age=0; HttpOnly; SameSite=Lax", r->prefix);
	resp_status(r, 204);
	resp_body_start(r);
}
