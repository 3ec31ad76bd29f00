/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockfile.h"

/* Ours, and nobody else's: a group or other bit is taken away. */
static int
make_private(int fd, mode_t mode, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is owned by uid %u, not by us: remove it",
		    what, (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) == -1) {
		snprintf(err, errlen, "chmod %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

int
dicap_lock_open(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	int dfd, fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	/* O_NOFOLLOW: a link planted at either name would move the lock. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (make_private(dfd, 0700, dir, err, errlen) == -1) {
		close(dfd);
		return -1;
	}
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (make_private(fd, 0600, path, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}
