/* SPDX-License-Identifier: BSD-2-Clause */
#include "replay.h"
#include "tap.h"

int
main(void)
{
	const uint64_t now = 1700000000ULL * 1000000000ULL, sec = 1000000000ULL;
	struct dicap_replay r = { 0, 0 };

	plan(12);
	is(dicap_replay_check(&r, 100, now - 40 * sec, now, 0), DICAP_REPLAY_STALE,
	    "first message with a timestamp 40 s old is stale");
	is(r.top, 0, "a stale message leaves no state");
	is(dicap_replay_check(&r, 100, now + 2 * sec, now, 0), DICAP_REPLAY_OK,
	    "first message within the skew is accepted");
	is(dicap_replay_check(&r, 100, now, now, 0), DICAP_REPLAY_DUP, "same SEQ again is a duplicate");
	is(dicap_replay_check(&r, 105, now, now, 0), DICAP_REPLAY_OK, "a higher SEQ is accepted");
	is(dicap_replay_check(&r, 103, now, now, 0), DICAP_REPLAY_OK, "a reordered SEQ inside the window is accepted");
	is(dicap_replay_check(&r, 103, now, now, 0), DICAP_REPLAY_DUP, "... once");
	is(dicap_replay_check(&r, 105 + 1000, now - 3600 * sec, now, 0), DICAP_REPLAY_OK,
	    "a known peer is judged by SEQ only, so a clock step on the sender does not matter");
	is(dicap_replay_check(&r, 105, now, now, 0), DICAP_REPLAY_OLD, "a SEQ below the window is refused");
	is(dicap_replay_check(&r, 0, now, now, 0), DICAP_REPLAY_OLD, "SEQ 0 is never valid");
	is(dicap_replay_check(&r, 1105 - 63, now, now, 0), DICAP_REPLAY_OK, "the window edge (top - 63) is inside");
	is(dicap_replay_check(&r, 1105 - 64, now, now, 0), DICAP_REPLAY_OLD, "top - 64 is outside");
	return done_testing();
}
