# SPDX-License-Identifier: BSD-2-Clause
# Signalling and stopping the processes a shell test, the testbed or a
# benchmark started.  Messages are TAP comments ("# ..."), so they never
# break a test's output; tests/lib/tap.sh is not needed.

# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

# procs_gone PID...: none of the PIDs runs any more.
procs_gone() {
	local pid

	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null && return 1
	done
	return 0
}

# signal_wait PID SIGNAL DEADLINE_MS: send SIGNAL to PID and poll every
# 50 ms until it is gone; 1 if it still runs at the deadline.  A PID that
# is gone already is no error.
signal_wait() {
	kill -"$2" "$1" 2>/dev/null
	WAIT_POLL=0.05 wait_until "$3" procs_gone "$1"
}

# stop_all [-n NAMES] DEADLINE_MS PID...: the cleanup of an exit trap.
# SIGTERM to every PID, wait until all are gone or DEADLINE_MS has passed,
# then SIGKILL the ones left, each with a comment that names it: NAMES is
# the name of an associative array NAME -> PID (the test's names for its
# processes), else the comment gives the pid only.  PIDs that are gone
# already are no error; returns 0.
stop_all() {
	local names='' deadline pid label n

	if [ "${1:-}" = -n ]; then
		names=$2
		shift 2
	fi
	deadline=$1
	shift
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	wait_until "$deadline" procs_gone "$@" && return 0
	[ -n "$names" ] && local -n stop_all_names_=$names
	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null || continue
		label="pid $pid"
		if [ -n "$names" ]; then
			for n in "${!stop_all_names_[@]}"; do
				[ "${stop_all_names_[$n]}" = "$pid" ] && label="$n (pid $pid)"
			done
		fi
		printf '# %s ignored SIGTERM for %d ms: SIGKILL\n' "$label" "$deadline"
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}
