/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Key file reader fuzzer.  dicap_key_parse() must accept exactly the text
 * of a key file (64 hex digits, then "\n", "\r\n" or nothing), and the key
 * it gives must be what the digits say.  Both are checked against a plain
 * reference reader written here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)
#define HEX_LEN		(2 * DICAP_AUTH_KEY_LEN)

static int
nibble(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
reference(const uint8_t *data, size_t size, uint8_t key[DICAP_AUTH_KEY_LEN])
{
	size_t i;

	if (!(size == HEX_LEN || (size == HEX_LEN + 1 && data[HEX_LEN] == '\n') ||
	    (size == HEX_LEN + 2 && data[HEX_LEN] == '\r' && data[HEX_LEN + 1] == '\n')))
		return -1;
	for (i = 0; i < HEX_LEN; i++)
		if (nibble(data[i]) < 0)
			return -1;
	for (i = 0; i < DICAP_AUTH_KEY_LEN; i++)
		key[i] = (uint8_t)(nibble(data[2 * i]) << 4 | nibble(data[2 * i + 1]));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[DICAP_AUTH_KEY_LEN], want[DICAP_AUTH_KEY_LEN];
	char *text;
	int rc;

	/* Exactly @size bytes on the heap: ASan sees any read past them. */
	text = malloc(size ? size : 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	rc = dicap_key_parse(text, size, key);
	CHECK(rc == 0 || rc == -1);
	CHECK(rc == reference(data, size, want));
	if (rc == 0)
		CHECK(!memcmp(key, want, sizeof(key)));
	free(text);
	return 0;
}
