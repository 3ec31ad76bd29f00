/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The counters a node reports: in its heartbeats (COUNTERS attribute, so
 * the coordinator's STATUS shows them per node) and in its status JSON.
 * Wire ids: datapath counter i is i + 1, agent counter i is
 * AGENT_CTR_WIRE_BASE + i.  Keep the order: it is the protocol.  Names:
 * lib/counters.h.
 */
#ifndef DICAP_NODE_COUNTERS_H
#define DICAP_NODE_COUNTERS_H

#include "datapath.h"

/*
 * Datapath counters: the XDP program's per-CPU counters (the first ones,
 * in datapath.h's order), then capture mode's.  Append only.
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
	DP_RR_MARKER,		/* not a counter: DICAP_RR_MARK() of the last marker (datapath.h) */
	DP_COUNTER_MAX
};

#define DP_CTR_WIRE_BASE	1
#define AGENT_CTR_WIRE_BASE	64
_Static_assert(DP_CTR_WIRE_BASE + DP_COUNTER_MAX <= AGENT_CTR_WIRE_BASE,
	       "datapath counter wire ids run into the agent's");
_Static_assert((int)DP_RING_ERRORS == (int)DICAP_DP_RING_ERRORS &&
	       (int)DP_RING_ERRORS + 1 == (int)DICAP_DP_CTR_MAX,
	       "the first datapath counters are the packet path's, in its order");

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
	C_RX_NOT_FOLLOWED,		/* ERROR from a coordinator we do not talk to */
	C_RX_SESSION,			/* PEER_SESSION not ours: an old message */
	C_RX_TERM_JUMP,			/* a term beyond what an election makes */
	C_COUNTER_MAX
};

/*
 * What the coordinator counts about a node itself, beside the node's own
 * counters in its NODE_INFO (STATUS): wire id COORD_NODE_CTR_WIRE_BASE + i.
 * Append only.
 */
#define COORD_NODE_CTR_WIRE_BASE	1024
enum coord_node_counter {
	CN_RR_DRIFTS,		/* markers at which its count C disagreed with the others' */
	CN_COUNTER_MAX
};

#endif /* DICAP_NODE_COUNTERS_H */
