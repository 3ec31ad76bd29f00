/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Topologies: collect the parts of one (term, epoch), build the bucket
 * table, hand it to the datapath, and switch to it at its validity start.
 *
 * Ordering: a topology is taken if its term is higher than any seen, or,
 * in the same term, if its epoch is higher than the newest one held
 * (pending or applied).  An ACCEPT resets the order ("rebase"): a
 * coordinator that restarted with an empty table counts its epochs from
 * the beginning again, and the first topology it sends after accepting us
 * must win even though its epoch number is lower.
 *
 * The switch is a libevent timer (CLOCK_MONOTONIC) armed at receipt for
 * VALIDITY - CLOCK_REALTIME now, so a later clock step on this node does
 * not move it.  Until it fires the node keeps the old topology.
 *
 * Bucket tables are built by a worker thread, one at a time, so that the
 * event loop keeps answering (a full build of 4096 members takes most of
 * a second).  A complete topology waits in a one-place queue while the
 * worker is busy; a newer one replaces it there unbuilt
 * (topologies_superseded), so a join storm costs one table per worker
 * run, not one per epoch.  The worker keeps the table state of the last
 * list it built and updates it (dicap_table_update()): a few members
 * joining or leaving cost a few milliseconds, whatever the cluster size.
 * Results are staged in the order the topologies were taken.
 */
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dicapd.h"
#include "log.h"
#include "selflags.h"

/*
 * While @busy, the worker owns @job and the fields after it; the event
 * loop takes them back after pthread_join().  The rest is the loop's.
 */
struct table_builder {
	struct node_topology *queued;	/* complete, waiting for the worker */
	int busy;
	int threaded;			/* @thread runs the job (else it ran inline) */
	pthread_t thread;
	int pipe[2];			/* the worker writes a byte when done */
	struct event *ev_done;

	struct node_topology *job;
	struct dicap_member *base;	/* the member list @state is the table of */
	uint32_t n_base;		/* 0: no state, build in full */
	struct dicap_table_state state;
	int rc;				/* 0 updated, 1 built in full, -1 failed */
	const char *why;
	uint64_t elapsed_ns;
};

#define FNV64_OFFSET	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

static void validity_cb(evutil_socket_t, short, void *);

void
topology_free(struct node_topology *t)
{
	if (t == NULL)
		return;
	free(t->members);
	free(t->table);
	free(t);
}

static void
assembly_reset(struct topo_assembly *as)
{
	free(as->got);
	free(as->members);
	memset(as, 0, sizeof(*as));
}

static uint64_t
fnv64(uint64_t h, const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= FNV64_PRIME;
	}
	return h;
}

/*
 * FNV-1a 64 over the mode, the selection flags when any is set (big-endian
 * u32; leaving out 0 keeps the digests of flag-less topologies as they
 * were), the member list (big-endian id and weight) and, in hash modes,
 * the table (big-endian u16 per bucket): equal digests on two nodes mean
 * they split the traffic the same way.
 */
static uint64_t
topology_digest(const struct node_topology *t)
{
	uint8_t b[6];
	uint64_t h = FNV64_OFFSET;
	uint32_t i;

	h = fnv64(h, &t->mode, 1);
	if (t->sel_flags != 0) {
		dicap_put_be32(b, t->sel_flags);
		h = fnv64(h, b, 4);
	}
	dicap_put_be32(b, t->n_members);
	h = fnv64(h, b, 4);
	for (i = 0; i < t->n_members; i++) {
		dicap_put_be32(b, t->members[i].node_id);
		dicap_put_be16(b + 4, t->members[i].weight);
		h = fnv64(h, b, 6);
	}
	for (i = 0; t->table != NULL && i < DICAP_BUCKETS; i++) {
		dicap_put_be16(b, t->table[i]);
		h = fnv64(h, b, 2);
	}
	return h;
}

double
topology_share(const struct node_topology *t)
{
	if (t == NULL || t->position < 0 || t->n_members == 0)
		return 0.0;
	if (t->table == NULL)
		return 100.0 / t->n_members;
	return 100.0 * t->owned_buckets / DICAP_BUCKETS;
}

void
topology_rebase(struct dicapd *d, uint32_t epoch)
{
	d->rebased = 1;
	d->floor_epoch = epoch;
	if (d->as.active)
		assembly_reset(&d->as);
}

/* The newest topology taken: waiting for its table, being built, staged, applied. */
static const struct node_topology *
newest_taken(struct dicapd *d)
{
	struct table_builder *tb = d->builder;

	if (tb != NULL && tb->queued != NULL)
		return tb->queued;
	if (tb != NULL && tb->busy)
		return tb->job;
	return d->pending ? d->pending : d->active;
}

/* Is (term, epoch) newer than what the node holds?  Counts what is not. */
static int
is_newer(struct dicapd *d, uint32_t term, uint32_t epoch)
{
	const struct node_topology *latest = newest_taken(d);

	if (term > d->max_term)
		return 1;
	if (d->rebased) {
		if (epoch >= d->floor_epoch)
			return 1;
		d->ctr[C_RX_OLD_EPOCH]++;
		return 0;
	}
	if (latest == NULL || term > latest->term || epoch > latest->epoch)
		return 1;
	/* The same epoch again is the periodic resend: not worth a count. */
	if (epoch < latest->epoch)
		d->ctr[C_RX_OLD_EPOCH]++;
	return 0;
}

static void
reject(struct dicapd *d, const struct dicap_addr *from, const char *why)
{
	d->ctr[C_TOPOLOGY_REJECTED]++;
	log_warnx("topology term %u epoch %u from %s rejected: %s", d->as.term,
	    d->as.epoch, dicap_addr_str(from), why);
	assembly_reset(&d->as);
}

static int
assembly_start(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from,
    uint16_t parts)
{
	struct topo_assembly *as = &d->as;
	struct node_topology *h = &as->hdr;

	assembly_reset(as);
	as->active = 1;
	as->from = *from;
	as->term = m->term;
	as->epoch = m->epoch;
	as->parts = parts;
	as->member_count = m->member_count;
	as->got = calloc(parts, 1);
	as->members = calloc(m->member_count ? m->member_count : 1, sizeof(*as->members));
	if (as->got == NULL || as->members == NULL)
		fatal("%s", __func__);
	h->term = m->term;
	h->epoch = m->epoch;
	h->mode = m->mode;
	h->sel_flags = m->sel_flags;
	h->validity_ns = m->validity_ns;
	h->n_analyzers = m->n_analyzers;
	memcpy(h->analyzers, m->analyzers, sizeof(h->analyzers));
	h->heartbeat_ms = DICAP_HAS(m, DICAP_AVP_HEARTBEAT_MS) ? m->heartbeat_ms : 0;
	h->timeout_ms = DICAP_HAS(m, DICAP_AVP_TIMEOUT_MS) ? m->timeout_ms : 0;
	h->has_marker_token = DICAP_HAS(m, DICAP_AVP_MARKER_TOKEN);
	memcpy(h->marker_token, m->marker_token, sizeof(h->marker_token));
	h->position = DICAP_HAS(m, DICAP_AVP_POSITION) ? (int32_t)m->position : -1;
	return 0;
}

/* Add one part; 1 when the topology is complete, 0 if not yet, -1 if bad. */
static int
assembly_add(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from,
    uint16_t part, uint16_t parts)
{
	struct topo_assembly *as = &d->as;
	uint32_t i;

	if (parts != as->parts || m->member_count != as->member_count ||
	    m->mode != as->hdr.mode || m->sel_flags != as->hdr.sel_flags ||
	    m->validity_ns != as->hdr.validity_ns) {
		reject(d, from, "parts disagree on count, members, mode, flags or validity");
		return -1;
	}
	if (as->got[part])
		return 0;
	if (m->n_members > as->member_count - as->n_members) {
		reject(d, from, "more members than MEMBER_COUNT");
		return -1;
	}
	for (i = 0; i < m->n_members; i++)
		dicap_msg_member(m, i, &as->members[as->n_members++]);
	as->got[part] = 1;
	as->n_got++;
	if (as->n_got < as->parts)
		return 0;
	if (as->n_members != as->member_count) {
		reject(d, from, "fewer members than MEMBER_COUNT");
		return -1;
	}
	return 1;
}

/* Turn the complete assembly into a topology, without its table; NULL if bad. */
static struct node_topology *
take_assembly(struct dicapd *d)
{
	struct topo_assembly *as = &d->as;
	struct node_topology *t;
	const char *why = NULL;

	if (dicap_members_normalize(as->members, as->n_members, &why) == -1) {
		reject(d, &as->from, why ? why : "bad member list");
		return NULL;
	}
	if ((t = malloc(sizeof(*t))) == NULL)
		fatal("%s", __func__);
	*t = as->hdr;
	t->n_members = as->n_members;
	t->members = as->members;
	as->members = NULL;
	t->table = NULL;
	return t;
}

static void
apply_pending(struct dicapd *d)
{
	struct node_topology *t = d->pending;

	d->pending = NULL;
	topology_free(d->active);
	d->active = t;
	d->dp.ops->activate(&d->dp, t->epoch);
	d->ctr[C_TOPOLOGIES_APPLIED]++;
	if (t->position < 0)
		log_info("epoch %u (term %u) active: this node is not a member",
		    t->epoch, t->term);
	else if (t->table == NULL)
		log_info("epoch %u (term %u) active: %s, position %d of %u",
		    t->epoch, t->term, dicap_mode_name(t->mode), t->position, t->n_members);
	else
		log_info("epoch %u (term %u) active: %s (tunnel %s), %u of %u buckets (%.2f%%),"
		    " %u members", t->epoch, t->term, dicap_mode_name(t->mode),
		    dicap_tunnel_name(t->sel_flags), t->owned_buckets, DICAP_BUCKETS,
		    topology_share(t), t->n_members);
}

static void
validity_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dicapd *d = arg;

	(void)fd;
	(void)what;
	if (d->pending != NULL)
		apply_pending(d);
}

/* Stage @t and arm the switch at its validity start. */
static void
schedule(struct dicapd *d, struct node_topology *t)
{
	uint64_t now = dicap_now_ns(), wait_ns;
	struct timeval tv;

	/* A clock ahead sees the validity start come early (tests only). */
	t->validity_ns -= (uint64_t)d->test_clock_ahead_ns;
	/* Due already, its timer just not run yet: the others switched to it. */
	if (d->pending != NULL && d->pending->validity_ns <= now)
		apply_pending(d);
	if (d->pending != NULL) {
		log_info("epoch %u replaces pending epoch %u", t->epoch, d->pending->epoch);
		topology_free(d->pending);
	}
	evtimer_del(d->ev_validity);
	d->pending = t;
	d->dp.ops->load_topology(&d->dp, t, t->validity_ns);
	if (t->validity_ns <= now) {
		d->ctr[C_LATE_TOPOLOGY]++;
		log_info("epoch %u arrived %llu ms after its validity start: applying now",
		    t->epoch, (unsigned long long)((now - t->validity_ns) / 1000000));
		apply_pending(d);
		return;
	}
	wait_ns = t->validity_ns - now;
	if (wait_ns > (uint64_t)DICAPD_MAX_VALIDITY_WAIT_MS * 1000000) {
		/* Our clock or the coordinator's is off: do not wait for ever. */
		d->ctr[C_VALIDITY_CLAMPED]++;
		log_warnx("epoch %u starts %llu ms from now by our clock: waiting %u ms only",
		    t->epoch, (unsigned long long)(wait_ns / 1000000),
		    DICAPD_MAX_VALIDITY_WAIT_MS);
		wait_ns = (uint64_t)DICAPD_MAX_VALIDITY_WAIT_MS * 1000000;
	}
	tv.tv_sec = (time_t)(wait_ns / 1000000000);
	tv.tv_usec = (suseconds_t)(wait_ns % 1000000000 / 1000);
	evtimer_add(d->ev_validity, &tv);
	log_debug("epoch %u pending for %llu ms", t->epoch,
	    (unsigned long long)(wait_ns / 1000000));
}

/* How far ahead the coordinator sets validity starts: a leaving node's wait. */
static void
note_guard(struct dicapd *d, const struct node_topology *t)
{
	uint64_t now = dicap_now_ns();

	if (t->validity_ns > now &&
	    t->validity_ns - now < (uint64_t)DICAPD_MAX_VALIDITY_WAIT_MS * 1000000)
		d->guard_ms = (uint32_t)((t->validity_ns - now) / 1000000);
}

/* The table is there (or not needed): fill in our part and stage it. */
static void
finish(struct dicapd *d, struct node_topology *t)
{
	int pos;

	pos = dicap_members_find(t->members, t->n_members, d->node_id);
	if (pos >= 0 && t->position >= 0 && t->position != pos) {
		d->ctr[C_POSITION_MISMATCH]++;
		log_warnx("epoch %u: the coordinator says position %d, the member list %d",
		    t->epoch, t->position, pos);
	}
	t->position = pos;
	t->owned_buckets = pos >= 0 && t->table != NULL ?
	    dicap_table_count(t->table, (uint16_t)pos) : 0;
	t->digest = topology_digest(t);
	schedule(d, t);
	membership_leave_topology(d, t);
}

/* The worker thread: touches only the builder's job fields. */
static void *
builder_main(void *arg)
{
	struct table_builder *tb = arg;
	struct node_topology *t = tb->job;
	struct dicap_member *base;
	uint64_t start = dicap_mono_ns();
	char done = 1;

	tb->why = NULL;
	if (tb->n_base > 0)
		tb->rc = dicap_table_update(tb->base, tb->n_base, t->members, t->n_members,
		    &tb->state, &tb->why);
	else
		tb->rc = dicap_table_build_state(t->members, t->n_members, &tb->state,
		    &tb->why) == -1 ? -1 : 1;
	tb->n_base = 0;
	if (tb->rc != -1) {
		memcpy(t->table, tb->state.table, DICAP_BUCKETS * sizeof(*t->table));
		base = realloc(tb->base, t->n_members * sizeof(*base));
		if (base != NULL) {
			memcpy(base, t->members, t->n_members * sizeof(*base));
			tb->base = base;
			tb->n_base = t->n_members;
		}
	}
	tb->elapsed_ns = dicap_mono_ns() - start;
	while (write(tb->pipe[1], &done, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

static void
builder_start(struct dicapd *d, struct node_topology *t)
{
	struct table_builder *tb = d->builder;
	sigset_t all, old;
	int rc;

	if ((t->table = malloc(DICAP_BUCKETS * sizeof(*t->table))) == NULL)
		fatal("%s", __func__);
	tb->job = t;
	tb->busy = 1;
	/* Signals stay with the event loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tb->thread, NULL, builder_main, tb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	tb->threaded = rc == 0;
	if (rc != 0) {
		log_warnx("cannot start the table worker (%s): building in the event loop",
		    strerror(rc));
		builder_main(tb);
	}
}

/* Start on the queued topology, unless the worker is busy. */
static void
builder_next(struct dicapd *d)
{
	struct table_builder *tb = d->builder;
	struct node_topology *t = tb->queued;

	if (tb->busy || t == NULL)
		return;
	tb->queued = NULL;
	if (t->mode == DICAP_MODE_RR)
		finish(d, t);
	else
		builder_start(d, t);
}

static void
builder_submit(struct dicapd *d, struct node_topology *t)
{
	struct table_builder *tb = d->builder;

	if (tb->queued != NULL) {
		d->ctr[C_TOPOLOGIES_SUPERSEDED]++;
		log_debug("epoch %u supersedes epoch %u before its table was built",
		    t->epoch, tb->queued->epoch);
		topology_free(tb->queued);
	}
	tb->queued = t;
	builder_next(d);
}

static void
builder_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dicapd *d = arg;
	struct table_builder *tb = d->builder;
	struct node_topology *t;
	char buf[16];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!tb->busy)
		return;
	if (tb->threaded)
		pthread_join(tb->thread, NULL);
	tb->busy = 0;
	t = tb->job;
	tb->job = NULL;
	if (tb->rc == -1) {
		d->ctr[C_TOPOLOGY_REJECTED]++;
		log_warnx("epoch %u: no bucket table: %s", t->epoch,
		    tb->why ? tb->why : "unknown error");
		topology_free(t);
	} else {
		d->ctr[tb->rc == 0 ? C_TABLE_UPDATES : C_TABLE_BUILDS]++;
		log_debug("epoch %u: bucket table of %u members %s in %.1f ms", t->epoch,
		    t->n_members, tb->rc == 0 ? "updated" : "built",
		    (double)tb->elapsed_ns / 1e6);
		finish(d, t);
	}
	builder_next(d);
}

/* May a topology from @from with @term be taken at all? */
static int
from_acceptable(struct dicapd *d, uint32_t term, const struct dicap_addr *from)
{
	if (term < d->max_term) {
		d->ctr[C_RX_STALE_TERM]++;
		log_debug("topology from %s with old term %u (we follow %u)",
		    dicap_addr_str(from), term, d->max_term);
		return 0;
	}
	/* Two actives in one term: stay with ours until the term settles it. */
	if (term == d->max_term && (d->state == NODE_JOINED || d->state == NODE_LEAVING) &&
	    !membership_is_current(d, from)) {
		d->ctr[C_RX_UNEXPECTED]++;
		log_debug("topology from %s, not from our coordinator", dicap_addr_str(from));
		return 0;
	}
	return 1;
}

static int
has_required(const struct dicap_msg *m)
{
	static const int need[] = { DICAP_AVP_TERM, DICAP_AVP_EPOCH, DICAP_AVP_SELECT,
	    DICAP_AVP_SELECT_FLAGS, DICAP_AVP_VALIDITY, DICAP_AVP_MEMBER_COUNT };
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!DICAP_HAS(m, need[i]))
			return 0;
	return m->mode <= DICAP_MODE_MAX && (m->sel_flags & ~DICAP_SEL_FLAGS_MASK) == 0 &&
	    m->member_count <= DICAP_MAX_MEMBERS;
}

/* The part belongs to the assembly under way, or to an older topology. */
static int
same_or_older_than_assembly(struct dicapd *d, const struct dicap_msg *m,
    const struct dicap_addr *from)
{
	struct topo_assembly *as = &d->as;

	if (!as->active)
		return 0;
	if (as->term == m->term && as->epoch == m->epoch && dicap_addr_equal(&as->from, from))
		return 1;
	return m->term < as->term || (m->term == as->term && m->epoch < as->epoch);
}

void
topology_input(struct dicapd *d, const struct dicap_msg *m, const struct dicap_addr *from)
{
	uint16_t part = 0, parts = 1;
	struct node_topology *t;
	int rc;

	if (!has_required(m) ||
	    (DICAP_HAS(m, DICAP_AVP_PART) && (m->parts == 0 || m->part >= m->parts))) {
		d->ctr[C_RX_MALFORMED]++;
		log_debug("TOPOLOGY from %s lacks attributes or has a bad PART", dicap_addr_str(from));
		return;
	}
	if (DICAP_HAS(m, DICAP_AVP_PART)) {
		part = m->part;
		parts = m->parts;
	}
	if (!from_acceptable(d, m->term, from))
		return;
	if (membership_is_current(d, from) &&
	    (d->state == NODE_JOINED || d->state == NODE_LEAVING))
		d->last_ack_mono = dicap_mono_ns();
	if (!same_or_older_than_assembly(d, m, from)) {
		if (!is_newer(d, m->term, m->epoch))
			return;
		assembly_start(d, m, from, parts);
	} else if (d->as.term != m->term || d->as.epoch != m->epoch ||
	    !dicap_addr_equal(&d->as.from, from)) {
		d->ctr[C_RX_OLD_EPOCH]++;
		return;
	}
	if ((rc = assembly_add(d, m, from, part, parts)) <= 0)
		return;
	d->ctr[C_TOPOLOGIES_RECEIVED]++;
	if (d->as.n_members == 0 && d->state == NODE_LEAVING) {
		/* What a leaving node gets when it was the last member. */
		assembly_reset(&d->as);
		membership_leave_topology(d, NULL);
		return;
	}
	t = take_assembly(d);
	assembly_reset(&d->as);
	if (t == NULL)
		return;
	note_guard(d, t);
	membership_follow(d, from, t->term);
	membership_set_timers(d, m);
	d->rebased = 0;
	builder_submit(d, t);
}

int
topology_init(struct dicapd *d)
{
	struct table_builder *tb;

	d->ev_validity = evtimer_new(d->base, validity_cb, d);
	if (d->ev_validity == NULL || (tb = calloc(1, sizeof(*tb))) == NULL)
		return -1;
	d->builder = tb;
	tb->pipe[0] = tb->pipe[1] = -1;
	tb->state.table = malloc(DICAP_BUCKETS * sizeof(*tb->state.table));
	tb->state.key = malloc(DICAP_BUCKETS * sizeof(*tb->state.key));
	if (tb->state.table == NULL || tb->state.key == NULL ||
	    pipe2(tb->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("table worker");
		return -1;
	}
	tb->ev_done = event_new(d->base, tb->pipe[0], EV_READ | EV_PERSIST, builder_done_cb, d);
	if (tb->ev_done == NULL || event_add(tb->ev_done, NULL) == -1)
		return -1;
	return 0;
}

static void
builder_free(struct table_builder *tb)
{
	if (tb == NULL)
		return;
	if (tb->busy && tb->threaded)
		pthread_join(tb->thread, NULL);
	if (tb->ev_done != NULL)
		event_free(tb->ev_done);
	if (tb->pipe[0] != -1)
		close(tb->pipe[0]);
	if (tb->pipe[1] != -1)
		close(tb->pipe[1]);
	topology_free(tb->queued);
	topology_free(tb->job);
	free(tb->base);
	free(tb->state.table);
	free(tb->state.key);
	free(tb);
}

void
topology_stop(struct dicapd *d)
{
	if (d->ev_validity != NULL)
		event_free(d->ev_validity);
	d->ev_validity = NULL;
	builder_free(d->builder);
	d->builder = NULL;
	assembly_reset(&d->as);
	topology_free(d->pending);
	topology_free(d->active);
	d->pending = d->active = NULL;
}
