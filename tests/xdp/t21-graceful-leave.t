#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A graceful leave loses nothing.  On SIGTERM dicapd sends LEAVE and keeps
# capturing its share ("leaving") until the topology without it is in
# force: the coordinator sends that topology to the leaver too, whose XDP
# program switches at its validity start (with markers: at its
# marker) like the survivors', and dicapd exits just after.  Under a steady
# stream (TB_LEAVE_RATE, 50,000 frames/s) of 3 capturing nodes, node 1
# leaves: no frame is missing or captured twice, node 1 reports "leaving"
# while its new epoch is pending, exits just after that epoch's validity
# start, and (flow mode) captured exactly its buckets' frames until its switch.
# Then the edges, without traffic: a second SIGTERM exits at once; the last
# member exits at once; a node whose coordinator died exits once the
# coordinator is lost (the timeout), one that had lost it exits at once.
# Rounds: TB_LEAVE_SELECTS ("flow rr"), XDP mode TB_XDP_MODE (native).
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_LEAVE_RATE:-50000}
SECONDS_STREAM=4
COUNT=$((RATE * SECONDS_STREAM))
SELECTS=${TB_LEAVE_SELECTS:-flow rr}
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
rounds=$(echo $SELECTS | wc -w)
flow_rounds=$(echo $SELECTS | tr ' ' '\n' | grep -cx flow)
plan $((1 + 9 * rounds + flow_rounds + 7))

ok_cmd "testbed with 3 nodes" tb_up 3

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

# wait_exit NAME DEADLINE_MS: wait for NAME's process to end, polling
# every 10 ms; EXIT_NS is when it was seen gone.
wait_exit() {
	local pid=${TB_PID[$1]} t0

	t0=$(tb_now_ms)
	while kill -0 "$pid" 2>/dev/null; do
		[ $(($(tb_now_ms) - t0)) -ge "$2" ] && return 1
		sleep 0.01
	done
	EXIT_NS=$(now_ns)
}

log_lines() {	# log_lines NAME: lines in NAME's log so far
	wc -l <"${TB_LOG[$1]}"
}

log_since() {	# log_since NAME LINE PATTERN: PATTERN in NAME's log after LINE
	tail -n +"$(($2 + 1))" "${TB_LOG[$1]}" | grep -q -- "$3"
}

# leaving_status I: poll node I until it says "leaving" with an epoch
# pending; LEAVING is its status line then (empty if it never did).
leaving_status() {
	local t0 line

	LEAVING=
	t0=$(tb_now_ms)
	while [ $(($(tb_now_ms) - t0)) -lt 3000 ]; do
		line=$(tb_node_status "$1" \
			'"\(.state) \(.position) \(.epoch) \(.pending_epoch) \(.pending_validity_start_ns)"') ||
			return 1
		case $line in
		"leaving "*" null "*) ;;
		"leaving "*) LEAVING=$line; return 0 ;;
		esac
		sleep 0.02
	done
	return 1
}

round() {
	local sel=$1 d=$TB_DIR/$1 up=1 sig_ns validity_ns exit_ns epoch line0 missing dup unexp
	local tag="${TB_XDP_MODE} $sel"

	mkdir -p "$d"
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select "$sel" || up=0
	for i in 1 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
	ok $up "$tag: 3 nodes capture with a 3-member table"
	[ "$sel" = flow ] && tb_node_owned 1 >"$d/owned1.txt"

	tb_gen_start --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 21 \
		-w "$d/sent.pcap"
	sleep 1.5

	line0=$(log_lines node1)
	sig_ns=$(now_ns)
	kill -TERM "${TB_PID[node1]}"
	leaving_status 1
	set -- $LEAVING
	ok $(($# == 5 && $2 >= 0 && $4 > $3)) \
		"$tag: node 1 is leaving and still a member (position $2 of epoch $3), epoch $4 pending" ||
		diag "node1: ${LEAVING:-never reported leaving with an epoch pending}"
	epoch=${4:-0} validity_ns=${5:-0}

	wait_exit node1 10000
	ok $(($? == 0)) "$tag: node 1 exits on its own" || EXIT_NS=0
	exit_ns=$EXIT_NS
	local after_ms=$(((EXIT_NS - validity_ns) / 1000000))
	ok $((EXIT_NS > validity_ns && after_ms < 1000)) \
		"$tag: node 1 exits $after_ms ms after the validity start of epoch $epoch (signal $(((validity_ns - sig_ns) / 1000000)) ms before it)"
	log_since node1 "$line0" "epoch $epoch without this node is in force"
	ok $(($? == 0)) "$tag: node 1 saw epoch $epoch in force in its XDP program before exiting" ||
		diag "$(tail -n +"$((line0 + 1))" "${TB_LOG[node1]}" | grep -i 'leav\|exit')"

	tb_wait_until "tb_members_are 2 2 3 && tb_dp_ready 2 3" 5000
	ok $(($? == 0)) "$tag: nodes 2 and 3 hold the 2-member table of epoch $epoch" || diag "$TB_WHY"
	[ "$(tb_node_status 2 .epoch)" = "$epoch" ] || diag "node2 is at epoch $(tb_node_status 2 .epoch), not $epoch"

	tb_gen_wait
	ok $(($? == 0)) "$tag: dicap-gen sent $COUNT frames at $RATE/s"
	tb_wait_delivered ana "$COUNT" 15000
	local got1
	got1=$(tb_ana_stats ana ".nodes[] | select(.id == \"$(tb_node_id 1)\") | .records")
	tb_stop_analyzer ana
	tb_stop_daemons

	set -- $(tb_capture_compare "$d" "$SNAPLEN")
	missing=$1 dup=$2 unexp=$3
	diag "$tag: of $COUNT frames: $missing missing, $dup duplicated, $unexp unknown"
	is "$dup" 0 "$tag: no frame captured twice"
	is "$missing $unexp" "0 0" "$tag: no frame lost (missing, unknown)" ||
		diag "first missing: $(sort -k12n "$d/missing.txt" | head -n 2)"

	[ "$sel" = flow ] || return 0
	# Node 1's buckets (column 8) by capture time (column 12 of cap.txt,
	# the capturing node's clock, read just after its table decision).
	# Until node 1 switches, its buckets are its own, and from then on
	# another node's: its records are those frames stamped before some
	# instant.  That instant is at or after the validity start (with
	# markers: at the switch marker, a few ms later) and before node 1
	# exited, so its records are at least the frames stamped before the
	# validity start and at most those stamped before its exit.  Send
	# times would add the transit, which a loaded machine stretches to
	# milliseconds.
	local before until_exit between
	set -- $(awk -v s="$sig_ns" -v v="$validity_ns" -v x="$exit_ns" '
		NR == FNR { if (split($0, r, "-") == 2) for (b = r[1]; b <= r[2]; b++) mine[b] = 1; next }
		!($8 in mine) { next }
		$12 < v { n++; if ($12 >= s) w++ }
		$12 < x { e++ }
		END { print n + 0, e + 0, w + 0 }' "$d/owned1.txt" "$d/cap.txt")
	before=$1 until_exit=$2 between=$3
	diag "$tag: node 1 sent ${got1:-?} records; its buckets had $before frames stamped before the validity start ($between of them after the signal), $until_exit before node 1 exited"
	ok $((between > 0 && ${got1:-0} >= before && ${got1:-0} <= until_exit)) \
		"$tag: node 1 captured its buckets until its switch, $between frames of them while leaving"
}

for sel in $SELECTS; do
	round "$sel"
done

# ---- the edges, without traffic
up=1
tb_start_coord --select flow || up=0
for i in 1 2 3; do
	tb_start_node "$i" || up=0
done
tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
ok $up "3 nodes (distribute) with a 3-member table"

line0=$(log_lines node1)
t0=$(tb_now_ms)
kill -TERM "${TB_PID[node1]}"
sleep 0.05
kill -TERM "${TB_PID[node1]}"
wait_exit node1 5000
t=$(($(tb_now_ms) - t0))
log_since node1 "$line0" "again: exiting now"
ok $(($? == 0 && t < TB_GUARD_MS)) \
	"a second SIGTERM exits at once: $t ms after the first, before the validity start ($TB_GUARD_MS ms)"

tb_wait_until "tb_members_are 2 2 3 && tb_dp_ready 2 3" 5000 || diag "$TB_WHY"
t0=$(tb_now_ms)
tb_stop_node 2
ok $(($? == 0)) "node 2 leaves gracefully ($(($(tb_now_ms) - t0)) ms; guard $TB_GUARD_MS ms)"

tb_wait_until "tb_members_are 1 3 && tb_dp_ready 3" 5000 || diag "$TB_WHY"
line0=$(log_lines node3)
t0=$(tb_now_ms)
tb_stop_node 3
t=$(($(tb_now_ms) - t0))
log_since node3 "$line0" "no member is left"
ok $(($? == 0 && t < TB_GUARD_MS)) "the last member leaves at once ($t ms): nobody is there to take over"

up=1
for i in 1 2; do
	tb_start_node "$i" || up=0
done
tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 15000 || { up=0; diag "$TB_WHY"; }
ok $up "nodes 1 and 2 join again"
tb_signal coord KILL
line0=$(log_lines node1)
t0=$(tb_now_ms)
tb_stop_node 1
t=$(($(tb_now_ms) - t0))
log_since node1 "$line0" "silent for"
ok $(($? == 0 && t >= TB_TIMEOUT_MS - 2 * TB_HB_MS && t <= TB_TIMEOUT_MS + 1000)) \
	"the coordinator killed: node 1 leaves once it is lost, $t ms (timeout $TB_TIMEOUT_MS, interval $TB_HB_MS)"

tb_wait_until '[ "$(tb_node_status 2 .state)" = no-coordinator ]' $((TB_TIMEOUT_MS + 2 * TB_HB_MS + 1000))
t0=$(tb_now_ms)
tb_stop_node 2
t=$(($(tb_now_ms) - t0))
ok $((t < TB_GUARD_MS)) "node 2, which had lost its coordinator, exits at once ($t ms)"

done_testing
