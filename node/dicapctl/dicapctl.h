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

#include <stddef.h>
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
	/* top */
	uint32_t interval_ms;		/* -n */
	uint64_t count;			/* --count, 0: until q */
	const char *analyzer_stats;	/* --analyzer-stats */
	/* keygen */
	const char *role;		/* --role */
	const char *from;		/* --from */
};

/* nodectl.c: 0 on success, else the exit status (an error was printed). */
int	node_status(const struct ctl_opts *);
int	node_owned(const struct ctl_opts *);

/* coordctl.c */
int	coord_status(const struct ctl_opts *);

/* What the parts of a coordinator's STATUS say, once collected. */
struct coord_status {
	struct dicap_msg head;		/* singular attributes, first seen */
	uint32_t have;			/* attributes found in some part */
	struct dicap_node_info *nodes;	/* by node id */
	uint32_t n_nodes;
	const uint8_t *counters_raw;
	uint32_t n_counters;
	int role;			/* -1: not reported */
};

struct coord_client;
struct coord_client	*coord_client_open(const struct ctl_opts *);
int	coord_client_fetch(struct coord_client *, const struct ctl_opts *, int quiet,
	    struct coord_status *, char *why, size_t whylen);
const struct dicap_addr	*coord_client_target(const struct coord_client *);
void	coord_client_close(struct coord_client *);
void	coord_status_free(struct coord_status *);
const char	*coord_role_name(int role);
/* A node's counter by its status name; 0 and *@found = 0 if not reported. */
uint64_t	node_counter(const struct dicap_node_info *, const char *name, int *found);

/* top.c */
int	coord_top(const struct ctl_opts *);

/* dicapctl.c */
void	ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* DICAPCTL_H */
