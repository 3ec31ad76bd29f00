#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Fault: a clock offset between nodes at a switch (docs/design.md,
# "Failure behaviour").  In the hash modes every node switches to a new
# topology when its own clock passes the validity start, so a node whose
# clock is ahead by OFFSET switches OFFSET early.
#
# 3 nodes capture in flow mode under steady traffic; node1 runs with the
# test knob DICAP_TEST_CLOCK_AHEAD_MS=OFFSET (node/dicapd/dicapd.c: it
# switches as if its clock were that far ahead).  node3 leaves gracefully:
# node1 takes part of node3's buckets OFFSET before node3 lets them go, so
# those frames are captured twice.  Asserted:
#  - every damaged frame was sent within OFFSET (+ 50 ms) before the
#    validity start (or 50 ms after it), none outside;
#  - no more than the frames sent in that window.
# Figure: the duplicates and gaps, against OFFSET x rate x the share that
# moved to node1.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"
. "$REPO/tests/faults/lib.sh"

RATE=${TB_RATE:-5000}
if [ "$FAULTS_PROFILE" = long ]; then OFFSETS="20 100 250"; else OFFSETS=100; fi
SLACK_MS=50
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
set -- $OFFSETS
plan $((1 + 4 * $#))

ok_cmd "testbed with 3 nodes" tb_up 3

round() {
	local off=$1 d=$TB_DIR/off$1 up=1 i v share0 share1 missing dup unknown lo hi frames moved

	mkdir -p "$d"
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select flow || up=0
	DICAP_TEST_CLOCK_AHEAD_MS=$off tb_start_node 1 --capture --snaplen "$SNAPLEN" || up=0
	for i in 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
	grep -q "DICAP_TEST_CLOCK_AHEAD_MS=$off" "${TB_LOG[node1]}" || up=0
	ok $up "offset $off ms: 3 nodes capture in flow mode, node1's clock $off ms ahead (test knob)"
	share0=$(tb_node_status 1 .owned_buckets)

	tb_gen_start --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 13 -w "$d/sent.pcap"
	sleep 1.5
	tb_stop_node 3
	tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 10000
	ok $(($? == 0)) "offset $off ms: node3 left, node1 and node2 switched" || diag "$TB_WHY"
	v=$(tb_node_status 2 .validity_start_ns)
	share1=$(tb_node_status 1 .owned_buckets)
	sleep 1.5
	faults_collect "$d"
	tb_stop_daemons
	set -- $FAULTS_DAMAGE
	missing=$1 dup=$2 unknown=$3
	lo=$((v - (off + SLACK_MS) * 1000000))
	hi=$((v + SLACK_MS * 1000000))
	frames=$(faults_frames_between "$d/sent.times" "$lo" "$hi")
	moved=$((share1 - share0))
	faults_figure "clock $off ms ahead on node1 at a leave, $RATE frames/s: $missing missing, $dup twice" \
		"(offset x rate x the $moved buckets node1 gained = $((off * RATE / 1000 * moved / 65536)))"
	is "$(faults_outside "$d/damage.txt" "$lo" "$hi")" 0 \
		"offset $off ms: every damaged frame was sent within $off ms (+ $SLACK_MS) before the validity start"
	ok $((missing + dup <= frames && unknown == 0)) \
		"offset $off ms: $missing missing and $dup twice, at most the $frames frames sent then"
}

for off in $OFFSETS; do
	round "$off"
done

done_testing
