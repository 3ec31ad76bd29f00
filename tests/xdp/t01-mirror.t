#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The testbed itself: the switch copies every frame from gen, and from the
# coordinator's injection port, to every node exactly once and in one
# order, and nothing else reaches the nodes' monitoring interfaces.  No
# DiCAP daemon runs here; tcpdump on each node's eth0 sees every frame
# because no XDP program is attached.  It checks the mirror in place
# (TB_MIRROR: tests/testbed.sh); make check-e2e runs it on both.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

tb_init_tap
plan 11

ok_cmd "tb_up 3: namespaces, links, mirror, management network" tb_up 3

# The mirror asked for is the one in place (TB_MIRROR: tests/testbed.sh).
diag "mirror: $TB_MIRROR_USED${TB_MIRROR_XDP_WHY:+ (XDP mirror: $TB_MIRROR_XDP_WHY)}"
inplace=1
for port in g0 c0; do
	xdp=$(ip -n "${TB_PFX}sw" -j -d link show dev "$port" | jq -r '.[0].xdp.mode // 0')
	u32=$(tc -n "${TB_PFX}sw" filter show dev "$port" ingress 2>/dev/null | grep -c mirred)
	case $TB_MIRROR_USED in
	xdp) [ "$xdp" = 1 ] && [ "$u32" = 0 ] ;;
	tc) [ "$xdp" = 0 ] && [ "$u32" = 3 ] ;;
	esac || { inplace=0; diag "$port: XDP mode $xdp, $u32 mirred actions"; }
done
ok $inplace "the $TB_MIRROR_USED mirror is on g0 and c0 (XDP: native, one program; tc: 3 mirred actions)"

reach=1
for i in 1 2 3; do
	tb_mgmt_reachable "node$i" "$TB_COORD_IP" || { reach=0; diag "node$i cannot reach $TB_COORD_IP"; }
	tb_mgmt_reachable "node$i" "$TB_ANA_IP" || { reach=0; diag "node$i cannot reach $TB_ANA_IP"; }
done
ok $reach "the management network connects the nodes, the coordinator and the analyzer"

for i in 1 2 3; do
	xmit0[i]=$(tb_ethtool_stat sw "n$i" tx_queue_0_xdp_xmit)
done
tb_mirror_verify 5000 raw
ok $(($? == 0)) "5000 hand-made frames reach every node once, in the order sent, byte for byte" ||
	diag "$TB_WHY"

# The XDP mirror hands each node an xdp_frame (ndo_xdp_xmit, counted by the
# node port); the tc mirror an sk_buff.
want=0
[ "$TB_MIRROR_USED" = xdp ] && want=5000
how=1
for i in 1 2 3; do
	n=$(($(tb_ethtool_stat sw "n$i" tx_queue_0_xdp_xmit) - xmit0[i]))
	[ "$n" = "$want" ] || { how=0; diag "n$i: tx_queue_0_xdp_xmit grew by $n"; }
done
ok $how "$TB_MIRROR_USED mirror: $want of the 5000 frames went to each node as an xdp_frame"

# Traffic and markers at once: both senders on TB_SWITCH_CPU, so every node
# sees the two streams interleaved the same way.
for i in 1 2 3; do
	tb_tcpdump_start "both.n$i" "node$i" eth0 "$TB_DIR/both.n$i.pcap"
done
tb_udp_frames 20000 0 >"$TB_DIR/traffic.hex"
tb_udp_frames 200 1000000 >"$TB_DIR/inject.hex"
tb_rawsend gen gen0 20000 <"$TB_DIR/traffic.hex" >/dev/null &
gen_pid=$!
sleep 0.2
tb_rawsend coord "$TB_INJECT_DEV" 400 <"$TB_DIR/inject.hex" >/dev/null
wait $gen_pid
tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
tb_tcpdump_stop both.n1 both.n2 both.n3
drops=$TB_TCPDUMP_DROPS
for i in 1 2 3; do
	tb_pcap_seqs "$TB_DIR/both.n$i.pcap" >"$TB_DIR/both.n$i.txt"
done
is "$(wc -l <"$TB_DIR/both.n1.txt")" 20200 "node1 got the 20000 + 200 frames of both senders" ||
	diag "tcpdump drops: $drops"
same=1
for i in 2 3; do
	cmp -s "$TB_DIR/both.n1.txt" "$TB_DIR/both.n$i.txt" ||
		{ same=0; diag "node$i's order differs from node1's"; }
done
ok $same "all nodes see traffic and injected frames in one order"
diag "injected frames arrived between positions $(grep -n '^100[0-9][0-9][0-9][0-9]$' "$TB_DIR/both.n1.txt" |
	sed -n '1s/:.*//p;$s/:.*//p' | tr '\n' ' ')of 20200"

# Nothing but what was sent: 3 s of silence on every monitoring interface
# (no IPv6 router solicitations or MLD, no ARP) while the management
# network carries traffic.
for i in 1 2 3; do
	tb_tcpdump_start "quiet.n$i" "node$i" eth0 "$TB_DIR/quiet.n$i.pcap"
done
for i in 1 2 3; do
	tb_exec "node$i" perl -e 'use Socket; socket(my $s, AF_INET, SOCK_DGRAM, 0);
		for (1 .. 100) { send($s, "x" x 100, 0, pack_sockaddr_in(9, inet_aton($ARGV[0]))) }' \
		"$TB_COORD_IP" 2>/dev/null
done
sleep 2
tb_tcpdump_stop quiet.n1 quiet.n2 quiet.n3
leaked=0
for i in 1 2 3; do
	n=$(tb_pcap_seqs "$TB_DIR/quiet.n$i.pcap" | wc -l)
	leaked=$((leaked + n))
	[ "$n" = 0 ] || diag "node$i eth0: $n frames: $(tcpdump -nr "$TB_DIR/quiet.n$i.pcap" 2>/dev/null | head -3)"
done
is "$leaked" 0 "no frame reaches a monitoring interface unless gen or the injector sent it"

v6=1
for h in gen sw coord ana node1; do
	[ "$(tb_exec "$h" sysctl -n net.ipv6.conf.all.disable_ipv6)" = 1 ] || { v6=0; diag "IPv6 is on in $h"; }
done
ok $v6 "IPv6 is off in every namespace"

# dicap-gen's whole mix, when it is built.
if [ -x "$DICAP_BIN/dicap-gen" ]; then
	tb_mirror_verify 20000 gen
	ok $(($? == 0)) "20000 frames of dicap-gen --mix all reach every node once, in order, byte for byte" ||
		diag "$TB_WHY"
	diag "frames without a sequence number in the mix: $TB_MIRROR_NONE"
else
	tap_result 1 "# SKIP dicap-gen not built"
fi

# Teardown leaves nothing behind.
pfx=$TB_PFX
tb_down
is "$(ip netns list | grep -c "^$pfx")" 0 "tb_down removes every namespace of the run"

done_testing
