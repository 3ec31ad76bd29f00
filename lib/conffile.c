/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "opt.h"

#define NAME_MAX_LEN	64

/* conf_args()'s file, for conf_getopt(): its options are argv[1..n]. */
static struct conf_file args_file;
static const char *args_path;
static char **args_argv;	/* kept: the daemon keeps pointers into it */
static char args_where[PATH_MAX + 16];

struct parser {
	const char	*name;
	unsigned	 line;
	char		*err;
	size_t		 errlen;
};

static int
fail(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A byte no line may hold: NUL, the other controls but tab, DEL. */
static int
is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static const struct option *
find_option(const struct option *longopts, const char *name)
{
	for (; longopts->name != NULL; longopts++)
		if (strcmp(longopts->name, name) == 0)
			return longopts;
	return NULL;
}

static int
add_arg(struct parser *p, struct conf_file *cf, const char *name, const char *value,
    size_t value_len)
{
	char **args, *arg;
	unsigned *lines;
	size_t len = 2 + strlen(name) + (value != NULL ? 1 + value_len : 0) + 1;

	if ((arg = malloc(len)) == NULL)
		return fail(p, "out of memory");
	if (value != NULL)
		snprintf(arg, len, "--%s=%.*s", name, (int)value_len, value);
	else
		snprintf(arg, len, "--%s", name);
	/* One slot more than needed: conf_args() puts argv's NULL there. */
	args = realloc(cf->args, (cf->n + 2) * sizeof(*args));
	if (args != NULL)
		cf->args = args;
	lines = realloc(cf->lines, (cf->n + 1) * sizeof(*lines));
	if (lines != NULL)
		cf->lines = lines;
	if (args == NULL || lines == NULL) {
		free(arg);
		return fail(p, "out of memory");
	}
	cf->args[cf->n] = arg;
	cf->lines[cf->n] = p->line;
	cf->n++;
	cf->args[cf->n] = NULL;
	return 0;
}

/*
 * A quoted value from s[0] == '"' in [s, end): into @out (room for
 * end - s bytes), its length in *outlen, *next past the closing quote.
 */
static int
unquote(struct parser *p, const char *s, const char *end, char *out, size_t *outlen,
    const char **next)
{
	size_t n = 0;

	for (s++; s < end; s++) {
		if (*s == '"') {
			*outlen = n;
			*next = s + 1;
			return 0;
		}
		if (*s == '\\') {
			if (s + 1 == end || (s[1] != '"' && s[1] != '\\'))
				return fail(p, "in a quoted value, \\ comes before \" or \\ only");
			s++;
		}
		out[n++] = *s;
	}
	return fail(p, "the quoted value has no closing \"");
}

/* One line, [s, end), without its line ending. */
static int
parse_line(struct parser *p, const char *s, const char *end, const struct option *longopts,
    struct conf_file *cf)
{
	const struct option *o;
	const char *t, *value = NULL;
	char name[NAME_MAX_LEN + 1], *buf = NULL;
	size_t n, value_len = 0;
	int rc;

	for (t = s; t < end; t++)
		if (is_control((unsigned char)*t))
			return fail(p, "control character 0x%02x", (unsigned char)*t);
	while (s < end && is_blank(*s))
		s++;
	while (end > s && is_blank(end[-1]))
		end--;
	if (s == end || *s == '#')
		return 0;
	for (n = 0; s + n < end && !is_blank(s[n]); n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
		    (s[n] == '-' && n > 0)))
			return fail(p, "an option name is lower-case letters, digits and '-'"
			    " (no leading '-'), then a blank and the value");
	if (n > NAME_MAX_LEN)
		return fail(p, "no option has a name that long");
	memcpy(name, s, n);
	name[n] = '\0';
	for (s += n; s < end && is_blank(*s); s++)
		;
	if ((o = find_option(longopts, name)) == NULL)
		return fail(p, "unknown option '%s'", name);
	if (strcmp(name, "config") == 0 || strcmp(name, "help") == 0)
		return fail(p, "'%s' belongs on the command line", name);
	if (s < end && *s == '"') {
		if ((buf = malloc((size_t)(end - s))) == NULL)
			return fail(p, "out of memory");
		if (unquote(p, s, end, buf, &value_len, &t) == -1) {
			free(buf);
			return -1;
		}
		value = buf;
		s = t;
		if (s < end && !is_blank(*s)) {
			free(buf);
			return fail(p, "text right after the closing \"");
		}
	} else if (s < end && *s != '#') {
		value = s;
		while (s < end && !is_blank(*s)) {
			if (*s == '"')
				return fail(p, "a \" inside an unquoted value");
			s++;
		}
		value_len = (size_t)(s - value);
	}
	while (s < end && is_blank(*s))
		s++;
	if (s < end && *s != '#') {
		free(buf);
		return fail(p, "one value only: quote a value that has blanks (\"...\")");
	}
	if (value == NULL && o->has_arg == required_argument)
		return fail(p, "option '%s' needs a value", name);
	if (value != NULL && o->has_arg == no_argument) {
		free(buf);
		return fail(p, "option '%s' takes no value", name);
	}
	rc = add_arg(p, cf, name, value, value_len);
	free(buf);
	return rc;
}

int
conf_parse(const char *text, size_t len, const char *name, const struct option *longopts,
    struct conf_file *cf, char *err, size_t errlen)
{
	struct parser p = { name, 0, err, errlen };
	const char *s = text, *end = text + len, *nl, *eol;

	memset(cf, 0, sizeof(*cf));
	while (s < end) {
		p.line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		eol = nl;
		/* A DOS line ending is a line ending too. */
		if (eol > s && eol[-1] == '\r')
			eol--;
		if (eol - s > CONF_MAX_LINE) {
			fail(&p, "a line is at most %d bytes", CONF_MAX_LINE);
			conf_free(cf);
			return -1;
		}
		if (parse_line(&p, s, eol, longopts, cf) == -1) {
			conf_free(cf);
			return -1;
		}
		s = nl < end ? nl + 1 : end;
	}
	return 0;
}

int
conf_read(const char *path, const struct option *longopts, struct conf_file *cf, char *err,
    size_t errlen)
{
	struct stat st;
	char *text;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	memset(cf, 0, sizeof(*cf));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	/* It names the key file and where the daemon sends what it captures. */
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "%s is writable by others (mode %04o): run chmod o-w %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	if ((text = malloc(CONF_MAX_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	/* Read to the end, one byte past the limit to see it crossed. */
	while (len <= CONF_MAX_BYTES &&
	    (n = read(fd, text + len, CONF_MAX_BYTES + 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > CONF_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONF_MAX_BYTES);
		free(text);
		return -1;
	}
	rc = conf_parse(text, len, path, longopts, cf, err, errlen);
	free(text);
	return rc;
}

void
conf_free(struct conf_file *cf)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		free(cf->args[i]);
	free(cf->args);
	free(cf->lines);
	memset(cf, 0, sizeof(*cf));
}

static void
check_long_names(const char *shortopts, const struct option *longopts)
{
	const struct option *o;
	const char *c;

	for (c = shortopts; *c != '\0'; c++) {
		if (*c == ':' || *c == '+' || *c == '-')
			continue;
		for (o = longopts; o->name != NULL; o++)
			if (o->flag == NULL && o->val == *c)
				break;
		if (o->name == NULL)
			opt_fail("internal error: -%c has no long name for a configuration file",
			    *c);
	}
}

void
conf_args(int *argcp, char ***argvp, const char *shortopts, const struct option *longopts)
{
	const struct option *config = find_option(longopts, "config");
	char err[PATH_MAX + 320], **copy, **argv;
	const char *path = NULL;
	int argc = *argcp, ch, saved_opterr = opterr, i;

	check_long_names(shortopts, longopts);
	if (config == NULL)
		opt_fail("internal error: no --config option");
	/* A first pass, silent, on a copy: getopt_long() reorders what it scans. */
	if ((copy = calloc((size_t)argc + 1, sizeof(*copy))) == NULL)
		opt_fail("out of memory");
	memcpy(copy, *argvp, (size_t)argc * sizeof(*copy));
	opterr = 0;
	while ((ch = getopt_long(argc, copy, shortopts, longopts, NULL)) != -1) {
		if (config->flag != NULL || ch != config->val)
			continue;
		if (path != NULL)
			opt_fail("--config is given twice");
		path = optarg;
	}
	opterr = saved_opterr;
	/* 0 starts glibc's getopt anew, also its internal state. */
	optind = 0;
	free(copy);
	if (path == NULL)
		return;
	if (conf_read(path, longopts, &args_file, err, sizeof(err)) == -1)
		opt_fail("%s", err);
	if ((argv = calloc(args_file.n + (size_t)argc + 1, sizeof(*argv))) == NULL)
		opt_fail("out of memory");
	argv[0] = (*argvp)[0];
	memcpy(argv + 1, args_file.args, args_file.n * sizeof(*argv));
	for (i = 1; i < argc; i++)
		argv[args_file.n + (size_t)i] = (*argvp)[i];
	args_path = path;
	args_argv = argv;
	*argcp = (int)args_file.n + argc;
	*argvp = args_argv;
}

int
conf_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	/*
	 * The file's options are argv[1..n], one element each and never
	 * moved (getopt_long() reorders only around non-options, which come
	 * after them): the one optind is at before the call is the one read.
	 */
	size_t at = optind == 0 ? 1 : (size_t)optind;
	int ch = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (ch != -1 && at >= 1 && at <= args_file.n) {
		snprintf(args_where, sizeof(args_where), "%s:%u", args_path,
		    args_file.lines[at - 1]);
		opt_where(args_where);
	} else {
		opt_where(NULL);
	}
	return ch;
}
