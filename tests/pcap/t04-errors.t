#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# What goes wrong, and what the user is told: no dicapd, a stale socket,
# no access to the socket, a dicapd that has not joined yet (bounded wait,
# and success when it joins in time), dicapd without distribution, and
# during a capture: dicapd killed under traffic (the capture stops; not
# one frame of another node's share gets through), dicapd stopped while
# nothing flows (told within seconds), and the interface deleted.
. "$(dirname "$0")/lib.sh"

pd_init setpriv
plan 18

ok_cmd "testbed with 2 nodes" pd_up 2

# try I NAME [ENV=VALUE...]: tcpdump -c 1 on dicap:eth0 in the foreground;
# OUT is what it printed, RC its exit status, MS how long it took.
try() {
	local i=$1 t0

	shift
	t0=$(tb_now_ms)
	OUT=$(tb_exec "node$i" env DICAP_SOCKET_DIR="$TB_DIR/node$i" "$@" \
		"$DICAP_BIN/dicap-run" tcpdump -n -c 1 -i dicap:eth0 -w /dev/null 2>&1)
	RC=$?
	MS=$(($(tb_now_ms) - t0))
}

# expect NAME PATTERN: tcpdump failed, and said PATTERN (a fixed string).
expect() {
	if [ "$RC" != 0 ] && printf '%s\n' "$OUT" | grep -qF -e "$2"; then
		ok 1 "$1"
	else
		ok 0 "$1"
		diag "exit $RC: $OUT"
	fi
	diag "  $(printf '%s' "$OUT" | tr '\n' ' ')"
}

# ---- before capturing ----------------------------------------------------

try 1
expect "no dicapd: the error names the fix" \
	'no dicapd serves eth0 ('"$TB_DIR"'/node1/eth0.sock does not exist): start `dicapd -i eth0 -c COORD`'

try 1 DICAP_JOIN_TIMEOUT=soon
expect "DICAP_JOIN_TIMEOUT must be a number of seconds" 'DICAP_JOIN_TIMEOUT=soon: give a number of seconds'

# No coordinator yet: the node keeps trying to join.
tb_start_node 1
try 1 DICAP_JOIN_TIMEOUT=2
expect "dicapd has not joined: the wait is bounded and the error says so" \
	'dicapd for eth0 has no share yet after 2 s (state joining'
ok $((MS >= 2000 && MS < 6000)) "... it failed after the 2 s asked for ($MS ms)"

chmod o+x "$TB_DIR" "$TB_DIR/node1"
try 1 setpriv --reuid=nobody --regid=nogroup --clear-groups
expect "a user without access to the socket is told how to get it" \
	"permission denied on $TB_DIR/node1/eth0.sock: run as root or as a member of the socket's group"
chmod o-x "$TB_DIR" "$TB_DIR/node1"

# It joins while a capture waits for it.
pd_spawn late 1 env DICAP_JOIN_TIMEOUT=20 tcpdump -n -i dicap:eth0 -w "$TB_DIR/late.pcap"
sleep 1
tb_alive late && ! grep -q 'listening on' "${TB_LOG[late]}"
ok $(($? == 0)) "a capture started before dicapd has joined waits"
tb_start_coord --select flow
pd_wait_log late 'listening on dicap:eth0' 15000
ok $(($? == 0)) "... and starts once dicapd holds a share (after ${TB_WAIT_MS} ms)" ||
	diag "$(tail -n 3 "${TB_LOG[late]}")"
tb_signal late TERM 5000

tb_kill_node 1
try 1
expect "a socket left by a killed dicapd: the error says so" \
	'no dicapd serves eth0 ('"$TB_DIR"'/node1/eth0.sock is left over from a dicapd that exited)'

TB_DATAPATH=none tb_start_node 1
try 1
expect "dicapd --datapath none: the error says to use the XDP datapath" \
	'dicapd for eth0 runs --datapath none and passes no traffic: restart it with --datapath xdp'
tb_stop_node 1

tb_start_node 1 --capture
try 1
expect "dicapd --capture alone: the error says to add --distribute" \
	'dicapd for eth0 only captures for the analyzers (--capture): restart it with --distribute'
tb_stop_node 1

# ---- during a capture ----------------------------------------------------

tb_start_node 1
tb_start_node 2
tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 15000 || diag "not ready: $TB_WHY"
pd_owned_save 1 "$TB_DIR/owned1.txt" || diag "cannot read node1's buckets"

# dicapd killed under traffic: its XDP program goes with it, and the
# interface would pass every frame.
pd_tcpdump_start kill.td 1 "$TB_DIR/kill.pcap"
tb_gen_start --rate 20000 --duration 6 --mix all --flows 500 --seed 9
sleep 2
tb_kill_node 1
t_kill=$(tb_now_ms)
tb_wait_until "! tb_alive kill.td" 5000
gone_ms=$(($(tb_now_ms) - t_kill))
ok $((gone_ms < 5000)) "dicapd killed under traffic: tcpdump stops by itself ($gone_ms ms)"
grep -qF "dicapd for eth0 exited: capture stopped so as not to capture more than this node's share" \
	"${TB_LOG[kill.td]}"
ok $(($? == 0)) "... and says why" || diag "$(tail -n 3 "${TB_LOG[kill.td]}")"
diag "  $(grep exited "${TB_LOG[kill.td]}")"
tb_gen_wait
n=$(tb_pcap_seqs "$TB_DIR/kill.pcap" | wc -l)
pd_owned_only flow "$TB_DIR/kill.pcap" "$TB_DIR/owned1.txt"
ok $(($? == 0 && n > 1000)) "... and wrote node1's share only, nothing of node2's: $TB_WHY"

# The same with nothing flowing: told within the idle check, not at the
# next frame.
tb_start_node 1
tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 15000 || diag "not ready: $TB_WHY"
pd_tcpdump_start idle.td 1 "$TB_DIR/idle.pcap"
tb_stop_node 1
t_stop=$(tb_now_ms)
tb_wait_until "! tb_alive idle.td" 5000
gone_ms=$(($(tb_now_ms) - t_stop))
ok $((gone_ms < 5000)) "dicapd stopped while nothing flows: tcpdump stops within seconds ($gone_ms ms)"
grep -qF "dicapd for eth0 exited" "${TB_LOG[idle.td]}"
ok $(($? == 0)) "... and says why" || diag "$(tail -n 3 "${TB_LOG[idle.td]}")"

# Two captures at once on node2, then its interface is deleted.
pd_tcpdump_start gone.td 2 "$TB_DIR/gone.pcap"
pd_tcpdump_start gone.td2 2 "$TB_DIR/gone2.pcap"
tb_gen_start --rate 5000 --duration 3 --seed 4
sleep 1
ip -n "$(tb_ns node2)" link del eth0
t_del=$(tb_now_ms)
tb_wait_until "! tb_alive gone.td && ! tb_alive gone.td2" 5000
gone_ms=$(($(tb_now_ms) - t_del))
ok $((gone_ms < 5000)) "the interface deleted: both captures end with an error, no hang ($gone_ms ms)"
grep -q -i 'interface' "${TB_LOG[gone.td]}" && grep -q -i 'interface' "${TB_LOG[gone.td2]}"
ok $(($? == 0)) "... that names the interface" ||
	diag "$(tail -n 2 "${TB_LOG[gone.td]}" "${TB_LOG[gone.td2]}")"
diag "  $(grep -i interface "${TB_LOG[gone.td]}" | tail -n 1)"
tb_gen_wait

done_testing
