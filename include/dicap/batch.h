/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Header batches: distributed capture mode, capture node -> packet data
 * analyzer, over UDP (one batch per datagram) or TCP (batches back to back;
 * the header's length field frames them).  The encoder is libc-free (its copy
 * is __builtin_memcpy) so the kernel module can build batches; the decoder
 * (lib/batch.h) is used by the analyzer.
 *
 *   batch header (DICAP_BATCH_HDR_LEN = 20 bytes, network order):
 *     u16 magic (DICAP_BATCH_MAGIC) | u8 version | u8 flags
 *     u32 node id
 *     u32 sequence number (per node and analyzer stream, +1 per batch)
 *     u16 record count | u16 link type (DLT_*, 1 = Ethernet)
 *     u32 length (whole batch in bytes, header included)
 *   record (DICAP_BATCH_REC_HDR_LEN = 12 bytes + caplen):
 *     u64 timestamp, ns since the Unix epoch (UTC)
 *     u16 wire length | u16 captured length
 *     captured bytes
 */
#ifndef DICAP_BATCH_H
#define DICAP_BATCH_H

#include "types.h"

#define DICAP_BATCH_MAGIC	0xD1CA
#define DICAP_BATCH_VERSION	1
#define DICAP_BATCH_HDR_LEN	20
#define DICAP_BATCH_REC_HDR_LEN	12
#define DICAP_BATCH_DEFAULT_MTU	1500
/* IPv4 (20) + UDP (8) headers inside the MTU */
#define DICAP_BATCH_DEFAULT_MAX	(DICAP_BATCH_DEFAULT_MTU - 28)
#define DICAP_BATCH_MAX_LEN	65507	/* largest UDP payload over IPv4 */
#define DICAP_SNAPLEN_DEFAULT	96

/* flags */
#define DICAP_BF_FLUSH		0x01	/* sent by the flush timer, not because full */
#define DICAP_BF_MASK		0x01

struct dicap_batch_writer {
	__u8 *buf;
	__u32 cap;	/* bytes available in buf (<= DICAP_BATCH_MAX_LEN) */
	__u32 len;	/* bytes used, header included */
	__u16 count;
};

/* Start a batch in @buf; dicap_batch_finish() writes the header fields. */
DICAP_INLINE void dicap_batch_begin(struct dicap_batch_writer *w, __u8 *buf, __u32 cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = DICAP_BATCH_HDR_LEN;
	w->count = 0;
}

/* Bytes a record of @caplen captured bytes takes. */
DICAP_INLINE __u32 dicap_batch_rec_size(__u32 caplen)
{
	return DICAP_BATCH_REC_HDR_LEN + caplen;
}

/*
 * Append a record; @caplen bytes are copied from @data.  Returns 0, or -1
 * if it does not fit (finish and send the batch, then begin a new one) or
 * @caplen exceeds @wirelen or 65535.
 */
DICAP_INLINE int dicap_batch_add(struct dicap_batch_writer *w, __u64 ts_ns,
				 __u32 wirelen, const __u8 *data, __u32 caplen)
{
	__u8 *r;

	if (caplen > wirelen || wirelen > 0xffff || w->count == 0xffff)
		return -1;
	if (w->len + dicap_batch_rec_size(caplen) > w->cap)
		return -1;
	r = w->buf + w->len;
	dicap_put_be64(r, ts_ns);
	dicap_put_be16(r + 8, (__u16)wirelen);
	dicap_put_be16(r + 10, (__u16)caplen);
	/* The writer runs in userspace and in the kernel module, never in BPF. */
	__builtin_memcpy(r + DICAP_BATCH_REC_HDR_LEN, data, caplen);
	w->len += dicap_batch_rec_size(caplen);
	w->count++;
	return 0;
}

/* Write the header; returns the batch length to send. */
DICAP_INLINE __u32 dicap_batch_finish(struct dicap_batch_writer *w, __u32 node_id,
				      __u32 seq, __u16 linktype, __u8 flags)
{
	__u8 *h = w->buf;

	dicap_put_be16(h, DICAP_BATCH_MAGIC);
	h[2] = DICAP_BATCH_VERSION;
	h[3] = flags & DICAP_BF_MASK;
	dicap_put_be32(h + 4, node_id);
	dicap_put_be32(h + 8, seq);
	dicap_put_be16(h + 12, w->count);
	dicap_put_be16(h + 14, linktype);
	dicap_put_be32(h + 16, w->len);
	return w->len;
}

#endif /* DICAP_BATCH_H */
