/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The coordinator's counter ids, as its STATUS reply carries them
 * (dicap-coord writes them, dicapctl reads them).  Names: lib/counters.h.
 */
#ifndef DICAP_COORD_COUNTERS_H
#define DICAP_COORD_COUNTERS_H

/*
 * Counters shown in STATUS.  On the wire (the COUNTERS attribute of STATUS)
 * counter i has id COORD_CTR_WIRE_BASE + i; id COORD_CTR_WIRE_BASE - 1
 * carries the role (enum coord_role).  Keep the order: it is the protocol.
 */
#define COORD_CTR_WIRE_BASE	129
#define COORD_ROLE_WIRE_ID	(COORD_CTR_WIRE_BASE - 1)
enum coord_counter {
	CC_RX_MALFORMED,
	CC_RX_AUTH_FAIL,
	CC_RX_REPLAY,
	CC_RX_STALE_TERM,
	CC_RX_UNEXPECTED,
	CC_JOINS,
	CC_REJOINS,
	CC_LEAVES,
	CC_TIMEOUTS,
	CC_ID_CONFLICTS,
	CC_TOPOLOGIES_SENT,
	CC_EPOCH_CHANGES,
	CC_RESENDS,
	CC_SYNCS_SENT,
	CC_SYNCS_RECEIVED,
	CC_TAKEOVERS,
	CC_STEP_DOWNS,
	CC_STATUS_REQUESTS,
	CC_TX_DATAGRAMS,
	CC_TX_EAGAIN,
	CC_TX_ERRORS,
	CC_MARKERS_SENT,
	CC_MARKER_ERRORS,
	CC_RX_UNVERIFIED,	/* without our session or cookie: answered with it, or dropped */
	CC_RX_TERM_JUMP,	/* a term beyond what an election makes: refused */
	CC_RX_NOT_PEER,		/* COORD_SYNC or VOTE_REQ from no --peer */
	CC_REPLAY_FULL,		/* no replay slot left for a new sender */
	CC_SYNC_CAPPED,		/* COORD_SYNC records beyond the node table: ignored */
	CC_RR_DRIFTS,		/* nodes whose round-robin report disagreed (per marker) */
	CC_COUNTER_MAX
};

#endif /* DICAP_COORD_COUNTERS_H */
