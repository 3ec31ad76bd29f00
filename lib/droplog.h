/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The log line of a refused datagram, rate-limited per counter: a warning
 * at most once a second, debug lines in between, so that a flood of
 * garbage cannot flood the log as well.  Every daemon that reads the
 * management network uses it.
 */
#ifndef LIB_DROPLOG_H
#define LIB_DROPLOG_H

#include <stdint.h>

#include "ctlmsg.h"

/*
 * Log a datagram from @from refused for @what (and @why, if not NULL), now
 * counted @count times in counter @counter.  *@last_warn_ns is the
 * counter's last warning (CLOCK_MONOTONIC), kept by the caller.
 */
void	dicap_log_drop(uint64_t *last_warn_ns, const char *counter, uint64_t count,
	    const struct dicap_addr *from, const char *what, const char *why);

#endif /* LIB_DROPLOG_H */
