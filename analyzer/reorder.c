/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The reorder window: records from all nodes are merged by timestamp
 * before they are written.  With W the window (--reorder-ms) and T the
 * newest record timestamp received so far, over all nodes:
 *
 *   1. a record with timestamp t is written as soon as t <= T - W;
 *   2. when W of wall time (CLOCK_MONOTONIC) has passed since T last grew,
 *      every buffered record is written;
 *   3. when more than --reorder-max records are buffered, the oldest are
 *      written at once (counted as "forced");
 *   4. on exit every buffered record is written.
 *
 * Records always leave in (timestamp, arrival) order.  A record older
 * than one already written (it came later than the window allows) is
 * still written, out of place, and counted as "late": nothing received
 * is dropped for being late.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "heap.h"
#include "log.h"
#include "replay.h"

struct rec {
	struct node *node;
	uint32_t wirelen;
	uint32_t caplen;
	uint8_t data[];
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
	output_write(a, ts, wirelen, caplen, data);
}

static void
pop_and_write(struct analyzer *a)
{
	const struct heap_ent *top = heap_top(&a->heap);
	uint64_t ts = top->key;
	struct rec *r = heap_pop(&a->heap);

	write_one(a, r->node, ts, r->wirelen, r->caplen, r->data);
	free(r);
}

void
reorder_push(struct analyzer *a, struct node *n, uint64_t ts, uint32_t wirelen,
    const uint8_t *data, uint32_t caplen)
{
	struct rec *r;

	if (ts > a->newest_ts) {
		a->newest_ts = ts;
		a->newest_grew = 1;
	}
	r = malloc(sizeof(*r) + caplen);
	if (r == NULL || heap_push(&a->heap, ts, a->arrivals++, r) == -1) {
		/* out of memory: better out of place than lost */
		free(r);
		a->ctr.forced++;
		write_one(a, n, ts, wirelen, caplen, data);
		return;
	}
	r->node = n;
	r->wirelen = wirelen;
	r->caplen = caplen;
	memcpy(r->data, data, caplen);
	if (heap_len(&a->heap) > a->conf.reorder_max) {
		a->ctr.forced++;
		pop_and_write(a);
	}
	if (heap_len(&a->heap) > a->ctr.buffered_max)
		a->ctr.buffered_max = heap_len(&a->heap);
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

	if (heap_len(&a->heap) == 0 || evtimer_pending(a->ev_idle, NULL))
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

void
reorder_flush_all(struct analyzer *a)
{
	release_upto(a, UINT64_MAX);
}

size_t
reorder_len(const struct analyzer *a)
{
	return heap_len(&a->heap);
}

void
reorder_free(struct analyzer *a)
{
	struct rec *r;

	while ((r = heap_pop(&a->heap)) != NULL)
		free(r);
	heap_free(&a->heap);
	if (a->ev_idle != NULL)
		event_free(a->ev_idle);
	a->ev_idle = NULL;
}
