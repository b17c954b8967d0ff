/* keyring.c: load, create and rotate the 0600 file of HMAC keys that sign tokens. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tokens/keyring.h"

/* A key line is at most this long (without its newline); anything longer is not ours. */
#define KR_LINE_MAX 200
/* The whole file is read into memory, so it is capped: 64 key lines plus generous comments. */
#define KR_FILE_MAX (64 * 1024)
/* "4294967295 " + 64 hex digits + "\n" + NUL */
#define KR_KEYLINE_SIZE (10 + 1 + 2 * KEYRING_KEY_BYTES + 2)

/* Read the whole of fd (at most KR_FILE_MAX bytes) into a fresh buffer; -1 with errno set. */
static int read_all(int fd, char **bufp, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	buf = malloc(KR_FILE_MAX + 1);
	if (buf == NULL)
		return -1;
	for (;;) {
		n = read(fd, buf + len, KR_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			OPENSSL_cleanse(buf, len);
			free(buf);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KR_FILE_MAX) {
			OPENSSL_cleanse(buf, len);
			free(buf);
			errno = EFBIG;
			return -1;
		}
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* Write all of buf to fd, retrying short writes and EINTR; -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * fsync the directory holding path, so that a create, link or rename in it survives a crash
 * (fsync(2): syncing the file does not sync its directory entry). -1 with errno set.
 */
static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, rc, saved;

	if (slash == NULL) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof dir) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Parse one line (without its newline) into k. Returns 1 for a key, 0 for a blank or comment
 * line, -1 for anything else. The id is plain decimal: no sign, no leading zero, no leading
 * white space, at most 2^32-1; then blanks, exactly 64 hex digits, and only blanks after them.
 */
static int parse_line(const char *s, size_t len, struct keyring_key *k)
{
	size_t i = 0, j;
	uint64_t id = 0;

	if (len > 0 && s[0] == '#')
		return 0;
	while (i < len && is_blank(s[i]))
		i++;
	if (i == len)
		return 0;
	if (i != 0 || s[0] < '1' || s[0] > '9')
		return -1;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		id = id * 10 + (uint64_t)(s[i] - '0');
		if (id > UINT32_MAX)
			return -1;
		i++;
	}
	if (i == len || (s[i] != ' ' && s[i] != '\t'))
		return -1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (len - i < 2 * KEYRING_KEY_BYTES)
		return -1;
	for (j = 0; j < KEYRING_KEY_BYTES; j++) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[i + 2 * j]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[i + 2 * j + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		k->key[j] = (uint8_t)(hi << 4 | lo);
	}
	for (i += 2 * KEYRING_KEY_BYTES; i < len; i++)
		if (!is_blank(s[i]))
			return -1;
	k->id = (uint32_t)id;
	return 1;
}

static int key_cmp(const void *a, const void *b)
{
	const struct keyring_key *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Parse the text of a key file into kr (already zeroed). */
static enum keyring_err parse_file(struct keyring *kr, const char *buf, size_t len)
{
	struct keyring_key k;
	size_t pos = 0, i;
	enum keyring_err err = KEYRING_OK;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		int r;

		if (end - pos > KR_LINE_MAX) {
			err = KEYRING_FORMAT;
			goto out;
		}
		r = parse_line(buf + pos, end - pos, &k);
		if (r < 0) {
			err = KEYRING_FORMAT;
			goto out;
		}
		if (r > 0) {
			if (kr->nkeys == KEYRING_MAX_KEYS) {
				err = KEYRING_FULL;
				goto out;
			}
			kr->keys[kr->nkeys++] = k;
		}
		pos = end + 1;
	}
	if (kr->nkeys == 0) {
		err = KEYRING_FORMAT;
		goto out;
	}
	qsort(kr->keys, kr->nkeys, sizeof kr->keys[0], key_cmp);
	for (i = 1; i < kr->nkeys; i++) {
		if (kr->keys[i].id == kr->keys[i - 1].id) {
			err = KEYRING_FORMAT;
			goto out;
		}
	}
out:
	OPENSSL_cleanse(&k, sizeof k);
	return err;
}

/*
 * Open path, refuse it unless it is a regular file without group or other permission bits, and
 * read it whole into *bufp (the caller cleanses and frees it).
 */
static enum keyring_err read_file(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	enum keyring_err err = KEYRING_OK;
	int fd, saved = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return KEYRING_IO;
	/* fstat on the open descriptor, so the mode checked is the mode of the file read. */
	if (fstat(fd, &st) < 0) {
		saved = errno;
		err = KEYRING_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		saved = EINVAL;
		err = KEYRING_IO;
		goto out;
	}
	if (st.st_mode & 077) {
		err = KEYRING_PERM;
		goto out;
	}
	if (read_all(fd, bufp, lenp) < 0) {
		saved = errno;
		err = KEYRING_IO;
		goto out;
	}
out:
	close(fd);
	if (err == KEYRING_IO)
		errno = saved;
	return err;
}

/* Format "ID HEX\n" into line (KR_KEYLINE_SIZE bytes); returns its length. */
static size_t format_key(char *line, const struct keyring_key *k)
{
	static const char hex[] = "0123456789abcdef";
	int n = snprintf(line, KR_KEYLINE_SIZE, "%lu ", (unsigned long)k->id);
	size_t o = (size_t)n, j;

	for (j = 0; j < KEYRING_KEY_BYTES; j++) {
		line[o++] = hex[k->key[j] >> 4];
		line[o++] = hex[k->key[j] & 15];
	}
	line[o++] = '\n';
	line[o] = '\0';
	return o;
}

/*
 * Create a file from the template tmp ("...XXXXXX", rewritten in place) with mkostemp, which
 * opens with O_CREAT | O_EXCL and mode 0600; fchmod 0600 again so the umask does not matter.
 * Write len bytes of buf, fsync and close it. On error the file is removed and errno kept.
 */
static enum keyring_err write_new(char *tmp, const char *buf, size_t len)
{
	enum keyring_err err = KEYRING_IO;
	int fd, saved;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return KEYRING_IO;
	if (fchmod(fd, 0600) < 0 || write_all(fd, buf, len) < 0 || fsync(fd) < 0)
		goto out;
	err = KEYRING_OK;
out:
	saved = errno;
	if (close(fd) < 0 && err == KEYRING_OK) {
		saved = errno;
		err = KEYRING_IO;
	}
	if (err != KEYRING_OK)
		unlink(tmp);
	errno = saved;
	return err;
}

/* Build "PATH" + suffix into dst (PATH_MAX bytes); -1 with ENAMETOOLONG when it does not fit. */
static int path_with(char *dst, const char *path, const char *suffix)
{
	int n = snprintf(dst, PATH_MAX, "%s%s", path, suffix);

	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Create the key file with one fresh key, id 1. The file is written in full and fsynced under
 * a unique temporary name first (mkostemp: O_EXCL, 0600) and then hard-linked to path: link(2)
 * fails with EEXIST like O_EXCL would, but a process that loses the race never sees a
 * half-written file, and a crash never leaves an empty key file behind. Returns KEYRING_OK, or
 * an error with *exists set when another process created path first.
 */
static enum keyring_err create_file(const char *path, int *exists)
{
	struct keyring_key k;
	char tmp[PATH_MAX], line[KR_KEYLINE_SIZE];
	enum keyring_err err;
	size_t len;
	int saved = 0;

	*exists = 0;
	memset(&k, 0, sizeof k);
	k.id = 1;
	if (RAND_bytes(k.key, sizeof k.key) != 1) {
		err = KEYRING_RANDOM;
		goto out;
	}
	len = format_key(line, &k);
	if (path_with(tmp, path, ".new.XXXXXX") < 0) {
		saved = errno;
		err = KEYRING_IO;
		goto out;
	}
	err = write_new(tmp, line, len);
	if (err != KEYRING_OK) {
		saved = errno;
		goto out;
	}
	if (link(tmp, path) < 0) {
		saved = errno;
		*exists = saved == EEXIST;
		err = KEYRING_IO;
	}
	unlink(tmp);
	if (err == KEYRING_OK && fsync_dir(path) < 0) {
		saved = errno;
		err = KEYRING_IO;
	}
out:
	OPENSSL_cleanse(&k, sizeof k);
	OPENSSL_cleanse(line, sizeof line);
	if (err == KEYRING_IO)
		errno = saved;
	return err;
}

enum keyring_err keyring_load(struct keyring *kr, const char *path, int create)
{
	enum keyring_err err;
	char *buf = NULL;
	size_t len = 0;
	int exists, saved = 0;

	OPENSSL_cleanse(kr, sizeof *kr);
	err = read_file(path, &buf, &len);
	if (err == KEYRING_IO && errno == ENOENT && create) {
		err = create_file(path, &exists);
		/* Created here, or by a concurrent process that won the race: read what is there. */
		if (err == KEYRING_OK || exists)
			err = read_file(path, &buf, &len);
	}
	if (err != KEYRING_OK) {
		saved = errno;
		goto out;
	}
	err = parse_file(kr, buf, len);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (err != KEYRING_OK)
		OPENSSL_cleanse(kr, sizeof *kr);
	if (err == KEYRING_IO)
		errno = saved;
	return err;
}

enum keyring_err keyring_rotate(struct keyring *kr, const char *path)
{
	struct keyring cur;
	struct keyring_key k;
	char tmp[PATH_MAX], line[KR_KEYLINE_SIZE];
	char *buf = NULL;
	size_t len = 0, llen;
	enum keyring_err err = KEYRING_IO;
	int fd = -1, have_tmp = 0, saved = 0;

	memset(&k, 0, sizeof k);
	memset(&cur, 0, sizeof cur);
	if (path_with(tmp, path, ".tmp") < 0) {
		saved = errno;
		goto out;
	}
	/*
	 * PATH.tmp is created before the file is read, so it also serialises rotations: a second
	 * rotation (or a stale PATH.tmp after a crash, to be removed by hand) fails with EEXIST
	 * instead of overwriting a key added meanwhile.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		saved = errno;
		goto out;
	}
	have_tmp = 1;
	if (fchmod(fd, 0600) < 0) {
		saved = errno;
		goto out;
	}
	/* The file, not kr, is the truth: another process may have rotated since kr was loaded. */
	err = read_file(path, &buf, &len);
	if (err != KEYRING_OK) {
		saved = errno;
		goto out;
	}
	err = parse_file(&cur, buf, len);
	if (err != KEYRING_OK)
		goto out;
	if (cur.nkeys == KEYRING_MAX_KEYS || keyring_newest(&cur)->id == UINT32_MAX) {
		err = KEYRING_FULL;
		goto out;
	}
	k.id = keyring_newest(&cur)->id + 1;
	if (RAND_bytes(k.key, sizeof k.key) != 1) {
		err = KEYRING_RANDOM;
		goto out;
	}
	/* Keep the file as it is (comments, order, hand edits) and append the new line. */
	llen = format_key(line, &k);
	err = KEYRING_IO;
	if (write_all(fd, buf, len) < 0 ||
	    (len > 0 && buf[len - 1] != '\n' && write_all(fd, "\n", 1) < 0) ||
	    write_all(fd, line, llen) < 0 || fsync(fd) < 0) {
		saved = errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		saved = errno;
		goto out;
	}
	fd = -1;
	/* rename(2) is atomic: a crash leaves the old file or the new one, never a mix. */
	if (rename(tmp, path) < 0) {
		saved = errno;
		goto out;
	}
	have_tmp = 0;
	if (fsync_dir(path) < 0) {
		saved = errno;
		goto out;
	}
	err = keyring_load(kr, path, 0);
	saved = errno;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	OPENSSL_cleanse(&cur, sizeof cur);
	OPENSSL_cleanse(&k, sizeof k);
	OPENSSL_cleanse(line, sizeof line);
	if (err == KEYRING_IO)
		errno = saved;
	return err;
}

const struct keyring_key *keyring_newest(const struct keyring *kr)
{
	if (kr == NULL || kr->nkeys == 0 || kr->nkeys > KEYRING_MAX_KEYS)
		return NULL;
	return &kr->keys[kr->nkeys - 1];
}

const struct keyring_key *keyring_find(const struct keyring *kr, uint32_t id)
{
	size_t lo = 0, hi;

	if (kr == NULL || kr->nkeys > KEYRING_MAX_KEYS)
		return NULL;
	/* Binary search: keys are sorted by id. */
	hi = kr->nkeys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kr->keys[mid].id == id)
			return &kr->keys[mid];
		if (kr->keys[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *keyring_strerror(enum keyring_err err)
{
	switch (err) {
	case KEYRING_OK:
		return "No error.";
	case KEYRING_IO:
		return "The key file could not be read or written.";
	case KEYRING_PERM:
		return "The key file is accessible by group or others (it must be mode 0600).";
	case KEYRING_FORMAT:
		return "The key file has a malformed line, a duplicate id, or no key.";
	case KEYRING_FULL:
		return "The key file holds the maximum number of keys.";
	case KEYRING_RANDOM:
		return "The random number generator failed.";
	}
	return "Unknown key ring error.";
}

void keyring_wipe(struct keyring *kr)
{
	if (kr != NULL)
		OPENSSL_cleanse(kr, sizeof *kr);
}
