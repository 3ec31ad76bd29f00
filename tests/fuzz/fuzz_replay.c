/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replay protection (lib/replay.c) on the SEQ and TIMESTAMP of messages
 * as an attacker may send them.  Each input is a run of 3-byte records: a
 * signed 16-bit step of SEQ from the highest accepted one, and the clock
 * skew of TIMESTAMP in quarter seconds.  Checked against a plain model: a
 * SEQ is accepted at most once, never below the window, and the first one
 * only within the skew.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)
#define MAX_SEEN	4096
#define NOW_NS		(1700000000ULL * 1000000000ULL)

static uint64_t seen[MAX_SEEN];
static size_t n_seen;

static int
was_seen(uint64_t seq)
{
	size_t i;

	for (i = 0; i < n_seen; i++)
		if (seen[i] == seq)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicap_replay r = { 0, 0 };
	uint64_t seq, top = 0, ts;
	int16_t step;
	int8_t skew;
	int v;

	n_seen = 0;
	for (; size >= 3 && n_seen < MAX_SEEN; data += 3, size -= 3) {
		memcpy(&step, data, 2);
		skew = (int8_t)data[2];
		seq = (top ? top : NOW_NS) + (uint64_t)(int64_t)step;
		ts = NOW_NS + (uint64_t)((int64_t)skew * 250000000LL);
		v = dicap_replay_check(&r, seq, ts, NOW_NS, 0);
		CHECK(strcmp(dicap_replay_verdict_name(v), "unknown") != 0);
		switch (v) {
		case DICAP_REPLAY_OK:
			CHECK(seq != 0 && !was_seen(seq));
			CHECK(top != 0 || (uint64_t)(skew < 0 ? -skew : skew) * 250000000ULL <=
			    DICAP_REPLAY_MAX_SKEW_NS);
			CHECK(top == 0 || seq + DICAP_REPLAY_WINDOW > top);
			seen[n_seen++] = seq;
			if (seq > top)
				top = seq;
			break;
		case DICAP_REPLAY_DUP:
			CHECK(was_seen(seq));
			break;
		case DICAP_REPLAY_OLD:
			CHECK(top != 0 && seq + DICAP_REPLAY_WINDOW <= top);
			break;
		case DICAP_REPLAY_STALE:
			CHECK(top == 0);
			break;
		default:
			abort();
		}
		CHECK(r.top == top);
	}
	return 0;
}
