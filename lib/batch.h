/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The header batch decoder (userspace): the analyzer's strict reader of the
 * wire format in include/dicap/batch.h.
 */
#ifndef LIB_BATCH_H
#define LIB_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "dicap/batch.h"

enum dicap_batch_err {
	DICAP_BATCHERR_OK = 0,
	DICAP_BATCHERR_SHORT,		/* shorter than the header */
	DICAP_BATCHERR_MAGIC,
	DICAP_BATCHERR_VERSION,
	DICAP_BATCHERR_FLAGS,		/* unknown flag bits */
	DICAP_BATCHERR_LENGTH,		/* header length differs from the bytes given */
	DICAP_BATCHERR_COUNT,		/* count 0, or records do not fill the batch exactly */
	DICAP_BATCHERR_REC_TRUNC,	/* a record runs past the end */
	DICAP_BATCHERR_CAPLEN,		/* caplen > wirelen, or wirelen 0 */
	DICAP_BATCHERR_MAX = DICAP_BATCHERR_CAPLEN,
};

struct dicap_batch_hdr {
	uint8_t version;
	uint8_t flags;
	uint32_t node_id;
	uint32_t seq;
	uint16_t count;
	uint16_t linktype;
	uint32_t length;
};

struct dicap_batch_rec {
	uint64_t ts_ns;
	uint16_t wirelen;
	uint16_t caplen;
	const uint8_t *data;
};

/*
 * Validate the whole batch @buf of @len bytes strictly (every record is
 * checked before the caller sees any) and fill @h.  Returns 0 or an error.
 */
int	dicap_batch_decode(const uint8_t *buf, size_t len, struct dicap_batch_hdr *h,
	    const char **why);

/*
 * For TCP framing: given at least DICAP_BATCH_HDR_LEN bytes, the length the
 * whole batch claims, or 0 if the header is already invalid.
 */
uint32_t	dicap_batch_peek_length(const uint8_t *buf, size_t len);

/*
 * Iterate records of a batch that dicap_batch_decode() accepted:
 * off starts at DICAP_BATCH_HDR_LEN; returns 1 and advances, 0 at the end.
 */
int	dicap_batch_next(const uint8_t *buf, size_t len, size_t *off, struct dicap_batch_rec *r);

const char	*dicap_batch_strerror(int err);

#endif /* LIB_BATCH_H */
