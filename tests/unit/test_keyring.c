/* test_keyring.c: unit tests for tokens/keyring.c (the 0600 key file: load, create, rotate). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tokens/keyring.h"

#define HEX_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEX_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mg_keyring_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/keys", dir);
}

/* Remove every file in the temp dir, then the dir (no sub-directories are ever made). */
static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

TestSuite(keyring, .init = setup, .fini = teardown);

/* Write text as the key file with the given mode (set with chmod, independent of umask). */
static void write_keys(const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

static void write_keys_str(const char *text)
{
	write_keys(text, strlen(text), 0600);
}

/* The number of directory entries other than "." and "..": catches stray temporary files. */
static int count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static size_t read_text(char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

Test(keyring, create_makes_a_0600_file_with_one_key)
{
	struct keyring kr;
	struct stat st;
	char text[256];
	size_t n, i;

	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", (unsigned)(st.st_mode & 07777));
	cr_assert_eq(kr.nkeys, 1);
	cr_assert_eq(kr.keys[0].id, 1);
	cr_assert(!is_zero(kr.keys[0].key, KEYRING_KEY_BYTES));
	/* One line "1 " + 64 hex digits + newline, and no temporary file left behind. */
	n = read_text(text, sizeof text);
	cr_assert_eq(n, 2 + 64 + 1, "file is \"%s\"", text);
	cr_assert(text[0] == '1' && text[1] == ' ' && text[66] == '\n');
	for (i = 2; i < 66; i++)
		cr_assert(strchr("0123456789abcdef", text[i]) != NULL);
	cr_assert_eq(count_files(), 1);
	keyring_wipe(&kr);
}

Test(keyring, create_ignores_the_umask)
{
	struct keyring kr;
	struct stat st;
	mode_t old;

	/* A permissive umask must not give the file group/other bits ... */
	old = umask(0);
	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(unlink(path), 0);
	/* ... and a strict one must not leave the owner unable to read it back. */
	umask(0277);
	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	umask(old);
}

Test(keyring, load_again_gives_the_same_key)
{
	struct keyring a, b;

	cr_assert_eq(keyring_load(&a, path, 1), KEYRING_OK);
	cr_assert_eq(keyring_load(&b, path, 1), KEYRING_OK);
	cr_assert_eq(b.nkeys, 1);
	cr_assert_eq(b.keys[0].id, a.keys[0].id);
	cr_assert_eq(memcmp(a.keys[0].key, b.keys[0].key, KEYRING_KEY_BYTES), 0);
	/* Loading without create reads the same file too. */
	cr_assert_eq(keyring_load(&b, path, 0), KEYRING_OK);
	cr_assert_eq(memcmp(a.keys[0].key, b.keys[0].key, KEYRING_KEY_BYTES), 0);
}

Test(keyring, two_creations_give_two_different_keys)
{
	struct keyring a, b;

	cr_assert_eq(keyring_load(&a, path, 1), KEYRING_OK);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(keyring_load(&b, path, 1), KEYRING_OK);
	cr_assert_neq(memcmp(a.keys[0].key, b.keys[0].key, KEYRING_KEY_BYTES), 0);
}

Test(keyring, loads_a_known_file)
{
	struct keyring kr;

	write_keys_str("1 " HEX_A "\n");
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 1);
	cr_assert_eq(kr.keys[0].id, 1);
	cr_assert_eq(kr.keys[0].key[0], 0x00);
	cr_assert_eq(kr.keys[0].key[1], 0x11);
	cr_assert_eq(kr.keys[0].key[15], 0xff);
	cr_assert_eq(kr.keys[0].key[31], 0xff);
}

Test(keyring, group_or_other_bits_are_refused)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0602, 0620, 0660, 0666, 0601, 0610 };
	struct keyring kr;
	size_t i;

	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&kr, 0xAA, sizeof kr);
		cr_assert_eq(chmod(path, bad[i]), 0);
		cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_PERM, "mode %o", (unsigned)bad[i]);
		cr_assert(is_zero(&kr, sizeof kr), "kr zeroed on error");
	}
	/* Owner-only modes are fine, read-only included. */
	cr_assert_eq(chmod(path, 0400), 0);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
}

Test(keyring, malformed_lines_are_refused)
{
	static const char *bad[] = {
		"",                                    /* no key at all */
		"# only a comment\n\n",
		"+1 " HEX_A "\n",
		"-1 " HEX_A "\n",
		" 1 " HEX_A "\n",                     /* leading white space */
		"x1 " HEX_A "\n",
		"01 " HEX_A "\n",                      /* leading zero */
		"0 " HEX_A "\n",                       /* ids start at 1 */
		"4294967296 " HEX_A "\n",              /* 2^32 */
		"99999999999999999999999 " HEX_A "\n",
		"1x " HEX_A "\n",
		"1" HEX_A "\n",                        /* no separator */
		"1\n",
		"1 \n",
		"1 " HEX_A "0\n",                      /* 65 hex digits */
		"1 " HEX_A "00\n",                     /* 66 */
		"1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n",  /* 63 */
		"1 0x112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		"1 g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		"1 00:1122334455667788 99aabbccddeeff00112233445566778899aabbccddeeff\n",
		"1 " HEX_A " junk\n",
		"1 " HEX_A "\n" "garbage\n",
		"1 " HEX_A "\n" "2 " HEX_B "x\n",
		"  # an indented comment is not a comment\n1 " HEX_A "\n",
		"1 " HEX_A " #trailing comment\n",
	};
	struct keyring kr;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_keys_str(bad[i]);
		memset(&kr, 0xAA, sizeof kr);
		cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_FORMAT, "case %zu: \"%s\"", i, bad[i]);
		cr_assert(is_zero(&kr, sizeof kr), "case %zu: kr zeroed on error", i);
		/* create=1 does not replace a malformed file. */
		cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_FORMAT, "case %zu", i);
	}
}

Test(keyring, nul_byte_in_a_line_is_refused)
{
	static const char text[] = "1 " HEX_A "\0\n";
	struct keyring kr;

	write_keys(text, sizeof text - 1, 0600);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_FORMAT);
}

Test(keyring, lenient_where_documented)
{
	struct keyring kr;
	char text[512];

	/* Comments, blank lines, trailing white space, CRLF, a tab, upper case, no final newline. */
	write_keys_str("# mediagate keys\n"
	               "\n"
	               "   \t\n"
	               "1 " HEX_A "  \t\r\n"
	               "2\t" "FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA99887766554433221100"
	               "\n"
	               "4294967295 " HEX_A);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 3);
	cr_assert_eq(kr.keys[1].id, 2);
	cr_assert_eq(kr.keys[1].key[0], 0xff);
	cr_assert_eq(kr.keys[1].key[31], 0x00);
	cr_assert_eq(kr.keys[2].id, 4294967295u);

	/* A line of exactly 200 bytes is accepted, 201 is not. */
	memset(text, 0, sizeof text);
	text[0] = '#';
	memset(text + 1, 'c', 199);
	strcat(text, "\n1 " HEX_A "\n");
	write_keys_str(text);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	memset(text, 0, sizeof text);
	text[0] = '#';
	memset(text + 1, 'c', 200);
	strcat(text, "\n1 " HEX_A "\n");
	write_keys_str(text);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_FORMAT);
}

Test(keyring, duplicate_ids_are_refused)
{
	struct keyring kr;

	write_keys_str("1 " HEX_A "\n1 " HEX_B "\n");
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_FORMAT);
	/* Same id, same key, not adjacent in the file: still a duplicate. */
	write_keys_str("7 " HEX_A "\n2 " HEX_B "\n7 " HEX_A "\n");
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_FORMAT);
}

Test(keyring, keys_are_sorted_by_id)
{
	struct keyring kr;

	write_keys_str("30 " HEX_A "\n1 " HEX_B "\n7 " HEX_A "\n");
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 3);
	cr_assert_eq(kr.keys[0].id, 1);
	cr_assert_eq(kr.keys[1].id, 7);
	cr_assert_eq(kr.keys[2].id, 30);
	cr_assert_eq(kr.keys[0].key[0], 0xff);
	cr_assert_eq(keyring_newest(&kr)->id, 30);
	cr_assert_eq(keyring_find(&kr, 1), &kr.keys[0]);
	cr_assert_eq(keyring_find(&kr, 7), &kr.keys[1]);
	cr_assert_eq(keyring_find(&kr, 30), &kr.keys[2]);
	cr_assert_null(keyring_find(&kr, 0));
	cr_assert_null(keyring_find(&kr, 2));
	cr_assert_null(keyring_find(&kr, 31));
	cr_assert_null(keyring_find(&kr, UINT32_MAX));
}

Test(keyring, more_than_max_keys_is_full)
{
	struct keyring kr;
	char *text = malloc((KEYRING_MAX_KEYS + 1) * 80);
	size_t o = 0;
	int i;

	cr_assert_not_null(text);
	for (i = 1; i <= KEYRING_MAX_KEYS; i++)
		o += (size_t)sprintf(text + o, "%d %s\n", i, HEX_A);
	write_keys(text, o, 0600);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	cr_assert_eq(kr.nkeys, KEYRING_MAX_KEYS);
	/* Rotation cannot add a 65th key. */
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_FULL);
	o += (size_t)sprintf(text + o, "%d %s\n", KEYRING_MAX_KEYS + 1, HEX_A);
	write_keys(text, o, 0600);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_FULL);
	free(text);
}

Test(keyring, oversized_file_is_refused)
{
	struct keyring kr;
	size_t len = 70 * 1024, i;
	char *text = malloc(len);

	cr_assert_not_null(text);
	/* Short comment lines: each is valid, but the file is beyond the cap. */
	for (i = 0; i < len; i += 2) {
		text[i] = '#';
		text[i + 1] = '\n';
	}
	memcpy(text, "1 " HEX_A "\n", 67);
	write_keys(text, len, 0600);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_IO);
	cr_assert_eq(errno, EFBIG);
	free(text);
}

Test(keyring, rotate_adds_key_2_and_keeps_key_1)
{
	struct keyring kr, again;
	struct keyring_key old;
	struct stat st;
	char text[512];

	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	old = kr.keys[0];
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 2);
	cr_assert_eq(keyring_newest(&kr)->id, 2);
	cr_assert_eq(kr.keys[0].id, 1);
	cr_assert_eq(memcmp(kr.keys[0].key, old.key, KEYRING_KEY_BYTES), 0);
	cr_assert_neq(memcmp(kr.keys[1].key, old.key, KEYRING_KEY_BYTES), 0);
	/* The file holds both, is still 0600, and the temporary file is gone. */
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(count_files(), 1);
	cr_assert_eq(keyring_load(&again, path, 0), KEYRING_OK);
	cr_assert_eq(memcmp(&again, &kr, sizeof kr), 0);
	cr_assert_eq(read_text(text, sizeof text), 2 * 67);
	/* And again: id 3. */
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 3);
	cr_assert_eq(keyring_newest(&kr)->id, 3);
	cr_assert_eq(memcmp(kr.keys[0].key, old.key, KEYRING_KEY_BYTES), 0);
}

Test(keyring, rotate_keeps_comments_and_uses_the_file_not_kr)
{
	struct keyring kr, stale;
	char text[1024];

	write_keys_str("# keep me\n5 " HEX_A "\n2 " HEX_B);     /* no final newline */
	cr_assert_eq(keyring_load(&stale, path, 0), KEYRING_OK);
	memset(&kr, 0, sizeof kr);                               /* kr is not what is rotated */
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 3);
	cr_assert_eq(keyring_newest(&kr)->id, 6);
	read_text(text, sizeof text);
	cr_assert_eq(strncmp(text, "# keep me\n5 " HEX_A "\n2 " HEX_B "\n6 ", 10 + 67 + 67 + 2), 0,
	             "file is \"%s\"", text);
	cr_assert_eq(memcmp(&kr.keys[0], &stale.keys[0], sizeof kr.keys[0]), 0);
	cr_assert_eq(memcmp(&kr.keys[1], &stale.keys[1], sizeof kr.keys[1]), 0);
}

Test(keyring, rotate_refuses_a_stale_tmp_file)
{
	struct keyring kr;
	char tmp[PATH_MAX], before[256], after[256];
	int fd;

	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	read_text(before, sizeof before);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_IO);
	cr_assert_eq(errno, EEXIST);
	/* Nothing changed: the key file, kr, and someone else's PATH.tmp are all left alone. */
	read_text(after, sizeof after);
	cr_assert_str_eq(before, after);
	cr_assert_eq(kr.nkeys, 1);
	cr_assert_eq(access(tmp, F_OK), 0);
}

Test(keyring, rotate_errors)
{
	struct keyring kr;

	/* No file. */
	memset(&kr, 0, sizeof kr);
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_IO);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(count_files(), 0, "no PATH.tmp left");
	/* A file with bad permissions or bad content is not rewritten. */
	write_keys("1 " HEX_A "\n", 67, 0644);
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_PERM);
	write_keys_str("1 nothex\n");
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_FORMAT);
	cr_assert_eq(count_files(), 1);
	/* The largest id cannot be followed. */
	write_keys_str("4294967295 " HEX_A "\n");
	cr_assert_eq(keyring_rotate(&kr, path), KEYRING_FULL);
	cr_assert_eq(count_files(), 1);
}

Test(keyring, missing_file_without_create_is_io)
{
	struct keyring kr;

	memset(&kr, 0xAA, sizeof kr);
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_IO);
	cr_assert_eq(errno, ENOENT);
	cr_assert(is_zero(&kr, sizeof kr));
	cr_assert_eq(access(path, F_OK), -1, "not created");
}

Test(keyring, missing_directory_is_io)
{
	struct keyring kr;
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/nodir/keys", dir);
	cr_assert_eq(keyring_load(&kr, p, 1), KEYRING_IO);
	cr_assert_eq(errno, ENOENT);
}

Test(keyring, a_directory_is_not_a_key_file)
{
	struct keyring kr;

	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_IO);
	rmdir(path);
}

Test(keyring, concurrent_creation_agrees_on_one_key)
{
	enum { N = 8 };
	struct keyring kr;
	uint8_t got[N * KEYRING_KEY_BYTES];
	int keys[2], go[2], i, status;
	size_t have = 0;
	ssize_t n;

	cr_assert_eq(pipe(keys), 0);
	cr_assert_eq(pipe(go), 0);
	for (i = 0; i < N; i++) {
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0) {
			struct keyring mine;
			char c;
			close(keys[0]);
			close(go[1]);
			/* Wait for the start signal (EOF) so that all N race for the creation. */
			while (read(go[0], &c, 1) > 0)
				;
			if (keyring_load(&mine, path, 1) != KEYRING_OK || mine.nkeys != 1)
				_exit(1);
			if (write(keys[1], mine.keys[0].key, KEYRING_KEY_BYTES) != KEYRING_KEY_BYTES)
				_exit(2);
			_exit(0);
		}
	}
	close(keys[1]);
	close(go[0]);
	close(go[1]);
	/* EINTR is retried: the test runner may have a SIGCHLD handler installed. */
	while (have < sizeof got) {
		n = read(keys[0], got + have, sizeof got - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(keys[0]);
	for (i = 0; i < N; i++) {
		pid_t w;
		while ((w = wait(&status)) < 0 && errno == EINTR)
			;
		cr_assert_gt(w, 0, "wait: %s", strerror(errno));
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	}
	cr_assert_eq(have, sizeof got, "read %zu key bytes", have);
	/* Every process got the key that is in the file, and one file was made. */
	cr_assert_eq(keyring_load(&kr, path, 0), KEYRING_OK);
	cr_assert_eq(kr.nkeys, 1);
	for (i = 0; i < N; i++)
		cr_assert_eq(memcmp(got + i * KEYRING_KEY_BYTES, kr.keys[0].key, KEYRING_KEY_BYTES), 0,
		             "process %d", i);
	cr_assert_eq(count_files(), 1);
}

Test(keyring, find_newest_on_empty)
{
	struct keyring kr;

	memset(&kr, 0, sizeof kr);
	cr_assert_null(keyring_newest(&kr));
	cr_assert_null(keyring_find(&kr, 1));
}

Test(keyring, wipe_zeroes_the_keys)
{
	struct keyring kr;

	cr_assert_eq(keyring_load(&kr, path, 1), KEYRING_OK);
	keyring_wipe(&kr);
	cr_assert(is_zero(&kr, sizeof kr));
	cr_assert_null(keyring_newest(&kr));
}

Test(keyring, strerror_covers_every_error)
{
	enum keyring_err e;

	for (e = KEYRING_OK; e <= KEYRING_RANDOM; e++) {
		cr_assert_not_null(keyring_strerror(e));
		cr_assert_gt(strlen(keyring_strerror(e)), 0);
	}
	cr_assert_str_neq(keyring_strerror(KEYRING_PERM), keyring_strerror(KEYRING_FORMAT));
}
