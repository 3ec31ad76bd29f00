/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Membership: join, heartbeats, leave, and which coordinator to follow.
 *
 * The node follows the highest term it has seen.  It sends JOIN every
 * heartbeat interval until a coordinator accepts it, rotating through the
 * coordinators it knows (-c, announcements, earlier replies); once joined
 * it sends HEARTBEAT every interval and calls the coordinator lost when no
 * reply came for the timeout.  Losing the coordinator changes nothing
 * about the topology: the node keeps its share and keeps looking.
 *
 * Leaving (SIGTERM, SIGINT) is graceful: the others take the node's share
 * over only at the validity start of the first topology without it, so
 * the node sends LEAVE and keeps capturing until that topology is in
 * force in its own datapath (which switches at the same instant, or the
 * same marker, as theirs), then exits.  It repeats LEAVE every interval
 * until it has that topology, and gives up when its coordinator is lost
 * or after timeout + guard + 1 s.
 */
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dicapd.h"
#include "log.h"

#define COUNTERS_MAX	(DP_COUNTER_MAX + C_COUNTER_MAX)
#define MS(x)		((uint64_t)(x) * 1000000ULL)
#define LEAVE_POLL_MS	5	/* waiting for the datapath to switch (a marker) */

static void tick_cb(evutil_socket_t, short, void *);
static void leave_cb(evutil_socket_t, short, void *);
static void leave_wait(struct dicapd *, uint64_t now);

const char *
membership_state_name(enum node_state s)
{
	switch (s) {
	case NODE_JOINING:
		return "joining";
	case NODE_JOINED:
		return "joined";
	case NODE_NO_COORD:
		return "no-coordinator";
	case NODE_LEAVING:
		return "leaving";
	}
	return "unknown";
}

static int
coord_find(struct dicapd *d, const struct dicap_addr *a)
{
	int i;

	for (i = 0; i < d->n_coords; i++)
		if (dicap_addr_equal(&d->coords[i].addr, a))
			return i;
	return -1;
}

/*
 * Remember a coordinator; returns its index.  When the list is full, a
 * learned entry other than the followed one makes room; -1 if none can.
 */
int
membership_add_coord(struct dicapd *d, const struct dicap_addr *a, int configured)
{
	int i;

	if ((i = coord_find(d, a)) != -1) {
		d->coords[i].configured |= configured;
		return i;
	}
	if (d->n_coords < DICAPD_MAX_COORDS) {
		i = d->n_coords++;
	} else {
		for (i = DICAPD_MAX_COORDS - 1; i >= 0; i--)
			if (!d->coords[i].configured && i != d->cur)
				break;
		if (i < 0)
			return -1;
	}
	memset(&d->coords[i], 0, sizeof(d->coords[i]));
	d->coords[i].addr = *a;
	d->coords[i].configured = configured;
	return i;
}

int
membership_coord_index(struct dicapd *d, const struct dicap_addr *a)
{
	return coord_find(d, a);
}

/* A coordinator's session, from a message it signed. */
void
membership_coord_session(struct dicapd *d, const struct dicap_addr *from,
    const uint8_t *session)
{
	int idx = coord_find(d, from);

	if (idx >= 0)
		memcpy(d->coords[idx].session, session, sizeof(d->coords[idx].session));
}

/* The session key with a coordinator, from the KX key of its (signed) ACCEPT. */
void
membership_coord_kx(struct dicapd *d, const struct dicap_addr *from, const uint8_t *kx)
{
	uint8_t tx[crypto_kx_SESSIONKEYBYTES];
	struct coord_peer *p;
	int idx = coord_find(d, from);

	if (idx < 0)
		return;
	p = &d->coords[idx];
	p->has_kx = crypto_kx_client_session_keys(p->kx_rx, tx, d->kx_pk, d->kx_sk, kx) == 0;
	sodium_memzero(tx, sizeof(tx));
}

/* Its session key, to check what it sends; NULL: none yet. */
const uint8_t *
membership_coord_mac(struct dicapd *d, const struct dicap_addr *from)
{
	int idx = coord_find(d, from);

	return idx >= 0 && d->coords[idx].has_kx ? d->coords[idx].kx_rx : NULL;
}

int
membership_is_current(struct dicapd *d, const struct dicap_addr *from)
{
	return d->cur >= 0 && dicap_addr_equal(&d->coords[d->cur].addr, from);
}

static void
tick_schedule(struct dicapd *d)
{
	struct timeval tv;

	tv.tv_sec = d->heartbeat_ms / 1000;
	tv.tv_usec = (d->heartbeat_ms % 1000) * 1000;
	event_del(d->ev_tick);
	event_add(d->ev_tick, &tv);
}

/* Adopt the coordinator's intervals (from ACCEPT or TOPOLOGY) if sane. */
static void
set_timers(struct dicapd *d, const struct dicap_msg *m)
{
	uint32_t hb, to;

	if (!DICAP_HAS(m, DICAP_AVP_HEARTBEAT_MS) || !DICAP_HAS(m, DICAP_AVP_TIMEOUT_MS))
		return;
	hb = m->heartbeat_ms;
	to = m->timeout_ms;
	if (hb == 0 || to <= hb) {
		log_warnx("ignoring intervals heartbeat %u ms, timeout %u ms from the coordinator",
		    hb, to);
		return;
	}
	if (hb == d->heartbeat_ms && to == d->timeout_ms)
		return;
	log_info("heartbeat every %u ms, coordinator timeout %u ms", hb, to);
	d->heartbeat_ms = hb;
	d->timeout_ms = to;
	tick_schedule(d);
}

static void
send_join(struct dicapd *d, int idx)
{
	struct dicap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_JOIN;
	m.node_id = d->node_id;
	m.weight = d->weight;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	DICAP_SET(&m, DICAP_AVP_WEIGHT);
	memcpy(m.kx, d->kx_pk, sizeof(m.kx));
	DICAP_SET(&m, DICAP_AVP_KX);
	if (d->max_term != 0) {
		m.term = d->max_term;
		DICAP_SET(&m, DICAP_AVP_TERM);
	}
	/*
	 * The epoch too, as in HEARTBEAT: a restarted coordinator that took
	 * the same term must publish past it, or the node would drop its
	 * topologies as old.  The first JOIN to a coordinator is answered
	 * with its session before anything in it counts, and the session
	 * makes heartbeats from before its restart unverifiable, so the JOIN
	 * is where it learns this.
	 */
	if (d->active != NULL) {
		m.epoch = d->active->epoch;
		DICAP_SET(&m, DICAP_AVP_EPOCH);
	}
	if (net_send(d, &m, &d->coords[idx].addr) == 0)
		d->ctr[C_JOINS_SENT]++;
}

/* Node and datapath counters as HEARTBEAT's COUNTERS (id, value) pairs. */
static uint32_t
encode_counters(struct dicapd *d, uint8_t *buf)
{
	struct dp_counters dc;
	uint32_t n = 0;
	int i;

	memset(&dc, 0, sizeof(dc));
	d->dp.ops->counters(&d->dp, &dc);
	for (i = 0; i < DP_COUNTER_MAX; i++, n++) {
		dicap_put_be16(buf + n * DICAP_COUNTER_WIRE_LEN, (uint16_t)(DP_CTR_WIRE_BASE + i));
		dicap_put_be64(buf + n * DICAP_COUNTER_WIRE_LEN + 2, dc.v[i]);
	}
	for (i = 0; i < C_COUNTER_MAX; i++, n++) {
		dicap_put_be16(buf + n * DICAP_COUNTER_WIRE_LEN,
		    (uint16_t)(AGENT_CTR_WIRE_BASE + i));
		dicap_put_be64(buf + n * DICAP_COUNTER_WIRE_LEN + 2, d->ctr[i]);
	}
	return n;
}

static void
send_heartbeat(struct dicapd *d)
{
	uint8_t counters[COUNTERS_MAX * DICAP_COUNTER_WIRE_LEN];
	struct dicap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_HEARTBEAT;
	m.node_id = d->node_id;
	m.epoch = d->active != NULL ? d->active->epoch : 0;
	m.term = d->max_term;
	m.weight = d->weight;
	m.n_counters = encode_counters(d, counters);
	m.counters_raw = counters;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	DICAP_SET(&m, DICAP_AVP_EPOCH);
	DICAP_SET(&m, DICAP_AVP_TERM);
	DICAP_SET(&m, DICAP_AVP_WEIGHT);
	DICAP_SET(&m, DICAP_AVP_COUNTERS);
	if (net_send(d, &m, &d->coords[d->cur].addr) == 0)
		d->ctr[C_HEARTBEATS_SENT]++;
}

static int
send_leave(struct dicapd *d)
{
	struct dicap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_LEAVE;
	m.node_id = d->node_id;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	if (d->max_term != 0) {
		m.term = d->max_term;
		DICAP_SET(&m, DICAP_AVP_TERM);
	}
	return net_send(d, &m, &d->coords[d->cur].addr);
}

static void
leave_arm(struct dicapd *d, uint64_t at)
{
	uint64_t now = dicap_mono_ns(), wait = at > now ? at - now : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(wait / 1000000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000000 / 1000);
	evtimer_del(d->leave.ev);
	evtimer_add(d->leave.ev, &tv);
}

static void
leave_done(struct dicapd *d)
{
	evtimer_del(d->leave.ev);
	event_base_loopbreak(d->base);
}

/*
 * Send LEAVE.  Returns 1 if the node is to keep capturing until the
 * topology without it is in force (the event loop goes on; leave_done()
 * ends it), 0 if it may exit at once: no coordinator would hand its share
 * to anyone.
 */
int
membership_leave(struct dicapd *d)
{
	uint64_t now = dicap_mono_ns();
	uint32_t guard = d->guard_ms != 0 ? d->guard_ms : DICAPD_DEFAULT_GUARD_MS;

	if (d->cur < 0)
		return 0;
	if (send_leave(d) == 0)
		log_info("sent LEAVE to %s", dicap_addr_str(&d->coords[d->cur].addr));
	if (d->state != NODE_JOINED) {
		log_info("no coordinator answers: not waiting for a topology without this node");
		return 0;
	}
	d->state = NODE_LEAVING;
	d->leave.started = now;
	d->leave.deadline = now + MS(d->timeout_ms + guard + 1000);
	d->leave.epoch = 0;
	d->leave.in_force_at = 0;
	log_info("leaving: capturing until the topology without this node is in force "
	    "(waiting for it %u ms at most)", d->timeout_ms + guard + 1000);
	leave_wait(d, now);
	return 1;
}

/* The topology without us is the agent's and (if it can tell) the datapath's. */
static int
leave_in_force(struct dicapd *d)
{
	if (d->active == NULL || d->active->epoch != d->leave.epoch)
		return 0;
	return d->dp.ops->in_force == NULL || d->dp.ops->in_force(&d->dp, d->leave.epoch);
}

/*
 * Exit a margin after the switch, so that the last records of our share
 * reach the ring buffer; give up a timeout past the validity start (a
 * round-robin marker that never comes).
 */
static void
leave_check_switch(struct dicapd *d, uint64_t now)
{
	if (d->leave.in_force_at == 0 && now >= d->leave.switch_at && leave_in_force(d))
		d->leave.in_force_at = now;
	if (d->leave.in_force_at != 0 && now >= d->leave.in_force_at + MS(DICAPD_LEAVE_MARGIN_MS)) {
		log_info("leaving: epoch %u without this node is in force: the others "
		    "have taken its share over", d->leave.epoch);
		leave_done(d);
	} else if (d->leave.in_force_at == 0 && now >= d->leave.switch_at + MS(d->timeout_ms)) {
		log_warnx("leaving: epoch %u is still not in force in the datapath %u ms after "
		    "its validity start: exiting anyway", d->leave.epoch, d->timeout_ms);
		leave_done(d);
	} else if (d->leave.in_force_at != 0) {
		leave_arm(d, d->leave.in_force_at + MS(DICAPD_LEAVE_MARGIN_MS));
	} else {
		leave_arm(d, now < d->leave.switch_at ? d->leave.switch_at :
		    now + MS(LEAVE_POLL_MS));
	}
}

/* No topology without us yet: give up when the coordinator is lost, or at the deadline. */
static void
leave_wait(struct dicapd *d, uint64_t now)
{
	uint64_t lost = d->last_ack_mono + MS(d->timeout_ms);

	if (now >= lost) {
		log_warnx("leaving: coordinator %s silent for %u ms: exiting without a "
		    "topology without this node", dicap_addr_str(&d->coords[d->cur].addr),
		    d->timeout_ms);
		leave_done(d);
	} else if (now >= d->leave.deadline) {
		log_warnx("leaving: no topology without this node within %llu ms: exiting anyway",
		    (unsigned long long)((now - d->leave.started) / MS(1)));
		leave_done(d);
	} else {
		leave_arm(d, lost < d->leave.deadline ? lost : d->leave.deadline);
	}
}

static void
leave_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dicapd *d = arg;
	uint64_t now = dicap_mono_ns();

	(void)fd;
	(void)what;
	if (d->state != NODE_LEAVING)
		return;
	if (d->leave.epoch != 0)
		leave_check_switch(d, now);
	else
		leave_wait(d, now);
}

/*
 * Called by topology.c with each topology staged while leaving; NULL: one
 * without any member (we were the last: nobody is there to take over).
 */
void
membership_leave_topology(struct dicapd *d, const struct node_topology *t)
{
	uint64_t now, real, wait_ns;

	if (d->state != NODE_LEAVING)
		return;
	if (t == NULL) {
		log_info("leaving: no member is left to take this node's share over");
		leave_done(d);
		return;
	}
	if (t->position >= 0) {
		/* Sent before our LEAVE was taken: the next one will not list us. */
		d->leave.epoch = 0;
		leave_wait(d, dicap_mono_ns());
		return;
	}
	now = dicap_mono_ns();
	real = dicap_now_ns();
	wait_ns = t->validity_ns > real ? t->validity_ns - real : 0;
	if (wait_ns > MS(DICAPD_MAX_VALIDITY_WAIT_MS))
		wait_ns = MS(DICAPD_MAX_VALIDITY_WAIT_MS);	/* as topology.c does */
	d->leave.epoch = t->epoch;
	d->leave.switch_at = now + wait_ns;
	d->leave.in_force_at = 0;
	log_info("leaving: epoch %u without this node starts in %llu ms: capturing until then",
	    t->epoch, (unsigned long long)(wait_ns / MS(1)));
	leave_arm(d, d->leave.switch_at);
}

/* One JOIN per tick, to each known coordinator in turn. */
static void
join_round(struct dicapd *d)
{
	int idx;

	if (d->n_coords == 0)
		return;
	idx = d->join_next++ % d->n_coords;
	d->join_next %= d->n_coords;
	send_join(d, idx);
}

static void
coordinator_lost(struct dicapd *d)
{
	log_warnx("coordinator %s lost: no reply for %u ms; keeping epoch %u, looking for a coordinator",
	    dicap_addr_str(&d->coords[d->cur].addr), d->timeout_ms,
	    d->active != NULL ? d->active->epoch : 0);
	d->ctr[C_COORDINATOR_LOST]++;
	d->state = NODE_NO_COORD;
	/* Ask the lost one again first: it may only have restarted. */
	d->join_next = d->cur;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dicapd *d = arg;
	uint64_t silent_ms;

	(void)fd;
	(void)what;
	if (d->state == NODE_LEAVING) {
		/* No heartbeat: the coordinator would answer UNKNOWN_NODE. */
		d->dp.ops->refresh_lease(&d->dp);
		if (d->leave.epoch == 0)
			send_leave(d);
		return;
	}
	silent_ms = (dicap_mono_ns() - d->last_ack_mono) / 1000000;
	if (d->state == NODE_JOINED && silent_ms <= d->timeout_ms) {
		/* The datapath's lease: this agent and its coordinator are alive. */
		d->dp.ops->refresh_lease(&d->dp);
		send_heartbeat(d);
		return;
	}
	/* Joined, or joining again a coordinator that had answered: it is gone. */
	if (d->state != NODE_NO_COORD && d->cur >= 0 && silent_ms > d->timeout_ms)
		coordinator_lost(d);
	join_round(d);
}

/* Start following @from (a coordinator speaking with term @term). */
void
membership_follow(struct dicapd *d, const struct dicap_addr *from, uint32_t term)
{
	int idx;

	if (term > d->max_term)
		d->max_term = term;
	idx = membership_add_coord(d, from, 0);
	if (idx < 0)
		return;
	if (term > d->coords[idx].term)
		d->coords[idx].term = term;
	d->last_ack_mono = dicap_mono_ns();
	if (d->state == NODE_LEAVING) {
		d->cur = idx;
		return;
	}
	if (idx != d->cur || d->state != NODE_JOINED) {
		if (idx != d->cur && d->cur >= 0)
			d->ctr[C_COORDINATOR_CHANGES]++;
		log_info("following coordinator %s (term %u)", dicap_addr_str(from), term);
	}
	d->cur = idx;
	d->state = NODE_JOINED;
}

static void
on_accept(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	int rejoin;

	if (m->node_id != d->node_id) {
		d->ctr[C_RX_UNEXPECTED]++;
		log_debug("ACCEPT for node 0x%08x, not for us", m->node_id);
		return;
	}
	if (m->term < d->max_term) {
		d->ctr[C_RX_STALE_TERM]++;
		log_info("ignoring ACCEPT from %s: term %u is below term %u",
		    dicap_addr_str(from), m->term, d->max_term);
		return;
	}
	/* Joined already: only a higher term may take us elsewhere. */
	if (d->state == NODE_JOINED && !membership_is_current(d, from) &&
	    m->term <= d->max_term) {
		d->ctr[C_RX_UNEXPECTED]++;
		return;
	}
	rejoin = d->state != NODE_JOINED || !membership_is_current(d, from) ||
	    m->term > d->max_term;
	membership_follow(d, from, m->term);
	set_timers(d, m);
	if (!rejoin)
		return;
	/* A restarted coordinator numbers its epochs anew. */
	topology_rebase(d, m->epoch);
	log_info("joined %s as node 0x%08x: term %u, epoch %u, position %u of %u",
	    dicap_addr_str(from), d->node_id, m->term, m->epoch, m->position, m->member_count);
}

static void
on_heartbeat_reply(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	if (m->node_id != d->node_id || !membership_is_current(d, from)) {
		d->ctr[C_RX_UNEXPECTED]++;
		return;
	}
	if (DICAP_HAS(m, DICAP_AVP_TERM) && m->term < d->max_term) {
		d->ctr[C_RX_STALE_TERM]++;
		return;
	}
	d->ctr[C_HEARTBEAT_ACKS]++;
	if (d->state == NODE_JOINED || d->state == NODE_LEAVING)
		d->last_ack_mono = dicap_mono_ns();
	if (DICAP_HAS(m, DICAP_AVP_EPOCH) && d->active != NULL &&
	    m->epoch != d->active->epoch && d->pending == NULL)
		log_debug("coordinator is at epoch %u, we at %u: waiting for its topology",
		    m->epoch, d->active->epoch);
}

/*
 * The address to reach a coordinator named @named in a message from
 * @from: a coordinator bound to the wildcard address is reached at the
 * sender's address, on the port it names.
 */
static void
reachable_addr(const struct dicap_addr *named, const struct dicap_addr *from,
    struct dicap_addr *out)
{
	static const uint8_t zero[16];

	*out = *named;
	if (memcmp(named->addr, zero, named->family == 4 ? 4 : 16) == 0) {
		memcpy(out->addr, from->addr, sizeof(out->addr));
		out->family = from->family;
	}
}

static void
new_random_id(struct dicapd *d)
{
	uint32_t old = d->node_id;

	do {
		d->node_id = randombytes_random();
	} while (d->node_id == 0 || d->node_id == old);
	log_warnx("random node id 0x%08x is taken: now 0x%08x", old, d->node_id);
}

static void
on_error(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	const char *text = DICAP_HAS(m, DICAP_AVP_ERROR_TEXT) ? m->error_text : "";
	struct dicap_addr hint;
	int idx;

	if (DICAP_HAS(m, DICAP_AVP_NODE_ID) && m->node_id != d->node_id) {
		d->ctr[C_RX_UNEXPECTED]++;
		return;
	}
	/*
	 * Only the coordinator we talk to may turn us away: the one we follow
	 * once joined, one we sent a JOIN to before (issue 14).
	 */
	idx = coord_find(d, from);
	if (idx < 0 || ((d->state == NODE_JOINED || d->state == NODE_LEAVING) &&
	    !membership_is_current(d, from))) {
		d->ctr[C_RX_NOT_FOLLOWED]++;
		log_debug("error %u from %s, a coordinator we do not talk to: ignored",
		    m->error_code, dicap_addr_str(from));
		return;
	}
	switch (m->error_code) {
	case DICAP_CTLERR_SESSION:
		/* Its session is in (net.c took it): ask again with it. */
		log_debug("coordinator %s sent its session: joining with it",
		    dicap_addr_str(from));
		if (d->state != NODE_LEAVING)
			send_join(d, idx);
		break;
	case DICAP_CTLERR_ID_IN_USE:
		d->ctr[C_ID_CONFLICTS]++;
		log_warnx("coordinator %s refused node id 0x%08x: %s", dicap_addr_str(from),
		    d->node_id, text);
		if (!d->id_random) {
			log_warnx("node id 0x%08x was given with --id: exiting", d->node_id);
			dicapd_shutdown(d, 1);
		}
		new_random_id(d);
		if (d->state == NODE_JOINED)
			d->state = NODE_JOINING;
		if ((idx = membership_add_coord(d, from, 0)) >= 0)
			send_join(d, idx);
		break;
	case DICAP_CTLERR_UNKNOWN_NODE:
		if (!membership_is_current(d, from))
			break;
		log_info("coordinator %s does not know node 0x%08x: joining again",
		    dicap_addr_str(from), d->node_id);
		d->state = NODE_JOINING;
		d->last_ack_mono = dicap_mono_ns();
		send_join(d, d->cur);
		break;
	case DICAP_CTLERR_NOT_LEADER:
		if (membership_is_current(d, from) && d->state == NODE_JOINED) {
			log_warnx("coordinator %s is a standby now: looking for the active one",
			    dicap_addr_str(from));
			d->state = NODE_NO_COORD;
			d->ctr[C_COORDINATOR_LOST]++;
		}
		log_debug("%s is not the active coordinator: %s", dicap_addr_str(from), text);
		/* A standby names the active coordinator it follows: ask that one. */
		if (DICAP_HAS(m, DICAP_AVP_COORD) && d->state != NODE_JOINED) {
			reachable_addr(&m->coord, from, &hint);
			if (!dicap_addr_equal(&hint, from) &&
			    (idx = membership_add_coord(d, &hint, 0)) >= 0)
				send_join(d, idx);
		}
		break;
	default:
		log_warnx("error %u from %s: %s", m->error_code, dicap_addr_str(from), text);
		break;
	}
}

/*
 * An announcement: remember the coordinator, and join it if we have none
 * or it has a higher term than the one we follow.
 */
static void
on_announce(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	struct dicap_addr a = *from;
	int idx;

	if (DICAP_HAS(m, DICAP_AVP_COORD))
		reachable_addr(&m->coord, from, &a);
	if (DICAP_HAS(m, DICAP_AVP_TERM) && m->term < d->max_term) {
		d->ctr[C_RX_STALE_TERM]++;
		log_debug("announcement of %s with old term %u", dicap_addr_str(&a), m->term);
		return;
	}
	if ((idx = membership_add_coord(d, &a, 0)) < 0)
		return;
	if (m->term > d->coords[idx].term)
		d->coords[idx].term = m->term;
	if (d->state == NODE_JOINED &&
	    (idx == d->cur || m->term <= d->max_term))
		return;
	log_info("announcement: coordinator %s, term %u: joining it", dicap_addr_str(&a), m->term);
	send_join(d, idx);
}

static uint32_t
required_avps(int type)
{
	switch (type) {
	case DICAP_MSG_ACCEPT:
		return 1u << DICAP_AVP_NODE_ID | 1u << DICAP_AVP_TERM | 1u << DICAP_AVP_EPOCH;
	case DICAP_MSG_HEARTBEAT:
		return 1u << DICAP_AVP_NODE_ID;
	case DICAP_MSG_ERROR:
		return 1u << DICAP_AVP_ERROR_CODE;
	case DICAP_MSG_ANNOUNCE:
		return 1u << DICAP_AVP_TERM;
	}
	return 0;
}

void
membership_input(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	uint32_t need = required_avps(m->type);

	/* The codec checks this too; the agent does not rely on it. */
	if ((m->present & need) != need) {
		d->ctr[C_RX_MALFORMED]++;
		log_debug("%s from %s lacks attributes", dicap_msg_type_name(m->type),
		    dicap_addr_str(from));
		return;
	}
	/* A leaving node joins nothing; UNKNOWN_NODE is what it expects. */
	if (d->state == NODE_LEAVING && m->type != DICAP_MSG_HEARTBEAT) {
		log_debug("%s from %s while leaving: ignored", dicap_msg_type_name(m->type),
		    dicap_addr_str(from));
		return;
	}
	switch (m->type) {
	case DICAP_MSG_ACCEPT:
		on_accept(d, m, from);
		break;
	case DICAP_MSG_HEARTBEAT:
		on_heartbeat_reply(d, m, from);
		break;
	case DICAP_MSG_ERROR:
		on_error(d, m, from);
		break;
	case DICAP_MSG_ANNOUNCE:
		on_announce(d, m, from);
		break;
	}
}

/* Called by topology.c with each accepted topology's intervals. */
void
membership_set_timers(struct dicapd *d, const struct dicap_msg *m)
{
	set_timers(d, m);
}

void
membership_start(struct dicapd *d)
{
	d->heartbeat_ms = DICAPD_DEFAULT_HEARTBEAT_MS;
	d->timeout_ms = DICAPD_DEFAULT_TIMEOUT_MS;
	d->cur = -1;
	d->state = d->n_coords > 0 ? NODE_JOINING : NODE_NO_COORD;
	d->ev_tick = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
	d->leave.ev = evtimer_new(d->base, leave_cb, d);
	if (d->ev_tick == NULL || d->leave.ev == NULL)
		fatalx("cannot create the heartbeat timer");
	tick_schedule(d);
	join_round(d);
}

void
membership_stop(struct dicapd *d)
{
	if (d->ev_tick != NULL)
		event_free(d->ev_tick);
	d->ev_tick = NULL;
	if (d->leave.ev != NULL)
		event_free(d->leave.ev);
	d->leave.ev = NULL;
}
