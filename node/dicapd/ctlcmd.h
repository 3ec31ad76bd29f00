/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The commands of dicapd's control socket (ctlsock.c): one line a client
 * wrote.  Apart from the socket code so that tests/fuzz/fuzz_ctlcmd.c
 * reaches it without libevent.
 */
#ifndef DICAPD_CTLCMD_H
#define DICAPD_CTLCMD_H

#include <stddef.h>

enum ctl_cmd {
	CTL_CMD_UNKNOWN,
	CTL_CMD_STATUS,
	CTL_CMD_OWNED,
};

/*
 * The command in the @len bytes of @line, its line end removed: exactly
 * "status" or "owned"; anything else (a NUL inside too) is unknown.
 */
enum ctl_cmd ctl_command(const char *line, size_t len);

/*
 * The bytes a client wrote before closing without a line end: @len of
 * @buf, without one trailing '\r'.  Returns the command.
 */
enum ctl_cmd ctl_command_at_eof(const char *buf, size_t len);

#endif /* DICAPD_CTLCMD_H */
