/*
 * test_cli_tus.c: unit tests for the pure parts of the tus client mediagate-put: cli/tus.c (header
 * values, Upload-Metadata, checksums, URL resolution, WAV headers, the state file, progress)
 * and cli/source.c (files and streams).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cli/source.h"
#include "cli/tus.h"

/* base64 --------------------------------------------------------------------------------------- */

Test(tus_base64, rfc4648_section10_vectors_with_padding)
{
	static const char *raw[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[16];
	size_t i;

	for (i = 0; i < 7; i++) {
		cr_assert_eq(tus_base64(out, (const uint8_t *)raw[i], strlen(raw[i])), strlen(enc[i]));
		cr_assert_str_eq(out, enc[i]);
	}
}

Test(tus_base64, standard_alphabet_not_url_safe)
{
	char out[8];

	tus_base64(out, (const uint8_t *)"\xfb\xff", 2);
	cr_assert_str_eq(out, "+/8=");
}

/* Upload-Metadata ------------------------------------------------------------------------------ */

Test(tus_metadata, protocol_example)
{
	char buf[256] = "";

	/* protocol.md, Creation: "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential" */
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "filename", "world_domination_plan.pdf"), 0);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "is_confidential", ""), 0);
	cr_assert_str_eq(buf, "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential");
}

Test(tus_metadata, mediagate_fields)
{
	char buf[256] = "";

	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "kind", "audio"), 0);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "sampling_rate", "16000"), 0);
	cr_assert_str_eq(buf, "kind YXVkaW8=,sampling_rate MTYwMDA=");
}

Test(tus_metadata, bad_keys_and_repeats)
{
	char buf[256] = "";

	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "", "x"), -1);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "a b", "x"), -1);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "a,b", "x"), -1);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "a\tb", "x"), -1);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "caf\xc3\xa9", "x"), -1);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "kind", "audio"), 0);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "kind", "image"), -1);
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "kin", "image"), 0, "a prefix is another key");
	cr_assert_str_eq(buf, "kind YXVkaW8=,kin aW1hZ2U=");
}

Test(tus_metadata, binary_and_utf8_values)
{
	char buf[64] = "";

	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "filename", "caf\xc3\xa9 ,x"), 0);
	cr_assert_str_eq(buf, "filename Y2Fmw6kgLHg=");
}

Test(tus_metadata, does_not_fit_leaves_buf_unchanged)
{
	char buf[16] = "";

	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "k", "abcdef"), 0);   /* "k YWJjZGVm" 10 */
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "x", "abc"), -1);     /* +",x YWJj" = 17 */
	cr_assert_str_eq(buf, "k YWJjZGVm");
	cr_assert_eq(tus_metadata_add(buf, sizeof buf, "x", ""), 0);         /* 12 + NUL */
	cr_assert_str_eq(buf, "k YWJjZGVm,x");
}

/* numbers ------------------------------------------------------------------------------------- */

static int u64(const char *s, uint64_t *v)
{
	return tus_parse_u64(s, strlen(s), v);
}

Test(tus_parse, u64_values)
{
	uint64_t v;

	cr_assert_eq(u64("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(u64("70", &v), 0);
	cr_assert_eq(v, 70);
	cr_assert_eq(u64(" \t12 ", &v), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(u64("18446744073709551614", &v), 0);
	cr_assert_eq(v, UINT64_MAX - 1);
	cr_assert_eq(u64("18446744073709551615", &v), -1, "UINT64_MAX means unknown");
	cr_assert_eq(u64("18446744073709551616", &v), -1);
	cr_assert_eq(u64("99999999999999999999999", &v), -1);
	cr_assert_eq(u64("", &v), -1);
	cr_assert_eq(u64("  ", &v), -1);
	cr_assert_eq(u64("-1", &v), -1);
	cr_assert_eq(u64("+1", &v), -1);
	cr_assert_eq(u64("1a", &v), -1);
	cr_assert_eq(u64("1 2", &v), -1);
	cr_assert_eq(u64("0x10", &v), -1);
}

Test(tus_parse, sizes)
{
	uint64_t v;

	cr_assert_eq(tus_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(tus_parse_size("4M", &v), 0);
	cr_assert_eq(v, 4u << 20);
	cr_assert_eq(tus_parse_size("64k", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(tus_parse_size("1GiB", &v), 0);
	cr_assert_eq(v, 1u << 30);
	cr_assert_eq(tus_parse_size("2MB", &v), 0);
	cr_assert_eq(v, 2u << 20);
	cr_assert_eq(tus_parse_size("0", &v), -1);
	cr_assert_eq(tus_parse_size("", &v), -1);
	cr_assert_eq(tus_parse_size("M", &v), -1);
	cr_assert_eq(tus_parse_size("4T", &v), -1);
	cr_assert_eq(tus_parse_size("4Mx", &v), -1);
	cr_assert_eq(tus_parse_size("-4", &v), -1);
	cr_assert_eq(tus_parse_size("17179869184G", &v), -1, "overflow");
}

/* header lines -------------------------------------------------------------------------------- */

static int hv(const char *line, const char *name, char *out, size_t outsz)
{
	return tus_header_value(line, strlen(line), name, out, outsz);
}

Test(tus_header, value_of_a_field)
{
	char v[32];

	cr_assert_eq(hv("Upload-Offset: 70\r\n", "Upload-Offset", v, sizeof v), 1);
	cr_assert_str_eq(v, "70");
	cr_assert_eq(hv("upload-offset:\t 70 \t\r\n", "Upload-Offset", v, sizeof v), 1,
	             "names are case-insensitive, OWS goes");
	cr_assert_str_eq(v, "70");
	cr_assert_eq(hv("Tus-Extension:\r\n", "Tus-Extension", v, sizeof v), 1);
	cr_assert_str_eq(v, "");
	cr_assert_eq(hv("Location: /uploads/abc\n", "Location", v, sizeof v), 1, "a bare LF");
	cr_assert_str_eq(v, "/uploads/abc");
}

Test(tus_header, other_lines)
{
	char v[32];

	cr_assert_eq(hv("Upload-Offset-X: 1\r\n", "Upload-Offset", v, sizeof v), 0);
	cr_assert_eq(hv("Upload-Length: 1\r\n", "Upload-Offset", v, sizeof v), 0);
	cr_assert_eq(hv("HTTP/1.1 204 No Content\r\n", "Upload-Offset", v, sizeof v), 0);
	cr_assert_eq(hv("\r\n", "Upload-Offset", v, sizeof v), 0);
	cr_assert_eq(hv("Upload-Offset 70\r\n", "Upload-Offset", v, sizeof v), 0);
	cr_assert_eq(hv("Upload", "Upload-Offset", v, sizeof v), 0);
}

Test(tus_header, too_long_or_control_characters)
{
	char v[4];

	cr_assert_eq(hv("Upload-Offset: 1234\r\n", "Upload-Offset", v, sizeof v), -1);
	cr_assert_eq(hv("Upload-Offset: 123\r\n", "Upload-Offset", v, sizeof v), 1);
	cr_assert_eq(tus_header_value("Location: a\0b\r\n", 15, "Location", v, sizeof v), -1);
	cr_assert_eq(hv("Location: a\x01\r\n", "Location", v, sizeof v), -1);
}

Test(tus_header, list_elements)
{
	cr_assert(tus_list_has("creation,creation-defer-length,checksum", "checksum"));
	cr_assert(tus_list_has("creation, creation-defer-length , checksum", "creation-defer-length"));
	cr_assert(tus_list_has("1.0.0", "1.0.0"));
	cr_assert(tus_list_has("1.0.0,0.2.2", "0.2.2"));
	cr_assert_not(tus_list_has("creation-with-upload", "creation"));
	cr_assert_not(tus_list_has("", "creation"));
	cr_assert_not(tus_list_has("sha1,sha256x", "sha256"));
	cr_assert(tus_list_has("sha1,sha256", "sha256"));
}

Test(tus_header, set_cookie)
{
	char v[32];

	cr_assert_eq(tus_set_cookie_value("mg_session=abc_DEF-1; Path=/; HttpOnly; SameSite=Lax",
	                                  "mg_session", v, sizeof v), 1);
	cr_assert_str_eq(v, "abc_DEF-1");
	cr_assert_eq(tus_set_cookie_value("mg_session=\"q\"", "mg_session", v, sizeof v), 1);
	cr_assert_str_eq(v, "q");
	cr_assert_eq(tus_set_cookie_value("mg_session=; Max-Age=0", "mg_session", v, sizeof v), 1);
	cr_assert_str_eq(v, "");
	cr_assert_eq(tus_set_cookie_value("other=1", "mg_session", v, sizeof v), 0);
	cr_assert_eq(tus_set_cookie_value("mg_sessionx=1", "mg_session", v, sizeof v), 0);
	cr_assert_eq(tus_set_cookie_value("mg_session=a,b", "mg_session", v, sizeof v), -1);
	cr_assert_eq(tus_set_cookie_value("mg_session=a b", "mg_session", v, sizeof v), -1);
	cr_assert_eq(tus_set_cookie_value("mg_session=0123456789012345678901234567890123",
	                                  "mg_session", v, sizeof v), -1);
}

/* checksums ------------------------------------------------------------------------------------ */

Test(tus_checksum, sha256_base64)
{
	char c[TUS_CHECKSUM_MAX];

	cr_assert_eq(tus_checksum_sha256(c, "hello world", 11), 0);
	cr_assert_str_eq(c, "sha256 uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
	cr_assert_eq(tus_checksum_sha256(c, "", 0), 0);
	cr_assert_str_eq(c, "sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	cr_assert_eq(strlen(c) + 1, TUS_CHECKSUM_MAX);
}

/* URLs ----------------------------------------------------------------------------------------- */

struct resolve_case {
	const char *ref, *want;
};

/* RFC 3986 section 5.4.1 and 5.4.2, base "http://a/b/c/d;p?q" (less what the client rejects). */
static const struct resolve_case rfc_cases[] = {
	{ "g", "http://a/b/c/g" }, { "./g", "http://a/b/c/g" }, { "g/", "http://a/b/c/g/" },
	{ "/g", "http://a/g" }, { "//g", "http://g" }, { "?y", "http://a/b/c/d;p?y" },
	{ "g?y", "http://a/b/c/g?y" }, { "#s", "http://a/b/c/d;p?q#s" },
	{ "g#s", "http://a/b/c/g#s" }, { "g?y#s", "http://a/b/c/g?y#s" },
	{ ";x", "http://a/b/c/;x" }, { "g;x", "http://a/b/c/g;x" },
	{ "g;x?y#s", "http://a/b/c/g;x?y#s" }, { ".", "http://a/b/c/" },
	{ "./", "http://a/b/c/" }, { "..", "http://a/b/" }, { "../", "http://a/b/" },
	{ "../g", "http://a/b/g" }, { "../..", "http://a/" }, { "../../", "http://a/" },
	{ "../../g", "http://a/g" },
	{ "../../../g", "http://a/g" }, { "../../../../g", "http://a/g" },
	{ "/./g", "http://a/g" }, { "/../g", "http://a/g" }, { "g.", "http://a/b/c/g." },
	{ ".g", "http://a/b/c/.g" }, { "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
	{ "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" },
	{ "g/./h", "http://a/b/c/g/h" }, { "g/../h", "http://a/b/c/h" },
	{ "g;x=1/./y", "http://a/b/c/g;x=1/y" }, { "g;x=1/../y", "http://a/b/c/y" },
	{ "g?y/./x", "http://a/b/c/g?y/./x" }, { "g?y/../x", "http://a/b/c/g?y/../x" },
	{ "g#s/./x", "http://a/b/c/g#s/./x" }, { "g#s/../x", "http://a/b/c/g#s/../x" },
	{ "http://x.example/up/1", "http://x.example/up/1" },
};

Test(tus_url, rfc3986_section_5_4_examples)
{
	char out[256];
	size_t i;

	for (i = 0; i < sizeof rfc_cases / sizeof rfc_cases[0]; i++) {
		cr_assert_eq(tus_url_resolve(out, sizeof out, "http://a/b/c/d;p?q", rfc_cases[i].ref), 0,
		             "resolving '%s'", rfc_cases[i].ref);
		cr_assert_str_eq(out, rfc_cases[i].want, "resolving '%s'", rfc_cases[i].ref);
	}
}

Test(tus_url, mediagate_locations)
{
	char out[256];

	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://127.0.0.1:8080/uploads/",
	                             "/uploads/abc"), 0);
	cr_assert_str_eq(out, "http://127.0.0.1:8080/uploads/abc");
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/media/uploads/", "abc"), 0);
	cr_assert_str_eq(out, "http://h/media/uploads/abc");
	cr_assert_eq(tus_url_resolve(out, sizeof out, "https://h:8443/media/uploads/x",
	                             "/media/inputs/I/content?token=A.B"), 0);
	cr_assert_str_eq(out, "https://h:8443/media/inputs/I/content?token=A.B");
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h:1", "x"), 0);
	cr_assert_str_eq(out, "http://h:1/x");
}

Test(tus_url, refusals)
{
	char out[32];

	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/", ""), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/", "a b"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/", "a\r\nX: y"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/", "ftp://h/x"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/", "javascript:x"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "ftp://h/", "x"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "/relative", "x"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http:///x", "x"), -1);
	cr_assert_eq(tus_url_resolve(out, sizeof out, "http://h/",
	                             "/a-path-that-is-much-longer-than-the-buffer"), -1);
}

Test(tus_url, join)
{
	char out[64];

	cr_assert_eq(tus_url_join(out, sizeof out, "http://127.0.0.1:8080", "/uploads/"), 0);
	cr_assert_str_eq(out, "http://127.0.0.1:8080/uploads/");
	cr_assert_eq(tus_url_join(out, sizeof out, "http://h/media/", "/uploads/"), 0);
	cr_assert_str_eq(out, "http://h/media/uploads/");
	cr_assert_eq(tus_url_join(out, sizeof out, "HTTPS://h/media//", "/sessions"), 0);
	cr_assert_str_eq(out, "HTTPS://h/media/sessions");
	cr_assert_eq(tus_url_join(out, sizeof out, "h:8080", "/x"), -1);
	cr_assert_eq(tus_url_join(out, sizeof out, "http://h/?a=1", "/x"), -1);
	cr_assert_eq(tus_url_join(out, sizeof out, "http://h/#f", "/x"), -1);
	cr_assert_eq(tus_url_join(out, sizeof out, "http://h", "x"), -1);
	cr_assert_eq(tus_url_join(out, 8, "http://h", "/uploads/"), -1);
}

/* WAV headers ----------------------------------------------------------------------------------- */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* A WAV header: RIFF, fmt (16 bytes), an optional odd-sized LIST chunk, data of data_size. */
static size_t make_wav(uint8_t *b, uint32_t rate, unsigned ch, unsigned bits, uint32_t list_size,
                       uint32_t data_size)
{
	size_t o = 12;

	memcpy(b, "RIFF", 4);
	put32(b + 4, 0xffffffff);
	memcpy(b + 8, "WAVE", 4);
	memcpy(b + o, "fmt ", 4);
	put32(b + o + 4, 16);
	put16(b + o + 8, bits == 32 ? 3 : 1);
	put16(b + o + 10, ch);
	put32(b + o + 12, rate);
	put32(b + o + 16, rate * ch * bits / 8);
	put16(b + o + 20, ch * bits / 8);
	put16(b + o + 22, bits);
	o += 24;
	if (list_size > 0) {
		memcpy(b + o, "LIST", 4);
		put32(b + o + 4, list_size);
		memset(b + o + 8, 'x', list_size + (list_size & 1));
		o += 8 + list_size + (list_size & 1);
	}
	memcpy(b + o, "data", 4);
	put32(b + o + 4, data_size);
	return o + 8;
}

Test(tus_wav, canonical_header)
{
	uint8_t b[128];
	struct tus_wav w;
	size_t n = make_wav(b, 16000, 1, 16, 0, 96000);

	cr_assert_eq(n, 44);
	cr_assert_eq(tus_wav_scan(b, n, &w), 1);
	cr_assert_eq(w.data_offset, 44);
	cr_assert_eq(w.data_size, 96000);
	cr_assert_eq(w.byte_rate, 32000);
	cr_assert_eq(w.sample_rate, 16000);
	cr_assert_eq(w.channels, 1);
	cr_assert_eq(w.block_align, 2);
	cr_assert_eq(w.format_tag, 1);
}

Test(tus_wav, chunks_before_data_with_padding)
{
	uint8_t b[256];
	struct tus_wav w;
	size_t n = make_wav(b, 44100, 2, 32, 27, 0xffffffff);

	cr_assert_eq(n, 44 + 8 + 28);
	cr_assert_eq(tus_wav_scan(b, n + 100, &w), 1, "bytes after the header do not matter");
	cr_assert_eq(w.data_offset, n);
	cr_assert_eq(w.byte_rate, 44100 * 8);
	cr_assert_eq(w.format_tag, 3);
}

Test(tus_wav, every_short_prefix_needs_more)
{
	uint8_t b[256];
	struct tus_wav w;
	size_t n = make_wav(b, 8000, 1, 16, 5, 100), i;

	for (i = 0; i < n; i++)
		cr_assert_eq(tus_wav_scan(b, i, &w), 0, "a prefix of %zu bytes", i);
	cr_assert_eq(tus_wav_scan(b, n, &w), 1);
}

Test(tus_wav, refusals)
{
	uint8_t b[128];
	struct tus_wav w;
	size_t n;

	cr_assert_eq(tus_wav_scan((const uint8_t *)"OggS\0\0\0\0\0\0\0\0", 12, &w), -1);
	cr_assert_eq(tus_wav_scan((const uint8_t *)"RIFX", 4, &w), -1);
	cr_assert_eq(tus_wav_scan((const uint8_t *)"RIFF\0\0\0\0AVI ", 12, &w), -1);
	n = make_wav(b, 16000, 1, 16, 0, 10);
	put32(b + 28, 12345);   /* byte rate */
	cr_assert_eq(tus_wav_scan(b, n, &w), -1);
	n = make_wav(b, 16000, 0, 16, 0, 10);
	cr_assert_eq(tus_wav_scan(b, n, &w), -1, "no channels");
	n = make_wav(b, 0, 1, 16, 0, 10);
	cr_assert_eq(tus_wav_scan(b, n, &w), -1, "no sample rate");
	/* a data chunk first */
	memcpy(b, "RIFF\0\0\0\0WAVEdata\0\0\0\0", 20);
	cr_assert_eq(tus_wav_scan(b, 20, &w), -1);
	/* a fmt chunk of 14 bytes (WAVEFORMAT without bits per sample) */
	n = make_wav(b, 16000, 1, 16, 0, 10);
	put32(b + 16, 14);
	cr_assert_eq(tus_wav_scan(b, n, &w), -1);
}

Test(tus_wav, due_times_and_chunks)
{
	uint8_t b[64];
	struct tus_wav w;

	make_wav(b, 16000, 1, 16, 0, 96000);   /* 3 s */
	cr_assert_eq(tus_wav_scan(b, 44, &w), 1);
	cr_assert_float_eq(tus_wav_due(&w, 0), 0.0, 1e-9);
	cr_assert_float_eq(tus_wav_due(&w, 44), 0.0, 1e-9);
	cr_assert_float_eq(tus_wav_due(&w, 44 + 32000), 1.0, 1e-9);
	cr_assert_float_eq(tus_wav_due(&w, 44 + 48000), 1.5, 1e-9);
	cr_assert_float_eq(tus_wav_due(&w, 44 + 96000), 3.0, 1e-9);
	cr_assert_float_eq(tus_wav_due(&w, 44 + 96000 + 500), 3.0, 1e-9, "trailing chunks");
	cr_assert_eq(tus_wav_chunk_end(&w, 0), 44 + 32000, "the header and the first second");
	cr_assert_eq(tus_wav_chunk_end(&w, 43), 44 + 32000);
	cr_assert_eq(tus_wav_chunk_end(&w, 44), 44 + 32000);
	cr_assert_eq(tus_wav_chunk_end(&w, 44 + 31999), 44 + 32000);
	cr_assert_eq(tus_wav_chunk_end(&w, 44 + 32000), 44 + 64000);
	cr_assert_eq(tus_wav_chunk_end(&w, 44 + 40000), 44 + 64000, "a resume mid-second");
	w.data_size = 0xffffffff;
	cr_assert_float_eq(tus_wav_due(&w, 44 + 320000), 10.0, 1e-9, "a stream: no end");
}

Test(tus_wav, chunk_steps_are_whole_frames)
{
	struct tus_wav w = { .data_offset = 44, .byte_rate = 22050 * 6, .sample_rate = 22050,
	                     .channels = 3, .block_align = 6 };

	cr_assert_eq((tus_wav_chunk_end(&w, 44) - 44) % 6, 0);
	w.byte_rate = 7;   /* not a multiple: rounded down to frames */
	w.block_align = 2;
	cr_assert_eq(tus_wav_chunk_end(&w, 44), 50);
}

/* the state file -------------------------------------------------------------------------------- */

Test(tus_state, key_depends_on_every_field)
{
	char a[33], b[33];

	cr_assert_eq(tus_state_key(a, "http://h", "/f", 10, 1000, 5), 0);
	cr_assert_eq(strlen(a), 32);
	cr_assert_eq(strspn(a, "0123456789abcdef"), 32);
	cr_assert_eq(tus_state_key(b, "http://h", "/f", 10, 1000, 5), 0);
	cr_assert_str_eq(a, b);
	tus_state_key(b, "http://g", "/f", 10, 1000, 5);
	cr_assert_str_neq(a, b);
	tus_state_key(b, "http://h", "/g", 10, 1000, 5);
	cr_assert_str_neq(a, b);
	tus_state_key(b, "http://h", "/f", 11, 1000, 5);
	cr_assert_str_neq(a, b);
	tus_state_key(b, "http://h", "/f", 10, 1001, 5);
	cr_assert_str_neq(a, b);
	tus_state_key(b, "http://h", "/f", 10, 1000, 6);
	cr_assert_str_neq(a, b);
}

Test(tus_state, round_trip)
{
	struct tus_state st = { .length = 12345 }, back;
	char text[8192];
	int n;

	strcpy(st.url, "http://127.0.0.1:8080/media/uploads/AbC_d-1");
	strcpy(st.cookie, "n71T8X9Y_sUPoSumUcB2-A");
	n = tus_state_format(text, sizeof text, &st);
	cr_assert_gt(n, 0);
	cr_assert_str_eq(text, "mediagate-put-state 1\nurl http://127.0.0.1:8080/media/uploads/"
	                       "AbC_d-1\ncookie n71T8X9Y_sUPoSumUcB2-A\nlength 12345\n");
	cr_assert_eq(tus_state_parse(text, (size_t)n, &back), 0);
	cr_assert_str_eq(back.url, st.url);
	cr_assert_str_eq(back.cookie, st.cookie);
	cr_assert_eq(back.length, 12345);
	st.length = TUS_LENGTH_UNKNOWN;
	st.cookie[0] = '\0';
	n = tus_state_format(text, sizeof text, &st);
	cr_assert_eq(tus_state_parse(text, (size_t)n, &back), 0);
	cr_assert_eq(back.length, TUS_LENGTH_UNKNOWN);
	cr_assert_str_eq(back.cookie, "");
}

Test(tus_state, refusals)
{
	struct tus_state st = { .length = 1 };
	char text[64];

	cr_assert_eq(tus_state_parse("url x\nlength 1\n", 15, &st), -1, "no first line");
	cr_assert_eq(tus_state_parse("mediagate-put-state 2\nurl x\nlength 1\n", 36, &st), -1);
	cr_assert_eq(tus_state_parse("mediagate-put-state 1\nlength 1\n", 31, &st), -1, "no url");
	cr_assert_eq(tus_state_parse("mediagate-put-state 1\nurl x\n", 28, &st), -1, "no length");
	cr_assert_eq(tus_state_parse("mediagate-put-state 1\nurl x\nlength -1\n", 38, &st), -1);
	cr_assert_eq(tus_state_parse("mediagate-put-state 1\nurl x y\nlength 1\n", 38, &st), -1);
	cr_assert_eq(tus_state_parse("mediagate-put-state 1\nnew 7\nurl x\nlength 1", 42, &st), 0,
	             "unknown lines are ignored, the last newline is optional");
	cr_assert_str_eq(st.url, "x");
	strcpy(st.url, "http://h/a b");
	cr_assert_eq(tus_state_format(text, sizeof text, &st), -1);
	strcpy(st.url, "http://h/a");
	strcpy(st.cookie, "a\nb");
	cr_assert_eq(tus_state_format(text, sizeof text, &st), -1);
	strcpy(st.cookie, "c");
	cr_assert_eq(tus_state_format(text, 20, &st), -1, "does not fit");
}

/* backoff and progress -------------------------------------------------------------------------- */

Test(tus_backoff, exponential_randomized_capped)
{
	cr_assert_eq(tus_backoff_ms(0, 0.0), 250);
	cr_assert_eq(tus_backoff_ms(0, 0.999999), 499);
	cr_assert_eq(tus_backoff_ms(1, 0.0), 500);
	cr_assert_eq(tus_backoff_ms(3, 0.0), 2000);
	cr_assert_eq(tus_backoff_ms(6, 0.0), 15000);
	cr_assert_eq(tus_backoff_ms(7, 0.0), 15000, "capped at 30 s nominal");
	cr_assert_eq(tus_backoff_ms(1000, 0.5), 22500);
	cr_assert_eq(tus_backoff_ms(0, 5.0), 250, "r out of range counts as 0");
}

Test(tus_progress, human_bytes)
{
	char b[16];

	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 0), "0 B");
	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 1023), "1023 B");
	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 1024), "1.00 KiB");
	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 1536), "1.50 KiB");
	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 12900000), "12.3 MiB");
	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 200u << 20), "200 MiB");
	cr_assert_str_eq(tus_human_bytes(b, sizeof b, 4ull << 30), "4.00 GiB");
}

Test(tus_progress, line_with_total)
{
	char line[256];
	int n = tus_progress_line(line, sizeof line, 2u << 20, 8u << 20, 1 << 20, 2.0, 79);

	cr_assert_eq(n, (int)strlen(line));
	cr_assert_leq(n, 79);
	cr_assert(strstr(line, "2.00 MiB / 8.00 MiB") != NULL, "%s", line);
	cr_assert(strstr(line, " 25%") != NULL, "%s", line);
	cr_assert(strstr(line, "1.00 MiB/s") != NULL, "%s", line);
	cr_assert(strstr(line, "ETA 0:06") != NULL, "%s", line);
	cr_assert(strchr(line, '[') != NULL && strchr(line, '>') != NULL, "%s", line);
}

Test(tus_progress, narrow_unknown_and_done)
{
	char line[256];
	int n;

	n = tus_progress_line(line, sizeof line, 5, 10, 0, 0, 30);
	cr_assert_leq(n, 30, "%s", line);
	cr_assert(strchr(line, '[') == NULL, "no room for a bar: %s", line);
	n = tus_progress_line(line, sizeof line, 3000, TUS_LENGTH_UNKNOWN, 1000, 3.0, 79);
	cr_assert_str_eq(line, "  2.93 KiB  1000 B/s  0:03");
	n = tus_progress_line(line, sizeof line, 10, 10, 5, 2.0, 79);
	cr_assert(strstr(line, "100%") != NULL, "%s", line);
	cr_assert(strstr(line, "ETA 0:00") != NULL, "%s", line);
	n = tus_progress_line(line, sizeof line, 0, 0, 0, 0, 79);
	cr_assert(strstr(line, "100%") != NULL, "an empty file is done: %s", line);
	cr_assert_eq(n, (int)strlen(line));
}

/* sources ---------------------------------------------------------------------------------------- */

static char *temp_file(const uint8_t *data, size_t len)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_tus.XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

Test(tus_source, regular_file)
{
	uint8_t data[1000];
	const uint8_t *p;
	struct source s;
	char *path;
	size_t i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	path = temp_file(data, sizeof data);
	cr_assert_eq(source_open(&s, path), 0);
	cr_assert(s.seekable);
	cr_assert_eq(s.length, 1000);
	cr_assert_eq(source_get(&s, 100, 300, &p), 300);
	cr_assert_eq(memcmp(p, data + 100, 300), 0);
	cr_assert_eq(source_get(&s, 900, 300, &p), 100, "short only at the end");
	cr_assert_eq(memcmp(p, data + 900, 100), 0);
	cr_assert_eq(source_get(&s, 0, 10, &p), 10, "any offset again");
	cr_assert_eq(memcmp(p, data, 10), 0);
	cr_assert_eq(source_get(&s, 1000, 10, &p), 0);
	source_close(&s);
	unlink(path);
}

Test(tus_source, missing_file_and_directory)
{
	struct source s;

	cr_assert_eq(source_open(&s, "/nonexistent/mediagate-put"), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(source_open(&s, "/tmp"), -1);
	cr_assert_eq(errno, EISDIR);
}

/* A stream: a pipe holding data (small enough for the pipe buffer), written end closed. */
static int pipe_with(const uint8_t *data, size_t len)
{
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	return fds[0];
}

static void open_stream(struct source *s, int fd)
{
	int saved = dup(STDIN_FILENO);

	cr_assert_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	cr_assert_eq(source_open(s, "-"), 0);
	/* the source reads fd 0; give the test's standard input back at close */
	s->fd = dup(STDIN_FILENO);
	dup2(saved, STDIN_FILENO);
	close(saved);
}

Test(tus_source, stream_chunks_and_end)
{
	uint8_t data[1000];
	const uint8_t *p;
	struct source s;
	size_t i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13);
	open_stream(&s, pipe_with(data, sizeof data));
	cr_assert_not(s.seekable);
	cr_assert_eq(s.length, TUS_LENGTH_UNKNOWN);
	cr_assert_eq(source_get(&s, 0, 400, &p), 400);
	cr_assert_eq(memcmp(p, data, 400), 0);
	cr_assert_eq(s.length, TUS_LENGTH_UNKNOWN);
	cr_assert_eq(source_get(&s, 0, 400, &p), 400, "the same chunk again (a retry)");
	cr_assert_eq(memcmp(p, data, 400), 0);
	cr_assert_eq(source_get(&s, 250, 400, &p), 400, "from inside the last chunk");
	cr_assert_eq(memcmp(p, data + 250, 400), 0);
	cr_assert_eq(source_get(&s, 650, 350, &p), 350);
	cr_assert_eq(memcmp(p, data + 650, 350), 0);
	cr_assert_eq(s.length, 1000, "a chunk that ends at the end knows it (one byte ahead)");
	cr_assert_eq(source_get(&s, 1000, 350, &p), 0);
	cr_assert_eq(source_get(&s, 100, 10, &p), -1, "bytes already dropped");
	cr_assert_eq(errno, ESPIPE);
	source_close(&s);
}

Test(tus_source, stream_skip_ahead_and_empty)
{
	uint8_t data[300];
	const uint8_t *p;
	struct source s;
	size_t i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	open_stream(&s, pipe_with(data, sizeof data));
	cr_assert_eq(source_get(&s, 200, 50, &p), 50);
	cr_assert_eq(memcmp(p, data + 200, 50), 0);
	cr_assert_eq(source_get(&s, 400, 50, &p), 0, "past the end");
	cr_assert_eq(s.length, 300);
	source_close(&s);

	open_stream(&s, pipe_with(data, 0));
	cr_assert_eq(source_get(&s, 0, 50, &p), 0);
	cr_assert_eq(s.length, 0);
	source_close(&s);
}
