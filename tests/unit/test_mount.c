/* test_mount.c: unit tests for fcgi/mount.c (the mount prefix from SCRIPT_NAME and PATH_INFO). */
#include <criterion/criterion.h>

#include "fcgi/mount.h"

struct mount_case {
	const char *path, *script_name, *path_info;
	size_t want;
};

Test(mount, prefix_from_script_name)
{
	static const struct mount_case cases[] = {
		/* Apache ScriptAlias /media, nginx split_path_info, lighttpd "/media" */
		{"/media/inputs/abc/content", "/media", "/inputs/abc/content", 6},
		{"/media/", "/media", "/", 6},
		{"/media/healthz", "/media", "/healthz", 6},
		{"/media/static/mediagate.js", "/media", "/static/mediagate.js", 6},
		{"/media/nothing", "/media", "/nothing", 0},
		{"/a/b/inputs", "/a/b", "/inputs", 4},
		/* mounted at the root: lighttpd fix-root-scriptname, nginx without split */
		{"/inputs/abc/content", "/inputs", "/abc/content", 0},
		{"/static/mediagate.js", "/static", "/mediagate.js", 0},
		{"/sessions/current", "/sessions", "/current", 0},
		{"/inputs/abc", "", "/inputs/abc", 0},
		{"/inputs/abc", "/inputs/abc", NULL, 0},
		{"/inputs/abc", "/inputs/abc", "", 0},
		{"/healthz", NULL, NULL, 0},
		/* SCRIPT_NAME that does not start the path, or not at a segment boundary */
		{"/mediax/inputs", "/media", "x/inputs", 0},
		{"/other/inputs", "/media", "/inputs", 0},
		{"/med%69a/inputs", "/media", "/inputs", 0},
		{"/media", "/media", "/", 0},
		/* a SCRIPT_NAME ending in '/' or relative is no prefix */
		{"/media/inputs", "/media/", "inputs", 0},
		{"media/inputs", "media", "/inputs", 0},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(mount_prefix_len(cases[i].path, cases[i].script_name, cases[i].path_info),
		             cases[i].want, "case %zu: %s SCRIPT_NAME=%s PATH_INFO=%s", i,
		             cases[i].path, cases[i].script_name ? cases[i].script_name : "(none)",
		             cases[i].path_info ? cases[i].path_info : "(none)");
}
