/* image.h: PNG (libpng) and JPEG (libjpeg-turbo) validation, raw pixels to PNG. */
#ifndef MG_IMAGE_H
#define MG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum image_err {
	IMAGE_OK = 0,
	IMAGE_UNSUPPORTED,   /* neither PNG nor JPEG (or a JPEG of 2 components); bad arguments */
	IMAGE_CORRUPT,       /* a PNG or JPEG that does not decode (truncated, bad CRC, ...) */
	IMAGE_TOO_LARGE,     /* width x height over the pixel limit (or see image_probe) */
	IMAGE_IO,            /* reading or writing failed (errno kept) */
	IMAGE_NOSPC,         /* writing failed with ENOSPC / EDQUOT */
	IMAGE_INTERNAL       /* memory or library failure */
};

struct image_info {
	uint32_t width;      /* pixels */
	uint32_t height;     /* pixels */
	uint8_t  channels;   /* 1 gray (or PNG palette), 2 gray+alpha, 3 RGB, 4 RGBA (JPEG: 1, 3 or
	                        4 for CMYK) */
	char     format[8];  /* "png", "jpeg", "rgb", "rgba" */
};

/* The widest image image_probe and image_raw_to_png accept: bounds the rows kept in memory
 * (8 MiB at 16-bit RGBA). Browsers' canvases are at most 65535 wide. */
#define IMAGE_MAX_WIDTH 1048576u

/*
 * image_probe: recognise a PNG (signature, PNG specification 3rd edition section 5.2) or a JPEG
 * (SOI marker) in fd (read with pread from offset 0; the fd offset is not moved), read its
 * header, refuse more than max_pixels or a width over IMAGE_MAX_WIDTH (IMAGE_TOO_LARGE, decided
 * from the header before any pixel is decoded), then decode it row by row, keeping one row in
 * memory, to prove it is complete and uncorrupted: every CRC and IEND for PNG, every scan and
 * EOI for JPEG (libjpeg's warnings about missing or damaged data count as corruption).
 * Progressive JPEGs are the exception to one row: libjpeg keeps all their coefficients, so one
 * needing more than 256 MiB for them is IMAGE_TOO_LARGE too; more than 1000 scans is corrupt.
 * channels is the PNG's before any transformation (palette counts 1) or libjpeg's output
 * components. Returns IMAGE_OK and *info, or an error with the library's reason in err
 * (errsz bytes; "" on success).
 */
enum image_err image_probe(int fd, uint64_t max_pixels, struct image_info *info, char *err,
                           size_t errsz);

/*
 * image_raw_size: the byte size of width x height pixels of channels bytes each, or 0 when it
 * overflows 64 bits or a factor is 0.
 */
uint64_t image_raw_size(uint64_t width, uint64_t height, uint64_t channels);

/*
 * image_raw_to_png: encode raw 8-bit RGB (channels 3) or RGBA (channels 4) pixels, rows top to
 * bottom without padding, read with pread from in_fd at offset 0, as a PNG written with pwrite
 * to out_fd from offset 0 (truncated first when it is a regular file), one row in memory at a
 * time (libpng, zlib level 6). Returns IMAGE_OK, or an error with its reason in err:
 * IMAGE_UNSUPPORTED for channels other than 3 or 4 or a zero or over-2^31-1 dimension,
 * IMAGE_TOO_LARGE for a width over IMAGE_MAX_WIDTH (the rows libpng keeps), IMAGE_CORRUPT when in_fd holds fewer than width x height x channels bytes, IMAGE_NOSPC or
 * IMAGE_IO when writing or reading fails. After an error out_fd may hold a partial PNG.
 */
enum image_err image_raw_to_png(int in_fd, uint32_t width, uint32_t height, uint8_t channels,
                                int out_fd, char *err, size_t errsz);

#endif
