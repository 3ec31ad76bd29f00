/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sequence accounting of one node's batch stream (per node and analyzer:
 * the node numbers each analyzer's stream separately, +1 per batch).
 *
 * Numbers are unwrapped to 64 bits by serial arithmetic.  The stream spans
 * first..top, the lowest and highest numbers seen; every number in the span
 * that has not arrived is missing, so missing = span - unique batches, and a
 * batch that arrives after a higher one (out of order) repays its gap.
 *
 * The last SEQWIN_SLOTS numbers are remembered with the timestamp of the
 * batch's first record.  A number seen again with the same timestamp is a
 * duplicate; with another timestamp the node has restarted its stream (a
 * restarted dicapd counts from its start value again).  So is a step back
 * past the window, or forward by more than SEQWIN_RESTART_JUMP: a new
 * stream starts there, and what the old one missed is kept.
 */
#ifndef ANA_SEQWIN_H
#define ANA_SEQWIN_H

#include <stdint.h>

#define SEQWIN_SLOTS		1024
#define SEQWIN_RESTART_JUMP	(1u << 24)

enum seq_verdict {
	SEQ_FIRST,	/* the first batch of the stream */
	SEQ_NEXT,	/* top + 1 */
	SEQ_GAP,	/* beyond top + 1: *jump holds how many are missing */
	SEQ_LATE,	/* below top, not seen before: out of order */
	SEQ_DUP,	/* seen before: drop it */
	SEQ_RESTART,	/* a new stream starts here */
};

struct seqwin_slot {
	uint32_t seq;
	uint32_t used;
	uint64_t first_ts;
};

struct seqwin {
	int started;
	int64_t first, top;		/* unwrapped */
	uint64_t unique;		/* batches accepted in this stream */
	uint64_t missing_before;	/* missing in streams before a restart */
	struct seqwin_slot slot[SEQWIN_SLOTS];
};

void	seqwin_init(struct seqwin *);
/*
 * Account batch @seq whose first record has timestamp @first_ts.  Every
 * verdict but SEQ_DUP accepts the batch.  For SEQ_GAP, *@jump is the number
 * of batches skipped; otherwise 0.
 */
enum seq_verdict seqwin_check(struct seqwin *, uint32_t seq, uint64_t first_ts,
	    uint64_t *jump);
/* Batches missing so far, over all streams. */
uint64_t seqwin_missing(const struct seqwin *);
const char *seqwin_verdict_name(enum seq_verdict);

#endif /* ANA_SEQWIN_H */
