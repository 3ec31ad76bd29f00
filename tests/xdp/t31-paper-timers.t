#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dicap-coord --paper-timers (heartbeat 5 s, timeout 15 s, the paper's
# values): the nodes adopt both from the topology and send a heartbeat
# every 5 s; a capturing dicapd killed with SIGKILL is removed when its
# last heartbeat is 15 s old, and the survivors take its share over.
#
# The bound, from the code: the coordinator's expiry timer is due at the
# oldest node's last heartbeat + timeout + 1 ms (coord/nodes.c), and the
# last heartbeat came at most one interval before the kill, so the node
# is removed between timeout - interval and timeout (+ 1 ms) after the
# kill, with no heartbeat for exactly the timeout.  The new topology is
# published at once in a quiet cluster (the coalescing delay,
# --coalesce 100 ms, counts from the previous publication, over 10 s
# earlier here) and takes effect one guard later.  So the survivors apply
# it at most timeout + coalescing + guard after the kill; TB_SLACK_MS
# (1000) covers a loaded machine.  Then a stream is captured exactly once
# by the two survivors.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

PAPER_HB_MS=5000
PAPER_TIMEOUT_MS=15000
COALESCE_MS=100		# dicap-coord's default --coalesce
SLACK_MS=${TB_SLACK_MS:-1000}
RATE=${TB_PAPER_RATE:-10000}
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
plan 12

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

coord_has() {	# coord_has ID: the coordinator lists node ID
	tb_coord_status '.nodes[].id' | grep -qx "$1"
}

# hb_intervals I: the intervals in ms between the heartbeats nodeI's log
# says it sent after it adopted the paper's timers, one a line.
hb_intervals() {
	awk '
	/heartbeat every 5000 ms/ { on = 1; next }
	on && /sent heartbeat to/ {
		split($1, t, ":")
		ms = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000
		if (prev != "") {
			d = ms - prev
			if (d < 0) d += 86400000
			printf "%d\n", d
		}
		prev = ms
	}' "${TB_LOG[node$1]}"
}

d=$TB_DIR/run
mkdir -p "$d"
ok_cmd "testbed with 3 nodes" tb_up 3

up=1
tb_start_analyzer -w "$d/cap.pcap" || up=0
tb_start_coord --select flow --paper-timers || up=0
for i in 1 2 3; do
	tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
done
tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
ok $up "3 nodes capture under a coordinator with --paper-timers"
timers=$(tb_coord_status '"\(.heartbeat_ms) \(.timeout_ms)"'
	for i in 1 2 3; do tb_node_status "$i" '"\(.heartbeat_ms) \(.timeout_ms)"'; done)
is "$(echo "$timers" | sort -u)" "$PAPER_HB_MS $PAPER_TIMEOUT_MS" \
	"the coordinator and the 3 nodes run a $PAPER_HB_MS ms heartbeat and a $PAPER_TIMEOUT_MS ms timeout"
share2=$(tb_node_status 2 .owned_buckets)

kill_ns=$(now_ns)
tb_kill_node 2
ok $(($? == 0)) "dicapd on node 2 killed with SIGKILL"
lo=$((PAPER_TIMEOUT_MS - PAPER_HB_MS - SLACK_MS))
hi=$((PAPER_TIMEOUT_MS + SLACK_MS))
tb_wait_until "! coord_has $(tb_node_id 2)" $((hi + 5000))
rc=$?
removed_ms=$((($(now_ns) - kill_ns) / 1000000))
ok $((rc == 0)) "the coordinator removes node 2" || diag "$(tb_coord_status '.nodes | map(.id) | tostring')"
diag "node 2 removed $removed_ms ms after the kill (by polling the coordinator every 100 ms)"
ok $((removed_ms >= lo && removed_ms <= hi)) \
	"removed between timeout - interval and timeout after the kill ($lo..$hi ms with $SLACK_MS ms slack): $removed_ms ms"
silent=$(sed -n "s/.*node $(tb_node_id 2) .* timed out: no heartbeat for \([0-9]*\) ms.*/\1/p" \
	"${TB_LOG[coord]}" | tail -n 1)
diag "the coordinator's log: no heartbeat from node 2 for ${silent:-?} ms"
ok $((${silent:-0} >= PAPER_TIMEOUT_MS && ${silent:-0} <= PAPER_TIMEOUT_MS + SLACK_MS)) \
	"it timed out after $PAPER_TIMEOUT_MS ms without a heartbeat, not sooner (${silent:-?} ms)"

tb_wait_until "tb_members_are 2 1 3 && tb_dp_ready 1 3" $((SLACK_MS + 5000))
ok $(($? == 0)) "nodes 1 and 3 switch to a 2-member table" || diag "$TB_WHY"
took=$((($(tb_node_status 1 .validity_start_ns) - kill_ns) / 1000000))
bound=$((PAPER_TIMEOUT_MS + COALESCE_MS + TB_GUARD_MS))
diag "the new table took effect $took ms after the kill (timeout $PAPER_TIMEOUT_MS + coalescing <= $COALESCE_MS + guard $TB_GUARD_MS = $bound, slack $SLACK_MS)"
ok $((took <= bound + SLACK_MS)) "node 2's share is redistributed within timeout + coalescing + guard (+ slack)"
owned=$(($(tb_node_status 1 .owned_buckets) + $(tb_node_status 3 .owned_buckets)))
diag "node 2 owned $share2 buckets; nodes 1 and 3 own $(tb_node_status 1 .owned_buckets) + $(tb_node_status 3 .owned_buckets)"
is "$owned" 65536 "nodes 1 and 3 own all 65536 buckets between them"

COUNT=$((RATE * 2))
tb_gen --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 31 \
	-w "$d/sent.pcap"
tb_wait_delivered ana "$COUNT" 15000
tb_stop_analyzer ana
tb_stop_daemons
# Heartbeats of the survivors, every 5 s: they ran for 12 s and more.
ivals=$(for i in 1 3; do hb_intervals "$i"; done | sort -n)
diag "heartbeat intervals of nodes 1 and 3 (ms): $(echo $ivals)"
set -- $ivals
ok $(($# >= 4 && $1 >= PAPER_HB_MS - SLACK_MS && ${!#} <= PAPER_HB_MS + SLACK_MS)) \
	"nodes 1 and 3 sent a heartbeat every $PAPER_HB_MS ms ($# intervals)"
set -- $(tb_capture_compare "$d" "$SNAPLEN")
diag "$COUNT frames sent: $1 missing, $2 twice, $3 unknown"
is "$1 $2 $3" "0 0 0" "a stream after the switch is captured exactly once by nodes 1 and 3"

done_testing
