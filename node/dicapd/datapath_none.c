/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "none" datapath: the control plane only.  It touches no interface
 * and sees no packets; it records what the agent staged and activated so
 * that the agent's calls can be followed in debug logs, and reports zero
 * counters.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "log.h"

struct none_state {
	uint32_t staged_epoch;
	uint32_t active_epoch;
	int32_t staged_position;
	uint32_t staged_members;
};

static int
none_open(struct datapath *dp, const char *iface, char *err, size_t errlen)
{
	struct none_state *st;

	(void)err;
	(void)errlen;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		fatal("%s", __func__);
	dp->priv = st;
	log_debug("datapath none on %s: control plane only, no packets", iface);
	return 0;
}

static int
none_load_topology(struct datapath *dp, const struct node_topology *t,
    uint64_t validity_ns)
{
	struct none_state *st = dp->priv;

	st->staged_epoch = t->epoch;
	st->staged_position = t->position;
	st->staged_members = t->n_members;
	log_debug("datapath none: staged epoch %u (position %d of %u) for %llu",
	    t->epoch, t->position, t->n_members, (unsigned long long)validity_ns);
	return 0;
}

static int
none_activate(struct datapath *dp, uint32_t epoch)
{
	struct none_state *st = dp->priv;

	st->active_epoch = epoch;
	log_debug("datapath none: epoch %u active", epoch);
	return 0;
}

static int
none_refresh_lease(struct datapath *dp)
{
	(void)dp;
	return 0;
}

static int
none_counters(struct datapath *dp, struct dp_counters *c)
{
	(void)dp;
	memset(c, 0, sizeof(*c));
	return 0;
}

static void
none_close(struct datapath *dp)
{
	free(dp->priv);
	dp->priv = NULL;
}

const struct datapath_ops datapath_none = {
	.name = "none",
	.summary = "control plane only: no packets, zero counters",
	.open = none_open,
	.load_topology = none_load_topology,
	.activate = none_activate,
	.refresh_lease = none_refresh_lease,
	.counters = none_counters,
	.close = none_close,
};
