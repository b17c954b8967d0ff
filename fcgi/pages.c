/* pages.c: the HTML pages: GET / (the upload form) and GET /inputs/ID/view. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/handlers.h"

#define PAGE_RAW_SIDE_MAX 1048576   /* the largest width or height of raw pixels (meta.h) */

/*
 * The pages' one style sheet. It is inline, allowed by its hash rather than by 'unsafe-inline',
 * so that the CSP still refuses every other inline style (CSP Level 3 section 8.3).
 */
static const char page_style[] =
	"body{font-family:sans-serif;max-width:48em;margin:2em auto;padding:0 1em}"
	"th{text-align:left;padding-right:1em;vertical-align:top}td{overflow-wrap:anywhere}"
	"video,img,canvas{max-width:100%;height:auto}audio{width:100%}"
	"canvas{image-rendering:pixelated;border:1px solid #ccc}"
	"fieldset{border:1px solid #ccc;margin:0 0 1em}fieldset p{margin:.3em 0}"
	"progress{width:16em;vertical-align:middle}.error{color:#b00020}";

/*
 * What the pages use and nothing else: our script (no inline script), XHR and fetch to us, media
 * and images from us, the style above by hash, forms posted to us. img-src also allows data:
 * for the empty favicon (<link rel=icon href="data:,">), which spares the browser a request for
 * /favicon.ico that would only get a 404; a data: image cannot run script.
 */
static const char *page_csp(void)
{
	static char csp[512];
	unsigned char md[EVP_MAX_MD_SIZE], b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;

	if (csp[0] != '\0')
		return csp;
	if (EVP_Digest(page_style, sizeof page_style - 1, md, &mdlen, EVP_sha256(), NULL) != 1)
		return NULL;
	EVP_EncodeBlock(b64, md, (int)mdlen);
	snprintf(csp, sizeof csp, "default-src 'none'; script-src 'self'; connect-src 'self'; "
	         "img-src 'self' data:; media-src 'self'; style-src 'sha256-%s'; "
	         "form-action 'self'; base-uri 'none'; frame-ancestors 'none'", (const char *)b64);
	return csp;
}

/* Write s with the five HTML-significant characters escaped (HTML Standard, 13.1.2.6 text). */
static void html_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* The document up to and including <body>; title is escaped; links start with prefix. */
static void page_begin(FILE *f, const char *prefix, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	html_escape(f, title);
	fputs("</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>", f);
	fputs(page_style, f);
	fputs("</style>\n<script src=\"", f);
	html_escape(f, prefix);
	fputs("/static/mediagate.js\" defer></script>\n</head>\n<body>\n", f);
}

/* Send the page built in text (len bytes). */
static void send_page(struct req *r, const char *text, size_t len)
{
	const char *csp = page_csp();

	if (csp == NULL) {
		resp_error(r, 500, "internal", "could not hash the style sheet");
		return;
	}
	resp_status(r, 200);
	resp_header(r, "Content-Type", "text/html; charset=utf-8");
	resp_header(r, "Content-Length", "%zu", len);
	resp_header(r, "Content-Security-Policy", "%s", csp);
	resp_header(r, "Cache-Control", "no-store");
	resp_body_start(r);
	resp_write(r, text, len);
}

/*
 * A page whose body is fixed but for the mount prefix: body_html with each "@PREFIX@" replaced
 * by the request's prefix (escaped), between page_begin and the end of the document.
 */
static void send_fixed_page(struct req *r, const char *title, const char *body_html)
{
	static const char mark[] = "@PREFIX@";
	const char *at;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	page_begin(f, r->prefix, title);
	while ((at = strstr(body_html, mark)) != NULL) {
		fwrite(body_html, 1, (size_t)(at - body_html), f);
		html_escape(f, r->prefix);
		body_html = at + sizeof mark - 1;
	}
	fputs(body_html, f);
	fputs("</body>\n</html>\n", f);
	if (fclose(f) != 0)
		resp_error(r, 500, "internal", "out of memory");
	else
		send_page(r, text, len);
	free(text);
}

/*
 * The upload form. Without JavaScript it is a plain multipart form post (kind before file, so
 * that the server reads the kind first) answered 303 to the view page. The "send as" fieldset is
 * hidden and disabled, so it sends nothing, until mediagate.js enables it and takes over the
 * submission (XMLHttpRequest with upload progress, decoding in the browser).
 */
void page_upload(struct req *r, const char *id)
{
	static const char body[] =
		"<h1>mediagate</h1>\n"
		"<form id=\"upload\" method=\"post\" action=\"@PREFIX@/inputs\" "
		"enctype=\"multipart/form-data\">\n"
		"<p><label>Kind <select name=\"kind\" id=\"kind\">\n"
		"<option value=\"audio\">audio</option>\n<option value=\"image\">image</option>\n"
		"<option value=\"video\">video</option>\n<option value=\"file\">file</option>\n"
		"</select></label></p>\n"
		"<p><label>File <input type=\"file\" name=\"file\" id=\"file\" required></label></p>\n"
		"<fieldset id=\"send-as\" hidden disabled>\n<legend>Send as</legend>\n"
		"<p><label><input type=\"radio\" name=\"send_as\" value=\"file\" checked> "
		"the file as it is</label></p>\n"
		"<p><label><input type=\"radio\" name=\"send_as\" value=\"pcm\" id=\"send-pcm\"> "
		"decoded PCM (32-bit float) at</label>\n"
		"<select name=\"decode_rate\" id=\"decode-rate\" aria-label=\"sampling rate\">\n"
		"<option value=\"16000\" selected>16000</option>\n"
		"<option value=\"22050\">22050</option>\n<option value=\"44100\">44100</option>\n"
		"<option value=\"48000\">48000</option>\n</select> Hz "
		"(audio, decoded in the browser)</p>\n"
		"<p><label><input type=\"radio\" name=\"send_as\" value=\"pixels\" id=\"send-pixels\"> "
		"raw RGBA pixels (image, decoded in the browser)</label></p>\n"
		"</fieldset>\n"
		"<p><button type=\"submit\">Upload</button>\n"
		"<progress id=\"progress\" max=\"1\" value=\"0\" hidden></progress></p>\n"
		"<p id=\"status\" role=\"status\"></p>\n"
		"</form>\n"
		"<p>Or from a program: <code>curl -F kind=audio -F file=@speech.wav URL/inputs</code>"
		" (see README.md for the API).</p>\n"
		"<p>Or <a href=\"@PREFIX@/record\">record</a> from the microphone or the camera.</p>\n";

	send_fixed_page(r, "mediagate: upload", body);
}

/* One table row; name and value are escaped. */
static void row(FILE *f, const char *name, const char *value)
{
	fputs("<tr><th>", f);
	html_escape(f, name);
	fputs("</th><td>", f);
	html_escape(f, value);
	fputs("</td></tr>\n", f);
}

/* A row for a metadata value: strings as they are, other JSON values as JSON text. */
static void json_row(FILE *f, const char *name, const json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		row(f, name, json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	row(f, name, text != NULL ? text : "?");
	free(text);
}

/*
 * The metadata rows: each member of the metadata object, and each member of a member that is
 * an object ("audio", "image") as "audio sampling_rate", one level deep.
 */
static void metadata_rows(FILE *f, const json_t *meta)
{
	const char *key, *sub;
	json_t *v, *w;
	char name[128];

	json_object_foreach((json_t *)meta, key, v) {
		if (!json_is_object(v)) {
			json_row(f, key, v);
			continue;
		}
		json_object_foreach(v, sub, w) {
			snprintf(name, sizeof name, "%s %s", key, sub);
			json_row(f, name, w);
		}
	}
}

/* The pixel layout of raw pixels: from metadata "image", else the fields as sent. */
struct raw_pixels {
	const char *format;   /* "rgb" or "rgba" */
	json_int_t  width, height;
};

/* 1 and *px when the input is raw pixels of a usable shape, else 0. */
static int raw_pixels(const json_t *meta, struct raw_pixels *px)
{
	const json_t *img = json_object_get(meta, "image"), *src = json_is_object(img) ? img : meta;
	const char *fmt = json_string_value(json_object_get(src, "format"));
	const json_t *w = json_object_get(src, "width"), *h = json_object_get(src, "height");

	if (fmt == NULL || (strcmp(fmt, "rgb") != 0 && strcmp(fmt, "rgba") != 0))
		return 0;
	if (!json_is_integer(w) || !json_is_integer(h))
		return 0;
	px->format = fmt;
	px->width = json_integer_value(w);
	px->height = json_integer_value(h);
	return px->width >= 1 && px->width <= PAGE_RAW_SIDE_MAX && px->height >= 1 &&
	       px->height <= PAGE_RAW_SIDE_MAX;
}

/*
 * The record page: the microphone or the camera through MediaRecorder (timeslice 1 s), each
 * chunk sent by mediagate.js as a tus PATCH of an upload with a deferred length (/uploads), a
 * live link that plays the recording while it is made (?follow=1), and the input at the end.
 * It needs JavaScript, and a secure context (HTTPS or localhost) for getUserMedia.
 */
void page_record(struct req *r, const char *id)
{
	static const char body[] =
		"<h1>Record</h1>\n"
		"<form id=\"record\" data-uploads=\"@PREFIX@/uploads\" "
		"data-inputs=\"@PREFIX@/inputs\">\n"
		"<p><label>Record <select name=\"source\" id=\"source\">\n"
		"<option value=\"audio\">the microphone</option>\n"
		"<option value=\"video\">the camera and the microphone</option>\n"
		"</select></label></p>\n"
		"<p><button type=\"button\" id=\"start\">Start</button>\n"
		"<button type=\"button\" id=\"stop\" disabled>Stop</button></p>\n"
		"<p>Sent: <output id=\"sent\">0</output> bytes</p>\n"
		"<p id=\"status\" role=\"status\"></p>\n"
		"<p><a id=\"live\" hidden>play while recording</a> "
		"<a id=\"done\" hidden>the recording</a></p>\n"
		"</form>\n<noscript><p>Recording needs JavaScript.</p></noscript>\n";

	send_fixed_page(r, "mediagate: record", body);
}

/* The media element for in, its bytes at url (already a safe path, escaped anyway). */
static void media_element(FILE *f, const struct store_input *in, const json_t *meta,
                          const char *url)
{
	struct raw_pixels px;

	if (strcmp(in->kind, "audio") == 0) {
		fputs("<p><audio id=\"media\" controls preload=\"metadata\" src=\"", f);
		html_escape(f, url);
		fputs("\"></audio></p>\n", f);
	} else if (strcmp(in->kind, "video") == 0) {
		fputs("<p><video id=\"media\" controls preload=\"metadata\" src=\"", f);
		html_escape(f, url);
		fputs("\"></video></p>\n", f);
	} else if (strcmp(in->kind, "image") == 0 && raw_pixels(meta, &px)) {
		/* Drawn by mediagate.js; without script the canvas shows its fallback content
		   (HTML Standard 4.12.5), a link to the same pixels as PNG. */
		fprintf(f, "<p><canvas id=\"pixels\" width=\"%lld\" height=\"%lld\" data-width=\"%lld\" "
		        "data-height=\"%lld\" data-format=\"%s\" data-src=\"", (long long)px.width,
		        (long long)px.height, (long long)px.width, (long long)px.height, px.format);
		html_escape(f, url);
		fputs("\">Raw pixels are drawn with JavaScript: see them <a href=\"", f);
		html_escape(f, url);
		fputs("&amp;format=png\">as PNG</a>.</canvas></p>\n"
		      "<p id=\"pixels-status\" role=\"status\"></p>\n", f);
	} else if (strcmp(in->kind, "image") == 0) {
		fputs("<p><img id=\"media\" alt=\"the uploaded image\" src=\"", f);
		html_escape(f, url);
		fputs("\"></p>\n", f);
	} else {
		fputs("<p><a download href=\"", f);
		html_escape(f, url);
		fputs("\">Download</a></p>\n", f);
	}
}

void page_view(struct req *r, const char *id)
{
	struct store_input in;
	struct token_claims c;
	struct raw_pixels px;
	char url[REQ_PREFIX_MAX + 256], tok[TOKEN_LEN + 2], num[32], *text = NULL;
	size_t len = 0;
	json_t *meta = NULL;
	FILE *f;

	if (auth_token(r, id, &in, &c) != 0)
		return;
	meta = json_loads(in.metadata_json != NULL ? in.metadata_json : "{}", 0, NULL);
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	if (meta == NULL || (f = open_memstream(&text, &len)) == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	/* The token verified, so it is base64url: the URL needs no escaping, but gets it. */
	auth_request_token(r, tok, sizeof tok);
	snprintf(url, sizeof url, "%s/inputs/%s/content?token=%s", r->prefix, in.id, tok);
	page_begin(f, r->prefix, in.filename[0] != '\0' ? in.filename : in.id);
	fputs("<h1>", f);
	html_escape(f, in.filename[0] != '\0' ? in.filename : in.id);
	fputs("</h1>\n", f);
	media_element(f, &in, meta, url);
	fputs("<table>\n", f);
	row(f, "id", in.id);
	row(f, "kind", in.kind);
	row(f, "content type", in.content_type);
	snprintf(num, sizeof num, "%llu bytes", (unsigned long long)in.size);
	row(f, "size", num);
	row(f, "sha256", in.sha256);
	metadata_rows(f, meta);
	fputs("</table>\n<p><a href=\"", f);
	html_escape(f, url);
	fputs("\">content</a>", f);
	if (strcmp(in.kind, "audio") == 0) {
		fputs(" · <a href=\"", f);
		html_escape(f, url);
		fputs("&amp;format=original\">as uploaded</a>", f);
	} else if (strcmp(in.kind, "image") == 0 && raw_pixels(meta, &px)) {
		fputs(" · <a href=\"", f);
		html_escape(f, url);
		fputs("&amp;format=png\">as PNG</a>", f);
	}
	fputs(" · <a href=\"", f);
	html_escape(f, r->prefix);
	fputs("/\">upload another</a></p>\n</body>\n</html>\n", f);
	if (fclose(f) != 0) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	send_page(r, text, len);
out:
	json_decref(meta);
	free(text);
	store_input_free(&in);
}
