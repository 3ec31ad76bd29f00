/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>

#include "log.h"
#include "replay.h"
#include "sockaddr.h"
#include "droplog.h"

#define DROP_WARN_INTERVAL_NS	1000000000ULL

void
dicap_log_drop(uint64_t *last_warn_ns, const char *counter, uint64_t count,
    const struct dicap_addr *from, const char *what, const char *why)
{
	uint64_t now = dicap_mono_ns();

	if (now - *last_warn_ns >= DROP_WARN_INTERVAL_NS) {
		*last_warn_ns = now;
		log_warnx("dropped a datagram from %s: %s%s%s (%s: %llu so far)",
		    dicap_addr_str(from), what, why ? ": " : "", why ? why : "",
		    counter, (unsigned long long)count);
	} else {
		log_debug("dropped a datagram from %s: %s%s%s", dicap_addr_str(from), what,
		    why ? ": " : "", why ? why : "");
	}
}
