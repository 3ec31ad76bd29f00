/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "seqwin.h"

void
seqwin_init(struct seqwin *w)
{
	memset(w, 0, sizeof(*w));
}

static struct seqwin_slot *
slot_of(struct seqwin *w, int64_t ext)
{
	return &w->slot[(uint64_t)ext % SEQWIN_SLOTS];
}

static void
remember(struct seqwin *w, int64_t ext, uint32_t seq, uint64_t first_ts)
{
	struct seqwin_slot *s = slot_of(w, ext);

	s->seq = seq;
	s->used = 1;
	s->first_ts = first_ts;
	w->unique++;
}

static uint64_t
stream_missing(const struct seqwin *w)
{
	if (!w->started)
		return 0;
	return (uint64_t)(w->top - w->first + 1) - w->unique;
}

/*
 * Unwrapped numbers start high enough that a stream stepping back from its
 * first number never goes below zero (slot_of() takes them unsigned).
 */
#define SEQWIN_BASE	((int64_t)1 << 40)

static enum seq_verdict
start_stream(struct seqwin *w, uint32_t seq, uint64_t first_ts)
{
	enum seq_verdict v = w->started ? SEQ_RESTART : SEQ_FIRST;

	w->missing_before += stream_missing(w);
	memset(w->slot, 0, sizeof(w->slot));
	w->started = 1;
	w->first = w->top = SEQWIN_BASE + seq;
	w->unique = 0;
	remember(w, w->top, seq, first_ts);
	return v;
}

static enum seq_verdict
reset_stream(struct seqwin *w, uint32_t seq, uint64_t first_ts)
{
	start_stream(w, seq, first_ts);
	w->out_of_window++;
	return SEQ_RESET;
}

enum seq_verdict
seqwin_check(struct seqwin *w, uint32_t seq, uint64_t first_ts, uint64_t *jump)
{
	struct seqwin_slot *s;
	int32_t d;
	int64_t ext;

	*jump = 0;
	if (!w->started)
		return start_stream(w, seq, first_ts);
	d = (int32_t)(seq - (uint32_t)w->top);
	ext = w->top + d;
	if (d > 0) {
		if ((uint32_t)d > SEQWIN_GAP_MAX)
			return reset_stream(w, seq, first_ts);
		w->top = ext;
		remember(w, ext, seq, first_ts);
		*jump = (uint64_t)d - 1;
		return d == 1 ? SEQ_NEXT : SEQ_GAP;
	}
	if (-(int64_t)d >= SEQWIN_SLOTS)
		return reset_stream(w, seq, first_ts);
	s = slot_of(w, ext);
	if (s->used && s->seq == seq)
		return s->first_ts == first_ts ? SEQ_DUP : start_stream(w, seq, first_ts);
	if (ext < w->first)
		w->first = ext;
	remember(w, ext, seq, first_ts);
	return SEQ_LATE;
}

uint64_t
seqwin_missing(const struct seqwin *w)
{
	return w->missing_before + stream_missing(w);
}

const char *
seqwin_verdict_name(enum seq_verdict v)
{
	static const char *const names[] = {
		[SEQ_FIRST] = "first", [SEQ_NEXT] = "next", [SEQ_GAP] = "gap",
		[SEQ_LATE] = "late", [SEQ_DUP] = "duplicate", [SEQ_RESTART] = "restart",
		[SEQ_RESET] = "reset",
	};

	if ((unsigned)v >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[v];
}
