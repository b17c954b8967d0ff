/* mount.h: where the app is mounted in the web server's URL space (its path prefix). */
#ifndef MG_MOUNT_H
#define MG_MOUNT_H

#include <stddef.h>

/*
 * mount_prefix_len: the length in bytes of the mount prefix at the start of path, the
 * undecoded path of REQUEST_URI (no query). The prefix never ends in '/'; 0 means mounted at
 * "/". The rest of path (from the returned offset) is the app's own path, starting with '/'.
 *
 * RFC 3875 section 4.1.13 and 4.1.5: a web server that maps a URL prefix to the app sends the
 * prefix as SCRIPT_NAME and the rest, decoded, as PATH_INFO. The prefix is taken from
 * SCRIPT_NAME when PATH_INFO is non-empty, SCRIPT_NAME is non-empty, does not end in '/', and path
 * starts with it, byte for byte, followed by '/' (so a prefix spelt with percent-encoding in the
 * request, which SCRIPT_NAME has decoded, is not one: such a request is then routed as a whole
 * and finds no route), and the rest starts with a first segment of one of the app's routes
 * (fcgi/router.c): lighttpd mounting the app at "/" sends the first segment of every path as
 * SCRIPT_NAME (SCRIPT_NAME "/inputs", PATH_INFO "/ID/content") unless "fix-root-scriptname" is
 * on, and that is no prefix. Anything else (no PATH_INFO, a server that sends the whole path as
 * SCRIPT_NAME) means "/". script_name and path_info may be NULL (not sent).
 *
 * Mounted at /media: Apache's ScriptAlias /media, lighttpd's fastcgi.server "/media" (no trailing
 * slash; with "/media/" lighttpd cuts SCRIPT_NAME after the next segment), nginx's
 * fastcgi_split_path_info ^(/media)(/.*)$ (README, "Mounting at a prefix").
 */
size_t mount_prefix_len(const char *path, const char *script_name, const char *path_info);

#endif
