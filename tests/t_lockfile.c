/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap_lock_open(): the directory is 0700 and the file 0600, wider modes
 * left by an older dicapd are narrowed, a symlink is refused, and (as
 * root) an unprivileged user cannot open the lock, so cannot hold it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lockfile.h"
#include "tap.h"

#define NOBODY	65534

/* The errno of open(path, O_RDONLY) as user nobody; 0 if it opened. */
static int
open_as_nobody(const char *path)
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == -1)
		bail_out("fork failed");
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 || setuid(NOBODY) == -1)
			_exit(255);
		fd = open(path, O_RDONLY);
		_exit(fd == -1 ? errno : 0);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		bail_out("child failed");
	return WEXITSTATUS(st);
}

int
main(void)
{
	char top[] = "/tmp/dicap-locktest.XXXXXX";
	char dir[256], path[300], err[512];
	struct stat st;
	int fd, fd2;

	if (mkdtemp(top) == NULL)
		bail_out("mkdtemp failed");
	/* As /run/dicap: others may enter, so only the lock's own modes protect it. */
	chmod(top, 0755);
	snprintf(dir, sizeof(dir), "%s/kmod", top);
	snprintf(path, sizeof(path), "%s/kmod.lock", dir);
	plan(10);

	fd = dicap_lock_open(dir, "kmod.lock", err, sizeof(err));
	ok(fd != -1, "the lock opens: %s", fd == -1 ? err : "");
	ok(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "its directory has mode 0700");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "the lock has mode 0600");
	ok(flock(fd, LOCK_EX | LOCK_NB) == 0, "the lock can be taken");
	fd2 = dicap_lock_open(dir, "kmod.lock", err, sizeof(err));
	ok(fd2 != -1 && flock(fd2, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK,
	    "a second opener finds it held");
	close(fd2);
	close(fd);

	/* What the old dicapd made: /run/dicap 0755 and kmod.lock 0644. */
	chmod(dir, 0755);
	chmod(path, 0644);
	fd = dicap_lock_open(dir, "kmod.lock", err, sizeof(err));
	ok(fd != -1 && stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700 &&
	    stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "a directory 0755 and a lock 0644 are narrowed to 0700 and 0600");
	close(fd);

	unlink(path);
	if (symlink("/etc/passwd", path) == -1)
		bail_out("symlink failed");
	ok(dicap_lock_open(dir, "kmod.lock", err, sizeof(err)) == -1 && strstr(err, "kmod.lock"),
	    "a symlink at the lock's name is refused: %s", err);
	unlink(path);
	close(dicap_lock_open(dir, "kmod.lock", err, sizeof(err)));

	if (geteuid() != 0) {
		ok(1, "# SKIP not root: cannot switch to user nobody");
		ok(1, "# SKIP not root: cannot switch to user nobody");
		ok(1, "# SKIP not root: cannot switch to user nobody");
	} else {
		is(open_as_nobody(path), EACCES, "user nobody cannot open the lock (EACCES)");
		/* The check is real: the old modes let nobody open and so hold it. */
		chmod(dir, 0755);
		chmod(path, 0644);
		is(open_as_nobody(path), 0, "with the old modes (0755, 0644) user nobody could");
		close(dicap_lock_open(dir, "kmod.lock", err, sizeof(err)));
		is(open_as_nobody(path), EACCES, "after dicap_lock_open again, it cannot");
	}
	unlink(path);
	rmdir(dir);
	rmdir(top);
	return done_testing();
}
