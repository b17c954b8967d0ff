/* tus.c: the pure pieces of the tus 1.0.0 client mediagate-put (see tus.h). */
#include "cli/tus.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

size_t tus_base64(char *dst, const uint8_t *src, size_t len)
{
	/* EVP_EncodeBlock: RFC 4648 section 4 with '=' padding, NUL-terminated, no line breaks. */
	return (size_t)EVP_EncodeBlock((unsigned char *)dst, src, (int)len);
}

/* Whether buf, an Upload-Metadata value, already has a pair with this key. */
static int metadata_has(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (*p != '\0') {
		size_t n = strcspn(p, " ,");
		if (n == klen && memcmp(p, key, klen) == 0)
			return 1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

int tus_metadata_add(char *buf, size_t bufsz, const char *key, const char *value)
{
	size_t used = strlen(buf), klen = strlen(key), vlen = strlen(value), need, i;

	if (klen == 0)
		return -1;
	for (i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c <= ' ' || c >= 0x7f || c == ',')
			return -1;
	}
	if (metadata_has(buf, key))
		return -1;
	/* [","] key [" " base64] NUL */
	need = (used > 0) + klen + (vlen > 0 ? 1 + 4 * ((vlen + 2) / 3) : 0) + 1;
	if (need > bufsz - used || bufsz < used)
		return -1;
	if (used > 0)
		buf[used++] = ',';
	memcpy(buf + used, key, klen);
	used += klen;
	if (vlen > 0) {
		buf[used++] = ' ';
		used += tus_base64(buf + used, (const uint8_t *)value, vlen);
	}
	buf[used] = '\0';
	return 0;
}

int tus_parse_u64(const char *s, size_t len, uint64_t *out)
{
	size_t i = 0, end = len;
	uint64_t v = 0;

	while (i < end && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (i == end)
		return -1;
	for (; i < end; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - 1 - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v == UINT64_MAX)
		return -1;
	*out = v;
	return 0;
}

int tus_parse_size(const char *s, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	uint64_t v, mul = 1;
	const char *suf = s + n;

	if (n == 0 || tus_parse_u64(s, n, &v) != 0)
		return -1;
	if (*suf != '\0') {
		switch (toupper((unsigned char)*suf)) {
		case 'K': mul = 1024; break;
		case 'M': mul = 1024 * 1024; break;
		case 'G': mul = 1024 * 1024 * 1024; break;
		default: return -1;
		}
		suf++;
		if (*suf != '\0' && strcasecmp(suf, "iB") != 0 && strcasecmp(suf, "B") != 0)
			return -1;
	}
	if (v == 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int tus_header_value(const char *line, size_t len, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name), i, end;

	if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
		return 0;
	i = nlen + 1;
	end = len;
	while (end > i && (line[end - 1] == '\r' || line[end - 1] == '\n'))
		end--;
	while (i < end && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (end - i >= outsz)
		return -1;
	for (size_t k = i; k < end; k++) {
		unsigned char c = (unsigned char)line[k];
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return -1;
	}
	memcpy(out, line + i, end - i);
	out[end - i] = '\0';
	return 1;
}

int tus_list_has(const char *list, const char *item)
{
	size_t ilen = strlen(item);
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ","), a = 0, b = n;
		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
			b--;
		if (b - a == ilen && memcmp(p + a, item, ilen) == 0)
			return 1;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* A cookie-octet of RFC 6265 section 4.1.1. */
static int cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int tus_set_cookie_value(const char *field, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name), vlen, i;
	const char *v;

	while (*field == ' ' || *field == '\t')
		field++;
	if (strncmp(field, name, nlen) != 0 || field[nlen] != '=')
		return 0;
	v = field + nlen + 1;
	vlen = strcspn(v, ";");
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	if (vlen >= outsz)
		return -1;
	for (i = 0; i < vlen; i++)
		if (!cookie_octet((unsigned char)v[i]))
			return -1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return 1;
}

int tus_checksum_sha256(char out[TUS_CHECKSUM_MAX], const void *data, size_t len)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	unsigned mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof md)
		return -1;
	memcpy(out, "sha256 ", 7);
	tus_base64(out + 7, md, sizeof md);
	return 0;
}

/* The length of "scheme://authority" at the start of an absolute http(s) URL, or 0. */
static size_t origin_len(const char *url)
{
	size_t s;

	if (strncasecmp(url, "http://", 7) == 0)
		s = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		s = 8;
	else
		return 0;
	if (url[s] == '\0' || strchr("/?#", url[s]) != NULL)
		return 0;
	return s + strcspn(url + s, "/?#");
}

/* Whether a reference has only characters a URL may carry (no controls, no space, ASCII). */
static int url_chars_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/*
 * remove_dot_segments of RFC 3986 section 5.2.4 on the path in (len bytes, modified: the
 * algorithm rewrites its input buffer), into out (room for len + 1 bytes): "." and ".."
 * segments go, ".." taking the segment before it along. Returns the output length.
 */
static size_t remove_dot_segments(char *out, char *in, size_t len)
{
	size_t o = 0, i = 0;

	while (i < len) {
		size_t rest = len - i;
		char *p = in + i;

		if (rest >= 3 && memcmp(p, "../", 3) == 0) {               /* A */
			i += 3;
		} else if (rest >= 2 && memcmp(p, "./", 2) == 0) {
			i += 2;
		} else if (rest >= 3 && memcmp(p, "/./", 3) == 0) {        /* B */
			i += 2;
		} else if (rest == 2 && memcmp(p, "/.", 2) == 0) {
			i += 1;
			in[i] = '/';
		} else if ((rest >= 4 && memcmp(p, "/../", 4) == 0) ||     /* C */
		           (rest == 3 && memcmp(p, "/..", 3) == 0)) {
			if (rest >= 4) {
				i += 3;
			} else {
				i += 2;
				in[i] = '/';
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if ((rest == 1 && p[0] == '.') || (rest == 2 && memcmp(p, "..", 2) == 0)) {
			i = len;                                            /* D */
		} else {                                                    /* E */
			size_t n = (p[0] == '/') + strcspn(p + (p[0] == '/'), "/");
			if (n > rest)
				n = rest;
			memcpy(out + o, p, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return o;
}

int tus_url_resolve(char *out, size_t outsz, const char *base, const char *ref)
{
	size_t olen = origin_len(base), plen, rpath, need;
	char merged[TUS_URL_MAX], clean[TUS_URL_MAX];
	const char *bpath;
	int n;

	if (olen == 0 || *ref == '\0' || !url_chars_ok(ref) || !url_chars_ok(base))
		return -1;
	if (strncasecmp(ref, "http://", 7) == 0 || strncasecmp(ref, "https://", 8) == 0) {
		if (origin_len(ref) == 0)
			return -1;
		n = snprintf(out, outsz, "%s", ref);
		return n < 0 || (size_t)n >= outsz ? -1 : 0;
	}
	if (ref[0] == '/' && ref[1] == '/') {
		size_t scheme = strcspn(base, ":");
		n = snprintf(out, outsz, "%.*s:%s", (int)scheme, base, ref);
		return n < 0 || (size_t)n >= outsz ? -1 : 0;
	}
	if (strcspn(ref, ":/?#") < strlen(ref) && ref[strcspn(ref, ":/?#")] == ':')
		return -1;   /* another scheme (mailto:, ftp:): not for an HTTP client */
	rpath = strcspn(ref, "?#");
	bpath = base + olen;
	if (ref[0] == '#') {
		/* only a fragment: all of base but its fragment (section 5.2.2) */
		size_t blen = strcspn(base, "#");
		n = snprintf(out, outsz, "%.*s%s", (int)blen, base, ref);
		return n < 0 || (size_t)n >= outsz ? -1 : 0;
	}
	if (ref[0] == '/') {
		if (rpath >= sizeof merged)
			return -1;
		memcpy(merged, ref, rpath);
		plen = rpath;
	} else if (rpath == 0) {
		/* only a query or fragment: base's path */
		plen = strcspn(bpath, "?#");
		if (plen >= sizeof merged)
			return -1;
		memcpy(merged, bpath, plen);
	} else {
		size_t blen = strcspn(bpath, "?#"), dir = blen;
		while (dir > 0 && bpath[dir - 1] != '/')
			dir--;
		if (dir == 0) {
			merged[0] = '/';
			plen = 1;
		} else {
			if (dir >= sizeof merged)
				return -1;
			memcpy(merged, bpath, dir);
			plen = dir;
		}
		if (plen + rpath >= sizeof merged)
			return -1;
		memcpy(merged + plen, ref, rpath);
		plen += rpath;
	}
	merged[plen] = '\0';
	plen = remove_dot_segments(clean, merged, plen);
	if (plen == 0) {
		clean[0] = '/';
		clean[1] = '\0';
		plen = 1;
	}
	need = olen + plen + strlen(ref + rpath) + 1;
	if (need > outsz)
		return -1;
	memcpy(out, base, olen);
	memcpy(out + olen, clean, plen);
	strcpy(out + olen + plen, ref + rpath);
	return 0;
}

int tus_url_join(char *out, size_t outsz, const char *base, const char *path)
{
	size_t blen = strlen(base);
	int n;

	if (origin_len(base) == 0 || strpbrk(base, "?#") != NULL || !url_chars_ok(base) ||
	    path[0] != '/')
		return -1;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	n = snprintf(out, outsz, "%.*s%s", (int)blen, base, path);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int tus_wav_scan(const uint8_t *buf, size_t len, struct tus_wav *out)
{
	struct tus_wav w;
	int have_fmt = 0;
	uint64_t pos = 12;

	memset(&w, 0, sizeof w);
	if (len < 12)
		return memcmp(buf, "RIFF", len < 4 ? len : 4) == 0 &&
		       (len <= 8 || memcmp(buf + 8, "WAVE", len - 8) == 0) ? 0 : -1;
	if (memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
		return -1;
	for (;;) {
		uint32_t size;
		if (pos + 8 > len)
			return 0;
		size = le32(buf + pos + 4);
		if (memcmp(buf + pos, "data", 4) == 0) {
			if (!have_fmt)
				return -1;
			w.data_offset = pos + 8;
			w.data_size = size;
			*out = w;
			return 1;
		}
		if (memcmp(buf + pos, "fmt ", 4) == 0) {
			if (size < 16)
				return -1;
			if (pos + 8 + 16 > len)
				return 0;
			w.format_tag = le16(buf + pos + 8);
			w.channels = le16(buf + pos + 10);
			w.sample_rate = le32(buf + pos + 12);
			w.byte_rate = le32(buf + pos + 16);
			w.block_align = le16(buf + pos + 20);
			if (w.channels == 0 || w.sample_rate == 0 || w.block_align == 0 ||
			    (uint64_t)w.sample_rate * w.block_align != w.byte_rate)
				return -1;
			have_fmt = 1;
		}
		pos += 8 + (uint64_t)size + (size & 1);
	}
}

double tus_wav_due(const struct tus_wav *w, uint64_t offset)
{
	uint64_t d;

	if (offset <= w->data_offset)
		return 0;
	d = offset - w->data_offset;
	if (w->data_size != 0 && w->data_size != 0xFFFFFFFFu && d > w->data_size)
		d = w->data_size;
	return (double)d / w->byte_rate;
}

uint64_t tus_wav_chunk_end(const struct tus_wav *w, uint64_t offset)
{
	uint64_t step = w->byte_rate - w->byte_rate % w->block_align;

	if (step == 0)
		step = w->block_align;
	if (offset < w->data_offset)
		return w->data_offset + step;
	return w->data_offset + ((offset - w->data_offset) / step + 1) * step;
}

int tus_state_key(char out[33], const char *server, const char *path, uint64_t size,
                  int64_t mtime_s, long mtime_ns)
{
	char text[TUS_URL_MAX * 2 + 64];
	uint8_t md[SHA256_DIGEST_LENGTH];
	unsigned mdlen = 0, i;
	int n;

	n = snprintf(text, sizeof text, "%s\n%s\n%" PRIu64 "\n%" PRId64 ".%09ld\n", server, path,
	             size, mtime_s, mtime_ns);
	if (n < 0 || (size_t)n >= sizeof text)
		return -1;
	if (EVP_Digest(text, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Whether s can be one token of a state file line: non-empty printable ASCII, no space. */
static int state_field_ok(const char *s)
{
	return *s != '\0' && url_chars_ok(s);
}

int tus_state_format(char *buf, size_t bufsz, const struct tus_state *st)
{
	char len[32];
	int n;

	if (!state_field_ok(st->url) || (st->cookie[0] != '\0' && !state_field_ok(st->cookie)))
		return -1;
	if (st->length == TUS_LENGTH_UNKNOWN)
		snprintf(len, sizeof len, "deferred");
	else
		snprintf(len, sizeof len, "%" PRIu64, st->length);
	n = snprintf(buf, bufsz, "mediagate-put-state 1\nurl %s\ncookie %s\nlength %s\n", st->url,
	             st->cookie, len);
	return n < 0 || (size_t)n >= bufsz ? -1 : n;
}

int tus_state_parse(const char *text, size_t len, struct tus_state *st)
{
	static const char magic[] = "mediagate-put-state 1\n";
	size_t i;
	int have_url = 0, have_len = 0;

	memset(st, 0, sizeof *st);
	if (len < sizeof magic - 1 || memcmp(text, magic, sizeof magic - 1) != 0)
		return -1;
	i = sizeof magic - 1;
	while (i < len) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL);
		if (n > 4 && memcmp(line, "url ", 4) == 0) {
			if (n - 4 >= sizeof st->url)
				return -1;
			memcpy(st->url, line + 4, n - 4);
			st->url[n - 4] = '\0';
			if (!state_field_ok(st->url))
				return -1;
			have_url = 1;
		} else if (n >= 7 && memcmp(line, "cookie ", 7) == 0) {
			if (n - 7 >= sizeof st->cookie)
				return -1;
			memcpy(st->cookie, line + 7, n - 7);
			st->cookie[n - 7] = '\0';
			if (st->cookie[0] != '\0' && !state_field_ok(st->cookie))
				return -1;
		} else if (n > 7 && memcmp(line, "length ", 7) == 0) {
			if (n - 7 == 8 && memcmp(line + 7, "deferred", 8) == 0)
				st->length = TUS_LENGTH_UNKNOWN;
			else if (tus_parse_u64(line + 7, n - 7, &st->length) != 0)
				return -1;
			have_len = 1;
		}
	}
	return have_url && have_len ? 0 : -1;
}

long tus_backoff_ms(unsigned attempt, double r)
{
	double nominal = 500.0;
	unsigned i;

	for (i = 0; i < attempt && nominal < 30000.0; i++)
		nominal *= 2;
	if (nominal > 30000.0)
		nominal = 30000.0;
	if (r < 0 || r >= 1)
		r = 0;
	return (long)(nominal * (0.5 + r / 2));
}

char *tus_human_bytes(char *out, size_t outsz, uint64_t n)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(out, outsz, "%" PRIu64 " B", n);
		return out;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (v < 9.995)
		snprintf(out, outsz, "%.2f %s", v, units[u]);
	else if (v < 99.95)
		snprintf(out, outsz, "%.1f %s", v, units[u]);
	else
		snprintf(out, outsz, "%.0f %s", v, units[u]);
	return out;
}

/* Seconds as "M:SS" or "H:MM:SS"; "--:--" when unknown or absurd. */
static void clock_text(char *out, size_t outsz, double s)
{
	long t;

	if (!(s >= 0) || s > 359999) {
		snprintf(out, outsz, "--:--");
		return;
	}
	t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(out, outsz, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, outsz, "%ld:%02ld", t / 60, t % 60);
}

int tus_progress_line(char *out, size_t outsz, uint64_t done, uint64_t total, double rate,
                      double elapsed, int width)
{
	char d[16], t[16], r[16], eta[32], head[96], tail[96];
	int n, hl, tl, bar;

	if (outsz == 0)
		return 0;
	tus_human_bytes(d, sizeof d, done);
	tus_human_bytes(r, sizeof r, rate > 0 ? (uint64_t)rate : 0);
	if (total == TUS_LENGTH_UNKNOWN) {
		clock_text(eta, sizeof eta, elapsed);
		n = snprintf(out, outsz, "  %s  %s/s  %s", d, r, eta);
		if (n >= 0 && (size_t)n >= outsz)
			n = (int)outsz - 1;
		if (width > 0 && n > width) {
			n = width;
			out[n] = '\0';
		}
		return n < 0 ? 0 : n;
	}
	tus_human_bytes(t, sizeof t, total);
	clock_text(eta, sizeof eta, rate > 0 && done <= total ? (double)(total - done) / rate : -1);
	hl = snprintf(head, sizeof head, "  %s / %s %3d%%", d, t,
	              total > 0 ? (int)(done >= total ? 100 : done * 100 / total) : 100);
	tl = snprintf(tail, sizeof tail, " %s/s ETA %s", r, eta);
	bar = width - hl - tl - 3;   /* " [" and "]" */
	if (bar >= 10) {
		char b[512];
		int fill, i;
		if (bar > (int)sizeof b - 1)
			bar = (int)sizeof b - 1;
		fill = total > 0 ? (int)((double)(done > total ? total : done) / total * bar) : bar;
		for (i = 0; i < bar; i++)
			b[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
		b[bar] = '\0';
		n = snprintf(out, outsz, "%s [%s]%s", head, b, tail);
	} else {
		n = snprintf(out, outsz, "%s%s", head, tail);
		if (width > 0 && n > width && (size_t)width < outsz) {
			n = width;
			out[n] = '\0';
		}
	}
	if (n >= 0 && (size_t)n >= outsz)
		n = (int)outsz - 1;
	return n < 0 ? 0 : n;
}
