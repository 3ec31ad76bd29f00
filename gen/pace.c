/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rate control: a token bucket on CLOCK_MONOTONIC.  The sender asks for a
 * batch and gets as many frames as have accrued, so at low rates frames go
 * one by one at the right times and at high rates in batches (a syscall per
 * frame would cap the rate long before the link does).
 */
#include <errno.h>
#include <time.h>

#include "gen.h"

uint64_t
gen_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
gen_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
gen_hash64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t
gen_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ull;
	return gen_hash64(*state);
}

void
pace_init(struct pace *p, double rate, unsigned batch)
{
	p->rate = rate;
	p->tokens = 1;
	/*
	 * Up to 10 ms worth of tokens may pile up while the sender oversleeps
	 * or is preempted, so the average rate survives short stalls (a busy
	 * 2-core machine preempts for a few ms many times a second); a longer
	 * stall lowers the average instead of turning into a long burst.
	 */
	p->burst = rate / 100 > batch ? rate / 100 : batch;
	p->last_ns = gen_mono_ns();
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !gen_stop)
		;
}

unsigned
pace_take(struct pace *p, unsigned want)
{
	uint64_t now;
	unsigned n;

	if (p->rate <= 0)
		return gen_stop ? 0 : want;
	while (!gen_stop) {
		now = gen_mono_ns();
		p->tokens += (double)(now - p->last_ns) * p->rate / 1e9;
		p->last_ns = now;
		if (p->tokens > p->burst)
			p->tokens = p->burst;
		if (p->tokens >= 1) {
			n = p->tokens < want ? (unsigned)p->tokens : want;
			p->tokens -= n;
			return n;
		}
		sleep_ns((uint64_t)((1 - p->tokens) * 1e9 / p->rate) + 1);
	}
	return 0;
}

unsigned
pace_take_all(struct pace *p, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		got += pace_take(p, n - got);
		if (gen_stop)
			return 0;
	}
	return n;
}
