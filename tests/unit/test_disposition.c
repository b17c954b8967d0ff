/* test_disposition.c: unit tests for fcgi/disposition.c (active types, inline or attachment). */
#include <criterion/criterion.h>

#include "fcgi/disposition.h"

Test(disposition, active_types)
{
	static const char *const active[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript",
		"application/javascript", "application/ecmascript", "text/ecmascript", "text/xml",
		"application/xml", "text/xsl", "application/x-shockwave-flash", "application/rss+xml",
		"application/atom+xml",
	};
	static const char *const passive[] = {
		"audio/wav", "video/webm", "image/png", "application/octet-stream", "text/plain",
		"application/json", "xml", "+xml",
	};
	size_t i;

	for (i = 0; i < sizeof active / sizeof active[0]; i++)
		cr_expect_eq(content_is_active(active[i]), 1, "%s is active", active[i]);
	for (i = 0; i < sizeof passive / sizeof passive[0]; i++)
		cr_expect_eq(content_is_active(passive[i]), 0, "%s is not active", passive[i]);
}

Test(disposition, inline_only_for_media_of_its_kind)
{
	cr_expect_eq(content_is_inline("audio", "audio/wav"), 1);
	cr_expect_eq(content_is_inline("video", "video/webm"), 1);
	cr_expect_eq(content_is_inline("image", "image/png"), 1);
	cr_expect_eq(content_is_inline("video", "audio/webm"), 1);     /* sound alone in WebM */
	cr_expect_eq(content_is_inline("audio", "video/webm"), 0);     /* another kind */
	cr_expect_eq(content_is_inline("audio", "audiox/wav"), 0);     /* a longer top-level type */
	cr_expect_eq(content_is_inline("image", "image/svg+xml"), 0);  /* active */
	cr_expect_eq(content_is_inline("file", "audio/wav"), 0);       /* files are attachments */
	cr_expect_eq(content_is_inline("file", "text/plain"), 0);
}
