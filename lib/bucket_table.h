/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bucket table: 65536 hash buckets -> member index, a deterministic
 * function of the membership (node IDs and weights), so that every node and
 * the coordinator compute the same table from the same member list.
 * Userspace only; the datapaths receive the finished table.
 */
#ifndef LIB_BUCKET_TABLE_H
#define LIB_BUCKET_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "dicap/select.h"

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
int	dicap_members_normalize(struct dicap_member *m, size_t n, const char **err);

/*
 * Fill @table (DICAP_BUCKETS entries) for the normalized member list @m.
 * table[b] is the index into @m of the owner of bucket b.
 * Returns 0, or -1 with a reason in @err.
 */
int	dicap_table_build(const struct dicap_member *m, size_t n, uint16_t *table,
	    const char **err);

/*
 * A table that can be updated incrementally: @table as dicap_table_build()
 * fills it, and per bucket the winning key (an opaque value) so that a
 * joining member only has to be compared with the current winner.  The
 * caller allocates both arrays with DICAP_BUCKETS entries and keeps the
 * member list the state was last built or updated for.
 */
struct dicap_table_state {
	uint16_t *table;
	uint64_t *key;
};

/*
 * dicap_table_build() into @s, keeping the keys.  Same result in @s->table,
 * same errors.
 */
int	dicap_table_build_state(const struct dicap_member *m, size_t n,
	    struct dicap_table_state *s, const char **err);

/*
 * Update @s, built for the normalized list @old_m, to the normalized list
 * @new_m: afterwards @s->table is identical to dicap_table_build(@new_m).
 * A member whose weight changed counts as a leave and a join.  The work is
 * 65536 x (joined members + 1) key evaluations plus the buckets of the
 * members that left x @new_n; when a full build is cheaper, it does that.
 * Returns 0 after an update in place, 1 after a full build, or -1 with a
 * reason in @err; after an error @s is unusable until the next
 * dicap_table_build_state().  Allocates O(@old_n + @new_n)
 * temporary memory.  Thread-safe for distinct states.
 */
int	dicap_table_update(const struct dicap_member *old_m, size_t old_n,
	    const struct dicap_member *new_m, size_t new_n,
	    struct dicap_table_state *s, const char **err);

/* Number of buckets in @table owned by index @idx. */
uint32_t	dicap_table_count(const uint16_t *table, uint16_t idx);

/* Index of @node_id in the normalized list, or -1. */
int	dicap_members_find(const struct dicap_member *m, size_t n, uint32_t node_id);

#endif /* LIB_BUCKET_TABLE_H */
