/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The qemu tests' frame set, built identically by the host feeder
 * (kmod-feed) and by the guest tool (dicap-kctl), which maps each frame it
 * receives back to its index by content.  Frame i is a function of i only:
 * IPv4 UDP/TCP/ICMP, IPv6 UDP, tunnels (VXLAN, GRE, IP-in-IP) and ICMP
 * errors, whose owner in flow and host mode depends on the inner or quoted
 * flow, non-IP, and malformed/truncated IPv4 and IPv6.  Every frame is at
 * least 14 bytes: virtio_net drops shorter ones before any hook, on every
 * node alike.
 */
#ifndef KMOD_FRAMES_H
#define KMOD_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KF_COUNT	600
#define KF_MAX		256

static inline uint32_t kf_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* An IPv4 header at @ip, 198.18/15 addresses that vary with @i and @s. */
static inline void kf_ipv4(uint8_t *ip, uint8_t proto, size_t total, uint32_t i, uint32_t *s)
{
	ip[0] = 0x45;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[4] = (uint8_t)kf_rand(s);
	ip[5] = (uint8_t)kf_rand(s);
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 198; ip[13] = 18; ip[14] = (uint8_t)kf_rand(s); ip[15] = (uint8_t)i;
	ip[16] = 198; ip[17] = 19; ip[18] = (uint8_t)kf_rand(s); ip[19] = (uint8_t)(i >> 8);
}

/*
 * A tunnelled frame or an ICMP error: @ip gets the outer IPv4 header,
 * the inner (or quoted) flow is random.  Returns the frame's length.
 */
static inline size_t kf_tunnel(uint32_t i, uint8_t *f, uint32_t *s)
{
	uint8_t *ip = f + 14, *in, *l4;
	size_t hdr, tail = 8 + 8, j;	/* UDP + payload after the inner IP */

	f[12] = 0x08;
	switch ((i / 10) % 4) {
	case 0:				/* VXLAN: UDP 4789, Ethernet, IPv4 TCP */
		hdr = 20 + 8 + 8 + 14;
		kf_ipv4(ip, 17, hdr + 20 + 20 + 8, i, s);
		ip[20] = (uint8_t)kf_rand(s);
		ip[21] = (uint8_t)kf_rand(s);
		ip[22] = 4789 >> 8;
		ip[23] = 4789 & 0xff;
		ip[25] = (uint8_t)(8 + 8 + 14 + 20 + 20 + 8);
		ip[28] = 0x08;
		ip[33] = (uint8_t)i;
		ip[36 + 12] = 0x08;
		in = ip + hdr;
		kf_ipv4(in, 6, 20 + 20 + 8, i ^ 0x55, s);
		in[32] = 0x50;
		tail = 20 + 8;
		break;
	case 1:				/* GRE: IPv4 UDP */
		hdr = 20 + 4;
		kf_ipv4(ip, 47, hdr + 20 + 8 + 8, i, s);
		ip[22] = 0x08;
		in = ip + hdr;
		kf_ipv4(in, 17, 20 + 8 + 8, i ^ 0xaa, s);
		in[25] = 8 + 8;
		break;
	case 2:				/* IP-in-IP: IPv4 UDP */
		hdr = 20;
		kf_ipv4(ip, 4, hdr + 20 + 8 + 8, i, s);
		in = ip + hdr;
		kf_ipv4(in, 17, 20 + 8 + 8, i ^ 0x33, s);
		in[25] = 8 + 8;
		break;
	default:			/* ICMP port unreachable quoting IPv4 TCP */
		hdr = 20 + 8;
		kf_ipv4(ip, 1, hdr + 20 + 8, i, s);
		ip[20] = 3;
		ip[21] = 3;
		in = ip + hdr;
		kf_ipv4(in, 6, 20 + 20, i ^ 0xcc, s);
		tail = 8;		/* the quote: the TCP header's first 8 bytes */
		break;
	}
	l4 = in + 20;
	for (j = 0; j < 4; j++)
		l4[j] = (uint8_t)kf_rand(s);
	return (size_t)(l4 - f) + tail;
}

static inline size_t kf_frame(uint32_t i, uint8_t *f)
{
	uint32_t s = 0x9e3779b9u ^ (i * 2654435761u), kind, j;
	size_t len = 60;
	uint8_t *ip = f + 14;

	if (s == 0)
		s = 1;
	memset(f, 0, KF_MAX);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	kind = i % 10;
	for (j = 0; j < 4; j++)
		kf_rand(&s);
	if (kind == 2) {
		len = kf_tunnel(i, f, &s);
	} else if (kind <= 5) {			/* IPv4 UDP, TCP, ICMP */
		uint8_t proto = kind < 3 ? 17 : kind < 5 ? 6 : 1;
		size_t l4 = proto == 6 ? 20 : 8;

		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = 0;
		ip[3] = (uint8_t)(20 + l4 + 18);
		ip[4] = (uint8_t)kf_rand(&s);
		ip[5] = (uint8_t)kf_rand(&s);
		ip[8] = 64;
		ip[9] = proto;
		ip[12] = 198; ip[13] = 18; ip[14] = (uint8_t)kf_rand(&s); ip[15] = (uint8_t)i;
		ip[16] = 198; ip[17] = 19; ip[18] = (uint8_t)kf_rand(&s); ip[19] = (uint8_t)(i >> 8);
		for (j = 0; j < 4; j++)
			ip[20 + j] = (uint8_t)kf_rand(&s);
		if (proto == 17)
			ip[25] = (uint8_t)(8 + 18);
		if (proto == 6)
			ip[32] = 0x50;
		if (proto == 1)
			ip[20] = 8;
		len = 14 + 20 + l4 + 18;
	} else if (kind == 6) {			/* IPv6 UDP */
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 8 + 10;
		ip[6] = 17;
		ip[7] = 64;
		ip[8] = 0x20; ip[9] = 0x01; ip[10] = 0x0d; ip[11] = 0xb8;
		ip[24] = 0x20; ip[25] = 0x01; ip[26] = 0x0d; ip[27] = 0xb8;
		for (j = 0; j < 8; j++) {
			ip[16 + j] = (uint8_t)kf_rand(&s);
			ip[32 + j] = (uint8_t)kf_rand(&s);
		}
		ip[40] = (uint8_t)kf_rand(&s);
		ip[42] = (uint8_t)kf_rand(&s);
		ip[45] = 18;
		len = 14 + 40 + 18;
	} else if (kind == 7) {			/* non-IP */
		f[12] = 0x88;
		f[13] = 0xb6;
		for (j = 14; j < 60; j++)
			f[j] = (uint8_t)kf_rand(&s);
	} else if (kind == 8) {			/* IPv4, IHL 3: malformed */
		f[12] = 0x08;
		ip[0] = 0x43;
		for (j = 1; j < 40; j++)
			ip[j] = (uint8_t)kf_rand(&s);
	} else {				/* truncated: short of its headers */
		f[12] = (i & 16) ? 0x86 : 0x08;
		f[13] = (i & 16) ? 0xdd : 0x00;
		ip[0] = (i & 16) ? 0x60 : 0x45;
		for (j = 1; j < 10; j++)
			ip[j] = (uint8_t)kf_rand(&s);
		len = 14 + 10 + (i % 7);
	}
	f[len - 1] ^= (uint8_t)(i >> 8);	/* keep every frame distinct */
	f[len - 2] ^= (uint8_t)i;
	return len;
}

#endif /* KMOD_FRAMES_H */
