/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The generic netlink interface of dicap.ko, shared by the module, dicapd
 * (node/dicapd/datapath_kmod.c) and the qemu test tool.  __u types only.
 *
 * Family "dicap", version 2 (2 added DICAP_A_SEL_FLAGS with the selection
 * rules of issue 12, and mode host).  Every command needs CAP_NET_ADMIN,
 * DICAP_CMD_GET too since issue 14 (it maps the capture).  A topology is staged like the XDP datapath's
 * (include/dicap/xdp_kern_user.h): STAGE writes the idle slot's parameters,
 * TABLE fills its bucket table in chunks, COMMIT makes it pending with
 * its validity start; the packet path switches at the first frame at or
 * after that instant (CLOCK_REALTIME), or at its marker, or ACTIVATE
 * switches at once.
 */
#ifndef DICAP_GENL_H
#define DICAP_GENL_H

#include <linux/types.h>

#define DICAP_GENL_NAME		"dicap"
#define DICAP_GENL_VERSION	2

enum dicap_cmd {
	DICAP_CMD_UNSPEC,
	DICAP_CMD_ATTACH,	/* IFINDEX, HOOK */
	DICAP_CMD_DETACH,
	DICAP_CMD_SET,		/* any of ACTIONS, SNAPLEN, NODE_ID, LEASE_POLICY */
	DICAP_CMD_STAGE,	/* EPOCH, MODE, N, POSITION, VALIDITY_NS; SEL_FLAGS, TOKEN, AT_MARKER */
	DICAP_CMD_TABLE,	/* EPOCH, TABLE_OFFSET, TABLE */
	DICAP_CMD_COMMIT,	/* EPOCH */
	DICAP_CMD_ACTIVATE,	/* EPOCH */
	DICAP_CMD_LEASE,	/* LEASE_MS */
	DICAP_CMD_ANALYZERS,	/* ANALYZER... (none: no analyzers) */
	DICAP_CMD_GET,		/* reply: STATE, epochs, IFINDEX, COUNTERS; MODE, SEL_FLAGS */
	__DICAP_CMD_MAX,
};
#define DICAP_CMD_MAX (__DICAP_CMD_MAX - 1)

enum dicap_attr {
	DICAP_A_UNSPEC,
	DICAP_A_IFINDEX,	/* u32 */
	DICAP_A_HOOK,		/* u8, enum dicap_hook */
	DICAP_A_ACTIONS,	/* u32, DICAP_DP_ACT_* */
	DICAP_A_SNAPLEN,	/* u32, 14..DICAP_K_SNAPLEN_MAX */
	DICAP_A_NODE_ID,	/* u32 */
	DICAP_A_LEASE_POLICY,	/* u8, DICAP_DP_LEASE_* */
	DICAP_A_LEASE_MS,	/* u32, >= 1 */
	DICAP_A_EPOCH,		/* u32 */
	DICAP_A_MODE,		/* u8, enum dicap_mode */
	DICAP_A_N,		/* u32, 1..65535 */
	DICAP_A_POSITION,	/* u32, < N, or DICAP_DP_NOT_MEMBER */
	DICAP_A_VALIDITY_NS,	/* u64, CLOCK_REALTIME */
	DICAP_A_TOKEN,		/* binary, 16 bytes */
	DICAP_A_AT_MARKER,	/* flag */
	DICAP_A_TABLE_OFFSET,	/* u32, bucket index, multiple of DICAP_K_TABLE_BLOCK */
	DICAP_A_TABLE,		/* binary, host-order u16 owners */
	DICAP_A_ANALYZER,	/* nested, enum dicap_analyzer_attr */
	DICAP_A_STATE,		/* u64, DICAP_DP_ST_* */
	DICAP_A_ACTIVE_EPOCH,	/* u32 */
	DICAP_A_PENDING_EPOCH,	/* u32 */
	DICAP_A_COUNTERS,	/* nested: u64 attributes, type = counter + 1 */
	DICAP_A_PAD,
	DICAP_A_SEL_FLAGS,	/* u32, DICAP_SEL_* (within DICAP_SEL_FLAGS_MASK); 0 if absent */
	__DICAP_A_MAX,
};
#define DICAP_A_MAX (__DICAP_A_MAX - 1)

enum dicap_analyzer_attr {
	DICAP_AN_UNSPEC,
	DICAP_AN_ADDR,		/* binary: 4 (IPv4) or 16 (IPv6) bytes, network order */
	DICAP_AN_PORT,		/* u16, host order, not 0 */
	__DICAP_AN_MAX,
};
#define DICAP_AN_MAX (__DICAP_AN_MAX - 1)

enum dicap_hook {
	DICAP_HOOK_DRIVER = 0,		/* a patched driver calls dicap_rx_hook() */
	DICAP_HOOK_RX_HANDLER = 1,	/* generic fallback: after AF_PACKET taps */
	DICAP_HOOK_MAX = DICAP_HOOK_RX_HANDLER,
};

#define DICAP_K_SNAPLEN_MAX	1440	/* one record fills a 1472-byte batch */
#define DICAP_K_TABLE_BLOCK	256	/* buckets; chunks start and end on one */
#define DICAP_K_TABLE_CHUNK_MAX	8192	/* buckets per TABLE message */
#define DICAP_K_MAX_ANALYZERS	8

/*
 * Counters: the XDP datapath's (enum dicap_dp_ctr, same indices and
 * meanings; "ring" is the per-CPU batch here) followed by these.
 */
enum dicap_k_ctr {
	DICAP_K_BATCHES_SENT = 13,	/* == DICAP_DP_CTR_MAX */
	DICAP_K_RECORDS_SENT,
	DICAP_K_SEND_ERRORS,
	DICAP_K_HOOK_FRAMES,		/* frames seen through the driver hook */
	DICAP_K_RXH_FRAMES,		/* frames seen through the rx_handler */
	DICAP_K_CTR_MAX
};

/* Verdicts of dicap_rx_hook() for the calling driver. */
enum dicap_rx_verdict {
	DICAP_RX_PASS = 0,	/* build the sk_buff as usual */
	DICAP_RX_DROP = 1,	/* recycle the buffer: no sk_buff */
	DICAP_RX_CAPTURED = 2,	/* headers taken for an analyzer; recycle */
};

#endif /* DICAP_GENL_H */
