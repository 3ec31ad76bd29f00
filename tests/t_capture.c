/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapd's capture path (node/dicapd/capture.c) without a ring buffer:
 * records handed to the ring callback come out as header batches on a UDP
 * socket of this test, on 127.0.0.1.  The batch size follows the path MTU
 * (loopback's, less the IP and UDP headers); a full batch leaves at once,
 * without the flush flag; a partial one leaves on the flush timer, with it
 * (the latency bound of docs/design.md); sequence numbers count batches;
 * timestamps are turned from TAI into UTC.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "batch.h"
#include "ctlmsg.h"
#include "dicap/xdp_kern_user.h"
#include "log.h"
#include "node/dicapd/capture.h"
#include "tap.h"

#define TAI_OFFSET	37000000000LL
#define SNAP		96

struct got {
	struct dicap_batch_hdr h;
	uint64_t first_ts;
	int n;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read one waiting batch into @g; 0 when there is none. */
static int
get_batch(int fd, struct got *g)
{
	static uint8_t buf[65536];
	struct dicap_batch_rec r;
	const char *why;
	size_t off = DICAP_BATCH_HDR_LEN;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	if (dicap_batch_decode(buf, (size_t)n, &g->h, &why) != 0) {
		diag("bad batch: %s", why);
		return 0;
	}
	dicap_batch_next(buf, (size_t)n, &off, &r);
	g->first_ts = r.ts_ns;
	g->n++;
	return 1;
}

static void
readable_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(void)
{
	static uint64_t rec[(DICAP_XDP_REC_HDR + SNAP) / 8 + 1];
	struct dicap_xdp_rec *r = (struct dicap_xdp_rec *)rec;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const struct timeval limit = { 5, 0 };
	socklen_t slen = sizeof(sin), ilen = sizeof(int);
	uint32_t node_id = 0x7e000001, i, per;
	struct event_base *base;
	struct dicap_addr addr;
	struct capture_counters ctr;
	struct capture *c;
	struct event *ev;
	struct got g;
	uint64_t t0;
	char err[128], astr[64];
	int fd, mtu, probe, want;

	plan(NO_PLAN);
	log_init(0, 1, "t_capture");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
		diag("cannot bind a UDP socket on 127.0.0.1");
		return 1;
	}
	snprintf(astr, sizeof(astr), "127.0.0.1:%u", ntohs(sin.sin_port));
	ok(dicap_addr_parse(astr, &addr) == 0, "analyzer address %s", astr);

	/* What the kernel says the path MTU to it is. */
	probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe == -1 || connect(probe, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockopt(probe, IPPROTO_IP, IP_MTU, &mtu, &ilen) == -1) {
		diag("IP_MTU on a connected socket failed");
		return 1;
	}
	close(probe);
	want = mtu - 28 > DICAP_BATCH_MAX_LEN ? DICAP_BATCH_MAX_LEN : mtu - 28;
	if (want < DICAP_BATCH_DEFAULT_MAX)
		want = DICAP_BATCH_DEFAULT_MAX;

	base = event_base_new();
	c = capture_open(base, -1, &node_id, CAPTURE_UDP, err, sizeof(err));
	ok(c != NULL, "capture_open without a ring");
	if (c == NULL)
		return 1;
	capture_set_tai_offset(c, TAI_OFFSET);
	capture_set_analyzers(c, &addr, 1);
	is(capture_batch_max(c), (uint32_t)want,
	    "batches fill the path MTU (%d) less 28 bytes, within 1472..65507", mtu);
	capture_set_batch_max(c, 1472);
	is(capture_batch_max(c), 1472, "a size set by hand: 1472 bytes");

	/* 13 records of 12 + 96 bytes fill 20 + 13 * 108 = 1424 of 1472 bytes. */
	per = (DICAP_BATCH_DEFAULT_MAX - DICAP_BATCH_HDR_LEN) /
	    (DICAP_BATCH_REC_HDR_LEN + SNAP);
	r->wirelen = 128;
	r->caplen = SNAP;
	for (i = 0; i < per + 1; i++) {
		r->ts_tai_ns = 1800000000000000000ULL + i;
		capture_ring_record(c, rec, DICAP_XDP_REC_HDR + SNAP);
	}
	memset(&g, 0, sizeof(g));
	t0 = mono_ms();
	while (!get_batch(fd, &g) && mono_ms() - t0 < 2000)
		usleep(1000);
	is(g.n, 1, "record %u: the full batch left at once", per + 1);
	is(g.h.count, per, "with %u records", per);
	is(g.h.flags, 0, "without the flush flag");
	is(g.h.seq, 0, "sequence number 0");
	is(g.h.node_id, node_id, "node id 0x%08x", node_id);
	ok(g.first_ts == 1800000000000000000ULL - TAI_OFFSET, "TAI turned into UTC");
	ok(!get_batch(fd, &g), "the last record waits");

	/* The flush timer: the partial batch leaves without more records. */
	ev = event_new(base, fd, EV_READ, readable_cb, base);
	event_add(ev, NULL);
	t0 = mono_ms();
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	memset(&g, 0, sizeof(g));
	ok(get_batch(fd, &g), "the flush timer sent the partial batch");
	diag("after %llu ms (CAPTURE_FLUSH_MS %d)", (unsigned long long)(mono_ms() - t0),
	    CAPTURE_FLUSH_MS);
	is(g.h.count, 1, "with the one record left");
	is(g.h.flags, DICAP_BF_FLUSH, "and the flush flag");
	is(g.h.seq, 1, "sequence number 1");
	capture_counters(c, &ctr);
	ok(ctr.records_in == per + 1 && ctr.records_sent == per + 1 && ctr.batches_sent == 2,
	    "counters: %llu in, %llu sent in %llu batches", (unsigned long long)ctr.records_in,
	    (unsigned long long)ctr.records_sent, (unsigned long long)ctr.batches_sent);

	capture_set_batch_max(c, 0);
	is(capture_batch_max(c), (uint32_t)want, "size 0: the path MTU again");
	event_free(ev);
	capture_close(c);
	event_base_free(base);
	close(fd);
	return done_testing();
}
