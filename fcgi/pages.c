/* pages.c: the HTML pages: GET / (the upload form) and GET /inputs/ID/view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/handlers.h"

/* Only what the pages use: the form posts to us, media and images come from us, inline CSS. */
#define PAGE_CSP "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; " \
                 "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>%s</title>\n<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;"
	"padding:0 1em}th{text-align:left;padding-right:1em}audio,video,img{max-width:100%%}</style>\n"
	"</head>\n<body>\n";

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

/* Send the page built in text (len bytes). */
static void send_page(struct req *r, const char *text, size_t len)
{
	resp_status(r, 200);
	resp_header(r, "Content-Type", "text/html; charset=utf-8");
	resp_header(r, "Content-Length", "%zu", len);
	resp_header(r, "Content-Security-Policy", PAGE_CSP);
	resp_header(r, "Cache-Control", "no-store");
	resp_body_start(r);
	resp_write(r, text, len);
}

void page_upload(struct req *r, const char *id)
{
	static const char form[] =
		"<h1>mediagate</h1>\n"
		"<form method=\"post\" action=\"/inputs\" enctype=\"multipart/form-data\">\n"
		"<p><label>File <input type=\"file\" name=\"file\" required></label></p>\n"
		"<p><label>Kind <select name=\"kind\">\n"
		"<option value=\"audio\">audio</option>\n<option value=\"image\">image</option>\n"
		"<option value=\"video\">video</option>\n<option value=\"file\">file</option>\n"
		"</select></label></p>\n"
		"<p><button type=\"submit\">Upload</button></p>\n</form>\n"
		"<p>Or from a program: <code>curl -F file=@speech.wav -F kind=audio URL/inputs</code>"
		" (see README.md for the API).</p>\n</body>\n</html>\n";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	fprintf(f, page_head, "mediagate: upload");
	fputs(form, f);
	if (fclose(f) != 0) {
		free(text);
		resp_error(r, 500, "internal", "out of memory");
		return;
	}
	send_page(r, text, len);
	free(text);
}

static void row(FILE *f, const char *name, const char *value)
{
	fprintf(f, "<tr><th>%s</th><td>", name);
	html_escape(f, value);
	fputs("</td></tr>\n", f);
}

void page_view(struct req *r, const char *id)
{
	struct store_input in;
	struct token_claims c;
	char url[256], tok[TOKEN_LEN + 2], num[32], *text = NULL;
	size_t len = 0;
	FILE *f;

	if (auth_token(r, id, &in, &c) != 0)
		return;
	if ((f = open_memstream(&text, &len)) == NULL) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	/* The token verified, so it is base64url: the URL needs no escaping, but gets it. */
	auth_request_token(r, tok, sizeof tok);
	snprintf(url, sizeof url, "/inputs/%s/content?token=%s", in.id, tok);
	fprintf(f, page_head, "mediagate: view");
	fputs("<h1>", f);
	html_escape(f, in.filename[0] ? in.filename : in.id);
	fputs("</h1>\n", f);
	if (strcmp(in.kind, "audio") == 0)
		fputs("<p><audio controls preload=\"metadata\" src=\"", f);
	else if (strcmp(in.kind, "video") == 0)
		fputs("<p><video controls preload=\"metadata\" src=\"", f);
	else if (strcmp(in.kind, "image") == 0)
		fputs("<p><img alt=\"the uploaded image\" src=\"", f);
	else
		fputs("<p><a download href=\"", f);
	html_escape(f, url);
	fputs(strcmp(in.kind, "audio") == 0 ? "\"></audio></p>\n"
	      : strcmp(in.kind, "video") == 0 ? "\"></video></p>\n"
	      : strcmp(in.kind, "image") == 0 ? "\"></p>\n" : "\">Download</a></p>\n", f);
	fputs("<table>\n", f);
	row(f, "id", in.id);
	row(f, "kind", in.kind);
	row(f, "content type", in.content_type);
	snprintf(num, sizeof num, "%llu bytes", (unsigned long long)in.size);
	row(f, "size", num);
	row(f, "sha256", in.sha256);
	row(f, "metadata", in.metadata_json ? in.metadata_json : "{}");
	fputs("</table>\n<p><a href=\"", f);
	html_escape(f, url);
	fputs("\">content</a> · <a href=\"/\">upload another</a></p>\n</body>\n</html>\n", f);
	if (fclose(f) != 0) {
		resp_error(r, 500, "internal", "out of memory");
		goto out;
	}
	send_page(r, text, len);
out:
	free(text);
	store_input_free(&in);
}
