/* multipart.h: streaming multipart/form-data parser (RFC 7578, RFC 2046 section 5.1.1). */
#ifndef MG_MULTIPART_H
#define MG_MULTIPART_H

#include <stddef.h>

#define MP_BOUNDARY_MAX    70     /* RFC 2046 section 5.1.1: 1 to 70 characters */
#define MP_NAME_MAX        128    /* form field name, bytes */
#define MP_FILENAME_MAX    1024   /* filename parameter as sent, bytes, after unquoting */
#define MP_CTYPE_MAX       256    /* part Content-Type value, bytes */

/* Limits a caller sets on untrusted input; mp_limits_default fills sane values. */
struct mp_limits {
	size_t header_bytes;   /* the header block of one part, CRLFs included (default 8 KiB) */
	size_t parts;          /* body parts in the whole body (default 64) */
};

/*
 * What the parser knows of a body part when its header block ends (RFC 7578 section 4.2).
 * Content-Disposition is "form-data" (case-insensitive) with parameters in any order, token or
 * quoted-string values (RFC 6266 section 4.1); inside quotes a backslash escapes only '"' and
 * '\\' and is kept as is before any other byte, so Windows paths sent unescaped survive.
 * "filename*" (RFC 5987 ext-value, UTF-8 or ISO-8859-1, converted to UTF-8) wins over "filename".
 * Percent-escapes in name/filename (browsers send %22 for '"') are left as sent.
 */
struct mp_part {
	char   name[MP_NAME_MAX + 1];          /* Content-Disposition name parameter */
	char   filename[MP_FILENAME_MAX + 1];  /* filename parameter, unquoted; may hold any byte but
	                                           NUL: never use it as a path */
	int    has_filename;                   /* a filename parameter was present (even empty) */
	char   content_type[MP_CTYPE_MAX + 1]; /* part Content-Type, "" when absent (means text/plain) */
};

/*
 * Callbacks; any may be NULL. Each returns 0 to go on, non-zero to stop the parse (mp_feed then
 * returns MP_ERR_CALLBACK and the parser stays stopped). part_begin is called when a part's
 * header block has ended; part_data receives the part's content in pieces of any size, never
 * empty, pointing into the caller's buffer or into the parser (valid only during the call); the
 * CRLF before a delimiter is not part of it. part_end is called when a well-formed delimiter
 * line ends the part. A part that is cut short by an error gets no part_end.
 */
struct mp_callbacks {
	int (*part_begin)(void *ctx, const struct mp_part *part);
	int (*part_data)(void *ctx, const char *data, size_t len);
	int (*part_end)(void *ctx);
};

enum mp_err {
	MP_OK = 0,          /* need more input */
	MP_DONE,            /* the close-delimiter was seen; the epilogue is ignored */
	MP_ERR_SYNTAX,      /* malformed body or part headers */
	MP_ERR_LIMIT,       /* a struct mp_limits bound was passed, or a name/filename/type too long */
	MP_ERR_CALLBACK     /* a callback asked to stop */
};

/* A part header line longer than this is MP_ERR_LIMIT if it is Content-Disposition or
 * Content-Type (it fits any name, filename and filename* within the limits above), and is
 * otherwise skipped; the header_bytes limit applies to the whole block either way. */
#define MP_LINE_MAX        8192

/* The parser state. Opaque: fields are private to multipart.c; allocate it on the stack. */
struct mp_parser {
	/* private */
	int                         state;
	enum mp_err                 err;
	const struct mp_callbacks  *cb;
	void                       *ctx;
	struct mp_limits            limits;
	char                        delim[MP_BOUNDARY_MAX + 4 + 1]; /* "\r\n--" boundary, NUL */
	size_t                      delim_len;
	size_t                      match;          /* bytes of delim matched (and held back) */
	size_t                      nparts;
	int                         in_part;        /* part_begin called, part_end not yet */
	size_t                      header_len;     /* bytes of the current header block */
	char                        line[MP_LINE_MAX]; /* current header line being collected */
	size_t                      line_len;
	int                         line_overflow;
	int                         line_ready;     /* line ended; kept until the next line
	                                               shows it is not folded */
	int                         seen_disposition;
	int                         seen_ctype;
	struct mp_part              part;
	char                        detail[160];
};

/* mp_limits_default: header_bytes 8192, parts 64. */
void mp_limits_default(struct mp_limits *lim);

/*
 * mp_boundary: extract the boundary parameter of a multipart/form-data Content-Type value
 * (quoted or token form, RFC 2046 section 5.1.1 grammar: 1..70 bchars, not ending in space) into
 * out (MP_BOUNDARY_MAX + 1 bytes). Returns 0, or -1 when the type is not multipart/form-data
 * or the boundary is missing or invalid.
 */
int mp_boundary(const char *content_type, char *out);

/*
 * mp_init: prepare p to parse a body with this boundary (as returned by mp_boundary).
 * lim may be NULL for the defaults; cb may be NULL. An invalid boundary (not 1..70 bchars)
 * leaves p stopped: mp_feed and mp_finish return MP_ERR_SYNTAX.
 */
void mp_init(struct mp_parser *p, const char *boundary, const struct mp_limits *lim,
             const struct mp_callbacks *cb, void *ctx);

/*
 * mp_feed: parse the next len bytes of the body (RFC 2046 section 5.1.1). Keeps no reference
 * to buf; holds at most the delimiter length of body bytes back between calls, so a boundary
 * split across calls is found. The preamble (the first dash-boundary may open the body) and the
 * epilogue are ignored; a body with only the close-delimiter has zero parts. Once CRLF "--"
 * boundary has been seen in full it is a delimiter (section 5.1.1 note to implementors), and
 * must be followed by "--" or by transport-padding (SP/HTAB) and CRLF, else MP_ERR_SYNTAX.
 * Part header lines end in CRLF; bare CR or LF, NUL, obsolete line folding, a line without a
 * colon, or a repeated Content-Disposition, Content-Type or parameter are MP_ERR_SYNTAX.
 * Returns MP_OK (more input wanted), MP_DONE, or an error; after MP_DONE or an error further
 * calls return the same value and consume nothing.
 */
enum mp_err mp_feed(struct mp_parser *p, const char *buf, size_t len);

/*
 * mp_finish: the body has ended. Returns MP_DONE when the close-delimiter was seen, else
 * MP_ERR_SYNTAX (truncated body, missing final boundary) or the earlier error.
 */
enum mp_err mp_finish(struct mp_parser *p);

/* mp_detail: a short English description of the last error ("" when none). */
const char *mp_detail(const struct mp_parser *p);

#endif
