/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dicap:IFACE gate's guard against the realtime clock stepping back
 * (pcap-dicap/pcap-dicap-clock.h): a step back after a check is seen, so
 * frames stamped by the stepped clock are not passed unchecked; slewing
 * at up to 500 ppm and a clock step forward are not taken for one.
 */
#include <stdint.h>
#include "pcap-dicap/pcap-dicap-clock.h"
#include "tap.h"

#define S	1000000000ULL
#define MS	1000000ULL

int
main(void)
{
	/* A check at realtime 1.7e9 s, 100 s after boot. */
	struct dicap_clock_pair then = { 1700000000ULL * S, 100 * S }, now;

	plan(8);
	now = then;
	ok(!dicap_clock_stepped_back(&then, &now), "no time passed: no step");
	now.real_ns = then.real_ns + 5 * S;
	now.mono_ns = then.mono_ns + 5 * S;
	ok(!dicap_clock_stepped_back(&then, &now), "both clocks ran 5 s: no step");
	now.real_ns = then.real_ns + 5 * S - 5 * S / 2000;
	ok(!dicap_clock_stepped_back(&then, &now), "realtime slewed 500 ppm slow: no step");
	now.real_ns = then.real_ns + 5 * S + 3600 * S;
	ok(!dicap_clock_stepped_back(&then, &now), "a step forward of an hour: no step back");
	now.real_ns = then.real_ns + 5 * S - 1 * S;
	ok(dicap_clock_stepped_back(&then, &now), "a step back of 1 s after 5 s is seen");
	now.real_ns = then.real_ns + 5 * S - 5 * MS;
	ok(dicap_clock_stepped_back(&then, &now), "a step back of 5 ms after 5 s is seen");
	now.real_ns = then.real_ns - 3600 * S;
	now.mono_ns = then.mono_ns + 1 * MS;
	ok(dicap_clock_stepped_back(&then, &now), "a step back of an hour 1 ms later is seen");
	now.real_ns = then.real_ns - 60 * S;
	now.mono_ns = then.mono_ns;
	ok(dicap_clock_stepped_back(&then, &now), "a step back at once is seen");
	return done_testing();
}
