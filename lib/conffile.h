/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration files of the daemons (dicap.conf(5)): a line "name value"
 * is the long option --name=value, a line "name" the flag --name.  The
 * options of --config FILE go in front of the command line, through the
 * daemon's own getopt_long() loop, so every option is settable in a file,
 * the same code checks its value, and the command line has the last word.
 *
 * The file is local input from the administrator; still, anything that
 * is not an option line is refused with "FILE:LINE: why".
 */
#ifndef LIB_CONFFILE_H
#define LIB_CONFFILE_H

#include <getopt.h>
#include <stddef.h>

/* Larger files and longer lines are refused: no config is that big. */
#define CONF_MAX_BYTES		(1024 * 1024)
#define CONF_MAX_LINE		4096

struct conf_file {
	char		**args;		/* "--name=value" or "--name" */
	unsigned	*lines;		/* the line each came from, 1-based */
	size_t		n;
};

/*
 * Parse @len bytes of @text (not NUL-terminated; NUL bytes are refused)
 * against @longopts: names must be exact, flags take no value, the others
 * one.  "help" and "config" are refused.  0, or -1 with "NAME:LINE: why"
 * in @err and @cf empty.  @name is only used in messages.
 */
int	conf_parse(const char *text, size_t len, const char *name,
	    const struct option *longopts, struct conf_file *cf, char *err, size_t errlen);

/*
 * conf_parse() of the file @path: a regular file of at most
 * CONF_MAX_BYTES, not writable by others.
 */
int	conf_read(const char *path, const struct option *longopts, struct conf_file *cf,
	    char *err, size_t errlen);

void	conf_free(struct conf_file *cf);

/*
 * Before a daemon's option loop: the option "config" of @longopts given
 * on the command line (at most once) names a file whose options are put
 * between argv[0] and the rest, in *argcp and *argvp.  No --config: no
 * file is read and argv stays.  Any error ends the program (opt_fail()).
 * Also refuses a short option of @shortopts without a long name, which
 * a file could not set.
 */
void	conf_args(int *argcp, char ***argvp, const char *shortopts,
	    const struct option *longopts);

/*
 * getopt_long() for the loop over conf_args()'s argv: while it returns an
 * option that came from the file, opt_error() and opt_fail() messages
 * start with "FILE:LINE: ".
 */
int	conf_getopt(int argc, char **argv, const char *shortopts,
	    const struct option *longopts);

#endif /* LIB_CONFFILE_H */
