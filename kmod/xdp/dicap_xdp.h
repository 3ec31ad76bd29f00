/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The XDP datapath's maps and constants, shared by the BPF program
 * (kmod/xdp/dicap_xdp.bpf.c), dicapd (node/dicapd/datapath_xdp.c,
 * capture.c) and tests/t_xdp_prog.c.  __u types only, fixed layouts with
 * explicit padding: the same bytes are read by both sides.
 *
 * Maps (names as the skeleton and bpf_object__find_map_by_name see them):
 *   dicap_config  array[1] of struct dicap_xdp_config, BPF_F_MMAPABLE:
 *                 dicapd maps it and changes single fields with atomic
 *                 stores; the state word only with compare-and-swap.
 *   dicap_slots   array[2] of struct dicap_xdp_slot: the two topologies.
 *   dicap_tables  array[2] of struct dicap_xdp_table: their bucket tables.
 *   dicap_rr      array[1] of __u64: the round-robin counter C.
 *   dicap_stats   per-CPU array[1] of struct dicap_xdp_stats.
 *   dicap_ring    ring buffer of struct dicap_xdp_rec (capture mode).
 * and one read-only global, dicap_rec_cap: the bytes of frame data a ring
 * record has room for, fixed before the program is loaded (the verifier
 * needs the reserved size as a constant).
 *
 * The topology switch (docs/design.md has the reasoning):
 *   dicapd writes a topology into the idle slot (neither active nor
 *   pending), then sets DICAP_XDP_ST_PENDING in the state word, then
 *   stores the slot's validity start into switch_at_tai.  The program
 *   compares bpf_ktime_get_tai_ns() with switch_at_tai on every frame
 *   while switch_at_tai is not DICAP_XDP_NEVER (the clock is not read
 *   otherwise); once past it, it makes the pending slot active with one
 *   compare-and-swap on the state word.  A slot flagged
 *   DICAP_XDP_SLOT_AT_MARKER (round-robin with a marker token) is not
 *   switched by time: switch_at_tai stays DICAP_XDP_NEVER and the marker
 *   frame that carries its epoch and token switches it.  Only dicapd
 *   writes switch_at_tai; the program writes only the state word (by CAS)
 *   and C.  Every change dicapd makes to the state word adds
 *   DICAP_XDP_ST_GEN_ONE, so a program that read the word before the
 *   change cannot complete a stale CAS.
 */
#ifndef DICAP_XDP_H
#define DICAP_XDP_H

#include <linux/types.h>

/* config.actions: what happens to a selected frame. */
#define DICAP_XDP_ACT_PASS	0x1	/* XDP_PASS to the stack (distribution) */
#define DICAP_XDP_ACT_RING	0x2	/* a record into dicap_ring (capture) */
#define DICAP_XDP_ACT_MASK	0x3

/* config.lease_policy: what happens once the lease has expired. */
#define DICAP_XDP_LEASE_KEEP	0	/* keep selecting with the last share */
#define DICAP_XDP_LEASE_DROP	1	/* drop every frame */

#define DICAP_XDP_NEVER		0xffffffffffffffffULL

/* config.state */
#define DICAP_XDP_ST_ACTIVE	0x1ULL	/* index of the active slot */
#define DICAP_XDP_ST_HAVE	0x2ULL	/* a topology is active at all */
#define DICAP_XDP_ST_PENDING	0x4ULL	/* the other slot waits for its switch */
#define DICAP_XDP_ST_FLAGS	0xffULL
#define DICAP_XDP_ST_GEN_ONE	0x100ULL	/* generation, bits 8-63 */

struct dicap_xdp_config {
	__u64 state;		/* DICAP_XDP_ST_*: CAS only */
	__u64 switch_at_tai;	/* pending slot's validity start, or NEVER */
	__u64 lease_expiry_ns;	/* CLOCK_MONOTONIC; read as bpf_ktime_get_coarse_ns() */
	__u32 actions;		/* DICAP_XDP_ACT_* */
	__u32 snaplen;		/* bytes captured per record, <= dicap_rec_cap */
	__u32 lease_policy;	/* DICAP_XDP_LEASE_* */
	__u32 wakeup_every;	/* ring wakeup every this many records per CPU; 0: kernel's */
	__u32 reserved[2];
};

/* dicap_xdp_slot.flags */
#define DICAP_XDP_SLOT_TOKEN	0x1	/* token is set: markers for epoch count */
#define DICAP_XDP_SLOT_AT_MARKER 0x2	/* switch to this slot at its marker only */

#define DICAP_XDP_NOT_MEMBER	0xffffffffu	/* position of a node outside the topology */

struct dicap_xdp_slot {
	__u32 mode;		/* enum dicap_mode */
	__u32 n;		/* members */
	__u32 position;		/* own index, or DICAP_XDP_NOT_MEMBER */
	__u32 epoch;
	__u64 validity_tai_ns;	/* validity start, CLOCK_TAI */
	__u32 flags;		/* DICAP_XDP_SLOT_* */
	__u32 reserved;
	__u8 token[16];		/* marker token (DICAP_MARKER_TOKEN_LEN) */
};

struct dicap_xdp_table {
	__u16 owner[65536];	/* bucket -> member index (DICAP_BUCKETS) */
};

/* Per-CPU counters: indices into dicap_xdp_stats.v. */
enum dicap_xdp_ctr {
	DICAP_XDP_SEEN,		/* every frame */
	DICAP_XDP_SELECTED,	/* owned by this node: passed and/or captured */
	DICAP_XDP_NOT_MINE,	/* owned by another node: dropped */
	DICAP_XDP_NON_IP,	/* parsed as not IPv4/IPv6 (also selected or not) */
	DICAP_XDP_MALFORMED,	/* parsed as malformed or truncated (ditto) */
	DICAP_XDP_MARKERS_OK,	/* marker accepted: switch or C reset */
	DICAP_XDP_MARKERS_BAD,	/* marker with an unknown epoch or a wrong token */
	DICAP_XDP_RINGBUF_FULL,	/* selected, but no room in the ring */
	DICAP_XDP_LEASE_DROPS,	/* dropped: lease expired, policy DROP */
	DICAP_XDP_INACTIVE,	/* dropped: no topology active yet */
	DICAP_XDP_RING_RECORDS,	/* records submitted to the ring */
	DICAP_XDP_SWITCHES,	/* slot switches made by the program */
	DICAP_XDP_RING_ERRORS,	/* frame bytes could not be copied (record discarded) */
	DICAP_XDP_CTR_MAX
};

/*
 * Every frame ends in exactly one of these, so
 * SEEN == SELECTED + NOT_MINE + MARKERS_OK + MARKERS_BAD + LEASE_DROPS + INACTIVE.
 */

struct dicap_xdp_stats {
	__u64 v[DICAP_XDP_CTR_MAX];
};

/* A ring record: this header, then caplen bytes (room for dicap_rec_cap). */
struct dicap_xdp_rec {
	__u64 ts_tai_ns;	/* bpf_ktime_get_tai_ns() when the program ran */
	__u32 wirelen;		/* whole frame, all fragments */
	__u16 caplen;		/* bytes that follow */
	__u16 reserved;
};

#define DICAP_XDP_REC_HDR	16
#define DICAP_XDP_CAP_MAX	1440	/* 12 + 1440 + 20 = the 1472-byte UDP batch */
#define DICAP_XDP_RING_DEFAULT	(4u << 20)
#define DICAP_XDP_WAKEUP_EVERY	512	/* default wakeup_every (measured) */

/*
 * Round-robin marker frame (docs/protocol.md, "Marker frames"): untagged
 * Ethernet, EtherType 0x88B5 (IEEE 802 local experimental 1), then
 * "DCMK", the epoch (u32, network order) and the 16-byte token the
 * coordinator sent in that epoch's TOPOLOGY.  38 bytes, padded to 60.
 */
#define DICAP_MARKER_ETHERTYPE	0x88b5
#define DICAP_MARKER_MAGIC	0x44434d4bu	/* "DCMK" */
#define DICAP_MARKER_OFF_MAGIC	14
#define DICAP_MARKER_OFF_EPOCH	18
#define DICAP_MARKER_OFF_TOKEN	22
#define DICAP_MARKER_LEN	38
#define DICAP_MARKER_FRAME_LEN	60	/* padded to the Ethernet minimum */

/*
 * Build a marker frame (for the coordinator's injector and the tests):
 * broadcast destination, @src_mac, the epoch and the token, zero padding.
 * Fills DICAP_MARKER_FRAME_LEN bytes of @f and returns that length.
 */
static inline __u32 dicap_marker_build(__u8 *f, const __u8 *src_mac, __u32 epoch,
				       const __u8 *token)
{
	__u32 i;

	for (i = 0; i < DICAP_MARKER_FRAME_LEN; i++)
		f[i] = 0;
	for (i = 0; i < 6; i++) {
		f[i] = 0xff;
		f[6 + i] = src_mac[i];
	}
	f[12] = DICAP_MARKER_ETHERTYPE >> 8;
	f[13] = DICAP_MARKER_ETHERTYPE & 0xff;
	for (i = 0; i < 4; i++) {
		f[DICAP_MARKER_OFF_MAGIC + i] = (__u8)(DICAP_MARKER_MAGIC >> (24 - 8 * i));
		f[DICAP_MARKER_OFF_EPOCH + i] = (__u8)(epoch >> (24 - 8 * i));
	}
	for (i = 0; i < 16; i++)
		f[DICAP_MARKER_OFF_TOKEN + i] = token[i];
	return DICAP_MARKER_FRAME_LEN;
}

#endif /* DICAP_XDP_H */
