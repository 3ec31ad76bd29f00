/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet selection: which capture node owns a frame.  Shared by userspace,
 * the XDP program and the kernel module; no libc, no global state.
 *
 * Hash modes map a parsed frame to a 16-bit bucket; a 65536-entry bucket
 * table (see bucket_table.h) maps the bucket to a member index.  The
 * round-robin mode uses the paper's rule C mod N == Pi instead.
 *
 * A frame is hashed by whatever of its identity the parser could read
 * (DICAP_PF_ADDRS, DICAP_PF_PORTS), whatever its class: a truncated frame
 * or one with lying length fields stays with its flow.  Frames without
 * readable addresses (not IP, a wrong IP version, cut inside the fixed IP
 * header) still get exactly one owner: their bucket is a hash of the frame
 * length and of its first DICAP_RAW_HASH_BYTES captured bytes, which every
 * node sees identically (dicap_bucket_raw()).
 *
 * FLOW and HOST mode hash the innermost flow of a tunnel (unless
 * DICAP_SEL_TUNNEL_OUTER), the IP packet under MPLS or PPPoE, and the
 * packet an ICMP error quotes (dicap_select_ident()).
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

/* Selection flags (the topology's, beside the mode); unknown bits are ignored. */
#define DICAP_SEL_TUNNEL_OUTER	0x1	/* FLOW/HOST: the outermost IP header, not the inner flow */
#define DICAP_SEL_FLAGS_MASK	0x1

#define DICAP_MAX_ENCAP		2	/* tunnel levels followed under the outer IP packet */

#define DICAP_BUCKETS		65536
#define DICAP_RAW_HASH_BYTES	64

/* Mode name <-> value ("rr", "ipid", "packet", "flow", "host"); -1 if unknown. */
int dicap_mode_from_name(const char *name);
const char *dicap_mode_name(int mode);

/*
 * What every datapath calls per frame: the frame's bucket in @mode with
 * @sel_flags (DICAP_SEL_*).  Reads only what the mode needs: the usual
 * IPv4 or IPv6 frame straight from its headers, without the parser
 * (dicap_quick_bucket()); tunnels and ICMP errors in FLOW and HOST mode
 * only, tunnels not with DICAP_SEL_TUNNEL_OUTER.  In round-robin mode the
 * bucket is 0 (dicap_rr_owner() decides).
 */
DICAP_INLINE __u16 dicap_frame_bucket(int mode, __u32 sel_flags, const void *data,
				      const void *end);

/* dicap_frame_bucket(), and the outer parse of [data, end) in @p (dicap_parse()). */
DICAP_INLINE __u16 dicap_select_bucket(int mode, __u32 sel_flags, const void *data,
				       const void *end, struct dicap_pkt *p);

/*
 * The identity FLOW and HOST mode hash, for the frame [data, end), by
 * dicap_parse_at(): the outer IP packet, under MPLS or PPPoE if there are
 * (they are link-layer shims, not tunnels: there is no outer IP packet to
 * fall back to); then, unless @sel_flags has DICAP_SEL_TUNNEL_OUTER, the
 * innermost packet of the tunnels it carries (dicap_encap()) whose
 * addresses are readable, up to DICAP_MAX_ENCAP levels under the outer IP
 * packet; then, if that is an ICMP error whose quote has
 * readable addresses, the quoted packet.  Fills @id with it (offsets from
 * where that packet starts) and returns 1, or returns 0 with @id zeroed
 * when the frame has no readable addresses at all (the raw rule).
 */
DICAP_INLINE int dicap_select_ident(__u32 sel_flags, const void *data, const void *end,
				    struct dicap_pkt *id);

/*
 * Bucket of one parse for a hash mode (IPID, PACKET, FLOW or HOST): the
 * rule alone, without tunnels or ICMP errors.  @data/@end are the frame
 * bytes, needed for the raw rule.
 */
DICAP_INLINE __u16 dicap_bucket(int mode, const struct dicap_pkt *p,
				const void *data, const void *end);

/* The fallback bucket for frames without usable IP fields. */
DICAP_INLINE __u16 dicap_bucket_raw(const void *data, const void *end);

/* Round-robin: position owning the frame with counter value @c (0-based). */
DICAP_INLINE __u32 dicap_rr_owner(__u64 c, __u32 n);

#include "select_impl.h"

#endif /* DICAP_SELECT_H */
