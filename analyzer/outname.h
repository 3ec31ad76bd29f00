/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output file names under rotation, in tcpdump's manner:
 *
 *   - without -G the name is FILE as given (a '%' in it is literal);
 *   - with -G, FILE goes through strftime(3) with the local time of the
 *     file's start, if it holds a conversion ("%%" alone is not one);
 *   - a counter is appended when the name would repeat the previous file's:
 *     -C gives FILE, FILE1, FILE2 ...; -G with no conversion likewise; -C
 *     with -G restarts the counter at each new time-based name.
 */
#ifndef ANA_OUTNAME_H
#define ANA_OUTNAME_H

#include <stddef.h>
#include <time.h>

struct outname {
	const char *pattern;	/* FILE as given */
	int use_time;		/* -G given and the pattern has a conversion */
	char base[4096];	/* the previous file's name before the counter */
	unsigned long count;	/* files so far with that base */
};

/* 1 when @pattern holds a strftime conversion. */
int	outname_has_conversion(const char *pattern);
void	outname_init(struct outname *, const char *pattern, int rotate_by_time);
/*
 * The next file's name for a file starting at @start into @buf.  Returns 0,
 * or -1 when the name does not fit (or strftime makes it empty).
 */
int	outname_next(struct outname *, time_t start, char *buf, size_t len);

#endif /* ANA_OUTNAME_H */
