#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The user's view: three nodes each run `dicap-run tcpdump -i dicap:eth0
# -w FILE` while dicap-gen sends 100,000 mixed frames, in every selection
# mode.  The three files together hold every frame sent exactly once
# (by payload sequence number).  `tcpdump -D` lists the dicap device with
# the node's share.
# PD_MODES (default "rr ipid packet flow"), PD_COUNT (100000), PD_RATE (50000).
. "$(dirname "$0")/lib.sh"

MODES=${PD_MODES:-rr ipid packet flow}
COUNT=${PD_COUNT:-100000}
RATE=${PD_RATE:-50000}

pd_init
plan $((1 + 5 * $(echo $MODES | wc -w)))

ok_cmd "testbed with 3 nodes" pd_up 3

round() {
	local mode=$1 d=$TB_DIR/$1 up=1 i seen='' missing dup unexp n counts=''

	mkdir -p "$d"
	pd_cluster "$mode" 1 2 3 || up=0
	ok $up "$mode: coordinator and 3 nodes in distribution mode"

	# each node its own number: the members are sorted by node id
	for i in 1 2 3; do
		n=$(pd_run "$i" tcpdump -D 2>&1 |
			sed -n 's/.*dicap:eth0 (DiCAP node \([1-3]\) of 3 on eth0.*/\1/p')
		[ -n "$n" ] || diag "$mode: node$i: tcpdump -D: $(pd_run "$i" tcpdump -D 2>&1 | grep dicap)"
		seen="$seen$n"
	done
	is "$seen" 123 "$mode: tcpdump -D lists dicap:eth0 on each node as \"DiCAP node N of 3 on eth0\" (N per node)"

	for i in 1 2 3; do
		pd_tcpdump_start "td.$mode.$i" "$i" "$d/node$i.pcap" || up=0
	done
	tb_gen --count "$COUNT" --rate "$RATE" --mix all --flows 1000 --seed 7 -w "$d/sent.pcap"
	ok $(($? == 0 && up == 1)) "$mode: dicap-gen sent $COUNT frames while 3 tcpdumps listened"
	tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
	tb_tcpdump_stop "td.$mode.1" "td.$mode.2" "td.$mode.3" || diag "$mode: a tcpdump did not stop"

	pd_seqs "$d/sent.pcap" >"$d/sent.txt"
	pd_seqs "$d/node1.pcap" "$d/node2.pcap" "$d/node3.pcap" >"$d/got.txt"
	for i in 1 2 3; do
		n=$(tb_pcap_seqs "$d/node$i.pcap" | wc -l)
		counts="$counts node$i $n"
	done
	set -- $(tb_seq_compare "$d/sent.txt" "$d/got.txt")
	missing=$1 dup=$2 unexp=$3
	diag "$mode: frames per node:$counts; kernel drops: $TB_TCPDUMP_DROPS"
	is "$dup" 0 "$mode: no frame is in two nodes' files"
	is "$missing $unexp $(wc -l <"$d/sent.txt")" "0 0 $COUNT" \
		"$mode: together the files hold every frame sent (missing, unknown, sent)" ||
		diag "$mode: tcpdump kernel drops: $TB_TCPDUMP_DROPS"
	tb_stop_daemons
}

for mode in $MODES; do
	round "$mode"
done

done_testing
