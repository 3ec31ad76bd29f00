/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names of the selection flags (DICAP_SEL_* of include/dicap/select.h, the
 * control protocol's SELECT_FLAGS) for options, status output and logs:
 * "inner" (0) or "outer" (DICAP_SEL_TUNNEL_OUTER), how the hash modes treat
 * tunnels.
 */
#ifndef LIB_SELFLAGS_H
#define LIB_SELFLAGS_H

#include <stdint.h>

/* "outer" if @sel_flags has DICAP_SEL_TUNNEL_OUTER, else "inner". */
const char	*dicap_tunnel_name(uint32_t sel_flags);

/*
 * "inner" or "outer" into the DICAP_SEL_TUNNEL_OUTER bit of @sel_flags
 * (other bits are kept); 0, or -1 for any other @name (@sel_flags unchanged).
 */
int	dicap_tunnel_from_name(const char *name, uint32_t *sel_flags);

#endif /* LIB_SELFLAGS_H */
