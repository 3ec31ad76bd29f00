/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Header batch decoder (the analyzer side).  A batch is accepted only when
 * every record in it is well formed and the records fill it exactly, so the
 * iterator never has to report an error.
 */
#include "batch.h"
#include "why.h"

/* The smallest valid batch: the header and one record of zero bytes. */
#define BATCH_MIN_LEN	(DICAP_BATCH_HDR_LEN + DICAP_BATCH_REC_HDR_LEN)

static const char *const err_names[DICAP_BATCHERR_MAX + 1] = {
	[DICAP_BATCHERR_OK] = "ok",
	[DICAP_BATCHERR_SHORT] = "batch shorter than its header",
	[DICAP_BATCHERR_MAGIC] = "bad batch magic",
	[DICAP_BATCHERR_VERSION] = "unsupported batch version",
	[DICAP_BATCHERR_FLAGS] = "unknown batch flags",
	[DICAP_BATCHERR_LENGTH] = "batch length differs from the bytes received",
	[DICAP_BATCHERR_COUNT] = "record count does not match the records",
	[DICAP_BATCHERR_REC_TRUNC] = "record runs past the end of the batch",
	[DICAP_BATCHERR_CAPLEN] = "record lengths inconsistent",
};

const char *
dicap_batch_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err > DICAP_BATCHERR_MAX)
		return "unknown error";
	return err_names[err];
}

static int
check_header(const uint8_t *buf, size_t len)
{
	uint32_t claimed;

	if (len < DICAP_BATCH_HDR_LEN)
		return dicap_fail(DICAP_BATCHERR_SHORT, "%zu bytes, the header needs %d",
		    len, DICAP_BATCH_HDR_LEN);
	if (dicap_get_be16(buf) != DICAP_BATCH_MAGIC)
		return dicap_fail(DICAP_BATCHERR_MAGIC, "magic 0x%04x, expected 0x%04x",
		    dicap_get_be16(buf), DICAP_BATCH_MAGIC);
	if (buf[2] != DICAP_BATCH_VERSION)
		return dicap_fail(DICAP_BATCHERR_VERSION, "version %u, expected %d",
		    buf[2], DICAP_BATCH_VERSION);
	if (buf[3] & ~DICAP_BF_MASK)
		return dicap_fail(DICAP_BATCHERR_FLAGS, "flags 0x%02x, known 0x%02x",
		    buf[3], DICAP_BF_MASK);
	claimed = dicap_get_be32(buf + 16);
	if (claimed != len)
		return dicap_fail(DICAP_BATCHERR_LENGTH, "header says %u bytes, have %zu",
		    claimed, len);
	if (claimed > DICAP_BATCH_MAX_LEN)
		return dicap_fail(DICAP_BATCHERR_LENGTH, "length %u exceeds %d",
		    claimed, DICAP_BATCH_MAX_LEN);
	if (dicap_get_be16(buf + 12) == 0)
		return dicap_fail(DICAP_BATCHERR_COUNT, "record count 0");
	return DICAP_BATCHERR_OK;
}

static int
check_record(const uint8_t *buf, size_t len, size_t off, uint32_t i,
    uint32_t *size)
{
	uint16_t wirelen, caplen;

	if (len - off < DICAP_BATCH_REC_HDR_LEN)
		return dicap_fail(DICAP_BATCHERR_REC_TRUNC,
		    "record %u at offset %zu: header runs past the end", i, off);
	wirelen = dicap_get_be16(buf + off + 8);
	caplen = dicap_get_be16(buf + off + 10);
	if (len - off - DICAP_BATCH_REC_HDR_LEN < caplen)
		return dicap_fail(DICAP_BATCHERR_REC_TRUNC,
		    "record %u at offset %zu: %u captured bytes run past the end",
		    i, off, caplen);
	if (wirelen == 0)
		return dicap_fail(DICAP_BATCHERR_CAPLEN, "record %u: wire length 0", i);
	if (caplen > wirelen)
		return dicap_fail(DICAP_BATCHERR_CAPLEN, "record %u: caplen %u > wirelen %u",
		    i, caplen, wirelen);
	*size = dicap_batch_rec_size(caplen);
	return DICAP_BATCHERR_OK;
}

static int
check_records(const uint8_t *buf, size_t len, uint16_t count)
{
	size_t off = DICAP_BATCH_HDR_LEN;
	uint32_t i, size = 0;
	int err;

	for (i = 0; i < count; i++) {
		if (off == len)
			return dicap_fail(DICAP_BATCHERR_COUNT,
			    "header says %u records, batch holds %u", count, i);
		err = check_record(buf, len, off, i, &size);
		if (err)
			return err;
		off += size;
	}
	if (off != len)
		return dicap_fail(DICAP_BATCHERR_COUNT,
		    "%zu bytes left after the %u records the header counts",
		    len - off, count);
	return DICAP_BATCHERR_OK;
}

int
dicap_batch_decode(const uint8_t *buf, size_t len, struct dicap_batch_hdr *h,
    const char **why)
{
	int err;

	dicap_why_clear();
	if (why)
		*why = dicap_why();
	err = check_header(buf, len);
	if (err)
		return err;
	h->version = buf[2];
	h->flags = buf[3];
	h->node_id = dicap_get_be32(buf + 4);
	h->seq = dicap_get_be32(buf + 8);
	h->count = dicap_get_be16(buf + 12);
	h->linktype = dicap_get_be16(buf + 14);
	h->length = dicap_get_be32(buf + 16);
	err = check_records(buf, len, h->count);
	if (err)
		return err;
	dicap_fail(0, "ok");
	return DICAP_BATCHERR_OK;
}

uint32_t
dicap_batch_peek_length(const uint8_t *buf, size_t len)
{
	uint32_t claimed;

	if (len < DICAP_BATCH_HDR_LEN)
		return 0;
	if (dicap_get_be16(buf) != DICAP_BATCH_MAGIC || buf[2] != DICAP_BATCH_VERSION ||
	    (buf[3] & ~DICAP_BF_MASK) || dicap_get_be16(buf + 12) == 0)
		return 0;
	claimed = dicap_get_be32(buf + 16);
	if (claimed < BATCH_MIN_LEN || claimed > DICAP_BATCH_MAX_LEN)
		return 0;
	return claimed;
}

int
dicap_batch_next(const uint8_t *buf, size_t len, size_t *off, struct dicap_batch_rec *r)
{
	size_t at = *off;
	uint16_t caplen;

	/* Bounds are checked again so a misuse cannot read out of bounds. */
	if (at < DICAP_BATCH_HDR_LEN || at > len || len - at < DICAP_BATCH_REC_HDR_LEN)
		return 0;
	caplen = dicap_get_be16(buf + at + 10);
	if (len - at - DICAP_BATCH_REC_HDR_LEN < caplen)
		return 0;
	r->ts_ns = dicap_get_be64(buf + at);
	r->wirelen = dicap_get_be16(buf + at + 8);
	r->caplen = caplen;
	r->data = buf + at + DICAP_BATCH_REC_HDR_LEN;
	*off = at + dicap_batch_rec_size(caplen);
	return 1;
}
