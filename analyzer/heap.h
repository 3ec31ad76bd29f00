/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A binary min-heap of items keyed by (key, tie): the reorder window's
 * merge of its sorted runs.  Equal keys come out in increasing tie order, so records with
 * the same timestamp keep their arrival order.  No dependencies beyond
 * libc, so that the unit test can build it on its own.
 */
#ifndef ANA_HEAP_H
#define ANA_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_ent {
	uint64_t key;
	uint64_t tie;
	void *item;
};

struct heap {
	struct heap_ent *v;
	size_t n;
	size_t cap;
};

void	heap_init(struct heap *);
void	heap_free(struct heap *);
/* 0, or -1 when out of memory (the heap is unchanged). */
int	heap_push(struct heap *, uint64_t key, uint64_t tie, void *item);
/* The smallest entry, or NULL when empty; heap_pop() removes it. */
const struct heap_ent *heap_top(const struct heap *);
void	*heap_pop(struct heap *);
/* Give the smallest entry (the heap must not be empty) a new key and tie. */
void	heap_replace_top(struct heap *, uint64_t key, uint64_t tie);
size_t	heap_len(const struct heap *);

#endif /* ANA_HEAP_H */
