# SPDX-License-Identifier: BSD-2-Clause
# Ports for the shell tests and the benchmarks.

# free_port: a port from 11000 up to below the ephemeral range (so that no
# program's own ephemeral socket can take it) that nothing on this host
# uses over UDP or TCP; 1 after 100 tries.
free_port() {
	local lo p

	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ -n "$lo" ] && [ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 100); do
		p=$((11000 + RANDOM % (lo - 11000)))
		if [ -z "$(ss -Hantu "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
