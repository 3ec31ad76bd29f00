#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Forged round-robin markers on the monitored link change nothing.  While
# 3 nodes capture in round-robin mode, a host on the link (the gen
# namespace) sends marker frames (EtherType 0x88B5, magic "DCMK") for the
# current epoch, the next one and epoch 0, none with the right token, plus
# frames that only share the EtherType.  Every node must count the forged
# markers as rejected and otherwise ignore them (no switch, no reset of
# the counter C), the look-alikes must be captured as ordinary traffic,
# and the capture must hold every frame exactly once.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_MARKER_RATE:-30000}
COUNT=$((RATE * 4))
MODES=${TB_XDP_MODES:-native generic}
FORGED_EACH=20		# of each of the 3 kinds
LOOKALIKES=20
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
plan $((1 + 6 * $(echo $MODES | wc -w)))

ok_cmd "testbed with 3 nodes" tb_up 3

# forged_frames EPOCH: the markers (random tokens) and look-alikes, shuffled
# by a fixed seed, one hex frame a line.
forged_frames() {
	perl -e '
		my ($epoch, $each, $look) = @ARGV;
		srand(42);
		my @f;
		my $hdr = pack("H12 H12 n", "ffffffffffff", "020000000b0b", 0x88b5);
		for my $e ($epoch, $epoch + 1, 0) {
			for (1 .. $each) {
				my $tok = pack("C16", map { int(rand(256)) } 1 .. 16);
				push @f, $hdr . "DCMK" . pack("N", $e) . $tok;
			}
		}
		# same EtherType, no magic: ordinary traffic, with a sequence number
		push @f, $hdr . "XXXX" . "DCAP" . pack("N", 4000000000 + $_) for 1 .. $look;
		for my $i (reverse 1 .. $#f) { my $j = int(rand($i + 1)); @f[$i, $j] = @f[$j, $i] }
		for (@f) { $_ .= "\0" x (60 - length($_)) if length($_) < 60; print unpack("H*", $_), "\n" }
	' "$1" "$FORGED_EACH" "$LOOKALIKES"
}

# What the check compares, per node: agent epoch, program epoch, markers
# accepted and rejected, slot switches, C.
RR_STATE='"\(.epoch) \(.datapath.program_epoch) \(.datapath.counters.markers_ok) \(.datapath.counters.markers_bad) \(.datapath.counters.slot_switches) \(.datapath.rr_counter)"'

# rr_pass_repeats: read RR_STATE of nodes 1-3 into RR_PASS; true if it is
# the same as the pass before (RR_PREV).  The coordinator's resync markers
# go on all the time (one every --marker-interval), and each one changes
# markers_ok and C on every node at the same frame; three status reads one
# after another are no snapshot, as a marker may come between two of them.
# Two identical passes are: no node's counters moved between its two reads,
# and these intervals all overlap, so every line holds at one instant.
rr_pass_repeats() {
	local i line

	RR_PASS=
	for i in 1 2 3; do
		line=$(tb_node_status "$i" "$RR_STATE") || return 1
		RR_PASS+="$line"$'\n'
	done
	[ "$RR_PASS" = "$RR_PREV" ] && return 0
	RR_PREV=$RR_PASS
	return 1
}

# rr_snapshot FILE: RR_STATE of nodes 1-3 at one instant, a line each, to
# FILE.  Fails (FILE empty) if the counters did not hold still for two
# passes in 10 s.
rr_snapshot() {
	RR_PREV=
	if tb_wait_until rr_pass_repeats 10000; then
		printf '%s' "$RR_PASS" >"$1"
	else
		: >"$1"
		diag "no two passes over the nodes' status alike in 10 s; the last: $(printf '%s' "$RR_PASS" | tr '\n' ' ')"
		return 1
	fi
}

round() {
	local m=$1 d=$TB_DIR/$1 up=1 i epoch line before after forged=$((3 * FORGED_EACH))

	mkdir -p "$d"
	TB_XDP_MODE=$m
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select rr || up=0
	for i in 1 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
	ok $up "$m: 3 nodes capture in round-robin mode"
	epoch=$(tb_node_status 1 .epoch)
	rr_snapshot "$d/before.txt"

	forged_frames "$epoch" >"$d/forged.hex"
	tb_gen_start --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 500 --seed 3 -w "$d/sent.pcap"
	sleep 0.5
	tb_rawsend gen gen0 25 <"$d/forged.hex" >/dev/null
	tb_gen_wait
	ok $(($? == 0)) "$m: dicap-gen sent $COUNT frames; $forged forged markers and $LOOKALIKES look-alikes went in between"
	tb_wait_delivered ana $((COUNT + LOOKALIKES)) 15000

	# The coordinator's own markers (a resync every --marker-interval)
	# go on meanwhile: they are accepted, the same ones on every node, and
	# each restarts C; so the nodes must agree on C and on the number of
	# markers accepted, and have rejected exactly the forged ones.
	local nodes_ok=1 first= accepted snap=1
	if ! rr_snapshot "$d/after.txt" || ! [ -s "$d/before.txt" ]; then
		snap=0
		nodes_ok=0
	fi
	for i in 1 2 3; do
		tb_node_status "$i" >"$d/node$i.json"
		[ "$snap" = 1 ] || continue
		set -- $(sed -n "${i}p" "$d/before.txt")
		before="$1 $2 $4 $5"
		accepted=$3
		set -- $(sed -n "${i}p" "$d/after.txt")
		after="$1 $2 $(($4 - forged)) $5"
		line="accepted $(($3 - accepted)), C $6"
		[ "$after" = "$before" ] ||
			{ nodes_ok=0; diag "node$i: epoch, program epoch, rejected - $forged, switches: before '$before', after '$after'"; }
		[ -z "$first" ] && first=$line
		[ "$line" = "$first" ] || { nodes_ok=0; diag "node$i: $line; node1: $first"; }
	done
	REAL_MARKERS=${first#accepted }
	REAL_MARKERS=${REAL_MARKERS%%,*}
	diag "$m: meanwhile, every node accepted the same $REAL_MARKERS markers of the coordinator; $first"
	ok $nodes_ok "$m: every node rejected the $forged forged markers; epoch, switches, C as if they had not been sent"
	tb_stop_analyzer ana
	tb_stop_daemons

	set -- $(tb_capture_compare "$d" "$SNAPLEN")
	is "$1 $2" "0 0" "$m: every frame sent was captured once (missing, duplicated)"
	is "$3 $(awk '$1 >= 4000000001 && $1 <= 4000000000 + n' n="$LOOKALIKES" "$d/cap.txt" | wc -l)" \
		"$LOOKALIKES $LOOKALIKES" "$m: the $LOOKALIKES look-alikes were captured as traffic, no forged marker was"

	# Each marker restarts C, so position 0 may gain a frame per marker.
	local sel=() total=$((COUNT + LOOKALIKES)) rr_ok=1 slack=$((REAL_MARKERS + 1))
	for i in 1 2 3; do
		sel[$i]=$(jq -r .datapath.counters.selected "$d/node$i.json")
		[ "${sel[$i]}" -ge $((total / 3 - slack)) ] && [ "${sel[$i]}" -le $((total / 3 + slack)) ] || rr_ok=0
	done
	ok $rr_ok "$m: round-robin shares stay exact: ${sel[1]} ${sel[2]} ${sel[3]} of $total (+-$slack: one per marker of the coordinator)"
}

for m in $MODES; do
	round "$m"
done

done_testing
