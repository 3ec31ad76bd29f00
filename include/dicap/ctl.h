/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DiCAP control protocol on the wire (coordinator <-> nodes, coordinator
 * <-> standby coordinators, dicapctl -> coordinator): message types,
 * attribute numbers, error codes and fixed lengths.  A change here is a
 * protocol change: docs/protocol.md, and DICAP_CTL_VERSION if the wire changes.
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
 * The authentication tag, when present, is the last AVP, over every byte of
 * the message before it.  Its kind follows from the message type, never from
 * the tag (docs/protocol.md, "Roles"): what a coordinator sends (ACCEPT,
 * TOPOLOGY, ANNOUNCE, COORD_SYNC, ERROR, STATUS, VOTE_REQ, VOTE) carries an
 * Ed25519 signature (DICAP_SIGN_LEN) by the coordinator key, which only
 * coordinators hold; what a node sends (JOIN, HEARTBEAT, LEAVE) an
 * HMAC-SHA256 with the node key; STATUS_REQ an HMAC-SHA256 with the status
 * key.  Once a JOIN and its ACCEPT have exchanged KX keys, what the
 * coordinator sends that node carries an HMAC-SHA256 under their session
 * key instead of a signature (a signature costs ten HMACs to check).
 */
#ifndef DICAP_CTL_H
#define DICAP_CTL_H

#include "marker.h"	/* DICAP_MARKER_TOKEN_LEN */

/* 2: SELECT_FLAGS, the selection rules of issue 12; 3: roles, sessions, cookies (issue 14) */
#define DICAP_CTL_VERSION	3
#define DICAP_CTL_HDR_LEN	8
#define DICAP_CTL_MAX_LEN	65507	/* largest UDP payload over IPv4 */
#define DICAP_CTL_DEFAULT_PORT	7467	/* documented default control port */
#define DICAP_AUTH_KEY_LEN	32
#define DICAP_AUTH_TAG_LEN	32	/* HMAC-SHA256: node and status messages */
#define DICAP_SIGN_LEN		64	/* Ed25519 signature: coordinator messages */
#define DICAP_SIGN_PK_LEN	32	/* Ed25519 public key */
#define DICAP_SESSION_LEN	8	/* SESSION, PEER_SESSION */
#define DICAP_COOKIE_LEN	16	/* COOKIE */
#define DICAP_KX_PK_LEN		32	/* KX: libsodium crypto_kx public key */
#define DICAP_PADDING_MAX	1200	/* PADDING */
/*
 * A request the coordinator answers before its sender is verified (a JOIN
 * without the coordinator's session, a STATUS_REQ without a cookie) is
 * answered only if it is at least this long, padded with PADDING: the
 * answer (an ERROR SESSION) is never larger than the request.
 */
#define DICAP_UNVERIFIED_MIN_LEN	256
/*
 * An election raises the term by one; a coordinator that slept through
 * some may have missed a few.  A term more than this above the highest a
 * receiver knows is refused and counted (coordinators and nodes).
 */
#define DICAP_TERM_MAX_STEP	64
#define DICAP_MAX_ANALYZERS	16
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
 * AUTH is the last AVP of a message whatever its number: SELECT_FLAGS (24)
 * goes before it.
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
	DICAP_AVP_SELECT_FLAGS = 24,	/* short: DICAP_SEL_* bits; only where SELECT is */
	DICAP_AVP_SESSION = 25,		/* ext: DICAP_SESSION_LEN, the sender's session nonce */
	DICAP_AVP_PEER_SESSION = 26,	/* ext: DICAP_SESSION_LEN, the receiver's, echoed */
	DICAP_AVP_COOKIE = 27,		/* ext: DICAP_COOKIE_LEN, STATUS_REQ return routability */
	DICAP_AVP_PADDING = 28,		/* ext: 0..DICAP_PADDING_MAX bytes, ignored */
	DICAP_AVP_KX = 29,		/* ext: DICAP_KX_PK_LEN, X25519 key (JOIN, ACCEPT) */
	DICAP_AVP_MAX = DICAP_AVP_KX,
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
	DICAP_CTLERR_SESSION = 7,	/* send again with SESSION/COOKIE of this message */
	DICAP_CTLERR_MAX = DICAP_CTLERR_SESSION,
};

#define DICAP_ADDR_WIRE_V4_LEN	7	/* u8 family, u16 port, 4 address bytes */
#define DICAP_ADDR_WIRE_V6_LEN	19	/* u8 family, u16 port, 16 address bytes */
#define DICAP_INTERVAL_MS_MAX	3600000	/* HEARTBEAT_MS and TIMEOUT_MS upper bound */
#define DICAP_CTL_PART_TARGET	1400	/* split messages keep datagrams within this */
/*
 * MEMBERS entries a TOPOLOGY part can always carry within
 * DICAP_CTL_PART_TARGET bytes, even with every allowed attribute present
 * (16 IPv6 analyzers, an IPv6 COORD, a marker token, both sessions) and a
 * signature: (1400 - 576) / 6.  dicap_msg_members_fit() gives the exact room for a
 * given message.
 */
#define DICAP_TOPOLOGY_PART_MEMBERS	137

/* NODE_INFO value (docs/protocol.md): the coordinator's record of one node. */
#define DICAP_NODE_INFO_FIXED_LEN	38
#define DICAP_SHARE_PPM_MAX		1000000

#endif /* DICAP_CTL_H */
