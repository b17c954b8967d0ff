/* multipart.c: streaming multipart/form-data parser (RFC 7578, RFC 2046 section 5.1.1). */
#include "fcgi/multipart.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum mp_state {
	ST_PREAMBLE,    /* discarding bytes before the first dash-boundary */
	ST_DELIM,       /* a whole delimiter was matched: the next byte says which kind */
	ST_DELIM_DASH,  /* delimiter and one '-': the second makes it the close-delimiter */
	ST_PADDING,     /* transport-padding after a delimiter */
	ST_DELIM_LF,    /* the CR ending a delimiter line: LF wanted */
	ST_HEADER,      /* collecting a part header line */
	ST_HEADER_LF,   /* the CR ending a header line: LF wanted */
	ST_CONTENT,     /* part content, up to the next delimiter */
	ST_DONE,        /* close-delimiter seen; the epilogue is ignored */
	ST_ERROR
};

void mp_limits_default(struct mp_limits *lim)
{
	lim->header_bytes = 8192;
	lim->parts = 64;
}

/* RFC 2046 section 5.1.1: bchars := bcharsnospace / " ". */
static int is_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

/* RFC 7230 section 3.2.6: tchar, the bytes of a token. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 5987 section 3.2.1: attr-char, the bytes an ext-value carries unencoded. */
static int is_attr_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) equals the lower-case literal lit, ignoring ASCII case (not locale-dependent). */
static int ci_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

static size_t skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static size_t token_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * value = token / quoted-string (RFC 7230 section 3.2.6, used by RFC 7231 section 3.1.1.1 and
 * RFC 6266 section 4.1). Scans s from *ip, stores at most cap bytes of the unquoted value in out
 * (out may be s + *ip: unquoting only shrinks), sets *vlen to the whole unquoted length and
 * *quoted. With narrow_bs a backslash escapes only '"' and '\\' and is kept before anything
 * else: browsers send filenames with raw backslashes (WHATWG HTML form encoding escapes only
 * '"', CR and LF, as %22 %0D %0A). Returns 0, or -1 on an empty token or unterminated quotes.
 */
static int read_value(const char *s, size_t n, size_t *ip, char *out, size_t cap,
                      size_t *vlen, int *quoted, int narrow_bs)
{
	size_t i = *ip, o = 0;

	if (i < n && s[i] == '"') {
		for (i++;; i++) {
			if (i == n)
				return -1;
			if (s[i] == '"')
				break;
			if (s[i] == '\\' && i + 1 < n &&
			    (!narrow_bs || s[i + 1] == '"' || s[i + 1] == '\\'))
				i++;
			if (o < cap)
				out[o] = s[i];
			o++;
		}
		*ip = i + 1;
		*quoted = 1;
	} else {
		size_t t = token_len(s + i, n - i);
		if (t == 0)
			return -1;
		for (o = 0; o < t; o++)
			if (o < cap)
				out[o] = s[i + o];
		*ip = i + t;
		*quoted = 0;
	}
	*vlen = o;
	return 0;
}

static enum mp_err fail(struct mp_parser *p, enum mp_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum mp_err fail(struct mp_parser *p, enum mp_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof p->detail, fmt, ap);
	va_end(ap);
	p->err = err;
	p->state = ST_ERROR;
	return err;
}

/* RFC 2046 section 5.1.1: the boundary is 1..70 bchars and does not end with a space. */
static int boundary_ok(const char *b, size_t n)
{
	size_t i;

	if (n < 1 || n > MP_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

int mp_boundary(const char *content_type, char *out)
{
	const char *s = content_type;
	char val[MP_BOUNDARY_MAX + 1];
	size_t n, i, t, nlen, vlen;
	int quoted, found = 0;

	if (s == NULL || out == NULL)
		return -1;
	n = strlen(s);
	/* RFC 7231 section 3.1.1.1: type "/" subtype *( OWS ";" OWS parameter ), all
	 * case-insensitive but parameter values. */
	i = skip_ows(s, n, 0);
	t = token_len(s + i, n - i);
	if (!ci_eq(s + i, t, "multipart"))
		return -1;
	i += t;
	if (i == n || s[i] != '/')
		return -1;
	i++;
	t = token_len(s + i, n - i);
	if (!ci_eq(s + i, t, "form-data"))
		return -1;
	i += t;
	for (;;) {
		const char *name;

		i = skip_ows(s, n, i);
		if (i == n)
			break;
		if (s[i] != ';')
			return -1;
		i = skip_ows(s, n, i + 1);
		if (i == n)
			break;
		name = s + i;
		nlen = token_len(name, n - i);
		if (nlen == 0)
			return -1;
		i = skip_ows(s, n, i + nlen);
		if (i == n || s[i] != '=')
			return -1;
		i = skip_ows(s, n, i + 1);
		if (read_value(s, n, &i, val, sizeof val - 1, &vlen, &quoted, 0) != 0)
			return -1;
		if (!ci_eq(name, nlen, "boundary"))
			continue;
		/* A second boundary would let two parsers see different bodies. */
		if (found || vlen > MP_BOUNDARY_MAX || !boundary_ok(val, vlen))
			return -1;
		memcpy(out, val, vlen);
		out[vlen] = '\0';
		found = 1;
	}
	return found ? 0 : -1;
}

void mp_init(struct mp_parser *p, const char *boundary, const struct mp_limits *lim,
             const struct mp_callbacks *cb, void *ctx)
{
	size_t blen;

	memset(p, 0, sizeof *p);
	p->cb = cb;
	p->ctx = ctx;
	if (lim != NULL)
		p->limits = *lim;
	else
		mp_limits_default(&p->limits);
	blen = boundary != NULL ? strnlen(boundary, MP_BOUNDARY_MAX + 1) : 0;
	/* The scanner relies on the delimiter holding no CR after its first byte. */
	if (!boundary_ok(boundary, blen)) {
		fail(p, MP_ERR_SYNTAX, "invalid boundary");
		return;
	}
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, blen);
	p->delim_len = blen + 4;
	p->delim[p->delim_len] = '\0';
	/* RFC 2046 section 5.1.1: the preamble and its CRLF are optional, so the body starts as
	 * if after a CRLF: a dash-boundary at offset 0 is the first delimiter. */
	p->match = 2;
	p->state = ST_PREAMBLE;
}

static int emit(struct mp_parser *p, const char *data, size_t len)
{
	if (len == 0 || p->cb == NULL || p->cb->part_data == NULL)
		return 0;
	if (p->cb->part_data(p->ctx, data, len) != 0) {
		fail(p, MP_ERR_CALLBACK, "part_data callback stopped the parse");
		return -1;
	}
	return 0;
}

/*
 * Preamble or part content, up to the next delimiter. RFC 2046 section 5.1.1: the CRLF before
 * "--" boundary belongs to the delimiter, so content is only held back from a CR on, and only
 * while it matches the delimiter. The held bytes are a prefix of p->delim, so p->match is all
 * the state they need. Content runs between CRs go to part_data whole. Returns the bytes
 * consumed, stopping right after a delimiter.
 */
static size_t scan(struct mp_parser *p, const char *buf, size_t len)
{
	int content = p->state == ST_CONTENT;
	int carried = p->match > 0;   /* the candidate delimiter began in an earlier buffer */
	size_t i = 0, start = 0, mstart = 0, end;
	const char *cr;

	while (i < len) {
		if (p->match == 0) {
			cr = memchr(buf + i, '\r', len - i);
			if (cr == NULL) {
				i = len;
				break;
			}
			mstart = (size_t)(cr - buf);
			p->match = 1;
			i = mstart + 1;
			continue;
		}
		if (buf[i] == p->delim[p->match]) {
			i++;
			if (++p->match < p->delim_len)
				continue;
			p->match = 0;
			if (content && !carried && emit(p, buf + start, mstart - start) != 0)
				return i;
			p->state = ST_DELIM;
			return i;
		}
		/* Not a delimiter: the held bytes are content. Only buf[i] may begin another
		 * candidate, as the delimiter has no CR past its first byte; the memchr above
		 * finds it. */
		if (carried) {
			if (content && emit(p, p->delim, p->match) != 0)
				return i;
			carried = 0;
			start = i;
		}
		p->match = 0;
	}
	if (!content)
		return len;
	if (p->match == 0)
		end = len;
	else if (carried)
		end = start;
	else
		end = mstart;
	emit(p, buf + start, end - start);
	return len;
}

/* A well-formed delimiter line ends the open part, if any. Returns 0, or -1 when stopped. */
static int end_part(struct mp_parser *p)
{
	if (!p->in_part)
		return 0;
	p->in_part = 0;
	if (p->cb != NULL && p->cb->part_end != NULL && p->cb->part_end(p->ctx) != 0) {
		fail(p, MP_ERR_CALLBACK, "part_end callback stopped the parse");
		return -1;
	}
	return 0;
}

/* A delimiter line has ended (RFC 2046 section 5.1.1): close the part, open the next. */
static void begin_headers(struct mp_parser *p)
{
	if (end_part(p) != 0)
		return;
	if (p->nparts >= p->limits.parts) {
		fail(p, MP_ERR_LIMIT, "more than %zu parts", p->limits.parts);
		return;
	}
	p->nparts++;
	memset(&p->part, 0, sizeof p->part);
	p->header_len = 0;
	p->line_len = 0;
	p->line_overflow = 0;
	p->line_ready = 0;
	p->seen_disposition = 0;
	p->seen_ctype = 0;
	p->state = ST_HEADER;
}

/*
 * filename* (RFC 5987 section 3.2.1): ext-value = charset "'" [ language ] "'" value-chars,
 * decoded into part.filename as UTF-8. Section 3.2.1 requires recipients to support UTF-8 and
 * ISO-8859-1; other charsets are refused rather than stored undecoded.
 */
static enum mp_err ext_filename(struct mp_parser *p, const char *v, size_t n)
{
	const char *q1, *q2;
	size_t i, o = 0;
	int latin1;

	q1 = memchr(v, '\'', n);
	if (q1 == NULL)
		return fail(p, MP_ERR_SYNTAX, "bad filename* value");
	q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - v));
	if (q2 == NULL)
		return fail(p, MP_ERR_SYNTAX, "bad filename* value");
	latin1 = ci_eq(v, (size_t)(q1 - v), "iso-8859-1");
	if (!latin1 && !ci_eq(v, (size_t)(q1 - v), "utf-8"))
		return fail(p, MP_ERR_SYNTAX, "filename* charset is not UTF-8 or ISO-8859-1");
	for (i = (size_t)(q2 + 1 - v); i < n;) {
		unsigned char c = (unsigned char)v[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_value((unsigned char)v[i + 1]) : -1;
			int lo = i + 2 < n ? hex_value((unsigned char)v[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return fail(p, MP_ERR_SYNTAX, "bad percent-encoding in filename*");
			c = (unsigned char)(hi << 4 | lo);
			i += 3;
		} else if (is_attr_char(c)) {
			i++;
		} else {
			return fail(p, MP_ERR_SYNTAX, "bad filename* value");
		}
		if (c == '\0')
			return fail(p, MP_ERR_SYNTAX, "NUL byte in filename");
		if (o + (latin1 && c >= 0x80 ? 2 : 1) > MP_FILENAME_MAX)
			return fail(p, MP_ERR_LIMIT, "filename over %d bytes", MP_FILENAME_MAX);
		if (latin1 && c >= 0x80) {
			p->part.filename[o++] = (char)(0xc0 | c >> 6);
			p->part.filename[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			p->part.filename[o++] = (char)c;
		}
	}
	p->part.filename[o] = '\0';
	return MP_OK;
}

/*
 * Content-Disposition (RFC 7578 section 4.2, RFC 6266 section 4.1 grammar):
 * "form-data" *( OWS ";" OWS token OWS "=" OWS ( token / quoted-string ) ). s is the value in
 * p->line, unquoted in place.
 */
static enum mp_err disposition(struct mp_parser *p, char *s, size_t n)
{
	size_t i, t, vlen;
	int quoted, have_name = 0, have_fn = 0, have_fnstar = 0;
	char *name, *val;

	p->seen_disposition = 1;
	i = skip_ows(s, n, 0);
	t = token_len(s + i, n - i);
	if (!ci_eq(s + i, t, "form-data"))
		return fail(p, MP_ERR_SYNTAX, "Content-Disposition type is not form-data");
	i += t;
	for (;;) {
		size_t nlen;

		i = skip_ows(s, n, i);
		if (i == n)
			break;
		if (s[i] != ';')
			return fail(p, MP_ERR_SYNTAX, "bad Content-Disposition parameters");
		i = skip_ows(s, n, i + 1);
		if (i == n)
			break;
		name = s + i;
		nlen = token_len(name, n - i);
		if (nlen == 0)
			return fail(p, MP_ERR_SYNTAX, "bad Content-Disposition parameters");
		i = skip_ows(s, n, i + nlen);
		if (i == n || s[i] != '=')
			return fail(p, MP_ERR_SYNTAX,
			            "Content-Disposition parameter without a value");
		i = skip_ows(s, n, i + 1);
		val = s + i;
		if (read_value(s, n, &i, val, n - i, &vlen, &quoted, 1) != 0)
			return fail(p, MP_ERR_SYNTAX, "bad Content-Disposition parameter value");
		/* RFC 6266 section 4.1: a repeated parameter makes the field invalid. */
		if (ci_eq(name, nlen, "name")) {
			if (have_name++)
				return fail(p, MP_ERR_SYNTAX, "repeated name parameter");
			if (vlen > MP_NAME_MAX)
				return fail(p, MP_ERR_LIMIT, "name over %d bytes", MP_NAME_MAX);
			memcpy(p->part.name, val, vlen);
			p->part.name[vlen] = '\0';
		} else if (ci_eq(name, nlen, "filename")) {
			if (have_fn++)
				return fail(p, MP_ERR_SYNTAX, "repeated filename parameter");
			if (have_fnstar)
				continue;
			if (vlen > MP_FILENAME_MAX)
				return fail(p, MP_ERR_LIMIT, "filename over %d bytes",
				            MP_FILENAME_MAX);
			memcpy(p->part.filename, val, vlen);
			p->part.filename[vlen] = '\0';
		} else if (ci_eq(name, nlen, "filename*")) {
			if (have_fnstar++)
				return fail(p, MP_ERR_SYNTAX, "repeated filename* parameter");
			/* RFC 5987 section 3.2.1: an ext-value is never quoted. */
			if (quoted)
				return fail(p, MP_ERR_SYNTAX, "bad filename* value");
			if (ext_filename(p, val, vlen) != MP_OK)
				return p->err;
		}
		/* Other parameters (RFC 6266 disp-ext-parm) are ignored. */
	}
	if (!have_name)
		return fail(p, MP_ERR_SYNTAX, "Content-Disposition without a name parameter");
	p->part.has_filename = have_fn || have_fnstar;
	return MP_OK;
}

/* One part header line, CRLF excluded (RFC 7578 section 4.8: only Content-Disposition,
 * Content-Type and Content-Transfer-Encoding are defined; the rest are ignored). */
static enum mp_err header_line(struct mp_parser *p)
{
	char *l = p->line;
	size_t n = p->line_len, colon, a, b;

	/* RFC 5322 section 2.2: field-name = 1*ftext, printable US-ASCII but ':'; no space
	 * before the colon (RFC 7230 section 3.2.4 gives why: parsers that trim it disagree). */
	for (colon = 0; colon < n && l[colon] != ':'; colon++)
		if ((unsigned char)l[colon] < 33 || (unsigned char)l[colon] > 126)
			return fail(p, MP_ERR_SYNTAX, "bad part header name");
	if (colon == n)
		return fail(p, MP_ERR_SYNTAX, "part header line without a colon");
	if (colon == 0)
		return fail(p, MP_ERR_SYNTAX, "bad part header name");
	if (ci_eq(l, colon, "content-disposition")) {
		if (p->line_overflow)
			return fail(p, MP_ERR_LIMIT, "Content-Disposition over %d bytes",
			            MP_LINE_MAX);
		if (p->seen_disposition)
			return fail(p, MP_ERR_SYNTAX, "repeated Content-Disposition");
		return disposition(p, l + colon + 1, n - colon - 1);
	}
	if (ci_eq(l, colon, "content-type")) {
		if (p->line_overflow)
			return fail(p, MP_ERR_LIMIT, "part Content-Type over %d bytes",
			            MP_CTYPE_MAX);
		if (p->seen_ctype)
			return fail(p, MP_ERR_SYNTAX, "repeated Content-Type");
		p->seen_ctype = 1;
		a = skip_ows(l, n, colon + 1);
		for (b = n; b > a && (l[b - 1] == ' ' || l[b - 1] == '\t'); b--)
			;
		if (b - a > MP_CTYPE_MAX)
			return fail(p, MP_ERR_LIMIT, "part Content-Type over %d bytes",
			            MP_CTYPE_MAX);
		memcpy(p->part.content_type, l + a, b - a);
		p->part.content_type[b - a] = '\0';
	}
	return MP_OK;
}

/* The empty line ending a header block: the part's content begins (RFC 2046 body-part). */
static void end_headers(struct mp_parser *p)
{
	/* RFC 7578 section 4.2: each part MUST contain a Content-Disposition. */
	if (!p->seen_disposition) {
		fail(p, MP_ERR_SYNTAX, "part without Content-Disposition");
		return;
	}
	p->in_part = 1;
	p->match = 0;
	p->state = ST_CONTENT;
	if (p->cb != NULL && p->cb->part_begin != NULL && p->cb->part_begin(p->ctx, &p->part) != 0)
		fail(p, MP_ERR_CALLBACK, "part_begin callback stopped the parse");
}

/*
 * Part header bytes up to a CR; returns the bytes consumed. A line that has ended is parsed
 * at the first byte of the next one, once that byte shows it is not an obs-fold continuation
 * (RFC 7230 section 3.2.4 lets a recipient reject obs-fold; folded values would otherwise be
 * parsed in pieces).
 */
static size_t scan_header(struct mp_parser *p, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (++p->header_len > p->limits.header_bytes) {
			fail(p, MP_ERR_LIMIT, "part header block over %zu bytes",
			     p->limits.header_bytes);
			return i;
		}
		if ((p->line_ready || p->line_len == 0) && (c == ' ' || c == '\t')) {
			fail(p, MP_ERR_SYNTAX, "folded part header line");
			return i;
		}
		if (p->line_ready) {
			if (header_line(p) != MP_OK)
				return i;
			p->line_ready = 0;
			p->line_len = 0;
			p->line_overflow = 0;
		}
		if (c == '\r') {
			p->state = ST_HEADER_LF;
			return i + 1;
		}
		if (c == '\n') {
			fail(p, MP_ERR_SYNTAX, "LF without CR in part headers");
			return i;
		}
		if (c == '\0') {
			fail(p, MP_ERR_SYNTAX, "NUL byte in part headers");
			return i;
		}
		if (p->line_len < sizeof p->line)
			p->line[p->line_len++] = c;
		else
			p->line_overflow = 1;
	}
	return len;
}

/* One byte in a state that looks at a single byte; returns the bytes consumed (0 or 1). */
static size_t step(struct mp_parser *p, char c)
{
	switch (p->state) {
	case ST_DELIM:
		if (c == '-')
			p->state = ST_DELIM_DASH;
		else if (c == ' ' || c == '\t')
			p->state = ST_PADDING;
		else if (c == '\r')
			p->state = ST_DELIM_LF;
		else
			fail(p, MP_ERR_SYNTAX, "boundary followed by neither CRLF nor \"--\"");
		break;
	case ST_DELIM_DASH:
		if (c != '-') {
			fail(p, MP_ERR_SYNTAX, "boundary followed by neither CRLF nor \"--\"");
			break;
		}
		p->state = ST_DONE;
		end_part(p);
		break;
	case ST_PADDING:
		/* RFC 2046 section 5.1.1: transport-padding := *LWSP-char, then CRLF. */
		if (c == '\r')
			p->state = ST_DELIM_LF;
		else if (c != ' ' && c != '\t')
			fail(p, MP_ERR_SYNTAX, "bad transport padding after boundary");
		break;
	case ST_DELIM_LF:
		if (c == '\n')
			begin_headers(p);
		else
			fail(p, MP_ERR_SYNTAX, "boundary line not ended by CRLF");
		break;
	case ST_HEADER_LF:
		if (++p->header_len > p->limits.header_bytes) {
			fail(p, MP_ERR_LIMIT, "part header block over %zu bytes",
			     p->limits.header_bytes);
			return 0;
		}
		if (c != '\n') {
			fail(p, MP_ERR_SYNTAX, "CR without LF in part headers");
			return 0;
		}
		p->state = ST_HEADER;
		/* An empty line ends the block (RFC 2046 body-part: headers CRLF content). */
		if (p->line_len == 0)
			end_headers(p);
		else
			p->line_ready = 1;
		break;
	default:
		break;
	}
	return 1;
}

enum mp_err mp_feed(struct mp_parser *p, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		switch (p->state) {
		case ST_PREAMBLE:
		case ST_CONTENT:
			i += scan(p, buf + i, len - i);
			break;
		case ST_HEADER:
			i += scan_header(p, buf + i, len - i);
			break;
		case ST_DONE:
		case ST_ERROR:
			goto out;
		default:
			i += step(p, buf[i]);
			break;
		}
	}
out:
	if (p->state == ST_ERROR)
		return p->err;
	return p->state == ST_DONE ? MP_DONE : MP_OK;
}

enum mp_err mp_finish(struct mp_parser *p)
{
	switch (p->state) {
	case ST_DONE:
		return MP_DONE;
	case ST_ERROR:
		return p->err;
	case ST_PREAMBLE:
		return fail(p, MP_ERR_SYNTAX, "no boundary in body");
	case ST_HEADER:
	case ST_HEADER_LF:
		return fail(p, MP_ERR_SYNTAX, "body ends inside part headers");
	default:
		return fail(p, MP_ERR_SYNTAX, "missing final boundary");
	}
}

const char *mp_detail(const struct mp_parser *p)
{
	return p->detail;
}
