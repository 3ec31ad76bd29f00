/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

#define DIGITS		"0123456789"
#define HEX_DIGITS	"0123456789abcdefABCDEF"

static const char *prog_name = "dicap";
static const char *usage_hint;
static int fail_status = 1;
static const char *option_where;

void
opt_program(const char *prog, const char *hint, int status)
{
	prog_name = prog;
	usage_hint = hint;
	fail_status = status;
}

void
opt_where(const char *where)
{
	option_where = where;
}

void
opt_verror(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog_name);
	if (option_where != NULL)
		fprintf(stderr, "%s: ", option_where);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
opt_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	opt_verror(fmt, ap);
	va_end(ap);
}

void
opt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	opt_verror(fmt, ap);
	va_end(ap);
	if (usage_hint != NULL)
		fprintf(stderr, "%s\n", usage_hint);
	exit(fail_status);
}

int
opt_parse_number(const char *s, const char **end, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	const char *digits = DIGITS;
	int base = 10;
	size_t n;
	char buf[32];

	/* strtoull() alone would also take space, a sign, and 010 as octal 8. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
		digits = HEX_DIGITS;
	}
	n = strspn(s, digits);
	if (n == 0 || (end == NULL && s[n] != '\0'))
		return OPT_NOT_NUMBER;
	/* Leading zeros are no overflow; a copy keeps a suffix out of strtoull(). */
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	if (n >= sizeof(buf))
		return OPT_RANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, NULL, base);
	if (errno != 0 || v < lo || v > hi)
		return OPT_RANGE;
	if (end != NULL)
		*end = s + n;
	*out = v;
	return OPT_OK;
}

int
opt_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;
	int rc = opt_parse_number(s, NULL, lo, hi, &v);

	if (rc == OPT_OK)
		*out = (uint32_t)v;
	return rc;
}

uint64_t
opt_number_prefix(const char *opt, const char *s, const char **end, uint64_t lo, uint64_t hi)
{
	uint64_t v;

	switch (opt_parse_number(s, end, lo, hi, &v)) {
	case OPT_OK:
		return v;
	case OPT_RANGE:
		opt_fail("%s %s is out of range (%llu..%llu)", opt, s, (unsigned long long)lo,
			 (unsigned long long)hi);
	default:
		opt_fail("%s %s is not a number", opt, s);
	}
}

uint64_t
opt_number(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	return opt_number_prefix(opt, s, NULL, lo, hi);
}
