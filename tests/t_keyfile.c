/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "tap.h"

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL)
		bail_out("cannot write a temporary file");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

int
main(void)
{
	char dir[] = "/tmp/dicap-keytest.XXXXXX", path[256], err[256];
	uint8_t key[DICAP_AUTH_KEY_LEN], key2[DICAP_AUTH_KEY_LEN];
	struct stat st;

	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	plan(20);

	ok(dicap_key_generate(path, err, sizeof(err)) == 0, "keygen writes a new key file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the new key file has mode 0600");
	ok(dicap_key_generate(path, err, sizeof(err)) == -1, "keygen refuses to overwrite: %s", err);
	ok(dicap_key_load(path, key, err, sizeof(err)) == 0, "the generated key loads");
	chmod(path, 0644);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == -1 && strstr(err, "chmod 600") != NULL,
	    "a world-readable key is refused and the error names the fix: %s", err);
	chmod(path, 0620);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == -1 && strstr(err, "chmod 600") != NULL,
	    "a group-writable key is refused: %s", err);
	chmod(path, 0660);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == -1, "mode 0660 is refused: %s", err);
	chmod(path, 0602);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == -1, "mode 0602 is refused: %s", err);
	chmod(path, 0650);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == -1, "mode 0650 is refused: %s", err);
	chmod(path, 0640);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == 0 && memcmp(key, key2, sizeof(key)) == 0,
	    "mode 0640 (read by a dedicated group) is taken");
	chmod(path, 0400);
	ok(dicap_key_load(path, key2, err, sizeof(err)) == 0, "mode 0400 is taken");
	write_file(path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == 0 && key[0] == 0x00 && key[31] == 0xff,
	    "a hand-written hex key loads");
	write_file(path, "0011223344\n", 0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == -1, "a short key is refused: %s", err);
	write_file(path, "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == -1, "non-hex digits are refused");
	write_file(path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n", 0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == -1, "a long key is refused");
	/* Found by fuzz_keyfile: anything after the newline used to be ignored. */
	write_file(path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nxy\n",
	    0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == -1,
	    "text after the key's newline is refused");
	write_file(path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\rjunk",
	    0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == -1, "a key ended by a lone CR is refused");
	write_file(path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\r\n",
	    0600);
	ok(dicap_key_load(path, key, err, sizeof(err)) == 0 && key[31] == 0xff,
	    "a key ended by CRLF loads");
	ok(dicap_key_parse("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    64, key) == 0 && key[0] == 0x00, "a key without a newline parses");
	ok(dicap_key_load("/nonexistent/key", key, err, sizeof(err)) == -1 && strstr(err, "/nonexistent/key"),
	    "a missing file names the path: %s", err);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
