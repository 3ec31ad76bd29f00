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
 * past the window, or forward by more than SEQWIN_GAP_MAX: a new stream
 * starts there, and what the old one missed is kept.
 *
 * SEQWIN_GAP_MAX bounds what one batch can claim as lost: a header batch
 * carries no authentication, and a forged number far ahead of a node's
 * stream must not add millions of missing batches (issue 14).  A jump
 * beyond it is not trusted as loss: the stream is reset there and the
 * reset counted (out_of_window), so a real outage longer than
 * SEQWIN_GAP_MAX batches shows as a reset, not as its loss.  2^16 batches
 * are about a second of a node at a million records per second.
 */
#ifndef ANA_SEQWIN_H
#define ANA_SEQWIN_H

#include <stdint.h>

#define SEQWIN_SLOTS		1024
#define SEQWIN_GAP_MAX		(1u << 16)

enum seq_verdict {
	SEQ_FIRST,	/* the first batch of the stream */
	SEQ_NEXT,	/* top + 1 */
	SEQ_GAP,	/* beyond top + 1: *jump holds how many are missing */
	SEQ_LATE,	/* below top, not seen before: out of order */
	SEQ_DUP,	/* seen before: drop it */
	SEQ_RESTART,	/* a new stream starts here */
	SEQ_RESET,	/* out of the window: a new stream starts here */
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
	uint64_t out_of_window;		/* SEQ_RESET verdicts */
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
