/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "datapath.h"

/* The one list of datapaths: adding one ("xdp") is one line here. */
static const struct datapath_ops *const datapaths[] = {
	&datapath_xdp,
	&datapath_kmod,
	&datapath_none,
};

#define N_DATAPATHS	(sizeof(datapaths) / sizeof(datapaths[0]))

const struct datapath_ops *
datapath_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_DATAPATHS; i++)
		if (strcmp(datapaths[i]->name, name) == 0)
			return datapaths[i];
	return NULL;
}

const char *
datapath_names(void)
{
	static char names[128];
	size_t i, off = 0;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < N_DATAPATHS && off < sizeof(names); i++)
		off += snprintf(names + off, sizeof(names) - off, "%s%s",
		    i ? ", " : "", datapaths[i]->name);
	return names;
}
