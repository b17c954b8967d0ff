/* h_inputs.c: the input resource: GET /inputs, GET /inputs/ID, DELETE /inputs/ID. */
#include <stdio.h>
#include <string.h>

#include "fcgi/h_growing.h"
#include "fcgi/handlers.h"

json_t *input_json(const struct req *r, const struct store_input *in, const char *token,
                   int64_t expires_at)
{
	json_t *meta = json_loads(in->metadata_json ? in->metadata_json : "{}", 0, NULL);
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "id", in->id, "kind", in->kind,
	                      "content_type", in->content_type, "size", (json_int_t)in->size,
	                      "sha256", in->sha256, "filename", in->filename, "created_at",
	                      (json_int_t)in->created_at);
	static const char *const probed[] = {"audio", "image"};
	char url[REQ_PREFIX_MAX + 256];
	size_t i;

	if (o == NULL) {
		json_decref(meta);
		return NULL;
	}
	/* What the server learnt by probing (issue 3) stands beside what the client said. */
	for (i = 0; i < sizeof probed / sizeof probed[0]; i++) {
		json_t *v = json_object_get(meta, probed[i]);
		if (v != NULL) {
			json_object_set(o, probed[i], v);
			json_object_del(meta, probed[i]);
		}
	}
	json_object_set_new(o, "metadata", meta ? meta : json_object());
	if (token != NULL) {
		json_object_set_new(o, "token", json_string(token));
		json_object_set_new(o, "expires_at", json_integer(expires_at));
		snprintf(url, sizeof url, "%s/inputs/%s/content?token=%s", r->prefix, in->id,
		         token);
		json_object_set_new(o, "content_url", json_string(url));
		snprintf(url, sizeof url, "%s/inputs/%s/view?token=%s", r->prefix, in->id, token);
		json_object_set_new(o, "view_url", json_string(url));
	}
	return o;
}

/* What list_one adds to: the request (its prefix) and the array. */
struct listing {
	const struct req *r;
	json_t *list;
};

static int list_one(void *ctx, const struct store_input *in)
{
	struct listing *l = ctx;
	json_t *o = input_json(l->r, in, NULL, 0);

	return o == NULL || json_array_append_new(l->list, o) != 0;
}

void h_inputs_list(struct req *r, const char *id)
{
	struct store_session s;
	struct listing l = {r, NULL};

	if (session_from_cookie(r, 1, &s) != 0)
		return;
	l.list = json_array();
	if (store_input_list(r->app->store, s.id, list_one, &l) != STORE_OK) {
		json_decref(l.list);
		resp_error(r, 500, "internal", "could not list the inputs");
		return;
	}
	resp_json(r, 200, json_pack("{s:s, s:o}", "session", s.id, "inputs", l.list));
}

void h_input_get(struct req *r, const char *id)
{
	struct store_input in;
	struct store_session s;
	struct store_tus t;
	struct token_claims c;
	/* A token is enough to read the metadata; without one the owner's cookie is needed. An
	   upload in progress answers for the input it will be (README, "Reading an input while it
	   grows"). */
	int upload = auth_has_token(r) ? auth_token_upload(r, id, &in, &t, &c)
	                               : auth_owner_upload(r, id, &in, &t, &s);

	if (upload < 0)
		return;
	resp_json(r, 200, upload ? growing_json(r, &t) : input_json(r, &in, NULL, 0));
	store_input_free(&in);
}

void h_input_delete(struct req *r, const char *id)
{
	struct store_input in;
	struct store_session s;

	if (auth_owner(r, id, &in, &s) != 0)
		return;
	store_input_free(&in);
	if (store_input_delete(r->app->store, id, r->now) != STORE_OK) {
		resp_error(r, 500, "internal", "could not delete the input");
		return;
	}
	resp_status(r, 204);
	resp_body_start(r);
}
