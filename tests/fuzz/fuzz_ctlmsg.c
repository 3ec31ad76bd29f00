/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control message decoder fuzzer.  Each input is decoded without a key and
 * with a fixed one.  A message that decodes must encode again, the result
 * must decode to the same fields, and encoding that gives the same bytes.
 * Small inputs also exercise the address parser and NODE_INFO decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlmsg.h"

/* The seed corpus is signed with this key: bytes 0x00..0x1f. */
static const uint8_t fuzz_key[DICAP_AUTH_KEY_LEN] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

static int
same_lists(const struct dicap_msg *a, const struct dicap_msg *b)
{
	uint32_t i;

	if (a->n_members != b->n_members || a->n_counters != b->n_counters ||
	    a->n_node_info != b->n_node_info || a->n_analyzers != b->n_analyzers)
		return 0;
	if (a->n_members && memcmp(a->members_raw, b->members_raw,
	    (size_t)a->n_members * DICAP_MEMBER_WIRE_LEN))
		return 0;
	if (a->n_counters && memcmp(a->counters_raw, b->counters_raw,
	    (size_t)a->n_counters * DICAP_COUNTER_WIRE_LEN))
		return 0;
	for (i = 0; i < a->n_node_info; i++)
		if (a->node_info_len[i] != b->node_info_len[i] ||
		    memcmp(a->node_info[i], b->node_info[i], a->node_info_len[i]))
			return 0;
	return !memcmp(a->analyzers, b->analyzers, a->n_analyzers * sizeof(a->analyzers[0]));
}

static int
same(const struct dicap_msg *a, const struct dicap_msg *b)
{
	const uint32_t auth = 1u << DICAP_AVP_AUTH;

	return a->type == b->type && (a->present & ~auth) == (b->present & ~auth) &&
	    a->node_id == b->node_id && !memcmp(&a->coord, &b->coord, sizeof(a->coord)) &&
	    a->mode == b->mode && a->sel_flags == b->sel_flags &&
	    a->validity_ns == b->validity_ns && a->epoch == b->epoch &&
	    a->term == b->term && a->part == b->part && a->parts == b->parts &&
	    a->seq == b->seq && a->timestamp_ns == b->timestamp_ns && a->weight == b->weight &&
	    a->priority == b->priority && a->heartbeat_ms == b->heartbeat_ms &&
	    a->timeout_ms == b->timeout_ms && a->position == b->position &&
	    a->member_count == b->member_count && a->error_code == b->error_code &&
	    !strcmp(a->error_text, b->error_text) &&
	    !memcmp(a->marker_token, b->marker_token, DICAP_MARKER_TOKEN_LEN) &&
	    same_lists(a, b);
}

static int
inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return q >= data && q <= data + size && n <= (size_t)(data + size - q);
}

static void
check_invariants(const struct dicap_msg *m, const uint8_t *data, size_t size)
{
	struct dicap_member prev, cur;
	uint32_t i;

	CHECK(m->type >= 1 && m->type <= DICAP_MSG_TYPE_MAX);
	CHECK((m->present & ~dicap_msg_allowed(m->type)) == 0);
	CHECK((dicap_msg_required(m->type) & ~m->present) == 0);
	CHECK(m->n_analyzers <= DICAP_MAX_ANALYZERS && m->n_node_info <= DICAP_MAX_NODE_INFO);
	CHECK(strlen(m->error_text) <= DICAP_ERROR_TEXT_MAX);
	CHECK(!DICAP_HAS(m, DICAP_AVP_PART) || m->part < m->parts);
	CHECK(!DICAP_HAS(m, DICAP_AVP_WEIGHT) || m->weight > 0);
	CHECK(m->mode <= DICAP_MODE_MAX);
	CHECK((m->sel_flags & ~DICAP_SEL_FLAGS_MASK) == 0);
	CHECK(DICAP_HAS(m, DICAP_AVP_SELECT) == DICAP_HAS(m, DICAP_AVP_SELECT_FLAGS));
	CHECK(!m->n_members || inside(m->members_raw, (size_t)m->n_members * 6, data, size));
	CHECK(!m->n_counters || inside(m->counters_raw, (size_t)m->n_counters * 10, data, size));
	for (i = 0; i < m->n_node_info; i++)
		CHECK(inside(m->node_info[i], m->node_info_len[i], data, size));
	for (i = 1; i < m->n_members; i++) {
		dicap_msg_member(m, i - 1, &prev);
		dicap_msg_member(m, i, &cur);
		CHECK(prev.node_id < cur.node_id && cur.weight > 0);
	}
	if (DICAP_HAS(m, DICAP_AVP_AUTH))
		CHECK(m->auth_off + 3 + DICAP_AUTH_TAG_LEN == size &&
		    m->auth_tag == data + size - DICAP_AUTH_TAG_LEN);
}

static void
check_reencode(const struct dicap_msg *m, size_t size, const uint8_t *key)
{
	static uint8_t buf[DICAP_CTL_MAX_LEN], buf2[DICAP_CTL_MAX_LEN];
	struct dicap_msg d, d2;
	int n, n2;

	n = dicap_msg_encode(m, buf, sizeof(buf), key);
	CHECK(n > 0 && (size_t)n <= size);
	CHECK(dicap_msg_encoded_len(m, key != NULL) == n);
	CHECK(dicap_msg_decode(buf, (size_t)n, &d, key, NULL) == DICAP_MSGERR_OK);
	CHECK(same(m, &d));
	n2 = dicap_msg_encode(&d, buf2, sizeof(buf2), key);
	CHECK(n2 == n && !memcmp(buf, buf2, (size_t)n));
	CHECK(dicap_msg_decode(buf2, (size_t)n2, &d2, key, NULL) == DICAP_MSGERR_OK);
}

static void
fuzz_addr(const uint8_t *data, size_t size)
{
	char s[80], out[DICAP_ADDR_STRLEN];
	struct dicap_addr a, b;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dicap_addr_parse(s, &a) != 0)
		return;
	CHECK(a.port != 0 && (a.family == 4 || a.family == 6));
	dicap_addr_format(&a, out, sizeof(out));
	CHECK(dicap_addr_parse(out, &b) == 0 && !memcmp(&a, &b, sizeof(a)));
}

static void
fuzz_node_info(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	struct dicap_node_info ni;

	if (dicap_node_info_decode(data, size, &ni, NULL) != DICAP_MSGERR_OK)
		return;
	CHECK(dicap_node_info_size(&ni) == size);
	CHECK(dicap_node_info_encode(&ni, buf, sizeof(buf)) == (int)size);
	CHECK(!memcmp(buf, data, size));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicap_msg m, k;
	const char *why = NULL;
	int plain, keyed;

	plain = dicap_msg_decode(data, size, &m, NULL, &why);
	CHECK(plain >= 0 && plain <= DICAP_MSGERR_MAX && why && why[0]);
	if (plain == DICAP_MSGERR_OK) {
		check_invariants(&m, data, size);
		check_reencode(&m, size, NULL);
	}
	keyed = dicap_msg_decode(data, size, &k, fuzz_key, &why);
	CHECK(keyed >= 0 && keyed <= DICAP_MSGERR_MAX && why && why[0]);
	if (keyed == DICAP_MSGERR_OK) {
		CHECK(plain == DICAP_MSGERR_OK && DICAP_HAS(&k, DICAP_AVP_AUTH));
		check_invariants(&k, data, size);
		CHECK(same(&m, &k));
		check_reencode(&k, size, fuzz_key);
	}
	fuzz_addr(data, size);
	fuzz_node_info(data, size);
	return 0;
}
