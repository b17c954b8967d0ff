/* mount.c: the mount prefix, from the CGI meta-variables SCRIPT_NAME and PATH_INFO. */
#include <string.h>

#include "fcgi/handlers.h"
#include "fcgi/mount.h"

/* Whether the first segment of path (after its '/') is the first segment of a route pattern. */
static int own_path(const char *path)
{
	size_t i, n = strcspn(path + 1, "/"), count = route_count();

	for (i = 0; i < count; i++) {
		const char *p = route_at(i, NULL);
		if (strncmp(p + 1, path + 1, n) == 0 && (p[n + 1] == '/' || p[n + 1] == '\0'))
			return 1;
	}
	return 0;
}

size_t mount_prefix_len(const char *path, const char *script_name, const char *path_info)
{
	size_t n;

	if (script_name == NULL || path_info == NULL || path_info[0] == '\0')
		return 0;
	n = strlen(script_name);
	if (n == 0 || script_name[n - 1] == '/' || script_name[0] != '/')
		return 0;
	if (strncmp(path, script_name, n) != 0 || path[n] != '/')
		return 0;
	return own_path(path + n) ? n : 0;
}
