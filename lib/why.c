/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "why.h"

static __thread char why_buf[192];

int
dicap_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return err;
}

void
dicap_why_clear(void)
{
	why_buf[0] = '\0';
}

const char *
dicap_why(void)
{
	return why_buf;
}
