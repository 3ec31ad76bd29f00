/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control channel of the node: one UDP socket per address family
 * (created when first needed), the multicast announcement listener, the
 * codec with the cluster key, and replay checks.  Input that fails any
 * check is counted and dropped here, before it can reach any state.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "dicapd.h"
#include "sockaddr.h"
#include "droplog.h"
#include "log.h"

#define NET_RX_BATCH	64	/* datagrams per wakeup, so one socket cannot starve the rest */


static void net_read_cb(evutil_socket_t, short, void *);



static int
udp_socket(int family, char *err, size_t errlen)
{
	int fd;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		snprintf(err, errlen, "UDP socket (%s): %s",
		    family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	return fd;
}

/* --bind: the control channel's source address (a management interface). */
static int
net_bind(struct dicapd *d, int fd, int family, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (d->bind_addr.family != family)
		return 0;
	len = dicap_addr_to_sockaddr(&d->bind_addr, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(err, errlen, "--bind %s: %s", dicap_addr_str(&d->bind_addr), strerror(errno));
		return -1;
	}
	return 0;
}

static int
net_watch(struct dicapd *d, int fd, struct event **ev)
{
	*ev = event_new(d->base, fd, EV_READ | EV_PERSIST, net_read_cb, d);
	if (*ev == NULL || event_add(*ev, NULL) == -1)
		fatalx("cannot watch the control socket");
	return 0;
}

static int net_fd_for(struct dicapd *, int);

int
net_open(struct dicapd *d, char *err, size_t errlen)
{
	d->fd6 = -1;
	d->mcast_fd = -1;
	d->seq = dicap_seq_start();
	d->fd4 = udp_socket(AF_INET, err, errlen);
	if (d->fd4 == -1 || net_bind(d, d->fd4, 4, err, errlen) == -1)
		return -1;
	if (d->bind_addr.family == 6 && net_fd_for(d, 6) == -1) {
		snprintf(err, errlen, "--bind %s: cannot use it", dicap_addr_str(&d->bind_addr));
		return -1;
	}
	return net_watch(d, d->fd4, &d->ev4);
}

/* The IPv6 socket exists only once an IPv6 coordinator is known. */
static int
net_fd_for(struct dicapd *d, int family)
{
	char err[128];

	if (family == 4)
		return d->fd4;
	if (d->fd6 == -1) {
		d->fd6 = udp_socket(AF_INET6, err, sizeof(err));
		if (d->fd6 == -1 || net_bind(d, d->fd6, 6, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			if (d->fd6 != -1)
				close(d->fd6);
			d->fd6 = -1;
			return -1;
		}
		net_watch(d, d->fd6, &d->ev6);
	}
	return d->fd6;
}

/*
 * Join the group on every IPv4 interface that is up, loopback included:
 * the coordinator may announce on any of them (on loopback in tests), and
 * the node need not know which one is the management network.  Returns
 * the number of interfaces joined, or -1.
 */
static int
join_everywhere(int fd, const struct dicap_addr *g)
{
	struct ifaddrs *ifa, *i;
	struct ip_mreqn mr;
	int joined = 0;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) ||
		    !(i->ifa_flags & (IFF_MULTICAST | IFF_LOOPBACK)))
			continue;
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_multiaddr, g->addr, 4);
		mr.imr_ifindex = (int)if_nametoindex(i->ifa_name);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) == 0)
			joined++;
		else if (errno != EADDRINUSE)
			log_debug("join %s on %s: %s", dicap_addr_str(g), i->ifa_name, strerror(errno));
	}
	freeifaddrs(ifa);
	return joined;
}

int
net_open_announce(struct dicapd *d, char *err, size_t errlen)
{
	const struct dicap_addr *g = &d->announce_group;
	struct sockaddr_in sin;
	int fd, on = 1, off = 0, joined;

	if (g->family != 4 || (g->addr[0] & 0xf0) != 0xe0) {
		snprintf(err, errlen, "announce group %s is not an IPv4 multicast address",
		    dicap_addr_str(g));
		return -1;
	}
	if ((fd = udp_socket(AF_INET, err, errlen)) == -1)
		return -1;
	/* Several agents on one host (one per capture interface) share the group. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(g->port);
	memcpy(&sin.sin_addr, g->addr, 4);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		snprintf(err, errlen, "bind announce group %s: %s", dicap_addr_str(g),
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((joined = join_everywhere(fd, g)) <= 0) {
		snprintf(err, errlen, "join announce group %s: %s", dicap_addr_str(g),
		    joined == 0 ? "no interface with IPv4 multicast" : strerror(errno));
		close(fd);
		return -1;
	}
	log_info("listening for announcements on %s (%d interface%s)", dicap_addr_str(g), joined,
	    joined == 1 ? "" : "s");
	d->mcast_fd = fd;
	return net_watch(d, fd, &d->ev_mcast);
}

void
net_close(struct dicapd *d)
{
	if (d->ev4 != NULL)
		event_free(d->ev4);
	if (d->ev6 != NULL)
		event_free(d->ev6);
	if (d->ev_mcast != NULL)
		event_free(d->ev_mcast);
	d->ev4 = d->ev6 = d->ev_mcast = NULL;
	if (d->fd4 != -1)
		close(d->fd4);
	if (d->fd6 != -1)
		close(d->fd6);
	if (d->mcast_fd != -1)
		close(d->mcast_fd);
	d->fd4 = d->fd6 = d->mcast_fd = -1;
}

/*
 * Our session, and the coordinator's if we have heard it: without it, a
 * JOIN is padded so that the coordinator may answer with its session
 * (docs/protocol.md, "Sessions").
 */
static void
net_sessions(struct dicapd *d, struct dicap_msg *m, const struct dicap_addr *to)
{
	static const uint8_t none[DICAP_SESSION_LEN];
	int idx, len;

	memcpy(m->session, d->session, sizeof(m->session));
	DICAP_SET(m, DICAP_AVP_SESSION);
	idx = membership_coord_index(d, to);
	if (idx >= 0 && memcmp(d->coords[idx].session, none, sizeof(none)) != 0) {
		memcpy(m->peer_session, d->coords[idx].session, sizeof(m->peer_session));
		DICAP_SET(m, DICAP_AVP_PEER_SESSION);
		return;
	}
	if (m->type != DICAP_MSG_JOIN)
		return;
	DICAP_SET(m, DICAP_AVP_PADDING);
	len = dicap_msg_encoded_len(m, d->have_key);
	if (len > 0 && len < DICAP_UNVERIFIED_MIN_LEN)
		m->padding_len = (uint16_t)(DICAP_UNVERIFIED_MIN_LEN - len);
}

int
net_send(struct dicapd *d, struct dicap_msg *m, const struct dicap_addr *to)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, len;

	m->seq = d->seq++;
	m->timestamp_ns = dicap_now_ns();
	DICAP_SET(m, DICAP_AVP_SEQ);
	DICAP_SET(m, DICAP_AVP_TIMESTAMP);
	net_sessions(d, m, to);
	len = dicap_msg_encode_keys(m, d->tx_buf, sizeof(d->tx_buf),
	    d->have_key ? &d->keys : NULL);
	if (len < 0) {
		log_warnx("cannot encode %s: %s (%s)", dicap_msg_type_name(m->type),
		    dicap_msg_strerror(-len), dicap_msg_why());
		d->ctr[C_TX_ERRORS]++;
		return -1;
	}
	if ((fd = net_fd_for(d, to->family)) == -1) {
		d->ctr[C_TX_ERRORS]++;
		return -1;
	}
	sslen = dicap_addr_to_sockaddr(to, 0, &ss);
	if (sendto(fd, d->tx_buf, (size_t)len, 0, (struct sockaddr *)&ss, sslen) == -1) {
		log_debug("send %s to %s: %s", dicap_msg_type_name(m->type), dicap_addr_str(to),
		    strerror(errno));
		d->ctr[C_TX_ERRORS]++;
		return -1;
	}
	log_debug("sent %s to %s (%d bytes)", dicap_msg_type_name(m->type), dicap_addr_str(to), len);
	return 0;
}

/* Count a drop, and log it (lib/droplog.h). */
static void
net_drop(struct dicapd *d, enum agent_counter c, const struct dicap_addr *from,
    const char *what, const char *why)
{
	d->ctr[c]++;
	dicap_log_drop(&d->drop_warned_ns[c], agent_counter_name(c), d->ctr[c], from, what,
	    why);
}

/* The replay slot of a coordinator session; the least recently used one is reused. */
static struct dicap_replay *
replay_state(struct dicapd *d, const uint8_t *session)
{
	struct replay_slot *s, *victim = &d->replay[0];
	int i;

	for (i = 0; i < DICAPD_REPLAY_SLOTS; i++) {
		s = &d->replay[i];
		if (s->used && memcmp(s->session, session, sizeof(s->session)) == 0) {
			s->last_use_mono = dicap_mono_ns();
			return &s->state;
		}
		if (!s->used || (victim->used && s->last_use_mono < victim->last_use_mono))
			victim = s;
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	memcpy(victim->session, session, sizeof(victim->session));
	victim->last_use_mono = dicap_mono_ns();
	return &victim->state;
}

static void
net_dispatch(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	switch (m->type) {
	case DICAP_MSG_TOPOLOGY:
		topology_input(d, m, from);
		break;
	case DICAP_MSG_ACCEPT:
	case DICAP_MSG_HEARTBEAT:
	case DICAP_MSG_ERROR:
	case DICAP_MSG_ANNOUNCE:
		membership_input(d, m, from);
		break;
	default:
		net_drop(d, C_RX_UNEXPECTED, from, dicap_msg_type_name(m->type),
		    "not a message for a node");
		break;
	}
}

static void
net_input(struct dicapd *d, const uint8_t *buf, size_t len, const struct dicap_addr *from)
{
	struct dicap_replay *rs;
	struct dicap_msg m;
	const char *why = NULL;
	int rc, verdict;

	d->keys.peer_mac = membership_coord_mac(d, from);
	rc = dicap_msg_decode_keys(buf, len, &m, d->have_key ? &d->keys : NULL, &why);
	d->keys.peer_mac = NULL;
	if (rc == DICAP_MSGERR_AUTH_MISSING || rc == DICAP_MSGERR_AUTH_BAD) {
		net_drop(d, C_RX_AUTH_FAIL, from, dicap_msg_strerror(rc), why);
		return;
	}
	if (rc != DICAP_MSGERR_OK) {
		net_drop(d, C_RX_MALFORMED, from, dicap_msg_strerror(rc), why);
		return;
	}
	if (!DICAP_HAS(&m, DICAP_AVP_SEQ) || !DICAP_HAS(&m, DICAP_AVP_TIMESTAMP)) {
		net_drop(d, C_RX_MALFORMED, from, dicap_msg_type_name(m.type),
		    "no SEQ or TIMESTAMP");
		return;
	}
	/*
	 * What answers us names our session: nothing sent to an earlier run of
	 * this node is taken.  A TOPOLOGY from a coordinator that has not heard
	 * us yet (one that just took over) names none.
	 */
	if (DICAP_HAS(&m, DICAP_AVP_PEER_SESSION) ?
	    sodium_memcmp(m.peer_session, d->session, sizeof(d->session)) != 0 :
	    (m.type == DICAP_MSG_ACCEPT || m.type == DICAP_MSG_HEARTBEAT ||
	    m.type == DICAP_MSG_ERROR)) {
		net_drop(d, C_RX_SESSION, from, dicap_msg_type_name(m.type),
		    "not for this run of the node (PEER_SESSION)");
		return;
	}
	rs = replay_state(d, m.session);
	verdict = dicap_replay_check(rs, m.seq, m.timestamp_ns, dicap_now_ns(), 0);
	if (verdict != DICAP_REPLAY_OK) {
		net_drop(d, C_RX_REPLAY, from, dicap_msg_type_name(m.type),
		    dicap_replay_verdict_name(verdict));
		return;
	}
	/* Elections raise terms one at a time: a leap is no election's. */
	if (DICAP_HAS(&m, DICAP_AVP_TERM) && (m.term > UINT32_MAX - DICAP_TERM_MAX_STEP ||
	    (d->max_term != 0 && m.term > d->max_term + DICAP_TERM_MAX_STEP))) {
		net_drop(d, C_RX_TERM_JUMP, from, dicap_msg_type_name(m.type),
		    "a term beyond what an election makes");
		return;
	}
	log_debug("received %s from %s (%zu bytes)", dicap_msg_type_name(m.type),
	    dicap_addr_str(from), len);
	/* Before: an ERROR SESSION is answered with it; after: a new coordinator. */
	if (DICAP_HAS(&m, DICAP_AVP_SESSION))
		membership_coord_session(d, from, m.session);
	if (m.type == DICAP_MSG_ACCEPT && DICAP_HAS(&m, DICAP_AVP_KX) && d->have_key)
		membership_coord_kx(d, from, m.kx);
	net_dispatch(d, &m, from);
	if (DICAP_HAS(&m, DICAP_AVP_SESSION))
		membership_coord_session(d, from, m.session);
	if (m.type == DICAP_MSG_ACCEPT && DICAP_HAS(&m, DICAP_AVP_KX) && d->have_key &&
	    membership_coord_mac(d, from) == NULL)
		membership_coord_kx(d, from, m.kx);
}

static void
net_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dicapd *d = arg;
	struct sockaddr_storage ss;
	struct dicap_addr from;
	socklen_t sslen;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < NET_RX_BATCH; i++) {
		sslen = sizeof(ss);
		n = recvfrom(fd, d->rx_buf, sizeof(d->rx_buf), 0, (struct sockaddr *)&ss, &sslen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("recvfrom: %s", strerror(errno));
			return;
		}
		if (dicap_addr_from_sockaddr((const struct sockaddr *)&ss, &from) == -1)
			continue;
		net_input(d, d->rx_buf, (size_t)n, &from);
	}
}
