/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Credential files (docs/security.md, "Credentials").  Each holds the keys of
 * one role, one per line, after a first line naming the role:
 *
 *   dicap-credential coordinator	dicap-credential node	dicap-credential status
 *   sign-seed HEX64		coord-public HEX64	coord-public HEX64
 *   node HEX64			node HEX64		status HEX64
 *   status HEX64
 *
 * sign-seed is the Ed25519 seed of the coordinators' signing key (its
 * public key is derived), coord-public a coordinator public key (up to
 * DICAP_MAX_COORD_KEYS, any role), node and status HMAC-SHA256 keys.  A
 * file with any permission for "other", or writable by its group, is
 * refused.  The bare 64-hex-digit key of protocol 2 (dicap_key_*) is kept
 * for the codec's tests and fuzzers; the daemons refuse it.
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

/* Parse the text of a credential file into @k; 0, or -1 with a message. */
int	dicap_cred_parse(const char *text, size_t len, struct dicap_keys *k, char *err,
	    size_t errlen);

/*
 * Load the credential file @path into @k; 0, or -1 with a message.  @want:
 * the DICAP_ROLE_* the caller needs; a coordinator credential is also taken
 * where a status credential is wanted (it holds the status key).
 */
int	dicap_cred_load(const char *path, int want, struct dicap_keys *k, char *err,
	    size_t errlen);

/* Create @path (mode 0600, must not exist): a new coordinator credential. */
int	dicap_cred_generate(const char *path, char *err, size_t errlen);

/*
 * Create @path (mode 0600, must not exist): the node or status credential
 * (@kind) that goes with the coordinator credential @coord_path.
 */
int	dicap_cred_derive(const char *coord_path, int kind, const char *path, char *err,
	    size_t errlen);

const char	*dicap_role_name(int role);

#endif /* LIB_KEYFILE_H */
