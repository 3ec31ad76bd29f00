/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bucket table by weighted rendezvous (highest random weight) hashing.
 *
 * Every (bucket, member) pair gets a pseudo-random u in (0, 1) from a hash
 * of the bucket and the member's node ID; the member's key is -ln(u) / w,
 * an exponential variable of rate w, and the smallest key owns the bucket.
 * The minimum of independent exponentials falls on member m with
 * probability w_m / sum(w), which gives the weighted shares; and since a
 * key depends only on its own member, removing a member moves exactly its
 * buckets, adding one moves exactly the buckets it now wins.
 *
 * All of it is integer arithmetic so that every node, whatever its libm or
 * compiler, builds the bit-identical table: -log2(u) comes from CLZ plus a
 * 1024-entry table of log2(1 + i/1024) with linear interpolation, the table
 * itself computed by repeated squaring; keys are compared by
 * cross-multiplication instead of division.  (The base of the logarithm is
 * a common factor and does not change which key is smallest.)
 */
#include <stdint.h>
#include <stdlib.h>

#include "bucket_table.h"

#define LOG_TABLE_BITS	10
#define LOG_TABLE_SIZE	(1u << LOG_TABLE_BITS)
#define FRAC_BITS	32		/* -log2(u) is kept in Q32 */
#define U_BITS		54		/* u = X / 2^54 with X odd */

/*
 * The per-pair hash: the splitmix64 finalizer (Stafford's "Mix13"), a
 * 64-bit bijection with strong avalanche.  The input packs the node ID and
 * the bucket into disjoint bits, so distinct pairs get distinct outputs;
 * the added odd constant keeps the all-zero input off the fixed point 0.
 */
static inline uint64_t pair_hash(uint32_t node_id, uint32_t bucket)
{
	uint64_t z = ((uint64_t)node_id << 32 | bucket) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * log2(y) for y = (LOG_TABLE_SIZE + i) / LOG_TABLE_SIZE in [1, 2), Q32, by
 * repeated squaring in Q62: squaring doubles the logarithm, so each time
 * the square reaches 2 the next fraction bit is 1.  Exact but for the
 * truncation of the last bit or two, and deterministic.
 */
static uint64_t log2_q32(uint32_t i)
{
	unsigned __int128 sq;
	uint64_t y = (uint64_t)(LOG_TABLE_SIZE + i) << (62 - LOG_TABLE_BITS);
	uint64_t r = 0;
	int bit;

	for (bit = 0; bit < FRAC_BITS; bit++) {
		sq = (unsigned __int128)y * y;
		y = (uint64_t)(sq >> 62);
		r <<= 1;
		if (y >= (uint64_t)1 << 63) {
			y >>= 1;
			r |= 1;
		}
	}
	return r;
}

static void log_table_init(uint64_t *t)
{
	uint32_t i;

	for (i = 0; i < LOG_TABLE_SIZE; i++)
		t[i] = log2_q32(i);
	t[LOG_TABLE_SIZE] = (uint64_t)1 << FRAC_BITS;
}

/*
 * -log2(u) in Q32 for u = X / 2^54, X = 2 * (h >> 11) + 1: 53 bits of the
 * hash, centred so that u is never 0 or 1.  The result is in (0, 54 * 2^32],
 * under 2^38.  Linear interpolation between table points is below the
 * concave log2, so the result stays positive.  Measured error: under 2e-7
 * absolute, under 2.5e-4 relative for results above 1e-4 (near u = 1,
 * where the winning keys are, it tends to 1/(4 * LOG_TABLE_SIZE)).  The
 * error is the same function of u for every member, so it does not favour
 * any of them.
 */
static inline uint64_t neg_log2_u(const uint64_t *t, uint64_t h)
{
	uint64_t x = (h >> 11) << 1 | 1;
	unsigned int n = 63 - (unsigned int)__builtin_clzll(x);
	uint64_t mant = x << (63 - n);
	uint32_t idx = (uint32_t)(mant >> (63 - LOG_TABLE_BITS)) &
		       (LOG_TABLE_SIZE - 1);
	uint64_t rest = (mant >> (31 - LOG_TABLE_BITS)) & 0xffffffffull;
	uint64_t frac = t[idx] + (((t[idx + 1] - t[idx]) * rest) >> 32);

	return ((uint64_t)U_BITS << FRAC_BITS) -
	       (((uint64_t)n << FRAC_BITS) + frac);
}

static int member_cmp(const void *a, const void *b)
{
	const struct dicap_member *x = a, *y = b;

	return (x->node_id > y->node_id) - (x->node_id < y->node_id);
}

static int fail(const char **err, const char *why)
{
	if (err != NULL)
		*err = why;
	return -1;
}

static int check_count(const struct dicap_member *m, size_t n,
		       const char **err)
{
	if (m == NULL || n == 0)
		return fail(err, "empty member list");
	if (n > DICAP_MAX_MEMBERS)
		return fail(err, "too many members (at most 65535)");
	return 0;
}

int dicap_members_normalize(struct dicap_member *m, size_t n,
			    const char **err)
{
	size_t i;

	if (check_count(m, n, err) == -1)
		return -1;
	qsort(m, n, sizeof(*m), member_cmp);
	for (i = 0; i < n; i++) {
		if (m[i].weight == 0)
			return fail(err, "member with weight 0");
		if (i > 0 && m[i].node_id == m[i - 1].node_id)
			return fail(err, "duplicate node id");
	}
	return 0;
}

static int check_normalized(const struct dicap_member *m, size_t n,
			    const char **err)
{
	size_t i;

	if (check_count(m, n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (m[i].weight == 0)
			return fail(err, "member with weight 0");
		if (i > 0 && m[i].node_id <= m[i - 1].node_id)
			return fail(err, "member list not normalized "
					 "(unsorted or duplicate node id)");
	}
	return 0;
}

/*
 * Key a beats key b when nl_a / w_a < nl_b / w_b; both products are below
 * 2^38 * 2^16.  Equal keys keep the earlier member, the lower node ID.
 */
static inline uint16_t bucket_owner(const struct dicap_member *m, size_t n,
				    const uint64_t *t, uint32_t bucket)
{
	uint64_t best_nl = neg_log2_u(t, pair_hash(m[0].node_id, bucket));
	uint64_t best_w = m[0].weight;
	uint64_t nl;
	size_t best = 0, i;

	for (i = 1; i < n; i++) {
		nl = neg_log2_u(t, pair_hash(m[i].node_id, bucket));
		if (nl * best_w < best_nl * m[i].weight) {
			best_nl = nl;
			best_w = m[i].weight;
			best = i;
		}
	}
	return (uint16_t)best;
}

int dicap_table_build(const struct dicap_member *m, size_t n, uint16_t *table,
		      const char **err)
{
	uint64_t t[LOG_TABLE_SIZE + 1];
	uint32_t b;

	if (table == NULL)
		return fail(err, "no table");
	if (check_normalized(m, n, err) == -1)
		return -1;
	log_table_init(t);
	for (b = 0; b < DICAP_BUCKETS; b++)
		table[b] = bucket_owner(m, n, t, b);
	return 0;
}

uint32_t dicap_table_count(const uint16_t *table, uint16_t idx)
{
	uint32_t b, count = 0;

	for (b = 0; b < DICAP_BUCKETS; b++)
		count += table[b] == idx;
	return count;
}

int dicap_members_find(const struct dicap_member *m, size_t n, uint32_t node_id)
{
	size_t lo = 0, hi = n, mid;

	if (m == NULL)
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m[mid].node_id < node_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && m[lo].node_id == node_id)
		return (int)lo;
	return -1;
}
