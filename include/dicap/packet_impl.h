/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Implementation of dicap_parse() and dicap_parse_at(), included by packet.h.
 *
 * The same code is compiled for the XDP program, so every read is preceded
 * by a check of the form "pointer + constant > end" on the very pointer that
 * is read through, loops have constant bounds and are unrolled, and variable
 * offsets (IHL, extension header lengths) are built from 8-bit fields so the
 * verifier can bound them.  Offsets are kept as integers: comparisons with
 * the IP packet's own length are arithmetic, only comparisons with the end
 * of the capture use pointers.
 *
 * Two passes.  The first classifies, as it always did: a contradiction
 * visible in the bytes at hand is MALFORMED even when the capture is also
 * short; the capture ending inside a header that is needed is TRUNCATED;
 * an IP packet whose declared length runs past the captured bytes is
 * TRUNCATED (DICAP_PR_IP_TOTLEN) once its headers have been checked.  It
 * stops at the first problem, and fills the L4 fields only for an OK frame.
 * The second, dicap_parse_fields(), runs only for a frame the first classed
 * TRUNCATED or MALFORMED after its fixed IP header: it finds the L4 header
 * by the header lengths alone (IHL, extension header lengths), ignoring the
 * IP total length, the payload length, the TCP data offset and the UDP
 * length, and reads what of it is captured.  That is how a frame sliced
 * short or with lying lengths keeps its addresses and ports (packet.h).
 * Two passes rather than one that goes on after a problem: the BPF
 * verifier walks every path of the inlined first pass, and a parser that
 * continues after each problem has several times as many (over its
 * million-instruction limit); the second pass is a subprogram, walked once.
 */
#ifndef DICAP_PACKET_IMPL_H
#define DICAP_PACKET_IMPL_H

#ifndef DICAP_PACKET_H
#error "include packet.h, not packet_impl.h"
#endif

#define DICAP_ETH_HLEN		14
#define DICAP_ETH_P_IPV4	0x0800
#define DICAP_ETH_P_IPV6	0x86dd
#define DICAP_ETH_P_8021Q	0x8100
#define DICAP_ETH_P_8021AD	0x88a8
#define DICAP_ETH_P_MPLS_UC	0x8847
#define DICAP_ETH_P_MPLS_MC	0x8848
#define DICAP_ETH_P_PPPOE_SES	0x8864
#define DICAP_ETH_P_TEB		0x6558	/* transparent Ethernet bridging (GRE, Geneve) */
#define DICAP_PPP_IPV4		0x0021
#define DICAP_PPP_IPV6		0x0057

#define DICAP_IPV4_HLEN		20
#define DICAP_IPV6_HLEN		40
#define DICAP_IPV4_MF		0x2000
#define DICAP_IPV4_OFFMASK	0x1fff

#define DICAP_NH_HOPOPTS	0
#define DICAP_NH_ICMP		1
#define DICAP_NH_IPIP		4
#define DICAP_NH_TCP		6
#define DICAP_NH_UDP		17
#define DICAP_NH_IPV6		41
#define DICAP_NH_ROUTING	43
#define DICAP_NH_FRAGMENT	44
#define DICAP_NH_GRE		47
#define DICAP_NH_AH		51
#define DICAP_NH_ICMPV6		58
#define DICAP_NH_NONE		59
#define DICAP_NH_DSTOPTS	60
#define DICAP_NH_SCTP		132

#define DICAP_L4_PF		(DICAP_PF_PORTS | DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ)

#define DICAP_UDP_VXLAN		4789
#define DICAP_UDP_GTPU		2152
#define DICAP_UDP_GENEVE	6081

#define DICAP_GRE_CSUM		0x8000
#define DICAP_GRE_ROUTING	0x4000
#define DICAP_GRE_KEY		0x2000
#define DICAP_GRE_SEQ		0x1000
#define DICAP_GRE_VERSION	0x0007

/*
 * DICAP_PKT_PTR(ptr): the verifier learns a packet pointer's range from a
 * comparison with the end only for that very register.  clang likes to
 * recompute "data + off" after the check instead of keeping the pointer,
 * and the copy has no known range; this empty asm pins the pointer.
 *
 * DICAP_WIDEN(off, mask) makes the verifier forget what it knows about
 * @off but the bound @mask (which must exceed every value @off can take):
 * each IPv6 extension header path otherwise reaches the next header with
 * its own offset range, and the verifier walks the rest once per path.
 * It widens a range; an @off the verifier knows exactly (a constant on
 * each path, as after VLAN tags or MPLS labels) stays exact under the
 * mask.  DICAP_FORGET(off, mask, x) forgets that too: (off + x) - x with
 * @x a frame byte the verifier cannot know, then the mask.
 *
 * DICAP_PKT_FRESH(ptr, x) gives the verifier a new packet pointer for
 * @ptr, with no range proven yet: @ptr plus an offset it knows only as 0
 * or 1 (DICAP_FORGET of 0).  A subprogram that starts with it looks the
 * same to the verifier whatever its caller had checked, and is walked
 * once rather than once per caller's path.
 */
#if defined(__bpf__)
#define DICAP_PKT_PTR(ptr) __asm__ __volatile__("" : "+r"(ptr))
#define DICAP_WIDEN(off, mask) do { \
	__asm__ __volatile__("" : "+r"(off)); \
	(off) &= (mask); \
} while (0)
#define DICAP_FORGET(off, mask, x) do { \
	__u32 __forget = (off) + (__u32)(x); \
	__asm__ __volatile__("" : "+r"(__forget)); \
	(off) = (__forget - (__u32)(x)) & (mask); \
} while (0)
#define DICAP_PKT_FRESH(ptr, x) do { \
	__u32 __fresh = 0; \
	DICAP_FORGET(__fresh, 1, x); \
	(ptr) += __fresh; \
} while (0)
#else
#define DICAP_PKT_PTR(ptr) ((void)0)
#define DICAP_WIDEN(off, mask) ((void)0)
#define DICAP_FORGET(off, mask, x) ((void)(x))
#define DICAP_PKT_FRESH(ptr, x) ((void)(x))
#endif

/* Above any offset in an IPv6 ext. chain: 22 + 40 + 6 * 2048 < 0x3fff. */
#define DICAP_EXT_OFF_MASK	0x3fff
_Static_assert(14 + 4 * DICAP_MAX_VLAN_TAGS + 40 + 2048 * DICAP_MAX_IPV6_EXT < DICAP_EXT_OFF_MASK,
	       "DICAP_EXT_OFF_MASK must exceed every extension header offset");

/* Above any L3 offset the parser finds (MPLS and PPPoE: dicap_parse_at()): 14 + 4 * 2 + 4 * 8 < 0x3f. */
#define DICAP_SHIM_OFF_MASK	0x3f
_Static_assert(DICAP_ETH_HLEN + 4 * DICAP_MAX_VLAN_TAGS + 4 * DICAP_MAX_MPLS_LABELS <
	       DICAP_SHIM_OFF_MASK && DICAP_ETH_HLEN + 4 * DICAP_MAX_VLAN_TAGS + 8 <
	       DICAP_SHIM_OFF_MASK, "DICAP_SHIM_OFF_MASK must exceed every L3 offset");

DICAP_INLINE int dicap_pkt_class(struct dicap_pkt *p, int cls, int reason)
{
	p->cls = (__u8)cls;
	p->reason = (__u8)reason;
	return cls;
}

/* The last check of every IP frame: is all of the IP packet captured? */
DICAP_INLINE int dicap_pkt_ip_end(const __u8 *data, const __u8 *end, __u32 ip_end,
				  struct dicap_pkt *p)
{
	if (data + ip_end > end)
		return dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_IP_TOTLEN);
	return dicap_pkt_class(p, DICAP_PKT_OK, DICAP_PR_NONE);
}

DICAP_INLINE void dicap_copy_addr(__u8 *dst, const __u8 *src, int len16)
{
	int i;

	if (len16) {
		DICAP_UNROLL
		for (i = 0; i < 16; i++)
			dst[i] = src[i];
	} else {
		DICAP_UNROLL
		for (i = 0; i < 4; i++)
			dst[i] = src[i];
	}
}

/*
 * Room for an @n-byte L4 header at offset @off (@l4 = data + off), which
 * the IP header says ends at @ip_end.  Returns 0, or the class set.
 * @n must be a constant at every call site: the verifier learns the range
 * of @l4 from the comparison.
 */
DICAP_INLINE int dicap_l4_room(const __u8 *l4, const __u8 *end, __u32 off,
			       __u32 ip_end, __u32 n, struct dicap_pkt *p)
{
	if (off + n > ip_end)
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR);
	if (l4 + n > end)
		return dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4);
	return 0;
}

DICAP_INLINE int dicap_parse_tcp(const __u8 *data, const __u8 *end, __u32 off,
				 __u32 ip_end, struct dicap_pkt *p)
{
	const __u8 *th = data + off;
	__u32 doff;

	DICAP_PKT_PTR(th);
	if (dicap_l4_room(th, end, off, ip_end, 20, p))
		return p->cls;
	doff = (__u32)(th[12] >> 4) * 4;
	if (doff < 20 || off + doff > ip_end)
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR);
	if (dicap_pkt_ip_end(data, end, ip_end, p) != DICAP_PKT_OK)
		return p->cls;
	p->sport = dicap_get_be16(th);
	p->dport = dicap_get_be16(th + 2);
	p->tcp_seq = dicap_get_be32(th + 4);
	p->l4_csum = dicap_get_be16(th + 16);
	p->flags |= DICAP_L4_PF;
	return DICAP_PKT_OK;
}

/*
 * The UDP length may only be checked against the IP payload when the
 * packet is whole: in a first fragment it covers the whole datagram.
 */
DICAP_INLINE int dicap_parse_udp(const __u8 *data, const __u8 *end, __u32 off,
				 __u32 ip_end, struct dicap_pkt *p)
{
	const __u8 *uh = data + off;
	__u32 ulen;

	DICAP_PKT_PTR(uh);
	if (dicap_l4_room(uh, end, off, ip_end, 8, p))
		return p->cls;
	ulen = dicap_get_be16(uh + 4);
	if (ulen < 8 || (!(p->flags & DICAP_PF_FRAG) && off + ulen > ip_end))
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR);
	if (dicap_pkt_ip_end(data, end, ip_end, p) != DICAP_PKT_OK)
		return p->cls;
	p->sport = dicap_get_be16(uh);
	p->dport = dicap_get_be16(uh + 2);
	p->l4_csum = dicap_get_be16(uh + 6);
	p->flags |= DICAP_PF_PORTS | DICAP_PF_L4CSUM;
	return DICAP_PKT_OK;
}

/*
 * SCTP's checksum is a 32-bit CRC32c; l4_csum keeps the low 16 bits of the
 * field read as a big-endian word (bytes 10 and 11 of the header).
 */
DICAP_INLINE int dicap_parse_sctp(const __u8 *data, const __u8 *end, __u32 off,
				  __u32 ip_end, struct dicap_pkt *p)
{
	const __u8 *sh = data + off;

	DICAP_PKT_PTR(sh);
	if (dicap_l4_room(sh, end, off, ip_end, 12, p))
		return p->cls;
	if (dicap_pkt_ip_end(data, end, ip_end, p) != DICAP_PKT_OK)
		return p->cls;
	p->sport = dicap_get_be16(sh);
	p->dport = dicap_get_be16(sh + 2);
	p->l4_csum = dicap_get_be16(sh + 10);
	p->flags |= DICAP_PF_PORTS | DICAP_PF_L4CSUM;
	return DICAP_PKT_OK;
}

/* ICMP and ICMPv6: checksum; identifier/sequence word for echo messages. */
DICAP_INLINE int dicap_parse_icmp(const __u8 *data, const __u8 *end, __u32 off,
				  __u32 ip_end, struct dicap_pkt *p)
{
	const __u8 *ih = data + off;
	int echo;

	DICAP_PKT_PTR(ih);
	if (dicap_l4_room(ih, end, off, ip_end, 8, p))
		return p->cls;
	if (dicap_pkt_ip_end(data, end, ip_end, p) != DICAP_PKT_OK)
		return p->cls;
	if (p->l3 == DICAP_L3_IPV4)
		echo = ih[0] == 0 || ih[0] == 8;
	else
		echo = ih[0] == 128 || ih[0] == 129;
	p->l4_csum = dicap_get_be16(ih + 2);
	p->flags |= DICAP_PF_L4CSUM;
	if (echo) {
		p->tcp_seq = dicap_get_be32(ih + 4);
		p->flags |= DICAP_PF_TCPSEQ;
	}
	return DICAP_PKT_OK;
}

/*
 * The upper layer at offset @off, protocol p->l4proto.  Unknown protocols
 * (GRE, ESP, ...) are OK with l4_off set and no ports; "no next header"
 * has no upper layer at all.
 */
DICAP_INLINE int dicap_parse_l4(const __u8 *data, const __u8 *end, __u32 off,
				__u32 ip_end, struct dicap_pkt *p)
{
	__u8 proto = p->l4proto;

	if (proto == DICAP_NH_NONE)
		return dicap_pkt_ip_end(data, end, ip_end, p);
	p->l4_off = (__u16)off;
	switch (proto) {
	case DICAP_NH_TCP:
		return dicap_parse_tcp(data, end, off, ip_end, p);
	case DICAP_NH_UDP:
		return dicap_parse_udp(data, end, off, ip_end, p);
	case DICAP_NH_SCTP:
		return dicap_parse_sctp(data, end, off, ip_end, p);
	case DICAP_NH_ICMP:
		if (p->l3 == DICAP_L3_IPV4)
			return dicap_parse_icmp(data, end, off, ip_end, p);
		break;
	case DICAP_NH_ICMPV6:
		if (p->l3 == DICAP_L3_IPV6)
			return dicap_parse_icmp(data, end, off, ip_end, p);
		break;
	}
	return dicap_pkt_ip_end(data, end, ip_end, p);
}

DICAP_INLINE int dicap_parse_ipv4(const __u8 *data, const __u8 *end, __u32 off,
				  struct dicap_pkt *p)
{
	const __u8 *ip = data + off;
	__u32 hlen, tot, frag, fo;

	DICAP_PKT_PTR(ip);
	if (ip + DICAP_IPV4_HLEN > end)
		return dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_IP);
	if ((ip[0] >> 4) != 4)
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_IP_VERSION);
	p->l3 = DICAP_L3_IPV4;
	p->l3_off = (__u16)off;
	hlen = (__u32)(ip[0] & 0x0f) * 4;
	tot = dicap_get_be16(ip + 2);
	frag = dicap_get_be16(ip + 6);
	fo = frag & DICAP_IPV4_OFFMASK;
	p->ip_len = (__u16)tot;
	p->ip_id = dicap_get_be16(ip + 4);
	p->ttl = ip[8];
	p->l4proto = ip[9];
	p->frag_off = (__u16)fo;
	dicap_copy_addr(p->saddr, ip + 12, 0);
	dicap_copy_addr(p->daddr, ip + 16, 0);
	p->flags |= DICAP_PF_ADDRS;
	if (hlen < DICAP_IPV4_HLEN)
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_IP_IHL);
	if (tot < hlen)
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_IP_TOTLEN);
	if (data + off + hlen > end)
		return dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_IP_IHL);
	if (hlen > DICAP_IPV4_HLEN)
		p->flags |= DICAP_PF_IPOPT;
	if (fo || (frag & DICAP_IPV4_MF)) {
		p->flags |= DICAP_PF_FRAG;
		if (fo)		/* no L4 header in a non-first fragment */
			return dicap_pkt_ip_end(data, end, off + tot, p);
		p->flags |= DICAP_PF_FRAG_FIRST;
	}
	return dicap_parse_l4(data, end, off + hlen, off + tot, p);
}

DICAP_INLINE int dicap_ipv6_is_ext(__u8 nh)
{
	return nh == DICAP_NH_HOPOPTS || nh == DICAP_NH_ROUTING ||
	       nh == DICAP_NH_FRAGMENT || nh == DICAP_NH_AH ||
	       nh == DICAP_NH_DSTOPTS;
}

/*
 * One extension header of type *@nhp at @off; *@nhp becomes the type of
 * the header after it.  Returns its length (at most 2048), or 0 when
 * parsing stops here with p->cls set: a non-first fragment is OK (or
 * TRUNCATED) without L4, anything else is MALFORMED or TRUNCATED.
 * Hop-by-hop options are only valid directly after the fixed header.
 */
DICAP_INLINE __u32 dicap_ipv6_ext(const __u8 *data, const __u8 *end, __u32 off,
				  __u32 ip_end, __u8 *nhp, int first, struct dicap_pkt *p)
{
	const __u8 *h = data + off;
	__u8 nh = *nhp;
	__u32 hlen, fo;

	DICAP_PKT_PTR(h);
	if (nh == DICAP_NH_HOPOPTS && !first)
		goto malformed;
	if (off + 8 > ip_end)
		goto malformed;
	if (h + 8 > end) {
		dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_IPV6_EXT);
		return 0;
	}
	p->flags |= DICAP_PF_IPV6_EXT;
	if (nh == DICAP_NH_FRAGMENT) {
		fo = dicap_get_be16(h + 2) >> 3;
		p->frag_off = (__u16)fo;
		p->ip_id = dicap_get_be32(h + 4);
		p->flags |= DICAP_PF_FRAG;
		if (fo) {
			p->l4proto = h[0];
			dicap_pkt_ip_end(data, end, ip_end, p);
			return 0;
		}
		p->flags |= DICAP_PF_FRAG_FIRST;
		*nhp = h[0];
		return 8;
	}
	if (nh == DICAP_NH_AH) {
		if (h[1] == 0)	/* too short for SPI and sequence number */
			goto malformed;
		hlen = ((__u32)h[1] + 2) * 4;
	} else {
		hlen = ((__u32)h[1] + 1) * 8;
	}
	if (off + hlen > ip_end)
		goto malformed;
	if (data + off + hlen > end) {
		dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_IPV6_EXT);
		return 0;
	}
	*nhp = h[0];
	return hlen;
malformed:
	dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT);
	return 0;
}

DICAP_INLINE int dicap_parse_ipv6(const __u8 *data, const __u8 *end, __u32 off,
				  struct dicap_pkt *p)
{
	const __u8 *ip = data + off;
	__u32 plen, ip_end, hlen;
	__u8 nh;
	int i;

	DICAP_PKT_PTR(ip);
	if (ip + DICAP_IPV6_HLEN > end)
		return dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_IP);
	if ((ip[0] >> 4) != 6)
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_IP_VERSION);
	p->l3 = DICAP_L3_IPV6;
	p->l3_off = (__u16)off;
	plen = dicap_get_be16(ip + 4);
	/* ip_len saturates: a 64 KiB payload cannot be captured whole here */
	p->ip_len = plen > 0xffff - DICAP_IPV6_HLEN ? 0xffff : (__u16)(plen + DICAP_IPV6_HLEN);
	p->ttl = ip[7];
	dicap_copy_addr(p->saddr, ip + 8, 1);
	dicap_copy_addr(p->daddr, ip + 24, 1);
	p->flags |= DICAP_PF_ADDRS;
	nh = ip[6];
	ip_end = off + DICAP_IPV6_HLEN + plen;
	off += DICAP_IPV6_HLEN;

	DICAP_UNROLL
	for (i = 0; i < DICAP_MAX_IPV6_EXT; i++) {
		if (!dicap_ipv6_is_ext(nh))
			break;
		DICAP_WIDEN(off, DICAP_EXT_OFF_MASK);
		hlen = dicap_ipv6_ext(data, end, off, ip_end, &nh, i == 0, p);
		if (!hlen)
			return p->cls;
		off += hlen;
	}
	DICAP_WIDEN(off, DICAP_EXT_OFF_MASK);
	p->l4proto = nh;
	if (dicap_ipv6_is_ext(nh)) {
		p->flags |= DICAP_PF_EXT_DEEP;
		return dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT);
	}
	return dicap_parse_l4(data, end, off, ip_end, p);
}

/*
 * Ethernet and up to DICAP_MAX_VLAN_TAGS tags.  Returns the L3 offset, or
 * 0 when the frame is classified already.
 */
DICAP_INLINE __u32 dicap_parse_eth(const __u8 *data, const __u8 *end,
				   struct dicap_pkt *p)
{
	__u32 off = DICAP_ETH_HLEN;
	__u16 type;
	int i;

	if (data + DICAP_ETH_HLEN > end) {
		dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_ETH);
		return 0;
	}
	type = dicap_get_be16(data + 12);
	DICAP_UNROLL
	for (i = 0; i < DICAP_MAX_VLAN_TAGS; i++) {
		if (type != DICAP_ETH_P_8021Q && type != DICAP_ETH_P_8021AD)
			break;
		if (data + off + 4 > end) {
			dicap_pkt_class(p, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_VLAN);
			return 0;
		}
		type = dicap_get_be16(data + off + 2);
		off += 4;
		p->vlan_depth++;
		p->flags |= DICAP_PF_VLAN;
	}
	p->ethertype = type;
	if (type == DICAP_ETH_P_8021Q || type == DICAP_ETH_P_8021AD) {
		p->flags |= DICAP_PF_VLAN_DEEP;
		dicap_pkt_class(p, DICAP_PKT_MALFORMED, DICAP_PR_VLAN_DEPTH);
		return 0;
	}
	return off;
}

/*
 * dicap_parse_fields() and dicap_parse_at() are BPF subprograms (BPF-to-BPF
 * calls): one copy of each, verified once for all its callers (each starts
 * from an offset the verifier knows only by its bound, so the states at
 * its entry are alike and pruned).  Elsewhere they are inline.
 */
#if defined(__bpf__)
#define DICAP_PARSE_SUBPROG static __attribute__((noinline, unused))
#else
#define DICAP_PARSE_SUBPROG DICAP_INLINE
#endif

/*
 * The L4 header of the IP packet at @ip (p->l3 set, the fixed header
 * captured), found by the header lengths alone: the IPv4 IHL, the IPv6
 * extension headers while the capture has them (up to DICAP_MAX_IPV6_EXT,
 * whatever they contain).  Sets the fragment flags and, for IPv6, l4proto
 * (the next header where the walk ends) and the fragment header's fields.
 * Returns the L4 header's offset from @ip, or 0: IHL < 5, a non-first
 * fragment, the chain cut or too long.
 */
DICAP_INLINE __u32 dicap_l4_locate(const __u8 *ip, const __u8 *end, struct dicap_pkt *p)
{
	const __u8 *h;
	__u32 off, hlen, fo;
	__u8 nh;
	int i;

	if (p->l3 == DICAP_L3_IPV4) {
		if (ip + DICAP_IPV4_HLEN > end)
			return 0;
		off = (__u32)(ip[0] & 0x0f) * 4;
		fo = dicap_get_be16(ip + 6);
		if (fo & (DICAP_IPV4_OFFMASK | DICAP_IPV4_MF)) {
			p->flags |= DICAP_PF_FRAG;
			if (!(fo & DICAP_IPV4_OFFMASK))
				p->flags |= DICAP_PF_FRAG_FIRST;
		}
		if (off < DICAP_IPV4_HLEN || (fo & DICAP_IPV4_OFFMASK))
			return 0;
		return off;
	}
	if (ip + DICAP_IPV6_HLEN > end)
		return 0;
	nh = ip[6];
	off = DICAP_IPV6_HLEN;
	DICAP_UNROLL
	for (i = 0; i < DICAP_MAX_IPV6_EXT; i++) {
		if (!dicap_ipv6_is_ext(nh))
			break;
		p->l4proto = nh;	/* where the walk stops, if it stops here */
		DICAP_WIDEN(off, DICAP_EXT_OFF_MASK);
		h = ip + off;
		DICAP_PKT_PTR(h);
		if (h + 8 > end)
			return 0;
		if (nh == DICAP_NH_FRAGMENT) {
			fo = dicap_get_be16(h + 2) >> 3;
			p->frag_off = (__u16)fo;
			p->ip_id = dicap_get_be32(h + 4);
			p->flags |= DICAP_PF_FRAG;
			p->l4proto = h[0];
			if (fo)
				return 0;
			p->flags |= DICAP_PF_FRAG_FIRST;
			hlen = 8;
		} else if (nh == DICAP_NH_AH) {
			hlen = ((__u32)h[1] + 2) * 4;
		} else {
			hlen = ((__u32)h[1] + 1) * 8;
		}
		nh = h[0];
		off += hlen;
	}
	DICAP_WIDEN(off, DICAP_EXT_OFF_MASK);
	p->l4proto = nh;
	if (dicap_ipv6_is_ext(nh) || nh == DICAP_NH_NONE)
		return 0;
	return off;
}

/* The ports of TCP, UDP or SCTP at @l4, if their four bytes are captured. */
DICAP_INLINE void dicap_l4_ports(const __u8 *l4, const __u8 *end, __u8 proto,
				 struct dicap_pkt *p)
{
	if (proto != DICAP_NH_TCP && proto != DICAP_NH_UDP && proto != DICAP_NH_SCTP)
		return;
	if (l4 + 4 > end)
		return;
	p->sport = dicap_get_be16(l4);
	p->dport = dicap_get_be16(l4 + 2);
	p->flags |= DICAP_PF_PORTS;
}

/* The other fixed L4 header fields of protocol @proto at @l4, if captured. */
DICAP_INLINE void dicap_l4_fields(const __u8 *l4, const __u8 *end, __u8 proto,
				  struct dicap_pkt *p)
{
	int echo;

	if (proto == DICAP_NH_TCP) {
		if (l4 + 20 > end)
			return;
		p->tcp_seq = dicap_get_be32(l4 + 4);
		p->l4_csum = dicap_get_be16(l4 + 16);
		p->flags |= DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ;
	} else if (proto == DICAP_NH_UDP) {
		if (l4 + 8 > end)
			return;
		p->l4_csum = dicap_get_be16(l4 + 6);
		p->flags |= DICAP_PF_L4CSUM;
	} else if (proto == DICAP_NH_SCTP) {
		if (l4 + 12 > end)
			return;
		p->l4_csum = dicap_get_be16(l4 + 10);
		p->flags |= DICAP_PF_L4CSUM;
	} else if ((proto == DICAP_NH_ICMP && p->l3 == DICAP_L3_IPV4) ||
		   (proto == DICAP_NH_ICMPV6 && p->l3 == DICAP_L3_IPV6)) {
		if (l4 + 8 > end)
			return;
		if (p->l3 == DICAP_L3_IPV4)
			echo = l4[0] == 0 || l4[0] == 8;
		else
			echo = l4[0] == 128 || l4[0] == 129;
		p->l4_csum = dicap_get_be16(l4 + 2);
		p->flags |= DICAP_PF_L4CSUM;
		if (echo) {
			p->tcp_seq = dicap_get_be32(l4 + 4);
			p->flags |= DICAP_PF_TCPSEQ;
		}
	}
}

/*
 * The second pass (see the top of this file), for @p classed TRUNCATED or
 * MALFORMED with DICAP_PF_ADDRS.  When the first pass got as far as the L4
 * header (p->l4_off set), its fields as far as they are captured:
 * dicap_fields_l4().  Otherwise the fragment flags, the L4 header where the
 * header lengths put it (dicap_l4_locate()) and then its fields:
 * dicap_parse_fields().  Offsets are counted from a header whose offset the
 * verifier knows only by a bound, so that it sees few states at the calls.
 */
DICAP_INLINE void dicap_fields_at(const __u8 *l4, const __u8 *end, __u32 off,
				  struct dicap_pkt *p)
{
	__u8 proto = p->l4proto;

	if (l4 > end)
		return;
	p->l4_off = (__u16)off;
	dicap_l4_ports(l4, end, proto, p);
	dicap_l4_fields(l4, end, proto, p);
}

DICAP_PARSE_SUBPROG void dicap_fields_l4(const void *data, const void *end,
					 struct dicap_pkt *p)
{
	const __u8 *l4;
	__u32 off = p->l4_off;

	DICAP_WIDEN(off, DICAP_EXT_OFF_MASK);
	l4 = (const __u8 *)data + off;
	DICAP_PKT_PTR(l4);
	dicap_fields_at(l4, (const __u8 *)end, off, p);
}

DICAP_PARSE_SUBPROG void dicap_parse_fields(const void *data, const void *end,
					    struct dicap_pkt *p)
{
	const __u8 *e = (const __u8 *)end;
	const __u8 *ip, *l4;
	__u32 l3 = p->l3_off, off;

	DICAP_WIDEN(l3, DICAP_SHIM_OFF_MASK);
	ip = (const __u8 *)data + l3;
	DICAP_PKT_PTR(ip);
	off = dicap_l4_locate(ip, e, p);
	if (!off)
		return;
	if (p->l3 == DICAP_L3_IPV4 && off > DICAP_IPV4_HLEN)
		p->flags |= DICAP_PF_IPOPT;
	l4 = ip + off;
	DICAP_PKT_PTR(l4);
	dicap_fields_at(l4, e, l3 + off, p);
}

DICAP_INLINE int dicap_parse(const void *data, const void *end, struct dicap_pkt *p)
{
	const __u8 *d = (const __u8 *)data;
	const __u8 *e = (const __u8 *)end;
	__u32 l3_off;

	__builtin_memset(p, 0, sizeof(*p));
	l3_off = dicap_parse_eth(d, e, p);
	if (!l3_off)
		return p->cls;
	/*
	 * The IP header's checks then go to a pointer of their own: the
	 * frame pointer keeps what the Ethernet header proved, and the
	 * verifier sees few states wherever the parser's paths meet.
	 */
	DICAP_FORGET(l3_off, DICAP_SHIM_OFF_MASK, d[0]);
	if (p->ethertype == DICAP_ETH_P_IPV4)
		dicap_parse_ipv4(d, e, l3_off, p);
	else if (p->ethertype == DICAP_ETH_P_IPV6)
		dicap_parse_ipv6(d, e, l3_off, p);
	else
		return dicap_pkt_class(p, DICAP_PKT_NON_IP, DICAP_PR_NONE);
	if (p->cls != DICAP_PKT_OK && (p->flags & DICAP_PF_ADDRS)) {
		if (p->l4_off)
			dicap_fields_l4(d, e, p);
		else
			dicap_parse_fields(d, e, p);
	}
	return p->cls;
}

/*
 * Ethernet and up to DICAP_MAX_VLAN_TAGS tags at @b, for dicap_parse_at():
 * the EtherType, and the L3 offset in *@off; 0 if cut short or deeper.
 */
DICAP_INLINE __u16 dicap_eth_type(const __u8 *b, const __u8 *end, __u32 *off)
{
	__u16 type;
	int i;

	if (b + DICAP_ETH_HLEN > end)
		return 0;
	type = dicap_get_be16(b + 12);
	*off = DICAP_ETH_HLEN;
	DICAP_UNROLL
	for (i = 0; i < DICAP_MAX_VLAN_TAGS; i++) {
		if (type != DICAP_ETH_P_8021Q && type != DICAP_ETH_P_8021AD)
			break;
		if (b + DICAP_ETH_HLEN + 4 * i + 4 > end)
			return 0;
		type = dicap_get_be16(b + DICAP_ETH_HLEN + 4 * i + 2);
		*off += 4;
	}
	if (type == DICAP_ETH_P_8021Q || type == DICAP_ETH_P_8021AD)
		return 0;
	return type;
}

/*
 * An MPLS label stack at @b + *@off, up to DICAP_MAX_MPLS_LABELS entries:
 * *@off moves past the entry with the bottom-of-stack bit.  Returns 0 if
 * the stack is cut short or has no bottom within the bound.  The loop
 * reads through its own pointer, so that the eight ways out of it leave
 * @b as they found it and the verifier merges them after the widening.
 */
DICAP_INLINE int dicap_mpls_skip(const __u8 *b, const __u8 *end, __u32 *off)
{
	__u32 o = *off;
	const __u8 *m;
	int i;

	DICAP_WIDEN(o, DICAP_SHIM_OFF_MASK);
	m = b + o;
	DICAP_PKT_PTR(m);
	DICAP_UNROLL
	for (i = 0; i < DICAP_MAX_MPLS_LABELS; i++) {
		if (m + 4 * i + 4 > end)
			return 0;
		if (m[4 * i + 2] & 0x01) {
			*off = o + 4 * i + 4;
			return 1;
		}
	}
	return 0;
}

/*
 * A PPPoE session header (version 1, type 1, code 0) and the PPP protocol
 * at @b + *@off: the enum dicap_hdr of IPv4 (0x0021) or IPv6 (0x0057),
 * *@off moved past them; -1 for anything else.
 */
DICAP_INLINE int dicap_pppoe_skip(const __u8 *b, const __u8 *end, __u32 *off)
{
	const __u8 *h = b + *off;
	__u16 proto;

	DICAP_PKT_PTR(h);
	if (h + 8 > end || h[0] != 0x11 || h[1] != 0)
		return -1;
	proto = dicap_get_be16(h + 6);
	*off += 8;
	if (proto == DICAP_PPP_IPV4)
		return DICAP_HDR_IPV4;
	if (proto == DICAP_PPP_IPV6)
		return DICAP_HDR_IPV6;
	return -1;
}

DICAP_PARSE_SUBPROG int dicap_parse_at(const void *data, const void *end, __u32 off, int hdr,
				       struct dicap_pkt *p)
{
	const __u8 *e = (const __u8 *)end;
	const __u8 *b, *ip, *l4;
	__u32 l3 = 0, l4off;
	__u16 type;
	int ver;

	__builtin_memset(p, 0, sizeof(*p));
	if (off > DICAP_ENCAP_OFF_MAX)
		return 0;
	/* one bound for every caller: see DICAP_PARSE_SUBPROG */
	DICAP_WIDEN(off, DICAP_ENCAP_OFF_MAX);
	b = (const __u8 *)data + off;
	if (b + 1 > e)
		return 0;
	DICAP_PKT_FRESH(b, b[0]);
	if (hdr == DICAP_HDR_ETH) {
		type = dicap_eth_type(b, e, &l3);
		if (type == DICAP_ETH_P_IPV4)
			hdr = DICAP_HDR_IPV4;
		else if (type == DICAP_ETH_P_IPV6)
			hdr = DICAP_HDR_IPV6;
		else if (type == DICAP_ETH_P_MPLS_UC || type == DICAP_ETH_P_MPLS_MC)
			hdr = DICAP_HDR_MPLS;
		else if (type == DICAP_ETH_P_PPPOE_SES)
			hdr = dicap_pppoe_skip(b, e, &l3);
		else
			return 0;
	}
	if (hdr == DICAP_HDR_MPLS) {
		if (!dicap_mpls_skip(b, e, &l3))
			return 0;
		hdr = DICAP_HDR_IP;
	}
	if (b + 1 > e)
		return 0;
	/* one state for every way here: the L2 headers are behind us */
	DICAP_FORGET(l3, DICAP_SHIM_OFF_MASK, b[0]);
	ip = b + l3;
	DICAP_PKT_PTR(ip);
	if (ip + DICAP_IPV4_HLEN > e)
		return 0;
	ver = ip[0] >> 4;
	if (hdr == DICAP_HDR_IP)
		hdr = ver == 4 ? DICAP_HDR_IPV4 : DICAP_HDR_IPV6;
	if (hdr == DICAP_HDR_IPV4 && ver == 4) {
		p->l3 = DICAP_L3_IPV4;
		p->l4proto = ip[9];
		dicap_copy_addr(p->saddr, ip + 12, 0);
		dicap_copy_addr(p->daddr, ip + 16, 0);
	} else if (hdr == DICAP_HDR_IPV6 && ver == 6) {
		if (ip + DICAP_IPV6_HLEN > e)
			return 0;
		p->l3 = DICAP_L3_IPV6;
		p->l4proto = ip[6];
		dicap_copy_addr(p->saddr, ip + 8, 1);
		dicap_copy_addr(p->daddr, ip + 24, 1);
	} else {
		return 0;
	}
	p->l3_off = (__u16)l3;
	p->flags |= DICAP_PF_ADDRS;
	l4off = dicap_l4_locate(ip, e, p);
	if (l4off) {
		l4 = ip + l4off;
		DICAP_PKT_PTR(l4);
		if (l4 <= e) {
			p->l4_off = (__u16)(l3 + l4off);
			dicap_l4_ports(l4, e, p->l4proto, p);
		}
	}
	return 1;
}

/*
 * GRE at @off (RFC 2784, 2890): version 0 without routing; the optional
 * checksum, key and sequence words.  Inner: IPv4, IPv6, Ethernet, MPLS.
 */
DICAP_INLINE __u32 dicap_encap_gre(const __u8 *data, const __u8 *end, __u32 off, int *hdr)
{
	const __u8 *g = data + off;
	__u32 len = 4;
	__u16 fl, proto;

	DICAP_PKT_PTR(g);
	if (g + 4 > end)
		return 0;
	fl = dicap_get_be16(g);
	proto = dicap_get_be16(g + 2);
	if (fl & (DICAP_GRE_ROUTING | DICAP_GRE_VERSION))
		return 0;
	if (fl & DICAP_GRE_CSUM)
		len += 4;
	if (fl & DICAP_GRE_KEY)
		len += 4;
	if (fl & DICAP_GRE_SEQ)
		len += 4;
	if (proto == DICAP_ETH_P_IPV4)
		*hdr = DICAP_HDR_IPV4;
	else if (proto == DICAP_ETH_P_IPV6)
		*hdr = DICAP_HDR_IPV6;
	else if (proto == DICAP_ETH_P_TEB)
		*hdr = DICAP_HDR_ETH;
	else if (proto == DICAP_ETH_P_MPLS_UC || proto == DICAP_ETH_P_MPLS_MC)
		*hdr = DICAP_HDR_MPLS;
	else
		return 0;
	return off + len;
}

/*
 * One GTP-U extension header at @g + *@len: its length is in 4-byte units,
 * the type of the next in its last byte.  Returns that type (0: none
 * follows), *@len moved past it; -1 if cut short or empty.
 */
DICAP_INLINE int dicap_gtpu_ext(const __u8 *g, const __u8 *end, __u32 *len)
{
	const __u8 *x;
	__u32 l = *len, elen, last;

	DICAP_WIDEN(l, 0xfff);
	x = g + l;
	DICAP_PKT_PTR(x);
	if (x + 1 > end)
		return -1;
	elen = (__u32)x[0] * 4;
	if (!elen)
		return -1;
	/* an offset, not "pointer - 1": the verifier refuses a negative one */
	last = l + elen - 1;
	DICAP_WIDEN(last, 0x1fff);
	x = g + last;
	DICAP_PKT_PTR(x);
	if (x + 1 > end)
		return -1;
	*len = l + elen;
	return x[0];
}

/*
 * GTP-U (3GPP TS 29.281) at @off: version 1, protocol type GTP, a G-PDU
 * (message type 255).  The optional word when E, S or PN is set, then up
 * to DICAP_MAX_GTP_EXT extension headers.  Inner: IP by the version
 * nibble.
 */
DICAP_INLINE __u32 dicap_encap_gtpu(const __u8 *data, const __u8 *end, __u32 off, int *hdr)
{
	const __u8 *g = data + off;
	__u32 len = 8;
	int next, i;

	DICAP_PKT_PTR(g);
	if (g + 12 > end)
		return 0;
	if ((g[0] & 0xf0) != 0x30 || g[1] != 0xff)
		return 0;
	if (g[0] & 0x07)
		len = 12;
	next = g[0] & 0x04 ? g[11] : 0;
	DICAP_UNROLL
	for (i = 0; i < DICAP_MAX_GTP_EXT; i++) {
		if (next > 0)
			next = dicap_gtpu_ext(g, end, &len);
	}
	if (next)
		return 0;
	*hdr = DICAP_HDR_IP;
	return off + len;
}

/*
 * The UDP tunnels, by destination port, with @off at the UDP header:
 * VXLAN (RFC 7348, the I flag), Geneve (RFC 8926, version 0, options
 * skipped) and GTP-U.
 */
DICAP_INLINE __u32 dicap_encap_udp(const __u8 *data, const __u8 *end, __u32 off,
				   __u16 dport, int *hdr)
{
	const __u8 *t = data + off + 8;
	__u16 proto;

	DICAP_PKT_PTR(t);
	if (t + 8 > end)
		return 0;
	if (dport == DICAP_UDP_VXLAN) {
		if (!(t[0] & 0x08))
			return 0;
		*hdr = DICAP_HDR_ETH;
		return off + 16;
	}
	if (dport == DICAP_UDP_GENEVE) {
		if (t[0] >> 6)
			return 0;
		proto = dicap_get_be16(t + 2);
		if (proto == DICAP_ETH_P_TEB)
			*hdr = DICAP_HDR_ETH;
		else if (proto == DICAP_ETH_P_IPV4)
			*hdr = DICAP_HDR_IPV4;
		else if (proto == DICAP_ETH_P_IPV6)
			*hdr = DICAP_HDR_IPV6;
		else
			return 0;
		return off + 16 + (__u32)(t[0] & 0x3f) * 4;
	}
	if (dport == DICAP_UDP_GTPU)
		return dicap_encap_gtpu(data, end, off + 8, hdr);
	return 0;
}

/* Where the L4 header of @p (parsed at @base) is, if anything is in it. */
DICAP_INLINE __u32 dicap_payload_off(__u32 base, const struct dicap_pkt *p)
{
	__u32 off = base + p->l4_off;

	if ((p->flags & (DICAP_PF_ADDRS | DICAP_PF_FRAG)) != DICAP_PF_ADDRS || !p->l4_off ||
	    off > DICAP_ENCAP_OFF_MAX)
		return 0;
	return off;
}

DICAP_INLINE __u32 dicap_encap(const void *data, const void *end, __u32 base,
			       const struct dicap_pkt *p, int *hdr)
{
	const __u8 *d = (const __u8 *)data;
	const __u8 *e = (const __u8 *)end;
	__u32 off = dicap_payload_off(base, p);

	if (!off)
		return 0;
	DICAP_WIDEN(off, DICAP_ENCAP_OFF_MAX);
	switch (p->l4proto) {
	case DICAP_NH_IPIP:
		*hdr = DICAP_HDR_IPV4;
		return off;
	case DICAP_NH_IPV6:
		*hdr = DICAP_HDR_IPV6;
		return off;
	case DICAP_NH_GRE:
		return dicap_encap_gre(d, e, off, hdr);
	case DICAP_NH_UDP:
		if (p->flags & DICAP_PF_PORTS)
			return dicap_encap_udp(d, e, off, p->dport, hdr);
		break;
	}
	return 0;
}

DICAP_INLINE __u32 dicap_icmp_quote(const void *data, const void *end, __u32 base,
				    const struct dicap_pkt *p)
{
	const __u8 *h = (const __u8 *)data;
	__u32 off = dicap_payload_off(base, p);
	__u8 t;

	if (!off)
		return 0;
	DICAP_WIDEN(off, DICAP_ENCAP_OFF_MAX);
	h += off;
	DICAP_PKT_PTR(h);
	if (h + 1 > (const __u8 *)end)
		return 0;
	t = h[0];
	if (p->l3 == DICAP_L3_IPV4 && p->l4proto == DICAP_NH_ICMP &&
	    (t == 3 || t == 4 || t == 5 || t == 11 || t == 12))
		return off + 8;
	if (p->l3 == DICAP_L3_IPV6 && p->l4proto == DICAP_NH_ICMPV6 && t >= 1 && t <= 4)
		return off + 8;
	return 0;
}

#endif /* DICAP_PACKET_IMPL_H */
