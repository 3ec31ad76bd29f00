/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of the counter ids in include/dicap/{coord,node}_counters.h. */
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

const char *
coord_counter_name(int i)
{
	static const char *const names[CC_COUNTER_MAX] = {
		[CC_RX_MALFORMED] = "rx_malformed",
		[CC_RX_AUTH_FAIL] = "rx_auth_fail",
		[CC_RX_REPLAY] = "rx_replay",
		[CC_RX_STALE_TERM] = "rx_stale_term",
		[CC_RX_UNEXPECTED] = "rx_unexpected",
		[CC_JOINS] = "joins",
		[CC_REJOINS] = "rejoins",
		[CC_LEAVES] = "leaves",
		[CC_TIMEOUTS] = "timeouts",
		[CC_ID_CONFLICTS] = "id_conflicts",
		[CC_TOPOLOGIES_SENT] = "topologies_sent",
		[CC_EPOCH_CHANGES] = "epoch_changes",
		[CC_RESENDS] = "resends",
		[CC_SYNCS_SENT] = "syncs_sent",
		[CC_SYNCS_RECEIVED] = "syncs_received",
		[CC_TAKEOVERS] = "takeovers",
		[CC_STEP_DOWNS] = "step_downs",
		[CC_STATUS_REQUESTS] = "status_requests",
		[CC_TX_DATAGRAMS] = "tx_datagrams",
		[CC_TX_EAGAIN] = "tx_eagain",
		[CC_TX_ERRORS] = "tx_errors",
		[CC_MARKERS_SENT] = "markers_sent",
		[CC_MARKER_ERRORS] = "marker_errors",
		[CC_RX_UNVERIFIED] = "rx_unverified",
		[CC_RX_TERM_JUMP] = "rx_term_jump",
		[CC_RX_NOT_PEER] = "rx_not_peer",
		[CC_REPLAY_FULL] = "replay_full",
		[CC_SYNC_CAPPED] = "sync_capped",
		[CC_RR_DRIFTS] = "rr_drifts",
	};

	return i >= 0 && i < CC_COUNTER_MAX ? names[i] : NULL;
}

const char *
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
		[DP_RR_MARKER] = "rr_marker",
	};

	return i >= 0 && i < DP_COUNTER_MAX ? names[i] : NULL;
}

const char *
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
		[C_RX_NOT_FOLLOWED] = "rx_not_followed",
		[C_RX_SESSION] = "rx_session",
		[C_RX_TERM_JUMP] = "rx_term_jump",
	};

	return i >= 0 && i < C_COUNTER_MAX ? names[i] : NULL;
}

const char *
coord_node_counter_name(int i)
{
	static const char *const names[CN_COUNTER_MAX] = {
		[CN_RR_DRIFTS] = "rr_drifts",
	};

	return i >= 0 && i < CN_COUNTER_MAX ? names[i] : NULL;
}

const char *
node_counter_wire_name(uint16_t id)
{
	if (id >= DP_CTR_WIRE_BASE && id < DP_CTR_WIRE_BASE + DP_COUNTER_MAX)
		return dp_counter_name(id - DP_CTR_WIRE_BASE);
	if (id >= AGENT_CTR_WIRE_BASE && id < AGENT_CTR_WIRE_BASE + C_COUNTER_MAX)
		return agent_counter_name(id - AGENT_CTR_WIRE_BASE);
	if (id >= COORD_NODE_CTR_WIRE_BASE && id < COORD_NODE_CTR_WIRE_BASE + CN_COUNTER_MAX)
		return coord_node_counter_name(id - COORD_NODE_CTR_WIRE_BASE);
	return NULL;
}
