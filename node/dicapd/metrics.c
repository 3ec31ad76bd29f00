/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --metrics: what the status JSON shows, in the Prometheus text format
 * (lib/promtext.h, lib/metrics_http.h).  The families are listed in
 * docs/design.md, "Metrics".
 */
#include <stdio.h>
#include <string.h>

#include "metrics_http.h"
#include "node_metrics.h"
#include "promtext.h"
#include "dicapd.h"

struct own_counters {
	struct dp_counters dp;
	const uint64_t *agent;
};

static int
own_get(const void *arg, uint16_t wire_id, uint64_t *v)
{
	const struct own_counters *c = arg;

	if (wire_id >= DP_CTR_WIRE_BASE && wire_id < DP_CTR_WIRE_BASE + DP_COUNTER_MAX)
		*v = c->dp.v[wire_id - DP_CTR_WIRE_BASE];
	else if (wire_id >= AGENT_CTR_WIRE_BASE && wire_id < AGENT_CTR_WIRE_BASE + C_COUNTER_MAX)
		*v = c->agent[wire_id - AGENT_CTR_WIRE_BASE];
	else
		return -1;
	return 0;
}

static void
fill(struct promw *w, void *arg)
{
	static const enum node_state states[] = {
		NODE_JOINING, NODE_JOINED, NODE_NO_COORD, NODE_LEAVING,
	};
	struct dicapd *d = arg;
	const struct node_topology *t = d->active;
	struct own_counters c;
	struct node_counter_set set = { NULL, own_get, &c };
	struct prom_label l[3];
	char id[16];
	size_t i;

	memset(&c, 0, sizeof(c));
	d->dp.ops->counters(&d->dp, &c.dp);
	c.agent = d->ctr;
	snprintf(id, sizeof(id), "0x%08x", d->node_id);
	l[0] = (struct prom_label){ "node_id", id };
	l[1] = (struct prom_label){ "iface", d->iface };
	l[2] = (struct prom_label){ "datapath", d->dp.ops->name };
	prom_family(w, "dicap_node_info", PROM_GAUGE,
	    "The node's id, capture interface and datapath (always 1).");
	prom_u64(w, l, 3, 1);
	prom_family(w, "dicap_node_state", PROM_GAUGE,
	    "1 for the membership state the node is in, 0 for the others.");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		l[0] = (struct prom_label){ "state", membership_state_name(states[i]) };
		prom_u64(w, l, 1, d->state == states[i]);
	}
	prom_single(w, "dicap_node_term", PROM_GAUGE,
	    "The highest coordinator term the node has seen.", d->max_term);
	prom_single(w, "dicap_node_epoch", PROM_GAUGE,
	    "Epoch of the topology in force (0: none yet).", t != NULL ? t->epoch : 0);
	prom_single(w, "dicap_node_members", PROM_GAUGE,
	    "Members of the topology in force.", t != NULL ? t->n_members : 0);
	prom_family(w, "dicap_node_share_ratio", PROM_GAUGE,
	    "This node's share of the traffic in the topology in force (0 to 1).");
	prom_double(w, NULL, 0, topology_share(t) / 100.0);
	prom_single(w, "dicap_node_weight", PROM_GAUGE, "The node's --weight.", d->weight);
	prom_family(w, "dicap_node_heartbeat_interval_seconds", PROM_GAUGE,
	    "Heartbeat interval the coordinator asks for.");
	prom_double(w, NULL, 0, d->heartbeat_ms / 1000.0);
	prom_family(w, "dicap_node_coordinator_reply_age_seconds", PROM_GAUGE,
	    "Time since the coordinator last answered (only while joined).");
	if (d->state == NODE_JOINED)
		prom_double(w, NULL, 0, (double)(dicap_mono_ns() - d->last_ack_mono) / 1e9);
	node_metrics_write(w, "dicap_node_", &set, 1);
}

int
metrics_start(struct dicapd *d, char *err, size_t errlen)
{
	if (d->metrics_addr.family == 0)
		return 0;
	d->metrics = metrics_open(d->base, &d->metrics_addr, fill, d, err, errlen);
	return d->metrics != NULL ? 0 : -1;
}

void
metrics_stop(struct dicapd *d)
{
	metrics_close(d->metrics);
	d->metrics = NULL;
}
