/* config.c: start-up configuration from the environment and an optional KEY=VALUE file. */
#include "fcgi/config.h"
#include "fcgi/metrics.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum unit { UNIT_BYTES, UNIT_SECONDS };

/* Parse a decimal with an optional unit suffix; 0 or -1. Values must be >= 1. */
static int parse_amount(const char *s, enum unit u, uint64_t *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		char c = (char)tolower((unsigned char)*end);
		if (end[1] != '\0')
			return -1;
		if (u == UNIT_BYTES)
			mul = c == 'k' ? 1ULL << 10 : c == 'm' ? 1ULL << 20 : c == 'g' ? 1ULL << 30 : 0;
		else
			mul = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : c == 'd' ? 86400 : 0;
		if (mul == 0)
			return -1;
	}
	if (v == 0 || v > UINT64_MAX / mul || v * mul > (uint64_t)INT64_MAX / 2)
		return -1;
	*out = v * mul;
	return 0;
}

/* Apply one setting; name is the MEDIAGATE_* variable name. 0, 1 (unknown name) or -1. */
static int set(struct config *cfg, const char *name, const char *val, char *err, size_t errsz)
{
	uint64_t v, *count;
	int64_t *dur = NULL;

	char *path = strcmp(name, "MEDIAGATE_DATA_DIR") == 0  ? cfg->data_dir
	           : strcmp(name, "MEDIAGATE_KEYRING") == 0 ? cfg->keyring_path
	                                                    : NULL;

	if (path != NULL) {
		if (*val == '\0' || strlen(val) >= PATH_MAX) {
			snprintf(err, errsz, "%s: empty or too long", name);
			return -1;
		}
		strcpy(path, val);
		return 0;
	}
	if (strcmp(name, "MEDIAGATE_METRICS_ALLOW") == 0) {
		char why[160];
		if (strlen(val) >= sizeof cfg->metrics_allow) {
			snprintf(err, errsz, "%s: too long", name);
			return -1;
		}
		if (metrics_allow_check(val, why, sizeof why) != 0) {
			snprintf(err, errsz, "%s: %s", name, why);
			return -1;
		}
		strcpy(cfg->metrics_allow, val);
		return 0;
	}
	if (strcmp(name, "MEDIAGATE_OFFLOAD") == 0) {
		if (offload_mode_parse(val, &cfg->offload) != 0) {
			snprintf(err, errsz, "%s: '%s' is not none, x-sendfile, x-sendfile2 or "
			         "x-accel-redirect", name, val);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "MEDIAGATE_OFFLOAD_PREFIX") == 0) {
		/* Checked against the mode, and given its trailing '/', by offload_finish. */
		if (*val == '\0' || strlen(val) >= sizeof cfg->offload_prefix - 1) {
			snprintf(err, errsz, "%s: empty or too long", name);
			return -1;
		}
		strcpy(cfg->offload_prefix, val);
		return 0;
	}
	/* Sizes and counts: K, M, G are powers of 1024 for both. */
	count = strcmp(name, "MEDIAGATE_MAX_UPLOAD") == 0         ? &cfg->max_upload
	      : strcmp(name, "MEDIAGATE_MAX_PIXELS") == 0         ? &cfg->max_pixels
	      : strcmp(name, "MEDIAGATE_SESSION_MAX_BYTES") == 0  ? &cfg->session_max_bytes
	      : strcmp(name, "MEDIAGATE_SESSION_MAX_INPUTS") == 0 ? &cfg->session_max_inputs
	                                                          : NULL;
	if (count != NULL) {
		if (parse_amount(val, UNIT_BYTES, count) != 0)
			goto bad;
		return 0;
	}
	if (strcmp(name, "MEDIAGATE_TOKEN_TTL") == 0)
		dur = &cfg->token_ttl;
	else if (strcmp(name, "MEDIAGATE_TOKEN_TTL_MAX") == 0)
		dur = &cfg->token_ttl_max;
	else if (strcmp(name, "MEDIAGATE_SESSION_TTL") == 0)
		dur = &cfg->session_ttl;
	else if (strcmp(name, "MEDIAGATE_GC_INTERVAL") == 0)
		dur = &cfg->gc_interval;
	else if (strcmp(name, "MEDIAGATE_TUS_EXPIRY") == 0)
		dur = &cfg->tus_expiry;
	else if (strcmp(name, "MEDIAGATE_FOLLOW_IDLE") == 0)
		dur = &cfg->follow_idle;
	else
		return 1;
	if (parse_amount(val, UNIT_SECONDS, &v) != 0)
		goto bad;
	*dur = (int64_t)v;
	return 0;
bad:
	snprintf(err, errsz, "%s: '%s' is not a positive number with an optional unit", name, val);
	return -1;
}

static const char *const names[] = {
	"MEDIAGATE_DATA_DIR", "MEDIAGATE_KEYRING", "MEDIAGATE_MAX_UPLOAD", "MEDIAGATE_MAX_PIXELS",
	"MEDIAGATE_TOKEN_TTL", "MEDIAGATE_TOKEN_TTL_MAX", "MEDIAGATE_SESSION_TTL",
	"MEDIAGATE_SESSION_MAX_BYTES", "MEDIAGATE_SESSION_MAX_INPUTS", "MEDIAGATE_GC_INTERVAL",
	"MEDIAGATE_TUS_EXPIRY", "MEDIAGATE_FOLLOW_IDLE",
	"MEDIAGATE_METRICS_ALLOW", "MEDIAGATE_OFFLOAD", "MEDIAGATE_OFFLOAD_PREFIX",
};

static int load_file(struct config *cfg, const char *path, char *err, size_t errsz)
{
	char line[PATH_MAX + 64];
	unsigned lineno = 0;
	int rc = -1;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *eq, *end;
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errsz, "%s:%u: line too long", path, lineno);
			goto out;
		}
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errsz, "%s:%u: expected KEY=VALUE", path, lineno);
			goto out;
		}
		/* Spaces around '=' are layout, not part of the key or the value. */
		for (end = eq; end > p && isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		for (eq++; isspace((unsigned char)*eq); eq++)
			;
		switch (set(cfg, p, eq, err, errsz)) {
		case 0:
			break;
		case 1:
			snprintf(err, errsz, "%s:%u: unknown setting %s", path, lineno, p);
			goto out;
		default:
			goto out;
		}
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* Drop empty and "." segments of an absolute path in place ("/a//./b/" is "/a/b/"). */
static void path_tidy(char *p)
{
	char *w = p, *r = p;

	while (*r != '\0') {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || r[2] == '\0')))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/*
 * The offload prefix once every setting is read: the mode's default when none was given (the
 * objects folder under an absolute DATA_DIR for the x-sendfile modes), a trailing '/', and
 * offload_prefix_check. 0 or -1.
 */
static int offload_finish(struct config *cfg, char *err, size_t errsz)
{
	char *p = cfg->offload_prefix, cwd[PATH_MAX], why[128];
	size_t n;

	if (cfg->offload == OFFLOAD_NONE) {
		p[0] = '\0';
		return 0;
	}
	if (p[0] == '\0' && cfg->offload == OFFLOAD_X_ACCEL_REDIRECT) {
		strcpy(p, OFFLOAD_DEFAULT_URI_PREFIX);
	} else if (p[0] == '\0') {
		if (cfg->data_dir[0] != '/' && getcwd(cwd, sizeof cwd) == NULL) {
			snprintf(err, errsz, "MEDIAGATE_OFFLOAD: the current folder: %s", strerror(errno));
			return -1;
		}
		if (snprintf(p, sizeof cfg->offload_prefix, "%s%s%s/objects/",
		             cfg->data_dir[0] == '/' ? "" : cwd, cfg->data_dir[0] == '/' ? "" : "/",
		             cfg->data_dir) >= (int)sizeof cfg->offload_prefix) {
			snprintf(err, errsz, "MEDIAGATE_DATA_DIR is too long");
			return -1;
		}
	}
	n = strlen(p);
	if (p[n - 1] != '/')
		strcpy(p + n, "/");   /* room: set() keeps two bytes free */
	if (cfg->offload != OFFLOAD_X_ACCEL_REDIRECT)
		path_tidy(p);
	if (offload_prefix_check(cfg->offload, p, why, sizeof why) != 0) {
		snprintf(err, errsz, "MEDIAGATE_OFFLOAD_PREFIX '%s' %s", p, why);
		return -1;
	}
	return 0;
}

int config_load(struct config *cfg, char *err, size_t errsz)
{
	const char *file = getenv("MEDIAGATE_CONFIG");
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	cfg->max_upload = 1ULL << 30;
	cfg->max_pixels = 100000000;
	cfg->token_ttl = 3600;
	cfg->token_ttl_max = 86400;
	cfg->session_ttl = 86400;
	cfg->session_max_bytes = 10ULL << 30;
	cfg->session_max_inputs = 1000;
	cfg->gc_interval = 600;
	cfg->tus_expiry = 86400;
	cfg->follow_idle = 30;
	if (file != NULL && *file != '\0' && load_file(cfg, file, err, errsz) != 0)
		return -1;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		if (v != NULL && set(cfg, names[i], v, err, errsz) != 0)
			return -1;
	}
	if (cfg->data_dir[0] == '\0') {
		snprintf(err, errsz, "MEDIAGATE_DATA_DIR is not set");
		return -1;
	}
	if (cfg->keyring_path[0] == '\0' &&
	    snprintf(cfg->keyring_path, sizeof cfg->keyring_path, "%s/keyring", cfg->data_dir) >=
	        (int)sizeof cfg->keyring_path) {
		snprintf(err, errsz, "MEDIAGATE_DATA_DIR is too long");
		return -1;
	}
	if (cfg->token_ttl > cfg->token_ttl_max) {
		snprintf(err, errsz, "MEDIAGATE_TOKEN_TTL (%lld) is over MEDIAGATE_TOKEN_TTL_MAX (%lld)",
		         (long long)cfg->token_ttl, (long long)cfg->token_ttl_max);
		return -1;
	}
	return offload_finish(cfg, err, errsz);
}
