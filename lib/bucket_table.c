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
 *
 * The build runs member by member over blocks of buckets, each bucket
 * keeping its best key so far: the buckets of a block are independent, so
 * the CPU overlaps their hash and logarithm computations, where one bucket
 * at a time over all members makes a chain of dependent compares.  The
 * same step, one member against the kept keys, is the incremental update.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "bucket_table.h"

#define LOG_TABLE_BITS	10
#define LOG_TABLE_SIZE	(1u << LOG_TABLE_BITS)
#define FRAC_BITS	32		/* -log2(u) is kept in Q32 */
#define U_BITS		54		/* u = X / 2^54 with X odd */

/*
 * A key is kept packed as -log2(u) (under 2^38) above the weight (16
 * bits); the packed value is below 2^54.
 */
#define KEY_WEIGHT_BITS	16
#define KEY_WEIGHT_MASK	((1ull << KEY_WEIGHT_BITS) - 1)

#define BLOCK_BUCKETS	2048		/* keys of a block: 16 KiB, in L1 */
#define GONE		0xffffu		/* not a member index: n <= 65535 */
#define HASH_OFFSET	0x9e3779b97f4a7c15ull

/* A table point of log2(1 + i/1024) and the step to the next one, Q32. */
struct log_point {
	uint64_t base;
	uint64_t slope;
};

static struct log_point log_table[LOG_TABLE_SIZE];
static pthread_once_t log_table_once = PTHREAD_ONCE_INIT;

/*
 * The per-pair hash: the splitmix64 finalizer (Stafford's "Mix13"), a
 * 64-bit bijection with strong avalanche, of (node_id << 32 | bucket) plus
 * an odd constant.  The input packs the node ID and the bucket into
 * disjoint bits, so distinct pairs get distinct outputs; the constant
 * keeps the all-zero input off the fixed point 0.  Since the bucket fills
 * the low bits, the input is member_seed(node_id) + bucket.
 */
static inline uint64_t
member_seed(uint32_t node_id)
{
	return ((uint64_t)node_id << 32) + HASH_OFFSET;
}

static inline uint64_t
pair_hash(uint64_t z)
{
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
static uint64_t
log2_q32(uint32_t i)
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

static void
log_table_init(void)
{
	uint64_t cur = log2_q32(0), next;
	uint32_t i;

	for (i = 0; i < LOG_TABLE_SIZE; i++) {
		next = i + 1 < LOG_TABLE_SIZE ? log2_q32(i + 1) :
						 (uint64_t)1 << FRAC_BITS;
		log_table[i].base = cur;
		log_table[i].slope = next - cur;
		cur = next;
	}
}

static void
log_table_ready(void)
{
	pthread_once(&log_table_once, log_table_init);
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
/*
 * The index of the highest set bit of @x, which is not 0.  x86 without
 * LZCNT has only BSR, which formally leaves its destination unchanged for
 * 0 and therefore waits for the register's previous value: in a loop that
 * chains every iteration to the one before (gcc 12 made the build twice as
 * slow that way).  Zeroing the destination first cuts the chain.
 */
static inline unsigned int
top_bit(uint64_t x)
{
#if defined(__x86_64__) && !defined(__LZCNT__)
	uint64_t n;

	asm("xorl %k0, %k0\n\tbsrq %1, %0" : "=&r"(n) : "rm"(x) : "cc");
	return (unsigned int)n;
#else
	return 63 - (unsigned int)__builtin_clzll(x);
#endif
}

static inline uint64_t
neg_log2_u(uint64_t h)
{
	uint64_t x = (h >> 11) << 1 | 1;
	unsigned int n = top_bit(x);
	uint64_t mant = x << (63 - n);
	uint32_t idx = (uint32_t)(mant >> (63 - LOG_TABLE_BITS)) &
	    (LOG_TABLE_SIZE - 1);
	uint64_t rest = (mant >> (31 - LOG_TABLE_BITS)) & 0xffffffffull;
	const struct log_point *p = &log_table[idx];
	uint64_t frac = p->base + ((p->slope * rest) >> 32);

	return ((uint64_t)U_BITS << FRAC_BITS) -
	    (((uint64_t)n << FRAC_BITS) + frac);
}

static inline uint64_t
pair_key(uint64_t seed, uint32_t bucket, uint64_t w)
{
	return neg_log2_u(pair_hash(seed + bucket)) << KEY_WEIGHT_BITS | w;
}

static int
member_cmp(const void *a, const void *b)
{
	const struct dicap_member *x = a, *y = b;

	return (x->node_id > y->node_id) - (x->node_id < y->node_id);
}

static int
fail(const char **err, const char *why)
{
	if (err != NULL)
		*err = why;
	return -1;
}

static int
check_count(const struct dicap_member *m, size_t n,
    const char **err)
{
	if (m == NULL || n == 0)
		return fail(err, "empty member list");
	if (n > DICAP_MAX_MEMBERS)
		return fail(err, "too many members (at most 65535)");
	return 0;
}

int
dicap_members_normalize(struct dicap_member *m, size_t n,
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

static int
check_normalized(const struct dicap_member *m, size_t n,
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
 * Does the key @nl / @w beat the packed key @best?  Keys are compared by
 * cross-multiplication, both products below 2^38 * 2^16.  Equal keys go
 * to the lower node ID, @id against @best_id: in the order of the member
 * list, which the full build follows, the earlier member keeps the bucket.
 */
static inline int
beats(uint64_t nl, uint64_t w, uint32_t id, uint64_t best,
    uint32_t best_id)
{
	uint64_t mine = nl * (best & KEY_WEIGHT_MASK);
	uint64_t theirs = (best >> KEY_WEIGHT_BITS) * w;

	if (__builtin_expect(mine > theirs, 1))
		return 0;
	return mine < theirs || id < best_id;
}

/*
 * Member @j competes for the @count buckets from @first, whose winners so
 * far are @table[] and @key[] (indexed from @first): it takes every bucket
 * it beats.
 */
static void
compete(const struct dicap_member *m, uint16_t j, uint32_t first,
    uint32_t count, uint16_t *table, uint64_t *key)
{
	uint64_t seed = member_seed(m[j].node_id) + first;
	uint64_t w = m[j].weight, nl;
	uint32_t id = m[j].node_id, i;

	for (i = 0; i < count; i++) {
		nl = neg_log2_u(pair_hash(seed + i));
		if (beats(nl, w, id, key[i], m[table[i]].node_id)) {
			table[i] = j;
			key[i] = nl << KEY_WEIGHT_BITS | w;
		}
	}
}

/* The full build of the @count buckets from @first. */
static void
build_block(const struct dicap_member *m, size_t n, uint32_t first,
    uint32_t count, uint16_t *table, uint64_t *key)
{
	uint64_t seed = member_seed(m[0].node_id);
	uint32_t i;
	size_t j;

	for (i = 0; i < count; i++) {
		table[i] = 0;
		key[i] = pair_key(seed, first + i, m[0].weight);
	}
	for (j = 1; j < n; j++)
		compete(m, (uint16_t)j, first, count, table, key);
}

/* The winner of one bucket over all of @m, into @table and @key. */
static void
bucket_winner(const struct dicap_member *m, size_t n,
    uint32_t bucket, uint16_t *table, uint64_t *key)
{
	uint64_t best = pair_key(member_seed(m[0].node_id), bucket,
	    m[0].weight);
	uint64_t nl;
	size_t best_i = 0, i;

	for (i = 1; i < n; i++) {
		nl = neg_log2_u(pair_hash(member_seed(m[i].node_id) + bucket));
		if (beats(nl, m[i].weight, m[i].node_id, best,
		    m[best_i].node_id)) {
			best = nl << KEY_WEIGHT_BITS | m[i].weight;
			best_i = i;
		}
	}
	*table = (uint16_t)best_i;
	*key = best;
}

int
dicap_table_build(const struct dicap_member *m, size_t n, uint16_t *table,
    const char **err)
{
	uint64_t key[BLOCK_BUCKETS];
	uint32_t b;

	if (table == NULL)
		return fail(err, "no table");
	if (check_normalized(m, n, err) == -1)
		return -1;
	log_table_ready();
	for (b = 0; b < DICAP_BUCKETS; b += BLOCK_BUCKETS)
		build_block(m, n, b, BLOCK_BUCKETS, table + b, key);
	return 0;
}

int
dicap_table_build_state(const struct dicap_member *m, size_t n,
    struct dicap_table_state *s, const char **err)
{
	uint32_t b;

	if (s == NULL || s->table == NULL || s->key == NULL)
		return fail(err, "no table state");
	if (check_normalized(m, n, err) == -1)
		return -1;
	log_table_ready();
	for (b = 0; b < DICAP_BUCKETS; b += BLOCK_BUCKETS)
		build_block(m, n, b, BLOCK_BUCKETS, s->table + b, s->key + b);
	return 0;
}

/*
 * Walk both sorted lists: @remap[old index] = new index, or GONE for a
 * member that left or changed its weight; @joined[] = the new indices of
 * members that joined or changed their weight.  Returns their number.
 */
static size_t
diff_members(const struct dicap_member *old_m, size_t old_n,
    const struct dicap_member *new_m, size_t new_n,
    uint16_t *remap, uint16_t *joined)
{
	size_t i = 0, j = 0, n_joined = 0;

	while (i < old_n || j < new_n) {
		if (j == new_n ||
		    (i < old_n && old_m[i].node_id < new_m[j].node_id)) {
			remap[i++] = GONE;
		} else if (i == old_n || new_m[j].node_id < old_m[i].node_id) {
			joined[n_joined++] = (uint16_t)j++;
		} else {
			if (old_m[i].weight == new_m[j].weight) {
				remap[i] = (uint16_t)j;
			} else {
				remap[i] = GONE;
				joined[n_joined++] = (uint16_t)j;
			}
			i++;
			j++;
		}
	}
	return n_joined;
}

/* Buckets whose winner left; -1 if @table names no member of the old list. */
static int64_t
count_orphans(const uint16_t *table, size_t old_n,
    const uint16_t *remap)
{
	int64_t orphans = 0;
	uint32_t b;

	for (b = 0; b < DICAP_BUCKETS; b++) {
		if (table[b] >= old_n)
			return -1;
		orphans += remap[table[b]] == GONE;
	}
	return orphans;
}

static void
update_block(const struct dicap_member *new_m, size_t new_n,
    const uint16_t *remap, const uint16_t *joined,
    size_t n_joined, uint32_t first, uint16_t *table,
    uint64_t *key)
{
	uint32_t i;
	size_t j;

	for (i = 0; i < BLOCK_BUCKETS; i++) {
		if (remap[table[i]] != GONE)
			table[i] = remap[table[i]];
		else
			bucket_winner(new_m, new_n, first + i, &table[i],
			    &key[i]);
	}
	for (j = 0; j < n_joined; j++)
		compete(new_m, joined[j], first, BLOCK_BUCKETS, table, key);
}

int
dicap_table_update(const struct dicap_member *old_m, size_t old_n,
    const struct dicap_member *new_m, size_t new_n,
    struct dicap_table_state *s, const char **err)
{
	uint16_t *remap, *joined;
	size_t n_joined;
	int64_t orphans;
	uint32_t b;
	int rc = 0;

	if (s == NULL || s->table == NULL || s->key == NULL)
		return fail(err, "no table state");
	if (check_normalized(old_m, old_n, err) == -1 ||
	    check_normalized(new_m, new_n, err) == -1)
		return -1;
	remap = malloc(old_n * sizeof(*remap));
	joined = malloc(new_n * sizeof(*joined));
	if (remap == NULL || joined == NULL) {
		rc = fail(err, "out of memory");
		goto out;
	}
	n_joined = diff_members(old_m, old_n, new_m, new_n, remap, joined);
	orphans = count_orphans(s->table, old_n, remap);
	if (orphans == -1) {
		rc = fail(err, "table state does not match the old member list");
		goto out;
	}
	/* Each orphan costs new_n keys, each joiner a pass over all buckets. */
	if ((uint64_t)orphans * new_n + (n_joined + 1) * (uint64_t)DICAP_BUCKETS >=
	    (uint64_t)new_n * DICAP_BUCKETS) {
		rc = dicap_table_build_state(new_m, new_n, s, err) == -1 ? -1 : 1;
		goto out;
	}
	log_table_ready();
	for (b = 0; b < DICAP_BUCKETS; b += BLOCK_BUCKETS)
		update_block(new_m, new_n, remap, joined, n_joined, b,
		    s->table + b, s->key + b);
out:
	free(remap);
	free(joined);
	return rc;
}

uint32_t
dicap_table_count(const uint16_t *table, uint16_t idx)
{
	uint32_t b, count = 0;

	for (b = 0; b < DICAP_BUCKETS; b++)
		count += table[b] == idx;
	return count;
}

int
dicap_members_find(const struct dicap_member *m, size_t n, uint32_t node_id)
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
