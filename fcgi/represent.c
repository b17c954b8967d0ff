/* represent.c: which representation of an input a read gets, made (once) when it is derived. */
#include "fcgi/represent.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/audio.h"
#include "media/image.h"

/* What a derived representation is made from, and how. */
struct recipe {
	const struct store_input *in;
	int                       is_pcm;       /* audio: the input is raw PCM in pcm */
	struct wav_format         pcm;
	uint32_t                  rate;         /* audio: output rate and channels, 0 = as the input */
	uint16_t                  channels;
	enum wav_sample           out_sample;
	uint32_t                  width, height;   /* raw pixels */
	uint8_t                   pixel_channels;
};

/* Append the string s to out[*len] (size bytes with the NUL), cut to fit as snprintf cuts. */
static void put(char *out, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n >= size)
		n = size - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

/* The strong entity-tag "SHA" or "SHA-VARIANT" (built without printf: every read sets one). */
static void set_etag(struct served *s, const struct store_input *in, const char *variant)
{
	size_t len = 0;

	put(s->etag, sizeof s->etag, &len, "\"");
	put(s->etag, sizeof s->etag, &len, in->sha256);
	if (variant != NULL) {
		put(s->etag, sizeof s->etag, &len, "-");
		put(s->etag, sizeof s->etag, &len, variant);
	}
	put(s->etag, sizeof s->etag, &len, "\"");
}

/* The name of the file that is the whole body under objects/ (README, "Storage layout"): the
   stored input's id (checked by the store) and a variant this module made. */
static void set_object(struct served *s, const struct store_input *in, const char *variant)
{
	size_t len = 0;
	char dir[4] = {in->id[0], in->id[0] ? in->id[1] : '\0', '\0', '\0'};

	put(s->object, sizeof s->object, &len, dir);
	put(s->object, sizeof s->object, &len, "/");
	put(s->object, sizeof s->object, &len, in->id);
	if (variant != NULL) {
		put(s->object, sizeof s->object, &len, ".");
		put(s->object, sizeof s->object, &len, variant);
	}
}

/* Open the input's own bytes, checked against the index's size. 0, or -1 after answering. */
static int open_stored(struct req *r, const struct store_input *in, int *fd)
{
	enum store_err se = store_input_open(r->app->store, in, fd);
	struct stat sb;

	if (se == STORE_OK) {
		if (fstat(*fd, &sb) == 0 && (uint64_t)sb.st_size == in->size)
			return 0;
		close(*fd);
		*fd = -1;
		resp_error(r, 500, "internal", "the stored file does not have the indexed size");
		return -1;
	}
	if (se == STORE_GONE)
		resp_error(r, 410, "input_deleted", "this input was deleted");
	else
		resp_error(r, 500, "internal", "the stored file cannot be opened");
	return -1;
}

/* Write the derived representation of rc to out_fd; a media error's reason goes to err. */
static int make(const struct recipe *rc, int in_fd, int out_fd, int *nospc, char *err, size_t errsz)
{
	if (rc->width != 0) {
		enum image_err e = image_raw_to_png(in_fd, rc->width, rc->height, rc->pixel_channels,
		                                    out_fd, err, errsz);
		*nospc = e == IMAGE_NOSPC;
		return e == IMAGE_OK ? 0 : -1;
	} else {
		struct audio_source src = {in_fd, rc->is_pcm, rc->pcm};
		enum audio_err e = audio_to_wav(&src, rc->rate, rc->channels, rc->out_sample, out_fd,
		                                NULL, err, errsz);
		*nospc = e == AUDIO_NOSPC;
		return e == AUDIO_OK ? 0 : -1;
	}
}

/*
 * Open derived representation variant, making it first when the store has none: concurrent
 * readers may both make it; each commit is an atomic rename of equal bytes. 0, or -1 after
 * answering.
 */
static int open_derived(struct req *r, const struct recipe *rc, const char *variant,
                        struct served *out)
{
	struct store *st = r->app->store;
	struct store_derived *d;
	char err[256] = "";
	int in_fd = -1, out_fd, nospc = 0;
	struct stat sb;
	enum store_err se = store_derived_open(st, rc->in->id, variant, &out->fd);

	if (se == STORE_NOT_FOUND) {
		if (open_stored(r, rc->in, &in_fd) != 0)
			return -1;
		se = store_derived_begin(st, rc->in->id, variant, &d, &out_fd);
		if (se == STORE_OK && make(rc, in_fd, out_fd, &nospc, err, sizeof err) != 0) {
			store_derived_abort(d);
			se = nospc ? STORE_NOSPC : STORE_IO;
		} else if (se == STORE_OK) {
			se = store_derived_commit(d);
		}
		close(in_fd);
		if (se == STORE_OK)
			se = store_derived_open(st, rc->in->id, variant, &out->fd);
	}
	if (se == STORE_OK && fstat(out->fd, &sb) != 0)
		se = STORE_IO;
	switch (se) {
	case STORE_OK:
		out->body = (struct repr){NULL, 0, out->fd, (uint64_t)sb.st_size};
		set_etag(out, rc->in, variant);
		set_object(out, rc->in, variant);
		return 0;
	case STORE_GONE:
		resp_error(r, 410, "input_deleted", "this input was deleted");
		break;
	case STORE_NOSPC:
		resp_error(r, 507, "insufficient_storage", "no room to make the %s representation",
		           variant);
		break;
	default:
		fprintf(stderr, "mediagate: input %s: making %s failed: %s\n", rc->in->id, variant,
		        err[0] ? err : store_errmsg(st));
		resp_error(r, 500, "internal", "could not make the %s representation", variant);
	}
	return -1;
}

/* 1 when the store holds derived representation variant of in. */
static int has_derived(struct req *r, const struct store_input *in, const char *variant)
{
	int fd;

	if (store_derived_open(r->app->store, in->id, variant, &fd) != STORE_OK)
		return 0;
	close(fd);
	return 1;
}

/* A query parameter that must be a whole number in [min, max]; 0 absent, 1 set, -1 invalid. */
static int query_count(struct req *r, const char *key, long min, long max, long *out)
{
	char buf[16], *end;
	int q = req_query(r, key, buf, sizeof buf);

	if (q <= 0)
		return q;
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	*out = strtol(buf, &end, 10);
	return *end == '\0' && *out >= min && *out <= max ? 1 : -1;
}

static int represent_audio(struct req *r, json_t *audio, struct recipe *rc, struct served *out)
{
	const char *source = json_string_value(json_object_get(audio, "source_format"));
	const char *sample = json_string_value(json_object_get(audio, "sample_format"));
	long rate = (long)json_integer_value(json_object_get(audio, "sampling_rate"));
	long channels = (long)json_integer_value(json_object_get(audio, "num_channels"));
	long want_rate = rate, want_channels = channels;
	char variant[40];

	if (source == NULL || sample == NULL || rate <= 0 || channels <= 0) {
		resp_error(r, 500, "internal", "the input's audio metadata is missing");
		return -1;
	}
	if (query_count(r, "sampling_rate", 1, 768000, &want_rate) < 0 ||
	    query_count(r, "num_channels", 1, 32, &want_channels) < 0) {
		resp_error(r, 400, "bad_request", "sampling_rate must be 1 to 768000 Hz and "
		           "num_channels 1 to 32");
		return -1;
	}
	rc->is_pcm = strcmp(source, "pcm") == 0;
	if (rc->is_pcm && wav_sample_parse(sample, &rc->pcm.sample) == 0) {
		rc->pcm.sample_rate = (uint32_t)rate;
		rc->pcm.channels = (uint16_t)channels;
	} else if (rc->is_pcm) {
		resp_error(r, 500, "internal", "the input's sample format is unknown");
		return -1;
	}
	/* Float sources stay float; everything else (16-bit, 24-bit, codecs) becomes 16-bit PCM. */
	rc->out_sample = strncmp(sample, "pcm_f", 5) == 0 ? WAV_F32LE : WAV_S16LE;
	strcpy(out->content_type, "audio/wav");
	if (want_rate != rate || want_channels != channels) {
		rc->rate = (uint32_t)want_rate;
		rc->channels = (uint16_t)want_channels;
		snprintf(variant, sizeof variant, "wav_%ld_%ld", want_rate, want_channels);
	} else if (rc->is_pcm) {
		/* The WAV header is generated per request: the PCM is never stored twice. */
		if (open_stored(r, rc->in, &out->fd) != 0)
			return -1;
		if (wav_header(out->prefix, &rc->pcm, rc->in->size) != 0) {
			resp_error(r, 500, "internal", "the PCM does not fit a WAV header");
			return -1;
		}
		out->body = (struct repr){out->prefix, WAV_HEADER_SIZE, out->fd, rc->in->size};
		set_etag(out, rc->in, "wav");
		return 0;
	} else if (strcmp(source, "wav") == 0 &&
	           (strcmp(sample, "pcm_s16le") == 0 || strcmp(sample, "pcm_f32le") == 0) &&
	           !has_derived(r, rc->in, "wav")) {
		/* A WAV browsers play as it is. (The upload decoded the ones they would not: an
		   extensible format, or a placeholder data size as streaming writers leave.) */
		if (open_stored(r, rc->in, &out->fd) != 0)
			return -1;
		out->body = (struct repr){NULL, 0, out->fd, rc->in->size};
		out->stored = 1;
		set_etag(out, rc->in, NULL);
		set_object(out, rc->in, NULL);
		return 0;
	} else {
		strcpy(variant, "wav");
	}
	return open_derived(r, rc, variant, out);
}

int represent(struct req *r, const struct store_input *in, struct served *out)
{
	/*
	 * Only the "audio" and "image" members matter here: metadata naming neither (a file, most
	 * images) is not parsed. The store writes it with jansson, which never escapes a letter.
	 */
	const char *meta = in->metadata_json;
	json_t *root = meta != NULL && (strstr(meta, "\"audio\"") != NULL ||
	                                strstr(meta, "\"image\"") != NULL)
	               ? json_loads(meta, 0, NULL) : NULL;
	json_t *audio = json_object_get(root, "audio"), *image = json_object_get(root, "image");
	const char *pixels = json_string_value(json_object_get(image, "format"));
	struct recipe rc;
	char format[16];
	int qf = req_query(r, "format", format, sizeof format), rv = -1, original;
	size_t len;

	memset(out, 0, sizeof *out);
	memset(&rc, 0, sizeof rc);
	out->fd = -1;
	rc.in = in;
	if (pixels != NULL && strcmp(pixels, "rgb") != 0 && strcmp(pixels, "rgba") != 0)
		pixels = NULL;
	original = qf > 0 && strcmp(format, "original") == 0;
	if (qf < 0 || (qf > 0 && !original && !(pixels != NULL && strcmp(format, "png") == 0))) {
		resp_error(r, 400, "bad_request", "format: %s", pixels ? "original or png"
		           : "only original");
		goto out;
	}
	if (audio != NULL && !original) {
		rv = represent_audio(r, audio, &rc, out);
	} else if (pixels != NULL && qf > 0 && !original) {
		rc.width = (uint32_t)json_integer_value(json_object_get(image, "width"));
		rc.height = (uint32_t)json_integer_value(json_object_get(image, "height"));
		rc.pixel_channels = strcmp(pixels, "rgba") == 0 ? 4 : 3;
		strcpy(out->content_type, "image/png");
		rv = open_derived(r, &rc, "png", out);
	} else {
		if ((rv = open_stored(r, in, &out->fd)) != 0)
			goto out;
		out->stored = 1;
		set_etag(out, in, NULL);
		set_object(out, in, NULL);
		len = 0;
		put(out->content_type, sizeof out->content_type, &len, in->content_type);
		out->body = (struct repr){NULL, 0, out->fd, in->size};
		if (pixels != NULL && !original) {
			/* Raw pixels go to a canvas as they are, with their geometry in headers. */
			strcpy(out->content_type, "application/octet-stream");
			out->width = (uint32_t)json_integer_value(json_object_get(image, "width"));
			out->height = (uint32_t)json_integer_value(json_object_get(image, "height"));
			snprintf(out->pixel_format, sizeof out->pixel_format, "%s", pixels);
		}
	}
out:
	json_decref(root);
	return rv;
}

void served_close(struct served *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
