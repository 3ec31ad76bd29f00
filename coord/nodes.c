/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The node table: a hash by node id for O(1) lookups, and a list ordered
 * by the age of the last heartbeat, so that a heartbeat is O(1) (move to
 * the tail) and finding the timed-out nodes only looks at the head.
 *
 * Membership messages: JOIN, HEARTBEAT and LEAVE.  Only the active
 * coordinator takes them; a standby answers NOT_LEADER and names the
 * active one it follows, if any.
 *
 * A node that leaves keeps capturing its share until the first topology
 * without it is in force, so it must learn that topology: it is kept in
 * the leaver list until the next publish, which sends it that topology
 * too.  It repeats its LEAVE until it has it; a repeat is acknowledged
 * and, once published, answered with the current topology.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coord.h"
#include "log.h"

#define NODE_LOG_BURST	10	/* per-node events logged at info level a second */

static void expire_cb(evutil_socket_t, short, void *);

/*
 * A thousand nodes joining at once would write a thousand lines: log the
 * first few each second at info level and the rest at debug; the publish
 * line counts them all.
 */
static int
node_log_budget(struct coord *c)
{
	uint64_t now = dicap_mono_ns();

	if (now - c->log_second >= MS(1000)) {
		c->log_second = now;
		c->log_used = 0;
	}
	return c->log_used++ < NODE_LOG_BURST;
}

#define node_event(c, ...) \
	(node_log_budget(c) ? log_info(__VA_ARGS__) : log_debug(__VA_ARGS__))

int
nodes_init(struct coord *c)
{
	TAILQ_INIT(&c->by_age);
	c->ev_expire = evtimer_new(c->base, expire_cb, c);
	return c->ev_expire != NULL ? 0 : -1;
}

void
nodes_free(struct coord *c)
{
	nodes_clear(c);
	free(c->leavers);
	c->leavers = NULL;
	c->n_leavers = c->leavers_cap = 0;
	if (c->ev_expire != NULL)
		event_free(c->ev_expire);
}

/*
 * One timer, due when the oldest heartbeat reaches the timeout: a node is
 * removed right at its timeout, and heartbeats never touch the timer.
 */
void
nodes_expire_schedule(struct coord *c)
{
	uint64_t now = dicap_mono_ns(), due, wait;
	struct timeval tv;
	struct node *n;

	if (c->role != ROLE_ACTIVE || (n = TAILQ_FIRST(&c->by_age)) == NULL ||
	    evtimer_pending(c->ev_expire, NULL))
		return;
	due = n->last_heard + MS(c->conf.timeout_ms) + MS(1);
	wait = due > now ? due - now : 0;
	tv.tv_sec = (time_t)(wait / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(wait % 1000000000ULL / 1000);
	evtimer_add(c->ev_expire, &tv);
}

static void
expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;

	(void)fd;
	(void)what;
	if (c->role != ROLE_ACTIVE)
		return;
	nodes_expire(c);
	nodes_expire_schedule(c);
}

struct node *
node_find(struct coord *c, uint32_t id)
{
	struct node *n;

	HASH_FIND(hh, c->nodes, &id, sizeof(id), n);
	return n;
}

struct node *
node_add(struct coord *c, uint32_t id, const struct dicap_addr *from)
{
	struct node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("node 0x%08x", id);
		return NULL;
	}
	n->id = id;
	n->addr = *from;
	n->position = -1;
	n->weight = n->join_weight = 1;
	n->last_heard = dicap_mono_ns();
	HASH_ADD(hh, c->nodes, id, sizeof(n->id), n);
	TAILQ_INSERT_TAIL(&c->by_age, n, age_entry);
	c->n_nodes++;
	nodes_expire_schedule(c);
	return n;
}

void
node_remove(struct coord *c, struct node *n)
{
	HASH_DEL(c->nodes, n);
	TAILQ_REMOVE(&c->by_age, n, age_entry);
	c->n_nodes--;
	free(n->counters);
	free(n);
}

void
nodes_clear(struct coord *c)
{
	struct node *n, *tmp;

	HASH_ITER(hh, c->nodes, n, tmp)
		node_remove(c, n);
}

void
node_touch(struct coord *c, struct node *n, uint64_t now)
{
	n->last_heard = now;
	TAILQ_REMOVE(&c->by_age, n, age_entry);
	TAILQ_INSERT_TAIL(&c->by_age, n, age_entry);
}

/* A new coordinator gives every node it inherits a full timeout. */
void
nodes_refresh_all(struct coord *c)
{
	uint64_t now = dicap_mono_ns();
	struct node *n;

	TAILQ_FOREACH(n, &c->by_age, age_entry)
		n->last_heard = now;
}

void
node_set_counters(struct node *n, const uint8_t *raw, uint32_t count)
{
	uint8_t *p;

	if (count > COORD_MAX_COUNTERS)
		count = COORD_MAX_COUNTERS;
	if (count != n->n_counters) {
		p = realloc(n->counters, (size_t)count * DICAP_COUNTER_WIRE_LEN + 1);
		if (p == NULL)
			return;
		n->counters = p;
		n->n_counters = count;
	}
	if (count != 0)
		memcpy(n->counters, raw, (size_t)count * DICAP_COUNTER_WIRE_LEN);
}

/* Remove the nodes whose last heartbeat is older than the timeout. */
void
nodes_expire(struct coord *c)
{
	uint64_t now = dicap_mono_ns(), limit = MS(c->conf.timeout_ms);
	struct node *n;

	while ((n = TAILQ_FIRST(&c->by_age)) != NULL && now - n->last_heard > limit) {
		node_event(c, "node 0x%08x (%s) timed out: no heartbeat for %llu ms",
		    n->id, dicap_addr_str(&n->addr),
		    (unsigned long long)((now - n->last_heard) / MS(1)));
		c->ctr[CC_TIMEOUTS]++;
		c->pub_left++;
		node_remove(c, n);
		topology_mark_dirty(c);
	}
}

/*
 * Our session, and the node's echoed when we know it: the node takes
 * nothing from us that does not name its current session, so nothing sent
 * to an earlier run of it (docs/protocol.md, "Sessions").
 */
void
node_sessions(struct coord *c, struct dicap_msg *m, const uint8_t *peer_session)
{
	static const uint8_t none[DICAP_SESSION_LEN];

	memcpy(m->session, c->session, sizeof(m->session));
	DICAP_SET(m, DICAP_AVP_SESSION);
	if (peer_session != NULL && memcmp(peer_session, none, sizeof(none)) != 0) {
		memcpy(m->peer_session, peer_session, sizeof(m->peer_session));
		DICAP_SET(m, DICAP_AVP_PEER_SESSION);
	}
}

void
node_send_error(struct coord *c, const struct dicap_addr *to, const struct dicap_addr *local,
    const uint8_t *peer_session, uint32_t code, uint32_t node_id, const char *fmt, ...)
{
	struct dicap_msg m;
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_ERROR;
	m.error_code = code;
	m.node_id = node_id;
	m.term = c->term;
	DICAP_SET(&m, DICAP_AVP_ERROR_CODE);
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	DICAP_SET(&m, DICAP_AVP_TERM);
	va_start(ap, fmt);
	vsnprintf(m.error_text, sizeof(m.error_text), fmt, ap);
	va_end(ap);
	if (m.error_text[0] != '\0')
		DICAP_SET(&m, DICAP_AVP_ERROR_TEXT);
	if (c->role != ROLE_ACTIVE && c->active.heard != 0) {
		m.coord = c->active.addr;
		DICAP_SET(&m, DICAP_AVP_COORD);
	}
	node_sessions(c, &m, peer_session);
	net_send(c, &m, to, local);
}

/* A standby sends nodes on to the active coordinator it knows of. */
static void
not_leader(struct coord *c, uint32_t node_id, const struct dicap_addr *from,
    const struct dicap_addr *local, const uint8_t *peer_session)
{
	if (c->active.heard != 0)
		node_send_error(c, from, local, peer_session, DICAP_CTLERR_NOT_LEADER, node_id,
		    "standby coordinator; the active one is %s (term %u)",
		    dicap_addr_str(&c->active.addr), c->active.term);
	else
		node_send_error(c, from, local, peer_session, DICAP_CTLERR_NOT_LEADER, node_id,
		    "standby coordinator; no active coordinator known");
}

static uint16_t
join_weight(const struct dicap_msg *m)
{
	return DICAP_HAS(m, DICAP_AVP_WEIGHT) ? m->weight : 1;
}

/* The session key with the node, from the KX key of its JOIN (crypto_kx). */
static void
node_kx(struct coord *c, struct node *n, const struct dicap_msg *m)
{
	uint8_t rx[crypto_kx_SESSIONKEYBYTES];

	n->has_kx = DICAP_HAS(m, DICAP_AVP_KX) &&
	    crypto_kx_server_session_keys(rx, n->kx_tx, c->kx_pk, c->kx_sk, m->kx) == 0;
	sodium_memzero(rx, sizeof(rx));
}

uint16_t
coord_weight_for(struct coord *c, uint32_t node_id, uint16_t joined)
{
	struct weight_override *w;

	HASH_FIND(hh, c->conf.weights, &node_id, sizeof(node_id), w);
	if (w != NULL)
		return w->weight;
	return joined != 0 ? joined : 1;
}

/* A live entry from another host holds the id: refuse, name the holder. */
static int
join_conflict(struct coord *c, struct node *n, const struct dicap_msg *m,
    const struct dicap_addr *from, const struct dicap_addr *local)
{
	if (dicap_addr_same_host(&n->addr, from))
		return 0;
	c->ctr[CC_ID_CONFLICTS]++;
	if (node_log_budget(c))
		log_warnx("refused JOIN of node 0x%08x from %s: the id is held by %s",
		    m->node_id, dicap_addr_str(from), dicap_addr_str(&n->addr));
	node_send_error(c, from, local, m->session, DICAP_CTLERR_ID_IN_USE, m->node_id,
	    "node id 0x%08x is held by %s", m->node_id, dicap_addr_str(&n->addr));
	return 1;
}

/* A node we know joins again (it restarted, or lost our ACCEPT). */
static void
rejoin(struct coord *c, struct node *n, const struct dicap_msg *m,
    const struct dicap_addr *from, const struct dicap_addr *local)
{
	uint16_t w = coord_weight_for(c, n->id, join_weight(m));

	c->ctr[CC_REJOINS]++;
	if (!dicap_addr_equal(&n->addr, from))
		node_event(c, "node 0x%08x rejoins from %s (was %s)", n->id, dicap_addr_str(from),
		    dicap_addr_str(&n->addr));
	else
		log_debug("node 0x%08x rejoins from %s", n->id, dicap_addr_str(from));
	n->addr = *from;
	n->local = *local;
	memcpy(n->session, m->session, sizeof(n->session));
	node_kx(c, n, m);
	n->join_weight = join_weight(m);
	node_touch(c, n, dicap_mono_ns());
	if (w != n->weight) {
		n->weight = w;
		n->accept_pending = 1;
		topology_mark_dirty(c);
		return;
	}
	if (n->accept_pending || n->position < 0)
		return;		/* the next publish accepts it */
	topology_send_accept(c, n);
	topology_send_node(c, n);
}

void
node_on_join(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from,
    const struct dicap_addr *local)
{
	struct node *n;

	if (DICAP_HAS(m, DICAP_AVP_TERM))
		election_node_term(c, m->term, DICAP_HAS(m, DICAP_AVP_EPOCH), m->epoch,
		    m->node_id);
	if (c->role != ROLE_ACTIVE) {
		not_leader(c, m->node_id, from, local, m->session);
		return;
	}
	n = node_find(c, m->node_id);
	if (n != NULL && dicap_mono_ns() - n->last_heard > MS(c->conf.timeout_ms)) {
		/* Timed out, the periodic check has not run yet: the id is free. */
		nodes_expire(c);
		n = node_find(c, m->node_id);
	}
	if (n != NULL) {
		if (!join_conflict(c, n, m, from, local))
			rejoin(c, n, m, from, local);
		return;
	}
	if (c->n_nodes >= COORD_MAX_NODES) {
		node_send_error(c, from, local, m->session, DICAP_CTLERR_FULL, m->node_id,
		    "the cluster has %u nodes, the most it can have", c->n_nodes);
		return;
	}
	if ((n = node_add(c, m->node_id, from)) == NULL)
		return;
	c->ctr[CC_JOINS]++;
	n->local = *local;
	memcpy(n->session, m->session, sizeof(n->session));
	node_kx(c, n, m);
	n->join_weight = join_weight(m);
	n->weight = coord_weight_for(c, n->id, n->join_weight);
	n->accept_pending = 1;
	c->pub_joined++;
	node_event(c, "node 0x%08x joins from %s, weight %u", n->id, dicap_addr_str(from),
	    n->weight);
	topology_mark_dirty(c);
}

static int
session_unknown(const uint8_t *s)
{
	static const uint8_t none[DICAP_SESSION_LEN];

	return memcmp(s, none, sizeof(none)) == 0;
}

/* The acknowledgement of a HEARTBEAT, and of a LEAVE. */
static void
heartbeat_reply(struct coord *c, uint32_t id, const struct dicap_addr *to,
    const struct dicap_addr *local, const uint8_t *peer_session, const struct node *n)
{
	struct dicap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_HEARTBEAT;
	m.node_id = id;
	m.term = c->term;
	m.epoch = c->epoch;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	DICAP_SET(&m, DICAP_AVP_TERM);
	DICAP_SET(&m, DICAP_AVP_EPOCH);
	node_sessions(c, &m, peer_session);
	net_send_node(c, &m, n, to, local);
}

/* Has the node confirmed, in a heartbeat, that it applied our topology? */
int
node_current(const struct coord *c, const struct node *n)
{
	return n->epoch == c->epoch && n->term == c->term;
}

/* The node is behind: resend, but not while it may still be waiting for VALIDITY. */
static void
heartbeat_resend(struct coord *c, struct node *n, uint64_t now)
{
	if (n->position < 0 || n->accept_pending || node_current(c, n))
		return;
	if (n->sent_epoch == c->epoch && now - n->sent_at < MS(c->conf.guard_ms + 100))
		return;
	c->ctr[CC_RESENDS]++;
	log_debug("node 0x%08x reports epoch %u, current %u: resending", n->id, n->epoch,
	    c->epoch);
	topology_send_node(c, n);
}

/* The node's round-robin report among its counters (rr_marker), or 0. */
static uint64_t
rr_report(const struct dicap_msg *m)
{
	const uint8_t *p;
	uint32_t i;

	for (i = 0; i < m->n_counters; i++) {
		p = m->counters_raw + (size_t)i * DICAP_COUNTER_WIRE_LEN;
		if (dicap_get_be16(p) == DP_CTR_WIRE_BASE + DP_RR_MARKER)
			return dicap_get_be64(p + 2);
	}
	return 0;
}

static void
heartbeat_update(struct coord *c, struct node *n, const struct dicap_msg *m)
{
	uint16_t w;

	if (DICAP_HAS(m, DICAP_AVP_EPOCH))
		n->epoch = m->epoch;
	n->term = DICAP_HAS(m, DICAP_AVP_TERM) ? m->term : c->term;
	if (DICAP_HAS(m, DICAP_AVP_COUNTERS)) {
		node_set_counters(n, m->counters_raw, m->n_counters);
		inject_note_report(n, rr_report(m));
	}
	if (!DICAP_HAS(m, DICAP_AVP_WEIGHT) || m->weight == n->join_weight)
		return;
	n->join_weight = m->weight;
	w = coord_weight_for(c, n->id, m->weight);
	if (w != n->weight) {
		node_event(c, "node 0x%08x changes its weight to %u", n->id, w);
		n->weight = w;
		topology_mark_dirty(c);
	}
}

void
node_on_heartbeat(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from,
    const struct dicap_addr *local)
{
	uint64_t now = dicap_mono_ns();
	struct node *n;

	if (DICAP_HAS(m, DICAP_AVP_TERM))
		election_node_term(c, m->term, DICAP_HAS(m, DICAP_AVP_EPOCH), m->epoch,
		    m->node_id);
	if (c->role != ROLE_ACTIVE) {
		not_leader(c, m->node_id, from, local, m->session);
		return;
	}
	if ((n = node_find(c, m->node_id)) == NULL) {
		log_debug("heartbeat from unknown node 0x%08x at %s", m->node_id,
		    dicap_addr_str(from));
		node_send_error(c, from, local, m->session, DICAP_CTLERR_UNKNOWN_NODE, m->node_id,
		    "node 0x%08x is not a member: join again", m->node_id);
		return;
	}
	if (!dicap_addr_same_host(&n->addr, from)) {
		c->ctr[CC_ID_CONFLICTS]++;
		log_debug("heartbeat of node 0x%08x from %s, but it joined from %s: ignored",
		    n->id, dicap_addr_str(from), dicap_addr_str(&n->addr));
		return;
	}
	if (session_unknown(n->session))	/* synced from the coordinator before us */
		memcpy(n->session, m->session, sizeof(n->session));
	if (memcmp(n->session, m->session, sizeof(n->session)) != 0) {
		node_send_error(c, from, local, m->session, DICAP_CTLERR_UNKNOWN_NODE, m->node_id,
		    "node 0x%08x runs a new session: join again", m->node_id);
		return;
	}
	n->addr = *from;
	n->local = *local;
	node_touch(c, n, now);
	heartbeat_update(c, n, m);
	heartbeat_reply(c, n->id, &n->addr, &n->local, n->session, n);
	heartbeat_resend(c, n, now);
}

static struct leaver *
leaver_find(struct coord *c, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < c->n_leavers; i++)
		if (c->leavers[i].id == id)
			return &c->leavers[i];
	return NULL;
}

/* Until the next publish, which sends it the topology without it. */
static void
leaver_add(struct coord *c, uint32_t id, const struct dicap_addr *from,
    const struct dicap_addr *local, const uint8_t *session)
{
	struct leaver *l;
	uint32_t cap;

	if ((l = leaver_find(c, id)) == NULL) {
		if (c->n_leavers >= COORD_MAX_NODES)
			return;		/* its repeated LEAVE gets the topology */
		if (c->n_leavers == c->leavers_cap) {
			cap = c->leavers_cap != 0 ? 2 * c->leavers_cap : 16;
			if ((l = reallocarray(c->leavers, cap, sizeof(*l))) == NULL) {
				log_warn("leaver list of %u", cap);
				return;
			}
			c->leavers = l;
			c->leavers_cap = cap;
		}
		l = &c->leavers[c->n_leavers++];
	}
	l->id = id;
	l->addr = *from;
	l->local = *local;
	memcpy(l->session, session, sizeof(l->session));
}

/* After a publish: each node that left (and is not back) gets its topology. */
void
leavers_serve(struct coord *c)
{
	uint32_t i;

	for (i = 0; i < c->n_leavers; i++)
		if (node_find(c, c->leavers[i].id) == NULL)
			topology_send_leaver(c, &c->leavers[i]);
	c->n_leavers = 0;
}

void
leavers_clear(struct coord *c)
{
	c->n_leavers = 0;
}

/*
 * A LEAVE from a node that is no member (any more): a leaver repeating it
 * because it has not got the topology without it.  Acknowledge; send the
 * current topology if it does not list the node and no publish is due
 * that will send it anyway.
 */
static void
leave_again(struct coord *c, uint32_t id, const struct dicap_addr *from,
    const struct dicap_addr *local, const uint8_t *session)
{
	struct leaver l;

	log_debug("leave of node 0x%08x from %s: not a member (any more)", id, dicap_addr_str(from));
	heartbeat_reply(c, id, from, local, session, NULL);
	if (c->epoch == 0 || leaver_find(c, id) != NULL ||
	    (c->n_members != 0 && dicap_members_find(c->members, c->n_members, id) >= 0))
		return;
	memset(&l, 0, sizeof(l));
	l.id = id;
	l.addr = *from;
	l.local = *local;
	memcpy(l.session, session, sizeof(l.session));
	topology_send_leaver(c, &l);
}

void
node_on_leave(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from,
    const struct dicap_addr *local)
{
	struct node *n;

	if (c->role != ROLE_ACTIVE)
		return;
	if ((n = node_find(c, m->node_id)) == NULL) {
		leave_again(c, m->node_id, from, local, m->session);
		return;
	}
	if (!session_unknown(n->session) &&
	    memcmp(n->session, m->session, sizeof(n->session)) != 0) {
		log_debug("leave of node 0x%08x from another session: ignored", m->node_id);
		return;
	}
	if (!dicap_addr_same_host(&n->addr, from)) {
		log_debug("leave of node 0x%08x from %s: it joined from %s", m->node_id,
		    dicap_addr_str(from), dicap_addr_str(&n->addr));
		return;
	}
	node_event(c, "node 0x%08x (%s) leaves", n->id, dicap_addr_str(&n->addr));
	c->ctr[CC_LEAVES]++;
	c->pub_left++;
	heartbeat_reply(c, n->id, from, local, m->session, n);
	leaver_add(c, n->id, from, local, m->session);
	node_remove(c, n);
	topology_mark_dirty(c);
}
