/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Batch decoding and accounting.  A batch is checked whole by the strict
 * decoder before any record is used: malformed input is counted against
 * the address it came from (and against the node, when the header was
 * valid enough to name one) and never reaches the output.  An accepted
 * batch goes through its node's sequence window, which drops duplicates;
 * its records then enter the reorder window.
 *
 * Nothing here is authenticated (issue 14), so every table and every
 * number a batch can move is bounded: at most ANA_MAX_NODES node ids are
 * tracked, and a node silent for --node-timeout seconds (ANA_FULL_NODE_TIMEOUT
 * while the table is full) is forgotten, its counters kept in the totals,
 * so that forged ids lock real nodes out for seconds, not for good; a
 * sequence jump is trusted as loss only within SEQWIN_GAP_MAX (seqwin.h);
 * a record stamped more than --max-clock-skew away from this host's clock
 * is refused, as one far-future stamp would otherwise end the reorder
 * window (reorder.c's T) and -G rotation for everything after it.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "batch.h"
#include "log.h"
#include "replay.h"

#define MALFORMED_LOG_FIRST	5	/* per sender; then every ... */
#define MALFORMED_LOG_EVERY	1000
#define REFUSED_LOG_NS		(10 * NS_PER_SEC)	/* "table full" at most this often */

/* NULL when the table is full: forged node ids must not exhaust memory. */
static struct node *
node_get(struct analyzer *a, uint32_t id, const struct sender *s, uint64_t now)
{
	struct node *n;

	HASH_FIND(hh, a->nodes, &id, sizeof(id), n);
	if (n == NULL) {
		if (HASH_COUNT(a->nodes) >= ANA_MAX_NODES) {
			a->ctr.nodes_refused++;
			if (a->ctr.nodes_refused == 1 ||
			    a->now_mono - a->refused_logged_mono >= REFUSED_LOG_NS) {
				log_warnx("%s: node 0x%08x is one too many (at most %d): "
				    "batches of new nodes are dropped until silent ones "
				    "expire (%llu more refused since the last such line)",
				    s->name, id, ANA_MAX_NODES,
				    (unsigned long long)a->refused_unlogged);
				a->refused_logged_mono = a->now_mono;
				a->refused_unlogged = 0;
			} else
				a->refused_unlogged++;
			return NULL;
		}
		if ((n = calloc(1, sizeof(*n))) == NULL)
			fatal("node table");
		n->id = id;
		seqwin_init(&n->seq);
		n->first_seen_ns = now;
		HASH_ADD(hh, a->nodes, id, sizeof(n->id), n);
		log_info("node 0x%08x: first batch from %s", id, s->name);
	}
	n->last_seen_ns = now;
	n->last_mono = a->now_mono;
	if (strcmp(n->addr, s->name) != 0) {
		if (n->addr[0])
			log_info("node 0x%08x: now sending from %s (was %s)", id, s->name,
			    n->addr);
		snprintf(n->addr, sizeof(n->addr), "%s", s->name);
	}
	return n;
}

void
sender_name(const struct sender_key *k, char *buf, size_t len)
{
	struct dicap_addr a;
	char ab[DICAP_ADDR_STRLEN];
	const char *t = k->transport == ANA_T_TCP ? "tcp" : "udp";

	if (k->family == 0) {
		snprintf(buf, len, "%s other", t);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.family = k->family;
	a.port = k->port;
	memcpy(a.addr, k->addr, sizeof(a.addr));
	if (dicap_addr_format(&a, ab, sizeof(ab)) == NULL)
		snprintf(ab, sizeof(ab), "(bad address)");
	snprintf(buf, len, "%s %s", t, ab);
}

struct sender *
sender_get(struct analyzer *a, const struct sender_key *key)
{
	struct sender_key other;
	struct sender *s;

	HASH_FIND(hh, a->senders, key, sizeof(*key), s);
	if (s != NULL)
		return s;
	if (a->sender_count >= ANA_MAX_SENDERS) {
		/* A flood of source addresses must not grow the table. */
		memset(&other, 0, sizeof(other));
		other.transport = key->transport;
		HASH_FIND(hh, a->senders, &other, sizeof(other), s);
		if (s != NULL)
			return s;
		key = &other;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("sender table");
	s->key = *key;
	sender_name(key, s->name, sizeof(s->name));
	s->first_seen_ns = dicap_now_ns();
	HASH_ADD(hh, a->senders, key, sizeof(s->key), s);
	a->sender_count++;
	return s;
}

void
sender_malformed(struct analyzer *a, struct sender *s, const char *why)
{
	s->malformed++;
	s->last_seen_ns = dicap_now_ns();
	a->ctr.malformed++;
	snprintf(s->last_error, sizeof(s->last_error), "%s", why);
	if (s->malformed <= MALFORMED_LOG_FIRST || s->malformed % MALFORMED_LOG_EVERY == 0)
		log_warnx("%s: malformed input (%llu so far): %s", s->name,
		    (unsigned long long)s->malformed, why);
}

static void
count_sequence(struct node *n, const struct dicap_batch_hdr *h, enum seq_verdict v,
    uint64_t jump)
{
	switch (v) {
	case SEQ_FIRST:
		n->first_seq = h->seq;
		break;
	case SEQ_GAP:
		n->gap_events++;
		log_debug("node 0x%08x: seq %u after %u: %llu batches missing", n->id,
		    h->seq, n->last_seq, (unsigned long long)jump);
		break;
	case SEQ_LATE:
		n->out_of_order++;
		break;
	case SEQ_RESTART:
		n->restarts++;
		n->first_seq = h->seq;
		log_info("node 0x%08x: stream restarts at seq %u (last seq %u)", n->id,
		    h->seq, n->last_seq);
		break;
	case SEQ_RESET:
		n->first_seq = h->seq;
		if (n->seq.out_of_window <= MALFORMED_LOG_FIRST ||
		    n->seq.out_of_window % MALFORMED_LOG_EVERY == 0)
			log_warnx("node 0x%08x: seq %u is out of the window (last seq %u, "
			    "%llu so far): the stream is reset there, no loss counted",
			    n->id, h->seq, n->last_seq,
			    (unsigned long long)n->seq.out_of_window);
		break;
	case SEQ_NEXT:
	case SEQ_DUP:
		break;
	}
	if (v != SEQ_LATE && v != SEQ_DUP)
		n->last_seq = h->seq;
}

static void
ts_refused(struct analyzer *a, struct node *n, uint64_t ts)
{
	int future = ts > a->now_ns;

	if (future)
		a->ctr.ts_future++;
	else
		a->ctr.ts_past++;
	if (n->ts_refused++ < MALFORMED_LOG_FIRST ||
	    n->ts_refused % MALFORMED_LOG_EVERY == 0)
		log_warnx("node 0x%08x: a record stamped %llu s %s this host's clock is "
		    "refused (--max-clock-skew %u; %llu so far)", n->id,
		    (unsigned long long)((future ? ts - a->now_ns : a->now_ns - ts) /
		    NS_PER_SEC), future ? "ahead of" : "behind", a->conf.clock_skew,
		    (unsigned long long)n->ts_refused);
}

static void
records_in(struct analyzer *a, struct node *n, const uint8_t *buf, size_t len,
    const struct dicap_batch_hdr *h)
{
	struct dicap_batch_rec r;
	size_t off = DICAP_BATCH_HDR_LEN;
	uint64_t skew = a->conf.clock_skew * NS_PER_SEC, lo = 0, span = UINT64_MAX;
	uint32_t caplen;

	if (h->linktype != a->conf.linktype) {
		if (n->linktype_mismatch == 0)
			log_warnx("node 0x%08x: link type %u, the output has %u: records "
			    "not written", n->id, h->linktype, a->conf.linktype);
		n->linktype_mismatch += h->count;
		return;
	}
	if (skew != 0) {
		lo = a->now_ns > skew ? a->now_ns - skew : 0;
		span = a->now_ns + skew - lo;
	}
	while (dicap_batch_next(buf, len, &off, &r)) {
		if (r.ts_ns - lo > span) {	/* outside lo..lo + span */
			ts_refused(a, n, r.ts_ns);
			continue;
		}
		n->wire_bytes += r.wirelen;
		caplen = r.caplen < a->conf.snaplen ? r.caplen : a->conf.snaplen;
		reorder_push(a, n, r.ts_ns, r.wirelen, r.data, caplen);
	}
}

void
ingest_batch(struct analyzer *a, const uint8_t *buf, size_t len, struct sender *s)
{
	struct dicap_batch_hdr h;
	struct dicap_batch_rec first;
	enum seq_verdict v;
	const char *why;
	char msg[256];
	size_t off = DICAP_BATCH_HDR_LEN;
	uint64_t now, jump;
	struct node *n;
	int err;

	memset(&h, 0, sizeof(h));
	err = dicap_batch_decode(buf, len, &h, &why);
	now = a->now_ns;
	if (err) {
		snprintf(msg, sizeof(msg), "%s (%s)", dicap_batch_strerror(err), why);
		/* the decoder fills the header once the header itself is valid */
		if (h.version == DICAP_BATCH_VERSION) {
			if ((n = node_get(a, h.node_id, s, now)) != NULL)
				n->malformed++;
			snprintf(msg, sizeof(msg), "node 0x%08x seq %u: %s (%s)", h.node_id,
			    h.seq, dicap_batch_strerror(err), why);
		}
		sender_malformed(a, s, msg);
		return;
	}
	s->batches++;
	s->last_seen_ns = now;
	a->ctr.batches++;
	if ((n = node_get(a, h.node_id, s, now)) == NULL)
		return;
	dicap_batch_next(buf, len, &off, &first);
	v = seqwin_check(&n->seq, h.seq, first.ts_ns, &jump);
	count_sequence(n, &h, v, jump);
	if (v == SEQ_DUP) {
		n->duplicates++;
		log_debug("node 0x%08x: duplicate batch seq %u from %s", n->id, h.seq, s->name);
		return;
	}
	n->batches++;
	n->records += h.count;
	n->bytes += len;
	records_in(a, n, buf, len, &h);
}

static void
add_node(struct node_totals *t, const struct node *n)
{
	t->batches += n->batches;
	t->records += n->records;
	t->bytes += n->bytes;
	t->wire_bytes += n->wire_bytes;
	t->gaps += seqwin_missing(&n->seq);
	t->duplicates += n->duplicates;
	t->out_of_order += n->out_of_order;
	t->restarts += n->restarts;
	t->seq_resets += n->seq.out_of_window;
	t->node_malformed += n->malformed;
	t->linktype_mismatch += n->linktype_mismatch;
	t->ts_refused += n->ts_refused;
}

void
nodes_sum(const struct analyzer *a, struct node_totals *t)
{
	const struct node *n;

	*t = a->gone;
	for (n = a->nodes; n != NULL; n = n->hh.next)
		add_node(t, n);
}

/*
 * On the tick.  A node with records still in the reorder window stays: they
 * point at it (it is silent for far longer than the window lasts anyway).
 */
void
nodes_expire(struct analyzer *a)
{
	uint64_t now = dicap_mono_ns(), timeout = a->conf.node_timeout * NS_PER_SEC;
	struct node *n, *ntmp;
	unsigned int count = 0;

	if (HASH_COUNT(a->nodes) >= ANA_MAX_NODES &&
	    timeout > ANA_FULL_NODE_TIMEOUT * NS_PER_SEC)
		timeout = ANA_FULL_NODE_TIMEOUT * NS_PER_SEC;
	HASH_ITER(hh, a->nodes, n, ntmp) {
		if (now - n->last_mono < timeout || n->runs > 0)
			continue;
		if (count++ < MALFORMED_LOG_FIRST)
			log_info("node 0x%08x: silent for %llu s, forgotten (%llu records)",
			    n->id, (unsigned long long)((now - n->last_mono) / NS_PER_SEC),
			    (unsigned long long)n->records);
		add_node(&a->gone, n);
		a->ctr.nodes_expired++;
		reorder_forget(a, n);
		HASH_DEL(a->nodes, n);
		free(n);
	}
	if (count > MALFORMED_LOG_FIRST)
		log_info("%u silent nodes forgotten", count);
}

void
nodes_free(struct analyzer *a)
{
	struct node *n, *ntmp;
	struct sender *s, *stmp;

	HASH_ITER(hh, a->nodes, n, ntmp) {
		HASH_DEL(a->nodes, n);
		free(n);
	}
	HASH_ITER(hh, a->senders, s, stmp) {
		HASH_DEL(a->senders, s);
		free(s);
	}
	a->sender_count = 0;
}
