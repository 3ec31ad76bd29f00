/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmod-feed: the host side of the qemu tests.
 *
 *   kmod-feed PORT [COUNT [USEC [COLLECT]]]
 *     Send the frame set (kmod_frames.h, frame i % 600) into the guest's
 *     NIC through qemu's socket netdev: one UDP datagram per Ethernet frame
 *     to 127.0.0.1:PORT, from 127.0.0.1:PORT-1, because qemu's udp=
 *     netdev takes datagrams only from the address it sends to.  With
 *     COLLECT, keep receiving what the guest transmits (qemu sends it to
 *     that same PORT-1) until it has been quiet for two seconds, decode the
 *     UDP payloads as header batches (lib/batch.c, the analyzer's decoder)
 *     and append to the file COLLECT:
 *       BATCH node=N seq=S count=C flags=F len=L
 *       REC idx=I wirelen=W caplen=C   (I: the frame's index, -1 unknown)
 *       BAD why                        (a datagram the decoder refused)
 *   kmod-feed owners MODE N [MINLEN [SEL_FLAGS]]
 *     The owner of every frame of the set (bucket table b -> b % N, as
 *     dicap-kctl topo loads it; round robin: i % N), one digit a frame,
 *     from lib/'s parser and selection, for checking captured shares.
 *     MINLEN: frames shorter are judged padded with zeros to it, as a
 *     NIC that pads runts (e1000e: 60) hands them to the driver.
 *     SEL_FLAGS: the topology's selection flags (1: --tunnel outer).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "batch.h"
#include "dicap/packet.h"
#include "dicap/select.h"
#include "kmod_frames.h"

static uint8_t frames[KF_COUNT][KF_MAX];
static size_t frame_len[KF_COUNT];

static int
frame_index(const uint8_t *data, unsigned caplen, unsigned wirelen)
{
	unsigned j;
	int i;

	for (i = 0; i < KF_COUNT; i++)
		if (frame_len[i] == wirelen && caplen <= wirelen &&
		    memcmp(frames[i], data, caplen) == 0)
			return i;
	/* e1000e receives a runt padded with zeros to the 60-byte minimum, as a NIC does. */
	for (i = 0; i < KF_COUNT && wirelen == 60 && caplen == 60; i++) {
		if (frame_len[i] >= 60 || memcmp(frames[i], data, frame_len[i]) != 0)
			continue;
		for (j = frame_len[i]; j < 60 && data[j] == 0; j++)
			;
		if (j == 60)
			return i;
	}
	return -1;
}

/* A guest frame: Ethernet, IPv4, UDP, then one header batch. */
static void
collect_frame(FILE *out, const uint8_t *f, size_t len)
{
	struct dicap_batch_hdr h;
	struct dicap_batch_rec r;
	const char *why;
	size_t ihl, off;

	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if (f[14 + 9] != 17 || len < 14 + ihl + 8)
		return;
	off = 14 + ihl + 8;
	if (dicap_batch_decode(f + off, len - off, &h, &why) != 0) {
		fprintf(out, "BAD %s\n", why);
		return;
	}
	fprintf(out, "BATCH node=%u seq=%u count=%u flags=%u len=%u\n", h.node_id, h.seq,
	    h.count, h.flags, h.length);
	off = DICAP_BATCH_HDR_LEN;
	while (dicap_batch_next(f + 14 + ihl + 8, len - 14 - ihl - 8, &off, &r))
		fprintf(out, "REC idx=%d wirelen=%u caplen=%u\n",
		    frame_index(r.data, r.caplen, r.wirelen), r.wirelen, r.caplen);
}

static int
collect(int fd, const char *path)
{
	static uint8_t buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	FILE *out = fopen(path, "a");
	int quiet = 0;
	ssize_t n;

	if (!out) {
		perror(path);
		return 1;
	}
	while (quiet < 20) {
		if (poll(&pfd, 1, 100) <= 0) {
			quiet++;
			continue;
		}
		quiet = 0;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			collect_frame(out, buf, (size_t)n);
	}
	fprintf(out, "END\n");
	return fclose(out) ? 1 : 0;
}

static int
owners(int mode, unsigned n, size_t minlen, uint32_t sel_flags)
{
	struct dicap_pkt pkt;
	uint32_t i;

	for (i = 0; i < KF_COUNT; i++) {
		/* kf_frame() zeroes all KF_MAX bytes, so the padding is there. */
		size_t len = frame_len[i] < minlen ? minlen : frame_len[i];
		unsigned o;

		if (mode == DICAP_MODE_RR) {
			o = dicap_rr_owner(i, n);
		} else {
			o = dicap_select_bucket(mode, sel_flags, frames[i], frames[i] + len,
			    &pkt) % n;
		}
		putchar('0' + (int)o);
	}
	putchar('\n');
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, src;
	unsigned long count = KF_COUNT, gap = 200;
	uint32_t i;
	int fd;

	for (i = 0; i < KF_COUNT; i++)
		frame_len[i] = kf_frame(i, frames[i]);
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "owners") == 0)
		return owners(atoi(argv[2]), (unsigned)atoi(argv[3]),
		    argc >= 5 ? strtoul(argv[4], NULL, 10) : 0,
		    argc == 6 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0);
	if (argc < 2) {
		fprintf(stderr, "usage: kmod-feed PORT [COUNT [USEC [COLLECT]]] | owners MODE N [MINLEN [SEL_FLAGS]]\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (argc > 2)
		count = strtoul(argv[2], NULL, 10);
	if (argc > 3)
		gap = strtoul(argv[3], NULL, 10);
	src = sin;
	src.sin_port = htons((uint16_t)(atoi(argv[1]) - 1));
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
		perror("socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (sendto(fd, frames[i % KF_COUNT], frame_len[i % KF_COUNT], 0,
		    (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			perror("sendto");
			return 1;
		}
		if (gap)
			usleep(gap);
	}
	if (argc > 4)
		return collect(fd, argv[4]);
	return 0;
}
