// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The DiCAP XDP datapath: one program for the five selection modes.  Each
 * frame is either this node's (passed to the stack and/or copied into the
 * ring buffer) or dropped before the kernel allocates an sk_buff.  The
 * parser and the selection rules are include/dicap/packet.h and include/dicap/select.h, the
 * very code userspace and the kernel module compile.
 *
 * Maps and the topology switch protocol: include/dicap/xdp_kern_user.h.  Design notes:
 * docs/design.md, "The XDP datapath".
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dicap/select.h"
#include "dicap/batch.h"
#include "dicap/xdp_kern_user.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dicap_xdp_config);
} dicap_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct dicap_xdp_slot);
} dicap_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct dicap_xdp_table);
} dicap_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DICAP_XDP_RR_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} dicap_rr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dicap_xdp_stats);
} dicap_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DICAP_XDP_RING_DEFAULT);
} dicap_ring SEC(".maps");

/* Set by the loader before the program is verified; see include/dicap/xdp_kern_user.h. */
const volatile __u32 dicap_rec_cap = DICAP_SNAPLEN_DEFAULT;

#define READ_ONCE_U64(x)	(*(const volatile __u64 *)&(x))
#define DICAP_SUBPROG		static __attribute__((noinline))

static __always_inline struct dicap_xdp_slot *slot_get(__u32 idx)
{
	return bpf_map_lookup_elem(&dicap_slots, &idx);
}

static __always_inline __u64 *rr_entry(__u32 key)
{
	return bpf_map_lookup_elem(&dicap_rr, &key);
}

/* A switch: C and the report's sum restart at 0. */
static __always_inline void rr_reset(void)
{
	__u64 *c = rr_entry(DICAP_XDP_RR_C), *sum = rr_entry(DICAP_XDP_RR_SUM);

	if (c)
		*(volatile __u64 *)c = 0;
	if (sum)
		*(volatile __u64 *)sum = 0;
}

/*
 * A resync marker restarts C; C and the marker itself go into the sum
 * that a report marker (DICAP_MARKER_SEQ_REPORT) hands to dicapd's next
 * heartbeat, for the coordinator to compare (drift detection,
 * docs/design.md).  @sw: the marker switches topology (a node that missed
 * the switch marker catches up at a resync one): the sum restarts too,
 * after a report of what it held, which then disagrees with the others'.
 * A read, then a store: a frame another CPU counts in between is lost to
 * both, as with any reset racing frames on other CPUs.
 */
static __always_inline void rr_resync(__u32 seq, int sw)
{
	__u64 *c = rr_entry(DICAP_XDP_RR_C), *sum = rr_entry(DICAP_XDP_RR_SUM), *m, n;

	if (!c || !sum)
		return;
	n = READ_ONCE_U64(*sum) + READ_ONCE_U64(*c) + 1;
	*(volatile __u64 *)c = 0;
	if (!(seq & DICAP_MARKER_SEQ_REPORT)) {
		*(volatile __u64 *)sum = sw ? 0 : n;
		return;
	}
	*(volatile __u64 *)sum = 0;
	m = rr_entry(DICAP_XDP_RR_MARK);
	if (m)
		*(volatile __u64 *)m = DICAP_RR_MARK(seq, n);
}

/* Make the pending slot active, unless dicapd changed the state meanwhile. */
static __always_inline int switch_to_pending(struct dicap_xdp_config *cfg, __u64 s)
{
	__u64 next = (s & ~(DICAP_DP_ST_ACTIVE | DICAP_DP_ST_PENDING)) |
		     ((s & DICAP_DP_ST_ACTIVE) ^ 1) | DICAP_DP_ST_HAVE;

	return __sync_val_compare_and_swap(&cfg->state, s, next) == s;
}

/*
 * The first frame at or past the pending slot's validity start switches.
 * Reached only when the clock passed switch_at_tai; the slot's own
 * validity is the authority (switch_at_tai may be a stale copy).  Into a
 * round-robin slot (one without a marker token: with one, only its marker
 * switches) C restarts at 0: the nodes' counters then agree from the
 * switch on, up to what their clocks disagree by.
 */
DICAP_SUBPROG void time_switch(struct dicap_xdp_config *cfg, struct dicap_xdp_stats *st,
			       __u64 now)
{
	__u64 s = READ_ONCE_U64(cfg->state);
	struct dicap_xdp_slot *p;

	if (!(s & DICAP_DP_ST_PENDING))
		return;
	p = slot_get((__u32)((s & DICAP_DP_ST_ACTIVE) ^ 1));
	if (!p || (p->flags & DICAP_DP_SLOT_AT_MARKER) || now < p->validity_tai_ns)
		return;
	if (!switch_to_pending(cfg, s))
		return;
	if (p->mode == DICAP_MODE_RR)
		rr_reset();
	st->v[DICAP_DP_SWITCHES]++;
}

static __always_inline int token_ok(const struct dicap_xdp_slot *slot, __u32 epoch,
				    __u64 t0, __u64 t1)
{
	__u64 s0, s1;

	if (!(slot->flags & DICAP_DP_SLOT_TOKEN) || slot->epoch != epoch)
		return 0;
	__builtin_memcpy(&s0, slot->token, 8);
	__builtin_memcpy(&s1, slot->token + 8, 8);
	return ((s0 ^ t0) | (s1 ^ t1)) == 0;
}

/*
 * A marker frame: returns the verdict (always XDP_DROP: markers are
 * neither passed nor captured), or -1 if the frame only shares the
 * EtherType and is ordinary traffic.  A marker for the pending epoch
 * switches to it; one for the active epoch resynchronises C.  Either way
 * C restarts at 0 with the next frame, on every node at the same frame;
 * a resync adds what C stood at to the sum the coordinator compares.
 */
DICAP_SUBPROG int marker(struct xdp_md *ctx, struct dicap_xdp_config *cfg,
			 struct dicap_xdp_stats *st)
{
	const __u8 *d = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct dicap_xdp_slot *slot;
	__u64 s, t0, t1;
	__u32 epoch, seq = 0;

	if (d + DICAP_MARKER_LEN > end ||
	    dicap_get_be32(d + DICAP_MARKER_OFF_MAGIC) != DICAP_MARKER_MAGIC)
		return -1;
	epoch = dicap_get_be32(d + DICAP_MARKER_OFF_EPOCH);
	if (d + DICAP_MARKER_SEQ_END <= end)
		seq = dicap_get_be32(d + DICAP_MARKER_OFF_SEQ);
	__builtin_memcpy(&t0, d + DICAP_MARKER_OFF_TOKEN, 8);
	__builtin_memcpy(&t1, d + DICAP_MARKER_OFF_TOKEN + 8, 8);

	s = READ_ONCE_U64(cfg->state);
	if (s & DICAP_DP_ST_PENDING) {
		slot = slot_get((__u32)((s & DICAP_DP_ST_ACTIVE) ^ 1));
		if (slot && token_ok(slot, epoch, t0, t1) && switch_to_pending(cfg, s)) {
			rr_resync(seq, 1);
			st->v[DICAP_DP_SWITCHES]++;
			st->v[DICAP_DP_MARKERS_OK]++;
			return XDP_DROP;
		}
	}
	if (s & DICAP_DP_ST_HAVE) {
		slot = slot_get((__u32)(s & DICAP_DP_ST_ACTIVE));
		if (slot && token_ok(slot, epoch, t0, t1)) {
			rr_resync(seq, 0);
			st->v[DICAP_DP_MARKERS_OK]++;
			return XDP_DROP;
		}
	}
	/*
	 * A node that has no epoch yet (it is joining) meets the resync
	 * markers of an epoch it was never given: it cannot tell them from
	 * forgeries, and they are not addressed to it.
	 */
	if (s & DICAP_DP_ST_HAVE)
		st->v[DICAP_DP_MARKERS_BAD]++;
	else
		st->v[DICAP_DP_INACTIVE]++;
	return XDP_DROP;
}

/*
 * Copy the first snaplen bytes, the time and the wire length into the
 * ring.  Wakeups: BPF_RB_NO_WAKEUP but for every wakeup_every-th record
 * of a CPU (0: the kernel's own policy, a wakeup whenever the reader has
 * caught up, i.e. nearly every record when it keeps up); dicapd also
 * drains the ring on its flush timer, so a remainder never waits longer
 * than that.  docs/design.md has the measurements behind this.
 */
DICAP_SUBPROG void capture(struct xdp_md *ctx, struct dicap_xdp_config *cfg,
			   struct dicap_xdp_stats *st)
{
	struct dicap_xdp_rec *rec;
	__u64 wire, cap, every, n, flags = 0;

	rec = bpf_ringbuf_reserve(&dicap_ring, DICAP_XDP_REC_HDR + dicap_rec_cap, 0);
	if (!rec) {
		st->v[DICAP_DP_RINGBUF_FULL]++;
		return;
	}
	wire = bpf_xdp_get_buff_len(ctx);
	/* 64-bit throughout: clang then bounds the very register it passes. */
	cap = cfg->snaplen;
	if (cap > wire)
		cap = wire;
	if (cap > (__u64)dicap_rec_cap)
		cap = dicap_rec_cap;
	rec->ts_tai_ns = bpf_ktime_get_tai_ns();
	rec->wirelen = wire > 0xffffffffu ? 0xffffffffu : (__u32)wire;
	rec->caplen = (__u16)cap;
	rec->reserved = 0;
	if (cap > 0 && bpf_xdp_load_bytes(ctx, 0, (__u8 *)rec + DICAP_XDP_REC_HDR, cap)) {
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		st->v[DICAP_DP_RING_ERRORS]++;
		return;
	}
	n = ++st->v[DICAP_DP_RING_RECORDS];
	every = cfg->wakeup_every;
	if (every)
		flags = n % every ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

/* The member index owning the frame under @slot. */
static __always_inline __u32 owner_of(const struct dicap_xdp_slot *slot, __u32 idx, __u64 c,
				      const void *data, const void *end)
{
	struct dicap_xdp_table *tbl;
	__u32 bucket;

	if (slot->mode == DICAP_MODE_RR)
		return dicap_rr_owner(c, slot->n);
	bucket = dicap_frame_bucket((int)slot->mode, slot->sel_flags, data, end) & 0xffff;
	tbl = bpf_map_lookup_elem(&dicap_tables, &idx);
	if (!tbl)
		return DICAP_DP_NOT_MEMBER;
	return tbl->owner[bucket];
}

/*
 * The non_ip and malformed counters, of this node's frames only: a frame
 * that is not the node's is dropped without the parse its selection does
 * not need (docs/design.md, "Size and cost"), and each frame is some
 * node's.
 */
DICAP_SUBPROG void count_class(struct xdp_md *ctx, struct dicap_xdp_stats *st)
{
	const void *data = (const void *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	struct dicap_pkt pkt;
	int cls = dicap_parse(data, end, &pkt);

	if (cls == DICAP_PKT_NON_IP)
		st->v[DICAP_DP_NON_IP]++;
	else if (cls != DICAP_PKT_OK)
		st->v[DICAP_DP_MALFORMED]++;
}

SEC("xdp")
int dicap_xdp(struct xdp_md *ctx)
{
	const void *data = (const void *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	struct dicap_xdp_config *cfg;
	struct dicap_xdp_stats *st;
	struct dicap_xdp_slot *slot;
	__u64 s, now, switch_at, c = 0, *rr;
	__u32 key = 0, idx, actions, owner;
	int rc;

	cfg = bpf_map_lookup_elem(&dicap_config, &key);
	st = bpf_map_lookup_elem(&dicap_stats, &key);
	if (!cfg || !st)
		return XDP_DROP;
	st->v[DICAP_DP_SEEN]++;

	if (data + DICAP_ETH_HLEN <= end &&
	    dicap_get_be16((const __u8 *)data + 12) == DICAP_MARKER_ETHERTYPE) {
		rc = marker(ctx, cfg, st);
		if (rc >= 0)
			return rc;
	}

	/*
	 * The clock helper costs about as much as the rest of a frame's
	 * selection (bench/results/b4-xdp-cost.md), so it is read only while
	 * a switch is due: switch_at_tai is NEVER otherwise, which no clock
	 * reaches.
	 */
	switch_at = READ_ONCE_U64(cfg->switch_at_tai);
	if (switch_at != DICAP_DP_NEVER) {
		now = bpf_ktime_get_tai_ns();
		if (now >= switch_at)
			time_switch(cfg, st, now);
	}
	s = READ_ONCE_U64(cfg->state);
	idx = (__u32)(s & DICAP_DP_ST_ACTIVE);
	slot = slot_get(idx);
	if (!(s & DICAP_DP_ST_HAVE) || !slot) {
		st->v[DICAP_DP_INACTIVE]++;
		return XDP_DROP;
	}
	/* C counts every frame but markers, lease or not: it must stay in step. */
	if (slot->mode == DICAP_MODE_RR) {
		rr = bpf_map_lookup_elem(&dicap_rr, &key);
		if (rr)
			c = __sync_fetch_and_add(rr, 1);
	}
	/*
	 * CLOCK_MONOTONIC_COARSE: the lease ends at most a tick late, at a
	 * tenth of the cost of bpf_ktime_get_ns().
	 */
	if (cfg->lease_policy == DICAP_DP_LEASE_DROP &&
	    bpf_ktime_get_coarse_ns() > READ_ONCE_U64(cfg->lease_expiry_ns)) {
		st->v[DICAP_DP_LEASE_DROPS]++;
		return XDP_DROP;
	}

	/*
	 * The frame pointers afresh, with nothing proven about them: the
	 * marker test above proved 14 or 38 bytes on some paths, and the
	 * verifier would walk the selection once for each (docs/design.md,
	 * "Cost").
	 */
	barrier();
	data = (const void *)(long)ctx->data;
	end = (const void *)(long)ctx->data_end;
	owner = owner_of(slot, idx, c, data, end);
	if (owner != slot->position) {
		st->v[DICAP_DP_NOT_MINE]++;
		return XDP_DROP;
	}
	st->v[DICAP_DP_SELECTED]++;
	count_class(ctx, st);
	actions = cfg->actions;
	if (actions & DICAP_DP_ACT_RING)
		capture(ctx, cfg, st);
	return actions & DICAP_DP_ACT_PASS ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
