/* config.h: start-up configuration from the environment and an optional KEY=VALUE file. */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "fcgi/offload.h"

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
	int64_t  tus_expiry;              /* MEDIAGATE_TUS_EXPIRY, seconds a tus upload lives after its
	                                     creation or last PATCH (Upload-Expires), default 86400 */
	int64_t  follow_idle;             /* MEDIAGATE_FOLLOW_IDLE, seconds a ?follow=1 read of a growing
	                                     input waits without a new durable byte, default 30 */
	/* MEDIAGATE_METRICS_ALLOW: who besides loopback may GET /metrics: "any", or a
	   comma-separated list of IP addresses (checked by metrics_allow_check); "" none */
	char     metrics_allow[1024];
	/* MEDIAGATE_OFFLOAD: who sends the bytes of a file on disk (fcgi/offload.h), default none */
	enum offload_mode offload;
	/* MEDIAGATE_OFFLOAD_PREFIX: what an object's name "XY/ID[.VARIANT]" is appended to in the
	   offload header, ending in '/': x-accel-redirect: the internal nginx location (default
	   /_mediagate_objects/); x-sendfile, x-sendfile2: the web server's path of DATA_DIR/objects/
	   (default: that folder, absolute); "" with offload none */
	char     offload_prefix[PATH_MAX];
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
