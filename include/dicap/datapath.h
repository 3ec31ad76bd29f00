/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What both datapaths, the XDP program (kmod/xdp/) and dicap.ko
 * (kmod/linux/), share with dicapd: the actions on a selected frame, the
 * lease policies, the topology switch's state word and slot flags, and the
 * per-CPU counters.  Each datapath keeps these values in its own structures
 * (xdp_kern_user.h for the XDP maps, genl.h for the module's netlink
 * interface); the values mean the same on both, so dicapd drives both
 * alike.  No libc: built by clang -target bpf, Kbuild and userspace.
 *
 * The topology switch (docs/design.md has the reasoning): dicapd writes a
 * topology into the idle slot (neither active nor pending), then sets
 * DICAP_DP_ST_PENDING in the state word, then stores the slot's validity
 * start.  The packet path compares the clock with it on every frame while
 * a switch is due (the clock is not read otherwise); once past it, it makes
 * the pending slot active with one compare-and-swap on the state word.  A
 * slot flagged DICAP_DP_SLOT_AT_MARKER (one with a marker token, in any
 * mode) is not switched by time: the marker frame that carries its epoch
 * and token switches it.  Every change dicapd makes to the state word adds
 * DICAP_DP_ST_GEN_ONE, so a packet path that read the word before the
 * change cannot complete a stale compare-and-swap.
 */
#ifndef DICAP_DATAPATH_H
#define DICAP_DATAPATH_H

#include <linux/types.h>

/* What happens to a selected frame (a bit set). */
#define DICAP_DP_ACT_PASS	0x1	/* XDP_PASS to the stack (distribution) */
#define DICAP_DP_ACT_RING	0x2	/* a record into dicap_ring (capture) */
#define DICAP_DP_ACT_MASK	0x3

/* What happens once the lease has expired. */
#define DICAP_DP_LEASE_KEEP	0	/* keep selecting with the last share */
#define DICAP_DP_LEASE_DROP	1	/* drop every frame */

#define DICAP_DP_NEVER		0xffffffffffffffffULL

/* config.state */
#define DICAP_DP_ST_ACTIVE	0x1ULL	/* index of the active slot */
#define DICAP_DP_ST_HAVE	0x2ULL	/* a topology is active at all */
#define DICAP_DP_ST_PENDING	0x4ULL	/* the other slot waits for its switch */
#define DICAP_DP_ST_FLAGS	0xffULL
#define DICAP_DP_ST_GEN_ONE	0x100ULL	/* generation, bits 8-63 */

/* Slot flags */
#define DICAP_DP_SLOT_TOKEN	0x1	/* token is set: markers for epoch count */
#define DICAP_DP_SLOT_AT_MARKER 0x2	/* switch to this slot at its marker only */

#define DICAP_DP_NOT_MEMBER	0xffffffffu	/* position of a node outside the topology */

/*
 * A node's round-robin report (counter rr_marker, node_counters.h): the
 * sequence number of the last report marker (DICAP_MARKER_SEQ_REPORT,
 * marker.h) in the high 32 bits; in the low 32 bits, modulo 2^32, the
 * frames it counted in C from the previous report marker (or the topology
 * switch) up to this one, each accepted marker counting as one frame too.
 * Nodes that saw the same frames report the same number for the same
 * marker; one that missed a frame, or a marker, reports less.  0: no
 * report yet.
 */
#define DICAP_RR_MARK(seq, n)	(((__u64)(seq) << 32) | (__u64)(__u32)(n))
#define DICAP_RR_MARK_SEQ(v)	((__u32)((v) >> 32))
#define DICAP_RR_MARK_COUNT(v)	((__u32)(v))

/*
 * Per-CPU counters of the packet path.  dicapd reports them under wire ids
 * DP_CTR_WIRE_BASE + index (node_counters.h): keep the order.
 */
enum dicap_dp_ctr {
	DICAP_DP_SEEN,		/* every frame */
	DICAP_DP_SELECTED,	/* owned by this node: passed and/or captured */
	DICAP_DP_NOT_MINE,	/* owned by another node: dropped */
	DICAP_DP_NON_IP,	/* selected frames parsed as not IPv4/IPv6 */
	DICAP_DP_MALFORMED,	/* selected frames parsed as malformed or truncated */
	DICAP_DP_MARKERS_OK,	/* marker accepted: switch or C reset */
	DICAP_DP_MARKERS_BAD,	/* marker with an unknown epoch or a wrong token */
	DICAP_DP_RINGBUF_FULL,	/* selected, but no room in the ring */
	DICAP_DP_LEASE_DROPS,	/* dropped: lease expired, policy DROP */
	DICAP_DP_INACTIVE,	/* dropped, markers too: no topology active yet */
	DICAP_DP_RING_RECORDS,	/* records submitted to the ring */
	DICAP_DP_SWITCHES,	/* slot switches made by the program */
	DICAP_DP_RING_ERRORS,	/* frame bytes could not be copied (record discarded) */
	DICAP_DP_CTR_MAX
};

/*
 * Every frame ends in exactly one of these, so
 * SEEN == SELECTED + NOT_MINE + MARKERS_OK + MARKERS_BAD + LEASE_DROPS + INACTIVE.
 */

#endif /* DICAP_DATAPATH_H */
