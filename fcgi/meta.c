/* meta.c: an input's metadata from form fields or the query string: validation, normalisation. */
#include "fcgi/meta.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const field_names[META_NFIELDS] = {
	"kind", "format", "sampling_rate", "num_channels", "width", "height", "filename",
};

static const struct {
	long min, max;
} ranges[META_NFIELDS] = {
	[META_SAMPLING_RATE] = {1, 768000},
	[META_NUM_CHANNELS] = {1, 32},
	[META_WIDTH] = {1, 1048576},
	[META_HEIGHT] = {1, 1048576},
};

enum meta_field meta_field_from_name(const char *name)
{
	int i;

	for (i = 0; i < META_NFIELDS; i++)
		if (strcmp(name, field_names[i]) == 0)
			return (enum meta_field)i;
	return META_UNKNOWN;
}

const char *meta_field_name(enum meta_field f)
{
	return f >= 0 && f < META_NFIELDS ? field_names[f] : "?";
}

/* Plain decimal digits only: no sign, no space, no exponent; at most 9 digits so no overflow. */
static int parse_count(const char *s, long *out)
{
	long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 9)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*out = v;
	return 0;
}

int meta_set(struct meta *m, enum meta_field f, const char *value, char *err, size_t errsz)
{
	const char *name = meta_field_name(f);
	long *num = NULL, v = 0;
	size_t i, len = strlen(value);

	if (f < 0 || f >= META_NFIELDS) {
		snprintf(err, errsz, "unknown field");
		return -1;
	}
	if (m->seen[f]) {
		snprintf(err, errsz, "%s: given more than once", name);
		return -1;
	}
	switch (f) {
	case META_KIND:
		if (strcmp(value, "audio") != 0 && strcmp(value, "image") != 0 &&
		    strcmp(value, "video") != 0 && strcmp(value, "file") != 0) {
			snprintf(err, errsz, "kind: must be audio, image, video or file");
			return -1;
		}
		strcpy(m->kind, value);
		break;
	case META_FORMAT:
		if (len == 0 || len > META_FORMAT_MAX)
			goto bad_format;
		for (i = 0; i < len; i++) {
			char c = value[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '.' || c == '_' || c == '+' || c == '-'))
				goto bad_format;
		}
		strcpy(m->format, value);
		break;
	case META_FILENAME:
		meta_sanitize_filename(value, m->filename, sizeof m->filename);
		break;
	case META_SAMPLING_RATE: num = &m->sampling_rate; break;
	case META_NUM_CHANNELS:  num = &m->num_channels; break;
	case META_WIDTH:         num = &m->width; break;
	case META_HEIGHT:        num = &m->height; break;
	default:
		break;
	}
	/* Parsed aside so that a rejected number leaves m as it was. */
	if (num != NULL) {
		if (parse_count(value, &v) != 0 || v < ranges[f].min || v > ranges[f].max) {
			snprintf(err, errsz, "%s: must be a whole number from %ld to %ld", name,
			         ranges[f].min, ranges[f].max);
			return -1;
		}
		*num = v;
	}
	m->seen[f] = 1;
	return 0;
bad_format:
	snprintf(err, errsz, "format: 1 to %d characters of letters, digits and ._+-",
	         META_FORMAT_MAX);
	return -1;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 section 4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;   /* overlong, or a UTF-16 surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

void meta_sanitize_filename(const char *in, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)in, *slash;
	size_t o = 0;

	if (outsz == 0)
		return;
	/* Browsers may send a full Windows path (RFC 7578 section 4.2): keep the last component. */
	for (slash = p; *slash != '\0'; slash++)
		if (*slash == '/' || *slash == '\\')
			p = slash + 1;
	while (*p != '\0') {
		size_t n = utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			p++;
			continue;
		}
		if (o + n >= outsz)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		out[0] = '\0';
}

void meta_kind_default(struct meta *m, const char *content_type)
{
	static const char *const kinds[] = {"audio", "image", "video"};
	size_t i;

	if (m->seen[META_KIND])
		return;
	strcpy(m->kind, "file");
	if (content_type == NULL)
		return;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i]);
		/* Media types are case-insensitive (RFC 9110 section 8.3.1). */
		if (strncasecmp(content_type, kinds[i], n) == 0 && content_type[n] == '/')
			strcpy(m->kind, kinds[i]);
	}
}

json_t *meta_json(const struct meta *m)
{
	json_t *o = json_object();

	if (m->seen[META_FORMAT])
		json_object_set_new(o, "format", json_string(m->format));
	if (m->seen[META_SAMPLING_RATE])
		json_object_set_new(o, "sampling_rate", json_integer(m->sampling_rate));
	if (m->seen[META_NUM_CHANNELS])
		json_object_set_new(o, "num_channels", json_integer(m->num_channels));
	if (m->seen[META_WIDTH])
		json_object_set_new(o, "width", json_integer(m->width));
	if (m->seen[META_HEIGHT])
		json_object_set_new(o, "height", json_integer(m->height));
	return o;
}

int meta_set_json(struct meta *m, const char *text, char *err, size_t errsz)
{
	struct meta tmp = *m;
	json_error_t jerr;
	json_t *root;
	char num[32];
	int i, rc = -1;

	/* Duplicate names make an object's meaning implementation-defined (RFC 8259 section 4),
	 * so refuse them rather than let two parsers disagree. \u0000 is let through the parse
	 * (JSON_ALLOW_NUL) only so that the refusal below can name the key; without
	 * JSON_DECODE_ANY jansson refuses a bare scalar, and it caps nesting depth. */
	root = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		snprintf(err, errsz, "metadata: invalid JSON at line %d column %d: %s", jerr.line,
		         jerr.column, jerr.text);
		/* jansson quotes the input near the fault, cut at a byte count: keep the reason
		 * printable ASCII so that it stays valid UTF-8 wherever it is shown. */
		for (i = 0; errsz > 0 && err[i] != '\0'; i++)
			if (err[i] < 0x20 || err[i] > 0x7e)
				err[i] = '?';
		goto out;
	}
	if (!json_is_object(root)) {
		snprintf(err, errsz, "metadata: must be a JSON object");
		goto out;
	}
	/* Fields in a fixed order, so that the error for a given text is always the same one. */
	for (i = 0; i < META_NFIELDS; i++) {
		const char *name = field_names[i], *value;
		json_t *v = json_object_get(root, name);

		if (v == NULL)
			continue;
		if (i == META_KIND || i == META_FORMAT || i == META_FILENAME) {
			if (!json_is_string(v)) {
				snprintf(err, errsz, "%s: must be a string", name);
				goto out;
			}
			value = json_string_value(v);
			if (json_string_length(v) > META_VALUE_MAX) {
				snprintf(err, errsz, "%s: over %d bytes", name, META_VALUE_MAX);
				goto out;
			}
			if (strlen(value) != json_string_length(v)) {
				snprintf(err, errsz, "%s: holds a NUL byte", name);
				goto out;
			}
		} else {
			if (!json_is_integer(v)) {
				snprintf(err, errsz, "%s: must be an integer", name);
				goto out;
			}
			/* As decimal text, so that the form field's checks and ranges apply as is;
			 * a negative number keeps its '-' and is refused there. */
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			value = num;
		}
		if (meta_set(&tmp, (enum meta_field)i, value, err, errsz) != 0)
			goto out;
	}
	*m = tmp;
	rc = 0;
out:
	json_decref(root);
	return rc;
}
