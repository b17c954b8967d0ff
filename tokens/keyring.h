/* keyring.h: the HMAC keys that sign and verify tokens, kept in a 0600 file in the data folder. */
#ifndef MG_KEYRING_H
#define MG_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define KEYRING_KEY_BYTES 32   /* HMAC-SHA256 keys are 256 bits */
#define KEYRING_MAX_KEYS  64

enum keyring_err {
	KEYRING_OK = 0,
	KEYRING_IO,        /* open/read/write/fsync failed: errno is kept */
	KEYRING_PERM,      /* the file is readable or writable by group or others */
	KEYRING_FORMAT,    /* a line that is not "ID HEX64", a duplicate id, or no key at all */
	KEYRING_FULL,      /* KEYRING_MAX_KEYS already */
	KEYRING_RANDOM     /* RAND_bytes failed */
};

struct keyring_key {
	uint32_t id;                          /* 1, 2, ...; the largest id is the newest key */
	uint8_t  key[KEYRING_KEY_BYTES];
};

struct keyring {
	size_t             nkeys;
	struct keyring_key keys[KEYRING_MAX_KEYS];  /* sorted by id, ascending */
};

/*
 * keyring_load: read the key file at path into kr. The file holds one key per line,
 * "ID HEX" with ID a decimal 1..2^32-1 and HEX 64 lowercase or uppercase hex digits; blank lines
 * and lines starting with '#' are ignored. When the file does not exist and create is non-zero,
 * it is created with O_EXCL and mode 0600, holding one fresh random key (OpenSSL RAND_bytes) with
 * id 1, and fsynced. A file that group or others may read or write is refused (KEYRING_PERM).
 * Returns KEYRING_OK or an error; on error kr is zeroed.
 */
enum keyring_err keyring_load(struct keyring *kr, const char *path, int create);

/*
 * keyring_rotate: append a fresh random key with id (newest id + 1) to the key file at path,
 * which is rewritten through a temporary file, fsync and rename so that a crash leaves either the
 * old or the new file. kr is reloaded. Tokens signed by older keys keep verifying until they
 * expire or their key line is removed by hand.
 */
enum keyring_err keyring_rotate(struct keyring *kr, const char *path);

/* keyring_newest: the key that signs (largest id), or NULL when kr is empty. */
const struct keyring_key *keyring_newest(const struct keyring *kr);

/* keyring_find: the key with this id, or NULL. */
const struct keyring_key *keyring_find(const struct keyring *kr, uint32_t id);

/* keyring_strerror: a short English sentence for err. */
const char *keyring_strerror(enum keyring_err err);

/* keyring_wipe: overwrite the key material in kr (OPENSSL_cleanse). */
void keyring_wipe(struct keyring *kr);

#endif
