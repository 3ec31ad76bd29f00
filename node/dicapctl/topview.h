/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl top, the pure part: samples of the cluster, the rates between
 * two samples, the analyzer's --stats document, and the table drawn from
 * them.  No I/O but the FILE the table is written to (tests/t_topview.c).
 */
#ifndef DICAPCTL_TOPVIEW_H
#define DICAPCTL_TOPVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockaddr.h"

/* The node counters whose sum is DROP/s (status names, see dicapctl(8)). */
extern const char *const top_drop_counters[];

/* One node as the coordinator reported it in one poll. */
struct top_node {
	uint32_t id;
	char addr[DICAP_ADDR_STRLEN];
	uint32_t weight;
	uint32_t share_ppm;
	uint32_t hb_age_ms;
	uint32_t epoch;
	uint64_t seen, selected, drops;
	unsigned int has_seen : 1, has_selected : 1, has_drops : 1;
};

/* A rate, or none (first sample of the node, or a counter went down). */
struct top_rate {
	double v;
	int valid;
};

struct top_node_rates {
	struct top_rate seen, selected, drops;
};

/* One poll of the coordinator. */
struct top_sample {
	uint64_t mono_ns;		/* when the answer came */
	struct top_node *nodes;		/* sorted by id */
	uint32_t n_nodes;
};

/* Fill @out[i] for @cur->nodes[i] from the same node in @prev (may be NULL). */
void	top_rates(const struct top_sample *prev, const struct top_sample *cur,
	    struct top_node_rates *out);

/* The analyzer's intake, from its --stats document. */
struct top_ana_node {
	uint32_t id;
	uint64_t records, gaps;
	struct top_rate rate;		/* records/s */
};

struct top_ana {
	uint64_t time_ns;		/* when the analyzer wrote it */
	uint64_t records, gaps, socket_drops;
	/* refused as forged input would be (issue 14); 0 when not reported */
	uint64_t nodes_refused, ts_refused, tcp_refused, seq_resets;
	uint32_t n_nodes;
	struct top_ana_node *nodes;	/* sorted by id */
	struct top_rate rate;		/* records/s, all nodes */
};

/* Parse a --stats document into @a (free with top_ana_free); -1 + @err. */
int	top_ana_parse(const char *text, size_t len, struct top_ana *a, char *err,
	    size_t errlen);
/* Rates of @cur from @prev (may be NULL); a file not rewritten keeps @prev's. */
void	top_ana_rates(const struct top_ana *prev, struct top_ana *cur);
void	top_ana_free(struct top_ana *);

/* What the header says. */
struct top_head {
	const char *coord;		/* address */
	const char *role;		/* NULL: unknown */
	uint32_t term, epoch;
	const char *mode, *tunnel;	/* NULL: not reported */
	const char *now;		/* HH:MM:SS */
	const char *no_answer_since;	/* HH:MM:SS, NULL while it answers */
	const char *no_answer_why;
	int have_status;		/* some answer came: the nodes are below */
	/* the analyzer */
	const char *ana_file;		/* NULL: not asked for */
	const struct top_ana *ana;	/* NULL: not readable */
	const char *ana_error;
	uint32_t ana_age_s;
};

/* Draw one screen: with @ansi, home + clear first and a bold header row. */
void	top_render(FILE *f, const struct top_head *h, const struct top_sample *s,
	    const struct top_node_rates *r, int ansi);

#endif /* DICAPCTL_TOPVIEW_H */
