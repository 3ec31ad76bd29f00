/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bucket table: 65536 hash buckets -> member index, a deterministic
 * function of the membership (node IDs and weights), so that every node and
 * the coordinator compute the same table from the same member list.
 * Userspace only; the datapaths receive the finished table.
 */
#ifndef DICAP_BUCKET_TABLE_H
#define DICAP_BUCKET_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "select.h"

#define DICAP_MAX_MEMBERS	65535
#define DICAP_MAX_WEIGHT	65535

struct dicap_member {
	uint32_t node_id;
	uint16_t weight;	/* relative capacity, 1..65535; 0 is rejected */
};

/*
 * Sort @m by node ID (the canonical member order: a member's index in the
 * sorted list is its round-robin position and its value in the table) and
 * reject duplicates and zero weights.  Returns 0, or -1 with a reason in
 * @err (if not NULL).
 */
int dicap_members_normalize(struct dicap_member *m, size_t n, const char **err);

/*
 * Fill @table (DICAP_BUCKETS entries) for the normalized member list @m.
 * table[b] is the index into @m of the owner of bucket b.
 * Returns 0, or -1 with a reason in @err.
 */
int dicap_table_build(const struct dicap_member *m, size_t n, uint16_t *table,
		      const char **err);

/* Number of buckets in @table owned by index @idx. */
uint32_t dicap_table_count(const uint16_t *table, uint16_t idx);

/* Index of @node_id in the normalized list, or -1. */
int dicap_members_find(const struct dicap_member *m, size_t n, uint32_t node_id);

#endif /* DICAP_BUCKET_TABLE_H */
