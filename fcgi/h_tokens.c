/*
 * h_tokens.c: POST /inputs/ID/tokens, a fresh link to an input for another viewer; also to a tus
 * upload in progress, the input to be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"

int64_t token_issue(struct req *r, const struct store_session *s, const struct store_input *in,
                    int64_t ttl, char *tok)
{
	struct token_claims c;

	memset(&c, 0, sizeof c);
	c.issued_at = r->now;
	c.expires_at = r->now + ttl;
	/* A token never outlives its session: the session is what the owner can revoke. */
	if (c.expires_at > s->expires_at)
		c.expires_at = s->expires_at;
	strcpy(c.session, s->id);
	strcpy(c.input, in->id);
	if (c.expires_at <= c.issued_at || token_sign(&r->app->keys, &c, tok) != TOKEN_OK)
		return -1;
	return c.expires_at;
}

/* The ttl of the request: ?ttl=, or {"ttl": N} in a JSON body of at most 4 KiB. 0, 1 or -1. */
static int requested_ttl(struct req *r, int64_t *ttl)
{
	char buf[4097], *end;
	size_t n;
	long long v;
	json_t *body, *t;
	int q = req_query(r, "ttl", buf, 32);

	if (q < 0)
		return -1;
	if (q == 0) {
		n = req_read(r, buf, sizeof buf - 1);
		if (n == 0)
			return 0;
		if (n == sizeof buf - 1)
			return -1;
		buf[n] = '\0';
		body = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
		t = json_object_get(body, "ttl");
		if (!json_is_object(body) || (t != NULL && !json_is_integer(t))) {
			json_decref(body);
			return -1;
		}
		if (t == NULL) {
			json_decref(body);
			return 0;
		}
		v = json_integer_value(t);
		json_decref(body);
	} else {
		if (buf[0] < '0' || buf[0] > '9')
			return -1;
		v = strtoll(buf, &end, 10);
		if (*end != '\0')
			return -1;
	}
	if (v <= 0)
		return -1;
	*ttl = v;
	return 1;
}

void h_token_create(struct req *r, const char *id)
{
	struct store_input in;
	struct store_session s;
	struct store_tus t;
	char tok[TOKEN_LEN + 1], url[REQ_PREFIX_MAX + 256];
	int64_t ttl = r->app->cfg.token_ttl, exp;
	int upload = auth_owner_upload(r, id, &in, &t, &s);
	json_t *o;

	if (upload < 0)
		return;
	/* An upload in progress: the token names the input to be (the same id), so it reads the
	   growing input now and the input once complete (README, "Reading an input while it
	   grows"). */
	if (upload)
		snprintf(in.id, sizeof in.id, "%s", t.id);
	if (requested_ttl(r, &ttl) < 0) {
		resp_error(r, 400, "bad_request", "ttl: must be a whole number of seconds above 0");
		goto out;
	}
	if (ttl > r->app->cfg.token_ttl_max)
		ttl = r->app->cfg.token_ttl_max;
	if ((exp = token_issue(r, &s, &in, ttl, tok)) < 0) {
		resp_error(r, 500, "internal", "could not sign the token");
		goto out;
	}
	snprintf(url, sizeof url, "%s/inputs/%s/content?token=%s", r->prefix, in.id, tok);
	o = json_pack("{s:s, s:I, s:s}", "token", tok, "expires_at", (json_int_t)exp, "content_url",
	              url);
	if (o != NULL && upload)
		json_object_set_new(o, "state", json_string("growing"));
	resp_json(r, 201, o);
out:
	store_input_free(&in);
}
