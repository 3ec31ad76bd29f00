/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reception.  UDP: one batch per datagram, read with recvmmsg() in rounds
 * so that timers still run under load; the kernel's count of datagrams it
 * dropped on our socket is kept, since such a drop shows up as a sequence
 * gap and this tells the two causes apart.  That count is read with
 * SO_MEMINFO on the tick and at the end, not from an SO_RXQ_OVFL control
 * message on every datagram: the message cost about 5% of the analyzer's
 * time under load (bench/b5-ingest.sh, perf).  The reorder window is
 * advanced once per round of datagrams or TCP read, not per batch.
 *
 * TCP (--transport tcp): batches back to back, framed by the length in
 * their header.  A header that cannot start a batch ends the connection,
 * as nothing after it can be framed; a batch that is framed but fails the
 * decoder is counted and skipped, and the stream goes on.
 *
 * TCP resources are bounded (issue 14): at most tcp_max connections (1024,
 * less when RLIMIT_NOFILE cannot be raised to fit them), at most
 * --tcp-per-source from one address, and a connection that sends nothing
 * for --tcp-idle-timeout seconds is closed, so idle connections cannot
 * shut the port for good.  When accept() fails (no file descriptor left),
 * the listener rests ANA_ACCEPT_PAUSE_MS instead of being woken again at
 * once by the connection still waiting: without an error callback libevent
 * retried in a loop, at 100% CPU and a log line per try.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "analyzer.h"
#include "sockaddr.h"
#include "batch.h"
#include "log.h"
#include "replay.h"

#define RX_VLEN		32		/* datagrams per recvmmsg() */
#define RX_ROUNDS	16		/* recvmmsg() calls per wakeup */
#define RX_BUF_LEN	65536		/* > the largest UDP payload: no truncation */
#define NET_SOCKBUF	(8 << 20)	/* rides out a few ms of a slow disk */
#define TCP_BACKLOG	64
#define DRAIN_MAX	1000000		/* datagrams read at shutdown at most */
#define FD_RESERVE	64		/* descriptors beside the connections */
#define TCP_LOG_NS	(10 * NS_PER_SEC)	/* refusals logged at most this often */

/* Connections from one address (the port left out). */
struct source {
	uint8_t family;
	uint8_t addr[16];
	unsigned int conns;
	UT_hash_handle hh;
};

struct conn {
	struct analyzer *a;
	struct bufferevent *bev;
	struct sender *sender;
	struct source *source;
	LIST_ENTRY(conn) entry;
};

/* About 2 MiB: allocated, so that struct analyzer fits on main()'s stack. */
struct udp_rx {
	uint8_t bufs[RX_VLEN][RX_BUF_LEN];
	struct mmsghdr msgs[RX_VLEN];
	struct iovec iov[RX_VLEN];
	struct sockaddr_storage from[RX_VLEN];
};

/* A v4-mapped IPv6 peer is keyed and shown as the IPv4 address it is. */
static void
key_from(struct sender_key *k, int transport, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	memset(k, 0, sizeof(*k));
	k->transport = (uint8_t)transport;
	if (sa->sa_family == AF_INET) {
		k->family = 4;
		k->port = ntohs(sin->sin_port);
		memcpy(k->addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		k->port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			k->family = 4;
			memcpy(k->addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->family = 6;
			memcpy(k->addr, &sin6->sin6_addr, 16);
		}
	}
}

void
net_note_drops(struct analyzer *a)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (a->udp_fd == -1)
		return;
	if (getsockopt(a->udp_fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1 ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0])) {
		if (!a->drops_unknown)
			log_warn("SO_MEMINFO: socket drops are not counted");
		a->drops_unknown = 1;
		return;
	}
	/* a running total of the socket's drops, modulo 2^32 */
	a->ctr.socket_drops += (uint32_t)(mem[SK_MEMINFO_DROPS] - a->last_ovfl);
	a->last_ovfl = mem[SK_MEMINFO_DROPS];
}

static void
udp_datagram(struct analyzer *a, int i)
{
	struct sender_key key;
	struct sender *s;
	struct udp_rx *rx = a->rx;
	struct msghdr *mh = &rx->msgs[i].msg_hdr;

	a->ctr.datagrams++;
	key_from(&key, ANA_T_UDP, (struct sockaddr *)&rx->from[i]);
	s = sender_get(a, &key);
	if (mh->msg_flags & MSG_TRUNC) {
		sender_malformed(a, s, "datagram truncated");
		return;
	}
	ingest_batch(a, rx->bufs[i], rx->msgs[i].msg_len, s);
}

/* One recvmmsg(): the number of datagrams read, 0 when none, -1 on error. */
static int
udp_round(struct analyzer *a)
{
	struct udp_rx *rx = a->rx;
	int i, n;

	for (i = 0; i < RX_VLEN; i++) {
		rx->iov[i].iov_base = rx->bufs[i];
		rx->iov[i].iov_len = sizeof(rx->bufs[i]);
		memset(&rx->msgs[i].msg_hdr, 0, sizeof(rx->msgs[i].msg_hdr));
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
		rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
	}
	n = recvmmsg(a->udp_fd, rx->msgs, RX_VLEN, MSG_DONTWAIT, NULL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		log_warn("recvmmsg");
		return -1;
	}
	a->now_ns = dicap_now_ns();
	a->now_mono = dicap_mono_ns();
	for (i = 0; i < n; i++)
		udp_datagram(a, i);
	reorder_input_done(a);
	return n;
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	int round, n;

	(void)fd;
	(void)what;
	for (round = 0; round < RX_ROUNDS; round++) {
		n = udp_round(arg);
		if (n < RX_VLEN)
			break;
	}
}

static void
set_rcvbuf(int fd)
{
	int size = NET_SOCKBUF;

	/* FORCE passes net.core.rmem_max with CAP_NET_ADMIN */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == -1)
		log_warn("SO_RCVBUF");
}

static int
udp_open(struct analyzer *a)
{
	struct sockaddr_storage ss;
	socklen_t len = dicap_addr_to_sockaddr(&a->conf.listen, 0, &ss);

	if ((a->rx = calloc(1, sizeof(*a->rx))) == NULL) {
		log_warn("udp receive buffers");
		return -1;
	}
	a->udp_fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->udp_fd == -1) {
		log_warn("udp socket");
		return -1;
	}
	set_rcvbuf(a->udp_fd);
	net_note_drops(a);	/* from 0, or the warning at once */
	if (bind(a->udp_fd, (struct sockaddr *)&ss, len) == -1) {
		log_warn("cannot listen on udp %s", dicap_addr_str(&a->conf.listen));
		return -1;
	}
	a->ev_udp = event_new(a->base, a->udp_fd, EV_READ | EV_PERSIST, udp_read_cb, a);
	if (a->ev_udp == NULL || event_add(a->ev_udp, NULL) == -1) {
		log_warnx("udp event");
		return -1;
	}
	return 0;
}

static void
conn_free(struct conn *c)
{
	if (c->source != NULL && --c->source->conns == 0) {
		HASH_DEL(c->a->sources, c->source);
		free(c->source);
	}
	LIST_REMOVE(c, entry);
	bufferevent_free(c->bev);
	c->a->ctr.tcp_open--;
	free(c);
}

/* Ingest every whole batch buffered; -1 when the stream cannot be framed. */
static int
tcp_batches(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct dicap_batch_hdr h;
	const char *why;
	char msg[200];
	uint8_t *p;
	uint32_t blen;
	int err, rc = 0;

	c->a->now_ns = dicap_now_ns();
	c->a->now_mono = dicap_mono_ns();
	while (evbuffer_get_length(in) >= DICAP_BATCH_HDR_LEN) {
		p = evbuffer_pullup(in, DICAP_BATCH_HDR_LEN);
		blen = dicap_batch_peek_length(p, DICAP_BATCH_HDR_LEN);
		if (blen == 0) {
			err = dicap_batch_decode(p, DICAP_BATCH_HDR_LEN, &h, &why);
			if (err == DICAP_BATCHERR_LENGTH || err == DICAP_BATCHERR_OK)
				snprintf(msg, sizeof(msg), "TCP stream: batch length %u is "
				    "outside %d..%d; closing the connection",
				    dicap_get_be32(p + 16), DICAP_BATCH_HDR_LEN +
				    DICAP_BATCH_REC_HDR_LEN, DICAP_BATCH_MAX_LEN);
			else
				snprintf(msg, sizeof(msg), "TCP stream: %s (%s); closing "
				    "the connection", dicap_batch_strerror(err), why);
			sender_malformed(c->a, c->sender, msg);
			rc = -1;
			break;
		}
		if (evbuffer_get_length(in) < blen)
			break;
		p = evbuffer_pullup(in, blen);
		if (p == NULL)
			fatalx("evbuffer_pullup of %u bytes failed", blen);
		ingest_batch(c->a, p, blen, c->sender);
		evbuffer_drain(in, blen);
	}
	reorder_input_done(c->a);
	return rc;
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (tcp_batches(c) == -1)
		conn_free(c);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	size_t left = evbuffer_get_length(bufferevent_get_input(bev));
	char msg[100];

	if (what & BEV_EVENT_TIMEOUT) {
		c->a->ctr.tcp_idle_closed++;
		log_debug("%s: silent for %u s, closed", c->sender->name, c->a->conf.tcp_idle);
		what |= BEV_EVENT_EOF;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (what & BEV_EVENT_ERROR)
		log_warnx("%s: %s", c->sender->name,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if (left > 0) {
		snprintf(msg, sizeof(msg), "TCP stream ended inside a batch (%zu bytes "
		    "pending)", left);
		sender_malformed(c->a, c->sender, msg);
	}
	log_debug("%s: connection closed", c->sender->name);
	conn_free(c);
}

/* Log the first, then at most one line per TCP_LOG_NS with the count between. */
static int
tcp_log_due(struct analyzer *a)
{
	uint64_t now = dicap_mono_ns();

	if (a->accept_logged_mono != 0 && now - a->accept_logged_mono < TCP_LOG_NS) {
		a->accept_unlogged++;
		return 0;
	}
	a->accept_logged_mono = now;
	return 1;
}

static void
tcp_refuse(struct analyzer *a, evutil_socket_t fd, const struct sender_key *key,
    const char *why)
{
	char name[ANA_ADDR_STRLEN];

	close(fd);
	if (!tcp_log_due(a))
		return;
	sender_name(key, name, sizeof(name));
	log_warnx("refusing a TCP connection from %s: %s (%llu open; %llu refusals and "
	    "accept errors not logged since the last such line)", name, why,
	    (unsigned long long)a->ctr.tcp_open, (unsigned long long)a->accept_unlogged);
	a->accept_unlogged = 0;
}

static struct source *
source_get(struct analyzer *a, const struct sender_key *key)
{
	struct source k, *src;

	memset(&k, 0, sizeof(k));
	k.family = key->family;
	memcpy(k.addr, key->addr, sizeof(k.addr));
	HASH_FIND(hh, a->sources, &k.family, offsetof(struct source, conns), src);
	if (src != NULL)
		return src;
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return NULL;
	src->family = k.family;
	memcpy(src->addr, k.addr, sizeof(src->addr));
	HASH_ADD(hh, a->sources, family, offsetof(struct source, conns), src);
	return src;
}

static void
tcp_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct analyzer *a = arg;
	struct sender_key key;
	struct source *src;
	struct timeval idle = { (time_t)a->conf.tcp_idle, 0 };
	struct conn *c;

	(void)salen;
	key_from(&key, ANA_T_TCP, sa);
	if (a->ctr.tcp_open >= a->tcp_max) {
		a->ctr.tcp_refused++;
		tcp_refuse(a, fd, &key, "too many connections");
		return;
	}
	if ((src = source_get(a, &key)) == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		if (src != NULL && src->conns == 0) {
			HASH_DEL(a->sources, src);
			free(src);
		}
		a->ctr.tcp_refused++;
		tcp_refuse(a, fd, &key, "out of memory");
		return;
	}
	if (src->conns >= a->conf.tcp_per_source) {
		free(c);
		a->ctr.tcp_refused++;
		a->ctr.tcp_source_refused++;
		tcp_refuse(a, fd, &key, "too many connections from this address "
		    "(--tcp-per-source)");
		return;
	}
	c->a = a;
	c->sender = sender_get(a, &key);
	c->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		if (src->conns == 0) {
			HASH_DEL(a->sources, src);
			free(src);
		}
		free(c);
		a->ctr.tcp_refused++;
		tcp_refuse(a, fd, &key, "out of memory");
		return;
	}
	c->source = src;
	src->conns++;
	LIST_INSERT_HEAD(&a->conns, c, entry);
	a->ctr.tcp_open++;
	a->ctr.tcp_accepted++;
	bufferevent_setcb(c->bev, tcp_read_cb, NULL, tcp_event_cb, c);
	if (a->conf.tcp_idle > 0)
		bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ);
	log_debug("%s: connected", c->sender->name);
}

static void
listen_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct analyzer *a = arg;

	(void)fd;
	(void)what;
	if (a->listener != NULL)
		evconnlistener_enable(a->listener);
}

static void
tcp_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct analyzer *a = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval pause = { 0, ANA_ACCEPT_PAUSE_MS * 1000 };

	a->ctr.tcp_accept_errors++;
	evconnlistener_disable(l);
	evtimer_add(a->ev_listen, &pause);
	if (!tcp_log_due(a))
		return;
	log_warnx("accept: %s; not accepting for %d ms (%llu open, %llu errors so far; "
	    "%llu refusals and accept errors not logged since the last such line)",
	    evutil_socket_error_to_string(err), ANA_ACCEPT_PAUSE_MS,
	    (unsigned long long)a->ctr.tcp_open, (unsigned long long)a->ctr.tcp_accept_errors,
	    (unsigned long long)a->accept_unlogged);
	a->accept_unlogged = 0;
}

/*
 * Room for every connection: the soft limit raised as far as the hard one
 * allows, and the connection cap lowered to what fits if that is not
 * enough, so that the cap, not accept(), refuses the connection too many.
 */
void
net_raise_nofile(struct analyzer *a)
{
	struct rlimit rl;
	rlim_t need = ANA_MAX_TCP_CONNS + FD_RESERVE;

	a->tcp_max = ANA_MAX_TCP_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return;
	}
	if (rl.rlim_cur < need && rl.rlim_cur != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need :
		    rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE %llu", (unsigned long long)rl.rlim_cur);
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		a->tcp_max = rl.rlim_cur > 2 * FD_RESERVE ? (unsigned int)(rl.rlim_cur -
		    FD_RESERVE) : (unsigned int)(rl.rlim_cur / 2);
		if (a->conf.transports & ANA_T_TCP)
			log_warnx("RLIMIT_NOFILE is %llu: at most %u TCP connections",
			    (unsigned long long)rl.rlim_cur, a->tcp_max);
	}
}

static int
tcp_open(struct analyzer *a)
{
	struct sockaddr_storage ss;
	socklen_t len = dicap_addr_to_sockaddr(&a->conf.listen, 0, &ss);
	int fd, on = 1;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("tcp socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		log_warn("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, TCP_BACKLOG) == -1) {
		log_warn("cannot listen on tcp %s", dicap_addr_str(&a->conf.listen));
		close(fd);
		return -1;
	}
	a->listener = evconnlistener_new(a->base, tcp_accept_cb, a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (a->listener == NULL) {
		log_warnx("evconnlistener_new failed");
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(a->listener, tcp_accept_error_cb);
	if ((a->ev_listen = evtimer_new(a->base, listen_resume_cb, a)) == NULL) {
		log_warnx("evtimer_new failed");
		return -1;
	}
	return 0;
}

int
net_open(struct analyzer *a)
{
	LIST_INIT(&a->conns);
	if ((a->conf.transports & ANA_T_UDP) && udp_open(a) == -1)
		return -1;
	if ((a->conf.transports & ANA_T_TCP) && tcp_open(a) == -1)
		return -1;
	return 0;
}

/* At shutdown: what the kernel already holds for us is not lost. */
void
net_drain(struct analyzer *a)
{
	struct conn *c;
	int total = 0, n;

	if (a->udp_fd != -1)
		while (total < DRAIN_MAX && (n = udp_round(a)) > 0)
			total += n;
	LIST_FOREACH(c, &a->conns, entry) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		evutil_socket_t fd = bufferevent_getfd(c->bev);

		while (evbuffer_read(in, fd, RX_BUF_LEN) > 0)
			if (tcp_batches(c) == -1)
				break;
	}
}

void
net_close(struct analyzer *a)
{
	while (!LIST_EMPTY(&a->conns))
		conn_free(LIST_FIRST(&a->conns));
	if (a->listener != NULL)
		evconnlistener_free(a->listener);
	a->listener = NULL;
	if (a->ev_listen != NULL)
		event_free(a->ev_listen);
	a->ev_listen = NULL;
	if (a->ev_udp != NULL)
		event_free(a->ev_udp);
	a->ev_udp = NULL;
	if (a->udp_fd != -1)
		close(a->udp_fd);
	a->udp_fd = -1;
	free(a->rx);
	a->rx = NULL;
}
