/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapd's control socket commands (node/dicapd/ctlcmd.c, compiled in
 * here: it is part of dicapd, not of the library).
 */
#include "node/dicapd/ctlcmd.h"
#include "tap.h"

#define CMD(s)		ctl_command(s, sizeof(s) - 1)
#define AT_EOF(s)	ctl_command_at_eof(s, sizeof(s) - 1)

int
main(void)
{
	plan(9);
	ok(CMD("status") == CTL_CMD_STATUS, "status is a command");
	ok(CMD("owned") == CTL_CMD_OWNED, "owned is a command");
	ok(CMD("statu") == CTL_CMD_UNKNOWN && CMD("statuss") == CTL_CMD_UNKNOWN &&
	    CMD("") == CTL_CMD_UNKNOWN, "a prefix or a longer word is not");
	/* These two were taken as "status" before (strcmp on the line). */
	ok(CMD("status\0junk") == CTL_CMD_UNKNOWN, "a NUL and text after a command: unknown");
	ok(AT_EOF("status\rjunk") == CTL_CMD_UNKNOWN, "a CR and text after a command: unknown");
	ok(AT_EOF("status") == CTL_CMD_STATUS, "status without a line end at EOF");
	ok(AT_EOF("owned\r") == CTL_CMD_OWNED, "owned and a CR at EOF");
	ok(AT_EOF("owned\r\r") == CTL_CMD_UNKNOWN, "only one CR is a line end");
	ok(AT_EOF("") == CTL_CMD_UNKNOWN, "nothing at EOF: unknown");
	return done_testing();
}
