/* test_repr.c: the virtual file of a WAV header followed by PCM, read at every offset. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/repr.h"
#include "media/wav.h"

#define PCM_LEN 100

static uint8_t header[WAV_HEADER_SIZE];
static uint8_t pcm[PCM_LEN];
static uint8_t whole[WAV_HEADER_SIZE + PCM_LEN];
static struct repr rp;

static void setup(void)
{
	struct wav_format f = {16000, 1, WAV_S16LE};
	char path[] = "/tmp/test_repr.XXXXXX";
	int fd = mkstemp(path);
	size_t i;

	cr_assert_geq(fd, 0);
	unlink(path);
	for (i = 0; i < PCM_LEN; i++)
		pcm[i] = (uint8_t)(i * 7 + 3);
	cr_assert_eq(write(fd, pcm, PCM_LEN), PCM_LEN);
	cr_assert_eq(wav_header(header, &f, PCM_LEN), 0);
	memcpy(whole, header, WAV_HEADER_SIZE);
	memcpy(whole + WAV_HEADER_SIZE, pcm, PCM_LEN);
	rp = (struct repr){header, WAV_HEADER_SIZE, fd, PCM_LEN};
}

static void teardown(void)
{
	close(rp.fd);
}

TestSuite(repr, .init = setup, .fini = teardown);

Test(repr, size)
{
	cr_assert_eq(repr_size(&rp), WAV_HEADER_SIZE + PCM_LEN);
}

/* Every range [a, a + len) around the end of the header returns exactly those bytes. */
Test(repr, every_offset_around_the_header_end)
{
	uint8_t buf[64];
	uint64_t a;
	size_t len;

	for (a = 30; a < 60; a++) {
		for (len = 1; len <= 30; len++) {
			ssize_t n = repr_read(&rp, a, buf, len);
			cr_assert_eq(n, (ssize_t)len, "offset %llu len %zu", (unsigned long long)a, len);
			cr_assert_arr_eq(buf, whole + a, len, "offset %llu len %zu",
			                 (unsigned long long)a, len);
		}
	}
}

/* The example: bytes=40-50 is header bytes 40..43 and PCM bytes 0..6. */
Test(repr, bytes_40_50)
{
	uint8_t buf[11];

	cr_assert_eq(repr_read(&rp, 40, buf, sizeof buf), 11);
	cr_assert_arr_eq(buf, header + 40, 4);
	cr_assert_arr_eq(buf + 4, pcm, 7);
}

Test(repr, clamped_at_the_end)
{
	uint8_t buf[200];

	cr_assert_eq(repr_read(&rp, 0, buf, sizeof buf), WAV_HEADER_SIZE + PCM_LEN);
	cr_assert_arr_eq(buf, whole, sizeof whole);
	cr_assert_eq(repr_read(&rp, sizeof whole - 1, buf, 10), 1);
	cr_assert_eq(buf[0], whole[sizeof whole - 1]);
	cr_assert_eq(repr_read(&rp, sizeof whole, buf, 10), 0);
	cr_assert_eq(repr_read(&rp, UINT64_MAX, buf, 10), 0);
	cr_assert_eq(repr_read(&rp, 5, buf, 0), 0);
}

Test(repr, prefix_only_and_file_only)
{
	struct repr p = {header, WAV_HEADER_SIZE, -1, 0};
	struct repr f = {NULL, 0, rp.fd, PCM_LEN};
	uint8_t buf[128];

	cr_assert_eq(repr_read(&p, 2, buf, sizeof buf), WAV_HEADER_SIZE - 2);
	cr_assert_arr_eq(buf, header + 2, WAV_HEADER_SIZE - 2);
	cr_assert_eq(repr_read(&f, 10, buf, sizeof buf), PCM_LEN - 10);
	cr_assert_arr_eq(buf, pcm + 10, PCM_LEN - 10);
}

Test(repr, file_shorter_than_claimed)
{
	struct repr bad = {header, WAV_HEADER_SIZE, rp.fd, PCM_LEN + 10};
	uint8_t buf[200];

	cr_assert_eq(repr_read(&bad, 0, buf, sizeof buf), -1);
}
