/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl top, the pure part: rates from counter deltas, the analyzer's
 * --stats document, and the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "topview.h"

/* Frames or records a node lost: its ring, its lease, its sending. */
const char *const top_drop_counters[] = {
	"ringbuf_full", "ring_errors", "lease_drops", "send_errors", "records_unsent",
	"queue_drops", NULL,
};

static const struct top_node *
find_node(const struct top_sample *s, uint32_t id)
{
	uint32_t lo = 0, hi = s->n_nodes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->nodes[mid].id == id)
			return &s->nodes[mid];
		if (s->nodes[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A counter that went down (the node restarted) or is new gives no rate. */
static struct top_rate
rate(int had, uint64_t before, int has, uint64_t now, double secs)
{
	struct top_rate r = { 0.0, 0 };

	if (!had || !has || now < before || secs <= 0.0)
		return r;
	r.v = (double)(now - before) / secs;
	r.valid = 1;
	return r;
}

void
top_rates(const struct top_sample *prev, const struct top_sample *cur,
    struct top_node_rates *out)
{
	const struct top_node *p, *c;
	double secs = 0.0;
	uint32_t i;

	if (prev != NULL && cur->mono_ns > prev->mono_ns)
		secs = (double)(cur->mono_ns - prev->mono_ns) / 1e9;
	for (i = 0; i < cur->n_nodes; i++) {
		c = &cur->nodes[i];
		memset(&out[i], 0, sizeof(out[i]));
		if (prev == NULL || (p = find_node(prev, c->id)) == NULL)
			continue;
		out[i].seen = rate(p->has_seen, p->seen, c->has_seen, c->seen, secs);
		out[i].selected = rate(p->has_selected, p->selected, c->has_selected,
		    c->selected, secs);
		out[i].drops = rate(p->has_drops, p->drops, c->has_drops, c->drops, secs);
	}
}

static int
cmp_ana_node(const void *a, const void *b)
{
	const struct top_ana_node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int
num_u64(const struct jv *o, const char *key, uint64_t *v)
{
	const struct jv *m = jv_get(o, key);

	if (m == NULL || m->type != JV_NUMBER || m->num < 0)
		return -1;
	*v = strtoull(m->text, NULL, 10);
	return 0;
}

int
top_ana_parse(const char *text, size_t len, struct top_ana *a, char *err, size_t errlen)
{
	const struct jv *totals, *nodes, *n;
	struct jv *root;
	const char *id;
	uint32_t count = 0, i = 0;
	char *end;

	memset(a, 0, sizeof(*a));
	if ((root = jv_parse(text, len, err, errlen)) == NULL)
		return -1;
	totals = jv_get(root, "totals");
	nodes = jv_get(root, "nodes");
	if (root->type != JV_OBJECT || totals == NULL || totals->type != JV_OBJECT ||
	    nodes == NULL || nodes->type != JV_ARRAY || num_u64(root, "time_ns", &a->time_ns) ||
	    num_u64(totals, "records", &a->records) || num_u64(totals, "gaps", &a->gaps)) {
		snprintf(err, errlen, "not an analyzer's statistics (time_ns, totals, nodes)");
		goto fail;
	}
	if (num_u64(totals, "socket_drops", &a->socket_drops) == -1)
		a->socket_drops = 0;
	/* each optional: older analyzers do not report them */
	if (num_u64(totals, "nodes_refused", &a->nodes_refused) == -1)
		a->nodes_refused = 0;
	if (num_u64(totals, "ts_refused", &a->ts_refused) == -1)
		a->ts_refused = 0;
	if (num_u64(totals, "tcp_refused", &a->tcp_refused) == -1)
		a->tcp_refused = 0;
	if (num_u64(totals, "seq_resets", &a->seq_resets) == -1)
		a->seq_resets = 0;
	for (n = nodes->child; n != NULL; n = n->next)
		count++;
	if ((a->nodes = calloc(count ? count : 1, sizeof(*a->nodes))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (n = nodes->child; n != NULL; n = n->next) {
		id = n->type == JV_OBJECT ? jv_str(n, "id", NULL) : NULL;
		if (id == NULL || num_u64(n, "records", &a->nodes[i].records) ||
		    num_u64(n, "gaps", &a->nodes[i].gaps)) {
			snprintf(err, errlen, "a node without id, records or gaps");
			goto fail;
		}
		a->nodes[i].id = (uint32_t)strtoul(id, &end, 0);
		if (*end != '\0') {
			snprintf(err, errlen, "node id \"%s\" is not a number", id);
			goto fail;
		}
		i++;
	}
	a->n_nodes = count;
	qsort(a->nodes, a->n_nodes, sizeof(*a->nodes), cmp_ana_node);
	jv_free(root);
	return 0;
fail:
	jv_free(root);
	top_ana_free(a);
	return -1;
}

void
top_ana_free(struct top_ana *a)
{
	free(a->nodes);
	a->nodes = NULL;
	a->n_nodes = 0;
}

static const struct top_ana_node *
find_ana_node(const struct top_ana *a, uint32_t id)
{
	uint32_t i;

	for (i = 0; a != NULL && i < a->n_nodes; i++)
		if (a->nodes[i].id == id)
			return &a->nodes[i];
	return NULL;
}

void
top_ana_rates(const struct top_ana *prev, struct top_ana *cur)
{
	const struct top_ana_node *p;
	double secs;
	uint32_t i;

	memset(&cur->rate, 0, sizeof(cur->rate));
	for (i = 0; i < cur->n_nodes; i++)
		memset(&cur->nodes[i].rate, 0, sizeof(cur->nodes[i].rate));
	if (prev == NULL || cur->time_ns < prev->time_ns)
		return;
	/* The file was not rewritten since: the rates of the last rewrite. */
	if (cur->time_ns == prev->time_ns) {
		cur->rate = prev->rate;
		for (i = 0; i < cur->n_nodes; i++)
			if ((p = find_ana_node(prev, cur->nodes[i].id)) != NULL)
				cur->nodes[i].rate = p->rate;
		return;
	}
	secs = (double)(cur->time_ns - prev->time_ns) / 1e9;
	cur->rate = rate(1, prev->records, 1, cur->records, secs);
	for (i = 0; i < cur->n_nodes; i++)
		if ((p = find_ana_node(prev, cur->nodes[i].id)) != NULL)
			cur->nodes[i].rate = rate(1, p->records, 1, cur->nodes[i].records, secs);
}

/* "-" for no rate; whole numbers from 10 up, one decimal below. */
static const char *
fmt_rate(char *buf, size_t len, struct top_rate r)
{
	if (!r.valid)
		snprintf(buf, len, "-");
	else if (r.v >= 10.0 || r.v == 0.0)
		snprintf(buf, len, "%.0f", r.v);
	else
		snprintf(buf, len, "%.1f", r.v);
	return buf;
}

static void
render_analyzer(FILE *f, const struct top_head *h)
{
	char b[32];

	if (h->ana_file == NULL) {
		fprintf(f, "analyzer: not shown (--analyzer-stats FILE)\n");
		return;
	}
	if (h->ana == NULL) {
		fprintf(f, "analyzer: %s: %s\n", h->ana_file,
		    h->ana_error != NULL ? h->ana_error : "not readable");
		return;
	}
	fprintf(f, "analyzer: %s rec/s, %llu records, %llu lost batches, %llu socket drops, "
	    "%u node%s (%s, %u s old)\n", fmt_rate(b, sizeof(b), h->ana->rate),
	    (unsigned long long)h->ana->records, (unsigned long long)h->ana->gaps,
	    (unsigned long long)h->ana->socket_drops, h->ana->n_nodes,
	    h->ana->n_nodes == 1 ? "" : "s", h->ana_file, h->ana_age_s);
	if (h->ana->nodes_refused || h->ana->ts_refused || h->ana->tcp_refused ||
	    h->ana->seq_resets)
		fprintf(f, "analyzer refused: %llu batches of nodes over the table, %llu records "
		    "stamped off its clock, %llu connections; %llu sequence resets\n",
		    (unsigned long long)h->ana->nodes_refused,
		    (unsigned long long)h->ana->ts_refused,
		    (unsigned long long)h->ana->tcp_refused,
		    (unsigned long long)h->ana->seq_resets);
}

void
top_render(FILE *f, const struct top_head *h, const struct top_sample *s,
    const struct top_node_rates *r, int ansi)
{
	const struct top_ana_node *an;
	char b1[32], b2[32], b3[32], b4[32];
	uint32_t i;

	if (ansi)
		fputs("\033[H\033[2J", f);
	fprintf(f, "coordinator %s (%s)", h->coord, h->role != NULL ? h->role : "role unknown");
	if (h->have_status)
		fprintf(f, "  term %u  epoch %u  mode %s  tunnel %s  %u node%s", h->term,
		    h->epoch, h->mode != NULL ? h->mode : "?",
		    h->tunnel != NULL ? h->tunnel : "?", s->n_nodes,
		    s->n_nodes == 1 ? "" : "s");
	fprintf(f, "  %s\n", h->now);
	if (h->no_answer_since != NULL)
		fprintf(f, "no answer since %s (%s); trying again\n", h->no_answer_since,
		    h->no_answer_why != NULL ? h->no_answer_why : "no answer");
	render_analyzer(f, h);
	fputc('\n', f);
	if (ansi)
		fputs("\033[1m", f);
	fprintf(f, "%-10s  %-21s %6s %8s %9s %9s %7s %6s", "NODE", "ADDRESS", "WEIGHT",
	    "SHARE%", "SEEN/s", "SEL/s", "DROP/s", "HB_AGE");
	if (h->ana != NULL)
		fprintf(f, " %9s %6s", "ANA_REC/s", "LOST");
	if (ansi)
		fputs("\033[0m", f);
	fputc('\n', f);
	for (i = 0; i < s->n_nodes; i++) {
		const struct top_node *n = &s->nodes[i];

		fprintf(f, "0x%08x  %-21s %6u %8.3f %9s %9s %7s %5.1fs", n->id, n->addr,
		    n->weight, n->share_ppm / 10000.0, fmt_rate(b1, sizeof(b1), r[i].seen),
		    fmt_rate(b2, sizeof(b2), r[i].selected), fmt_rate(b3, sizeof(b3), r[i].drops),
		    n->hb_age_ms / 1000.0);
		if (h->ana != NULL) {
			if ((an = find_ana_node(h->ana, n->id)) != NULL)
				fprintf(f, " %9s %6llu", fmt_rate(b4, sizeof(b4), an->rate),
				    (unsigned long long)an->gaps);
			else
				fprintf(f, " %9s %6s", "-", "-");
		}
		fputc('\n', f);
	}
}
