/* disposition.h: how a read presents stored bytes: inline or attachment, never active content. */
#ifndef MG_DISPOSITION_H
#define MG_DISPOSITION_H

#include "fcgi/request.h"

/*
 * content_is_active: 1 when media type ctype (lowercase, no parameters) is one a browser would
 * run or render as a document (HTML, XHTML, SVG, XML and anything +xml, JavaScript,
 * ECMAScript, XSL, Flash), which a read never serves as itself (application/octet-stream
 * instead). Every read uses it (h_content.c, h_growing.c).
 */
int content_is_active(const char *ctype);

/*
 * content_is_inline: 1 when bytes of kind (audio, image, video, file) served as ctype may be
 * shown inline: audio/..., image/... or video/... matching the kind (kind video also takes
 * audio/...: a container with sound alone), and not active.
 */
int content_is_inline(const char *kind, const char *ctype);

/*
 * content_disposition: send Content-Disposition (RFC 6266 section 4): inline or attachment as
 * content_is_inline says, with filename (already sanitised; "" for none) as an ASCII fallback
 * and an RFC 8187 filename*. generated_ext, when not NULL, replaces the name's extension (a
 * representation made from the upload: ".wav").
 */
void content_disposition(struct req *r, const char *kind, const char *ctype, const char *filename,
                         const char *generated_ext);

#endif
