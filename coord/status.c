/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * STATUS answers for dicapctl, and the NODE_INFO records they share with
 * COORD_SYNC.  An answer is encoded in full when the request arrives (one
 * consistent picture) and sent a burst at a time, a millisecond apart, so
 * that a status of thousands of nodes does not overrun the client's socket.
 * Shares come from the bucket table of the published member list (table.c):
 * a request that arrives before the table of the current epoch is ready
 * waits for it, for a few seconds at most.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coord.h"
#include "log.h"

#define STATUS_BURST		16	/* parts sent per turn */
#define STATUS_PACE_US		1000
#define STATUS_MAX_JOBS		16
#define STATUS_MAX_WAITING	32
#define STATUS_WAIT_NS		MS(5000)
#define INFO_AVP_OVERHEAD	3	/* code + u16 length */

static void jobs_cb(evutil_socket_t, short, void *);

int
status_init(struct coord *c)
{
	TAILQ_INIT(&c->jobs);
	TAILQ_INIT(&c->waiting);
	c->ev_jobs = evtimer_new(c->base, jobs_cb, c);
	return c->ev_jobs != NULL ? 0 : -1;
}

static void
job_free(struct coord *c, struct status_job *j)
{
	TAILQ_REMOVE(&c->jobs, j, entry);
	c->n_jobs--;
	free(j->buf);
	free(j->off);
	free(j);
}

static void
wait_free(struct coord *c, struct status_wait *w)
{
	TAILQ_REMOVE(&c->waiting, w, entry);
	c->n_waiting--;
	free(w);
}

void
status_free(struct coord *c)
{
	struct status_job *j;
	struct status_wait *w;

	while ((j = TAILQ_FIRST(&c->jobs)) != NULL)
		job_free(c, j);
	while ((w = TAILQ_FIRST(&c->waiting)) != NULL)
		wait_free(c, w);
	if (c->ev_jobs != NULL)
		event_free(c->ev_jobs);
}

/* Parts per million of the buckets (rr: of the packets) a node owns. */
uint32_t
status_share_ppm(struct coord *c, const struct node *n)
{
	uint64_t owned;

	if (c->role != ROLE_ACTIVE)
		return n->share_ppm;
	if (n->position < 0 || (uint32_t)n->position >= c->n_members)
		return 0;
	if (c->conf.mode == DICAP_MODE_RR)
		return (DICAP_SHARE_PPM_MAX + c->n_members / 2) / c->n_members;
	if (!table_ready(c))
		return 0;
	owned = table_owned(c, (uint32_t)n->position);
	return (uint32_t)((owned * DICAP_SHARE_PPM_MAX + DICAP_BUCKETS / 2) / DICAP_BUCKETS);
}

static int
by_id(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int
info_append(struct coord *c, struct info_set *s, const struct node *n, uint64_t now)
{
	struct dicap_node_info ni;
	uint64_t age = (now - n->last_heard) / MS(1);
	size_t need;
	uint8_t *p, *own;
	int len;

	memset(&ni, 0, sizeof(ni));
	ni.node_id = n->id;
	ni.weight = n->weight;
	ni.addr = n->addr;
	ni.last_heartbeat_ms = now < n->last_heard ? 0 : age > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)age;
	ni.share_ppm = status_share_ppm(c, n);
	ni.epoch = n->epoch;
	/* The node's counters, then what we count about it. */
	if ((own = malloc((size_t)(n->n_counters + CN_COUNTER_MAX) * DICAP_COUNTER_WIRE_LEN))
	    == NULL)
		return -1;
	if (n->n_counters != 0)
		memcpy(own, n->counters, (size_t)n->n_counters * DICAP_COUNTER_WIRE_LEN);
	p = own + (size_t)n->n_counters * DICAP_COUNTER_WIRE_LEN;
	dicap_put_be16(p, COORD_NODE_CTR_WIRE_BASE + CN_RR_DRIFTS);
	dicap_put_be64(p + 2, n->rr_drifts);
	ni.counters_raw = own;
	ni.n_counters = n->n_counters + CN_COUNTER_MAX;
	need = dicap_node_info_size(&ni);
	if (s->len + need > s->cap) {
		size_t cap = s->cap * 2 > s->len + need ? s->cap * 2 : s->len + need;

		if ((p = realloc(s->buf, cap)) == NULL) {
			free(own);
			return -1;
		}
		s->buf = p;
		s->cap = cap;
	}
	len = dicap_node_info_encode(&ni, s->buf + s->len, s->cap - s->len);
	free(own);
	if (len < 0) {
		log_warnx("node info of 0x%08x: %s", n->id, dicap_msg_why());
		return -1;
	}
	s->off[s->n++] = (uint32_t)s->len;
	s->len += (size_t)len;
	return 0;
}

/*
 * Bytes left for NODE_INFO records in a datagram of DICAP_CTL_PART_TARGET
 * bytes beside what @tmpl already holds (it must have everything but the
 * records).  At least room for one record with every counter we keep.
 */
size_t
info_room(struct coord *c, struct dicap_msg *tmpl)
{
	size_t least = INFO_AVP_OVERHEAD + DICAP_NODE_INFO_FIXED_LEN +
	    COORD_MAX_COUNTERS * DICAP_COUNTER_WIRE_LEN;
	int len;

	tmpl->seq = tmpl->timestamp_ns = 1;
	tmpl->parts = 1;
	DICAP_SET(tmpl, DICAP_AVP_SEQ);
	DICAP_SET(tmpl, DICAP_AVP_TIMESTAMP);
	DICAP_SET(tmpl, DICAP_AVP_PART);
	DICAP_SET(tmpl, DICAP_AVP_MEMBER_COUNT);
	len = dicap_msg_encoded_len(tmpl, c->conf.have_key);
	if (len < 0 || (size_t)len + least > DICAP_CTL_PART_TARGET)
		return least;
	return DICAP_CTL_PART_TARGET - (size_t)len;
}

/*
 * Cut the records into parts: at most COORD_PART_NODE_INFOS each, and
 * within @room_first bytes for part 0 (which carries more besides) and
 * @room bytes for the others.
 */
void
info_set_split(struct info_set *s, size_t room_first, size_t room)
{
	size_t bytes = 0, sz, limit = room_first;
	uint32_t i, count = 0;

	s->parts = 0;
	s->first[0] = 0;
	for (i = 0; i < s->n; i++) {
		sz = s->off[i + 1] - s->off[i] + INFO_AVP_OVERHEAD;
		if (count == COORD_PART_NODE_INFOS || (count != 0 && bytes + sz > limit)) {
			s->first[++s->parts] = i;
			count = 0;
			bytes = 0;
			limit = room;
		}
		count++;
		bytes += sz;
	}
	s->parts++;
	s->first[s->parts] = s->n;
}

int
info_set_build(struct coord *c, struct info_set *s)
{
	uint64_t now = dicap_mono_ns();
	struct node **sorted, *n, *tmp;
	uint32_t i = 0;

	memset(s, 0, sizeof(*s));
	sorted = calloc(c->n_nodes + 1, sizeof(*sorted));
	s->off = calloc(c->n_nodes + 1, sizeof(*s->off));
	s->first = calloc(c->n_nodes + 2, sizeof(*s->first));
	if (sorted == NULL || s->off == NULL || s->first == NULL)
		goto fail;
	HASH_ITER(hh, c->nodes, n, tmp)
		sorted[i++] = n;
	qsort(sorted, i, sizeof(*sorted), by_id);
	for (i = 0; i < c->n_nodes; i++)
		if (info_append(c, s, sorted[i], now) == -1)
			goto fail;
	s->off[s->n] = (uint32_t)s->len;
	info_set_split(s, SIZE_MAX, SIZE_MAX);
	free(sorted);
	return 0;
fail:
	free(sorted);
	info_set_free(s);
	return -1;
}

void
info_set_part(const struct info_set *s, uint32_t part, struct dicap_msg *m)
{
	uint32_t i, k;

	m->n_node_info = s->first[part + 1] - s->first[part];
	for (k = 0; k < m->n_node_info; k++) {
		i = s->first[part] + k;
		m->node_info[k] = s->buf + s->off[i];
		m->node_info_len[k] = (uint16_t)(s->off[i + 1] - s->off[i]);
	}
	m->part = (uint16_t)part;
	m->parts = (uint16_t)s->parts;
	m->member_count = s->n;
	DICAP_SET(m, DICAP_AVP_PART);
	DICAP_SET(m, DICAP_AVP_MEMBER_COUNT);
	if (m->n_node_info != 0)
		DICAP_SET(m, DICAP_AVP_NODE_INFO);
}

void
info_set_free(struct info_set *s)
{
	free(s->buf);
	free(s->off);
	free(s->first);
	memset(s, 0, sizeof(*s));
}

/* The role, then every counter, as (id, value) pairs. */
static uint32_t
status_counters(struct coord *c, uint8_t *out)
{
	uint32_t i, n = 0;

	dicap_put_be16(out, COORD_ROLE_WIRE_ID);
	dicap_put_be64(out + 2, (uint64_t)c->role);
	n++;
	for (i = 0; i < CC_COUNTER_MAX; i++, n++) {
		dicap_put_be16(out + n * DICAP_COUNTER_WIRE_LEN, (uint16_t)(COORD_CTR_WIRE_BASE + i));
		dicap_put_be64(out + n * DICAP_COUNTER_WIRE_LEN + 2, c->ctr[i]);
	}
	return n;
}

/* What every part of a STATUS carries. */
static void
status_lean(struct coord *c, struct dicap_msg *m)
{
	m->type = DICAP_MSG_STATUS;
	m->term = c->term;
	m->epoch = c->epoch;
	m->node_id = c->conf.id;
	DICAP_SET(m, DICAP_AVP_TERM);
	DICAP_SET(m, DICAP_AVP_EPOCH);
	DICAP_SET(m, DICAP_AVP_NODE_ID);
}

/* Part 0 carries the rest: settings, analyzers, our counters. */
static void
status_head(struct coord *c, struct dicap_msg *m, const struct dicap_addr *local,
    const uint8_t *counters, uint32_t n_counters)
{
	uint32_t i;

	status_lean(c, m);
	m->mode = (uint8_t)c->conf.mode;
	m->sel_flags = c->conf.sel_flags;
	m->priority = c->conf.priority;
	m->heartbeat_ms = c->conf.heartbeat_ms;
	m->timeout_ms = c->conf.timeout_ms;
	coord_self_addr(c, local, &m->coord);
	for (i = 0; i < c->conf.n_analyzers; i++)
		m->analyzers[i] = c->conf.analyzers[i];
	m->n_analyzers = c->conf.n_analyzers;
	m->counters_raw = counters;
	m->n_counters = n_counters;
	DICAP_SET(m, DICAP_AVP_SELECT);
	DICAP_SET(m, DICAP_AVP_SELECT_FLAGS);
	DICAP_SET(m, DICAP_AVP_PRIORITY);
	DICAP_SET(m, DICAP_AVP_HEARTBEAT_MS);
	DICAP_SET(m, DICAP_AVP_TIMEOUT_MS);
	DICAP_SET(m, DICAP_AVP_COORD);
	DICAP_SET(m, DICAP_AVP_COUNTERS);
	if (m->n_analyzers != 0)
		DICAP_SET(m, DICAP_AVP_ANALYZER);
	if (c->role == ROLE_ACTIVE && c->validity_ns != 0) {
		m->validity_ns = c->validity_ns;
		DICAP_SET(m, DICAP_AVP_VALIDITY);
	}
}

static int
job_append(struct status_job *j, size_t *cap, const uint8_t *part, size_t len)
{
	size_t used = j->off[j->parts];
	uint8_t *p;

	if (used + len > *cap) {
		size_t ncap = *cap * 2 > used + len ? *cap * 2 : used + len;

		if ((p = realloc(j->buf, ncap)) == NULL)
			return -1;
		j->buf = p;
		*cap = ncap;
	}
	memcpy(j->buf + used, part, len);
	j->off[++j->parts] = (uint32_t)(used + len);
	return 0;
}

static struct status_job *
job_build(struct coord *c, struct info_set *s, const struct dicap_addr *local)
{
	uint8_t counters[(CC_COUNTER_MAX + 1) * DICAP_COUNTER_WIRE_LEN];
	uint32_t n_counters = status_counters(c, counters), p;
	struct status_job *j;
	struct dicap_msg m;
	size_t cap = 0, room_first, room;
	int len;

	memset(&m, 0, sizeof(m));
	status_head(c, &m, local, counters, n_counters);
	room_first = info_room(c, &m);
	memset(&m, 0, sizeof(m));
	status_lean(c, &m);
	room = info_room(c, &m);
	info_set_split(s, room_first, room);
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->off = calloc(s->parts + 1, sizeof(*j->off))) == NULL) {
		free(j);
		return NULL;
	}
	for (p = 0; p < s->parts; p++) {
		memset(&m, 0, sizeof(m));
		if (p == 0)
			status_head(c, &m, local, counters, n_counters);
		else
			status_lean(c, &m);
		info_set_part(s, p, &m);
		if ((len = net_encode(c, &m, c->status_part, sizeof(c->status_part))) < 0 ||
		    job_append(j, &cap, c->status_part, (size_t)len) == -1) {
			free(j->buf);
			free(j->off);
			free(j);
			return NULL;
		}
	}
	return j;
}

/* Send up to a burst of @j's parts; 1 when it is done. */
static int
job_run(struct coord *c, struct status_job *j)
{
	uint32_t sent;

	for (sent = 0; sent < STATUS_BURST && j->next < j->parts; sent++, j->next++)
		net_send_raw(c, j->buf + j->off[j->next], j->off[j->next + 1] - j->off[j->next],
		    (struct sockaddr *)&j->to, j->tolen, &j->local);
	return j->next == j->parts;
}

static void
jobs_schedule(struct coord *c)
{
	struct timeval tv = { 0, STATUS_PACE_US };

	if (!TAILQ_EMPTY(&c->jobs) && !evtimer_pending(c->ev_jobs, NULL))
		evtimer_add(c->ev_jobs, &tv);
}

static void
jobs_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;
	struct status_job *j, *tmp;

	(void)fd;
	(void)what;
	for (j = TAILQ_FIRST(&c->jobs); j != NULL; j = tmp) {
		tmp = TAILQ_NEXT(j, entry);
		if (job_run(c, j))
			job_free(c, j);
	}
	jobs_schedule(c);
}

/* Answer one request from the current state. */
static void
answer(struct coord *c, struct info_set *s, const struct sockaddr_storage *from,
    socklen_t fromlen, const struct dicap_addr *local)
{
	struct dicap_addr to;
	struct status_job *j;

	if ((j = job_build(c, s, local)) == NULL)
		return;
	dicap_addr_from_sockaddr((const struct sockaddr *)from, &to);
	log_debug("status for %s: %u nodes in %u parts", dicap_addr_str(&to), s->n, j->parts);
	memcpy(&j->to, from, sizeof(*from));
	j->tolen = fromlen;
	j->local = *local;
	TAILQ_INSERT_TAIL(&c->jobs, j, entry);
	c->n_jobs++;
	if (job_run(c, j)) {
		job_free(c, j);
		return;
	}
	if (c->n_jobs > STATUS_MAX_JOBS)
		job_free(c, TAILQ_FIRST(&c->jobs));
	jobs_schedule(c);
}

static void
wait_for_table(struct coord *c, const struct sockaddr_storage *from, socklen_t fromlen,
    const struct dicap_addr *local)
{
	struct status_wait *w;

	if (c->n_waiting >= STATUS_MAX_WAITING)
		wait_free(c, TAILQ_FIRST(&c->waiting));
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return;
	memcpy(&w->from, from, sizeof(*from));
	w->fromlen = fromlen;
	w->local = *local;
	w->since = dicap_mono_ns();
	TAILQ_INSERT_TAIL(&c->waiting, w, entry);
	c->n_waiting++;
	table_request(c);
}

/*
 * The worker finished a table (or the interval timer checks): answer who
 * waited.  If the epoch moved on meanwhile, build again; who waited too
 * long gets an answer without shares rather than none.
 */
void
status_table_ready(struct coord *c)
{
	uint64_t now = dicap_mono_ns();
	struct status_wait *w, *next;
	struct info_set s;
	int ready = c->role != ROLE_ACTIVE || table_ready(c);

	if (TAILQ_EMPTY(&c->waiting))
		return;
	if (!ready)
		table_request(c);
	if (info_set_build(c, &s) == -1)
		return;
	for (w = TAILQ_FIRST(&c->waiting); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (!ready && now - w->since < STATUS_WAIT_NS)
			continue;
		answer(c, &s, &w->from, w->fromlen, &w->local);
		wait_free(c, w);
	}
	info_set_free(&s);
}

void
status_on_request(struct coord *c, const struct dicap_msg *req,
    const struct sockaddr_storage *from, socklen_t fromlen, const struct dicap_addr *local)
{
	struct info_set s;

	(void)req;
	c->ctr[CC_STATUS_REQUESTS]++;
	if (c->role == ROLE_ACTIVE && !table_ready(c)) {
		wait_for_table(c, from, fromlen, local);
		return;
	}
	if (info_set_build(c, &s) == -1) {
		log_warnx("status: out of memory");
		return;
	}
	answer(c, &s, from, fromlen, local);
	info_set_free(&s);
}
