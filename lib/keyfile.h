/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cluster key files: 64 hex digits (a 32-byte HMAC-SHA256 key) and a
 * newline.  A key file with any permission for "other", or writable by its
 * group, is refused (docs/security.md): anyone who holds the key can blind
 * every capture node.
 */
#ifndef LIB_KEYFILE_H
#define LIB_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ctlmsg.h"

/* Load @path into @key; 0, or -1 with a message in @err. */
int	dicap_key_load(const char *path, uint8_t key[DICAP_AUTH_KEY_LEN], char *err, size_t errlen);

/*
 * The key in the text of a key file, @len bytes of @text: exactly the hex
 * digits, then "\n", "\r\n" or nothing.  0, or -1 when it is anything else.
 */
int	dicap_key_parse(const char *text, size_t len, uint8_t key[DICAP_AUTH_KEY_LEN]);

/* Create @path (mode 0600, must not exist) with a new random key. */
int	dicap_key_generate(const char *path, char *err, size_t errlen);

#endif /* LIB_KEYFILE_H */
