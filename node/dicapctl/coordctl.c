/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A coordinator's STATUS: send STATUS_REQ, collect every part of the
 * answer (each try waits --timeout, default 1 s; 3 tries), and print it
 * as the documented JSON or as a table.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <sodium.h>

#include "counters.h"
#include "sockaddr.h"
#include "jsonw.h"
#include "dicapctl.h"
#include "keyfile.h"
#include "replay.h"
#include "selflags.h"


struct collect {
	int fd;
	const struct dicap_keys *keys;
	uint8_t cookie[DICAP_COOKIE_LEN];	/* the coordinator's for our address */
	int have_cookie;
	struct dicap_replay replay;
	uint32_t term, epoch;
	uint16_t parts, n_got;
	uint8_t **buf;			/* raw datagram of each part */
	size_t *len;
	unsigned int auth_fail, malformed, replayed;
	int error_seen;
	int quiet;			/* keep an ERROR's text instead of printing it */
	char error_text[256];
	uint8_t rx[DICAP_CTL_MAX_LEN + 1];	/* the datagram being read */
};

/* A coordinator asked again and again (top): one socket, one replay window. */
struct coord_client {
	struct collect c;
	struct dicap_addr target;
	uint64_t seq;
	struct dicap_keys keys;
};

static void
collect_reset(struct collect *c)
{
	uint16_t i;

	for (i = 0; i < c->parts; i++)
		free(c->buf[i]);
	free(c->buf);
	free(c->len);
	c->buf = NULL;
	c->len = NULL;
	c->parts = c->n_got = 0;
}

static int
send_request(struct collect *c, uint64_t *seq)
{
	uint8_t out[512];
	struct dicap_msg m;
	int len;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_STATUS_REQ;
	m.seq = (*seq)++;
	m.timestamp_ns = dicap_now_ns();
	DICAP_SET(&m, DICAP_AVP_SEQ);
	DICAP_SET(&m, DICAP_AVP_TIMESTAMP);
	if (c->have_cookie) {
		memcpy(m.cookie, c->cookie, sizeof(m.cookie));
		DICAP_SET(&m, DICAP_AVP_COOKIE);
	} else {
		/* Without a cookie the answer is a cookie, no longer than this. */
		DICAP_SET(&m, DICAP_AVP_PADDING);
		len = dicap_msg_encoded_len(&m, c->keys != NULL);
		if (len > 0 && len < DICAP_UNVERIFIED_MIN_LEN)
			m.padding_len = (uint16_t)(DICAP_UNVERIFIED_MIN_LEN - len);
	}
	if ((len = dicap_msg_encode_keys(&m, out, sizeof(out), c->keys)) < 0) {
		ctl_error("cannot encode STATUS_REQ: %s", dicap_msg_strerror(-len));
		return -1;
	}
	if (send(c->fd, out, (size_t)len, 0) == -1 && errno != ECONNREFUSED)
		return -1;
	return 0;
}

static void
print_error_msg(const struct dicap_msg *m)
{
	ctl_error("the coordinator answered with error %u: %s", m->error_code,
	    DICAP_HAS(m, DICAP_AVP_ERROR_TEXT) ? m->error_text : "(no text)");
}

/* Take one datagram; 1 when every part is in. */
static int
collect_input(struct collect *c, const uint8_t *buf, size_t len)
{
	struct dicap_msg m;
	uint16_t part = 0, parts = 1;
	uint32_t epoch;
	int rc;

	rc = dicap_msg_decode_keys(buf, len, &m, c->keys, NULL);
	if (rc == DICAP_MSGERR_AUTH_MISSING || rc == DICAP_MSGERR_AUTH_BAD) {
		c->auth_fail++;
		return 0;
	}
	if (rc != DICAP_MSGERR_OK) {
		c->malformed++;
		return 0;
	}
	if (dicap_replay_check(&c->replay, m.seq, m.timestamp_ns, dicap_now_ns(), 0) !=
	    DICAP_REPLAY_OK) {
		c->replayed++;
		return 0;
	}
	if (m.type == DICAP_MSG_ERROR && m.error_code == DICAP_CTLERR_SESSION &&
	    DICAP_HAS(&m, DICAP_AVP_COOKIE)) {
		memcpy(c->cookie, m.cookie, sizeof(c->cookie));
		c->have_cookie = 1;
		return 2;	/* ask again, with the cookie */
	}
	if (m.type == DICAP_MSG_ERROR) {
		if (c->quiet)
			snprintf(c->error_text, sizeof(c->error_text), "error %u: %s",
			    m.error_code, DICAP_HAS(&m, DICAP_AVP_ERROR_TEXT) ?
			    m.error_text : "(no text)");
		else
			print_error_msg(&m);
		c->error_seen = 1;
		return 1;
	}
	if (m.type != DICAP_MSG_STATUS)
		return 0;
	if (DICAP_HAS(&m, DICAP_AVP_PART)) {
		part = m.part;
		parts = m.parts;
	}
	if (parts == 0 || part >= parts) {
		c->malformed++;
		return 0;
	}
	epoch = DICAP_HAS(&m, DICAP_AVP_EPOCH) ? m.epoch : 0;
	/* Parts of another answer (the state changed between tries): start over. */
	if (c->parts != 0 && (c->parts != parts || c->term != m.term || c->epoch != epoch))
		collect_reset(c);
	if (c->parts == 0) {
		c->parts = parts;
		c->term = m.term;
		c->epoch = epoch;
		c->buf = calloc(parts, sizeof(*c->buf));
		c->len = calloc(parts, sizeof(*c->len));
		if (c->buf == NULL || c->len == NULL)
			return -1;
	}
	if (c->buf[part] != NULL)
		return 0;
	if ((c->buf[part] = malloc(len)) == NULL)
		return -1;
	memcpy(c->buf[part], buf, len);
	c->len[part] = len;
	return ++c->n_got == c->parts;
}

/* One try: wait up to @timeout_ms for the rest of the parts. */
static int
collect_wait(struct collect *c, int timeout_ms)
{
	uint64_t deadline = dicap_mono_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	uint64_t now;
	ssize_t n;
	int rc;

	while ((now = dicap_mono_ns()) < deadline) {
		rc = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = recv(c->fd, c->rx, sizeof(c->rx), 0);
		if (n == -1)
			continue;	/* ICMP unreachable: keep waiting, then retry */
		if ((rc = collect_input(c, c->rx, (size_t)n)) != 0)
			return rc;
	}
	return 0;
}

static int
connect_to(const struct dicap_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	len = dicap_addr_to_sockaddr(a, 0, &ss);
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct dicap_node_info *x = a, *y = b;

	return x->node_id < y->node_id ? -1 : x->node_id > y->node_id;
}

/* Copy the singular attributes of @m that @st does not have yet. */
static void
merge_head(struct coord_status *st, const struct dicap_msg *m)
{
	static const int singular[] = { DICAP_AVP_TERM, DICAP_AVP_EPOCH, DICAP_AVP_SELECT,
	    DICAP_AVP_SELECT_FLAGS, DICAP_AVP_NODE_ID, DICAP_AVP_PRIORITY,
	    DICAP_AVP_HEARTBEAT_MS, DICAP_AVP_TIMEOUT_MS, DICAP_AVP_COORD,
	    DICAP_AVP_MEMBER_COUNT };
	struct dicap_msg *h = &st->head;
	size_t i;

	for (i = 0; i < sizeof(singular) / sizeof(singular[0]); i++) {
		if (!DICAP_HAS(m, singular[i]) || DICAP_HAS(h, singular[i]))
			continue;
		DICAP_SET(h, singular[i]);
		switch (singular[i]) {
		case DICAP_AVP_TERM: h->term = m->term; break;
		case DICAP_AVP_EPOCH: h->epoch = m->epoch; break;
		case DICAP_AVP_SELECT: h->mode = m->mode; break;
		case DICAP_AVP_SELECT_FLAGS: h->sel_flags = m->sel_flags; break;
		case DICAP_AVP_NODE_ID: h->node_id = m->node_id; break;
		case DICAP_AVP_PRIORITY: h->priority = m->priority; break;
		case DICAP_AVP_HEARTBEAT_MS: h->heartbeat_ms = m->heartbeat_ms; break;
		case DICAP_AVP_TIMEOUT_MS: h->timeout_ms = m->timeout_ms; break;
		case DICAP_AVP_COORD: h->coord = m->coord; break;
		case DICAP_AVP_MEMBER_COUNT: h->member_count = m->member_count; break;
		}
	}
	if (m->n_analyzers > 0 && h->n_analyzers == 0) {
		memcpy(h->analyzers, m->analyzers, sizeof(h->analyzers));
		h->n_analyzers = m->n_analyzers;
	}
	if (DICAP_HAS(m, DICAP_AVP_COUNTERS) && st->counters_raw == NULL) {
		st->counters_raw = m->counters_raw;
		st->n_counters = m->n_counters;
	}
}

/* Decode every collected part into @st; -1 on a part that does not decode. */
static int
status_build(struct collect *c, struct coord_status *st)
{
	struct dicap_msg m;
	const char *why;
	uint32_t i, cap = 0;
	uint16_t p, id;
	uint64_t v;

	memset(st, 0, sizeof(*st));
	st->role = -1;
	for (p = 0; p < c->parts; p++) {
		if (dicap_msg_decode_keys(c->buf[p], c->len[p], &m, c->keys, &why) !=
		    DICAP_MSGERR_OK)
			return -1;
		merge_head(st, &m);
		cap += m.n_node_info;
	}
	if ((st->nodes = calloc(cap ? cap : 1, sizeof(*st->nodes))) == NULL)
		return -1;
	for (p = 0; p < c->parts; p++) {
		dicap_msg_decode_keys(c->buf[p], c->len[p], &m, c->keys, &why);
		for (i = 0; i < m.n_node_info; i++) {
			if (dicap_node_info_decode(m.node_info[i], m.node_info_len[i],
			    &st->nodes[st->n_nodes], &why) != DICAP_MSGERR_OK) {
				ctl_error("the coordinator sent a bad node record: %s", why);
				return -1;
			}
			st->n_nodes++;
		}
	}
	qsort(st->nodes, st->n_nodes, sizeof(*st->nodes), cmp_node);
	for (i = 0; i < st->n_counters; i++) {
		id = dicap_get_be16(st->counters_raw + i * DICAP_COUNTER_WIRE_LEN);
		v = dicap_get_be64(st->counters_raw + i * DICAP_COUNTER_WIRE_LEN + 2);
		if (id == COORD_ROLE_WIRE_ID)
			st->role = (int)v;
	}
	return 0;
}

const char *
coord_role_name(int role)
{
	switch (role) {
	case 0:
		return "standby";
	case 1:
		return "candidate";
	case 2:
		return "active";
	}
	return NULL;
}

static void
json_node_counters(struct jsonw *w, const uint8_t *raw, uint32_t n)
{
	const char *name;
	char unknown[16];
	uint32_t i;
	uint16_t id;

	jw_obj_begin(w);
	for (i = 0; i < n; i++) {
		id = dicap_get_be16(raw + i * DICAP_COUNTER_WIRE_LEN);
		if ((name = node_counter_wire_name(id)) == NULL) {
			snprintf(unknown, sizeof(unknown), "id_%u", id);
			name = unknown;
		}
		jw_key(w, name);
		jw_u64(w, dicap_get_be64(raw + i * DICAP_COUNTER_WIRE_LEN + 2));
	}
	jw_obj_end(w);
}

static void
json_coord_counters(struct jsonw *w, const struct coord_status *st)
{
	char unknown[16];
	const char *name;
	uint32_t i;
	uint16_t id;

	jw_obj_begin(w);
	for (i = 0; i < st->n_counters; i++) {
		id = dicap_get_be16(st->counters_raw + i * DICAP_COUNTER_WIRE_LEN);
		if (id == COORD_ROLE_WIRE_ID)
			continue;
		if ((name = coord_counter_name(id - COORD_CTR_WIRE_BASE)) != NULL) {
			jw_key(w, name);
		} else {
			snprintf(unknown, sizeof(unknown), "id_%u", id);
			jw_key(w, unknown);
		}
		jw_u64(w, dicap_get_be64(st->counters_raw + i * DICAP_COUNTER_WIRE_LEN + 2));
	}
	jw_obj_end(w);
}

static void
json_nodes(struct jsonw *w, const struct coord_status *st)
{
	uint32_t i;

	jw_arr_begin(w);
	for (i = 0; i < st->n_nodes; i++) {
		const struct dicap_node_info *n = &st->nodes[i];

		jw_obj_begin(w);
		jw_key(w, "id");
		jw_id(w, n->node_id);
		jw_key(w, "addr");
		jw_str(w, dicap_addr_str(&n->addr));
		jw_key(w, "weight");
		jw_u64(w, n->weight);
		jw_key(w, "share");
		jw_fixed(w, n->share_ppm / 10000.0, 4);
		jw_key(w, "last_heartbeat_ms");
		jw_u64(w, n->last_heartbeat_ms);
		jw_key(w, "epoch");
		jw_u64(w, n->epoch);
		jw_key(w, "counters");
		json_node_counters(w, n->counters_raw, n->n_counters);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* A number if the coordinator sent the attribute, else null. */
static void
json_opt(struct jsonw *w, const char *key, const struct dicap_msg *h, int avp, uint64_t v)
{
	jw_key(w, key);
	DICAP_HAS(h, avp) ? jw_u64(w, v) : jw_null(w);
}

static void
print_json(const struct coord_status *st, const struct dicap_addr *asked)
{
	const struct dicap_msg *h = &st->head;
	struct evbuffer *out = evbuffer_new();
	struct jsonw w;
	uint32_t i;

	if (out == NULL)
		return;
	jw_init(&w, out);
	jw_obj_begin(&w);
	jw_key(&w, "coordinator");
	jw_obj_begin(&w);
	jw_key(&w, "id");
	DICAP_HAS(h, DICAP_AVP_NODE_ID) ? jw_id(&w, h->node_id) : jw_null(&w);
	jw_key(&w, "addr");
	jw_str(&w, dicap_addr_str(DICAP_HAS(h, DICAP_AVP_COORD) ? &h->coord : asked));
	jw_key(&w, "role");
	coord_role_name(st->role) ? jw_str(&w, coord_role_name(st->role)) : jw_null(&w);
	json_opt(&w, "priority", h, DICAP_AVP_PRIORITY, h->priority);
	jw_obj_end(&w);
	json_opt(&w, "term", h, DICAP_AVP_TERM, h->term);
	json_opt(&w, "epoch", h, DICAP_AVP_EPOCH, h->epoch);
	jw_key(&w, "mode");
	DICAP_HAS(h, DICAP_AVP_SELECT) ? jw_str(&w, dicap_mode_name(h->mode)) : jw_null(&w);
	jw_key(&w, "tunnel");
	DICAP_HAS(h, DICAP_AVP_SELECT_FLAGS) ? jw_str(&w, dicap_tunnel_name(h->sel_flags)) :
	    jw_null(&w);
	json_opt(&w, "heartbeat_ms", h, DICAP_AVP_HEARTBEAT_MS, h->heartbeat_ms);
	json_opt(&w, "timeout_ms", h, DICAP_AVP_TIMEOUT_MS, h->timeout_ms);
	jw_key(&w, "analyzers");
	jw_arr_begin(&w);
	for (i = 0; i < h->n_analyzers; i++)
		jw_str(&w, dicap_addr_str(&h->analyzers[i]));
	jw_arr_end(&w);
	jw_key(&w, "nodes");
	json_nodes(&w, st);
	jw_key(&w, "counters");
	json_coord_counters(&w, st);
	jw_obj_end(&w);
	evbuffer_add(out, "\n", 1);
	fwrite(evbuffer_pullup(out, -1), 1, evbuffer_get_length(out), stdout);
	evbuffer_free(out);
}

uint64_t
node_counter(const struct dicap_node_info *n, const char *name, int *found)
{
	const char *nm;
	uint32_t i;

	for (i = 0; i < n->n_counters; i++) {
		nm = node_counter_wire_name(dicap_get_be16(n->counters_raw +
		    i * DICAP_COUNTER_WIRE_LEN));
		if (nm != NULL && strcmp(nm, name) == 0) {
			if (found != NULL)
				*found = 1;
			return dicap_get_be64(n->counters_raw + i * DICAP_COUNTER_WIRE_LEN + 2);
		}
	}
	if (found != NULL)
		*found = 0;
	return 0;
}

static void
print_table(const struct coord_status *st, const struct dicap_addr *asked)
{
	const struct dicap_msg *h = &st->head;
	uint32_t i;
	int rr;

	printf("coordinator 0x%08x at %s: %s, priority %u\n", h->node_id,
	    dicap_addr_str(DICAP_HAS(h, DICAP_AVP_COORD) ? &h->coord : asked),
	    coord_role_name(st->role) ? coord_role_name(st->role) : "role unknown", h->priority);
	printf("term %u, epoch %u, mode %s, tunnel %s, heartbeat %u ms, timeout %u ms\n",
	    h->term, h->epoch, DICAP_HAS(h, DICAP_AVP_SELECT) ? dicap_mode_name(h->mode) : "?",
	    DICAP_HAS(h, DICAP_AVP_SELECT_FLAGS) ? dicap_tunnel_name(h->sel_flags) : "?",
	    h->heartbeat_ms, h->timeout_ms);
	printf("analyzers:");
	if (h->n_analyzers == 0)
		printf(" none");
	for (i = 0; i < h->n_analyzers; i++)
		printf(" %s", dicap_addr_str(&h->analyzers[i]));
	printf("\n%u node%s\n", st->n_nodes, st->n_nodes == 1 ? "" : "s");
	if (st->n_nodes == 0)
		return;
	/* Round-robin: the drifts the coordinator found (docs/design.md). */
	rr = DICAP_HAS(h, DICAP_AVP_SELECT) && h->mode == DICAP_MODE_RR;
	printf("%-10s  %-22s %6s %9s %9s %8s %12s %12s%s\n", "ID", "ADDRESS", "WEIGHT",
	    "SHARE%", "HB_AGE_MS", "EPOCH", "SEEN", "SELECTED", rr ? "   DRIFTS" : "");
	for (i = 0; i < st->n_nodes; i++) {
		const struct dicap_node_info *n = &st->nodes[i];

		printf("0x%08x  %-22s %6u %9.4f %9u %8u %12llu %12llu", n->node_id,
		    dicap_addr_str(&n->addr), n->weight, n->share_ppm / 10000.0,
		    n->last_heartbeat_ms, n->epoch,
		    (unsigned long long)node_counter(n, "seen", NULL),
		    (unsigned long long)node_counter(n, "selected", NULL));
		if (rr)
			printf(" %8llu", (unsigned long long)node_counter(n, "rr_drifts", NULL));
		printf("\n");
	}
}

static int
parse_target(const char *s, struct dicap_addr *a)
{
	char buf[DICAP_ADDR_STRLEN + 16];

	if (dicap_addr_parse(s, a) == 0)
		return a->port != 0 ? 0 : -1;
	if (strchr(s, ':') != NULL)
		return -1;
	snprintf(buf, sizeof(buf), "%s:%d", s, DICAP_CTL_DEFAULT_PORT);
	return dicap_addr_parse(buf, a);
}

static void
no_answer(const struct ctl_opts *o, const struct collect *c)
{
	if (c->parts != 0)
		ctl_error("coordinator %s: got %u of %u parts of its status after %d tries",
		    o->coord, c->n_got, c->parts, o->tries);
	else
		ctl_error("no answer from coordinator %s after %d tries of %d ms: "
		    "is dicap-coord running there, %s?", o->coord, o->tries, o->timeout_ms,
		    o->insecure ? "and with --insecure" : "and with the same key");
	if (c->auth_fail)
		ctl_error("%u answers failed authentication: is the key (-k) the cluster's?",
		    c->auth_fail);
	if (c->malformed)
		ctl_error("%u answers did not decode", c->malformed);
}

struct coord_client *
coord_client_open(const struct ctl_opts *o)
{
	struct coord_client *cl;
	char err[256];

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		ctl_error("out of memory");
		return NULL;
	}
	cl->c.fd = -1;
	if (parse_target(o->coord, &cl->target) == -1) {
		ctl_error("-c %s: expected ADDR:PORT, e.g. 127.0.0.1:%d", o->coord,
		    DICAP_CTL_DEFAULT_PORT);
		goto fail;
	}
	if (o->keyfile != NULL) {
		if (sodium_init() == -1 ||
		    dicap_cred_load(o->keyfile, DICAP_ROLE_STATUS, &cl->keys, err,
		    sizeof(err)) == -1) {
			ctl_error("%s", err);
			goto fail;
		}
		cl->c.keys = &cl->keys;
	}
	if ((cl->c.fd = connect_to(&cl->target)) == -1) {
		ctl_error("cannot reach coordinator %s: %s", o->coord, strerror(errno));
		goto fail;
	}
	cl->seq = dicap_seq_start();
	return cl;
fail:
	coord_client_close(cl);
	return NULL;
}

void
coord_client_close(struct coord_client *cl)
{
	if (cl == NULL)
		return;
	collect_reset(&cl->c);
	if (cl->c.fd != -1)
		close(cl->c.fd);
	sodium_memzero(&cl->keys, sizeof(cl->keys));
	free(cl);
}

const struct dicap_addr *
coord_client_target(const struct coord_client *cl)
{
	return &cl->target;
}

/*
 * Ask once (@o->tries tries of @o->timeout_ms).  @quiet: print nothing,
 * say why in @why.  The nodes' counters in @st point into the collected
 * datagrams: free @st with coord_status_free before the next fetch.
 */
int
coord_client_fetch(struct coord_client *cl, const struct ctl_opts *o, int quiet,
    struct coord_status *st, char *why, size_t whylen)
{
	struct collect *c = &cl->c;
	int done = 0, i, cookies = 0;

	memset(st, 0, sizeof(*st));
	collect_reset(c);
	c->error_seen = 0;
	c->quiet = quiet;
	c->error_text[0] = '\0';
	snprintf(why, whylen, "no answer");
	for (i = 0; i < o->tries && !done; i++) {
		if (send_request(c, &cl->seq) == -1) {
			snprintf(why, whylen, "cannot send: %s", strerror(errno));
			if (!quiet)
				ctl_error("cannot send to coordinator %s: %s", o->coord,
				    strerror(errno));
			return -1;
		}
		done = collect_wait(c, o->timeout_ms);
		if (done == 2) {	/* a cookie: this try goes on */
			done = 0;
			if (++cookies <= 2)
				i--;
		}
	}
	if (c->error_seen) {
		snprintf(why, whylen, "%s", c->error_text[0] ? c->error_text : "error");
		return -1;
	}
	if (done < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (!done) {
		if (c->parts != 0)
			snprintf(why, whylen, "%u of %u parts", c->n_got, c->parts);
		else if (c->auth_fail)
			snprintf(why, whylen, "answers fail authentication");
		if (!quiet)
			no_answer(o, c);
		return -1;
	}
	if (status_build(c, st) == -1) {
		snprintf(why, whylen, "a status that does not decode");
		if (!quiet)
			ctl_error("coordinator %s sent a status that does not decode", o->coord);
		coord_status_free(st);
		return -1;
	}
	return 0;
}

void
coord_status_free(struct coord_status *st)
{
	free(st->nodes);
	st->nodes = NULL;
	st->n_nodes = 0;
}

int
coord_status(const struct ctl_opts *o)
{
	struct coord_client *cl;
	struct coord_status st;
	char why[256];
	int rc = 1;

	if ((cl = coord_client_open(o)) == NULL)
		return 1;
	if (coord_client_fetch(cl, o, 0, &st, why, sizeof(why)) == -1)
		goto out;
	if (o->json)
		print_json(&st, &cl->target);
	else
		print_table(&st, &cl->target);
	rc = fflush(stdout) == 0 ? 0 : 1;
	coord_status_free(&st);
out:
	coord_client_close(cl);
	return rc;
}
