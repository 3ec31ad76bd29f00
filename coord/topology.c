/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Topologies: the published member list and its epoch.
 *
 * Changes are coalesced: a join, leave, timeout or weight change marks the
 * topology dirty, and it is published at most once per --coalesce interval.
 * While changes keep coming the interval doubles after each epoch, up to
 * one heartbeat interval (at most 1 s), and it drops back after a quiet
 * spell: a thousand nodes joining within a second make a handful of epochs,
 * not a thousand, and every node builds a handful of bucket tables.  Publishing sends every node an ACCEPT if it is new, then the
 * topology in parts; the fan-out to all nodes runs in slices between which
 * the event loop reads heartbeats, so the coordinator stays responsive.
 * Nodes that left since the last publish get the topology too, without a
 * POSITION: they capture until its validity start (see nodes.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord.h"
#include "log.h"

#define FANOUT_NODES		64	/* nodes per slice of a fan-out */
#define FANOUT_SLICE_NS		MS(2)	/* ... or this much time */

static void publish_cb(evutil_socket_t, short, void *);
static void fanout_cb(evutil_socket_t, short, void *);
static void resend_cb(evutil_socket_t, short, void *);

int
topology_init(struct coord *c)
{
	c->ev_publish = evtimer_new(c->base, publish_cb, c);
	c->fan.ev = evtimer_new(c->base, fanout_cb, c);
	c->ev_resend = event_new(c->base, -1, EV_PERSIST, resend_cb, c);
	if (c->ev_publish == NULL || c->fan.ev == NULL || c->ev_resend == NULL)
		return -1;
	return 0;
}

void
topology_free(struct coord *c)
{
	if (c->ev_publish != NULL)
		event_free(c->ev_publish);
	if (c->fan.ev != NULL)
		event_free(c->fan.ev);
	if (c->ev_resend != NULL)
		event_free(c->ev_resend);
	free(c->fan.ids);
	free(c->members);
}

/*
 * Term and epoch name every topology; they change here only, so that a
 * reader of this file sees every way a (term, epoch) can come about.
 */

/*
 * The term a takeover takes: above ours and @seen.  The last term stays:
 * reaching it would take 2^32 elections.
 */
uint32_t
topology_term_after(const struct coord *c, uint32_t seen)
{
	uint32_t t = seen > c->term ? seen : c->term;

	return t == UINT32_MAX ? t : t + 1;
}

/*
 * --term-file: the highest term this coordinator took or adopted, written
 * and synced before anything is sent in it.  A restart starts from it, so
 * a takeover after the restart takes a term above every one the previous
 * run used, and a (term, epoch) never names two member lists.  Without the
 * file a restart starts from term 0 and learns the term from nodes and
 * peers.  The file is opened at start, before the privilege drop, and
 * rewritten in place through that descriptor: the unprivileged
 * coordinator may not create files in its directory (systemd's
 * StateDirectory is root's).  Terms only grow, so the new text is never
 * shorter than the old, and a dozen bytes at offset 0 are written whole.
 */
static void
term_save(struct coord *c)
{
	char buf[16];
	int n;

	if (c->term_fd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%u\n", c->term);
	if (pwrite(c->term_fd, buf, (size_t)n, 0) != n || ftruncate(c->term_fd, n) == -1 ||
	    fsync(c->term_fd) == -1)
		log_warn("--term-file %s: term %u not saved", c->conf.term_file, c->term);
}

int
topology_term_load(struct coord *c, char *err, size_t errlen)
{
	char buf[32], *end;
	unsigned long v;
	ssize_t n;

	if (c->conf.term_file == NULL)
		return 0;
	c->term_fd = open(c->conf.term_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->term_fd == -1) {
		snprintf(err, errlen, "--term-file %s: %s", c->conf.term_file, strerror(errno));
		return -1;
	}
	n = pread(c->term_fd, buf, sizeof(buf) - 1, 0);
	if (n == 0)
		return 0;	/* the first start */
	if (n < 0) {
		snprintf(err, errlen, "--term-file %s: %s", c->conf.term_file, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v > UINT32_MAX) {
		snprintf(err, errlen, "--term-file %s: not a term", c->conf.term_file);
		return -1;
	}
	/* No election makes the last terms (election_term_plausible()). */
	if (v > UINT32_MAX - DICAP_TERM_MAX_STEP) {
		snprintf(err, errlen, "--term-file %s: term %lu is beyond what elections make",
		    c->conf.term_file, v);
		return -1;
	}
	c->term = (uint32_t)v;
	log_info("term %u from %s", c->term, c->conf.term_file);
	return 0;
}

/* No topology before had that term, so nodes follow ours over theirs. */
void
topology_new_term(struct coord *c, uint32_t seen)
{
	c->term = topology_term_after(c, seen);
	term_save(c);
}

/* Never lower: a message with a lower term must still look stale. */
void
topology_adopt_term(struct coord *c, uint32_t term)
{
	if (term > c->term) {
		c->term = term;
		term_save(c);
	}
}

/* An epoch a node applied but we never published: ours must pass it. */
void
topology_raise_epoch(struct coord *c, uint32_t epoch)
{
	if (epoch > c->epoch)
		c->epoch = epoch;
}

/* A standby mirrors the active's epoch: a takeover publishes the next one. */
void
topology_follow_epoch(struct coord *c, uint32_t epoch)
{
	c->epoch = epoch;
}

static uint32_t
part_count(const struct coord *c)
{
	uint32_t parts = (c->n_members + COORD_PART_MEMBERS - 1) / COORD_PART_MEMBERS;

	return parts == 0 ? 1 : parts;
}

static void
common_fields(struct coord *c, struct dicap_msg *m, const struct node *n)
{
	uint32_t i;

	m->node_id = n->id;
	m->term = c->term;
	m->epoch = c->epoch;
	m->mode = (uint8_t)c->conf.mode;
	m->sel_flags = c->conf.sel_flags;
	m->validity_ns = c->validity_ns;
	m->member_count = c->n_members;
	m->heartbeat_ms = c->conf.heartbeat_ms;
	m->timeout_ms = c->conf.timeout_ms;
	coord_self_addr(c, &n->local, &m->coord);
	for (i = 0; i < c->conf.n_analyzers; i++)
		m->analyzers[i] = c->conf.analyzers[i];
	m->n_analyzers = c->conf.n_analyzers;
	DICAP_SET(m, DICAP_AVP_NODE_ID);
	DICAP_SET(m, DICAP_AVP_TERM);
	DICAP_SET(m, DICAP_AVP_EPOCH);
	DICAP_SET(m, DICAP_AVP_SELECT);
	DICAP_SET(m, DICAP_AVP_SELECT_FLAGS);
	DICAP_SET(m, DICAP_AVP_VALIDITY);
	DICAP_SET(m, DICAP_AVP_MEMBER_COUNT);
	if (n->position >= 0) {
		m->position = (uint32_t)n->position;
		DICAP_SET(m, DICAP_AVP_POSITION);
	}
	DICAP_SET(m, DICAP_AVP_HEARTBEAT_MS);
	DICAP_SET(m, DICAP_AVP_TIMEOUT_MS);
	DICAP_SET(m, DICAP_AVP_COORD);
	if (m->n_analyzers != 0)
		DICAP_SET(m, DICAP_AVP_ANALYZER);
	node_sessions(c, m, n->session);
}

void
topology_send_accept(struct coord *c, struct node *n)
{
	struct dicap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_ACCEPT;
	common_fields(c, &m, n);
	m.weight = n->weight;
	DICAP_SET(&m, DICAP_AVP_WEIGHT);
	memcpy(m.kx, c->kx_pk, sizeof(m.kx));
	DICAP_SET(&m, DICAP_AVP_KX);
	log_debug("accept node 0x%08x: epoch %u, position %d of %u", n->id, c->epoch,
	    n->position, c->n_members);
	net_send_node(c, &m, n, &n->addr, &n->local);
}

/* Every part of the current topology to @n, at once; POSITION if it is a member. */
static void
send_parts(struct coord *c, const struct node *n)
{
	uint32_t parts = part_count(c), p, first;
	const uint8_t *token = inject_token(c);
	struct dicap_msg m;

	for (p = 0; p < parts; p++) {
		memset(&m, 0, sizeof(m));
		m.type = DICAP_MSG_TOPOLOGY;
		common_fields(c, &m, n);
		if (token != NULL) {
			memcpy(m.marker_token, token, sizeof(m.marker_token));
			DICAP_SET(&m, DICAP_AVP_MARKER_TOKEN);
		}
		first = p * COORD_PART_MEMBERS;
		m.members = c->n_members != 0 ? c->members + first : NULL;
		m.n_members = c->n_members - first < COORD_PART_MEMBERS ?
		    c->n_members - first : COORD_PART_MEMBERS;
		m.part = (uint16_t)p;
		m.parts = (uint16_t)parts;
		DICAP_SET(&m, DICAP_AVP_MEMBERS);
		DICAP_SET(&m, DICAP_AVP_PART);
		net_send_node(c, &m, n, &n->addr, &n->local);
	}
}

void
topology_send_node(struct coord *c, struct node *n)
{
	if (n->position < 0)
		return;
	send_parts(c, n);
	n->sent_epoch = c->epoch;
	n->sent_at = dicap_mono_ns();
	c->ctr[CC_TOPOLOGIES_SENT]++;
}

/*
 * A node that left: the current topology, which does not list it, tells it
 * when the others take its share over (and, in round-robin, the marker).
 */
void
topology_send_leaver(struct coord *c, const struct leaver *l)
{
	struct node n;

	memset(&n, 0, sizeof(n));
	n.id = l->id;
	n.addr = l->addr;
	n.local = l->local;
	memcpy(n.session, l->session, sizeof(n.session));
	n.position = -1;
	send_parts(c, &n);
	c->ctr[CC_TOPOLOGIES_SENT]++;
}

static void
fanout_stop(struct coord *c)
{
	evtimer_del(c->fan.ev);
	c->fan.n = c->fan.next = 0;
}

static int
fanout_start(struct coord *c, int full)
{
	struct fanout *f = &c->fan;
	struct node *n, *tmp;
	uint32_t *ids;

	if (c->n_nodes > f->cap) {
		if ((ids = realloc(f->ids, c->n_nodes * sizeof(*ids))) == NULL) {
			log_warn("fan-out to %u nodes", c->n_nodes);
			return -1;
		}
		f->ids = ids;
		f->cap = c->n_nodes;
	}
	f->n = 0;
	HASH_ITER(hh, c->nodes, n, tmp)
		f->ids[f->n++] = n->id;
	f->next = 0;
	f->epoch = c->epoch;
	f->full = full;
	f->started = dicap_mono_ns();
	evtimer_del(f->ev);
	event_active(f->ev, EV_TIMEOUT, 0);
	return 0;
}

static void
fanout_done(struct coord *c)
{
	struct fanout *f = &c->fan;
	uint64_t took = dicap_mono_ns() - f->started;

	log_debug("epoch %u sent to %u nodes in %llu ms", f->epoch, f->n,
	    (unsigned long long)(took / MS(1)));
	if (f->full && took > MS(c->conf.guard_ms) &&
	    f->started - c->fan_warned > MS(60000)) {
		c->fan_warned = f->started;
		log_warnx("sending epoch %u to %u nodes took %llu ms, more than --guard %u ms:"
		    " nodes apply it late; raise --guard", f->epoch, f->n,
		    (unsigned long long)(took / MS(1)), c->conf.guard_ms);
	}
	f->n = f->next = 0;
}

/*
 * A publish skips nodes that a heartbeat or a rejoin served meanwhile; the
 * periodic resend skips nodes whose heartbeat confirmed the epoch.
 */
static int
fanout_wanted(const struct coord *c, const struct fanout *f, const struct node *n)
{
	if (f->full)
		return !(n->sent_epoch == c->epoch && n->sent_at >= f->started);
	return !node_current(c, n);
}

static void
fanout_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = { 0, 0 };
	struct coord *c = arg;
	struct fanout *f = &c->fan;
	uint64_t start = dicap_mono_ns();
	uint32_t done = 0;
	struct node *n;

	(void)fd;
	(void)what;
	if (c->role != ROLE_ACTIVE)
		return;
	while (f->next < f->n && done < FANOUT_NODES) {
		n = node_find(c, f->ids[f->next++]);
		if (n != NULL && fanout_wanted(c, f, n))
			topology_send_node(c, n);
		if (++done % 8 == 0 && dicap_mono_ns() - start > FANOUT_SLICE_NS)
			break;
	}
	if (f->next < f->n)
		evtimer_add(f->ev, &now);	/* after the loop has polled the socket */
	else
		fanout_done(c);
}

static int
build_members(struct coord *c)
{
	struct dicap_member *m;
	struct node *n, *tmp;
	const char *err = NULL;
	uint32_t i = 0;

	if (c->n_nodes > c->members_cap) {
		if ((m = realloc(c->members, c->n_nodes * sizeof(*m))) == NULL) {
			log_warn("member list of %u", c->n_nodes);
			return -1;
		}
		c->members = m;
		c->members_cap = c->n_nodes;
	}
	HASH_ITER(hh, c->nodes, n, tmp) {
		c->members[i].node_id = n->id;
		c->members[i].weight = n->weight;
		n->position = -1;
		i++;
	}
	if (i != 0 && dicap_members_normalize(c->members, i, &err) == -1) {
		log_warnx("member list rejected: %s", err ? err : "?");
		return -1;
	}
	c->n_members = i;
	for (i = 0; i < c->n_members; i++)
		node_find(c, c->members[i].node_id)->position = (int32_t)i;
	return 0;
}

static void
send_accepts(struct coord *c)
{
	struct node *n, *tmp;

	HASH_ITER(hh, c->nodes, n, tmp) {
		if (!n->accept_pending)
			continue;
		n->accept_pending = 0;
		topology_send_accept(c, n);
	}
}

/* The longest wait between epochs while changes keep coming. */
static uint32_t
coalesce_cap(const struct coord *c)
{
	uint32_t cap = c->conf.heartbeat_ms < 1000 ? c->conf.heartbeat_ms : 1000;

	if (c->conf.coalesce_ms == 0)
		return 0;
	return cap > c->conf.coalesce_ms ? cap : c->conf.coalesce_ms;
}

static void
topology_publish(struct coord *c)
{
	if (c->role != ROLE_ACTIVE)
		return;
	if (c->burst) {
		c->coalesce_ms = c->coalesce_ms * 2 < coalesce_cap(c) ?
		    c->coalesce_ms * 2 : coalesce_cap(c);
		c->burst = 0;
	}
	c->dirty = 0;
	c->last_publish = dicap_mono_ns();
	if (build_members(c) == -1)
		return;
	c->epoch++;
	c->ctr[CC_EPOCH_CHANGES]++;
	c->validity_ns = dicap_now_ns() + MS(c->conf.guard_ms);
	log_info("term %u epoch %u: %u members (%u joined, %u left since epoch %u)", c->term,
	    c->epoch, c->n_members, c->pub_joined, c->pub_left, c->epoch - 1);
	c->pub_joined = c->pub_left = 0;
	inject_new_epoch(c);	/* before anything is sent: the token goes along */
	send_accepts(c);
	fanout_start(c, 1);
	leavers_serve(c);
}

static void
publish_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	topology_publish(arg);
}

void
topology_publish_now(struct coord *c)
{
	evtimer_del(c->ev_publish);
	topology_publish(c);
}

void
topology_mark_dirty(struct coord *c)
{
	uint64_t now = dicap_mono_ns(), due, wait;
	struct timeval tv;

	if (c->role != ROLE_ACTIVE)
		return;
	c->dirty = 1;
	if (evtimer_pending(c->ev_publish, NULL))
		return;
	if (c->coalesce_ms < c->conf.coalesce_ms ||
	    now - c->last_publish >= 2 * MS(c->coalesce_ms))
		c->coalesce_ms = c->conf.coalesce_ms;	/* quiet: back to the start */
	due = c->last_publish + MS(c->coalesce_ms);
	wait = due > now ? due - now : 0;
	c->burst = wait != 0;
	tv.tv_sec = (time_t)(wait / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(wait % 1000000000ULL / 1000);
	evtimer_add(c->ev_publish, &tv);
}

void
topology_stop(struct coord *c)
{
	evtimer_del(c->ev_publish);
	fanout_stop(c);
	inject_stop(c);
	leavers_clear(c);
	c->dirty = 0;
}

/*
 * The periodic resend heals lost parts, for nodes that have not confirmed
 * the current epoch (those also get it again on their next heartbeat).
 */
static void
resend_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;

	(void)fd;
	(void)what;
	if (c->role != ROLE_ACTIVE || c->fan.next < c->fan.n)
		return;
	log_debug("periodic resend of epoch %u to %u nodes", c->epoch, c->n_nodes);
	fanout_start(c, 0);
}

void
topology_resend_schedule(struct coord *c)
{
	struct timeval tv;

	if (c->conf.resend_ms == 0 || evtimer_pending(c->ev_resend, NULL))
		return;
	tv.tv_sec = c->conf.resend_ms / 1000;
	tv.tv_usec = (suseconds_t)(c->conf.resend_ms % 1000) * 1000;
	evtimer_add(c->ev_resend, &tv);
}
