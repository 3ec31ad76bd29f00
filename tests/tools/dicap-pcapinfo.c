/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-pcapinfo: what each record of a pcap file is, for the tests
 * (tests/testbed.sh's tb_pcapinfo documents the output line), computed with
 * the project's own parser and selection code so that a test can tell
 * which node must own each frame.
 * usage: dicap-pcapinfo FILE HASHBYTES
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "dicap/packet.h"
#include "dicap/select.h"

static const char *
cls_name(int cls)
{
	static const char *names[] = { "ok", "non-ip", "truncated", "malformed" };

	return cls >= 0 && cls < 4 ? names[cls] : "?";
}

static void
endpoint(char *buf, size_t len, const struct dicap_pkt *p, const uint8_t *a,
    uint16_t port)
{
	int n = p->l3 == DICAP_L3_IPV4 ? 4 : 16, i;
	size_t off = 0;

	for (i = 0; i < n; i++)
		off += snprintf(buf + off, len - off, "%02x", a[i]);
	snprintf(buf + off, len - off, ".%u", port);
}

/*
 * The conversation FLOW mode hashes (dicap_select_ident(): the inner flow
 * of a tunnel, the quote of an ICMP error), "-" when the frame has no
 * readable addresses (the raw rule).
 */
static int
flow_key(char *buf, size_t len, const struct dicap_pkt *p)
{
	int frag = (p->flags & DICAP_PF_FRAG) != 0;
	int ports = (p->flags & DICAP_PF_PORTS) && !frag;
	char a[48], b[48];

	if (!(p->flags & DICAP_PF_ADDRS)) {
		snprintf(buf, len, "-");
		return 0;
	}
	endpoint(a, sizeof(a), p, p->saddr, ports ? p->sport : 0);
	endpoint(b, sizeof(b), p, p->daddr, ports ? p->dport : 0);
	if (strcmp(a, b) > 0) {
		snprintf(buf, len, "%s%s|%s/%u", frag ? "frag:" : "", b, a, p->l4proto);
		return 1;
	}
	snprintf(buf, len, "%s%s|%s/%u", frag ? "frag:" : "", a, b, p->l4proto);
	return 0;
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE], key[128], seq[16];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct dicap_pkt p, id;
	pcap_t *pc;
	uint64_t fnv;
	uint32_t i, hashlen;
	int rc, dir;

	if (argc != 3) {
		fprintf(stderr, "usage: dicap-pcapinfo FILE HASHBYTES\n");
		return 2;
	}
	hashlen = (uint32_t)strtoul(argv[2], NULL, 10);
	pc = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
	if (pc == NULL) {
		fprintf(stderr, "dicap-pcapinfo: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		const u_char *end = d + h->caplen;

		dicap_parse(d, end, &p);
		dicap_select_ident(0, d, end, &id);
		snprintf(seq, sizeof(seq), "none");
		for (i = 0; i + 8 <= h->caplen; i++) {
			if (memcmp(d + i, "DCAP", 4) == 0) {
				snprintf(seq, sizeof(seq), "%u", (unsigned)d[i + 4] << 24 |
				    (unsigned)d[i + 5] << 16 | (unsigned)d[i + 6] << 8 | d[i + 7]);
				break;
			}
		}
		fnv = 0xcbf29ce484222325ULL;
		for (i = 0; i < h->caplen && (hashlen == 0 || i < hashlen); i++)
			fnv = (fnv ^ d[i]) * 0x100000001b3ULL;
		dir = flow_key(key, sizeof(key), &id);
		printf("%s %s %d %u %s %u %u %u %016" PRIx64 " %u %d %llu %u\n", seq,
		    cls_name(p.cls), (p.flags & DICAP_PF_FRAG) != 0, p.ip_id, key,
		    dicap_select_bucket(DICAP_MODE_IPID, 0, d, end, &p),
		    dicap_select_bucket(DICAP_MODE_PACKET, 0, d, end, &p),
		    dicap_select_bucket(DICAP_MODE_FLOW, 0, d, end, &p), fnv, h->len, dir,
		    (unsigned long long)h->ts.tv_sec * 1000000000ULL + (unsigned long long)h->ts.tv_usec,
		    dicap_select_bucket(DICAP_MODE_HOST, 0, d, end, &p));
	}
	if (rc == -1) {
		fprintf(stderr, "dicap-pcapinfo: %s\n", pcap_geterr(pc));
		return 1;
	}
	pcap_close(pc);
	return 0;
}
