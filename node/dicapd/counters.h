/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The counters a node reports: in its heartbeats (COUNTERS attribute, so
 * the coordinator's STATUS shows them per node) and in its status JSON.
 * Wire ids: datapath counter i is i + 1, agent counter i is
 * AGENT_CTR_WIRE_BASE + i.  Keep the order: it is the protocol.  Shared
 * by dicapd and dicapctl, hence header only.
 */
#ifndef DICAPD_COUNTERS_H
#define DICAPD_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Datapath counters: the XDP program's per-CPU counters (the first ones,
 * in dicap_xdp.h's order), then capture mode's.  Append only.
 */
enum dp_counter {
	DP_SEEN,
	DP_SELECTED,
	DP_NOT_MINE,
	DP_NON_IP,
	DP_MALFORMED,
	DP_MARKERS_OK,
	DP_MARKERS_BAD,
	DP_RINGBUF_FULL,
	DP_LEASE_DROPS,		/* dropped: lease expired, policy drop */
	DP_INACTIVE,		/* dropped: no topology yet */
	DP_RING_RECORDS,	/* records the XDP program put in the ring */
	DP_SLOT_SWITCHES,	/* topology switches made by the XDP program */
	DP_RING_ERRORS,
	DP_BATCHES_SENT,	/* capture mode, to the analyzers */
	DP_RECORDS_SENT,
	DP_BYTES_SENT,
	DP_SEND_ERRORS,
	DP_ANALYZER_SKIPS,	/* an analyzer found unreachable, skipped for a while */
	DP_RECORDS_UNSENT,	/* no analyzer took their batch */
	DP_QUEUE_DROPS,		/* TCP: an analyzer's queue was full */
	DP_TCP_CONNECTS,
	DP_TCP_DISCONNECTS,
	DP_STAGE_ERRORS,	/* a topology could not be written into the maps */
	DP_COUNTER_MAX
};

#define DP_CTR_WIRE_BASE	1
#define AGENT_CTR_WIRE_BASE	64
_Static_assert(DP_CTR_WIRE_BASE + DP_COUNTER_MAX <= AGENT_CTR_WIRE_BASE,
    "datapath counter wire ids run into the agent's");

enum agent_counter {
	C_RX_MALFORMED,
	C_RX_AUTH_FAIL,
	C_RX_REPLAY,
	C_RX_STALE_TERM,
	C_RX_OLD_EPOCH,
	C_RX_UNEXPECTED,
	C_LATE_TOPOLOGY,
	C_TOPOLOGIES_APPLIED,
	C_TOPOLOGIES_RECEIVED,
	C_TOPOLOGY_REJECTED,
	C_VALIDITY_CLAMPED,
	C_POSITION_MISMATCH,
	C_JOINS_SENT,
	C_HEARTBEATS_SENT,
	C_HEARTBEAT_ACKS,
	C_COORDINATOR_LOST,
	C_COORDINATOR_CHANGES,
	C_ID_CONFLICTS,
	C_TX_ERRORS,
	C_TOPOLOGIES_SUPERSEDED,	/* complete, but a newer one came before its table */
	C_TABLE_BUILDS,			/* bucket tables built in full */
	C_TABLE_UPDATES,		/* bucket tables updated from the previous one */
	C_COUNTER_MAX
};

static inline const char *
dp_counter_name(int i)
{
	static const char *const names[DP_COUNTER_MAX] = {
		[DP_SEEN] = "seen",
		[DP_SELECTED] = "selected",
		[DP_NOT_MINE] = "not_mine",
		[DP_NON_IP] = "non_ip",
		[DP_MALFORMED] = "malformed",
		[DP_MARKERS_OK] = "markers_ok",
		[DP_MARKERS_BAD] = "markers_bad",
		[DP_RINGBUF_FULL] = "ringbuf_full",
		[DP_LEASE_DROPS] = "lease_drops",
		[DP_INACTIVE] = "inactive",
		[DP_RING_RECORDS] = "ring_records",
		[DP_SLOT_SWITCHES] = "slot_switches",
		[DP_RING_ERRORS] = "ring_errors",
		[DP_BATCHES_SENT] = "batches_sent",
		[DP_RECORDS_SENT] = "records_sent",
		[DP_BYTES_SENT] = "bytes_sent",
		[DP_SEND_ERRORS] = "send_errors",
		[DP_ANALYZER_SKIPS] = "analyzer_skips",
		[DP_RECORDS_UNSENT] = "records_unsent",
		[DP_QUEUE_DROPS] = "queue_drops",
		[DP_TCP_CONNECTS] = "tcp_connects",
		[DP_TCP_DISCONNECTS] = "tcp_disconnects",
		[DP_STAGE_ERRORS] = "stage_errors",
	};

	return i >= 0 && i < DP_COUNTER_MAX ? names[i] : NULL;
}

static inline const char *
agent_counter_name(int i)
{
	static const char *const names[C_COUNTER_MAX] = {
		[C_RX_MALFORMED] = "rx_malformed",
		[C_RX_AUTH_FAIL] = "rx_auth_fail",
		[C_RX_REPLAY] = "rx_replay",
		[C_RX_STALE_TERM] = "rx_stale_term",
		[C_RX_OLD_EPOCH] = "rx_old_epoch",
		[C_RX_UNEXPECTED] = "rx_unexpected",
		[C_LATE_TOPOLOGY] = "late_topology",
		[C_TOPOLOGIES_APPLIED] = "topologies_applied",
		[C_TOPOLOGIES_RECEIVED] = "topologies_received",
		[C_TOPOLOGY_REJECTED] = "topology_rejected",
		[C_VALIDITY_CLAMPED] = "validity_clamped",
		[C_POSITION_MISMATCH] = "position_mismatch",
		[C_JOINS_SENT] = "joins_sent",
		[C_HEARTBEATS_SENT] = "heartbeats_sent",
		[C_HEARTBEAT_ACKS] = "heartbeat_acks",
		[C_COORDINATOR_LOST] = "coordinator_lost",
		[C_COORDINATOR_CHANGES] = "coordinator_changes",
		[C_ID_CONFLICTS] = "id_conflicts",
		[C_TX_ERRORS] = "tx_errors",
		[C_TOPOLOGIES_SUPERSEDED] = "topologies_superseded",
		[C_TABLE_BUILDS] = "table_builds",
		[C_TABLE_UPDATES] = "table_updates",
	};

	return i >= 0 && i < C_COUNTER_MAX ? names[i] : NULL;
}

/* The name of a node counter by wire id, or NULL if unknown. */
static inline const char *
node_counter_wire_name(uint16_t id)
{
	if (id >= DP_CTR_WIRE_BASE && id < DP_CTR_WIRE_BASE + DP_COUNTER_MAX)
		return dp_counter_name(id - DP_CTR_WIRE_BASE);
	if (id >= AGENT_CTR_WIRE_BASE && id < AGENT_CTR_WIRE_BASE + C_COUNTER_MAX)
		return agent_counter_name(id - AGENT_CTR_WIRE_BASE);
	return NULL;
}

#endif /* DICAPD_COUNTERS_H */
