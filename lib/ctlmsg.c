/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control protocol codec.  One table describes every attribute (form,
 * multiplicity, length and value bounds, where it lives in struct
 * dicap_msg), one table every message type (required and allowed
 * attributes).  The decoder works in passes so that the reason it gives is
 * the most basic one: framing, then the tag, then each attribute on its
 * own, then the message as a whole.  The encoder decodes what it wrote, so
 * it never emits a message a receiver would reject.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <sodium.h>

#include "ctlmsg.h"
#include "why.h"
#include "dicap/types.h"

#define AVP_SHORT_LEN	5	/* code + u32 */
#define AVP_EXT_HDR_LEN	3	/* code + u16 length */
#define AVP_EXT_MAX	0xffff
#define AUTH_AVP_LEN	(AVP_EXT_HDR_LEN + DICAP_AUTH_TAG_LEN)
#define ALL_V1_AVPS	(((1u << (DICAP_AVP_MAX + 1)) - 1) & ~1u)

enum avp_kind {
	K_U32,		/* short; stored in a field of spec->size bytes */
	K_PART,		/* short; index << 16 | total */
	K_U64,		/* ext, 8 bytes */
	K_ADDR,		/* ext, struct dicap_addr */
	K_ANALYZER,	/* ext, struct dicap_addr appended to analyzers[] */
	K_MEMBERS,
	K_TEXT,
	K_COUNTERS,
	K_TOKEN,
	K_NODE_INFO,
	K_AUTH,
};

#define S_EXT		0x01
#define S_REPEAT	0x02

struct avp_spec {
	const char *name;
	uint8_t kind;
	uint8_t flags;
	uint8_t size;		/* K_U32: width of the field */
	uint16_t off;		/* K_U32, K_U64: offset of the field */
	uint16_t min_len;	/* ext: value length bounds */
	uint16_t max_len;
	uint32_t min;		/* K_U32: value bounds */
	uint32_t max;
};

#define FIELD_SIZE(f)	sizeof(((struct dicap_msg *)0)->f)
#define U32(nm, f, lo, hi) \
	{ nm, K_U32, 0, FIELD_SIZE(f), offsetof(struct dicap_msg, f), 4, 4, lo, hi }
#define EXT(nm, k, fl, f, lo, hi) \
	{ nm, k, S_EXT | (fl), 0, offsetof(struct dicap_msg, f), lo, hi, 0, 0 }

static const struct avp_spec avp_specs[DICAP_AVP_MAX + 1] = {
	[DICAP_AVP_NODE_ID] = U32("node_id", node_id, 0, UINT32_MAX),
	[DICAP_AVP_COORD] = EXT("coord", K_ADDR, 0, coord,
				DICAP_ADDR_WIRE_V4_LEN, DICAP_ADDR_WIRE_V6_LEN),
	[DICAP_AVP_ANALYZER] = EXT("analyzer", K_ANALYZER, S_REPEAT, analyzers,
				   DICAP_ADDR_WIRE_V4_LEN, DICAP_ADDR_WIRE_V6_LEN),
	[DICAP_AVP_SELECT] = U32("select", mode, 0, DICAP_MODE_MAX),
	[DICAP_AVP_VALIDITY] = EXT("validity", K_U64, 0, validity_ns, 8, 8),
	[DICAP_AVP_EPOCH] = U32("epoch", epoch, 0, UINT32_MAX),
	[DICAP_AVP_TERM] = U32("term", term, 0, UINT32_MAX),
	[DICAP_AVP_MEMBERS] = EXT("members", K_MEMBERS, 0, members_raw, 0, AVP_EXT_MAX),
	[DICAP_AVP_PART] = { "part", K_PART, 0, 4, 0, 4, 4, 0, UINT32_MAX },
	[DICAP_AVP_SEQ] = EXT("seq", K_U64, 0, seq, 8, 8),
	[DICAP_AVP_TIMESTAMP] = EXT("timestamp", K_U64, 0, timestamp_ns, 8, 8),
	[DICAP_AVP_WEIGHT] = U32("weight", weight, 1, DICAP_MAX_WEIGHT),
	[DICAP_AVP_PRIORITY] = U32("priority", priority, 0, UINT32_MAX),
	[DICAP_AVP_HEARTBEAT_MS] = U32("heartbeat_ms", heartbeat_ms, 1, DICAP_INTERVAL_MS_MAX),
	[DICAP_AVP_TIMEOUT_MS] = U32("timeout_ms", timeout_ms, 1, DICAP_INTERVAL_MS_MAX),
	[DICAP_AVP_POSITION] = U32("position", position, 0, DICAP_MAX_MEMBERS - 1),
	[DICAP_AVP_MEMBER_COUNT] = U32("member_count", member_count, 0, DICAP_MAX_MEMBERS),
	[DICAP_AVP_ERROR_CODE] = U32("error_code", error_code, 1, DICAP_CTLERR_MAX),
	[DICAP_AVP_ERROR_TEXT] = EXT("error_text", K_TEXT, 0, error_text,
				     1, DICAP_ERROR_TEXT_MAX),
	[DICAP_AVP_COUNTERS] = EXT("counters", K_COUNTERS, 0, counters_raw, 0, AVP_EXT_MAX),
	[DICAP_AVP_MARKER_TOKEN] = EXT("marker_token", K_TOKEN, 0, marker_token,
				       DICAP_MARKER_TOKEN_LEN, DICAP_MARKER_TOKEN_LEN),
	[DICAP_AVP_NODE_INFO] = EXT("node_info", K_NODE_INFO, S_REPEAT, node_info,
				    DICAP_NODE_INFO_FIXED_LEN, AVP_EXT_MAX),
	[DICAP_AVP_AUTH] = EXT("auth", K_AUTH, 0, auth_tag,
			       DICAP_AUTH_TAG_LEN, DICAP_AUTH_TAG_LEN),
};

#define B(a)	(1u << DICAP_AVP_##a)
/* Every message carries SEQ and TIMESTAMP: the replay check needs both. */
#define ALWAYS	(B(SEQ) | B(TIMESTAMP))

struct msg_spec {
	const char *name;
	uint32_t required;
	uint32_t optional;
};

static const struct msg_spec msg_specs[DICAP_MSG_TYPE_MAX + 1] = {
	[DICAP_MSG_JOIN] = { "join",
		ALWAYS | B(NODE_ID),
		B(WEIGHT) | B(COORD) | B(TERM) | B(EPOCH) },
	[DICAP_MSG_ACCEPT] = { "accept",
		ALWAYS | B(NODE_ID) | B(TERM) | B(EPOCH) | B(POSITION) | B(MEMBER_COUNT),
		B(WEIGHT) | B(SELECT) | B(VALIDITY) | B(ANALYZER) | B(COORD) |
		B(HEARTBEAT_MS) | B(TIMEOUT_MS) | B(MARKER_TOKEN) },
	[DICAP_MSG_TOPOLOGY] = { "topology",
		ALWAYS | B(TERM) | B(EPOCH) | B(SELECT) | B(VALIDITY) | B(MEMBERS) |
		B(PART) | B(MEMBER_COUNT),
		B(NODE_ID) | B(ANALYZER) | B(POSITION) | B(HEARTBEAT_MS) |
		B(TIMEOUT_MS) | B(MARKER_TOKEN) | B(COORD) },
	[DICAP_MSG_HEARTBEAT] = { "heartbeat",
		ALWAYS | B(NODE_ID),
		B(EPOCH) | B(TERM) | B(WEIGHT) | B(COUNTERS) },
	[DICAP_MSG_LEAVE] = { "leave",
		ALWAYS | B(NODE_ID),
		B(EPOCH) | B(TERM) | B(COUNTERS) },
	[DICAP_MSG_ANNOUNCE] = { "announce",
		ALWAYS | B(COORD) | B(TERM),
		B(NODE_ID) | B(EPOCH) | B(PRIORITY) | B(SELECT) | B(MEMBER_COUNT) |
		B(ANALYZER) | B(HEARTBEAT_MS) | B(TIMEOUT_MS) },
	[DICAP_MSG_COORD_SYNC] = { "coord_sync",
		ALWAYS | B(TERM) | B(EPOCH) | B(PART),
		B(NODE_ID) | B(COORD) | B(PRIORITY) | B(SELECT) | B(VALIDITY) |
		B(MEMBERS) | B(MEMBER_COUNT) | B(ANALYZER) | B(NODE_INFO) |
		B(HEARTBEAT_MS) | B(TIMEOUT_MS) | B(MARKER_TOKEN) },
	[DICAP_MSG_ERROR] = { "error",
		ALWAYS | B(ERROR_CODE),
		B(ERROR_TEXT) | B(NODE_ID) | B(TERM) | B(EPOCH) | B(COORD) },
	[DICAP_MSG_STATUS_REQ] = { "status_req",
		ALWAYS,
		B(NODE_ID) },
	[DICAP_MSG_STATUS] = { "status",
		ALWAYS | B(TERM) | B(PART),
		B(NODE_ID) | B(COORD) | B(PRIORITY) | B(EPOCH) | B(SELECT) |
		B(VALIDITY) | B(MEMBERS) | B(MEMBER_COUNT) | B(ANALYZER) |
		B(NODE_INFO) | B(HEARTBEAT_MS) | B(TIMEOUT_MS) | B(COUNTERS) },
	[DICAP_MSG_VOTE_REQ] = { "vote_req",
		ALWAYS | B(TERM) | B(NODE_ID) | B(PRIORITY),
		B(EPOCH) | B(COORD) },
	[DICAP_MSG_VOTE] = { "vote",
		ALWAYS | B(TERM) | B(NODE_ID) | B(PRIORITY),
		B(EPOCH) | B(COORD) },
};

static const char *const err_names[DICAP_MSGERR_MAX + 1] = {
	[DICAP_MSGERR_OK] = "ok",
	[DICAP_MSGERR_SHORT] = "message shorter than the header",
	[DICAP_MSGERR_VERSION] = "unsupported protocol version",
	[DICAP_MSGERR_TYPE] = "unknown message type",
	[DICAP_MSGERR_RESERVED] = "reserved header field not zero",
	[DICAP_MSGERR_LENGTH] = "header length differs from the datagram length",
	[DICAP_MSGERR_AVP_TRUNC] = "attribute runs past the end",
	[DICAP_MSGERR_AVP_COUNT] = "attribute count mismatch",
	[DICAP_MSGERR_AVP_FORM] = "attribute has the wrong form",
	[DICAP_MSGERR_AVP_UNKNOWN] = "unknown mandatory attribute",
	[DICAP_MSGERR_AVP_DUP] = "attribute repeated",
	[DICAP_MSGERR_AVP_RANGE] = "attribute value out of range",
	[DICAP_MSGERR_AVP_MISSING] = "required attribute missing",
	[DICAP_MSGERR_AVP_NOT_ALLOWED] = "attribute not allowed in this message type",
	[DICAP_MSGERR_AUTH_POS] = "authentication tag not the last attribute",
	[DICAP_MSGERR_AUTH_MISSING] = "authentication tag missing",
	[DICAP_MSGERR_AUTH_BAD] = "authentication tag does not verify",
	[DICAP_MSGERR_NOSPACE] = "message does not fit",
};

const char *dicap_msg_why(void)
{
	return dicap_why();
}

const char *dicap_msg_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err > DICAP_MSGERR_MAX)
		return "unknown error";
	return err_names[err];
}

const char *dicap_msg_type_name(int type)
{
	if (type <= 0 || type > DICAP_MSG_TYPE_MAX)
		return "unknown";
	return msg_specs[type].name;
}

const char *dicap_avp_name(int avp)
{
	if (avp <= 0 || avp > DICAP_AVP_MAX)
		return "unknown";
	return avp_specs[avp].name;
}

uint32_t dicap_msg_required(int type)
{
	if (type <= 0 || type > DICAP_MSG_TYPE_MAX)
		return 0;
	return msg_specs[type].required;
}

uint32_t dicap_msg_allowed(int type)
{
	if (type <= 0 || type > DICAP_MSG_TYPE_MAX)
		return 0;
	return msg_specs[type].required | msg_specs[type].optional | B(AUTH);
}

/* ---- attribute values ---- */

struct avp_view {
	uint32_t off;		/* of the code byte */
	uint8_t code;
	uint8_t num;
	uint16_t len;		/* value length (4 for short attributes) */
	const uint8_t *val;
};

static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, j, k;
	uint32_t cp;

	while (i < n) {
		uint8_t c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
		if (k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
			return 0;
		if (k == 3 && (cp < 0x10000 || cp > 0x10ffff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* Wire form of an address: u8 family, u16 port, 4 or 16 address bytes. */
static int addr_decode(const struct avp_view *v, struct dicap_addr *a)
{
	const char *name = dicap_avp_name(v->num);
	uint8_t family = v->val[0];
	size_t want;

	memset(a, 0, sizeof(*a));
	if (family != 4 && family != 6)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (%s): address family %u is not 4 or 6",
			    v->num, name, family);
	want = family == 4 ? DICAP_ADDR_WIRE_V4_LEN : DICAP_ADDR_WIRE_V6_LEN;
	if (v->len != want)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "AVP %u (%s): an IPv%u address needs length %zu, not %u",
			    v->num, name, family, want, v->len);
	a->family = family;
	a->port = dicap_get_be16(v->val + 1);
	memcpy(a->addr, v->val + 3, v->len - 3);
	if (a->port == 0)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (%s): port 0", v->num, name);
	return DICAP_MSGERR_OK;
}

static size_t addr_wire_len(const struct dicap_addr *a)
{
	return a->family == 6 ? DICAP_ADDR_WIRE_V6_LEN : DICAP_ADDR_WIRE_V4_LEN;
}

static void addr_put(uint8_t *p, const struct dicap_addr *a)
{
	p[0] = a->family;
	dicap_put_be16(p + 1, a->port);
	memcpy(p + 3, a->addr, addr_wire_len(a) - 3);
}

/* ---- NODE_INFO ---- */

size_t dicap_node_info_size(const struct dicap_node_info *ni)
{
	return DICAP_NODE_INFO_FIXED_LEN + (size_t)ni->n_counters * DICAP_COUNTER_WIRE_LEN;
}

static int node_info_addr(const uint8_t *buf, struct dicap_node_info *ni)
{
	static const uint8_t zero[12];
	uint8_t family = buf[6];

	memset(&ni->addr, 0, sizeof(ni->addr));
	if (family != 4 && family != 6)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "node info %u: address family %u is not 4 or 6",
			    ni->node_id, family);
	if (buf[7] != 0)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "node info %u: reserved byte %u",
			    ni->node_id, buf[7]);
	if (family == 4 && memcmp(buf + 14, zero, sizeof(zero)) != 0)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "node info %u: IPv4 address padding not zero", ni->node_id);
	ni->addr.family = family;
	ni->addr.port = dicap_get_be16(buf + 8);
	memcpy(ni->addr.addr, buf + 10, 16);
	if (ni->addr.port == 0)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "node info %u: port 0", ni->node_id);
	return DICAP_MSGERR_OK;
}

int dicap_node_info_decode(const uint8_t *buf, size_t len, struct dicap_node_info *ni,
			   const char **why)
{
	int err;

	memset(ni, 0, sizeof(*ni));
	if (why)
		*why = dicap_why();
	if (len < DICAP_NODE_INFO_FIXED_LEN)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "node info length %zu is shorter than %d",
			    len, DICAP_NODE_INFO_FIXED_LEN);
	if ((len - DICAP_NODE_INFO_FIXED_LEN) % DICAP_COUNTER_WIRE_LEN)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "node info length %zu is not %d + a multiple of %d",
			    len, DICAP_NODE_INFO_FIXED_LEN, DICAP_COUNTER_WIRE_LEN);
	ni->node_id = dicap_get_be32(buf);
	ni->weight = dicap_get_be16(buf + 4);
	if (ni->weight == 0)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "node info %u: weight 0", ni->node_id);
	err = node_info_addr(buf, ni);
	if (err)
		return err;
	ni->last_heartbeat_ms = dicap_get_be32(buf + 26);
	ni->share_ppm = dicap_get_be32(buf + 30);
	ni->epoch = dicap_get_be32(buf + 34);
	if (ni->share_ppm > DICAP_SHARE_PPM_MAX)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "node info %u: share %u ppm > %d",
			    ni->node_id, ni->share_ppm, DICAP_SHARE_PPM_MAX);
	ni->n_counters = (uint32_t)((len - DICAP_NODE_INFO_FIXED_LEN) / DICAP_COUNTER_WIRE_LEN);
	ni->counters_raw = ni->n_counters ? buf + DICAP_NODE_INFO_FIXED_LEN : NULL;
	return DICAP_MSGERR_OK;
}

int dicap_node_info_encode(const struct dicap_node_info *ni, uint8_t *buf, size_t cap)
{
	size_t len = dicap_node_info_size(ni);
	struct dicap_node_info check;

	if (len > AVP_EXT_MAX || (ni->n_counters && !ni->counters_raw))
		return -dicap_fail(DICAP_MSGERR_AVP_RANGE, "node info %u: bad counters",
			     ni->node_id);
	if (ni->addr.family != 4 && ni->addr.family != 6)
		return -dicap_fail(DICAP_MSGERR_AVP_RANGE,
			     "node info %u: address family %u is not 4 or 6",
			     ni->node_id, ni->addr.family);
	if (len > cap)
		return -dicap_fail(DICAP_MSGERR_NOSPACE, "node info needs %zu bytes, have %zu",
			     len, cap);
	memset(buf, 0, DICAP_NODE_INFO_FIXED_LEN);
	dicap_put_be32(buf, ni->node_id);
	dicap_put_be16(buf + 4, ni->weight);
	buf[6] = ni->addr.family;
	dicap_put_be16(buf + 8, ni->addr.port);
	memcpy(buf + 10, ni->addr.addr, ni->addr.family == 4 ? 4 : 16);
	dicap_put_be32(buf + 26, ni->last_heartbeat_ms);
	dicap_put_be32(buf + 30, ni->share_ppm);
	dicap_put_be32(buf + 34, ni->epoch);
	if (ni->n_counters)
		memmove(buf + DICAP_NODE_INFO_FIXED_LEN, ni->counters_raw,
			len - DICAP_NODE_INFO_FIXED_LEN);
	if (dicap_node_info_decode(buf, len, &check, NULL))
		return -DICAP_MSGERR_AVP_RANGE;
	return (int)len;
}

static void counter_at(const uint8_t *raw, uint32_t i, uint16_t *id, uint64_t *value)
{
	const uint8_t *p = raw + (size_t)i * DICAP_COUNTER_WIRE_LEN;

	*id = dicap_get_be16(p);
	*value = dicap_get_be64(p + 2);
}

void dicap_node_info_counter(const struct dicap_node_info *ni, uint32_t i, uint16_t *id,
			     uint64_t *value)
{
	*id = 0;
	*value = 0;
	if (i < ni->n_counters && ni->counters_raw)
		counter_at(ni->counters_raw, i, id, value);
}

void dicap_msg_counter(const struct dicap_msg *m, uint32_t i, uint16_t *id, uint64_t *value)
{
	*id = 0;
	*value = 0;
	if (i < m->n_counters && m->counters_raw)
		counter_at(m->counters_raw, i, id, value);
}

void dicap_msg_member(const struct dicap_msg *m, uint32_t i, struct dicap_member *out)
{
	const uint8_t *p;

	out->node_id = 0;
	out->weight = 0;
	if (i >= m->n_members)
		return;
	if (m->members) {
		*out = m->members[i];
	} else if (m->members_raw) {
		p = m->members_raw + (size_t)i * DICAP_MEMBER_WIRE_LEN;
		out->node_id = dicap_get_be32(p);
		out->weight = dicap_get_be16(p + 4);
	}
}

/* ---- decoder ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void)
{
	/*
	 * HMAC-SHA256 needs no randomness; sodium_init() only picks
	 * CPU-specific implementations, so a failure does not matter here.
	 */
	if (sodium_init() < 0)
		return;
}

static int avp_at(const uint8_t *buf, size_t len, size_t off, struct avp_view *a)
{
	a->off = (uint32_t)off;
	a->code = buf[off];
	a->num = a->code & DICAP_AVP_NUM_MASK;
	if (!(a->code & DICAP_AVP_F_EXT)) {
		if (len - off < AVP_SHORT_LEN)
			return dicap_fail(DICAP_MSGERR_AVP_TRUNC,
				    "AVP %u at offset %zu: short value runs past the end",
				    a->num, off);
		a->len = 4;
		a->val = buf + off + 1;
		return DICAP_MSGERR_OK;
	}
	if (len - off < AVP_EXT_HDR_LEN)
		return dicap_fail(DICAP_MSGERR_AVP_TRUNC,
			    "AVP %u at offset %zu: length field runs past the end",
			    a->num, off);
	a->len = dicap_get_be16(buf + off + 1);
	a->val = buf + off + AVP_EXT_HDR_LEN;
	if (len - off - AVP_EXT_HDR_LEN < a->len)
		return dicap_fail(DICAP_MSGERR_AVP_TRUNC,
			    "AVP %u at offset %zu: length %u runs past the end",
			    a->num, off, a->len);
	return DICAP_MSGERR_OK;
}

static size_t avp_size(const struct avp_view *a)
{
	return (a->code & DICAP_AVP_F_EXT) ? AVP_EXT_HDR_LEN + (size_t)a->len : AVP_SHORT_LEN;
}

static int check_header(const uint8_t *buf, size_t len)
{
	if (len < DICAP_CTL_HDR_LEN)
		return dicap_fail(DICAP_MSGERR_SHORT, "%zu bytes, the header needs %d",
			    len, DICAP_CTL_HDR_LEN);
	if (buf[0] != DICAP_CTL_VERSION)
		return dicap_fail(DICAP_MSGERR_VERSION, "version %u, expected %d",
			    buf[0], DICAP_CTL_VERSION);
	if (buf[1] == 0 || buf[1] > DICAP_MSG_TYPE_MAX)
		return dicap_fail(DICAP_MSGERR_TYPE, "message type %u", buf[1]);
	if (dicap_get_be16(buf + 6) != 0)
		return dicap_fail(DICAP_MSGERR_RESERVED, "reserved field 0x%04x",
			    dicap_get_be16(buf + 6));
	if (dicap_get_be16(buf + 4) != len)
		return dicap_fail(DICAP_MSGERR_LENGTH, "header says %u bytes, datagram has %zu",
			    dicap_get_be16(buf + 4), len);
	if (len > DICAP_CTL_MAX_LEN)
		return dicap_fail(DICAP_MSGERR_LENGTH, "%zu bytes exceed the largest message, %d",
			    len, DICAP_CTL_MAX_LEN);
	return DICAP_MSGERR_OK;
}

/* Pass 1: every AVP lies within the message, their number, the tag's place. */
static int check_framing(const uint8_t *buf, size_t len, size_t *auth_off)
{
	struct avp_view a;
	size_t off = DICAP_CTL_HDR_LEN;
	unsigned int count = 0;
	int err;

	*auth_off = 0;
	while (off < len) {
		if (*auth_off)
			return dicap_fail(DICAP_MSGERR_AUTH_POS,
				    "AVP %u at offset %zu follows the authentication tag",
				    buf[off] & DICAP_AVP_NUM_MASK, off);
		err = avp_at(buf, len, off, &a);
		if (err)
			return err;
		if (a.num == DICAP_AVP_AUTH)
			*auth_off = off;
		off += avp_size(&a);
		count++;
	}
	if (count != dicap_get_be16(buf + 2))
		return dicap_fail(DICAP_MSGERR_AVP_COUNT, "header says %u AVPs, message has %u",
			    dicap_get_be16(buf + 2), count);
	return DICAP_MSGERR_OK;
}

static int check_form(const struct avp_view *a)
{
	const struct avp_spec *s = &avp_specs[a->num];
	int ext = !!(a->code & DICAP_AVP_F_EXT);

	if (ext != !!(s->flags & S_EXT))
		return dicap_fail(DICAP_MSGERR_AVP_FORM, "AVP %u (%s) must be %s, is %s",
			    a->num, s->name, ext ? "short" : "extended",
			    ext ? "extended" : "short");
	if (ext && (a->len < s->min_len || a->len > s->max_len)) {
		if (s->min_len == s->max_len)
			return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (%s) length %u is not %u",
				    a->num, s->name, a->len, s->min_len);
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (%s) length %u not in %u..%u",
			    a->num, s->name, a->len, s->min_len, s->max_len);
	}
	return DICAP_MSGERR_OK;
}

static int check_tag(const uint8_t *buf, size_t len, size_t auth_off, const uint8_t *key)
{
	struct avp_view a;
	int err;

	if (!auth_off)
		return dicap_fail(DICAP_MSGERR_AUTH_MISSING,
			    "a key is configured and the message carries no tag");
	avp_at(buf, len, auth_off, &a);
	err = check_form(&a);
	if (err)
		return err;
	pthread_once(&sodium_once, sodium_setup);
	if (crypto_auth_hmacsha256_verify(a.val, buf, auth_off, key) != 0)
		return dicap_fail(DICAP_MSGERR_AUTH_BAD, "tag over %zu bytes does not verify",
			    auth_off);
	return DICAP_MSGERR_OK;
}

static void store_uint(struct dicap_msg *m, const struct avp_spec *s, uint32_t v)
{
	uint8_t *field = (uint8_t *)m + s->off;
	uint16_t v16 = (uint16_t)v;
	uint8_t v8 = (uint8_t)v;

	if (s->size == 1)
		memcpy(field, &v8, 1);
	else if (s->size == 2)
		memcpy(field, &v16, 2);
	else
		memcpy(field, &v, 4);
}

static uint32_t load_uint(const struct dicap_msg *m, const struct avp_spec *s)
{
	const uint8_t *field = (const uint8_t *)m + s->off;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	if (s->size == 1) {
		memcpy(&v8, field, 1);
		return v8;
	}
	if (s->size == 2) {
		memcpy(&v16, field, 2);
		return v16;
	}
	memcpy(&v32, field, 4);
	return v32;
}

static int dec_u32(struct dicap_msg *m, const struct avp_spec *s, const struct avp_view *a)
{
	uint32_t v = dicap_get_be32(a->val);

	if (v < s->min || v > s->max)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (%s) value %u not in %u..%u",
			    a->num, s->name, v, s->min, s->max);
	store_uint(m, s, v);
	return DICAP_MSGERR_OK;
}

static int dec_part(struct dicap_msg *m, const struct avp_view *a)
{
	uint32_t v = dicap_get_be32(a->val);

	m->part = (uint16_t)(v >> 16);
	m->parts = (uint16_t)v;
	if (m->parts == 0)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (part): total parts 0", a->num);
	if (m->part >= m->parts)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (part): index %u >= total %u",
			    a->num, m->part, m->parts);
	return DICAP_MSGERR_OK;
}

static int dec_members(struct dicap_msg *m, const struct avp_view *a)
{
	uint32_t i, n, id, prev = 0;
	const uint8_t *p;

	if (a->len % DICAP_MEMBER_WIRE_LEN)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "AVP %u (members) length %u is not a multiple of %d",
			    a->num, a->len, DICAP_MEMBER_WIRE_LEN);
	n = a->len / DICAP_MEMBER_WIRE_LEN;
	for (i = 0; i < n; i++) {
		p = a->val + (size_t)i * DICAP_MEMBER_WIRE_LEN;
		id = dicap_get_be32(p);
		if (i > 0 && id <= prev)
			return dicap_fail(DICAP_MSGERR_AVP_RANGE,
				    "AVP %u (members): node id %u after %u, not increasing",
				    a->num, id, prev);
		if (dicap_get_be16(p + 4) == 0)
			return dicap_fail(DICAP_MSGERR_AVP_RANGE,
				    "AVP %u (members): node %u has weight 0", a->num, id);
		prev = id;
	}
	m->members_raw = n ? a->val : NULL;
	m->n_members = n;
	return DICAP_MSGERR_OK;
}

static int dec_text(struct dicap_msg *m, const struct avp_view *a)
{
	if (memchr(a->val, 0, a->len))
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (error_text) contains a NUL byte",
			    a->num);
	if (!utf8_valid(a->val, a->len))
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (error_text) is not valid UTF-8",
			    a->num);
	memcpy(m->error_text, a->val, a->len);
	m->error_text[a->len] = '\0';
	return DICAP_MSGERR_OK;
}

static int dec_counters(struct dicap_msg *m, const struct avp_view *a)
{
	if (a->len % DICAP_COUNTER_WIRE_LEN)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "AVP %u (counters) length %u is not a multiple of %d",
			    a->num, a->len, DICAP_COUNTER_WIRE_LEN);
	m->n_counters = a->len / DICAP_COUNTER_WIRE_LEN;
	m->counters_raw = m->n_counters ? a->val : NULL;
	return DICAP_MSGERR_OK;
}

static int dec_analyzer(struct dicap_msg *m, const struct avp_view *a)
{
	if (m->n_analyzers >= DICAP_MAX_ANALYZERS)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "more than %d analyzers",
			    DICAP_MAX_ANALYZERS);
	return addr_decode(a, &m->analyzers[m->n_analyzers++]);
}

static int dec_node_info(struct dicap_msg *m, const struct avp_view *a)
{
	struct dicap_node_info ni;
	int err;

	if (m->n_node_info >= DICAP_MAX_NODE_INFO)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "more than %d node infos",
			    DICAP_MAX_NODE_INFO);
	err = dicap_node_info_decode(a->val, a->len, &ni, NULL);
	if (err)
		return err;
	m->node_info[m->n_node_info] = a->val;
	m->node_info_len[m->n_node_info] = a->len;
	m->n_node_info++;
	return DICAP_MSGERR_OK;
}

static int dec_value(struct dicap_msg *m, const struct avp_view *a)
{
	const struct avp_spec *s = &avp_specs[a->num];
	uint64_t v64;

	switch (s->kind) {
	case K_U32:
		return dec_u32(m, s, a);
	case K_PART:
		return dec_part(m, a);
	case K_U64:
		v64 = dicap_get_be64(a->val);
		memcpy((uint8_t *)m + s->off, &v64, sizeof(v64));
		return DICAP_MSGERR_OK;
	case K_ADDR:
		return addr_decode(a, &m->coord);
	case K_ANALYZER:
		return dec_analyzer(m, a);
	case K_MEMBERS:
		return dec_members(m, a);
	case K_TEXT:
		return dec_text(m, a);
	case K_COUNTERS:
		return dec_counters(m, a);
	case K_TOKEN:
		memcpy(m->marker_token, a->val, DICAP_MARKER_TOKEN_LEN);
		return DICAP_MSGERR_OK;
	case K_NODE_INFO:
		return dec_node_info(m, a);
	case K_AUTH:
		m->auth_tag = a->val;
		m->auth_off = a->off;
		return DICAP_MSGERR_OK;
	}
	return dicap_fail(DICAP_MSGERR_AVP_UNKNOWN, "AVP %u has no decoder", a->num);
}

/* Pass 2: each attribute on its own. */
static int dec_avp(struct dicap_msg *m, const struct avp_view *a)
{
	const struct avp_spec *s;
	int err;

	if (a->num == 0 || a->num > DICAP_AVP_MAX) {
		if (a->code & DICAP_AVP_F_MANDATORY)
			return dicap_fail(DICAP_MSGERR_AVP_UNKNOWN,
				    "unknown AVP %u at offset %u is mandatory",
				    a->num, a->off);
		return DICAP_MSGERR_OK;
	}
	s = &avp_specs[a->num];
	err = check_form(a);
	if (err)
		return err;
	if (!((dicap_msg_allowed(m->type) >> a->num) & 1))
		return dicap_fail(DICAP_MSGERR_AVP_NOT_ALLOWED, "AVP %u (%s) not allowed in %s",
			    a->num, s->name, dicap_msg_type_name(m->type));
	if (DICAP_HAS(m, a->num) && !(s->flags & S_REPEAT))
		return dicap_fail(DICAP_MSGERR_AVP_DUP, "AVP %u (%s) appears twice",
			    a->num, s->name);
	err = dec_value(m, a);
	if (err)
		return err;
	DICAP_SET(m, a->num);
	return DICAP_MSGERR_OK;
}

static int check_members_count(const struct dicap_msg *m)
{
	int whole = !DICAP_HAS(m, DICAP_AVP_PART) || m->parts == 1;

	if (m->n_members > m->member_count)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "%u members listed, member_count %u",
			    m->n_members, m->member_count);
	if (whole && m->n_members != m->member_count)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
			    "single part lists %u members, member_count %u",
			    m->n_members, m->member_count);
	return DICAP_MSGERR_OK;
}

/* Pass 3: the message as a whole. */
static int check_message(const struct dicap_msg *m)
{
	uint32_t missing = dicap_msg_required(m->type) & ~m->present;
	int avp;

	if (missing) {
		avp = __builtin_ctz(missing);
		return dicap_fail(DICAP_MSGERR_AVP_MISSING, "%s requires AVP %d (%s)",
			    dicap_msg_type_name(m->type), avp, dicap_avp_name(avp));
	}
	if (DICAP_HAS(m, DICAP_AVP_HEARTBEAT_MS) && DICAP_HAS(m, DICAP_AVP_TIMEOUT_MS) &&
	    m->timeout_ms <= m->heartbeat_ms)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "timeout %u ms is not above heartbeat %u ms",
			    m->timeout_ms, m->heartbeat_ms);
	if (DICAP_HAS(m, DICAP_AVP_POSITION) && DICAP_HAS(m, DICAP_AVP_MEMBER_COUNT) &&
	    m->position >= m->member_count)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "position %u >= member_count %u",
			    m->position, m->member_count);
	if (DICAP_HAS(m, DICAP_AVP_MEMBERS) && DICAP_HAS(m, DICAP_AVP_MEMBER_COUNT))
		return check_members_count(m);
	return DICAP_MSGERR_OK;
}

static int decode(const uint8_t *buf, size_t len, struct dicap_msg *m, const uint8_t *key)
{
	struct avp_view a;
	size_t off, auth_off;
	int err;

	memset(m, 0, sizeof(*m));
	err = check_header(buf, len);
	if (err)
		return err;
	m->type = buf[1];
	err = check_framing(buf, len, &auth_off);
	if (err)
		return err;
	if (key) {
		err = check_tag(buf, len, auth_off, key);
		if (err)
			return err;
	}
	for (off = DICAP_CTL_HDR_LEN; off < len; off += avp_size(&a)) {
		avp_at(buf, len, off, &a);
		err = dec_avp(m, &a);
		if (err)
			return err;
	}
	return check_message(m);
}

int dicap_msg_decode(const uint8_t *buf, size_t len, struct dicap_msg *m,
		     const uint8_t *key, const char **why)
{
	int err;

	dicap_why_clear();
	if (why)
		*why = dicap_why();
	err = decode(buf, len, m, key);
	if (err == DICAP_MSGERR_OK)
		dicap_fail(0, "ok");
	return err;
}

/* ---- encoder ---- */

/*
 * With @buf NULL the writer only measures.  Reservations hand back NULL
 * when there is nothing to write into (measuring, or after an error).
 */
struct writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	unsigned int count;
	int err;
};

static uint8_t *w_reserve(struct writer *w, size_t n)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = dicap_fail(DICAP_MSGERR_NOSPACE, "message needs more than %zu bytes",
			      w->cap);
		return NULL;
	}
	p = w->buf ? w->buf + w->len : NULL;
	w->len += n;
	return p;
}

static void w_short(struct writer *w, int num, uint32_t v)
{
	uint8_t *p = w_reserve(w, AVP_SHORT_LEN);

	w->count++;
	if (!p)
		return;
	p[0] = DICAP_AVP_F_MANDATORY | (uint8_t)num;
	dicap_put_be32(p + 1, v);
}

/* Returns where the @len value bytes go, or NULL. */
static uint8_t *w_ext(struct writer *w, int num, size_t len)
{
	uint8_t *p;

	if (len > AVP_EXT_MAX) {
		if (!w->err)
			w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE,
				      "AVP %d (%s) value of %zu bytes is too long",
				      num, dicap_avp_name(num), len);
		return NULL;
	}
	p = w_reserve(w, AVP_EXT_HDR_LEN + len);
	w->count++;
	if (!p)
		return NULL;
	p[0] = DICAP_AVP_F_EXT | DICAP_AVP_F_MANDATORY | (uint8_t)num;
	dicap_put_be16(p + 1, (uint16_t)len);
	return p + AVP_EXT_HDR_LEN;
}

static void w_addr(struct writer *w, int num, const struct dicap_addr *a)
{
	uint8_t *p;

	if (a->family != 4 && a->family != 6) {
		if (!w->err)
			w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE,
				      "AVP %d (%s): address family %u is not 4 or 6",
				      num, dicap_avp_name(num), a->family);
		return;
	}
	p = w_ext(w, num, addr_wire_len(a));
	if (p)
		addr_put(p, a);
}

static void w_members(struct writer *w, const struct dicap_msg *m)
{
	size_t len = (size_t)m->n_members * DICAP_MEMBER_WIRE_LEN;
	uint8_t *p;
	uint32_t i;

	if (m->n_members && !m->members && !m->members_raw) {
		w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE, "%u members and no member data",
			      m->n_members);
		return;
	}
	p = w_ext(w, DICAP_AVP_MEMBERS, len);
	if (!p)
		return;
	if (!m->members) {
		if (len)
			memcpy(p, m->members_raw, len);
		return;
	}
	for (i = 0; i < m->n_members; i++, p += DICAP_MEMBER_WIRE_LEN) {
		dicap_put_be32(p, m->members[i].node_id);
		dicap_put_be16(p + 4, m->members[i].weight);
	}
}

static void w_bytes(struct writer *w, int num, const void *data, size_t len)
{
	uint8_t *p;

	if (len && !data) {
		w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %d (%s) has no data",
			      num, dicap_avp_name(num));
		return;
	}
	p = w_ext(w, num, len);
	if (p && len)
		memcpy(p, data, len);
}

static void w_u64(struct writer *w, int num, uint64_t v)
{
	uint8_t *p = w_ext(w, num, 8);

	if (p)
		dicap_put_be64(p, v);
}

static void w_repeated(struct writer *w, const struct dicap_msg *m, int num)
{
	uint32_t i, n = num == DICAP_AVP_ANALYZER ? m->n_analyzers : m->n_node_info;
	uint32_t max = num == DICAP_AVP_ANALYZER ? DICAP_MAX_ANALYZERS : DICAP_MAX_NODE_INFO;

	if (n == 0 || n > max) {
		w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %d (%s): %u entries, need 1..%u",
			      num, dicap_avp_name(num), n, max);
		return;
	}
	for (i = 0; i < n; i++) {
		if (num == DICAP_AVP_ANALYZER)
			w_addr(w, num, &m->analyzers[i]);
		else
			w_bytes(w, num, m->node_info[i], m->node_info_len[i]);
	}
}

static void w_text(struct writer *w, const struct dicap_msg *m)
{
	size_t len = strnlen(m->error_text, sizeof(m->error_text));

	if (len == sizeof(m->error_text)) {
		w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE, "error text is not NUL-terminated");
		return;
	}
	w_bytes(w, DICAP_AVP_ERROR_TEXT, m->error_text, len);
}

static void enc_avp(struct writer *w, const struct dicap_msg *m, int num)
{
	const struct avp_spec *s = &avp_specs[num];
	uint64_t v64;

	switch (s->kind) {
	case K_U32:
		w_short(w, num, load_uint(m, s));
		break;
	case K_PART:
		w_short(w, num, (uint32_t)m->part << 16 | m->parts);
		break;
	case K_U64:
		memcpy(&v64, (const uint8_t *)m + s->off, sizeof(v64));
		w_u64(w, num, v64);
		break;
	case K_ADDR:
		w_addr(w, num, &m->coord);
		break;
	case K_ANALYZER:
	case K_NODE_INFO:
		w_repeated(w, m, num);
		break;
	case K_MEMBERS:
		w_members(w, m);
		break;
	case K_TEXT:
		w_text(w, m);
		break;
	case K_COUNTERS:
		w_bytes(w, num, m->counters_raw,
			(size_t)m->n_counters * DICAP_COUNTER_WIRE_LEN);
		break;
	case K_TOKEN:
		w_bytes(w, num, m->marker_token, DICAP_MARKER_TOKEN_LEN);
		break;
	case K_AUTH:
		break;
	}
}

static int encode_body(const struct dicap_msg *m, struct writer *w)
{
	uint32_t stray = m->present & ~ALL_V1_AVPS;
	int num;

	if (m->type == 0 || m->type > DICAP_MSG_TYPE_MAX)
		return dicap_fail(DICAP_MSGERR_TYPE, "message type %u", m->type);
	if (stray)
		return dicap_fail(DICAP_MSGERR_AVP_UNKNOWN, "present bit %d is no attribute",
			    __builtin_ctz(stray));
	w_reserve(w, DICAP_CTL_HDR_LEN);
	for (num = 1; num < DICAP_AVP_AUTH && !w->err; num++)
		if (DICAP_HAS(m, num))
			enc_avp(w, m, num);
	return w->err;
}

static void write_header_and_tag(const struct dicap_msg *m, struct writer *w,
				 const uint8_t *key)
{
	size_t auth_off = w->len;
	uint8_t *tag = NULL;

	if (key)
		tag = w_ext(w, DICAP_AVP_AUTH, DICAP_AUTH_TAG_LEN);
	if (w->err)
		return;
	w->buf[0] = DICAP_CTL_VERSION;
	w->buf[1] = m->type;
	dicap_put_be16(w->buf + 2, (uint16_t)w->count);
	dicap_put_be16(w->buf + 4, (uint16_t)w->len);
	dicap_put_be16(w->buf + 6, 0);
	if (tag) {
		pthread_once(&sodium_once, sodium_setup);
		crypto_auth_hmacsha256(tag, w->buf, auth_off, key);
	}
}

int dicap_msg_encode(const struct dicap_msg *m, uint8_t *buf, size_t cap,
		     const uint8_t *key)
{
	struct writer w = { buf, cap < DICAP_CTL_MAX_LEN ? cap : DICAP_CTL_MAX_LEN, 0, 0, 0 };
	struct dicap_msg check;
	int err;

	if (!buf)
		return -dicap_fail(DICAP_MSGERR_NOSPACE, "no buffer");
	err = encode_body(m, &w);
	if (err)
		return -err;
	write_header_and_tag(m, &w, key);
	if (w.err)
		return -w.err;
	err = decode(buf, w.len, &check, NULL);
	if (err)
		return -err;
	return (int)w.len;
}

int dicap_msg_encoded_len(const struct dicap_msg *m, int with_auth)
{
	struct writer w = { NULL, DICAP_CTL_MAX_LEN, 0, 0, 0 };
	int err;

	err = encode_body(m, &w);
	if (err)
		return -err;
	if (with_auth)
		w_reserve(&w, AUTH_AVP_LEN);
	return w.err ? -w.err : (int)w.len;
}

uint32_t dicap_msg_members_fit(const struct dicap_msg *m, size_t limit, int with_auth)
{
	struct dicap_msg empty = *m;
	int len;

	empty.members = NULL;
	empty.members_raw = NULL;
	empty.n_members = 0;
	DICAP_SET(&empty, DICAP_AVP_MEMBERS);
	len = dicap_msg_encoded_len(&empty, with_auth);
	if (len < 0 || (size_t)len > limit)
		return 0;
	return (uint32_t)((limit - (size_t)len) / DICAP_MEMBER_WIRE_LEN);
}
