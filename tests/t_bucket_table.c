/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bucket table: weighted shares, determinism, minimal movement when a
 * member leaves or joins, rejection of bad member lists, the incremental
 * update against full builds (ties included), build and update time.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bucket_table.h"
#include "tap.h"

#define REFERENCE_FINGERPRINT	0xa8f0b8925cb1c7e4ull

#define MAXN	1000
#define BIGN	4096

/* The sanitizers slow the builds tenfold: fewer random update steps. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

static uint16_t table[DICAP_BUCKETS];
static uint16_t table2[DICAP_BUCKETS];
static uint16_t state_table[DICAP_BUCKETS];
static uint64_t state_key[DICAP_BUCKETS];
static struct dicap_table_state state = { state_table, state_key };

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static int
has_id(const struct dicap_member *m, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].node_id == id)
			return 1;
	return 0;
}

/* Distinct random node IDs; weights by @scheme: 0 = 1..4 cycling, 1 = random 1..100. */
static void
make_members(struct dicap_member *m, size_t n, int scheme)
{
	uint32_t id;
	size_t i;

	for (i = 0; i < n; i++) {
		do
			id = (uint32_t)rng();
		while (has_id(m, i, id));
		m[i].node_id = id;
		m[i].weight = scheme == 0 ? (uint16_t)(1 + i % 4) :
		    (uint16_t)(1 + rng_below(100));
	}
}

/* Field by field: struct padding is not part of the value. */
static int
same_members(const struct dicap_member *a, const struct dicap_member *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].node_id != b[i].node_id || a[i].weight != b[i].weight)
			return 0;
	return 1;
}

static void
shuffle(struct dicap_member *m, size_t n)
{
	struct dicap_member t;
	size_t i, j;

	for (i = n; i > 1; i--) {
		j = rng_below((uint32_t)i);
		t = m[i - 1];
		m[i - 1] = m[j];
		m[j] = t;
	}
}

static int
build(struct dicap_member *m, size_t n, uint16_t *t)
{
	const char *err = NULL;

	if (dicap_members_normalize(m, n, &err) == -1 ||
	    dicap_table_build(m, n, t, &err) == -1) {
		diag("build failed: %s", err);
		return -1;
	}
	return 0;
}

struct deviation {
	double pp;		/* |share - weight share|, percentage points */
	double rel;		/* |share / weight share - 1| */
	double z;		/* in standard deviations of a binomial count */
};

static void
worst_of(struct deviation *w, const struct deviation *d)
{
	if (d->pp > w->pp)
		w->pp = d->pp;
	if (d->rel > w->rel)
		w->rel = d->rel;
	if (d->z > w->z)
		w->z = d->z;
}

/* The worst deviation of any member's bucket share from its weight share. */
static struct deviation
balance(const struct dicap_member *m, size_t n, const uint16_t *t)
{
	struct deviation worst = { 0, 0, 0 }, d;
	double total = 0, share, want;
	size_t i;

	for (i = 0; i < n; i++)
		total += m[i].weight;
	for (i = 0; i < n; i++) {
		share = dicap_table_count(t, (uint16_t)i) / (double)DICAP_BUCKETS;
		want = m[i].weight / total;
		d.pp = fabs(share - want) * 100;
		d.rel = fabs(share / want - 1);
		d.z = want < 1 ? fabs(share - want) /
		    sqrt(want * (1 - want) / DICAP_BUCKETS) : 0;
		worst_of(&worst, &d);
	}
	return worst;
}

static void
test_balance(void)
{
	static const char *scheme_name[] = { "weights 1..4 cycling", "random weights 1..100" };
	struct dicap_member m[64];
	struct deviation d, worst;
	size_t n;
	int scheme;

	for (scheme = 0; scheme < 2; scheme++) {
		memset(&worst, 0, sizeof(worst));
		for (n = 1; n <= 64; n++) {
			make_members(m, n, scheme);
			if (build(m, n, table) == -1) {
				ok(0, "balance N=%zu, %s: build", n, scheme_name[scheme]);
				continue;
			}
			d = balance(m, n, table);
			ok(d.pp <= 1.0, "balance N=%zu, %s: worst deviation %.3f pp",
			    n, scheme_name[scheme], d.pp);
			worst_of(&worst, &d);
		}
		diag("%s, N=1..64: worst share deviation %.3f pp, worst relative "
		    "deviation %.1f%%, worst %.2f sigma", scheme_name[scheme],
		    worst.pp, worst.rel * 100, worst.z);
	}
}

static void
test_determinism(void)
{
	static const size_t sizes[] = { 1, 2, 5, 17, 64, 200 };
	struct dicap_member m[200], s[200];
	size_t k, n;
	int round;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = sizes[k];
		make_members(m, n, 1);
		if (build(m, n, table) == -1)
			continue;
		for (round = 0; round < 3; round++) {
			memcpy(s, m, n * sizeof(*m));
			shuffle(s, n);
			if (build(s, n, table2) == -1)
				continue;
			ok(same_members(s, m, n) &&
			    memcmp(table, table2, sizeof(table)) == 0,
			    "N=%zu shuffle %d: identical member order and table", n, round);
		}
	}
}

/* FNV-1a over the table: pins the algorithm across versions. */
static uint64_t
table_fingerprint(const uint16_t *t)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t b;

	for (b = 0; b < DICAP_BUCKETS; b++) {
		h = (h ^ (t[b] & 0xff)) * 0x100000001b3ull;
		h = (h ^ (t[b] >> 8)) * 0x100000001b3ull;
	}
	return h;
}

/*
 * Nodes running different builds must agree on the table: a change of the
 * hash or of the fixed-point logarithm changes this value and breaks
 * mixed-version clusters.  Update it only together with a protocol change.
 */
static void
test_fingerprint(void)
{
	struct dicap_member m[] = {
		{ 1, 1 }, { 2, 2 }, { 3, 3 }, { 10, 4 }, { 77, 100 },
		{ 1000, 65535 }, { 0xfffffffe, 50 }, { 0, 7 },
	};
	size_t n = sizeof(m) / sizeof(m[0]);

	if (build(m, n, table) == -1)
		return;
	diag("reference table fingerprint %016llx",
	    (unsigned long long)table_fingerprint(table));
	ok(table_fingerprint(table) == REFERENCE_FINGERPRINT,
	    "reference membership gives the pinned table");
}

static void
test_leave(void)
{
	static const size_t leavers[] = { 0, 1, 7, 12, 19 };
	struct dicap_member m[20], r[20];
	size_t n = 20, k, li, i, j;
	uint32_t b, moved, wrong, had;

	make_members(m, n, 1);
	if (build(m, n, table) == -1)
		return;
	for (k = 0; k < sizeof(leavers) / sizeof(leavers[0]); k++) {
		li = leavers[k];
		for (i = j = 0; i < n; i++)
			if (i != li)
				r[j++] = m[i];
		if (build(r, n - 1, table2) == -1)
			continue;
		moved = wrong = 0;
		for (b = 0; b < DICAP_BUCKETS; b++) {
			if (m[table[b]].node_id == r[table2[b]].node_id)
				continue;
			moved++;
			wrong += table[b] != li;
		}
		had = dicap_table_count(table, (uint16_t)li);
		ok(moved == had && wrong == 0,
		    "leave of member %zu (weight %u): %u buckets moved, it had %u, "
		    "%u from others", li, m[li].weight, moved, had, wrong);
	}
}

static void
test_join(void)
{
	struct dicap_member m[21], j[21];
	size_t n = 20, i, ji;
	uint32_t b, moved, wrong, jcount, take[20], own[20];
	double f, z, worst_z = 0;
	int fair = 1, round;
	uint32_t id;

	for (round = 0; round < 3; round++) {
		make_members(m, n, 1);
		if (build(m, n, table) == -1)
			return;
		memcpy(j, m, n * sizeof(*m));
		do
			id = (uint32_t)rng();
		while (has_id(m, n, id));
		j[n].node_id = id;
		j[n].weight = (uint16_t)(20 + 30 * round);
		if (build(j, n + 1, table2) == -1)
			return;
		ji = (size_t)dicap_members_find(j, n + 1, id);
		memset(take, 0, sizeof(take));
		moved = wrong = 0;
		for (b = 0; b < DICAP_BUCKETS; b++) {
			if (m[table[b]].node_id == j[table2[b]].node_id)
				continue;
			moved++;
			if (table2[b] != ji)
				wrong++;
			else
				take[table[b]]++;
		}
		jcount = dicap_table_count(table2, (uint16_t)ji);
		ok(moved == jcount && wrong == 0,
		    "join (weight %u): %u buckets moved, joiner owns %u, %u moved "
		    "elsewhere", j[ji].weight, moved, jcount, wrong);

		/* Each bucket goes to the joiner with probability f whoever held it. */
		f = jcount / (double)DICAP_BUCKETS;
		fair = 1;
		worst_z = 0;
		for (i = 0; i < n; i++) {
			own[i] = dicap_table_count(table, (uint16_t)i);
			z = fabs(take[i] - own[i] * f) / sqrt(own[i] * f * (1 - f) + 1);
			if (z > worst_z)
				worst_z = z;
			if (z > 5)
				fair = 0;
		}
		ok(fair, "join (weight %u): take from each member proportional "
		    "to its share (worst %.2f sigma)", j[ji].weight, worst_z);
	}
}

static void
test_reject(void)
{
	struct dicap_member m[4] = { { 5, 1 }, { 3, 1 }, { 9, 2 }, { 1, 1 } };
	struct dicap_member d[3] = { { 5, 1 }, { 3, 1 }, { 5, 2 } };
	struct dicap_member z[2] = { { 5, 1 }, { 3, 0 } };
	struct dicap_member u[2] = { { 5, 1 }, { 3, 1 } };
	const char *err;

	err = NULL;
	ok(dicap_members_normalize(m, 0, &err) == -1 && err != NULL,
	    "normalize rejects an empty list: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_members_normalize(NULL, 3, &err) == -1 && err != NULL,
	    "normalize rejects NULL: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_members_normalize(m, (size_t)DICAP_MAX_MEMBERS + 1, &err) == -1 &&
	    err != NULL, "normalize rejects n > DICAP_MAX_MEMBERS: %s",
	    err ? err : "(none)");
	err = NULL;
	ok(dicap_members_normalize(d, 3, &err) == -1 && err != NULL,
	    "normalize rejects duplicate node ids: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_members_normalize(z, 2, &err) == -1 && err != NULL,
	    "normalize rejects weight 0: %s", err ? err : "(none)");
	ok(dicap_members_normalize(m, 4, NULL) == 0 && m[0].node_id == 1 &&
	    m[1].node_id == 3 && m[2].node_id == 5 && m[3].node_id == 9,
	    "normalize sorts by node id");
	is(dicap_members_find(m, 4, 5), 2, "find an existing node id");
	is(dicap_members_find(m, 4, 4), -1, "find a missing node id");
	is(dicap_members_find(m, 4, 10), -1, "find beyond the last node id");

	err = NULL;
	ok(dicap_table_build(u, 2, table, &err) == -1 && err != NULL,
	    "build rejects an unsorted list: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_table_build(z, 2, table, &err) == -1 && err != NULL,
	    "build rejects weight 0: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_table_build(m, 0, table, &err) == -1 && err != NULL,
	    "build rejects an empty list: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_table_build(m, 4, NULL, &err) == -1 && err != NULL,
	    "build rejects a NULL table: %s", err ? err : "(none)");
	ok(dicap_table_build(m, 4, table, NULL) == 0,
	    "build accepts a normalized list without an error pointer");
	is(dicap_table_count(table, 0) + dicap_table_count(table, 1) +
	    dicap_table_count(table, 2) + dicap_table_count(table, 3),
	    DICAP_BUCKETS, "every bucket has an owner");
	is(dicap_table_count(table, 4), 0, "no bucket names a member beyond the list");
}

/*
 * An independent -log2(u) in Q32 for (node_id, bucket), written from the
 * description in docs/design.md, to prove that the tie cases below are
 * exact ties.
 */
static uint64_t ref_log[1025];

static void
ref_init(void)
{
	unsigned __int128 sq;
	uint64_t y, r;
	int i, k;

	for (i = 0; i < 1024; i++) {
		y = (uint64_t)(1024 + i) << 52;
		r = 0;
		for (k = 0; k < 32; k++) {
			sq = (unsigned __int128)y * y;
			y = (uint64_t)(sq >> 62);
			r <<= 1;
			if (y >> 63) {
				y >>= 1;
				r |= 1;
			}
		}
		ref_log[i] = r;
	}
	ref_log[1024] = 1ull << 32;
}

static uint64_t
ref_neg_log2_u(uint32_t node_id, uint32_t bucket)
{
	uint64_t z = ((uint64_t)node_id << 32 | bucket) + 0x9e3779b97f4a7c15ull;
	uint64_t x, mant, rest, frac;
	unsigned int n, idx;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	x = (z >> 11) << 1 | 1;
	n = 63 - (unsigned int)__builtin_clzll(x);
	mant = x << (63 - n);
	idx = (unsigned int)(mant >> 53) & 1023;
	rest = (mant >> 21) & 0xffffffffull;
	frac = ref_log[idx] + (((ref_log[idx + 1] - ref_log[idx]) * rest) >> 32);
	return (54ull << 32) - (((uint64_t)n << 32) + frac);
}

/* 0: updated in place, 1: rebuilt in full, -1: failed. */
static int
update(const struct dicap_member *o, size_t on, const struct dicap_member *n, size_t nn)
{
	const char *err = NULL;
	int rc;

	if ((rc = dicap_table_update(o, on, n, nn, &state, &err)) == -1)
		diag("update failed: %s", err);
	return rc;
}

static int
state_is_full_build(const struct dicap_member *m, size_t n)
{
	if (dicap_table_build(m, n, table2, NULL) == -1)
		return 0;
	return memcmp(state.table, table2, sizeof(table2)) == 0;
}

static void
test_build_state(void)
{
	static const size_t sizes[] = { 1, 2, 3, 37, 300 };
	struct dicap_member m[300];
	const char *err;
	size_t k, n;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = sizes[k];
		make_members(m, n, 1);
		dicap_members_normalize(m, n, NULL);
		ok(dicap_table_build_state(m, n, &state, NULL) == 0 &&
		    state_is_full_build(m, n),
		    "N=%zu: build with state gives the table of dicap_table_build", n);
	}
	err = NULL;
	ok(dicap_table_build_state(m, n, NULL, &err) == -1 && err != NULL,
	    "build_state rejects a NULL state: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_table_update(m, n, m, n, &(struct dicap_table_state){ table, NULL },
	    &err) == -1 && err != NULL, "update rejects a state without keys: %s",
	    err ? err : "(none)");
	m[0] = m[1];
	err = NULL;
	ok(dicap_table_update(m + 1, n - 1, m, n, &state, &err) == -1 && err != NULL,
	    "update rejects an unnormalized new list: %s", err ? err : "(none)");
	err = NULL;
	ok(dicap_table_update(m, n, m + 1, n - 1, &state, &err) == -1 && err != NULL,
	    "update rejects an unnormalized old list: %s", err ? err : "(none)");
	/* The state holds 300 members' indices: a list of 3 cannot be its source. */
	err = NULL;
	ok(dicap_table_update(m + 1, 3, m + 1, 4, &state, &err) == -1 && err != NULL,
	    "update rejects a state that names members beyond the old list: %s",
	    err ? err : "(none)");
}

/* Does @a (at @bucket) have a smaller key than @b, by the reference? */
static int
ref_beats(struct dicap_member a, struct dicap_member b, uint32_t bucket)
{
	return ref_neg_log2_u(a.node_id, bucket) * b.weight <
	    ref_neg_log2_u(b.node_id, bucket) * a.weight;
}

/*
 * @n members from @id up with weight @w that all lose (@win 0) or all win
 * (@win 1) @bucket against @other; returns the next id to try.
 */
static uint32_t
add_members(struct dicap_member *m, size_t n, uint32_t id, uint16_t w,
    int win, struct dicap_member other, uint32_t bucket)
{
	struct dicap_member c;
	size_t k = 0;

	while (k < n) {
		c.node_id = id++;
		c.weight = w;
		if (win ? ref_beats(c, other, bucket) : ref_beats(other, c, bucket))
			m[k++] = c;
	}
	return id;
}

/* One update of @from (@n) to @to (@nn): in place, and the full build's table? */
static int
tie_update(const struct dicap_member *from, size_t n, const struct dicap_member *to,
    size_t nn)
{
	struct dicap_member a[16], b[16];

	memcpy(a, from, n * sizeof(*a));
	memcpy(b, to, nn * sizeof(*b));
	dicap_members_normalize(a, n, NULL);
	dicap_members_normalize(b, nn, NULL);
	return dicap_table_build_state(a, n, &state, NULL) == 0 &&
	    update(a, n, b, nn) == 0 && state_is_full_build(b, nn);
}

/*
 * Equal keys go to the lower node ID in a full build; an update in place
 * must do the same whichever member comes last, and when the bucket's
 * owner leaves.  The pairs were found by a search over node IDs 1..2^17:
 * (bucket, lower ID and weight, higher ID and weight).  Eight light
 * members that lose the bucket make the lists long enough for updates in
 * place; a heavier one that wins it leaves.
 */
#define TIE_FILL	8

static void
test_ties(void)
{
	static const struct {
		uint32_t bucket;
		struct dicap_member lo, hi;
	} tie[] = {
		{ 1, { 24240, 1 }, { 39967, 1 } },
		{ 1, { 29591, 7 }, { 109634, 7 } },
		{ 2, { 1606, 1 }, { 89567, 2 } },
		{ 3, { 27691, 1 }, { 67272, 4 } },
	};
	struct dicap_member m[TIE_FILL + 3], w[TIE_FILL + 3];
	size_t k, ilo, lo = TIE_FILL, hi = TIE_FILL + 1, big = TIE_FILL + 2;
	uint32_t b, id;
	int exact, same;

	ref_init();
	for (k = 0; k < sizeof(tie) / sizeof(tie[0]); k++) {
		b = tie[k].bucket;
		exact = !ref_beats(tie[k].lo, tie[k].hi, b) &&
		    !ref_beats(tie[k].hi, tie[k].lo, b);
		id = add_members(m, TIE_FILL, 0x10000000, 1, 0, tie[k].lo, b);
		add_members(&m[big], 1, id, 8, 1, tie[k].lo, b);
		m[lo] = tie[k].lo;
		m[hi] = tie[k].hi;
		memcpy(w, m, sizeof(m));
		if (build(w, TIE_FILL + 2, table) == -1)
			continue;
		ilo = (size_t)dicap_members_find(w, TIE_FILL + 2, tie[k].lo.node_id);
		ok(exact && table[b] == ilo,
		    "tie in bucket %u between 0x%x/%u and 0x%x/%u: exact, the lower id wins",
		    b, tie[k].lo.node_id, tie[k].lo.weight, tie[k].hi.node_id,
		    tie[k].hi.weight);

		/* The higher id joins, the lower one joins, the owner leaves. */
		same = tie_update(m, TIE_FILL + 1, m, TIE_FILL + 2);
		memcpy(w, m, sizeof(m));
		w[hi] = tie[k].lo;
		w[lo] = tie[k].hi;
		same = same && tie_update(w, TIE_FILL + 1, w, TIE_FILL + 2);
		same = same && tie_update(m, TIE_FILL + 3, m, TIE_FILL + 2);
		/* The higher id's weight changes to the tying one. */
		memcpy(w, m, sizeof(m));
		w[hi].weight = (uint16_t)(w[hi].weight + 1);
		same = same && tie_update(w, TIE_FILL + 2, m, TIE_FILL + 2);
		ok(same, "tie in bucket %u: updates in place by either member joining, "
		    "by the owner leaving, by a weight change give the full build", b);
	}
}

/* Apply one random batch of changes to @m (n members); returns the new n. */
static size_t
random_batch(struct dicap_member *m, size_t n, size_t max_n, int *kinds)
{
	size_t changes, i, k;
	uint32_t id;
	int what;

	changes = rng_below(10) == 0 ? 1 + rng_below((uint32_t)n + 1) : 1 + rng_below(6);
	for (k = 0; k < changes; k++) {
		what = (int)rng_below(3);
		if (what == 0 && n < max_n) {
			do
				id = (uint32_t)rng();
			while (has_id(m, n, id));
			m[n].node_id = id;
			m[n].weight = (uint16_t)(1 + rng_below(rng_below(4) == 0 ? 65535 : 10));
			n++;
		} else if (what == 1 && n > 1) {
			i = rng_below((uint32_t)n);
			m[i] = m[--n];
		} else {
			i = rng_below((uint32_t)n);
			m[i].weight = (uint16_t)(1 + rng_below(10));
		}
		kinds[what]++;
	}
	return n;
}

static void
test_update_random(void)
{
	static const size_t limits[] = { 8, 8, 40, 100, 300, 300 };
	static struct dicap_member cur[300], next[300];
	int steps = SANITIZED ? 5 : 20, kinds[3] = { 0, 0, 0 }, ways[2] = { 0, 0 };
	size_t n, nn, max_n, worst_n = 0;
	int seq, step, bad, rc, checks = 0;
	uint32_t d = 0;

	for (seq = 0; seq < (int)(sizeof(limits) / sizeof(limits[0])); seq++) {
		max_n = limits[seq];
		n = max_n < 100 ? 1 + rng_below((uint32_t)max_n) :
		    max_n - rng_below((uint32_t)max_n / 3);
		make_members(cur, n, 1);
		dicap_members_normalize(cur, n, NULL);
		if (dicap_table_build_state(cur, n, &state, NULL) == -1)
			continue;
		bad = 0;
		for (step = 0; step < steps && !bad; step++) {
			memcpy(next, cur, n * sizeof(*cur));
			nn = random_batch(next, n, max_n, kinds);
			if (dicap_members_normalize(next, nn, NULL) == -1 ||
			    (rc = update(cur, n, next, nn)) == -1) {
				bad = 1;
				break;
			}
			ways[rc]++;
			if (!state_is_full_build(next, nn)) {
				for (d = 0; d < DICAP_BUCKETS; d++)
					if (state.table[d] != table2[d])
						break;
				diag("step %d, %zu -> %zu members: bucket %u is %u, the full "
				    "build says %u", step, n, nn, d, state.table[d], table2[d]);
				bad = 1;
			}
			checks++;
			if (nn > worst_n)
				worst_n = nn;
			memcpy(cur, next, nn * sizeof(*cur));
			n = nn;
		}
		ok(!bad, "random sequence %d (up to %zu members): %d batches, every "
		    "update equals the full build", seq, max_n, step);
	}
	diag("%d updates checked (largest list %zu): %d joins, %d leaves, %d weight "
	    "changes; %d done in place, %d as full builds", checks, worst_n, kinds[0],
	    kinds[1], kinds[2], ways[0], ways[1]);
	ok(ways[0] > 0 && ways[1] > 0, "the random batches took both ways");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_speed(void)
{
	static struct dicap_member m[MAXN];
	static const size_t sizes[] = { 64, MAXN };
	struct deviation d;
	double t0, dt;
	size_t k, n;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = sizes[k];
		make_members(m, n, 1);
		dicap_members_normalize(m, n, NULL);
		t0 = now();
		dicap_table_build(m, n, table, NULL);
		dt = now() - t0;
		d = balance(m, n, table);
		diag("N=%zu: build %.1f ms, %.2f ns per (bucket, member); worst "
		    "share deviation %.4f pp, relative %.1f%%, %.2f sigma", n,
		    dt * 1e3, dt * 1e9 / ((double)n * DICAP_BUCKETS), d.pp,
		    d.rel * 100, d.z);
	}
}

static double
timed_update(const struct dicap_member *o, size_t on, const struct dicap_member *n,
    size_t nn, int *in_place)
{
	double t0 = now();

	*in_place = *in_place && update(o, on, n, nn) == 0;
	return now() - t0;
}

/*
 * Updates in a chain from one full build: a join, its leave, ten joins,
 * their leaves, a weight change; then the state must still be the full
 * build.
 */
static void
test_update_speed(void)
{
	static struct dicap_member m[BIGN + 10], j1[BIGN + 1], j10[BIGN + 10], w[BIGN];
	static const size_t sizes[] = { MAXN, BIGN };
	double full, join1, leave1, join10, leave10, reweigh, t0;
	size_t k, n;
	int in_place = 1;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = sizes[k];
		if (SANITIZED && n > MAXN)
			break;
		make_members(m, n + 10, 0);
		memcpy(j1, m, (n + 1) * sizeof(*m));
		memcpy(j10, m, (n + 10) * sizeof(*m));
		dicap_members_normalize(m, n, NULL);
		dicap_members_normalize(j1, n + 1, NULL);
		dicap_members_normalize(j10, n + 10, NULL);
		memcpy(w, m, n * sizeof(*m));
		w[n / 2].weight = (uint16_t)(w[n / 2].weight + 1);
		t0 = now();
		dicap_table_build_state(m, n, &state, NULL);
		full = now() - t0;
		join1 = timed_update(m, n, j1, n + 1, &in_place);
		leave1 = timed_update(j1, n + 1, m, n, &in_place);
		join10 = timed_update(m, n, j10, n + 10, &in_place);
		leave10 = timed_update(j10, n + 10, m, n, &in_place);
		reweigh = timed_update(m, n, w, n, &in_place);
		diag("N=%zu: full build %.1f ms; updates: 1 join %.2f ms, 1 leave %.2f ms, "
		    "10 joins %.2f ms, 10 leaves %.2f ms, 1 weight change %.2f ms", n,
		    full * 1e3, join1 * 1e3, leave1 * 1e3, join10 * 1e3, leave10 * 1e3,
		    reweigh * 1e3);
		ok(in_place && state_is_full_build(w, n), "N=%zu: the chain of updates, "
		    "each in place, ends at the full build", n);
	}
}

int
main(void)
{
	rng_state = 20240601;
	test_balance();
	test_determinism();
	test_fingerprint();
	test_leave();
	test_join();
	test_reject();
	test_build_state();
	test_ties();
	test_update_random();
	test_speed();
	test_update_speed();
	return done_testing();
}
