/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Standby coordinators and terms.
 *
 * The active coordinator sends COORD_SYNC (its node table, term and epoch)
 * to every peer at every interval.  A standby that hears no sync for the
 * timeout becomes a candidate: it tells its peers (VOTE_REQ, carrying its
 * priority), waits a back-off that is shorter the higher its priority is
 * among the candidates it heard, and, if no sync arrived meanwhile, becomes
 * active with a term above every term it has seen.  It keeps the node table
 * it was synced, bumps the epoch and sends the topology to every node, so
 * nodes follow it without waiting for their own timeout.
 *
 * Terms fence old leaders: a coordinator that hears a higher term from
 * another coordinator steps down; two actives with one term settle it by
 * (priority, id), and the winner takes a new term so that no two
 * topologies share a (term, epoch).  Nobody counts votes: VOTE_REQ only
 * orders the candidates, VOTE is not used.
 */
#include <stdlib.h>
#include <string.h>

#include "coord.h"
#include "log.h"

static void sync_timeout_cb(evutil_socket_t, short, void *);
static void candidate_cb(evutil_socket_t, short, void *);

const char *
role_name(enum coord_role r)
{
	switch (r) {
	case ROLE_STANDBY:
		return "standby";
	case ROLE_CANDIDATE:
		return "candidate";
	case ROLE_ACTIVE:
		return "active";
	}
	return "?";
}

int
election_init(struct coord *c)
{
	c->ev_sync_timeout = evtimer_new(c->base, sync_timeout_cb, c);
	c->ev_candidate = evtimer_new(c->base, candidate_cb, c);
	return c->ev_sync_timeout != NULL && c->ev_candidate != NULL ? 0 : -1;
}

void
election_free(struct coord *c)
{
	if (c->ev_sync_timeout != NULL)
		event_free(c->ev_sync_timeout);
	if (c->ev_candidate != NULL)
		event_free(c->ev_candidate);
}

static void
timer_ms(struct event *ev, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Does coordinator (@prio, @id) win a tie against us? */
static int
outranks(const struct coord *c, uint32_t prio, uint32_t id)
{
	if (prio != c->conf.priority)
		return prio > c->conf.priority;
	return id > c->conf.id;
}

/* An active with longer timers than ours is not dead for our timeout. */
static void
arm_sync_timeout(struct coord *c)
{
	uint32_t ms = c->conf.timeout_ms;

	if (c->active.heard != 0 && c->active.timeout_ms > ms)
		ms = c->active.timeout_ms;
	c->last_sync = dicap_mono_ns();
	timer_ms(c->ev_sync_timeout, ms);
}

/* What every part of a sync carries; PRIORITY too, for the tie-break. */
static void
sync_lean(struct coord *c, struct dicap_msg *m)
{
	m->type = DICAP_MSG_COORD_SYNC;
	m->node_id = c->conf.id;
	m->term = c->term;
	m->epoch = c->epoch;
	m->priority = c->conf.priority;
	DICAP_SET(m, DICAP_AVP_NODE_ID);
	DICAP_SET(m, DICAP_AVP_TERM);
	DICAP_SET(m, DICAP_AVP_EPOCH);
	DICAP_SET(m, DICAP_AVP_PRIORITY);
}

/* Part 0 also carries our address and settings. */
static void
sync_head(struct coord *c, struct dicap_msg *m)
{
	uint32_t i;

	sync_lean(c, m);
	m->mode = (uint8_t)c->conf.mode;
	m->sel_flags = c->conf.sel_flags;
	m->heartbeat_ms = c->conf.heartbeat_ms;
	m->timeout_ms = c->conf.timeout_ms;
	coord_self_addr(c, NULL, &m->coord);
	for (i = 0; i < c->conf.n_analyzers; i++)
		m->analyzers[i] = c->conf.analyzers[i];
	m->n_analyzers = c->conf.n_analyzers;
	DICAP_SET(m, DICAP_AVP_SELECT);
	DICAP_SET(m, DICAP_AVP_SELECT_FLAGS);
	DICAP_SET(m, DICAP_AVP_HEARTBEAT_MS);
	DICAP_SET(m, DICAP_AVP_TIMEOUT_MS);
	DICAP_SET(m, DICAP_AVP_COORD);
	if (m->n_analyzers != 0)
		DICAP_SET(m, DICAP_AVP_ANALYZER);
}

static void
sync_split(struct coord *c, struct info_set *set)
{
	struct dicap_msg m;
	size_t room_first;

	memset(&m, 0, sizeof(m));
	sync_head(c, &m);
	room_first = info_room(c, &m);
	memset(&m, 0, sizeof(m));
	sync_lean(c, &m);
	info_set_split(set, room_first, info_room(c, &m));
}

/* Encode the sync once and send the same bytes to every @to. */
static void
sync_send(struct coord *c, const struct dicap_addr *to, int n_to)
{
	struct sockaddr_storage ss;
	struct info_set set;
	struct dicap_msg m;
	socklen_t sslen;
	uint8_t *buf;
	uint32_t p;
	int len, k;

	if (n_to == 0)
		return;
	table_request(c);	/* shares for the standbys' status, from the next sync on */
	if (info_set_build(c, &set) == -1)
		return;
	if ((buf = malloc(DICAP_CTL_MAX_LEN)) == NULL) {
		info_set_free(&set);
		return;
	}
	sync_split(c, &set);
	for (p = 0; p < set.parts; p++) {
		memset(&m, 0, sizeof(m));
		if (p == 0)
			sync_head(c, &m);
		else
			sync_lean(c, &m);
		info_set_part(&set, p, &m);
		if ((len = net_encode(c, &m, buf, DICAP_CTL_MAX_LEN)) < 0)
			break;
		for (k = 0; k < n_to; k++) {
			sslen = net_sockaddr(c, &to[k], &ss);
			net_send_raw(c, buf, (size_t)len, (struct sockaddr *)&ss, sslen, NULL);
		}
	}
	c->ctr[CC_SYNCS_SENT] += (uint64_t)n_to;
	free(buf);
	info_set_free(&set);
}

static void
become_active(struct coord *c, const char *why)
{
	struct node *n, *tmp;

	evtimer_del(c->ev_sync_timeout);
	evtimer_del(c->ev_candidate);
	if (c->conf.n_peers != 0)
		c->ctr[CC_TAKEOVERS]++;
	c->role = ROLE_ACTIVE;
	topology_new_term(c, c->node_term_max);
	memset(&c->active, 0, sizeof(c->active));
	HASH_ITER(hh, c->nodes, n, tmp) {
		n->accept_pending = 0;
		n->sent_epoch = 0;
		memset(&n->local, 0, sizeof(n->local));
	}
	nodes_refresh_all(c);
	nodes_expire_schedule(c);
	log_info("active (%s): term %u, epoch %u, %u nodes", why, c->term, c->epoch + 1,
	    c->n_nodes);
	topology_publish_now(c);
	sync_send(c, c->conf.peers, c->conf.n_peers);
	announce_send(c);
	topology_resend_schedule(c);
}

static void
step_down(struct coord *c, uint32_t term, const char *why)
{
	if (c->role == ROLE_ACTIVE) {
		c->ctr[CC_STEP_DOWNS]++;
		log_warnx("stepping down to standby (term %u -> %u): %s", c->term, term, why);
	} else if (c->role == ROLE_CANDIDATE) {
		log_info("candidacy ended (term %u): %s", term, why);
	}
	c->role = ROLE_STANDBY;
	topology_adopt_term(c, term);
	topology_stop(c);
	evtimer_del(c->ev_candidate);
	evtimer_del(c->ev_expire);
	arm_sync_timeout(c);
}

void
election_start(struct coord *c)
{
	if (c->conf.n_peers == 0) {
		become_active(c, "no peers");
		return;
	}
	c->role = ROLE_STANDBY;
	log_info("standby: waiting %u ms for a sync from an active coordinator",
	    c->conf.timeout_ms);
	arm_sync_timeout(c);
}

/* The priority ladder: (highest heard - own + 1) steps, plus id jitter. */
static uint64_t
backoff_ms(struct coord *c)
{
	uint64_t top = c->conf.priority, steps;
	uint64_t now = dicap_mono_ns();

	if (c->max_peer_priority > top &&
	    now - c->max_peer_priority_at < MS(c->conf.timeout_ms))
		top = c->max_peer_priority;
	steps = top - c->conf.priority + 1;
	if (steps > COORD_BACKOFF_MAX_STEPS)
		steps = COORD_BACKOFF_MAX_STEPS;
	return steps * COORD_BACKOFF_STEP_MS + c->conf.id % COORD_BACKOFF_STEP_MS;
}

static void
send_vote_req(struct coord *c)
{
	struct dicap_msg m;
	int k;

	for (k = 0; k < c->conf.n_peers; k++) {
		memset(&m, 0, sizeof(m));
		m.type = DICAP_MSG_VOTE_REQ;
		m.node_id = c->conf.id;
		m.term = c->term;
		m.epoch = c->epoch;
		m.priority = c->conf.priority;
		coord_self_addr(c, NULL, &m.coord);
		DICAP_SET(&m, DICAP_AVP_NODE_ID);
		DICAP_SET(&m, DICAP_AVP_TERM);
		DICAP_SET(&m, DICAP_AVP_EPOCH);
		DICAP_SET(&m, DICAP_AVP_PRIORITY);
		DICAP_SET(&m, DICAP_AVP_COORD);
		net_send(c, &m, &c->conf.peers[k], NULL);
	}
}

static void
sync_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;
	uint64_t wait;

	(void)fd;
	(void)what;
	if (c->role != ROLE_STANDBY)
		return;
	c->role = ROLE_CANDIDATE;
	wait = backoff_ms(c);
	log_info("no sync from an active coordinator for %llu ms: candidate for term %u,"
	    " backing off %llu ms", (unsigned long long)((dicap_mono_ns() - c->last_sync) / MS(1)),
	    topology_term_after(c, c->node_term_max),
	    (unsigned long long)wait);
	send_vote_req(c);
	timer_ms(c->ev_candidate, wait);
}

static void
candidate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;

	(void)fd;
	(void)what;
	if (c->role == ROLE_CANDIDATE)
		become_active(c, "elected");
}

void
election_tick(struct coord *c)
{
	if (c->role == ROLE_ACTIVE)
		sync_send(c, c->conf.peers, c->conf.n_peers);
}

/* Terms from nodes: a standby remembers them for its takeover. */
/*
 * Can an election have made @term, seen from ours?  Each raises the term by
 * one, so a term far above ours (or near the last one, which would fence
 * every later coordinator off) is a forgery or a fault: refused and
 * counted.  A coordinator without a term yet (just started) has nothing to
 * compare with and takes any below the last DICAP_TERM_MAX_STEP.
 */
int
election_term_plausible(struct coord *c, uint32_t term, const char *what, uint32_t who)
{
	uint32_t known = c->term > c->node_term_max ? c->term : c->node_term_max;

	if (term <= UINT32_MAX - DICAP_TERM_MAX_STEP &&
	    (known == 0 || term <= known + DICAP_TERM_MAX_STEP))
		return 1;
	c->ctr[CC_RX_TERM_JUMP]++;
	log_warnx("%s of 0x%08x claims term %u, beyond what an election makes from term %u:"
	    " refused", what, who, term, known);
	return 0;
}

void
election_note_term(struct coord *c, uint32_t term)
{
	if (term > c->node_term_max)
		c->node_term_max = term;
}

/*
 * A node reports a term above ours, or our own term with an epoch we never
 * published: an earlier leader (perhaps our own previous run) got further
 * than we know.  Take a term above it, so that nodes follow us.
 */
int
election_node_term(struct coord *c, uint32_t term, int has_epoch, uint32_t epoch,
    uint32_t node_id)
{
	election_note_term(c, term);
	if (c->role != ROLE_ACTIVE)
		return 0;
	if (term < c->term || (term == c->term && (!has_epoch || epoch <= c->epoch)))
		return 0;
	log_warnx("node 0x%08x reports term %u epoch %u, beyond our term %u epoch %u:"
	    " taking term %u", node_id, term, has_epoch ? epoch : 0, c->term, c->epoch,
	    topology_term_after(c, term));
	topology_new_term(c, term);
	if (has_epoch)
		topology_raise_epoch(c, epoch);
	topology_mark_dirty(c);
	return 1;
}

static void
note_candidate(struct coord *c, uint32_t prio)
{
	uint64_t now = dicap_mono_ns();

	if (prio > c->max_peer_priority ||
	    now - c->max_peer_priority_at >= MS(c->conf.timeout_ms)) {
		c->max_peer_priority = prio;
		c->max_peer_priority_at = now;
	}
}

/*
 * Another coordinator claims @term.  Returns 1 when we are (or just became)
 * a standby that should take its word, 0 when the message is stale or we
 * keep leading.
 */
static int
coord_term(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from,
    int from_active)
{
	uint32_t prio = DICAP_HAS(m, DICAP_AVP_PRIORITY) ? m->priority : 0;

	if (!election_term_plausible(c, m->term, dicap_msg_type_name(m->type),
	    DICAP_HAS(m, DICAP_AVP_NODE_ID) ? m->node_id : 0))
		return 0;
	if (m->term < c->term) {
		c->ctr[CC_RX_STALE_TERM]++;
		log_debug("%s from %s with term %u below ours %u", dicap_msg_type_name(m->type),
		    dicap_addr_str(from), m->term, c->term);
		/* Fence it now; once per sync round, not once per part. */
		if (c->role == ROLE_ACTIVE &&
		    (m->type != DICAP_MSG_COORD_SYNC || m->part == 0))
			sync_send(c, from, 1);
		return 0;
	}
	if (c->role != ROLE_ACTIVE) {
		topology_adopt_term(c, m->term);
		return 1;
	}
	if (m->term > c->term) {
		step_down(c, m->term, "a coordinator has a higher term");
		return 1;
	}
	if (!from_active)
		return 0;
	if (outranks(c, prio, m->node_id)) {
		step_down(c, m->term, "another active coordinator with our term outranks us");
		return 1;
	}
	log_warnx("another active coordinator (%s, id 0x%08x) has our term %u: taking term %u",
	    dicap_addr_str(from), m->node_id, c->term, topology_term_after(c, c->term));
	topology_new_term(c, c->term);
	topology_publish_now(c);
	sync_send(c, c->conf.peers, c->conf.n_peers);
	sync_send(c, from, 1);
	return 0;
}

static void
warn_config(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from)
{
	if (c->warned_config)
		return;
	if (m->mode == c->conf.mode && m->sel_flags == c->conf.sel_flags &&
	    m->n_analyzers == c->conf.n_analyzers && m->heartbeat_ms == c->conf.heartbeat_ms &&
	    m->timeout_ms == c->conf.timeout_ms)
		return;
	c->warned_config = 1;
	log_warnx("the active coordinator %s is configured differently (select, tunnel,"
	    " analyzers or timers); if we take over, nodes get our settings",
	    dicap_addr_str(from));
}

/* Upsert the nodes of one sync part; after a complete round, drop the rest. */
static void
sync_apply(struct coord *c, const struct dicap_msg *m)
{
	struct dicap_node_info ni;
	uint64_t now = dicap_mono_ns(), age;
	struct node *n, *tmp;
	uint32_t i;

	if (m->part == 0) {
		c->sync_round++;
		c->sync_parts_seen = 0;
		c->sync_parts = m->parts;
		c->sync_term = m->term;
		c->sync_epoch = m->epoch;
	}
	if (m->parts == c->sync_parts && m->term == c->sync_term && m->epoch == c->sync_epoch)
		c->sync_parts_seen++;
	for (i = 0; i < m->n_node_info; i++) {
		if (dicap_node_info_decode(m->node_info[i], m->node_info_len[i], &ni, NULL))
			continue;
		if ((n = node_find(c, ni.node_id)) == NULL) {
			/* A sync names no more nodes than a cluster can have. */
			if (c->n_nodes >= COORD_MAX_NODES) {
				c->ctr[CC_SYNC_CAPPED]++;
				continue;
			}
			if ((n = node_add(c, ni.node_id, &ni.addr)) == NULL)
				continue;
		}
		n->addr = ni.addr;
		n->join_weight = ni.weight;
		n->weight = coord_weight_for(c, n->id, ni.weight);
		age = MS(ni.last_heartbeat_ms);
		n->last_heard = now > age ? now - age : 0;
		n->epoch = ni.epoch;
		n->share_ppm = ni.share_ppm;
		n->position = -1;
		n->sync_round = c->sync_round;
		node_set_counters(n, ni.counters_raw, ni.n_counters);
	}
	if (m->part + 1u != m->parts || c->sync_parts_seen != m->parts)
		return;
	HASH_ITER(hh, c->nodes, n, tmp)
		if (n->sync_round != c->sync_round)
			node_remove(c, n);
}

void
election_on_sync(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from)
{
	struct dicap_addr addr;

	c->ctr[CC_SYNCS_RECEIVED]++;
	if (DICAP_HAS(m, DICAP_AVP_NODE_ID) && m->node_id == c->conf.id) {
		log_debug("sync from %s carries our own id: ignored", dicap_addr_str(from));
		return;
	}
	if (!coord_term(c, m, from, 1))
		return;
	if (c->role == ROLE_CANDIDATE) {
		log_info("candidacy ended: %s is active (term %u)", dicap_addr_str(from), m->term);
		evtimer_del(c->ev_candidate);
		c->role = ROLE_STANDBY;
	}
	/*
	 * An active coordinator on a wildcard -l names itself 0.0.0.0:PORT in
	 * its syncs; nodes are sent on to it (NOT_LEADER) by this address, so
	 * keep the one its sync came from, with the port it names.
	 */
	addr = *from;
	if (DICAP_HAS(m, DICAP_AVP_COORD)) {
		addr = m->coord;
		if (addr_is_any(&m->coord)) {
			addr.family = from->family;
			memcpy(addr.addr, from->addr, sizeof(addr.addr));
		}
	}
	if (c->active.heard == 0 || c->active.id != m->node_id) {
		log_info("following active coordinator %s (id 0x%08x, term %u)",
		    dicap_addr_str(&addr), m->node_id, m->term);
		c->active.addr = addr;
	}
	c->active.id = m->node_id;
	c->active.term = m->term;
	if (DICAP_HAS(m, DICAP_AVP_PRIORITY))
		c->active.priority = m->priority;
	if (DICAP_HAS(m, DICAP_AVP_TIMEOUT_MS))
		c->active.timeout_ms = m->timeout_ms;
	if (DICAP_HAS(m, DICAP_AVP_COORD))
		c->active.addr = addr;
	c->active.heard = dicap_mono_ns();
	topology_follow_epoch(c, m->epoch);
	arm_sync_timeout(c);
	if (DICAP_HAS(m, DICAP_AVP_SELECT))
		warn_config(c, m, from);
	sync_apply(c, m);
}

void
election_on_vote_req(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from)
{
	if (m->node_id == c->conf.id)
		return;
	if (m->term < c->term) {
		coord_term(c, m, from, 0);	/* counts it; an active fences it */
		return;
	}
	coord_term(c, m, from, 0);
	if (c->role == ROLE_ACTIVE) {
		/* We are alive: tell the candidate before it takes over. */
		sync_send(c, from, 1);
		return;
	}
	note_candidate(c, m->priority);
	if (c->role == ROLE_CANDIDATE && outranks(c, m->priority, m->node_id)) {
		uint64_t wait = backoff_ms(c);

		log_info("candidate %s (priority %u) outranks us: backing off %llu ms more",
		    dicap_addr_str(from), m->priority, (unsigned long long)wait);
		timer_ms(c->ev_candidate, wait);
	}
}

/* An announcement that reached the control port (coordinators do not join the group). */
void
election_on_announce(struct coord *c, const struct dicap_msg *m, const struct dicap_addr *from)
{
	if (DICAP_HAS(m, DICAP_AVP_NODE_ID) && m->node_id == c->conf.id)
		return;
	coord_term(c, m, from, DICAP_HAS(m, DICAP_AVP_NODE_ID));
}
