#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Fault: a node partitioned from the coordinator, then healed
# (docs/design.md, "Failure behaviour" and "Behaviour under partition").
#
# 3 nodes capture in flow mode under steady traffic.  A filter on the
# coordinator's management port (tests/bpf/faults.bpf.c tc/cut_node1)
# drops everything between node1 and the coordinator; node1 still reaches
# the analyzer.  The coordinator times node1 out and gives its buckets to
# node2 and node3, while node1 keeps capturing its old share: frames twice,
# never not at all.  After CUT_MS the filter goes; node1 rejoins and the
# three switch together.  Asserted:
#  - the coordinator removed node1 (a timeout) and took it back;
#  - no frame is missing;
#  - every duplicate was sent between the cut and the moment the test saw
#    all three nodes agree again, and there are at most node1's share of
#    the frames sent in that time (its share of the buckets, + 10 % for
#    how unevenly 1000 flows fill them);
#  - everything sent after that is exactly once.
# Figure: the duplicates, against that bound.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"
. "$REPO/tests/faults/lib.sh"

RATE=${TB_RATE:-5000}
if [ "$FAULTS_PROFILE" = long ]; then CUT_MS=20000; else CUT_MS=3000; fi
AFTER_MS=3000			# steady traffic after the heal is seen
SNAPLEN=128

faults_require
tb_init_tap dicap-gen dicap-analyzer
plan 8

ok_cmd "testbed with 3 nodes" tb_up 3
d=$TB_DIR
tb_defer "faults_tc_clear coord mgmt0"

up=1
faults_start_flow "$d" || up=0
ok $up "3 nodes capture in flow mode"
share1=$(tb_node_status 1 .owned_buckets)
timeouts0=$(tb_coord_status .counters.timeouts)

tb_gen_start --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 7 -w "$d/sent.pcap"
sleep 2
t_cut=$(faults_now_ns)
faults_tc coord mgmt0 ingress tc/cut_node1 && faults_tc coord mgmt0 egress tc/cut_node1
ok $(($? == 0)) "node1 cut off from the coordinator (tc/cut_node1 on its management port)"
tb_wait_until "tb_members_are 2 2 3 && tb_dp_ready 2 3" $((TB_TIMEOUT_MS + 10000))
ok $(($? == 0 && $(tb_coord_status .counters.timeouts) == timeouts0 + 1)) \
	"the coordinator timed node1 out and gave its buckets to node2 and node3" || diag "$TB_WHY"
tb_sleep_ms "$CUT_MS"
faults_tc_clear coord mgmt0
t_heal=$(faults_now_ns)
tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 20000
rc=$?
t_back=$(faults_now_ns)
ok $((rc == 0)) "healed: node1 rejoined, the three agree again ($(((t_back - t_heal) / 1000000)) ms)" ||
	diag "$TB_WHY"
tb_sleep_ms "$AFTER_MS"
faults_collect "$d"
set -- $FAULTS_DAMAGE
missing=$1 dup=$2 unknown=$3
window=$(faults_frames_between "$d/sent.times" "$t_cut" "$t_back")
# node1's share of the frames is its share of the buckets only up to how
# 1000 flows spread over them: 10 % more is allowed
bound=$((window * share1 * 11 / 10 / 65536 + 1))
after=$(faults_frames_between "$d/sent.times" "$t_back" 99999999999999999999)
faults_figure "partition of node1 for $(((t_heal - t_cut) / 1000000)) ms at $RATE frames/s:" \
	"$missing missing, $dup duplicates (bound: node1's share $share1/65536, + 10 %, of the $window" \
	"frames sent from the cut until all agreed = $bound)"
is "$missing $unknown" "0 0" "no frame missing (captured twice, never not at all)"
ok $((dup > 0 && dup <= bound && $(faults_outside "$d/damage.txt" "$t_cut" "$t_back") == 0)) \
	"$dup duplicates, all sent between the cut and the recovery, at most node1's share of them ($bound)"
ok $((after > RATE)) "after the recovery, $after frames exactly once"

tb_stop_daemons
done_testing
