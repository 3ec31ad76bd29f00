/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userspace side of the XDP program's topology switch, lease and counters
 * (lib/xdpctl.c).  Needs libbpf.
 */
#ifndef LIB_XDPCTL_H
#define LIB_XDPCTL_H

#include <stdint.h>

#include "dicap/xdp_kern_user.h"

struct dicap_xdp_ctl {
	struct dicap_xdp_config *cfg;	/* the mmap()ed dicap_config entry */
	int slots_fd;
	int tables_fd;
	int rr_fd;
	int stats_fd;
	int ncpus;			/* possible CPUs: per-CPU value count */
};

/* A topology as dicapd hands it to the program. */
struct dicap_xdp_topo {
	uint32_t mode;			/* enum dicap_mode */
	uint32_t sel_flags;		/* DICAP_SEL_* */
	uint32_t n;
	uint32_t position;		/* DICAP_DP_NOT_MEMBER if not a member */
	uint32_t epoch;
	uint64_t validity_tai_ns;
	int has_token;
	uint8_t token[DICAP_MARKER_TOKEN_LEN];
	const uint16_t *table;		/* 65536 entries; NULL in round-robin */
};

void	dicap_xdp_set_switch_at(struct dicap_xdp_ctl *c, uint64_t tai_ns);

/*
 * Stage @t in the idle slot, to become active at its validity start (or,
 * round-robin with a token, at its marker).  Replaces a pending one.
 * Returns the slot index, or -errno if a map write failed (nothing is
 * pending then).
 */
int	dicap_xdp_stage(struct dicap_xdp_ctl *c, const struct dicap_xdp_topo *t);

void	dicap_xdp_reset_rr(struct dicap_xdp_ctl *c);

/*
 * At the validity start, from dicapd's timer: switch if the program has
 * not (no frame since), and clear switch_at_tai once nothing is pending so
 * that frames no longer take the slow path.  A slot that waits for its
 * marker is left alone.  Switching into round-robin restarts C, as the
 * program does.  Returns 1 if this call switched, 0 if not, -errno.
 */
int	dicap_xdp_switch_due(struct dicap_xdp_ctl *c, uint64_t now_tai);

/* The slot the program uses now; 0, or -1 if none is active. */
int	dicap_xdp_active_slot(struct dicap_xdp_ctl *c, struct dicap_xdp_slot *out, int *pending);

/* The slot waiting for its switch; 0, or -1 if none is pending. */
int	dicap_xdp_pending_slot(struct dicap_xdp_ctl *c, struct dicap_xdp_slot *out);

void	dicap_xdp_set_lease(struct dicap_xdp_ctl *c, uint64_t expiry_mono_ns);

/* The per-CPU counters summed; 0 or -errno. */
int	dicap_xdp_read_stats(const struct dicap_xdp_ctl *c, struct dicap_xdp_stats *sum);

/*
 * CLOCK_TAI - CLOCK_REALTIME.  The kernel keeps the two a whole number of
 * seconds apart (the TAI offset, 0 until something like chrony sets it),
 * so two samples taken back to back, rounded to the second, give it
 * exactly, whatever the delay between the two reads.
 */
int64_t	dicap_xdp_tai_offset_ns(void);

#endif /* LIB_XDPCTL_H */
