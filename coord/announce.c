/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Multicast announcements (paper III.A): the active coordinator tells the
 * group, every interval, where it is and its term, so that nodes started
 * with --discover find it without configuration.  TTL 1: announcements stay
 * on the capture cluster's management LAN.  Coordinators only send here;
 * they learn of each other from --peer, not from the group.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coord.h"
#include "log.h"

/* With a wildcard -l, announce the address the kernel would send from. */
static int
announce_source(struct coord *c)
{
	struct sockaddr_storage ss, self;
	socklen_t len = sizeof(self);
	int fd, rc = -1;

	if (c->conf.advertise.family != 0) {
		c->announce_self = c->conf.advertise;
		return 0;
	}
	if (!c->wildcard) {
		c->announce_self = c->conf.listen;
		return 0;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, dicap_addr_to_sockaddr(&c->conf.announce_group, 0, &ss)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&self, &len) == 0 &&
	    dicap_addr_from_sockaddr((const struct sockaddr *)&self, &c->announce_self) == 0) {
		c->announce_self.port = c->conf.listen.port;
		rc = 0;
	}
	close(fd);
	return rc;
}

static void
multicast_via_lo(struct coord *c)
{
	struct ip_mreqn mr;

	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)if_nametoindex("lo");
	setsockopt(c->mfd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
}

int
announce_open(struct coord *c, char *err, size_t errlen)
{
	unsigned char ttl = 1, loop = 1;
	struct ip_mreqn mr;

	c->mfd = -1;
	if (!c->conf.announce)
		return 0;
	if (announce_source(c) == -1) {
		/* No route to the group: announce on this host only. */
		c->announce_self.family = 4;
		c->announce_self.addr[0] = 127;
		c->announce_self.addr[3] = 1;
		c->announce_self.port = c->conf.listen.port;
		log_warnx("no route to %s: announcing on this host only (give -l or "
		    "--advertise an address, or add a route to the group)",
		    dicap_addr_str(&c->conf.announce_group));
	}
	c->mfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->mfd == -1) {
		snprintf(err, errlen, "announce socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->mfd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	setsockopt(c->mfd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
	if (c->announce_self.family == 4) {
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_address, c->announce_self.addr, 4);
		if (c->announce_self.addr[0] == 127)
			mr.imr_ifindex = (int)if_nametoindex("lo");
		setsockopt(c->mfd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
	}
	log_info("announcing %s to %s", dicap_addr_str(&c->announce_self),
	    dicap_addr_str(&c->conf.announce_group));
	return 0;
}

void
announce_close(struct coord *c)
{
	if (c->mfd != -1)
		close(c->mfd);
	c->mfd = -1;
}

static void
announce_fill(struct coord *c, struct dicap_msg *m)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->type = DICAP_MSG_ANNOUNCE;
	m->coord = c->announce_self;
	m->term = c->term;
	m->epoch = c->epoch;
	m->priority = c->conf.priority;
	m->node_id = c->conf.id;
	m->mode = (uint8_t)c->conf.mode;
	m->sel_flags = c->conf.sel_flags;
	m->member_count = c->n_members;
	m->heartbeat_ms = c->conf.heartbeat_ms;
	m->timeout_ms = c->conf.timeout_ms;
	for (i = 0; i < c->conf.n_analyzers; i++)
		m->analyzers[i] = c->conf.analyzers[i];
	m->n_analyzers = c->conf.n_analyzers;
	DICAP_SET(m, DICAP_AVP_COORD);
	DICAP_SET(m, DICAP_AVP_TERM);
	DICAP_SET(m, DICAP_AVP_EPOCH);
	DICAP_SET(m, DICAP_AVP_PRIORITY);
	DICAP_SET(m, DICAP_AVP_NODE_ID);
	DICAP_SET(m, DICAP_AVP_SELECT);
	DICAP_SET(m, DICAP_AVP_SELECT_FLAGS);
	DICAP_SET(m, DICAP_AVP_MEMBER_COUNT);
	DICAP_SET(m, DICAP_AVP_HEARTBEAT_MS);
	DICAP_SET(m, DICAP_AVP_TIMEOUT_MS);
	if (m->n_analyzers != 0)
		DICAP_SET(m, DICAP_AVP_ANALYZER);
	memcpy(m->session, c->session, sizeof(m->session));
	DICAP_SET(m, DICAP_AVP_SESSION);
}

void
announce_send(struct coord *c)
{
	struct sockaddr_storage ss;
	struct dicap_msg m;
	socklen_t sslen;
	int len;

	if (c->mfd == -1 || c->role != ROLE_ACTIVE)
		return;
	announce_fill(c, &m);
	if ((len = net_encode(c, &m, c->announce_buf, sizeof(c->announce_buf))) < 0)
		return;
	sslen = dicap_addr_to_sockaddr(&c->conf.announce_group, 0, &ss);
	if (sendto(c->mfd, c->announce_buf, (size_t)len, 0, (struct sockaddr *)&ss,
	    sslen) != -1) {
		c->ctr[CC_TX_DATAGRAMS]++;
		return;
	}
	c->ctr[CC_TX_ERRORS]++;
	if (!c->announce_failed) {
		c->announce_failed = 1;
		log_warn("announce to %s (now trying lo)", dicap_addr_str(&c->conf.announce_group));
		multicast_via_lo(c);
	}
}
