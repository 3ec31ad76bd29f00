#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Privilege separation (issue 14, docs/security.md "Privileges"): started
# as root in the testbed, every daemon runs as the unprivileged user once
# it is set up, with no capability left and no_new_privs set, as
# /proc/PID/status shows (Uid, CapEff, CapPrm, NoNewPrivs): the analyzer,
# a coordinator with --inject-dev and one without, and dicapd on the XDP
# datapath.  And the work that follows the drop still happens: the node
# joins and captures (topology written through the map descriptors), the
# round-robin markers the coordinator injects on the raw socket it opened
# as root reach the node and are accepted, the analyzer creates its pcap
# file as that user, and on SIGTERM dicapd leaves, detaches its program
# (closing the BPF link) and removes its control socket.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

COUNT=2000

tb_init_tap dicap-gen dicap-analyzer
tb_has_option dicap-coord --inject-dev || skip_all "dicap-coord has no --inject-dev"
USER_NAME=dicap
id -u "$USER_NAME" >/dev/null 2>&1 || USER_NAME=nobody
USER_UID=$(id -u "$USER_NAME" 2>/dev/null) || skip_all "no user dicap or nobody"
plan 13

ok_cmd "testbed with 1 node" tb_up 1

# privs PID: "UID CAPEFF CAPPRM NONEWPRIVS" of the process, the four uids
# (real, effective, saved, file system) collapsed when they agree.
privs() {
	awk '/^Uid:/ { u = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : $2 "/" $3 "/" $4 "/" $5 }
	    /^CapEff:/ { e = $2 } /^CapPrm:/ { p = $2 } /^NoNewPrivs:/ { n = $2 }
	    END { print u, e, p, n }' "/proc/$1/status" 2>/dev/null
}
# dropped PID: true once the process shows the unprivileged state.
WANT="$USER_UID 0000000000000000 0000000000000000 1"
dropped() { [ "$(privs "$1")" = "$WANT" ]; }

# check NAME PID LABEL: one test, the /proc/PID/status lines in diag.
check() {
	local rc

	tb_wait_until "dropped $2" 5000
	rc=$?
	# Uid CapEff CapPrm NoNewPrivs, as /proc shows them: in the output either way.
	ok $((rc == 0)) "$3: uid $USER_NAME, no capability, no_new_privs ($(privs "$2"))" ||
		diag "$1 (pid $2): want $WANT; $(tail -3 "${TB_LOG[$1]:-/dev/null}")"
}

tb_start_analyzer || bail_out "the analyzer did not start"
check ana "${TB_PID[ana]}" "dicap-analyzer"

# The testbed's coordinator has --inject-dev (tb_start_coord); round-robin
# with a resync marker every 100 ms, so that markers come without traffic.
tb_start_coord --select rr --marker-interval 100 || bail_out "the coordinator did not start"
check coord "${TB_PID[coord]}" "dicap-coord --inject-dev $TB_INJECT_DEV"

# A second coordinator without --inject-dev, on the coord host's loopback.
tb_spawn coord2 coord "$DICAP_BIN/dicap-coord" -f -l 127.0.0.1:17469 -k "$TB_KEY" --no-announce
check coord2 "${TB_PID[coord2]}" "dicap-coord without --inject-dev"

tb_start_node 1 --capture || bail_out "node1 did not start"
check node1 "${TB_PID[node1]}" "dicapd --datapath xdp --capture"

in_force() {
	[ "$(tb_node_status 1 '"\(.state) \(.epoch == .datapath.program_epoch)"')" = "joined true" ]
}
tb_wait_until in_force 15000
ok $(($? == 0)) "node1 joins and its program uses the coordinator's epoch" ||
	diag "$(tb_node_status 1 '"\(.state) \(.epoch) \(.datapath.program_epoch)"')"

markers() { tb_node_status 1 '.datapath.counters.markers_ok // 0'; }
m0=$(markers)
tb_wait_until "[ \"\$(markers)\" -gt \"${m0:-0}\" ]" 5000
ok $(($? == 0)) "markers injected after the drop reach node1 and are accepted ($m0 -> $(markers))" ||
	diag "$(tb_node_status 1 .datapath.counters)"
is "$(tb_node_status 1 '.datapath.counters.markers_bad // 0')" 0 "node1 rejected no marker"

tb_gen --count "$COUNT" --rate 20000 >/dev/null 2>&1
tb_wait_delivered ana "$COUNT" 15000
ok $(($? == 0)) "the analyzer receives the $COUNT frames node1 captured ($TB_DELIVERED)" ||
	diag "$(tb_ana_stats ana .totals 2>&1)"
is "$(stat -c %U "${TB_ANA_OUT[ana]}" 2>/dev/null)" "$USER_NAME" \
	"the analyzer created its pcap file as $USER_NAME"

tb_stop_node 1
ok $(($? == 0)) "SIGTERM: dicapd leaves and exits"
ok $(tb_exec node1 ip link show dev eth0 | grep -q 'prog/xdp' && echo 0 || echo 1) \
	"its XDP program is detached from eth0"
ok $([ -e "$(tb_node_sock 1)" ] && echo 0 || echo 1) "its control socket is removed"

tb_down
