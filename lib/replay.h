/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replay protection for authenticated control messages.
 *
 * Every sender numbers its messages with a 64-bit SEQ that starts at its
 * CLOCK_REALTIME in nanoseconds when the process starts and then only
 * counts up, so a restarted sender continues above its old numbers and a
 * later clock step does not matter.  A receiver keeps, per peer, the highest
 * SEQ seen and a 64-message window below it (messages may be reordered).
 * A peer the receiver has no state for is accepted only if the message's
 * TIMESTAMP is within the allowed clock skew of the receiver's clock; this
 * bounds how old a replayed first message can be.
 */
#ifndef LIB_REPLAY_H
#define LIB_REPLAY_H

#include <stdint.h>

#define DICAP_REPLAY_WINDOW		64
#define DICAP_REPLAY_MAX_SKEW_NS	(30ULL * 1000000000ULL)

struct dicap_replay {
	uint64_t top;		/* highest SEQ accepted; 0 = no state yet */
	uint64_t seen;		/* bit i: top - i was accepted */
};

enum dicap_replay_verdict {
	DICAP_REPLAY_OK = 0,
	DICAP_REPLAY_DUP,	/* already seen */
	DICAP_REPLAY_OLD,	/* below the window */
	DICAP_REPLAY_STALE,	/* first message with a timestamp outside the skew */
};

/*
 * Check SEQ @seq with sender timestamp @ts_ns against @r at receiver time
 * @now_ns; on DICAP_REPLAY_OK the state is updated.  @max_skew_ns 0 means
 * DICAP_REPLAY_MAX_SKEW_NS.
 */
int	dicap_replay_check(struct dicap_replay *r, uint64_t seq, uint64_t ts_ns,
	    uint64_t now_ns, uint64_t max_skew_ns);

const char	*dicap_replay_verdict_name(int v);

/* The first SEQ of a process: CLOCK_REALTIME in ns. */
uint64_t	dicap_seq_start(void);

/* CLOCK_REALTIME in ns. */
uint64_t	dicap_now_ns(void);

/* CLOCK_MONOTONIC in ns (timers and ages: immune to clock steps). */
uint64_t	dicap_mono_ns(void);

#endif /* LIB_REPLAY_H */
