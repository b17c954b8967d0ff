/* router.c: the route table: method and path pattern to handler; 404 and 405. */
#include <stdio.h>
#include <string.h>

#include "fcgi/handlers.h"
#include "fcgi/metrics.h"

static void h_healthz(struct req *r, const char *id)
{
	resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

struct route {
	const char *method;
	const char *pattern;   /* "{id}" stands for one non-empty path segment */
	handler_fn *fn;
};

static const struct route routes[] = {
	{"GET",    "/",                    page_upload},
	{"GET",    "/healthz",             h_healthz},
	{"GET",    "/metrics",             h_metrics},
	{"POST",   "/sessions",            h_session_create},
	{"DELETE", "/sessions/current",    h_session_end},
	{"GET",    "/inputs",              h_inputs_list},
	{"POST",   "/inputs",              h_upload},
	{"GET",    "/inputs/{id}",         h_input_get},
	{"DELETE", "/inputs/{id}",         h_input_delete},
	{"GET",    "/inputs/{id}/content", h_content},
	{"GET",    "/inputs/{id}/view",    page_view},
	{"GET",    "/record",              page_record},
	{"POST",   "/inputs/{id}/tokens",  h_token_create},
	{"GET",    "/static/mediagate.js", page_static},
	/* tus 1.0.0 (h_tus.c); HEAD is routed as GET, which answers the same with a body. */
	{"OPTIONS", "/uploads",            h_tus_options},
	{"OPTIONS", "/uploads/",           h_tus_options},
	{"POST",   "/uploads",             h_tus_create},
	{"POST",   "/uploads/",            h_tus_create},
	{"OPTIONS", "/uploads/{id}",       h_tus_options},
	{"GET",    "/uploads/{id}",        h_tus_head},
	{"PATCH",  "/uploads/{id}",        h_tus_patch},
	{"DELETE", "/uploads/{id}",        h_tus_delete},
	{"POST",   "/uploads/{id}",        h_tus_override},
};

#define NROUTES (sizeof routes / sizeof routes[0])
#define ID_SEGMENT_MAX 64

size_t route_count(void)
{
	return NROUTES;
}

const char *route_at(size_t i, const char **method)
{
	if (i >= NROUTES)
		return NULL;
	if (method != NULL)
		*method = routes[i].method;
	return routes[i].pattern;
}

/* Match path against pattern; the {id} segment is copied to id. 1 on a match. */
static int match(const char *pattern, const char *path, char *id)
{
	while (*pattern != '\0') {
		if (strncmp(pattern, "{id}", 4) == 0) {
			size_t n = strcspn(path, "/");
			if (n == 0 || n > ID_SEGMENT_MAX)
				return 0;
			memcpy(id, path, n);
			id[n] = '\0';
			path += n;
			pattern += 4;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return *path == '\0';
}

void route(struct req *r)
{
	char id[ID_SEGMENT_MAX + 1] = "", allow[64] = "";
	const char *method = r->is_head ? "GET" : r->method;
	size_t i;

	r->route = NULL;
	r->route_index = -1;
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, r->path, id))
			continue;
		if (r->route == NULL)
			r->route = routes[i].pattern;   /* a 405 is logged under the path's pattern */
		if (strcmp(routes[i].method, method) == 0) {
			r->route = routes[i].pattern;
			r->route_index = (int)i;
			routes[i].fn(r, strchr(routes[i].pattern, '{') ? id : NULL);
			return;
		}
		if (strlen(allow) + 16 < sizeof allow) {
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
			if (strcmp(routes[i].method, "GET") == 0)
				strcat(allow, ", HEAD");
		}
	}
	if (allow[0] == '\0') {
		resp_error(r, 404, "not_found", "no such resource");
		return;
	}
	/* RFC 9110 section 15.5.6: a 405 lists the methods the target supports. */
	resp_error_with(r, 405, "Allow", allow, "method_not_allowed", "see the Allow header");
}
