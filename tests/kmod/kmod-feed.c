/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmod-feed: send the qemu tests' frame set (kmod_frames.h) into a guest's
 * NIC through qemu's socket netdev: one UDP datagram per Ethernet frame to
 * 127.0.0.1:PORT, from 127.0.0.1:PORT-1: qemu's socket (udp=) netdev takes
 * datagrams only from the address it sends to (its udp= peer).
 * usage: kmod-feed PORT [COUNT [USEC_BETWEEN]]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kmod_frames.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, src;
	uint8_t f[KF_MAX];
	unsigned long count = KF_COUNT, gap = 200;
	size_t len;
	uint32_t i;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: kmod-feed PORT [COUNT [USEC]]\n");
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
		len = kf_frame(i % KF_COUNT, f);
		if (sendto(fd, f, len, 0, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			perror("sendto");
			return 1;
		}
		if (gap)
			usleep(gap);
	}
	return 0;
}
