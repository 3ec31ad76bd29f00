/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl top's pure part (node/dicapctl/topview.c, compiled in here):
 * rates from counter deltas, no negative rate when a node restarted or
 * appeared, the analyzer's --stats document, and the drawn table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/dicapctl/topview.h"
#include "tap.h"

static struct top_node
mk(uint32_t id, uint64_t seen, uint64_t selected, uint64_t drops)
{
	struct top_node n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	snprintf(n.addr, sizeof(n.addr), "127.0.0.1:%u", 4000 + (id & 0xff));
	n.weight = 1;
	n.share_ppm = 500000;
	n.hb_age_ms = 250;
	n.seen = seen;
	n.selected = selected;
	n.drops = drops;
	n.has_seen = n.has_selected = n.has_drops = 1;
	return n;
}

/* The table as text, with or without escapes. */
static char *
render(const struct top_head *h, const struct top_sample *s,
    const struct top_node_rates *r, int ansi)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		bail_out("open_memstream");
	top_render(f, h, s, r, ansi);
	fclose(f);
	return buf;
}

static const char ana_doc1[] =
    "{\"version\":1,\"time_ns\":1000000000000,\"uptime_ms\":5,\"listen\":\"127.0.0.1:1\","
    "\"totals\":{\"nodes\":2,\"records\":1000,\"gaps\":3,\"socket_drops\":7},"
    "\"nodes\":[{\"id\":\"0x00000002\",\"records\":400,\"gaps\":3},"
    "{\"id\":\"0x00000001\",\"records\":600,\"gaps\":0}],\"senders\":[]}";
static const char ana_doc2[] =
    "{\"version\":1,\"time_ns\":1002000000000,\"uptime_ms\":5,\"listen\":\"127.0.0.1:1\","
    "\"totals\":{\"nodes\":2,\"records\":5000,\"gaps\":3,\"socket_drops\":7,"
    "\"nodes_refused\":104,\"ts_refused\":2,\"tcp_refused\":992,\"seq_resets\":1},"
    "\"nodes\":[{\"id\":\"0x00000002\",\"records\":2400,\"gaps\":3},"
    "{\"id\":\"0x00000001\",\"records\":2600,\"gaps\":0}],\"senders\":[]}";

int
main(void)
{
	struct top_node a[3], b[3];
	struct top_sample prev = { 1000000000ull, a, 2 }, cur = { 3000000000ull, b, 3 };
	struct top_node_rates r[3];
	struct top_ana an1, an2, an3;
	struct top_head h;
	char err[128], *text;

	plan(19);

	a[0] = mk(0x10, 1000, 100, 5);
	a[1] = mk(0x20, 5000, 500, 0);
	b[0] = mk(0x10, 3000, 300, 9);		/* 2 s later */
	b[1] = mk(0x20, 10, 1, 0);		/* restarted: counters went down */
	b[2] = mk(0x30, 70, 7, 0);		/* new */
	top_rates(&prev, &cur, r);
	ok(r[0].seen.valid && r[0].seen.v == 1000.0 && r[0].selected.v == 100.0 &&
	    r[0].drops.v == 2.0, "rates are deltas over the time between the samples");
	ok(!r[1].seen.valid && !r[1].selected.valid && r[1].drops.valid && r[1].drops.v == 0.0,
	    "a counter that went down (restart) gives no rate, not a negative one");
	ok(!r[2].seen.valid && !r[2].selected.valid && !r[2].drops.valid,
	    "a node not in the previous sample has no rate yet");
	top_rates(NULL, &cur, r);
	ok(!r[0].seen.valid, "no previous sample: no rates");
	b[0].has_selected = 0;
	top_rates(&prev, &cur, r);
	ok(!r[0].selected.valid && r[0].seen.valid,
	    "a counter the node does not report has no rate");
	b[0].has_selected = 1;
	prev.mono_ns = cur.mono_ns;
	top_rates(&prev, &cur, r);
	ok(!r[0].seen.valid, "no time between the samples: no rate");
	prev.mono_ns = 1000000000ull;

	ok(top_ana_parse(ana_doc1, sizeof(ana_doc1) - 1, &an1, err, sizeof(err)) == 0 &&
	    an1.records == 1000 && an1.gaps == 3 && an1.socket_drops == 7 && an1.n_nodes == 2 &&
	    an1.nodes[0].id == 1 && an1.nodes[0].records == 600 && an1.nodes[1].gaps == 3,
	    "the analyzer's --stats document: totals and nodes, by id");
	top_ana_rates(NULL, &an1);
	ok(!an1.rate.valid, "a first analyzer document has no rate");
	ok(top_ana_parse(ana_doc2, sizeof(ana_doc2) - 1, &an2, err, sizeof(err)) == 0,
	    "a second document parses");
	top_ana_rates(&an1, &an2);
	ok(an2.rate.valid && an2.rate.v == 2000.0 && an2.nodes[0].rate.v == 1000.0 &&
	    an2.nodes[1].rate.v == 1000.0, "analyzer rates over its own time_ns");
	if (top_ana_parse(ana_doc2, sizeof(ana_doc2) - 1, &an3, err, sizeof(err)) == -1)
		bail_out(err);
	top_ana_rates(&an2, &an3);
	ok(an3.rate.valid && an3.rate.v == 2000.0 && an3.nodes[1].rate.v == 1000.0,
	    "a file not rewritten since keeps the last rates");
	top_ana_free(&an3);
	top_ana_free(&an1);
	ok(top_ana_parse("{\"a\":1}", 7, &an1, err, sizeof(err)) == -1 && err[0] != '\0',
	    "another JSON document is refused: %s", err);
	top_ana_free(&an1);

	top_rates(&prev, &cur, r);
	memset(&h, 0, sizeof(h));
	h.coord = "127.0.0.1:7000";
	h.role = "active";
	h.term = 4;
	h.epoch = 9;
	h.mode = "flow";
	h.tunnel = "inner";
	h.now = "12:34:56";
	h.have_status = 1;
	text = render(&h, &cur, r, 0);
	ok(strstr(text, "127.0.0.1:7000 (active)") && strstr(text, "term 4") &&
	    strstr(text, "epoch 9") && strstr(text, "mode flow") &&
	    strstr(text, "tunnel inner") && strstr(text, "3 nodes") && strstr(text, "12:34:56"),
	    "the header: address, role, term, epoch, mode, tunnel, node count, time");
	ok(strstr(text, "0x00000010") && strstr(text, "50.000") && strstr(text, " 1000 ") &&
	    strchr(text, '\033') == NULL && strstr(text, "analyzer: not shown"),
	    "a plain table: the node, its share, its rate, no escapes");
	free(text);
	text = render(&h, &cur, r, 1);
	ok(strncmp(text, "\033[H\033[2J", 7) == 0 && strstr(text, "\033[1mNODE") != NULL,
	    "on a terminal: home and clear, bold header row");
	free(text);
	h.no_answer_since = "12:30:00";
	h.no_answer_why = "no answer";
	h.ana_file = "/x/stats.json";
	h.ana = &an2;
	h.ana_age_s = 1;
	text = render(&h, &cur, r, 0);
	ok(strstr(text, "no answer since 12:30:00") != NULL,
	    "a silent coordinator: \"no answer since\" in the header");
	ok(strstr(text, "analyzer: 2000 rec/s, 5000 records, 3 lost batches") &&
	    strstr(text, "ANA_REC/s"), "the analyzer's intake line and columns");
	ok(strstr(text, "analyzer refused: 104 batches of nodes over the table, 2 records "
	    "stamped off its clock, 992 connections; 1 sequence resets") != NULL,
	    "and what it refused, when it refused something");
	free(text);
	h.ana = &an1;
	if (top_ana_parse(ana_doc1, sizeof(ana_doc1) - 1, &an1, err, sizeof(err)) == -1)
		bail_out(err);
	text = render(&h, &cur, r, 0);
	ok(strstr(text, "analyzer: ") && strstr(text, "refused") == NULL,
	    "nothing refused (or an older analyzer): no such line");
	free(text);
	top_ana_free(&an1);
	top_ana_free(&an2);
	return done_testing();
}
