// SPDX-License-Identifier: GPL-2.0-only
/*
 * The packet processor: the XDP program's per-frame steps
 * (kmod/xdp/dicap_xdp.bpf.c, docs/design.md "The XDP datapath") in C,
 * with the parser and the selection rules compiled from lib/ unchanged.
 * Runs in softirq under RCU; no lock, no allocation, no sleep.
 */
#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "dicap/select.h"
#include "dicap.h"

/* Make the pending slot active, unless the config side changed the state. */
bool dicap_switch_to_pending(u64 s)
{
	u64 next = (s & ~(DICAP_DP_ST_ACTIVE | DICAP_DP_ST_PENDING)) |
		   ((s & DICAP_DP_ST_ACTIVE) ^ 1) | DICAP_DP_ST_HAVE;

	return atomic64_try_cmpxchg(&dicap.state, &s, next);
}

/* The first frame at or past the pending slot's validity start switches. */
static void dicap_time_switch(u64 now)
{
	u64 s = atomic64_read(&dicap.state);
	const struct dicap_slot *p;

	if (!(s & DICAP_DP_ST_PENDING))
		return;
	p = &dicap.slot[(s & DICAP_DP_ST_ACTIVE) ^ 1];
	if ((p->flags & DICAP_DP_SLOT_AT_MARKER) || now < READ_ONCE(p->validity_ns))
		return;
	if (!dicap_switch_to_pending(s))
		return;
	if (p->mode == DICAP_MODE_RR)
		atomic64_set(&dicap.rr, 0);
	dicap_count(DICAP_DP_SWITCHES);
}

static bool dicap_token_ok(const struct dicap_slot *slot, u32 epoch, const u8 *token)
{
	if (!(slot->flags & DICAP_DP_SLOT_TOKEN) || slot->epoch != epoch)
		return false;
	return memcmp(slot->token, token, sizeof(slot->token)) == 0;
}

/*
 * A marker frame: returns DICAP_RX_DROP (markers are neither passed nor
 * captured), or -1 if the frame only shares the EtherType.
 */
static int dicap_marker(const u8 *d, unsigned int len)
{
	const u8 *token = d + DICAP_MARKER_OFF_TOKEN;
	u64 s;
	u32 epoch;

	if (len < DICAP_MARKER_LEN ||
	    dicap_get_be32(d + DICAP_MARKER_OFF_MAGIC) != DICAP_MARKER_MAGIC)
		return -1;
	epoch = dicap_get_be32(d + DICAP_MARKER_OFF_EPOCH);
	s = atomic64_read(&dicap.state);
	if ((s & DICAP_DP_ST_PENDING) &&
	    dicap_token_ok(&dicap.slot[(s & DICAP_DP_ST_ACTIVE) ^ 1], epoch, token) &&
	    dicap_switch_to_pending(s)) {
		atomic64_set(&dicap.rr, 0);
		dicap_count(DICAP_DP_SWITCHES);
		dicap_count(DICAP_DP_MARKERS_OK);
		return DICAP_RX_DROP;
	}
	if ((s & DICAP_DP_ST_HAVE) &&
	    dicap_token_ok(&dicap.slot[s & DICAP_DP_ST_ACTIVE], epoch, token)) {
		atomic64_set(&dicap.rr, 0);
		dicap_count(DICAP_DP_MARKERS_OK);
		return DICAP_RX_DROP;
	}
	/* As in the XDP program: a node without an epoch cannot judge it. */
	dicap_count((s & DICAP_DP_ST_HAVE) ? DICAP_DP_MARKERS_BAD : DICAP_DP_INACTIVE);
	return DICAP_RX_DROP;
}

/* The owner of the frame: no more of it is read than the mode needs. */
static u32 dicap_owner(const struct dicap_slot *slot, u64 c, const u8 *data, const u8 *end)
{
	if (slot->mode == DICAP_MODE_RR)
		return dicap_rr_owner(c, slot->n);
	return slot->table[dicap_frame_bucket((int)slot->mode, slot->sel_flags, data, end)];
}

/*
 * One frame of @len bytes at @data (the whole frame or, for a frame the
 * driver holds in several buffers, its first part), @wirelen bytes on the
 * wire.  Called under rcu_read_lock() with bottom halves off.
 */
int dicap_process(const u8 *data, unsigned int len, unsigned int wirelen)
{
	const struct dicap_slot *slot;
	const struct dicap_cfg *cfg;
	struct dicap_pkt pkt;
	u64 s, now, switch_at, c = 0;
	unsigned int cap;
	u32 owner;
	int rc;

	dicap_count(DICAP_DP_SEEN);
	if (len >= DICAP_ETH_HLEN &&
	    dicap_get_be16(data + 12) == DICAP_MARKER_ETHERTYPE) {
		rc = dicap_marker(data, len);
		if (rc >= 0)
			return rc;
	}

	/*
	 * As in the XDP program: the clock only while a switch is due
	 * (switch_at is NEVER otherwise, which no clock reaches).
	 */
	switch_at = READ_ONCE(dicap.switch_at);
	if (switch_at != DICAP_DP_NEVER) {
		now = ktime_get_real_ns();
		if (now >= switch_at)
			dicap_time_switch(now);
	}
	s = atomic64_read(&dicap.state);
	if (!(s & DICAP_DP_ST_HAVE)) {
		dicap_count(DICAP_DP_INACTIVE);
		return DICAP_RX_DROP;
	}
	slot = &dicap.slot[s & DICAP_DP_ST_ACTIVE];
	/* C counts every frame but markers, lease or not: it must stay in step. */
	if (slot->mode == DICAP_MODE_RR)
		c = atomic64_fetch_add(1, &dicap.rr);
	cfg = rcu_dereference(dicap.cfg);
	/* CLOCK_MONOTONIC_COARSE, as XDP: the lease ends at most a tick late. */
	if (cfg->lease_policy == DICAP_DP_LEASE_DROP &&
	    ktime_get_coarse_ns() > READ_ONCE(dicap.lease_expiry)) {
		dicap_count(DICAP_DP_LEASE_DROPS);
		return DICAP_RX_DROP;
	}

	owner = dicap_owner(slot, c, data, data + len);
	if (owner != slot->position) {
		dicap_count(DICAP_DP_NOT_MINE);
		return DICAP_RX_DROP;
	}
	dicap_count(DICAP_DP_SELECTED);
	/* As in the XDP program: the class of this node's frames only. */
	rc = dicap_parse(data, data + len, &pkt);
	if (rc == DICAP_PKT_NON_IP)
		dicap_count(DICAP_DP_NON_IP);
	else if (rc != DICAP_PKT_OK)
		dicap_count(DICAP_DP_MALFORMED);
	if (cfg->actions & DICAP_DP_ACT_RING) {
		cap = min3(cfg->snaplen, len, wirelen);
		dicap_fwd_capture(cfg, data, cap, wirelen, ktime_get_real_ns());
	}
	if (cfg->actions & DICAP_DP_ACT_PASS)
		return DICAP_RX_PASS;
	return cfg->actions & DICAP_DP_ACT_RING ? DICAP_RX_CAPTURED : DICAP_RX_DROP;
}
