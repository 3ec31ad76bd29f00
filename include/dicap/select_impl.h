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

/* The four words of a 16-byte address in network byte order. */
DICAP_INLINE __u32 dicap_hash_addr(__u32 h, const __u8 *a)
{
	h = dicap_hash_word(h, dicap_field_be32(a));
	h = dicap_hash_word(h, dicap_field_be32(a + 4));
	h = dicap_hash_word(h, dicap_field_be32(a + 8));
	return dicap_hash_word(h, dicap_field_be32(a + 12));
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
 * What dicap_select_walk() carries from one level to the next, all
 * scalars: the bucket so far, where the packet it last read starts, and
 * where that packet's ICMP error quote starts (0 if none).
 */
struct dicap_walk {
	__u32 base;
	__u32 qoff;
	__u16 bucket;
};

/* One more tunnel level into @lv: 1 if read (and hashed), else 0. */
DICAP_INLINE int dicap_walk_level(int mode, const void *data, const void *end,
				  struct dicap_walk *w, struct dicap_pkt *lv,
				  struct dicap_pkt *id)
{
	int hdr = DICAP_HDR_ETH;
	__u32 next = dicap_encap(data, end, w->base, lv, &hdr);

	if (!dicap_ident_level(data, end, next, hdr, lv))
		return 0;
	w->bucket = dicap_bucket_ident(mode, lv);
	if (id)
		__builtin_memcpy(id, lv, sizeof(*id));
	w->base = next;
	w->qoff = dicap_icmp_quote(data, end, next, lv);
	return 1;
}

/*
 * The walk of dicap_select_ident(), and FLOW or HOST mode's bucket of what
 * it finds.  One parse buffer: each level is hashed as soon as it is read,
 * and what the next level needs (where it starts, and where the quote of
 * an ICMP error starts) is taken from it before the next parse overwrites
 * it.  So in BPF only scalars go from one level to the next, and the
 * verifier's work adds up over the levels instead of multiplying.  @id,
 * if not NULL, gets a copy of the identity hashed (zeros: the raw rule).
 */
DICAP_INLINE __u16 dicap_select_walk(int mode, __u32 sel_flags, const void *data,
				     const void *end, struct dicap_pkt *id)
{
	struct dicap_walk w = { 0, 0, 0 };
	const __u8 *d = (const __u8 *)data;
	struct dicap_pkt lv;

	if (id)
		__builtin_memset(id, 0, sizeof(*id));
	if (d + 1 > (const __u8 *)end)
		return dicap_bucket_raw(data, end);
	DICAP_PKT_FRESH(d, d[0]);
	if (!dicap_parse_at(d, end, 0, DICAP_HDR_ETH, &lv))
		return dicap_bucket_raw(data, end);
	w.bucket = dicap_bucket_ident(mode, &lv);
	if (id)
		__builtin_memcpy(id, &lv, sizeof(*id));
	w.qoff = dicap_icmp_quote(d, end, 0, &lv);
	/* DICAP_MAX_ENCAP levels, written out: clang unrolls no loop with a break here */
	if (!(sel_flags & DICAP_SEL_TUNNEL_OUTER) &&
	    dicap_walk_level(mode, d, end, &w, &lv, id))
		dicap_walk_level(mode, d, end, &w, &lv, id);
	if (dicap_ident_level(d, end, w.qoff, DICAP_HDR_IP, &lv)) {
		w.bucket = dicap_bucket_ident(mode, &lv);
		if (id)
			__builtin_memcpy(id, &lv, sizeof(*id));
	}
	return w.bucket;
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
 * FLOW and HOST mode take the bucket from the walk for every frame, before
 * the outer parse: one code path for the identity of plain and tunnelled
 * frames alike, and in BPF the walk's subprogram is then called from one
 * state, ahead of the parser's paths, so that the verifier walks it once.
 * The outer parse follows for @p (the counters).
 */
DICAP_INLINE __u16 dicap_select_bucket(int mode, __u32 sel_flags, const void *data,
				       const void *end, struct dicap_pkt *p)
{
	__u16 bucket = 0;

	/* one range test, not two compares: @mode stays unknown to the verifier */
	if ((__u32)mode - DICAP_MODE_FLOW <= DICAP_MODE_HOST - DICAP_MODE_FLOW)
		bucket = dicap_bucket_deep(mode, sel_flags, data, end);
	dicap_parse(data, end, p);
	if (mode == DICAP_MODE_RR || (__u32)mode - DICAP_MODE_FLOW <= DICAP_MODE_HOST - DICAP_MODE_FLOW)
		return bucket;
	return dicap_bucket(mode, p, data, end);
}

DICAP_INLINE __u32 dicap_rr_owner(__u64 c, __u32 n)
{
	if (n == 0)
		return 0;
	return (__u32)(c % n);
}

#endif /* DICAP_SELECT_IMPL_H */
