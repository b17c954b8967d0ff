/* image.h: PNG (libpng) and JPEG (libjpeg-turbo) validation, raw pixels to PNG. */
#ifndef MG_IMAGE_H
#define MG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum image_err {
	IMAGE_OK = 0,
	IMAGE_UNSUPPORTED,   /* neither PNG nor JPEG */
	IMAGE_CORRUPT,       /* a PNG or JPEG that does not decode (truncated, bad CRC, ...) */
	IMAGE_TOO_LARGE,     /* width x height over the pixel limit */
	IMAGE_IO,            /* reading or writing failed (errno kept) */
	IMAGE_NOSPC,         /* writing failed with ENOSPC / EDQUOT */
	IMAGE_INTERNAL       /* memory or library failure */
};

struct image_info {
	uint32_t width;      /* pixels */
	uint32_t height;     /* pixels */
	uint8_t  channels;   /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (JPEG: 1, 3 or 4 for CMYK) */
	char     format[8];  /* "png", "jpeg", "rgb", "rgba" */
};

/*
 * image_probe: recognise a PNG (signature, PNG specification 3rd edition section 5.2) or a JPEG
 * (SOI marker) in fd (read with pread from offset 0), read its header, refuse more than
 * max_pixels (IMAGE_TOO_LARGE, decided from the header before any pixel is decoded), then decode
 * it row by row, keeping one row in memory, to prove it is complete and uncorrupted.
 * Returns IMAGE_OK and *info, or an error with the library's reason in err (errsz bytes).
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
 * bottom without padding, read with pread from in_fd at offset 0, as a PNG written to out_fd
 * from offset 0 (truncated first), one row in memory at a time (libpng). Returns IMAGE_OK or an
 * error with its reason in err.
 */
enum image_err image_raw_to_png(int in_fd, uint32_t width, uint32_t height, uint8_t channels,
                                int out_fd, char *err, size_t errsz);

#endif
