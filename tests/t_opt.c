/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/opt.c: the whole-number parser the programs share, and the way
 * their command-line errors end (message, hint and exit status, checked
 * in a child process).
 */
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "tap.h"

/*
 * Run opt_number(@opt, @s, @lo, @hi) in a child that exits through
 * opt_fail(): its stderr into @err, its exit status returned (-1 if it
 * returned instead, or did not exit).
 */
static int
fail_in_child(const char *hint, int status, const char *opt, const char *s, uint64_t lo,
	      uint64_t hi, char *err, size_t errlen)
{
	int fds[2], ws;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(fds) == -1)
		bail_out("pipe");
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		bail_out("fork");
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		opt_program("t_opt", hint, status);
		opt_number(opt, s, lo, hi);
		_exit(100);
	}
	close(fds[1]);
	while ((n = read(fds[0], err + got, errlen - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = '\0';
	close(fds[0]);
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) == 100)
		return -1;
	return WEXITSTATUS(ws);
}

int
main(void)
{
	const char *end = NULL;
	uint64_t v = 0;
	uint32_t v32 = 0;
	char err[512];
	int rc;

	plan(17);
	ok(opt_parse_number("1000", NULL, 10, 60000, &v) == OPT_OK && v == 1000,
	   "a decimal number");
	ok(opt_parse_number("0x1F", NULL, 0, UINT64_MAX, &v) == OPT_OK && v == 31 &&
	   opt_parse_number("0Xff", NULL, 0, UINT64_MAX, &v) == OPT_OK && v == 255,
	   "0x and 0X hex numbers");
	ok(opt_parse_number("010", NULL, 0, 100, &v) == OPT_OK && v == 10,
	   "a leading zero is decimal, not octal");
	ok(opt_parse_number(" 5", NULL, 0, 100, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("+5", NULL, 0, 100, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("-1", NULL, 0, 100, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("5 ", NULL, 0, 100, &v) == OPT_NOT_NUMBER,
	   "space and signs are not numbers");
	ok(opt_parse_number("", NULL, 0, 100, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("0x", NULL, 0, 100, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("0x0x5", NULL, 0, 100, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("12a", NULL, 0, 100, &v) == OPT_NOT_NUMBER,
	   "empty, a bare 0x, 0x0x5 and trailing letters are not numbers");
	v = 77;
	ok(opt_parse_number("9", NULL, 10, 20, &v) == OPT_RANGE &&
	   opt_parse_number("21", NULL, 10, 20, &v) == OPT_RANGE && v == 77,
	   "outside [lo, hi]: out of range, and the result is left alone");
	ok(opt_parse_number("10", NULL, 10, 20, &v) == OPT_OK && v == 10 &&
	   opt_parse_number("20", NULL, 10, 20, &v) == OPT_OK && v == 20,
	   "lo and hi themselves are in range");
	ok(opt_parse_number("18446744073709551615", NULL, 0, UINT64_MAX, &v) == OPT_OK &&
	   v == UINT64_MAX &&
	   opt_parse_number("0xffffffffffffffff", NULL, 0, UINT64_MAX, &v) == OPT_OK &&
	   v == UINT64_MAX, "2^64-1, decimal and hex");
	ok(opt_parse_number("18446744073709551616", NULL, 0, UINT64_MAX, &v) == OPT_RANGE &&
	   opt_parse_number("0x10000000000000000", NULL, 0, UINT64_MAX, &v) == OPT_RANGE &&
	   opt_parse_number("1234567890123456789012345678901234567890", NULL, 0, UINT64_MAX,
			    &v) == OPT_RANGE,
	   "past 64 bits is out of range, not wrapped");
	ok(opt_parse_number("0000000000000000000000000000000000000042", NULL, 0, 100, &v) ==
	   OPT_OK && v == 42, "leading zeros do not make a number too long");
	ok(opt_parse_number("64k", &end, 1, 1000, &v) == OPT_OK && v == 64 &&
	   strcmp(end, "k") == 0, "with @end: a suffix may follow, *end points at it");
	ok(opt_parse_number("64", &end, 1, 1000, &v) == OPT_OK && *end == '\0' &&
	   opt_parse_number("k", &end, 1, 1000, &v) == OPT_NOT_NUMBER &&
	   opt_parse_number("0xk", &end, 1, 1000, &v) == OPT_NOT_NUMBER,
	   "with @end: no suffix is fine, a suffix alone is not a number");
	ok(opt_parse_u32("4294967295", 0, UINT32_MAX, &v32) == OPT_OK && v32 == UINT32_MAX &&
	   opt_parse_u32("4294967296", 0, UINT32_MAX, &v32) == OPT_RANGE,
	   "opt_parse_u32: up to 2^32-1");
	is(opt_number("--n", "0x10", 0, 100), 16, "opt_number returns the value");

	rc = fail_in_child(NULL, 1, "--snaplen", "abc", 1, 9, err, sizeof(err));
	if (!ok(rc == 1 && strcmp(err, "t_opt: --snaplen abc is not a number\n") == 0,
		"not a number: \"PROG: OPT VALUE is not a number\", exit 1"))
		diag("exit %d, stderr '%s'", rc, err);
	rc = fail_in_child(NULL, 1, "-C", "0", 1, 1000000000, err, sizeof(err));
	if (!ok(rc == 1 && strcmp(err, "t_opt: -C 0 is out of range (1..1000000000)\n") == 0,
		"out of range: the message names the range"))
		diag("exit %d, stderr '%s'", rc, err);
	rc = fail_in_child("Try 'prog --help'.", 2, "--x", "-1", 0, 5, err, sizeof(err));
	if (!ok(rc == 2 && strcmp(err, "t_opt: --x -1 is not a number\nTry 'prog --help'.\n") == 0,
		"the hint follows the message, and the exit status is the one set"))
		diag("exit %d, stderr '%s'", rc, err);
	return done_testing();
}
