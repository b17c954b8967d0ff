/* test_meta.c: unit tests for fcgi/meta.c (upload metadata: validation, filename sanitising). */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fcgi/meta.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- field names --------------------------------------------------------------------------- */

Test(meta, field_names_round_trip)
{
	static const char *const names[META_NFIELDS] = {
		"kind", "format", "sampling_rate", "num_channels", "width", "height", "filename",
	};
	int i;

	for (i = 0; i < META_NFIELDS; i++) {
		cr_assert_eq(meta_field_from_name(names[i]), (enum meta_field)i, "%s", names[i]);
		cr_assert_str_eq(meta_field_name((enum meta_field)i), names[i]);
	}
	cr_assert_eq(meta_field_from_name(""), META_UNKNOWN);
	cr_assert_eq(meta_field_from_name("Kind"), META_UNKNOWN);
	cr_assert_eq(meta_field_from_name("kind "), META_UNKNOWN);
	cr_assert_eq(meta_field_from_name("kin"), META_UNKNOWN);
	cr_assert_eq(meta_field_from_name("width2"), META_UNKNOWN);
	cr_assert_eq(meta_field_from_name("file"), META_UNKNOWN);
	cr_assert_eq(meta_field_from_name("filename\n"), META_UNKNOWN);
	cr_assert_str_eq(meta_field_name(META_UNKNOWN), "?");
	cr_assert_str_eq(meta_field_name(META_NFIELDS), "?");
	cr_assert_str_eq(meta_field_name((enum meta_field)1000), "?");
}

/* ---- meta_set ------------------------------------------------------------------------------ */

/* Set one field on a fresh meta; the return code, with err checked to name the field on -1. */
static int set1(struct meta *m, enum meta_field f, const char *v)
{
	char err[160];
	int rc;

	memset(m, 0, sizeof *m);
	err[0] = '\0';
	rc = meta_set(m, f, v, err, sizeof err);
	if (rc != 0) {
		cr_assert_neq(err[0], '\0', "no reason for '%s'", v);
		if (f >= 0 && f < META_NFIELDS)
			cr_assert_not_null(strstr(err, meta_field_name(f)), "'%s' does not name %s",
			                   err, meta_field_name(f));
		cr_assert_eq(m->seen[f], 0, "rejected '%s' marked seen", v);
	} else {
		cr_assert_eq(m->seen[f], 1);
	}
	return rc;
}

Test(meta, kind)
{
	static const char *const good[] = {"audio", "image", "video", "file"};
	static const char *const bad[] = {
		"", "Audio", "AUDIO", "audio ", " audio", "audi", "audios", "text", "audio\n",
		"image/png",
	};
	struct meta m;
	size_t i;

	for (i = 0; i < NCASES(good); i++) {
		cr_assert_eq(set1(&m, META_KIND, good[i]), 0, "%s", good[i]);
		cr_assert_str_eq(m.kind, good[i]);
	}
	for (i = 0; i < NCASES(bad); i++)
		cr_assert_eq(set1(&m, META_KIND, bad[i]), -1, "'%s'", bad[i]);
}

Test(meta, format)
{
	static const char *const good[] = {
		"pcm_s16le", "rgb", "ogg", "a", "A.b_c+d-e9", "f32le",
		"12345678901234567890123456789012",   /* 32: the maximum */
	};
	static const char *const bad[] = {
		"", "a b", "a/b", "a\\b", "a;b", "a\"b", "\xc3\xa9", "a\tb", "a\nb", "../x", "a,b",
		"123456789012345678901234567890123",  /* 33 */
	};
	struct meta m;
	size_t i;

	for (i = 0; i < NCASES(good); i++) {
		cr_assert_eq(set1(&m, META_FORMAT, good[i]), 0, "%s", good[i]);
		cr_assert_str_eq(m.format, good[i]);
	}
	for (i = 0; i < NCASES(bad); i++)
		cr_assert_eq(set1(&m, META_FORMAT, bad[i]), -1, "'%s'", bad[i]);
}

/* A number case: field, value, 0 or -1, and the value kept on 0. */
struct num_case {
	enum meta_field f;
	const char *v;
	int rc;
	long want;
};

static long *num_of(struct meta *m, enum meta_field f)
{
	switch (f) {
	case META_SAMPLING_RATE: return &m->sampling_rate;
	case META_NUM_CHANNELS:  return &m->num_channels;
	case META_WIDTH:         return &m->width;
	case META_HEIGHT:        return &m->height;
	default:                 break;
	}
	cr_assert_fail("not a number field");
	return NULL;
}

Test(meta, numbers_and_ranges)
{
	static const struct num_case c[] = {
		{ META_SAMPLING_RATE, "44100", 0, 44100 },
		{ META_SAMPLING_RATE, "1", 0, 1 },
		{ META_SAMPLING_RATE, "768000", 0, 768000 },
		{ META_SAMPLING_RATE, "768001", -1, 0 },
		{ META_SAMPLING_RATE, "0", -1, 0 },
		{ META_SAMPLING_RATE, "000044100", 0, 44100 },   /* leading zeros are digits */
		{ META_NUM_CHANNELS, "1", 0, 1 },
		{ META_NUM_CHANNELS, "2", 0, 2 },
		{ META_NUM_CHANNELS, "32", 0, 32 },
		{ META_NUM_CHANNELS, "33", -1, 0 },
		{ META_NUM_CHANNELS, "0", -1, 0 },
		{ META_WIDTH, "1", 0, 1 },
		{ META_WIDTH, "1920", 0, 1920 },
		{ META_WIDTH, "1048576", 0, 1048576 },
		{ META_WIDTH, "1048577", -1, 0 },
		{ META_HEIGHT, "1080", 0, 1080 },
		{ META_HEIGHT, "1048576", 0, 1048576 },
		{ META_HEIGHT, "1048577", -1, 0 },
		{ META_HEIGHT, "0", -1, 0 },
		{ META_HEIGHT, "999999999", -1, 0 },
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++) {
		struct meta m;
		int rc = set1(&m, c[i].f, c[i].v);
		cr_assert_eq(rc, c[i].rc, "case %zu %s='%s': rc %d", i, meta_field_name(c[i].f),
		             c[i].v, rc);
		/* A rejected value leaves the number as it was (0 in a fresh meta). */
		cr_assert_eq(*num_of(&m, c[i].f), c[i].want, "case %zu %s='%s': %ld", i,
		             meta_field_name(c[i].f), c[i].v, *num_of(&m, c[i].f));
	}
}

Test(meta, numbers_not_plain_decimal)
{
	static const char *const bad[] = {
		"", "+1", "-1", " 1", "1 ", "1\n", "1.0", "1e3", "0x10", "1,000", "１", "one",
		"2147483648", "4294967297", "9223372036854775808", "99999999999999999999999999",
		"1000000000",
	};
	static const enum meta_field f[] = {
		META_SAMPLING_RATE, META_NUM_CHANNELS, META_WIDTH, META_HEIGHT,
	};
	size_t i, j;

	for (j = 0; j < NCASES(f); j++) {
		for (i = 0; i < NCASES(bad); i++) {
			struct meta m;
			cr_assert_eq(set1(&m, f[j], bad[i]), -1, "%s='%s'", meta_field_name(f[j]),
			             bad[i]);
			cr_assert_eq(*num_of(&m, f[j]), 0, "%s='%s' changed the value",
			             meta_field_name(f[j]), bad[i]);
		}
	}
}

Test(meta, repeated_fields)
{
	struct meta m;
	char err[160];
	int f;

	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_KIND, "audio", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_FORMAT, "pcm_s16le", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_SAMPLING_RATE, "48000", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_NUM_CHANNELS, "2", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_WIDTH, "640", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_HEIGHT, "480", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_FILENAME, "a.wav", err, sizeof err), 0);
	for (f = 0; f < META_NFIELDS; f++) {
		const char *again = f == META_KIND ? "video" : f == META_FORMAT ? "ogg" :
		                    f == META_FILENAME ? "b.wav" : "3";
		err[0] = '\0';
		cr_assert_eq(meta_set(&m, (enum meta_field)f, again, err, sizeof err), -1,
		             "%s twice", meta_field_name((enum meta_field)f));
		cr_assert_not_null(strstr(err, meta_field_name((enum meta_field)f)), "%s", err);
		cr_assert_not_null(strstr(err, "more than once"), "%s", err);
	}
	/* The first values stand. */
	cr_assert_str_eq(m.kind, "audio");
	cr_assert_str_eq(m.format, "pcm_s16le");
	cr_assert_eq(m.sampling_rate, 48000);
	cr_assert_eq(m.num_channels, 2);
	cr_assert_eq(m.width, 640);
	cr_assert_eq(m.height, 480);
	cr_assert_str_eq(m.filename, "a.wav");
}

Test(meta, rejected_value_can_be_sent_again)
{
	struct meta m;
	char err[160];

	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_WIDTH, "0", err, sizeof err), -1);
	cr_assert_eq(meta_set(&m, META_WIDTH, "2000000", err, sizeof err), -1);
	cr_assert_eq(m.width, 0);
	cr_assert_eq(meta_set(&m, META_WIDTH, "100", err, sizeof err), 0);
	cr_assert_eq(m.width, 100);
	cr_assert_eq(meta_set(&m, META_KIND, "bogus", err, sizeof err), -1);
	cr_assert_eq(meta_set(&m, META_KIND, "image", err, sizeof err), 0);
}

Test(meta, unknown_field_and_small_err)
{
	struct meta m;
	char err[8];

	memset(&m, 0, sizeof m);
	memset(err, 'Z', sizeof err);
	cr_assert_eq(meta_set(&m, META_UNKNOWN, "x", err, sizeof err), -1);
	cr_assert_eq(memchr(err, '\0', sizeof err) != NULL, 1);
	cr_assert_eq(meta_set(&m, META_NFIELDS, "x", err, sizeof err), -1);
	/* A long reason is cut to errsz, never written past it. */
	{
		char small[4 + 4];
		memset(small, 'Z', sizeof small);
		cr_assert_eq(meta_set(&m, META_FORMAT, "a b", small, 4), -1);
		cr_assert_eq(small[3], '\0');
		cr_assert_eq(small[4], 'Z');
		memset(small, 'Z', sizeof small);
		cr_assert_eq(meta_set(&m, META_WIDTH, "x", small, 1), -1);
		cr_assert_eq(small[0], '\0');
		cr_assert_eq(small[1], 'Z');
	}
}

Test(meta, filename_field_is_sanitised)
{
	struct meta m;

	cr_assert_eq(set1(&m, META_FILENAME, "C:\\Users\\me\\My Song.wav"), 0);
	cr_assert_str_eq(m.filename, "My Song.wav");
	cr_assert_eq(set1(&m, META_FILENAME, "../../etc/passwd"), 0);
	cr_assert_str_eq(m.filename, "passwd");
	cr_assert_eq(set1(&m, META_FILENAME, ".."), 0);
	cr_assert_str_eq(m.filename, "");
	cr_assert_eq(set1(&m, META_FILENAME, ""), 0);
	cr_assert_str_eq(m.filename, "");
}

Test(meta, filename_value_max_is_cut)
{
	struct meta m;
	char err[160], v[META_VALUE_MAX + 1];

	memset(v, 'a', META_VALUE_MAX);
	v[META_VALUE_MAX] = '\0';
	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_FILENAME, v, err, sizeof err), 0);
	cr_assert_eq(strlen(m.filename), STORE_FILENAME_MAX);
}

/* ---- meta_sanitize_filename ---------------------------------------------------------------- */

struct fn_case {
	const char *in, *out;
};

static void run_fn_cases(const struct fn_case *c, size_t n, size_t outsz)
{
	char out[1024];
	size_t i;

	cr_assert_leq(outsz, sizeof out - 8);
	for (i = 0; i < n; i++) {
		memset(out, 'Z', sizeof out);
		meta_sanitize_filename(c[i].in, out, outsz);
		cr_assert_str_eq(out, c[i].out, "case %zu", i);
		cr_assert_eq(out[outsz], 'Z', "case %zu: wrote past outsz", i);
	}
}

Test(filename, path_components)
{
	static const struct fn_case c[] = {
		{ "photo.jpg", "photo.jpg" },
		{ "", "" },
		{ "/etc/passwd", "passwd" },
		{ "a/b/c.txt", "c.txt" },
		{ "C:\\Users\\me\\photo.jpg", "photo.jpg" },
		{ "C:\\Users/me\\photo.jpg", "photo.jpg" },
		{ "a\\b/c", "c" },
		{ "dir/", "" },
		{ "dir\\", "" },
		{ "/", "" },
		{ "\\\\server\\share\\x.png", "x.png" },
		{ "C:photo.jpg", "C:photo.jpg" },      /* only / and \ separate */
		{ "a b  c.png", "a b  c.png" },
	};
	run_fn_cases(c, NCASES(c), 256);
}

Test(filename, dot_names)
{
	static const struct fn_case c[] = {
		{ ".", "" },
		{ "..", "" },
		{ "a/..", "" },
		{ "a\\.", "" },
		{ "../", "" },
		{ "..\\..", "" },
		{ "...", "..." },
		{ ".hidden", ".hidden" },
		{ "..x", "..x" },
		{ ". ", ". " },
		{ ".\x01", "" },            /* "." once the control character is gone */
		{ "\x01.\x7f.", "" },
		{ ".\xff.", "" },          /* ".." once the bad byte is gone */
	};
	run_fn_cases(c, NCASES(c), 256);
}

Test(filename, control_characters)
{
	static const struct fn_case c[] = {
		{ "a\tb", "ab" },
		{ "a\nb\r", "ab" },
		{ "\x01\x02\x1f" "abc", "abc" },
		{ "a\x7f" "b", "ab" },
		{ "\x1b[31mred", "[31mred" },
		{ "a\x20" "b", "a b" },      /* SP is not a control character */
		{ "~!@#$%^&*()", "~!@#$%^&*()" },
	};
	run_fn_cases(c, NCASES(c), 256);
}

Test(filename, utf8)
{
	static const struct fn_case c[] = {
		/* valid: 2, 3 and 4 bytes, and the extremes of each length */
		{ "\xc3\xa9t\xc3\xa9.png", "\xc3\xa9t\xc3\xa9.png" },
		{ "\xe2\x82\xac", "\xe2\x82\xac" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
		{ "\xc2\x80", "\xc2\x80" },
		{ "\xdf\xbf", "\xdf\xbf" },
		{ "\xe0\xa0\x80", "\xe0\xa0\x80" },
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },          /* U+D7FF, just below surrogates */
		{ "\xee\x80\x80", "\xee\x80\x80" },          /* U+E000, just above */
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },
		{ "\xf0\x90\x80\x80", "\xf0\x90\x80\x80" },
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },  /* U+10FFFF */
		/* overlong forms */
		{ "a\xc0\xaf" "b", "ab" },                   /* overlong '/' is no separator */
		{ "a\xc1\xbf" "b", "ab" },
		{ "a\xe0\x80\xaf" "b", "ab" },
		{ "a\xe0\x9f\xbf" "b", "ab" },
		{ "a\xf0\x80\x80\xaf" "b", "ab" },
		{ "a\xf0\x8f\xbf\xbf" "b", "ab" },
		/* surrogates, beyond U+10FFFF, bytes that never appear */
		{ "a\xed\xa0\x80" "b", "ab" },
		{ "a\xed\xbf\xbf" "b", "ab" },
		{ "a\xf4\x90\x80\x80" "b", "ab" },
		{ "a\xf5\x80\x80\x80" "b", "ab" },
		{ "a\xf8\x88\x80\x80\x80" "b", "ab" },
		{ "a\xfe\xff" "b", "ab" },
		/* stray continuation bytes and truncated sequences */
		{ "a\x80" "b", "ab" },
		{ "a\xbf\xbf" "b", "ab" },
		{ "a\xc3", "a" },
		{ "a\xe2\x82", "a" },
		{ "a\xf0\x9f\x98", "a" },
		{ "\xe2\x82" "x", "x" },
		{ "\xf0\x9f\x98" "x\xc3\xa9", "x\xc3\xa9" },
		{ "\xc3" "\xc3\xa9", "\xc3\xa9" },          /* a lead byte, then a whole character */
		{ "\xe2\xc3\xa9", "\xc3\xa9" },
	};
	run_fn_cases(c, NCASES(c), 256);
}

Test(filename, cut_on_character_boundary)
{
	char out[64];

	memset(out, 'Z', sizeof out);
	meta_sanitize_filename("abcdef", out, 4);
	cr_assert_str_eq(out, "abc");
	/* "ab" + U+20AC (3 bytes): 5 bytes need 6 with the NUL. */
	memset(out, 'Z', sizeof out);
	meta_sanitize_filename("ab\xe2\x82\xac", out, 6);
	cr_assert_str_eq(out, "ab\xe2\x82\xac");
	memset(out, 'Z', sizeof out);
	meta_sanitize_filename("ab\xe2\x82\xac", out, 5);
	cr_assert_str_eq(out, "ab");
	cr_assert_eq(out[5], 'Z');
	meta_sanitize_filename("ab\xe2\x82\xac", out, 3);
	cr_assert_str_eq(out, "ab");
	meta_sanitize_filename("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", out, 8);
	cr_assert_str_eq(out, "\xf0\x9f\x98\x80");
	meta_sanitize_filename("abc", out, 1);
	cr_assert_str_eq(out, "");
	/* outsz 0: nothing written at all. */
	memset(out, 'Z', sizeof out);
	meta_sanitize_filename("abc", out, 0);
	cr_assert_eq(out[0], 'Z');
	/* The cut comes after the path is dropped and the bad bytes are gone. */
	meta_sanitize_filename("/very/long/path/\x01\x02xyz", out, 3);
	cr_assert_str_eq(out, "xy");
}

/* Check that s is valid UTF-8 without control characters (a cut never leaves a partial one). */
static void assert_clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		size_t i;
		cr_assert(*p >= 0x20 && *p != 0x7f, "control character 0x%02x", *p);
		cr_assert(*p < 0x80 || *p >= 0xc2, "bad lead byte 0x%02x", *p);
		for (i = 1; i < n; i++)
			cr_assert_eq(p[i] & 0xc0, 0x80, "partial character at the end");
		p += n;
	}
}

Test(filename, long_hostile_input)
{
	static char in[100001];
	char out[STORE_FILENAME_MAX + 1 + 8];
	size_t i;

	/* 2-byte characters: 255 bytes hold 127 of them. */
	for (i = 0; i + 2 <= sizeof in - 1; i += 2)
		memcpy(in + i, "\xc3\xa9", 2);
	in[i] = '\0';
	memset(out, 'Z', sizeof out);
	meta_sanitize_filename(in, out, STORE_FILENAME_MAX + 1);
	cr_assert_eq(strlen(out), 254);
	cr_assert_eq(out[STORE_FILENAME_MAX + 1], 'Z');
	assert_clean_utf8(out);

	/* Garbage of every byte value, repeated. */
	for (i = 0; i < sizeof in - 1; i++)
		in[i] = (char)(i % 255 + 1);
	in[sizeof in - 1] = '\0';
	meta_sanitize_filename(in, out, STORE_FILENAME_MAX + 1);
	cr_assert_leq(strlen(out), STORE_FILENAME_MAX);
	cr_assert_null(strchr(out, '/'));
	cr_assert_null(strchr(out, '\\'));
	assert_clean_utf8(out);
}

/* ---- meta_kind_default ------------------------------------------------------------------ */

Test(meta, kind_default)
{
	static const struct {
		const char *ct, *kind;
	} c[] = {
		{ "audio/ogg", "audio" },
		{ "audio/l16", "audio" },
		{ "image/png", "image" },
		{ "video/mp4", "video" },
		{ "Image/PNG", "image" },                 /* media types are case-insensitive */
		{ "VIDEO/webm", "video" },
		{ "application/octet-stream", "file" },
		{ "text/plain", "file" },
		{ "audio", "file" },
		{ "audiox/ogg", "file" },
		{ "xaudio/ogg", "file" },
		{ "application/audio", "file" },
		{ "", "file" },
	};
	size_t i;

	for (i = 0; i < NCASES(c); i++) {
		struct meta m;
		memset(&m, 0, sizeof m);
		memset(m.kind, 'Z', sizeof m.kind - 1);
		meta_kind_default(&m, c[i].ct);
		cr_assert_str_eq(m.kind, c[i].kind, "'%s'", c[i].ct);
	}
}

Test(meta, kind_default_keeps_a_sent_kind)
{
	struct meta m;
	char err[64];

	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_KIND, "file", err, sizeof err), 0);
	meta_kind_default(&m, "image/png");
	cr_assert_str_eq(m.kind, "file");
	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_KIND, "video", err, sizeof err), 0);
	meta_kind_default(&m, "audio/ogg");
	cr_assert_str_eq(m.kind, "video");
}

/* ---- meta_json --------------------------------------------------------------------------- */

Test(meta, json_empty)
{
	struct meta m;
	json_t *o;

	memset(&m, 0, sizeof m);
	o = meta_json(&m);
	cr_assert_not_null(o);
	cr_assert(json_is_object(o));
	cr_assert_eq(json_object_size(o), 0);
	json_decref(o);
}

Test(meta, json_fields_sent)
{
	struct meta m;
	char err[160];
	json_t *o;

	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_KIND, "audio", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_FORMAT, "pcm_s16le", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_SAMPLING_RATE, "44100", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_NUM_CHANNELS, "2", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_FILENAME, "x.wav", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_WIDTH, "0", err, sizeof err), -1);   /* not sent */
	o = meta_json(&m);
	cr_assert_not_null(o);
	cr_assert_eq(json_object_size(o), 3);
	cr_assert_str_eq(json_string_value(json_object_get(o, "format")), "pcm_s16le");
	cr_assert_eq(json_integer_value(json_object_get(o, "sampling_rate")), 44100);
	cr_assert_eq(json_integer_value(json_object_get(o, "num_channels")), 2);
	cr_assert_null(json_object_get(o, "width"));
	cr_assert_null(json_object_get(o, "height"));
	cr_assert_null(json_object_get(o, "kind"));       /* kept in its own column */
	cr_assert_null(json_object_get(o, "filename"));
	json_decref(o);

	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_WIDTH, "1920", err, sizeof err), 0);
	cr_assert_eq(meta_set(&m, META_HEIGHT, "1080", err, sizeof err), 0);
	o = meta_json(&m);
	cr_assert_eq(json_object_size(o), 2);
	cr_assert_eq(json_integer_value(json_object_get(o, "width")), 1920);
	cr_assert_eq(json_integer_value(json_object_get(o, "height")), 1080);
	json_decref(o);
}

/* ---- meta_set_json -------------------------------------------------------------------------- */

/* Apply text to a fresh meta; on -1 check that err is set, printable ASCII, names want (when
 * not NULL), and that m was left untouched. */
static int setj(struct meta *m, const char *text, const char *want)
{
	struct meta before;
	char err[256];
	size_t i;
	int rc;

	memset(m, 0, sizeof *m);
	memset(err, 'Z', sizeof err);
	before = *m;
	rc = meta_set_json(m, text, err, sizeof err);
	if (rc == 0)
		return 0;
	cr_assert_eq(rc, -1);
	cr_assert_not_null(memchr(err, '\0', sizeof err), "err not terminated for %s", text);
	cr_assert_neq(err[0], '\0', "no reason for %s", text);
	for (i = 0; err[i] != '\0'; i++)
		cr_assert(err[i] >= 0x20 && err[i] <= 0x7e, "err byte 0x%02x for %s",
		          (unsigned char)err[i], text);
	if (want != NULL)
		cr_assert_not_null(strstr(err, want), "'%s' lacks '%s' for %s", err, want, text);
	cr_assert_eq(memcmp(m, &before, sizeof *m), 0, "rejected %s changed m", text);
	return rc;
}

Test(meta_json_in, valid_full_object)
{
	struct meta m;

	cr_assert_eq(setj(&m, "{\"kind\":\"audio\",\"format\":\"pcm_f32le\",\"sampling_rate\":48000,"
	                      "\"num_channels\":2,\"width\":640,\"height\":480,"
	                      "\"filename\":\"C:\\\\x\\\\take 1.wav\"}", NULL), 0);
	cr_assert_str_eq(m.kind, "audio");
	cr_assert_str_eq(m.format, "pcm_f32le");
	cr_assert_eq(m.sampling_rate, 48000);
	cr_assert_eq(m.num_channels, 2);
	cr_assert_eq(m.width, 640);
	cr_assert_eq(m.height, 480);
	cr_assert_str_eq(m.filename, "take 1.wav");   /* sanitised like the form field */
	for (int f = 0; f < META_NFIELDS; f++)
		cr_assert_eq(m.seen[f], 1, "%s", meta_field_name((enum meta_field)f));

	/* Whitespace, escapes, the extremes of each range. */
	cr_assert_eq(setj(&m, " \n\t{ \"sampling_rate\" : 768000 , \"num_channels\":32,"
	                      "\"width\":1048576,\"height\":1,\"format\":\"\\u0072gb\" }\r\n", NULL), 0);
	cr_assert_eq(m.sampling_rate, 768000);
	cr_assert_eq(m.num_channels, 32);
	cr_assert_eq(m.width, 1048576);
	cr_assert_eq(m.height, 1);
	cr_assert_str_eq(m.format, "rgb");
	cr_assert_eq(m.seen[META_KIND], 0);
	cr_assert_eq(m.seen[META_FILENAME], 0);

	/* A non-ASCII filename by escape and raw. */
	cr_assert_eq(setj(&m, "{\"filename\":\"\\u00e9t\\u00e9 \xe2\x82\xac.png\"}", NULL), 0);
	cr_assert_str_eq(m.filename, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac.png");
	cr_assert_eq(setj(&m, "{\"filename\":\"\\ud83d\\ude00\"}", NULL), 0);
	cr_assert_str_eq(m.filename, "\xf0\x9f\x98\x80");
}

Test(meta_json_in, empty_object_and_unknown_keys)
{
	struct meta m;
	int f;

	cr_assert_eq(setj(&m, "{}", NULL), 0);
	for (f = 0; f < META_NFIELDS; f++)
		cr_assert_eq(m.seen[f], 0);
	/* Unknown keys of any type are ignored, known ones still apply; names are exact. */
	cr_assert_eq(setj(&m, "{\"x\":1,\"Kind\":true,\"kind \":[],\"nested\":{\"kind\":5},"
	                      "\"list\":[1,2,{\"width\":\"a\"}],\"n\":null,\"f\":1.5,"
	                      "\"width\":10}", NULL), 0);
	cr_assert_eq(m.width, 10);
	cr_assert_eq(m.seen[META_WIDTH], 1);
	cr_assert_eq(m.seen[META_KIND], 0);
}

Test(meta_json_in, wrong_types_for_each_key)
{
	static const char *const text_keys[] = { "kind", "format", "filename" };
	static const char *const num_keys[] = { "sampling_rate", "num_channels", "width", "height" };
	static const char *const not_string[] = {
		"1", "0", "-1", "1.5", "true", "false", "null", "[]", "[\"audio\"]", "{}",
		"{\"kind\":\"audio\"}",
	};
	static const char *const not_integer[] = {
		"\"44100\"", "\"1\"", "\"\"", "1.0", "44100.0", "4.41e4", "1e3", "1E0", "2.5",
		"-0.0", "true", "false", "null", "[]", "[1]", "{}", "{\"v\":1}",
	};
	char text[160], want[64];
	struct meta m;
	size_t i, j;

	for (i = 0; i < NCASES(text_keys); i++)
		for (j = 0; j < NCASES(not_string); j++) {
			snprintf(text, sizeof text, "{\"%s\":%s}", text_keys[i], not_string[j]);
			snprintf(want, sizeof want, "%s: must be a string", text_keys[i]);
			cr_assert_eq(setj(&m, text, want), -1, "%s", text);
		}
	for (i = 0; i < NCASES(num_keys); i++)
		for (j = 0; j < NCASES(not_integer); j++) {
			snprintf(text, sizeof text, "{\"%s\":%s}", num_keys[i], not_integer[j]);
			snprintf(want, sizeof want, "%s: must be an integer", num_keys[i]);
			cr_assert_eq(setj(&m, text, want), -1, "%s", text);
		}
}

Test(meta_json_in, numbers_out_of_range)
{
	static const char *const num_keys[] = { "sampling_rate", "num_channels", "width", "height" };
	static const char *const bad[] = {
		"0", "-0", "-1", "-44100", "-2147483648", "-9223372036854775808",
		"2147483648", "4294967297", "1000000000", "9223372036854775807",
		"1048577000",
	};
	char text[160];
	struct meta m;
	size_t i, j;

	for (i = 0; i < NCASES(num_keys); i++)
		for (j = 0; j < NCASES(bad); j++) {
			snprintf(text, sizeof text, "{\"%s\":%s}", num_keys[i], bad[j]);
			cr_assert_eq(setj(&m, text, num_keys[i]), -1, "%s", text);
		}
	/* Just over each range, through meta_set's own bounds. */
	cr_assert_eq(setj(&m, "{\"sampling_rate\":768001}", "sampling_rate"), -1);
	cr_assert_eq(setj(&m, "{\"num_channels\":33}", "num_channels"), -1);
	cr_assert_eq(setj(&m, "{\"width\":1048577}", "width"), -1);
	cr_assert_eq(setj(&m, "{\"height\":1048577}", "height"), -1);
	cr_assert_eq(setj(&m, "{\"height\":1048576}", NULL), 0);
	cr_assert_eq(m.height, 1048576);
	/* Beyond 64 bits: jansson refuses the text itself; cleanly, with no wrap-around. */
	cr_assert_eq(setj(&m, "{\"width\":9223372036854775808}", NULL), -1);
	cr_assert_eq(setj(&m, "{\"width\":-9223372036854775809}", NULL), -1);
	cr_assert_eq(setj(&m, "{\"width\":18446744073709551617}", NULL), -1);
	cr_assert_eq(setj(&m, "{\"width\":99999999999999999999999999999999999999}", NULL), -1);
	/* Leading zeros and a plus sign are not JSON. */
	cr_assert_eq(setj(&m, "{\"width\":010}", NULL), -1);
	cr_assert_eq(setj(&m, "{\"width\":+10}", NULL), -1);
}

Test(meta_json_in, string_values_are_validated_by_meta_set)
{
	char text[META_VALUE_MAX + 64], v[META_VALUE_MAX + 2];
	struct meta m;

	cr_assert_eq(setj(&m, "{\"kind\":\"Audio\"}", "kind"), -1);
	cr_assert_eq(setj(&m, "{\"kind\":\"\"}", "kind"), -1);
	cr_assert_eq(setj(&m, "{\"format\":\"a b\"}", "format"), -1);
	cr_assert_eq(setj(&m, "{\"format\":\"\"}", "format"), -1);
	cr_assert_eq(setj(&m, "{\"format\":\"../x\"}", "format"), -1);
	cr_assert_eq(setj(&m, "{\"filename\":\"../../etc/passwd\"}", NULL), 0);
	cr_assert_str_eq(m.filename, "passwd");
	cr_assert_eq(setj(&m, "{\"filename\":\"a\\nb\\u001b\"}", NULL), 0);
	cr_assert_str_eq(m.filename, "ab");

	/* META_VALUE_MAX bytes are fine (cut to the stored size); one more is refused. */
	memset(v, 'a', META_VALUE_MAX);
	v[META_VALUE_MAX] = '\0';
	snprintf(text, sizeof text, "{\"filename\":\"%s\"}", v);
	cr_assert_eq(setj(&m, text, NULL), 0);
	cr_assert_eq(strlen(m.filename), STORE_FILENAME_MAX);
	v[META_VALUE_MAX] = 'a';
	v[META_VALUE_MAX + 1] = '\0';
	snprintf(text, sizeof text, "{\"filename\":\"%s\"}", v);
	cr_assert_eq(setj(&m, text, "filename"), -1);
	snprintf(text, sizeof text, "{\"format\":\"%s\"}", v);
	cr_assert_eq(setj(&m, text, "format"), -1);
}

Test(meta_json_in, duplicate_keys)
{
	struct meta m;

	cr_assert_eq(setj(&m, "{\"kind\":\"audio\",\"kind\":\"audio\"}", "duplicate"), -1);
	cr_assert_eq(setj(&m, "{\"kind\":\"audio\",\"kind\":\"image\"}", "duplicate"), -1);
	cr_assert_eq(setj(&m, "{\"width\":1,\"height\":2,\"width\":1}", "duplicate"), -1);
	/* By escape: the same key after decoding. */
	cr_assert_eq(setj(&m, "{\"width\":1,\"\\u0077idth\":1}", "duplicate"), -1);
	/* Unknown keys too: one reading of the object, whoever reads it. */
	cr_assert_eq(setj(&m, "{\"x\":1,\"x\":2}", "duplicate"), -1);
	/* In a nested object also. */
	cr_assert_eq(setj(&m, "{\"x\":{\"a\":1,\"a\":1}}", "duplicate"), -1);
}

Test(meta_json_in, top_level_must_be_an_object)
{
	static const char *const bad[] = {
		"[]", "[{\"kind\":\"audio\"}]", "\"audio\"", "1", "0", "-1", "1.5", "true", "false",
		"null", "\"{}\"",
	};
	struct meta m;
	size_t i;

	for (i = 0; i < NCASES(bad); i++)
		cr_assert_eq(setj(&m, bad[i], "metadata"), -1, "%s", bad[i]);
	cr_assert_eq(setj(&m, "[]", "must be a JSON object"), -1);
}

Test(meta_json_in, invalid_json)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "{\"kind\"}", "{\"kind\":}", "{\"kind\":\"audio\",}",
		"{'kind':'audio'}", "{kind:\"audio\"}", "{\"kind\":\"audio\"} x", "{}{}", "{} []",
		"{\"kind\":\"audio\"", "{\"kind\":\"aud", "{\"width\":1 2}", "{\"width\":0x10}",
		"{\"width\":1e}", "{\"width\":NaN}", "{\"width\":Infinity}", "{\"width\":-}",
		"{\"filename\":\"a\tb\"}",            /* raw control character in a string */
		"{\"filename\":\"\xff\"}",            /* invalid UTF-8 */
		"{\"filename\":\"\xc3\"}",
		"{\"filename\":\"\xed\xa0\x80\"}",    /* a surrogate in UTF-8 */
		"{\"filename\":\"\\ud800\"}",         /* a lone surrogate escape */
		"{\"filename\":\"\\x41\"}",           /* not a JSON escape */
		"{\"filename\":\"\\u12\"}",
		"\xef\xbb\xbf{}",                     /* a byte order mark (RFC 8259 section 8.1) */
		"/* c */ {}",
	};
	struct meta m;
	size_t i;

	for (i = 0; i < NCASES(bad); i++)
		cr_assert_eq(setj(&m, bad[i], "metadata: invalid JSON"), -1, "case %zu", i);
}

Test(meta_json_in, deep_nesting_is_refused_without_crashing)
{
	static char text[300000];
	struct meta m;
	size_t i, n = 100000;

	text[0] = '{';
	memcpy(text + 1, "\"x\":", 4);
	for (i = 0; i < n; i++)
		text[5 + i] = '[';
	for (i = 0; i < n; i++)
		text[5 + n + i] = ']';
	text[5 + 2 * n] = '}';
	text[6 + 2 * n] = '\0';
	cr_assert_eq(setj(&m, text, "metadata: invalid JSON"), -1);
}

Test(meta_json_in, nul_in_a_string)
{
	struct meta m;

	/* A C string would end at the NUL: "a" must not pass for "a\0b". */
	cr_assert_eq(setj(&m, "{\"filename\":\"a\\u0000b\"}", "filename: holds a NUL"), -1);
	cr_assert_eq(setj(&m, "{\"filename\":\"\\u0000\"}", "filename: holds a NUL"), -1);
	cr_assert_eq(setj(&m, "{\"kind\":\"audio\\u0000\"}", "kind: holds a NUL"), -1);
	cr_assert_eq(setj(&m, "{\"kind\":\"audio\\u0000x\"}", "kind: holds a NUL"), -1);
	cr_assert_eq(setj(&m, "{\"format\":\"rgb\\u0000x\"}", "format: holds a NUL"), -1);
	cr_assert_eq(setj(&m, "{\"width\":1,\"format\":\"\\u0000\"}", "format: holds a NUL"),
	             -1);
	/* In a key the whole text is refused (jansson keeps keys as C strings). */
	cr_assert_eq(setj(&m, "{\"kind\\u0000x\":\"audio\"}", "metadata: invalid JSON"), -1);
	cr_assert_eq(setj(&m, "{\"kind\\u0000\":\"audio\"}", "metadata: invalid JSON"), -1);
	/* In the value of an unknown key it is ignored like the rest of that value. */
	cr_assert_eq(setj(&m, "{\"x\":\"\\u0000\",\"kind\":\"audio\"}", NULL), 0);
	cr_assert_str_eq(m.kind, "audio");
}

Test(meta_json_in, atomic_on_error)
{
	struct meta m;
	char err[160];

	/* A good kind and a bad width: nothing is kept, so the text may not half-apply. */
	cr_assert_eq(setj(&m, "{\"kind\":\"audio\",\"format\":\"rgb\",\"width\":0}", "width"), -1);
	cr_assert_eq(setj(&m, "{\"width\":10,\"filename\":5}", "filename"), -1);

	/* Fields already set (from the query string, say) stay, and count as given. */
	memset(&m, 0, sizeof m);
	cr_assert_eq(meta_set(&m, META_KIND, "image", err, sizeof err), 0);
	cr_assert_eq(meta_set_json(&m, "{\"kind\":\"image\"}", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "kind: given more than once"), "%s", err);
	cr_assert_str_eq(m.kind, "image");
	cr_assert_eq(meta_set_json(&m, "{\"width\":3,\"height\":4}", err, sizeof err), 0);
	cr_assert_str_eq(m.kind, "image");
	cr_assert_eq(m.width, 3);
	cr_assert_eq(m.height, 4);
	cr_assert_eq(meta_set_json(&m, "{\"height\":5}", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "height: given more than once"), "%s", err);
	cr_assert_eq(m.height, 4);
}

Test(meta_json_in, small_error_buffer)
{
	struct meta m;
	char small[8];

	memset(&m, 0, sizeof m);
	memset(small, 'Z', sizeof small);
	cr_assert_eq(meta_set_json(&m, "{\"width\":\"1\"}", small, 4), -1);
	cr_assert_str_eq(small, "wid");
	cr_assert_eq(small[4], 'Z');
	memset(small, 'Z', sizeof small);
	cr_assert_eq(meta_set_json(&m, "{", small, 5), -1);
	cr_assert_str_eq(small, "meta");
	cr_assert_eq(small[5], 'Z');
	memset(small, 'Z', sizeof small);
	cr_assert_eq(meta_set_json(&m, "{", small, 0), -1);
	cr_assert_eq(small[0], 'Z');
}

Test(meta_json_in, error_text_is_printable_ascii)
{
	/* jansson quotes input near the fault; bytes from it must not reach err raw. */
	static const char *const bad[] = {
		"{\"filename\":\"\xc3\xa9\xc3\xa9\xc3\xa9\x01\"}",
		"{\"\xe2\x82\xac\xe2\x82\xac\":\x01}",
		"{\"filename\":\"\xf0\x9f\x98\x80\",\"x\":\xf0\x9f\x98\x80}",
		"{\"a\":\"\x1b[31m\"}",
	};
	struct meta m;
	size_t i;

	for (i = 0; i < NCASES(bad); i++)
		cr_assert_eq(setj(&m, bad[i], "metadata: invalid JSON"), -1, "case %zu", i);
}
