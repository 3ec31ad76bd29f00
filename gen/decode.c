/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --decode FILE: one line per frame of a capture, as DiCAP's parser sees it,
 * with the sequence number dicap-gen put in it.  Tests match captured
 * frames to sent ones with it, and count kinds without a dissector that
 * disagrees with the parser about what is malformed.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "framegen.h"
#include "gen.h"
#include "dicap/packet.h"

static const char *
l4_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	case 1:
	case 58:
		return "icmp";
	}
	return NULL;
}

/* The generator kind a parsed frame looks like. */
static const char *
kind_of(const struct dicap_pkt *p)
{
	static char name[32];
	const char *l4;

	if (p->cls == DICAP_PKT_MALFORMED || p->cls == DICAP_PKT_TRUNCATED)
		return "malformed";
	if (p->cls == DICAP_PKT_NON_IP)
		return p->ethertype == 0x0806 ? "arp" : "non-ip";
	if (p->vlan_depth)
		return p->vlan_depth == 1 ? "vlan" : "qinq";
	if (p->flags & DICAP_PF_FRAG)
		return p->l3 == DICAP_L3_IPV4 ? "ipv4-frag" : "ipv6-frag";
	if (p->flags & DICAP_PF_IPOPT)
		return "ipv4-opt";
	if (p->flags & DICAP_PF_IPV6_EXT)
		return "ipv6-ext";
	l4 = l4_name(p->l4proto);
	snprintf(name, sizeof(name), "ipv%d-%s", p->l3, l4 ? l4 : "other");
	return name;
}

static void
put_addr(FILE *f, const struct dicap_pkt *p, const uint8_t *a, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	if (p->l3 == DICAP_L3_NONE) {
		fputs(" - -", f);
		return;
	}
	inet_ntop(p->l3 == DICAP_L3_IPV4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	fprintf(f, " %s %u", buf, (unsigned)port);
}

int
gen_decode_pcap(struct pcap *pc, FILE *out, const char *name)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct dicap_pkt p;
	uint64_t n = 0;
	uint32_t seq;
	int rc;

	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "dicap-gen: %s is not an Ethernet capture\n", name);
		return GEN_EXIT_FAIL;
	}
	fprintf(out, "# frame seq len kind class ip_id src sport dst dport\n");
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		dicap_parse(data, data + h->caplen, &p);
		fprintf(out, "%llu ", (unsigned long long)n++);
		if (dicap_frame_seq(data, h->caplen, &seq))
			fprintf(out, "%u", seq);
		else
			fprintf(out, "-");
		fprintf(out, " %u %s %s %u", h->len, kind_of(&p),
		    dicap_pkt_class_name(p.cls), p.ip_id);
		put_addr(out, &p, p.saddr, p.sport);
		put_addr(out, &p, p.daddr, p.dport);
		fprintf(out, "\n");
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "dicap-gen: %s: %s\n", name, pcap_geterr(pc));
	return rc == PCAP_ERROR ? GEN_EXIT_FAIL : GEN_EXIT_OK;
}

int
gen_decode(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		fprintf(stderr, "dicap-gen: cannot read %s: %s\n", path, ebuf);
		return GEN_EXIT_FAIL;
	}
	rc = gen_decode_pcap(pc, stdout, path);
	pcap_close(pc);
	if (fflush(stdout) || ferror(stdout))
		return GEN_EXIT_FAIL;
	return rc;
}
