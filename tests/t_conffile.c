/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration files (lib/conffile.c): what a line means, what is
 * refused and how the message names the line, the file checks, and the
 * options reaching a daemon's getopt_long() loop before the command line.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "opt.h"
#include "tap.h"

enum { OPT_CONFIG = 256, OPT_HEARTBEAT, OPT_PEER, OPT_INSECURE };

static const struct option opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ NULL, 0, NULL, 0 },
};

static char dir[] = "/tmp/t_conffile.XXXXXX";

/* conf_parse() of a C string: the error, or "" and the arguments joined by '|'. */
static const char *
parse(const char *text, size_t len, char *out, size_t outlen)
{
	struct conf_file cf;
	size_t i, at = 0;

	out[0] = '\0';
	if (conf_parse(text, len, "t.conf", opts, &cf, out, outlen) == -1)
		return out;
	for (i = 0; i < cf.n && at < outlen; i++)
		at += (size_t)snprintf(out + at, outlen - at, "%s%s@%u", i ? "|" : "",
		    cf.args[i], cf.lines[i]);
	conf_free(&cf);
	return out;
}

static int
parses_to(const char *text, const char *want)
{
	char out[1024];

	parse(text, strlen(text), out, sizeof(out));
	if (strcmp(out, want) != 0)
		diag("got '%s', want '%s'", out, want);
	return strcmp(out, want) == 0;
}

static void
test_lines(void)
{
	char out[512], big[CONF_MAX_LINE + 64];

	ok(parses_to("", ""), "an empty file sets nothing");
	ok(parses_to("# comment\n\n   \t\n  # indented comment\n", ""),
	    "comments and blank lines set nothing");
	ok(parses_to("listen 127.0.0.1:7467\nforeground\n",
	    "--listen=127.0.0.1:7467@1|--foreground@2"),
	    "'name value' and a flag alone become long options, with their lines");
	ok(parses_to("\tlisten \t 1.2.3.4:5  \t\n", "--listen=1.2.3.4:5@1"),
	    "blanks around name and value are dropped");
	ok(parses_to("listen 1.2.3.4:5 # the default\nforeground # flag\n",
	    "--listen=1.2.3.4:5@1|--foreground@2"),
	    "a # after a blank starts a comment");
	ok(parses_to("listen a#b\n", "--listen=a#b@1"), "a # inside a word is the word's");
	ok(parses_to("listen \"a b\tc # d\"\n", "--listen=a b\tc # d@1"),
	    "a quoted value keeps blanks and #");
	ok(parses_to("listen \"q\\\"uote\\\\\"\n", "--listen=q\"uote\\@1"),
	    "\\\" and \\\\ in quotes are a quote and a backslash");
	ok(parses_to("listen \"\"\n", "--listen=@1"), "\"\" is an empty value");
	ok(parses_to("listen C:\\path\\x\n", "--listen=C:\\path\\x@1"),
	    "a backslash outside quotes is an ordinary character");
	ok(parses_to("listen 1\r\nforeground\r\n", "--listen=1@1|--foreground@2"),
	    "CRLF line endings");
	ok(parses_to("peer a\npeer b\nlisten x", "--peer=a@1|--peer=b@2|--listen=x@3"),
	    "options repeat in file order; the last line needs no newline");
	ok(parses_to("listen --foreground\n", "--listen=--foreground@1"),
	    "a value that looks like an option is still the value");

	ok(parses_to("foo 1\n", "t.conf:1: unknown option 'foo'"), "an unknown option");
	ok(parses_to("\n\nheart 1\n", "t.conf:3: unknown option 'heart'"),
	    "a prefix of a name is unknown (getopt would take it on the command line)");
	ok(parses_to("foreground yes\n", "t.conf:1: option 'foreground' takes no value"),
	    "a flag with a value");
	ok(parses_to("listen\n", "t.conf:1: option 'listen' needs a value"),
	    "an option without its value");
	ok(parses_to("listen # comment\n", "t.conf:1: option 'listen' needs a value"),
	    "a value that starts with # is a comment: quote it");
	ok(parses_to("listen a b\n",
	    "t.conf:1: one value only: quote a value that has blanks (\"...\")"),
	    "two words");
	ok(parses_to("listen \"a b\n", "t.conf:1: the quoted value has no closing \""),
	    "an unterminated quote");
	ok(parses_to("listen \"a\\n\"\n",
	    "t.conf:1: in a quoted value, \\ comes before \" or \\ only"), "an unknown escape");
	ok(parses_to("listen \"a\"b\n", "t.conf:1: text right after the closing \""),
	    "text after the closing quote");
	ok(parses_to("listen \"a\" b\n",
	    "t.conf:1: one value only: quote a value that has blanks (\"...\")"),
	    "a word after a quoted value");
	ok(parses_to("listen a\"b\n", "t.conf:1: a \" inside an unquoted value"),
	    "a quote inside a word");
	ok(parses_to("Listen 1\n", "t.conf:1: an option name is lower-case letters, digits and"
	    " '-' (no leading '-'), then a blank and the value"), "upper case in a name");
	ok(parses_to("--listen 1\n", "t.conf:1: an option name is lower-case letters, digits and"
	    " '-' (no leading '-'), then a blank and the value"), "a leading --");
	ok(parses_to("listen=1\n", "t.conf:1: an option name is lower-case letters, digits and"
	    " '-' (no leading '-'), then a blank and the value"), "name=value");
	ok(parses_to("config other.conf\n", "t.conf:1: 'config' belongs on the command line") &&
	    parses_to("help\n", "t.conf:1: 'help' belongs on the command line"),
	    "config and help are refused in a file");
	ok(parses_to("listen 1\nlisten \"a\033b\"\n", "t.conf:2: control character 0x1b") &&
	    parses_to("listen a\rb\n", "t.conf:1: control character 0x0d") &&
	    parses_to("listen \x7f\n", "t.conf:1: control character 0x7f"),
	    "control characters are refused, also inside quotes");
	ok(strcmp(parse("listen a\0b\n", 11, out, sizeof(out)),
	    "t.conf:1: control character 0x00") == 0, "a NUL byte is refused");
	memset(big, 'x', sizeof(big));
	memcpy(big, "listen ", 7);
	ok(strcmp(parse(big, CONF_MAX_LINE, out, sizeof(out)), "--listen=") > 0 &&
	    strncmp(out, "--listen=xxx", 12) == 0, "a line of CONF_MAX_LINE bytes is read");
	ok(strcmp(parse(big, CONF_MAX_LINE + 1, out, sizeof(out)),
	    "t.conf:1: a line is at most 4096 bytes") == 0, "a longer line is refused");
	memset(big, 'a', 80);
	big[80] = '\0';
	ok(parses_to(big, "t.conf:1: no option has a name that long"), "a very long name");
}

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		bail_out("cannot write a test file");
	close(fd);
	chmod(path, mode);
	return path;
}

static void
test_files(void)
{
	struct conf_file cf;
	char err[512], *path, *text;
	size_t i;

	path = write_file("ok.conf", "listen 1\n", 0644);
	ok(conf_read(path, opts, &cf, err, sizeof(err)) == 0 && cf.n == 1 &&
	    strcmp(cf.args[0], "--listen=1") == 0, "a file of mode 0644 is read");
	conf_free(&cf);
	path = write_file("ow.conf", "listen 1\n", 0602);
	ok(conf_read(path, opts, &cf, err, sizeof(err)) == -1 &&
	    strstr(err, "is writable by others (mode 0602)") != NULL,
	    "a file writable by others is refused: %s", err);
	path = write_file("bad.conf", "listen 1\n\nfoo\n", 0644);
	ok(conf_read(path, opts, &cf, err, sizeof(err)) == -1 &&
	    strstr(err, "bad.conf:3: unknown option 'foo'") != NULL && cf.n == 0,
	    "the message names the file and the line: %s", err);
	ok(conf_read(dir, opts, &cf, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL, "a directory is refused");
	ok(conf_read("/nonexistent/x.conf", opts, &cf, err, sizeof(err)) == -1 &&
	    strstr(err, "No such file") != NULL, "a missing file: %s", err);
	if ((text = malloc(CONF_MAX_BYTES + 2)) == NULL)
		bail_out("out of memory");
	/* Comment lines up to the limit: fine; one byte more: refused. */
	memset(text, '#', CONF_MAX_BYTES);
	for (i = 63; i < CONF_MAX_BYTES; i += 64)
		text[i] = '\n';
	text[CONF_MAX_BYTES] = '\0';
	path = write_file("big.conf", text, 0644);
	ok(conf_read(path, opts, &cf, err, sizeof(err)) == 0 && cf.n == 0,
	    "a file of CONF_MAX_BYTES is read");
	strcpy(text + CONF_MAX_BYTES, "\n");
	path = write_file("big.conf", text, 0644);
	ok(conf_read(path, opts, &cf, err, sizeof(err)) == -1 &&
	    strstr(err, "larger than 1048576 bytes") != NULL, "a larger one is refused");
	free(text);
}

/* Run @fn in a child with stderr to a pipe: its exit status, its stderr in @out. */
static int
in_child(void (*fn)(void *), void *arg, char *out, size_t outlen)
{
	int fds[2], status;
	ssize_t n, at = 0;
	pid_t pid;

	if (pipe(fds) == -1)
		bail_out("pipe");
	if ((pid = fork()) == -1)
		bail_out("fork");
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + at, outlen - 1 - (size_t)at)) > 0)
		at += n;
	out[at] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A daemon's loop: conf_args(), then options as "c=value" joined by ' '. */
struct loop {
	char	**argv;
	char	 seen[512];
	const char *shortopts;
	int	 error_on;	/* call opt_error() when this option comes */
};

static void
run_loop(void *arg)
{
	struct loop *l = arg;
	char **argv = l->argv;
	int argc = 0, ch;
	size_t at = 0;

	while (argv[argc] != NULL)
		argc++;
	opt_program("t", NULL, 3);
	optind = 0;
	l->seen[0] = '\0';
	conf_args(&argc, &argv, l->shortopts, opts);
	while ((ch = conf_getopt(argc, argv, l->shortopts, opts)) != -1) {
		if (ch == l->error_on)
			opt_error("bad %s", optarg ? optarg : "-");
		at += (size_t)snprintf(l->seen + at, sizeof(l->seen) - at, "%s%d=%s",
		    at ? " " : "", ch, optarg ? optarg : "");
	}
	opt_where(NULL);
}

static void
loop_and_print(void *arg)
{
	struct loop *l = arg;

	run_loop(l);
	fprintf(stderr, "%s", l->seen);
}

static void
test_args(void)
{
	char out[1024], want[256], *path, *argv_none[] = { "t", "-l", "x", "-f", NULL };
	struct loop l = { .shortopts = "l:fh", .error_on = -1 };
	int rc;

	path = write_file("d.conf", "# a daemon\nlisten 10.0.0.1:1\n\nheartbeat 5\nforeground\n",
	    0644);
	{
		char *argv[] = { "t", "--heartbeat", "7", "--config", path, "-l", "x", NULL };

		l.argv = argv;
		rc = in_child(loop_and_print, &l, out, sizeof(out));
		snprintf(want, sizeof(want), "108=10.0.0.1:1 257=5 102= 257=7 256=%s 108=x", path);
		ok(rc == 0 && strcmp(out, want) == 0,
		    "the file's options come first, then the command line's: %s", out);
	}
	l.argv = argv_none;
	rc = in_child(loop_and_print, &l, out, sizeof(out));
	ok(rc == 0 && strcmp(out, "108=x 102=") == 0, "without --config nothing is read: %s",
	    out);
	{
		char *argv[] = { "t", "--config=", NULL };

		snprintf(want, sizeof(want), "--config=%s", path);
		argv[1] = want;
		l.argv = argv;
		l.error_on = OPT_HEARTBEAT;
		rc = in_child(run_loop, &l, out, sizeof(out));
		snprintf(want, sizeof(want), "t: %s:4: bad 5\n", path);
		ok(rc == 0 && strcmp(out, want) == 0,
		    "an error about a file's option names its line");
	}
	{
		char *argv[] = { "t", "--config", path, "--heartbeat", "9", NULL };

		l.argv = argv;
		rc = in_child(run_loop, &l, out, sizeof(out));
		snprintf(want, sizeof(want), "t: %s:4: bad 5\nt: bad 9\n", path);
		ok(rc == 0 && strcmp(out, want) == 0,
		    "an error about a command-line option names no line");
	}
	{
		/* "-fl" right after the file: optind stays on it while -f is read. */
		char *argv[] = { "t", "--config", path, "-fl", "y", NULL };

		l.argv = argv;
		l.error_on = 'f';
		rc = in_child(run_loop, &l, out, sizeof(out));
		snprintf(want, sizeof(want), "t: %s:5: bad -\nt: bad -\n", path);
		ok(rc == 0 && strcmp(out, want) == 0,
		    "a short option in a cluster after the file is the command line's");
		l.error_on = -1;
	}
	path = write_file("e.conf", "listen 1\nnope\n", 0644);
	{
		char *argv[] = { "t", "-f", "--config", path, NULL };

		l.argv = argv;
		rc = in_child(run_loop, &l, out, sizeof(out));
		snprintf(want, sizeof(want), "t: %s:2: unknown option 'nope'\n", path);
		ok(rc == 3 && strcmp(out, want) == 0, "a bad file ends the program");
	}
	{
		char *argv[] = { "t", "--config", path, "--config", path, NULL };

		l.argv = argv;
		rc = in_child(run_loop, &l, out, sizeof(out));
		ok(rc == 3 && strcmp(out, "t: --config is given twice\n") == 0,
		    "--config twice is refused");
	}
	l.argv = argv_none;
	l.shortopts = "l:fhx";
	rc = in_child(run_loop, &l, out, sizeof(out));
	ok(rc == 3 && strstr(out, "-x has no long name") != NULL,
	    "a short option without a long name is caught before any file is read");
}

int
main(void)
{
	char cmd[64];

	plan(33 + 7 + 8);
	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp");
	test_lines();
	test_files();
	test_args();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
