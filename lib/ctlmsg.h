/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control protocol codec (userspace): encoder, strict decoder and the
 * decoded form of a message.  The wire format itself is in
 * include/dicap/ctl.h and docs/protocol.md.
 */
#ifndef LIB_CTLMSG_H
#define LIB_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "dicap/ctl.h"
#include "bucket_table.h"

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
	DICAP_MSGERR_AUTH_NOKEY,	/* no key for the role of this message type */
	DICAP_MSGERR_MAX = DICAP_MSGERR_AUTH_NOKEY,
};

/*
 * Who sends a message type, and so which credential authenticates it
 * (docs/protocol.md, "Roles").  The role follows from the type alone: a
 * receiver never lets the tag choose how it is checked.
 */
enum dicap_role {
	DICAP_ROLE_NONE = 0,
	DICAP_ROLE_COORD,	/* Ed25519, the coordinator key */
	DICAP_ROLE_NODE,	/* HMAC-SHA256, the node key */
	DICAP_ROLE_STATUS,	/* HMAC-SHA256, the status key */
};

#define DICAP_MAX_COORD_KEYS	4	/* coordinator public keys a verifier holds */
#define DICAP_SIGN_SK_LEN	64	/* libsodium's Ed25519 secret key: seed, public key */

/*
 * The keys of one credential file (lib/keyfile.h).  A coordinator holds the
 * signing key, the node key and the status key; a node the coordinators'
 * public keys and the node key; a status reader the public keys and the
 * status key.
 */
struct dicap_keys {
	int kind;				/* DICAP_ROLE_* of the file */
	int have_sign;
	uint8_t sign_sk[DICAP_SIGN_SK_LEN];
	uint8_t coord_pk[DICAP_MAX_COORD_KEYS][DICAP_SIGN_PK_LEN];
	int n_coord_pk;
	int have_node;
	uint8_t node[DICAP_AUTH_KEY_LEN];
	int have_status;
	uint8_t status[DICAP_AUTH_KEY_LEN];
	/*
	 * The session key of one node and one coordinator (crypto_kx, from
	 * JOIN and ACCEPT): a coordinator's message under it carries an
	 * HMAC-SHA256 instead of a signature.  Set per message, NULL: none.
	 */
	const uint8_t *peer_mac;
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
	uint32_t sel_flags;	/* DICAP_SEL_* (SELECT_FLAGS) */
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
	uint8_t session[DICAP_SESSION_LEN];
	uint8_t peer_session[DICAP_SESSION_LEN];
	uint8_t cookie[DICAP_COOKIE_LEN];
	uint16_t padding_len;	/* PADDING: that many zero bytes (any on decode) */
	uint8_t kx[DICAP_KX_PK_LEN];

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
 * Encode @m into @buf.  With @key (DICAP_AUTH_KEY_LEN bytes) an AUTH AVP
 * holding an HMAC-SHA256 is appended, whatever the type: the primitive the
 * role-checked dicap_msg_encode_keys() is built on, and what the codec tests
 * use.  Returns the message length, or -enum dicap_msg_err.
 */
int	dicap_msg_encode(const struct dicap_msg *m, uint8_t *buf, size_t cap,
	    const uint8_t *key);

/*
 * Strictly decode @buf.  With @key, the message must carry a tag and it must
 * verify (constant-time); without, a tag is parsed but not checked.
 * Returns DICAP_MSGERR_OK or an error; dicap_msg_strerror() names it and
 * @why (if not NULL) gets a detail string valid until the next call in
 * this thread, e.g. "AVP 8 (members) length 7 is not a multiple of 6".
 */
int	dicap_msg_decode(const uint8_t *buf, size_t len, struct dicap_msg *m,
	    const uint8_t *key, const char **why);

/*
 * The codec as the daemons use it: the tag is the one of the role of
 * m->type (dicap_msg_role()), made or checked with the matching key of
 * @keys.  Without @keys no tag is written, and a tag is parsed but not
 * checked (--insecure).  Encoding a type whose key @keys lacks fails with
 * DICAP_MSGERR_AUTH_NOKEY; decoding one fails with DICAP_MSGERR_AUTH_BAD.
 */
int	dicap_msg_encode_keys(const struct dicap_msg *m, uint8_t *buf, size_t cap,
	    const struct dicap_keys *keys);
int	dicap_msg_decode_keys(const uint8_t *buf, size_t len, struct dicap_msg *m,
	    const struct dicap_keys *keys, const char **why);

int	dicap_msg_role(int type);
/*
 * The role of a message of @type that the holder of @k sends (@sending) or
 * receives: HEARTBEAT is a node's to a coordinator and the coordinator's
 * answer back, the only type both send.
 */
int	dicap_msg_role_in(int type, const struct dicap_keys *k, int sending);
/* Bytes of the tag value of a message of @type (HMAC or signature). */
size_t	dicap_msg_tag_len(int type);

const char	*dicap_msg_strerror(int err);
const char	*dicap_msg_type_name(int type);
const char	*dicap_avp_name(int avp);

/* Accessors for list attributes of a decoded message. */
void	dicap_msg_member(const struct dicap_msg *m, uint32_t i, struct dicap_member *out);
void	dicap_msg_counter(const struct dicap_msg *m, uint32_t i, uint16_t *id, uint64_t *value);

/* "ADDR:PORT", "[V6ADDR]:PORT" <-> struct dicap_addr; 0 or -1. */
int	dicap_addr_parse(const char *s, struct dicap_addr *a);
const char	*dicap_addr_format(const struct dicap_addr *a, char *buf, size_t len);

#define DICAP_ADDR_STRLEN	56	/* "[" v6 "]:" port, NUL included */
#define DICAP_MAX_NODE_INFO	64	/* capacity of dicap_msg.node_info[] */

/*
 * A NODE_INFO value.  @counters_raw holds n * DICAP_COUNTER_WIRE_LEN bytes in
 * both directions (after decoding it points into the caller's buffer).
 */
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
size_t	dicap_node_info_size(const struct dicap_node_info *ni);

/*
 * Write the NODE_INFO value of @ni into @buf.  Returns its length (point
 * dicap_msg.node_info[i] at @buf and set node_info_len[i] to it), or
 * -DICAP_MSGERR_NOSPACE, or -DICAP_MSGERR_AVP_RANGE for a bad field.
 */
int	dicap_node_info_encode(const struct dicap_node_info *ni, uint8_t *buf, size_t cap);

/* Strictly decode one NODE_INFO value; DICAP_MSGERR_OK or _AVP_RANGE. */
int	dicap_node_info_decode(const uint8_t *buf, size_t len, struct dicap_node_info *ni,
	    const char **why);

void	dicap_node_info_counter(const struct dicap_node_info *ni, uint32_t i, uint16_t *id,
	    uint64_t *value);

/* Attribute bit masks (1u << avp) a message type requires / allows. */
uint32_t	dicap_msg_required(int type);
uint32_t	dicap_msg_allowed(int type);

/*
 * The length dicap_msg_encode_keys() returns for @m if it accepts @m (with
 * the tag of its role when @with_auth), or -enum dicap_msg_err.
 */
int	dicap_msg_encoded_len(const struct dicap_msg *m, int with_auth);

/*
 * How many MEMBERS entries fit beside the other attributes of @m in a
 * datagram of @limit bytes (the members @m already lists are not counted).
 */
uint32_t	dicap_msg_members_fit(const struct dicap_msg *m, size_t limit, int with_auth);

/*
 * The detail of the last dicap_msg_encode()/_decode() failure in this
 * thread.  The encoder refuses to write what the decoder would reject.
 * When encoding, @members may be NULL: @members_raw is used instead, so a
 * decoded message can be encoded again unchanged.
 */
const char	*dicap_msg_why(void);

#endif /* LIB_CTLMSG_H */
