/* sniff.c: a media type from a file's first bytes (WHATWG MIME Sniffing, sections 6.1, 6.2). */
#include "media/sniff.h"

#include <string.h>

struct signature {
	size_t      offset;
	const char *bytes;
	size_t      len;
	const char *type;
};

#define SIG(off, b, t) {off, b, sizeof b - 1, t}

static const struct signature signatures[] = {
	SIG(8, "WAVE", "audio/wav"),          /* after "RIFF" and the chunk size */
	SIG(8, "WEBP", "image/webp"),
	SIG(8, "AIFF", "audio/aiff"),         /* after "FORM" */
	SIG(0, "OggS\0", "audio/ogg"),
	SIG(0, "fLaC", "audio/flac"),
	SIG(0, "ID3", "audio/mpeg"),
	SIG(4, "ftyp", "video/mp4"),
	SIG(0, "\x1a\x45\xdf\xa3", "video/webm"),
	SIG(0, "\x89PNG\r\n\x1a\n", "image/png"),
	SIG(0, "\xff\xd8\xff", "image/jpeg"),
	SIG(0, "GIF87a", "image/gif"),
	SIG(0, "GIF89a", "image/gif"),
};

const char *media_sniff(const uint8_t *head, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof signatures / sizeof signatures[0]; i++) {
		const struct signature *s = &signatures[i];
		if (len < s->offset + s->len || memcmp(head + s->offset, s->bytes, s->len) != 0)
			continue;
		/* The offset-8 forms need their container's magic at the start too. */
		if (s->offset == 8 && memcmp(head, strcmp(s->bytes, "AIFF") == 0 ? "FORM" : "RIFF", 4))
			continue;
		return s->type;
	}
	/* An MPEG audio frame header: 11 set sync bits, a layer that is not "reserved". */
	if (len >= 2 && head[0] == 0xff && (head[1] & 0xe0) == 0xe0 && (head[1] & 0x06) != 0)
		return "audio/mpeg";
	return NULL;
}
