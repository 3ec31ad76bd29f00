/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded, allocation-free frame parser shared by userspace, the XDP program
 * and the kernel module.  Every read is checked against @end, the end of the
 * captured bytes; the parser classifies a frame it cannot read fully rather
 * than guessing.
 */
#ifndef DICAP_PACKET_H
#define DICAP_PACKET_H

#include "types.h"

#define DICAP_MAX_VLAN_TAGS	2	/* 802.1Q, or QinQ (0x88a8 + 0x8100) */
#define DICAP_MAX_IPV6_EXT	6	/* extension headers followed before giving up */

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
#define DICAP_PF_PORTS		0x0008	/* sport/dport are valid */
#define DICAP_PF_L4CSUM		0x0010	/* l4_csum is valid */
#define DICAP_PF_TCPSEQ		0x0020	/* tcp_seq is valid */
#define DICAP_PF_IPOPT		0x0040	/* IPv4 options present */
#define DICAP_PF_IPV6_EXT	0x0080	/* IPv6 extension headers present */
#define DICAP_PF_VLAN_DEEP	0x0100	/* more tags than DICAP_MAX_VLAN_TAGS (class MALFORMED) */
#define DICAP_PF_EXT_DEEP	0x0200	/* longer ext. chain than DICAP_MAX_IPV6_EXT (class MALFORMED) */

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
 * absent layer has offset 0.
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
 * absent) and returns p->cls.  Never reads outside [data, end).
 */
DICAP_INLINE int dicap_parse(const void *data, const void *end, struct dicap_pkt *p);

/* Short human-readable names for enum values (never NULL). */
const char *dicap_pkt_class_name(int cls);
const char *dicap_pkt_reason_name(int reason);

#include "packet_impl.h"

#endif /* DICAP_PACKET_H */
