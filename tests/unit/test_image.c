/* test_image.c: PNG/JPEG probing and raw pixels to PNG, on images made here with libpng/libjpeg. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>      /* before jpeglib.h */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "media/image.h"

#define LIMIT 100000000ull     /* the default pixel limit, 100 megapixels */

/* ---- helpers ---------------------------------------------------------------------------- */

struct mbuf {
	unsigned char *p;
	size_t         len, cap;
};

static void mbuf_add(struct mbuf *m, const void *data, size_t len)
{
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
		cr_assert_not_null(m->p);
	}
	memcpy(m->p + m->len, data, len);
	m->len += len;
}

static int fd_with(const void *data, size_t len)
{
	int fd = memfd_create("image", 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

static enum image_err probe(const void *data, size_t len, uint64_t limit, struct image_info *info,
                            char *err, size_t errsz)
{
	int fd = fd_with(data, len);
	enum image_err rc = image_probe(fd, limit, info, err, errsz);

	close(fd);
	return rc;
}

static uint32_t crc32_of(const unsigned char *p, size_t len)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void png_to_mbuf(png_structp png, png_bytep data, size_t len)
{
	mbuf_add(png_get_io_ptr(png), data, len);
}

/* A w x h PNG; small zlib buffers so that the data spans several IDAT chunks. */
static void make_png(struct mbuf *m, uint32_t w, uint32_t h, int color_type, int depth,
                     int interlace)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	png_color pal[16];
	unsigned char *row;
	size_t rowbytes, i;
	uint32_t y;
	int pass, passes;

	cr_assert(png != NULL && info != NULL);
	memset(m, 0, sizeof *m);
	if (setjmp(png_jmpbuf(png)))
		cr_assert_fail("libpng could not write the test image");
	png_set_write_fn(png, m, png_to_mbuf, NULL);
	png_set_compression_buffer_size(png, 64);
	png_set_IHDR(png, info, w, h, depth, color_type,
	             interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (color_type == PNG_COLOR_TYPE_PALETTE) {
		for (i = 0; i < 16; i++) {
			pal[i].red = (png_byte)(i * 16);
			pal[i].green = (png_byte)(255 - i * 16);
			pal[i].blue = (png_byte)(i * 7);
		}
		png_set_PLTE(png, info, pal, depth >= 4 ? 16 : 1 << depth);
	}
	png_set_text(png, info, &(png_text){.compression = PNG_TEXT_COMPRESSION_NONE,
	             .key = "Comment", .text = "made by test_image"}, 1);
	png_write_info(png, info);
	passes = png_set_interlace_handling(png);
	rowbytes = png_get_rowbytes(png, info);
	row = malloc(rowbytes);
	cr_assert_not_null(row);
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < h; y++) {
			for (i = 0; i < rowbytes; i++)
				row[i] = (unsigned char)(i * 31 + y * 17);
			if (color_type == PNG_COLOR_TYPE_PALETTE && depth == 8)
				for (i = 0; i < rowbytes; i++)
					row[i] &= 15;
			png_write_row(png, row);
		}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
}

/* A w x h JPEG of comps components in color space cs, baseline or progressive. */
static void make_jpeg(struct mbuf *m, uint32_t w, uint32_t h, int comps, J_COLOR_SPACE cs,
                      int progressive)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL, *row;
	unsigned long outlen = 0;
	JSAMPROW rows[1];
	uint32_t x, y;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = comps;
	c.in_color_space = cs;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	row = malloc((size_t)w * comps);
	cr_assert_not_null(row);
	rows[0] = row;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w * (uint32_t)comps; x++)
			row[x] = (unsigned char)((x * 13 + y * 7) ^ (x * y));
		jpeg_write_scanlines(&c, rows, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	memset(m, 0, sizeof *m);
	mbuf_add(m, out, outlen);
	free(out);
	free(row);
}

/* Offset of the first chunk of this type in a PNG, or 0. */
static size_t png_find_chunk(const struct mbuf *m, const char *type)
{
	size_t pos = 8;

	while (pos + 12 <= m->len) {
		if (memcmp(m->p + pos + 4, type, 4) == 0)
			return pos;
		pos += 12 + get32(m->p + pos);
	}
	return 0;
}

/* Offset of the SOFn marker segment in a JPEG, or 0. */
static size_t jpeg_find_sof(const struct mbuf *m)
{
	size_t pos = 2;

	while (pos + 4 <= m->len && m->p[pos] == 0xff) {
		if (m->p[pos + 1] >= 0xc0 && m->p[pos + 1] <= 0xc2)
			return pos;
		pos += 2 + ((size_t)m->p[pos + 2] << 8 | m->p[pos + 3]);
	}
	return 0;
}

/* The first scan of a JPEG: its SOS marker up to the marker after its entropy-coded data. */
static void jpeg_first_scan(const struct mbuf *m, size_t *start, size_t *end)
{
	size_t pos = 2, q;

	while (pos + 4 <= m->len && m->p[pos] == 0xff && m->p[pos + 1] != 0xda)
		pos += 2 + ((size_t)m->p[pos + 2] << 8 | m->p[pos + 3]);
	cr_assert(pos + 4 <= m->len && m->p[pos + 1] == 0xda);
	q = pos + 2 + ((size_t)m->p[pos + 2] << 8 | m->p[pos + 3]);
	/* 0xFF 0x00 is a stuffed byte and 0xFF 0xD0..D7 a restart marker, both inside the scan. */
	while (q + 1 < m->len && !(m->p[q] == 0xff && m->p[q + 1] != 0 &&
	                           (m->p[q + 1] < 0xd0 || m->p[q + 1] > 0xd7)))
		q++;
	*start = pos;
	*end = q;
}

static void jpeg_set_size(struct mbuf *m, uint16_t w, uint16_t h)
{
	size_t sof = jpeg_find_sof(m);

	cr_assert_neq(sof, 0);
	m->p[sof + 5] = h >> 8;
	m->p[sof + 6] = h & 0xff;
	m->p[sof + 7] = w >> 8;
	m->p[sof + 8] = w & 0xff;
}

/* The signature and an IHDR chunk with a correct CRC, and nothing after it. */
static void png_header_only(unsigned char out[33], uint32_t w, uint32_t h, int color_type)
{
	memcpy(out, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
	put32(out + 16, w);
	put32(out + 20, h);
	out[24] = 8;                  /* bit depth */
	out[25] = (unsigned char)color_type;
	out[26] = out[27] = out[28] = 0;
	put32(out + 29, crc32_of(out + 12, 17));
}

/* ---- probe: what is accepted ----------------------------------------------------------- */

struct png_case {
	int      color_type, depth, interlace;
	uint32_t w, h;
	uint8_t  channels;
};

static const struct png_case png_cases[] = {
	{PNG_COLOR_TYPE_GRAY, 8, 0, 13, 9, 1},
	{PNG_COLOR_TYPE_GRAY, 1, 0, 17, 3, 1},
	{PNG_COLOR_TYPE_GRAY, 16, 0, 5, 7, 1},
	{PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 11, 4, 2},
	{PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 3, 3, 2},
	{PNG_COLOR_TYPE_RGB, 8, 0, 40, 30, 3},
	{PNG_COLOR_TYPE_RGB, 16, 0, 9, 2, 3},
	{PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 31, 1, 4},
	{PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 1, 31, 4},
	{PNG_COLOR_TYPE_PALETTE, 8, 0, 12, 12, 1},
	{PNG_COLOR_TYPE_PALETTE, 4, 0, 7, 5, 1},
	{PNG_COLOR_TYPE_RGB, 8, 1, 33, 21, 3},
	{PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, 10, 10, 4},
	{PNG_COLOR_TYPE_GRAY, 8, 1, 1, 1, 1},
	{PNG_COLOR_TYPE_PALETTE, 8, 1, 6, 19, 1},
};

Test(image, png_kinds)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof png_cases / sizeof png_cases[0]; i++) {
		const struct png_case *c = &png_cases[i];

		make_png(&m, c->w, c->h, c->color_type, c->depth, c->interlace);
		memset(&info, 0xaa, sizeof info);
		strcpy(err, "stale");
		cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK,
		             "case %zu: %s", i, err);
		cr_assert_str_empty(err);
		cr_assert_eq(info.width, c->w, "case %zu", i);
		cr_assert_eq(info.height, c->h, "case %zu", i);
		cr_assert_eq(info.channels, c->channels, "case %zu", i);
		cr_assert_str_eq(info.format, "png");
		free(m.p);
	}
}

struct jpeg_case {
	int           comps;
	J_COLOR_SPACE cs;
	int           progressive;
	uint32_t      w, h;
};

static const struct jpeg_case jpeg_cases[] = {
	{1, JCS_GRAYSCALE, 0, 17, 11},
	{3, JCS_RGB, 0, 64, 48},
	{3, JCS_RGB, 1, 33, 65},
	{1, JCS_GRAYSCALE, 1, 8, 8},
	{4, JCS_CMYK, 0, 9, 13},
	{3, JCS_RGB, 0, 1, 1},
};

Test(image, jpeg_kinds)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof jpeg_cases / sizeof jpeg_cases[0]; i++) {
		const struct jpeg_case *c = &jpeg_cases[i];

		make_jpeg(&m, c->w, c->h, c->comps, c->cs, c->progressive);
		memset(&info, 0xaa, sizeof info);
		cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK,
		             "case %zu: %s", i, err);
		cr_assert_str_empty(err);
		cr_assert_eq(info.width, c->w, "case %zu", i);
		cr_assert_eq(info.height, c->h, "case %zu", i);
		cr_assert_eq(info.channels, c->comps, "case %zu", i);
		cr_assert_str_eq(info.format, "jpeg");
		free(m.p);
	}
}

Test(image, fd_offset_untouched)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	int fd;

	make_png(&m, 20, 20, PNG_COLOR_TYPE_RGB, 8, 0);
	fd = fd_with(m.p, m.len);
	cr_assert_eq(lseek(fd, 5, SEEK_SET), 5);
	cr_assert_eq(image_probe(fd, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 5);
	close(fd);
	free(m.p);

	make_jpeg(&m, 20, 20, 3, JCS_RGB, 1);
	fd = fd_with(m.p, m.len);
	cr_assert_eq(image_probe(fd, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), (off_t)m.len);
	close(fd);
	free(m.p);
}

/* A tolerated ancillary chunk CRC error (PNG 3rd edition section 13.2: only critical chunks
 * must be fatal) and a JPEG with trailing bytes after EOI still probe fine. */
Test(image, tolerated_damage)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	size_t text;

	make_png(&m, 8, 8, PNG_COLOR_TYPE_RGB, 8, 0);
	text = png_find_chunk(&m, "tEXt");
	cr_assert_neq(text, 0);
	m.p[text + 9] ^= 0x20;
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	free(m.p);

	make_jpeg(&m, 8, 8, 3, JCS_RGB, 0);
	mbuf_add(&m, "trailing", 8);
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	free(m.p);
}

/* ---- probe: truncation and corruption --------------------------------------------------- */

static void assert_corrupt(const struct mbuf *m, size_t len, const char *what)
{
	struct image_info info;
	char err[256];
	enum image_err rc;

	strcpy(err, "");
	rc = probe(m->p, len, LIMIT, &info, err, sizeof err);
	cr_assert_eq(rc, IMAGE_CORRUPT, "%s: %zu of %zu bytes gave %d (%s)", what, len, m->len,
	             rc, err);
	cr_assert_str_not_empty(err, "%s: %zu bytes", what, len);
}

Test(image, png_truncated_everywhere)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	size_t len, idat;

	make_png(&m, 24, 16, PNG_COLOR_TYPE_RGB_ALPHA, 8, 1);
	idat = png_find_chunk(&m, "IDAT");
	cr_assert_neq(idat, 0);
	cr_assert_gt(m.len - idat, 200, "several IDAT chunks expected");
	/* Shorter than the signature: not recognisably a PNG. */
	for (len = 0; len < 8; len++)
		cr_assert_eq(probe(m.p, len, LIMIT, &info, err, sizeof err), IMAGE_UNSUPPORTED);
	/* The named cut points, then every other one. */
	assert_corrupt(&m, 8, "signature only");
	assert_corrupt(&m, 33, "header only");
	assert_corrupt(&m, idat + 20, "mid-IDAT");
	assert_corrupt(&m, m.len - 12, "missing IEND");
	assert_corrupt(&m, m.len - 1, "IEND CRC cut");
	for (len = 8; len < m.len; len++)
		assert_corrupt(&m, len, "prefix");
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	free(m.p);
}

Test(image, png_crc_errors)
{
	struct mbuf m;
	size_t idat, iend;
	char err[256];
	struct image_info info;

	make_png(&m, 16, 16, PNG_COLOR_TYPE_RGB, 8, 0);
	idat = png_find_chunk(&m, "IDAT");
	iend = png_find_chunk(&m, "IEND");
	cr_assert(idat != 0 && iend != 0);

	m.p[idat + 8 + 3] ^= 0x01;                     /* a data byte of the first IDAT */
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	cr_assert(strstr(err, "CRC") != NULL, "%s", err);
	m.p[idat + 8 + 3] ^= 0x01;

	m.p[20] ^= 0x80;                               /* IHDR height */
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	cr_assert(strstr(err, "CRC") != NULL, "%s", err);
	m.p[20] ^= 0x80;

	m.p[iend + 8] ^= 0xff;                         /* IEND's CRC: only png_read_end sees it */
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	cr_assert(strstr(err, "CRC") != NULL, "%s", err);
	m.p[iend + 8] ^= 0xff;

	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	free(m.p);
}

Test(image, png_structure_errors)
{
	unsigned char hdr[33];
	struct image_info info;
	char err[256];
	struct mbuf m;
	size_t iend;

	png_header_only(hdr, 0, 10, PNG_COLOR_TYPE_RGB);
	cr_assert_eq(probe(hdr, sizeof hdr, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	cr_assert_str_not_empty(err);
	png_header_only(hdr, 10, 0, PNG_COLOR_TYPE_RGB);
	cr_assert_eq(probe(hdr, sizeof hdr, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	png_header_only(hdr, 10, 10, 5);               /* no colour type 5 */
	cr_assert_eq(probe(hdr, sizeof hdr, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);

	/* IEND straight after IHDR: no image data. */
	make_png(&m, 4, 4, PNG_COLOR_TYPE_GRAY, 8, 0);
	iend = png_find_chunk(&m, "IEND");
	memmove(m.p + 33, m.p + iend, 12);
	cr_assert_eq(probe(m.p, 45, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	cr_assert_str_not_empty(err);
	free(m.p);
}

Test(image, jpeg_truncated_everywhere)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	size_t len;
	int progressive;

	for (progressive = 0; progressive <= 1; progressive++) {
		make_jpeg(&m, 40, 24, 3, JCS_RGB, progressive);
		for (len = 0; len < 3; len++)
			cr_assert_eq(probe(m.p, len, LIMIT, &info, err, sizeof err),
			             IMAGE_UNSUPPORTED);
		assert_corrupt(&m, m.len - 2, "without EOI");
		assert_corrupt(&m, m.len - 1, "half an EOI");
		assert_corrupt(&m, m.len / 2, "cut in the middle");
		assert_corrupt(&m, jpeg_find_sof(&m) + 4, "cut in SOF");
		for (len = 3; len < m.len; len++)
			assert_corrupt(&m, len, progressive ? "progressive prefix" : "prefix");
		cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s",
		             err);
		free(m.p);
	}
}

/* An EOI in the middle of the entropy-coded data: libjpeg warns "premature end of data
 * segment" and would paint the rest grey. */
Test(image, jpeg_early_eoi)
{
	struct mbuf m;
	size_t cut;

	make_jpeg(&m, 64, 64, 3, JCS_RGB, 0);
	cut = m.len / 2;
	m.p[cut] = 0xff;
	m.p[cut + 1] = 0xd9;
	assert_corrupt(&m, cut + 2, "early EOI");
	free(m.p);
}

/* A progressive JPEG repeating its first (DC) scan: libjpeg only warns about the progression,
 * so the count of scans is what stops a file that makes it pass over the image forever. */
Test(image, jpeg_scan_limit)
{
	struct image_info info;
	struct mbuf m, big;
	size_t start, end, extra, i;
	char err[256];
	int scans;

	make_jpeg(&m, 16, 16, 1, JCS_GRAYSCALE, 1);
	jpeg_first_scan(&m, &start, &end);
	for (scans = 0, i = 2; i + 1 < m.len; i++)
		scans += m.p[i] == 0xff && m.p[i + 1] == 0xda;
	for (extra = 1000 - scans; extra <= 1001 - (size_t)scans; extra++) {
		memset(&big, 0, sizeof big);
		mbuf_add(&big, m.p, end);
		for (i = 0; i < extra; i++)
			mbuf_add(&big, m.p + start, end - start);
		mbuf_add(&big, m.p + end, m.len - end);
		if (scans + extra <= 1000) {
			cr_assert_eq(probe(big.p, big.len, LIMIT, &info, err, sizeof err), IMAGE_OK,
			             "%s", err);
		} else {
			cr_assert_eq(probe(big.p, big.len, LIMIT, &info, err, sizeof err),
			             IMAGE_CORRUPT);
			cr_assert(strstr(err, "scans") != NULL, "%s", err);
		}
		free(big.p);
	}
	free(m.p);
}

Test(image, unsupported)
{
	static const char gif[] = "GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0"
	                          ",\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;";
	unsigned char noise[4096];
	struct image_info info;
	char err[256];
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < sizeof noise; i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 16);
	}
	noise[0] = 0x42;      /* not 0x89 nor 0xff, whatever the generator says */
	cr_assert_eq(probe(noise, sizeof noise, LIMIT, &info, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_str_not_empty(err);
	cr_assert_eq(probe(gif, sizeof gif - 1, LIMIT, &info, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_str_not_empty(err);
	cr_assert_eq(probe("", 0, LIMIT, &info, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_str_not_empty(err);
	cr_assert_eq(probe("BM\x36\0\0\0\0\0", 8, LIMIT, &info, err, sizeof err),
	             IMAGE_UNSUPPORTED);
	cr_assert_eq(probe("\xff\xd8", 2, LIMIT, &info, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_eq(probe("\x89PNG\r\n\x1a\r", 8, LIMIT, &info, err, sizeof err),
	             IMAGE_UNSUPPORTED);
	/* A tiny err buffer is still a NUL-terminated string; none at all is allowed. */
	cr_assert_eq(probe("", 0, LIMIT, &info, err, 4), IMAGE_UNSUPPORTED);
	cr_assert_eq(strlen(err), 3);
	cr_assert_eq(probe("", 0, LIMIT, &info, NULL, 0), IMAGE_UNSUPPORTED);
}

/* ---- probe: pixel limit ----------------------------------------------------------------- */

Test(image, png_too_large_from_header)
{
	unsigned char hdr[33];
	struct image_info info;
	char err[256];
	double t0, ms;

	png_header_only(hdr, 20000, 20000, PNG_COLOR_TYPE_RGB_ALPHA);
	t0 = now_ms();
	cr_assert_eq(probe(hdr, sizeof hdr, LIMIT, &info, err, sizeof err), IMAGE_TOO_LARGE);
	ms = now_ms() - t0;
	cr_assert_lt(ms, 100.0, "took %.1f ms", ms);
	cr_assert(strstr(err, "20000x20000") != NULL, "%s", err);
	/* Under a higher limit the same header is only truncated. */
	cr_assert_eq(probe(hdr, sizeof hdr, 400000000ull, &info, err, sizeof err), IMAGE_CORRUPT);
	/* Wider than IMAGE_MAX_WIDTH in a single row, whatever the limit. */
	png_header_only(hdr, IMAGE_MAX_WIDTH + 1, 1, PNG_COLOR_TYPE_GRAY);
	cr_assert_eq(probe(hdr, sizeof hdr, UINT64_MAX, &info, err, sizeof err), IMAGE_TOO_LARGE);
	png_header_only(hdr, 0x7fffffff, 0x7fffffff, PNG_COLOR_TYPE_GRAY);
	cr_assert_eq(probe(hdr, sizeof hdr, UINT64_MAX, &info, err, sizeof err), IMAGE_TOO_LARGE);
	/* Over 2^31-1 is not a PNG dimension at all (section 11.2.1). */
	png_header_only(hdr, 0x80000000u, 1, PNG_COLOR_TYPE_GRAY);
	cr_assert_eq(probe(hdr, sizeof hdr, UINT64_MAX, &info, err, sizeof err), IMAGE_CORRUPT);
}

Test(image, limit_boundary)
{
	struct image_info info;
	struct mbuf m;
	char err[256];

	make_png(&m, 13, 9, PNG_COLOR_TYPE_RGB, 8, 0);
	cr_assert_eq(probe(m.p, m.len, 117, &info, err, sizeof err), IMAGE_OK, "%s", err);
	cr_assert_eq(probe(m.p, m.len, 116, &info, err, sizeof err), IMAGE_TOO_LARGE);
	cr_assert_str_not_empty(err);
	free(m.p);

	make_jpeg(&m, 13, 9, 3, JCS_RGB, 0);
	cr_assert_eq(probe(m.p, m.len, 117, &info, err, sizeof err), IMAGE_OK, "%s", err);
	cr_assert_eq(probe(m.p, m.len, 116, &info, err, sizeof err), IMAGE_TOO_LARGE);
	cr_assert_str_not_empty(err);
	free(m.p);
}

Test(image, jpeg_too_large_from_header)
{
	struct image_info info;
	struct mbuf m;
	char err[256];
	double t0, ms;

	make_jpeg(&m, 16, 16, 3, JCS_RGB, 0);
	jpeg_set_size(&m, 20000, 20000);
	t0 = now_ms();
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_TOO_LARGE);
	ms = now_ms() - t0;
	cr_assert_lt(ms, 100.0, "took %.1f ms", ms);
	cr_assert(strstr(err, "20000x20000") != NULL, "%s", err);
	/* Within the limit, the header promises rows the data does not hold. */
	jpeg_set_size(&m, 8192, 8192);
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	free(m.p);

	/* A progressive 9600x9600 (4:2:0) needs 264 MiB of coefficients (2 bytes a coefficient,
	 * 1.5 coefficients a pixel): refused before allocating, though under the pixel limit. */
	make_jpeg(&m, 16, 16, 3, JCS_RGB, 1);
	jpeg_set_size(&m, 9600, 9600);
	t0 = now_ms();
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_TOO_LARGE);
	ms = now_ms() - t0;
	cr_assert_lt(ms, 100.0, "took %.1f ms", ms);
	cr_assert(strstr(err, "MiB") != NULL, "%s", err);
	/* Smaller, it fits, and the missing data is what fails. */
	jpeg_set_size(&m, 2048, 2048);
	cr_assert_eq(probe(m.p, m.len, LIMIT, &info, err, sizeof err), IMAGE_CORRUPT);
	free(m.p);
}

Test(image, read_errors)
{
	struct image_info info;
	char err[256];
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(image_probe(p[1], LIMIT, &info, err, sizeof err), IMAGE_IO);
	cr_assert_str_not_empty(err);
	close(p[0]);
	close(p[1]);
	cr_assert_eq(image_probe(-1, LIMIT, &info, err, sizeof err), IMAGE_IO);
}

/* ---- raw sizes ------------------------------------------------------------------------- */

Test(image, raw_size)
{
	cr_assert_eq(image_raw_size(1920, 1080, 4), 8294400);
	cr_assert_eq(image_raw_size(1, 1, 3), 3);
	cr_assert_eq(image_raw_size(0, 10, 3), 0);
	cr_assert_eq(image_raw_size(10, 0, 3), 0);
	cr_assert_eq(image_raw_size(10, 10, 0), 0);
	cr_assert_eq(image_raw_size(UINT32_MAX, UINT32_MAX, 1), (uint64_t)UINT32_MAX * UINT32_MAX);
	cr_assert_eq(image_raw_size(UINT32_MAX, UINT32_MAX, 4), 0);
	cr_assert_eq(image_raw_size(1ull << 32, 1ull << 32, 1), 0);
	cr_assert_eq(image_raw_size(1ull << 31, 1ull << 31, 3), 3ull << 62);
	cr_assert_eq(image_raw_size(1ull << 31, 1ull << 31, 4), 0);
	cr_assert_eq(image_raw_size(UINT64_MAX, 1, 1), UINT64_MAX);
	cr_assert_eq(image_raw_size(1, UINT64_MAX, 2), 0);
	cr_assert_eq(image_raw_size(UINT64_MAX / 3, 1, 3), UINT64_MAX / 3 * 3);
	cr_assert_eq(image_raw_size(UINT64_MAX / 3 + 1, 1, 3), 0);
}

/* ---- raw pixels to PNG ------------------------------------------------------------------ */

static unsigned char *raw_pattern(uint32_t w, uint32_t h, int channels)
{
	size_t n = (size_t)w * h * channels, i;
	unsigned char *px = malloc(n);

	cr_assert_not_null(px);
	for (i = 0; i < n; i++)
		px[i] = (unsigned char)(i * 7 + i / 5 + (i % channels) * 60);
	return px;
}

static void read_all(int fd, struct mbuf *m)
{
	unsigned char buf[4096];
	ssize_t n;
	off_t off = 0;

	memset(m, 0, sizeof *m);
	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		mbuf_add(m, buf, (size_t)n);
		off += n;
	}
	cr_assert_eq(n, 0);
}

static void roundtrip(uint32_t w, uint32_t h, int channels)
{
	unsigned char *px = raw_pattern(w, h, channels), *back;
	size_t n = (size_t)w * h * channels;
	struct image_info info;
	png_image img;
	struct mbuf m;
	char err[256];
	int in, out;

	in = fd_with(px, n);
	out = fd_with("stale bytes that must not survive the truncation", 48);
	cr_assert_eq(image_raw_to_png(in, w, h, (uint8_t)channels, out, err, sizeof err), IMAGE_OK,
	             "%s", err);
	cr_assert_str_empty(err);
	cr_assert_eq(lseek(out, 0, SEEK_CUR), 48, "the fd offset moved");
	cr_assert_eq(lseek(in, 0, SEEK_CUR), (off_t)n, "the fd offset moved");

	/* Ends exactly with IEND, nothing stale after it. */
	read_all(out, &m);
	cr_assert_gt(m.len, 12);
	cr_assert_eq(memcmp(m.p + m.len - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12), 0);

	/* What libpng's simplified API reads back: the same geometry and pixels. */
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	cr_assert(png_image_begin_read_from_memory(&img, m.p, m.len), "%s", img.message);
	cr_assert_eq(img.width, w);
	cr_assert_eq(img.height, h);
	cr_assert_eq(img.format & PNG_FORMAT_FLAG_COLOR, PNG_FORMAT_FLAG_COLOR);
	cr_assert_eq(!!(img.format & PNG_FORMAT_FLAG_ALPHA), channels == 4);
	img.format = channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
	back = malloc(n);
	cr_assert_not_null(back);
	cr_assert(png_image_finish_read(&img, NULL, back, 0, NULL), "%s", img.message);
	cr_assert_eq(memcmp(back, px, n), 0, "pixels differ");

	/* And image_probe agrees. */
	cr_assert_eq(image_probe(out, LIMIT, &info, err, sizeof err), IMAGE_OK, "%s", err);
	cr_assert_eq(info.width, w);
	cr_assert_eq(info.height, h);
	cr_assert_eq(info.channels, channels);

	free(back);
	free(m.p);
	free(px);
	close(in);
	close(out);
}

Test(image, raw_to_png_rgb)
{
	roundtrip(37, 23, 3);
	roundtrip(1, 1, 3);
	roundtrip(300, 2, 3);
}

Test(image, raw_to_png_rgba)
{
	roundtrip(29, 31, 4);
	roundtrip(1, 40, 4);
	roundtrip(20000, 1, 4);    /* rows larger than the write buffer */
}

Test(image, raw_to_png_errors)
{
	unsigned char *px = raw_pattern(8, 8, 4);
	char err[256];
	char path[64];
	int in, out, full, ro, p[2];

	in = fd_with(px, 8 * 8 * 4);
	out = fd_with("", 0);
	cr_assert_eq(image_raw_to_png(in, 8, 8, 2, out, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_str_not_empty(err);
	cr_assert_eq(image_raw_to_png(in, 8, 8, 1, out, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_eq(image_raw_to_png(in, 0, 8, 4, out, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_eq(image_raw_to_png(in, 8, 0, 4, out, err, sizeof err), IMAGE_UNSUPPORTED);
	cr_assert_eq(image_raw_to_png(in, 0x80000000u, 1, 4, out, err, sizeof err),
	             IMAGE_UNSUPPORTED);
	cr_assert_eq(image_raw_to_png(in, IMAGE_MAX_WIDTH + 1, 1, 4, out, err, sizeof err),
	             IMAGE_TOO_LARGE);
	cr_assert_str_not_empty(err);
	/* 8x8x4 bytes are not enough for 9 rows, nor for 8x8 of wider pixels... */
	cr_assert_eq(image_raw_to_png(in, 8, 9, 4, out, err, sizeof err), IMAGE_CORRUPT);
	cr_assert_str_not_empty(err);
	cr_assert_eq(image_raw_to_png(in, IMAGE_MAX_WIDTH, UINT32_MAX >> 1, 4, out, err,
	                              sizeof err), IMAGE_CORRUPT);
	/* ...but more bytes than needed are only not read. */
	cr_assert_eq(image_raw_to_png(in, 8, 7, 4, out, err, sizeof err), IMAGE_OK, "%s", err);

	/* A full disk. */
	full = open("/dev/full", O_WRONLY);
	cr_assert_geq(full, 0);
	cr_assert_eq(image_raw_to_png(in, 8, 8, 4, full, err, sizeof err), IMAGE_NOSPC);
	cr_assert(strstr(err, "space") != NULL, "%s", err);
	close(full);

	/* Writing to a read-only descriptor, reading from a pipe. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", out);
	ro = open(path, O_RDONLY);
	cr_assert_geq(ro, 0);
	cr_assert_eq(image_raw_to_png(in, 8, 8, 4, ro, err, sizeof err), IMAGE_IO);
	cr_assert_str_not_empty(err);
	close(ro);
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], px, 8 * 8 * 4), 8 * 8 * 4);
	cr_assert_eq(image_raw_to_png(p[0], 8, 8, 4, out, err, sizeof err), IMAGE_IO);
	cr_assert_str_not_empty(err);
	close(p[0]);
	close(p[1]);

	close(in);
	close(out);
	free(px);
}

/*
 * A 49-byte PNG whose zTXt chunk claims 0x40000000 bytes (found by fuzz_image): libpng 1.6.39
 * would allocate and clear the claimed length before reading. With 256 MiB of address space,
 * the probe must refuse it as truncated, not run out of memory.
 */
Test(image, text_chunk_length_is_not_an_allocation)
{
	static const unsigned char png[] = {
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
		0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09,
		0x08, 0x06, 0x00, 0x00, 0x00, 0xe0, 0x91, 0x06, 0x10, 0x40, 0x00, 0x00,
		0x00, 0x7a, 0x54, 0x58, 0x74, 0x6b, 0x65, 0x79, 0x00, 0x00, 0x61, 0x62,
		0x63,
	};
	struct rlimit rl = {256u << 20, 256u << 20};
	struct image_info info;
	char err[256] = "";
	int fd = memfd_create("ztxt", 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, png, sizeof png), (ssize_t)sizeof png);
	/* AddressSanitizer reserves terabytes of shadow address space: no limit under it (the
	   allocation would still show, as ASan's own out-of-memory report). */
#ifndef __SANITIZE_ADDRESS__
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
#else
	(void)rl;
#endif
	cr_assert_eq(image_probe(fd, 100000000, &info, err, sizeof err), IMAGE_CORRUPT, "%s", err);
	cr_assert_neq(err[0], '\0');
	close(fd);
}
