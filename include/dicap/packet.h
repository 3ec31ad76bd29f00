/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded, allocation-free frame parser shared by userspace, the XDP program
 * and the kernel module.  Every read is checked against @end, the end of the
 * captured bytes.  Two results that do not depend on each other:
 *
 *  - the class (and its reason): is the frame consistent and all there?  A
 *    frame the parser cannot read fully, or whose length fields contradict
 *    each other or the capture, is TRUNCATED or MALFORMED, as before;
 *  - the fields, each filled when its bytes are captured and its place is
 *    known, whatever the length fields say: the DICAP_PF_ADDRS and
 *    DICAP_PF_PORTS flags tell what of the frame's identity could be read.
 *    A frame sliced to 64 bytes, or with a lying IP total length, keeps its
 *    addresses and ports, so the selection can keep it with its flow.
 */
#ifndef DICAP_PACKET_H
#define DICAP_PACKET_H

#include "types.h"

#define DICAP_MAX_VLAN_TAGS	2	/* 802.1Q, or QinQ (0x88a8 + 0x8100) */
#define DICAP_MAX_IPV6_EXT	6	/* extension headers followed before giving up */
#define DICAP_MAX_MPLS_LABELS	8	/* label stack entries followed (dicap_parse_at) */
#define DICAP_MAX_GTP_EXT	4	/* GTP-U extension headers followed */

enum dicap_pkt_class {
	DICAP_PKT_OK = 0,	/* L3 (and L4 where there is one) parsed */
	DICAP_PKT_NON_IP,	/* a well-formed frame that is not IPv4/IPv6 */
	DICAP_PKT_TRUNCATED,	/* capture ended inside a header we needed */
	DICAP_PKT_MALFORMED,	/* header fields contradict each other */
};

enum dicap_l3 {
	DICAP_L3_NONE = 0,
	DICAP_L3_IPV4 = 4,
	DICAP_L3_IPV6 = 6,
};

/* dicap_pkt.flags */
#define DICAP_PF_VLAN		0x0001	/* at least one VLAN tag */
#define DICAP_PF_FRAG		0x0002	/* IPv4 MF/offset or IPv6 fragment header */
#define DICAP_PF_FRAG_FIRST	0x0004	/* fragment with offset 0 (carries the L4 header) */
#define DICAP_PF_PORTS		0x0008	/* sport/dport are valid (captured, place known) */
#define DICAP_PF_L4CSUM		0x0010	/* l4_csum is valid (the L4 header is captured) */
#define DICAP_PF_TCPSEQ		0x0020	/* tcp_seq is valid (the L4 header is captured) */
#define DICAP_PF_IPOPT		0x0040	/* IPv4 options present */
#define DICAP_PF_IPV6_EXT	0x0080	/* IPv6 extension headers present */
#define DICAP_PF_VLAN_DEEP	0x0100	/* more tags than DICAP_MAX_VLAN_TAGS (class MALFORMED) */
#define DICAP_PF_EXT_DEEP	0x0200	/* longer ext. chain than DICAP_MAX_IPV6_EXT (class MALFORMED) */
#define DICAP_PF_ADDRS		0x0400	/* l3, saddr, daddr, l4proto, ip_id, ttl, ip_len, frag_off */

/* Why a frame is MALFORMED or TRUNCATED, for counters and tests. */
enum dicap_pkt_reason {
	DICAP_PR_NONE = 0,
	DICAP_PR_SHORT_ETH,	/* shorter than an Ethernet header */
	DICAP_PR_SHORT_VLAN,
	DICAP_PR_VLAN_DEPTH,
	DICAP_PR_SHORT_IP,	/* shorter than the fixed IP header */
	DICAP_PR_IP_VERSION,	/* version nibble does not match the EtherType */
	DICAP_PR_IP_IHL,	/* IHL < 5 or beyond the captured bytes */
	DICAP_PR_IP_TOTLEN,	/* total/payload length inconsistent */
	DICAP_PR_IPV6_EXT,	/* extension header truncated or chain too long */
	DICAP_PR_SHORT_L4,	/* L4 header cut off by the capture */
	DICAP_PR_L4_HDR,	/* L4 header field invalid (e.g. TCP data offset < 5) */
};

/*
 * Result of dicap_parse().  Addresses are kept as raw network-order bytes
 * (IPv4 uses the first 4 bytes, the rest are zero) so that hashing is
 * endianness-independent.  Offsets are from the start of the frame; an
 * absent layer has offset 0.  DICAP_PF_ADDRS is set, in every class, once
 * the fixed IP header is captured and its version matches; l4proto is then
 * the IPv4 protocol, or for IPv6 the next header where the extension
 * header chain ended.  The L4 fields (DICAP_PF_PORTS, _L4CSUM, _TCPSEQ) are
 * set, in every class, when the L4 header's place is known (IPv4 IHL >= 5,
 * an IPv6 chain walked to its end within the capture, not a non-first
 * fragment) and their bytes are captured: the ports need the first 4 bytes
 * of TCP, UDP or SCTP, the others the whole fixed L4 header.
 */
struct dicap_pkt {
	__u16 l3_off;
	__u16 l4_off;
	__u16 ethertype;	/* innermost EtherType, host order */
	__u16 flags;		/* DICAP_PF_* */
	__u8  cls;		/* enum dicap_pkt_class */
	__u8  reason;		/* enum dicap_pkt_reason */
	__u8  l3;		/* enum dicap_l3 */
	__u8  l4proto;		/* IPPROTO_* of the upper layer, after IPv6 ext. headers */
	__u8  vlan_depth;
	__u8  ttl;		/* TTL / hop limit */
	__u16 ip_len;		/* IPv4 total length / IPv6 payload length + 40 */
	__u16 frag_off;		/* fragment offset in 8-byte units */
	__u16 sport;		/* host order, valid if DICAP_PF_PORTS */
	__u16 dport;
	__u16 l4_csum;		/* host order, valid if DICAP_PF_L4CSUM */
	__u32 ip_id;		/* IPv4 ID (16 bit) or IPv6 fragment ID (32 bit) */
	__u32 tcp_seq;		/* valid if DICAP_PF_TCPSEQ; ICMP id/seq word for ICMP */
	__u8  saddr[16];
	__u8  daddr[16];
};

/*
 * Parse the frame [data, end).  Always fills @p completely (zeroing what is
 * absent) and returns p->cls.  Never reads outside [data, end).  Ethernet,
 * up to DICAP_MAX_VLAN_TAGS tags, IPv4 or IPv6: an MPLS or PPPoE frame is
 * NON_IP here (dicap_parse_at() reads under them).
 */
DICAP_INLINE int dicap_parse(const void *data, const void *end, struct dicap_pkt *p);

/* What dicap_parse_at() finds at its offset. */
enum dicap_hdr {
	DICAP_HDR_ETH = 0,	/* Ethernet, VLAN tags, then IP, MPLS or PPPoE */
	DICAP_HDR_IPV4,
	DICAP_HDR_IPV6,
	DICAP_HDR_IP,		/* IPv4 or IPv6 by the version nibble */
	DICAP_HDR_MPLS,		/* a label stack, then IP by the version nibble */
};

/*
 * The identity of the packet that starts @off bytes into the frame [data,
 * end), as @hdr: an encapsulated packet, an ICMP error's quote, or the
 * frame itself under MPLS or PPPoE.  Reads only what the FLOW and HOST
 * rules hash, with the capture as the only bound (the second pass of
 * dicap_parse(), packet_impl.h): l3, saddr, daddr, l4proto, sport, dport,
 * l3_off and l4_off (counted from @off, not from @data) and the flags
 * DICAP_PF_ADDRS, _PORTS, _FRAG and _FRAG_FIRST, the same values
 * dicap_parse() gives those fields on the same bytes; the rest of @p is
 * zero, the class included.  Beyond dicap_parse(), follows MPLS label
 * stacks (up to DICAP_MAX_MPLS_LABELS, then IP by the version nibble) and
 * PPPoE sessions (PPP protocol 0x0021 or 0x0057) after the Ethernet
 * header.  Returns 1 if the addresses were read (DICAP_PF_ADDRS), else 0;
 * also 0 for @off beyond DICAP_ENCAP_OFF_MAX.
 */
#define DICAP_ENCAP_OFF_MAX	0x3fff
DICAP_INLINE int dicap_parse_at(const void *data, const void *end, __u32 off, int hdr,
				struct dicap_pkt *p);

/*
 * The packet a tunnel carries, if @p (parsed by dicap_parse_at() at @base
 * of the frame [data, end)) is one: IP-in-IP (protocol 4 or 41), GRE
 * version 0 without routing (IPv4, IPv6, transparent Ethernet bridging
 * 0x6558, MPLS), VXLAN (UDP port 4789), Geneve (6081) or a GTP-U G-PDU
 * (2152), none of them in a fragment.  Returns the inner packet's offset
 * from @data and stores its enum dicap_hdr in @hdr, or returns 0: not a
 * tunnel, its header cut short or malformed, or the inner packet beyond
 * DICAP_ENCAP_OFF_MAX.
 */
DICAP_INLINE __u32 dicap_encap(const void *data, const void *end, __u32 base,
			       const struct dicap_pkt *p, int *hdr);

/*
 * The packet an ICMP error quotes (ICMPv4 types 3, 4, 5, 11, 12, ICMPv6
 * types 1-4, not in a fragment), if @p (parsed at @base) is one: its
 * offset from @data (parse it as DICAP_HDR_IP); else 0.
 */
DICAP_INLINE __u32 dicap_icmp_quote(const void *data, const void *end, __u32 base,
				    const struct dicap_pkt *p);

/* Short human-readable names for enum values (never NULL). */
const char *dicap_pkt_class_name(int cls);
const char *dicap_pkt_reason_name(int reason);

#include "packet_impl.h"

#endif /* DICAP_PACKET_H */
