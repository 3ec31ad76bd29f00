/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A node's counters as Prometheus families: see node_metrics.h.  Counters
 * that count the same thing for different reasons share a family with a
 * label (drops by stage, control messages refused by reason); the others
 * are a family each.  Entries of one family are adjacent.
 */
#include <stdio.h>
#include <string.h>

#include "dicap/ctl.h"
#include "dicap/node_counters.h"
#include "dicap/types.h"
#include "promtext.h"
#include "node_metrics.h"

#define DP(i)	(DP_CTR_WIRE_BASE + (i))
#define AG(i)	(AGENT_CTR_WIRE_BASE + (i))

struct node_metric {
	uint16_t wire_id;
	const char *family;		/* after the prefix */
	const char *help;
	const char *label;		/* NULL: none */
	const char *value;
};

static const struct node_metric node_metrics[] = {
	{ DP(DP_SEEN), "frames_seen_total", "Frames the datapath saw on the interface.",
	    NULL, NULL },
	{ DP(DP_SELECTED), "frames_selected_total",
	    "Frames of this node's share (selected).", NULL, NULL },
	{ DP(DP_NOT_MINE), "frames_not_mine_total", "Frames of other nodes' shares.",
	    NULL, NULL },
	{ DP(DP_NON_IP), "frames_non_ip_total", "Frames that are not IPv4 or IPv6.",
	    NULL, NULL },
	{ DP(DP_MALFORMED), "frames_malformed_total", "Frames whose headers do not parse.",
	    NULL, NULL },
	{ DP(DP_MARKERS_OK), "markers_total", "Marker frames, by result.",
	    "result", "ok" },
	{ DP(DP_MARKERS_BAD), "markers_total", NULL, "result", "bad" },
	{ DP(DP_RINGBUF_FULL), "drops_total",
	    "Frames or records of this node's share dropped, by the stage that dropped them.",
	    "stage", "ringbuf_full" },
	{ DP(DP_RING_ERRORS), "drops_total", NULL, "stage", "ring_errors" },
	{ DP(DP_LEASE_DROPS), "drops_total", NULL, "stage", "lease_drops" },
	{ DP(DP_INACTIVE), "drops_total", NULL, "stage", "inactive" },
	{ DP(DP_RECORDS_UNSENT), "drops_total", NULL, "stage", "records_unsent" },
	{ DP(DP_QUEUE_DROPS), "drops_total", NULL, "stage", "queue_drops" },
	{ DP(DP_RING_RECORDS), "ring_records_total",
	    "Records the XDP program put in the ring buffer.", NULL, NULL },
	{ DP(DP_SLOT_SWITCHES), "slot_switches_total",
	    "Topology switches made by the packet path.", NULL, NULL },
	{ DP(DP_BATCHES_SENT), "batches_sent_total", "Header batches sent to the analyzers.",
	    NULL, NULL },
	{ DP(DP_RECORDS_SENT), "records_sent_total", "Records sent to the analyzers.",
	    NULL, NULL },
	{ DP(DP_BYTES_SENT), "sent_bytes_total", "Batch bytes sent to the analyzers.",
	    NULL, NULL },
	{ DP(DP_SEND_ERRORS), "send_errors_total", "Batches whose send failed.", NULL, NULL },
	{ DP(DP_ANALYZER_SKIPS), "analyzer_skips_total",
	    "Times an unreachable analyzer was skipped for a while.", NULL, NULL },
	{ DP(DP_TCP_CONNECTS), "analyzer_tcp_connects_total",
	    "TCP connections made to analyzers.", NULL, NULL },
	{ DP(DP_TCP_DISCONNECTS), "analyzer_tcp_disconnects_total",
	    "TCP connections to analyzers lost.", NULL, NULL },
	{ DP(DP_STAGE_ERRORS), "stage_errors_total",
	    "Topologies that could not be written into the datapath.", NULL, NULL },
	/* not a counter: the last report marker's sequence number and sum */
	{ DP(DP_RR_MARKER), NULL, NULL, NULL, NULL },
	{ AG(C_RX_MALFORMED), "control_rx_refused_total",
	    "Control messages refused, by reason.", "reason", "malformed" },
	{ AG(C_RX_AUTH_FAIL), "control_rx_refused_total", NULL, "reason", "auth_fail" },
	{ AG(C_RX_REPLAY), "control_rx_refused_total", NULL, "reason", "replay" },
	{ AG(C_RX_STALE_TERM), "control_rx_refused_total", NULL, "reason", "stale_term" },
	{ AG(C_RX_OLD_EPOCH), "control_rx_refused_total", NULL, "reason", "old_epoch" },
	{ AG(C_RX_UNEXPECTED), "control_rx_refused_total", NULL, "reason", "unexpected" },
	{ AG(C_RX_NOT_FOLLOWED), "control_rx_refused_total", NULL, "reason", "not_followed" },
	{ AG(C_RX_SESSION), "control_rx_refused_total", NULL, "reason", "session" },
	{ AG(C_RX_TERM_JUMP), "control_rx_refused_total", NULL, "reason", "term_jump" },
	{ AG(C_HEARTBEATS_SENT), "heartbeats_sent_total", "Heartbeats sent to the coordinator.",
	    NULL, NULL },
	{ AG(C_HEARTBEAT_ACKS), "heartbeat_acks_total", "Heartbeat acknowledgements received.",
	    NULL, NULL },
	{ AG(C_JOINS_SENT), "joins_sent_total", "JOIN messages sent.", NULL, NULL },
	{ AG(C_TOPOLOGIES_RECEIVED), "topologies_received_total",
	    "Topologies received in full.", NULL, NULL },
	{ AG(C_TOPOLOGIES_APPLIED), "topologies_applied_total",
	    "Topologies put in force (epochs applied).", NULL, NULL },
	{ AG(C_TOPOLOGY_REJECTED), "topologies_rejected_total", "Topologies refused.",
	    NULL, NULL },
	{ AG(C_TOPOLOGIES_SUPERSEDED), "topologies_superseded_total",
	    "Topologies replaced by a newer one before their table was built.", NULL, NULL },
	{ AG(C_LATE_TOPOLOGY), "topologies_late_total",
	    "Topologies that arrived after their validity start.", NULL, NULL },
	{ AG(C_VALIDITY_CLAMPED), "validity_clamped_total",
	    "Validity starts moved into the allowed range.", NULL, NULL },
	{ AG(C_POSITION_MISMATCH), "position_mismatches_total",
	    "Topologies whose position for this node did not match its id.", NULL, NULL },
	{ AG(C_TABLE_BUILDS), "table_builds_total", "Bucket tables built in full.",
	    NULL, NULL },
	{ AG(C_TABLE_UPDATES), "table_updates_total",
	    "Bucket tables updated from the previous one.", NULL, NULL },
	{ AG(C_COORDINATOR_LOST), "coordinator_lost_total",
	    "Times the followed coordinator stopped answering.", NULL, NULL },
	{ AG(C_COORDINATOR_CHANGES), "coordinator_changes_total",
	    "Times the node followed another coordinator.", NULL, NULL },
	{ AG(C_ID_CONFLICTS), "id_conflicts_total",
	    "Node id conflicts reported by the coordinator.", NULL, NULL },
	{ AG(C_TX_ERRORS), "control_tx_errors_total", "Control messages that failed to send.",
	    NULL, NULL },
};

#define N_NODE_METRICS	(sizeof(node_metrics) / sizeof(node_metrics[0]))
_Static_assert(N_NODE_METRICS == DP_COUNTER_MAX + C_COUNTER_MAX,
    "every node counter has a family: add new ones to node_metrics[]");

void
node_metrics_write(struct promw *w, const char *prefix, const struct node_counter_set *sets,
    size_t n_sets)
{
	const struct node_metric *m;
	struct prom_label l[2];
	char name[PROM_NAME_MAX];
	size_t i, k, n;
	uint64_t v;

	for (i = 0; i < N_NODE_METRICS; i++) {
		m = &node_metrics[i];
		if (m->family == NULL)
			continue;
		if (i == 0 || node_metrics[i - 1].family == NULL ||
		    strcmp(m->family, node_metrics[i - 1].family) != 0) {
			snprintf(name, sizeof(name), "%s%s", prefix, m->family);
			prom_family(w, name, PROM_COUNTER, m->help);
		}
		for (k = 0; k < n_sets; k++) {
			if (sets[k].get(sets[k].arg, m->wire_id, &v) == -1)
				continue;
			n = 0;
			if (sets[k].node_id != NULL) {
				l[n].name = "node_id";
				l[n++].value = sets[k].node_id;
			}
			if (m->label != NULL) {
				l[n].name = m->label;
				l[n++].value = m->value;
			}
			prom_u64(w, l, n, v);
		}
	}
}

int
node_counters_raw_get(const void *arg, uint16_t wire_id, uint64_t *v)
{
	const struct node_counters_raw *c = arg;
	const uint8_t *p;
	uint32_t i;

	for (i = 0; i < c->n; i++) {
		p = c->raw + (size_t)i * DICAP_COUNTER_WIRE_LEN;
		if (dicap_get_be16(p) == wire_id) {
			*v = dicap_get_be64(p + 2);
			return 0;
		}
	}
	return -1;
}
