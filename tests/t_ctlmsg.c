/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control protocol codec: round trips of every message type, one
 * hand-built malformed message per decoder error, tag tampering,
 * truncation, NODE_INFO records, addresses and the TOPOLOGY part size;
 * version 2's SELECT_FLAGS, version 3's roles and the refusal of versions 1 and 2.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "ctlmsg.h"
#include "tap.h"

#define BUFSZ	70000

static const uint8_t key1[DICAP_AUTH_KEY_LEN] = "0123456789abcdef0123456789abcdef";
/* The three credentials of a cluster, as lib/keyfile.c makes them. */
static struct dicap_keys coord_keys, node_keys, status_keys;
static const uint8_t key2[DICAP_AUTH_KEY_LEN] = "0123456789abcdef0123456789abcdeF";

static const struct dicap_member members5[] = {
	{ 3, 1 }, { 17, 100 }, { 4096, 65535 }, { 70000, 2 }, { 0xfffffffe, 9 },
};

static uint8_t counters_raw[3 * DICAP_COUNTER_WIRE_LEN];
static uint8_t node_infos[DICAP_MAX_NODE_INFO][DICAP_NODE_INFO_FIXED_LEN + 20];
static int node_info_lens[DICAP_MAX_NODE_INFO];

/* ---- building valid messages ---- */

static void
mkaddr(struct dicap_addr *a, const char *s)
{
	if (dicap_addr_parse(s, a) != 0)
		bail_out("test address does not parse");
}

static void
setup_lists(void)
{
	struct dicap_node_info ni;
	uint8_t seed[32];
	int i;

	if (sodium_init() < 0)
		bail_out("libsodium");
	memset(seed, 0x11, sizeof(seed));
	coord_keys.kind = DICAP_ROLE_COORD;
	crypto_sign_seed_keypair(coord_keys.coord_pk[0], coord_keys.sign_sk, seed);
	coord_keys.n_coord_pk = 1;
	coord_keys.have_sign = coord_keys.have_node = coord_keys.have_status = 1;
	memset(coord_keys.node, 0x22, sizeof(coord_keys.node));
	memset(coord_keys.status, 0x33, sizeof(coord_keys.status));
	node_keys.kind = DICAP_ROLE_NODE;
	memcpy(node_keys.coord_pk[0], coord_keys.coord_pk[0], DICAP_SIGN_PK_LEN);
	node_keys.n_coord_pk = 1;
	node_keys.have_node = 1;
	memcpy(node_keys.node, coord_keys.node, sizeof(node_keys.node));
	status_keys.kind = DICAP_ROLE_STATUS;
	memcpy(status_keys.coord_pk[0], coord_keys.coord_pk[0], DICAP_SIGN_PK_LEN);
	status_keys.n_coord_pk = 1;
	status_keys.have_status = 1;
	memcpy(status_keys.status, coord_keys.status, sizeof(status_keys.status));
	for (i = 0; i < 3; i++) {
		dicap_put_be16(counters_raw + i * 10, (uint16_t)(i + 1));
		dicap_put_be64(counters_raw + i * 10 + 2, 0x0102030405060708ULL * (uint64_t)(i + 1));
	}
	for (i = 0; i < DICAP_MAX_NODE_INFO; i++) {
		memset(&ni, 0, sizeof(ni));
		ni.node_id = 1000 + (uint32_t)i;
		ni.weight = (uint16_t)(i + 1);
		mkaddr(&ni.addr, i % 2 ? "[2001:db8::7]:40000" : "192.0.2.7:40000");
		ni.last_heartbeat_ms = 1234;
		ni.share_ppm = 15625;
		ni.epoch = 42;
		ni.counters_raw = counters_raw;
		ni.n_counters = (uint32_t)(i % 3);
		node_info_lens[i] = dicap_node_info_encode(&ni, node_infos[i], sizeof(node_infos[i]));
		if (node_info_lens[i] < 0)
			bail_out("node info setup failed");
	}
}

/* Set attribute @num of @m to a valid value. */
static void
set_attr(struct dicap_msg *m, int num, int n_analyzers)
{
	int i;

	switch (num) {
	case DICAP_AVP_NODE_ID: m->node_id = 0x01020304; break;
	case DICAP_AVP_COORD: mkaddr(&m->coord, "[2001:db8::1]:7467"); break;
	case DICAP_AVP_ANALYZER:
		for (i = 0; i < n_analyzers; i++)
			mkaddr(&m->analyzers[i], i % 2 ? "[2001:db8:ffff::ffff:1]:65535" :
			    "198.51.100.9:9000");
		m->n_analyzers = (uint32_t)n_analyzers;
		break;
	case DICAP_AVP_SELECT: m->mode = DICAP_MODE_FLOW; break;
	case DICAP_AVP_SELECT_FLAGS: m->sel_flags = DICAP_SEL_TUNNEL_OUTER; break;
	case DICAP_AVP_VALIDITY: m->validity_ns = 1700000000123456789ULL; break;
	case DICAP_AVP_EPOCH: m->epoch = 77; break;
	case DICAP_AVP_TERM: m->term = 5; break;
	case DICAP_AVP_MEMBERS:
		m->members = members5;
		m->n_members = 5;
		break;
	case DICAP_AVP_PART: m->part = 0; m->parts = 1; break;
	case DICAP_AVP_SEQ: m->seq = 0x8000000000000001ULL; break;
	case DICAP_AVP_TIMESTAMP: m->timestamp_ns = 1700000000987654321ULL; break;
	case DICAP_AVP_WEIGHT: m->weight = 300; break;
	case DICAP_AVP_PRIORITY: m->priority = 0xfffffff0; break;
	case DICAP_AVP_HEARTBEAT_MS: m->heartbeat_ms = 5000; break;
	case DICAP_AVP_TIMEOUT_MS: m->timeout_ms = 15000; break;
	case DICAP_AVP_POSITION: m->position = 2; break;
	case DICAP_AVP_MEMBER_COUNT: m->member_count = 5; break;
	case DICAP_AVP_ERROR_CODE: m->error_code = DICAP_CTLERR_NOT_LEADER; break;
	case DICAP_AVP_ERROR_TEXT:
		strcpy(m->error_text, "not the leader: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
		break;
	case DICAP_AVP_COUNTERS:
		m->counters_raw = counters_raw;
		m->n_counters = 3;
		break;
	case DICAP_AVP_MARKER_TOKEN:
		for (i = 0; i < DICAP_MARKER_TOKEN_LEN; i++)
			m->marker_token[i] = (uint8_t)(0xa0 + i);
		break;
	case DICAP_AVP_SESSION: memset(m->session, 0x5e, sizeof(m->session)); break;
	case DICAP_AVP_PEER_SESSION: memset(m->peer_session, 0x9e, sizeof(m->peer_session)); break;
	case DICAP_AVP_COOKIE: memset(m->cookie, 0xc0, sizeof(m->cookie)); break;
	case DICAP_AVP_PADDING: m->padding_len = 100; break;
	case DICAP_AVP_KX: memset(m->kx, 0x4b, sizeof(m->kx)); break;
	case DICAP_AVP_NODE_INFO:
		for (i = 0; i < 3; i++) {
			m->node_info[i] = node_infos[i];
			m->node_info_len[i] = (uint16_t)node_info_lens[i];
		}
		m->n_node_info = 3;
		break;
	default:
		return;
	}
	DICAP_SET(m, num);
}

static void
fill(struct dicap_msg *m, int type, uint32_t mask, int n_analyzers)
{
	int num;

	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
	for (num = 1; num <= DICAP_AVP_MAX; num++)
		if ((mask >> num) & 1)
			set_attr(m, num, n_analyzers);
}

static void
fill_all(struct dicap_msg *m, int type)
{
	fill(m, type, dicap_msg_allowed(type), 3);
}

/* Name of the first attribute in which @a and @b differ, or NULL. */
static const char *
msg_diff(const struct dicap_msg *a, const struct dicap_msg *b)
{
	const uint32_t auth = 1u << DICAP_AVP_AUTH;
	struct dicap_member ma, mb;
	uint16_t ia, ib;
	uint64_t va, vb;
	uint32_t i;

	if (a->type != b->type)
		return "type";
	if ((a->present & ~auth) != (b->present & ~auth))
		return "present";
#define SAME(num, expr) if (DICAP_HAS(a, num) && !(expr)) return dicap_avp_name(num)
	SAME(DICAP_AVP_NODE_ID, a->node_id == b->node_id);
	SAME(DICAP_AVP_COORD, !memcmp(&a->coord, &b->coord, sizeof(a->coord)));
	SAME(DICAP_AVP_ANALYZER, a->n_analyzers == b->n_analyzers &&
	    !memcmp(a->analyzers, b->analyzers, a->n_analyzers * sizeof(a->analyzers[0])));
	SAME(DICAP_AVP_SELECT, a->mode == b->mode);
	SAME(DICAP_AVP_VALIDITY, a->validity_ns == b->validity_ns);
	SAME(DICAP_AVP_EPOCH, a->epoch == b->epoch);
	SAME(DICAP_AVP_TERM, a->term == b->term);
	SAME(DICAP_AVP_MEMBERS, a->n_members == b->n_members);
	SAME(DICAP_AVP_PART, a->part == b->part && a->parts == b->parts);
	SAME(DICAP_AVP_SEQ, a->seq == b->seq);
	SAME(DICAP_AVP_TIMESTAMP, a->timestamp_ns == b->timestamp_ns);
	SAME(DICAP_AVP_WEIGHT, a->weight == b->weight);
	SAME(DICAP_AVP_PRIORITY, a->priority == b->priority);
	SAME(DICAP_AVP_HEARTBEAT_MS, a->heartbeat_ms == b->heartbeat_ms);
	SAME(DICAP_AVP_TIMEOUT_MS, a->timeout_ms == b->timeout_ms);
	SAME(DICAP_AVP_POSITION, a->position == b->position);
	SAME(DICAP_AVP_MEMBER_COUNT, a->member_count == b->member_count);
	SAME(DICAP_AVP_ERROR_CODE, a->error_code == b->error_code);
	SAME(DICAP_AVP_ERROR_TEXT, !strcmp(a->error_text, b->error_text));
	SAME(DICAP_AVP_COUNTERS, a->n_counters == b->n_counters);
	SAME(DICAP_AVP_MARKER_TOKEN, !memcmp(a->marker_token, b->marker_token,
	    DICAP_MARKER_TOKEN_LEN));
	SAME(DICAP_AVP_NODE_INFO, a->n_node_info == b->n_node_info);
	SAME(DICAP_AVP_SELECT_FLAGS, a->sel_flags == b->sel_flags);
	SAME(DICAP_AVP_SESSION, !memcmp(a->session, b->session, sizeof(a->session)));
	SAME(DICAP_AVP_PEER_SESSION, !memcmp(a->peer_session, b->peer_session,
	    sizeof(a->peer_session)));
	SAME(DICAP_AVP_COOKIE, !memcmp(a->cookie, b->cookie, sizeof(a->cookie)));
	SAME(DICAP_AVP_PADDING, a->padding_len == b->padding_len);
	SAME(DICAP_AVP_KX, !memcmp(a->kx, b->kx, sizeof(a->kx)));
#undef SAME
	for (i = 0; DICAP_HAS(a, DICAP_AVP_MEMBERS) && i < a->n_members; i++) {
		dicap_msg_member(a, i, &ma);
		dicap_msg_member(b, i, &mb);
		if (ma.node_id != mb.node_id || ma.weight != mb.weight)
			return "members entry";
	}
	for (i = 0; DICAP_HAS(a, DICAP_AVP_COUNTERS) && i < a->n_counters; i++) {
		dicap_msg_counter(a, i, &ia, &va);
		dicap_msg_counter(b, i, &ib, &vb);
		if (ia != ib || va != vb)
			return "counters entry";
	}
	for (i = 0; DICAP_HAS(a, DICAP_AVP_NODE_INFO) && i < a->n_node_info; i++)
		if (a->node_info_len[i] != b->node_info_len[i] ||
		    memcmp(a->node_info[i], b->node_info[i], a->node_info_len[i]))
			return "node_info entry";
	return NULL;
}

/*
 * AVPs in increasing attribute order, each with the mandatory bit, AUTH
 * last (after SELECT_FLAGS, whose number is higher).
 */
static int
canonical_order(const uint8_t *buf, size_t len, int signed_)
{
	size_t off = DICAP_CTL_HDR_LEN;
	int prev = 0, num, last = 0;

	while (off < len) {
		num = buf[off] & DICAP_AVP_NUM_MASK;
		if (!(buf[off] & DICAP_AVP_F_MANDATORY) || (num != DICAP_AVP_AUTH && num < prev))
			return 0;
		prev = num;
		last = num;
		off += (buf[off] & DICAP_AVP_F_EXT) ? 3u + dicap_get_be16(buf + off + 1) : 5u;
	}
	return off == len && (last == DICAP_AVP_AUTH) == !!signed_;
}

/* ---- round trips ---- */

static void
roundtrip(const struct dicap_msg *m, const uint8_t *key, const char *what)
{
	static uint8_t buf[BUFSZ], buf2[BUFSZ];
	struct dicap_msg d, d2;
	const char *why, *diff;
	int n, n2, err;

	n = dicap_msg_encode(m, buf, sizeof(buf), key);
	if (!ok(n > 0, "%s %s: encodes (%d bytes)", what, key ? "signed" : "unsigned", n)) {
		diag("%s", dicap_msg_why());
		return;
	}
	/* encoded_len counts the tag of the type's role: a signature for a coordinator's. */
	is(dicap_msg_encoded_len(m, key != NULL), n + (key != NULL &&
	    dicap_msg_tag_len(m->type) == DICAP_SIGN_LEN ? DICAP_SIGN_LEN - DICAP_AUTH_TAG_LEN : 0),
	    "%s: encoded_len agrees", what);
	ok(canonical_order(buf, (size_t)n, key != NULL), "%s: AVPs in number order, M bit set%s",
	    what, key ? ", AUTH last" : "");
	err = dicap_msg_decode(buf, (size_t)n, &d, key, &why);
	if (!ok(err == DICAP_MSGERR_OK, "%s: decodes (%s)", what, why))
		return;
	diff = msg_diff(m, &d);
	ok(diff == NULL, "%s: decoded equals the original (first difference: %s)", what,
	    diff ? diff : "none");
	ok(DICAP_HAS(&d, DICAP_AVP_AUTH) == (key != NULL) &&
	    (!key || (d.auth_off == (size_t)n - 35 && d.auth_tag == buf + n - 32)),
	    "%s: tag presence and position reported", what);
	/* A decoded message (members_raw, no members) encodes to the same bytes. */
	n2 = dicap_msg_encode(&d, buf2, sizeof(buf2), key);
	ok(n2 == n && !memcmp(buf, buf2, (size_t)n), "%s: re-encoding the decoded message is identical",
	    what);
	if (key) {
		is(dicap_msg_decode(buf, (size_t)n, &d2, NULL, &why), DICAP_MSGERR_OK,
		    "%s: signed message decodes without a key too", what);
	} else {
		is(dicap_msg_decode(buf, (size_t)n, &d2, key1, &why), DICAP_MSGERR_AUTH_MISSING,
		    "%s: unsigned message refused when a key is configured", what);
	}
}

static void
test_roundtrips(void)
{
	struct dicap_msg m;
	char what[64];
	int type;

	for (type = 1; type <= DICAP_MSG_TYPE_MAX; type++) {
		ok((dicap_msg_required(type) & ~dicap_msg_allowed(type)) == 0 &&
		    (dicap_msg_required(type) >> DICAP_AVP_SEQ & 1) &&
		    (dicap_msg_required(type) >> DICAP_AVP_TIMESTAMP & 1),
		    "%s: required within allowed, SEQ and TIMESTAMP required",
		    dicap_msg_type_name(type));
		fill_all(&m, type);
		snprintf(what, sizeof(what), "%s (all allowed)", dicap_msg_type_name(type));
		roundtrip(&m, NULL, what);
		roundtrip(&m, key1, what);
		fill(&m, type, dicap_msg_required(type), 1);
		snprintf(what, sizeof(what), "%s (required only)", dicap_msg_type_name(type));
		roundtrip(&m, NULL, what);
		roundtrip(&m, key1, what);
	}
}

/* Every type: dropping a required attribute or adding a foreign one is refused. */
static void
test_type_sets(void)
{
	static uint8_t buf[BUFSZ];
	struct dicap_msg m;
	int type, num, bad_missing = 0, bad_foreign = 0, n_missing = 0, n_foreign = 0, r;

	for (type = 1; type <= DICAP_MSG_TYPE_MAX; type++) {
		for (num = 1; num <= DICAP_AVP_MAX; num++) {
			if (num == DICAP_AVP_AUTH)
				continue;
			if ((dicap_msg_required(type) >> num) & 1) {
				fill_all(&m, type);
				m.present &= ~(1u << num);
				r = dicap_msg_encode(&m, buf, sizeof(buf), NULL);
				n_missing++;
				if (r != -DICAP_MSGERR_AVP_MISSING) {
					bad_missing++;
					diag("%s without %s: %d", dicap_msg_type_name(type),
					    dicap_avp_name(num), r);
				}
			} else if (!((dicap_msg_allowed(type) >> num) & 1)) {
				fill_all(&m, type);
				set_attr(&m, num, 1);
				r = dicap_msg_encode(&m, buf, sizeof(buf), NULL);
				n_foreign++;
				if (r != -DICAP_MSGERR_AVP_NOT_ALLOWED) {
					bad_foreign++;
					diag("%s with %s: %d", dicap_msg_type_name(type),
					    dicap_avp_name(num), r);
				}
			}
		}
	}
	ok(n_missing > 30 && bad_missing == 0,
	    "each of %d required attributes, left out, gives AVP_MISSING", n_missing);
	ok(n_foreign > 100 && bad_foreign == 0,
	    "each of %d foreign attributes, added, gives AVP_NOT_ALLOWED", n_foreign);
}

/* ---- hand-built messages ---- */

struct ravp {
	uint8_t code;
	uint16_t len;
	uint8_t val[4096];
};

struct rmsg {
	uint8_t type;
	int n;
	struct ravp a[96];
};

static struct rmsg rm;
static uint8_t rbuf[BUFSZ];

#define M	DICAP_AVP_F_MANDATORY
#define X	(DICAP_AVP_F_EXT | DICAP_AVP_F_MANDATORY)

static struct ravp *
r_add(uint8_t code, const void *val, size_t len)
{
	struct ravp *a = &rm.a[rm.n++];

	a->code = code;
	a->len = (uint16_t)len;
	if (len)
		memcpy(a->val, val, len);
	return a;
}

static void
r_u32(int num, uint32_t v)
{
	uint8_t b[4];

	dicap_put_be32(b, v);
	r_add(M | (uint8_t)num, b, 4);
}

static void
r_u64(int num, uint64_t v)
{
	uint8_t b[8];

	dicap_put_be64(b, v);
	r_add(X | (uint8_t)num, b, 8);
}

static void
r_addr(int num, uint8_t family, uint16_t port, size_t len)
{
	uint8_t b[32];

	memset(b, 0, sizeof(b));
	b[0] = family;
	dicap_put_be16(b + 1, port);
	b[3] = 192;
	b[6] = 1;
	r_add(X | (uint8_t)num, b, len);
}

static struct ravp *
r_find(int num)
{
	int i;

	for (i = 0; i < rm.n; i++)
		if ((rm.a[i].code & DICAP_AVP_NUM_MASK) == num)
			return &rm.a[i];
	bail_out("r_find: attribute not in the base message");
	return NULL;
}

static void
r_set_u32(int num, uint32_t v)
{
	dicap_put_be32(r_find(num)->val, v);
}

static void
r_del(int num)
{
	struct ravp *a = r_find(num);
	int i = (int)(a - rm.a);

	memmove(&rm.a[i], &rm.a[i + 1], (size_t)(rm.n - i - 1) * sizeof(rm.a[0]));
	rm.n--;
}

/* Serialize; @count_adj and @len_adj skew the header fields. */
static size_t
r_build_adj(int count_adj, int len_adj)
{
	size_t off = DICAP_CTL_HDR_LEN;
	int i;

	for (i = 0; i < rm.n; i++) {
		rbuf[off++] = rm.a[i].code;
		if (rm.a[i].code & DICAP_AVP_F_EXT) {
			dicap_put_be16(rbuf + off, rm.a[i].len);
			off += 2;
		}
		memcpy(rbuf + off, rm.a[i].val, rm.a[i].len);
		off += rm.a[i].len;
	}
	rbuf[0] = DICAP_CTL_VERSION;
	rbuf[1] = rm.type;
	dicap_put_be16(rbuf + 2, (uint16_t)(rm.n + count_adj));
	dicap_put_be16(rbuf + 4, (uint16_t)((int)off + len_adj));
	dicap_put_be16(rbuf + 6, 0);
	return off;
}

static size_t
r_build(void)
{
	return r_build_adj(0, 0);
}

/* Append an AUTH AVP with the tag of @key over what r_build() gives. */
static size_t
r_build_signed(const uint8_t *key)
{
	uint8_t tag[DICAP_AUTH_TAG_LEN] = { 0 };
	size_t len;

	r_add(X | DICAP_AVP_AUTH, tag, sizeof(tag));
	len = r_build();
	crypto_auth_hmacsha256(rbuf + len - 32, rbuf, len - 35, key);
	return len;
}

static void
base_heartbeat(void)
{
	memset(&rm, 0, sizeof(rm));
	rm.type = DICAP_MSG_HEARTBEAT;
	r_u32(DICAP_AVP_NODE_ID, 7);
	r_u64(DICAP_AVP_SEQ, 1);
	r_u64(DICAP_AVP_TIMESTAMP, 2);
}

static void
base_topology(void)
{
	uint8_t mem[5 * 6];
	int i;

	for (i = 0; i < 5; i++) {
		dicap_put_be32(mem + i * 6, (uint32_t)(10 * (i + 1)));
		dicap_put_be16(mem + i * 6 + 4, 1);
	}
	memset(&rm, 0, sizeof(rm));
	rm.type = DICAP_MSG_TOPOLOGY;
	r_u32(DICAP_AVP_SELECT, DICAP_MODE_IPID);
	r_u64(DICAP_AVP_VALIDITY, 3);
	r_u32(DICAP_AVP_EPOCH, 1);
	r_u32(DICAP_AVP_TERM, 1);
	r_add(X | DICAP_AVP_MEMBERS, mem, sizeof(mem));
	r_u32(DICAP_AVP_PART, 1);
	r_u64(DICAP_AVP_SEQ, 1);
	r_u64(DICAP_AVP_TIMESTAMP, 2);
	r_u32(DICAP_AVP_MEMBER_COUNT, 5);
	r_u32(DICAP_AVP_SELECT_FLAGS, 0);
}

static void
base_error(void)
{
	memset(&rm, 0, sizeof(rm));
	rm.type = DICAP_MSG_ERROR;
	r_u32(DICAP_AVP_ERROR_CODE, DICAP_CTLERR_AUTH);
	r_u64(DICAP_AVP_SEQ, 1);
	r_u64(DICAP_AVP_TIMESTAMP, 2);
}

static void
base_status(void)
{
	memset(&rm, 0, sizeof(rm));
	rm.type = DICAP_MSG_STATUS;
	r_u32(DICAP_AVP_TERM, 1);
	r_u32(DICAP_AVP_PART, 1);
	r_u64(DICAP_AVP_SEQ, 1);
	r_u64(DICAP_AVP_TIMESTAMP, 2);
}

static void
base_accept(void)
{
	memset(&rm, 0, sizeof(rm));
	rm.type = DICAP_MSG_ACCEPT;
	r_u32(DICAP_AVP_NODE_ID, 7);
	r_u32(DICAP_AVP_EPOCH, 1);
	r_u32(DICAP_AVP_TERM, 1);
	r_u64(DICAP_AVP_SEQ, 1);
	r_u64(DICAP_AVP_TIMESTAMP, 2);
	r_u32(DICAP_AVP_POSITION, 0);
	r_u32(DICAP_AVP_MEMBER_COUNT, 1);
}

static struct dicap_msg dm;

static void
expect_len(size_t len, const uint8_t *key, int want, const char *what)
{
	const char *why;
	int err = dicap_msg_decode(rbuf, len, &dm, key, &why);

	if (!ok(err == want, "%s: %s (%s)", what, dicap_msg_strerror(want), why))
		diag("got %d (%s)", err, dicap_msg_strerror(err));
}

static void
expect(int want, const char *what)
{
	expect_len(r_build(), NULL, want, what);
}

static void
test_bases(void)
{
	base_heartbeat();
	expect(DICAP_MSGERR_OK, "base heartbeat");
	base_topology();
	expect(DICAP_MSGERR_OK, "base topology");
	base_error();
	expect(DICAP_MSGERR_OK, "base error");
	base_status();
	expect(DICAP_MSGERR_OK, "base status");
	base_accept();
	expect(DICAP_MSGERR_OK, "base accept");
}

static void
test_header_errors(void)
{
	size_t len, i;
	int bad = 0;

	base_heartbeat();
	len = r_build();
	for (i = 0; i < DICAP_CTL_HDR_LEN; i++)
		if (dicap_msg_decode(rbuf, i, &dm, NULL, NULL) != DICAP_MSGERR_SHORT)
			bad++;
	ok(bad == 0, "0..7 bytes: SHORT");
	is(DICAP_CTL_VERSION, 3, "the protocol is version 3");
	expect_len(len, NULL, DICAP_MSGERR_OK, "version 3 is accepted");
	rbuf[0] = 2;
	expect_len(len, NULL, DICAP_MSGERR_VERSION, "version 2 (the release before the roles)");
	rbuf[0] = 1;
	expect_len(len, NULL, DICAP_MSGERR_VERSION, "version 1 (the release before SELECT_FLAGS)");
	ok(strstr(dicap_msg_why(), "version 1, this program speaks 3") != NULL &&
	    strstr(dicap_msg_why(), "another DiCAP release") != NULL,
	    "... and the reason says which versions and why: %s", dicap_msg_why());
	rbuf[0] = 4;
	expect_len(len, NULL, DICAP_MSGERR_VERSION, "version 4");
	rbuf[0] = 0;
	expect_len(len, NULL, DICAP_MSGERR_VERSION, "version 0");
	rm.type = 0;
	expect(DICAP_MSGERR_TYPE, "type 0");
	rm.type = DICAP_MSG_TYPE_MAX + 1;
	expect(DICAP_MSGERR_TYPE, "type 13");
	rm.type = 255;
	expect(DICAP_MSGERR_TYPE, "type 255");
	rm.type = DICAP_MSG_HEARTBEAT;
	len = r_build();
	rbuf[7] = 1;
	expect_len(len, NULL, DICAP_MSGERR_RESERVED, "reserved 0x0001");
	len = r_build();
	rbuf[6] = 0x80;
	expect_len(len, NULL, DICAP_MSGERR_RESERVED, "reserved 0x8000");
	len = r_build_adj(0, 1);
	expect_len(len, NULL, DICAP_MSGERR_LENGTH, "header length one more than the datagram");
	len = r_build_adj(0, -1);
	expect_len(len, NULL, DICAP_MSGERR_LENGTH, "header length one less than the datagram");
	len = r_build();
	rbuf[len] = 0;
	expect_len(len + 1, NULL, DICAP_MSGERR_LENGTH, "a trailing byte");
	/* 65508 bytes: a length the u16 field can say, but no IPv4 datagram carries */
	base_heartbeat();
	len = r_build();
	rbuf[len] = DICAP_AVP_F_EXT | 40;
	dicap_put_be16(rbuf + len + 1, (uint16_t)(DICAP_CTL_MAX_LEN + 1 - len - 3));
	memset(rbuf + len + 3, 0, DICAP_CTL_MAX_LEN + 1 - len - 3);
	dicap_put_be16(rbuf + 2, 4);
	dicap_put_be16(rbuf + 4, DICAP_CTL_MAX_LEN + 1);
	expect_len(DICAP_CTL_MAX_LEN + 1, NULL, DICAP_MSGERR_LENGTH, "a message of 65508 bytes");
	dicap_put_be16(rbuf + len + 1, (uint16_t)(DICAP_CTL_MAX_LEN - len - 3));
	dicap_put_be16(rbuf + 4, DICAP_CTL_MAX_LEN);
	expect_len(DICAP_CTL_MAX_LEN, NULL, DICAP_MSGERR_OK, "a message of 65507 bytes");
}

static void
test_framing_errors(void)
{
	size_t len;

	base_heartbeat();
	len = r_build();
	rbuf[len] = M | DICAP_AVP_WEIGHT;
	rbuf[len + 1] = 0;
	rbuf[len + 2] = 0;
	rbuf[len + 3] = 1;
	dicap_put_be16(rbuf + 2, 4);
	dicap_put_be16(rbuf + 4, (uint16_t)(len + 4));
	expect_len(len + 4, NULL, DICAP_MSGERR_AVP_TRUNC, "short AVP with 3 of 4 value bytes");
	rbuf[len] = X | DICAP_AVP_ERROR_TEXT;
	dicap_put_be16(rbuf + 4, (uint16_t)(len + 2));
	expect_len(len + 2, NULL, DICAP_MSGERR_AVP_TRUNC, "ext AVP with 1 of 2 length bytes");
	dicap_put_be16(rbuf + 4, (uint16_t)(len + 1));
	expect_len(len + 1, NULL, DICAP_MSGERR_AVP_TRUNC, "ext AVP with only its code byte");
	rbuf[len + 1] = 0;
	rbuf[len + 2] = 5;
	memcpy(rbuf + len + 3, "abcd", 4);
	dicap_put_be16(rbuf + 4, (uint16_t)(len + 7));
	expect_len(len + 7, NULL, DICAP_MSGERR_AVP_TRUNC, "ext AVP claiming 5 bytes, 4 present");

	len = r_build_adj(1, 0);
	expect_len(len, NULL, DICAP_MSGERR_AVP_COUNT, "avp_count one too many");
	len = r_build_adj(-1, 0);
	expect_len(len, NULL, DICAP_MSGERR_AVP_COUNT, "avp_count one too few");
	len = r_build_adj(-3, 0);
	expect_len(len, NULL, DICAP_MSGERR_AVP_COUNT, "avp_count 0 with 3 AVPs");
}

static void
test_form_unknown_dup(void)
{
	uint8_t v[16] = { 0 };

	base_heartbeat();
	r_find(DICAP_AVP_NODE_ID)->code |= DICAP_AVP_F_EXT;
	expect(DICAP_MSGERR_AVP_FORM, "NODE_ID in extended form");
	base_heartbeat();
	r_find(DICAP_AVP_SEQ)->code &= (uint8_t)~DICAP_AVP_F_EXT;
	r_find(DICAP_AVP_SEQ)->len = 4;
	expect(DICAP_MSGERR_AVP_FORM, "SEQ in short form");
	base_heartbeat();
	r_add(M | DICAP_AVP_AUTH, v, 4);
	expect(DICAP_MSGERR_AVP_FORM, "AUTH in short form");

	base_heartbeat();
	r_add(M | 0, v, 4);
	expect(DICAP_MSGERR_AVP_UNKNOWN, "mandatory attribute 0");
	base_heartbeat();
	r_add(X | 30, v, 10);
	expect(DICAP_MSGERR_AVP_UNKNOWN, "mandatory extended attribute 30");
	base_heartbeat();
	r_add(M | 63, v, 4);
	expect(DICAP_MSGERR_AVP_UNKNOWN, "mandatory attribute 63");
	base_heartbeat();
	r_add(M | (DICAP_AVP_MAX + 1), v, 4);
	expect(DICAP_MSGERR_AVP_UNKNOWN, "mandatory attribute 25, the first unknown");
	base_heartbeat();
	r_add(DICAP_AVP_NODE_ID, v, 4);
	rm.a[0].code &= (uint8_t)~DICAP_AVP_F_MANDATORY;
	expect(DICAP_MSGERR_AVP_DUP, "known attributes are understood without the M bit too");

	/* Unknown without the M bit: skipped; short ones are 5 bytes, ext 3 + len. */
	base_heartbeat();
	v[0] = 0x80 | 40;	/* would be an ext code if the decoder misjudged the size */
	r_add(DICAP_AVP_MAX + 1, v, 4);
	r_add(DICAP_AVP_F_EXT | 40, v, 0);
	r_add(DICAP_AVP_F_EXT | 63, v, 16);
	r_add(0, v, 4);
	r_u32(DICAP_AVP_WEIGHT, 9);
	expect(DICAP_MSGERR_OK, "unknown attributes without the M bit are skipped");
	ok(dm.weight == 9 && dm.node_id == 7 && DICAP_HAS(&dm, DICAP_AVP_WEIGHT),
	    "attributes after the skipped ones are read");

	base_heartbeat();
	r_u32(DICAP_AVP_NODE_ID, 8);
	expect(DICAP_MSGERR_AVP_DUP, "NODE_ID twice");
	base_heartbeat();
	r_u64(DICAP_AVP_SEQ, 9);
	expect(DICAP_MSGERR_AVP_DUP, "SEQ twice");
	base_error();
	r_add(X | DICAP_AVP_ERROR_TEXT, "a", 1);
	r_add(X | DICAP_AVP_ERROR_TEXT, "b", 1);
	expect(DICAP_MSGERR_AVP_DUP, "ERROR_TEXT twice");
}

static void
test_missing_not_allowed(void)
{
	uint8_t mem[6] = { 0, 0, 0, 1, 0, 1 };

	base_heartbeat();
	r_del(DICAP_AVP_NODE_ID);
	expect(DICAP_MSGERR_AVP_MISSING, "heartbeat without NODE_ID");
	base_heartbeat();
	r_del(DICAP_AVP_SEQ);
	expect(DICAP_MSGERR_AVP_MISSING, "heartbeat without SEQ");
	base_heartbeat();
	r_del(DICAP_AVP_TIMESTAMP);
	expect(DICAP_MSGERR_AVP_MISSING, "heartbeat without TIMESTAMP");
	base_topology();
	r_del(DICAP_AVP_PART);
	expect(DICAP_MSGERR_AVP_MISSING, "topology without PART");
	base_error();
	r_del(DICAP_AVP_ERROR_CODE);
	expect(DICAP_MSGERR_AVP_MISSING, "error without ERROR_CODE");

	base_heartbeat();
	r_add(X | DICAP_AVP_MEMBERS, mem, sizeof(mem));
	expect(DICAP_MSGERR_AVP_NOT_ALLOWED, "MEMBERS in a heartbeat");
	base_heartbeat();
	r_u32(DICAP_AVP_ERROR_CODE, 1);
	expect(DICAP_MSGERR_AVP_NOT_ALLOWED, "ERROR_CODE in a heartbeat");
	base_topology();
	r_u32(DICAP_AVP_WEIGHT, 1);
	expect(DICAP_MSGERR_AVP_NOT_ALLOWED, "WEIGHT in a topology");
}

static void
test_range_scalars(void)
{
	base_topology();
	r_set_u32(DICAP_AVP_SELECT, DICAP_MODE_MAX + 1);
	expect(DICAP_MSGERR_AVP_RANGE, "SELECT above DICAP_MODE_MAX");
	r_set_u32(DICAP_AVP_SELECT, DICAP_MODE_HOST);
	expect(DICAP_MSGERR_OK, "SELECT host");
	ok(dm.mode == DICAP_MODE_HOST, "... decoded");
	base_heartbeat();
	r_u32(DICAP_AVP_WEIGHT, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "WEIGHT 0");
	r_set_u32(DICAP_AVP_WEIGHT, 65536);
	expect(DICAP_MSGERR_AVP_RANGE, "WEIGHT 65536");
	r_set_u32(DICAP_AVP_WEIGHT, 65535);
	expect(DICAP_MSGERR_OK, "WEIGHT 65535");

	base_topology();
	r_set_u32(DICAP_AVP_PART, 1u << 16 | 1);
	expect(DICAP_MSGERR_AVP_RANGE, "PART index 1 of 1");
	r_set_u32(DICAP_AVP_PART, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "PART total 0");
	r_set_u32(DICAP_AVP_PART, 0xffffu << 16 | 0xffff);
	expect(DICAP_MSGERR_AVP_RANGE, "PART index 65535 of 65535");
	r_set_u32(DICAP_AVP_PART, 0xfffeu << 16 | 0xffff);
	expect(DICAP_MSGERR_OK, "PART index 65534 of 65535");

	base_topology();
	r_u32(DICAP_AVP_HEARTBEAT_MS, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "HEARTBEAT_MS 0");
	r_set_u32(DICAP_AVP_HEARTBEAT_MS, DICAP_INTERVAL_MS_MAX + 1);
	expect(DICAP_MSGERR_AVP_RANGE, "HEARTBEAT_MS 3600001");
	r_set_u32(DICAP_AVP_HEARTBEAT_MS, DICAP_INTERVAL_MS_MAX - 1);
	r_u32(DICAP_AVP_TIMEOUT_MS, DICAP_INTERVAL_MS_MAX);
	expect(DICAP_MSGERR_OK, "HEARTBEAT_MS 3599999, TIMEOUT_MS 3600000");
	r_set_u32(DICAP_AVP_TIMEOUT_MS, DICAP_INTERVAL_MS_MAX + 1);
	expect(DICAP_MSGERR_AVP_RANGE, "TIMEOUT_MS 3600001");
	r_set_u32(DICAP_AVP_TIMEOUT_MS, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "TIMEOUT_MS 0");
	r_set_u32(DICAP_AVP_TIMEOUT_MS, DICAP_INTERVAL_MS_MAX - 1);
	expect(DICAP_MSGERR_AVP_RANGE, "TIMEOUT_MS equal to HEARTBEAT_MS");

	base_accept();
	r_set_u32(DICAP_AVP_POSITION, 1);
	expect(DICAP_MSGERR_AVP_RANGE, "POSITION 1 with MEMBER_COUNT 1");
	r_set_u32(DICAP_AVP_MEMBER_COUNT, DICAP_MAX_MEMBERS + 1);
	expect(DICAP_MSGERR_AVP_RANGE, "MEMBER_COUNT 65536");
	r_set_u32(DICAP_AVP_MEMBER_COUNT, DICAP_MAX_MEMBERS);
	r_set_u32(DICAP_AVP_POSITION, DICAP_MAX_MEMBERS);
	expect(DICAP_MSGERR_AVP_RANGE, "POSITION 65535");
	r_set_u32(DICAP_AVP_POSITION, DICAP_MAX_MEMBERS - 1);
	expect(DICAP_MSGERR_OK, "POSITION 65534 of 65535");

	base_error();
	r_set_u32(DICAP_AVP_ERROR_CODE, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "ERROR_CODE 0");
	r_set_u32(DICAP_AVP_ERROR_CODE, DICAP_CTLERR_MAX + 1);
	expect(DICAP_MSGERR_AVP_RANGE, "ERROR_CODE above DICAP_CTLERR_MAX");
}

/* Version 2's SELECT_FLAGS (24): where it may go, its range, its wire form. */
static void
test_select_flags(void)
{
	static uint8_t buf[BUFSZ];
	uint32_t sel = 1u << DICAP_AVP_SELECT, flags = 1u << DICAP_AVP_SELECT_FLAGS;
	struct dicap_msg m;
	size_t off;
	int type, bad = 0, n, found = 0, allowed = 0;

	for (type = 1; type <= DICAP_MSG_TYPE_MAX; type++) {
		if (!(dicap_msg_allowed(type) & flags) != !(dicap_msg_allowed(type) & sel) ||
		    !(dicap_msg_required(type) & flags) != !(dicap_msg_required(type) & sel))
			bad++;
		allowed += !!(dicap_msg_allowed(type) & flags);
	}
	ok(bad == 0 && allowed == 5, "SELECT_FLAGS is allowed and required where SELECT is "
	    "(%d types: accept, topology, announce, coord_sync, status)", allowed);
	ok((dicap_msg_required(DICAP_MSG_TOPOLOGY) & flags) &&
	    !(dicap_msg_required(DICAP_MSG_ACCEPT) & flags), "required in TOPOLOGY, optional in ACCEPT");

	fill_all(&m, DICAP_MSG_TOPOLOGY);
	m.sel_flags = DICAP_SEL_TUNNEL_OUTER;
	/* Without the attributes numbered above it, AUTH follows SELECT_FLAGS. */
	m.present &= ~(1u << DICAP_AVP_SESSION | 1u << DICAP_AVP_PEER_SESSION);
	n = dicap_msg_encode(&m, buf, sizeof(buf), key1);
	for (off = DICAP_CTL_HDR_LEN; n > 0 && off < (size_t)n;
	    off += (buf[off] & DICAP_AVP_F_EXT) ? 3u + dicap_get_be16(buf + off + 1) : 5u)
		if (buf[off] == (DICAP_AVP_F_MANDATORY | DICAP_AVP_SELECT_FLAGS) &&
		    dicap_get_be32(buf + off + 1) == DICAP_SEL_TUNNEL_OUTER &&
		    buf[off + 5] == (DICAP_AVP_F_EXT | DICAP_AVP_F_MANDATORY | DICAP_AVP_AUTH))
			found++;
	ok(n > 0 && found == 1, "on the wire: 0x58, the u32 flags, then the AUTH AVP (0xd7)");
	ok(dicap_msg_decode(buf, (size_t)n, &m, key1, NULL) == DICAP_MSGERR_OK &&
	    m.sel_flags == DICAP_SEL_TUNNEL_OUTER && DICAP_HAS(&m, DICAP_AVP_SELECT_FLAGS),
	    "tunnel outer decodes");
	fill_all(&m, DICAP_MSG_ACCEPT);
	m.sel_flags = DICAP_SEL_FLAGS_MASK + 1;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "the encoder refuses a flag outside DICAP_SEL_FLAGS_MASK");
	fill_all(&m, DICAP_MSG_STATUS);
	m.present &= ~sel;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_MISSING,
	    "the encoder refuses SELECT_FLAGS without SELECT");

	base_topology();
	expect(DICAP_MSGERR_OK, "topology with SELECT_FLAGS 0 (inner)");
	ok(dm.sel_flags == 0, "... decoded");
	r_set_u32(DICAP_AVP_SELECT_FLAGS, DICAP_SEL_FLAGS_MASK);
	expect(DICAP_MSGERR_OK, "SELECT_FLAGS of every known flag");
	ok(dm.sel_flags == DICAP_SEL_FLAGS_MASK, "... decoded");
	r_set_u32(DICAP_AVP_SELECT_FLAGS, DICAP_SEL_FLAGS_MASK + 1);
	expect(DICAP_MSGERR_AVP_RANGE, "SELECT_FLAGS with an unknown bit");
	r_set_u32(DICAP_AVP_SELECT_FLAGS, 0x80000000u);
	expect(DICAP_MSGERR_AVP_RANGE, "SELECT_FLAGS 0x80000000");
	base_topology();
	r_find(DICAP_AVP_SELECT_FLAGS)->code |= DICAP_AVP_F_EXT;
	expect(DICAP_MSGERR_AVP_FORM, "SELECT_FLAGS in extended form");
	base_topology();
	r_u32(DICAP_AVP_SELECT_FLAGS, 0);
	expect(DICAP_MSGERR_AVP_DUP, "SELECT_FLAGS twice");
	base_topology();
	r_del(DICAP_AVP_SELECT_FLAGS);
	expect(DICAP_MSGERR_AVP_MISSING, "topology without SELECT_FLAGS (what version 1 sent)");

	base_accept();
	expect(DICAP_MSGERR_OK, "accept without a selection");
	r_u32(DICAP_AVP_SELECT, DICAP_MODE_HOST);
	expect(DICAP_MSGERR_AVP_MISSING, "accept with SELECT, without SELECT_FLAGS");
	r_u32(DICAP_AVP_SELECT_FLAGS, DICAP_SEL_TUNNEL_OUTER);
	expect(DICAP_MSGERR_OK, "accept with both");
	ok(dm.mode == DICAP_MODE_HOST && dm.sel_flags == DICAP_SEL_TUNNEL_OUTER, "... decoded");
	r_del(DICAP_AVP_SELECT);
	expect(DICAP_MSGERR_AVP_MISSING, "accept with SELECT_FLAGS, without SELECT");
	base_heartbeat();
	r_u32(DICAP_AVP_SELECT_FLAGS, 0);
	expect(DICAP_MSGERR_AVP_NOT_ALLOWED, "SELECT_FLAGS in a heartbeat");
}

static void
test_range_lengths(void)
{
	uint8_t v[40] = { 0 };

	base_heartbeat();
	r_find(DICAP_AVP_SEQ)->len = 4;
	expect(DICAP_MSGERR_AVP_RANGE, "SEQ of 4 bytes");
	base_heartbeat();
	r_find(DICAP_AVP_TIMESTAMP)->len = 7;
	expect(DICAP_MSGERR_AVP_RANGE, "TIMESTAMP of 7 bytes");
	base_topology();
	r_find(DICAP_AVP_VALIDITY)->len = 9;
	expect(DICAP_MSGERR_AVP_RANGE, "VALIDITY of 9 bytes");
	base_topology();
	r_add(X | DICAP_AVP_MARKER_TOKEN, v, 15);
	expect(DICAP_MSGERR_AVP_RANGE, "MARKER_TOKEN of 15 bytes");
	r_find(DICAP_AVP_MARKER_TOKEN)->len = 17;
	expect(DICAP_MSGERR_AVP_RANGE, "MARKER_TOKEN of 17 bytes");
	r_find(DICAP_AVP_MARKER_TOKEN)->len = 16;
	expect(DICAP_MSGERR_OK, "MARKER_TOKEN of 16 bytes");
	base_heartbeat();
	r_add(X | DICAP_AVP_AUTH, v, 31);
	expect(DICAP_MSGERR_AVP_RANGE, "AUTH of 31 bytes");
	expect_len(r_build(), key1, DICAP_MSGERR_AVP_RANGE, "AUTH of 31 bytes, with a key");
	base_heartbeat();
	r_add(X | DICAP_AVP_COUNTERS, v, 11);
	expect(DICAP_MSGERR_AVP_RANGE, "COUNTERS of 11 bytes");
	r_find(DICAP_AVP_COUNTERS)->len = 20;
	expect(DICAP_MSGERR_OK, "COUNTERS of 20 bytes");
	ok(dm.n_counters == 2, "... is 2 counters");
	r_find(DICAP_AVP_COUNTERS)->len = 0;
	expect(DICAP_MSGERR_OK, "COUNTERS of 0 bytes");
}

static void
test_range_addr(void)
{
	base_topology();
	r_del(DICAP_AVP_MEMBERS);
	r_del(DICAP_AVP_MEMBER_COUNT);
	rm.type = DICAP_MSG_ANNOUNCE;
	r_del(DICAP_AVP_SELECT);
	r_del(DICAP_AVP_SELECT_FLAGS);
	r_del(DICAP_AVP_VALIDITY);
	r_del(DICAP_AVP_PART);
	r_addr(DICAP_AVP_COORD, 4, 7467, 7);
	expect(DICAP_MSGERR_OK, "announce with an IPv4 COORD");
	ok(dm.coord.family == 4 && dm.coord.port == 7467 && dm.coord.addr[0] == 192 &&
	    dm.coord.addr[3] == 1 && dm.coord.addr[4] == 0, "COORD decoded");
	r_find(DICAP_AVP_COORD)->val[0] = 5;
	expect(DICAP_MSGERR_AVP_RANGE, "address family 5");
	r_find(DICAP_AVP_COORD)->val[0] = 0;
	expect(DICAP_MSGERR_AVP_RANGE, "address family 0");
	r_find(DICAP_AVP_COORD)->val[0] = 4;
	r_find(DICAP_AVP_COORD)->len = 19;
	expect(DICAP_MSGERR_AVP_RANGE, "IPv4 address of length 19");
	r_find(DICAP_AVP_COORD)->val[0] = 6;
	r_find(DICAP_AVP_COORD)->len = 7;
	expect(DICAP_MSGERR_AVP_RANGE, "IPv6 address of length 7");
	r_find(DICAP_AVP_COORD)->len = 19;
	expect(DICAP_MSGERR_OK, "IPv6 address of length 19");
	r_find(DICAP_AVP_COORD)->len = 6;
	expect(DICAP_MSGERR_AVP_RANGE, "address of length 6");
	r_find(DICAP_AVP_COORD)->len = 7;
	r_find(DICAP_AVP_COORD)->val[0] = 4;
	r_find(DICAP_AVP_COORD)->val[1] = 0;
	r_find(DICAP_AVP_COORD)->val[2] = 0;
	expect(DICAP_MSGERR_AVP_RANGE, "port 0");
}

static void
test_range_analyzers(void)
{
	int i;

	base_topology();
	for (i = 0; i < DICAP_MAX_ANALYZERS; i++)
		r_addr(DICAP_AVP_ANALYZER, i % 2 ? 6 : 4, (uint16_t)(1000 + i), i % 2 ? 19 : 7);
	expect(DICAP_MSGERR_OK, "16 analyzers");
	ok(dm.n_analyzers == 16 && dm.analyzers[15].family == 6 && dm.analyzers[15].port == 1015,
	    "... decoded in order");
	r_addr(DICAP_AVP_ANALYZER, 4, 9, 7);
	expect(DICAP_MSGERR_AVP_RANGE, "17 analyzers");
	base_topology();
	r_addr(DICAP_AVP_ANALYZER, 9, 9, 7);
	expect(DICAP_MSGERR_AVP_RANGE, "analyzer of family 9");
}

static void
test_range_members(void)
{
	struct ravp *a;

	base_topology();
	a = r_find(DICAP_AVP_MEMBERS);
	a->len = 7;
	expect(DICAP_MSGERR_AVP_RANGE, "MEMBERS of 7 bytes");
	base_topology();
	a = r_find(DICAP_AVP_MEMBERS);
	dicap_put_be32(a->val + 12, 5);
	expect(DICAP_MSGERR_AVP_RANGE, "MEMBERS not sorted");
	dicap_put_be32(a->val + 12, 20);
	expect(DICAP_MSGERR_AVP_RANGE, "MEMBERS with a repeated node id");
	dicap_put_be32(a->val + 12, 30);
	dicap_put_be16(a->val + 16, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "a member of weight 0");
	base_topology();
	r_set_u32(DICAP_AVP_MEMBER_COUNT, 6);
	expect(DICAP_MSGERR_AVP_RANGE, "single part with 5 members, MEMBER_COUNT 6");
	r_set_u32(DICAP_AVP_MEMBER_COUNT, 4);
	expect(DICAP_MSGERR_AVP_RANGE, "5 members, MEMBER_COUNT 4");
	r_set_u32(DICAP_AVP_PART, 1u << 16 | 3);
	expect(DICAP_MSGERR_AVP_RANGE, "part 1 of 3 with 5 members, MEMBER_COUNT 4");
	r_set_u32(DICAP_AVP_MEMBER_COUNT, 12);
	expect(DICAP_MSGERR_OK, "part 1 of 3 with 5 of 12 members");
	ok(dm.part == 1 && dm.parts == 3 && dm.n_members == 5, "... PART decoded");
	r_find(DICAP_AVP_MEMBERS)->len = 0;
	expect(DICAP_MSGERR_OK, "a part with no members");
	base_topology();
	r_find(DICAP_AVP_MEMBERS)->len = 0;
	r_set_u32(DICAP_AVP_MEMBER_COUNT, 0);
	expect(DICAP_MSGERR_OK, "an empty topology");
}

static void
test_range_text(void)
{
	char text[DICAP_ERROR_TEXT_MAX + 1];
	static const char edge[] = "\xf4\x8f\xbf\xbf \xef\xbf\xbf \xc2\x80 \xe0\xa0\x80";
	static const char *const bad_utf8[] = {
		"\xff", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xe2\x82",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\x80", "a\xc3", "\xf0\x8f\xbf\xbf",
	};
	char what[64];
	size_t i;

	memset(text, 'x', sizeof(text));
	base_error();
	r_add(X | DICAP_AVP_ERROR_TEXT, text, sizeof(text))->len = 0;
	expect(DICAP_MSGERR_AVP_RANGE, "empty ERROR_TEXT");
	r_find(DICAP_AVP_ERROR_TEXT)->len = DICAP_ERROR_TEXT_MAX + 1;
	expect(DICAP_MSGERR_AVP_RANGE, "ERROR_TEXT of 201 bytes");
	r_find(DICAP_AVP_ERROR_TEXT)->len = DICAP_ERROR_TEXT_MAX;
	expect(DICAP_MSGERR_OK, "ERROR_TEXT of 200 bytes");
	ok(strlen(dm.error_text) == DICAP_ERROR_TEXT_MAX, "... NUL-terminated");
	r_find(DICAP_AVP_ERROR_TEXT)->val[50] = '\0';
	expect(DICAP_MSGERR_AVP_RANGE, "ERROR_TEXT with a NUL byte");
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		base_error();
		r_add(X | DICAP_AVP_ERROR_TEXT, bad_utf8[i], strlen(bad_utf8[i]));
		snprintf(what, sizeof(what), "ERROR_TEXT invalid UTF-8 #%zu", i);
		expect(DICAP_MSGERR_AVP_RANGE, what);
	}
	base_error();
	r_add(X | DICAP_AVP_ERROR_TEXT, edge, strlen(edge));
	expect(DICAP_MSGERR_OK, "ERROR_TEXT with boundary code points");
}

static void
node_info_case(int offset, int byte, const char *what, int want)
{
	struct ravp *a;

	base_status();
	a = r_add(X | DICAP_AVP_NODE_INFO, node_infos[0], (size_t)node_info_lens[0]);
	if (offset >= 0)
		a->val[offset] = (uint8_t)byte;
	expect(want, what);
}

static void
test_range_node_info(void)
{
	struct ravp *a;
	int i;

	node_info_case(-1, 0, "STATUS with a NODE_INFO", DICAP_MSGERR_OK);
	node_info_case(4, 0, "NODE_INFO weight 0 (high byte)", DICAP_MSGERR_OK);
	node_info_case(5, 0, "NODE_INFO weight 0", DICAP_MSGERR_AVP_RANGE);
	node_info_case(6, 5, "NODE_INFO family 5", DICAP_MSGERR_AVP_RANGE);
	node_info_case(7, 1, "NODE_INFO reserved byte 1", DICAP_MSGERR_AVP_RANGE);
	node_info_case(20, 1, "NODE_INFO IPv4 padding not zero", DICAP_MSGERR_AVP_RANGE);
	node_info_case(31, 0xff, "NODE_INFO share above 1000000 ppm", DICAP_MSGERR_AVP_RANGE);
	base_status();
	a = r_add(X | DICAP_AVP_NODE_INFO, node_infos[0], (size_t)node_info_lens[0]);
	dicap_put_be16(a->val + 8, 0);
	expect(DICAP_MSGERR_AVP_RANGE, "NODE_INFO port 0");
	dicap_put_be16(a->val + 8, 1);
	a->len = DICAP_NODE_INFO_FIXED_LEN - 1;
	expect(DICAP_MSGERR_AVP_RANGE, "NODE_INFO of 37 bytes");
	a->len = DICAP_NODE_INFO_FIXED_LEN + 1;
	expect(DICAP_MSGERR_AVP_RANGE, "NODE_INFO of 39 bytes");
	a->len = DICAP_NODE_INFO_FIXED_LEN + 20;
	expect(DICAP_MSGERR_OK, "NODE_INFO with 2 counters");
	base_status();
	for (i = 0; i < DICAP_MAX_NODE_INFO; i++)
		r_add(X | DICAP_AVP_NODE_INFO, node_infos[i], (size_t)node_info_lens[i]);
	expect(DICAP_MSGERR_OK, "64 NODE_INFOs");
	ok(dm.n_node_info == 64 && dm.node_info_len[2] == DICAP_NODE_INFO_FIXED_LEN + 20,
	    "... all reported");
	r_add(X | DICAP_AVP_NODE_INFO, node_infos[0], (size_t)node_info_lens[0]);
	expect(DICAP_MSGERR_AVP_RANGE, "65 NODE_INFOs");
}

static void
test_auth_errors(void)
{
	size_t len;

	base_heartbeat();
	len = r_build_signed(key1);
	expect_len(len, key1, DICAP_MSGERR_OK, "hand-signed heartbeat");
	expect_len(len, key2, DICAP_MSGERR_AUTH_BAD, "wrong key");
	rbuf[len - 1] ^= 1;
	expect_len(len, key1, DICAP_MSGERR_AUTH_BAD, "tag with a flipped bit");
	base_heartbeat();
	r_build_signed(key1);
	r_u32(DICAP_AVP_WEIGHT, 5);
	expect_len(r_build(), NULL, DICAP_MSGERR_AUTH_POS, "an AVP after AUTH");
	expect_len(r_build(), key1, DICAP_MSGERR_AUTH_POS, "an AVP after AUTH, with a key");
	base_heartbeat();
	r_build_signed(key1);
	r_build_signed(key1);
	expect_len(r_build(), key1, DICAP_MSGERR_AUTH_POS, "AUTH twice");
	base_heartbeat();
	expect_len(r_build(), key1, DICAP_MSGERR_AUTH_MISSING, "key configured, no tag");
	/* The tag covers the header: a changed avp_count or type is caught. */
	base_heartbeat();
	r_u32(DICAP_AVP_WEIGHT, 5);
	len = r_build_signed(key1);
	rbuf[1] = DICAP_MSG_LEAVE;
	expect_len(len, key1, DICAP_MSGERR_AUTH_BAD, "type changed under the tag");
}

static void
test_tampering(void)
{
	static uint8_t buf[BUFSZ], copy[BUFSZ];
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct dicap_msg m;
	size_t i, f, accepted = 0, tried = 0;
	int n;

	fill_all(&m, DICAP_MSG_TOPOLOGY);
	n = dicap_msg_encode(&m, buf, sizeof(buf), key1);
	for (i = 0; i < (size_t)n; i++) {
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(copy, buf, (size_t)n);
			copy[i] ^= flips[f];
			tried++;
			if (dicap_msg_decode(copy, (size_t)n, &m, key1, NULL) == DICAP_MSGERR_OK)
				accepted++;
		}
	}
	ok(n > 0 && accepted == 0, "every one of %zu byte flips of a signed topology is refused",
	    tried);
	is(dicap_msg_decode(buf, (size_t)n, &m, key2, NULL), DICAP_MSGERR_AUTH_BAD,
	    "signed topology refused under another key");
	is(dicap_msg_decode(buf, (size_t)n, &m, key1, NULL), DICAP_MSGERR_OK,
	    "and accepted under its own");
}

static void
test_truncation(void)
{
	static uint8_t buf[BUFSZ], copy[BUFSZ];
	const uint8_t *keys[] = { NULL, key1 };
	struct dicap_msg m;
	size_t l, k, accepted = 0, relabelled = 0;
	int n;

	fill_all(&m, DICAP_MSG_STATUS);
	for (k = 0; k < 2; k++) {
		n = dicap_msg_encode(&m, buf, sizeof(buf), keys[k]);
		for (l = 0; l < (size_t)n; l++) {
			if (dicap_msg_decode(buf, l, &m, keys[k], NULL) == DICAP_MSGERR_OK)
				accepted++;
			/* ... and with the header's length rewritten to match */
			memcpy(copy, buf, l);
			if (l >= DICAP_CTL_HDR_LEN)
				dicap_put_be16(copy + 4, (uint16_t)l);
			if (dicap_msg_decode(copy, l, &m, keys[k], NULL) == DICAP_MSGERR_OK)
				relabelled++;
		}
		ok(n > 0 && accepted == 0, "%s status: no truncation to 0..%d bytes decodes",
		    keys[k] ? "signed" : "unsigned", n - 1);
		ok(relabelled == 0, "%s status: nor with the header length rewritten",
		    keys[k] ? "signed" : "unsigned");
		fill_all(&m, DICAP_MSG_STATUS);
	}
}

static void
test_encoder(void)
{
	static uint8_t buf[BUFSZ];
	static const struct dicap_member unsorted[] = { { 5, 1 }, { 4, 1 } };
	struct dicap_msg m;
	size_t cap, bad = 0;
	int n, r;

	fill_all(&m, DICAP_MSG_COORD_SYNC);
	n = dicap_msg_encode(&m, buf, sizeof(buf), key1);
	for (cap = 0; cap < (size_t)n; cap++) {
		r = dicap_msg_encode(&m, buf, cap, key1);
		if (r != -DICAP_MSGERR_NOSPACE)
			bad++;
	}
	ok(n > 0 && bad == 0, "every buffer of 0..%d bytes gives -NOSPACE", n - 1);
	is(dicap_msg_encode(&m, buf, (size_t)n, key1), n, "exactly %d bytes suffice", n);

	fill_all(&m, DICAP_MSG_HEARTBEAT);
	m.type = 0;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_TYPE, "type 0 refused");
	m.type = 13;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_TYPE, "type 13 refused");
	fill_all(&m, DICAP_MSG_HEARTBEAT);
	m.present |= 1u;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_UNKNOWN,
	    "present bit 0 refused");
	fill_all(&m, DICAP_MSG_HEARTBEAT);
	m.present |= 1u << (DICAP_AVP_MAX + 1);
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_UNKNOWN,
	    "present bit 25 refused");
	fill_all(&m, DICAP_MSG_HEARTBEAT);
	m.present |= 1u << DICAP_AVP_AUTH;
	ok(dicap_msg_encode(&m, buf, sizeof(buf), NULL) > 0, "present AUTH bit ignored: the key decides");
	m.weight = 0;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE, "weight 0 refused");
	ok(strstr(dicap_msg_why(), "weight") != NULL, "... reason names it: %s", dicap_msg_why());

	fill_all(&m, DICAP_MSG_TOPOLOGY);
	m.members = unsorted;
	m.n_members = 2;
	m.member_count = 2;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "unsorted members refused");
	fill_all(&m, DICAP_MSG_TOPOLOGY);
	m.n_analyzers = 0;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "ANALYZER present with no entries refused");
	m.n_analyzers = DICAP_MAX_ANALYZERS + 1;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "17 analyzers refused");
	fill_all(&m, DICAP_MSG_TOPOLOGY);
	m.coord.family = 5;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "COORD of family 5 refused");
	fill_all(&m, DICAP_MSG_TOPOLOGY);
	m.members = NULL;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "members counted but not given refused");
	fill_all(&m, DICAP_MSG_ERROR);
	memset(m.error_text, 'a', sizeof(m.error_text));
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "unterminated error text refused");
	fill_all(&m, DICAP_MSG_ERROR);
	m.error_text[0] = '\0';
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "empty error text with its bit set refused");
	fill_all(&m, DICAP_MSG_STATUS);
	m.n_node_info = DICAP_MAX_NODE_INFO + 1;
	is(dicap_msg_encode(&m, buf, sizeof(buf), NULL), -DICAP_MSGERR_AVP_RANGE,
	    "65 node infos refused");
	is(dicap_msg_encode(&m, NULL, 0, NULL), -DICAP_MSGERR_NOSPACE, "no buffer");
}

/* Members in a TOPOLOGY part of at most 1400 bytes. */
static void
test_part_size(void)
{
	static uint8_t buf[BUFSZ];
	static struct dicap_member many[400];
	struct dicap_msg m;
	uint32_t fit, i;
	int n;

	for (i = 0; i < 400; i++) {
		many[i].node_id = 100 + i;
		many[i].weight = 1;
	}
	fill(&m, DICAP_MSG_TOPOLOGY, dicap_msg_allowed(DICAP_MSG_TOPOLOGY), DICAP_MAX_ANALYZERS);
	for (i = 0; i < DICAP_MAX_ANALYZERS; i++)
		mkaddr(&m.analyzers[i], "[2001:db8::2]:7468");
	m.members = many;
	m.member_count = DICAP_MAX_MEMBERS;
	m.parts = 449;
	m.part = 448;
	m.position = 0;
	fit = dicap_msg_members_fit(&m, DICAP_CTL_PART_TARGET, 1);
	is(fit, DICAP_TOPOLOGY_PART_MEMBERS, "worst-case TOPOLOGY part holds %d members",
	    DICAP_TOPOLOGY_PART_MEMBERS);
	m.n_members = fit;
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &coord_keys);
	ok(n > 0 && n <= DICAP_CTL_PART_TARGET, "... in %d bytes, signed", n);
	m.n_members = fit + 1;
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &coord_keys);
	ok(n > DICAP_CTL_PART_TARGET, "one more member takes %d bytes", n);
	is(DICAP_TOPOLOGY_PART_MEMBERS * 479 >= DICAP_MAX_MEMBERS, 1,
	    "479 parts carry the largest membership");

	fill(&m, DICAP_MSG_TOPOLOGY, dicap_msg_required(DICAP_MSG_TOPOLOGY), 0);
	is(dicap_msg_members_fit(&m, DICAP_CTL_PART_TARGET, 1), 209,
	    "a TOPOLOGY part of required attributes and a signature holds 209 members");
	is(dicap_msg_members_fit(&m, DICAP_CTL_PART_TARGET, 0), 221, "... 221 unsigned");
	m.members = NULL;
	m.n_members = 0;
	is(dicap_msg_encoded_len(&m, 1), 141,
	    "a signed TOPOLOGY part of required attributes, no members: 141 bytes");
	is(dicap_msg_encoded_len(&m, 0), 74, "... 74 unsigned");
}

/* Each role's key makes and checks only its own messages (issue 14). */
static void
test_roles(void)
{
	static uint8_t buf[BUFSZ];
	uint8_t session_key[DICAP_AUTH_KEY_LEN];
	struct dicap_keys k;
	struct dicap_msg m, d;
	int n, type, bad = 0;

	for (type = 1; type <= DICAP_MSG_TYPE_MAX; type++) {
		int r = dicap_msg_role(type);

		if (r == DICAP_ROLE_NONE ||
		    (r == DICAP_ROLE_NODE) != (type == DICAP_MSG_JOIN ||
		    type == DICAP_MSG_HEARTBEAT || type == DICAP_MSG_LEAVE) ||
		    (r == DICAP_ROLE_STATUS) != (type == DICAP_MSG_STATUS_REQ))
			bad++;
	}
	ok(bad == 0, "JOIN, HEARTBEAT, LEAVE: node; STATUS_REQ: status; the rest: coordinator");

	fill_all(&m, DICAP_MSG_TOPOLOGY);
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &coord_keys);
	ok(n > 0 && buf[n - DICAP_SIGN_LEN - 3] == (DICAP_AVP_F_EXT | DICAP_AVP_F_MANDATORY |
	    DICAP_AVP_AUTH) && dicap_get_be16(buf + n - DICAP_SIGN_LEN - 2) == DICAP_SIGN_LEN,
	    "a coordinator's TOPOLOGY carries a %d-byte signature", DICAP_SIGN_LEN);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &node_keys, NULL), DICAP_MSGERR_OK,
	    "a node checks it with the coordinator's public key");
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &status_keys, NULL), DICAP_MSGERR_OK,
	    "... and so does a status reader");
	buf[DICAP_CTL_HDR_LEN + 4] ^= 1;
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &node_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a changed byte breaks the signature");
	is(dicap_msg_encode_keys(&m, buf, sizeof(buf), &node_keys), -DICAP_MSGERR_AUTH_NOKEY,
	    "a node credential cannot make a TOPOLOGY");
	is(dicap_msg_encode_keys(&m, buf, sizeof(buf), &status_keys), -DICAP_MSGERR_AUTH_NOKEY,
	    "nor can a status credential");
	/* The node key's HMAC where a signature is due: refused, whatever the tag length. */
	n = dicap_msg_encode(&m, buf, sizeof(buf), node_keys.node);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &node_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a TOPOLOGY with the node key's HMAC is refused (%s)", dicap_msg_why());
	m.type = DICAP_MSG_COORD_SYNC;
	fill_all(&m, DICAP_MSG_COORD_SYNC);
	n = dicap_msg_encode(&m, buf, sizeof(buf), coord_keys.node);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &coord_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a COORD_SYNC with the node key's HMAC is refused by a coordinator");

	fill_all(&m, DICAP_MSG_JOIN);
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &node_keys);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &coord_keys, NULL), DICAP_MSGERR_OK,
	    "a node's JOIN verifies at the coordinator");
	n = dicap_msg_encode(&m, buf, sizeof(buf), status_keys.status);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &coord_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a JOIN under the status key is refused");
	is(dicap_msg_encode_keys(&m, buf, sizeof(buf), &status_keys), -DICAP_MSGERR_AUTH_NOKEY,
	    "a status credential cannot make a JOIN");
	fill_all(&m, DICAP_MSG_STATUS_REQ);
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &status_keys);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &coord_keys, NULL), DICAP_MSGERR_OK,
	    "a status reader's STATUS_REQ verifies at the coordinator");
	n = dicap_msg_encode(&m, buf, sizeof(buf), node_keys.node);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &coord_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a STATUS_REQ under the node key is refused");

	/* HEARTBEAT both ways: the node's HMAC up, the coordinator's signature down. */
	fill_all(&m, DICAP_MSG_HEARTBEAT);
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &coord_keys);
	ok(n > DICAP_SIGN_LEN && dicap_get_be16(buf + n - DICAP_SIGN_LEN - 2) == DICAP_SIGN_LEN &&
	    dicap_msg_decode_keys(buf, (size_t)n, &d, &node_keys, NULL) == DICAP_MSGERR_OK,
	    "a coordinator's HEARTBEAT answer is signed and verifies at the node");
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &node_keys);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &node_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a node does not take another node's HEARTBEAT as the coordinator's");

	/* The session key of a JOIN/ACCEPT exchange. */
	memset(session_key, 0x77, sizeof(session_key));
	k = coord_keys;
	k.peer_mac = session_key;
	fill_all(&m, DICAP_MSG_TOPOLOGY);
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &k);
	ok(n > 0 && dicap_get_be16(buf + n - DICAP_AUTH_TAG_LEN - 2) == DICAP_AUTH_TAG_LEN,
	    "with a session key a TOPOLOGY carries its HMAC");
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &node_keys, NULL), DICAP_MSGERR_AUTH_BAD,
	    "a node without that session key refuses it");
	k = node_keys;
	k.peer_mac = session_key;
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &k, NULL), DICAP_MSGERR_OK,
	    "the node of the session takes it");
	n = dicap_msg_encode(&m, buf, sizeof(buf), node_keys.node);
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &k, NULL), DICAP_MSGERR_AUTH_BAD,
	    "... but not an HMAC under the node key");
	fill_all(&m, DICAP_MSG_ACCEPT);
	k = coord_keys;
	k.peer_mac = session_key;
	n = dicap_msg_encode_keys(&m, buf, sizeof(buf), &k);
	ok(n > 0 && dicap_get_be16(buf + n - DICAP_SIGN_LEN - 2) == DICAP_SIGN_LEN,
	    "ACCEPT, which carries the coordinator's KX key, is always signed");
	n = dicap_msg_encode(&m, buf, sizeof(buf), session_key);
	k = node_keys;
	k.peer_mac = session_key;
	is(dicap_msg_decode_keys(buf, (size_t)n, &d, &k, NULL), DICAP_MSGERR_AUTH_BAD,
	    "an ACCEPT under a session key is refused");
}

static void
test_node_info(void)
{
	uint8_t buf[DICAP_NODE_INFO_FIXED_LEN + 30];
	struct dicap_node_info ni, out;
	const char *why;
	uint16_t id;
	uint64_t v;
	int n;

	memset(&ni, 0, sizeof(ni));
	ni.node_id = 0xdeadbeef;
	ni.weight = 65535;
	mkaddr(&ni.addr, "[fe80::1:2]:65535");
	ni.last_heartbeat_ms = 0xffffffff;
	ni.share_ppm = DICAP_SHARE_PPM_MAX;
	ni.epoch = 99;
	ni.counters_raw = counters_raw;
	ni.n_counters = 3;
	is(dicap_node_info_size(&ni), DICAP_NODE_INFO_FIXED_LEN + 30, "node info size");
	n = dicap_node_info_encode(&ni, buf, sizeof(buf));
	is(n, DICAP_NODE_INFO_FIXED_LEN + 30, "node info encodes");
	is(dicap_node_info_decode(buf, (size_t)n, &out, &why), DICAP_MSGERR_OK, "and decodes (%s)", why);
	ok(out.node_id == ni.node_id && out.weight == ni.weight &&
	    !memcmp(&out.addr, &ni.addr, sizeof(ni.addr)) &&
	    out.last_heartbeat_ms == ni.last_heartbeat_ms && out.share_ppm == ni.share_ppm &&
	    out.epoch == ni.epoch && out.n_counters == 3, "node info fields survive");
	dicap_node_info_counter(&out, 2, &id, &v);
	ok(id == 3 && v == 3 * 0x0102030405060708ULL, "node info counter 2");
	dicap_node_info_counter(&out, 3, &id, &v);
	ok(id == 0 && v == 0, "node info counter out of range is zero");
	ok(buf[6] == 6 && buf[7] == 0 && dicap_get_be16(buf + 8) == 65535 && buf[10] == 0xfe &&
	    dicap_get_be32(buf + 26) == 0xffffffff && dicap_get_be32(buf + 30) == 1000000 &&
	    dicap_get_be32(buf + 34) == 99 && dicap_get_be16(buf + 38) == 1,
	    "node info wire layout");
	is(dicap_node_info_encode(&ni, buf, (size_t)n - 1), -DICAP_MSGERR_NOSPACE,
	    "node info: a buffer one byte short");
	ni.weight = 0;
	is(dicap_node_info_encode(&ni, buf, sizeof(buf)), -DICAP_MSGERR_AVP_RANGE,
	    "node info: weight 0 refused");
	ni.weight = 1;
	ni.share_ppm = DICAP_SHARE_PPM_MAX + 1;
	is(dicap_node_info_encode(&ni, buf, sizeof(buf)), -DICAP_MSGERR_AVP_RANGE,
	    "node info: share above 1000000 refused");
	ni.share_ppm = 0;
	ni.addr.family = 0;
	is(dicap_node_info_encode(&ni, buf, sizeof(buf)), -DICAP_MSGERR_AVP_RANGE,
	    "node info: family 0 refused");
	mkaddr(&ni.addr, "10.1.2.3:1");
	ni.addr.addr[7] = 9;	/* ignored: IPv4 uses the first 4 bytes */
	n = dicap_node_info_encode(&ni, buf, sizeof(buf));
	ok(n > 0 && buf[10] == 10 && buf[13] == 3 && buf[17] == 0, "IPv4 node info zero-padded");
}

static void
test_accessors(void)
{
	static uint8_t buf[BUFSZ];
	struct dicap_msg m, d;
	struct dicap_member mb;
	uint16_t id;
	uint64_t v;
	int n, i;

	fill_all(&m, DICAP_MSG_TOPOLOGY);
	n = dicap_msg_encode(&m, buf, sizeof(buf), NULL);
	dicap_msg_decode(buf, (size_t)n, &d, NULL, NULL);
	ok(d.members == NULL && d.members_raw != NULL, "decoded members are raw");
	dicap_msg_member(&d, 4, &mb);
	ok(mb.node_id == 0xfffffffe && mb.weight == 9, "member 4");
	dicap_msg_member(&d, 5, &mb);
	ok(mb.node_id == 0 && mb.weight == 0, "member past the end is zero");
	fill_all(&m, DICAP_MSG_HEARTBEAT);
	n = dicap_msg_encode(&m, buf, sizeof(buf), NULL);
	dicap_msg_decode(buf, (size_t)n, &d, NULL, NULL);
	dicap_msg_counter(&d, 1, &id, &v);
	ok(id == 2 && v == 2 * 0x0102030405060708ULL, "counter 1");
	dicap_msg_counter(&d, 3, &id, &v);
	ok(id == 0 && v == 0, "counter past the end is zero");

	for (i = 0; i <= DICAP_MSGERR_MAX; i++)
		if (!dicap_msg_strerror(i) || !strcmp(dicap_msg_strerror(i), "unknown error"))
			break;
	ok(i > DICAP_MSGERR_MAX && !strcmp(dicap_msg_strerror(99), "unknown error") &&
	    !strcmp(dicap_msg_strerror(-DICAP_MSGERR_NOSPACE), "message does not fit"),
	    "every error has a name");
	ok(!strcmp(dicap_msg_type_name(DICAP_MSG_VOTE), "vote") &&
	    !strcmp(dicap_msg_type_name(0), "unknown") && !strcmp(dicap_avp_name(8), "members") &&
	    !strcmp(dicap_avp_name(24), "select_flags") && !strcmp(dicap_avp_name(29), "kx") &&
	    !strcmp(dicap_avp_name(30), "unknown"),
	    "type and attribute names");
}

struct addr_case {
	const char *in;
	int ok;
	const char *out;
};

static void
test_addr(void)
{
	static const struct addr_case cases[] = {
		{ "1.2.3.4:7467", 1, "1.2.3.4:7467" },
		{ "255.255.255.255:65535", 1, "255.255.255.255:65535" },
		{ "0.0.0.0:1", 1, "0.0.0.0:1" },
		{ "[2001:db8::1]:7467", 1, "[2001:db8::1]:7467" },
		{ "[2001:DB8:0:0:0:0:0:1]:80", 1, "[2001:db8::1]:80" },
		{ "[::]:1", 1, "[::]:1" },
		{ "[::ffff:1.2.3.4]:9", 1, "[::ffff:1.2.3.4]:9" },
		{ "1.2.3.4:07467", 1, "1.2.3.4:7467" },
		{ "1.2.3.4", 0, NULL },
		{ "1.2.3.4:", 0, NULL },
		{ "1.2.3.4:0", 0, NULL },
		{ "1.2.3.4:65536", 0, NULL },
		{ "1.2.3.4:123456", 0, NULL },
		{ "1.2.3.4:-1", 0, NULL },
		{ "1.2.3.4:+80", 0, NULL },
		{ "1.2.3.4:80 ", 0, NULL },
		{ " 1.2.3.4:80", 0, NULL },
		{ "1.2.3:80", 0, NULL },
		{ "1.2.3.256:80", 0, NULL },
		{ "host.example:80", 0, NULL },
		{ ":80", 0, NULL },
		{ "", 0, NULL },
		{ "2001:db8::1:80", 0, NULL },
		{ "[2001:db8::1]", 0, NULL },
		{ "[2001:db8::1]80", 0, NULL },
		{ "[2001:db8::1]:", 0, NULL },
		{ "[]:80", 0, NULL },
		{ "[1.2.3.4]:80", 0, NULL },
		{ "[fe80::1%eth0]:80", 0, NULL },
		{ "[2001:db8::1]]:80", 0, NULL },
		{ "[2001:db8::g]:80", 0, NULL },
		{ "[2001:db8:1:2:3:4:5:6:7]:80", 0, NULL },
	};
	struct dicap_addr a;
	char buf[DICAP_ADDR_STRLEN];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = dicap_addr_parse(cases[i].in, &a);
		if (!cases[i].ok) {
			ok(r == -1 && a.family == 0, "addr \"%s\" refused", cases[i].in);
			continue;
		}
		ok(r == 0 && !strcmp(dicap_addr_format(&a, buf, sizeof(buf)), cases[i].out),
		    "addr \"%s\" -> \"%s\"", cases[i].in, r == 0 ? buf : "(refused)");
	}
	dicap_addr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", &a);
	dicap_addr_format(&a, buf, sizeof(buf));
	ok(strlen(buf) == 47 && strlen(buf) < DICAP_ADDR_STRLEN, "longest address fits (%s)", buf);
	ok(a.family == 6 && a.port == 65535 && a.addr[15] == 0xff, "IPv6 parse fields");
	dicap_addr_parse("10.0.0.1:2", &a);
	ok(a.family == 4 && a.port == 2 && a.addr[0] == 10 && a.addr[3] == 1 && a.addr[4] == 0,
	    "IPv4 parse fields");
	ok(!strcmp(dicap_addr_format(&a, buf, 8), "(invali"), "too small a buffer: truncated marker");
	a.family = 5;
	ok(!strcmp(dicap_addr_format(&a, buf, sizeof(buf)), "(invalid)"), "family 5 formats as invalid");
	ok(dicap_addr_parse(NULL, &a) == -1, "NULL refused");
}

/* The detail string is per thread. */
static void *
why_thread(void *arg)
{
	static const uint8_t shortmsg[4] = { 1 };
	const char *why;
	int i, *bad = arg;

	for (i = 0; i < 20000; i++) {
		dicap_msg_decode(shortmsg, sizeof(shortmsg), &(struct dicap_msg){ 0 }, NULL, &why);
		if (strncmp(why, "4 bytes", 7) != 0)
			(*bad)++;
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t;
	const char *why;
	int i, bad_thread = 0, bad_main = 0;

	base_heartbeat();
	r_u32(DICAP_AVP_WEIGHT, 0);
	r_build();
	pthread_create(&t, NULL, why_thread, &bad_thread);
	for (i = 0; i < 20000; i++) {
		dicap_msg_decode(rbuf, r_build(), &dm, NULL, &why);
		if (strstr(why, "weight") == NULL)
			bad_main++;
	}
	pthread_join(t, NULL);
	ok(bad_thread == 0 && bad_main == 0, "detail strings do not leak across threads");
}

int
main(void)
{
	setup_lists();
	test_roundtrips();
	test_type_sets();
	test_bases();
	test_header_errors();
	test_framing_errors();
	test_form_unknown_dup();
	test_missing_not_allowed();
	test_range_scalars();
	test_select_flags();
	test_range_lengths();
	test_range_addr();
	test_range_analyzers();
	test_range_members();
	test_range_text();
	test_range_node_info();
	test_auth_errors();
	test_tampering();
	test_truncation();
	test_encoder();
	test_part_size();
	test_roles();
	test_node_info();
	test_accessors();
	test_addr();
	test_threads();
	return done_testing();
}
