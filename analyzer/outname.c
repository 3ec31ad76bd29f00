/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "outname.h"

int
outname_has_conversion(const char *p)
{
	for (; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '\0')
			return 0;
		if (p[1] != '%')
			return 1;
		p++;
	}
	return 0;
}

void
outname_init(struct outname *o, const char *pattern, int rotate_by_time)
{
	memset(o, 0, sizeof(*o));
	o->pattern = pattern;
	o->use_time = rotate_by_time && outname_has_conversion(pattern);
}

static int
make_base(const struct outname *o, time_t start, char *buf, size_t len)
{
	struct tm tm;
	size_t n;

	if (!o->use_time) {
		n = strlen(o->pattern);
		if (n == 0 || n >= len)
			return -1;
		memcpy(buf, o->pattern, n + 1);
		return 0;
	}
	if (localtime_r(&start, &tm) == NULL)
		return -1;
	n = strftime(buf, len, o->pattern, &tm);
	return n == 0 ? -1 : 0;
}

int
outname_next(struct outname *o, time_t start, char *buf, size_t len)
{
	char base[sizeof(o->base)];
	unsigned long count = 0;
	int n;

	if (make_base(o, start, base, sizeof(base)) == -1)
		return -1;
	if (o->count > 0 && strcmp(base, o->base) == 0)
		count = o->count;
	if (count == 0)
		n = snprintf(buf, len, "%s", base);
	else
		n = snprintf(buf, len, "%s%lu", base, count);
	if (n < 0 || (size_t)n >= len)
		return -1;
	memcpy(o->base, base, sizeof(base));
	o->count = count + 1;
	return 0;
}
