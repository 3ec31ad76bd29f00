/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the three parts of the control codec share and nothing else may use:
 * the attribute table (ctlmsg_tables.c), the decoder the encoder checks its
 * output with (ctlmsg_decode.c), and the one-time libsodium setup both need.
 */
#ifndef LIB_CTLMSG_IMPL_H
#define LIB_CTLMSG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "ctlmsg.h"

#define AVP_SHORT_LEN	5	/* code + u32 */
#define AVP_EXT_HDR_LEN	3	/* code + u16 length */
#define AVP_EXT_MAX	0xffff

enum avp_kind {
	K_U32,		/* short; stored in a field of spec->size bytes */
	K_FLAGS,	/* short, like K_U32, but no bit outside spec->max */
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
	K_BYTES,	/* ext, min_len bytes copied to the field at off */
	K_PAD,		/* ext, any bytes; only their number is kept */
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
	uint32_t min;		/* K_U32: value bounds; K_FLAGS: max is the mask */
	uint32_t max;
};

extern const struct avp_spec ctl_avp_specs[DICAP_AVP_MAX + 1];

/*
 * dicap_msg_decode() without its handling of the detail string (cleared
 * first, "ok" on success): the encoder checks what it wrote with it.
 */
int	ctl_decode(const uint8_t *buf, size_t len, struct dicap_msg *m, const uint8_t *key);

/* Call before any libsodium function; thread-safe, cheap after the first. */
void	ctl_sodium_init(void);

#endif /* LIB_CTLMSG_IMPL_H */
