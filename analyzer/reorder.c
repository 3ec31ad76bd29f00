/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The reorder window: records from all nodes are merged by timestamp
 * before they are written.  With W the window (--reorder-ms) and T the
 * newest record timestamp received so far, over all nodes:
 *
 *   1. a record with timestamp t is written as soon as t <= T - W;
 *   2. when W of wall time (CLOCK_MONOTONIC) has passed since T last grew,
 *      every buffered record is written;
 *   3. when more than --reorder-max records are buffered, or their storage
 *      (the chunks below) takes more than --reorder-bytes, the oldest are
 *      written at once (counted as "forced"): forged 64 KiB records must
 *      not hold gigabytes;
 *   4. on exit every buffered record is written.
 *
 * Records always leave in (timestamp, arrival) order.  A record older
 * than one already written (it came later than the window allows) is
 * still written, out of place, and counted as "late": nothing received
 * is dropped for being late.
 *
 * A node's records arrive nearly in time order already, so they are not
 * sorted one by one: each node appends to its own run, a FIFO of records
 * in non-decreasing timestamp order, and starts a new run when a record is
 * older than its run's last one (a batch reordered on the way, or a
 * restarted node).  A min-heap over the runs' first records merges them:
 * it holds a few entries per node instead of every buffered record.  As
 * (timestamp, arrival) increases along each run, the run heads' minimum is
 * the minimum of all buffered records, so the output order is that of one
 * heap over every record.  Runs store their records back to back in chunks
 * that double in size up to RUN_CHUNK_MAX: no allocation per record, except
 * in the first few records of a run.  Up to RUN_SPARE_MAX written chunks of
 * the largest size are kept for reuse: handing them back to the system and
 * faulting them in again cost 7% of the analyzer's time under load.
 *
 * The byte bound counts the chunks the runs hold, so it costs a compare per
 * record and an addition per chunk; a node is kept (nodes.c) while a run of
 * it is in the heap, counted per run, not per record.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "heap.h"
#include "log.h"
#include "replay.h"

#define RUN_CHUNK_MAX	(64 * 1024)
#define RUN_SPARE_MAX	64		/* 4 MiB */

struct rec {
	uint64_t ts;
	uint64_t arrival;
	struct node *node;
	uint32_t wirelen;
	uint32_t caplen;
	uint8_t data[];
};

struct chunk {
	struct chunk *next;
	uint32_t cap;			/* bytes of data */
	uint32_t head;			/* the first record not written yet */
	uint32_t tail;			/* where the next record goes */
	alignas(struct rec) uint8_t data[];
};

struct run {
	struct node *node;		/* NULL once the node has started another run */
	struct node *owner;		/* whose records these are */
	struct chunk *first, *last;
	uint64_t last_ts;
	size_t len;			/* records */
	int in_heap;			/* iff len > 0 */
};

static void idle_cb(evutil_socket_t, short, void *);

void
reorder_init(struct analyzer *a)
{
	heap_init(&a->heap);
	a->ev_idle = evtimer_new(a->base, idle_cb, a);
	if (a->ev_idle == NULL)
		fatalx("evtimer_new failed");
}

static void
write_one(struct analyzer *a, struct node *n, uint64_t ts, uint32_t wirelen,
    uint32_t caplen, const uint8_t *data)
{
	if (a->any_written && ts < a->last_written_ts) {
		n->late++;
		a->ctr.late++;
	} else {
		a->last_written_ts = ts;
		a->any_written = 1;
	}
	n->written++;
	output_write(a, n, ts, wirelen, caplen, data);
}

static uint32_t
rec_size(uint32_t caplen)
{
	size_t al = alignof(struct rec);

	return (uint32_t)((sizeof(struct rec) + caplen + al - 1) & ~(al - 1));
}

static void
chunk_free(struct analyzer *a, struct chunk *c)
{
	a->buffered_bytes -= sizeof(*c) + c->cap;
	if (c->cap == RUN_CHUNK_MAX && a->spare_count < RUN_SPARE_MAX) {
		c->next = a->spare;
		a->spare = c;
		a->spare_count++;
	} else
		free(c);
}

static struct chunk *
chunk_alloc(struct analyzer *a, uint32_t cap)
{
	struct chunk *c;

	if (cap == RUN_CHUNK_MAX && a->spare != NULL) {
		c = a->spare;
		a->spare = c->next;
		a->spare_count--;
	} else if ((c = malloc(sizeof(*c) + cap)) == NULL)
		return NULL;
	a->buffered_bytes += sizeof(*c) + cap;
	if (a->buffered_bytes > a->ctr.buffered_bytes_max)
		a->ctr.buffered_bytes_max = a->buffered_bytes;
	c->next = NULL;
	c->cap = cap;
	c->head = c->tail = 0;
	return c;
}

static void
run_free_chunks(struct analyzer *a, struct run *run)
{
	struct chunk *c, *next;

	for (c = run->first; c != NULL; c = next) {
		next = c->next;
		chunk_free(a, c);
	}
	run->first = run->last = NULL;
}

/* Room for a record of @size bytes at the run's end, or NULL. */
static struct rec *
run_room(struct analyzer *a, struct run *run, uint32_t size)
{
	struct chunk *c = run->last;
	uint32_t cap;

	if (c != NULL && c->cap - c->tail >= size)
		return (struct rec *)(c->data + c->tail);
	cap = c != NULL && c->cap < RUN_CHUNK_MAX / 2 ? c->cap * 2 : RUN_CHUNK_MAX;
	if (c == NULL || cap < size)
		cap = size;
	if ((c = chunk_alloc(a, cap)) == NULL)
		return NULL;
	if (run->last != NULL)
		run->last->next = c;
	else
		run->first = c;
	run->last = c;
	return (struct rec *)c->data;
}

/* The run @n appends @ts to, or NULL when out of memory. */
static struct run *
node_run(struct node *n, uint64_t ts)
{
	struct run *run = n->run;

	if (run != NULL && (run->len == 0 || ts >= run->last_ts))
		return run;
	if ((run = calloc(1, sizeof(*run))) == NULL)
		return NULL;
	run->node = n;
	run->owner = n;
	if (n->run != NULL)
		n->run->node = NULL;	/* freed when it has been written */
	n->run = run;
	return run;
}

static void
pop_and_write(struct analyzer *a)
{
	struct run *run = heap_top(&a->heap)->item;
	struct chunk *c = run->first;
	struct rec *r = (struct rec *)(c->data + c->head);

	write_one(a, r->node, r->ts, r->wirelen, r->caplen, r->data);
	a->buffered--;
	run->len--;
	c->head += rec_size(r->caplen);
	if (run->len == 0) {
		heap_pop(&a->heap);
		run->in_heap = 0;
		run->owner->runs--;
		run_free_chunks(a, run);
		if (run->node == NULL)
			free(run);
		return;
	}
	if (c->head == c->tail) {
		run->first = c->next;
		chunk_free(a, c);
		c = run->first;
	}
	r = (struct rec *)(c->data + c->head);
	heap_replace_top(&a->heap, r->ts, r->arrival);
}

void
reorder_push(struct analyzer *a, struct node *n, uint64_t ts, uint32_t wirelen,
    const uint8_t *data, uint32_t caplen)
{
	uint32_t size = rec_size(caplen);
	struct run *run;
	struct rec *r;

	if (ts > a->newest_ts) {
		a->newest_ts = ts;
		a->newest_grew = 1;
	}
	if ((run = node_run(n, ts)) == NULL || (r = run_room(a, run, size)) == NULL ||
	    (!run->in_heap && heap_push(&a->heap, ts, a->arrivals, run) == -1)) {
		/* out of memory: better out of place than lost */
		a->ctr.forced++;
		write_one(a, n, ts, wirelen, caplen, data);
		return;
	}
	if (!run->in_heap)
		n->runs++;
	run->in_heap = 1;
	r->ts = ts;
	r->arrival = a->arrivals++;
	r->node = n;
	r->wirelen = wirelen;
	r->caplen = caplen;
	memcpy(r->data, data, caplen);
	run->last->tail += size;
	run->last_ts = ts;
	run->len++;
	if (++a->buffered > a->conf.reorder_max) {
		a->ctr.forced++;
		pop_and_write(a);
	}
	/* memory comes back when a chunk empties: a chunk's worth may go */
	while (a->buffered_bytes > a->conf.reorder_bytes && a->buffered > 0) {
		a->ctr.forced++;
		a->ctr.forced_bytes++;
		pop_and_write(a);
	}
	if (a->buffered > a->ctr.buffered_max)
		a->ctr.buffered_max = a->buffered;
}

static void
release_upto(struct analyzer *a, uint64_t limit)
{
	const struct heap_ent *top;

	while ((top = heap_top(&a->heap)) != NULL && top->key <= limit)
		pop_and_write(a);
}

static void
arm_idle(struct analyzer *a, uint64_t now)
{
	uint64_t window = a->conf.reorder_ms * NS_PER_MS, wait = 0;
	struct timeval tv;

	if (a->buffered == 0 || evtimer_pending(a->ev_idle, NULL))
		return;
	if (now - a->newest_mono < window)
		wait = window - (now - a->newest_mono);
	wait = (wait + 999) / 1000;	/* µs, rounded up: never early */
	tv.tv_sec = (time_t)(wait / 1000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000);
	evtimer_add(a->ev_idle, &tv);
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct analyzer *a = arg;
	uint64_t now = dicap_mono_ns();

	(void)fd;
	(void)what;
	if (now - a->newest_mono >= a->conf.reorder_ms * NS_PER_MS)
		release_upto(a, UINT64_MAX);
	else
		arm_idle(a, now);
}

void
reorder_input_done(struct analyzer *a)
{
	uint64_t window = a->conf.reorder_ms * NS_PER_MS;
	uint64_t now = dicap_mono_ns();

	if (a->newest_grew) {
		a->newest_mono = now;
		a->newest_grew = 0;
	}
	if (a->newest_ts >= window)
		release_upto(a, a->newest_ts - window);
	arm_idle(a, now);
}

/* @n is going: no run of it is in the heap, so its run is empty. */
void
reorder_forget(struct analyzer *a, struct node *n)
{
	if (n->run == NULL)
		return;
	run_free_chunks(a, n->run);
	free(n->run);
	n->run = NULL;
}

void
reorder_flush_all(struct analyzer *a)
{
	release_upto(a, UINT64_MAX);
}

size_t
reorder_len(const struct analyzer *a)
{
	return a->buffered;
}

void
reorder_free(struct analyzer *a)
{
	struct node *n, *ntmp;
	struct chunk *c;
	struct run *run;

	while ((run = heap_pop(&a->heap)) != NULL) {
		run_free_chunks(a, run);
		if (run->node != NULL)
			run->node->run = NULL;
		free(run);
	}
	HASH_ITER(hh, a->nodes, n, ntmp) {
		if (n->run != NULL) {
			run_free_chunks(a, n->run);
			free(n->run);
			n->run = NULL;
		}
	}
	while ((c = a->spare) != NULL) {
		a->spare = c->next;
		free(c);
	}
	a->spare_count = 0;
	a->buffered = 0;
	a->buffered_bytes = 0;
	heap_free(&a->heap);
	if (a->ev_idle != NULL)
		event_free(a->ev_idle);
	a->ev_idle = NULL;
}
