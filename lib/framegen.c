/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame builder: see framegen.h.  Offsets are checked against the buffer
 * capacity before anything is written, so a spec that does not fit fails
 * instead of overrunning.
 */
#include <string.h>

#include "dicap/types.h"
#include "framegen.h"

/* Room the builder keeps for one extension or L4 header before writing it. */
#define HDR_ROOM	32

uint32_t
dicap_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

uint16_t
dicap_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t crc32c_table[256];
static int crc32c_ready;

static void
crc32c_init(void)
{
	uint32_t i, crc;
	int k;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
		crc32c_table[i] = crc;
	}
	__atomic_store_n(&crc32c_ready, 1, __ATOMIC_RELEASE);
}

uint32_t
dicap_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;

	/* Racing initialisers write the same values: harmless. */
	if (!__atomic_load_n(&crc32c_ready, __ATOMIC_ACQUIRE))
		crc32c_init();
	for (i = 0; i < n; i++)
		crc = (crc >> 8) ^ crc32c_table[(crc ^ p[i]) & 0xff];
	return ~crc;
}

int
dicap_frame_is_echo(int ipver, uint8_t type)
{
	if (ipver == 4)
		return type == 0 || type == 8;
	return type == 128 || type == 129;
}

size_t
dicap_frame_l4_hdr(int ipver, uint8_t proto)
{
	switch (proto) {
	case 6:
		return 20;
	case 17:
		return 8;
	case 132:
		return 12;
	case 1:
		return ipver == 4 ? 8 : 0;
	case 58:
		return ipver == 6 ? 8 : 0;
	}
	return 0;
}

static void
put_mac(uint8_t *mac, const struct dicap_frame_spec *s, const uint8_t *addr)
{
	const uint8_t *a = s->ipver == 6 ? addr + 12 : addr;

	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, a, 4);
}

/* Writes the L4 header at @l4 (checksum later); returns its length. */
static size_t
put_l4(const struct dicap_frame_spec *s, uint8_t *l4)
{
	switch (s->proto) {
	case 6:
		dicap_put_be16(l4, s->sport);
		dicap_put_be16(l4 + 2, s->dport);
		dicap_put_be32(l4 + 4, s->tcp_seq);
		dicap_put_be32(l4 + 8, s->tcp_seq ^ 0x5a5a0f0fu);
		l4[12] = 5 << 4;
		l4[13] = 0x18;			/* PSH, ACK */
		dicap_put_be16(l4 + 14, 29200);
		return 20;
	case 17:
		dicap_put_be16(l4, s->sport);
		dicap_put_be16(l4 + 2, s->dport);
		return 8;			/* length is set with the payload */
	case 132:
		dicap_put_be16(l4, s->sport);
		dicap_put_be16(l4 + 2, s->dport);
		dicap_put_be32(l4 + 4, s->tcp_seq);
		return 12;
	case 1:
	case 58:
		if (!dicap_frame_l4_hdr(s->ipver, s->proto))
			break;
		l4[0] = s->icmp_type;
		dicap_put_be16(l4 + 4, s->sport);
		dicap_put_be16(l4 + 6, s->dport);
		return 8;
	case 47:				/* GRE carrying IPv4 */
		dicap_put_be16(l4 + 2, 0x0800);
		return 4;
	case 50:				/* ESP: SPI, sequence */
		dicap_put_be32(l4, 0x1000u + s->sport);
		dicap_put_be32(l4 + 4, s->tcp_seq);
		return 8;
	}
	return 0;
}

static void
put_sctp_crc(uint8_t *l4, size_t l4len)
{
	uint32_t crc = dicap_crc32c(l4, l4len);

	/* Stacks store the CRC32c least significant byte first. */
	l4[8] = (uint8_t)crc;
	l4[9] = (uint8_t)(crc >> 8);
	l4[10] = (uint8_t)(crc >> 16);
	l4[11] = (uint8_t)(crc >> 24);
}

/* Computes and stores the L4 checksum of an unfragmented packet. */
static void
put_l4_csum(const struct dicap_frame_spec *s, uint8_t *l4, size_t l4len)
{
	size_t alen = s->ipver == 4 ? 4 : 16;
	uint32_t sum = 0;
	uint16_t c;

	if (s->proto == 132) {
		put_sctp_crc(l4, l4len);
		return;
	}
	if (s->proto != 1) {		/* ICMPv4 has no pseudo header */
		sum = dicap_csum_add(0, s->saddr, alen);
		sum = dicap_csum_add(sum, s->daddr, alen);
		sum += (uint32_t)s->proto + (uint32_t)l4len;
	}
	c = dicap_csum_fold(dicap_csum_add(sum, l4, l4len));
	if (s->proto == 17 && c == 0)
		c = 0xffff;
	switch (s->proto) {
	case 6:
		dicap_put_be16(l4 + 16, c);
		break;
	case 17:
		dicap_put_be16(l4 + 6, c);
		break;
	case 1:
	case 58:
		dicap_put_be16(l4 + 2, c);
		break;
	}
}

/* A fragment's L4 checksum covers bytes it does not have: take the spec's. */
static void
put_frag_csum(const struct dicap_frame_spec *s, uint8_t *l4)
{
	switch (s->proto) {
	case 6:
		dicap_put_be16(l4 + 16, s->frag_csum);
		break;
	case 17:
		dicap_put_be16(l4 + 6, s->frag_csum);
		break;
	case 132:
		dicap_put_be32(l4 + 8, (uint32_t)s->frag_csum * 0x10001u);
		break;
	case 1:
	case 58:
		dicap_put_be16(l4 + 2, s->frag_csum);
		break;
	}
}

static uint16_t
read_csum(uint8_t proto, const uint8_t *l4)
{
	switch (proto) {
	case 6:
		return dicap_get_be16(l4 + 16);
	case 17:
		return dicap_get_be16(l4 + 6);
	case 132:
		return (uint16_t)dicap_get_be32(l4 + 8);
	}
	return dicap_get_be16(l4 + 2);
}

/* Writes one IPv6 extension header of type @t; returns its length. */
static size_t
put_ext(const struct dicap_frame_spec *s, uint8_t t, uint8_t next, uint8_t *h)
{
	size_t len;

	h[0] = next;
	if (t == 44) {
		uint16_t fo = s->frag == DICAP_FRAG_FIRST || s->frag == DICAP_FRAG_ATOMIC ?
		    0 : s->frag_off;
		int more = s->frag == DICAP_FRAG_FIRST || s->frag == DICAP_FRAG_MIDDLE;

		dicap_put_be16(h + 2, (uint16_t)(fo << 3 | more));
		dicap_put_be32(h + 4, s->ip_id);
		return 8;
	}
	if (t == 51) {
		h[1] = 4;			/* (4 + 2) * 4 = 24 bytes */
		dicap_put_be32(h + 4, 0x100 + s->dport);
		dicap_put_be32(h + 8, s->seq);
		return 24;
	}
	len = ((size_t)s->extlen + 1) * 8;
	h[1] = s->extlen;
	if (t == 43) {
		h[2] = 4;			/* segment routing, none left */
		return len;
	}
	h[2] = 1;				/* PadN over the option area */
	h[3] = (uint8_t)(len - 4);
	return len;
}

static int
has_ext(const struct dicap_frame_spec *s, uint8_t t)
{
	int i;

	for (i = 0; i < s->next && i < (int)sizeof(s->ext); i++)
		if (s->ext[i] == t)
			return 1;
	return 0;
}

static int
is_nonfirst(const struct dicap_frame_spec *s)
{
	return s->frag == DICAP_FRAG_MIDDLE || s->frag == DICAP_FRAG_LAST;
}

/* Ethernet header and VLAN tags; returns the L3 offset. */
static size_t
put_eth(const struct dicap_frame_spec *s, uint8_t *b)
{
	size_t pos = 12;
	uint16_t et = s->ethertype;
	int i;

	if (s->ipver) {
		put_mac(b, s, s->daddr);
		put_mac(b + 6, s, s->saddr);
	} else {
		memcpy(b, "\x01\x80\xc2\x00\x00\x0e\x02\x00\x5e\x10\x20\x30", 12);
	}
	for (i = 0; i < s->ntags; i++) {
		dicap_put_be16(b + pos, i == 0 && s->ntags > 1 ? 0x88a8 : 0x8100);
		dicap_put_be16(b + pos + 2, (uint16_t)(100 + i));
		pos += 4;
	}
	if (!et)
		et = s->ipver == 6 ? 0x86dd : s->ipver == 4 ? 0x0800 : 0x88b5;
	dicap_put_be16(b + pos, et);
	return pos + 2;
}

/* IPv4 header and options at @b; returns their length. */
static size_t
put_ipv4(const struct dicap_frame_spec *s, uint8_t *b)
{
	uint16_t fo = is_nonfirst(s) ? s->frag_off : 0;
	uint16_t more = s->frag == DICAP_FRAG_FIRST || s->frag == DICAP_FRAG_MIDDLE;

	b[0] = (uint8_t)(0x40 | (5 + s->v4opt / 4));
	dicap_put_be16(b + 4, (uint16_t)s->ip_id);
	dicap_put_be16(b + 6, (uint16_t)(more << 13 | fo |
	    (s->frag == DICAP_FRAG_NONE ? 0x4000 : 0)));
	b[8] = s->ttl;
	b[9] = s->proto;
	memcpy(b + 12, s->saddr, 4);
	memcpy(b + 16, s->daddr, 4);
	if (s->v4opt >= 4) {
		memcpy(b + 20, "\x94\x04\x00\x00", 4);		/* router alert */
		memset(b + 24, 1, (size_t)s->v4opt - 4);	/* NOP */
	}
	return 20 + (size_t)s->v4opt;
}

/* IPv6 header and extension headers; returns the end offset or 0. */
static size_t
put_ipv6(const struct dicap_frame_spec *s, uint8_t *b, size_t pos,
    size_t cap, struct dicap_frame_layout *lo)
{
	uint8_t ext[sizeof(s->ext) + 1];
	int next = s->next, i;

	memcpy(ext, s->ext, sizeof(s->ext));
	if (s->frag != DICAP_FRAG_NONE && !has_ext(s, 44))
		ext[next++] = 44;
	b[pos] = 0x60;
	b[pos + 1] = 0x0a;			/* traffic class, flow label */
	dicap_put_be16(b + pos + 2, (uint16_t)(s->sport ^ s->dport));
	b[pos + 6] = next ? ext[0] : s->proto;
	b[pos + 7] = s->ttl;
	memcpy(b + pos + 8, s->saddr, 16);
	memcpy(b + pos + 24, s->daddr, 16);
	pos += 40;
	lo->ext_off = pos;
	for (i = 0; i < next; i++) {
		if (pos + HDR_ROOM > cap)
			return 0;
		pos += put_ext(s, ext[i], i + 1 < next ? ext[i + 1] : s->proto, b + pos);
	}
	lo->ext_end = pos;
	return pos <= cap ? pos : 0;
}

static int
spec_sane(const struct dicap_frame_spec *s)
{
	if (s->ntags < 0 || s->ntags > 8 || s->paylen < 0)
		return 0;
	if (s->ipver == 4)
		return s->v4opt >= 0 && s->v4opt <= 40 && s->v4opt % 4 == 0;
	if (s->ipver == 6)
		return s->next >= 0 && s->next <= (int)sizeof(s->ext);
	return s->ipver == 0;
}

/* IP lengths and checksums once the payload is in place. */
static void
finish_ip(const struct dicap_frame_spec *s, uint8_t *b, size_t pos,
    size_t l4, size_t l4len, struct dicap_frame_layout *lo)
{
	size_t l3 = lo->l3_off, iplen = pos - l3;

	lo->ip_end = pos;
	if (s->ipver == 4) {
		dicap_put_be16(b + l3 + 2, (uint16_t)iplen);
		dicap_put_be16(b + l3 + 10,
		    dicap_csum_fold(dicap_csum_add(0, b + l3, 20 + (size_t)s->v4opt)));
	} else {
		dicap_put_be16(b + l3 + 4, (uint16_t)(iplen - 40));
	}
	if (s->proto == 17 && l4len)
		dicap_put_be16(b + l4 + 4, (uint16_t)(pos - l4));
	if (l4len && s->frag == DICAP_FRAG_NONE)
		put_l4_csum(s, b + l4, pos - l4);
	else if (l4len)
		put_frag_csum(s, b + l4);
	if (lo->l4_hdr)
		lo->l4_csum = read_csum(s->proto, b + l4);
}

static void
put_payload(const struct dicap_frame_spec *s, uint8_t *b)
{
	int i;

	dicap_put_be32(b, DICAP_FRAME_MARKER);
	dicap_put_be32(b + 4, s->seq);
	b += 8;
	for (i = 0; i < s->paylen; i++)
		b[i] = (uint8_t)(s->seq * 31 + (uint32_t)i * 7);
}

int
dicap_frame_build(const struct dicap_frame_spec *s, uint8_t *b, size_t cap,
    size_t *len, struct dicap_frame_layout *lo)
{
	size_t pos, l4 = 0, l4len = 0;

	size_t need;

	memset(lo, 0, sizeof(*lo));
	*len = 0;
	if (cap < DICAP_FRAME_MIN_LEN || !spec_sane(s) ||
	    14 + 4 * (size_t)s->ntags + 20 + 40 + HDR_ROOM > cap)
		return -1;
	/* Bytes the builder does not write must be zero (checksums, padding). */
	need = dicap_frame_hdr_len(s) + (s->no_seq ? 0 : 8 + (size_t)s->paylen);
	if (need < DICAP_FRAME_MIN_LEN)
		need = DICAP_FRAME_MIN_LEN;
	memset(b, 0, need < cap ? need : cap);
	pos = lo->l3_off = put_eth(s, b);

	if (s->ipver == 0) {
		if (pos + s->rawlen > cap)
			return -1;
		if (s->rawlen)
			memcpy(b + pos, s->raw, s->rawlen);
		pos += s->rawlen;
	} else if (s->ipver == 4) {
		pos += put_ipv4(s, b + pos);
	} else {
		pos = put_ipv6(s, b, pos, cap, lo);
		if (!pos)
			return -1;
	}

	if (s->ipver && !is_nonfirst(s) && pos + HDR_ROOM <= cap) {
		l4 = pos;
		l4len = put_l4(s, b + pos);
		pos += l4len;
		if (l4len || s->proto != 59 || dicap_frame_l4_hdr(s->ipver, s->proto))
			lo->l4_off = l4;
		lo->l4_hdr = dicap_frame_l4_hdr(s->ipver, s->proto);
	}
	if (!s->no_seq) {
		if (pos + 8 + (size_t)s->paylen > cap)
			return -1;
		lo->seq_off = pos;
		put_payload(s, b + pos);
		pos += 8 + (size_t)s->paylen;
	}
	if (s->ipver)
		finish_ip(s, b, pos, l4, l4len, lo);
	if (pos < DICAP_FRAME_MIN_LEN)
		pos = DICAP_FRAME_MIN_LEN;
	*len = pos;
	return 0;
}

size_t
dicap_frame_hdr_len(const struct dicap_frame_spec *s)
{
	size_t pos = 14 + 4 * (size_t)(s->ntags > 0 ? s->ntags : 0);
	int i;

	if (s->ipver == 0)
		return pos + s->rawlen;
	if (s->ipver == 4) {
		pos += 20 + (size_t)s->v4opt;
	} else {
		pos += 40;
		for (i = 0; i < s->next && i < (int)sizeof(s->ext); i++)
			pos += s->ext[i] == 44 ? 8 : s->ext[i] == 51 ? 24 :
			       ((size_t)s->extlen + 1) * 8;
		if (s->frag != DICAP_FRAG_NONE && !has_ext(s, 44))
			pos += 8;
	}
	if (!is_nonfirst(s)) {
		uint8_t l4[HDR_ROOM];

		pos += put_l4(s, l4);
	}
	return pos;
}

int
dicap_frame_seq(const uint8_t *buf, size_t len, uint32_t *seq)
{
	size_t i;

	for (i = 0; i + 8 <= len; i++) {
		if (dicap_get_be32(buf + i) == DICAP_FRAME_MARKER) {
			*seq = dicap_get_be32(buf + i + 4);
			return 1;
		}
	}
	return 0;
}

/* Byte offset @kind writes at, for the bounds check. */
static size_t
damage_at(const struct dicap_frame_layout *lo, int kind, int arg)
{
	switch (kind) {
	case DICAP_DMG_IHL:
	case DICAP_DMG_VERSION:
		return lo->l3_off;
	case DICAP_DMG_IHL_LONG:
	case DICAP_DMG_TOTLEN:
		return lo->l3_off + 3;
	case DICAP_DMG_GROW:
	case DICAP_DMG_PLEN:
		return lo->l3_off + 5;
	case DICAP_DMG_DOFF:
		return lo->l4_off + 12;
	case DICAP_DMG_UDPLEN:
		return lo->l4_off + 5;
	case DICAP_DMG_EXT_BYTE:
		return lo->ext_off + (size_t)(arg >> 8);
	}
	return 0;
}

static void
damage_grow(uint8_t *buf, const struct dicap_frame_layout *lo, int v)
{
	size_t at = lo->l3_off + ((buf[lo->l3_off] >> 4) == 6 ? 4 : 2);

	dicap_put_be16(buf + at, (uint16_t)(dicap_get_be16(buf + at) + v));
}

int
dicap_frame_damage(uint8_t *buf, size_t *len, size_t cap,
    const struct dicap_frame_layout *lo, int kind, int arg)
{
	size_t i;

	if (kind < 0 || kind >= DICAP_DMG_MAX || arg < 0 || damage_at(lo, kind, arg) >= cap ||
	    ((kind == DICAP_DMG_DOFF || kind == DICAP_DMG_UDPLEN ||
	    kind == DICAP_DMG_CUT_L4) && !lo->l4_off) ||
	    (kind == DICAP_DMG_EXT_BYTE && !lo->ext_off))
		return -1;
	switch (kind) {
	case DICAP_DMG_IHL:
		buf[lo->l3_off] = (uint8_t)(0x40 | (arg & 0x0f));
		break;
	case DICAP_DMG_IHL_LONG:
		buf[lo->l3_off] = 0x4f;
		dicap_put_be16(buf + lo->l3_off + 2, (uint16_t)arg);
		break;
	case DICAP_DMG_TOTLEN:
		dicap_put_be16(buf + lo->l3_off + 2, (uint16_t)arg);
		break;
	case DICAP_DMG_GROW:
		damage_grow(buf, lo, arg);
		break;
	case DICAP_DMG_PLEN:
		dicap_put_be16(buf + lo->l3_off + 4, (uint16_t)arg);
		break;
	case DICAP_DMG_VERSION:
		buf[lo->l3_off] = (uint8_t)((buf[lo->l3_off] & 0x0f) | (arg & 0x0f) << 4);
		break;
	case DICAP_DMG_CUT:
		if ((size_t)arg > cap)
			return -1;
		*len = (size_t)arg;
		break;
	case DICAP_DMG_CUT_L4:
		if (lo->l4_off + (size_t)arg > cap)
			return -1;
		*len = lo->l4_off + (size_t)arg;
		break;
	case DICAP_DMG_DOFF:
		buf[lo->l4_off + 12] = (uint8_t)(arg << 4);
		break;
	case DICAP_DMG_UDPLEN:
		dicap_put_be16(buf + lo->l4_off + 4, (uint16_t)arg);
		break;
	case DICAP_DMG_EXT_BYTE:
		buf[lo->ext_off + (size_t)(arg >> 8)] = (uint8_t)arg;
		break;
	case DICAP_DMG_PAD:
		for (i = lo->ip_end; i < *len && i < cap; i++)
			buf[i] = (uint8_t)(arg + (int)i);
		break;
	}
	return 0;
}
