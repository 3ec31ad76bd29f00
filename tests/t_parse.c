/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap_parse(): hand-checked field values for every kind of frame, the
 * expected class of every corpus frame, every prefix of well-formed frames
 * (each in an exactly sized heap buffer, so ASan sees any overread), and
 * invariants that hold for any input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicap/packet.h"
#include "tap.h"
#include "frames.h"

static struct frame corpus[FRAMES_CORPUS_MAX];
static struct frame_expect expect[FRAMES_CORPUS_MAX];

/* Parses @len bytes of @buf from a heap copy of exactly that size. */
static int parse_exact(const uint8_t *buf, size_t len, struct dicap_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	int cls;

	if (!copy)
		bail_out("out of memory");
	if (len)
		memcpy(copy, buf, len);
	memset(p, 0xa5, sizeof(*p));	/* the parser must overwrite all */
	cls = dicap_parse(copy, copy + len, p);
	free(copy);
	return cls;
}

static int parse_frame(const struct frame *f, struct dicap_pkt *p)
{
	return parse_exact(f->buf, f->len, p);
}

/* Field-by-field comparison; names the first difference in @why. */
static int pkt_equal(const struct dicap_pkt *a, const struct dicap_pkt *b, char *why,
		     size_t whylen)
{
#define FIELD(f) do { \
	if (a->f != b->f) { \
		snprintf(why, whylen, #f " %lld, expected %lld", \
			 (long long)a->f, (long long)b->f); \
		return 0; \
	} \
} while (0)
	FIELD(cls);
	FIELD(reason);
	FIELD(l3_off);
	FIELD(l4_off);
	FIELD(ethertype);
	FIELD(flags);
	FIELD(l3);
	FIELD(l4proto);
	FIELD(vlan_depth);
	FIELD(ttl);
	FIELD(ip_len);
	FIELD(frag_off);
	FIELD(sport);
	FIELD(dport);
	FIELD(l4_csum);
	FIELD(ip_id);
	FIELD(tcp_seq);
#undef FIELD
	if (memcmp(a->saddr, b->saddr, 16) || memcmp(a->daddr, b->daddr, 16)) {
		snprintf(why, whylen, "addresses differ");
		return 0;
	}
	return 1;
}

/* Checks @f against @e; returns 1 if it matches, else explains in @why. */
static int check_expect(const struct frame *f, const struct frame_expect *e,
			char *why, size_t whylen)
{
	struct dicap_pkt p;
	const char *insane;
	uint16_t deep = DICAP_PF_VLAN_DEEP | DICAP_PF_EXT_DEEP;

	parse_frame(f, &p);
	insane = frame_pkt_insane(&p, f->len);
	if (insane) {
		snprintf(why, whylen, "%s", insane);
		return 0;
	}
	if (e->any)
		return 1;
	if (e->exact)
		return pkt_equal(&p, &e->pkt, why, whylen);
	if (p.cls != e->pkt.cls || p.reason != e->pkt.reason ||
	    (p.flags & deep) != (e->pkt.flags & deep)) {
		snprintf(why, whylen, "%s/%s flags %#x, expected %s/%s",
			 dicap_pkt_class_name(p.cls), dicap_pkt_reason_name(p.reason),
			 p.flags, dicap_pkt_class_name(e->pkt.cls),
			 dicap_pkt_reason_name(e->pkt.reason));
		return 0;
	}
	return 1;
}

static const uint8_t v4_a[16] = { 192, 0, 2, 1 };
static const uint8_t v4_b[16] = { 198, 51, 100, 7 };
static const uint8_t v6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t v6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static void spec_init(struct frame_spec *s, int ipver, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	s->ipver = ipver;
	s->proto = proto;
	memcpy(s->saddr, ipver == 4 ? v4_a : v6_a, 16);
	memcpy(s->daddr, ipver == 4 ? v4_b : v6_b, 16);
	s->sport = 40000;
	s->dport = 443;
	s->ip_id = 0x1234;
	s->ttl = 64;
	s->tcp_seq = 0xdeadbeef;
	s->frag_csum = 0xbeef;
	s->frag_off = 185;
	s->icmp_type = ipver == 4 ? 8 : 128;
	s->seq = 77;
}

/* What a table case expects, written out by hand (DICAP_PF_ADDRS added for OK). */
struct want {
	int cls;
	uint16_t l3_off, l4_off, ethertype, flags;
	uint8_t l4proto, vlan_depth;
	uint16_t sport, dport, frag_off;
	uint32_t ip_id, tcp_seq;
};

#define PF_TCP	(DICAP_PF_PORTS | DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ)
#define PF_UDP	(DICAP_PF_PORTS | DICAP_PF_L4CSUM)
#define PF_ICMP	(DICAP_PF_L4CSUM | DICAP_PF_TCPSEQ)
#define PF_F1	(DICAP_PF_FRAG | DICAP_PF_FRAG_FIRST)
#define PF_X6	DICAP_PF_IPV6_EXT

static void check_want(const char *name, const struct frame_spec *s, const struct want *w)
{
	struct frame f;
	struct frame_layout lo;
	struct dicap_pkt p, e;
	char why[128];
	int good;

	if (frame_build(s, &f, &lo)) {
		ok(0, "%s: builds", name);
		return;
	}
	parse_frame(&f, &p);
	good = p.cls == w->cls && p.reason == DICAP_PR_NONE && p.l3_off == w->l3_off &&
	       p.l4_off == w->l4_off && p.ethertype == w->ethertype &&
	       p.flags == (w->flags | (w->cls == DICAP_PKT_OK ? DICAP_PF_ADDRS : 0)) &&
	       p.l4proto == w->l4proto &&
	       p.vlan_depth == w->vlan_depth && p.sport == w->sport &&
	       p.dport == w->dport && p.frag_off == w->frag_off &&
	       p.ip_id == w->ip_id && p.tcp_seq == w->tcp_seq;
	if (w->cls == DICAP_PKT_OK) {
		good = good && p.l3 == s->ipver && p.ttl == s->ttl &&
		       p.ip_len == lo.ip_end - lo.l3_off &&
		       !memcmp(p.saddr, s->saddr, 16) && !memcmp(p.daddr, s->daddr, 16);
	}
	if (!ok(good, "table: %s", name)) {
		diag("cls %d l3_off %u l4_off %u type %#x flags %#x proto %u depth %u",
		     p.cls, p.l3_off, p.l4_off, p.ethertype, p.flags, p.l4proto,
		     p.vlan_depth);
		diag("ports %u %u frag_off %u id %#x seq %#x", p.sport, p.dport,
		     p.frag_off, p.ip_id, p.tcp_seq);
	}
	/* The builder's own expectation must agree with the hand-written one. */
	frame_expect_ok(s, &f, &lo, &e);
	ok(pkt_equal(&p, &e, why, sizeof(why)), "table: %s agrees with frame_expect_ok", name);
}

static void test_table_ipv4(void)
{
	struct frame_spec s;
	struct want w;

	spec_init(&s, 4, 6);
	w = (struct want){ 0, 14, 34, 0x0800, PF_TCP, 6, 0, 40000, 443, 0, 0x1234, 0xdeadbeef };
	check_want("v4 tcp", &s, &w);

	spec_init(&s, 4, 17);
	s.ntags = 1;
	w = (struct want){ 0, 18, 38, 0x0800, DICAP_PF_VLAN | PF_UDP, 17, 1, 40000, 443, 0,
			   0x1234, 0 };
	check_want("v4 udp 802.1q", &s, &w);

	spec_init(&s, 4, 132);
	s.ntags = 2;
	w = (struct want){ 0, 22, 42, 0x0800, DICAP_PF_VLAN | PF_UDP, 132, 2, 40000, 443, 0,
			   0x1234, 0 };
	check_want("v4 sctp qinq", &s, &w);

	spec_init(&s, 4, 1);
	s.sport = 0x0102;
	s.dport = 0x0304;
	w = (struct want){ 0, 14, 34, 0x0800, PF_ICMP, 1, 0, 0, 0, 0, 0x1234, 0x01020304 };
	check_want("v4 icmp echo", &s, &w);

	spec_init(&s, 4, 1);
	s.icmp_type = 11;
	w = (struct want){ 0, 14, 34, 0x0800, DICAP_PF_L4CSUM, 1, 0, 0, 0, 0, 0x1234, 0 };
	check_want("v4 icmp time exceeded", &s, &w);

	spec_init(&s, 4, 6);
	s.v4opt = 12;
	s.ip_id = 0;
	w = (struct want){ 0, 14, 46, 0x0800, DICAP_PF_IPOPT | PF_TCP, 6, 0, 40000, 443, 0, 0,
			   0xdeadbeef };
	check_want("v4 tcp options, id 0", &s, &w);

	spec_init(&s, 4, 17);
	s.frag = FRAG_FIRST;
	w = (struct want){ 0, 14, 34, 0x0800, PF_F1 | PF_UDP, 17, 0, 40000, 443, 0, 0x1234, 0 };
	check_want("v4 udp first fragment", &s, &w);

	spec_init(&s, 4, 17);
	s.frag = FRAG_MIDDLE;
	w = (struct want){ 0, 14, 0, 0x0800, DICAP_PF_FRAG, 17, 0, 0, 0, 185, 0x1234, 0 };
	check_want("v4 udp middle fragment", &s, &w);

	spec_init(&s, 4, 6);
	s.frag = FRAG_LAST;
	s.ntags = 1;
	w = (struct want){ 0, 18, 0, 0x0800, DICAP_PF_VLAN | DICAP_PF_FRAG, 6, 1, 0, 0, 185,
			   0x1234, 0 };
	check_want("v4 tcp last fragment", &s, &w);

	spec_init(&s, 4, 47);
	w = (struct want){ 0, 14, 34, 0x0800, 0, 47, 0, 0, 0, 0, 0x1234, 0 };
	check_want("v4 gre: no ports", &s, &w);

	spec_init(&s, 4, 50);
	w = (struct want){ 0, 14, 34, 0x0800, 0, 50, 0, 0, 0, 0, 0x1234, 0 };
	check_want("v4 esp: no ports", &s, &w);
}

static void test_table_ipv6(void)
{
	struct frame_spec s;
	struct want w;

	spec_init(&s, 6, 6);
	w = (struct want){ 0, 14, 54, 0x86dd, PF_TCP, 6, 0, 40000, 443, 0, 0, 0xdeadbeef };
	check_want("v6 tcp", &s, &w);

	spec_init(&s, 6, 17);
	s.ntags = 2;
	w = (struct want){ 0, 22, 62, 0x86dd, DICAP_PF_VLAN | PF_UDP, 17, 2, 40000, 443, 0, 0, 0 };
	check_want("v6 udp qinq", &s, &w);

	spec_init(&s, 6, 58);
	s.sport = 7;
	s.dport = 9;
	w = (struct want){ 0, 14, 54, 0x86dd, PF_ICMP, 58, 0, 0, 0, 0, 0, 0x00070009 };
	check_want("v6 icmpv6 echo", &s, &w);

	spec_init(&s, 6, 58);
	s.icmp_type = 135;
	w = (struct want){ 0, 14, 54, 0x86dd, DICAP_PF_L4CSUM, 58, 0, 0, 0, 0, 0, 0 };
	check_want("v6 icmpv6 neighbour solicitation", &s, &w);

	spec_init(&s, 6, 6);
	s.next = 2;
	s.ext[0] = 0;
	s.ext[1] = 60;
	w = (struct want){ 0, 14, 70, 0x86dd, PF_X6 | PF_TCP, 6, 0, 40000, 443, 0, 0, 0xdeadbeef };
	check_want("v6 hop-by-hop + destination options", &s, &w);

	spec_init(&s, 6, 132);
	s.next = 1;
	s.ext[0] = 43;
	s.extlen = 2;
	w = (struct want){ 0, 14, 78, 0x86dd, PF_X6 | PF_UDP, 132, 0, 40000, 443, 0, 0, 0 };
	check_want("v6 routing (24 bytes) + sctp", &s, &w);

	spec_init(&s, 6, 17);
	s.next = 1;
	s.ext[0] = 51;
	w = (struct want){ 0, 14, 78, 0x86dd, PF_X6 | PF_UDP, 17, 0, 40000, 443, 0, 0, 0 };
	check_want("v6 ah (24 bytes) + udp", &s, &w);

	spec_init(&s, 6, 17);
	s.frag = FRAG_FIRST;
	s.ip_id = 0xcafef00d;
	w = (struct want){ 0, 14, 62, 0x86dd, PF_X6 | PF_F1 | PF_UDP, 17, 0, 40000, 443, 0,
			   0xcafef00d, 0 };
	check_want("v6 udp first fragment", &s, &w);

	spec_init(&s, 6, 17);
	s.frag = FRAG_MIDDLE;
	s.ip_id = 0xcafef00d;
	w = (struct want){ 0, 14, 0, 0x86dd, PF_X6 | DICAP_PF_FRAG, 17, 0, 0, 0, 185,
			   0xcafef00d, 0 };
	check_want("v6 udp non-first fragment", &s, &w);

	spec_init(&s, 6, 6);
	s.frag = FRAG_ATOMIC;
	s.ip_id = 0;
	w = (struct want){ 0, 14, 62, 0x86dd, PF_X6 | PF_F1 | PF_TCP, 6, 0, 40000, 443, 0, 0,
			   0xdeadbeef };
	check_want("v6 atomic fragment, id 0", &s, &w);

	spec_init(&s, 6, 50);
	w = (struct want){ 0, 14, 54, 0x86dd, 0, 50, 0, 0, 0, 0, 0, 0 };
	check_want("v6 esp: no ports", &s, &w);

	spec_init(&s, 6, 59);
	s.next = 1;
	s.ext[0] = 60;
	w = (struct want){ 0, 14, 0, 0x86dd, PF_X6, 59, 0, 0, 0, 0, 0, 0 };
	check_want("v6 no next header: no L4", &s, &w);
}

static void test_table_non_ip(void)
{
	static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	struct frame_spec s;
	struct want w;

	memset(&s, 0, sizeof(s));
	s.ethertype = 0x0806;
	s.raw = arp;
	s.rawlen = sizeof(arp);
	w = (struct want){ DICAP_PKT_NON_IP, 0, 0, 0x0806, 0, 0, 0, 0, 0, 0, 0, 0 };
	check_want("arp", &s, &w);

	s.ntags = 2;
	w = (struct want){ DICAP_PKT_NON_IP, 0, 0, 0x0806, DICAP_PF_VLAN, 0, 2, 0, 0, 0, 0, 0 };
	check_want("arp in qinq", &s, &w);

	s.ntags = 0;
	s.ethertype = 0x88cc;
	w = (struct want){ DICAP_PKT_NON_IP, 0, 0, 0x88cc, 0, 0, 0, 0, 0, 0, 0, 0 };
	check_want("lldp", &s, &w);

	s.ethertype = 0x0026;
	w = (struct want){ DICAP_PKT_NON_IP, 0, 0, 0x0026, 0, 0, 0, 0, 0, 0, 0, 0 };
	check_want("802.3 length field", &s, &w);
}

/*
 * Two frames typed in byte by byte, independent of the builder: an IPv4
 * TCP SYN in an 802.1Q tag and an IPv6 DNS query over UDP.
 */
static void test_literal_frames(void)
{
	static const uint8_t syn[] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x64,
		0x08, 0x00,
		0x45, 0x00, 0x00, 0x2c, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x06, 0, 0,
		10, 1, 2, 3, 10, 4, 5, 6,
		0xc3, 0x50, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
		0x60, 0x02, 0xff, 0xff, 0x12, 0x34, 0, 0, 0x02, 0x04, 0x05, 0xb4,
		0, 0, 0, 0, 0, 0,		/* Ethernet padding */
	};
	static const uint8_t dns6[] = {
		0x33, 0x33, 0, 0, 0, 0xfb, 0x02, 0, 0, 0, 0, 2, 0x86, 0xdd,
		0x60, 0, 0, 0, 0x00, 0x0d, 0x11, 0xff,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb,
		0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0d, 0xab, 0xcd, 1, 2, 3, 4, 5,
	};
	struct dicap_pkt p;

	parse_exact(syn, sizeof(syn), &p);
	ok(p.cls == DICAP_PKT_OK && p.l3 == 4 && p.l3_off == 18 && p.l4_off == 38 &&
	   p.ip_len == 44 && p.ip_id == 0xabcd && p.ttl == 64 && p.l4proto == 6 &&
	   p.sport == 50000 && p.dport == 80 && p.tcp_seq == 0x11223344 &&
	   p.l4_csum == 0x1234 && p.vlan_depth == 1 &&
	   p.flags == (DICAP_PF_ADDRS | DICAP_PF_VLAN | PF_TCP) &&
	   !memcmp(p.saddr, "\x0a\x01\x02\x03", 4) && !memcmp(p.daddr, "\x0a\x04\x05\x06", 4),
	   "literal: IPv4 TCP SYN in 802.1Q, options and padding");
	parse_exact(dns6, sizeof(dns6), &p);
	ok(p.cls == DICAP_PKT_OK && p.l3 == 6 && p.l3_off == 14 && p.l4_off == 54 &&
	   p.ip_len == 53 && p.ttl == 255 && p.l4proto == 17 && p.sport == 5353 &&
	   p.dport == 5353 && p.l4_csum == 0xabcd && p.flags == (DICAP_PF_ADDRS | PF_UDP) &&
	   p.ip_id == 0 &&
	   p.saddr[0] == 0xfe && p.daddr[15] == 0xfb,
	   "literal: IPv6 UDP mDNS, 13 payload bytes, no padding");
	parse_exact(dns6, sizeof(dns6) - 1, &p);
	ok(p.cls == DICAP_PKT_TRUNCATED && p.reason == DICAP_PR_IP_TOTLEN && p.sport == 5353 &&
	   p.dport == 5353 && p.l4_csum == 0xabcd && p.l4_off == 54 &&
	   p.flags == (DICAP_PF_ADDRS | PF_UDP),
	   "literal: one byte short is TRUNCATED, with its addresses and ports");
}

/* Every frame of the corpus gets the class the builder predicted. */
static void test_corpus(void)
{
	size_t n, i, nexact = 0, nclass = 0, nany = 0, bad_exact = 0, bad_class = 0, bad_any = 0;
	char why[128];

	n = frames_corpus_ex(corpus, expect, FRAMES_CORPUS_MAX, 1);
	ok(n >= 3000, "corpus has %zu frames", n);
	for (i = 0; i < n; i++) {
		const struct frame_expect *e = &expect[i];
		size_t *bad = e->any ? &bad_any : e->exact ? &bad_exact : &bad_class;

		*(e->any ? &nany : e->exact ? &nexact : &nclass) += 1;
		if (check_expect(&corpus[i], e, why, sizeof(why)))
			continue;
		if (++*bad <= 10)
			diag("frame %zu (%s, %zu bytes): %s", i, corpus[i].desc,
			     corpus[i].len, why);
	}
	ok(!bad_exact, "corpus: %zu well-formed frames, every field as built", nexact);
	ok(!bad_class, "corpus: %zu malformed/truncated frames, class and reason", nclass);
	ok(!bad_any, "corpus: %zu garbage frames, invariants hold", nany);
	ok(frames_corpus(corpus, 50, 1) == 50, "corpus respects max");
}

/* Each hand-made malformed frame as its own test, by name. */
static void test_malformed_named(void)
{
	size_t n, i;
	char why[128];

	n = frames_corpus_ex(corpus, expect, FRAMES_CORPUS_MAX, 2);
	for (i = 0; i < n; i++) {
		if (expect[i].any || expect[i].exact || strstr(corpus[i].desc, " cut "))
			continue;
		if (!ok(check_expect(&corpus[i], &expect[i], why, sizeof(why)),
			"%s -> %s/%s", corpus[i].desc,
			dicap_pkt_class_name(expect[i].pkt.cls),
			dicap_pkt_reason_name(expect[i].pkt.reason)))
			diag("%s", why);
	}
}

/*
 * Every prefix of @f: TRUNCATED with the reason for where the cut falls,
 * until only Ethernet padding is missing.  Returns the failures.
 */
static int check_prefixes(const struct frame_spec *s, const struct frame *f,
			  const struct frame_layout *lo)
{
	struct dicap_pkt p, e;
	char why[128];
	size_t len;
	int bad = 0;

	frame_expect_ok(s, f, lo, &e);
	for (len = 0; len <= f->len; len++) {
		int reason = frames_cut_reason(s, lo, len);
		const char *insane;

		parse_exact(f->buf, len, &p);
		insane = frame_pkt_insane(&p, len);
		if (insane) {
			diag("%s cut at %zu: %s", f->desc, len, insane);
			bad++;
		} else if (reason != DICAP_PR_NONE) {
			if (p.cls != DICAP_PKT_TRUNCATED || p.reason != reason) {
				diag("%s cut at %zu: %s/%s, expected truncated/%s", f->desc,
				     len, dicap_pkt_class_name(p.cls),
				     dicap_pkt_reason_name(p.reason),
				     dicap_pkt_reason_name(reason));
				bad++;
			}
		} else {
			if (!pkt_equal(&p, &e, why, sizeof(why))) {
				diag("%s cut at %zu: %s", f->desc, len, why);
				bad++;
			}
		}
	}
	return bad;
}

/* Prefixes of frames of many kinds, some ending in padding. */
static void test_prefixes(void)
{
	static const struct {
		int ipver, ntags, v4opt, next, frag;
		uint8_t proto, ext0, ext1, ext2;
	} kinds[] = {
		{ 4, 0, 0, 0, FRAG_NONE, 6, 0, 0, 0 },
		{ 4, 2, 16, 0, FRAG_NONE, 17, 0, 0, 0 },
		{ 4, 1, 0, 0, FRAG_FIRST, 132, 0, 0, 0 },
		{ 4, 0, 4, 0, FRAG_MIDDLE, 17, 0, 0, 0 },
		{ 4, 0, 0, 0, FRAG_NONE, 1, 0, 0, 0 },
		{ 4, 0, 0, 0, FRAG_NONE, 47, 0, 0, 0 },
		{ 6, 0, 0, 0, FRAG_NONE, 6, 0, 0, 0 },
		{ 6, 1, 0, 3, FRAG_NONE, 6, 0, 43, 60 },
		{ 6, 2, 0, 1, FRAG_FIRST, 17, 51, 0, 0 },
		{ 6, 0, 0, 1, FRAG_LAST, 6, 60, 0, 0 },
		{ 6, 0, 0, 0, FRAG_NONE, 58, 0, 0, 0 },
		{ 6, 0, 0, 0, FRAG_NONE, 50, 0, 0, 0 },
	};
	struct frame_spec s;
	struct frame_layout lo;
	struct frame f;
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		spec_init(&s, kinds[k].ipver, kinds[k].proto);
		s.ntags = kinds[k].ntags;
		s.v4opt = kinds[k].v4opt;
		s.next = kinds[k].next;
		s.frag = kinds[k].frag;
		s.ext[0] = kinds[k].ext0;
		s.ext[1] = kinds[k].ext1;
		s.ext[2] = kinds[k].ext2;
		s.extlen = 1;
		s.paylen = k % 2 ? 0 : 20;	/* odd ones end in padding */
		if (frame_build(&s, &f, &lo)) {
			ok(0, "prefix kind %zu builds", k);
			continue;
		}
		frames_desc(&f, "kind %zu v%d proto %u", k, s.ipver, s.proto);
		ok(!check_prefixes(&s, &f, &lo), "every prefix of %s (%zu bytes)", f.desc, f.len);
	}
}

/* Trailing bytes after the IP packet (Ethernet padding) change nothing. */
static void test_padding_ignored(void)
{
	size_t n, i, extra;
	int bad = 0;
	struct dicap_pkt a, b;
	struct frame g;
	char why[128];

	n = frames_corpus_ex(corpus, expect, FRAMES_CORPUS_MAX, 3);
	for (i = 0; i < n; i++) {
		if (!expect[i].exact || expect[i].pkt.cls != DICAP_PKT_OK)
			continue;
		parse_frame(&corpus[i], &a);
		for (extra = 1; extra <= 24; extra += 23) {
			g = corpus[i];
			if (g.len + extra > sizeof(g.buf))
				break;
			memset(g.buf + g.len, 0x81, extra);	/* looks like a VLAN TPID */
			g.len += extra;
			parse_frame(&g, &b);
			if (!pkt_equal(&b, &a, why, sizeof(why)) && ++bad <= 5)
				diag("%s + %zu bytes: %s", corpus[i].desc, extra, why);
		}
	}
	ok(!bad, "trailing padding does not change the result");
}

/* Flow pairs: both directions OK, addresses and ports mirrored. */
static void test_flow_pairs(void)
{
	struct frame fwd, rev;
	struct dicap_pkt a, b;
	uint32_t sa = 0, sb = 0;
	unsigned i;
	int bad = 0;

	for (i = 0; frames_flow_pair(i, 99, &fwd, &rev); i++) {
		int good;

		parse_frame(&fwd, &a);
		parse_frame(&rev, &b);
		good = a.cls == DICAP_PKT_OK && b.cls == DICAP_PKT_OK &&
		       !memcmp(a.saddr, b.daddr, 16) && !memcmp(a.daddr, b.saddr, 16) &&
		       a.sport == b.dport && a.dport == b.sport && a.l3 == b.l3 &&
		       a.l4proto == b.l4proto && a.vlan_depth == b.vlan_depth &&
		       (a.flags & ~DICAP_PF_TCPSEQ) == (b.flags & ~DICAP_PF_TCPSEQ) &&
		       fwd.len >= FRAME_MIN_LEN && rev.len >= FRAME_MIN_LEN &&
		       frame_seq(&fwd, &sa) && frame_seq(&rev, &sb) &&
		       sa == 99 + 2 * i && sb == sa + 1;
		if (a.l4proto == 1 || a.l4proto == 58)
			good = good && a.tcp_seq == b.tcp_seq && (a.flags & DICAP_PF_TCPSEQ);
		if (!good) {
			diag("flow pair %u (%s) does not mirror", i, fwd.desc);
			bad++;
		}
	}
	is(i, 28, "28 flow pair kinds");
	ok(!bad, "flow pairs parse OK and mirror each other");
}

static void test_names(void)
{
	int i, bad = 0;

	for (i = DICAP_PKT_OK; i <= DICAP_PKT_MALFORMED; i++)
		bad += !strcmp(dicap_pkt_class_name(i), "unknown");
	for (i = DICAP_PR_NONE; i <= DICAP_PR_L4_HDR; i++)
		bad += !strcmp(dicap_pkt_reason_name(i), "unknown");
	ok(!bad, "every class and reason has a name");
	ok(!strcmp(dicap_pkt_class_name(-1), "unknown") &&
	   !strcmp(dicap_pkt_class_name(99), "unknown") &&
	   !strcmp(dicap_pkt_reason_name(DICAP_PR_L4_HDR + 1), "unknown"),
	   "out-of-range values are \"unknown\"");
	ok(!strcmp(dicap_pkt_class_name(DICAP_PKT_TRUNCATED), "truncated") &&
	   !strcmp(dicap_pkt_reason_name(DICAP_PR_IPV6_EXT), "ipv6_ext"), "names");
}

/*
 * The second pass: a sliced frame, or one whose length fields lie, keeps
 * what of its identity is captured, and its class says what is wrong.
 */
struct idcase {
	const char *name;
	int ipver, proto, frag, next;
	int dmg, arg;		/* a frames_damage() kind and argument, or -1 */
	size_t cut;		/* frame length after, 0: as built */
	int cls, reason;
	uint16_t flags;		/* expected, beside VLAN and IPv6 ext. flags */
	uint16_t l4_off;
};

#define PF_ID	DICAP_PF_ADDRS
#define PF_P	(DICAP_PF_ADDRS | DICAP_PF_PORTS)

static void test_identity_over_lengths(void)
{
	static const struct idcase cases[] = {
		{ "v4 tcp sliced to 64", 4, 6, 0, 0, -1, 0, 64, DICAP_PKT_TRUNCATED,
		  DICAP_PR_IP_TOTLEN, PF_ID | PF_TCP, 34 },
		{ "v4 tcp cut 6 bytes into tcp", 4, 6, 0, 0, -1, 0, 40, DICAP_PKT_TRUNCATED,
		  DICAP_PR_SHORT_L4, PF_P, 34 },
		{ "v4 tcp cut 2 bytes into tcp", 4, 6, 0, 0, -1, 0, 36, DICAP_PKT_TRUNCATED,
		  DICAP_PR_SHORT_L4, PF_ID, 34 },
		{ "v4 cut inside the fixed header", 4, 6, 0, 0, -1, 0, 30, DICAP_PKT_TRUNCATED,
		  DICAP_PR_SHORT_IP, 0, 0 },
		{ "v4 total length 0", 4, 6, 0, 0, DICAP_DMG_TOTLEN, 0, 0, DICAP_PKT_MALFORMED,
		  DICAP_PR_IP_TOTLEN, PF_ID | PF_TCP, 34 },
		{ "v4 total length past the frame", 4, 17, 0, 0, DICAP_DMG_GROW, 1000, 0,
		  DICAP_PKT_TRUNCATED, DICAP_PR_IP_TOTLEN, PF_ID | PF_UDP, 34 },
		{ "v4 total length ends in the udp ports", 4, 17, 0, 0, DICAP_DMG_TOTLEN, 22, 0,
		  DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, PF_ID | PF_UDP, 34 },
		{ "v4 ihl 4: no l4 header", 4, 6, 0, 0, DICAP_DMG_IHL, 4, 0, DICAP_PKT_MALFORMED,
		  DICAP_PR_IP_IHL, PF_ID, 0 },
		{ "v4 tcp data offset 3", 4, 6, 0, 0, DICAP_DMG_DOFF, 3, 0, DICAP_PKT_MALFORMED,
		  DICAP_PR_L4_HDR, PF_ID | PF_TCP, 34 },
		{ "v4 udp length 3000", 4, 17, 0, 0, DICAP_DMG_UDPLEN, 3000, 0,
		  DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, PF_ID | PF_UDP, 34 },
		{ "v4 first fragment cut 6 bytes into udp", 4, 17, FRAG_FIRST, 0, -1, 0, 40,
		  DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4, PF_P | PF_F1, 34 },
		{ "v4 non-first fragment sliced", 4, 17, FRAG_MIDDLE, 0, -1, 0, 40,
		  DICAP_PKT_TRUNCATED, DICAP_PR_IP_TOTLEN, PF_ID | DICAP_PF_FRAG, 0 },
		{ "v6 tcp sliced to 96", 6, 6, 0, 0, -1, 0, 96, DICAP_PKT_TRUNCATED,
		  DICAP_PR_IP_TOTLEN, PF_ID | PF_TCP, 54 },
		{ "v6 payload length 0, behind hop-by-hop", 6, 17, 0, 1, DICAP_DMG_PLEN, 0, 0,
		  DICAP_PKT_MALFORMED, DICAP_PR_IPV6_EXT, PF_ID | PF_UDP, 62 },
		{ "v6 payload length ends in the tcp header", 6, 6, 0, 0, DICAP_DMG_PLEN, 10, 0,
		  DICAP_PKT_MALFORMED, DICAP_PR_L4_HDR, PF_ID | PF_TCP, 54 },
		{ "v6 cut in the hop-by-hop header", 6, 6, 0, 1, -1, 0, 58, DICAP_PKT_TRUNCATED,
		  DICAP_PR_IPV6_EXT, PF_ID, 0 },
		{ "v6 first fragment sliced in sctp", 6, 132, FRAG_FIRST, 0, -1, 0, 70,
		  DICAP_PKT_TRUNCATED, DICAP_PR_SHORT_L4, PF_P | PF_X6 | PF_F1, 62 },
	};
	struct frame_spec s;
	struct frame_layout lo;
	struct frame f;
	struct dicap_pkt p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct idcase *c = &cases[i];
		uint16_t want = c->flags;
		int good;

		spec_init(&s, c->ipver, (uint8_t)c->proto);
		s.frag = c->frag;
		s.next = c->next;
		s.paylen = 120;
		if (frame_build(&s, &f, &lo)) {
			ok(0, "%s: builds", c->name);
			continue;
		}
		if (c->dmg >= 0)
			frames_damage(&f, &lo, c->dmg, c->arg);
		if (c->cut)
			f.len = c->cut;
		parse_frame(&f, &p);
		good = p.cls == c->cls && p.reason == c->reason && p.flags == want &&
		       p.l4_off == c->l4_off && !frame_pkt_insane(&p, f.len);
		if (want & DICAP_PF_ADDRS)
			good = good && !memcmp(p.saddr, s.saddr, 16) &&
			       !memcmp(p.daddr, s.daddr, 16) &&
			       (p.l4proto == c->proto || !p.l4_off);
		if (want & DICAP_PF_PORTS)
			good = good && p.sport == s.sport && p.dport == s.dport;
		if (want & DICAP_PF_TCPSEQ)
			good = good && p.tcp_seq == s.tcp_seq;
		if (!ok(good, "second pass: %s -> %s/%s, flags %#x", c->name,
			dicap_pkt_class_name(c->cls), dicap_pkt_reason_name(c->reason), want))
			diag("got %s/%s flags %#x l4_off %u ports %u %u",
			     dicap_pkt_class_name(p.cls), dicap_pkt_reason_name(p.reason),
			     p.flags, p.l4_off, p.sport, p.dport);
	}
}

/* What dicap_parse_at() reads must be what dicap_parse() reads. */
static int ident_equal(const struct dicap_pkt *a, const struct dicap_pkt *b)
{
	uint16_t m = DICAP_PF_ADDRS | DICAP_PF_PORTS | DICAP_PF_FRAG | DICAP_PF_FRAG_FIRST;

	return (a->flags & m) == (b->flags & m) && a->l3 == b->l3 &&
	       a->l3_off == b->l3_off && a->l4_off == b->l4_off &&
	       a->l4proto == b->l4proto && a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->saddr, b->saddr, 16) && !memcmp(a->daddr, b->daddr, 16);
}

static void test_parse_at(void)
{
	struct dicap_pkt p, q;
	struct frame f;
	size_t n, i, ip = 0, bad = 0;
	uint8_t pkt[160], *mpls;
	uint32_t r = 17;
	int got;

	n = frames_corpus_ex(corpus, expect, FRAMES_CORPUS_MAX, 4);
	for (i = 0; i < n; i++) {
		const struct frame *c = &corpus[i];

		if (c->len < 14)
			continue;
		parse_frame(c, &p);
		if (p.ethertype != 0x0800 && p.ethertype != 0x86dd)
			continue;
		ip++;
		got = dicap_parse_at(c->buf, c->buf + c->len, 0, DICAP_HDR_ETH, &q);
		if (got != !!(p.flags & DICAP_PF_ADDRS) || !ident_equal(&p, &q)) {
			if (bad++ < 5)
				diag("%s: parse_at %d flags %#x l4_off %u, parse flags %#x "
				     "l4_off %u", c->desc, got, q.flags, q.l4_off, p.flags,
				     p.l4_off);
		}
	}
	ok(!bad, "parse_at: on the %zu IP frames of the corpus it reads the identity "
	   "dicap_parse() reads", ip);

	/* under MPLS and PPPoE, where dicap_parse() stops */
	n = frames_flow_ip(&r, 4, 6, v4_a, v4_b, 40000, 443, pkt);
	frames_frame(L2_MPLS, 1, pkt, n, 5, &f);
	parse_frame(&f, &p);
	got = dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &q);
	ok(p.cls == DICAP_PKT_NON_IP && got == 1 && q.l3 == 4 && q.l3_off == 18 + 2 + 12 - 2 &&
	   q.sport == 40000 && q.dport == 443 && !memcmp(q.saddr, v4_a, 4),
	   "parse_at: IPv4 TCP under a VLAN tag and three MPLS labels (NON_IP for dicap_parse)");
	mpls = f.buf + 18;
	mpls[6] &= (uint8_t)~1;		/* no bottom of stack within 3 labels */
	mpls[10] &= (uint8_t)~1;
	ok(dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &q) == 0 &&
	   !(q.flags & DICAP_PF_ADDRS), "parse_at: a label stack without its bottom: nothing");
	n = frames_flow_ip(&r, 6, 17, v6_a, v6_b, 53, 5353, pkt);
	frames_frame(L2_PPPOE, 0, pkt, n, 5, &f);
	got = dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &q);
	ok(got == 1 && q.l3 == 6 && q.l3_off == 22 && q.sport == 53 && q.dport == 5353 &&
	   !memcmp(q.daddr, v6_b, 16), "parse_at: IPv6 UDP in a PPPoE session");
	dicap_put_be16(f.buf + 20, 0xc021);	/* LCP */
	ok(dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &q) == 0,
	   "parse_at: PPPoE carrying LCP: nothing");
	ok(dicap_parse_at(f.buf, f.buf + f.len, DICAP_ENCAP_OFF_MAX + 1, DICAP_HDR_IP, &q) == 0 &&
	   !q.flags && !q.l3, "parse_at: an offset past DICAP_ENCAP_OFF_MAX reads nothing");
	f.len = 22 + 10;
	frames_frame(L2_ETH, 0, pkt, n, 5, &f);
	f.len = 14 + 30;
	ok(dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &q) == 0,
	   "parse_at: an IPv6 header cut short: nothing");
}

/* Where dicap_encap() finds each tunnel's inner packet, and its kind. */
static void test_encap(void)
{
	static const int want_hdr[TUN_MAX] = {
		DICAP_HDR_IPV4, DICAP_HDR_IPV4, DICAP_HDR_ETH, DICAP_HDR_MPLS,
		DICAP_HDR_ETH, DICAP_HDR_ETH, DICAP_HDR_IPV4, DICAP_HDR_IP,
	};
	static const size_t want_off[TUN_MAX] = {
		/* from the outer IPv4 header: its 20 bytes, then the tunnel header */
		20, 20 + 12, 20 + 12, 20 + 12, 20 + 16, 20 + 24, 20 + 24, 20 + 24,
	};
	struct frames_hop h;
	struct dicap_pkt p;
	uint8_t in[160], out[480];
	struct frame f;
	uint32_t r = 23;
	size_t n, k;
	int t, hdr, bad = 0;
	__u32 off;

	n = frames_flow_ip(&r, 4, 17, v4_a, v4_b, 1, 2, in);
	for (t = 0; t < TUN_MAX; t++) {
		memset(&h, 0, sizeof(h));
		h.kind = t;
		h.ipver = 4;
		memcpy(h.saddr, v4_b, 4);
		memcpy(h.daddr, v4_a, 4);
		h.sport = 999;
		h.key = 77;
		k = frames_wrap(&h, in, n, out, sizeof(out));
		frames_frame(L2_ETH, 0, out, k, 5, &f);
		dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &p);
		hdr = -1;
		off = dicap_encap(f.buf, f.buf + f.len, 0, &p, &hdr);
		if (!ok(off == 14 + want_off[t] && hdr == want_hdr[t], "encap: %s at %zu, %s",
			frames_tun_name[t], 14 + want_off[t],
			want_hdr[t] == DICAP_HDR_ETH ? "Ethernet" : "IP"))
			diag("got offset %u kind %d", off, hdr);
		/* the same from the tunnel's inner packet on: nothing more */
		dicap_parse_at(f.buf, f.buf + f.len, 14 + (__u32)k - (__u32)n, DICAP_HDR_IPV4, &p);
		bad += dicap_encap(f.buf, f.buf + f.len, 14 + (__u32)k - (__u32)n, &p, &hdr) != 0;
	}
	ok(!bad, "encap: a plain UDP packet inside is no tunnel");
}

/* Which ICMP messages dicap_icmp_quote() opens. */
static void test_icmp_quote(void)
{
	struct dicap_pkt p;
	uint8_t q[160], out[512];
	struct frame f;
	uint32_t r = 29;
	size_t n, k;
	int t, v6, opened, want, bad = 0;

	for (v6 = 0; v6 <= 1; v6++) {
		n = frames_flow_ip(&r, v6 ? 6 : 4, 6, v6 ? v6_a : v4_a, v6 ? v6_b : v4_b, 5, 6, q);
		for (t = 0; t < 256; t++) {
			k = frames_icmp_error(v6 ? v6_b : v4_b, (uint8_t)t, q, n, 48, out,
					      sizeof(out));
			frames_frame(L2_ETH, 0, out, k, 5, &f);
			dicap_parse_at(f.buf, f.buf + f.len, 0, DICAP_HDR_ETH, &p);
			opened = dicap_icmp_quote(f.buf, f.buf + f.len, 0, &p) ==
				 (__u32)(14 + (v6 ? 40 : 20) + 8);
			want = v6 ? t >= 1 && t <= 4 :
			       t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
			if (opened != want && bad++ < 3)
				diag("ICMP%s type %d: %s", v6 ? "v6" : "", t,
				     opened ? "opened" : "not opened");
		}
	}
	ok(!bad, "icmp quote: ICMPv4 types 3, 4, 5, 11, 12 and ICMPv6 types 1-4 only, "
	   "all 256 types of each");
}

int main(void)
{
	test_table_ipv4();
	test_table_ipv6();
	test_table_non_ip();
	test_literal_frames();
	test_corpus();
	test_malformed_named();
	test_prefixes();
	test_padding_ignored();
	test_flow_pairs();
	test_names();
	test_identity_over_lengths();
	test_parse_at();
	test_encap();
	test_icmp_quote();
	return done_testing();
}
