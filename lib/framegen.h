/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame builder (userspace): Ethernet / 802.1Q / QinQ / IPv4 / IPv6 (with
 * extension headers and fragments) / TCP / UDP / SCTP / ICMP frames with
 * correct checksums, and the damage that turns them into malformed ones.
 * Used by dicap-gen and by the tests, so test frames and generated traffic
 * follow one convention.
 *
 * Every frame that has room carries DICAP_FRAME_MARKER ("DCAP") followed by
 * a big-endian 32-bit sequence number at the start of its L4 payload;
 * dicap_frame_seq() finds it again.  Frames are padded with zeros to
 * DICAP_FRAME_MIN_LEN bytes (Ethernet minimum without FCS).
 */
#ifndef LIB_FRAMEGEN_H
#define LIB_FRAMEGEN_H

#include <stddef.h>
#include <stdint.h>

#define DICAP_FRAME_MIN_LEN	60		/* Ethernet minimum, FCS excluded */
#define DICAP_FRAME_MARKER	0x44434150u	/* "DCAP", before the sequence number */

enum dicap_frame_frag {
	DICAP_FRAG_NONE = 0,
	DICAP_FRAG_FIRST,	/* offset 0, more fragments */
	DICAP_FRAG_MIDDLE,	/* offset > 0, more fragments */
	DICAP_FRAG_LAST,	/* offset > 0, no more fragments */
	DICAP_FRAG_ATOMIC,	/* IPv6 fragment header with offset 0 and M = 0 */
};

/*
 * What to build.  Zero-initialise, then set what matters.  MAC addresses
 * are derived from the IP addresses (02:00 + the IPv4 address or the last
 * four bytes of the IPv6 address), so both directions of a flow agree.
 */
struct dicap_frame_spec {
	int ntags;		/* VLAN tags; the outermost is 0x88a8 when ntags > 1 */
	uint16_t ethertype;	/* innermost; 0 picks 0x0800 or 0x86dd from ipver */
	int ipver;		/* 4 or 6; 0 writes raw[] after the EtherType */
	uint8_t proto;		/* upper-layer protocol */
	uint8_t saddr[16];	/* IPv4 uses the first 4 bytes */
	uint8_t daddr[16];
	uint16_t sport;		/* ICMP echo: identifier */
	uint16_t dport;		/* ICMP echo: sequence number */
	uint8_t icmp_type;
	uint32_t ip_id;		/* IPv4 ID (low 16 bits) or IPv6 fragment ID */
	uint8_t ttl;
	uint32_t tcp_seq;	/* SCTP: verification tag */
	uint16_t frag_csum;	/* L4 checksum of fragments (not computable) */
	int frag;		/* enum dicap_frame_frag */
	uint16_t frag_off;	/* 8-byte units, for FRAG_MIDDLE and FRAG_LAST */
	int v4opt;		/* bytes of IPv4 options: multiple of 4, <= 40 */
	int next;		/* number of IPv6 extension headers in ext[] */
	uint8_t ext[12];	/* their types (0, 43, 44, 51, 60), in order */
	uint8_t extlen;		/* length byte of HBH, routing and dest. options */
	uint32_t seq;		/* sequence number carried in the payload */
	int no_seq;		/* leave the marker out */
	int paylen;		/* payload bytes after marker and sequence number */
	const uint8_t *raw;	/* ipver 0: bytes after the EtherType */
	size_t rawlen;
};

/* Where the builder put things (offsets from the frame start). */
struct dicap_frame_layout {
	size_t l3_off;
	size_t ext_off;		/* IPv6: first extension header */
	size_t ext_end;		/* IPv6: end of the extension headers */
	size_t l4_off;		/* 0 when the frame has no L4 header */
	size_t l4_hdr;		/* L4 header bytes a parser must read */
	size_t ip_end;		/* l3_off + IPv4 total length / IPv6 payload + 40 */
	size_t seq_off;		/* the marker; 0 when there is none */
	uint16_t l4_csum;	/* checksum field as the parser reads it */
};

/*
 * Builds @s into @buf (@cap bytes) and stores the frame length in @len.
 * Bytes of the frame the builder does not set (padding included) are zero;
 * bytes past the frame are left alone.  Returns 0, or -1 if the frame does
 * not fit or @cap is below DICAP_FRAME_MIN_LEN.
 */
int	dicap_frame_build(const struct dicap_frame_spec *s, uint8_t *buf, size_t cap,
	    size_t *len, struct dicap_frame_layout *lo);

/*
 * Header bytes before the payload (marker, sequence number, paylen bytes)
 * that dicap_frame_build() writes for @s: lets a caller pick paylen for a
 * wanted frame length.
 */
size_t	dicap_frame_hdr_len(const struct dicap_frame_spec *s);

/* Finds the first marker in @buf and reads the sequence number after it. */
int	dicap_frame_seq(const uint8_t *buf, size_t len, uint32_t *seq);

/*
 * Damage applied to a built frame (@lo from the build).  Each sets one
 * field to @arg unless said otherwise.
 */
enum dicap_frame_damage {
	DICAP_DMG_IHL = 0,	/* IPv4 IHL */
	DICAP_DMG_IHL_LONG,	/* IPv4 IHL 15 and total length @arg */
	DICAP_DMG_TOTLEN,	/* IPv4 total length */
	DICAP_DMG_GROW,		/* add @arg to IPv4 total / IPv6 payload length */
	DICAP_DMG_PLEN,		/* IPv6 payload length */
	DICAP_DMG_VERSION,	/* IP version nibble */
	DICAP_DMG_CUT,		/* frame length */
	DICAP_DMG_CUT_L4,	/* frame length l4_off + @arg */
	DICAP_DMG_DOFF,		/* TCP data offset (32-bit words) */
	DICAP_DMG_UDPLEN,	/* UDP length */
	DICAP_DMG_EXT_BYTE,	/* byte ext_off + @arg / 256 to @arg % 256 */
	DICAP_DMG_PAD,		/* bytes after the IP packet to @arg + offset */
	DICAP_DMG_MAX,
};

/*
 * Applies @kind to the frame of @*len bytes in @buf (@cap bytes).  The IPv4
 * header checksum is not recomputed (as in the tests' corpus).  Returns 0,
 * or -1 if @kind does not apply to this frame or would leave @cap.
 */
int	dicap_frame_damage(uint8_t *buf, size_t *len, size_t cap,
	    const struct dicap_frame_layout *lo, int kind, int arg);

/* Internet checksum pieces: a 32-bit running sum and its folded complement. */
uint32_t	dicap_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t	dicap_csum_fold(uint32_t sum);

/* CRC32c (Castagnoli) as SCTP uses it. */
uint32_t	dicap_crc32c(const uint8_t *p, size_t n);

/* L4 header bytes a parser reads for @proto over IP version @ipver; 0 if none. */
size_t	dicap_frame_l4_hdr(int ipver, uint8_t proto);

/* Is @type an ICMP (@ipver 4) or ICMPv6 echo request or reply? */
int	dicap_frame_is_echo(int ipver, uint8_t type);

#endif /* LIB_FRAMEGEN_H */
