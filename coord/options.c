/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "dicap/select.h"
#include "bucket_table.h"
#include "selflags.h"
#include "options.h"

int
coord_parse_number(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	return opt_parse_u32(s, lo, hi, out);
}

int
coord_parse_address(const char *s, uint16_t port, struct dicap_addr *a)
{
	char buf[128];

	if (dicap_addr_parse(s, a) == 0)
		return a->port == 0 ? OPTVAL_PORT_ZERO : OPTVAL_OK;
	if (port != 0 && snprintf(buf, sizeof(buf), "%s:%u", s, port) < (int)sizeof(buf) &&
	    dicap_addr_parse(buf, a) == 0)
		return OPTVAL_OK;
	return OPTVAL_NOT_ADDR;
}

int
coord_parse_weight(const char *s, uint32_t *node_id, uint16_t *weight)
{
	const char *eq = strchr(s, '=');
	uint32_t w;
	char id[32];
	int rc;

	if (eq == NULL || eq == s || (size_t)(eq - s) >= sizeof(id))
		return OPTVAL_NOT_WEIGHT;
	memcpy(id, s, (size_t)(eq - s));
	id[eq - s] = '\0';
	if ((rc = coord_parse_number(id, 0, UINT32_MAX, node_id)) != OPTVAL_OK)
		return rc;
	if ((rc = coord_parse_number(eq + 1, 1, DICAP_MAX_WEIGHT, &w)) != OPTVAL_OK)
		return rc;
	*weight = (uint16_t)w;
	return OPTVAL_OK;
}

int
coord_parse_select(const char *s, int *mode)
{
	int m = dicap_mode_from_name(s);

	if (m < 0)
		return OPTVAL_NOT_MODE;
	*mode = m;
	return OPTVAL_OK;
}

int
coord_parse_tunnel(const char *s, uint32_t *sel_flags)
{
	return dicap_tunnel_from_name(s, sel_flags) == 0 ? OPTVAL_OK : OPTVAL_NOT_TUNNEL;
}
