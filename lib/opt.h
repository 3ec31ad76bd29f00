/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every DiCAP program does with its command line alike: a fatal
 * error as "PROG: message" (and, after a usage error, a hint where to
 * look), and whole numbers in a range with one set of rules and messages.
 */
#ifndef LIB_OPT_H
#define LIB_OPT_H

#include <stdarg.h>
#include <stdint.h>

enum {
	OPT_OK = 0,
	OPT_NOT_NUMBER = -1,
	OPT_RANGE = -2,
};

/*
 * Once, before the first error: the name messages start with, a line
 * printed after them (NULL: none; "Try 'prog --help'." and the like) and
 * the exit status of opt_fail().  Until then: "dicap", no hint, status 1.
 * The strings are kept, not copied.
 */
void	opt_program(const char *prog, const char *hint, int status);

/*
 * Where the option being processed came from ("FILE:LINE"; NULL: the
 * command line): messages then read "PROG: FILE:LINE: message".  The
 * string is kept, not copied.
 */
void	opt_where(const char *where);

/* "PROG: message" on stderr. */
void	opt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	opt_verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* opt_error(), the hint if there is one, and exit. */
void	opt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * A whole decimal number, or 0x and hex digits, in [lo, hi]: OPT_OK,
 * OPT_NOT_NUMBER or OPT_RANGE (also on overflow).  No sign, space or
 * octal.  With @end NULL the number is the whole of @s; otherwise it may
 * be followed by anything that is not a digit of its base (a unit suffix),
 * and *end is set there.  *out is only set on OPT_OK.
 */
int	opt_parse_number(const char *s, const char **end, uint64_t lo, uint64_t hi,
	    uint64_t *out);

/* opt_parse_number() of the whole of @s, into 32 bits. */
int	opt_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);

/*
 * opt_parse_number() of the whole of @s, or opt_fail() with
 * "OPT S is not a number" or "OPT S is out of range (LO..HI)".
 */
uint64_t	opt_number(const char *opt, const char *s, uint64_t lo, uint64_t hi);

/* The same with a suffix allowed after the number, as opt_parse_number(). */
uint64_t	opt_number_prefix(const char *opt, const char *s, const char **end, uint64_t lo,
	    uint64_t hi);

#endif /* LIB_OPT_H */
