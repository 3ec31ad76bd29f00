/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny TAP emitter for the unit tests, run under prove(1).
 *
 *   plan(n);  ok(cond, "name %d", i);  is(got, expected, "name");
 *   diag("detail");  done_testing();   (or plan(NO_PLAN) ... done_testing())
 *
 * exit status of done_testing(): 0 when every test passed and the plan held.
 */
#ifndef DICAP_TAP_H
#define DICAP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define NO_PLAN (-1)

static int tap_planned = NO_PLAN;
static int tap_run;
static int tap_failed;

static inline void plan(int n)
{
	tap_planned = n;
	if (n >= 0)
		printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline int tap_vresult(int pass, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	return pass;
}

static inline int ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int pass, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vresult(pass, fmt, ap);
	va_end(ap);
	return r;
}

/* Integer equality; on failure prints both values. */
#define is(got, expected, ...) do { \
	long long is_g_ = (long long)(got), is_e_ = (long long)(expected); \
	if (!ok(is_g_ == is_e_, __VA_ARGS__)) \
		diag("     got: %lld\n#     expected: %lld", is_g_, is_e_); \
} while (0)

static inline int done_testing(void)
{
	if (tap_planned == NO_PLAN)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	fflush(stdout);
	return (tap_failed || (tap_planned != NO_PLAN && tap_planned != tap_run)) ? 1 : 0;
}

/* Skip the whole file, e.g. when not root; prove counts it as skipped. */
static inline void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(0);
}

/* Bail out: stop the whole run (prove reports it). */
static inline void bail_out(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(255);
}

#endif /* DICAP_TAP_H */
