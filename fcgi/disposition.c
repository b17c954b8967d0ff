/* disposition.c: how a read presents stored bytes: inline or attachment, never active content. */
#include "fcgi/disposition.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

int content_is_active(const char *ctype)
{
	static const char *const active[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript",
		"application/javascript", "application/ecmascript", "text/ecmascript", "text/xml",
		"application/xml", "text/xsl", "application/x-shockwave-flash",
	};
	size_t i, n = strlen(ctype);

	for (i = 0; i < sizeof active / sizeof active[0]; i++)
		if (strcmp(ctype, active[i]) == 0)
			return 1;
	return n > 4 && strcmp(ctype + n - 4, "+xml") == 0;
}

int content_is_inline(const char *kind, const char *ctype)
{
	size_t n = strlen(kind);

	if (strcmp(kind, "file") == 0 || content_is_active(ctype))
		return 0;
	/* A video container may hold sound alone (the record page's microphone-only WebM). */
	if (strcmp(kind, "video") == 0 && strncmp(ctype, "audio/", 6) == 0)
		return 1;
	return strncmp(ctype, kind, n) == 0 && ctype[n] == '/';
}

void content_disposition(struct req *r, const char *kind, const char *ctype, const char *filename,
                         const char *generated_ext)
{
	char name[STORE_FILENAME_MAX + 8], ascii[sizeof name], ext[3 * sizeof name];
	const char *disp = content_is_inline(kind, ctype) ? "inline" : "attachment";
	const unsigned char *p;
	size_t a = 0, e = 0;
	char *dot;

	snprintf(name, sizeof name, "%.*s", STORE_FILENAME_MAX, filename);
	if (generated_ext != NULL && name[0] != '\0') {
		if ((dot = strrchr(name, '.')) != NULL)
			*dot = '\0';
		strncat(name, generated_ext, sizeof name - strlen(name) - 1);
	}
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		ascii[a++] = (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '%') ? '_'
		                                                                             : (char)*p;
		/* attr-char of RFC 8187 section 3.2.1; everything else percent-encoded */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p) != NULL) {
			ext[e++] = (char)*p;
		} else {
			snprintf(ext + e, 4, "%%%02X", *p);
			e += 3;
		}
	}
	ascii[a] = ext[e] = '\0';
	if (a == 0)
		resp_header(r, "Content-Disposition", "%s", disp);
	else
		resp_header(r, "Content-Disposition", "%s; filename=\"%s\"; filename*=UTF-8''%s", disp,
		            ascii, ext);
}
