/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A node's counters (include/dicap/node_counters.h) as Prometheus
 * families: dicapd writes its own, the coordinator those its nodes report
 * in their heartbeats, one sample per node with a node_id label.  One
 * table says which counter is which family, so both read the same names.
 * docs/design.md, "Metrics", lists them.
 */
#ifndef LIB_NODE_METRICS_H
#define LIB_NODE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct promw;

/*
 * The counters of one node: @get(@arg, wire id, &value) returns 0, or -1
 * if the node did not report that counter (no sample is written).
 * @node_id NULL: no node_id label.
 */
struct node_counter_set {
	const char *node_id;
	int	(*get)(const void *arg, uint16_t wire_id, uint64_t *v);
	const void *arg;
};

/*
 * Every counter family, named @prefix (e.g. "dicap_node_") and the
 * counter's family name, with one sample per set of @sets that has it.
 * A family is written even if no set has it (HELP and TYPE only).
 */
void	node_metrics_write(struct promw *w, const char *prefix,
	    const struct node_counter_set *sets, size_t n_sets);

/* @get for DICAP_COUNTER_WIRE_LEN-byte records: @arg is a struct node_counters_raw. */
struct node_counters_raw {
	const uint8_t *raw;
	uint32_t n;
};
int	node_counters_raw_get(const void *arg, uint16_t wire_id, uint64_t *v);

#endif /* LIB_NODE_METRICS_H */
