/* image.c: PNG (libpng) and JPEG (libjpeg-turbo) validation, raw pixels to PNG, over pread. */
#include "media/image.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>      /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define IO_BUF_SIZE        65536       /* pread/pwrite granularity for both codecs */
#define PNG_CHUNK_MAX      (8u << 20)  /* largest ancillary chunk (iCCP, zTXt, ...) kept */
#define PNG_CHUNK_CACHE    1000        /* most ancillary chunks (tEXt, sPLT, unknown) kept */
/* zlib level. 1920x1080 RGBA, CPU time and size at levels 3 / 6: a noisy gradient 200 ms,
 * 2.53 MB / 600 ms, 2.33 MB; a smooth one 100 ms, 580 KB / 200 ms, 421 KB; a flat drawing
 * 46 ms, 72 KB / 60 ms, 31 KB. The PNG is made once and served many times: keep the default. */
#define PNG_ENCODE_LEVEL   6
#define JPEG_MAX_MEMORY    (256L << 20)
#define JPEG_MAX_SCANS     1000

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* One pread, retried on EINTR: the bytes read (0 at end of file), or -1 with errno set. */
static ssize_t pread_once(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (off > (uint64_t)INT64_MAX)
		return 0;
	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n;
}

/* pread until len bytes or end of file: the bytes read, or -1 with errno set. */
static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread_once(fd, (char *)buf + got, len - got, off + got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

uint64_t image_raw_size(uint64_t width, uint64_t height, uint64_t channels)
{
	if (width == 0 || height == 0 || channels == 0)
		return 0;
	if (width > UINT64_MAX / height || width * height > UINT64_MAX / channels)
		return 0;
	return width * height * channels;
}

/* The pixel limit, decided from the header alone; widths are also bounded because the one
 * row kept in memory (and libpng's two) grows with them. */
static enum image_err check_size(const char *fmt, uint64_t width, uint64_t height,
                                 uint64_t max_pixels, char *err, size_t errsz)
{
	if (width == 0 || height == 0) {
		set_err(err, errsz, "%s: image has no pixels (%llux%llu)", fmt,
		        (unsigned long long)width, (unsigned long long)height);
		return IMAGE_CORRUPT;
	}
	if (width * height > max_pixels) {
		set_err(err, errsz, "%s: %llux%llu pixels is over the limit of %llu", fmt,
		        (unsigned long long)width, (unsigned long long)height,
		        (unsigned long long)max_pixels);
		return IMAGE_TOO_LARGE;
	}
	if (width > IMAGE_MAX_WIDTH) {
		set_err(err, errsz, "%s: width %llu is over the limit of %u", fmt,
		        (unsigned long long)width, (unsigned)IMAGE_MAX_WIDTH);
		return IMAGE_TOO_LARGE;
	}
	return IMAGE_OK;
}

/* ---- PNG ------------------------------------------------------------------------------- */

struct png_probe {
	int             fd;
	uint64_t        max_pixels;
	png_structp     png;
	png_infop       info;
	unsigned char  *row;
	int             size_checked;  /* the IHDR has been checked against the limit */
	int             oom;           /* an allocation failed: errors are ours, not the file's */
	enum image_err  rc;            /* the first error, kept across the longjmp */
	char           *err;
	size_t          errsz;
	uint64_t        off;           /* file offset of buf[len] */
	size_t          pos, len;
	unsigned char   buf[IO_BUF_SIZE];
};

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_probe *p = png_get_error_ptr(png);

	if (p->rc == IMAGE_OK) {
		p->rc = p->oom ? IMAGE_INTERNAL : IMAGE_CORRUPT;
		set_err(p->err, p->errsz, "PNG: %s", msg);
	}
	png_longjmp(png, 1);
}

/* Warnings (ancillary chunk CRCs, benign errors) are tolerated, as browsers do. */
static void png_on_warning(png_structp png, png_const_charp msg)
{
}

static png_voidp png_on_malloc(png_structp png, png_alloc_size_t size)
{
	struct png_probe *p = png_get_mem_ptr(png);
	void *ptr = malloc(size);

	if (ptr == NULL)
		p->oom = 1;
	return ptr;
}

static void png_on_free(png_structp png, png_voidp ptr)
{
	free(ptr);
}

static void png_on_read(png_structp png, png_bytep data, size_t len)
{
	struct png_probe *p = png_get_io_ptr(png);
	ssize_t n;
	size_t take;

	/*
	 * libpng has parsed the IHDR (its CRC checked, PNG 3rd edition section 11.2.1) once it
	 * stored the width, and is now asking for the next chunk: decide the pixel limit here, so
	 * that a header claiming a huge image is refused before anything else is read, even when
	 * nothing follows it.
	 */
	if (!p->size_checked && png_get_image_width(png, p->info) != 0) {
		p->size_checked = 1;
		p->rc = check_size("PNG", png_get_image_width(png, p->info),
		                   png_get_image_height(png, p->info), p->max_pixels, p->err, p->errsz);
		if (p->rc != IMAGE_OK)
			png_longjmp(png, 1);
	}
	while (len > 0) {
		if (p->pos == p->len) {
			n = pread_once(p->fd, p->buf, sizeof p->buf, p->off);
			if (n < 0) {
				p->rc = IMAGE_IO;
				set_err(p->err, p->errsz, "PNG: read: %s", strerror(errno));
				png_longjmp(png, 1);
			}
			if (n == 0)
				png_error(png, "file truncated");
			p->off += (uint64_t)n;
			p->pos = 0;
			p->len = (size_t)n;
		}
		take = p->len - p->pos < len ? p->len - p->pos : len;
		memcpy(data, p->buf + p->pos, take);
		p->pos += take;
		data += take;
		len -= take;
	}
}

/* The libpng calls. Nothing local changes after setjmp: the state lives in *p. */
static enum image_err png_probe_run(struct png_probe *p, struct image_info *info)
{
	png_uint_32 y;
	size_t rowbytes;
	int pass, passes;

	if (setjmp(png_jmpbuf(p->png)))
		return p->rc != IMAGE_OK ? p->rc : IMAGE_CORRUPT;
	png_set_read_fn(p->png, p, png_on_read);
	/* Our own check (png_on_read) enforces the pixel limit with the right error; libpng's
	 * default 1000000 x 1000000 limit would call a legal wide image invalid. */
	png_set_user_limits(p->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
	png_set_chunk_malloc_max(p->png, PNG_CHUNK_MAX);
	png_set_chunk_cache_max(p->png, PNG_CHUNK_CACHE);
	/* libpng 1.6.39 allocates (and clears) a text chunk's declared length before reading it,
	 * past png_set_chunk_malloc_max: a 49-byte file claiming a 1 GiB zTXt costs 1 GiB. We never
	 * use text, so it is skipped as an unknown chunk: read in small pieces, CRC still checked. */
	png_set_keep_unknown_chunks(p->png, PNG_HANDLE_CHUNK_NEVER,
	                            (png_const_bytep) "tEXt\0zTXt\0iTXt\0", 3);
	png_read_info(p->png, p->info);
	p->rc = check_size("PNG", png_get_image_width(p->png, p->info),
	                   png_get_image_height(p->png, p->info), p->max_pixels, p->err, p->errsz);
	if (p->rc != IMAGE_OK)
		return p->rc;
	info->width = png_get_image_width(p->png, p->info);
	info->height = png_get_image_height(p->png, p->info);
	info->channels = png_get_channels(p->png, p->info);

	/* Adam7 (section 8.2): with interlace handling each pass asks for every row. */
	passes = png_set_interlace_handling(p->png);
	png_read_update_info(p->png, p->info);
	rowbytes = png_get_rowbytes(p->png, p->info);
	p->row = malloc(rowbytes);
	if (p->row == NULL) {
		set_err(p->err, p->errsz, "PNG: out of memory for a row of %zu bytes", rowbytes);
		return p->rc = IMAGE_INTERNAL;
	}
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < info->height; y++)
			png_read_row(p->png, p->row, NULL);
	/* The chunks after the image data up to IEND, with their CRCs (section 5.3). */
	png_read_end(p->png, NULL);
	return IMAGE_OK;
}

static enum image_err png_probe(int fd, uint64_t max_pixels, struct image_info *info,
                                char *err, size_t errsz)
{
	struct png_probe *p;
	enum image_err rc;

	p = calloc(1, sizeof *p);
	if (p == NULL) {
		set_err(err, errsz, "PNG: out of memory");
		return IMAGE_INTERNAL;
	}
	p->fd = fd;
	p->max_pixels = max_pixels;
	p->err = err;
	p->errsz = errsz;
	p->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, p, png_on_error, png_on_warning,
	                                  p, png_on_malloc, png_on_free);
	if (p->png != NULL)
		p->info = png_create_info_struct(p->png);
	if (p->png == NULL || p->info == NULL) {
		set_err(err, errsz, "PNG: cannot create a libpng reader");
		rc = IMAGE_INTERNAL;
		goto out;
	}
	rc = png_probe_run(p, info);
	if (rc == IMAGE_OK)
		memcpy(info->format, "png", 4);
out:
	png_destroy_read_struct(&p->png, &p->info, NULL);
	free(p->row);
	free(p);
	return rc;
}

/* ---- JPEG ------------------------------------------------------------------------------ */

struct jpeg_probe {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr         jerr;
	struct jpeg_source_mgr        src;
	struct jpeg_progress_mgr      progress;
	jmp_buf                       jb;
	int                           created;
	int                           fd;
	uint64_t                      off;      /* file offset of the next fill */
	uint64_t                      max_pixels;
	enum image_err                rc;
	char                         *err;
	size_t                        errsz;
	JOCTET                        buf[IO_BUF_SIZE];
};

static void jpeg_on_error(j_common_ptr c)
{
	struct jpeg_probe *p = c->client_data;
	char msg[JMSG_LENGTH_MAX];

	if (p->rc == IMAGE_OK) {
		switch (c->err->msg_code) {
		case JERR_OUT_OF_MEMORY:
			p->rc = IMAGE_INTERNAL;
			break;
		case JERR_NO_BACKING_STORE:
			/* Whole-image coefficient buffers (progressive or multi-scan files) over
			 * max_memory_to_use: libjpeg would need temporary files, which it lacks. */
			p->rc = IMAGE_TOO_LARGE;
			set_err(p->err, p->errsz, "JPEG: a multi-scan image of %ux%u needs more "
			        "than %ld MiB to decode", (unsigned)p->cinfo.image_width,
			        (unsigned)p->cinfo.image_height, JPEG_MAX_MEMORY >> 20);
			longjmp(p->jb, 1);
		default:
			p->rc = IMAGE_CORRUPT;
			break;
		}
		(*c->err->format_message)(c, msg);
		set_err(p->err, p->errsz, "JPEG: %s", msg);
	}
	longjmp(p->jb, 1);
}

/*
 * libjpeg only warns about missing or damaged entropy-coded data and fills the gap with grey;
 * for validation these warnings mean a truncated or corrupt file. The others (extraneous bytes
 * between markers, an unknown JFIF revision, a bad ICC marker) are tolerated, as browsers do.
 */
static void jpeg_on_message(j_common_ptr c, int level)
{
	if (level >= 0)
		return;         /* trace messages */
	c->err->num_warnings++;
	switch (c->err->msg_code) {
	case JWRN_JPEG_EOF:
	case JWRN_HIT_MARKER:
	case JWRN_MUST_RESYNC:
	case JWRN_HUFF_BAD_CODE:
	case JWRN_ARITH_BAD_CODE:
		(*c->err->error_exit)(c);
		break;
	default:
		break;
	}
}

static void jpeg_on_output(j_common_ptr c)
{
}

/* A progressive file may hold any number of scans, each a pass over the whole coefficient
 * buffer; a legitimate one has about ten. */
static void jpeg_on_progress(j_common_ptr c)
{
	struct jpeg_probe *p = c->client_data;
	j_decompress_ptr d = (j_decompress_ptr)c;

	if (d->input_scan_number > JPEG_MAX_SCANS) {
		p->rc = IMAGE_CORRUPT;
		set_err(p->err, p->errsz, "JPEG: more than %d scans", JPEG_MAX_SCANS);
		longjmp(p->jb, 1);
	}
}

static void jpeg_src_init(j_decompress_ptr c)
{
}

static boolean jpeg_src_fill(j_decompress_ptr c)
{
	struct jpeg_probe *p = c->client_data;
	ssize_t n;

	n = pread_once(p->fd, p->buf, sizeof p->buf, p->off);
	if (n < 0) {
		p->rc = IMAGE_IO;
		set_err(p->err, p->errsz, "JPEG: read: %s", strerror(errno));
		longjmp(p->jb, 1);
	}
	if (n == 0) {
		/* As jdatasrc.c: warn, then pretend an EOI; jpeg_on_message makes it an error. */
		WARNMS(c, JWRN_JPEG_EOF);
		p->buf[0] = 0xFF;
		p->buf[1] = JPEG_EOI;
		n = 2;
	} else {
		p->off += (uint64_t)n;
	}
	c->src->next_input_byte = p->buf;
	c->src->bytes_in_buffer = (size_t)n;
	return TRUE;
}

static void jpeg_src_skip(j_decompress_ptr c, long num_bytes)
{
	struct jpeg_probe *p = c->client_data;
	uint64_t skip;

	if (num_bytes <= 0)
		return;
	if ((unsigned long)num_bytes <= c->src->bytes_in_buffer) {
		c->src->next_input_byte += num_bytes;
		c->src->bytes_in_buffer -= (size_t)num_bytes;
		return;
	}
	skip = (uint64_t)num_bytes - c->src->bytes_in_buffer;
	c->src->bytes_in_buffer = 0;
	/* Past the end of any file: the next fill reads nothing and reports truncation. */
	p->off = skip > (uint64_t)INT64_MAX - p->off ? (uint64_t)INT64_MAX : p->off + skip;
}

static void jpeg_src_term(j_decompress_ptr c)
{
}

/* The libjpeg calls. Nothing local changes after setjmp: the state lives in *p. */
static enum image_err jpeg_probe_run(struct jpeg_probe *p, struct image_info *info)
{
	j_decompress_ptr c = &p->cinfo;
	JSAMPARRAY row;

	if (setjmp(p->jb))
		return p->rc != IMAGE_OK ? p->rc : IMAGE_CORRUPT;
	jpeg_create_decompress(c);
	p->created = 1;
	/* Whole-image buffers beyond this fail with JERR_NO_BACKING_STORE (jmemnobs.c). */
	c->mem->max_memory_to_use = JPEG_MAX_MEMORY;
	c->src = &p->src;
	c->progress = &p->progress;
	jpeg_read_header(c, TRUE);
	p->rc = check_size("JPEG", c->image_width, c->image_height, p->max_pixels, p->err,
	                   p->errsz);
	if (p->rc != IMAGE_OK)
		return p->rc;

	/* Every coefficient is still entropy-decoded (which is what proves the file whole);
	 * only the cheapest IDCT and upsampling run on what comes out. */
	c->scale_num = 1;
	c->scale_denom = 8;
	c->dct_method = JDCT_IFAST;
	c->do_fancy_upsampling = FALSE;
	c->do_block_smoothing = FALSE;
	jpeg_calc_output_dimensions(c);
	if (c->out_color_components != 1 && c->out_color_components != 3 &&
	    c->out_color_components != 4) {
		set_err(p->err, p->errsz, "JPEG: %d colour components", c->out_color_components);
		return p->rc = IMAGE_UNSUPPORTED;
	}
	info->width = c->image_width;
	info->height = c->image_height;
	info->channels = (uint8_t)c->out_color_components;

	jpeg_start_decompress(c);
	row = (*c->mem->alloc_sarray)((j_common_ptr)c, JPOOL_IMAGE,
	                              c->output_width * c->output_components, 1);
	while (c->output_scanline < c->output_height)
		jpeg_read_scanlines(c, row, 1);
	/* Reads on to the EOI marker (ITU-T T.81 section B.2.1). */
	jpeg_finish_decompress(c);
	return IMAGE_OK;
}

static enum image_err jpeg_probe(int fd, uint64_t max_pixels, struct image_info *info,
                                 char *err, size_t errsz)
{
	struct jpeg_probe *p;
	enum image_err rc;

	p = calloc(1, sizeof *p);
	if (p == NULL) {
		set_err(err, errsz, "JPEG: out of memory");
		return IMAGE_INTERNAL;
	}
	p->fd = fd;
	p->max_pixels = max_pixels;
	p->err = err;
	p->errsz = errsz;
	p->cinfo.err = jpeg_std_error(&p->jerr);
	p->jerr.error_exit = jpeg_on_error;
	p->jerr.emit_message = jpeg_on_message;
	p->jerr.output_message = jpeg_on_output;
	p->cinfo.client_data = p;      /* kept by jpeg_create_decompress */
	p->src.init_source = jpeg_src_init;
	p->src.fill_input_buffer = jpeg_src_fill;
	p->src.skip_input_data = jpeg_src_skip;
	p->src.resync_to_restart = jpeg_resync_to_restart;
	p->src.term_source = jpeg_src_term;
	p->progress.progress_monitor = jpeg_on_progress;
	rc = jpeg_probe_run(p, info);
	if (rc == IMAGE_OK)
		memcpy(info->format, "jpeg", 5);
	if (p->created)
		jpeg_destroy_decompress(&p->cinfo);
	free(p);
	return rc;
}

/* ---- probe ----------------------------------------------------------------------------- */

enum image_err image_probe(int fd, uint64_t max_pixels, struct image_info *info, char *err,
                           size_t errsz)
{
	static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned char head[8];
	struct image_info found;
	enum image_err rc;
	ssize_t n;

	set_err(err, errsz, "%s", "");
	memset(&found, 0, sizeof found);
	n = pread_full(fd, head, sizeof head, 0);
	if (n < 0) {
		set_err(err, errsz, "read: %s", strerror(errno));
		return IMAGE_IO;
	}
	if (n == 0) {
		set_err(err, errsz, "empty file");
		return IMAGE_UNSUPPORTED;
	}
	/* PNG signature (PNG 3rd edition section 5.2); JPEG SOI and the next marker's 0xFF
	 * (ITU-T T.81 section B.1.1.3), as WHATWG MIME Sniffing section 6.1 matches them. */
	if (n == 8 && memcmp(head, png_sig, 8) == 0)
		rc = png_probe(fd, max_pixels, &found, err, errsz);
	else if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
		rc = jpeg_probe(fd, max_pixels, &found, err, errsz);
	else {
		set_err(err, errsz, "not a PNG or JPEG file");
		return IMAGE_UNSUPPORTED;
	}
	if (rc == IMAGE_OK)
		*info = found;
	return rc;
}

/* ---- raw pixels to PNG ----------------------------------------------------------------- */

struct png_encode {
	int             in_fd, out_fd;
	uint32_t        width, height;
	uint8_t         channels;
	png_structp     png;
	png_infop       info;
	unsigned char  *row;
	enum image_err  rc;
	char           *err;
	size_t          errsz;
	uint64_t        off;    /* out_fd offset of buf[0] */
	size_t          len;
	unsigned char   buf[IO_BUF_SIZE];
};

static void encode_on_error(png_structp png, png_const_charp msg)
{
	struct png_encode *e = png_get_error_ptr(png);

	if (e->rc == IMAGE_OK) {
		e->rc = IMAGE_INTERNAL;
		set_err(e->err, e->errsz, "PNG: %s", msg);
	}
	png_longjmp(png, 1);
}

static void encode_write_out(struct png_encode *e, const unsigned char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		do
			n = pwrite(e->out_fd, data, len, (off_t)e->off);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			e->rc = errno == ENOSPC || errno == EDQUOT ? IMAGE_NOSPC : IMAGE_IO;
			set_err(e->err, e->errsz, "PNG: write: %s", strerror(errno));
			png_longjmp(e->png, 1);
		}
		e->off += (uint64_t)n;
		data += n;
		len -= (size_t)n;
	}
}

static void encode_on_flush(png_structp png)
{
	struct png_encode *e = png_get_io_ptr(png);
	size_t len = e->len;

	e->len = 0;
	encode_write_out(e, e->buf, len);
}

static void encode_on_write(png_structp png, png_bytep data, size_t len)
{
	struct png_encode *e = png_get_io_ptr(png);

	if (len > sizeof e->buf - e->len) {
		encode_on_flush(png);
		if (len >= sizeof e->buf) {
			encode_write_out(e, data, len);
			return;
		}
	}
	memcpy(e->buf + e->len, data, len);
	e->len += len;
}

/* The libpng calls. Nothing local changes after setjmp: the state lives in *e. */
static enum image_err encode_run(struct png_encode *e, size_t rowbytes)
{
	uint32_t y;
	ssize_t n;

	if (setjmp(png_jmpbuf(e->png)))
		return e->rc != IMAGE_OK ? e->rc : IMAGE_INTERNAL;
	png_set_write_fn(e->png, e, encode_on_write, encode_on_flush);
	png_set_compression_level(e->png, PNG_ENCODE_LEVEL);
	/* IHDR (PNG 3rd edition section 11.2.1): 8-bit truecolour, with alpha for RGBA. */
	png_set_IHDR(e->png, e->info, e->width, e->height, 8,
	             e->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(e->png, e->info);
	for (y = 0; y < e->height; y++) {
		n = pread_full(e->in_fd, e->row, rowbytes, (uint64_t)y * rowbytes);
		if (n < 0) {
			set_err(e->err, e->errsz, "raw pixels: read: %s", strerror(errno));
			return e->rc = IMAGE_IO;
		}
		if ((size_t)n < rowbytes) {
			set_err(e->err, e->errsz, "raw pixels: the file ends in row %u of %u",
			        (unsigned)y, (unsigned)e->height);
			return e->rc = IMAGE_CORRUPT;
		}
		png_write_row(e->png, e->row);
	}
	png_write_end(e->png, NULL);
	encode_on_flush(e->png);
	return IMAGE_OK;
}

enum image_err image_raw_to_png(int in_fd, uint32_t width, uint32_t height, uint8_t channels,
                                int out_fd, char *err, size_t errsz)
{
	struct png_encode *e = NULL;
	enum image_err rc;
	uint64_t total, rowbytes;
	struct stat st;

	set_err(err, errsz, "%s", "");
	if (channels != 3 && channels != 4) {
		set_err(err, errsz, "raw pixels: %u channels, not 3 (rgb) or 4 (rgba)", channels);
		return IMAGE_UNSUPPORTED;
	}
	/* PNG dimensions are 1 .. 2^31-1 (section 11.2.1). */
	if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX) {
		set_err(err, errsz, "raw pixels: %ux%u cannot be a PNG", (unsigned)width,
		        (unsigned)height);
		return IMAGE_UNSUPPORTED;
	}
	/* libpng keeps several rows (filter candidates): bound them as image_probe does. */
	if (width > IMAGE_MAX_WIDTH) {
		set_err(err, errsz, "raw pixels: width %u is over the limit of %u", (unsigned)width,
		        (unsigned)IMAGE_MAX_WIDTH);
		return IMAGE_TOO_LARGE;
	}
	rowbytes = image_raw_size(width, 1, channels);
	total = image_raw_size(width, height, channels);
	if (total == 0 || rowbytes > SIZE_MAX) {
		set_err(err, errsz, "raw pixels: %ux%ux%u overflows", (unsigned)width,
		        (unsigned)height, channels);
		return IMAGE_UNSUPPORTED;
	}
	if (fstat(in_fd, &st) != 0) {
		set_err(err, errsz, "raw pixels: fstat: %s", strerror(errno));
		return IMAGE_IO;
	}
	/* Also bounds the row buffer by what was really uploaded. */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < total) {
		set_err(err, errsz, "raw pixels: %lld bytes, %ux%ux%u needs %llu",
		        (long long)st.st_size, (unsigned)width, (unsigned)height, channels,
		        (unsigned long long)total);
		return IMAGE_CORRUPT;
	}
	if (fstat(out_fd, &st) != 0 || (S_ISREG(st.st_mode) && ftruncate(out_fd, 0) != 0)) {
		rc = errno == ENOSPC || errno == EDQUOT ? IMAGE_NOSPC : IMAGE_IO;
		set_err(err, errsz, "PNG: truncate: %s", strerror(errno));
		return rc;
	}

	e = calloc(1, sizeof *e);
	if (e != NULL)
		e->row = malloc((size_t)rowbytes);
	if (e == NULL || e->row == NULL) {
		set_err(err, errsz, "PNG: out of memory");
		rc = IMAGE_INTERNAL;
		goto out;
	}
	e->in_fd = in_fd;
	e->out_fd = out_fd;
	e->width = width;
	e->height = height;
	e->channels = channels;
	e->err = err;
	e->errsz = errsz;
	e->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, encode_on_error,
	                                 png_on_warning);
	if (e->png != NULL)
		e->info = png_create_info_struct(e->png);
	if (e->png == NULL || e->info == NULL) {
		set_err(err, errsz, "PNG: cannot create a libpng writer");
		rc = IMAGE_INTERNAL;
		goto out;
	}
	rc = encode_run(e, (size_t)rowbytes);
out:
	if (e != NULL) {
		png_destroy_write_struct(&e->png, &e->info);
		free(e->row);
		free(e);
	}
	return rc;
}
