/* annotated.c: the "annotated binary" upload: 4-byte length, JSON metadata, payload (streamed). */
#include "fcgi/annotated.h"

#include <string.h>

void ab_init(struct ab_parser *p)
{
	p->state = AB_LENGTH;
	p->length = 0;
	p->got = 0;
	memset(p->lenbuf, 0, sizeof p->lenbuf);
	p->meta[0] = '\0';
}

/* Take up to want - p->got bytes from buf into dst; returns how many were taken. */
static size_t take(struct ab_parser *p, uint8_t *dst, size_t want, const uint8_t *buf, size_t len)
{
	size_t n = want - p->got;

	if (n > len)
		n = len;
	if (n > 0)
		memcpy(dst + p->got, buf, n);
	p->got += n;
	return n;
}

enum ab_err ab_feed(struct ab_parser *p, const uint8_t *buf, size_t len, const uint8_t **payload,
                    size_t *payload_len)
{
	size_t off = 0;

	*payload = NULL;
	*payload_len = 0;
	if (p->state == AB_FAILED)
		return AB_ERR_TOO_LONG;
	if (len == 0)
		return AB_OK;   /* buf may be NULL then: no arithmetic on it */
	if (p->state == AB_LENGTH) {
		off += take(p, p->lenbuf, sizeof p->lenbuf, buf, len);
		if (p->got < sizeof p->lenbuf)
			return AB_OK;
		/* Network byte order; decided as soon as the 4th byte is in, before any metadata. */
		p->length = (uint32_t)p->lenbuf[0] << 24 | (uint32_t)p->lenbuf[1] << 16 |
		            (uint32_t)p->lenbuf[2] << 8 | (uint32_t)p->lenbuf[3];
		if (p->length > AB_META_MAX) {
			p->state = AB_FAILED;
			return AB_ERR_TOO_LONG;
		}
		p->got = 0;
		p->state = AB_META;
	}
	if (p->state == AB_META) {
		off += take(p, (uint8_t *)p->meta, p->length, buf + off, len - off);
		if (p->got < p->length)
			return AB_OK;
		p->meta[p->length] = '\0';
		p->state = AB_PAYLOAD;
	}
	/* AB_PAYLOAD: the rest of buf, in place (it may be empty). */
	*payload = buf + off;
	*payload_len = len - off;
	return AB_OK;
}

enum ab_err ab_finish(const struct ab_parser *p)
{
	if (p->state == AB_PAYLOAD)
		return AB_OK;
	return p->state == AB_FAILED ? AB_ERR_TOO_LONG : AB_ERR_SHORT;
}

const char *ab_metadata(const struct ab_parser *p)
{
	return p->state == AB_PAYLOAD ? p->meta : NULL;
}
