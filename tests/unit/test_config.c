/* test_config.c: unit tests for fcgi/config.c (defaults, environment, KEY=VALUE file, errors). */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/config.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static const char *const all_vars[] = {
	"MEDIAGATE_CONFIG", "MEDIAGATE_DATA_DIR", "MEDIAGATE_KEYRING", "MEDIAGATE_MAX_UPLOAD",
	"MEDIAGATE_TOKEN_TTL", "MEDIAGATE_TOKEN_TTL_MAX", "MEDIAGATE_SESSION_TTL",
	"MEDIAGATE_MAX_PIXELS", "MEDIAGATE_SESSION_MAX_BYTES", "MEDIAGATE_SESSION_MAX_INPUTS",
	"MEDIAGATE_GC_INTERVAL", "MEDIAGATE_METRICS_ALLOW",
};

static char conf_path[64];

/* Each test starts from an environment without any MEDIAGATE_* variable. */
static void setup(void)
{
	size_t i;

	for (i = 0; i < NCASES(all_vars); i++)
		unsetenv(all_vars[i]);
	conf_path[0] = '\0';
}

static void teardown(void)
{
	if (conf_path[0] != '\0')
		unlink(conf_path);
}

TestSuite(config, .init = setup, .fini = teardown);

/* Write text to a fresh temporary file and point MEDIAGATE_CONFIG at it. */
static void write_conf(const char *text)
{
	FILE *f;
	int fd;

	if (conf_path[0] != '\0')
		unlink(conf_path);
	snprintf(conf_path, sizeof conf_path, "/tmp/mg_test_config_XXXXXX");
	fd = mkstemp(conf_path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0 || text[0] == '\0', 1);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(setenv("MEDIAGATE_CONFIG", conf_path, 1), 0);
}

/* config_load expecting success. */
static void load_ok(struct config *cfg)
{
	char err[256] = "";

	cr_assert_eq(config_load(cfg, err, sizeof err), 0, "unexpected error: %s", err);
}

/* config_load expecting failure with a reason that contains needle. */
static void load_fails(const char *needle)
{
	struct config cfg;
	char err[512] = "";

	cr_assert_eq(config_load(&cfg, err, sizeof err), -1, "loaded, expected '%s'", needle);
	cr_assert_neq(err[0], '\0', "no reason given");
	if (needle != NULL)
		cr_assert_not_null(strstr(err, needle), "reason '%s' lacks '%s'", err, needle);
}

Test(config, defaults)
{
	struct config cfg;

	setenv("MEDIAGATE_DATA_DIR", "/srv/mg", 1);
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/srv/mg");
	cr_assert_str_eq(cfg.keyring_path, "/srv/mg/keyring");
	cr_assert_eq(cfg.max_upload, 1ULL << 30);
	cr_assert_eq(cfg.token_ttl, 3600);
	cr_assert_eq(cfg.token_ttl_max, 86400);
	cr_assert_eq(cfg.session_ttl, 86400);
	cr_assert_eq(cfg.session_max_bytes, 10ULL << 30);
	cr_assert_eq(cfg.session_max_inputs, 1000);
	cr_assert_eq(cfg.gc_interval, 600);
}

Test(config, missing_data_dir)
{
	load_fails("MEDIAGATE_DATA_DIR");
	setenv("MEDIAGATE_KEYRING", "/k", 1);
	load_fails("MEDIAGATE_DATA_DIR");
}

Test(config, empty_or_too_long_paths)
{
	static char longp[PATH_MAX + 10];

	setenv("MEDIAGATE_DATA_DIR", "", 1);
	load_fails("MEDIAGATE_DATA_DIR");

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	setenv("MEDIAGATE_KEYRING", "", 1);
	load_fails("MEDIAGATE_KEYRING");

	/* PATH_MAX bytes do not fit with the NUL. */
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[PATH_MAX] = '\0';
	setenv("MEDIAGATE_KEYRING", longp, 1);
	load_fails("MEDIAGATE_KEYRING");
	unsetenv("MEDIAGATE_KEYRING");
	setenv("MEDIAGATE_DATA_DIR", longp, 1);
	load_fails("MEDIAGATE_DATA_DIR");

	/* A data dir that fits, but not with "/keyring" after it. */
	longp[PATH_MAX - 4] = '\0';
	setenv("MEDIAGATE_DATA_DIR", longp, 1);
	load_fails("too long");

	/* ... unless the keyring is named. */
	setenv("MEDIAGATE_KEYRING", "/k", 1);
	{
		struct config cfg;
		load_ok(&cfg);
		cr_assert_eq(strlen(cfg.data_dir), PATH_MAX - 4);
		cr_assert_str_eq(cfg.keyring_path, "/k");
	}
}

Test(config, environment)
{
	struct config cfg;

	setenv("MEDIAGATE_DATA_DIR", "/data", 1);
	setenv("MEDIAGATE_KEYRING", "/etc/mediagate/keys", 1);
	setenv("MEDIAGATE_MAX_UPLOAD", "12345", 1);
	setenv("MEDIAGATE_TOKEN_TTL", "60", 1);
	setenv("MEDIAGATE_TOKEN_TTL_MAX", "120", 1);
	setenv("MEDIAGATE_SESSION_TTL", "7", 1);
	setenv("MEDIAGATE_UNRELATED", "x", 1);   /* only the known variables are read */
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/data");
	cr_assert_str_eq(cfg.keyring_path, "/etc/mediagate/keys");
	cr_assert_eq(cfg.max_upload, 12345);
	cr_assert_eq(cfg.token_ttl, 60);
	cr_assert_eq(cfg.token_ttl_max, 120);
	cr_assert_eq(cfg.session_ttl, 7);
}

Test(config, byte_units)
{
	static const struct {
		const char *v;
		uint64_t want;
	} c[] = {
		{ "1", 1 },
		{ "10", 10 },
		{ "10K", 10240 },
		{ "10k", 10240 },
		{ "3M", 3ULL << 20 },
		{ "3m", 3ULL << 20 },
		{ "2G", 2ULL << 30 },
		{ "2g", 2ULL << 30 },
		{ "4294967295G", 4294967295ULL << 30 },
		{ "0010", 10 },
	};
	size_t i;

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	for (i = 0; i < NCASES(c); i++) {
		struct config cfg;
		setenv("MEDIAGATE_MAX_UPLOAD", c[i].v, 1);
		load_ok(&cfg);
		cr_assert_eq(cfg.max_upload, c[i].want, "'%s': %llu", c[i].v,
		             (unsigned long long)cfg.max_upload);
	}
}

Test(config, duration_units)
{
	static const struct {
		const char *v;
		int64_t want;
	} c[] = {
		{ "90", 90 },
		{ "90s", 90 },
		{ "90S", 90 },
		{ "15m", 900 },
		{ "15M", 900 },     /* M is minutes for durations */
		{ "2h", 7200 },
		{ "1d", 86400 },
		{ "1D", 86400 },
	};
	size_t i;

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	for (i = 0; i < NCASES(c); i++) {
		struct config cfg;
		setenv("MEDIAGATE_SESSION_TTL", c[i].v, 1);
		setenv("MEDIAGATE_TOKEN_TTL", c[i].v, 1);
		setenv("MEDIAGATE_TOKEN_TTL_MAX", c[i].v, 1);
		load_ok(&cfg);
		cr_assert_eq(cfg.session_ttl, c[i].want, "'%s'", c[i].v);
		cr_assert_eq(cfg.token_ttl, c[i].want, "'%s'", c[i].v);
		cr_assert_eq(cfg.token_ttl_max, c[i].want, "'%s'", c[i].v);
	}
}

/* Values every numeric setting refuses. */
static const char *const bad_numbers[] = {
	"", "0", "00", "0K", "0s", "-1", "+1", " 1", "1 ", "1\n", "1.5", "1.5M", "1e3", "0x10",
	"abc", "K", "1KK", "1KB", "10 K", "1T", "1w", "1y", "1,000",
	"18446744073709551615",          /* UINT64_MAX */
	"18446744073709551616",          /* over it: strtoull's ERANGE */
	"99999999999999999999999999999",
	"9223372036854775807",           /* INT64_MAX: over the int64 / 2 cap */
	"4611686018427387904",           /* 2^62 */
	"17179869184G",                  /* 2^64 after the unit */
	"4294967296G",                   /* 2^62 after the unit */
	"106751991167301d",              /* overflows int64 seconds */
};

Test(config, bad_byte_values)
{
	size_t i;

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	for (i = 0; i < NCASES(bad_numbers); i++) {
		setenv("MEDIAGATE_MAX_UPLOAD", bad_numbers[i], 1);
		load_fails("MEDIAGATE_MAX_UPLOAD");
	}
	/* Duration units are not byte units. */
	setenv("MEDIAGATE_MAX_UPLOAD", "1h", 1);
	load_fails("MEDIAGATE_MAX_UPLOAD");
	setenv("MEDIAGATE_MAX_UPLOAD", "1s", 1);
	load_fails("MEDIAGATE_MAX_UPLOAD");
	setenv("MEDIAGATE_MAX_UPLOAD", "1d", 1);
	load_fails("MEDIAGATE_MAX_UPLOAD");
}

Test(config, bad_duration_values)
{
	static const char *const vars[] = {
		"MEDIAGATE_TOKEN_TTL", "MEDIAGATE_TOKEN_TTL_MAX", "MEDIAGATE_SESSION_TTL",
	};
	size_t i, j;

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	for (j = 0; j < NCASES(vars); j++) {
		for (i = 0; i < NCASES(bad_numbers); i++) {
			setenv(vars[j], bad_numbers[i], 1);
			load_fails(vars[j]);
		}
		/* Byte units are not duration units. */
		setenv(vars[j], "1K", 1);
		load_fails(vars[j]);
		setenv(vars[j], "1G", 1);
		load_fails(vars[j]);
		unsetenv(vars[j]);
	}
}

Test(config, token_ttl_over_max)
{
	struct config cfg;

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	setenv("MEDIAGATE_TOKEN_TTL", "2d", 1);          /* default max is 1d */
	load_fails("MEDIAGATE_TOKEN_TTL_MAX");
	setenv("MEDIAGATE_TOKEN_TTL", "86401", 1);
	load_fails("MEDIAGATE_TOKEN_TTL");
	setenv("MEDIAGATE_TOKEN_TTL", "1d", 1);           /* equal is fine */
	load_ok(&cfg);
	cr_assert_eq(cfg.token_ttl, 86400);
	setenv("MEDIAGATE_TOKEN_TTL", "2d", 1);
	setenv("MEDIAGATE_TOKEN_TTL_MAX", "3d", 1);
	load_ok(&cfg);
	cr_assert_eq(cfg.token_ttl, 2 * 86400);
	cr_assert_eq(cfg.token_ttl_max, 3 * 86400);
	unsetenv("MEDIAGATE_TOKEN_TTL");
	setenv("MEDIAGATE_TOKEN_TTL_MAX", "59m", 1);     /* under the default ttl of 1h */
	load_fails("over");
}

Test(config, small_err_buffer)
{
	struct config cfg;
	char err[8];

	memset(err, 'Z', sizeof err);
	cr_assert_eq(config_load(&cfg, err, 5), -1);
	cr_assert_eq(err[4], '\0');
	cr_assert_eq(err[5], 'Z');
	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	setenv("MEDIAGATE_MAX_UPLOAD", "a very long and wrong value that would not fit", 1);
	memset(err, 'Z', sizeof err);
	cr_assert_eq(config_load(&cfg, err, 5), -1);
	cr_assert_eq(err[4], '\0');
	cr_assert_eq(err[5], 'Z');
}

/* ---- the config file ----------------------------------------------------------------------- */

Test(config, file)
{
	struct config cfg;

	write_conf("# mediagate settings\n"
	           "\n"
	           "MEDIAGATE_DATA_DIR=/var/lib/mediagate\n"
	           "   # an indented comment\n"
	           "MEDIAGATE_MAX_UPLOAD=512M\n"
	           "\t\n"
	           "MEDIAGATE_TOKEN_TTL=10m\n"
	           "MEDIAGATE_TOKEN_TTL_MAX=2h\n"
	           "MEDIAGATE_SESSION_TTL=7d\n");
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/var/lib/mediagate");
	cr_assert_str_eq(cfg.keyring_path, "/var/lib/mediagate/keyring");
	cr_assert_eq(cfg.max_upload, 512ULL << 20);
	cr_assert_eq(cfg.token_ttl, 600);
	cr_assert_eq(cfg.token_ttl_max, 7200);
	cr_assert_eq(cfg.session_ttl, 7 * 86400);
}

Test(config, file_layout)
{
	struct config cfg;

	/* CRLF line ends, spaces around the line and around '=', no final newline, and a
	 * value holding '='. */
	write_conf("  MEDIAGATE_DATA_DIR = /srv/a b\r\n"
	           "MEDIAGATE_KEYRING=/k=v\r\n"
	           "MEDIAGATE_MAX_UPLOAD\t=\t2K  \r\n"
	           "MEDIAGATE_SESSION_TTL=5");
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/srv/a b");
	cr_assert_str_eq(cfg.keyring_path, "/k=v");
	cr_assert_eq(cfg.max_upload, 2048);
	cr_assert_eq(cfg.session_ttl, 5);
}

Test(config, file_later_lines_win)
{
	struct config cfg;

	write_conf("MEDIAGATE_DATA_DIR=/a\nMEDIAGATE_DATA_DIR=/b\n");
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/b");
}

Test(config, environment_wins_over_file)
{
	struct config cfg;

	write_conf("MEDIAGATE_DATA_DIR=/from/file\n"
	           "MEDIAGATE_MAX_UPLOAD=1K\n"
	           "MEDIAGATE_TOKEN_TTL=100\n");
	setenv("MEDIAGATE_DATA_DIR", "/from/env", 1);
	setenv("MEDIAGATE_TOKEN_TTL", "200", 1);
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/from/env");
	cr_assert_str_eq(cfg.keyring_path, "/from/env/keyring");
	cr_assert_eq(cfg.max_upload, 1024);           /* from the file */
	cr_assert_eq(cfg.token_ttl, 200);
}

Test(config, environment_cannot_rescue_a_bad_file)
{
	write_conf("MEDIAGATE_MAX_UPLOAD=lots\n");
	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	setenv("MEDIAGATE_MAX_UPLOAD", "1K", 1);
	load_fails("MEDIAGATE_MAX_UPLOAD");
}

Test(config, file_unknown_key)
{
	write_conf("MEDIAGATE_DATA_DIR=/d\n\nMEDIAGATE_DATADIR=/x\n");
	load_fails("MEDIAGATE_DATADIR");
	load_fails(":3:");                 /* the line number */
	write_conf("mediagate_data_dir=/d\n");
	load_fails("unknown");
	write_conf("MEDIAGATE_CONFIG=/etc/other\nMEDIAGATE_DATA_DIR=/d\n");
	load_fails("MEDIAGATE_CONFIG");
	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_TOKEN_TT=5\n");
	load_fails("MEDIAGATE_TOKEN_TT");
	write_conf("=5\nMEDIAGATE_DATA_DIR=/d\n");
	load_fails(":1:");
}

Test(config, file_bad_lines)
{
	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_MAX_UPLOAD\n");
	load_fails("KEY=VALUE");
	write_conf("MEDIAGATE_DATA_DIR /d\n");
	load_fails(":1:");
	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_MAX_UPLOAD=0\n");
	load_fails("MEDIAGATE_MAX_UPLOAD");
	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_SESSION_TTL=1K\n");
	load_fails("MEDIAGATE_SESSION_TTL");
	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_TOKEN_TTL=99999999999999999999\n");
	load_fails("MEDIAGATE_TOKEN_TTL");
	write_conf("MEDIAGATE_DATA_DIR=\n");
	load_fails("MEDIAGATE_DATA_DIR");
	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_TOKEN_TTL=2d\n");
	load_fails("over");
}

Test(config, file_line_too_long)
{
	static char text[PATH_MAX + 4096];
	size_t n;

	n = (size_t)snprintf(text, sizeof text, "MEDIAGATE_DATA_DIR=/");
	memset(text + n, 'a', PATH_MAX + 200);
	text[n + PATH_MAX + 200] = '\n';
	text[n + PATH_MAX + 201] = '\0';
	write_conf(text);
	load_fails("too long");
}

Test(config, file_missing_or_empty)
{
	struct config cfg;

	setenv("MEDIAGATE_CONFIG", "/nonexistent/mediagate.conf", 1);
	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	load_fails("/nonexistent/mediagate.conf");

	/* An empty MEDIAGATE_CONFIG means no file. */
	setenv("MEDIAGATE_CONFIG", "", 1);
	load_ok(&cfg);
	cr_assert_str_eq(cfg.data_dir, "/d");

	/* An empty file sets nothing. */
	write_conf("");
	load_ok(&cfg);
	cr_assert_eq(cfg.max_upload, 1ULL << 30);

	/* Only comments: the data dir is still required. */
	unsetenv("MEDIAGATE_DATA_DIR");
	write_conf("# nothing\n");
	load_fails("MEDIAGATE_DATA_DIR");
}

/* Quotas and the garbage collector's interval (issue 4). */
Test(config, quotas_and_gc_interval)
{
	struct config cfg;
	size_t i;

	setenv("MEDIAGATE_DATA_DIR", "/d", 1);
	setenv("MEDIAGATE_SESSION_MAX_BYTES", "1M", 1);
	setenv("MEDIAGATE_SESSION_MAX_INPUTS", "3", 1);
	setenv("MEDIAGATE_GC_INTERVAL", "2m", 1);
	load_ok(&cfg);
	cr_assert_eq(cfg.session_max_bytes, 1ULL << 20);
	cr_assert_eq(cfg.session_max_inputs, 3);
	cr_assert_eq(cfg.gc_interval, 120);
	setenv("MEDIAGATE_GC_INTERVAL", "1", 1);
	setenv("MEDIAGATE_SESSION_MAX_BYTES", "12345", 1);
	load_ok(&cfg);
	cr_assert_eq(cfg.gc_interval, 1);
	cr_assert_eq(cfg.session_max_bytes, 12345);

	/* Sizes take byte units, the interval duration units; none takes 0 or junk. */
	for (i = 0; i < NCASES(bad_numbers); i++) {
		setenv("MEDIAGATE_SESSION_MAX_BYTES", bad_numbers[i], 1);
		load_fails("MEDIAGATE_SESSION_MAX_BYTES");
		setenv("MEDIAGATE_SESSION_MAX_BYTES", "1M", 1);
		setenv("MEDIAGATE_SESSION_MAX_INPUTS", bad_numbers[i], 1);
		load_fails("MEDIAGATE_SESSION_MAX_INPUTS");
		setenv("MEDIAGATE_SESSION_MAX_INPUTS", "3", 1);
		setenv("MEDIAGATE_GC_INTERVAL", bad_numbers[i], 1);
		load_fails("MEDIAGATE_GC_INTERVAL");
		setenv("MEDIAGATE_GC_INTERVAL", "1", 1);
	}
	setenv("MEDIAGATE_SESSION_MAX_BYTES", "1h", 1);
	load_fails("MEDIAGATE_SESSION_MAX_BYTES");
	setenv("MEDIAGATE_SESSION_MAX_BYTES", "1M", 1);
	setenv("MEDIAGATE_GC_INTERVAL", "1G", 1);
	load_fails("MEDIAGATE_GC_INTERVAL");
}

Test(config, quotas_from_the_file)
{
	struct config cfg;

	write_conf("MEDIAGATE_DATA_DIR=/d\nMEDIAGATE_SESSION_MAX_INPUTS = 2K\n"
	           "MEDIAGATE_GC_INTERVAL=1h\n");
	load_ok(&cfg);
	cr_assert_eq(cfg.session_max_inputs, 2048);
	cr_assert_eq(cfg.gc_interval, 3600);
	cr_assert_eq(cfg.session_max_bytes, 10ULL << 30);
	setenv("MEDIAGATE_GC_INTERVAL", "5", 1);        /* the environment wins */
	load_ok(&cfg);
	cr_assert_eq(cfg.gc_interval, 5);
}
