/* static.c: GET and HEAD /static/mediagate.js, the pages' one script, embedded in the binary. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "fcgi/handlers.h"
#include "fcgi/http.h"

/* Generated from fcgi/static/mediagate.js by tools/embed.sh (the Makefile's gen/assets.c). */
extern const unsigned char asset_mediagate_js[];
extern const size_t asset_mediagate_js_len;

#define STATIC_ETAG_LEN (2 * 32 + 2)   /* DQUOTE, SHA-256 in hex, DQUOTE */

/*
 * The strong entity-tag of the script (RFC 9110 section 8.8.3): the SHA-256 of its bytes, made
 * once per process (the bytes are constant). Returns NULL when hashing failed.
 */
static const char *script_etag(void)
{
	static char etag[STATIC_ETAG_LEN + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (etag[0] != '\0')
		return etag;
	if (EVP_Digest(asset_mediagate_js, asset_mediagate_js_len, md, &mdlen, EVP_sha256(), NULL)
	    != 1 || mdlen != 32)
		return NULL;
	etag[0] = '"';
	for (i = 0; i < mdlen; i++)
		snprintf(etag + 1 + 2 * i, 3, "%02x", md[i]);
	etag[1 + 2 * mdlen] = '"';
	etag[2 + 2 * mdlen] = '\0';
	return etag;
}

void page_static(struct req *r, const char *id)
{
	const char *etag = script_etag(), *inm = req_param(r, "HTTP_IF_NONE_MATCH");

	if (etag == NULL) {
		resp_error(r, 500, "internal", "could not hash the script");
		return;
	}
	/* RFC 9110 section 13.1.2: a matching If-None-Match on GET or HEAD is answered 304, with
	   the validator and the caching fields a 200 would carry (section 15.4.5). */
	if (inm != NULL && http_etag_match(inm, etag, 1)) {
		resp_status(r, 304);
		resp_header(r, "ETag", "%s", etag);
		resp_header(r, "Cache-Control", "no-cache");
		resp_body_start(r);
		return;
	}
	resp_status(r, 200);
	resp_header(r, "Content-Type", "text/javascript; charset=utf-8");
	resp_header(r, "Content-Length", "%zu", asset_mediagate_js_len);
	resp_header(r, "ETag", "%s", etag);
	/* RFC 9111 section 5.2.2.4: cached, but revalidated (a cheap 304) before each use, so a new
	   binary's script is picked up at once. */
	resp_header(r, "Cache-Control", "no-cache");
	resp_body_start(r);
	resp_write(r, asset_mediagate_js, asset_mediagate_js_len);
}
