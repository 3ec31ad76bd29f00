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
 *   dicap_rr      array[3] of __u64: [DICAP_XDP_RR_C] the round-robin
 *                 counter C; [DICAP_XDP_RR_MARK] the node's report at the
 *                 last report marker, DICAP_RR_MARK() (datapath.h), one
 *                 64-bit store so that dicapd never reads half of it;
 *                 [DICAP_XDP_RR_SUM] the frames counted since the last
 *                 report marker or switch, markers included.
 *   dicap_stats   per-CPU array[1] of struct dicap_xdp_stats.
 *   dicap_ring    ring buffer of struct dicap_xdp_rec (capture mode).
 * and one read-only global, dicap_rec_cap: the bytes of frame data a ring
 * record has room for, fixed before the program is loaded (the verifier
 * needs the reserved size as a constant).
 *
 * The topology switch (docs/design.md has the reasoning):
 *   dicapd writes a topology into the idle slot (neither active nor
 *   pending), then sets DICAP_DP_ST_PENDING in the state word, then
 *   stores the slot's validity start into switch_at_tai.  The program
 *   compares bpf_ktime_get_tai_ns() with switch_at_tai on every frame
 *   while switch_at_tai is not DICAP_DP_NEVER (the clock is not read
 *   otherwise); once past it, it makes the pending slot active with one
 *   compare-and-swap on the state word.  A slot flagged
 *   DICAP_DP_SLOT_AT_MARKER (a slot with a marker token, any mode) is not
 *   switched by time: switch_at_tai stays DICAP_DP_NEVER and the marker
 *   frame that carries its epoch and token switches it.  Only dicapd
 *   writes switch_at_tai; the program writes only the state word (by CAS)
 *   and C.  Every change dicapd makes to the state word adds
 *   DICAP_DP_ST_GEN_ONE, so a program that read the word before the
 *   change cannot complete a stale CAS.
 */
#ifndef DICAP_XDP_KERN_USER_H
#define DICAP_XDP_KERN_USER_H

#include <linux/types.h>

#include "datapath.h"
#include "marker.h"

struct dicap_xdp_config {
	__u64 state;		/* DICAP_DP_ST_*: CAS only */
	__u64 switch_at_tai;	/* pending slot's validity start, or NEVER */
	__u64 lease_expiry_ns;	/* CLOCK_MONOTONIC; read as bpf_ktime_get_coarse_ns() */
	__u32 actions;		/* DICAP_DP_ACT_* */
	__u32 snaplen;		/* bytes captured per record, <= dicap_rec_cap */
	__u32 lease_policy;	/* DICAP_DP_LEASE_* */
	__u32 wakeup_every;	/* ring wakeup every this many records per CPU; 0: kernel's */
	__u32 reserved[2];
};

struct dicap_xdp_slot {
	__u32 mode;		/* enum dicap_mode */
	__u32 n;		/* members */
	__u32 position;		/* own index, or DICAP_DP_NOT_MEMBER */
	__u32 epoch;
	__u64 validity_tai_ns;	/* validity start, CLOCK_TAI */
	__u32 flags;		/* DICAP_DP_SLOT_* */
	__u32 sel_flags;	/* DICAP_SEL_* (select.h), beside mode */
	__u8 token[16];		/* marker token (DICAP_MARKER_TOKEN_LEN) */
};

struct dicap_xdp_table {
	__u16 owner[65536];	/* bucket -> member index (DICAP_BUCKETS) */
};

struct dicap_xdp_stats {
	__u64 v[DICAP_DP_CTR_MAX];
};

/* A ring record: this header, then caplen bytes (room for dicap_rec_cap). */
struct dicap_xdp_rec {
	__u64 ts_tai_ns;	/* bpf_ktime_get_tai_ns() when the program ran */
	__u32 wirelen;		/* whole frame, all fragments */
	__u16 caplen;		/* bytes that follow */
	__u16 reserved;
};

#define DICAP_XDP_RR_C		0
#define DICAP_XDP_RR_MARK	1
#define DICAP_XDP_RR_SUM	2
#define DICAP_XDP_RR_ENTRIES	3

#define DICAP_XDP_REC_HDR	16
#define DICAP_XDP_CAP_MAX	1440	/* 12 + 1440 + 20 = the 1472-byte UDP batch */
#define DICAP_XDP_RING_DEFAULT	(4u << 20)
#define DICAP_XDP_WAKEUP_EVERY	512	/* default wakeup_every (measured) */

#endif /* DICAP_XDP_KERN_USER_H */
