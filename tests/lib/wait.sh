# SPDX-License-Identifier: BSD-2-Clause
# Polling and the clock for the shell tests, the testbed and the benchmarks.

# now_ms: CLOCK_REALTIME in milliseconds.
now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

# wait_until DEADLINE_MS CMD...: run CMD every 100 ms (WAIT_POLL seconds)
# until it succeeds, at most DEADLINE_MS; WAIT_MS is the time it took (or the
# deadline).  0 once CMD succeeded, 1 at the deadline.
wait_until() {
	local deadline=$1 start now

	shift
	start=$((${EPOCHREALTIME/./} / 1000))
	while :; do
		if "$@"; then
			WAIT_MS=$((${EPOCHREALTIME/./} / 1000 - start))
			return 0
		fi
		now=$((${EPOCHREALTIME/./} / 1000))
		if [ $((now - start)) -ge "$deadline" ]; then
			WAIT_MS=$((now - start))
			return 1
		fi
		sleep "${WAIT_POLL:-0.1}"
	done
}
