// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet data forwarder (capture mode).  NOT WRITTEN YET: see STATUS.md.
 * Until then a selected frame in capture mode is counted as
 * DICAP_XDP_RINGBUF_FULL ("no room"), so the counter sum stays exact.
 */
#include "dicap.h"

int dicap_fwd_init(void)
{
	return 0;
}

void dicap_fwd_exit(void)
{
}

void dicap_fwd_capture(const struct dicap_cfg *cfg, const u8 *data,
		       unsigned int caplen, unsigned int wirelen, u64 ts)
{
	dicap_count(DICAP_XDP_RINGBUF_FULL);
}

void dicap_fwd_flush_all(void)
{
}
