/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "ctlcmd.h"

enum ctl_cmd
ctl_command(const char *line, size_t len)
{
	static const struct { const char *name; enum ctl_cmd cmd; } cmds[] = {
		{ "status", CTL_CMD_STATUS },
		{ "owned", CTL_CMD_OWNED },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (len == strlen(cmds[i].name) && memcmp(line, cmds[i].name, len) == 0)
			return cmds[i].cmd;
	return CTL_CMD_UNKNOWN;
}

enum ctl_cmd
ctl_command_at_eof(const char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return ctl_command(buf, len);
}
