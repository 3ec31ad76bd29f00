/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The analyzer's pure pieces, built here from their sources (they are not
 * in libdicap): the reorder heap, the sequence window (gaps, duplicates,
 * out of order, restarts) and the rotated file names.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"

#include "analyzer/heap.h"
#include "analyzer/outname.h"
#include "analyzer/seqwin.h"

struct kv {
	uint64_t key, tie;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->tie < y->tie ? -1 : x->tie > y->tie;
}

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
test_heap_sorts(void)
{
	enum { N = 20000 };
	static struct kv in[N], sorted[N];
	struct heap h;
	const struct heap_ent *top;
	uint32_t seed = 12345;
	size_t i, bad = 0;

	heap_init(&h);
	ok(heap_top(&h) == NULL && heap_pop(&h) == NULL, "empty heap: no top, pop gives NULL");
	for (i = 0; i < N; i++) {
		in[i].key = rnd(&seed) % 500;	/* many equal keys */
		in[i].tie = i;
		if (heap_push(&h, in[i].key, in[i].tie, &in[i]) == -1)
			bad++;
	}
	is(bad, 0, "%d pushes succeed", N);
	is(heap_len(&h), N, "heap holds %d entries", N);
	memcpy(sorted, in, sizeof(in));
	qsort(sorted, N, sizeof(sorted[0]), kv_cmp);
	for (i = 0; i < N; i++) {
		struct kv *got;

		top = heap_top(&h);
		if (top == NULL || top->key != sorted[i].key || top->tie != sorted[i].tie)
			bad++;
		got = heap_pop(&h);
		if (got == NULL || got->key != sorted[i].key || got->tie != sorted[i].tie)
			bad++;
	}
	is(bad, 0, "pops come out in (key, tie) order: equal keys in arrival order");
	is(heap_len(&h), 0, "empty again");
	ok(h.cap <= 128, "memory given back after draining (capacity %zu)", h.cap);
	heap_free(&h);
}

/* Pushes and pops mixed, against a sorted array as the model. */
static void
test_heap_mixed(void)
{
	enum { OPS = 50000 };
	static struct kv model[OPS];
	size_t n = 0, i, j, bad = 0;
	uint64_t tie = 0;
	uint32_t seed = 777;
	struct heap h;

	heap_init(&h);
	for (i = 0; i < OPS; i++) {
		if (n == 0 || rnd(&seed) % 3) {
			struct kv e = { 1000 + rnd(&seed) % 100000, tie++ };

			for (j = n; j > 0 && kv_cmp(&model[j - 1], &e) > 0; j--)
				model[j] = model[j - 1];
			model[j] = e;
			n++;
			heap_push(&h, e.key, e.tie, (void *)(uintptr_t)e.tie);
		} else {
			const struct heap_ent *t = heap_top(&h);

			if (t->key != model[0].key || t->tie != model[0].tie ||
			    (uintptr_t)heap_pop(&h) != model[0].tie)
				bad++;
			memmove(model, model + 1, (n - 1) * sizeof(model[0]));
			n--;
		}
	}
	is(bad, 0, "mixed pushes and pops agree with a sorted model");
	is(heap_len(&h), n, "sizes agree (%zu)", n);
	heap_free(&h);
}

/* A k-way merge through heap_replace_top(), as the reorder window runs it. */
static void
test_heap_replace_top(void)
{
	enum { RUNS = 7, LEN = 300 };
	static uint64_t run[RUNS][LEN];
	size_t pos[RUNS] = { 0 }, i, r, out = 0, bad = 0;
	uint64_t prev = 0;
	uint32_t seed = 4242;
	struct heap h;

	heap_init(&h);
	for (r = 0; r < RUNS; r++) {
		for (i = 0; i < LEN; i++)
			run[r][i] = (i ? run[r][i - 1] : 0) + rnd(&seed) % 50;
		heap_push(&h, run[r][0], r, (void *)(uintptr_t)r);
	}
	while (heap_len(&h) > 0) {
		const struct heap_ent *t = heap_top(&h);

		r = (uintptr_t)t->item;
		if (t->key != run[r][pos[r]] || t->key < prev)
			bad++;
		prev = t->key;
		out++;
		if (++pos[r] == LEN)
			heap_pop(&h);
		else
			heap_replace_top(&h, run[r][pos[r]], r);
	}
	is(bad, 0, "replacing the top merges sorted runs in order");
	is(out, RUNS * LEN, "every element once (%zu)", out);
	heap_free(&h);
}

static enum seq_verdict
feed(struct seqwin *w, uint32_t seq, uint64_t ts, uint64_t *jump)
{
	return seqwin_check(w, seq, ts, jump);
}

static void
test_seq_basic(void)
{
	static struct seqwin w;
	uint64_t jump;
	uint32_t s;
	int bad = 0;

	seqwin_init(&w);
	is(seqwin_missing(&w), 0, "nothing missing before the first batch");
	is(feed(&w, 100, 1, &jump), SEQ_FIRST, "first batch");
	for (s = 101; s < 200; s++)
		bad += feed(&w, s, s, &jump) != SEQ_NEXT;
	is(bad, 0, "a contiguous stream is all 'next'");
	is(seqwin_missing(&w), 0, "no gaps in a contiguous stream");
	is(feed(&w, 205, 205, &jump), SEQ_GAP, "a jump is a gap");
	is(jump, 5, "... of 5 batches");
	is(seqwin_missing(&w), 5, "5 missing");
	is(feed(&w, 202, 202, &jump), SEQ_LATE, "a missing one arriving late is out of order");
	is(seqwin_missing(&w), 4, "... and repays its gap");
	is(feed(&w, 202, 202, &jump), SEQ_DUP, "the same batch again is a duplicate");
	is(feed(&w, 150, 150, &jump), SEQ_DUP, "an old batch within the window too");
	is(feed(&w, 205, 205, &jump), SEQ_DUP, "and the newest");
	is(seqwin_missing(&w), 4, "duplicates change nothing");
	is(feed(&w, 206, 206, &jump), SEQ_NEXT, "the stream goes on");
}

static void
test_seq_edges(void)
{
	static struct seqwin w;
	uint64_t jump;
	uint32_t s;
	int bad = 0;

	seqwin_init(&w);
	feed(&w, 0xfffffff0u, 1, &jump);
	for (s = 0xfffffff1u; s != 0x10; s++)
		bad += feed(&w, s, s, &jump) != SEQ_NEXT;
	is(bad, 0, "the 32-bit number wraps without a gap");
	is(seqwin_missing(&w), 0, "nothing missing across the wrap");
	is(feed(&w, 0x12, 0x12, &jump), SEQ_GAP, "a gap just after the wrap");
	is(jump, 2, "... of 2");
	is(feed(&w, 0xfffffff8u, 0xfffffff8u, &jump), SEQ_DUP,
	    "a duplicate from before the wrap is recognised");

	seqwin_init(&w);
	feed(&w, 10, 10, &jump);
	is(feed(&w, 8, 8, &jump), SEQ_LATE, "older than the first batch: out of order");
	is(seqwin_missing(&w), 1, "the number between (9) is missing");
	is(feed(&w, 9, 9, &jump), SEQ_LATE, "and repaid when it comes");
	is(seqwin_missing(&w), 0, "nothing missing");

	seqwin_init(&w);
	for (s = 0; s < 500; s++)
		feed(&w, s, 1000 + s, &jump);
	is(feed(&w, 3, 99999, &jump), SEQ_RESTART,
	    "a seen number with other records: the node restarted its stream");
	is(feed(&w, 4, 100000, &jump), SEQ_NEXT, "the new stream continues");
	feed(&w, 10, 100006, &jump);
	is(seqwin_missing(&w), 5, "gaps of the new stream count (5)");
	is(feed(&w, 10 + SEQWIN_GAP_MAX, 1, &jump), SEQ_GAP,
	    "a jump of %u batches is still a gap", SEQWIN_GAP_MAX);
	is(seqwin_missing(&w), 5 + SEQWIN_GAP_MAX - 1, "... of %u", SEQWIN_GAP_MAX - 1);
	seqwin_init(&w);
	for (s = 0; s < 20; s++)
		feed(&w, s, 1000 + s, &jump);
	feed(&w, 25, 1025, &jump);
	is(seqwin_missing(&w), 5, "5 missing");
	is(feed(&w, 25 + SEQWIN_GAP_MAX + 1, 1, &jump), SEQ_RESET,
	    "a jump beyond %u batches is out of the window: a reset, not a gap",
	    SEQWIN_GAP_MAX);
	is(seqwin_missing(&w), 5, "the old stream's gaps are kept, the jump is not loss");
	is(feed(&w, (1u << 24) + 77, 1, &jump), SEQ_RESET, "so is a forged jump of 2^24");
	is(seqwin_missing(&w), 5, "which adds nothing missing either");
	is(feed(&w, 26, 1026, &jump), SEQ_RESET, "a step back past the window is a reset");
	is(feed(&w, 27, 1027, &jump), SEQ_NEXT, "the stream goes on from there");
	is(seqwin_missing(&w), 5, "still 5 missing");
	is(w.out_of_window, 3, "3 resets counted");
	for (s = 0; s < 10; s++)
		feed(&w, (s + 1) * 0x9e3779b9u, 1, &jump);
	is(w.out_of_window, 13, "random numbers are 10 more resets");
	is(seqwin_missing(&w), 5, "and no loss");
	ok(strcmp(seqwin_verdict_name(SEQ_DUP), "duplicate") == 0, "verdict names");
}

static void
test_names(void)
{
	struct outname o;
	char buf[256], small[8];
	time_t t0 = 1700000000;	/* 2023-11-14 22:13:20 UTC */

	setenv("TZ", "UTC", 1);
	tzset();
	ok(outname_has_conversion("x-%Y.pcap"), "%%Y is a conversion");
	ok(!outname_has_conversion("x-%%.pcap"), "%%%% is not");
	ok(outname_has_conversion("%%%d"), "%%%%%%d is");
	ok(!outname_has_conversion("plain"), "no %% at all");
	ok(!outname_has_conversion("trailing%"), "a trailing %% is not");

	outname_init(&o, "cap.pcap", 0);
	outname_next(&o, t0, buf, sizeof(buf));
	ok(strcmp(buf, "cap.pcap") == 0, "-C: the first file is FILE (%s)", buf);
	outname_next(&o, t0 + 5, buf, sizeof(buf));
	ok(strcmp(buf, "cap.pcap1") == 0, "then FILE1 (%s)", buf);
	outname_next(&o, t0 + 9, buf, sizeof(buf));
	ok(strcmp(buf, "cap.pcap2") == 0, "then FILE2 (%s)", buf);

	outname_init(&o, "a%Y.pcap", 0);
	outname_next(&o, t0, buf, sizeof(buf));
	ok(strcmp(buf, "a%Y.pcap") == 0, "without -G a %% is literal (%s)", buf);

	outname_init(&o, "cap.pcap", 1);
	outname_next(&o, t0, buf, sizeof(buf));
	outname_next(&o, t0 + 60, buf, sizeof(buf));
	ok(strcmp(buf, "cap.pcap1") == 0, "-G without a conversion appends a counter (%s)",
	    buf);

	outname_init(&o, "c-%Y%m%d-%H%M%S.pcap", 1);
	outname_next(&o, t0, buf, sizeof(buf));
	ok(strcmp(buf, "c-20231114-221320.pcap") == 0, "-G: strftime of the start (%s)", buf);
	outname_next(&o, t0 + 1, buf, sizeof(buf));
	ok(strcmp(buf, "c-20231114-221321.pcap") == 0, "next interval, next name (%s)", buf);
	outname_next(&o, t0 + 1, buf, sizeof(buf));
	ok(strcmp(buf, "c-20231114-221321.pcap1") == 0,
	    "-C within one -G name: a counter (%s)", buf);
	outname_next(&o, t0 + 1, buf, sizeof(buf));
	ok(strcmp(buf, "c-20231114-221321.pcap2") == 0, "... counting up (%s)", buf);
	outname_next(&o, t0 + 2, buf, sizeof(buf));
	ok(strcmp(buf, "c-20231114-221322.pcap") == 0, "a new name restarts the counter (%s)",
	    buf);
	outname_init(&o, "%H.pcap", 1);
	ok(outname_next(&o, t0, small, sizeof(small)) == 0 && strcmp(small, "22.pcap") == 0,
	    "a name that just fits (%s)", small);
	ok(outname_next(&o, t0, small, sizeof(small)) == -1, "a name too long is refused");
}

int
main(void)
{
	plan(NO_PLAN);
	test_heap_sorts();
	test_heap_mixed();
	test_heap_replace_top();
	test_seq_basic();
	test_seq_edges();
	test_names();
	return done_testing();
}
