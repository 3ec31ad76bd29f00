/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The free-text values of dicap-coord's options, parsed without exiting
 * (coord.c turns an error into a message naming the option), so that
 * tests/fuzz/fuzz_options.c reaches them.
 */
#ifndef COORD_OPTIONS_H
#define COORD_OPTIONS_H

#include <stdint.h>

#include "ctlmsg.h"
#include "opt.h"

enum {
	OPTVAL_OK = 0,
	OPTVAL_NOT_NUMBER = OPT_NOT_NUMBER,
	OPTVAL_RANGE = OPT_RANGE,
	OPTVAL_PORT_ZERO = -3,
	OPTVAL_NOT_ADDR = -4,
	OPTVAL_NOT_WEIGHT = -5,
	OPTVAL_NOT_MODE = -6,
	OPTVAL_NOT_TUNNEL = -7,
};

/*
 * opt_parse_number() of the whole of @s into 32 bits: OPTVAL_OK,
 * OPTVAL_NOT_NUMBER or OPTVAL_RANGE.
 */
int coord_parse_number(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);

/*
 * ADDR:PORT, or ADDR alone with @port (0: the port is required):
 * OPTVAL_OK, OPTVAL_PORT_ZERO or OPTVAL_NOT_ADDR.
 */
int coord_parse_address(const char *s, uint16_t port, struct dicap_addr *a);

/*
 * --weight ID=WEIGHT, WEIGHT in 1..DICAP_MAX_WEIGHT: OPTVAL_OK,
 * OPTVAL_NOT_WEIGHT (no '=' or no ID), or the number error of either part.
 */
int coord_parse_weight(const char *s, uint32_t *node_id, uint16_t *weight);

/*
 * --select rr|ipid|packet|flow|host: OPTVAL_OK with the enum dicap_mode in
 * @mode, or OPTVAL_NOT_MODE.
 */
int coord_parse_select(const char *s, int *mode);

/*
 * --tunnel inner|outer: OPTVAL_OK with DICAP_SEL_TUNNEL_OUTER set in or
 * cleared from @sel_flags, or OPTVAL_NOT_TUNNEL (@sel_flags unchanged).
 */
int coord_parse_tunnel(const char *s, uint32_t *sel_flags);

#endif /* COORD_OPTIONS_H */
