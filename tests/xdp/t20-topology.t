#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Topology changes under a steady stream (TB_TOPO_RATE, 50,000 frames/s):
# two nodes capture, a third joins, then the first leaves gracefully
# (SIGTERM: LEAVE, then exit).  All nodes share one clock, and a new table
# takes effect on every node at its validity start, so no frame may be
# captured twice or not at all around either switch.  Each missing or
# duplicated frame is attributed to the switch nearest to it and printed.
# Rounds: TB_TOPO_SELECTS ("flow rr") x TB_XDP_MODES ("native generic").
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_TOPO_RATE:-50000}
SECONDS_STREAM=6
COUNT=$((RATE * SECONDS_STREAM))
SELECTS=${TB_TOPO_SELECTS:-flow rr}
MODES=${TB_XDP_MODES:-native generic}
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
rounds=$(($(echo $SELECTS | wc -w) * $(echo $MODES | wc -w)))
plan $((1 + 7 * rounds))

ok_cmd "testbed with 3 nodes" tb_up 3

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

# where FILE JOIN_NS LEAVE_SIGNAL_NS LEAVE_NS: count the frames of FILE
# (tb_pcapinfo lines) by the switch they are nearest to: "join", "leave"
# (from the SIGTERM to 1 s after the new table's validity start) or
# "other"; prints "JOIN LEAVE OTHER".
where() {
	awk -v j="$2" -v ls="$3" -v l="$4" '
	{
		t = $12
		if (t >= ls - 500000000 && t <= l + 1000000000) leave++
		else if (t >= j - 1000000000 && t <= j + 1000000000) join++
		else other++
	}
	END { printf "%d %d %d\n", join, leave, other }' "$1"
}

round() {
	local sel=$1 m=$2 d=$TB_DIR/$1.$2 up=1 join_ns leave_sig_ns leave_ns missing dup unexp
	local tag="$m $sel"

	mkdir -p "$d"
	TB_XDP_MODE=$m
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select "$sel" || up=0
	tb_start_node 1 --capture --snaplen "$SNAPLEN" || up=0
	tb_start_node 2 --capture --snaplen "$SNAPLEN" || up=0
	tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 15000 || { up=0; diag "$TB_WHY"; }
	ok $up "$tag: nodes 1 and 2 capture with a 2-member table"

	tb_gen_start --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 11 \
		-w "$d/sent.pcap"
	sleep 1.5

	tb_start_node 3 --capture --snaplen "$SNAPLEN"
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 10000
	ok $(($? == 0)) "$tag: node 3 joins: the 3 nodes switch to a 3-member table (${TB_WAIT_MS} ms)" ||
		diag "$TB_WHY"
	join_ns=$(tb_node_status 3 .validity_start_ns)

	sleep 1.5
	leave_sig_ns=$(now_ns)
	tb_stop_node 1
	ok $(($? == 0)) "$tag: node 1 leaves on SIGTERM and exits"
	tb_wait_until "tb_members_are 2 2 3 && tb_dp_ready 2 3" 10000
	ok $(($? == 0)) "$tag: nodes 2 and 3 switch to a 2-member table (${TB_WAIT_MS} ms)" ||
		diag "$TB_WHY"
	leave_ns=$(tb_node_status 2 .validity_start_ns)
	diag "$tag: node 1 was told to leave $(((leave_ns - leave_sig_ns) / 1000000)) ms before the new table's validity start"

	tb_gen_wait
	ok $(($? == 0)) "$tag: dicap-gen sent $COUNT frames at $RATE/s"
	tb_wait_delivered ana "$COUNT" 15000
	for i in 2 3; do
		tb_node_status "$i" >"$d/node$i.json"
	done
	tb_stop_analyzer ana
	tb_stop_daemons

	set -- $(tb_capture_compare "$d" "$SNAPLEN")
	missing=$1 dup=$2 unexp=$3
	local wm wd
	wm=$(where "$d/missing.txt" "$join_ns" "$leave_sig_ns" "$leave_ns")
	wd=$(where "$d/dup.txt" "$join_ns" "$leave_sig_ns" "$leave_ns")
	diag "$tag: of $COUNT frames: $missing missing (at join, at leave, elsewhere: $wm), $dup duplicated ($wd), $unexp unknown"
	for i in 2 3; do
		diag "$tag: node$i: $(jq -c '.datapath.counters | {seen, selected, ringbuf_full, records_unsent, slot_switches, markers_ok, markers_bad}' "$d/node$i.json")"
	done
	is "$dup" 0 "$tag: no frame captured twice around the switches"
	is "$missing $unexp" "0 0" "$tag: no frame lost around the switches (missing, unknown)" ||
		diag "first missing: $(sort -k12n "$d/missing.txt" | head -n 2)"
}

for sel in $SELECTS; do
	for m in $MODES; do
		round "$sel" "$m"
	done
done

done_testing
