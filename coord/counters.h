/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The coordinator's counters, as its STATUS reply carries them.  Shared by
 * dicap-coord and dicapctl, hence header only.
 */
#ifndef COORD_COUNTERS_H
#define COORD_COUNTERS_H

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
	CC_COUNTER_MAX
};

static inline const char *
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
	};

	return i >= 0 && i < CC_COUNTER_MAX ? names[i] : NULL;
}

#endif
