/* test_sniff.c: media types from leading bytes. */
#include <criterion/criterion.h>
#include <string.h>

#include "media/sniff.h"

static const char *sniff(const char *bytes, size_t len)
{
	return media_sniff((const uint8_t *)bytes, len);
}

#define SNIFF(lit) sniff(lit, sizeof lit - 1)

Test(sniff, known_signatures)
{
	cr_assert_str_eq(SNIFF("RIFF\x24\x08\0\0WAVEfmt "), "audio/wav");
	cr_assert_str_eq(SNIFF("RIFF\x24\x08\0\0WEBPVP8 "), "image/webp");
	cr_assert_str_eq(SNIFF("FORM\0\0\0\x10" "AIFFCOMM"), "audio/aiff");
	cr_assert_str_eq(SNIFF("OggS\0\x02\0\0"), "audio/ogg");
	cr_assert_str_eq(SNIFF("fLaC\0\0\0\x22"), "audio/flac");
	cr_assert_str_eq(SNIFF("ID3\x04\0\0"), "audio/mpeg");
	cr_assert_str_eq(SNIFF("\xff\xfb\x90\x64"), "audio/mpeg");
	cr_assert_str_eq(SNIFF("\0\0\0\x20" "ftypisom"), "video/mp4");
	cr_assert_str_eq(SNIFF("\x1a\x45\xdf\xa3\x9f"), "video/webm");
	cr_assert_str_eq(SNIFF("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
	cr_assert_str_eq(SNIFF("\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
	cr_assert_str_eq(SNIFF("GIF89a\x01\0"), "image/gif");
}

Test(sniff, no_match)
{
	cr_assert_null(SNIFF(""));
	cr_assert_null(SNIFF("<!DOCTYPE html><html>"));
	cr_assert_null(SNIFF("<svg xmlns="));
	cr_assert_null(SNIFF("RIFF\0\0\0\0AVI LIST"));
	cr_assert_null(SNIFF("XXXX\0\0\0\0WAVEfmt "));     /* WAVE without RIFF */
	cr_assert_null(SNIFF("RIFF\0\0\0\0WAV"));          /* too short */
	cr_assert_null(SNIFF("\xff\xe0"));                 /* frame sync, reserved layer */
	cr_assert_null(SNIFF("\x89PNG\r\n\x1a"));          /* truncated signature */
	cr_assert_null(SNIFF("OggS"));                     /* needs its version byte */
}
