/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bucket table: weighted shares, determinism, minimal movement when a
 * member leaves or joins, rejection of bad member lists, build time.
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

static uint16_t table[DICAP_BUCKETS];
static uint16_t table2[DICAP_BUCKETS];

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
		if (n == 64)
			ok(dt < 1.0, "N=64 builds in under a second (%.1f ms)", dt * 1e3);
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
	test_speed();
	return done_testing();
}
