/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet selection: which capture node owns a frame.  Shared by userspace,
 * the XDP program and the kernel module; no libc, no global state.
 *
 * Hash modes map a parsed frame to a 16-bit bucket; a 65536-entry bucket
 * table (see bucket_table.h) maps the bucket to a member index.  The
 * round-robin mode uses the paper's rule C mod N == Pi instead.
 *
 * Frames that are not IP, or that the parser classed TRUNCATED or MALFORMED,
 * still get exactly one owner: their bucket is a hash of the frame length and
 * of its first DICAP_RAW_HASH_BYTES captured bytes, which every node sees
 * identically (dicap_bucket_raw()).
 */
#ifndef DICAP_SELECT_H
#define DICAP_SELECT_H

#include "types.h"
#include "packet.h"

enum dicap_mode {
	DICAP_MODE_RR = 0,	/* round-robin: C mod N == Pi */
	DICAP_MODE_IPID = 1,	/* the paper's hash of the IPv4 identification */
	DICAP_MODE_PACKET = 2,	/* per-packet uniform hash */
	DICAP_MODE_FLOW = 3,	/* symmetric 5-tuple hash */
	DICAP_MODE_HOST = 4,	/* symmetric hash of the address pair */
	DICAP_MODE_MAX = DICAP_MODE_HOST,
};

/* Selection flags (the topology's SELECT_FLAGS): 0 hashes inner flows of tunnels. */
#define DICAP_SEL_TUNNEL_OUTER	0x1	/* hash the outer headers of tunnels */
#define DICAP_SEL_FLAGS_MASK	0x1

#define DICAP_BUCKETS		65536
#define DICAP_RAW_HASH_BYTES	64

/* Mode name <-> value ("rr", "ipid", "packet", "flow"); -1 if unknown. */
int dicap_mode_from_name(const char *name);
const char *dicap_mode_name(int mode);

/*
 * Bucket of a parsed frame for a hash mode (IPID, PACKET or FLOW).
 * @data/@end are the frame bytes, needed for the non-IP/malformed rule.
 */
DICAP_INLINE __u16 dicap_bucket(int mode, const struct dicap_pkt *p,
				const void *data, const void *end);

/* The fallback bucket for frames without usable IP fields. */
DICAP_INLINE __u16 dicap_bucket_raw(const void *data, const void *end);

/* Round-robin: position owning the frame with counter value @c (0-based). */
DICAP_INLINE __u32 dicap_rr_owner(__u64 c, __u32 n);

#include "select_impl.h"

#endif /* DICAP_SELECT_H */
