/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Distributed capture mode, the node's half: drain the XDP program's ring
 * buffer into header batches (lib/batch.h) and send them to the packet
 * data analyzers, over UDP (one batch per datagram) or TCP (one
 * connection per analyzer).  Batches go round-robin across the analyzers;
 * each analyzer has its own sequence numbers; an unreachable one is
 * skipped and tried again later.  docs/protocol.md, "Header batches over
 * UDP and TCP", is the contract with dicap-analyzer.
 */
#ifndef DICAPD_CAPTURE_H
#define DICAPD_CAPTURE_H

#include <stdint.h>

#include <event2/event.h>

#include "ctlmsg.h"

#define CAPTURE_FLUSH_MS	50		/* a partial batch waits at most this */
#define CAPTURE_RETRY_MS	1000		/* first retry of an unreachable analyzer */
#define CAPTURE_RETRY_MAX_MS	4000		/* back-off ceiling */
#define CAPTURE_TCP_QUEUE	(4u << 20)	/* bytes queued per TCP analyzer */

enum capture_transport {
	CAPTURE_UDP,
	CAPTURE_TCP,
};

struct capture_counters {
	uint64_t records_in;		/* ring records drained */
	uint64_t batches_sent;
	uint64_t records_sent;
	uint64_t bytes_sent;		/* batch bytes, headers included */
	uint64_t send_errors;		/* failed sends other than "unreachable" */
	uint64_t analyzer_skips;	/* an analyzer found unreachable, skipped for a while */
	uint64_t records_unsent;	/* no analyzer could take their batch */
	uint64_t queue_drops;		/* a TCP analyzer's queue was full */
	uint64_t tcp_connects;
	uint64_t tcp_disconnects;
	uint64_t tcp_lost_bytes;	/* queued to a connection that then broke */
	uint64_t ring_bad;		/* malformed ring records (a bug) */
};

struct capture;
struct jsonw;

/*
 * Start draining the ring buffer map @ring_fd.  @node_id is read at each
 * batch (the agent may change its id).  NULL on failure, with @err set.
 * With @ring_fd -1 there is no ring: records come only from
 * capture_ring_record() calls (bench/drain-cost.c measures the drain so).
 */
struct capture *capture_open(struct event_base *base, int ring_fd, const uint32_t *node_id,
	    enum capture_transport transport, char *err, size_t errlen);

/*
 * One ring record (struct dicap_xdp_rec and its bytes) into the batch; the
 * ring buffer callback.  Always returns 0, so that the drain goes on.
 */
int	capture_ring_record(void *ctx, void *data, size_t size);

/* Send the partly filled batch now, as the flush timer does. */
void	capture_flush(struct capture *);

/* The analyzers to send to; streams to those still listed carry on. */
void	capture_set_analyzers(struct capture *, const struct dicap_addr *addrs, uint32_t n);

/*
 * Fill batches to @bytes (clamped to the wire format's limits) instead of
 * the automatic size (0: the path MTU over UDP; see capture.c).  The batch
 * being filled is sent first.  For benchmarks (bench/drain-cost.c).
 */
void	capture_set_batch_max(struct capture *, uint32_t bytes);

/* The size batches are filled to now. */
uint32_t	capture_batch_max(const struct capture *);

/* CLOCK_TAI - CLOCK_REALTIME, to turn ring timestamps into UTC. */
void	capture_set_tai_offset(struct capture *, int64_t offset_ns);

void	capture_counters(const struct capture *, struct capture_counters *);

/* Per-analyzer state as a JSON array. */
void	capture_status_json(const struct capture *, struct jsonw *);

/* Drain the ring, send what is batched, close every socket. */
void	capture_close(struct capture *);

#endif /* DICAPD_CAPTURE_H */
