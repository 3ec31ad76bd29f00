/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DiCAP control protocol codec (coordinator <-> nodes, coordinator <->
 * standby coordinators, dicapctl -> coordinator).  Userspace only.
 *
 * In the spirit of the paper's message (8-bit type, length, AVPs of an 8-bit
 * code and a 32-bit value), with a version, a byte length, and extended AVPs
 * for longer values.  The byte-exact layout is in docs/protocol.md.
 *
 *   header (8 bytes, network order):
 *     u8 version (DICAP_CTL_VERSION) | u8 type | u16 avp_count | u16 length | u16 reserved (0)
 *   AVP:
 *     u8 code: bit 7 DICAP_AVP_F_EXT (value is u16 length + bytes, else a u32),
 *              bit 6 DICAP_AVP_F_MANDATORY (receiver must understand it),
 *              bits 0-5 the attribute number (enum dicap_avp)
 *     then a u32 value, or u16 length + that many bytes.
 *
 * The authentication tag, when present, is the last AVP; it is an
 * HMAC-SHA256 (libsodium) over every byte of the message before that AVP.
 */
#ifndef DICAP_CTLMSG_H
#define DICAP_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "bucket_table.h"

#define DICAP_CTL_VERSION	1
#define DICAP_CTL_HDR_LEN	8
#define DICAP_CTL_MAX_LEN	65507	/* largest UDP payload over IPv4 */
#define DICAP_CTL_DEFAULT_PORT	7467	/* documented default control port */
#define DICAP_AUTH_KEY_LEN	32
#define DICAP_AUTH_TAG_LEN	32
#define DICAP_MAX_ANALYZERS	16
#define DICAP_MARKER_TOKEN_LEN	16
#define DICAP_MEMBER_WIRE_LEN	6	/* u32 node id + u16 weight */
#define DICAP_COUNTER_WIRE_LEN	10	/* u16 counter id + u64 value */
#define DICAP_ERROR_TEXT_MAX	200

#define DICAP_AVP_F_EXT		0x80
#define DICAP_AVP_F_MANDATORY	0x40
#define DICAP_AVP_NUM_MASK	0x3f

enum dicap_msg_type {
	DICAP_MSG_JOIN = 1,		/* node -> coord */
	DICAP_MSG_ACCEPT = 2,		/* coord -> node */
	DICAP_MSG_TOPOLOGY = 3,		/* coord -> nodes (possibly in parts) */
	DICAP_MSG_HEARTBEAT = 4,	/* node -> coord, with counters */
	DICAP_MSG_LEAVE = 5,		/* node -> coord */
	DICAP_MSG_ANNOUNCE = 6,		/* coord -> multicast group */
	DICAP_MSG_COORD_SYNC = 7,	/* active coord -> standbys (possibly in parts) */
	DICAP_MSG_ERROR = 8,		/* nack, any direction */
	DICAP_MSG_STATUS_REQ = 9,	/* dicapctl -> coord */
	DICAP_MSG_STATUS = 10,		/* coord -> dicapctl (possibly in parts) */
	DICAP_MSG_VOTE_REQ = 11,	/* standby coord -> peers: election */
	DICAP_MSG_VOTE = 12,		/* peer -> candidate */
	DICAP_MSG_TYPE_MAX = DICAP_MSG_VOTE,
};

/*
 * Attribute numbers.  "short" attributes carry a u32; "ext" ones a byte
 * string whose layout is given.  Singular attributes may appear once.
 */
enum dicap_avp {
	DICAP_AVP_NODE_ID = 1,		/* short: u32 */
	DICAP_AVP_COORD = 2,		/* ext: addr (below) of the coordinator */
	DICAP_AVP_ANALYZER = 3,		/* ext: addr; repeatable, up to DICAP_MAX_ANALYZERS */
	DICAP_AVP_SELECT = 4,		/* short: enum dicap_mode */
	DICAP_AVP_VALIDITY = 5,		/* ext: u64 ns since the Unix epoch, UTC (CLOCK_REALTIME) */
	DICAP_AVP_EPOCH = 6,		/* short: u32, topology epoch */
	DICAP_AVP_TERM = 7,		/* short: u32, coordinator term */
	DICAP_AVP_MEMBERS = 8,		/* ext: n * (u32 node id, u16 weight), sorted by id */
	DICAP_AVP_PART = 9,		/* short: u16 part index (0-based) << 16 | u16 total parts */
	DICAP_AVP_SEQ = 10,		/* ext: u64 message sequence number (per sender, increasing) */
	DICAP_AVP_TIMESTAMP = 11,	/* ext: u64 ns since the Unix epoch, UTC, at sending */
	DICAP_AVP_WEIGHT = 12,		/* short: 1..65535 */
	DICAP_AVP_PRIORITY = 13,	/* short: u32, coordinator election priority */
	DICAP_AVP_HEARTBEAT_MS = 14,	/* short: 1..3600000 */
	DICAP_AVP_TIMEOUT_MS = 15,	/* short: 1..3600000, > heartbeat */
	DICAP_AVP_POSITION = 16,	/* short: u32 index of the receiver in the member list */
	DICAP_AVP_MEMBER_COUNT = 17,	/* short: u32 total members of the topology */
	DICAP_AVP_ERROR_CODE = 18,	/* short: enum dicap_ctl_error */
	DICAP_AVP_ERROR_TEXT = 19,	/* ext: UTF-8, 1..DICAP_ERROR_TEXT_MAX bytes, no NUL */
	DICAP_AVP_COUNTERS = 20,	/* ext: n * (u16 counter id, u64 value) */
	DICAP_AVP_MARKER_TOKEN = 21,	/* ext: DICAP_MARKER_TOKEN_LEN bytes */
	DICAP_AVP_NODE_INFO = 22,	/* ext: node record for STATUS/COORD_SYNC (docs/protocol.md); repeatable */
	DICAP_AVP_AUTH = 23,		/* ext: DICAP_AUTH_TAG_LEN bytes, must be the last AVP */
	DICAP_AVP_MAX = DICAP_AVP_AUTH,
};

/* Error codes carried in DICAP_MSG_ERROR. */
enum dicap_ctl_error {
	DICAP_CTLERR_NONE = 0,
	DICAP_CTLERR_MALFORMED = 1,	/* could not decode your message */
	DICAP_CTLERR_AUTH = 2,		/* authentication failed */
	DICAP_CTLERR_ID_IN_USE = 3,	/* node id held by another address */
	DICAP_CTLERR_NOT_LEADER = 4,	/* this coordinator is a standby */
	DICAP_CTLERR_UNKNOWN_NODE = 5,	/* heartbeat/leave from a node not in the table */
	DICAP_CTLERR_FULL = 6,		/* member table full */
	DICAP_CTLERR_MAX = DICAP_CTLERR_FULL,
};

/* Decoder results: 0 is success. */
enum dicap_msg_err {
	DICAP_MSGERR_OK = 0,
	DICAP_MSGERR_SHORT,		/* shorter than the header */
	DICAP_MSGERR_VERSION,		/* unsupported version */
	DICAP_MSGERR_TYPE,		/* unknown message type */
	DICAP_MSGERR_RESERVED,		/* reserved header bits not zero */
	DICAP_MSGERR_LENGTH,		/* header length differs from the datagram length */
	DICAP_MSGERR_AVP_TRUNC,		/* an AVP runs past the end */
	DICAP_MSGERR_AVP_COUNT,		/* avp_count does not match the AVPs present */
	DICAP_MSGERR_AVP_FORM,		/* short/ext form differs from the attribute's */
	DICAP_MSGERR_AVP_UNKNOWN,	/* unknown attribute with the mandatory bit */
	DICAP_MSGERR_AVP_DUP,		/* singular attribute repeated */
	DICAP_MSGERR_AVP_RANGE,		/* value out of range or of a bad length */
	DICAP_MSGERR_AVP_MISSING,	/* required attribute absent for this type */
	DICAP_MSGERR_AVP_NOT_ALLOWED,	/* attribute not allowed in this type */
	DICAP_MSGERR_AUTH_POS,		/* authentication tag not the last AVP */
	DICAP_MSGERR_AUTH_MISSING,	/* a key is configured but the message has no tag */
	DICAP_MSGERR_AUTH_BAD,		/* tag does not verify */
	DICAP_MSGERR_NOSPACE,		/* encoder: buffer too small */
	DICAP_MSGERR_MAX = DICAP_MSGERR_NOSPACE,
};

struct dicap_addr {
	uint8_t family;		/* 4 or 6 */
	uint16_t port;		/* host order */
	uint8_t addr[16];	/* network order; IPv4 uses the first 4 bytes */
};

/*
 * A decoded (or to-be-encoded) message.  @present has bit (1u << avp) set for
 * every attribute present; for repeatable attributes the count fields say how
 * many.  After decoding, pointer fields point into the caller's buffer.
 */
struct dicap_msg {
	uint8_t type;
	uint32_t present;

	uint32_t node_id;
	struct dicap_addr coord;
	struct dicap_addr analyzers[DICAP_MAX_ANALYZERS];
	uint32_t n_analyzers;
	uint8_t mode;
	uint64_t validity_ns;
	uint32_t epoch;
	uint32_t term;
	uint16_t part;
	uint16_t parts;
	uint64_t seq;
	uint64_t timestamp_ns;
	uint16_t weight;
	uint32_t priority;
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;
	uint32_t position;
	uint32_t member_count;
	uint32_t error_code;
	char error_text[DICAP_ERROR_TEXT_MAX + 1];	/* NUL-terminated */
	uint8_t marker_token[DICAP_MARKER_TOKEN_LEN];

	/* Members: encode reads @members; decode sets @members_raw. */
	const struct dicap_member *members;
	const uint8_t *members_raw;
	uint32_t n_members;

	/* Counters: n * DICAP_COUNTER_WIRE_LEN bytes, both directions. */
	const uint8_t *counters_raw;
	uint32_t n_counters;

	/* Node records (STATUS, COORD_SYNC): each a raw ext value. */
	const uint8_t *node_info[64];
	uint16_t node_info_len[64];
	uint32_t n_node_info;

	/* Set by the decoder when a tag is present. */
	const uint8_t *auth_tag;
	size_t auth_off;	/* bytes covered by the tag */
};

#define DICAP_HAS(m, avp)	(((m)->present >> (avp)) & 1u)
#define DICAP_SET(m, avp)	((m)->present |= 1u << (avp))

/*
 * Encode @m into @buf.  With @key (DICAP_AUTH_KEY_LEN bytes) an AUTH AVP is
 * appended.  Returns the message length, or -enum dicap_msg_err.
 */
int dicap_msg_encode(const struct dicap_msg *m, uint8_t *buf, size_t cap,
		     const uint8_t *key);

/*
 * Strictly decode @buf.  With @key, the message must carry a tag and it must
 * verify (constant-time); without, a tag is parsed but not checked.
 * Returns DICAP_MSGERR_OK or an error; dicap_msg_strerror() names it and
 * @why (if not NULL) gets a detail string valid until the next call in
 * this thread, e.g. "AVP 8 (members) length 7 is not a multiple of 6".
 */
int dicap_msg_decode(const uint8_t *buf, size_t len, struct dicap_msg *m,
		     const uint8_t *key, const char **why);

const char *dicap_msg_strerror(int err);
const char *dicap_msg_type_name(int type);
const char *dicap_avp_name(int avp);

/* Accessors for list attributes of a decoded message. */
void dicap_msg_member(const struct dicap_msg *m, uint32_t i, struct dicap_member *out);
void dicap_msg_counter(const struct dicap_msg *m, uint32_t i, uint16_t *id, uint64_t *value);

/* "ADDR:PORT", "[V6ADDR]:PORT" <-> struct dicap_addr; 0 or -1. */
int dicap_addr_parse(const char *s, struct dicap_addr *a);
const char *dicap_addr_format(const struct dicap_addr *a, char *buf, size_t len);

/*
 * Additions to the first interface (backward compatible: nothing above
 * changed meaning).
 */
#define DICAP_ADDR_WIRE_V4_LEN	7	/* u8 family, u16 port, 4 address bytes */
#define DICAP_ADDR_WIRE_V6_LEN	19	/* u8 family, u16 port, 16 address bytes */
#define DICAP_ADDR_STRLEN	56	/* "[" v6 "]:" port, NUL included */
#define DICAP_MAX_NODE_INFO	64	/* capacity of dicap_msg.node_info[] */
#define DICAP_INTERVAL_MS_MAX	3600000	/* HEARTBEAT_MS and TIMEOUT_MS upper bound */
#define DICAP_CTL_PART_TARGET	1400	/* split messages keep datagrams within this */
/*
 * MEMBERS entries a TOPOLOGY part can always carry within
 * DICAP_CTL_PART_TARGET bytes, even with every allowed attribute present
 * (16 IPv6 analyzers, an IPv6 COORD, a marker token) and a tag:
 * (1400 - 517) / 6.  dicap_msg_members_fit() gives the exact room for a
 * given message.
 */
#define DICAP_TOPOLOGY_PART_MEMBERS	147

/*
 * NODE_INFO value (docs/protocol.md): the coordinator's record of one node,
 * in STATUS and COORD_SYNC.  @counters_raw holds n * DICAP_COUNTER_WIRE_LEN
 * bytes in both directions (after decoding it points into the caller's buffer).
 */
#define DICAP_NODE_INFO_FIXED_LEN	38
#define DICAP_SHARE_PPM_MAX		1000000

struct dicap_node_info {
	uint32_t node_id;
	uint16_t weight;		/* 1..65535 */
	struct dicap_addr addr;		/* the node's control address */
	uint32_t last_heartbeat_ms;	/* age of its last heartbeat, saturating */
	uint32_t share_ppm;		/* its share of the buckets, 0..1000000 */
	uint32_t epoch;			/* topology epoch the node reported */
	const uint8_t *counters_raw;
	uint32_t n_counters;
};

/* Bytes the NODE_INFO value of @ni takes. */
size_t dicap_node_info_size(const struct dicap_node_info *ni);

/*
 * Write the NODE_INFO value of @ni into @buf.  Returns its length (point
 * dicap_msg.node_info[i] at @buf and set node_info_len[i] to it), or
 * -DICAP_MSGERR_NOSPACE, or -DICAP_MSGERR_AVP_RANGE for a bad field.
 */
int dicap_node_info_encode(const struct dicap_node_info *ni, uint8_t *buf, size_t cap);

/* Strictly decode one NODE_INFO value; DICAP_MSGERR_OK or _AVP_RANGE. */
int dicap_node_info_decode(const uint8_t *buf, size_t len, struct dicap_node_info *ni,
			   const char **why);

void dicap_node_info_counter(const struct dicap_node_info *ni, uint32_t i, uint16_t *id,
			     uint64_t *value);

/* Attribute bit masks (1u << avp) a message type requires / allows. */
uint32_t dicap_msg_required(int type);
uint32_t dicap_msg_allowed(int type);

/*
 * The length dicap_msg_encode() returns for @m if it accepts @m (with a tag
 * when @with_auth), or -enum dicap_msg_err.
 */
int dicap_msg_encoded_len(const struct dicap_msg *m, int with_auth);

/*
 * How many MEMBERS entries fit beside the other attributes of @m in a
 * datagram of @limit bytes (the members @m already lists are not counted).
 */
uint32_t dicap_msg_members_fit(const struct dicap_msg *m, size_t limit, int with_auth);

/*
 * The detail of the last dicap_msg_encode()/_decode() failure in this
 * thread.  The encoder refuses to write what the decoder would reject.
 * When encoding, @members may be NULL: @members_raw is used instead, so a
 * decoded message can be encoded again unchanged.
 */
const char *dicap_msg_why(void);

#endif /* DICAP_CTLMSG_H */
