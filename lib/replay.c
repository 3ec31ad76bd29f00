/* SPDX-License-Identifier: BSD-2-Clause */
#include <time.h>

#include "replay.h"

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t
dicap_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t
dicap_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t
dicap_seq_start(void)
{
	return dicap_now_ns();
}

int
dicap_replay_check(struct dicap_replay *r, uint64_t seq, uint64_t ts_ns,
    uint64_t now_ns, uint64_t max_skew_ns)
{
	uint64_t diff;

	if (max_skew_ns == 0)
		max_skew_ns = DICAP_REPLAY_MAX_SKEW_NS;
	if (seq == 0)
		return DICAP_REPLAY_OLD;
	if (r->top == 0) {
		diff = ts_ns > now_ns ? ts_ns - now_ns : now_ns - ts_ns;
		if (diff > max_skew_ns)
			return DICAP_REPLAY_STALE;
		r->top = seq;
		r->seen = 1;
		return DICAP_REPLAY_OK;
	}
	if (seq > r->top) {
		diff = seq - r->top;
		r->seen = diff >= DICAP_REPLAY_WINDOW ? 1 : (r->seen << diff) | 1;
		r->top = seq;
		return DICAP_REPLAY_OK;
	}
	diff = r->top - seq;
	if (diff >= DICAP_REPLAY_WINDOW)
		return DICAP_REPLAY_OLD;
	if (r->seen & (1ULL << diff))
		return DICAP_REPLAY_DUP;
	r->seen |= 1ULL << diff;
	return DICAP_REPLAY_OK;
}

const char *
dicap_replay_verdict_name(int v)
{
	switch (v) {
	case DICAP_REPLAY_OK:
		return "ok";
	case DICAP_REPLAY_DUP:
		return "duplicate";
	case DICAP_REPLAY_OLD:
		return "older than the replay window";
	case DICAP_REPLAY_STALE:
		return "timestamp outside the allowed clock skew";
	}
	return "unknown";
}
