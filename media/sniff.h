/* sniff.h: a media type from a file's first bytes, for uploads sent as application/octet-stream. */
#ifndef MG_SNIFF_H
#define MG_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#define SNIFF_BYTES 16   /* how many leading bytes media_sniff looks at */

/*
 * media_sniff: the media type that the signature at the start of a file names, following the
 * "sniffing a mislabeled binary resource" tables of the WHATWG MIME Sniffing Standard, sections
 * 6.1 (images) and 6.2 (audio and video), for the formats mediagate serves: WAV (RIFF....WAVE),
 * AIFF (FORM....AIFF), Ogg (OggS), FLAC (fLaC), MP3 (ID3 tag or an MPEG frame sync), MP4
 * (....ftyp), WebM/Matroska (EBML 1A 45 DF A3), PNG, JPEG, GIF, WebP (RIFF....WEBP).
 * head holds the first len bytes (fewer than SNIFF_BYTES is fine). Returns a static string such
 * as "audio/wav", or NULL when nothing matches. Active types (HTML, SVG, script) are never
 * returned.
 */
const char *media_sniff(const uint8_t *head, size_t len);

#endif
