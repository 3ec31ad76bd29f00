/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control protocol encoder.  It decodes what it wrote, so it never emits a
 * message a receiver would reject.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "dicap/types.h"
#include "why.h"
#include "ctlmsg.h"
#include "ctlmsg_impl.h"

#define ALL_AVPS	(((1u << (DICAP_AVP_MAX + 1)) - 1) & ~1u)

/* Wire form of an address: u8 family, u16 port, 4 or 16 address bytes. */
static size_t
addr_wire_len(const struct dicap_addr *a)
{
	return a->family == 6 ? DICAP_ADDR_WIRE_V6_LEN : DICAP_ADDR_WIRE_V4_LEN;
}

static void
addr_put(uint8_t *p, const struct dicap_addr *a)
{
	p[0] = a->family;
	dicap_put_be16(p + 1, a->port);
	memcpy(p + 3, a->addr, addr_wire_len(a) - 3);
}

/* ---- NODE_INFO ---- */

size_t
dicap_node_info_size(const struct dicap_node_info *ni)
{
	return DICAP_NODE_INFO_FIXED_LEN + (size_t)ni->n_counters * DICAP_COUNTER_WIRE_LEN;
}

int
dicap_node_info_encode(const struct dicap_node_info *ni, uint8_t *buf, size_t cap)
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

/* ---- messages ---- */

static uint32_t
load_uint(const struct dicap_msg *m, const struct avp_spec *s)
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

static uint8_t *
w_reserve(struct writer *w, size_t n)
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

static void
w_short(struct writer *w, int num, uint32_t v)
{
	uint8_t *p = w_reserve(w, AVP_SHORT_LEN);

	w->count++;
	if (!p)
		return;
	p[0] = DICAP_AVP_F_MANDATORY | (uint8_t)num;
	dicap_put_be32(p + 1, v);
}

/* Returns where the @len value bytes go, or NULL. */
static uint8_t *
w_ext(struct writer *w, int num, size_t len)
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

static void
w_addr(struct writer *w, int num, const struct dicap_addr *a)
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

static void
w_members(struct writer *w, const struct dicap_msg *m)
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

static void
w_bytes(struct writer *w, int num, const void *data, size_t len)
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

static void
w_u64(struct writer *w, int num, uint64_t v)
{
	uint8_t *p = w_ext(w, num, 8);

	if (p)
		dicap_put_be64(p, v);
}

static void
w_repeated(struct writer *w, const struct dicap_msg *m, int num)
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

static void
w_text(struct writer *w, const struct dicap_msg *m)
{
	size_t len = strnlen(m->error_text, sizeof(m->error_text));

	if (len == sizeof(m->error_text)) {
		w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE, "error text is not NUL-terminated");
		return;
	}
	w_bytes(w, DICAP_AVP_ERROR_TEXT, m->error_text, len);
}

static void
enc_avp(struct writer *w, const struct dicap_msg *m, int num)
{
	const struct avp_spec *s = &ctl_avp_specs[num];
	uint64_t v64;

	switch (s->kind) {
	case K_U32:
	case K_FLAGS:
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
	case K_BYTES:
		w_bytes(w, num, (const uint8_t *)m + ctl_avp_specs[num].off,
		    ctl_avp_specs[num].min_len);
		break;
	case K_PAD: {
		static const uint8_t zeros[DICAP_PADDING_MAX];

		if (m->padding_len > DICAP_PADDING_MAX)
			w->err = dicap_fail(DICAP_MSGERR_AVP_RANGE, "padding of %u bytes",
			    m->padding_len);
		else
			w_bytes(w, num, zeros, m->padding_len);
		break;
	}
	case K_AUTH:
		break;
	}
}

static int
encode_body(const struct dicap_msg *m, struct writer *w)
{
	uint32_t stray = m->present & ~ALL_AVPS;
	int num;

	if (m->type == 0 || m->type > DICAP_MSG_TYPE_MAX)
		return dicap_fail(DICAP_MSGERR_TYPE, "message type %u", m->type);
	if (stray)
		return dicap_fail(DICAP_MSGERR_AVP_UNKNOWN, "present bit %d is no attribute",
		    __builtin_ctz(stray));
	w_reserve(w, DICAP_CTL_HDR_LEN);
	/* In increasing number; AUTH, whose number is not the highest, comes last. */
	for (num = 1; num <= DICAP_AVP_MAX && !w->err; num++)
		if (num != DICAP_AVP_AUTH && DICAP_HAS(m, num))
			enc_avp(w, m, num);
	return w->err;
}

/* How the tag is made: none, an HMAC-SHA256, an Ed25519 signature. */
enum tag_kind { TAG_NONE, TAG_HMAC, TAG_SIGN };

static void
write_header_and_tag(const struct dicap_msg *m, struct writer *w, enum tag_kind kind,
    const uint8_t *key)
{
	size_t auth_off = w->len;
	uint8_t *tag = NULL;

	if (kind != TAG_NONE)
		tag = w_ext(w, DICAP_AVP_AUTH,
		    kind == TAG_SIGN ? DICAP_SIGN_LEN : DICAP_AUTH_TAG_LEN);
	if (w->err)
		return;
	w->buf[0] = DICAP_CTL_VERSION;
	w->buf[1] = m->type;
	dicap_put_be16(w->buf + 2, (uint16_t)w->count);
	dicap_put_be16(w->buf + 4, (uint16_t)w->len);
	dicap_put_be16(w->buf + 6, 0);
	if (tag == NULL)
		return;
	ctl_sodium_init();
	if (kind == TAG_SIGN)
		crypto_sign_detached(tag, NULL, w->buf, auth_off, key);
	else
		crypto_auth_hmacsha256(tag, w->buf, auth_off, key);
}

static int
encode_with(const struct dicap_msg *m, uint8_t *buf, size_t cap, enum tag_kind kind,
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
	write_header_and_tag(m, &w, kind, key);
	if (w.err)
		return -w.err;
	err = ctl_decode(buf, w.len, &check, NULL);
	if (err)
		return -err;
	return (int)w.len;
}

int
dicap_msg_encode(const struct dicap_msg *m, uint8_t *buf, size_t cap,
    const uint8_t *key)
{
	return encode_with(m, buf, cap, key ? TAG_HMAC : TAG_NONE, key);
}

int
dicap_msg_encode_keys(const struct dicap_msg *m, uint8_t *buf, size_t cap,
    const struct dicap_keys *keys)
{
	if (keys == NULL)
		return encode_with(m, buf, cap, TAG_NONE, NULL);
	switch (dicap_msg_role_in(m->type, keys, 1)) {
	case DICAP_ROLE_COORD:
		/* ACCEPT carries the coordinator's KX key: it is always signed. */
		if (keys->peer_mac != NULL && m->type != DICAP_MSG_ACCEPT)
			return encode_with(m, buf, cap, TAG_HMAC, keys->peer_mac);
		if (keys->have_sign)
			return encode_with(m, buf, cap, TAG_SIGN, keys->sign_sk);
		break;
	case DICAP_ROLE_NODE:
		if (keys->have_node)
			return encode_with(m, buf, cap, TAG_HMAC, keys->node);
		break;
	case DICAP_ROLE_STATUS:
		if (keys->have_status)
			return encode_with(m, buf, cap, TAG_HMAC, keys->status);
		break;
	default:
		return -dicap_fail(DICAP_MSGERR_TYPE, "message type %u", m->type);
	}
	return -dicap_fail(DICAP_MSGERR_AUTH_NOKEY, "no key to authenticate a %s message",
	    dicap_msg_type_name(m->type));
}

int
dicap_msg_encoded_len(const struct dicap_msg *m, int with_auth)
{
	struct writer w = { NULL, DICAP_CTL_MAX_LEN, 0, 0, 0 };
	int err;

	err = encode_body(m, &w);
	if (err)
		return -err;
	if (with_auth)
		w_reserve(&w, AVP_EXT_HDR_LEN + dicap_msg_tag_len(m->type));
	return w.err ? -w.err : (int)w.len;
}

uint32_t
dicap_msg_members_fit(const struct dicap_msg *m, size_t limit, int with_auth)
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
