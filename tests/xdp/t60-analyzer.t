#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The analyzer goes away and comes back while 3 nodes capture a steady
# stream (TB_ANA_RATE, 15,000 frames/s), over UDP and over TCP, in native
# and generic XDP mode:
#   1. the analyzer is stopped (SIGTERM: its pcap must be complete and
#      readable), then started again on the same address: the nodes carry
#      on and resume sending to it;
#   2. its management link goes down for 1 s and comes back while it runs:
#      over UDP the batches sent meanwhile are lost and the analyzer counts
#      them as sequence gaps; over TCP nothing is lost and there are no
#      gaps.
# Frames may be missing only inside those outages, none may be duplicated,
# and no daemon may crash.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_ANA_RATE:-15000}
SECONDS_STREAM=7
COUNT=$((RATE * SECONDS_STREAM))
MODES=${TB_XDP_MODES:-native generic}
TRANSPORTS=${TB_TRANSPORTS:-udp tcp}
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
plan $((1 + 8 * $(echo $MODES | wc -w) * $(echo $TRANSPORTS | wc -w)))

ok_cmd "testbed with 3 nodes" tb_up 3

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

nodes_alive() {
	local i

	for i in 1 2 3; do
		tb_alive "node$i" || { TB_WHY="node$i is gone"; return 1; }
	done
}

round() {
	local t=$1 m=$2 d=$TB_DIR/$1.$2 up=1 i tag="$2 $1"
	local stop_ns restart_ns resume_ns down_ns up_ns missing dup unexp

	mkdir -p "$d"
	TB_XDP_MODE=$m
	tb_start_analyzer -w "$d/cap1.pcap" --transport "$t" || up=0
	tb_start_coord --select flow || up=0
	for i in 1 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" --transport "$t" || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
	ok $up "$tag: 3 nodes capture, sending over $t"

	tb_gen_start --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 500 --seed 9 -w "$d/sent.pcap"
	sleep 1
	stop_ns=$(now_ns)
	tb_stop_analyzer ana
	local stopped=$?
	tb_pcapinfo "$d/cap1.pcap" "$SNAPLEN" >"$d/cap1.txt"
	ok $((stopped == 0 && $(wc -l <"$d/cap1.txt") > 0)) \
		"$tag: the analyzer stops on SIGTERM; its pcap is complete ($(wc -l <"$d/cap1.txt") records)"

	sleep 1
	tb_start_analyzer -w "$d/cap2.pcap" --transport "$t"
	restart_ns=$(now_ns)
	tb_wait_until "[ \"\$(tb_ana_stats ana .totals.records)\" -gt 0 ] 2>/dev/null" 8000
	ok $(($? == 0)) "$tag: restarted on the same address, it receives again (${TB_WAIT_MS} ms)"

	sleep 1
	down_ns=$(now_ns)
	ip -n "$(tb_ns mgmt)" link set m-ana down
	sleep 1
	ip -n "$(tb_ns mgmt)" link set m-ana up
	up_ns=$(now_ns)

	tb_gen_wait
	ok $(($? == 0)) "$tag: dicap-gen sent $COUNT frames at $RATE/s"
	tb_wait_delivered ana "$COUNT" 10000
	nodes_alive && tb_alive ana
	ok $(($? == 0)) "$tag: every node and the analyzer still run" || diag "$TB_WHY"
	for i in 1 2 3; do
		tb_node_status "$i" >"$d/node$i.json"
		diag "$tag: node$i: $(jq -c '.datapath.counters | {records_sent, records_unsent, send_errors, analyzer_skips, queue_drops, tcp_connects, tcp_disconnects}' "$d/node$i.json")"
	done
	tb_stop_analyzer ana
	tb_stop_daemons
	cp "${TB_ANA_STATS[ana]}" "$d/ana2.json"

	tb_pcapinfo "$d/sent.pcap" "$SNAPLEN" >"$d/sent.txt"
	tb_pcapinfo "$d/cap2.pcap" "$SNAPLEN" >"$d/cap2.txt"
	cat "$d/cap1.txt" "$d/cap2.txt" >"$d/cap.txt"
	set -- $(tb_frames_compare "$d/sent.txt" "$d/cap.txt" "$d/missing.txt" "$d/dup.txt")
	missing=$1 dup=$2 unexp=$3
	is "$dup $unexp" "0 0" "$tag: no frame captured twice, none unknown"

	# When did the restarted analyzer get its first frame (by send time)?
	resume_ns=$(awk 'NR == FNR { k[$9 " " $10] = 1; next } ($9 " " $10) in k { print $12 }' \
		"$d/cap2.txt" "$d/sent.txt" | sort -n | head -n 1)
	# Each node retries the unreachable analyzer on its own back-off timer
	# (1 s, then 2 s, ...), so on a loaded machine the nodes resume at
	# different times: the window ends when the last of them got through,
	# the latest per-node first arrival the restarted analyzer recorded.
	local resume_last
	resume_last=$(jq -r '[.nodes[].first_seen_ns] | max' "$d/ana2.json")
	[ "${resume_last:-0}" -gt "${resume_ns:-0}" ] 2>/dev/null && resume_ns=$resume_last
	local windows
	windows=$(awk -v s="$stop_ns" -v r="$resume_ns" -v dn="$down_ns" -v u="$up_ns" '
		$12 >= s - 200000000 && $12 <= r + 200000000 { restart++; next }
		$12 >= dn - 200000000 && $12 <= u + 500000000 { flap++; next }
		{ other++ }
		END { printf "%d %d %d\n", restart, flap, other }' "$d/missing.txt")
	set -- $windows
	diag "$tag: analyzer down $(((restart_ns - stop_ns) / 1000000)) ms, the nodes resumed sending $(((resume_ns - restart_ns) / 1000000)) ms after its restart"
	diag "$tag: $missing frames missing: $1 while the analyzer was away, $2 around the link outage, $3 elsewhere"
	diag "$tag: restarted analyzer: $(jq -c '.totals | {records, gaps, duplicates, restarts, socket_drops, tcp_accepted}' "$d/ana2.json")"
	local gaps
	gaps=$(jq -r .totals.gaps "$d/ana2.json")
	if [ "$t" = udp ]; then
		is "$3" 0 "$tag: frames are missing only while the analyzer was away or unreachable"
		ok $((gaps > 0 && $2 > 0)) "$tag: the link outage lost frames ($2) and the analyzer counted $gaps sequence gaps"
	else
		is "$2 $3" "0 0" "$tag: frames are missing only while the analyzer was away, none for the link outage"
		is "$gaps" 0 "$tag: the analyzer counted no sequence gaps"
	fi
}

for t in $TRANSPORTS; do
	for m in $MODES; do
		round "$t" "$m"
	done
done

done_testing
