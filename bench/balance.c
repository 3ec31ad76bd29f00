/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * balance: how evenly DiCAP's hash modes spread a trace over N nodes (B3),
 * computed offline with the project's own parser, bucket functions and
 * bucket tables (include/dicap/packet.h, include/dicap/select.h, lib/bucket_table.h): the
 * code dicapd and the XDP program run.
 *
 *	balance FILE.pcap...
 *
 * Files whose link type is not Ethernet are skipped (and said so).  Prints:
 *	frames TOTAL IPV4
 *	share MODE N MAX/MEAN MIN/MEAN	for ipid, packet, flow; N = 2, 4, 8, 16
 *					and ipid-paper: the paper's rule, hash(IP ID)
 *					for every IPv4 packet, ID 0 included;
 *					host; flow-outer and host-outer:
 *					flow and host with
 *					DICAP_SEL_TUNNEL_OUTER (tunnels not opened)
 *	top-flow SHARE			the largest flow bucket's share of frames
 *	top-host SHARE			the largest host bucket's share of frames
 *	ipid BIN COUNT			IPv4 IDs in 256 bins of 256 values
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "bucket_table.h"
#include "dicap/packet.h"
#include "dicap/select.h"

#define N_MODES	7
#define MODE_IPID_PAPER	(-1)	/* the paper's rule, without DiCAP's ID-0 fallback */
#define MODE_FLOW_OUTER	(-2)	/* flow, the outer headers of tunnels */
#define MODE_HOST_OUTER	(-3)	/* host, the outer headers of tunnels */
#define IPID_BINS 256

static const int modes[N_MODES] = { DICAP_MODE_IPID, DICAP_MODE_PACKET, DICAP_MODE_FLOW,
    MODE_IPID_PAPER, DICAP_MODE_HOST, MODE_FLOW_OUTER, MODE_HOST_OUTER };
static const char *const mode_names[N_MODES] = { "ipid", "packet", "flow", "ipid-paper",
    "host", "flow-outer", "host-outer" };
static const size_t sizes[] = { 2, 4, 8, 16 };

static unsigned long long buckets[N_MODES][DICAP_BUCKETS];
static unsigned long long ipid_bins[IPID_BINS];
static unsigned long long total, ipv4;

static uint16_t
bucket(int mode, const u_char *d, const u_char *end)
{
	struct dicap_pkt p;

	if (mode == MODE_FLOW_OUTER)
		return dicap_select_bucket(DICAP_MODE_FLOW, DICAP_SEL_TUNNEL_OUTER, d, end, &p);
	if (mode == MODE_HOST_OUTER)
		return dicap_select_bucket(DICAP_MODE_HOST, DICAP_SEL_TUNNEL_OUTER, d, end, &p);
	if (mode != MODE_IPID_PAPER)
		return dicap_select_bucket(mode, 0, d, end, &p);
	dicap_parse(d, end, &p);
	if (p.cls == DICAP_PKT_OK && p.l3 == DICAP_L3_IPV4)
		return dicap_mix16((uint16_t)p.ip_id);
	return dicap_bucket(DICAP_MODE_PACKET, &p, d, end);
}

static void
count_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct dicap_pkt p;
	pcap_t *pc;
	int i;

	if ((pc = pcap_open_offline(path, err)) == NULL) {
		fprintf(stderr, "balance: %s\n", err);
		return;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "balance: %s: link type %d, not Ethernet: skipped\n", path,
		    pcap_datalink(pc));
		pcap_close(pc);
		return;
	}
	while (pcap_next_ex(pc, &h, &d) == 1) {
		dicap_parse(d, d + h->caplen, &p);
		for (i = 0; i < N_MODES; i++)
			buckets[i][bucket(modes[i], d, d + h->caplen)]++;
		if (p.cls == DICAP_PKT_OK && p.l3 == DICAP_L3_IPV4) {
			ipv4++;
			ipid_bins[p.ip_id / (65536 / IPID_BINS)]++;
		}
		total++;
	}
	pcap_close(pc);
}

static void
shares(int mode, size_t n)
{
	struct dicap_member m[16];
	static uint16_t table[DICAP_BUCKETS];
	unsigned long long per[16] = { 0 }, max = 0, min = ~0ULL;
	const char *why = NULL;
	double mean;
	size_t i;
	uint32_t b;

	for (i = 0; i < n; i++) {
		m[i].node_id = 0x0d1c0001 + (uint32_t)i * 0x10001;	/* as the testbed's */
		m[i].weight = 1;
	}
	if (dicap_members_normalize(m, n, &why) != 0 || dicap_table_build(m, n, table, &why) != 0) {
		fprintf(stderr, "balance: table for %zu members: %s\n", n, why);
		exit(1);
	}
	for (b = 0; b < DICAP_BUCKETS; b++)
		per[table[b]] += buckets[mode][b];
	for (i = 0; i < n; i++) {
		if (per[i] > max)
			max = per[i];
		if (per[i] < min)
			min = per[i];
	}
	mean = (double)total / (double)n;
	printf("share %s %zu %.4f %.4f\n", mode_names[mode], n, max / mean, min / mean);
}

int
main(int argc, char **argv)
{
	unsigned long long top = 0;
	size_t i, j;
	int a;

	if (argc < 2) {
		fprintf(stderr, "usage: balance FILE.pcap...\n");
		return 2;
	}
	for (a = 1; a < argc; a++)
		count_file(argv[a]);
	if (total == 0) {
		fprintf(stderr, "balance: no Ethernet frames\n");
		return 1;
	}
	printf("frames %llu %llu\n", total, ipv4);
	for (i = 0; i < N_MODES; i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			shares((int)i, sizes[j]);
	for (i = 0; i < DICAP_BUCKETS; i++)
		if (buckets[2][i] > top)
			top = buckets[2][i];
	printf("top-flow %.4f\n", (double)top / (double)total);
	top = 0;
	for (i = 0; i < DICAP_BUCKETS; i++)
		if (buckets[4][i] > top)
			top = buckets[4][i];
	printf("top-host %.4f\n", (double)top / (double)total);
	for (i = 0; i < IPID_BINS; i++)
		printf("ipid %zu %llu\n", i, ipid_bins[i]);
	return 0;
}
