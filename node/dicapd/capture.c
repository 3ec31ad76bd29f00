/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ring buffer -> header batches -> analyzers.
 *
 * The XDP program wakes us every few hundred records (not per record: see
 * docs/design.md); the flush timer drains whatever is left and sends a
 * partial batch, so a record waits at most CAPTURE_FLUSH_MS.  One batch is
 * filled at a time and goes to the next usable analyzer in turn, stamped
 * with that analyzer's sequence number, which advances only for a batch
 * actually handed to the socket: a gap the analyzer sees is a batch lost
 * on the way, not one the node withheld.
 *
 * Unreachable analyzers.  UDP: the socket is connected, so an ICMP port
 * or host unreachable comes back as ECONNREFUSED/EHOSTUNREACH on a later
 * send (which then sends nothing); the analyzer is skipped for a back-off
 * that doubles up to CAPTURE_RETRY_MAX_MS, and the batch goes to the next
 * one.  TCP: an analyzer is usable while connected and while its queue
 * (kernel buffer plus CAPTURE_TCP_QUEUE bytes here) has room; a peer that
 * stops acknowledging fills the queue and is skipped, a broken
 * connection is reconnected after the back-off.  TCP_USER_TIMEOUT turns
 * a silent peer into a broken connection.
 *
 * Batch size.  Over UDP a batch fills the path MTU to the analyzers (the
 * smallest IP_MTU of the connected sockets, less the IP and UDP headers),
 * never less than DICAP_BATCH_DEFAULT_MAX and never more than the format's
 * DICAP_BATCH_MAX_LEN: 1472 bytes on an Ethernet network, 8972 on a jumbo
 * one, 65507 on loopback.  A datagram is never fragmented for its size,
 * and a larger batch takes fewer sends per record, here and at the
 * analyzer (bench/drain-cost.c, bench/b5-ingest.sh).  Over TCP the stream
 * is segmented anyway: batches of DICAP_BATCH_MAX_LEN.  The flush timer
 * bounds a record's wait whatever the size.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "batch.h"
#include "sockaddr.h"
#include "capture.h"
#include "dicap/xdp_kern_user.h"
#include "jsonw.h"
#include "log.h"
#include "replay.h"

#define DLT_EN10MB_		1
#define UDP_SNDBUF		(1 << 20)
#define TCP_USER_TIMEOUT_MS	5000

enum an_state {
	AN_IDLE,		/* UDP: usable (unless skip_until is ahead) */
	AN_CONNECTING,		/* TCP */
	AN_UP,			/* TCP */
	AN_DOWN,		/* TCP: waiting for the retry timer */
};

struct analyzer {
	struct capture *cap;
	struct dicap_addr addr;
	enum an_state state;
	int fd;				/* UDP: the connected socket */
	struct bufferevent *bev;	/* TCP */
	struct event *ev_retry;		/* TCP */
	uint32_t seq;			/* next batch's sequence number */
	uint64_t skip_until;		/* CLOCK_MONOTONIC ns */
	uint32_t backoff_ms;
	uint32_t ok_streak;		/* batches sent since the last failure */
	uint64_t batches, bytes;
	int warned;
};

struct capture {
	struct event_base *base;
	struct ring_buffer *rb;
	struct event *ev_ring;
	struct event *ev_flush;
	const uint32_t *node_id;
	enum capture_transport transport;
	int64_t tai_offset;
	struct dicap_batch_writer w;
	struct analyzer *an[DICAP_MAX_ANALYZERS];
	uint32_t n_an;
	uint32_t next;			/* round-robin position */
	struct capture_counters ctr;
	uint32_t batch_max;		/* the size batches are filled to */
	uint32_t batch_max_set;		/* capture_set_batch_max(); 0: automatic */
	int size_stale;			/* an analyzer socket opened: size again */
	uint8_t buf[DICAP_BATCH_MAX_LEN];
};

static void tcp_connect(struct analyzer *);

/* Unreachable for now: skip it, with a doubling back-off. */
static void
an_backoff(struct analyzer *a, const char *why)
{
	struct capture *c = a->cap;

	c->ctr.analyzer_skips++;
	a->ok_streak = 0;
	a->skip_until = dicap_mono_ns() + (uint64_t)a->backoff_ms * 1000000;
	if (!a->warned)
		log_warnx("analyzer %s unreachable (%s): skipping it; next try in %u ms, then "
		    "at most every %u ms", dicap_addr_str(&a->addr), why, a->backoff_ms,
		    CAPTURE_RETRY_MAX_MS);
	else
		log_debug("analyzer %s still unreachable (%s): next try in %u ms",
		    dicap_addr_str(&a->addr), why, a->backoff_ms);
	a->warned = 1;
	a->backoff_ms = a->backoff_ms * 2 > CAPTURE_RETRY_MAX_MS ? CAPTURE_RETRY_MAX_MS :
	    a->backoff_ms * 2;
}

static void
an_sent(struct analyzer *a, uint32_t len)
{
	a->seq++;
	a->batches++;
	a->bytes += len;
	/* A run of good sends after a failure: the analyzer is back. */
	if (++a->ok_streak == 16 && a->backoff_ms != CAPTURE_RETRY_MS) {
		if (a->warned)
			log_info("analyzer %s reachable again", dicap_addr_str(&a->addr));
		a->backoff_ms = CAPTURE_RETRY_MS;
		a->warned = 0;
	}
}

/* ---- UDP ------------------------------------------------------------------ */

static int
udp_open(struct analyzer *a)
{
	struct sockaddr_storage ss;
	socklen_t len = dicap_addr_to_sockaddr(&a->addr, 0, &ss);
	int fd, sz = UDP_SNDBUF;

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return -1;
	}
	a->fd = fd;
	a->cap->size_stale = 1;
	return 0;
}

/* The largest UDP payload to @a that needs no fragment, 0 if unknown. */
static uint32_t
udp_payload_max(const struct analyzer *a)
{
	socklen_t len = sizeof(int);
	int mtu;

	if (a->fd == -1)
		return 0;
	if (a->addr.family == 6) {
		if (getsockopt(a->fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len) == -1 || mtu <= 48)
			return 0;
		return (uint32_t)mtu - 48;	/* IPv6 (40) and UDP (8) headers */
	}
	if (getsockopt(a->fd, IPPROTO_IP, IP_MTU, &mtu, &len) == -1 || mtu <= 28)
		return 0;
	return (uint32_t)mtu - 28;		/* IPv4 (20) and UDP (8) headers */
}

/* 0 sent, 1 unreachable (try another), -1 failed (drop the batch). */
static int
udp_send(struct analyzer *a, const uint8_t *buf, uint32_t len)
{
	if (a->fd == -1 && udp_open(a) == -1) {
		an_backoff(a, strerror(errno));
		return 1;
	}
	if (send(a->fd, buf, len, 0) == (ssize_t)len)
		return 0;
	switch (errno) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
		an_backoff(a, strerror(errno));
		return 1;
	}
	a->cap->ctr.send_errors++;
	log_debug("send to analyzer %s: %s", dicap_addr_str(&a->addr), strerror(errno));
	return -1;
}

/* ---- TCP ------------------------------------------------------------------ */

static void
tcp_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tcp_connect(arg);
}

static void
tcp_down(struct analyzer *a, const char *why)
{
	struct capture *c = a->cap;
	struct timeval tv;

	if (a->bev != NULL) {
		c->ctr.tcp_lost_bytes += evbuffer_get_length(bufferevent_get_output(a->bev));
		bufferevent_free(a->bev);
		a->bev = NULL;
	}
	if (a->state == AN_UP)
		c->ctr.tcp_disconnects++;
	a->state = AN_DOWN;
	tv.tv_sec = a->backoff_ms / 1000;
	tv.tv_usec = (suseconds_t)(a->backoff_ms % 1000) * 1000;
	an_backoff(a, why);
	evtimer_add(a->ev_retry, &tv);
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	/* The analyzer has nothing to say; discard what it sends anyway. */
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct analyzer *a = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		a->state = AN_UP;
		a->cap->ctr.tcp_connects++;
		a->skip_until = 0;
		a->backoff_ms = CAPTURE_RETRY_MS;
		a->warned = 0;
		log_info("analyzer %s: connected over TCP", dicap_addr_str(&a->addr));
		return;
	}
	if (what & BEV_EVENT_EOF)
		tcp_down(a, "connection closed");
	else if (what & BEV_EVENT_ERROR)
		tcp_down(a, err ? strerror(err) : "connection error");
}

static void
tcp_connect(struct analyzer *a)
{
	struct sockaddr_storage ss;
	socklen_t len = dicap_addr_to_sockaddr(&a->addr, 0, &ss);
	unsigned int tmo = TCP_USER_TIMEOUT_MS;
	int fd, one = 1;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		tcp_down(a, strerror(errno));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &tmo, sizeof(tmo));
	a->bev = bufferevent_socket_new(a->cap->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (a->bev == NULL) {
		close(fd);
		tcp_down(a, "out of memory");
		return;
	}
	bufferevent_setcb(a->bev, tcp_read_cb, NULL, tcp_event_cb, a);
	bufferevent_enable(a->bev, EV_READ | EV_WRITE);
	a->state = AN_CONNECTING;
	if (bufferevent_socket_connect(a->bev, (struct sockaddr *)&ss, (int)len) == -1)
		tcp_down(a, strerror(errno));
}

/* 0 queued, 1 not usable now (try another). */
static int
tcp_send(struct analyzer *a, const uint8_t *buf, uint32_t len)
{
	struct evbuffer *out;

	if (a->state != AN_UP)
		return 1;
	out = bufferevent_get_output(a->bev);
	if (evbuffer_get_length(out) + len > CAPTURE_TCP_QUEUE) {
		a->cap->ctr.queue_drops++;
		return 1;
	}
	if (bufferevent_write(a->bev, buf, len) == -1) {
		a->cap->ctr.send_errors++;
		return 1;
	}
	return 0;
}

/* ---- batches -------------------------------------------------------------- */

static int
an_usable(const struct analyzer *a, uint64_t now)
{
	if (a->cap->transport == CAPTURE_TCP)
		return a->state == AN_UP;
	return now >= a->skip_until;
}

/* The batch size for the current analyzers: see the top of the file. */
static uint32_t
batch_size(const struct capture *c)
{
	uint32_t i, p, size = 0;

	if (c->batch_max_set)
		return c->batch_max_set;
	if (c->transport == CAPTURE_TCP)
		return DICAP_BATCH_MAX_LEN;
	for (i = 0; i < c->n_an; i++)
		if ((p = udp_payload_max(c->an[i])) != 0 && (size == 0 || p < size))
			size = p;
	if (size < DICAP_BATCH_DEFAULT_MAX)
		return DICAP_BATCH_DEFAULT_MAX;
	return size > DICAP_BATCH_MAX_LEN ? DICAP_BATCH_MAX_LEN : size;
}

static void
batch_reset(struct capture *c)
{
	uint32_t size;

	if (c->size_stale) {
		size = batch_size(c);
		if (size != c->batch_max && c->n_an > 0)
			log_info("capture: batches of up to %u bytes", size);
		c->batch_max = size;
		c->size_stale = 0;
	}
	dicap_batch_begin(&c->w, c->buf, c->batch_max);
}

/* Send the batch being filled to the next analyzer that takes it. */
static void
batch_send(struct capture *c, uint8_t flags)
{
	uint64_t now = dicap_mono_ns();
	uint32_t i, len;
	struct analyzer *a;
	int rc;

	if (c->w.count == 0)
		return;
	for (i = 0; i < c->n_an; i++) {
		a = c->an[(c->next + i) % c->n_an];
		if (!an_usable(a, now))
			continue;
		len = dicap_batch_finish(&c->w, *c->node_id, a->seq, DLT_EN10MB_, flags);
		rc = c->transport == CAPTURE_TCP ? tcp_send(a, c->buf, len) :
		    udp_send(a, c->buf, len);
		if (rc == 0) {
			an_sent(a, len);
			c->ctr.batches_sent++;
			c->ctr.records_sent += c->w.count;
			c->ctr.bytes_sent += len;
			c->next = (c->next + i + 1) % c->n_an;
			batch_reset(c);
			return;
		}
		if (rc < 0)
			break;
	}
	c->ctr.records_unsent += c->w.count;
	batch_reset(c);
}

int
capture_ring_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	const struct dicap_xdp_rec *r = data;
	const uint8_t *bytes = (const uint8_t *)data + DICAP_XDP_REC_HDR;
	uint32_t wire, caplen;
	uint64_t ts;

	if (size < DICAP_XDP_REC_HDR || r->caplen > size - DICAP_XDP_REC_HDR ||
	    r->wirelen == 0) {
		c->ctr.ring_bad++;
		return 0;
	}
	c->ctr.records_in++;
	if (c->n_an == 0) {
		c->ctr.records_unsent++;
		return 0;
	}
	wire = r->wirelen > 0xffff ? 0xffff : r->wirelen;
	caplen = r->caplen > wire ? wire : r->caplen;
	ts = (uint64_t)((int64_t)r->ts_tai_ns - c->tai_offset);
	if (dicap_batch_add(&c->w, ts, wire, bytes, caplen) == 0)
		return 0;
	batch_send(c, 0);
	if (dicap_batch_add(&c->w, ts, wire, bytes, caplen) != 0)
		c->ctr.ring_bad++;	/* larger than a batch: dicap_rec_cap is bounded */
	return 0;
}

static void
ring_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;

	(void)fd;
	(void)what;
	ring_buffer__consume(c->rb);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;

	(void)fd;
	(void)what;
	if (c->rb != NULL)
		ring_buffer__consume(c->rb);
	batch_send(c, DICAP_BF_FLUSH);
}

void
capture_flush(struct capture *c)
{
	batch_send(c, DICAP_BF_FLUSH);
}

/* ---- analyzers ------------------------------------------------------------ */

static struct analyzer *
an_new(struct capture *c, const struct dicap_addr *addr)
{
	struct analyzer *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	a->cap = c;
	a->addr = *addr;
	a->fd = -1;
	a->backoff_ms = CAPTURE_RETRY_MS;
	if (c->transport == CAPTURE_TCP) {
		if ((a->ev_retry = evtimer_new(c->base, tcp_retry_cb, a)) == NULL)
			fatal("%s", __func__);
		tcp_connect(a);
	} else if (udp_open(a) == -1) {
		an_backoff(a, strerror(errno));
	}
	log_info("analyzer %s added (%s)", dicap_addr_str(&a->addr),
	    c->transport == CAPTURE_TCP ? "tcp" : "udp");
	return a;
}

static void
an_free(struct analyzer *a)
{
	if (a->bev != NULL) {
		a->cap->ctr.tcp_lost_bytes += evbuffer_get_length(bufferevent_get_output(a->bev));
		bufferevent_free(a->bev);
	}
	if (a->ev_retry != NULL)
		event_free(a->ev_retry);
	if (a->fd != -1)
		close(a->fd);
	free(a);
}

void
capture_set_analyzers(struct capture *c, const struct dicap_addr *addrs, uint32_t n)
{
	struct analyzer *keep[DICAP_MAX_ANALYZERS];
	uint32_t i, j;

	if (n > DICAP_MAX_ANALYZERS)
		n = DICAP_MAX_ANALYZERS;
	/*
	 * What is batched so far goes to the old set, before any entry of
	 * c->an[] is moved out: batch_send() walks them all.
	 */
	batch_send(c, DICAP_BF_FLUSH);
	for (i = 0; i < n; i++) {
		keep[i] = NULL;
		for (j = 0; j < c->n_an; j++) {
			if (c->an[j] != NULL && dicap_addr_equal(&c->an[j]->addr, &addrs[i])) {
				keep[i] = c->an[j];
				c->an[j] = NULL;
				break;
			}
		}
	}
	for (j = 0; j < c->n_an; j++) {
		if (c->an[j] != NULL) {
			log_info("analyzer %s removed", dicap_addr_str(&c->an[j]->addr));
			an_free(c->an[j]);
		}
	}
	for (i = 0; i < n; i++)
		c->an[i] = keep[i] != NULL ? keep[i] : an_new(c, &addrs[i]);
	c->n_an = n;
	c->next = 0;
	c->size_stale = 1;
	batch_reset(c);
}

void
capture_set_batch_max(struct capture *c, uint32_t bytes)
{
	if (bytes != 0 && bytes < DICAP_BATCH_HDR_LEN + DICAP_BATCH_REC_HDR_LEN)
		bytes = DICAP_BATCH_HDR_LEN + DICAP_BATCH_REC_HDR_LEN;
	if (bytes > DICAP_BATCH_MAX_LEN)
		bytes = DICAP_BATCH_MAX_LEN;
	batch_send(c, DICAP_BF_FLUSH);
	c->batch_max_set = bytes;
	c->size_stale = 1;
	batch_reset(c);
}

uint32_t
capture_batch_max(const struct capture *c)
{
	return c->batch_max;
}

void
capture_set_tai_offset(struct capture *c, int64_t offset_ns)
{
	c->tai_offset = offset_ns;
}

void
capture_counters(const struct capture *c, struct capture_counters *out)
{
	*out = c->ctr;
}

static const char *
an_state_name(const struct analyzer *a, uint64_t now)
{
	switch (a->state) {
	case AN_IDLE:
		return now >= a->skip_until ? "up" : "skipped";
	case AN_CONNECTING:
		return "connecting";
	case AN_UP:
		return "up";
	case AN_DOWN:
		return "down";
	}
	return "?";
}

void
capture_status_json(const struct capture *c, struct jsonw *w)
{
	uint64_t now = dicap_mono_ns();
	const struct analyzer *a;
	uint32_t i;

	jw_arr_begin(w);
	for (i = 0; i < c->n_an; i++) {
		a = c->an[i];
		jw_obj_begin(w);
		jw_key(w, "addr");
		jw_str(w, dicap_addr_str(&a->addr));
		jw_key(w, "state");
		jw_str(w, an_state_name(a, now));
		jw_key(w, "next_seq");
		jw_u64(w, a->seq);
		jw_key(w, "batches");
		jw_u64(w, a->batches);
		jw_key(w, "bytes");
		jw_u64(w, a->bytes);
		if (c->transport == CAPTURE_TCP) {
			jw_key(w, "queued_bytes");
			jw_u64(w, a->bev != NULL ?
			    evbuffer_get_length(bufferevent_get_output(a->bev)) : 0);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

struct capture *
capture_open(struct event_base *base, int ring_fd, const uint32_t *node_id,
    enum capture_transport transport, char *err, size_t errlen)
{
	struct capture *c;
	struct timeval tv = { 0, CAPTURE_FLUSH_MS * 1000 };

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->base = base;
	c->node_id = node_id;
	c->transport = transport;
	c->size_stale = 1;
	batch_reset(c);
	if (ring_fd == -1)
		goto no_ring;
	c->rb = ring_buffer__new(ring_fd, capture_ring_record, c, NULL);
	if (c->rb == NULL) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		free(c);
		return NULL;
	}
	c->ev_ring = event_new(base, ring_buffer__epoll_fd(c->rb), EV_READ | EV_PERSIST,
	    ring_cb, c);
	if (c->ev_ring == NULL || event_add(c->ev_ring, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the ring buffer");
		capture_close(c);
		return NULL;
	}
no_ring:
	c->ev_flush = event_new(base, -1, EV_PERSIST, flush_cb, c);
	if (c->ev_flush == NULL || event_add(c->ev_flush, &tv) == -1) {
		snprintf(err, errlen, "cannot watch the ring buffer");
		capture_close(c);
		return NULL;
	}
	return c;
}

void
capture_close(struct capture *c)
{
	uint32_t i;

	if (c == NULL)
		return;
	if (c->rb != NULL)
		ring_buffer__consume(c->rb);
	batch_send(c, DICAP_BF_FLUSH);
	/* Queued TCP data: one last non-blocking push, then it is gone. */
	for (i = 0; i < c->n_an; i++) {
		if (c->an[i]->bev != NULL)
			evbuffer_write(bufferevent_get_output(c->an[i]->bev),
			    bufferevent_getfd(c->an[i]->bev));
		an_free(c->an[i]);
	}
	if (c->ev_ring != NULL)
		event_free(c->ev_ring);
	if (c->ev_flush != NULL)
		event_free(c->ev_flush);
	ring_buffer__free(c->rb);
	free(c);
}
