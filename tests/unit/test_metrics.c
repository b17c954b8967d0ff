/* test_metrics.c: unit tests for fcgi/metrics.c (shared counters, exposition, allow-list). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fcgi/config.h"
#include "fcgi/metrics.h"
#include "store/store.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static const struct metrics_route routes[] = {
	{"GET", "/"},
	{"POST", "/inputs"},
	{"GET", "/inputs/{id}/content"},
	{"DELETE", "/inputs/{id}"},
};
enum { R_ROOT, R_UPLOAD, R_READ, R_DELETE };
#define ROOT_200 "mediagate_requests_total{method=\"GET\",route=\"/\",status=\"200\"}"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/mg_test_metrics_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(metrics, .init = setup, .fini = teardown, .timeout = 30);

static struct metrics *open_ok(const struct metrics_route *r, size_t n, char *err, size_t errsz)
{
	struct metrics *m = NULL;
	enum metrics_err e = metrics_open(dir, r, n, &m, err, errsz);

	cr_assert_eq(e, METRICS_OK, "metrics_open: %s", err);
	cr_assert_not_null(m);
	return m;
}

/* The exposition of m (and g, may be NULL) as a malloc'd string. */
static char *expose(const struct metrics *m, const struct metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(metrics_write(m, g, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(strlen(text), len);
	return text;
}

/* The value of the sample line that starts with "series " in text, or -1 when absent. */
static long long sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* Shared counters -------------------------------------------------------------------------- */

Test(metrics, creates_the_file_0600_and_counts_survive_reopening)
{
	char err[256], path[128];
	struct metrics *m = open_ok(routes, NCASES(routes), err, sizeof err);
	struct stat sb;
	char *text;

	cr_assert_str_empty(err);
	snprintf(path, sizeof path, "%s/metrics", dir);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600);
	cr_assert(S_ISREG(sb.st_mode));
	cr_assert_gt(sb.st_size, 0);
	metrics_request(m, R_ROOT, 200, 3, 40, 0.001);
	metrics_close(m);

	m = open_ok(routes, NCASES(routes), err, sizeof err);
	cr_assert_str_empty(err, "same layout: kept, not replaced (%s)", err);
	metrics_request(m, R_ROOT, 200, 4, 60, 0.001);
	text = expose(m, NULL);
	cr_assert_eq(sample(text, ROOT_200), 2);
	cr_assert_eq(sample(text, "mediagate_request_body_bytes_total"), 7);
	cr_assert_eq(sample(text, "mediagate_response_body_bytes_total"), 100);
	free(text);
	metrics_close(m);
}

Test(metrics, a_second_open_while_the_first_is_mapped_shares_its_counters, .timeout = 10)
{
	char err[256], *text;
	struct metrics *a = open_ok(routes, NCASES(routes), err, sizeof err), *b;

	/* The start-up lock must not outlive metrics_open (a mapping keeps the file open). */
	b = open_ok(routes, NCASES(routes), err, sizeof err);
	metrics_request(a, R_ROOT, 200, 0, 0, 0);
	metrics_request(b, R_ROOT, 200, 0, 0, 0);
	text = expose(a, NULL);
	cr_assert_eq(sample(text, ROOT_200), 2);
	free(text);
	metrics_close(a);
	metrics_close(b);
}

enum { CHILDREN = 4, PER_CHILD = 20000 };

/* Each child maps the file itself (racing the others to create it) and counts. */
static void child_counts(int own_open, struct metrics *inherited)
{
	struct metrics *m = inherited;
	char err[256];
	int i;

	if (own_open && metrics_open(dir, routes, NCASES(routes), &m, err, sizeof err) != METRICS_OK)
		_exit(3);
	for (i = 0; i < PER_CHILD; i++) {
		metrics_request(m, R_READ, i % 2 ? 200 : 206, 1, 2, 0.003);
		metrics_token_failure(m, METRICS_TOKEN_EXPIRED);
	}
	if (own_open)
		metrics_close(m);
	_exit(0);
}

static void check_totals(struct metrics *m, long long n)
{
	char *text = expose(m, NULL);

	cr_assert_eq(sample(text, "mediagate_requests_total{method=\"GET\","
	                          "route=\"/inputs/{id}/content\",status=\"200\"}"), n / 2);
	cr_assert_eq(sample(text, "mediagate_requests_total{method=\"GET\","
	                          "route=\"/inputs/{id}/content\",status=\"206\"}"), n / 2);
	cr_assert_eq(sample(text, "mediagate_request_body_bytes_total"), n);
	cr_assert_eq(sample(text, "mediagate_response_body_bytes_total"), 2 * n);
	cr_assert_eq(sample(text, "mediagate_read_duration_seconds_count"), n);
	cr_assert_eq(sample(text, "mediagate_read_duration_seconds_bucket{le=\"0.005\"}"), n);
	cr_assert_eq(sample(text, "mediagate_token_failures_total{reason=\"expired\"}"), n);
	free(text);
}

static void wait_children(pid_t *pids, int n)
{
	int i, st;

	for (i = 0; i < n; i++) {
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed (%d)", i, st);
	}
}

Test(metrics, processes_that_each_open_the_file_add_up)
{
	pid_t pids[CHILDREN];
	struct metrics *m;
	char err[256];
	int i;

	/* No file yet: the children race to create it; the lock makes them agree on one. */
	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0)
			child_counts(1, NULL);
	}
	wait_children(pids, CHILDREN);
	m = open_ok(routes, NCASES(routes), err, sizeof err);
	check_totals(m, (long long)CHILDREN * PER_CHILD);
	metrics_close(m);
}

Test(metrics, forked_processes_sharing_one_mapping_add_up)
{
	pid_t pids[CHILDREN];
	char err[256];
	struct metrics *m = open_ok(routes, NCASES(routes), err, sizeof err);
	int i;

	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0)
			child_counts(0, m);
	}
	wait_children(pids, CHILDREN);
	check_totals(m, (long long)CHILDREN * PER_CHILD);
	metrics_close(m);
}

Test(metrics, another_layout_is_replaced_and_the_old_mapping_left_alone)
{
	static const struct metrics_route other[] = {{"GET", "/"}, {"GET", "/healthz"}};
	char err[256], *text;
	struct metrics *a = open_ok(routes, NCASES(routes), err, sizeof err), *b;

	metrics_request(a, R_ROOT, 200, 0, 0, 0);
	b = open_ok(other, NCASES(other), err, sizeof err);
	cr_assert(strstr(err, "another layout") != NULL, "err: %s", err);
	text = expose(b, NULL);
	cr_assert_eq(sample(text, ROOT_200), -1, "a new file starts at zero");
	free(text);
	/* The old version's process keeps counting in its own, now unlinked, copy. */
	metrics_request(a, R_ROOT, 200, 0, 0, 0);
	text = expose(a, NULL);
	cr_assert_eq(sample(text, ROOT_200), 2);
	free(text);
	text = expose(b, NULL);
	cr_assert_eq(sample(text, ROOT_200), -1);
	free(text);
	metrics_close(a);
	metrics_close(b);
	/* And the new layout is now the one found. */
	b = open_ok(other, NCASES(other), err, sizeof err);
	cr_assert_str_empty(err);
	metrics_close(b);
}

Test(metrics, a_file_of_another_size_or_garbage_is_replaced)
{
	char err[256], path[128];
	struct metrics *m;
	struct stat sb;
	int fd;

	snprintf(path, sizeof path, "%s/metrics", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "garbage", 7), 7);
	close(fd);
	m = open_ok(routes, NCASES(routes), err, sizeof err);
	cr_assert(strstr(err, "another layout") != NULL, "err: %s", err);
	metrics_close(m);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600);
	/* Now the right size but a zeroed header (a crash between sizing and the header). */
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "\0\0\0\0\0\0\0\0", 8, 0), 8);
	close(fd);
	m = open_ok(routes, NCASES(routes), err, sizeof err);
	cr_assert(strstr(err, "another layout") != NULL, "err: %s", err);
	metrics_close(m);
}

Test(metrics, open_refuses_bad_arguments)
{
	static const struct metrics_route empty[] = {{"GET", ""}};
	struct metrics_route many[METRICS_ROUTES_MAX + 1];
	struct metrics *m = (struct metrics *)1;
	char err[256];
	size_t i;

	for (i = 0; i < NCASES(many); i++)
		many[i] = (struct metrics_route){"GET", "/x"};
	cr_assert_eq(metrics_open(dir, many, NCASES(many), &m, err, sizeof err), METRICS_INVALID);
	cr_assert_null(m);
	cr_assert_eq(metrics_open(dir, empty, 1, &m, err, sizeof err), METRICS_INVALID);
	cr_assert_eq(metrics_open("", routes, 1, &m, err, sizeof err), METRICS_INVALID);
	cr_assert_eq(metrics_open("/nonexistent/mg", routes, 1, &m, err, sizeof err), METRICS_IO);
	cr_assert_null(m);
	cr_assert(strstr(err, "/nonexistent/mg/metrics") != NULL, "err: %s", err);
}

Test(metrics, null_handle_counts_nothing_and_does_not_crash)
{
	metrics_request(NULL, 0, 200, 1, 1, 1.0);
	metrics_token_failure(NULL, METRICS_TOKEN_MISSING);
	metrics_close(NULL);
	cr_assert_eq(metrics_write(NULL, NULL, stdout), -1);
}

/* Exposition -------------------------------------------------------------------------------- */

Test(metrics, routes_and_statuses_outside_the_lists_count_as_other)
{
	char err[256], *text;
	struct metrics *m = open_ok(routes, NCASES(routes), err, sizeof err);

	metrics_request(m, -1, 404, 0, 50, 0);
	metrics_request(m, 99, 404, 0, 50, 0);
	metrics_request(m, R_DELETE, 299, 0, 0, 0);
	metrics_request(m, R_DELETE, 204, 0, 0, 0);
	metrics_token_failure(m, (enum metrics_token_failure)77);   /* ignored */
	text = expose(m, NULL);
	cr_assert_eq(sample(text, "mediagate_requests_total{method=\"other\",route=\"other\","
	                          "status=\"404\"}"), 2);
	cr_assert_eq(sample(text, "mediagate_requests_total{method=\"DELETE\",route=\"/inputs/{id}\","
	                          "status=\"other\"}"), 1);
	cr_assert_eq(sample(text, "mediagate_requests_total{method=\"DELETE\",route=\"/inputs/{id}\","
	                          "status=\"204\"}"), 1);
	/* Label sets never counted are not written; histograms only count their own route. */
	cr_assert_null(strstr(text, "status=\"200\""));
	cr_assert_eq(sample(text, "mediagate_upload_duration_seconds_count"), 0);
	cr_assert_eq(sample(text, "mediagate_read_duration_seconds_count"), 0);
	free(text);
	metrics_close(m);
}

Test(metrics, histogram_buckets_are_inclusive_cumulative_and_end_at_count)
{
	static const struct { double s; const char *le; } cases[] = {
		{0.0, "0.005"}, {0.005, "0.005"}, {0.0051, "0.01"}, {0.3, "0.5"}, {1.0, "1"},
		{29.9, "30"}, {31.0, "+Inf"}, {1e9, "+Inf"}, {-1.0, "0.005"},
	};
	static const char *const les[] = {
		"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
		"+Inf",
	};
	char err[256], series[128], *text;
	struct metrics *m = open_ok(routes, NCASES(routes), err, sizeof err);
	long long expect = 0, got;
	size_t i, j;

	for (i = 0; i < NCASES(cases); i++)
		metrics_request(m, R_UPLOAD, 201, 0, 0, cases[i].s);
	text = expose(m, NULL);
	for (i = 0; i < NCASES(les); i++) {
		for (j = 0; j < NCASES(cases); j++)
			if (strcmp(cases[j].le, les[i]) == 0)
				expect++;
		snprintf(series, sizeof series, "mediagate_upload_duration_seconds_bucket{le=\"%s\"}",
		         les[i]);
		got = sample(text, series);
		cr_assert_eq(got, expect, "%s: %lld, expected %lld", series, got, expect);
	}
	cr_assert_eq(sample(text, "mediagate_upload_duration_seconds_count"),
	             (long long)NCASES(cases));
	/* The sum in microseconds: 0 + 5000 + 5100 + 300000 + 1000000 + 29900000 + 31000000 +
	   86400000000 (a day at most) + 0 (negative). */
	cr_assert(strstr(text, "\nmediagate_upload_duration_seconds_sum 86462.210100\n") != NULL,
	          "%s", text);
	free(text);
	metrics_close(m);
}

/* Checks the text exposition format line by line; returns the number of sample lines. */
static int check_format(const char *text)
{
	char help[64][96], type[64][96];
	int nhelp = 0, ntype = 0, samples = 0, i;
	const char *p = text;

	cr_assert_gt(strlen(text), 0);
	cr_assert_eq(text[strlen(text) - 1], '\n', "ends with a newline");
	while (*p != '\0') {
		const char *end = strchr(p, '\n');
		char line[512], name[96], *s, *v;
		size_t n;
		int found = 0;

		cr_assert_not_null(end);
		n = (size_t)(end - p);
		cr_assert_lt(n, sizeof line);
		memcpy(line, p, n);
		line[n] = '\0';
		p = end + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			cr_assert_eq(sscanf(line + 7, "%95s", help[nhelp]), 1);
			cr_assert_gt(strlen(line), 8 + strlen(help[nhelp]), "HELP has text: %s", line);
			nhelp++;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char t[32];
			cr_assert_eq(sscanf(line + 7, "%95s %31s", type[ntype], t), 2);
			cr_assert(strcmp(t, "counter") == 0 || strcmp(t, "gauge") == 0 ||
			          strcmp(t, "histogram") == 0, "type %s", t);
			cr_assert_gt(nhelp, 0, "TYPE after a HELP: %s", line);
			cr_assert_eq(strcmp(type[ntype], help[nhelp - 1]), 0, "TYPE follows its HELP");
			if (strcmp(t, "counter") == 0)
				cr_assert(strstr(type[ntype], "_total") != NULL, "counter %s", type[ntype]);
			ntype++;
			continue;
		}
		/* name{label="value",...} value */
		cr_assert(strncmp(line, "mediagate_", 10) == 0, "sample: %s", line);
		s = line;
		while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
			s++;
		n = (size_t)(s - line);
		memcpy(name, line, n);
		name[n] = '\0';
		if (*s == '{') {
			s++;
			while (*s != '}') {
				while ((*s >= 'a' && *s <= 'z') || *s == '_')
					s++;
				cr_assert_eq(*s++, '=', "label in %s", line);
				cr_assert_eq(*s++, '"', "label in %s", line);
				while (*s != '"') {
					cr_assert_neq(*s, '\0', "label value in %s", line);
					cr_assert_neq(*s, '\n');
					if (*s == '\\') {
						s++;
						cr_assert(*s == '\\' || *s == '"' || *s == 'n', "escape %s", line);
					}
					s++;
				}
				s++;
				if (*s == ',')
					s++;
				else
					cr_assert_eq(*s, '}', "labels in %s", line);
			}
			s++;
		}
		cr_assert_eq(*s++, ' ', "one space before the value: %s", line);
		strtod(s, &v);
		cr_assert(v != s && *v == '\0', "value of %s", line);
		/* Its family has HELP and TYPE: a histogram's series carry a suffix. */
		for (i = 0; i < ntype && !found; i++) {
			size_t tl = strlen(type[i]);
			found = strcmp(name, type[i]) == 0 ||
			        (strncmp(name, type[i], tl) == 0 &&
			         (strcmp(name + tl, "_bucket") == 0 || strcmp(name + tl, "_sum") == 0 ||
			          strcmp(name + tl, "_count") == 0));
		}
		cr_assert(found, "no TYPE for %s", name);
		samples++;
	}
	cr_assert_eq(nhelp, ntype);
	return samples;
}

Test(metrics, exposition_parses_and_has_every_family)
{
	static const struct metrics_route odd[] = {{"GET", "/a\"b\\c"}, {"POST", "/inputs"}};
	struct metrics_gauges g = {1, 3, 12345, 1, 2};
	char err[256], *text;
	struct metrics *m = open_ok(odd, NCASES(odd), err, sizeof err);

	metrics_request(m, 0, 200, 0, 0, 0);
	metrics_request(m, 1, 201, 100, 10, 0.02);
	metrics_token_failure(m, METRICS_TOKEN_MISSING);
	metrics_token_failure(m, METRICS_TOKEN_NOT_FOUND);
	text = expose(m, &g);
	cr_assert_geq(check_format(text), 2 + 2 + 2 * 15 + 7 + 3);
	cr_assert(strstr(text, "route=\"/a\\\"b\\\\c\"") != NULL, "label escaping: %s", text);
	cr_assert_eq(sample(text, "mediagate_uploads_in_progress"), 2);
	cr_assert_eq(sample(text, "mediagate_store_inputs"), 3);
	cr_assert_eq(sample(text, "mediagate_store_size_bytes"), 12345);
	cr_assert_eq(sample(text, "mediagate_token_failures_total{reason=\"missing\"}"), 1);
	cr_assert_eq(sample(text, "mediagate_token_failures_total{reason=\"not_found\"}"), 1);
	cr_assert_eq(sample(text, "mediagate_token_failures_total{reason=\"invalid\"}"), 0);
	cr_assert_eq(sample(text, "mediagate_upload_duration_seconds_bucket{le=\"0.025\"}"), 1);
	cr_assert_eq(sample(text, "mediagate_upload_duration_seconds_bucket{le=\"0.01\"}"), 0);
	cr_assert(strstr(text, "# TYPE mediagate_upload_duration_seconds histogram\n") != NULL);
	cr_assert(strstr(text, "# TYPE mediagate_requests_total counter\n") != NULL);
	cr_assert(strstr(text, "# TYPE mediagate_store_size_bytes gauge\n") != NULL);
	free(text);
	/* Unknown gauges are left out rather than reported as 0. */
	g.have_store = g.have_uploads = 0;
	text = expose(m, &g);
	check_format(text);
	cr_assert_null(strstr(text, "mediagate_store_inputs"));
	cr_assert_null(strstr(text, "mediagate_uploads_in_progress"));
	free(text);
	metrics_close(m);
}

/* Who may scrape ---------------------------------------------------------------------------- */

Test(metrics, allowed_loopback_by_default)
{
	static const char *const yes[] = {
		"127.0.0.1", "127.255.1.2", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1",
	};
	static const char *const no[] = {
		"10.0.0.1", "128.0.0.1", "::2", "::", "0.0.0.0", "::ffff:10.0.0.1", "fe80::1",
		"localhost", "", "127.0.0.1 ", " 127.0.0.1", "127.0.0.1/8", "127.1", "1.2.3.4.5",
		"127.0.0.1\n",
		"127.0.0.1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	size_t i;

	for (i = 0; i < NCASES(yes); i++) {
		cr_assert_eq(metrics_allowed(yes[i], NULL), 1, "%s", yes[i]);
		cr_assert_eq(metrics_allowed(yes[i], ""), 1, "%s", yes[i]);
		cr_assert_eq(metrics_allowed(yes[i], "10.0.0.1"), 1, "%s: the list widens", yes[i]);
	}
	for (i = 0; i < NCASES(no); i++) {
		cr_assert_eq(metrics_allowed(no[i], NULL), 0, "'%s'", no[i]);
		cr_assert_eq(metrics_allowed(no[i], ""), 0, "'%s'", no[i]);
	}
	cr_assert_eq(metrics_allowed(NULL, NULL), 0);
	cr_assert_eq(metrics_allowed(NULL, "127.0.0.1"), 0);
}

Test(metrics, allowed_by_the_list)
{
	static const struct { const char *remote, *allow; int ok; } cases[] = {
		{"10.0.0.1", "10.0.0.1", 1},
		{"10.0.0.1", "192.168.1.1,10.0.0.1", 1},
		{"10.0.0.1", " 192.168.1.1 , 10.0.0.1 ", 1},
		{"10.0.0.10", "10.0.0.1", 0},           /* exact addresses, not prefixes */
		{"10.0.0.1", "10.0.0.10", 0},
		{"10.0.0.1", "10.0.0.0/8", 0},          /* no networks (and refused by the check) */
		{"2001:db8::1", "2001:DB8:0:0::1", 1},  /* compared as addresses */
		{"2001:db8::1", "2001:db8::2", 0},
		{"::ffff:10.0.0.1", "10.0.0.1", 1},     /* IPv4-mapped equals IPv4 */
		{"10.0.0.1", "::ffff:10.0.0.1", 1},
		{"10.0.0.1", ",,", 0},
		{"10.0.0.1", "any", 1},
		{"203.0.113.9", "10.0.0.1, any", 1},
		{"garbage", "any", 1},
		{NULL, "any", 1},
		{"10.0.0.1", "anything", 0},
		{"10.0.0.1", "ANY", 0},
	};
	size_t i;

	for (i = 0; i < NCASES(cases); i++)
		cr_assert_eq(metrics_allowed(cases[i].remote, cases[i].allow), cases[i].ok,
		             "%s with '%s'", cases[i].remote, cases[i].allow);
}

Test(metrics, allow_check)
{
	static const char *const good[] = {
		"", "any", "10.0.0.1", "10.0.0.1,::1", " 10.0.0.1 , 2001:db8::1 ", "any,10.0.0.1", ",",
	};
	static const char *const bad[] = {
		"10.0.0.0/8", "localhost", "10.0.0.1,x", "10.0.0.256", "fe80::1%eth0", "ANY",
		"10.0.0.1;10.0.0.2",
	};
	char err[128];
	size_t i;

	for (i = 0; i < NCASES(good); i++)
		cr_assert_eq(metrics_allow_check(good[i], err, sizeof err), 0, "'%s': %s", good[i], err);
	for (i = 0; i < NCASES(bad); i++) {
		err[0] = '\0';
		cr_assert_eq(metrics_allow_check(bad[i], err, sizeof err), -1, "'%s'", bad[i]);
		cr_assert(strstr(err, "not an IP address") != NULL, "'%s': %s", bad[i], err);
	}
}

Test(metrics, config_reads_and_checks_the_setting)
{
	struct config cfg;
	char err[256];

	unsetenv("MEDIAGATE_CONFIG");
	cr_assert_eq(setenv("MEDIAGATE_DATA_DIR", dir, 1), 0);
	unsetenv("MEDIAGATE_METRICS_ALLOW");
	cr_assert_eq(config_load(&cfg, err, sizeof err), 0, "%s", err);
	cr_assert_str_empty(cfg.metrics_allow);
	cr_assert_eq(setenv("MEDIAGATE_METRICS_ALLOW", "10.0.0.1, ::1", 1), 0);
	cr_assert_eq(config_load(&cfg, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(cfg.metrics_allow, "10.0.0.1, ::1");
	cr_assert_eq(setenv("MEDIAGATE_METRICS_ALLOW", "10.0.0.0/8", 1), 0);
	cr_assert_eq(config_load(&cfg, err, sizeof err), -1);
	cr_assert(strstr(err, "MEDIAGATE_METRICS_ALLOW") != NULL, "%s", err);
	unsetenv("MEDIAGATE_METRICS_ALLOW");
	unsetenv("MEDIAGATE_DATA_DIR");
}

/* Scrape-time gauges -------------------------------------------------------------------------- */

static int make_file(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof path, "%s/tmp/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	return fd;
}

Test(metrics, uploads_in_progress_are_the_locked_part_files)
{
	char path[128];
	uint64_t n = 99;
	int live, dead, other, dpart;

	cr_assert_eq(metrics_uploads_in_progress(dir, &n), -1, "no tmp/ yet");
	snprintf(path, sizeof path, "%s/tmp", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(metrics_uploads_in_progress(dir, &n), 0);
	cr_assert_eq(n, 0);
	live = make_file("AAAAAAAAAAAAAAAAAAAAAA.part");
	dead = make_file("BBBBBBBBBBBBBBBBBBBBBB.part");
	other = make_file("not-an-id.part");
	dpart = make_file("CCCCCCCCCCCCCCCCCCCCCC.wav.abcdefgh.dpart");
	/* A writer's lock: flock locks of two open files conflict, even in one process. */
	cr_assert_eq(flock(live, LOCK_EX), 0);
	cr_assert_eq(flock(other, LOCK_EX), 0);
	cr_assert_eq(flock(dpart, LOCK_EX), 0);
	cr_assert_eq(metrics_uploads_in_progress(dir, &n), 0);
	cr_assert_eq(n, 1, "only the locked ID.part counts, got %llu", (unsigned long long)n);
	cr_assert_eq(flock(dead, LOCK_EX), 0);
	cr_assert_eq(metrics_uploads_in_progress(dir, &n), 0);
	cr_assert_eq(n, 2);
	/* The scan took no lock that a writer would then miss. */
	cr_assert_eq(flock(dead, LOCK_UN), 0);
	cr_assert_eq(metrics_uploads_in_progress(dir, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(flock(dead, LOCK_EX | LOCK_NB), 0, "the scan left no lock behind");
	close(live);
	close(dead);
	close(other);
	close(dpart);
	cr_assert_eq(metrics_uploads_in_progress(dir, &n), 0);
	cr_assert_eq(n, 0);
}

static void put_input(struct store *st, const char *session, const char *bytes, char *id)
{
	struct store_input_meta meta;
	struct store_upload *up;
	struct store_input in;

	memset(&meta, 0, sizeof meta);
	strcpy(meta.session, session);
	strcpy(meta.kind, "file");
	strcpy(meta.content_type, "application/octet-stream");
	meta.created_at = 1000;
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	cr_assert_eq(store_upload_write(up, bytes, strlen(bytes)), STORE_OK);
	cr_assert_eq(store_upload_commit(up, &meta, &in), STORE_OK);
	strcpy(id, in.id);
	store_input_free(&in);
}

Test(metrics, store_stats_counts_live_inputs)
{
	struct store_session s1, s2;
	struct store *st = NULL;
	char a[STORE_ID_CHARS + 1], b[STORE_ID_CHARS + 1], c[STORE_ID_CHARS + 1];
	uint64_t inputs = 9, bytes = 9;

	cr_assert_eq(store_open(dir, &st), STORE_OK);
	cr_assert_eq(store_stats(st, &inputs, &bytes), STORE_OK);
	cr_assert_eq(inputs, 0);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(store_session_create(st, 1000, 86400, &s1), STORE_OK);
	cr_assert_eq(store_session_create(st, 1000, 86400, &s2), STORE_OK);
	put_input(st, s1.id, "hello", a);
	put_input(st, s1.id, "0123456789", b);
	put_input(st, s2.id, "abc", c);
	cr_assert_eq(store_stats(st, &inputs, &bytes), STORE_OK);
	cr_assert_eq(inputs, 3);
	cr_assert_eq(bytes, 18);
	cr_assert_eq(store_input_delete(st, b, 1001), STORE_OK);
	cr_assert_eq(store_stats(st, &inputs, &bytes), STORE_OK);
	cr_assert_eq(inputs, 2);
	cr_assert_eq(bytes, 8);
	cr_assert_eq(store_session_end(st, s2.id, 1002), STORE_OK);
	cr_assert_eq(store_stats(st, &inputs, &bytes), STORE_OK);
	cr_assert_eq(inputs, 1);
	cr_assert_eq(bytes, 5);
	cr_assert_eq(store_stats(st, NULL, &bytes), STORE_INVALID);
	cr_assert_eq(store_stats(NULL, &inputs, &bytes), STORE_INVALID);
	store_close(st);
	(void)a;
	(void)c;
}
