/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Credential file reader fuzzer.  dicap_cred_parse() must never read past
 * the text, and what it accepts must be a credential of one role holding
 * exactly that role's keys (lib/keyfile.h): a node credential never comes
 * with a signing or status key, a status credential never with a signing
 * or node key, and every accepted file parses the same twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicap_keys k, again;
	char err[256], *text;
	int rc;

	/* Exactly @size bytes on the heap: ASan sees any read past them. */
	text = malloc(size ? size : 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	rc = dicap_cred_parse(text, size, &k, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		CHECK(k.n_coord_pk >= 1 && k.n_coord_pk <= DICAP_MAX_COORD_KEYS);
		switch (k.kind) {
		case DICAP_ROLE_COORD:
			CHECK(k.have_sign && k.have_node && k.have_status);
			break;
		case DICAP_ROLE_NODE:
			CHECK(!k.have_sign && k.have_node && !k.have_status);
			break;
		case DICAP_ROLE_STATUS:
			CHECK(!k.have_sign && !k.have_node && k.have_status);
			break;
		default:
			CHECK(0);
		}
		CHECK(dicap_cred_parse(text, size, &again, err, sizeof(err)) == 0 &&
		    memcmp(&k, &again, sizeof(k)) == 0);
	} else {
		CHECK(k.kind == DICAP_ROLE_NONE && !k.have_sign);
	}
	free(text);
	return 0;
}
