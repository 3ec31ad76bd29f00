/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet selection, implementation half of select.h.  Header-only so that
 * the XDP program and the kernel module compile the very same code as
 * userspace: every node, whatever its datapath, must compute bit-identical
 * buckets or a frame is captured twice or not at all.
 *
 * Constraints from the BPF verifier: no helper calls, no tables, no loops
 * whose bound the verifier cannot see (the one loop is unrolled to
 * constant offsets), and every byte read from the frame is preceded by a
 * comparison of that byte's address against @end.
 *
 * Include select.h, not this file.
 */
#ifndef DICAP_SELECT_IMPL_H
#define DICAP_SELECT_IMPL_H

#ifndef DICAP_SELECT_H
#error "include select.h instead of select_impl.h"
#endif

/*
 * The hash rules are BPF subprograms (BPF-to-BPF calls) rather than
 * inlined: they then read the parse result through a pointer, so clang
 * cannot carry every field in registers from the parse to the hash and
 * spill them.  Inlined, a parse plus a bucket took over 500 of the 512
 * bytes of BPF stack; as subprograms, 120.  Unused is not an error: a
 * program may include select.h for dicap_rr_owner() alone.
 */
#if defined(__bpf__)
#define DICAP_SELECT_SUBPROG static __attribute__((noinline, unused))
#else
#define DICAP_SELECT_SUBPROG DICAP_INLINE
#endif

/*
 * The word hash is MurmurHash3's x86_32 structure (Austin Appleby, public
 * domain): each 32-bit word is scrambled by two multiplies and a rotate
 * before entering the state, and the state goes through the fmix32
 * finalizer at the end.  Reasons: fmix32 is a bijection with full avalanche
 * (every input bit flips each output bit with probability close to 1/2),
 * it costs a handful of ALU instructions per word, needs no table and no
 * division, and every instruction it uses exists in BPF.  It is not a keyed
 * hash: a sender who knows it can aim traffic at one node, as with the
 * paper's IP ID rule.
 */
#define DICAP_HASH_SEED		0x44694341u	/* "DiCA" */
#define DICAP_HASH_FLOW_SEED	0x50464c57u	/* distinct seeds keep modes */
#define DICAP_HASH_RAW_SEED	0x52415721u	/* from sharing collisions */
#define DICAP_HASH_HOST_SEED	0x484f5354u	/* "HOST" */

DICAP_INLINE __u32 dicap_rotl32(__u32 x, unsigned int r)
{
	return x << r | x >> (32 - r);
}

DICAP_INLINE __u32 dicap_hash_word(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = dicap_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = dicap_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

DICAP_INLINE __u32 dicap_fmix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * A big-endian word of a struct field (not of the frame: no bounds to
 * check).  One load and a byte swap (BPF has one) rather than
 * dicap_get_be32()'s four byte loads and shifts: a quarter of the loads
 * and fewer live registers for the two 16-byte addresses.
 */
DICAP_INLINE __u32 dicap_field_be32(const __u8 *a)
{
	__u32 w;

	__builtin_memcpy(&w, a, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	return w;
}

/* An address as its four 32-bit words, in network byte order. */
DICAP_INLINE __u32 dicap_hash_addr_words(__u32 h, __u32 w0, __u32 w1, __u32 w2, __u32 w3)
{
	h = dicap_hash_word(h, w0);
	h = dicap_hash_word(h, w1);
	h = dicap_hash_word(h, w2);
	return dicap_hash_word(h, w3);
}

/* The four words of a 16-byte address in network byte order. */
DICAP_INLINE __u32 dicap_hash_addr(__u32 h, const __u8 *a)
{
	return dicap_hash_addr_words(h, dicap_field_be32(a), dicap_field_be32(a + 4),
				     dicap_field_be32(a + 8), dicap_field_be32(a + 12));
}

/*
 * All ones if @flag is set in @flags, else 0.  The hash rules mask fields
 * rather than branch on flags: without branches the verifier does not
 * track the flags precisely, so it can prune the subprograms' states
 * instead of walking them again for every parser path that reaches them.
 */
DICAP_INLINE __u32 dicap_flag_mask(__u16 flags, __u16 flag)
{
	return (__u32)0 - (__u32)((flags & flag) != 0);
}

/* The top half of a finalized hash: fmix32 spreads entropy to all bits. */
DICAP_INLINE __u16 dicap_hash_to_bucket(__u32 h)
{
	return (__u16)(dicap_fmix32(h) >> 16);
}

/*
 * A bijection of the 16-bit IP ID: two xorshift-multiply rounds modulo 2^16
 * (a right xorshift and a multiply by an odd constant are each invertible).
 * Being a bijection, a uniform ID gives an exactly uniform bucket; the
 * multiplies send consecutive IDs, as a host's counter produces them, to
 * buckets far apart.  Shifts and constants: the best of 3000 random
 * candidates by RMS avalanche bias over all 2^16 inputs (see docs/design.md).
 */
DICAP_INLINE __u16 dicap_mix16(__u16 v)
{
	__u32 x = v;

	x ^= x >> 8;
	x = (x * 0x64cdu) & 0xffff;
	x ^= x >> 7;
	x = (x * 0xc6a5u) & 0xffff;
	x ^= x >> 7;
	return (__u16)x;
}

/*
 * Frames without usable IP fields: the frame length and its first
 * DICAP_RAW_HASH_BYTES bytes.  Every node receives the same bytes, so this
 * is enough for exactly-one-owner; it need not be spread well because such
 * frames are rare (ARP, LLDP, garbage).  The loop is unrolled and each byte
 * is checked against @end before it is read.
 */
DICAP_INLINE __u16 dicap_bucket_raw(const void *data, const void *end)
{
	const __u8 *b = (const __u8 *)data;
	const __u8 *e = (const __u8 *)end;
	__u32 len = (__u32)(e - b);
	__u32 h = DICAP_HASH_RAW_SEED;
	__u32 w = 0;
	int i;

	DICAP_UNROLL
	for (i = 0; i < DICAP_RAW_HASH_BYTES; i++) {
		if (b + i + 1 > e)
			break;
		w = w << 8 | b[i];
		if ((i & 3) == 3) {
			h = dicap_hash_word(h, w);
			w = 0;
		}
	}
	/* A partial last word, then the length: 64 bytes of zeros and 3 bytes
	 * of zeros hash differently.
	 */
	h = dicap_hash_word(h, w);
	h = dicap_hash_word(h, len);
	return dicap_hash_to_bucket(h);
}

/*
 * PACKET mode: every field that varies from one packet to the next, so
 * frames spread even when the IP ID is constant (0 on many DF senders) or
 * absent (IPv6).  Absent fields are zero (the parser zeroes them, and the
 * flags guard against relying on that).
 */
DICAP_SELECT_SUBPROG __u16 dicap_bucket_packet(const struct dicap_pkt *p)
{
	__u32 csum = p->l4_csum & dicap_flag_mask(p->flags, DICAP_PF_L4CSUM);
	__u32 seq = p->tcp_seq & dicap_flag_mask(p->flags, DICAP_PF_TCPSEQ);
	__u32 ports = ((__u32)p->sport << 16 | p->dport) &
		      dicap_flag_mask(p->flags, DICAP_PF_PORTS);
	__u32 h = DICAP_HASH_SEED;

	h = dicap_hash_word(h, p->ip_id);
	h = dicap_hash_word(h, csum << 16 | p->ip_len);
	h = dicap_hash_word(h, seq);
	h = dicap_hash_word(h, ports);
	h = dicap_hash_word(h, (__u32)p->frag_off << 16 |
				(__u32)p->l4proto << 8 | p->l3);
	h = dicap_hash_addr(h, p->saddr);
	h = dicap_hash_addr(h, p->daddr);
	return dicap_hash_to_bucket(h);
}

/*
 * IPID mode, the paper's rule: hash(I) of the IPv4 identification alone.
 * An IPv4 atomic datagram (not a fragment) with ID 0 is what senders emit
 * when they do not maintain IDs (RFC 6864): all of them would pile onto
 * one bucket, so they take the PACKET rule.  IPv6 carries an ID (32 bits)
 * only in a fragment header: fragments hash it, other IPv6 packets take the
 * PACKET rule.  Fragments always use their ID, 0 included: all fragments
 * of a datagram share it and so land together.
 */
DICAP_SELECT_SUBPROG __u16 dicap_bucket_ipid(const struct dicap_pkt *p)
{
	int frag = p->flags & DICAP_PF_FRAG;

	if (p->l3 == DICAP_L3_IPV4 && (p->ip_id != 0 || frag))
		return dicap_mix16((__u16)p->ip_id);
	if (p->l3 == DICAP_L3_IPV6 && frag)
		return dicap_hash_to_bucket(dicap_hash_word(DICAP_HASH_SEED,
							    p->ip_id));
	return dicap_bucket_packet(p);
}

/* One endpoint of a flow: (address, port) with port 0 when there is none. */
DICAP_INLINE __u32 dicap_hash_endpoint(const __u8 *addr, __u16 port)
{
	__u32 h = dicap_hash_addr(DICAP_HASH_FLOW_SEED, addr);

	return dicap_fmix32(dicap_hash_word(h, port));
}

/*
 * FLOW mode: both directions of a conversation in one bucket.  Each
 * endpoint is hashed on its own and the two are added, which is
 * commutative, so swapping source and destination changes nothing; the
 * protocol is mixed in after.  The ports count when the parser could read
 * them (DICAP_PF_PORTS), whatever the class.  Fragments (IPv4 MF/offset,
 * IPv6 fragment header, including the first fragment that still shows the
 * ports) hash without ports, so every fragment of a datagram lands on one
 * node.  The price: the fragments of a datagram may land on another node
 * than the unfragmented packets of the same 5-tuple (HOST mode keeps them
 * together; docs/design.md says why no per-node state can).
 */
DICAP_SELECT_SUBPROG __u16 dicap_bucket_flow(const struct dicap_pkt *p)
{
	__u32 use_ports = dicap_flag_mask(p->flags, DICAP_PF_PORTS) &
			  ~dicap_flag_mask(p->flags, DICAP_PF_FRAG);
	__u32 h;

	h = dicap_hash_endpoint(p->saddr, (__u16)(p->sport & use_ports)) +
	    dicap_hash_endpoint(p->daddr, (__u16)(p->dport & use_ports));
	h = dicap_hash_word(h, (__u32)p->l4proto << 8 | p->l3);
	return dicap_hash_to_bucket(h);
}

/*
 * HOST mode: the address pair alone, symmetric as in FLOW mode, with its
 * own seed.  Every protocol between two hosts, fragments included, lands
 * in one bucket.
 */
DICAP_SELECT_SUBPROG __u16 dicap_bucket_host(const struct dicap_pkt *p)
{
	__u32 h;

	h = dicap_fmix32(dicap_hash_addr(DICAP_HASH_HOST_SEED, p->saddr)) +
	    dicap_fmix32(dicap_hash_addr(DICAP_HASH_HOST_SEED, p->daddr));
	h = dicap_hash_word(h, p->l3);
	return dicap_hash_to_bucket(h);
}

/*
 * Any mode other than IPID, FLOW and HOST takes the PACKET rule, so an
 * unexpected value still yields a defined, identical result on every node.
 */
DICAP_INLINE __u16 dicap_bucket(int mode, const struct dicap_pkt *p,
				const void *data, const void *end)
{
	if (!(p->flags & DICAP_PF_ADDRS))
		return dicap_bucket_raw(data, end);
	if (mode == DICAP_MODE_IPID)
		return dicap_bucket_ipid(p);
	if (mode == DICAP_MODE_FLOW)
		return dicap_bucket_flow(p);
	if (mode == DICAP_MODE_HOST)
		return dicap_bucket_host(p);
	return dicap_bucket_packet(p);
}

DICAP_INLINE int dicap_is_shim(__u16 ethertype)
{
	return ethertype == DICAP_ETH_P_MPLS_UC || ethertype == DICAP_ETH_P_MPLS_MC ||
	       ethertype == DICAP_ETH_P_PPPOE_SES;
}

/* FLOW or HOST (any other @mode: FLOW) on one identity: a subprogram in BPF. */
DICAP_SELECT_SUBPROG __u16 dicap_bucket_ident(int mode, const struct dicap_pkt *p)
{
	if (mode == DICAP_MODE_HOST)
		return dicap_bucket_host(p);
	return dicap_bucket_flow(p);
}

/*
 * In BPF every call of dicap_parse_at() passes an offset the verifier
 * knows only as 0..DICAP_ENCAP_OFF_MAX: the calls then start from like
 * states, and the verifier walks the parser once per header kind rather
 * than once per path that led to the call.
 */
DICAP_INLINE int dicap_ident_level(const void *data, const void *end, __u32 off, int hdr,
				   struct dicap_pkt *p)
{
	if (!off || off > DICAP_ENCAP_OFF_MAX)
		return 0;
	/* @p as the verifier saw it at the other calls: all zero */
	__builtin_memset(p, 0, sizeof(*p));
	DICAP_WIDEN(off, DICAP_ENCAP_OFF_MAX);
	return dicap_parse_at(data, end, off, hdr, p);
}

_Static_assert(DICAP_MAX_ENCAP == 2, "dicap_select_walk() follows two levels");

/*
 * Where dicap_select_walk() is, all scalars: where the packet it last read
 * starts and what kind of header it is, so that it can read it again.
 */
struct dicap_walk {
	__u32 base;
	int hdr;
};

/* @lv read again at the level @w is at, after a failed parse over it. */
DICAP_INLINE void dicap_walk_again(const void *data, const void *end,
				   const struct dicap_walk *w, struct dicap_pkt *lv)
{
	/* @lv as the verifier saw it at the other calls: all zero */
	__builtin_memset(lv, 0, sizeof(*lv));
	dicap_parse_at(data, end, w->base, w->hdr, lv);
}

/*
 * One more tunnel level into @lv: 1 if its addresses are readable.  If
 * not, @lv is read again from the level it was (the next parse overwrote
 * it), and 0.
 */
DICAP_INLINE int dicap_walk_level(const void *data, const void *end, struct dicap_walk *w,
				  struct dicap_pkt *lv)
{
	int hdr = DICAP_HDR_ETH;
	__u32 next = dicap_encap(data, end, w->base, lv, &hdr);

	if (!next)
		return 0;
	if (!dicap_ident_level(data, end, next, hdr, lv)) {
		dicap_walk_again(data, end, w, lv);
		return 0;
	}
	/* the verifier need not know which tunnel led here, nor where it ended */
	DICAP_WIDEN(next, DICAP_ENCAP_OFF_MAX);
	DICAP_FORGET(hdr, 7, next);
	w->base = next;
	w->hdr = hdr;
	return 1;
}

/*
 * The walk of dicap_select_ident(), and FLOW or HOST mode's bucket of what
 * it finds.  One parse buffer and scalars from one level to the next: the
 * next level is parsed over the last, which is read again in the rare case
 * the next one has no readable addresses (a cut or malformed inner
 * header).  In BPF the verifier's work then adds up over the levels
 * instead of multiplying, and only the identity found is hashed.  @id, if
 * not NULL, gets a copy of it (zeros: the raw rule).
 */
DICAP_INLINE __u16 dicap_select_walk(int mode, __u32 sel_flags, const void *data,
				     const void *end, struct dicap_pkt *id)
{
	struct dicap_walk w = { 0, DICAP_HDR_ETH };
	const __u8 *d = (const __u8 *)data;
	struct dicap_pkt lv;
	__u32 qoff;

	if (id)
		__builtin_memset(id, 0, sizeof(*id));
	if (d + 1 > (const __u8 *)end)
		return dicap_bucket_raw(data, end);
	DICAP_PKT_FRESH(d, d[0]);
	if (!dicap_parse_at(d, end, 0, DICAP_HDR_ETH, &lv))
		return dicap_bucket_raw(data, end);
	/* DICAP_MAX_ENCAP levels, written out: clang unrolls no loop with a break here */
	if (!(sel_flags & DICAP_SEL_TUNNEL_OUTER) && dicap_walk_level(d, end, &w, &lv))
		dicap_walk_level(d, end, &w, &lv);
	qoff = dicap_icmp_quote(d, end, w.base, &lv);
	if (qoff && !dicap_ident_level(d, end, qoff, DICAP_HDR_IP, &lv))
		dicap_walk_again(d, end, &w, &lv);
	if (id)
		__builtin_memcpy(id, &lv, sizeof(*id));
	return dicap_bucket_ident(mode, &lv);
}

DICAP_INLINE int dicap_select_ident(__u32 sel_flags, const void *data, const void *end,
				    struct dicap_pkt *id)
{
	dicap_select_walk(DICAP_MODE_FLOW, sel_flags, data, end, id);
	return (id->flags & DICAP_PF_ADDRS) != 0;
}

/* FLOW and HOST mode: dicap_select_walk(), a subprogram in BPF. */
DICAP_SELECT_SUBPROG __u16 dicap_bucket_deep(int mode, __u32 sel_flags, const void *data,
					     const void *end)
{
	return dicap_select_walk(mode, sel_flags, data, end, (struct dicap_pkt *)0);
}

/*
 * Could the walk find anything but dicap_parse()'s own identity in the
 * frame?  A conservative look at a few bytes: MPLS or PPPoE, ICMP or
 * ICMPv6, an IPv6 extension header, and unless DICAP_SEL_TUNNEL_OUTER a
 * tunnel protocol (4, 41, 47) or UDP destination port (4789, 6081, 2152).
 * 0 promises that the walk would hash exactly the fields dicap_parse()
 * reads (dicap_parse_at() reads the same ones the same way: t_parse checks
 * it on every corpus frame); 1 is only a maybe.  It reads through its own
 * pointer, so what it proves about the frame does not split the verifier's
 * walk of the parser after it.
 */
DICAP_INLINE int dicap_maybe_deep(__u32 sel_flags, const void *data, const void *end)
{
	const __u8 *e = (const __u8 *)end;
	const __u8 *d = (const __u8 *)data;
	const __u8 *ip, *l4;
	__u32 l3 = 0, hlen = DICAP_IPV6_HLEN;
	__u16 type;
	__u8 proto;

	if (d + 1 > e)
		return 0;
	DICAP_PKT_FRESH(d, d[0]);
	type = dicap_eth_type(d, e, &l3);
	if (type == DICAP_ETH_P_MPLS_UC || type == DICAP_ETH_P_MPLS_MC ||
	    type == DICAP_ETH_P_PPPOE_SES)
		return 1;
	if (type != DICAP_ETH_P_IPV4 && type != DICAP_ETH_P_IPV6)
		return 0;
	ip = d + l3;
	DICAP_PKT_PTR(ip);
	if (ip + DICAP_IPV6_HLEN > e && (type == DICAP_ETH_P_IPV6 || ip + DICAP_IPV4_HLEN > e))
		return 0;	/* no addresses: the raw rule either way */
	if (type == DICAP_ETH_P_IPV4) {
		proto = ip[9];
		hlen = (__u32)(ip[0] & 0x0f) * 4;
	} else {
		proto = ip[6];
		if (dicap_ipv6_is_ext(proto))
			return 1;
	}
	if (proto == DICAP_NH_ICMP || proto == DICAP_NH_ICMPV6)
		return 1;
	if (sel_flags & DICAP_SEL_TUNNEL_OUTER)
		return 0;
	if (proto == DICAP_NH_IPIP || proto == DICAP_NH_IPV6 || proto == DICAP_NH_GRE)
		return 1;
	if (proto != DICAP_NH_UDP)
		return 0;
	l4 = ip + hlen;
	DICAP_PKT_PTR(l4);
	if (l4 + 4 > e)
		return 0;	/* no ports: no UDP tunnel either way */
	type = dicap_get_be16(l4 + 2);
	return type == DICAP_UDP_VXLAN || type == DICAP_UDP_GENEVE || type == DICAP_UDP_GTPU;
}

/* The IPv4 fragment field's MF bit and offset. */
#define DICAP_IPV4_FRAG_BITS	(DICAP_IPV4_MF | DICAP_IPV4_OFFMASK)

/*
 * The usual frame, without the parser: IPv4 (under up to
 * DICAP_MAX_VLAN_TAGS tags) or IPv6, its fixed header captured.  IPID
 * mode: an IPv4 ID other than 0.  Otherwise: no IPv4 options and not a
 * fragment, an IPv6 header followed by no extension header, not ICMP,
 * and in FLOW and HOST mode nothing dicap_maybe_deep() would have the walk
 * open (a tunnel protocol or port, unless DICAP_SEL_TUNNEL_OUTER).  For
 * those the rules read only fields whose value packet.h promises whatever
 * the frame's class: the addresses, the protocol, the IPv4 ID, the IP
 * length and, as far as they are captured, the TCP, UDP or SCTP header's
 * ports, checksum and sequence number (the L4 header is where an IHL of 5
 * or the IPv6 header puts it).  So the bucket is the rules' on
 * dicap_parse()'s fields (IPID mode's IPv6 and ID 0 frames take the
 * PACKET rule), read straight from the frame: 1 and *@bucket set.  0 for
 * every other frame (the walk or the parser decides).  Reads through its
 * own pointer, as dicap_maybe_deep() does.
 */
DICAP_INLINE int dicap_quick_bucket(int mode, __u32 sel_flags, const void *data,
				    const void *end, __u16 *bucket)
{
	const __u8 *e = (const __u8 *)end;
	const __u8 *d = (const __u8 *)data;
	const __u8 *ip, *l4;
	__u32 l3 = 0, a0, a1 = 0, a2 = 0, a3 = 0, b0, b1 = 0, b2 = 0, b3 = 0;
	__u32 ports = 0, seq = 0, csum = 0, len, id = 0, h;
	int packet_rule = mode != DICAP_MODE_FLOW && mode != DICAP_MODE_HOST;
	int outer = (sel_flags & DICAP_SEL_TUNNEL_OUTER) != 0;
	__u16 type;
	__u8 proto, v;

	if (d + 1 > e)
		return 0;
	DICAP_PKT_FRESH(d, d[0]);
	type = dicap_eth_type(d, e, &l3);
	ip = d + l3;
	DICAP_PKT_PTR(ip);
	if (type == DICAP_ETH_P_IPV4) {
		if (ip + DICAP_IPV4_HLEN > e || (ip[0] >> 4) != 4)
			return 0;
		id = dicap_get_be16(ip + 4);
		if (mode == DICAP_MODE_IPID && id) {
			*bucket = dicap_mix16((__u16)id);
			return 1;
		}
		if (ip[0] != 0x45 || (dicap_get_be16(ip + 6) & DICAP_IPV4_FRAG_BITS))
			return 0;
		len = dicap_get_be16(ip + 2);
		proto = ip[9];
		a0 = dicap_get_be32(ip + 12);
		b0 = dicap_get_be32(ip + 16);
		l4 = ip + DICAP_IPV4_HLEN;
		v = DICAP_L3_IPV4;
	} else if (type == DICAP_ETH_P_IPV6) {
		if (ip + DICAP_IPV6_HLEN > e || (ip[0] >> 4) != 6)
			return 0;
		proto = ip[6];
		if (dicap_ipv6_is_ext(proto))
			return 0;
		len = dicap_get_be16(ip + 4);
		len = len > 0xffff - DICAP_IPV6_HLEN ? 0xffff : len + DICAP_IPV6_HLEN;
		a0 = dicap_get_be32(ip + 8);
		a1 = dicap_get_be32(ip + 12);
		a2 = dicap_get_be32(ip + 16);
		a3 = dicap_get_be32(ip + 20);
		b0 = dicap_get_be32(ip + 24);
		b1 = dicap_get_be32(ip + 28);
		b2 = dicap_get_be32(ip + 32);
		b3 = dicap_get_be32(ip + 36);
		l4 = ip + DICAP_IPV6_HLEN;
		v = DICAP_L3_IPV6;
	} else {
		return 0;
	}
	if (proto == DICAP_NH_ICMP || proto == DICAP_NH_ICMPV6)
		return 0;
	if (!packet_rule && !outer &&
	    (proto == DICAP_NH_IPIP || proto == DICAP_NH_IPV6 || proto == DICAP_NH_GRE))
		return 0;
	DICAP_PKT_PTR(l4);
	if ((proto == DICAP_NH_TCP || proto == DICAP_NH_UDP || proto == DICAP_NH_SCTP) &&
	    l4 + 4 <= e) {
		ports = dicap_get_be32(l4);
		if (!packet_rule && !outer && proto == DICAP_NH_UDP &&
		    ((ports & 0xffff) == DICAP_UDP_VXLAN || (ports & 0xffff) == DICAP_UDP_GENEVE ||
		     (ports & 0xffff) == DICAP_UDP_GTPU))
			return 0;
		if (proto == DICAP_NH_TCP && l4 + 20 <= e) {
			seq = dicap_get_be32(l4 + 4);
			csum = dicap_get_be16(l4 + 16);
		} else if (proto == DICAP_NH_UDP && l4 + 8 <= e) {
			csum = dicap_get_be16(l4 + 6);
		} else if (proto == DICAP_NH_SCTP && l4 + 12 <= e) {
			csum = dicap_get_be16(l4 + 10);
		}
	}
	if (packet_rule) {	/* dicap_bucket_packet(), a fragment's offset 0 */
		h = dicap_hash_word(DICAP_HASH_SEED, id);
		h = dicap_hash_word(h, csum << 16 | len);
		h = dicap_hash_word(h, seq);
		h = dicap_hash_word(h, ports);
		h = dicap_hash_word(h, (__u32)proto << 8 | v);
		h = dicap_hash_addr_words(h, a0, a1, a2, a3);
		h = dicap_hash_addr_words(h, b0, b1, b2, b3);
	} else if (mode == DICAP_MODE_HOST) {	/* dicap_bucket_host() */
		h = dicap_fmix32(dicap_hash_addr_words(DICAP_HASH_HOST_SEED, a0, a1, a2, a3)) +
		    dicap_fmix32(dicap_hash_addr_words(DICAP_HASH_HOST_SEED, b0, b1, b2, b3));
		h = dicap_hash_word(h, v);
	} else {	/* dicap_bucket_flow(), not a fragment */
		h = dicap_fmix32(dicap_hash_word(dicap_hash_addr_words(DICAP_HASH_FLOW_SEED,
								       a0, a1, a2, a3),
						 ports >> 16)) +
		    dicap_fmix32(dicap_hash_word(dicap_hash_addr_words(DICAP_HASH_FLOW_SEED,
								       b0, b1, b2, b3),
						 ports & 0xffff));
		h = dicap_hash_word(h, (__u32)proto << 8 | v);
	}
	*bucket = dicap_hash_to_bucket(h);
	return 1;
}

/*
 * The bucket of the frame [data, end) in @mode: what a frame costs a node
 * that does not own it, so it reads only what the mode needs.  The usual
 * frame: dicap_quick_bucket().  The others, in FLOW and HOST mode: the
 * walk (dicap_select_walk()) for a frame that may hold a deeper identity,
 * the rule on dicap_parse()'s fields for the rest; in IPID and PACKET
 * mode (and any unknown one, which takes the PACKET rule) the parse and
 * the rule.  The quick test and the walk run before
 * the parse: in BPF the walk's subprogram is then called from one state,
 * ahead of the parser's paths, and the verifier walks it once rather
 * than once per parser path.
 */
DICAP_INLINE __u16 dicap_frame_bucket(int mode, __u32 sel_flags, const void *data,
				      const void *end)
{
	const __u8 *d = (const __u8 *)data;
	__u32 x = 0, m = (__u32)mode;
	struct dicap_pkt p;
	__u16 bucket = 0;

	if (m == DICAP_MODE_RR)
		return 0;
	if (dicap_quick_bucket(mode, sel_flags, data, end, &bucket))
		return bucket;
	/* one range test, not two compares: @mode stays unknown to the verifier */
	if (m - DICAP_MODE_FLOW <= DICAP_MODE_HOST - DICAP_MODE_FLOW &&
	    dicap_maybe_deep(sel_flags, data, end))
		return dicap_bucket_deep(mode, sel_flags, data, end);
	/*
	 * The parser is then walked once, not once for each range of the
	 * mode: the verifier forgets it (its value stays).
	 */
	if (d + 1 <= (const __u8 *)end)
		x = d[0];
	DICAP_FORGET(m, 0xffffffffu, x);
	dicap_parse(data, end, &p);
	return dicap_bucket((int)m, &p, data, end);
}

DICAP_INLINE __u16 dicap_select_bucket(int mode, __u32 sel_flags, const void *data,
				       const void *end, struct dicap_pkt *p)
{
	/*
	 * In BPF, the two are better apart: inlined one after the other, the
	 * verifier walks the second once per way the first ends
	 * (tests/bpf/select_test.bpf.c calls them from separate functions).
	 */
	dicap_parse(data, end, p);
	return dicap_frame_bucket(mode, sel_flags, data, end);
}

DICAP_INLINE __u32 dicap_rr_owner(__u64 c, __u32 n)
{
	if (n == 0)
		return 0;
	return (__u32)(c % n);
}

#endif /* DICAP_SELECT_IMPL_H */
