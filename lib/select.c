/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The userspace half of select.h: mode names for configuration files,
 * control messages and logs.  The selection itself is header-only.
 */
#include <string.h>

#include "dicap/select.h"

static const char *const mode_names[DICAP_MODE_MAX + 1] = {
	[DICAP_MODE_RR] = "rr",
	[DICAP_MODE_IPID] = "ipid",
	[DICAP_MODE_PACKET] = "packet",
	[DICAP_MODE_FLOW] = "flow",
	[DICAP_MODE_HOST] = "host",
};

int
dicap_mode_from_name(const char *name)
{
	int mode;

	if (name == NULL)
		return -1;
	for (mode = 0; mode <= DICAP_MODE_MAX; mode++)
		if (strcmp(name, mode_names[mode]) == 0)
			return mode;
	return -1;
}

const char *
dicap_mode_name(int mode)
{
	if (mode < 0 || mode > DICAP_MODE_MAX)
		return "unknown";
	return mode_names[mode];
}
