/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Synthetic traffic: a weighted mix of frame kinds over a set of flows,
 * each frame carrying "DCAP" and a 32-bit sequence number (framegen.h).
 *
 * Frame i belongs to "unit" u (a fragment train is one unit, every other
 * frame is its own): flow u mod F, direction (u div F) mod 2, so every flow
 * is sent in both directions alternately.  Everything is drawn from one
 * seeded generator and never from the clock, so the same options give the
 * same frames whether they are sent, retried or written to a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framegen.h"
#include "gen.h"
#include "dicap/packet.h"

#define FRAG_TRAIN_MEAN	2.5	/* fragment trains have 2 or 3 frames */
#define TTL_FWD		64
#define TTL_REV		56

const struct gen_kind_info gen_kinds[K_MAX] = {
	[K_IPV4_TCP] = { "ipv4-tcp", "IPv4 TCP segment (PSH|ACK)" },
	[K_IPV4_UDP] = { "ipv4-udp", "IPv4 UDP datagram" },
	[K_IPV4_SCTP] = { "ipv4-sctp", "IPv4 SCTP common header (CRC32c)" },
	[K_IPV4_ICMP] = { "ipv4-icmp",
	    "ICMP echo request (client to server), reply (back)" },
	[K_IPV6_TCP] = { "ipv6-tcp", "IPv6 TCP segment" },
	[K_IPV6_UDP] = { "ipv6-udp", "IPv6 UDP datagram" },
	[K_IPV6_SCTP] = { "ipv6-sctp", "IPv6 SCTP common header" },
	[K_IPV6_ICMP] = { "ipv6-icmp", "ICMPv6 echo request and reply" },
	[K_VLAN] = { "vlan", "802.1Q tag + IPv4/IPv6 TCP/UDP" },
	[K_QINQ] = { "qinq", "802.1ad + 802.1Q tags + IPv4/IPv6 TCP/UDP" },
	[K_IPV4_FRAG] = { "ipv4-frag",
	    "IPv4 UDP fragment trains: first, [middle], last" },
	[K_IPV6_FRAG] = { "ipv6-frag", "IPv6 UDP fragment trains (fragment header)" },
	[K_IPV4_OPT] = { "ipv4-opt", "IPv4 TCP/UDP with 4-40 bytes of options" },
	[K_IPV6_EXT] = { "ipv6-ext", "IPv6 TCP/UDP behind 1-3 extension headers" },
	[K_MALFORMED] = { "malformed",
	    "damaged frames the parser classes MALFORMED/TRUNCATED" },
	[K_ARP] = { "arp", "ARP request and reply (not IP)" },
};

/* Shares of "--mix all", in percent of frames. */
static const double mix_all[K_MAX] = {
	[K_IPV4_TCP] = 30, [K_IPV4_UDP] = 15, [K_IPV4_SCTP] = 2, [K_IPV4_ICMP] = 3,
	[K_IPV6_TCP] = 12, [K_IPV6_UDP] = 8, [K_IPV6_SCTP] = 2, [K_IPV6_ICMP] = 2,
	[K_VLAN] = 6, [K_QINQ] = 3, [K_IPV4_FRAG] = 4, [K_IPV6_FRAG] = 2,
	[K_IPV4_OPT] = 2, [K_IPV6_EXT] = 3, [K_MALFORMED] = 4, [K_ARP] = 2,
};

/* Names that stand for several kinds; a weight is split evenly. */
static const struct {
	const char *name;
	int kinds[2];
} mix_alias[] = {
	{ "tcp", { K_IPV4_TCP, K_IPV6_TCP } },
	{ "udp", { K_IPV4_UDP, K_IPV6_UDP } },
	{ "sctp", { K_IPV4_SCTP, K_IPV6_SCTP } },
	{ "icmp", { K_IPV4_ICMP, K_IPV6_ICMP } },
	{ "frag", { K_IPV4_FRAG, K_IPV6_FRAG } },
	{ "ipv4", { K_IPV4_TCP, K_IPV4_UDP } },
	{ "ipv6", { K_IPV6_TCP, K_IPV6_UDP } },
};

static const struct {
	int ipver;
	uint8_t proto;
} plain_kind[] = {
	[K_IPV4_TCP] = { 4, 6 }, [K_IPV4_UDP] = { 4, 17 },
	[K_IPV4_SCTP] = { 4, 132 }, [K_IPV4_ICMP] = { 4, 1 },
	[K_IPV6_TCP] = { 6, 6 }, [K_IPV6_UDP] = { 6, 17 },
	[K_IPV6_SCTP] = { 6, 132 }, [K_IPV6_ICMP] = { 6, 58 },
};

static int
add_weight(double *w, const char *name, size_t len, double weight)
{
	size_t i;
	int k;

	if (len == 3 && !strncmp(name, "all", 3)) {
		for (k = 0; k < K_MAX; k++)
			w[k] += mix_all[k] * weight;
		return 0;
	}
	for (k = 0; k < K_MAX; k++) {
		if (strlen(gen_kinds[k].name) == len &&
		    !strncmp(name, gen_kinds[k].name, len)) {
			w[k] += weight;
			return 0;
		}
	}
	for (i = 0; i < sizeof(mix_alias) / sizeof(mix_alias[0]); i++) {
		if (strlen(mix_alias[i].name) == len &&
		    !strncmp(name, mix_alias[i].name, len)) {
			w[mix_alias[i].kinds[0]] += weight / 2;
			w[mix_alias[i].kinds[1]] += weight / 2;
			return 0;
		}
	}
	return -1;
}

int
synth_parse_mix(const char *spec, double *w, char *err, size_t errlen)
{
	const char *p = spec, *end, *eq;
	double weight, total = 0;
	char *stop;
	int k;

	memset(w, 0, K_MAX * sizeof(*w));
	while (*p) {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', (size_t)(end - p));
		weight = 1;
		if (eq) {
			/* strtod would also take spaces, signs, exponents and hex. */
			size_t digits = strspn(eq + 1, "0123456789.");

			weight = strtod(eq + 1, &stop);
			if (stop != end || eq + 1 + digits < end || eq + 1 == end ||
			    !(weight >= 0) || weight > 1e9) {
				snprintf(err, errlen,
				    "bad weight in '%.*s': want a number >= 0",
				    (int)(end - p), p);
				return -1;
			}
		}
		if (add_weight(w, p, (size_t)((eq ? eq : end) - p), weight)) {
			snprintf(err, errlen, "unknown kind '%.*s' (see --help)",
			    (int)((eq ? eq : end) - p), p);
			return -1;
		}
		p = *end ? end + 1 : end;
	}
	for (k = 0; k < K_MAX; k++) {
		/* "all" and repeated kinds multiply and add weights. */
		if (w[k] > 1e9) {
			snprintf(err, errlen, "the mix '%s' gives %s a weight above 1e9",
			    spec, gen_kinds[k].name);
			return -1;
		}
		total += w[k];
	}
	if (total <= 0) {
		snprintf(err, errlen,
		    "the mix '%s' has no kind with a weight above 0", spec);
		return -1;
	}
	return 0;
}

static const char *const ipid_names[] = { "random", "seq", "zero", "mostly-zero" };

int
synth_parse_ipid(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(name, ipid_names[i]))
			return i;
	return -1;
}

const char *
synth_ipid_name(int ipid)
{
	return ipid >= 0 && ipid < 4 ? ipid_names[ipid] : "?";
}

static int
is_frag_kind(int k)
{
	return k == K_IPV4_FRAG || k == K_IPV6_FRAG;
}

void
synth_init(struct synth *s, const struct synth_cfg *cfg)
{
	double sum = 0, acc = 0;
	int k;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (!s->cfg.flows)
		s->cfg.flows = 1;
	s->rng = gen_hash64(cfg->seed ^ 0x6463617067656eull);
	s->seq = cfg->seq_start;
	/* A fragment pick sends a whole train: weigh picks so frames match. */
	for (k = 0; k < K_MAX; k++)
		sum += cfg->weight[k] / (is_frag_kind(k) ? FRAG_TRAIN_MEAN : 1);
	for (k = 0; k < K_MAX; k++) {
		acc += cfg->weight[k] / (is_frag_kind(k) ? FRAG_TRAIN_MEAN : 1);
		s->cum[k] = acc / sum;
	}
	s->cum[K_MAX - 1] = 1.0;
}

static uint32_t
rnd(struct synth *s, uint32_t n)
{
	return (uint32_t)(gen_rand(&s->rng) % n);
}

static int
pick_kind(struct synth *s)
{
	double x = (double)(gen_rand(&s->rng) >> 11) / 9007199254740992.0;
	int k;

	for (k = 0; k < K_MAX - 1; k++)
		if (x < s->cum[k] && s->cfg.weight[k] > 0)
			return k;
	/* Rounding: the last kind with a weight. */
	for (k = K_MAX - 1; k > 0 && !(s->cfg.weight[k] > 0); k--)
		;
	return k;
}

static uint32_t
next_ipid(struct synth *s, int frag)
{
	switch (s->cfg.ipid) {
	case GEN_IPID_SEQ:
		return s->seq;
	case GEN_IPID_ZERO:
		return 0;
	case GEN_IPID_MOSTLY_ZERO:
		/* DF packets get 0; fragments cannot have DF set. */
		if (!frag && rnd(s, 10) != 0)
			return 0;
		return 1 + rnd(s, 0xffff);
	}
	return (uint32_t)gen_rand(&s->rng);
}

/* Addresses of flow @f: client and server, from 198.18.0.0/15 and 2001:db8::/32. */
static void
flow_addrs(uint64_t f, int ipver, uint8_t *cli, uint8_t *srv)
{
	uint32_t idx = (uint32_t)(f % 65534) + 1;

	memset(cli, 0, 16);
	memset(srv, 0, 16);
	if (ipver == 4) {
		cli[0] = srv[0] = 198;
		cli[1] = 18;
		srv[1] = 19;
		cli[2] = srv[2] = (uint8_t)(idx >> 8);
		cli[3] = srv[3] = (uint8_t)idx;
		return;
	}
	dicap_put_be32(cli, 0x20010db8);
	dicap_put_be32(srv, 0x20010db8);
	cli[5] = 1;
	srv[5] = 2;
	dicap_put_be32(cli + 12, (uint32_t)f + 1);
	dicap_put_be32(srv + 12, (uint32_t)f + 1);
}

static uint16_t
server_port(uint8_t proto, uint64_t h)
{
	static const uint16_t tcp_udp[] = { 80, 443, 53, 22, 123, 5060, 8080, 9899 };
	static const uint16_t sctp[] = { 2905, 3868, 36412, 38412 };

	if (proto == 132)
		return sctp[h % 4];
	return tcp_udp[h % 8];
}

/* The frame of unit @unit with @ipver/@proto, fields from its flow. */
static void
flow_spec(struct synth *s, struct dicap_frame_spec *sp, int ipver,
    uint8_t proto, uint64_t unit)
{
	uint64_t f = unit % s->cfg.flows;
	int rev = (int)(unit / s->cfg.flows % 2);
	uint64_t h = gen_hash64(s->cfg.seed * 0x100000001b3ull ^ gen_hash64(f));
	uint16_t cport = (uint16_t)(1024 + (h >> 16) % 64512);
	uint16_t sport = server_port(proto, h >> 40);
	uint8_t cli[16], srv[16];

	memset(sp, 0, sizeof(*sp));
	sp->ipver = ipver;
	sp->proto = proto;
	flow_addrs(f, ipver, cli, srv);
	memcpy(sp->saddr, rev ? srv : cli, 16);
	memcpy(sp->daddr, rev ? cli : srv, 16);
	sp->sport = rev ? sport : cport;
	sp->dport = rev ? cport : sport;
	sp->ttl = rev ? TTL_REV : TTL_FWD;
	sp->tcp_seq = (uint32_t)(rev ? h >> 32 : h);
	if (proto == 6)
		sp->tcp_seq += s->seq;
	if (proto == 1 || proto == 58) {
		sp->sport = cport;		/* identifier */
		sp->dport = (uint16_t)s->seq;	/* echo sequence number */
		sp->icmp_type = ipver == 4 ? (rev ? 0 : 8) : (rev ? 129 : 128);
	}
	sp->seq = s->seq;
}

static unsigned
target_size(struct synth *s)
{
	if (s->cfg.size_max <= s->cfg.size_min)
		return s->cfg.size_min;
	return s->cfg.size_min + rnd(s, s->cfg.size_max - s->cfg.size_min + 1);
}

/* Payload length that makes the frame @size bytes, or as small as it gets. */
static void
fit(struct dicap_frame_spec *sp, unsigned size)
{
	size_t hdr = dicap_frame_hdr_len(sp) + 8;

	sp->paylen = size > hdr ? (int)(size - hdr) : 0;
}

static int
frame_fits(const struct dicap_frame_spec *sp, unsigned size)
{
	return dicap_frame_hdr_len(sp) + 8 <= size;
}

static size_t
build(struct synth *s, const struct dicap_frame_spec *sp, uint8_t *buf,
    struct dicap_frame_layout *lo)
{
	size_t len = 0;

	/* Specs come from this file and fit GEN_SLOT: a failure is a bug. */
	if (dicap_frame_build(sp, buf, GEN_SLOT, &len, lo)) {
		fprintf(stderr, "dicap-gen: internal error: frame does not build\n");
		abort();
	}
	s->seq++;
	return len;
}

static void
tcp_or_udp(struct synth *s, int *ipver, uint8_t *proto)
{
	uint32_t r = rnd(s, 4);

	*ipver = r < 2 ? 4 : 6;
	*proto = r % 2 ? 17 : 6;
}

static size_t
make_tagged(struct synth *s, uint8_t *buf, int ntags, uint64_t unit)
{
	struct dicap_frame_spec sp;
	struct dicap_frame_layout lo;
	int ipver;
	uint8_t proto;

	tcp_or_udp(s, &ipver, &proto);
	flow_spec(s, &sp, ipver, proto, unit);
	sp.ntags = ntags;
	sp.ip_id = next_ipid(s, 0);
	fit(&sp, target_size(s));
	return build(s, &sp, buf, &lo);
}

static size_t
make_ipv4_opt(struct synth *s, uint8_t *buf, uint64_t unit)
{
	struct dicap_frame_spec sp;
	struct dicap_frame_layout lo;
	unsigned size = target_size(s);

	flow_spec(s, &sp, 4, rnd(s, 2) ? 17 : 6, unit);
	sp.ip_id = next_ipid(s, 0);
	sp.v4opt = 4 * (int)(1 + rnd(s, 10));
	while (sp.v4opt > 4 && !frame_fits(&sp, size))
		sp.v4opt -= 4;
	fit(&sp, size);
	return build(s, &sp, buf, &lo);
}

static size_t
make_ipv6_ext(struct synth *s, uint8_t *buf, uint64_t unit)
{
	static const uint8_t later[] = { 60, 43 };
	struct dicap_frame_spec sp;
	struct dicap_frame_layout lo;
	unsigned size = target_size(s);
	int i;

	flow_spec(s, &sp, 6, rnd(s, 2) ? 17 : 6, unit);
	sp.next = (int)(1 + rnd(s, 3));
	sp.ext[0] = rnd(s, 2) ? 0 : 60;		/* hop-by-hop may only come first */
	for (i = 1; i < sp.next; i++)
		sp.ext[i] = later[rnd(s, 2)];
	sp.extlen = (uint8_t)rnd(s, 2);
	while (!frame_fits(&sp, size) && (sp.next > 1 || sp.extlen)) {
		if (sp.extlen)
			sp.extlen = 0;
		else
			sp.next--;
	}
	fit(&sp, size);
	return build(s, &sp, buf, &lo);
}

static size_t
make_plain(struct synth *s, uint8_t *buf, int kind, uint64_t unit)
{
	struct dicap_frame_spec sp;
	struct dicap_frame_layout lo;

	flow_spec(s, &sp, plain_kind[kind].ipver, plain_kind[kind].proto, unit);
	sp.ip_id = next_ipid(s, 0);
	fit(&sp, target_size(s));
	return build(s, &sp, buf, &lo);
}

static void
put_mac(uint8_t *mac, const uint8_t *ip4)
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, ip4, 4);
}

static size_t
make_arp(struct synth *s, uint8_t *buf, uint64_t unit)
{
	struct dicap_frame_spec sp, ip;
	struct dicap_frame_layout lo;
	uint8_t arp[28], smac[6], dmac[6];
	int rev = (int)(unit / s->cfg.flows % 2);
	size_t len;

	/* The flow's IPv4 addresses: request client to server, reply back. */
	flow_spec(s, &ip, 4, 17, unit);
	put_mac(smac, ip.saddr);
	put_mac(dmac, ip.daddr);
	memcpy(arp, "\x00\x01\x08\x00\x06\x04\x00", 7);
	arp[7] = rev ? 2 : 1;
	memcpy(arp + 8, smac, 6);
	memcpy(arp + 14, ip.saddr, 4);
	if (rev)
		memcpy(arp + 18, dmac, 6);
	else
		memset(arp + 18, 0, 6);
	memcpy(arp + 24, ip.daddr, 4);

	memset(&sp, 0, sizeof(sp));
	sp.ethertype = 0x0806;
	sp.raw = arp;
	sp.rawlen = sizeof(arp);
	sp.seq = s->seq;
	fit(&sp, target_size(s));
	len = build(s, &sp, buf, &lo);
	if (rev)
		memcpy(buf, dmac, 6);
	else
		memset(buf, 0xff, 6);
	memcpy(buf + 6, smac, 6);
	return len;
}

/* ---- fragments ---- */

static size_t
frag_next(struct synth *s, uint8_t *buf)
{
	struct synth_train *t = &s->train;
	struct dicap_frame_spec sp;
	struct dicap_frame_layout lo;
	int ipver = t->kind == K_IPV4_FRAG ? 4 : 6;
	size_t len, ipdata;

	flow_spec(s, &sp, ipver, 17, t->unit);
	sp.ip_id = t->ip_id;
	sp.frag_csum = t->csum;
	sp.frag = t->next_off == 0 ? DICAP_FRAG_FIRST :
	    t->left == 1 ? DICAP_FRAG_LAST : DICAP_FRAG_MIDDLE;
	sp.frag_off = t->next_off;
	fit(&sp, target_size(s));
	len = build(s, &sp, buf, &lo);
	/* Later fragments continue where this one ends (8-byte units, rounded up). */
	ipdata = lo.ip_end - (ipver == 4 ? lo.l3_off + 20 : lo.ext_end);
	t->next_off = (uint16_t)(t->next_off + (ipdata + 7) / 8);
	t->left--;
	s->frames[t->kind]++;
	s->last_kind = t->kind;
	return len;
}

static void
frag_start(struct synth *s, int kind, uint64_t unit)
{
	struct synth_train *t = &s->train;

	t->kind = kind;
	t->unit = unit;
	t->left = (int)(2 + rnd(s, 2));
	t->next_off = 0;
	t->ip_id = next_ipid(s, 1);
	t->csum = (uint16_t)gen_rand(&s->rng);
}

/* ---- malformed frames ---- */

enum {
	MV_IHL, MV_TOTLEN_SHORT, MV_TOTLEN_LONG, MV_V4_VERSION, MV_V6_VERSION,
	MV_V6_PLEN_LONG, MV_TCP_DOFF, MV_UDP_SHORT, MV_UDP_LONG, MV_VLAN_DEEP,
	MV_EXT_DEEP, MV_MAX,
};

static void
malformed_spec(struct synth *s, struct dicap_frame_spec *sp, int v,
    uint64_t unit)
{
	static const uint8_t v6ext[] = { 0, 60, 43, 60, 43, 60, 43 };
	int ipver = rnd(s, 2) ? 4 : 6;
	uint8_t proto = 17;

	switch (v) {
	case MV_IHL:
	case MV_TOTLEN_SHORT:
	case MV_TOTLEN_LONG:
	case MV_V4_VERSION:
		ipver = 4;
		break;
	case MV_V6_VERSION:
	case MV_V6_PLEN_LONG:
	case MV_EXT_DEEP:
		ipver = 6;
		break;
	}
	if (v == MV_IHL || v == MV_TOTLEN_LONG || v == MV_V6_PLEN_LONG ||
	    v == MV_TCP_DOFF)
		proto = 6;
	flow_spec(s, sp, ipver, proto, unit);
	sp->ip_id = next_ipid(s, 0);
	if (v == MV_VLAN_DEEP)
		sp->ntags = DICAP_MAX_VLAN_TAGS + 1;
	if (v == MV_EXT_DEEP) {
		sp->next = DICAP_MAX_IPV6_EXT + 1;
		memcpy(sp->ext, v6ext, sizeof(v6ext));
	}
}

static void
malformed_damage(struct synth *s, uint8_t *buf, size_t *len,
    const struct dicap_frame_layout *lo, int v)
{
	static const int kind[MV_MAX] = {
		[MV_IHL] = DICAP_DMG_IHL, [MV_TOTLEN_SHORT] = DICAP_DMG_TOTLEN,
		[MV_TOTLEN_LONG] = DICAP_DMG_GROW, [MV_V4_VERSION] = DICAP_DMG_VERSION,
		[MV_V6_VERSION] = DICAP_DMG_VERSION, [MV_V6_PLEN_LONG] = DICAP_DMG_GROW,
		[MV_TCP_DOFF] = DICAP_DMG_DOFF, [MV_UDP_SHORT] = DICAP_DMG_UDPLEN,
		[MV_UDP_LONG] = DICAP_DMG_UDPLEN,
	};
	int arg;

	switch (v) {
	case MV_IHL:
	case MV_TCP_DOFF:
		arg = (int)rnd(s, 5);
		break;
	case MV_TOTLEN_SHORT:
		arg = (int)rnd(s, 20);
		break;
	case MV_TOTLEN_LONG:
	case MV_V6_PLEN_LONG:
		arg = (int)(64 + rnd(s, 512));
		break;
	case MV_V4_VERSION:
		arg = (int)(5 + rnd(s, 3));
		break;
	case MV_V6_VERSION:
		arg = 4;
		break;
	case MV_UDP_SHORT:
		arg = (int)rnd(s, 8);
		break;
	case MV_UDP_LONG:
		arg = (int)(lo->ip_end - lo->l4_off + 1 + rnd(s, 100));
		break;
	default:
		return;			/* the spec did the damage */
	}
	dicap_frame_damage(buf, len, GEN_SLOT, lo, kind[v], arg);
}

static size_t
make_malformed(struct synth *s, uint8_t *buf, uint64_t unit)
{
	struct dicap_frame_spec sp;
	struct dicap_frame_layout lo;
	struct dicap_pkt pkt;
	unsigned size = target_size(s);
	size_t len;
	int v = (int)rnd(s, MV_MAX);

	malformed_spec(s, &sp, v, unit);
	fit(&sp, size);
	if (dicap_frame_build(&sp, buf, GEN_SLOT, &len, &lo))
		abort();
	malformed_damage(s, buf, &len, &lo, v);
	dicap_parse(buf, buf + len, &pkt);
	if (pkt.cls != DICAP_PKT_MALFORMED && pkt.cls != DICAP_PKT_TRUNCATED) {
		/* Cannot happen with the variants above; never send a good frame. */
		malformed_spec(s, &sp, MV_VLAN_DEEP, unit);
		fit(&sp, size);
		if (dicap_frame_build(&sp, buf, GEN_SLOT, &len, &lo))
			abort();
	}
	s->seq++;
	return len;
}

size_t
synth_next(struct synth *s, uint8_t *buf)
{
	uint64_t unit;
	int kind;
	size_t len;

	if (s->train.left)
		return frag_next(s, buf);
	kind = pick_kind(s);
	unit = s->unit++;
	switch (kind) {
	case K_VLAN:
		len = make_tagged(s, buf, 1, unit);
		break;
	case K_QINQ:
		len = make_tagged(s, buf, 2, unit);
		break;
	case K_IPV4_FRAG:
	case K_IPV6_FRAG:
		frag_start(s, kind, unit);
		return frag_next(s, buf);
	case K_IPV4_OPT:
		len = make_ipv4_opt(s, buf, unit);
		break;
	case K_IPV6_EXT:
		len = make_ipv6_ext(s, buf, unit);
		break;
	case K_MALFORMED:
		len = make_malformed(s, buf, unit);
		break;
	case K_ARP:
		len = make_arp(s, buf, unit);
		break;
	default:
		len = make_plain(s, buf, kind, unit);
		break;
	}
	s->frames[kind]++;
	s->last_kind = kind;
	return len;
}

void
synth_skip(struct synth *s, unsigned n)
{
	s->seq += n;
	s->frames[s->last_kind] += n;
}

static unsigned
hdr_min(int ipver, uint8_t proto, int ntags)
{
	struct dicap_frame_spec sp;
	size_t n;

	memset(&sp, 0, sizeof(sp));
	sp.ipver = ipver;
	sp.proto = proto;
	sp.ntags = ntags;
	n = dicap_frame_hdr_len(&sp) + 8;
	return n < DICAP_FRAME_MIN_LEN ? DICAP_FRAME_MIN_LEN : (unsigned)n;
}

unsigned
synth_kind_min(int kind)
{
	/* The largest of the kind's variants at their smallest. */
	switch (kind) {
	case K_VLAN:
		return hdr_min(6, 6, 1);
	case K_QINQ:
		return hdr_min(6, 6, 2);
	case K_IPV4_FRAG:
		return hdr_min(4, 17, 0);
	case K_IPV6_FRAG:
		return hdr_min(6, 17, 0) + 8;
	case K_IPV4_OPT:
		return hdr_min(4, 6, 0) + 4;
	case K_IPV6_EXT:
		return hdr_min(6, 6, 0) + 8;
	case K_MALFORMED:
		return hdr_min(6, 17, 0) + 8 * (DICAP_MAX_IPV6_EXT + 1);
	case K_ARP:
		return DICAP_FRAME_MIN_LEN;	/* 14 + 28 + 8 bytes, padded */
	}
	if (kind >= 0 && kind <= K_IPV6_ICMP)
		return hdr_min(plain_kind[kind].ipver, plain_kind[kind].proto, 0);
	return DICAP_FRAME_MIN_LEN;
}
