/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-nodesim: many simulated capture nodes in one process, against one
 * coordinator, for the scale test and the coordinator benchmark; also the
 * tests' tool for sending hostile datagrams (--inject) and for checking
 * replay protection from the inside (--replay-test).
 *
 * Every simulated node has its own UDP socket: the coordinator then sees
 * one address per node id, as with real nodes, and a TOPOLOGY can be
 * attributed to the node it was sent to, so that its POSITION is checked
 * exactly.  Topology parts of the same (term, epoch) are kept once and
 * shared by all nodes; every copy a node receives is compared with it.
 *
 * A node "holds" an epoch once it has every part of it (the simulator does
 * not wait for the validity start: it measures distribution).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "bucket_table.h"
#include "ctlmsg.h"
#include "keyfile.h"
#include "opt.h"
#include "replay.h"

#define MAX_NODES		65535
#define TOPO_CACHE_KEEP		8
#define REPORT_EVERY_MS		1000
#define CHURN_SETTLE_MS		2000
#define MAX_CHURN_ROUNDS	32

enum node_state {
	N_IDLE,		/* not started (the churn node before its turn) */
	N_JOINING,
	N_JOINED,
	N_LEFT,
	N_REFUSED,	/* ERROR ID_IN_USE */
};

static const char *const state_names[] = {
	"idle", "joining", "joined", "left", "refused",
};

/* One (term, epoch) as the coordinator sent it, shared by all nodes. */
struct topo {
	struct topo *next;
	uint32_t term, epoch;
	uint32_t member_count;
	uint16_t parts;
	uint16_t parts_have;
	uint8_t mode;
	uint64_t validity_ns;
	uint8_t **part_raw;		/* MEMBERS bytes of each part */
	uint32_t *part_len;
	struct dicap_member *members;	/* all parts, once complete */
	int bad;			/* parts do not add up to member_count */
	uint32_t holders;
	uint32_t pending;		/* nodes assembling it */
};

struct simnode {
	struct simnode_ctx *ctx;
	uint32_t idx;
	uint32_t id;
	int fd;
	struct event *rx_ev;
	struct event *timer;
	enum node_state state;
	int intended;			/* should be a member */
	uint32_t max_term;
	uint32_t hb_ms;
	uint32_t timeout_ms;
	struct topo *held;
	uint32_t held_position;
	int held_position_ok;
	struct topo *pending;
	uint64_t *pend_bits;
	uint32_t pend_have;
	int64_t pend_position;
	struct dicap_replay replay;
	uint8_t session[DICAP_SESSION_LEN];	/* this simulated node's */
	uint8_t coord_session[DICAP_SESSION_LEN];
	int have_coord_session;
	uint8_t kx_pk[DICAP_KX_PK_LEN], kx_sk[DICAP_KX_PK_LEN];
	uint8_t kx_rx[DICAP_AUTH_KEY_LEN];	/* session key from the ACCEPT */
	int has_kx;
	int64_t join_tx_ms;		/* last JOIN sent */
	int64_t last_ack_ms;
	int manual;			/* replay test: no automatic sends */
	int accepted_once;		/* --ts-offset-ms applies from then on */
	uint32_t acks;
	uint32_t unknown_node;
};

struct counters {
	uint64_t tx_join, tx_heartbeat, tx_leave, tx_errors;
	uint64_t rx_total, rx_accept, rx_topology, rx_hb_ack, rx_error;
	uint64_t rx_unknown_node, rx_id_in_use, rx_not_leader, rx_other_error;
	uint64_t rx_malformed, rx_auth_fail, rx_replay, rx_stale_term;
	uint64_t rx_old_epoch, rx_foreign, rx_unexpected;
	uint64_t parts_inconsistent, topo_bad, position_bad;
	uint64_t rejoins, coord_lost;
};

struct simnode_ctx {
	struct event_base *base;
	struct sockaddr_in coord;
	struct dicap_addr coord_addr;
	struct dicap_keys keys;		/* a node credential */
	const struct dicap_keys *keysp;
	uint64_t seq;
	int64_t ts_offset_ns;
	uint32_t n_nodes;		/* simulated from the start */
	uint32_t n_alloc;		/* plus the churn node */
	struct simnode *nodes;
	uint32_t id_base;
	uint16_t weight;
	uint32_t default_hb_ms;
	uint32_t others;		/* members that are not ours */
	struct topo *topos;
	struct topo *newest;
	struct counters c;
	int64_t start_ms;
	int64_t last_join_tx_ms;	/* of the node accepted last */
	int converged;
	int64_t converged_ms;		/* when the current state converged */
	int64_t convergence_ms;		/* first convergence - last JOIN sent; -1 */
	int until_converged;
	int leave_at_end;
	int per_node;
	const char *report_path;
	char last_error[DICAP_ERROR_TEXT_MAX + 1];
	/* churn: one extra node joins and leaves, timed */
	int churn_rounds;
	int churn_round;
	int churn_phase;		/* 0 wait, 1 joining, 2 settle, 3 leaving, 4 settle, 5 done */
	int64_t churn_delay_ms;		/* steady state before the first round */
	int64_t churn_settle_ms;	/* ... and between rounds */
	int64_t churn_t0;
	int64_t churn_join_ms[MAX_CHURN_ROUNDS];
	int64_t churn_leave_ms[MAX_CHURN_ROUNDS];
	int finishing;
	int exit_code;
};

static int64_t
mono_ms(void)
{
	return (int64_t)(dicap_mono_ns() / 1000000);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: dicap-nodesim --coord ADDR:PORT (-k KEYFILE | --insecure) [options]\n"
"       dicap-nodesim --inject forged|unsigned|garbage|truncated --to ADDR:PORT\n"
"                     [-k KEYFILE] [--inject-type topology|leave|join|heartbeat] [--id-base ID]\n"
"       dicap-nodesim --replay-test --coord ADDR:PORT -k KEYFILE [--id-base ID]\n"
"\n"
"Simulates --nodes N capture nodes (ids ID-BASE .. ID-BASE+N-1, one UDP\n"
"socket each): they join, heartbeat every interval (spread over it) and\n"
"assemble every TOPOLOGY; at the end (and on SIGUSR1) a JSON report goes to\n"
"stdout or to --report FILE.\n"
"\n"
"  --nodes N            simulated nodes (1..%d, default 1)\n"
"  --coord ADDR:PORT    the coordinator\n"
"  -k, --key FILE       a node credential (dicapctl keygen --role node); --insecure: none\n"
"  --duration S         run S seconds (default: until SIGINT/SIGTERM)\n"
"  --bind ADDR          local address of the node sockets (default 127.0.0.1)\n"
"  --id-base ID         first node id (default: random)\n"
"  --weight W           weight sent in JOIN (default 1)\n"
"  --heartbeat MS       join retry interval, and heartbeat interval until the\n"
"                       coordinator gives one (default 1000)\n"
"  --ts-offset-ms MS    add MS to the TIMESTAMP of every message a node sends\n"
"                       after it was accepted (a clock step; may be negative)\n"
"  --others K           members that are not simulated (default 0)\n"
"  --until-converged    exit 0 as soon as every node holds the newest epoch\n"
"                       with the complete member list (exit 2 at --duration)\n"
"  --churn R            after convergence, R times: one extra node joins, then\n"
"                       leaves; time each until every node holds the new epoch\n"
"                       (then go on until --duration, or exit with --until-converged)\n"
"  --churn-delay S      steady state before the first churn round (default 2)\n"
"  --churn-settle S     steady state between churn steps (default 2)\n"
"  --no-leave           exit without sending LEAVE (like a crash)\n"
"  --per-node           list every node in the report\n"
"  --report FILE        write the report to FILE (atomically) every second\n"
"  --inject KIND        send one hostile datagram to --to and exit:\n"
"                       forged (tag under a random key), unsigned (no tag),\n"
"                       garbage (random bytes), truncated (valid, cut short)\n"
"  --inject-type T      message forged/unsigned/truncated send (default topology)\n"
"  --count N            --inject: send N datagrams (default 1)\n"
"  --replay-test        join one node, replay its own HEARTBEAT and, after a\n"
"                       rejoin, its old LEAVE; report whether anything changed\n"
"  -v                   progress on stderr\n"
"  -h, --help           this text\n", MAX_NODES);
}

static int verbose;

static void
vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
vlog(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fprintf(stderr, "dicap-nodesim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
to_sockaddr(const struct dicap_addr *a, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(a->port);
	memcpy(&sin->sin_addr, a->addr, 4);
}

static void
parse_addr_opt(const char *opt, const char *s, struct dicap_addr *a)
{
	if (dicap_addr_parse(s, a) < 0 || a->family != 4)
		opt_fail("%s %s: expected IPV4ADDR:PORT", opt, s);
}

/* ---- topology cache ---- */

static int
topo_newer(uint32_t term, uint32_t epoch, const struct topo *t)
{
	if (!t)
		return 1;
	return term > t->term || (term == t->term && epoch > t->epoch);
}

static void
topo_free(struct topo *t)
{
	uint32_t i;

	for (i = 0; i < t->parts; i++)
		free(t->part_raw[i]);
	free(t->part_raw);
	free(t->part_len);
	free(t->members);
	free(t);
}

/* Drop unreferenced topologies beyond the newest few. */
static void
topo_gc(struct simnode_ctx *x)
{
	struct topo **tp = &x->topos, *t;
	int kept = 0;

	while ((t = *tp) != NULL) {
		if (t->holders || t->pending || t == x->newest || kept < TOPO_CACHE_KEEP) {
			kept++;
			tp = &t->next;
			continue;
		}
		*tp = t->next;
		topo_free(t);
	}
}

static struct topo *
topo_get(struct simnode_ctx *x, const struct dicap_msg *m)
{
	struct topo *t;

	for (t = x->topos; t; t = t->next)
		if (t->term == m->term && t->epoch == m->epoch)
			return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		opt_fail("out of memory");
	t->term = m->term;
	t->epoch = m->epoch;
	t->member_count = m->member_count;
	t->parts = m->parts;
	t->mode = m->mode;
	t->validity_ns = m->validity_ns;
	t->part_raw = calloc(m->parts, sizeof(*t->part_raw));
	t->part_len = calloc(m->parts, sizeof(*t->part_len));
	if (!t->part_raw || !t->part_len)
		opt_fail("out of memory");
	/* Newest first: lookups are nearly always for a recent epoch. */
	t->next = x->topos;
	x->topos = t;
	if (topo_newer(t->term, t->epoch, x->newest)) {
		x->newest = t;
		x->converged = 0;
	}
	topo_gc(x);
	return t;
}

/* Store or compare part @m->part of @t; 0, or -1 if it contradicts. */
static int
topo_add_part(struct simnode_ctx *x, struct topo *t, const struct dicap_msg *m)
{
	uint32_t len = m->n_members * DICAP_MEMBER_WIRE_LEN;
	uint32_t i, off = 0;

	if (m->parts != t->parts || m->member_count != t->member_count ||
	    m->mode != t->mode || m->validity_ns != t->validity_ns)
		return -1;
	if (t->part_raw[m->part]) {
		if (t->part_len[m->part] != len ||
		    memcmp(t->part_raw[m->part], m->members_raw, len) != 0)
			return -1;
		return 0;
	}
	t->part_raw[m->part] = malloc(len ? len : 1);
	if (!t->part_raw[m->part])
		opt_fail("out of memory");
	memcpy(t->part_raw[m->part], m->members_raw, len);
	t->part_len[m->part] = len;
	if (++t->parts_have < t->parts)
		return 0;
	for (i = 0; i < t->parts; i++)
		off += t->part_len[i] / DICAP_MEMBER_WIRE_LEN;
	if (off != t->member_count) {
		t->bad = 1;
		x->c.topo_bad++;
		return 0;
	}
	t->members = calloc(off ? off : 1, sizeof(*t->members));
	if (!t->members)
		opt_fail("out of memory");
	off = 0;
	for (i = 0; i < t->parts; i++) {
		const uint8_t *p = t->part_raw[i];
		uint32_t k, n = t->part_len[i] / DICAP_MEMBER_WIRE_LEN;

		for (k = 0; k < n; k++, p += DICAP_MEMBER_WIRE_LEN, off++) {
			t->members[off].node_id = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[2] << 8 | p[3];
			t->members[off].weight = (uint16_t)(p[4] << 8 | p[5]);
		}
	}
	for (i = 1; i < t->member_count; i++)
		if (t->members[i - 1].node_id >= t->members[i].node_id) {
			t->bad = 1;
			x->c.topo_bad++;
		}
	return 0;
}

/* ---- sending ---- */

static int
send_msg(struct simnode *n, struct dicap_msg *m, uint8_t *copy, size_t *copy_len)
{
	struct simnode_ctx *x = n->ctx;
	uint8_t buf[DICAP_CTL_MAX_LEN];
	int len;

	m->seq = ++x->seq;
	m->timestamp_ns = dicap_now_ns();
	if (n->accepted_once)
		m->timestamp_ns += (uint64_t)x->ts_offset_ns;
	DICAP_SET(m, DICAP_AVP_SEQ);
	DICAP_SET(m, DICAP_AVP_TIMESTAMP);
	memcpy(m->session, n->session, sizeof(m->session));
	DICAP_SET(m, DICAP_AVP_SESSION);
	if (n->have_coord_session) {
		memcpy(m->peer_session, n->coord_session, sizeof(m->peer_session));
		DICAP_SET(m, DICAP_AVP_PEER_SESSION);
	} else if (m->type == DICAP_MSG_JOIN) {
		/* The coordinator answers with its session, if we sent as much. */
		DICAP_SET(m, DICAP_AVP_PADDING);
		len = dicap_msg_encoded_len(m, x->keysp != NULL);
		if (len > 0 && len < DICAP_UNVERIFIED_MIN_LEN)
			m->padding_len = (uint16_t)(DICAP_UNVERIFIED_MIN_LEN - len);
	}
	len = dicap_msg_encode_keys(m, buf, sizeof(buf), x->keysp);
	if (len < 0)
		opt_fail("cannot encode %s: %s (%s)", dicap_msg_type_name(m->type),
		    dicap_msg_strerror(-len), dicap_msg_why());
	if (copy) {
		memcpy(copy, buf, (size_t)len);
		*copy_len = (size_t)len;
	}
	if (sendto(n->fd, buf, (size_t)len, 0, (struct sockaddr *)&x->coord,
	    sizeof(x->coord)) != len) {
		x->c.tx_errors++;
		return -1;
	}
	return 0;
}

static int
send_raw(struct simnode *n, const uint8_t *buf, size_t len)
{
	return sendto(n->fd, buf, len, 0, (struct sockaddr *)&n->ctx->coord,
	    sizeof(n->ctx->coord)) == (ssize_t)len ? 0 : -1;
}

static void
send_join(struct simnode *n)
{
	struct dicap_msg m = { .type = DICAP_MSG_JOIN };

	m.node_id = n->id;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	m.weight = n->ctx->weight;
	DICAP_SET(&m, DICAP_AVP_WEIGHT);
	memcpy(m.kx, n->kx_pk, sizeof(m.kx));
	DICAP_SET(&m, DICAP_AVP_KX);
	if (n->max_term) {
		m.term = n->max_term;
		DICAP_SET(&m, DICAP_AVP_TERM);
	}
	n->join_tx_ms = mono_ms();
	n->ctx->c.tx_join++;
	send_msg(n, &m, NULL, NULL);
}

static void
send_heartbeat(struct simnode *n, uint8_t *copy, size_t *copy_len)
{
	struct dicap_msg m = { .type = DICAP_MSG_HEARTBEAT };
	uint8_t counters[DICAP_COUNTER_WIRE_LEN];

	m.node_id = n->id;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	if (n->held) {
		m.epoch = n->held->epoch;
		DICAP_SET(&m, DICAP_AVP_EPOCH);
	}
	if (n->max_term) {
		m.term = n->max_term;
		DICAP_SET(&m, DICAP_AVP_TERM);
	}
	m.weight = n->ctx->weight;
	DICAP_SET(&m, DICAP_AVP_WEIGHT);
	/* One counter, so that the coordinator's counter path is exercised. */
	counters[0] = 0;
	counters[1] = 1;
	memset(counters + 2, 0, 8);
	counters[9] = (uint8_t)n->acks;
	m.counters_raw = counters;
	m.n_counters = 1;
	DICAP_SET(&m, DICAP_AVP_COUNTERS);
	n->ctx->c.tx_heartbeat++;
	send_msg(n, &m, copy, copy_len);
}

static void
send_leave(struct simnode *n, uint8_t *copy, size_t *copy_len)
{
	struct dicap_msg m = { .type = DICAP_MSG_LEAVE };

	m.node_id = n->id;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	n->ctx->c.tx_leave++;
	send_msg(n, &m, copy, copy_len);
}

static void
timer_in(struct simnode *n, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(n->timer, &tv);
}

/* ---- node state ---- */

static void check_converged(struct simnode_ctx *);

static void
node_release_pending(struct simnode *n)
{
	if (n->pending)
		n->pending->pending--;
	n->pending = NULL;
	free(n->pend_bits);
	n->pend_bits = NULL;
	n->pend_have = 0;
}

static void
node_hold(struct simnode *n, struct topo *t)
{
	struct simnode_ctx *x = n->ctx;
	uint32_t pos = (uint32_t)n->pend_position;

	if (n->held)
		n->held->holders--;
	n->held = t;
	t->holders++;
	n->held_position = pos;
	n->held_position_ok = !t->bad && n->pend_position >= 0 && pos < t->member_count &&
	    t->members[pos].node_id == n->id;
	if (!n->held_position_ok && n->intended) {
		x->c.position_bad++;
		vlog("node 0x%08x: epoch %u position %" PRId64 " is not its own",
		    n->id, t->epoch, n->pend_position);
	}
	node_release_pending(n);
	check_converged(x);
}

static void
on_topology(struct simnode *n, const struct dicap_msg *m)
{
	struct simnode_ctx *x = n->ctx;
	struct topo *t;

	x->c.rx_topology++;
	if (m->part >= m->parts || m->parts == 0) {
		x->c.rx_malformed++;
		return;
	}
	if (n->held && !topo_newer(m->term, m->epoch, n->held)) {
		if (m->term != n->held->term || m->epoch != n->held->epoch)
			x->c.rx_old_epoch++;
		return;		/* a re-send of what it holds, or older */
	}
	if (n->pending && (m->term < n->pending->term ||
	    (m->term == n->pending->term && m->epoch < n->pending->epoch))) {
		x->c.rx_old_epoch++;
		return;
	}
	t = topo_get(x, m);
	if (topo_add_part(x, t, m) < 0) {
		x->c.parts_inconsistent++;
		return;
	}
	if (n->pending != t) {
		node_release_pending(n);
		n->pending = t;
		t->pending++;
		n->pend_bits = calloc((t->parts + 63) / 64, sizeof(uint64_t));
		if (!n->pend_bits)
			opt_fail("out of memory");
		n->pend_position = -1;
	}
	if (DICAP_HAS(m, DICAP_AVP_POSITION))
		n->pend_position = m->position;
	if (!(n->pend_bits[m->part / 64] >> (m->part % 64) & 1)) {
		n->pend_bits[m->part / 64] |= 1ULL << (m->part % 64);
		n->pend_have++;
	}
	if (n->pend_have == t->parts)
		node_hold(n, t);
}

static void
on_accept(struct simnode *n, const struct dicap_msg *m)
{
	struct simnode_ctx *x = n->ctx;

	x->c.rx_accept++;
	if (m->node_id != n->id) {
		x->c.rx_unexpected++;
		return;
	}
	if (n->state != N_JOINING)
		return;		/* a duplicate, or we left meanwhile */
	n->state = N_JOINED;
	n->accepted_once = 1;
	if (DICAP_HAS(m, DICAP_AVP_HEARTBEAT_MS) && m->heartbeat_ms)
		n->hb_ms = m->heartbeat_ms;
	if (DICAP_HAS(m, DICAP_AVP_TIMEOUT_MS) && m->timeout_ms)
		n->timeout_ms = m->timeout_ms;
	n->last_ack_ms = mono_ms();
	if (n->join_tx_ms > x->last_join_tx_ms)
		x->last_join_tx_ms = n->join_tx_ms;
	if (!n->manual)
		timer_in(n, randombytes_uniform(n->hb_ms) + 1);
	check_converged(x);
}

static void
on_error(struct simnode *n, const struct dicap_msg *m)
{
	struct simnode_ctx *x = n->ctx;

	x->c.rx_error++;
	if (DICAP_HAS(m, DICAP_AVP_ERROR_TEXT))
		snprintf(x->last_error, sizeof(x->last_error), "%s", m->error_text);
	switch (m->error_code) {
	case DICAP_CTLERR_SESSION:
		/* node_rx() took the coordinator's session: join with it. */
		if (n->state == N_JOINING || (n->state == N_JOINED && !n->manual)) {
			n->state = N_JOINING;
			send_join(n);
		}
		break;
	case DICAP_CTLERR_UNKNOWN_NODE:
		x->c.rx_unknown_node++;
		n->unknown_node++;
		if (n->state == N_JOINED && !n->manual) {
			/* The coordinator lost us (restart, timeout): join again. */
			x->c.rejoins++;
			n->state = N_JOINING;
			send_join(n);
			timer_in(n, x->default_hb_ms);
		}
		break;
	case DICAP_CTLERR_ID_IN_USE:
		x->c.rx_id_in_use++;
		if (n->state == N_JOINING) {
			n->state = N_REFUSED;
			n->intended = 0;
			evtimer_del(n->timer);
			vlog("node 0x%08x refused: %s", n->id, m->error_text);
		}
		break;
	case DICAP_CTLERR_NOT_LEADER:
		x->c.rx_not_leader++;
		break;
	default:
		x->c.rx_other_error++;
		break;
	}
}

static void
node_rx(struct simnode *n, const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct simnode_ctx *x = n->ctx;
	struct dicap_msg m;
	const char *why = NULL;
	int err, v;

	x->c.rx_total++;
	if (from->sin_port != x->coord.sin_port || from->sin_addr.s_addr != x->coord.sin_addr.s_addr)
		x->c.rx_foreign++;
	x->keys.peer_mac = n->has_kx ? n->kx_rx : NULL;
	err = dicap_msg_decode_keys(buf, len, &m, x->keysp, &why);
	x->keys.peer_mac = NULL;
	if (err == DICAP_MSGERR_AUTH_MISSING || err == DICAP_MSGERR_AUTH_BAD) {
		x->c.rx_auth_fail++;
		return;
	}
	if (err) {
		x->c.rx_malformed++;
		vlog("node 0x%08x: malformed: %s", n->id, why ? why : dicap_msg_strerror(err));
		return;
	}
	if (DICAP_HAS(&m, DICAP_AVP_PEER_SESSION) &&
	    memcmp(m.peer_session, n->session, sizeof(n->session)) != 0) {
		x->c.rx_replay++;	/* for an earlier run of this node */
		return;
	}
	v = dicap_replay_check(&n->replay, m.seq, m.timestamp_ns, dicap_now_ns(), 0);
	if (v != DICAP_REPLAY_OK) {
		x->c.rx_replay++;
		return;
	}
	if (DICAP_HAS(&m, DICAP_AVP_SESSION)) {
		if (n->have_coord_session &&
		    memcmp(n->coord_session, m.session, sizeof(m.session)) != 0)
			memset(&n->replay, 0, sizeof(n->replay));	/* a new coordinator run */
		memcpy(n->coord_session, m.session, sizeof(m.session));
		n->have_coord_session = 1;
	}
	if (m.type == DICAP_MSG_ACCEPT && DICAP_HAS(&m, DICAP_AVP_KX) && x->keysp != NULL) {
		uint8_t tx[crypto_kx_SESSIONKEYBYTES];

		n->has_kx = crypto_kx_client_session_keys(n->kx_rx, tx, n->kx_pk, n->kx_sk,
		    m.kx) == 0;
	}
	if (DICAP_HAS(&m, DICAP_AVP_TERM)) {
		if (m.term < n->max_term && m.type != DICAP_MSG_ERROR) {
			x->c.rx_stale_term++;
			return;
		}
		if (m.term > n->max_term)
			n->max_term = m.term;
	}
	switch (m.type) {
	case DICAP_MSG_ACCEPT:
		on_accept(n, &m);
		break;
	case DICAP_MSG_TOPOLOGY:
		on_topology(n, &m);
		break;
	case DICAP_MSG_HEARTBEAT:
		x->c.rx_hb_ack++;
		n->acks++;
		n->last_ack_ms = mono_ms();
		break;
	case DICAP_MSG_ERROR:
		on_error(n, &m);
		break;
	default:
		x->c.rx_unexpected++;
		break;
	}
}

static void
node_readable(evutil_socket_t fd, short what, void *arg)
{
	struct simnode *n = arg;
	uint8_t buf[DICAP_CTL_MAX_LEN];
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t len;
	int i;

	(void)what;
	for (i = 0; i < 64; i++) {
		flen = sizeof(from);
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (len < 0)
			return;
		node_rx(n, buf, (size_t)len, &from);
	}
}

/* Joining: JOIN every interval until accepted.  Joined: heartbeats. */
static void
node_timer(evutil_socket_t fd, short what, void *arg)
{
	struct simnode *n = arg;
	struct simnode_ctx *x = n->ctx;

	(void)fd;
	(void)what;
	if (n->manual || x->finishing)
		return;
	switch (n->state) {
	case N_JOINING:
		send_join(n);
		timer_in(n, x->default_hb_ms);
		break;
	case N_JOINED:
		if (mono_ms() - n->last_ack_ms > (int64_t)n->timeout_ms) {
			x->c.coord_lost++;
			x->c.rejoins++;
			n->state = N_JOINING;
			n->last_ack_ms = mono_ms();
			send_join(n);
			timer_in(n, x->default_hb_ms);
			break;
		}
		send_heartbeat(n, NULL, NULL);
		timer_in(n, n->hb_ms);
		break;
	default:
		break;
	}
}

static void
node_open(struct simnode_ctx *x, struct simnode *n, const struct sockaddr_in *bind_to)
{
	n->ctx = x;
	n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		opt_fail("socket: %s (node %u; raise the open files limit?)",
		    strerror(errno), n->idx);
	if (bind(n->fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0)
		opt_fail("bind %s: %s", inet_ntoa(bind_to->sin_addr), strerror(errno));
	n->rx_ev = event_new(x->base, n->fd, EV_READ | EV_PERSIST, node_readable, n);
	n->timer = evtimer_new(x->base, node_timer, n);
	if (!n->rx_ev || !n->timer || event_add(n->rx_ev, NULL) < 0)
		opt_fail("libevent: cannot add events");
	n->hb_ms = x->default_hb_ms;
	n->timeout_ms = 3 * x->default_hb_ms;
	n->pend_position = -1;
}

/* Start joining; the first JOIN after @delay_ms. */
static void
node_start(struct simnode *n, uint32_t delay_ms)
{
	n->state = N_JOINING;
	n->intended = 1;
	n->ctx->converged = 0;
	if (delay_ms == 0) {
		send_join(n);
		timer_in(n, n->ctx->default_hb_ms);
	} else {
		timer_in(n, delay_ms);
	}
}

static void
node_leave(struct simnode *n)
{
	if (n->state == N_JOINED || n->state == N_JOINING)
		send_leave(n, NULL, NULL);
	n->state = N_LEFT;
	n->intended = 0;
	n->ctx->converged = 0;
	evtimer_del(n->timer);
}

/* ---- convergence ---- */

/*
 * Converged: every intended node is joined and holds the newest epoch,
 * whose member list is exactly our intended nodes plus --others, each
 * at the position it was told.
 */
static int
is_converged(struct simnode_ctx *x)
{
	struct topo *t = x->newest;
	uint32_t i, want = 0, ours = 0;

	if (!t || !t->members || t->bad)
		return 0;
	for (i = 0; i < x->n_alloc; i++) {
		struct simnode *n = &x->nodes[i];

		if (!n->intended)
			continue;
		want++;
		if (n->state != N_JOINED || n->held != t || !n->held_position_ok)
			return 0;
	}
	if (want == 0 || t->member_count != want + x->others)
		return 0;
	for (i = 0; i < t->member_count; i++) {
		uint32_t k = t->members[i].node_id - x->id_base;

		if (k < x->n_alloc && x->nodes[k].intended)
			ours++;
	}
	return ours == want;
}

static void
check_converged(struct simnode_ctx *x)
{
	int64_t now;

	if (x->converged || !x->newest || x->newest->holders == 0)
		return;
	if (!is_converged(x))
		return;
	now = mono_ms();
	x->converged = 1;
	x->converged_ms = now;
	if (x->convergence_ms < 0)
		x->convergence_ms = now - x->last_join_tx_ms;
	vlog("converged: term %u epoch %u, %u members, %" PRId64 " ms after the last join",
	    x->newest->term, x->newest->epoch, x->newest->member_count, now - x->last_join_tx_ms);
	if (x->until_converged && !x->churn_rounds)
		event_base_loopexit(x->base, NULL);
}

/* ---- report ---- */

static void
json_counters(FILE *f, const struct counters *c)
{
	fprintf(f, "\"tx\":{\"join\":%" PRIu64 ",\"heartbeat\":%" PRIu64 ",\"leave\":%" PRIu64
	    ",\"errors\":%" PRIu64 "},", c->tx_join, c->tx_heartbeat, c->tx_leave, c->tx_errors);
	fprintf(f, "\"rx\":{\"total\":%" PRIu64 ",\"accept\":%" PRIu64 ",\"topology\":%" PRIu64
	    ",\"heartbeat_ack\":%" PRIu64 ",\"error\":%" PRIu64 ",\"unknown_node\":%" PRIu64
	    ",\"id_in_use\":%" PRIu64 ",\"not_leader\":%" PRIu64 ",\"other_error\":%" PRIu64
	    ",\"malformed\":%" PRIu64 ",\"auth_fail\":%" PRIu64 ",\"replay\":%" PRIu64
	    ",\"stale_term\":%" PRIu64 ",\"old_epoch\":%" PRIu64 ",\"foreign\":%" PRIu64
	    ",\"unexpected\":%" PRIu64 "},",
	    c->rx_total, c->rx_accept, c->rx_topology, c->rx_hb_ack, c->rx_error,
	    c->rx_unknown_node, c->rx_id_in_use, c->rx_not_leader, c->rx_other_error,
	    c->rx_malformed, c->rx_auth_fail, c->rx_replay, c->rx_stale_term,
	    c->rx_old_epoch, c->rx_foreign, c->rx_unexpected);
	fprintf(f, "\"parts_inconsistent\":%" PRIu64 ",\"topology_bad\":%" PRIu64
	    ",\"position_bad\":%" PRIu64 ",\"rejoins\":%" PRIu64 ",\"coord_lost\":%" PRIu64,
	    c->parts_inconsistent, c->topo_bad, c->position_bad, c->rejoins, c->coord_lost);
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
write_report(struct simnode_ctx *x, FILE *f)
{
	uint32_t i, joined = 0, intended = 0, holding = 0, pos_ok = 0, refused = 0;
	uint32_t same = 1;
	struct topo *t = x->newest, *first = NULL;
	int r;

	for (i = 0; i < x->n_alloc; i++) {
		struct simnode *n = &x->nodes[i];

		refused += n->state == N_REFUSED;
		if (!n->intended)
			continue;
		intended++;
		joined += n->state == N_JOINED;
		holding += t && n->held == t;
		pos_ok += n->held && n->held_position_ok;
		if (!first)
			first = n->held;
		else if (n->held != first)
			same = 0;
	}
	fprintf(f, "{\"nodes\":%u,\"id_base\":\"0x%08x\",\"intended\":%u,\"joined\":%u,"
	    "\"refused\":%u,\"elapsed_ms\":%" PRId64 ",",
	    x->n_nodes, x->id_base, intended, joined, refused, mono_ms() - x->start_ms);
	if (t)
		fprintf(f, "\"newest\":{\"term\":%u,\"epoch\":%u,\"member_count\":%u,"
		    "\"mode\":%u,\"complete\":%s},", t->term, t->epoch, t->member_count, t->mode,
		    t->members && !t->bad ? "true" : "false");
	else
		fprintf(f, "\"newest\":null,");
	fprintf(f, "\"holding_newest\":%u,\"all_same_epoch\":%s,\"positions_ok\":%u,",
	    holding, same && first ? "true" : "false", pos_ok);
	r = is_converged(x);
	fprintf(f, "\"converged\":%s,", r ? "true" : "false");
	if (x->convergence_ms >= 0)
		fprintf(f, "\"convergence_ms\":%" PRId64 ",", x->convergence_ms);
	else
		fprintf(f, "\"convergence_ms\":null,");
	if (x->churn_rounds) {
		fprintf(f, "\"churn\":{\"rounds\":%d,\"started\":%s,\"done\":%s,\"join_ms\":[",
		    x->churn_round, x->churn_phase > 0 ? "true" : "false",
		    x->churn_phase == 5 ? "true" : "false");
		for (r = 0; r < x->churn_round && r < MAX_CHURN_ROUNDS; r++)
			fprintf(f, "%s%" PRId64, r ? "," : "", x->churn_join_ms[r]);
		fprintf(f, "],\"leave_ms\":[");
		for (r = 0; r < x->churn_round && r < MAX_CHURN_ROUNDS; r++)
			fprintf(f, "%s%" PRId64, r ? "," : "", x->churn_leave_ms[r]);
		fprintf(f, "]},");
	}
	fprintf(f, "\"last_error\":");
	json_string(f, x->last_error);
	fputc(',', f);
	json_counters(f, &x->c);
	if (x->per_node) {
		fprintf(f, ",\"per_node\":[");
		for (i = 0, r = 0; i < x->n_alloc; i++) {
			struct simnode *n = &x->nodes[i];

			if (n->state == N_IDLE)
				continue;
			fprintf(f, "%s{\"id\":\"0x%08x\",\"state\":\"%s\",\"acks\":%u,", r++ ? "," : "",
			    n->id, state_names[n->state], n->acks);
			if (n->held)
				fprintf(f, "\"term\":%u,\"epoch\":%u,\"members\":%u,\"position\":%u,"
				    "\"position_ok\":%s}", n->held->term, n->held->epoch,
				    n->held->member_count, n->held_position,
				    n->held_position_ok ? "true" : "false");
			else
				fprintf(f, "\"term\":null,\"epoch\":null}");
		}
		fputc(']', f);
	}
	fprintf(f, "}\n");
}

static void
emit_report(struct simnode_ctx *x)
{
	char tmp[4096];
	FILE *f;

	if (!x->report_path) {
		write_report(x, stdout);
		fflush(stdout);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", x->report_path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "dicap-nodesim: %s: %s\n", tmp, strerror(errno));
		return;
	}
	write_report(x, f);
	if (fclose(f) == 0)
		rename(tmp, x->report_path);
}

/* ---- the run ---- */

static void
churn_step(struct simnode_ctx *x)
{
	struct simnode *extra = &x->nodes[x->n_nodes];
	int64_t now = mono_ms();

	switch (x->churn_phase) {
	case 0:		/* wait for the first convergence, then settle */
	case 2:
	case 4:
		if (!x->converged || now - x->converged_ms <
		    (x->churn_phase == 0 ? x->churn_delay_ms : x->churn_settle_ms))
			return;
		if (x->churn_phase == 4 && ++x->churn_round >= x->churn_rounds) {
			x->churn_phase = 5;
			vlog("churn: %d rounds done", x->churn_round);
			if (x->until_converged)
				event_base_loopexit(x->base, NULL);
			return;
		}
		if (x->churn_phase == 2) {
			x->churn_phase = 3;
			x->churn_t0 = mono_ms();
			vlog("churn %d: node 0x%08x leaves", x->churn_round, extra->id);
			node_leave(extra);
			return;
		}
		x->churn_phase = 1;
		memset(&extra->replay, 0, sizeof(extra->replay));
		if (extra->held)
			extra->held->holders--;
		extra->held = NULL;
		x->churn_t0 = mono_ms();
		vlog("churn %d: node 0x%08x joins", x->churn_round, extra->id);
		node_start(extra, 0);
		return;
	case 1:
		if (!x->converged)
			return;
		x->churn_join_ms[x->churn_round] = x->converged_ms - x->churn_t0;
		vlog("churn %d: join took %" PRId64 " ms", x->churn_round,
		    x->churn_join_ms[x->churn_round]);
		x->churn_phase = 2;
		return;
	case 3:
		if (!x->converged)
			return;
		x->churn_leave_ms[x->churn_round] = x->converged_ms - x->churn_t0;
		vlog("churn %d: leave took %" PRId64 " ms", x->churn_round,
		    x->churn_leave_ms[x->churn_round]);
		x->churn_phase = 4;
		return;
	default:
		return;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct simnode_ctx *x = arg;
	static int64_t last_report;
	uint32_t i, live = 0;

	(void)fd;
	(void)what;
	if (!x->converged)
		check_converged(x);
	if (x->churn_rounds)
		churn_step(x);
	for (i = 0; i < x->n_alloc; i++)
		live += x->nodes[i].state != N_REFUSED && x->nodes[i].state != N_IDLE;
	if (live == 0 && !x->churn_rounds) {
		x->exit_code = 3;	/* every node was refused */
		event_base_loopexit(x->base, NULL);
	}
	if (x->report_path && mono_ms() - last_report >= REPORT_EVERY_MS) {
		last_report = mono_ms();
		emit_report(x);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct simnode_ctx *x = arg;

	(void)what;
	if (sig == SIGUSR1) {
		emit_report(x);
		return;
	}
	event_base_loopexit(x->base, NULL);
}

static void
on_duration(evutil_socket_t fd, short what, void *arg)
{
	struct simnode_ctx *x = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(x->base);
}

static void
raise_fd_limit(uint32_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need <= rl.rlim_max ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < need)
		opt_fail("%u nodes need %u open files; the limit is %llu", need - 64, need,
		    (unsigned long long)rl.rlim_cur);
}

static void
ctx_setup(struct simnode_ctx *x, uint32_t n_alloc, const char *bind_addr)
{
	struct sockaddr_in sin;
	uint32_t i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, bind_addr, &sin.sin_addr) != 1)
		opt_fail("--bind %s: not an IPv4 address", bind_addr);
	raise_fd_limit(n_alloc + 64);
	x->base = event_base_new();
	if (!x->base)
		opt_fail("event_base_new failed");
	x->n_alloc = n_alloc;
	x->nodes = calloc(n_alloc, sizeof(*x->nodes));
	if (!x->nodes)
		opt_fail("out of memory");
	for (i = 0; i < n_alloc; i++) {
		x->nodes[i].idx = i;
		x->nodes[i].id = x->id_base + i;
		randombytes_buf(x->nodes[i].session, sizeof(x->nodes[i].session));
		crypto_kx_keypair(x->nodes[i].kx_pk, x->nodes[i].kx_sk);
		node_open(x, &x->nodes[i], &sin);
	}
	x->seq = dicap_seq_start();
	x->start_ms = mono_ms();
}

static int
run_sim(struct simnode_ctx *x, uint32_t duration_s)
{
	struct event *sig_int, *sig_term, *sig_usr1, *ticker, *stop = NULL;
	struct timeval tv_tick = { 0, 100000 }, tv_stop = { duration_s, 0 };
	uint32_t i;

	sig_int = evsignal_new(x->base, SIGINT, on_signal, x);
	sig_term = evsignal_new(x->base, SIGTERM, on_signal, x);
	sig_usr1 = evsignal_new(x->base, SIGUSR1, on_signal, x);
	ticker = event_new(x->base, -1, EV_PERSIST, tick, x);
	if (!sig_int || !sig_term || !sig_usr1 || !ticker)
		opt_fail("libevent: cannot create events");
	event_add(sig_int, NULL);
	event_add(sig_term, NULL);
	event_add(sig_usr1, NULL);
	event_add(ticker, &tv_tick);
	if (duration_s) {
		stop = evtimer_new(x->base, on_duration, x);
		evtimer_add(stop, &tv_stop);
	}
	/* Spread the first JOINs over one interval, as nodes booting at random. */
	for (i = 0; i < x->n_nodes; i++)
		node_start(&x->nodes[i], x->n_nodes == 1 ? 0 :
		    (uint32_t)((uint64_t)i * x->default_hb_ms / x->n_nodes) + 1);
	event_base_dispatch(x->base);

	x->finishing = 1;
	if (x->until_converged && !x->converged && !x->exit_code)
		x->exit_code = 2;
	/* The report describes the cluster as it ran, before the LEAVEs. */
	emit_report(x);
	if (x->leave_at_end)
		for (i = 0; i < x->n_alloc; i++)
			if (x->nodes[i].state == N_JOINED)
				node_leave(&x->nodes[i]);
	return x->exit_code;
}

/* ---- one-shot injection ---- */

static int
build_inject(const char *type, uint32_t node_id, struct dicap_msg *m,
    struct dicap_member *member)
{
	memset(m, 0, sizeof(*m));
	randombytes_buf(m->session, sizeof(m->session));
	randombytes_buf(m->peer_session, sizeof(m->peer_session));
	m->seq = dicap_seq_start();
	m->timestamp_ns = dicap_now_ns();
	DICAP_SET(m, DICAP_AVP_SEQ);
	DICAP_SET(m, DICAP_AVP_TIMESTAMP);
	m->node_id = node_id;
	if (strcmp(type, "topology") == 0) {
		/*
		 * What an attacker wants: a newer term and epoch in which a
		 * single unknown node owns everything, valid at once.
		 */
		m->type = DICAP_MSG_TOPOLOGY;
		m->term = 1000000;
		m->epoch = 1000000;
		m->mode = DICAP_MODE_FLOW;
		m->validity_ns = dicap_now_ns();
		member->node_id = node_id;
		member->weight = 1;
		m->members = member;
		m->n_members = 1;
		m->part = 0;
		m->parts = 1;
		m->member_count = 1;
		m->position = 0;
		DICAP_SET(m, DICAP_AVP_TERM);
		DICAP_SET(m, DICAP_AVP_EPOCH);
		DICAP_SET(m, DICAP_AVP_SELECT);
		DICAP_SET(m, DICAP_AVP_SELECT_FLAGS);
		DICAP_SET(m, DICAP_AVP_VALIDITY);
		DICAP_SET(m, DICAP_AVP_MEMBERS);
		DICAP_SET(m, DICAP_AVP_PART);
		DICAP_SET(m, DICAP_AVP_MEMBER_COUNT);
		DICAP_SET(m, DICAP_AVP_POSITION);
		return 0;
	}
	DICAP_SET(m, DICAP_AVP_NODE_ID);
	DICAP_SET(m, DICAP_AVP_SESSION);
	DICAP_SET(m, DICAP_AVP_PEER_SESSION);
	if (strcmp(type, "leave") == 0) {
		m->type = DICAP_MSG_LEAVE;
	} else if (strcmp(type, "join") == 0) {
		m->type = DICAP_MSG_JOIN;
		m->weight = 65535;
		DICAP_SET(m, DICAP_AVP_WEIGHT);
	} else if (strcmp(type, "heartbeat") == 0) {
		m->type = DICAP_MSG_HEARTBEAT;
		m->epoch = 1000000;
		DICAP_SET(m, DICAP_AVP_EPOCH);
	} else {
		return -1;
	}
	return 0;
}

static int
run_inject(const char *kind, const char *type, const struct dicap_addr *to,
    const struct dicap_keys *keys, uint32_t node_id, uint32_t count, const char *bind_addr)
{
	uint8_t buf[DICAP_CTL_MAX_LEN], wrong[DICAP_AUTH_KEY_LEN];
	struct sockaddr_in sin, local;
	struct dicap_member member;
	struct dicap_msg m;
	uint32_t i;
	int fd, len;

	to_sockaddr(to, &sin);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		opt_fail("socket: %s", strerror(errno));
	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	if (inet_pton(AF_INET, bind_addr, &local.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		opt_fail("--bind %s: %s", bind_addr, strerror(errno));
	randombytes_buf(wrong, sizeof(wrong));
	for (i = 0; i < count; i++) {
		if (strcmp(kind, "garbage") == 0) {
			len = 16 + (int)randombytes_uniform(200);
			randombytes_buf(buf, (size_t)len);
			if (i % 2)	/* half of them look like a header */
				buf[0] = DICAP_CTL_VERSION;
		} else {
			if (build_inject(type, node_id, &m, &member) < 0)
				opt_fail("--inject-type %s: expected topology, leave, join "
				    "or heartbeat", type);
			m.seq += i;
			if (strcmp(kind, "forged") == 0)
				len = dicap_msg_encode(&m, buf, sizeof(buf), wrong);
			else if (strcmp(kind, "unsigned") == 0)
				len = dicap_msg_encode(&m, buf, sizeof(buf), NULL);
			else if (strcmp(kind, "truncated") == 0) {
				len = dicap_msg_encode_keys(&m, buf, sizeof(buf), keys);
				/* A node key signs no TOPOLOGY: a tag of it, cut anyway. */
				if (len == -DICAP_MSGERR_AUTH_NOKEY)
					len = dicap_msg_encode(&m, buf, sizeof(buf), keys->node);
			}
			else
				opt_fail("--inject %s: expected forged, unsigned, garbage or truncated",
				    kind);
			if (len < 0)
				opt_fail("cannot encode: %s (%s)",
				    dicap_msg_strerror(-len), dicap_msg_why());
			if (strcmp(kind, "truncated") == 0)
				len = i % 2 ? DICAP_CTL_HDR_LEN - 1 : len / 2;
		}
		if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sin, sizeof(sin)) != len)
			opt_fail("sendto: %s", strerror(errno));
	}
	close(fd);
	printf("{\"inject\":\"%s\",\"type\":\"%s\",\"sent\":%u}\n", kind,
	    strcmp(kind, "garbage") == 0 ? "-" : type, count);
	return 0;
}

/* ---- replay test ---- */

/* Run the event loop for @ms milliseconds. */
static void
pump(struct simnode_ctx *x, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(x->base, &tv);
	event_base_dispatch(x->base);
}

/* Pump until *@flag changes from @old or @ms pass; 1 if it changed. */
static int
pump_until_changed(struct simnode_ctx *x, const uint32_t *flag, uint32_t old, uint32_t ms)
{
	int64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		if (*flag != old)
			return 1;
		pump(x, 20);
	}
	return *flag != old;
}

static int
holds_self(const struct simnode *n)
{
	return n->held && n->held_position_ok;
}

static int
pump_until_holds(struct simnode_ctx *x, struct simnode *n, uint32_t after_epoch, uint32_t ms)
{
	int64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		if (holds_self(n) && n->held->epoch > after_epoch)
			return 1;
		pump(x, 20);
	}
	return 0;
}

static int
rt_join(struct simnode_ctx *x, struct simnode *n)
{
	uint32_t epoch = n->held ? n->held->epoch : 0;
	int64_t end = mono_ms() + 5000;

	n->state = N_JOINING;
	n->intended = 1;
	while (n->state != N_JOINED && mono_ms() < end) {
		send_join(n);
		pump(x, 300);
	}
	if (n->state != N_JOINED)
		return 0;
	return pump_until_holds(x, n, epoch, 5000);
}

/*
 * A legitimate node records its own HEARTBEAT and LEAVE, then sends them
 * again verbatim: the heartbeat replay must not be acknowledged, and the
 * LEAVE replayed after the node rejoined must not remove it.
 */
static int
run_replay_test(struct simnode_ctx *x)
{
	static uint8_t hb[DICAP_CTL_MAX_LEN], lv[DICAP_CTL_MAX_LEN];
	struct simnode *n = &x->nodes[0];
	size_t hb_len = 0, lv_len = 0;
	int joined, hb_acked, hb_replay_acked, left, rejoined;
	int leave_replay_ignored, still_member;
	uint32_t acks, unknown, epoch;
	int64_t wait;

	n->manual = 1;
	joined = rt_join(x, n);
	if (!joined)
		goto report;
	acks = n->acks;
	send_heartbeat(n, hb, &hb_len);
	hb_acked = pump_until_changed(x, &n->acks, acks, 2000);
	acks = n->acks;
	if (send_raw(n, hb, hb_len) < 0)
		opt_fail("sendto: %s", strerror(errno));
	hb_replay_acked = pump_until_changed(x, &n->acks, acks, 1000);

	/* A real LEAVE, recorded, and proof that it removed the node. */
	unknown = n->unknown_node;
	send_leave(n, lv, &lv_len);
	n->state = N_LEFT;
	pump(x, 300);
	send_heartbeat(n, NULL, NULL);
	left = pump_until_changed(x, &n->unknown_node, unknown, 2000);

	rejoined = rt_join(x, n);
	if (!rejoined)
		goto report;
	epoch = n->held->epoch;
	unknown = n->unknown_node;
	if (send_raw(n, lv, lv_len) < 0)
		opt_fail("sendto: %s", strerror(errno));
	/* Give a wrongly accepted LEAVE time to take effect: two intervals. */
	wait = 2 * (int64_t)n->hb_ms;
	pump(x, (uint32_t)(wait < 500 ? 500 : wait));
	acks = n->acks;
	send_heartbeat(n, NULL, NULL);
	still_member = pump_until_changed(x, &n->acks, acks, 2000) &&
	    n->unknown_node == unknown;
	leave_replay_ignored = still_member && n->held && n->held->epoch == epoch;

	printf("{\"node_id\":\"0x%08x\",\"joined\":true,\"heartbeat_acked\":%s,"
	    "\"heartbeat_replay_acked\":%s,\"leave_removed\":%s,\"rejoined\":true,"
	    "\"still_member_after_leave_replay\":%s,\"leave_replay_ignored\":%s,"
	    "\"epoch\":%u,\"epoch_after\":%u,",
	    n->id, hb_acked ? "true" : "false", hb_replay_acked ? "true" : "false",
	    left ? "true" : "false", still_member ? "true" : "false",
	    leave_replay_ignored ? "true" : "false", epoch, n->held ? n->held->epoch : 0);
	json_counters(stdout, &x->c);
	printf("}\n");
	fflush(stdout);
	send_leave(n, NULL, NULL);
	return hb_acked && !hb_replay_acked && left && still_member && leave_replay_ignored ? 0 : 1;
report:
	printf("{\"node_id\":\"0x%08x\",\"joined\":%s,\"rejoined\":false,"
	    "\"error\":\"could not (re)join within 5 s\",", n->id, joined ? "true" : "false");
	json_counters(stdout, &x->c);
	printf("}\n");
	return 1;
}

int
main(int argc, char **argv)
{
	enum {
		O_NODES = 256, O_COORD, O_DURATION, O_BIND, O_ID_BASE, O_WEIGHT, O_HEARTBEAT,
		O_TS_OFFSET, O_OTHERS, O_UNTIL, O_CHURN, O_NO_LEAVE, O_PER_NODE, O_REPORT,
		O_CHURN_DELAY, O_CHURN_SETTLE, O_INJECT, O_INJECT_TYPE, O_TO, O_COUNT, O_REPLAY, O_INSECURE,
	};
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, O_NODES },
		{ "coord", required_argument, NULL, O_COORD },
		{ "key", required_argument, NULL, 'k' },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "bind", required_argument, NULL, O_BIND },
		{ "id-base", required_argument, NULL, O_ID_BASE },
		{ "weight", required_argument, NULL, O_WEIGHT },
		{ "heartbeat", required_argument, NULL, O_HEARTBEAT },
		{ "ts-offset-ms", required_argument, NULL, O_TS_OFFSET },
		{ "others", required_argument, NULL, O_OTHERS },
		{ "until-converged", no_argument, NULL, O_UNTIL },
		{ "churn", required_argument, NULL, O_CHURN },
		{ "churn-delay", required_argument, NULL, O_CHURN_DELAY },
		{ "churn-settle", required_argument, NULL, O_CHURN_SETTLE },
		{ "no-leave", no_argument, NULL, O_NO_LEAVE },
		{ "per-node", no_argument, NULL, O_PER_NODE },
		{ "report", required_argument, NULL, O_REPORT },
		{ "inject", required_argument, NULL, O_INJECT },
		{ "inject-type", required_argument, NULL, O_INJECT_TYPE },
		{ "to", required_argument, NULL, O_TO },
		{ "count", required_argument, NULL, O_COUNT },
		{ "replay-test", no_argument, NULL, O_REPLAY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct simnode_ctx x;
	const char *key_path = NULL, *coord = NULL, *inject = NULL, *to = NULL;
	const char *inject_type = "topology", *bind_addr = "127.0.0.1";
	uint32_t nodes = 1, duration = 0, id_base = 0, count = 1, v;
	int have_id_base = 0, insecure = 0, replay_test = 0, ch;
	struct dicap_addr to_addr;
	char err[256];
	long long off;
	char *end;

	opt_program("dicap-nodesim", NULL, 1);
	x.weight = 1;
	x.default_hb_ms = 1000;
	x.convergence_ms = -1;
	x.churn_delay_ms = CHURN_SETTLE_MS;
	x.churn_settle_ms = CHURN_SETTLE_MS;
	x.leave_at_end = 1;
	while ((ch = getopt_long(argc, argv, "hk:v", opts, NULL)) != -1) {
		switch (ch) {
		case O_NODES:
			if (opt_parse_u32(optarg, 1, MAX_NODES, &nodes) != OPT_OK)
				opt_fail("--nodes %s: expected 1..%d", optarg, MAX_NODES);
			break;
		case O_COORD:
			coord = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case O_INSECURE:
			insecure = 1;
			break;
		case O_DURATION:
			if (opt_parse_u32(optarg, 1, 86400, &duration) != OPT_OK)
				opt_fail("--duration %s: expected 1..86400 seconds", optarg);
			break;
		case O_BIND:
			bind_addr = optarg;
			break;
		case O_ID_BASE:
			if (opt_parse_u32(optarg, 1, UINT32_MAX, &id_base) != OPT_OK)
				opt_fail("--id-base %s: expected a 32-bit id other than 0", optarg);
			have_id_base = 1;
			break;
		case O_WEIGHT:
			if (opt_parse_u32(optarg, 1, DICAP_MAX_WEIGHT, &v) != OPT_OK)
				opt_fail("--weight %s: expected 1..%d", optarg, DICAP_MAX_WEIGHT);
			x.weight = (uint16_t)v;
			break;
		case O_HEARTBEAT:
			if (opt_parse_u32(optarg, 10, DICAP_INTERVAL_MS_MAX,
			    &x.default_hb_ms) != OPT_OK)
				opt_fail("--heartbeat %s: expected 10..%d ms", optarg,
				    DICAP_INTERVAL_MS_MAX);
			break;
		case O_TS_OFFSET:
			errno = 0;
			off = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || off < -86400000LL * 365 ||
			    off > 86400000LL * 365)
				opt_fail("--ts-offset-ms %s: expected milliseconds within a year",
				    optarg);
			x.ts_offset_ns = off * 1000000LL;
			break;
		case O_OTHERS:
			if (opt_parse_u32(optarg, 0, MAX_NODES, &x.others) != OPT_OK)
				opt_fail("--others %s: expected 0..%d", optarg, MAX_NODES);
			break;
		case O_UNTIL:
			x.until_converged = 1;
			break;
		case O_CHURN:
			if (opt_parse_u32(optarg, 1, MAX_CHURN_ROUNDS, &v) != OPT_OK)
				opt_fail("--churn %s: expected 1..%d rounds",
				    optarg, MAX_CHURN_ROUNDS);
			x.churn_rounds = (int)v;
			break;
		case O_CHURN_DELAY:
			if (opt_parse_u32(optarg, 0, 86400, &v) != OPT_OK)
				opt_fail("--churn-delay %s: expected 0..86400 seconds", optarg);
			x.churn_delay_ms = (int64_t)v * 1000;
			break;
		case O_CHURN_SETTLE:
			if (opt_parse_u32(optarg, 0, 3600, &v) != OPT_OK)
				opt_fail("--churn-settle %s: expected 0..3600 seconds", optarg);
			x.churn_settle_ms = (int64_t)v * 1000;
			break;
		case O_NO_LEAVE:
			x.leave_at_end = 0;
			break;
		case O_PER_NODE:
			x.per_node = 1;
			break;
		case O_REPORT:
			x.report_path = optarg;
			break;
		case O_INJECT:
			inject = optarg;
			break;
		case O_INJECT_TYPE:
			inject_type = optarg;
			break;
		case O_TO:
			to = optarg;
			break;
		case O_COUNT:
			if (opt_parse_u32(optarg, 1, 100000, &count) != OPT_OK)
				opt_fail("--count %s: expected 1..100000", optarg);
			break;
		case O_REPLAY:
			replay_test = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc)
		opt_fail("unexpected argument '%s' (see --help)", argv[optind]);
	if (sodium_init() < 0)
		opt_fail("libsodium failed to initialise");
	if (!have_id_base)
		id_base = (randombytes_random() | 0x01000000) & 0x7fff0000;
	if ((uint64_t)id_base + nodes + 1 > UINT32_MAX)
		opt_fail("--id-base 0x%08x: %u nodes run past 0xffffffff", id_base, nodes);
	if (key_path && insecure)
		opt_fail("-k and --insecure exclude each other");
	if (key_path && dicap_cred_load(key_path, DICAP_ROLE_NODE, &x.keys, err, sizeof(err)) < 0)
		opt_fail("%s", err);
	x.keysp = key_path ? &x.keys : NULL;

	if (inject) {
		if (!to)
			opt_fail("--inject needs --to ADDR:PORT");
		parse_addr_opt("--to", to, &to_addr);
		if (strcmp(inject, "truncated") == 0 && !key_path)
			opt_fail("--inject truncated needs -k (a valid message is cut short)");
		return run_inject(inject, inject_type, &to_addr, x.keysp, id_base, count, bind_addr);
	}
	if (!coord)
		opt_fail("--coord ADDR:PORT is required (see --help)");
	if (!key_path && !insecure)
		opt_fail("no key: give -k KEYFILE, or --insecure to run without authentication");
	parse_addr_opt("--coord", coord, &x.coord_addr);
	to_sockaddr(&x.coord_addr, &x.coord);
	x.id_base = id_base;
	if (replay_test) {
		x.n_nodes = 1;
		ctx_setup(&x, 1, bind_addr);
		return run_replay_test(&x);
	}
	x.n_nodes = nodes;
	ctx_setup(&x, nodes + (x.churn_rounds ? 1 : 0), bind_addr);
	return run_sim(&x, duration);
}
