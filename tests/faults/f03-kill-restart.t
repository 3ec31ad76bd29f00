#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Fault: a node killed with -9, then restarted (docs/design.md, "Failure
# behaviour").  tests/xdp/t30 bounds the loss of a kill; this case follows
# the node back in.
#
# 3 nodes capture in flow mode under steady traffic.  node1 is killed with
# SIGKILL; once the survivors have taken its buckets over it is started
# again, rejoins, and the three switch together.  Asserted:
#  - no frame twice;
#  - every missing frame was sent between the kill (less 300 ms: records
#    node1 had not sent yet) and the takeover's validity start (+100 ms),
#    and there are at most node1's share of the frames sent then (its
#    share of the buckets, + 10 % for how unevenly 1000 flows fill them);
#  - the rejoin loses and duplicates nothing: everything sent after the
#    takeover is exactly once.
# Figure: the loss, against that bound and against (timeout + interval +
# guard) x rate x share.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"
. "$REPO/tests/faults/lib.sh"

RATE=${TB_RATE:-5000}
if [ "$FAULTS_PROFILE" = long ]; then ROUNDS=3; else ROUNDS=1; fi
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
plan $((4 + 4 * ROUNDS))

ok_cmd "testbed with 3 nodes" tb_up 3
d=$TB_DIR

up=1
faults_start_flow "$d" || up=0
ok $up "3 nodes capture in flow mode"

tb_gen_start --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 11 -w "$d/sent.pcap"
sleep 1
windows=()
for r in $(seq "$ROUNDS"); do
	share=$(tb_node_status 1 .owned_buckets)
	t_kill=$(faults_now_ns)
	tb_kill_node 1
	ok $(($? == 0)) "round $r: node1 killed (SIGKILL), it owned $share buckets"
	tb_wait_until "tb_members_are 2 2 3 && tb_dp_ready 2 3" $((TB_TIMEOUT_MS + 10000))
	ok $(($? == 0)) "round $r: node2 and node3 took its buckets over" || diag "$TB_WHY"
	t_take=$(tb_node_status 2 .validity_start_ns)
	windows+=("$((t_kill - 300000000)) $((t_take + 100000000)) $share")
	tb_start_node 1 --capture --snaplen "$SNAPLEN" || diag "node1 does not start again"
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 20000
	ok $(($? == 0)) "round $r: node1 restarted and rejoined, the three agree" || diag "$TB_WHY"
	sleep 2
done
faults_collect "$d"
set -- $FAULTS_DAMAGE
missing=$1 dup=$2 unknown=$3
is "$dup $unknown" "0 0" "no frame twice, none unknown"
r=0
for w in "${windows[@]}"; do
	r=$((r + 1))
	set -- $w
	lost=$(awk -v a="$1" -v b="$2" '$2 >= a && $2 < b && $3 == 0 { n++ } END { print n + 0 }' "$d/damage.txt")
	frames=$(faults_frames_between "$d/sent.times" "$1" "$2")
	bound=$((frames * $3 * 11 / 10 / 65536 + 1))	# + 10 %: 1000 flows fill buckets unevenly
	design=$(((TB_TIMEOUT_MS + TB_HB_MS + TB_GUARD_MS) * RATE / 1000 * $3 / 65536))
	faults_figure "kill -9 of node1, round $r, at $RATE frames/s: $lost lost in the $((($2 - $1) / 1000000)) ms" \
		"from the kill to the takeover (bound: its share, + 10 %, of the $frames frames sent then = $bound;" \
		"design: (timeout + interval + guard) x rate x share = $design)"
	ok $((lost <= bound)) "round $r: $lost lost, at most node1's share of the frames sent from the kill to the takeover ($bound)"
done
# every other frame exactly once: before the kill, across the rejoin, after
outside=$(awk -v w="${windows[*]}" '
	BEGIN { n = split(w, a, " "); for (i = 1; i <= n; i += 3) { lo[++k] = a[i]; hi[k] = a[i + 1] } }
	{ in_w = 0; for (j = 1; j <= k; j++) if ($2 >= lo[j] && $2 < hi[j]) in_w = 1; if (!in_w) c++ }
	END { print c + 0 }' "$d/damage.txt")
is "$outside" 0 "every frame outside the kill windows exactly once (the rejoin too); $missing lost in all"

tb_stop_daemons
done_testing
