/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A lock file that only its owner can open.  flock() needs nothing but a
 * descriptor open for reading, so a lock file that others may read lets
 * any local user hold the lock and keep a daemon from starting (issue 14).
 */
#ifndef LIB_LOCKFILE_H
#define LIB_LOCKFILE_H

#include <stddef.h>

/*
 * Open (creating it) dir/name for flock(): dir is made mode 0700 and the
 * file 0600, both owned by the caller; an existing dir or file with more
 * permissions is narrowed, one owned by another user or a symbolic link
 * is refused.  The parent of dir must exist.  Returns the descriptor, or
 * -1 with err set.
 */
int	dicap_lock_open(const char *dir, const char *name, char *err, size_t errlen);

#endif
