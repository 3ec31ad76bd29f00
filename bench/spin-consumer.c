/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spin-consumer: a libpcap consumer whose work per packet is a knob, for
 * B2 (the paper's Figure 8) beside the dissecting tshark:
 *
 *	spin-consumer -i IFACE [-n NS] [-B KIB] [-s SNAPLEN]
 *
 * reads IFACE live (run it under dicap-run for dicap:IFACE) through the
 * kernel buffer of -B KiB (default 2048, dumpcap's), and for every packet
 * reads each captured byte and then keeps the CPU busy until NS ns
 * (default 10000) have passed since the packet was handed over, as an
 * IDS that spends a fixed time per packet would.  The buffer is bounded,
 * so a consumer that falls behind drops, in the kernel, before libpcap.
 * SIGINT or SIGTERM stops it; it then prints one line:
 *
 *	processed P received R dropped D ifdropped I
 *
 * P the packets it worked on, R D I pcap_stats()'s counts.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

static pcap_t *pc;
static uint64_t processed, spin_ns = 10000;
static volatile uint32_t sink;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
work(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	uint64_t start = now_ns();
	uint32_t sum = 0, i;

	(void)arg;
	for (i = 0; i < h->caplen; i++)
		sum += bytes[i];
	sink += sum;
	while (now_ns() - start < spin_ns)
		;
	processed++;
}

static void
on_signal(int sig)
{
	(void)sig;
	pcap_breakloop(pc);
}

static void
usage(void)
{
	fprintf(stderr, "usage: spin-consumer -i IFACE [-n NS] [-B KIB] [-s SNAPLEN]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *iface = NULL;
	int c, kib = 2048, snaplen = 262144, rc;
	struct sigaction sa;
	struct pcap_stat st;

	while ((c = getopt(argc, argv, "i:n:B:s:")) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'n':
			spin_ns = strtoull(optarg, NULL, 10);
			break;
		case 'B':
			kib = atoi(optarg);
			break;
		case 's':
			snaplen = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (iface == NULL || optind != argc || kib <= 0 || snaplen <= 0)
		usage();
	if ((pc = pcap_create(iface, errbuf)) == NULL) {
		fprintf(stderr, "spin-consumer: %s\n", errbuf);
		return 1;
	}
	pcap_set_snaplen(pc, snaplen);
	pcap_set_buffer_size(pc, kib * 1024);
	pcap_set_timeout(pc, 100);
	if ((rc = pcap_activate(pc)) < 0) {
		fprintf(stderr, "spin-consumer: %s: %s\n", iface, pcap_geterr(pc));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "spin-consumer: capturing on %s, %llu ns per packet\n", iface,
	    (unsigned long long)spin_ns);
	rc = pcap_loop(pc, -1, work, NULL);
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "spin-consumer: %s\n", pcap_geterr(pc));
		return 1;
	}
	memset(&st, 0, sizeof(st));
	if (pcap_stats(pc, &st) != 0)
		fprintf(stderr, "spin-consumer: stats: %s\n", pcap_geterr(pc));
	printf("processed %llu received %u dropped %u ifdropped %u\n",
	    (unsigned long long)processed, st.ps_recv, st.ps_drop, st.ps_ifdrop);
	pcap_close(pc);
	return 0;
}
