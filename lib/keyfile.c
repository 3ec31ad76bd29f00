/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"

#define KEY_HEX_LEN	(2 * DICAP_AUTH_KEY_LEN)

int
dicap_key_parse(const char *text, size_t len, uint8_t key[DICAP_AUTH_KEY_LEN])
{
	const char *end;
	size_t bin_len;

	if (len < KEY_HEX_LEN)
		return -1;
	/* A line ending, and nothing after it: text behind a key is no key. */
	if (!(len == KEY_HEX_LEN || (len == KEY_HEX_LEN + 1 && text[KEY_HEX_LEN] == '\n') ||
	    (len == KEY_HEX_LEN + 2 && text[KEY_HEX_LEN] == '\r' &&
	    text[KEY_HEX_LEN + 1] == '\n')))
		return -1;
	if (sodium_hex2bin(key, DICAP_AUTH_KEY_LEN, text, KEY_HEX_LEN, NULL, &bin_len, &end) != 0 ||
	    bin_len != DICAP_AUTH_KEY_LEN || end != text + KEY_HEX_LEN) {
		sodium_memzero(key, DICAP_AUTH_KEY_LEN);
		return -1;
	}
	return 0;
}

int
dicap_key_load(const char *path, uint8_t key[DICAP_AUTH_KEY_LEN], char *err, size_t errlen)
{
	char text[KEY_HEX_LEN + 4];
	struct stat st;
	size_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	/*
	 * Whoever can write the key can forge a coordinator's topology, and
	 * anyone who can read it can join; so at most the owner writes, and
	 * the group may only read (0640, for a dedicated group that the
	 * operator chose with chgrp, as for ssl-cert).  Issue 14.
	 */
	if (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) {
		snprintf(err, errlen, "key file %s is writable by its group or accessible by "
		    "others (mode %04o): run chmod 600 %s (or 640 for a dedicated group)",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	n = (size_t)read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n == (size_t)-1) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (dicap_key_parse(text, n, key) == -1) {
		snprintf(err, errlen, "key file %s: expected %d hex digits and a newline "
		    "(make one with `dicapctl keygen FILE`)", path, KEY_HEX_LEN);
		sodium_memzero(text, sizeof(text));
		return -1;
	}
	sodium_memzero(text, sizeof(text));
	return 0;
}

int
dicap_key_generate(const char *path, char *err, size_t errlen)
{
	uint8_t key[DICAP_AUTH_KEY_LEN];
	char hex[KEY_HEX_LEN + 1];
	int fd, ok;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	ok = dprintf(fd, "%s\n", hex) == KEY_HEX_LEN + 1;
	if (close(fd) == -1)
		ok = 0;
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	if (!ok) {
		snprintf(err, errlen, "%s: write failed", path);
		unlink(path);
		return -1;
	}
	return 0;
}
