/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The coordinator's control socket.  Every datagram is decoded with the
 * cluster key and checked against the sender's replay state here; what
 * fails is counted and dropped before any handler sees it, so that network
 * input can never change state unless it is authentic and fresh.
 *
 * When bound to a wildcard address the socket learns, per datagram, which
 * of our addresses the sender used (IP_PKTINFO) and answers from that same
 * address: a node that checks who answers is not confused on a host with
 * several addresses.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "coord.h"
#include "droplog.h"
#include "log.h"

#define NET_RX_BATCH	256		/* datagrams per wakeup: timers still run */
#define NET_SOCKBUF	(8 << 20)	/* bursts of topology parts and heartbeats */
#define REPLAY_KEEP_NS	(2 * DICAP_REPLAY_MAX_SKEW_NS)


static void net_read_cb(evutil_socket_t, short, void *);

/* @a as the control socket sends to it. */
socklen_t
net_sockaddr(const struct coord *c, const struct dicap_addr *a, struct sockaddr_storage *ss)
{
	return dicap_addr_to_sockaddr(a, c->conf.listen.family == 4 ? AF_INET : AF_INET6, ss);
}

/* The address to put in COORD for a peer that reached us at @local. */
void
coord_self_addr(struct coord *c, const struct dicap_addr *local, struct dicap_addr *out)
{
	if (c->conf.advertise.family != 0)
		*out = c->conf.advertise;
	else if (!c->wildcard)
		*out = c->conf.listen;
	else if (local != NULL && local->family != 0) {
		*out = *local;
		out->port = c->conf.listen.port;
	} else
		*out = c->conf.listen;
}

static void
sock_bufs(int fd)
{
	int size = NET_SOCKBUF;

	/* The FORCE variants pass net.core.*mem_max when we may. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int
net_open(struct coord *c, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int family, on = 1, off = 0;

	c->seq = dicap_seq_start();
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	randombytes_buf(c->session, sizeof(c->session));
	randombytes_buf(c->cookie_key, sizeof(c->cookie_key));
	crypto_kx_keypair(c->kx_pk, c->kx_sk);
	c->wildcard = addr_is_any(&c->conf.listen);
	family = c->conf.listen.family == 4 ? AF_INET : AF_INET6;
	c->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	sock_bufs(c->fd);
	if (family == AF_INET6) {
		/* [::] serves IPv4 nodes too, as v4-mapped peers. */
		setsockopt(c->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		setsockopt(c->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	}
	if (family == AF_INET)
		setsockopt(c->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	sslen = dicap_addr_to_sockaddr(&c->conf.listen, 0, &ss);
	if (bind(c->fd, (struct sockaddr *)&ss, sslen) == -1) {
		snprintf(err, errlen, "bind %s: %s", dicap_addr_str(&c->conf.listen),
		    strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->ev_read = event_new(c->base, c->fd, EV_READ | EV_PERSIST, net_read_cb, c);
	if (c->ev_read == NULL || event_add(c->ev_read, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the control socket");
		return -1;
	}
	return 0;
}

void
net_close(struct coord *c)
{
	struct replay_entry *r, *tmp;

	if (c->ev_read != NULL)
		event_free(c->ev_read);
	c->ev_read = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	HASH_ITER(hh, c->replay, r, tmp) {
		HASH_DEL(c->replay, r);
		free(r);
	}
	c->n_replay = c->n_replay_clients = 0;
}

/* Ancillary data choosing our source address; returns its length. */
static size_t
pktinfo_cmsg(struct coord *c, const struct dicap_addr *local, void *cbuf, size_t cap)
{
	struct cmsghdr *cm = cbuf;

	if (!c->wildcard || local == NULL || local->family == 0)
		return 0;
	memset(cbuf, 0, cap);
	if (c->conf.listen.family == 4 && local->family == 4) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, local->addr, 4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (c->conf.listen.family == 6) {
		struct sockaddr_storage ss;
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		dicap_addr_to_sockaddr(local, AF_INET6, &ss);
		pi.ipi6_addr = ((struct sockaddr_in6 *)&ss)->sin6_addr;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

int
net_send_raw(struct coord *c, const uint8_t *buf, size_t len, const struct sockaddr *to,
    socklen_t tolen, const struct dicap_addr *local)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)(uintptr_t)to;
	mh.msg_namelen = tolen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_controllen = pktinfo_cmsg(c, local, cbuf.buf, sizeof(cbuf.buf));
	if (mh.msg_controllen != 0)
		mh.msg_control = cbuf.buf;
	if (sendmsg(c->fd, &mh, MSG_DONTWAIT) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			c->ctr[CC_TX_EAGAIN]++;
		else
			c->ctr[CC_TX_ERRORS]++;
		log_debug("sendmsg: %s", strerror(errno));
		return -1;
	}
	c->ctr[CC_TX_DATAGRAMS]++;
	return 0;
}

int
net_encode(struct coord *c, struct dicap_msg *m, uint8_t *buf, size_t cap)
{
	int len;

	m->seq = c->seq++;
	m->timestamp_ns = dicap_now_ns();
	DICAP_SET(m, DICAP_AVP_SEQ);
	DICAP_SET(m, DICAP_AVP_TIMESTAMP);
	len = dicap_msg_encode_keys(m, buf, cap, c->conf.have_key ? &c->conf.keys : NULL);
	if (len < 0) {
		log_warnx("cannot encode %s: %s (%s)", dicap_msg_type_name(m->type),
		    dicap_msg_strerror(-len), dicap_msg_why());
		c->ctr[CC_TX_ERRORS]++;
		return -1;
	}
	return len;
}

int
net_send(struct coord *c, struct dicap_msg *m, const struct dicap_addr *to,
    const struct dicap_addr *local)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int len;

	if ((len = net_encode(c, m, c->tx_buf, sizeof(c->tx_buf))) < 0)
		return -1;
	sslen = net_sockaddr(c, to, &ss);
	return net_send_raw(c, c->tx_buf, (size_t)len, (struct sockaddr *)&ss, sslen, local);
}

/*
 * To a node whose JOIN brought a KX key: under our session key with it (an
 * HMAC where a signature would cost the node ten times as much).
 */
int
net_send_node(struct coord *c, struct dicap_msg *m, const struct node *n,
    const struct dicap_addr *to, const struct dicap_addr *local)
{
	int rc;

	c->conf.keys.peer_mac = n != NULL && n->has_kx ? n->kx_tx : NULL;
	rc = net_send(c, m, to, local);
	c->conf.keys.peer_mac = NULL;
	return rc;
}

/* Count a drop, and log it (lib/droplog.h). */
static void
net_drop(struct coord *c, enum coord_counter ctr, const struct dicap_addr *from,
    const char *what, const char *why)
{
	c->ctr[ctr]++;
	dicap_log_drop(&c->drop_warned_ns[ctr], coord_counter_name(ctr), c->ctr[ctr], from,
	    what, why);
}

/* Drops since the last call, for the periodic summary in the log. */
void
net_log_drops(struct coord *c)
{
	static const enum coord_counter watched[] = {
		CC_RX_MALFORMED, CC_RX_AUTH_FAIL, CC_RX_REPLAY, CC_TX_EAGAIN, CC_TX_ERRORS,
	};
	size_t i;

	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		enum coord_counter k = watched[i];

		if (c->ctr[k] == c->ctr_logged[k])
			continue;
		log_info("%s: %llu more (%llu in all)", coord_counter_name(k),
		    (unsigned long long)(c->ctr[k] - c->ctr_logged[k]),
		    (unsigned long long)c->ctr[k]);
		c->ctr_logged[k] = c->ctr[k];
	}
}

static void
replay_free(struct coord *c, struct replay_entry *r)
{
	HASH_DEL(c->replay, r);
	c->n_replay--;
	if (r->key.kind == RK_CLIENT)
		c->n_replay_clients--;
	free(r);
}

/*
 * The entry of @k, or a new one while the table has room: only senders
 * that authenticated get one, and each kind has its bound, so a flood of
 * status readers cannot crowd the nodes out.
 */
static struct replay_entry *
replay_get(struct coord *c, const struct replay_key *k)
{
	struct replay_entry *r;

	HASH_FIND(hh, c->replay, k, sizeof(*k), r);
	if (r != NULL)
		return r;
	if (c->n_replay >= COORD_REPLAY_SLOTS ||
	    (k->kind == RK_CLIENT && c->n_replay_clients >= COORD_REPLAY_CLIENTS)) {
		c->ctr[CC_REPLAY_FULL]++;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->key = *k;
	HASH_ADD(hh, c->replay, key, sizeof(r->key), r);
	c->n_replay++;
	if (k->kind == RK_CLIENT)
		c->n_replay_clients++;
	return r;
}

/*
 * Replay state lives while its sender is a node in the table or has been
 * heard within twice the allowed clock skew: after that, anything recorded
 * from it carries a timestamp the first-message check refuses anyway.
 */
void
net_replay_gc(struct coord *c)
{
	struct replay_entry *r, *tmp;
	uint64_t now = dicap_mono_ns();
	struct node *n;

	HASH_ITER(hh, c->replay, r, tmp) {
		if (now - r->last_ok < REPLAY_KEEP_NS)
			continue;
		if (r->key.kind == RK_NODE && (n = node_find(c, r->key.id)) != NULL &&
		    memcmp(n->session, r->key.session, sizeof(n->session)) == 0)
			continue;
		replay_free(c, r);
	}
}

static void
replay_key_for(const struct dicap_msg *m, const struct dicap_addr *from,
    struct replay_key *k)
{
	memset(k, 0, sizeof(*k));
	switch (m->type) {
	case DICAP_MSG_JOIN:
	case DICAP_MSG_HEARTBEAT:
	case DICAP_MSG_LEAVE:
		k->kind = RK_NODE;
		k->id = m->node_id;
		memcpy(k->session, m->session, sizeof(k->session));
		break;
	case DICAP_MSG_COORD_SYNC:
	case DICAP_MSG_VOTE_REQ:
	case DICAP_MSG_VOTE:
	case DICAP_MSG_ANNOUNCE:
		k->kind = RK_COORD;
		k->id = DICAP_HAS(m, DICAP_AVP_NODE_ID) ? m->node_id : 0;
		break;
	default:
		/* A status reader: its cookie showed it receives at this address. */
		k->kind = RK_CLIENT;
		k->family = from->family;
		memcpy(k->addr, from->addr, 16);
		k->port = from->port;
		break;
	}
}

static int
net_fresh(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from)
{
	struct replay_entry *r;
	struct replay_key k;
	int verdict;

	replay_key_for(m, from, &k);
	if ((r = replay_get(c, &k)) == NULL) {
		net_drop(c, CC_RX_REPLAY, from, dicap_msg_type_name(m->type),
		    "no replay slot for a new sender");
		return 0;
	}
	verdict = dicap_replay_check(&r->state, m->seq, m->timestamp_ns, dicap_now_ns(), 0);
	if (verdict != DICAP_REPLAY_OK) {
		net_drop(c, CC_RX_REPLAY, from, dicap_msg_type_name(m->type),
		    dicap_replay_verdict_name(verdict));
		if (r->state.top == 0)
			replay_free(c, r);
		return 0;
	}
	r->last_ok = dicap_mono_ns();
	return 1;
}

/* The cookie of a status reader at @from: valid while this process runs. */
static void
status_cookie(struct coord *c, const struct dicap_addr *from, uint8_t out[DICAP_COOKIE_LEN])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, c->cookie_key, sizeof(c->cookie_key));
	crypto_auth_hmacsha256_update(&st, &from->family, 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)&from->port, sizeof(from->port));
	crypto_auth_hmacsha256_update(&st, from->addr, sizeof(from->addr));
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, mac, DICAP_COOKIE_LEN);
}

/*
 * A node message without our session, or a STATUS_REQ without its cookie:
 * its sender has not shown that it receives at its address (nor that the
 * message is not from before our start).  It gets our session (and its
 * cookie) in an ERROR SESSION, but only if that answer is no longer than
 * the request: nobody can make us send more than they sent.
 */
static int
net_verified(struct coord *c, const struct dicap_msg *m, size_t len,
    const struct dicap_addr *from, const struct dicap_addr *local)
{
	uint8_t cookie[DICAP_COOKIE_LEN];
	struct sockaddr_storage ss;
	struct dicap_msg e;
	socklen_t sslen;
	int n;

	memset(&e, 0, sizeof(e));
	switch (m->type) {
	case DICAP_MSG_JOIN:
	case DICAP_MSG_HEARTBEAT:
	case DICAP_MSG_LEAVE:
		if (!DICAP_HAS(m, DICAP_AVP_SESSION)) {
			net_drop(c, CC_RX_MALFORMED, from, dicap_msg_type_name(m->type),
			    "no SESSION");
			return 0;
		}
		if (DICAP_HAS(m, DICAP_AVP_PEER_SESSION) &&
		    sodium_memcmp(m->peer_session, c->session, sizeof(c->session)) == 0)
			return 1;
		e.node_id = m->node_id;
		DICAP_SET(&e, DICAP_AVP_NODE_ID);
		node_sessions(c, &e, m->session);
		break;
	case DICAP_MSG_STATUS_REQ:
		status_cookie(c, from, cookie);
		if (DICAP_HAS(m, DICAP_AVP_COOKIE) &&
		    sodium_memcmp(m->cookie, cookie, sizeof(cookie)) == 0)
			return 1;
		memcpy(e.cookie, cookie, sizeof(cookie));
		DICAP_SET(&e, DICAP_AVP_COOKIE);
		break;
	default:
		return 1;
	}
	c->ctr[CC_RX_UNVERIFIED]++;
	e.type = DICAP_MSG_ERROR;
	e.error_code = DICAP_CTLERR_SESSION;
	DICAP_SET(&e, DICAP_AVP_ERROR_CODE);
	if ((n = net_encode(c, &e, c->tx_buf, sizeof(c->tx_buf))) < 0 || (size_t)n > len) {
		log_debug("%s from %s without session or cookie, %zu bytes: too short to answer",
		    dicap_msg_type_name(m->type), dicap_addr_str(from), len);
		return 0;
	}
	sslen = net_sockaddr(c, from, &ss);
	net_send_raw(c, c->tx_buf, (size_t)n, (struct sockaddr *)&ss, sslen, local);
	return 0;
}

/* Is @from one of the configured --peer coordinators? */
static int
net_is_peer(const struct coord *c, const struct dicap_addr *from)
{
	int i;

	for (i = 0; i < c->conf.n_peers; i++)
		if (dicap_addr_equal(&c->conf.peers[i], from))
			return 1;
	return 0;
}

static void
net_on_error(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from)
{
	log_debug("error %u from %s: %s", m->error_code, dicap_addr_str(from),
	    DICAP_HAS(m, DICAP_AVP_ERROR_TEXT) ? m->error_text : "(no text)");
	(void)c;
}

static void
net_dispatch(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from,
    const struct sockaddr_storage *ss, socklen_t sslen, const struct dicap_addr *local)
{
	switch (m->type) {
	case DICAP_MSG_JOIN:
		node_on_join(c, m, from, local);
		break;
	case DICAP_MSG_HEARTBEAT:
		node_on_heartbeat(c, m, from, local);
		break;
	case DICAP_MSG_LEAVE:
		node_on_leave(c, m, from, local);
		break;
	case DICAP_MSG_COORD_SYNC:
		election_on_sync(c, m, from);
		break;
	case DICAP_MSG_VOTE_REQ:
		election_on_vote_req(c, m, from);
		break;
	case DICAP_MSG_ANNOUNCE:
		election_on_announce(c, m, from);
		break;
	case DICAP_MSG_STATUS_REQ:
		status_on_request(c, m, ss, sslen, local);
		break;
	case DICAP_MSG_ERROR:
		net_on_error(c, m, from);
		break;
	case DICAP_MSG_VOTE:
		/* Not used by this version: candidates do not count votes. */
		break;
	default:
		break;
	}
}

static int
net_expected(int type)
{
	switch (type) {
	case DICAP_MSG_JOIN:
	case DICAP_MSG_HEARTBEAT:
	case DICAP_MSG_LEAVE:
	case DICAP_MSG_COORD_SYNC:
	case DICAP_MSG_VOTE_REQ:
	case DICAP_MSG_VOTE:
	case DICAP_MSG_ANNOUNCE:
	case DICAP_MSG_STATUS_REQ:
	case DICAP_MSG_ERROR:
		return 1;
	}
	return 0;
}

static void
net_input(struct coord *c, size_t len, const struct sockaddr_storage *ss, socklen_t sslen,
    const struct dicap_addr *local)
{
	struct dicap_addr from;
	struct dicap_msg m;
	const char *why = NULL;
	int rc;

	if (dicap_addr_from_sockaddr((const struct sockaddr *)ss, &from) == -1)
		return;
	rc = dicap_msg_decode_keys(c->rx_buf, len, &m, c->conf.have_key ? &c->conf.keys : NULL,
	    &why);
	if (rc == DICAP_MSGERR_AUTH_MISSING || rc == DICAP_MSGERR_AUTH_BAD) {
		net_drop(c, CC_RX_AUTH_FAIL, &from, dicap_msg_strerror(rc), why);
		return;
	}
	if (rc != DICAP_MSGERR_OK) {
		net_drop(c, CC_RX_MALFORMED, &from, dicap_msg_strerror(rc), why);
		return;
	}
	if (!net_expected(m.type)) {
		net_drop(c, CC_RX_UNEXPECTED, &from, dicap_msg_type_name(m.type),
		    "not a message for a coordinator");
		return;
	}
	if ((m.type == DICAP_MSG_COORD_SYNC || m.type == DICAP_MSG_VOTE_REQ) &&
	    !net_is_peer(c, &from)) {
		net_drop(c, CC_RX_NOT_PEER, &from, dicap_msg_type_name(m.type),
		    "not from a configured --peer");
		return;
	}
	if (!net_verified(c, &m, len, &from, local))
		return;
	if (m.type != DICAP_MSG_ERROR && !net_fresh(c, &m, &from))
		return;
	log_debug("received %s from %s (%zu bytes)", dicap_msg_type_name(m.type),
	    dicap_addr_str(&from), len);
	net_dispatch(c, &m, &from, ss, sslen, local);
}

/* Our address the datagram was sent to, from IP_PKTINFO/IPV6_PKTINFO. */
static void
local_addr(struct msghdr *mh, struct dicap_addr *local)
{
	struct cmsghdr *cm;

	memset(local, 0, sizeof(*local));
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->family = 4;
			memcpy(local->addr, &pi.ipi_addr, 4);
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			in6_to_addr(&pi.ipi6_addr, local);
		}
	}
}

static void
net_read_cb(evutil_socket_t fd, short what, void *arg)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		    CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct coord *c = arg;
	struct sockaddr_storage ss;
	struct dicap_addr local;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < NET_RX_BATCH; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = c->rx_buf;
		iov.iov_len = sizeof(c->rx_buf);
		mh.msg_name = &ss;
		mh.msg_namelen = sizeof(ss);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("recvmsg: %s", strerror(errno));
			return;
		}
		local_addr(&mh, &local);
		if (local.family != 0)
			local.port = c->conf.listen.port;
		net_input(c, (size_t)n, &ss, mh.msg_namelen, &local);
	}
}
