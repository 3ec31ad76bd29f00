/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The analyzer's sequence accounting (analyzer/seqwin.c) on a node's batch
 * numbers and first-record timestamps as the network delivers them: any
 * order, repeats, wraps, restarts.  Each input is a run of 6-byte records:
 * a signed 32-bit step from the previous number and a 16-bit timestamp.
 * Every verdict must move the missing count by exactly what it claims.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/seqwin.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seqwin w;
	uint64_t jump, before, after;
	int64_t first_before;
	enum seq_verdict v;
	uint32_t seq = 0xfffffff0u;	/* near the wrap from the start */
	int32_t step;
	uint16_t ts;

	seqwin_init(&w);
	for (; size >= 6; data += 6, size -= 6) {
		memcpy(&step, data, 4);
		memcpy(&ts, data + 4, 2);
		seq += (uint32_t)step;
		before = seqwin_missing(&w);
		first_before = w.first;
		v = seqwin_check(&w, seq, ts, &jump);
		after = seqwin_missing(&w);
		CHECK(strcmp(seqwin_verdict_name(v), "?") != 0);
		CHECK(w.started && w.first <= w.top && w.unique >= 1 &&
		    w.unique <= (uint64_t)(w.top - w.first + 1));
		CHECK(v == SEQ_GAP ? jump >= 1 && jump < SEQWIN_GAP_MAX : jump == 0);
		switch (v) {
		case SEQ_FIRST:
		case SEQ_RESTART:
		case SEQ_RESET:
			CHECK(w.first == w.top && w.unique == 1 && after == before);
			break;
		case SEQ_NEXT:
		case SEQ_DUP:
			CHECK(after == before);
			break;
		case SEQ_GAP:
			CHECK(after == before + jump);
			break;
		case SEQ_LATE:
			if (w.first == first_before)
				CHECK(after + 1 == before);
			else
				CHECK(w.first < first_before &&
				    after == before + (uint64_t)(first_before - w.first) - 1);
			break;
		}
	}
	return 0;
}
