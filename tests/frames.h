/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test frames: a deterministic corpus of well-formed, truncated and
 * malformed frames, each with the parse result it should get, built with
 * the library's frame builder (lib/framegen.h).  Header-only, every
 * function static, shared by the parser, selection and fuzz-seed tests.
 *
 * Every frame that has room carries FRAME_MARKER followed by a big-endian
 * 32-bit sequence number in its payload; frame_seq() finds it again.
 * Frames are padded to FRAME_MIN_LEN bytes except deliberately short ones.
 */
#ifndef DICAP_TEST_FRAMES_H
#define DICAP_TEST_FRAMES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "framegen.h"
#include "dicap/packet.h"

#define FRAME_MIN_LEN		DICAP_FRAME_MIN_LEN
#define FRAME_MARKER		DICAP_FRAME_MARKER
#define FRAMES_CORPUS_MAX	8192		/* frames_corpus() never returns more */

/* The tests' names for the builder's types. */
#define frame_spec		dicap_frame_spec
#define frame_layout		dicap_frame_layout
#define frame_frag		dicap_frame_frag
#define FRAG_NONE		DICAP_FRAG_NONE
#define FRAG_FIRST		DICAP_FRAG_FIRST
#define FRAG_MIDDLE		DICAP_FRAG_MIDDLE
#define FRAG_LAST		DICAP_FRAG_LAST
#define FRAG_ATOMIC		DICAP_FRAG_ATOMIC

struct frame {
	uint8_t buf[512];
	size_t len;
	char desc[64];
};

/*
 * Expected parse result.  exact: every field of pkt must match; otherwise
 * only cls, reason and the DICAP_PF_VLAN_DEEP / DICAP_PF_EXT_DEEP flags.
 * any: garbage, the class is not predicted (only sanity can be checked).
 */
struct frame_expect {
	struct dicap_pkt pkt;
	int exact;
	int any;
};

static inline uint32_t frames_rand(uint32_t *st)
{
	uint32_t x = *st ? *st : 0x2545f491u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* A well-stirred, never-zero RNG state from two numbers. */
static inline uint32_t frames_mix(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca6bu;

	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h ? h : 1;
}

static inline void frames_desc(struct frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void frames_desc(struct frame *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->desc, sizeof(f->desc), fmt, ap);
	va_end(ap);
}

static inline uint32_t frames_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	return dicap_csum_add(sum, p, n);
}

static inline uint16_t frames_fold(uint32_t sum)
{
	return dicap_csum_fold(sum);
}

static inline uint32_t frames_crc32c(const uint8_t *p, size_t n)
{
	return dicap_crc32c(p, n);
}

static inline int frames_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static inline int frames_is_echo(int ipver, uint8_t type)
{
	return dicap_frame_is_echo(ipver, type);
}

/* L4 header bytes the parser reads for @proto; 0 if it reads none. */
static inline size_t frames_l4_hdr(int ipver, uint8_t proto)
{
	return dicap_frame_l4_hdr(ipver, proto);
}

/*
 * Builds @s into @f.  Returns 0, or -1 if it does not fit in the buffer.
 * The description is left to the caller.
 */
static inline int frame_build(const struct frame_spec *s, struct frame *f,
		       struct frame_layout *lo)
{
	memset(f, 0, sizeof(*f));
	return dicap_frame_build(s, f->buf, sizeof(f->buf), &f->len, lo);
}

/* The parse result a well-formed frame built from @s must get. */
static inline void frame_expect_ok(const struct frame_spec *s, const struct frame *f,
			    const struct frame_layout *lo, struct dicap_pkt *e)
{
	size_t alen = s->ipver == 6 ? 16 : 4;
	int nonfirst = s->frag == FRAG_MIDDLE || s->frag == FRAG_LAST;

	memset(e, 0, sizeof(*e));
	e->vlan_depth = (uint8_t)s->ntags;
	if (s->ntags)
		e->flags |= DICAP_PF_VLAN;
	e->ethertype = dicap_get_be16(f->buf + lo->l3_off - 2);
	if (!s->ipver) {
		e->cls = DICAP_PKT_NON_IP;
		return;
	}
	e->cls = DICAP_PKT_OK;
	e->flags |= DICAP_PF_ADDRS;
	e->l3 = (uint8_t)s->ipver;
	e->l3_off = (uint16_t)lo->l3_off;
	e->l4_off = (uint16_t)lo->l4_off;
	e->l4proto = s->proto;
	e->ttl = s->ttl;
	e->ip_len = (uint16_t)(lo->ip_end - lo->l3_off);
	memcpy(e->saddr, s->saddr, alen);
	memcpy(e->daddr, s->daddr, alen);
	if (s->ipver == 4) {
		e->ip_id = s->ip_id & 0xffff;
		if (s->v4opt)
			e->flags |= DICAP_PF_IPOPT;
	} else {
		if (s->next || s->frag != FRAG_NONE)
			e->flags |= DICAP_PF_IPV6_EXT;
		if (s->frag != FRAG_NONE)
			e->ip_id = s->ip_id;
	}
	if (s->frag != FRAG_NONE && !(s->ipver == 4 && s->frag == FRAG_ATOMIC))
		e->flags |= DICAP_PF_FRAG;
	if (s->frag == FRAG_FIRST || (s->ipver == 6 && s->frag == FRAG_ATOMIC))
		e->flags |= DICAP_PF_FRAG_FIRST;
	if (nonfirst) {
		e->frag_off = s->frag_off;
		return;
	}
	if (!lo->l4_hdr)
		return;
	e->flags |= DICAP_PF_L4CSUM;
	e->l4_csum = lo->l4_csum;
	if (s->proto == 6 || s->proto == 17 || s->proto == 132) {
		e->flags |= DICAP_PF_PORTS;
		e->sport = s->sport;
		e->dport = s->dport;
	}
	if (s->proto == 6) {
		e->flags |= DICAP_PF_TCPSEQ;
		e->tcp_seq = s->tcp_seq;
	}
	if ((s->proto == 1 || s->proto == 58) && frames_is_echo(s->ipver, s->icmp_type)) {
		e->flags |= DICAP_PF_TCPSEQ;
		e->tcp_seq = (uint32_t)s->sport << 16 | s->dport;
	}
}

/* Finds the sequence number the builder put in @f.  Returns 1 if found. */
static inline int frame_seq(const struct frame *f, uint32_t *seq)
{
	size_t len = f->len < sizeof(f->buf) ? f->len : sizeof(f->buf);

	return dicap_frame_seq(f->buf, len, seq);
}

/*
 * Invariants every dicap_parse() result must hold for a frame of @len
 * captured bytes, whatever the bytes.  Returns NULL, or the broken rule.
 */
static inline const char *frame_pkt_insane(const struct dicap_pkt *p, size_t len)
{
	static const uint8_t zero[16];
	uint16_t l4pf = DICAP_PF_PORTS | DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ;
	size_t fixed = p->l3 == DICAP_L3_IPV6 ? 40 : 20;

	if (p->cls > DICAP_PKT_MALFORMED || p->reason > DICAP_PR_L4_HDR)
		return "class or reason out of range";
	if ((p->cls == DICAP_PKT_OK || p->cls == DICAP_PKT_NON_IP) != (p->reason == DICAP_PR_NONE))
		return "reason given for OK/NON_IP, or missing";
	if (p->flags & ~0x07ff)
		return "unknown flag";
	if (p->vlan_depth > DICAP_MAX_VLAN_TAGS || !p->vlan_depth != !(p->flags & DICAP_PF_VLAN))
		return "vlan depth and flag disagree";
	if ((p->flags & DICAP_PF_VLAN_DEEP) &&
	    (p->cls != DICAP_PKT_MALFORMED || p->reason != DICAP_PR_VLAN_DEPTH))
		return "VLAN_DEEP without MALFORMED/VLAN_DEPTH";
	if ((p->flags & DICAP_PF_EXT_DEEP) &&
	    (p->cls != DICAP_PKT_MALFORMED || p->reason != DICAP_PR_IPV6_EXT))
		return "EXT_DEEP without MALFORMED/IPV6_EXT";
	if (!(p->flags & DICAP_PF_ADDRS) != (p->l3 == DICAP_L3_NONE))
		return "ADDRS and l3 disagree";
	if ((p->flags & l4pf) && !p->l4_off)
		return "L4 fields without an L4 header";
	if ((p->flags & DICAP_PF_FRAG_FIRST) && !(p->flags & DICAP_PF_FRAG))
		return "FRAG_FIRST without FRAG";
	if ((p->flags & DICAP_PF_FRAG) && !(p->flags & DICAP_PF_FRAG_FIRST) &&
	    (p->l4_off || (p->flags & l4pf) || !p->frag_off))
		return "non-first fragment with L4 or offset 0";
	if (!(p->flags & DICAP_PF_PORTS) && (p->sport || p->dport))
		return "ports without PORTS";
	if (!(p->flags & DICAP_PF_L4CSUM) && p->l4_csum)
		return "checksum without L4CSUM";
	if (!(p->flags & DICAP_PF_TCPSEQ) && p->tcp_seq)
		return "tcp_seq without TCPSEQ";
	if (p->cls == DICAP_PKT_OK && p->l3 == DICAP_L3_NONE)
		return "OK without L3";
	if (p->l3 != DICAP_L3_NONE && p->l3 != DICAP_L3_IPV4 && p->l3 != DICAP_L3_IPV6)
		return "bad l3";
	if (p->l3 == DICAP_L3_NONE) {
		if (p->l3_off || p->l4_off || p->ip_len || p->ttl || p->ip_id ||
		    p->l4proto || p->frag_off || (p->flags & ~0x0101) ||
		    memcmp(p->saddr, zero, 16) || memcmp(p->daddr, zero, 16))
			return "IP fields without L3";
		return NULL;
	}
	if (p->cls == DICAP_PKT_NON_IP)
		return "NON_IP with L3";
	if (p->l3_off < 14 || p->l3_off > 14 + 4 * DICAP_MAX_VLAN_TAGS ||
	    p->l3_off + fixed > len)
		return "l3_off out of range";
	if (p->l3 == DICAP_L3_IPV4 && (memcmp(p->saddr + 4, zero, 12) ||
				       memcmp(p->daddr + 4, zero, 12) || p->ip_id > 0xffff))
		return "IPv4 fields wider than IPv4";
	if (p->l3 == DICAP_L3_IPV4 && (p->flags & (DICAP_PF_IPV6_EXT | DICAP_PF_EXT_DEEP)))
		return "IPv6 flags on IPv4";
	if (p->l3 == DICAP_L3_IPV6 && (p->flags & DICAP_PF_IPOPT))
		return "IPv4 flag on IPv6";
	if (p->cls == DICAP_PKT_OK && (size_t)p->l3_off + p->ip_len > len)
		return "OK but the IP packet is not all there";
	if (p->l4_off && (p->l4_off < p->l3_off + fixed || p->l4_off > len))
		return "l4_off out of range";
	if (p->cls == DICAP_PKT_OK && p->l4_off > p->l3_off + p->ip_len)
		return "l4_off beyond the IP packet";
	if ((p->flags & DICAP_PF_PORTS) && (size_t)p->l4_off + 4 > len)
		return "ports not captured";
	if ((p->flags & (DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ)) && (size_t)p->l4_off + 8 > len)
		return "L4 header fields not captured";
	return NULL;
}

static inline void frames_rand_addr(uint32_t *rng, int ipver, uint8_t *a)
{
	int i;

	memset(a, 0, 16);
	if (ipver == 4) {
		dicap_put_be32(a, frames_rand(rng));
		a[0] = (uint8_t)(10 + a[0] % 200);	/* keep clear of 0/8, multicast */
		return;
	}
	dicap_put_be16(a, 0x2001);
	dicap_put_be16(a + 2, 0x0db8);
	for (i = 4; i < 16; i += 4)
		dicap_put_be32(a + i, frames_rand(rng));
}

static inline uint16_t frames_rand_port(uint32_t *rng)
{
	static const uint16_t common[] = { 22, 53, 80, 123, 443, 2049, 5060, 9899 };
	uint32_t r = frames_rand(rng);

	if (r % 3 == 0)
		return common[(r >> 8) % 8];
	return (uint16_t)(1024 + (r >> 8) % 64512);
}

/* An IP ID that is sometimes 0 (as with DF set, Linux) and often random. */
static inline uint32_t frames_rand_id(uint32_t *rng)
{
	uint32_t r = frames_rand(rng);

	return r % 8 == 0 ? 0 : frames_rand(rng);
}

/* Random fields for a unicast flow: addresses, ports, IDs, seq, TTL. */
static inline void frames_rand_fields(uint32_t *rng, struct frame_spec *s)
{
	frames_rand_addr(rng, s->ipver, s->saddr);
	frames_rand_addr(rng, s->ipver, s->daddr);
	s->sport = frames_rand_port(rng);
	s->dport = frames_rand_port(rng);
	s->ip_id = frames_rand_id(rng);
	s->ttl = (uint8_t)(1 + frames_rand(rng) % 255);
	s->tcp_seq = frames_rand(rng);
	s->frag_csum = (uint16_t)frames_rand(rng);
	s->frag_off = (uint16_t)(1 + frames_rand(rng) % 8000);
	s->paylen = (int)(frames_rand(rng) % 48);
}

/*
 * A well-formed flow pair: the same flow in both directions.  Kinds, by i:
 * 0..23: IPv4/IPv6 (i / 12) x none/802.1Q/QinQ ((i / 4) % 3) x
 *        TCP/UDP/SCTP/ICMP echo (i % 4; ICMPv6 on IPv6, reply on rev);
 * 24..27: UDP fragments: IPv4 first, IPv4 non-first, IPv6 first, IPv6
 *        non-first.
 * Sequence numbers: fwd carries seed + 2 i, rev seed + 2 i + 1.
 * Returns 0 (and builds nothing) when i is past the last kind.
 */
static inline int frames_flow_pair(unsigned i, uint32_t seed, struct frame *fwd,
			    struct frame *rev)
{
	static const char *const vname[] = { "", "-vlan", "-qinq" };
	static const uint8_t l4_kinds[] = { 6, 17, 132, 1 };
	struct frame_spec s, r;
	struct frame_layout lo;
	uint32_t rng = frames_mix(seed, i);
	const char *l4name;

	if (i >= 28)
		return 0;
	memset(&s, 0, sizeof(s));
	if (i < 24) {
		s.ipver = i < 12 ? 4 : 6;
		s.ntags = (int)(i / 4 % 3);
		s.proto = l4_kinds[i % 4];
	} else {
		s.ipver = i < 26 ? 4 : 6;
		s.proto = 17;
		s.frag = i % 2 ? FRAG_MIDDLE : FRAG_FIRST;
	}
	frames_rand_fields(&rng, &s);
	if (s.proto == 1 && s.ipver == 6)
		s.proto = 58;
	s.icmp_type = s.ipver == 4 ? 8 : 128;
	s.seq = seed + 2 * i;

	r = s;
	memcpy(r.saddr, s.daddr, 16);
	memcpy(r.daddr, s.saddr, 16);
	if (s.proto == 1 || s.proto == 58) {
		r.icmp_type = s.ipver == 4 ? 0 : 129;
	} else {
		r.sport = s.dport;
		r.dport = s.sport;
	}
	r.ip_id = frames_rand_id(&rng);
	r.tcp_seq = frames_rand(&rng);
	r.ttl = (uint8_t)(1 + frames_rand(&rng) % 255);
	r.frag_csum = (uint16_t)frames_rand(&rng);
	r.paylen = (int)(frames_rand(&rng) % 48);
	r.seq = s.seq + 1;

	if (frame_build(&s, fwd, &lo) || frame_build(&r, rev, &lo))
		return 0;
	switch (s.proto) {
	case 6: l4name = "tcp"; break;
	case 17: l4name = "udp"; break;
	case 132: l4name = "sctp"; break;
	default: l4name = "icmp-echo"; break;
	}
	if (i < 24) {
		frames_desc(fwd, "pair%u v%d-%s%s fwd", i, s.ipver, l4name, vname[s.ntags]);
		frames_desc(rev, "pair%u v%d-%s%s rev", i, s.ipver, l4name, vname[s.ntags]);
	} else {
		const char *fk = s.frag == FRAG_FIRST ? "first" : "nonfirst";

		frames_desc(fwd, "pair%u v%d-udp-frag-%s fwd", i, s.ipver, fk);
		frames_desc(rev, "pair%u v%d-udp-frag-%s rev", i, s.ipver, fk);
	}
	return 1;
}

/* Corpus assembly. */
struct frames_ctx {
	struct frame *out;
	struct frame_expect *exp;
	size_t max;
	size_t n;
	uint32_t seq;
};

static inline void frames_push(struct frames_ctx *c, const struct frame *f,
			const struct frame_expect *e)
{
	if (c->n >= c->max)
		return;
	c->out[c->n] = *f;
	if (c->exp)
		c->exp[c->n] = *e;
	c->n++;
}

/* Pushes a frame expected to parse with @cls/@reason (and @deep flags). */
static inline void frames_push_class(struct frames_ctx *c, const struct frame *f,
			      int cls, int reason, uint16_t deep)
{
	struct frame_expect e;

	memset(&e, 0, sizeof(e));
	e.pkt.cls = (uint8_t)cls;
	e.pkt.reason = (uint8_t)reason;
	e.pkt.flags = deep;
	frames_push(c, f, &e);
}

static inline void frames_push_any(struct frames_ctx *c, const struct frame *f)
{
	struct frame_expect e;

	memset(&e, 0, sizeof(e));
	e.any = 1;
	frames_push(c, f, &e);
}

/* Builds @s, pushes it with its exact expected result. */
static inline void frames_push_ok(struct frames_ctx *c, struct frame_spec *s,
			   const char *desc)
{
	struct frame f;
	struct frame_layout lo;
	struct frame_expect e;

	s->seq = c->seq++;
	if (frame_build(s, &f, &lo))
		return;
	frames_desc(&f, "%s", desc);
	memset(&e, 0, sizeof(e));
	frame_expect_ok(s, &f, &lo, &e.pkt);
	e.exact = 1;
	frames_push(c, &f, &e);
}

static inline void frames_base(uint32_t *rng, struct frame_spec *s, int ipver, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	s->ipver = ipver;
	s->proto = proto;
	frames_rand_fields(rng, s);
	s->icmp_type = ipver == 4 ? 8 : 128;
}

/*
 * Reason the parser must give for the frame of @lo cut to @len bytes, or
 * DICAP_PR_NONE when the cut only removed Ethernet padding.  Assumes a
 * TCP header without options.
 */
static inline int frames_cut_reason(const struct frame_spec *s, const struct frame_layout *lo,
			     size_t len)
{
	size_t fixed = s->ipver == 6 ? 40 : 20;

	if (len < 14)
		return DICAP_PR_SHORT_ETH;
	if (len < lo->l3_off)
		return DICAP_PR_SHORT_VLAN;
	if (len < lo->l3_off + fixed)
		return DICAP_PR_SHORT_IP;
	if (s->ipver == 4 && len < lo->l3_off + fixed + (size_t)s->v4opt)
		return DICAP_PR_IP_IHL;
	if (s->ipver == 6 && len < lo->ext_end)
		return DICAP_PR_IPV6_EXT;
	if (lo->l4_hdr && len < lo->l4_off + lo->l4_hdr)
		return DICAP_PR_SHORT_L4;
	if (len < lo->ip_end)
		return DICAP_PR_IP_TOTLEN;
	return DICAP_PR_NONE;
}

/* Every prefix of a well-formed frame: TRUNCATED, or OK once only padding is gone. */
static inline void frames_add_prefixes(struct frames_ctx *c, struct frame_spec *s,
				const char *name)
{
	struct frame f, g;
	struct frame_layout lo;
	size_t len;

	s->seq = c->seq++;
	if (frame_build(s, &f, &lo))
		return;
	for (len = 0; len < f.len; len++) {
		int reason = frames_cut_reason(s, &lo, len);

		g = f;
		g.len = len;
		frames_desc(&g, "%s cut %zu", name, len);
		if (reason == DICAP_PR_NONE) {
			struct frame_expect e;

			memset(&e, 0, sizeof(e));
			frame_expect_ok(s, &f, &lo, &e.pkt);
			e.exact = 1;
			frames_push(c, &g, &e);
		} else {
			frames_push_class(c, &g, DICAP_PKT_TRUNCATED, reason, 0);
		}
	}
}

static inline void frames_add_prefix_set(struct frames_ctx *c, uint32_t *rng)
{
	struct frame_spec s;

	frames_base(rng, &s, 4, 6);
	s.ntags = 2;
	s.v4opt = 8;
	frames_add_prefixes(c, &s, "v4-tcp-qinq-opt");

	frames_base(rng, &s, 6, 6);
	s.next = 3;
	s.ext[0] = 0;
	s.ext[1] = 43;
	s.ext[2] = 60;
	s.extlen = 1;
	frames_add_prefixes(c, &s, "v6-tcp-hbh-rt-dst");

	frames_base(rng, &s, 6, 17);
	s.ntags = 1;
	s.frag = FRAG_FIRST;
	frames_add_prefixes(c, &s, "v6-udp-vlan-frag1");

	frames_base(rng, &s, 4, 132);
	frames_add_prefixes(c, &s, "v4-sctp");

	frames_base(rng, &s, 6, 58);
	s.next = 1;
	s.ext[0] = 51;
	frames_add_prefixes(c, &s, "v6-icmp6-ah");

	/* Short payload: most prefixes keep the IP packet but lose padding. */
	frames_base(rng, &s, 4, 17);
	s.paylen = 0;
	s.no_seq = 1;
	frames_add_prefixes(c, &s, "v4-udp-padded");
}

static inline void frames_add_non_ip(struct frames_ctx *c, uint32_t *rng)
{
	static const uint8_t arp[28] = {
		0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
		0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
	};
	static const uint8_t lldp[] = {
		2, 7, 4, 2, 0, 0x5e, 0, 0, 1, 4, 4, 5, 'e', 't', 'h', '0',
		6, 2, 0, 120, 0, 0,
	};
	static const uint8_t stp[] = {		/* LLC + config BPDU start */
		0x42, 0x42, 0x03, 0, 0, 0, 0, 0x80, 0, 2, 0, 0, 0, 0, 1,
	};
	struct frame_spec s;
	int tags;

	for (tags = 0; tags <= 2; tags++) {
		memset(&s, 0, sizeof(s));
		s.ntags = tags;
		s.ethertype = 0x0806;
		s.raw = arp;
		s.rawlen = sizeof(arp);
		frames_push_ok(c, &s, tags == 0 ? "arp" : tags == 1 ? "arp-vlan" : "arp-qinq");
	}
	memset(&s, 0, sizeof(s));
	s.ethertype = 0x88cc;
	s.raw = lldp;
	s.rawlen = sizeof(lldp);
	frames_push_ok(c, &s, "lldp");
	memset(&s, 0, sizeof(s));
	s.ethertype = (uint16_t)(sizeof(stp) + 8);	/* 802.3 length field */
	s.raw = stp;
	s.rawlen = sizeof(stp);
	frames_push_ok(c, &s, "802.3-stp");
	s.ethertype = 0x05ff;
	frames_push_ok(c, &s, "802.3-len-05ff");
	memset(&s, 0, sizeof(s));
	s.ethertype = (uint16_t)(0x0600 + frames_rand(rng) % 0x100);
	frames_push_ok(c, &s, "ethertype-0x06xx");
	s.ethertype = 0x8847;			/* MPLS: not parsed */
	frames_push_ok(c, &s, "mpls");
}

static inline void frames_add_vlan_deep(struct frames_ctx *c, uint32_t *rng)
{
	struct frame_spec s;
	struct frame_layout lo;
	struct frame f;
	int tags;

	for (tags = 3; tags <= 5; tags++) {
		frames_base(rng, &s, 4, 17);
		s.ntags = tags;
		s.seq = c->seq++;
		if (frame_build(&s, &f, &lo))
			continue;
		frames_desc(&f, "vlan-%d-tags", tags);
		frames_push_class(c, &f, DICAP_PKT_MALFORMED, DICAP_PR_VLAN_DEPTH,
				  DICAP_PF_VLAN_DEEP);
	}
}

/* Builds @s, lets @mut damage it, pushes it with the given class. */
static inline void frames_add_damaged(struct frames_ctx *c, struct frame_spec *s,
			       void (*mut)(struct frame *, const struct frame_layout *, int),
			       int arg, const char *desc, int cls, int reason, uint16_t deep)
{
	struct frame f;
	struct frame_layout lo;

	s->seq = c->seq++;
	if (frame_build(s, &f, &lo))
		return;
	mut(&f, &lo, arg);
	frames_desc(&f, "%s", desc);
	frames_push_class(c, &f, cls, reason, deep);
}

static inline void frames_damage(struct frame *f, const struct frame_layout *lo,
				 int kind, int v)
{
	dicap_frame_damage(f->buf, &f->len, sizeof(f->buf), lo, kind, v);
}

static inline void frames_mut_ihl(struct frame *f, const struct frame_layout *lo, int ihl)
{
	frames_damage(f, lo, DICAP_DMG_IHL, ihl);
}

static inline void frames_mut_totlen(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_TOTLEN, v);
}

/* v > 0: add v to the IPv4 total length / IPv6 payload length. */
static inline void frames_mut_grow(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_GROW, v);
}

/* IHL 15 (60 bytes) with a total length that admits it, in a short frame. */
static inline void frames_mut_ihl_long(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_IHL_LONG, v);
}

static inline void frames_mut_plen(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_PLEN, v);
}

static inline void frames_mut_version(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_VERSION, v);
}

static inline void frames_mut_cut(struct frame *f, const struct frame_layout *lo, int at)
{
	frames_damage(f, lo, DICAP_DMG_CUT, at);
}

static inline void frames_mut_cut_l4(struct frame *f, const struct frame_layout *lo, int keep)
{
	frames_damage(f, lo, DICAP_DMG_CUT_L4, keep);
}

static inline void frames_mut_doff(struct frame *f, const struct frame_layout *lo, int doff)
{
	frames_damage(f, lo, DICAP_DMG_DOFF, doff);
}

static inline void frames_mut_udplen(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_UDPLEN, v);
}

/* Sets byte @lo->ext_off + v / 256 to v % 256. */
static inline void frames_mut_ext_byte(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_EXT_BYTE, v);
}

/* Garbage after the IP packet, inside the Ethernet padding. */
static inline void frames_mut_pad(struct frame *f, const struct frame_layout *lo, int v)
{
	frames_damage(f, lo, DICAP_DMG_PAD, v);
}

static inline void frames_add_ipv4_bad(struct frames_ctx *c, uint32_t *rng)
{
	struct frame_spec s;
	int ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		char d[64];

		frames_base(rng, &s, 4, 6);
		snprintf(d, sizeof(d), "v4-ihl-%d", ihl);
		frames_add_damaged(c, &s, frames_mut_ihl, ihl, d,
				   DICAP_PKT_MALFORMED, DICAP_PR_IP_IHL, 0);
	}
	/* IHL 15 = 60 header bytes, total length fits, frame is too short */
	frames_base(rng, &s, 4, 17);
	s.paylen = 0;
	frames_add_damaged(c, &s, frames_mut_ihl_long, 80, "v4-ihl-beyond-caplen",
			   DICAP_PKT_TRUNCATED, DICAP_PR_IP_IHL, 0);
	frames_base(rng, &s, 4, 17);
	s.paylen = 0;
	frames_add_damaged(c, &s, frames_mut_ihl, 15, "v4-ihl>totlen",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_TOTLEN, 0);
	frames_base(rng, &s, 4, 17);
	s.paylen = 0;
	s.v4opt = 24;
	frames_add_damaged(c, &s, frames_mut_cut, 14 + 20 + 12, "v4-opts-cut",
			   DICAP_PKT_TRUNCATED, DICAP_PR_IP_IHL, 0);
	frames_base(rng, &s, 4, 6);
	frames_add_damaged(c, &s, frames_mut_totlen, 19, "v4-totlen<20",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_TOTLEN, 0);
	frames_base(rng, &s, 4, 6);
	frames_add_damaged(c, &s, frames_mut_totlen, 0, "v4-totlen-0",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_TOTLEN, 0);
	frames_base(rng, &s, 4, 6);
	s.v4opt = 12;
	frames_add_damaged(c, &s, frames_mut_totlen, 28, "v4-totlen<ihl",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_TOTLEN, 0);
	frames_base(rng, &s, 4, 6);
	frames_add_damaged(c, &s, frames_mut_grow, 100, "v4-totlen>frame",
			   DICAP_PKT_TRUNCATED, DICAP_PR_IP_TOTLEN, 0);
	frames_base(rng, &s, 4, 6);
	frames_add_damaged(c, &s, frames_mut_totlen, 20 + 12, "v4-tcp-beyond-totlen",
			   DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, 0);
	frames_base(rng, &s, 4, 17);
	frames_add_damaged(c, &s, frames_mut_version, 6, "v4-ethertype-ver6",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_VERSION, 0);
	frames_base(rng, &s, 4, 17);
	frames_add_damaged(c, &s, frames_mut_version, 5, "v4-ver5",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_VERSION, 0);
	frames_base(rng, &s, 4, 17);
	frames_add_damaged(c, &s, frames_mut_pad, 0xa5, "v4-garbage-padding",
			   DICAP_PKT_OK, DICAP_PR_NONE, 0);
}

static inline void frames_add_ipv6_bad(struct frames_ctx *c, uint32_t *rng)
{
	struct frame_spec s;
	int i;

	frames_base(rng, &s, 6, 17);
	frames_add_damaged(c, &s, frames_mut_version, 4, "v6-ethertype-ver4",
			   DICAP_PKT_MALFORMED, DICAP_PR_IP_VERSION, 0);
	frames_base(rng, &s, 6, 6);
	frames_add_damaged(c, &s, frames_mut_grow, 64, "v6-plen>frame",
			   DICAP_PKT_TRUNCATED, DICAP_PR_IP_TOTLEN, 0);

	/* DICAP_MAX_IPV6_EXT + 1 headers; exactly DICAP_MAX_IPV6_EXT is fine. */
	frames_base(rng, &s, 6, 17);
	s.next = DICAP_MAX_IPV6_EXT + 1;
	s.ext[0] = 0;
	for (i = 1; i < s.next; i++)
		s.ext[i] = i % 2 ? 60 : 43;
	frames_add_damaged(c, &s, frames_mut_pad, 0, "v6-ext-chain-too-long",
			   DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT, DICAP_PF_EXT_DEEP);
	s.next = DICAP_MAX_IPV6_EXT;
	frames_push_ok(c, &s, "v6-ext-chain-max");

	/* HBH length byte 200: the header runs past the payload length */
	frames_base(rng, &s, 6, 6);
	s.next = 1;
	frames_add_damaged(c, &s, frames_mut_ext_byte, 1 << 8 | 200, "v6-hbh-beyond-plen",
			   DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT, 0);
	/* ...and the same with a payload length that admits it: cut by capture */
	frames_base(rng, &s, 6, 6);
	s.next = 1;
	s.extlen = 20;				/* 168 bytes */
	frames_add_damaged(c, &s, frames_mut_cut, 14 + 40 + 100, "v6-hbh-cut",
			   DICAP_PKT_TRUNCATED, DICAP_PR_IPV6_EXT, 0);
	frames_base(rng, &s, 6, 6);
	s.next = 1;
	frames_add_damaged(c, &s, frames_mut_cut, 14 + 40 + 5, "v6-ext-cut-fixed",
			   DICAP_PKT_TRUNCATED, DICAP_PR_IPV6_EXT, 0);
	/* HBH anywhere but first */
	frames_base(rng, &s, 6, 6);
	s.next = 2;
	s.ext[0] = 60;
	s.ext[1] = 0;
	frames_add_damaged(c, &s, frames_mut_pad, 0, "v6-hbh-not-first",
			   DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT, 0);
	/* AH with length 0 (8 bytes) cannot hold SPI and sequence number */
	frames_base(rng, &s, 6, 17);
	s.next = 1;
	s.ext[0] = 51;
	frames_add_damaged(c, &s, frames_mut_ext_byte, 1 << 8 | 0, "v6-ah-len0",
			   DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT, 0);
	frames_base(rng, &s, 6, 6);
	frames_add_damaged(c, &s, frames_mut_plen, 10, "v6-tcp-beyond-plen",
			   DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, 0);
	frames_base(rng, &s, 6, 17);
	frames_add_damaged(c, &s, frames_mut_pad, 0x5a, "v6-garbage-padding",
			   DICAP_PKT_OK, DICAP_PR_NONE, 0);
}

static inline void frames_add_l4_bad(struct frames_ctx *c, uint32_t *rng)
{
	struct frame_spec s;
	char d[64];
	int doff, ipver;

	for (ipver = 4; ipver <= 6; ipver += 2) {
		for (doff = 0; doff < 5; doff += 2) {
			frames_base(rng, &s, ipver, 6);
			snprintf(d, sizeof(d), "v%d-tcp-doff-%d", ipver, doff);
			frames_add_damaged(c, &s, frames_mut_doff, doff, d,
					   DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, 0);
		}
		frames_base(rng, &s, ipver, 6);
		s.paylen = 4;
		snprintf(d, sizeof(d), "v%d-tcp-doff-beyond-ip", ipver);
		frames_add_damaged(c, &s, frames_mut_doff, 15, d,
				   DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, 0);
		frames_base(rng, &s, ipver, 17);
		snprintf(d, sizeof(d), "v%d-udp-len<8", ipver);
		frames_add_damaged(c, &s, frames_mut_udplen, 7, d,
				   DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, 0);
		frames_base(rng, &s, ipver, 17);
		snprintf(d, sizeof(d), "v%d-udp-len>ip", ipver);
		frames_add_damaged(c, &s, frames_mut_udplen, 1000, d,
				   DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, 0);
		frames_base(rng, &s, ipver, 17);
		s.frag = FRAG_FIRST;
		snprintf(d, sizeof(d), "v%d-udp-frag1-len>ip", ipver);
		frames_add_damaged(c, &s, frames_mut_udplen, 1000, d,
				   DICAP_PKT_OK, DICAP_PR_NONE, 0);
		frames_base(rng, &s, ipver, 6);
		snprintf(d, sizeof(d), "v%d-tcp-cut", ipver);
		frames_add_damaged(c, &s, frames_mut_cut_l4, 10, d,
				   DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4, 0);
		frames_base(rng, &s, ipver, 17);
		snprintf(d, sizeof(d), "v%d-udp-cut", ipver);
		frames_add_damaged(c, &s, frames_mut_cut_l4, 4, d,
				   DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4, 0);
		frames_base(rng, &s, ipver, 132);
		snprintf(d, sizeof(d), "v%d-sctp-cut", ipver);
		frames_add_damaged(c, &s, frames_mut_cut_l4, 11, d,
				   DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4, 0);
		frames_base(rng, &s, ipver, ipver == 4 ? 1 : 58);
		snprintf(d, sizeof(d), "v%d-icmp-cut", ipver);
		frames_add_damaged(c, &s, frames_mut_cut_l4, 7, d,
				   DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4, 0);
	}
}

static inline void frames_add_short(struct frames_ctx *c)
{
	struct frame f;
	size_t len;

	memset(&f, 0, sizeof(f));
	for (len = 0; len < 14; len++) {
		f.len = len;
		frames_desc(&f, "eth-short-%zu", len);
		frames_push_class(c, &f, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_ETH, 0);
	}
	dicap_put_be16(f.buf + 12, 0x8100);
	f.len = 16;
	frames_desc(&f, "vlan-tag-cut");
	frames_push_class(c, &f, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_VLAN, 0);
	dicap_put_be16(f.buf + 12, 0x0800);
	f.buf[14] = 0x45;
	f.len = 33;
	frames_desc(&f, "v4-fixed-cut");
	frames_push_class(c, &f, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_IP, 0);
	dicap_put_be16(f.buf + 12, 0x86dd);
	f.buf[14] = 0x60;
	f.len = 53;
	frames_desc(&f, "v6-fixed-cut");
	frames_push_class(c, &f, DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_IP, 0);
}

/* One well-formed frame of every kind, by hand. */
static inline void frames_add_kinds(struct frames_ctx *c, uint32_t *rng)
{
	static const uint8_t l4s[] = { 6, 17, 132, 1, 47, 50, 59, 200 };
	static const int frags[] = { FRAG_NONE, FRAG_FIRST, FRAG_MIDDLE, FRAG_LAST };
	struct frame_spec s;
	char d[64];
	int ipver, k, fr;

	for (ipver = 4; ipver <= 6; ipver += 2) {
		for (k = 0; k < (int)sizeof(l4s); k++) {
			for (fr = 0; fr < 4; fr++) {
				uint8_t proto = l4s[k];

				if (proto == 1 && ipver == 6)
					proto = 58;
				if (proto == 59 && ipver == 4)
					continue;
				frames_base(rng, &s, ipver, proto);
				s.frag = frags[fr];
				s.ntags = fr % 3;
				snprintf(d, sizeof(d), "v%d-p%d-frag%d", ipver, proto, fr);
				frames_push_ok(c, &s, d);
			}
		}
		frames_base(rng, &s, ipver, ipver == 4 ? 1 : 58);
		s.icmp_type = ipver == 4 ? 3 : 135;	/* unreachable / NS */
		frames_push_ok(c, &s, "icmp-not-echo");
		frames_base(rng, &s, ipver, ipver == 4 ? 1 : 58);
		s.icmp_type = ipver == 4 ? 0 : 129;
		frames_push_ok(c, &s, "icmp-echo-reply");
		frames_base(rng, &s, ipver, ipver == 4 ? 58 : 1);
		frames_push_ok(c, &s, "icmp-wrong-family");
	}
	frames_base(rng, &s, 4, 6);
	s.v4opt = 40;
	frames_push_ok(c, &s, "v4-tcp-opt40");
	frames_base(rng, &s, 4, 17);
	s.v4opt = 4;
	s.frag = FRAG_FIRST;
	frames_push_ok(c, &s, "v4-udp-opt-frag1");
	frames_base(rng, &s, 4, 17);
	s.ip_id = 0;
	frames_push_ok(c, &s, "v4-udp-id0");
	frames_base(rng, &s, 6, 6);
	s.frag = FRAG_ATOMIC;
	frames_push_ok(c, &s, "v6-atomic-frag");
	frames_base(rng, &s, 6, 17);
	s.next = 4;
	s.ext[0] = 0;
	s.ext[1] = 60;
	s.ext[2] = 43;
	s.ext[3] = 51;
	s.extlen = 2;
	frames_push_ok(c, &s, "v6-hbh-dst-rt-ah");
	frames_base(rng, &s, 6, 6);
	s.next = 2;
	s.ext[0] = 0;
	s.ext[1] = 60;
	s.frag = FRAG_MIDDLE;			/* frag header after the two */
	frames_push_ok(c, &s, "v6-hbh-dst-frag-middle");
	frames_base(rng, &s, 6, 59);
	s.next = 1;
	s.ext[0] = 60;
	s.no_seq = 1;
	frames_push_ok(c, &s, "v6-dst-nonext");
}

/* A random well-formed frame. */
static inline void frames_random_spec(uint32_t *rng, struct frame_spec *s)
{
	static const uint8_t l4s[] = { 6, 6, 6, 17, 17, 17, 132, 1, 47, 50 };
	static const uint8_t exts[] = { 43, 60, 51 };
	uint32_t r = frames_rand(rng);
	uint8_t proto = l4s[r % sizeof(l4s)];
	int ipver = (r >> 8) % 3 ? 4 : 6;
	int i;

	if (proto == 1 && ipver == 6)
		proto = 58;
	frames_base(rng, s, ipver, proto);
	r = frames_rand(rng);
	s->ntags = r % 4 == 0 ? (int)(1 + (r >> 2) % 2) : 0;
	if ((r >> 4) % 5 == 0)
		s->frag = (int)(1 + (r >> 8) % 3);
	if (ipver == 4 && (r >> 12) % 7 == 0)
		s->v4opt = (int)(4 * ((r >> 16) % 11));
	if (ipver == 6 && (r >> 12) % 4 == 0) {
		s->next = (int)(1 + (r >> 16) % 3);
		s->ext[0] = (r >> 20) % 2 ? 0 : 60;
		for (i = 1; i < s->next; i++)
			s->ext[i] = exts[frames_rand(rng) % 3];
		s->extlen = (uint8_t)((r >> 24) % 3);
	}
	if (proto == 1 || proto == 58) {
		r = frames_rand(rng);
		if (r % 4 == 0)
			s->icmp_type = (uint8_t)(ipver == 4 ? 3 + r % 9 : 1 + r % 4);
		else if (r % 4 == 1)
			s->icmp_type = ipver == 4 ? 0 : 129;
	}
}

/* Random bytes after a forced IPv4/IPv6 EtherType: no class predicted. */
static inline void frames_add_garbage(struct frames_ctx *c, uint32_t *rng, int n)
{
	struct frame f;
	int i;
	size_t j;

	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		f.len = 14 + frames_rand(rng) % 120;
		for (j = 0; j < f.len; j++)
			f.buf[j] = (uint8_t)frames_rand(rng);
		dicap_put_be16(f.buf + 12, i % 2 ? 0x86dd : 0x0800);
		f.buf[14] = (uint8_t)((i % 2 ? 0x60 : 0x40) | (f.buf[14] & 0x0f));
		frames_desc(&f, "garbage-%d", i);
		frames_push_any(c, &f);
	}
}

/* Well-formed frames with one random byte of the headers changed. */
static inline void frames_add_flipped(struct frames_ctx *c, uint32_t *rng, int n)
{
	struct frame_spec s;
	struct frame_layout lo;
	struct frame f;
	int i;

	for (i = 0; i < n; i++) {
		frames_random_spec(rng, &s);
		s.seq = c->seq++;
		if (frame_build(&s, &f, &lo))
			continue;
		f.buf[12 + frames_rand(rng) % (lo.ip_end - 12)] ^=
			(uint8_t)(1 + frames_rand(rng) % 255);
		frames_desc(&f, "flipped-%d", i);
		frames_push_any(c, &f);
	}
}

/*
 * Tunnels and ICMP errors.  A packet is handled as its IP bytes (from the
 * IP header to the end of the IP packet); frames_wrap() puts one tunnel
 * around it and gives the outer IP packet, frames_frame() puts the link
 * layer around an IP packet.  Headers are as on the wire (IPv4 header
 * checksums included); the parser checks no checksum.
 */
enum frames_tun {
	TUN_IPIP = 0,	/* IP in IP: protocol 4 or 41, by the inner version */
	TUN_GRE,	/* GRE with key and sequence words, inner IP */
	TUN_GRE_TEB,	/* GRE, transparent Ethernet bridging (0x6558) */
	TUN_GRE_MPLS,	/* GRE, two MPLS labels, then IP */
	TUN_VXLAN,	/* UDP 4789, inner Ethernet */
	TUN_GENEVE,	/* UDP 6081, 8 bytes of options, inner Ethernet */
	TUN_GENEVE_IP,	/* UDP 6081, inner IP */
	TUN_GTPU,	/* UDP 2152, G-PDU with a PDU session container */
	TUN_MAX,
};

static const char *const frames_tun_name[TUN_MAX] = {
	"ipip", "gre", "gre-teb", "gre-mpls", "vxlan", "geneve", "geneve-ip", "gtpu",
};

/* The link layer of a frame: Ethernet, or MPLS or a PPPoE session on it. */
enum frames_l2 {
	L2_ETH = 0,
	L2_MPLS,	/* three labels */
	L2_PPPOE,
	L2_MAX,
};

static const char *const frames_l2_name[L2_MAX] = { "eth", "mpls", "pppoe" };

/* One tunnel: its kind and the outer header's fields. */
struct frames_hop {
	int kind;		/* enum frames_tun */
	int ipver;		/* of the outer header */
	uint8_t saddr[16];	/* the tunnel's endpoints */
	uint8_t daddr[16];
	uint16_t sport;		/* UDP tunnels: the source port */
	uint32_t key;		/* GRE key, VXLAN/Geneve VNI, GTP-U TEID */
};

static inline size_t frames_put_ip(uint8_t *b, int ipver, uint8_t proto, const uint8_t *sa,
				   const uint8_t *da, size_t paylen, uint16_t id)
{
	if (ipver == 6) {
		memset(b, 0, 40);
		b[0] = 0x60;
		dicap_put_be16(b + 4, (uint16_t)paylen);
		b[6] = proto;
		b[7] = 64;
		memcpy(b + 8, sa, 16);
		memcpy(b + 24, da, 16);
		return 40;
	}
	memset(b, 0, 20);
	b[0] = 0x45;
	dicap_put_be16(b + 2, (uint16_t)(20 + paylen));
	dicap_put_be16(b + 4, id);
	b[6] = 0x40;		/* DF */
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, sa, 4);
	memcpy(b + 16, da, 4);
	dicap_put_be16(b + 10, frames_fold(frames_sum(0, b, 20)));
	return 20;
}

/* An Ethernet header for an IP packet of version @ipver; MACs from @seed. */
static inline size_t frames_put_eth(uint8_t *b, int ipver, uint32_t seed)
{
	memset(b, 0, 14);
	b[0] = 0x02;
	dicap_put_be32(b + 2, seed);
	b[6] = 0x02;
	dicap_put_be32(b + 8, seed ^ 0x5a5a5a5au);
	dicap_put_be16(b + 12, ipver == 6 ? 0x86dd : 0x0800);
	return 14;
}

/* MPLS label stack entries: @n labels from @label on, the last one bottom. */
static inline size_t frames_put_mpls(uint8_t *b, int n, uint32_t label)
{
	int i;

	for (i = 0; i < n; i++)
		dicap_put_be32(b + 4 * i, (label + (uint32_t)i) << 12 | (i == n - 1 ? 0x100 : 0) | 64);
	return 4 * (size_t)n;
}

static inline int frames_ipver_of(const uint8_t *ip)
{
	return ip[0] >> 4;
}

/*
 * The outer IP packet of the tunnel @h around the IP packet @ip (@iplen
 * bytes) into @out (@cap bytes).  Returns its length, 0 if it does not fit.
 */
static inline size_t frames_wrap(const struct frames_hop *h, const uint8_t *ip, size_t iplen,
				 uint8_t *out, size_t cap)
{
	uint8_t t[128];
	size_t tl = 0, hl = h->ipver == 6 ? 40 : 20, il = iplen;
	uint8_t proto = 17;
	int iv = frames_ipver_of(ip), eth = 0;

	memset(t, 0, sizeof(t));
	switch (h->kind) {
	case TUN_IPIP:
		proto = iv == 6 ? 41 : 4;
		break;
	case TUN_GRE:
	case TUN_GRE_TEB:
	case TUN_GRE_MPLS:
		proto = 47;
		dicap_put_be16(t, 0x3000);		/* K and S */
		dicap_put_be16(t + 2, h->kind == TUN_GRE_TEB ? 0x6558 :
			       h->kind == TUN_GRE_MPLS ? 0x8847 : iv == 6 ? 0x86dd : 0x0800);
		dicap_put_be32(t + 4, h->key);
		dicap_put_be32(t + 8, 7);
		tl = 12;
		if (h->kind == TUN_GRE_TEB)
			eth = 1;
		if (h->kind == TUN_GRE_MPLS)
			tl += frames_put_mpls(t + tl, 2, 1000 + h->key % 1000);
		break;
	case TUN_VXLAN:
		t[8] = 0x08;
		dicap_put_be32(t + 12, h->key << 8);
		tl = 16;
		eth = 1;
		break;
	case TUN_GENEVE:
	case TUN_GENEVE_IP:
		t[8] = 2;				/* 2 words of options */
		dicap_put_be16(t + 10, h->kind == TUN_GENEVE ? 0x6558 : iv == 6 ? 0x86dd : 0x0800);
		dicap_put_be32(t + 12, h->key << 8);
		dicap_put_be16(t + 16, 0x0104);	/* option class, type, length 1 */
		t[18] = 0x80;
		t[19] = 1;
		dicap_put_be32(t + 20, 0xcafe);
		tl = 24;
		eth = h->kind == TUN_GENEVE;
		break;
	case TUN_GTPU:
		t[8] = 0x34;				/* version 1, PT, E */
		t[9] = 0xff;
		dicap_put_be32(t + 12, h->key);
		t[19] = 0x85;				/* PDU session container */
		t[20] = 1;
		t[21] = 0x10;
		t[22] = 9;				/* QFI */
		t[23] = 0;				/* no more */
		tl = 24;
		break;
	}
	if (eth)
		il += 14;
	if (hl + tl + il > cap)
		return 0;
	if (proto == 17) {
		dicap_put_be16(t, h->sport);
		dicap_put_be16(t + 2, h->kind == TUN_VXLAN ? 4789 : h->kind == TUN_GTPU ? 2152 : 6081);
		dicap_put_be16(t + 4, (uint16_t)(tl + il));
		if (h->kind == TUN_GTPU)
			dicap_put_be16(t + 10, (uint16_t)(tl - 16 + il));
	}
	frames_put_ip(out, h->ipver, proto, h->saddr, h->daddr, tl + il, (uint16_t)h->key);
	memcpy(out + hl, t, tl);
	if (eth)
		frames_put_eth(out + hl + tl, iv, h->key);
	memcpy(out + hl + tl + (eth ? 14 : 0), ip, iplen);
	return hl + tl + il;
}

/* The frame of the IP packet @ip with link layer @l2 and @ntags VLAN tags. */
static inline int frames_frame(int l2, int ntags, const uint8_t *ip, size_t iplen, uint32_t seed,
			       struct frame *f)
{
	size_t pos = 12;
	int i;

	memset(f, 0, sizeof(*f));
	if (14 + 4 * (size_t)ntags + 16 + iplen > sizeof(f->buf))
		return -1;
	frames_put_eth(f->buf, frames_ipver_of(ip), seed);
	for (i = 0; i < ntags; i++) {
		dicap_put_be16(f->buf + pos, i == 0 && ntags > 1 ? 0x88a8 : 0x8100);
		dicap_put_be16(f->buf + pos + 2, (uint16_t)(100 + i));
		pos += 4;
	}
	if (l2 == L2_MPLS) {
		dicap_put_be16(f->buf + pos, 0x8847);
		pos += 2 + frames_put_mpls(f->buf + pos + 2, 3, 16 + seed % 1000);
	} else if (l2 == L2_PPPOE) {
		dicap_put_be16(f->buf + pos, 0x8864);
		f->buf[pos + 2] = 0x11;
		dicap_put_be16(f->buf + pos + 4, (uint16_t)seed);
		dicap_put_be16(f->buf + pos + 6, (uint16_t)(iplen + 2));
		dicap_put_be16(f->buf + pos + 8, frames_ipver_of(ip) == 6 ? 0x0057 : 0x0021);
		pos += 10;
	} else {
		dicap_put_be16(f->buf + pos, frames_ipver_of(ip) == 6 ? 0x86dd : 0x0800);
		pos += 2;
	}
	memcpy(f->buf + pos, ip, iplen);
	f->len = pos + iplen < FRAME_MIN_LEN ? FRAME_MIN_LEN : pos + iplen;
	return 0;
}

/* The IP packet of a frame built by frame_build(). */
static inline size_t frames_ip_of(const struct frame *f, const struct frame_layout *lo,
				  uint8_t *out)
{
	size_t n = lo->ip_end - lo->l3_off;

	memcpy(out, f->buf + lo->l3_off, n);
	return n;
}

/*
 * An ICMP (IPv4) or ICMPv6 error of @type from @router about the IP packet
 * @q (@qlen bytes), quoting its first @keep bytes, sent to @q's source.
 */
static inline size_t frames_icmp_error(const uint8_t *router, uint8_t type, const uint8_t *q,
				       size_t qlen, size_t keep, uint8_t *out, size_t cap)
{
	int v6 = frames_ipver_of(q) == 6;
	size_t hl = v6 ? 40 : 20, n = keep < qlen ? keep : qlen;
	uint8_t *ic = out + hl;
	uint32_t sum;

	if (hl + 8 + n > cap)
		return 0;
	frames_put_ip(out, v6 ? 6 : 4, v6 ? 58 : 1, router, q + (v6 ? 8 : 12), 8 + n, 0x4242);
	memset(ic, 0, 8);
	ic[0] = type;
	if ((!v6 && type == 3) || (v6 && type == 2))
		dicap_put_be16(ic + 6, 1400);		/* next-hop MTU / packet too big */
	memcpy(ic + 8, q, n);
	sum = frames_sum(0, ic, 8 + n);
	if (v6) {
		uint8_t ph[8] = { 0 };

		dicap_put_be32(ph, (uint32_t)(8 + n));
		ph[7] = 58;
		sum = frames_sum(frames_sum(frames_sum(sum, out + 8, 32), ph, 8), NULL, 0);
	}
	dicap_put_be16(ic + 2, frames_fold(sum));
	return hl + 8 + n;
}

/*
 * The IP packet of a well-formed flow frame: @ipver, @proto, addresses and
 * ports from @rng, or as given when @a/@b are not NULL (then a = source).
 */
static inline size_t frames_flow_ip(uint32_t *rng, int ipver, uint8_t proto, const uint8_t *a,
				    const uint8_t *b, uint16_t sport, uint16_t dport,
				    uint8_t *out)
{
	struct frame_spec s;
	struct frame_layout lo;
	struct frame f;

	frames_base(rng, &s, ipver, proto);
	if (a) {
		memcpy(s.saddr, a, 16);
		memcpy(s.daddr, b, 16);
		s.sport = sport;
		s.dport = dport;
	}
	s.no_seq = 1;
	if (frame_build(&s, &f, &lo))
		return 0;
	return frames_ip_of(&f, &lo, out);
}

/* Tunnels one and two deep, framed every way, and ICMP errors, for the corpus. */
static inline void frames_add_tunnels(struct frames_ctx *c, uint32_t *rng)
{
	uint8_t in[160], mid[320], out[480], q[160];
	struct frames_hop h1, h2;
	struct frame f;
	size_t n, m, k;
	int t1, t2, l2;

	for (t1 = 0; t1 < TUN_MAX; t1++) {
		for (t2 = -1; t2 < TUN_MAX; t2++) {
			n = frames_flow_ip(rng, (t1 + t2) % 2 ? 6 : 4, t2 % 3 ? 6 : 17, NULL, NULL,
					   0, 0, in);
			memset(&h1, 0, sizeof(h1));
			h1.kind = t1;
			h1.ipver = t1 % 2 ? 4 : 6;
			frames_rand_addr(rng, h1.ipver, h1.saddr);
			frames_rand_addr(rng, h1.ipver, h1.daddr);
			h1.sport = frames_rand_port(rng);
			h1.key = frames_rand(rng) & 0xffffff;
			h2 = h1;
			h2.kind = t2;
			h2.ipver = t2 % 2 ? 6 : 4;
			frames_rand_addr(rng, h2.ipver, h2.saddr);
			frames_rand_addr(rng, h2.ipver, h2.daddr);
			m = t2 < 0 ? 0 : frames_wrap(&h2, in, n, mid, sizeof(mid));
			k = frames_wrap(&h1, t2 < 0 ? in : mid, t2 < 0 ? n : m, out, sizeof(out));
			if (!n || (t2 >= 0 && !m) || !k)
				continue;
			l2 = (t1 + t2 + 1) % L2_MAX;
			if (frames_frame(l2, t1 % 3, out, k, frames_rand(rng), &f))
				continue;
			if (t2 < 0)
				frames_desc(&f, "tun-%s-%s", frames_l2_name[l2], frames_tun_name[t1]);
			else
				frames_desc(&f, "tun-%s-%s-%s", frames_l2_name[l2],
					    frames_tun_name[t1], frames_tun_name[t2]);
			frames_push_class(c, &f, l2 == L2_ETH ? DICAP_PKT_OK : DICAP_PKT_NON_IP,
					  DICAP_PR_NONE, 0);
			/* the same, sliced to 64, 96 and 128 bytes */
			for (m = 64; m <= 128; m += 32) {
				struct frame g = f;

				if (g.len <= m)
					break;
				g.len = m;
				frames_desc(&g, "%.40s cut %zu", f.desc, m);
				frames_push_any(c, &g);
			}
		}
	}
	for (t1 = 0; t1 < 12; t1++) {
		static const uint8_t v4types[] = { 3, 4, 5, 11, 12, 0 };
		static const uint8_t v6types[] = { 1, 2, 3, 4, 128, 135 };
		int v6 = t1 % 2;
		uint8_t router[16];

		n = frames_flow_ip(rng, v6 ? 6 : 4, t1 % 3 == 0 ? 1 : t1 % 3 == 1 ? 6 : 17, NULL,
				   NULL, 0, 0, q);
		if (v6 && q[6] == 1)
			continue;
		frames_rand_addr(rng, v6 ? 6 : 4, router);
		k = frames_icmp_error(router, v6 ? v6types[t1 / 2 % 6] : v4types[t1 / 2 % 6], q, n,
				      v6 ? 1232 : 28, out, sizeof(out));
		if (!k || frames_frame(L2_ETH, t1 % 3, out, k, frames_rand(rng), &f))
			continue;
		frames_desc(&f, "icmp-error-v%d-%u", v6 ? 6 : 4, out[v6 ? 40 : 20]);
		frames_push_class(c, &f, DICAP_PKT_OK, DICAP_PR_NONE, 0);
		f.len = (v6 ? 54 + 48 : 34 + 24);	/* quote cut inside its header */
		frames_desc(&f, "icmp-error-v%d-cut", v6 ? 6 : 4);
		frames_push_any(c, &f);
	}
}

/*
 * The corpus, with the expected result of each frame in @exp (may be NULL).
 * Hand-made kinds, malformed and truncated frames come first, then some
 * garbage, then a few thousand random well-formed frames.  Frames built
 * from a spec carry sequence numbers seed * 65536 + 0, 1, 2, ...
 */
static inline size_t frames_corpus_ex(struct frame *out, struct frame_expect *exp,
			       size_t max, uint32_t seed)
{
	struct frames_ctx c = { out, exp, max, 0, seed * 0x10000u };
	struct frame_spec s;
	uint32_t rng = frames_mix(seed, 0xc0ffee);
	int i;

	if (max > FRAMES_CORPUS_MAX)
		c.max = FRAMES_CORPUS_MAX;
	frames_add_kinds(&c, &rng);
	frames_add_non_ip(&c, &rng);
	frames_add_vlan_deep(&c, &rng);
	frames_add_short(&c);
	frames_add_ipv4_bad(&c, &rng);
	frames_add_ipv6_bad(&c, &rng);
	frames_add_l4_bad(&c, &rng);
	frames_add_prefix_set(&c, &rng);
	frames_add_tunnels(&c, &rng);
	frames_add_garbage(&c, &rng, 200);
	frames_add_flipped(&c, &rng, 300);
	for (i = 0; i < 2600; i++) {
		char d[64];

		frames_random_spec(&rng, &s);
		snprintf(d, sizeof(d), "random-%d", i);
		frames_push_ok(&c, &s, d);
	}
	return c.n;
}

static inline size_t frames_corpus(struct frame *out, size_t max, uint32_t seed)
{
	return frames_corpus_ex(out, NULL, max, seed);
}

#endif /* DICAP_TEST_FRAMES_H */
