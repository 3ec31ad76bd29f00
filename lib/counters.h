/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef LIB_COUNTERS_H
#define LIB_COUNTERS_H

#include <stdint.h>

#include "dicap/coord_counters.h"
#include "dicap/node_counters.h"

/* A counter's name by index (or, last, by wire id), or NULL if unknown. */
const char	*coord_counter_name(int);
const char	*dp_counter_name(int);
const char	*agent_counter_name(int);
const char	*coord_node_counter_name(int);
const char	*node_counter_wire_name(uint16_t);

#endif /* LIB_COUNTERS_H */
