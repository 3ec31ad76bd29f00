/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control protocol tables.  One table describes every attribute (form,
 * multiplicity, length and value bounds, where it lives in struct
 * dicap_msg), one table every message type (required and allowed
 * attributes); the decoder and the encoder both work from them.
 */
#include <stddef.h>
#include <stdint.h>

#include "dicap/select.h"
#include "why.h"
#include "ctlmsg.h"
#include "ctlmsg_impl.h"

#define FIELD_SIZE(f)	sizeof(((struct dicap_msg *)0)->f)
#define U32(nm, f, lo, hi) \
	{ nm, K_U32, 0, FIELD_SIZE(f), offsetof(struct dicap_msg, f), 4, 4, lo, hi }
#define EXT(nm, k, fl, f, lo, hi) \
	{ nm, k, S_EXT | (fl), 0, offsetof(struct dicap_msg, f), lo, hi, 0, 0 }

const struct avp_spec ctl_avp_specs[DICAP_AVP_MAX + 1] = {
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
	    DICAP_AUTH_TAG_LEN, DICAP_SIGN_LEN),
	[DICAP_AVP_SELECT_FLAGS] = { "select_flags", K_FLAGS, 0, FIELD_SIZE(sel_flags),
	    offsetof(struct dicap_msg, sel_flags), 4, 4, 0, DICAP_SEL_FLAGS_MASK },
	[DICAP_AVP_SESSION] = EXT("session", K_BYTES, 0, session,
	    DICAP_SESSION_LEN, DICAP_SESSION_LEN),
	[DICAP_AVP_PEER_SESSION] = EXT("peer_session", K_BYTES, 0, peer_session,
	    DICAP_SESSION_LEN, DICAP_SESSION_LEN),
	[DICAP_AVP_COOKIE] = EXT("cookie", K_BYTES, 0, cookie,
	    DICAP_COOKIE_LEN, DICAP_COOKIE_LEN),
	[DICAP_AVP_PADDING] = EXT("padding", K_PAD, 0, padding_len, 0, DICAP_PADDING_MAX),
	[DICAP_AVP_KX] = EXT("kx", K_BYTES, 0, kx, DICAP_KX_PK_LEN, DICAP_KX_PK_LEN),
};

#define B(a)	(1u << DICAP_AVP_##a)
/* Every message carries SEQ and TIMESTAMP: the replay check needs both. */
#define ALWAYS	(B(SEQ) | B(TIMESTAMP))
/* The selection: SELECT and SELECT_FLAGS, allowed and required together. */
#define SELECTION	(B(SELECT) | B(SELECT_FLAGS))
/*
 * A coordinator's session and the node's, echoed (docs/protocol.md,
 * "Sessions").  Optional to the codec; the daemons require them where the
 * exchange does.
 */
#define SESSIONS	(B(SESSION) | B(PEER_SESSION))

struct msg_spec {
	const char *name;
	uint32_t required;
	uint32_t optional;
};

static const struct msg_spec msg_specs[DICAP_MSG_TYPE_MAX + 1] = {
	[DICAP_MSG_JOIN] = { "join",
		ALWAYS | B(NODE_ID),
		B(WEIGHT) | B(COORD) | B(TERM) | B(EPOCH) | SESSIONS | B(PADDING) | B(KX) },
	[DICAP_MSG_ACCEPT] = { "accept",
		ALWAYS | B(NODE_ID) | B(TERM) | B(EPOCH) | B(POSITION) | B(MEMBER_COUNT),
		B(WEIGHT) | SELECTION | B(VALIDITY) | B(ANALYZER) | B(COORD) |
		    B(HEARTBEAT_MS) | B(TIMEOUT_MS) | B(MARKER_TOKEN) | B(KX) | SESSIONS },
	[DICAP_MSG_TOPOLOGY] = { "topology",
		ALWAYS | B(TERM) | B(EPOCH) | SELECTION | B(VALIDITY) | B(MEMBERS) |
		    B(PART) | B(MEMBER_COUNT),
		B(NODE_ID) | B(ANALYZER) | B(POSITION) | B(HEARTBEAT_MS) |
		    B(TIMEOUT_MS) | B(MARKER_TOKEN) | B(COORD) | SESSIONS },
	[DICAP_MSG_HEARTBEAT] = { "heartbeat",
		ALWAYS | B(NODE_ID),
		B(EPOCH) | B(TERM) | B(WEIGHT) | B(COUNTERS) | B(PADDING) | SESSIONS },
	[DICAP_MSG_LEAVE] = { "leave",
		ALWAYS | B(NODE_ID),
		B(EPOCH) | B(TERM) | B(COUNTERS) | B(PADDING) | SESSIONS },
	[DICAP_MSG_ANNOUNCE] = { "announce",
		ALWAYS | B(COORD) | B(TERM),
		B(NODE_ID) | B(EPOCH) | B(PRIORITY) | SELECTION | B(MEMBER_COUNT) |
		    B(ANALYZER) | B(HEARTBEAT_MS) | B(TIMEOUT_MS) | B(SESSION) },
	[DICAP_MSG_COORD_SYNC] = { "coord_sync",
		ALWAYS | B(TERM) | B(EPOCH) | B(PART),
		B(NODE_ID) | B(COORD) | B(PRIORITY) | SELECTION | B(VALIDITY) |
		    B(MEMBERS) | B(MEMBER_COUNT) | B(ANALYZER) | B(NODE_INFO) |
		    B(HEARTBEAT_MS) | B(TIMEOUT_MS) | B(MARKER_TOKEN) },
	[DICAP_MSG_ERROR] = { "error",
		ALWAYS | B(ERROR_CODE),
		B(ERROR_TEXT) | B(NODE_ID) | B(TERM) | B(EPOCH) | B(COORD) | SESSIONS |
		    B(COOKIE) },
	[DICAP_MSG_STATUS_REQ] = { "status_req",
		ALWAYS,
		B(NODE_ID) | B(COOKIE) | B(PADDING) },
	[DICAP_MSG_STATUS] = { "status",
		ALWAYS | B(TERM) | B(PART),
		B(NODE_ID) | B(COORD) | B(PRIORITY) | B(EPOCH) | SELECTION |
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
	[DICAP_MSGERR_AUTH_NOKEY] = "no key for the role of this message type",
};

const char *
dicap_msg_why(void)
{
	return dicap_why();
}

const char *
dicap_msg_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err > DICAP_MSGERR_MAX)
		return "unknown error";
	return err_names[err];
}

const char *
dicap_msg_type_name(int type)
{
	if (type <= 0 || type > DICAP_MSG_TYPE_MAX)
		return "unknown";
	return msg_specs[type].name;
}

const char *
dicap_avp_name(int avp)
{
	if (avp <= 0 || avp > DICAP_AVP_MAX)
		return "unknown";
	return ctl_avp_specs[avp].name;
}

uint32_t
dicap_msg_required(int type)
{
	if (type <= 0 || type > DICAP_MSG_TYPE_MAX)
		return 0;
	return msg_specs[type].required;
}

uint32_t
dicap_msg_allowed(int type)
{
	if (type <= 0 || type > DICAP_MSG_TYPE_MAX)
		return 0;
	return msg_specs[type].required | msg_specs[type].optional | B(AUTH);
}

int
dicap_msg_role(int type)
{
	switch (type) {
	case DICAP_MSG_JOIN:
	case DICAP_MSG_HEARTBEAT:
	case DICAP_MSG_LEAVE:
		return DICAP_ROLE_NODE;
	case DICAP_MSG_STATUS_REQ:
		return DICAP_ROLE_STATUS;
	case DICAP_MSG_ACCEPT:
	case DICAP_MSG_TOPOLOGY:
	case DICAP_MSG_ANNOUNCE:
	case DICAP_MSG_COORD_SYNC:
	case DICAP_MSG_ERROR:
	case DICAP_MSG_STATUS:
	case DICAP_MSG_VOTE_REQ:
	case DICAP_MSG_VOTE:
		return DICAP_ROLE_COORD;
	}
	return DICAP_ROLE_NONE;
}

int
dicap_msg_role_in(int type, const struct dicap_keys *k, int sending)
{
	/* HEARTBEAT goes both ways: a node's, and the coordinator's answer. */
	if (type == DICAP_MSG_HEARTBEAT && (k->kind == DICAP_ROLE_COORD) == !!sending)
		return DICAP_ROLE_COORD;
	return dicap_msg_role(type);
}

size_t
dicap_msg_tag_len(int type)
{
	return dicap_msg_role(type) == DICAP_ROLE_COORD ? DICAP_SIGN_LEN : DICAP_AUTH_TAG_LEN;
}
