/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl: ask a coordinator (UDP, STATUS_REQ) or a node agent (its UNIX
 * socket) what it knows, and make cluster keys.
 *   dicapctl.c  options and commands
 *   nodectl.c   the node agent's socket: status, owned
 *   coordctl.c  the coordinator's STATUS: collect the parts, print
 *   json.c      a strict JSON reader for the node's answer
 */
#ifndef DICAPCTL_H
#define DICAPCTL_H

#include <stdint.h>

#include "ctlmsg.h"

#define DICAPCTL_SOCK_DIR	"/run/dicap"

struct ctl_opts {
	const char *coord;		/* -c ADDR:PORT */
	const char *keyfile;		/* -k */
	int insecure;
	const char *iface;		/* -i */
	const char *sock_path;		/* -s */
	int json;
	int timeout_ms;			/* per try */
	int tries;
};

/* nodectl.c: 0 on success, else the exit status (an error was printed). */
int	node_status(const struct ctl_opts *);
int	node_owned(const struct ctl_opts *);

/* coordctl.c */
int	coord_status(const struct ctl_opts *);

/* dicapctl.c */
void	ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* DICAPCTL_H */
