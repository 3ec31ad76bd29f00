/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration file parser fuzzer (lib/conffile.c).  On any input,
 * conf_parse() either refuses with "NAME:LINE: why", LINE within the
 * file's lines, or gives options each of which is a long option of the
 * table, as "--name" for a flag and "--name=value" otherwise, with no
 * control character and non-decreasing line numbers.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

static const struct option opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, 256 },
	{ "heartbeat", required_argument, NULL, 257 },
	{ "no-announce", no_argument, NULL, 258 },
	{ "x", required_argument, NULL, 259 },
	{ NULL, 0, NULL, 0 },
};

static const struct option *
lookup(const char *arg, size_t *name_len)
{
	const struct option *o;
	size_t n = strcspn(arg + 2, "=");

	for (o = opts; o->name != NULL; o++)
		if (strlen(o->name) == n && memcmp(o->name, arg + 2, n) == 0) {
			*name_len = n;
			return o;
		}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct option *o;
	struct conf_file cf;
	char err[512], *text;
	unsigned lines = 1, last = 0, line;
	size_t i, n;
	const char *p;

	/* Exactly @size bytes on the heap: ASan sees any read past them. */
	text = malloc(size ? size : 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	for (i = 0; i < size; i++)
		lines += text[i] == '\n';
	if (conf_parse(text, size, "f", opts, &cf, err, sizeof(err)) == -1) {
		CHECK(cf.n == 0 && cf.args == NULL);
		CHECK(sscanf(err, "f:%u: ", &line) == 1 && line >= 1 && line <= lines);
		CHECK(strlen(err) < sizeof(err) - 1);
	} else {
		for (i = 0; i < cf.n; i++) {
			CHECK(strncmp(cf.args[i], "--", 2) == 0);
			CHECK((o = lookup(cf.args[i], &n)) != NULL);
			CHECK(strcmp(o->name, "help") != 0 && strcmp(o->name, "config") != 0);
			if (o->has_arg == no_argument)
				CHECK(cf.args[i][2 + n] == '\0');
			else
				CHECK(cf.args[i][2 + n] == '=');
			for (p = cf.args[i]; *p != '\0'; p++)
				CHECK(!((unsigned char)*p < 0x20 && *p != '\t') && *p != 0x7f);
			CHECK(cf.lines[i] >= 1 && cf.lines[i] <= lines && cf.lines[i] >= last);
			last = cf.lines[i];
		}
		CHECK(cf.n == 0 || cf.args[cf.n] == NULL);
	}
	conf_free(&cf);
	free(text);
	return 0;
}
