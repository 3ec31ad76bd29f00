/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userspace side of the XDP program's topology switch, lease and counters:
 * the one implementation of the protocol in include/dicap/xdp_kern_user.h,
 * shared by dicapd (node/dicapd/datapath_xdp.c), tests/t_xdp_prog.c and
 * bench/xdp-cost.c, so that the test drives the maps exactly as the daemon
 * does.  Single writer: one thread of one process stages topologies; the
 * program is the only other party.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "xdpctl.h"

static uint64_t
dicap_xdp_state(const struct dicap_xdp_ctl *c)
{
	return __atomic_load_n(&c->cfg->state, __ATOMIC_ACQUIRE);
}

static int
dicap_xdp_cas(struct dicap_xdp_ctl *c, __u64 old, __u64 next)
{
	return __atomic_compare_exchange_n(&c->cfg->state, &old, next, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void
dicap_xdp_set_switch_at(struct dicap_xdp_ctl *c, uint64_t tai_ns)
{
	__atomic_store_n(&c->cfg->switch_at_tai, tai_ns, __ATOMIC_RELEASE);
}

/* Withdraw a pending slot; afterwards the program cannot switch to it. */
static uint64_t
dicap_xdp_cancel_pending(struct dicap_xdp_ctl *c)
{
	uint64_t s;

	dicap_xdp_set_switch_at(c, DICAP_DP_NEVER);
	for (;;) {
		s = dicap_xdp_state(c);
		if (!(s & DICAP_DP_ST_PENDING))
			return s;
		if (dicap_xdp_cas(c, s, (s & ~DICAP_DP_ST_PENDING) + DICAP_DP_ST_GEN_ONE))
			return (s & ~DICAP_DP_ST_PENDING) + DICAP_DP_ST_GEN_ONE;
		/* The program switched to it meanwhile: it is active now. */
	}
}

/*
 * Stage @t in the idle slot, to become active at its validity start (or,
 * round-robin with a token, at its marker).  Replaces a pending one.
 * Returns the slot index, or -errno if a map write failed (nothing is
 * pending then).
 */
int
dicap_xdp_stage(struct dicap_xdp_ctl *c, const struct dicap_xdp_topo *t)
{
	struct dicap_xdp_slot slot;
	uint64_t s;
	uint32_t idle;

	for (;;) {
		s = dicap_xdp_cancel_pending(c);
		idle = (uint32_t)((s & DICAP_DP_ST_ACTIVE) ^ 1);
		memset(&slot, 0, sizeof(slot));
		slot.mode = t->mode;
		slot.sel_flags = t->sel_flags;
		slot.n = t->n;
		slot.position = t->position;
		slot.epoch = t->epoch;
		slot.validity_tai_ns = t->validity_tai_ns;
		if (t->has_token) {
			slot.flags |= DICAP_DP_SLOT_TOKEN;
			memcpy(slot.token, t->token, sizeof(slot.token));
			/* every mode: the marker is the one instant all nodes share */
			slot.flags |= DICAP_DP_SLOT_AT_MARKER;
		}
		if (t->table != NULL &&
		    bpf_map_update_elem(c->tables_fd, &idle, t->table, BPF_ANY) != 0)
			return -errno;
		if (bpf_map_update_elem(c->slots_fd, &idle, &slot, BPF_ANY) != 0)
			return -errno;
		/* Nothing is pending, so the program cannot have changed s. */
		if (dicap_xdp_cas(c, s, (s | DICAP_DP_ST_PENDING) + DICAP_DP_ST_GEN_ONE))
			break;
	}
	dicap_xdp_set_switch_at(c, (slot.flags & DICAP_DP_SLOT_AT_MARKER) ?
	    DICAP_DP_NEVER : t->validity_tai_ns);
	return (int)idle;
}

void
dicap_xdp_reset_rr(struct dicap_xdp_ctl *c)
{
	uint32_t key = 0;
	uint64_t zero = 0;

	bpf_map_update_elem(c->rr_fd, &key, &zero, BPF_ANY);
}

/*
 * At the validity start, from dicapd's timer: switch if the program has
 * not (no frame since), and clear switch_at_tai once nothing is pending so
 * that frames no longer take the slow path.  A slot that waits for its
 * marker is left alone.  Switching into round-robin restarts C, as the
 * program does.  Returns 1 if this call switched, 0 if not, -errno.
 */
int
dicap_xdp_switch_due(struct dicap_xdp_ctl *c, uint64_t now_tai)
{
	struct dicap_xdp_slot slot;
	uint64_t s, next;
	uint32_t idle;

	for (;;) {
		s = dicap_xdp_state(c);
		if (!(s & DICAP_DP_ST_PENDING)) {
			dicap_xdp_set_switch_at(c, DICAP_DP_NEVER);
			if (dicap_xdp_state(c) & DICAP_DP_ST_PENDING)
				continue;	/* cannot happen with one writer */
			return 0;
		}
		idle = (uint32_t)((s & DICAP_DP_ST_ACTIVE) ^ 1);
		if (bpf_map_lookup_elem(c->slots_fd, &idle, &slot) != 0)
			return -errno;
		if ((slot.flags & DICAP_DP_SLOT_AT_MARKER) || now_tai < slot.validity_tai_ns)
			return 0;
		next = ((s & ~(DICAP_DP_ST_ACTIVE | DICAP_DP_ST_PENDING)) | idle |
		    DICAP_DP_ST_HAVE) + DICAP_DP_ST_GEN_ONE;
		if (dicap_xdp_cas(c, s, next)) {
			dicap_xdp_set_switch_at(c, DICAP_DP_NEVER);
			if (slot.mode == 0)	/* DICAP_MODE_RR: as the program does */
				dicap_xdp_reset_rr(c);
			return 1;
		}
	}
}

/* The slot the program uses now; 0, or -1 if none is active. */
int
dicap_xdp_active_slot(struct dicap_xdp_ctl *c, struct dicap_xdp_slot *out, int *pending)
{
	uint64_t s = dicap_xdp_state(c);
	uint32_t idx = (uint32_t)(s & DICAP_DP_ST_ACTIVE);

	if (pending != NULL)
		*pending = (s & DICAP_DP_ST_PENDING) != 0;
	if (!(s & DICAP_DP_ST_HAVE))
		return -1;
	return bpf_map_lookup_elem(c->slots_fd, &idx, out) == 0 ? 0 : -1;
}

/* The slot waiting for its switch; 0, or -1 if none is pending. */
int
dicap_xdp_pending_slot(struct dicap_xdp_ctl *c, struct dicap_xdp_slot *out)
{
	uint64_t s = dicap_xdp_state(c);
	uint32_t idx = (uint32_t)((s & DICAP_DP_ST_ACTIVE) ^ 1);

	if (!(s & DICAP_DP_ST_PENDING))
		return -1;
	return bpf_map_lookup_elem(c->slots_fd, &idx, out) == 0 ? 0 : -1;
}

void
dicap_xdp_set_lease(struct dicap_xdp_ctl *c, uint64_t expiry_mono_ns)
{
	__atomic_store_n(&c->cfg->lease_expiry_ns, expiry_mono_ns, __ATOMIC_RELEASE);
}

/* The per-CPU counters summed; 0 or -errno. */
int
dicap_xdp_read_stats(const struct dicap_xdp_ctl *c, struct dicap_xdp_stats *sum)
{
	struct dicap_xdp_stats *percpu;
	uint32_t key = 0;
	int cpu, i, rc = 0;

	memset(sum, 0, sizeof(*sum));
	percpu = calloc((size_t)c->ncpus, sizeof(*percpu));
	if (percpu == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(c->stats_fd, &key, percpu) != 0)
		rc = -errno;
	for (cpu = 0; rc == 0 && cpu < c->ncpus; cpu++)
		for (i = 0; i < DICAP_DP_CTR_MAX; i++)
			sum->v[i] += percpu[cpu].v[i];
	free(percpu);
	return rc;
}

/*
 * CLOCK_TAI - CLOCK_REALTIME.  The kernel keeps the two a whole number of
 * seconds apart (the TAI offset, 0 until something like chrony sets it),
 * so two samples taken back to back, rounded to the second, give it
 * exactly, whatever the delay between the two reads.
 */
int64_t
dicap_xdp_tai_offset_ns(void)
{
	struct timespec real, tai;
	int64_t d;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_TAI, &tai);
	d = ((int64_t)tai.tv_sec - real.tv_sec) * 1000000000 + (tai.tv_nsec - real.tv_nsec);
	return (d >= 0 ? (d + 500000000) : (d - 500000000)) / 1000000000 * 1000000000;
}
