/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --metrics: what STATUS shows, in the Prometheus text format
 * (lib/promtext.h, lib/metrics_http.h): the coordinator's role, term,
 * epoch and counters, and per node (label node_id) its share, weight,
 * heartbeat age, epoch and the counters of its last heartbeat.  The
 * families are listed in docs/design.md, "Metrics".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "log.h"
#include "metrics_http.h"
#include "node_metrics.h"
#include "promtext.h"
#include "coord.h"

struct coord_metric {
	int ctr;
	const char *family;
	const char *help;
	const char *reason;		/* a control_rx_refused_total reason, or NULL */
};

/* Adjacent entries of one family; every counter of enum coord_counter once. */
static const struct coord_metric coord_metrics[] = {
	{ CC_RX_MALFORMED, "dicap_coord_control_rx_refused_total",
	    "Control messages refused, by reason.", "malformed" },
	{ CC_RX_AUTH_FAIL, "dicap_coord_control_rx_refused_total", NULL, "auth_fail" },
	{ CC_RX_REPLAY, "dicap_coord_control_rx_refused_total", NULL, "replay" },
	{ CC_RX_STALE_TERM, "dicap_coord_control_rx_refused_total", NULL, "stale_term" },
	{ CC_RX_UNEXPECTED, "dicap_coord_control_rx_refused_total", NULL, "unexpected" },
	{ CC_RX_UNVERIFIED, "dicap_coord_control_rx_refused_total", NULL, "unverified" },
	{ CC_RX_TERM_JUMP, "dicap_coord_control_rx_refused_total", NULL, "term_jump" },
	{ CC_RX_NOT_PEER, "dicap_coord_control_rx_refused_total", NULL, "not_peer" },
	{ CC_JOINS, "dicap_coord_joins_total", "Nodes that joined.", NULL },
	{ CC_REJOINS, "dicap_coord_rejoins_total", "JOINs of nodes already members.", NULL },
	{ CC_LEAVES, "dicap_coord_leaves_total", "Nodes that left gracefully.", NULL },
	{ CC_TIMEOUTS, "dicap_coord_node_timeouts_total",
	    "Nodes removed after missing heartbeats.", NULL },
	{ CC_ID_CONFLICTS, "dicap_coord_id_conflicts_total", "Node id conflicts found.", NULL },
	{ CC_TOPOLOGIES_SENT, "dicap_coord_topologies_sent_total",
	    "Topology messages sent to nodes.", NULL },
	{ CC_EPOCH_CHANGES, "dicap_coord_epoch_changes_total",
	    "New epochs (topologies) published.", NULL },
	{ CC_RESENDS, "dicap_coord_topology_resends_total",
	    "Topologies sent again to nodes that had not applied them.", NULL },
	{ CC_SYNCS_SENT, "dicap_coord_syncs_sent_total", "COORD_SYNC messages sent.", NULL },
	{ CC_SYNCS_RECEIVED, "dicap_coord_syncs_received_total",
	    "COORD_SYNC messages received.", NULL },
	{ CC_TAKEOVERS, "dicap_coord_takeovers_total", "Times this coordinator took over.",
	    NULL },
	{ CC_STEP_DOWNS, "dicap_coord_step_downs_total",
	    "Times this coordinator stepped down.", NULL },
	{ CC_STATUS_REQUESTS, "dicap_coord_status_requests_total", "STATUS requests answered.",
	    NULL },
	{ CC_TX_DATAGRAMS, "dicap_coord_tx_datagrams_total", "Control datagrams sent.", NULL },
	{ CC_TX_EAGAIN, "dicap_coord_tx_eagain_total",
	    "Control datagrams not sent: the socket buffer was full.", NULL },
	{ CC_TX_ERRORS, "dicap_coord_tx_errors_total", "Control datagrams that failed to send.",
	    NULL },
	{ CC_MARKERS_SENT, "dicap_coord_markers_sent_total", "Marker frames sent.", NULL },
	{ CC_MARKER_ERRORS, "dicap_coord_marker_errors_total",
	    "Marker frames that failed to send.", NULL },
	{ CC_RR_DRIFTS, "dicap_coord_rr_drifts_total",
	    "Round-robin drifts found: nodes whose count disagreed at a report marker.", NULL },
	{ CC_REPEATS, "dicap_coord_topology_repeats_total",
	    "Publications sent once more, half a guard after the first fan-out.", NULL },
	{ CC_REPLAY_FULL, "dicap_coord_replay_full_total",
	    "New senders without a replay slot left.", NULL },
	{ CC_SYNC_CAPPED, "dicap_coord_sync_records_capped_total",
	    "COORD_SYNC records beyond the node table, ignored.", NULL },
};

_Static_assert(sizeof(coord_metrics) / sizeof(coord_metrics[0]) == CC_COUNTER_MAX,
    "every coordinator counter has a family: add new ones to coord_metrics[]");

static void
own_families(struct promw *w, struct coord *c)
{
	static const enum coord_role roles[] = { ROLE_STANDBY, ROLE_CANDIDATE, ROLE_ACTIVE };
	const struct coord_metric *m;
	struct prom_label l;
	size_t i;

	prom_family(w, "dicap_coord_role", PROM_GAUGE,
	    "1 for the coordinator's role, 0 for the others.");
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		l = (struct prom_label){ "role", role_name(roles[i]) };
		prom_u64(w, &l, 1, c->role == roles[i]);
	}
	prom_single(w, "dicap_coord_term", PROM_GAUGE, "The coordinator's term.", c->term);
	prom_single(w, "dicap_coord_epoch", PROM_GAUGE, "The epoch of the last topology.",
	    c->epoch);
	prom_single(w, "dicap_coord_nodes", PROM_GAUGE, "Nodes the coordinator knows.",
	    c->n_nodes);
	prom_single(w, "dicap_coord_members", PROM_GAUGE,
	    "Members of the published topology.", c->n_members);
	for (i = 0; i < CC_COUNTER_MAX; i++) {
		m = &coord_metrics[i];
		if (i == 0 || strcmp(m->family, coord_metrics[i - 1].family) != 0)
			prom_family(w, m->family, PROM_COUNTER, m->help);
		l = (struct prom_label){ "reason", m->reason };
		prom_u64(w, &l, m->reason != NULL, c->ctr[m->ctr]);
	}
}

static int
by_id(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
node_families(struct promw *w, struct coord *c)
{
	uint64_t now = dicap_mono_ns();
	struct node **v, *n, *tmp;
	struct node_counter_set *sets;
	struct node_counters_raw *raw;
	struct prom_label l;
	char (*ids)[16];
	uint32_t i = 0, i_shares, k;

	v = calloc(c->n_nodes + 1, sizeof(*v));
	sets = calloc(c->n_nodes + 1, sizeof(*sets));
	raw = calloc(c->n_nodes + 1, sizeof(*raw));
	ids = calloc(c->n_nodes + 1, sizeof(*ids));
	if (v == NULL || sets == NULL || raw == NULL || ids == NULL) {
		log_warnx("metrics: out of memory");
		goto out;
	}
	HASH_ITER(hh, c->nodes, n, tmp)
		v[i++] = n;
	qsort(v, i, sizeof(*v), by_id);
	i_shares = i;
	for (k = 0; k < i; k++) {
		snprintf(ids[k], sizeof(ids[k]), "0x%08x", v[k]->id);
		raw[k] = (struct node_counters_raw){ v[k]->counters, v[k]->n_counters };
		sets[k] = (struct node_counter_set){ ids[k], node_counters_raw_get, &raw[k] };
	}
	/*
	 * The shares come from the bucket table, built off the event loop
	 * when asked for (as for STATUS): until it is ready no share is
	 * written rather than a share of 0, and this scrape starts the build.
	 */
	prom_family(w, "dicap_coord_node_share_ratio", PROM_GAUGE,
	    "A node's share of the traffic (of the buckets; round-robin: of the packets).");
	if (c->role == ROLE_ACTIVE && !table_ready(c)) {
		table_request(c);
		i_shares = 0;
	}
	for (k = 0; k < i_shares; k++) {
		l = (struct prom_label){ "node_id", ids[k] };
		prom_double(w, &l, 1, status_share_ppm(c, v[k]) / (double)DICAP_SHARE_PPM_MAX);
	}
	prom_family(w, "dicap_coord_node_weight", PROM_GAUGE, "A node's weight.");
	for (k = 0; k < i; k++) {
		l = (struct prom_label){ "node_id", ids[k] };
		prom_u64(w, &l, 1, v[k]->weight);
	}
	prom_family(w, "dicap_coord_node_epoch", PROM_GAUGE,
	    "The epoch a node reports applied.");
	for (k = 0; k < i; k++) {
		l = (struct prom_label){ "node_id", ids[k] };
		prom_u64(w, &l, 1, v[k]->epoch);
	}
	prom_family(w, "dicap_coord_node_heartbeat_age_seconds", PROM_GAUGE,
	    "Time since a node's last JOIN or heartbeat.");
	for (k = 0; k < i; k++) {
		l = (struct prom_label){ "node_id", ids[k] };
		prom_double(w, &l, 1, now < v[k]->last_heard ? 0.0 :
		    (double)(now - v[k]->last_heard) / 1e9);
	}
	node_metrics_write(w, "dicap_coord_node_", sets, i);
out:
	free(v);
	free(sets);
	free(raw);
	free(ids);
}

static void
fill(struct promw *w, void *arg)
{
	struct coord *c = arg;

	own_families(w, c);
	node_families(w, c);
}

int
metrics_start(struct coord *c, char *err, size_t errlen)
{
	if (c->conf.metrics.family == 0)
		return 0;
	c->metrics = metrics_open(c->base, &c->conf.metrics, fill, c, err, errlen);
	return c->metrics != NULL ? 0 : -1;
}

void
metrics_stop(struct coord *c)
{
	metrics_close(c->metrics);
	c->metrics = NULL;
}
