/*
 * h_growing.h: reading an input while it grows: GET and HEAD /inputs/ID/content of a tus upload
 * in progress (its durable bytes as 206, with a Content-Range whose complete length is the
 * asterisk: unknown), and ?follow=1, the body streamed as the bytes become durable. README,
 * "Reading an input while it grows".
 */
#ifndef MG_H_GROWING_H
#define MG_H_GROWING_H

#include <jansson.h>

#include "fcgi/request.h"
#include "store/store.h"
#include "tokens/token.h"

/*
 * growing_content: the start of GET and HEAD /inputs/ID/content (h_content.c). Checks the token
 * (auth_token_upload: the documented order; a tus upload in progress of the token's session
 * answers for the input to be). For a complete input returns 0 with *in (store_input_free) and
 * *claims: h_content serves it, ?follow=1 or not (a complete input is a plain read of its whole
 * representation). For an upload in progress it answers, and returns 1:
 *   - the representation: the bytes as uploaded, with the media type of the upload's metadata
 *     (filetype or content_type, else named by the leading bytes, else
 *     application/octet-stream; active types as application/octet-stream attachments, under
 *     "Content-Security-Policy: sandbox", as h_content.c does); raw PCM audio (kind audio,
 *     format pcm_*, sampling_rate, num_channels) as audio/wav: a 44-byte header whose data size
 *     is the largest whole number of frames a RIFF file can hold, then the PCM; ?format=original
 *     the bytes as they are;
 *   - without follow: 206 with "Content-Range: bytes A-B/" and an asterisk (RFC 9110 section
 *     14.4: the complete length is unknown) for the durable bytes, or the one Range (section 14.1.2)
 *     within them (several ranges, an If-Range: the Range is ignored); 416 range_not_satisfiable
 *     when the range starts past them; 204 when nothing is durable yet; "Cache-Control:
 *     no-store", no ETag or Last-Modified (the representation changes), never offloaded;
 *   - ?follow=1: 200 without Content-Length (the web server sends it chunked) and with
 *     "X-Accel-Buffering: no" (nginx passes it on unbuffered), the body from byte 0 (or the
 *     Range's first byte; a suffix range counts from the durable end) streamed as the upload's
 *     offset grows: every 200 ms the connection is checked, and the row is read when the file
 *     changed (size, links) or holds bytes not yet recorded, and every second. It ends when the
 *     upload completes and every byte is sent (or the Range's last), when the upload is gone
 *     (terminated, expired, its session ended, its completion refused: the client sees a short
 *     body), after MEDIAGATE_FOLLOW_IDLE seconds without a new byte, when the client is gone
 *     (the web server closed the connection, a write failed), or when the app is told to stop
 *     (SIGTERM, SIGINT). It holds its FastCGI process all that time.
 * Errors: 400 bad_request (follow not 0 or 1; format other than original; a sampling_rate or
 * num_channels other than the upload's own), 410 upload_expired, 412 precondition_failed
 * (If-Match other than "*"), 404, 500; and the token's (auth_token).
 */
int growing_content(struct req *r, const char *id, struct store_input *in,
                    struct token_claims *claims);

/*
 * growing_json: the JSON of upload in progress t as GET /inputs/ID answers it: id, "state":
 * "growing", kind, content_type, filename (from its Upload-Metadata, as the input will have
 * them), offset (durable bytes), length (null while deferred), created_at, expires_at (its
 * Upload-Expires), upload_url, metadata. NULL when out of memory.
 */
json_t *growing_json(const struct req *r, const struct store_tus *t);

#endif
