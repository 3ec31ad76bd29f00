/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcapng block encoding (pcapng.h).  A block is built front to back with
 * a cursor that refuses to pass the end of the caller's buffer; the
 * block's length goes in twice, at its start and at its end, once known.
 */
#include <string.h>

#include "pcapng.h"

#define OPT_ENDOFOPT		0
#define OPT_COMMENT		1
#define SHB_USERAPPL		4
#define IDB_NAME		2
#define IDB_DESCRIPTION		3
#define IDB_TSRESOL		9
#define ISB_STARTTIME		2
#define ISB_ENDTIME		3
#define ISB_IFRECV		4
#define ISB_IFDROP		5
#define ISB_OSDROP		6
#define ISB_USRDELIV		8
#define TSRESOL_NS		9	/* 10^-9 s */

struct cur {
	uint8_t *buf;
	size_t len;
	size_t off;
	int full;			/* something did not fit */
};

static uint32_t
pad4(size_t n)
{
	return (uint32_t)((4 - (n & 3)) & 3);
}

static void
put(struct cur *c, const void *p, size_t n)
{
	if (c->full || n > c->len - c->off) {
		c->full = 1;
		return;
	}
	memcpy(c->buf + c->off, p, n);
	c->off += n;
}

static void
put_zero(struct cur *c, size_t n)
{
	static const uint8_t zero[4];

	put(c, zero, n);
}

static void
put16(struct cur *c, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(c, b, sizeof(b));
}

static void
le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static void
put32(struct cur *c, uint32_t v)
{
	uint8_t b[4];

	le32(b, v);
	put(c, b, sizeof(b));
}

static void
put64(struct cur *c, uint64_t v)
{
	put32(c, (uint32_t)v);
	put32(c, (uint32_t)(v >> 32));
}

/* A timestamp: the upper 32 bits first, each half in the section's order. */
static void
put_ts(struct cur *c, uint64_t ts)
{
	put32(c, (uint32_t)(ts >> 32));
	put32(c, (uint32_t)ts);
}

static void
opt_str(struct cur *c, uint16_t code, const char *s)
{
	size_t n;

	if (s == NULL)
		return;
	n = strnlen(s, PCAPNG_STR_MAX);
	put16(c, code);
	put16(c, (uint16_t)n);
	put(c, s, n);
	put_zero(c, pad4(n));
}

static void
opt_u64(struct cur *c, uint16_t code, uint64_t v)
{
	if (v == UINT64_MAX)
		return;
	put16(c, code);
	put16(c, 8);
	put64(c, v);
}

static void
opt_ts(struct cur *c, uint16_t code, uint64_t ts)
{
	if (ts == UINT64_MAX)
		return;
	put16(c, code);
	put16(c, 8);
	put_ts(c, ts);
}

static void
block_start(struct cur *c, uint8_t *buf, size_t len, uint32_t type)
{
	c->buf = buf;
	c->len = len;
	c->off = 0;
	c->full = 0;
	put32(c, type);
	put32(c, 0);		/* the length, filled in by block_end() */
}

/* Close the options (if any were written after @opts_at) and the block. */
static size_t
block_end(struct cur *c, size_t opts_at)
{
	if (c->off != opts_at) {
		put16(c, OPT_ENDOFOPT);
		put16(c, 0);
	}
	put32(c, (uint32_t)(c->off + 4));
	if (c->full)
		return 0;
	le32(c->buf + 4, (uint32_t)c->off);
	return c->off;
}

size_t
pcapng_shb(uint8_t *buf, size_t len, const char *userappl)
{
	struct cur c;
	size_t opts;

	block_start(&c, buf, len, PCAPNG_BT_SHB);
	put32(&c, PCAPNG_BYTE_ORDER_MAGIC);
	put16(&c, 1);			/* major version */
	put16(&c, 0);			/* minor version */
	put64(&c, UINT64_MAX);		/* section length: not given */
	opts = c.off;
	opt_str(&c, SHB_USERAPPL, userappl);
	return block_end(&c, opts);
}

size_t
pcapng_idb(uint8_t *buf, size_t len, uint16_t linktype, uint32_t snaplen,
    const char *name, const char *desc)
{
	struct cur c;
	size_t opts;
	uint8_t tsresol[4] = { TSRESOL_NS, 0, 0, 0 };

	block_start(&c, buf, len, PCAPNG_BT_IDB);
	put16(&c, linktype);
	put16(&c, 0);			/* reserved */
	put32(&c, snaplen);
	opts = c.off;
	opt_str(&c, IDB_NAME, name);
	opt_str(&c, IDB_DESCRIPTION, desc);
	put16(&c, IDB_TSRESOL);
	put16(&c, 1);
	put(&c, tsresol, sizeof(tsresol));
	return block_end(&c, opts);
}

size_t
pcapng_isb(uint8_t *buf, size_t len, uint32_t ifid, const struct pcapng_isb *s)
{
	struct cur c;
	size_t opts;

	block_start(&c, buf, len, PCAPNG_BT_ISB);
	put32(&c, ifid);
	put_ts(&c, s->time_ns);
	opts = c.off;
	opt_str(&c, OPT_COMMENT, s->comment);
	opt_ts(&c, ISB_STARTTIME, s->start_ns);
	opt_ts(&c, ISB_ENDTIME, s->end_ns);
	opt_u64(&c, ISB_IFRECV, s->ifrecv);
	opt_u64(&c, ISB_IFDROP, s->ifdrop);
	opt_u64(&c, ISB_OSDROP, s->osdrop);
	opt_u64(&c, ISB_USRDELIV, s->usrdeliv);
	return block_end(&c, opts);
}

uint32_t
pcapng_epb_len(uint32_t caplen)
{
	return PCAPNG_EPB_HDR_LEN + caplen + pad4(caplen) + 4;
}

void
pcapng_epb_hdr(uint8_t *buf, uint32_t ifid, uint64_t ts_ns, uint32_t caplen,
    uint32_t wirelen)
{
	le32(buf, PCAPNG_BT_EPB);
	le32(buf + 4, pcapng_epb_len(caplen));
	le32(buf + 8, ifid);
	le32(buf + 12, (uint32_t)(ts_ns >> 32));
	le32(buf + 16, (uint32_t)ts_ns);
	le32(buf + 20, caplen);
	le32(buf + 24, wirelen);
}

size_t
pcapng_epb_trailer(uint8_t *buf, uint32_t caplen)
{
	uint32_t pad = pad4(caplen);

	memset(buf, 0, pad);
	le32(buf + pad, pcapng_epb_len(caplen));
	return pad + 4;
}
