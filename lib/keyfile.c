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

	/* O_NONBLOCK: a FIFO named by mistake is refused below, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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

/* ---- credential files ---- */

#define CRED_MAX_LEN	1024
#define CRED_MAGIC	"dicap-credential "

const char *
dicap_role_name(int role)
{
	switch (role) {
	case DICAP_ROLE_COORD:
		return "coordinator";
	case DICAP_ROLE_NODE:
		return "node";
	case DICAP_ROLE_STATUS:
		return "status";
	}
	return "none";
}

static int
cred_hex(const char *hex, size_t len, uint8_t out[32])
{
	size_t bin_len;
	const char *end;

	if (len != KEY_HEX_LEN ||
	    sodium_hex2bin(out, 32, hex, len, NULL, &bin_len, &end) != 0 ||
	    bin_len != 32 || end != hex + len)
		return -1;
	return 0;
}

/* One "NAME HEX" line into @k; 0, or -1. */
static int
cred_line(const char *line, size_t len, struct dicap_keys *k, int *have_seed)
{
	uint8_t v[32], pk[DICAP_SIGN_PK_LEN];
	const char *sp = memchr(line, ' ', len);
	size_t nlen;
	int rc = -1;

	if (sp == NULL)
		return -1;
	nlen = (size_t)(sp - line);
	if (cred_hex(sp + 1, len - nlen - 1, v) == -1)
		return -1;
	if (nlen == 9 && memcmp(line, "sign-seed", 9) == 0 && !*have_seed &&
	    k->n_coord_pk < DICAP_MAX_COORD_KEYS) {
		crypto_sign_seed_keypair(pk, k->sign_sk, v);
		memcpy(k->coord_pk[k->n_coord_pk++], pk, sizeof(pk));
		k->have_sign = *have_seed = 1;
		rc = 0;
	} else if (nlen == 12 && memcmp(line, "coord-public", 12) == 0 &&
	    k->n_coord_pk < DICAP_MAX_COORD_KEYS) {
		memcpy(k->coord_pk[k->n_coord_pk++], v, sizeof(v));
		rc = 0;
	} else if (nlen == 4 && memcmp(line, "node", 4) == 0 && !k->have_node) {
		memcpy(k->node, v, sizeof(v));
		k->have_node = 1;
		rc = 0;
	} else if (nlen == 6 && memcmp(line, "status", 6) == 0 && !k->have_status) {
		memcpy(k->status, v, sizeof(v));
		k->have_status = 1;
		rc = 0;
	}
	sodium_memzero(v, sizeof(v));
	return rc;
}

int
dicap_cred_parse(const char *text, size_t len, struct dicap_keys *k, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	int have_seed = 0, lineno = 0;

	memset(k, 0, sizeof(*k));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	while (p < end) {
		size_t l;

		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl != NULL ? nl : end) - p);
		lineno++;
		if (lineno == 1) {
			if (l > strlen(CRED_MAGIC) && memcmp(p, CRED_MAGIC, strlen(CRED_MAGIC)) == 0) {
				const char *r = p + strlen(CRED_MAGIC);
				size_t rl = l - strlen(CRED_MAGIC);

				if (rl == 11 && memcmp(r, "coordinator", 11) == 0)
					k->kind = DICAP_ROLE_COORD;
				else if (rl == 4 && memcmp(r, "node", 4) == 0)
					k->kind = DICAP_ROLE_NODE;
				else if (rl == 6 && memcmp(r, "status", 6) == 0)
					k->kind = DICAP_ROLE_STATUS;
			}
			if (k->kind == DICAP_ROLE_NONE) {
				snprintf(err, errlen, "not a DiCAP credential (a cluster key of "
				    "protocol 2?): make credentials with dicapctl keygen");
				goto fail;
			}
		} else if (cred_line(p, l, k, &have_seed) == -1) {
			snprintf(err, errlen, "line %d: expected \"sign-seed\", \"coord-public\", "
			    "\"node\" or \"status\", a space and %d hex digits, each once",
			    lineno, KEY_HEX_LEN);
			goto fail;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	switch (k->kind) {
	case DICAP_ROLE_COORD:
		if (k->have_sign && k->have_node && k->have_status)
			return 0;
		snprintf(err, errlen, "a coordinator credential needs sign-seed, node and status");
		break;
	case DICAP_ROLE_NODE:
		if (!have_seed && !k->have_status && k->have_node && k->n_coord_pk > 0)
			return 0;
		snprintf(err, errlen, "a node credential holds coord-public and node, no more");
		break;
	case DICAP_ROLE_STATUS:
		if (!have_seed && !k->have_node && k->have_status && k->n_coord_pk > 0)
			return 0;
		snprintf(err, errlen, "a status credential holds coord-public and status, no more");
		break;
	default:
		snprintf(err, errlen, "empty credential file");
		break;
	}
fail:
	sodium_memzero(k, sizeof(*k));
	return -1;
}

/* Open @path for reading as a secret: a regular file, no access for others. */
static int
cred_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO named by mistake is refused below, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1) {
		snprintf(err, errlen, "credential file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "credential file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) {
		snprintf(err, errlen, "credential file %s is writable by its group or "
		    "accessible by others (mode %04o): run chmod 600 %s (or 640 for a "
		    "dedicated group)", path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	return fd;
}

int
dicap_cred_load(const char *path, int want, struct dicap_keys *k, char *err, size_t errlen)
{
	char text[CRED_MAX_LEN + 1], msg[200];
	ssize_t n;
	int fd;

	if ((fd = cred_open(path, err, errlen)) == -1)
		return -1;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n == -1) {
		snprintf(err, errlen, "credential file %s: %s", path, strerror(errno));
		return -1;
	}
	if (n > CRED_MAX_LEN) {
		snprintf(err, errlen, "credential file %s: longer than %d bytes", path,
		    CRED_MAX_LEN);
		return -1;
	}
	if (dicap_cred_parse(text, (size_t)n, k, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "credential file %s: %s", path, msg);
		sodium_memzero(text, sizeof(text));
		return -1;
	}
	sodium_memzero(text, sizeof(text));
	if (k->kind != want && !(want == DICAP_ROLE_STATUS && k->kind == DICAP_ROLE_COORD)) {
		snprintf(err, errlen, "credential file %s is a %s credential, a %s credential "
		    "is needed here (dicapctl keygen --role %s)", path,
		    dicap_role_name(k->kind), dicap_role_name(want), dicap_role_name(want));
		sodium_memzero(k, sizeof(*k));
		return -1;
	}
	return 0;
}

/* Write @text to a new file @path, mode 0600. */
static int
cred_write(const char *path, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) == -1)
		ok = 0;
	if (!ok) {
		snprintf(err, errlen, "%s: write failed", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static void
hex_line(char *out, size_t cap, const char *name, const uint8_t *v)
{
	char hex[KEY_HEX_LEN + 1];
	size_t l = strlen(out);

	sodium_bin2hex(hex, sizeof(hex), v, 32);
	snprintf(out + l, cap - l, "%s %s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

int
dicap_cred_generate(const char *path, char *err, size_t errlen)
{
	uint8_t v[32];
	char text[CRED_MAX_LEN] = "dicap-credential coordinator\n";
	int rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	randombytes_buf(v, sizeof(v));
	hex_line(text, sizeof(text), "sign-seed", v);
	randombytes_buf(v, sizeof(v));
	hex_line(text, sizeof(text), "node", v);
	randombytes_buf(v, sizeof(v));
	hex_line(text, sizeof(text), "status", v);
	sodium_memzero(v, sizeof(v));
	rc = cred_write(path, text, err, errlen);
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
dicap_cred_derive(const char *coord_path, int kind, const char *path, char *err,
    size_t errlen)
{
	char text[CRED_MAX_LEN];
	struct dicap_keys k;
	int i, rc;

	if (kind != DICAP_ROLE_NODE && kind != DICAP_ROLE_STATUS) {
		snprintf(err, errlen, "only node and status credentials are derived");
		return -1;
	}
	if (dicap_cred_load(coord_path, DICAP_ROLE_COORD, &k, err, errlen) == -1)
		return -1;
	snprintf(text, sizeof(text), "dicap-credential %s\n", dicap_role_name(kind));
	for (i = 0; i < k.n_coord_pk; i++)
		hex_line(text, sizeof(text), "coord-public", k.coord_pk[i]);
	if (kind == DICAP_ROLE_NODE)
		hex_line(text, sizeof(text), "node", k.node);
	else
		hex_line(text, sizeof(text), "status", k.status);
	sodium_memzero(&k, sizeof(k));
	rc = cred_write(path, text, err, errlen);
	sodium_memzero(text, sizeof(text));
	return rc;
}
