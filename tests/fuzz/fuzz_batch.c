/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Batch decoder fuzzer.  A batch that decodes must iterate to records that
 * exactly cover it, agree with peek_length, and be rebuilt byte for byte
 * by the writer from its own records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

static void
check_rebuild(const uint8_t *data, size_t size, const struct dicap_batch_hdr *h)
{
	static uint8_t buf[DICAP_BATCH_MAX_LEN];
	struct dicap_batch_writer w;
	struct dicap_batch_rec r;
	size_t off = DICAP_BATCH_HDR_LEN;

	dicap_batch_begin(&w, buf, sizeof(buf));
	while (dicap_batch_next(data, size, &off, &r))
		CHECK(dicap_batch_add(&w, r.ts_ns, r.wirelen, r.data, r.caplen) == 0);
	CHECK(dicap_batch_finish(&w, h->node_id, h->seq, h->linktype, h->flags) == size);
	CHECK(!memcmp(buf, data, size));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicap_batch_hdr h;
	struct dicap_batch_rec r;
	const char *why = NULL;
	size_t off = DICAP_BATCH_HDR_LEN, covered = DICAP_BATCH_HDR_LEN;
	uint32_t n = 0;
	int err;

	err = dicap_batch_decode(data, size, &h, &why);
	CHECK(err >= 0 && err <= DICAP_BATCHERR_MAX && why && why[0]);
	if (err != DICAP_BATCHERR_OK)
		return 0;
	CHECK(h.length == size && h.count > 0 && size <= DICAP_BATCH_MAX_LEN);
	CHECK(dicap_batch_peek_length(data, size) == size);
	while (dicap_batch_next(data, size, &off, &r)) {
		CHECK(r.wirelen > 0 && r.caplen <= r.wirelen);
		CHECK(r.data == data + covered + DICAP_BATCH_REC_HDR_LEN);
		covered += DICAP_BATCH_REC_HDR_LEN + r.caplen;
		CHECK(off == covered);
		n++;
	}
	CHECK(n == h.count && covered == size);
	check_rebuild(data, size, &h);
	return 0;
}
