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

#define H64	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* Credential files: one per role, typed, strict (issue 14). */
static void
test_credentials(const char *dir)
{
	char coord[256], node[256], status[256], bad[256], link[256], err[512];
	struct dicap_keys k, kn;

	snprintf(coord, sizeof(coord), "%s/coord.key", dir);
	snprintf(node, sizeof(node), "%s/node.key", dir);
	snprintf(status, sizeof(status), "%s/status.key", dir);
	snprintf(bad, sizeof(bad), "%s/bad.key", dir);
	ok(dicap_cred_generate(coord, err, sizeof(err)) == 0, "keygen writes a coordinator credential");
	ok(dicap_cred_generate(coord, err, sizeof(err)) == -1, "... and never overwrites one");
	ok(dicap_cred_load(coord, DICAP_ROLE_COORD, &k, err, sizeof(err)) == 0 &&
	    k.kind == DICAP_ROLE_COORD && k.have_sign && k.have_node && k.have_status &&
	    k.n_coord_pk == 1, "it loads: signing key, its public key, node and status keys");
	ok(dicap_cred_derive(coord, DICAP_ROLE_NODE, node, err, sizeof(err)) == 0 &&
	    dicap_cred_load(node, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == 0 &&
	    !kn.have_sign && !kn.have_status && kn.have_node &&
	    memcmp(kn.node, k.node, sizeof(k.node)) == 0 &&
	    memcmp(kn.coord_pk[0], k.coord_pk[0], DICAP_SIGN_PK_LEN) == 0,
	    "the node credential holds the public key and the node key, no more");
	ok(dicap_cred_derive(coord, DICAP_ROLE_STATUS, status, err, sizeof(err)) == 0 &&
	    dicap_cred_load(status, DICAP_ROLE_STATUS, &kn, err, sizeof(err)) == 0 &&
	    !kn.have_sign && !kn.have_node && kn.have_status,
	    "the status credential holds the public key and the status key, no more");
	ok(dicap_cred_load(status, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1 &&
	    strstr(err, "status credential") != NULL, "a status credential is no node's: %s", err);
	ok(dicap_cred_load(node, DICAP_ROLE_COORD, &kn, err, sizeof(err)) == -1,
	    "a node credential is no coordinator's");
	ok(dicap_cred_load(coord, DICAP_ROLE_STATUS, &kn, err, sizeof(err)) == 0,
	    "a coordinator credential serves where a status credential is wanted");
	ok(dicap_cred_load(coord, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "... but not where a node credential is");
	ok(dicap_cred_derive(node, DICAP_ROLE_STATUS, bad, err, sizeof(err)) == -1,
	    "nothing is derived from a node credential");
	chmod(node, 0644);
	ok(dicap_cred_load(node, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1 &&
	    strstr(err, "chmod 600") != NULL, "a world-readable credential is refused");
	write_file(bad, H64 "\n", 0600);
	ok(dicap_cred_load(bad, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1 &&
	    strstr(err, "keygen") != NULL, "a protocol 2 cluster key is refused, naming keygen");
	write_file(bad, "dicap-credential node\ncoord-public " H64 "\nnode " H64 "\nstatus " H64 "\n",
	    0600);
	ok(dicap_cred_load(bad, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "a node credential with a status key is refused");
	write_file(bad, "dicap-credential node\ncoord-public " H64 "\nnode " H64 "\nnode " H64 "\n",
	    0600);
	ok(dicap_cred_load(bad, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "a repeated key is refused");
	write_file(bad, "dicap-credential node\nnode " H64 "\n", 0600);
	ok(dicap_cred_load(bad, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "a node credential without a coordinator public key is refused");
	write_file(bad, "dicap-credential node\ncoord-public " H64 "\nnode " H64, 0600);
	ok(dicap_cred_load(bad, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == 0,
	    "the last newline may be missing");
	write_file(bad, "dicap-credential node\ncoord-public " H64 "\nnode " H64 "0\n", 0600);
	ok(dicap_cred_load(bad, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "a key of 65 hex digits is refused");
	/* A credential is read only from a regular file named directly. */
	chmod(node, 0600);
	snprintf(link, sizeof(link), "%s/link.key", dir);
	ok(symlink(node, link) == 0 &&
	    dicap_cred_load(link, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "a credential reached through a symbolic link is refused: %s", err);
	unlink(link);
	ok(mkfifo(link, 0600) == 0 &&
	    dicap_cred_load(link, DICAP_ROLE_NODE, &kn, err, sizeof(err)) == -1,
	    "a FIFO is refused, without blocking: %s", err);
	unlink(link);
	unlink(coord);
	unlink(node);
	unlink(status);
	unlink(bad);
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
	plan(39);

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
	test_credentials(dir);
	rmdir(dir);
	return done_testing();
}
