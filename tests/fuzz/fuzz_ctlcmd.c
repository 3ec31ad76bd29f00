/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapd's control socket commands (node/dicapd/ctlcmd.c).  The input is
 * what a client wrote; it is split as libevent's CRLF line reader does, and
 * each line, and the rest at EOF, must be a command only when it is one
 * exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/dicapd/ctlcmd.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

static enum ctl_cmd
reference(const uint8_t *p, size_t n)
{
	if (n == 6 && !memcmp(p, "status", 6))
		return CTL_CMD_STATUS;
	if (n == 5 && !memcmp(p, "owned", 5))
		return CTL_CMD_OWNED;
	return CTL_CMD_UNKNOWN;
}

/* @n bytes alone on the heap, so ASan sees a read past them. */
static enum ctl_cmd
command(const uint8_t *p, size_t n, int at_eof)
{
	enum ctl_cmd cmd;
	char *copy = malloc(n ? n : 1);

	CHECK(copy != NULL);
	memcpy(copy, p, n);
	cmd = at_eof ? ctl_command_at_eof(copy, n) : ctl_command(copy, n);
	free(copy);
	return cmd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *nl;
	size_t n;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n = (size_t)(nl - p);
		if (n > 0 && nl[-1] == '\r')
			n--;
		CHECK(command(p, n, 0) == reference(p, n));
		p = nl + 1;
	}
	n = (size_t)(end - p);
	CHECK(command(p, n, 1) == reference(p, n > 0 && p[n - 1] == '\r' ? n - 1 : n));
	return 0;
}
