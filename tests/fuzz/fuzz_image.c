/* fuzz_image.c: libFuzzer harness for PNG/JPEG validation (media/image.c, image_probe). */
// fuzz-sources: media/image.c
// fuzz-pkgs: libpng libjpeg
// fuzz-max-len: 65536
/*
 * Build and run:
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       -o fuzz_image tests/fuzz/fuzz_image.c media/image.c $(pkg-config --cflags --libs \
 *       libpng libjpeg)
 *   ./fuzz_image -max_total_time=60 tests/fuzz/corpus/image
 * Each input is written to a memfd (image_probe reads a file descriptor) and probed with a
 * small pixel limit, so that a header may claim anything without the run decoding much.
 * Invariants failing abort(): an accepted image is within the limit and names its format, an
 * error comes with a reason, and the fd offset never moves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "media/image.h"

#define FUZZ_MAX_PIXELS (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct image_info info;
	enum image_err rc;
	char err[128];
	size_t done = 0;
	ssize_t n;

	if (fd < 0 && (fd = memfd_create("fuzz_image", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0)
		abort();
	while (done < size) {
		n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	if (lseek(fd, 3, SEEK_SET) != 3)
		abort();

	memset(&info, 0, sizeof info);
	memset(err, 'x', sizeof err);
	rc = image_probe(fd, FUZZ_MAX_PIXELS, &info, err, sizeof err);
	if (memchr(err, '\0', sizeof err) == NULL)
		abort();
	if (lseek(fd, 0, SEEK_CUR) != 3)
		abort();
	switch (rc) {
	case IMAGE_OK:
		if (err[0] != '\0' || info.width == 0 || info.height == 0 ||
		    (uint64_t)info.width * info.height > FUZZ_MAX_PIXELS)
			abort();
		if (strcmp(info.format, "png") == 0) {
			if (info.channels < 1 || info.channels > 4 || memcmp(data, "\x89PNG", 4))
				abort();
		} else if (strcmp(info.format, "jpeg") == 0) {
			if ((info.channels != 1 && info.channels != 3 && info.channels != 4) ||
			    data[0] != 0xff)
				abort();
		} else {
			abort();
		}
		break;
	case IMAGE_UNSUPPORTED:
	case IMAGE_CORRUPT:
	case IMAGE_TOO_LARGE:
		if (err[0] == '\0')
			abort();
		break;
	default:
		/* A memfd does not fail to read, and nothing here should run out of memory. */
		abort();
	}
	return 0;
}
