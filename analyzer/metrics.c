/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --metrics: the --stats JSON's counters in the Prometheus text format
 * (lib/promtext.h, lib/metrics_http.h): the intake, the output, and per
 * capture node (label node_id) records, batches, missing batches (loss),
 * duplicates and reordering.  The families are listed in docs/design.md,
 * "Metrics".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics_http.h"
#include "promtext.h"
#include "analyzer.h"

enum node_value {
	NV_RECORDS,
	NV_BATCHES,
	NV_BYTES,
	NV_WIRE_BYTES,
	NV_MISSING,
	NV_GAP_EVENTS,
	NV_DUPLICATES,
	NV_OUT_OF_ORDER,
	NV_RESTARTS,
	NV_MALFORMED,
	NV_LINKTYPE_MISMATCH,
	NV_WRITTEN,
	NV_LATE,
	NV_SEQ_RESETS,
	NV_TS_REFUSED,
};

static const struct {
	enum node_value what;
	const char *family;
	const char *help;
} node_families[] = {
	{ NV_RECORDS, "dicap_analyzer_node_records_total", "Records received from a node." },
	{ NV_BATCHES, "dicap_analyzer_node_batches_total",
	    "Batches received from a node (duplicates not included)." },
	{ NV_BYTES, "dicap_analyzer_node_batch_bytes_total",
	    "Batch bytes received from a node." },
	{ NV_WIRE_BYTES, "dicap_analyzer_node_wire_bytes_total",
	    "Wire length of the frames a node's records stand for." },
	{ NV_MISSING, "dicap_analyzer_node_batches_missing_total",
	    "A node's batches never received (sequence gaps): the loss between node "
	    "and analyzer." },
	{ NV_GAP_EVENTS, "dicap_analyzer_node_gaps_total",
	    "Jumps in a node's batch sequence numbers." },
	{ NV_DUPLICATES, "dicap_analyzer_node_batches_duplicate_total",
	    "A node's batches received more than once." },
	{ NV_OUT_OF_ORDER, "dicap_analyzer_node_batches_out_of_order_total",
	    "A node's batches that arrived after a later one (reordering)." },
	{ NV_RESTARTS, "dicap_analyzer_node_restarts_total",
	    "Times a node's sequence started over (the node restarted)." },
	{ NV_MALFORMED, "dicap_analyzer_node_batches_malformed_total",
	    "A node's batches that did not decode." },
	{ NV_LINKTYPE_MISMATCH, "dicap_analyzer_node_records_linktype_mismatch_total",
	    "A node's records not written: another link type than the output's." },
	{ NV_WRITTEN, "dicap_analyzer_node_records_written_total",
	    "A node's records written to the output." },
	{ NV_LATE, "dicap_analyzer_node_records_late_total",
	    "A node's records written after a later record (out of time order)." },
	{ NV_SEQ_RESETS, "dicap_analyzer_node_seq_resets_total",
	    "Times a node's sequence number jumped out of the window: its stream restarted, "
	    "not counted as loss." },
	{ NV_TS_REFUSED, "dicap_analyzer_node_records_ts_refused_total",
	    "A node's records refused: stamped beyond --max-clock-skew from our clock." },
};

static uint64_t
node_value(const struct node *n, enum node_value what)
{
	switch (what) {
	case NV_RECORDS:
		return n->records;
	case NV_BATCHES:
		return n->batches;
	case NV_BYTES:
		return n->bytes;
	case NV_WIRE_BYTES:
		return n->wire_bytes;
	case NV_MISSING:
		return seqwin_missing(&n->seq);
	case NV_GAP_EVENTS:
		return n->gap_events;
	case NV_DUPLICATES:
		return n->duplicates;
	case NV_OUT_OF_ORDER:
		return n->out_of_order;
	case NV_RESTARTS:
		return n->restarts;
	case NV_MALFORMED:
		return n->malformed;
	case NV_LINKTYPE_MISMATCH:
		return n->linktype_mismatch;
	case NV_WRITTEN:
		return n->written;
	case NV_LATE:
		return n->late;
	case NV_SEQ_RESETS:
		return n->seq.out_of_window;
	case NV_TS_REFUSED:
		return n->ts_refused;
	}
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
per_node(struct promw *w, struct analyzer *a)
{
	unsigned int count = HASH_COUNT(a->nodes), i, k;
	struct node **v, *n;
	struct prom_label l;
	char (*ids)[16];
	uint64_t missing;

	v = calloc(count + 1, sizeof(*v));
	ids = calloc(count + 1, sizeof(*ids));
	if (v == NULL || ids == NULL) {
		log_warnx("metrics: out of memory");
		goto out;
	}
	for (i = 0, n = a->nodes; n != NULL; n = n->hh.next)
		v[i++] = n;
	qsort(v, count, sizeof(*v), by_id);
	for (i = 0; i < count; i++)
		snprintf(ids[i], sizeof(ids[i]), "0x%08x", v[i]->id);
	for (k = 0; k < sizeof(node_families) / sizeof(node_families[0]); k++) {
		prom_family(w, node_families[k].family, PROM_COUNTER, node_families[k].help);
		for (i = 0; i < count; i++) {
			l = (struct prom_label){ "node_id", ids[i] };
			prom_u64(w, &l, 1, node_value(v[i], node_families[k].what));
		}
	}
	prom_family(w, "dicap_analyzer_node_loss_ratio", PROM_GAUGE,
	    "A node's missing batches over the batches it sent us (received + missing), "
	    "since the start.");
	for (i = 0; i < count; i++) {
		l = (struct prom_label){ "node_id", ids[i] };
		missing = seqwin_missing(&v[i]->seq);
		prom_double(w, &l, 1, missing + v[i]->batches == 0 ? 0.0 :
		    (double)missing / (double)(missing + v[i]->batches));
	}
out:
	free(v);
	free(ids);
}

static void
fill(struct promw *w, void *arg)
{
	struct analyzer *a = arg;
	const struct ana_counters *c = &a->ctr;

	net_note_drops(a);
	prom_single(w, "dicap_analyzer_nodes", PROM_GAUGE, "Capture nodes heard from.",
	    HASH_COUNT(a->nodes));
	prom_single(w, "dicap_analyzer_datagrams_total", PROM_COUNTER,
	    "UDP datagrams received.", c->datagrams);
	prom_single(w, "dicap_analyzer_batches_total", PROM_COUNTER,
	    "Batches decoded, duplicates included.", c->batches);
	prom_single(w, "dicap_analyzer_batches_malformed_total", PROM_COUNTER,
	    "Batches that did not decode.", c->malformed);
	prom_single(w, "dicap_analyzer_socket_drops_total", PROM_COUNTER,
	    "Datagrams the kernel dropped at the analyzer's socket.", c->socket_drops);
	prom_single(w, "dicap_analyzer_tcp_accepted_total", PROM_COUNTER,
	    "TCP connections accepted.", c->tcp_accepted);
	prom_single(w, "dicap_analyzer_tcp_refused_total", PROM_COUNTER,
	    "TCP connections refused (too many).", c->tcp_refused);
	prom_single(w, "dicap_analyzer_tcp_connections", PROM_GAUGE, "TCP connections open.",
	    c->tcp_open);
	prom_single(w, "dicap_analyzer_batches_node_refused_total", PROM_COUNTER,
	    "Batches of node ids beyond the node limit, dropped.", c->nodes_refused);
	prom_single(w, "dicap_analyzer_nodes_expired_total", PROM_COUNTER,
	    "Nodes forgotten after --node-timeout of silence.", c->nodes_expired);
	prom_single(w, "dicap_analyzer_records_ts_future_total", PROM_COUNTER,
	    "Records refused: stamped more than --max-clock-skew ahead of our clock.",
	    c->ts_future);
	prom_single(w, "dicap_analyzer_records_ts_past_total", PROM_COUNTER,
	    "Records refused: stamped more than --max-clock-skew behind our clock.", c->ts_past);
	prom_single(w, "dicap_analyzer_tcp_source_refused_total", PROM_COUNTER,
	    "TCP connections refused: over --tcp-per-source from one address.",
	    c->tcp_source_refused);
	prom_single(w, "dicap_analyzer_tcp_idle_closed_total", PROM_COUNTER,
	    "TCP connections closed after --tcp-idle-timeout of silence.", c->tcp_idle_closed);
	prom_single(w, "dicap_analyzer_tcp_accept_errors_total", PROM_COUNTER,
	    "accept() failures; the listener pauses after each.", c->tcp_accept_errors);
	prom_single(w, "dicap_analyzer_files_skipped_total", PROM_COUNTER,
	    "Rotation file names skipped because a file of that name existed.", c->files_skipped);
	prom_single(w, "dicap_analyzer_records_written_total", PROM_COUNTER,
	    "Records written to the output.", c->written);
	prom_single(w, "dicap_analyzer_written_bytes_total", PROM_COUNTER,
	    "Captured bytes written to the output.", c->written_bytes);
	prom_single(w, "dicap_analyzer_records_late_total", PROM_COUNTER,
	    "Records written after a later record (out of time order).", c->late);
	prom_single(w, "dicap_analyzer_records_forced_total", PROM_COUNTER,
	    "Records written early because the reorder window was full.", c->forced);
	prom_single(w, "dicap_analyzer_records_forced_bytes_total", PROM_COUNTER,
	    "Of those, records written early because --reorder-bytes was reached.",
	    c->forced_bytes);
	prom_single(w, "dicap_analyzer_reorder_buffered_records", PROM_GAUGE,
	    "Records in the reorder window now.", reorder_len(a));
	prom_single(w, "dicap_analyzer_files_total", PROM_COUNTER, "Output files opened.",
	    c->files);
	per_node(w, a);
}

int
metrics_start(struct analyzer *a)
{
	char err[256];

	if (a->conf.metrics.family == 0)
		return 0;
	a->metrics = metrics_open(a->base, &a->conf.metrics, fill, a, err, sizeof(err));
	if (a->metrics == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

void
metrics_stop(struct analyzer *a)
{
	metrics_close(a->metrics);
	a->metrics = NULL;
}
