/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>

#include "heap.h"

#define HEAP_MIN_CAP	64

static int
ent_less(const struct heap_ent *a, const struct heap_ent *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->tie < b->tie;
}

void
heap_init(struct heap *h)
{
	h->v = NULL;
	h->n = 0;
	h->cap = 0;
}

void
heap_free(struct heap *h)
{
	free(h->v);
	heap_init(h);
}

size_t
heap_len(const struct heap *h)
{
	return h->n;
}

static int
grow(struct heap *h)
{
	struct heap_ent *v;
	size_t cap = h->cap ? h->cap * 2 : HEAP_MIN_CAP;

	if (cap < h->cap || cap > SIZE_MAX / sizeof(*v))
		return -1;
	if ((v = realloc(h->v, cap * sizeof(*v))) == NULL)
		return -1;
	h->v = v;
	h->cap = cap;
	return 0;
}

/* Give memory back after a burst: a long capture should not keep its peak. */
static void
shrink(struct heap *h)
{
	struct heap_ent *v;
	size_t cap = h->cap / 2;

	if (cap < HEAP_MIN_CAP || h->n > cap / 2)
		return;
	if ((v = realloc(h->v, cap * sizeof(*v))) == NULL)
		return;
	h->v = v;
	h->cap = cap;
}

int
heap_push(struct heap *h, uint64_t key, uint64_t tie, void *item)
{
	struct heap_ent e = { key, tie, item };
	size_t i, parent;

	if (h->n == h->cap && grow(h) == -1)
		return -1;
	for (i = h->n++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!ent_less(&e, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
	}
	h->v[i] = e;
	return 0;
}

const struct heap_ent *
heap_top(const struct heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

/* Put @e at the root and move it down to its place among the h->n entries. */
static void
sift_down(struct heap *h, struct heap_ent e)
{
	size_t i, child;

	for (i = 0; (child = 2 * i + 1) < h->n; i = child) {
		if (child + 1 < h->n && ent_less(&h->v[child + 1], &h->v[child]))
			child++;
		if (!ent_less(&h->v[child], &e))
			break;
		h->v[i] = h->v[child];
	}
	h->v[i] = e;
}

void *
heap_pop(struct heap *h)
{
	void *item;

	if (h->n == 0)
		return NULL;
	item = h->v[0].item;
	if (--h->n)
		sift_down(h, h->v[h->n]);
	shrink(h);
	return item;
}

void
heap_replace_top(struct heap *h, uint64_t key, uint64_t tie)
{
	struct heap_ent e = h->v[0];

	e.key = key;
	e.tie = tie;
	sift_down(h, e);
}
