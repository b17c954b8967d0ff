/* config.h: start-up configuration from the environment and an optional KEY=VALUE file. */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct config {
	char     data_dir[PATH_MAX];      /* MEDIAGATE_DATA_DIR (required) */
	char     keyring_path[PATH_MAX];  /* MEDIAGATE_KEYRING, default DATA_DIR/keyring */
	uint64_t max_upload;              /* MEDIAGATE_MAX_UPLOAD, bytes, default 1 GiB */
	uint64_t max_pixels;              /* MEDIAGATE_MAX_PIXELS, width x height, default 100 M */
	int64_t  token_ttl;               /* MEDIAGATE_TOKEN_TTL, seconds, default 3600 */
	int64_t  token_ttl_max;           /* MEDIAGATE_TOKEN_TTL_MAX, seconds, default 86400 */
	int64_t  session_ttl;             /* MEDIAGATE_SESSION_TTL, seconds, default 86400 */
	uint64_t session_max_bytes;       /* MEDIAGATE_SESSION_MAX_BYTES, live inputs, default 10 GiB */
	uint64_t session_max_inputs;      /* MEDIAGATE_SESSION_MAX_INPUTS, live inputs, default 1000 */
	int64_t  gc_interval;             /* MEDIAGATE_GC_INTERVAL, seconds between sweeps, 600 */
	/* MEDIAGATE_METRICS_ALLOW: who besides loopback may GET /metrics: "any", or a
	   comma-separated list of IP addresses (checked by metrics_allow_check); "" none */
	char     metrics_allow[1024];
};

/*
 * config_load: fill cfg with the defaults, then the KEY=VALUE lines of the file named by
 * MEDIAGATE_CONFIG (when set; '#' comments and blank lines ignored, unknown keys are errors), then
 * the MEDIAGATE_* environment variables, which win. Numbers are decimal; sizes and durations may
 * carry a unit suffix (K, M, G for bytes: powers of 1024; s, m, h, d for seconds).
 * Returns 0, or -1 with an English reason in err (errsz bytes).
 */
int config_load(struct config *cfg, char *err, size_t errsz);

#endif
