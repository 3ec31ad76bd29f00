/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control protocol decoder.  It works in passes so that the reason it gives
 * is the most basic one: framing, then the tag, then each attribute on its
 * own, then the message as a whole.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "dicap/types.h"
#include "why.h"
#include "ctlmsg.h"
#include "ctlmsg_impl.h"

struct avp_view {
	uint32_t off;		/* of the code byte */
	uint8_t code;
	uint8_t num;
	uint16_t len;		/* value length (4 for short attributes) */
	const uint8_t *val;
};

static int
utf8_valid(const uint8_t *s, size_t n)
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
static int
addr_decode(const struct avp_view *v, struct dicap_addr *a)
{
	const char *name = dicap_avp_name(v->num);
	uint8_t family = v->val[0];
	size_t want;

	memset(a, 0, sizeof(*a));
	if (family != 4 && family != 6)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
		    "AVP %u (%s): address family %u is not 4 or 6", v->num, name, family);
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

/* ---- NODE_INFO ---- */

static int
node_info_addr(const uint8_t *buf, struct dicap_node_info *ni)
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

int
dicap_node_info_decode(const uint8_t *buf, size_t len, struct dicap_node_info *ni,
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

static void
counter_at(const uint8_t *raw, uint32_t i, uint16_t *id, uint64_t *value)
{
	const uint8_t *p = raw + (size_t)i * DICAP_COUNTER_WIRE_LEN;

	*id = dicap_get_be16(p);
	*value = dicap_get_be64(p + 2);
}

void
dicap_node_info_counter(const struct dicap_node_info *ni, uint32_t i, uint16_t *id,
    uint64_t *value)
{
	*id = 0;
	*value = 0;
	if (i < ni->n_counters && ni->counters_raw)
		counter_at(ni->counters_raw, i, id, value);
}

void
dicap_msg_counter(const struct dicap_msg *m, uint32_t i, uint16_t *id, uint64_t *value)
{
	*id = 0;
	*value = 0;
	if (i < m->n_counters && m->counters_raw)
		counter_at(m->counters_raw, i, id, value);
}

void
dicap_msg_member(const struct dicap_msg *m, uint32_t i, struct dicap_member *out)
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

/* ---- messages ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void
sodium_setup(void)
{
	/*
	 * HMAC-SHA256 needs no randomness; sodium_init() only picks
	 * CPU-specific implementations, so a failure does not matter here.
	 */
	if (sodium_init() < 0)
		return;
}

void
ctl_sodium_init(void)
{
	pthread_once(&sodium_once, sodium_setup);
}

static int
avp_at(const uint8_t *buf, size_t len, size_t off, struct avp_view *a)
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

static size_t
avp_size(const struct avp_view *a)
{
	return (a->code & DICAP_AVP_F_EXT) ? AVP_EXT_HDR_LEN + (size_t)a->len : AVP_SHORT_LEN;
}

static int
check_header(const uint8_t *buf, size_t len)
{
	if (len < DICAP_CTL_HDR_LEN)
		return dicap_fail(DICAP_MSGERR_SHORT, "%zu bytes, the header needs %d",
		    len, DICAP_CTL_HDR_LEN);
	if (buf[0] != DICAP_CTL_VERSION)
		return dicap_fail(DICAP_MSGERR_VERSION,
		    "version %u, this program speaks %d: the sender runs another DiCAP release;"
		    " run one release on every coordinator and node",
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
static int
check_framing(const uint8_t *buf, size_t len, size_t *auth_off)
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

static int
check_form(const struct avp_view *a)
{
	const struct avp_spec *s = &ctl_avp_specs[a->num];
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

static int
check_tag(const uint8_t *buf, size_t len, size_t auth_off, const uint8_t *key)
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
	if (a.len != DICAP_AUTH_TAG_LEN)
		return dicap_fail(DICAP_MSGERR_AUTH_BAD, "tag of %u bytes is no HMAC-SHA256",
		    a.len);
	ctl_sodium_init();
	if (crypto_auth_hmacsha256_verify(a.val, buf, auth_off, key) != 0)
		return dicap_fail(DICAP_MSGERR_AUTH_BAD, "tag over %zu bytes does not verify",
		    auth_off);
	return DICAP_MSGERR_OK;
}

/*
 * The tag of the role of the message type: the type, not the tag, says how
 * it is checked, so a node key's HMAC is never taken where a coordinator's
 * signature is due.
 */
static int
check_role_tag(const uint8_t *buf, size_t len, size_t auth_off, const struct dicap_keys *k)
{
	int role = dicap_msg_role_in(buf[1], k, 0);
	struct avp_view a;
	int err, i;

	if (!auth_off)
		return dicap_fail(DICAP_MSGERR_AUTH_MISSING,
		    "a key is configured and the message carries no tag");
	avp_at(buf, len, auth_off, &a);
	err = check_form(&a);
	if (err)
		return err;
	ctl_sodium_init();
	/* A coordinator's HMAC under the session key of this node, never in ACCEPT. */
	if (role == DICAP_ROLE_COORD && a.len == DICAP_AUTH_TAG_LEN && k->peer_mac != NULL &&
	    buf[1] != DICAP_MSG_ACCEPT) {
		if (crypto_auth_hmacsha256_verify(a.val, buf, auth_off, k->peer_mac) != 0)
			return dicap_fail(DICAP_MSGERR_AUTH_BAD,
			    "session tag over %zu bytes does not verify", auth_off);
		return DICAP_MSGERR_OK;
	}
	if (a.len != (role == DICAP_ROLE_COORD ? DICAP_SIGN_LEN : DICAP_AUTH_TAG_LEN))
		return dicap_fail(DICAP_MSGERR_AUTH_BAD, "tag of %u bytes where a %s is due",
		    a.len, role == DICAP_ROLE_COORD ? "coordinator signature" : "HMAC");
	switch (role) {
	case DICAP_ROLE_COORD:
		for (i = 0; i < k->n_coord_pk; i++)
			if (crypto_sign_verify_detached(a.val, buf, auth_off, k->coord_pk[i]) == 0)
				return DICAP_MSGERR_OK;
		return dicap_fail(DICAP_MSGERR_AUTH_BAD,
		    "signature over %zu bytes is no coordinator's", auth_off);
	case DICAP_ROLE_NODE:
	case DICAP_ROLE_STATUS:
		if (!(role == DICAP_ROLE_NODE ? k->have_node : k->have_status))
			return dicap_fail(DICAP_MSGERR_AUTH_BAD, "no %s key to check the tag",
			    role == DICAP_ROLE_NODE ? "node" : "status");
		if (crypto_auth_hmacsha256_verify(a.val, buf, auth_off,
		    role == DICAP_ROLE_NODE ? k->node : k->status) != 0)
			return dicap_fail(DICAP_MSGERR_AUTH_BAD,
			    "tag over %zu bytes does not verify", auth_off);
		return DICAP_MSGERR_OK;
	}
	return dicap_fail(DICAP_MSGERR_TYPE, "message type %u", buf[1]);
}

static void
store_uint(struct dicap_msg *m, const struct avp_spec *s, uint32_t v)
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

static int
dec_u32(struct dicap_msg *m, const struct avp_spec *s, const struct avp_view *a)
{
	uint32_t v = dicap_get_be32(a->val);

	if (v < s->min || v > s->max)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "AVP %u (%s) value %u not in %u..%u",
		    a->num, s->name, v, s->min, s->max);
	store_uint(m, s, v);
	return DICAP_MSGERR_OK;
}

static int
dec_flags(struct dicap_msg *m, const struct avp_spec *s, const struct avp_view *a)
{
	uint32_t v = dicap_get_be32(a->val);

	if (v & ~s->max)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
		    "AVP %u (%s) value 0x%x has bits outside 0x%x", a->num, s->name, v, s->max);
	store_uint(m, s, v);
	return DICAP_MSGERR_OK;
}

static int
dec_part(struct dicap_msg *m, const struct avp_view *a)
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

static int
dec_members(struct dicap_msg *m, const struct avp_view *a)
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

static int
dec_text(struct dicap_msg *m, const struct avp_view *a)
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

static int
dec_counters(struct dicap_msg *m, const struct avp_view *a)
{
	if (a->len % DICAP_COUNTER_WIRE_LEN)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
		    "AVP %u (counters) length %u is not a multiple of %d",
		    a->num, a->len, DICAP_COUNTER_WIRE_LEN);
	m->n_counters = a->len / DICAP_COUNTER_WIRE_LEN;
	m->counters_raw = m->n_counters ? a->val : NULL;
	return DICAP_MSGERR_OK;
}

static int
dec_analyzer(struct dicap_msg *m, const struct avp_view *a)
{
	if (m->n_analyzers >= DICAP_MAX_ANALYZERS)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "more than %d analyzers",
		    DICAP_MAX_ANALYZERS);
	return addr_decode(a, &m->analyzers[m->n_analyzers++]);
}

static int
dec_node_info(struct dicap_msg *m, const struct avp_view *a)
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

static int
dec_value(struct dicap_msg *m, const struct avp_view *a)
{
	const struct avp_spec *s = &ctl_avp_specs[a->num];
	uint64_t v64;

	switch (s->kind) {
	case K_U32:
		return dec_u32(m, s, a);
	case K_FLAGS:
		return dec_flags(m, s, a);
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
	case K_BYTES:
		memcpy((uint8_t *)m + s->off, a->val, s->min_len);
		return DICAP_MSGERR_OK;
	case K_PAD:
		m->padding_len = a->len;
		return DICAP_MSGERR_OK;
	}
	return dicap_fail(DICAP_MSGERR_AVP_UNKNOWN, "AVP %u has no decoder", a->num);
}

/* Pass 2: each attribute on its own. */
static int
dec_avp(struct dicap_msg *m, const struct avp_view *a)
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
	s = &ctl_avp_specs[a->num];
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

static int
check_members_count(const struct dicap_msg *m)
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
static int
check_message(const struct dicap_msg *m)
{
	uint32_t missing = dicap_msg_required(m->type) & ~m->present;
	int avp;

	if (missing) {
		avp = __builtin_ctz(missing);
		return dicap_fail(DICAP_MSGERR_AVP_MISSING, "%s requires AVP %d (%s)",
		    dicap_msg_type_name(m->type), avp, dicap_avp_name(avp));
	}
	if (DICAP_HAS(m, DICAP_AVP_SELECT) != DICAP_HAS(m, DICAP_AVP_SELECT_FLAGS)) {
		avp = DICAP_HAS(m, DICAP_AVP_SELECT) ? DICAP_AVP_SELECT_FLAGS : DICAP_AVP_SELECT;
		return dicap_fail(DICAP_MSGERR_AVP_MISSING,
		    "select and select_flags come together: %s has no AVP %d (%s)",
		    dicap_msg_type_name(m->type), avp, dicap_avp_name(avp));
	}
	if (DICAP_HAS(m, DICAP_AVP_HEARTBEAT_MS) && DICAP_HAS(m, DICAP_AVP_TIMEOUT_MS) &&
	    m->timeout_ms <= m->heartbeat_ms)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE,
		    "timeout %u ms is not above heartbeat %u ms", m->timeout_ms, m->heartbeat_ms);
	if (DICAP_HAS(m, DICAP_AVP_POSITION) && DICAP_HAS(m, DICAP_AVP_MEMBER_COUNT) &&
	    m->position >= m->member_count)
		return dicap_fail(DICAP_MSGERR_AVP_RANGE, "position %u >= member_count %u",
		    m->position, m->member_count);
	if (DICAP_HAS(m, DICAP_AVP_MEMBERS) && DICAP_HAS(m, DICAP_AVP_MEMBER_COUNT))
		return check_members_count(m);
	return DICAP_MSGERR_OK;
}

static int
decode_with(const uint8_t *buf, size_t len, struct dicap_msg *m, const uint8_t *key,
    const struct dicap_keys *keys)
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
	if (keys) {
		if (m->type == 0 || m->type > DICAP_MSG_TYPE_MAX)
			return dicap_fail(DICAP_MSGERR_TYPE, "message type %u", m->type);
		err = check_role_tag(buf, len, auth_off, keys);
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

int
ctl_decode(const uint8_t *buf, size_t len, struct dicap_msg *m, const uint8_t *key)
{
	return decode_with(buf, len, m, key, NULL);
}

int
dicap_msg_decode(const uint8_t *buf, size_t len, struct dicap_msg *m,
    const uint8_t *key, const char **why)
{
	int err;

	dicap_why_clear();
	if (why)
		*why = dicap_why();
	err = decode_with(buf, len, m, key, NULL);
	if (err == DICAP_MSGERR_OK)
		dicap_fail(0, "ok");
	return err;
}

int
dicap_msg_decode_keys(const uint8_t *buf, size_t len, struct dicap_msg *m,
    const struct dicap_keys *keys, const char **why)
{
	int err;

	dicap_why_clear();
	if (why)
		*why = dicap_why();
	err = decode_with(buf, len, m, NULL, keys);
	if (err == DICAP_MSGERR_OK)
		dicap_fail(0, "ok");
	return err;
}
