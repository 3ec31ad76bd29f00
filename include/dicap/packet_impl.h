/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Implementation of dicap_parse(), included by packet.h.
 *
 * The same code is compiled for the XDP program, so every read is preceded
 * by a check of the form "pointer + constant > end" on the very pointer that
 * is read through, loops have constant bounds and are unrolled, and variable
 * offsets (IHL, extension header lengths) are built from 8-bit fields so the
 * verifier can bound them.  Offsets are kept as integers: comparisons with
 * the IP packet's own length are arithmetic, only comparisons with the end
 * of the capture use pointers.
 *
 * Classification order: a contradiction visible in the bytes at hand is
 * MALFORMED even when the capture is also short; the capture ending inside
 * a header that is needed is TRUNCATED; an IP packet whose declared length
 * runs past the captured bytes is TRUNCATED (DICAP_PR_IP_TOTLEN) once its
 * headers have been checked, and then reports no L4 fields.
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

#define DICAP_IPV4_HLEN		20
#define DICAP_IPV6_HLEN		40
#define DICAP_IPV4_MF		0x2000
#define DICAP_IPV4_OFFMASK	0x1fff

#define DICAP_NH_HOPOPTS	0
#define DICAP_NH_ICMP		1
#define DICAP_NH_TCP		6
#define DICAP_NH_UDP		17
#define DICAP_NH_ROUTING	43
#define DICAP_NH_FRAGMENT	44
#define DICAP_NH_AH		51
#define DICAP_NH_ICMPV6		58
#define DICAP_NH_NONE		59
#define DICAP_NH_DSTOPTS	60
#define DICAP_NH_SCTP		132

#define DICAP_L4_PF		(DICAP_PF_PORTS | DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ)

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
 */
#if defined(__bpf__)
#define DICAP_PKT_PTR(ptr) __asm__ __volatile__("" : "+r"(ptr))
#define DICAP_WIDEN(off, mask) do { \
	__asm__ __volatile__("" : "+r"(off)); \
	(off) &= (mask); \
} while (0)
#else
#define DICAP_PKT_PTR(ptr) ((void)0)
#define DICAP_WIDEN(off, mask) ((void)0)
#endif

/* Above any offset in an IPv6 ext. chain: 22 + 40 + 6 * 2048 < 0x3fff. */
#define DICAP_EXT_OFF_MASK	0x3fff
_Static_assert(14 + 4 * DICAP_MAX_VLAN_TAGS + 40 + 2048 * DICAP_MAX_IPV6_EXT < DICAP_EXT_OFF_MASK,
	       "DICAP_EXT_OFF_MASK must exceed every extension header offset");

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

DICAP_INLINE int dicap_parse(const void *data, const void *end, struct dicap_pkt *p)
{
	const __u8 *d = (const __u8 *)data;
	const __u8 *e = (const __u8 *)end;
	__u32 l3_off;

	__builtin_memset(p, 0, sizeof(*p));
	l3_off = dicap_parse_eth(d, e, p);
	if (!l3_off)
		return p->cls;
	if (p->ethertype == DICAP_ETH_P_IPV4)
		return dicap_parse_ipv4(d, e, l3_off, p);
	if (p->ethertype == DICAP_ETH_P_IPV6)
		return dicap_parse_ipv6(d, e, l3_off, p);
	return dicap_pkt_class(p, DICAP_PKT_NON_IP, DICAP_PR_NONE);
}

#endif /* DICAP_PACKET_IMPL_H */
