/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "none" datapath: the control plane only.  It touches no interface
 * and sees no packets; it records what the agent staged and activated (the
 * epoch, the mode and the selection flags, shown in the status JSON) so
 * that the agent's calls can be followed, and reports zero counters but
 * stage_errors.
 */
#include <stdlib.h>
#include <string.h>

#include "dicap/select.h"
#include "datapath.h"
#include "jsonw.h"
#include "log.h"
#include "selflags.h"

/* One topology as the packet path would hold it. */
struct none_slot {
	int set;
	uint32_t epoch;
	uint8_t mode;
	uint32_t sel_flags;
};

struct none_state {
	struct none_slot staged;
	struct none_slot active;
	int32_t staged_position;
	uint32_t staged_members;
	uint64_t stage_errors;
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

	/* What a packet datapath would refuse, this one refuses too. */
	if (t->mode > DICAP_MODE_MAX || (t->sel_flags & ~DICAP_SEL_FLAGS_MASK) != 0) {
		st->stage_errors++;
		log_warnx("epoch %u: mode %u with selection flags 0x%x: not one a datapath"
		    " applies; keeping the previous topology", t->epoch, t->mode, t->sel_flags);
		return -1;
	}
	st->staged.set = 1;
	st->staged.epoch = t->epoch;
	st->staged.mode = t->mode;
	st->staged.sel_flags = t->sel_flags;
	st->staged_position = t->position;
	st->staged_members = t->n_members;
	log_debug("datapath none: staged epoch %u (%s, tunnel %s, position %d of %u) for %llu",
	    t->epoch, dicap_mode_name(t->mode), dicap_tunnel_name(t->sel_flags), t->position,
	    t->n_members, (unsigned long long)validity_ns);
	return 0;
}

static int
none_activate(struct datapath *dp, uint32_t epoch)
{
	struct none_state *st = dp->priv;

	if (!st->staged.set || st->staged.epoch != epoch) {
		log_debug("datapath none: epoch %u was not staged", epoch);
		return -1;
	}
	st->active = st->staged;
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
	struct none_state *st = dp->priv;

	memset(c, 0, sizeof(*c));
	c->v[DP_STAGE_ERRORS] = st->stage_errors;
	return 0;
}

static void
none_status_json(struct datapath *dp, struct jsonw *w)
{
	struct none_state *st = dp->priv;
	const struct none_slot *a = &st->active;

	jw_key(w, "program_epoch");
	a->set ? jw_u64(w, a->epoch) : jw_null(w);
	jw_key(w, "program_mode");
	a->set ? jw_str(w, dicap_mode_name(a->mode)) : jw_null(w);
	jw_key(w, "program_tunnel");
	a->set ? jw_str(w, dicap_tunnel_name(a->sel_flags)) : jw_null(w);
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
	.status_json = none_status_json,
};
