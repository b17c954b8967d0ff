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
