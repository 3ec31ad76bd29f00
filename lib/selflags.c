/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The names of the selection flags; their meaning is include/dicap/select.h's.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dicap/select.h"
#include "selflags.h"

const char *
dicap_tunnel_name(uint32_t sel_flags)
{
	return (sel_flags & DICAP_SEL_TUNNEL_OUTER) ? "outer" : "inner";
}

int
dicap_tunnel_from_name(const char *name, uint32_t *sel_flags)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "inner") == 0)
		*sel_flags &= ~(uint32_t)DICAP_SEL_TUNNEL_OUTER;
	else if (strcmp(name, "outer") == 0)
		*sel_flags |= DICAP_SEL_TUNNEL_OUTER;
	else
		return -1;
	return 0;
}
