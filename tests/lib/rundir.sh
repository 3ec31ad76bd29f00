# SPDX-License-Identifier: BSD-2-Clause
# A test run's directory (logs, keys, sockets, captures), for the shell
# tests and the testbed.

# rundir_remove DIR KEEP [WHO]: at the end of a run, remove DIR; with KEEP
# set to 1, keep it for a post-mortem and say so ("# WHO: kept DIR", as a
# TAP comment).  Nothing to do for an empty or missing DIR.
rundir_remove() {
	[ -n "$1" ] && [ -d "$1" ] || return 0
	if [ "$2" = 1 ]; then
		printf '# %skept %s\n' "${3:+$3: }" "$1"
	else
		rm -rf "$1"
	fi
}
