/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The gate's guard against the realtime clock stepping back.  Frame time
 * stamps are CLOCK_REALTIME (the kernel's; libpcap gives no other), so the
 * gate compares them with the realtime clock read at its last check; a
 * step back of D after a check would make the frames of the next D look
 * older than the check and pass unchecked.  Slewing cannot do that (at
 * most 500 ppm, so a later frame still gets a later stamp); a step shows
 * as the offset CLOCK_REALTIME - CLOCK_MONOTONIC shrinking faster than
 * any slew, and then the gate checks again.  In a header of its own so
 * that tests/t_pcap_clock.c tests it without libpcap's internals.
 */
#ifndef PCAP_DICAP_CLOCK_H
#define PCAP_DICAP_CLOCK_H

#include <stdint.h>

#define DICAP_SLEW_DIV		2000		/* 500 ppm: adjtimex's largest slew */
#define DICAP_CLOCK_SLACK_NS	10000ULL	/* two clock reads are not one instant */

/* The realtime clock seen against the monotonic one, at one instant. */
struct dicap_clock_pair {
	uint64_t real_ns;
	uint64_t mono_ns;
};

/*
 * 1 if the realtime clock went back, by more than slew explains, between
 * then (the gate's last check) and now.  A false 1 costs one more check;
 * a step back of at most DICAP_CLOCK_SLACK_NS goes unseen.
 */
static inline int
dicap_clock_stepped_back(const struct dicap_clock_pair *then,
    const struct dicap_clock_pair *now)
{
	int64_t off_then = (int64_t)(then->real_ns - then->mono_ns);
	int64_t off_now = (int64_t)(now->real_ns - now->mono_ns);
	uint64_t slew = (now->mono_ns - then->mono_ns) / DICAP_SLEW_DIV + DICAP_CLOCK_SLACK_NS;

	return off_then - off_now > (int64_t)slew;
}

#endif
