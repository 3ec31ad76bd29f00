/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * drain-cost: the per-record work of dicapd's capture mode (B4 of the
 * benchmarks), without an XDP program or a ring buffer map:
 *
 *	drain-cost COUNT [FRAMELEN [SNAPLEN [BATCH]]]
 *
 * feeds COUNT records to capture.c's ring buffer callback, capture_ring_record(),
 * exactly as libbpf's ring_buffer__consume() hands them over: one call per
 * record, a pointer to the sample (8-byte aligned) in the XDP program's
 * record format (include/dicap/xdp_kern_user.h: struct dicap_xdp_rec, then
 * SNAPLEN bytes of room of which min(SNAPLEN, FRAMELEN) are used), and its
 * reserved size.  The callback batches them (lib/batch.h) and sends each
 * full batch over UDP to one analyzer, here a socket of this program on
 * 127.0.0.1 that is read between chunks of records, outside the callback.
 * Every batch received is decoded, and the run fails unless every record
 * arrived once: the count is of the work that was meant.  BATCH is the
 * batch size in bytes (capture_set_batch_max()); 0 or none: dicapd's
 * automatic size, the path MTU, which on loopback is 65507 bytes.
 *
 * valgrind --tool=callgrind --toggle-collect='capture_ring_record*' counts the
 * callback and all it calls (the batch encoder, batch_send, the send()
 * wrapper) and nothing of the harness; the kernel's side of send() is not
 * an instruction callgrind sees.  Natively, the program also prints the
 * CPU time (the thread's own clock) per record of the callback calls, the
 * kernel's send included.
 *
 * It links dicapd's capture.o; capture_open() without a ring (-1) sets the
 * capture object up as dicapd does.  The callback is called through a
 * pointer, as libbpf calls it.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "batch.h"
#include "ctlmsg.h"
#include "dicap/xdp_kern_user.h"
#include "log.h"
#include "node/dicapd/capture.h"

#define CHUNK		512	/* records between two reads of the receiving socket */
#define N_FRAMES	64	/* distinct records, cycled */

static uint64_t got_batches, got_records;

static void
die(const char *what)
{
	fprintf(stderr, "drain-cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Read and check every datagram waiting on @fd. */
static void
receive(int fd)
{
	static uint8_t buf[65536];
	struct dicap_batch_hdr h;
	const char *why;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (dicap_batch_decode(buf, (size_t)n, &h, &why) != 0) {
			fprintf(stderr, "drain-cost: bad batch: %s\n", why);
			exit(1);
		}
		got_batches++;
		got_records += h.count;
	}
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		die("recv");
}

/* CPU time, not wall time: on a shared machine, time on other tasks is not ours. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	int (*volatile cb)(void *, void *, size_t) = capture_ring_record;
	struct capture_counters ctr;
	struct event_base *base;
	char err[128];
	static uint64_t recs[N_FRAMES][(DICAP_XDP_REC_HDR + DICAP_XDP_CAP_MAX) / 8 + 1];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	uint32_t framelen, snaplen, batch, node_id = 0x1001, caplen, i, j;
	uint64_t count, done, t_ns = 0, t0;
	struct dicap_addr addr;
	struct capture *c;
	size_t size;
	char astr[64];
	int rfd, rcvbuf = 8 << 20;

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: drain-cost COUNT [FRAMELEN [SNAPLEN [BATCH]]]\n");
		return 2;
	}
	count = strtoull(argv[1], NULL, 10);
	framelen = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 128;
	snaplen = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : DICAP_SNAPLEN_DEFAULT;
	batch = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
	if (count == 0 || framelen < 14 || framelen > 0xffff || snaplen == 0 ||
	    snaplen > DICAP_XDP_CAP_MAX) {
		fprintf(stderr, "drain-cost: COUNT > 0, 14 <= FRAMELEN <= 65535, "
		    "0 < SNAPLEN <= %u\n", DICAP_XDP_CAP_MAX);
		return 2;
	}
	log_init(0, 1, "drain-cost");

	/* The analyzer: a socket of ours, with room for a chunk's batches. */
	rfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rfd == -1 || bind(rfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(rfd, (struct sockaddr *)&sin, &slen) == -1)
		die("analyzer socket");
	if (setsockopt(rfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) == -1)
		setsockopt(rfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	snprintf(astr, sizeof(astr), "127.0.0.1:%u", ntohs(sin.sin_port));
	if (dicap_addr_parse(astr, &addr) != 0)
		die("analyzer address");

	if ((base = event_base_new()) == NULL)
		die("event_base_new");
	if ((c = capture_open(base, -1, &node_id, CAPTURE_UDP, err, sizeof(err))) == NULL) {
		fprintf(stderr, "drain-cost: %s\n", err);
		return 1;
	}
	capture_set_analyzers(c, &addr, 1);
	if (batch != 0)
		capture_set_batch_max(c, batch);

	/* Records as the XDP program writes them (kmod/xdp/dicap_xdp.bpf.c). */
	caplen = framelen < snaplen ? framelen : snaplen;
	size = DICAP_XDP_REC_HDR + snaplen;
	for (i = 0; i < N_FRAMES; i++) {
		struct dicap_xdp_rec *r = (struct dicap_xdp_rec *)recs[i];
		uint8_t *b = (uint8_t *)recs[i] + DICAP_XDP_REC_HDR;

		r->ts_tai_ns = 1800000000000000000ULL + i * 1000ULL;
		r->wirelen = framelen;
		r->caplen = (uint16_t)caplen;
		for (j = 0; j < caplen; j++)
			b[j] = (uint8_t)(i * 31 + j);
	}

	for (done = 0; done < count; ) {
		uint64_t n = count - done < CHUNK ? count - done : CHUNK;

		t0 = now_ns();
		for (i = 0; i < n; i++)
			cb(c, recs[(done + i) % N_FRAMES], size);
		t_ns += now_ns() - t0;
		done += n;
		receive(rfd);
	}
	/* The flush timer's partial batch. */
	capture_flush(c);
	capture_counters(c, &ctr);
	for (i = 0; i < 100 && got_records < count; i++) {
		receive(rfd);
		if (got_records < count)
			usleep(1000);
	}
	printf("records %llu batches_sent %llu records_sent %llu received_batches %llu "
	    "received_records %llu batch_bytes %u ns_per_record %.1f\n", (unsigned long long)count,
	    (unsigned long long)ctr.batches_sent, (unsigned long long)ctr.records_sent,
	    (unsigned long long)got_batches, (unsigned long long)got_records,
	    capture_batch_max(c), (double)t_ns / (double)count);
	if (ctr.records_in != count || ctr.records_sent != count || got_records != count) {
		fprintf(stderr, "drain-cost: records lost: in %llu sent %llu received %llu\n",
		    (unsigned long long)ctr.records_in,
		    (unsigned long long)ctr.records_sent, (unsigned long long)got_records);
		return 1;
	}
	capture_close(c);
	event_base_free(base);
	close(rfd);
	return 0;
}
