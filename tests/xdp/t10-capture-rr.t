#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Distributed capture with 3 nodes, in native and in generic XDP mode:
# 100,000 frames of dicap-gen's whole mix (IPv4, IPv6, VLAN, QinQ, TCP,
# UDP, SCTP, ICMP, fragments, options, extension headers, malformed, ARP)
# go through the mirror to every node; the analyzer's pcap must hold each
# frame exactly once, byte for byte (up to the snaplen), and each node must
# own exactly the frames its table (or the round-robin rule) gives it.
#
# One file per selection mode: t11, t12 and t13 run this one with SELECT
# set.  In flow mode the nodes also pass their share to the stack
# (--distribute), where tcpdump on each node's eth0 tells which node took
# each frame: both directions of every conversation must be on one node.
#
# TB_COUNT (100000), TB_RATE (40000 frames/s), TB_XDP_MODES ("native
# generic") change the load.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

SELECT=${SELECT:-rr}
COUNT=${TB_COUNT:-100000}
RATE=${TB_RATE:-40000}
MODES=${TB_XDP_MODES:-native generic}
SNAPLEN=1440
FLOWS=1000
SHARE_TOL=0.05		# |share - 1/3| in hash modes (the exact count is checked too)

tb_init_tap dicap-gen dicap-analyzer
per_round=10
[ "$SELECT" = flow ] && per_round=11
set -- $MODES
plan $((1 + per_round * $#))

ok_cmd "testbed with 3 nodes" tb_up 3

NODE_OPTS=(--capture --snaplen "$SNAPLEN")
[ "$SELECT" = flow ] && NODE_OPTS+=(--distribute)

# round MODE: one complete run in XDP mode MODE; per_round assertions.
round() {
	local m=$1 d=$TB_DIR/$1 i up=1 sent_rx0 rx started sum_sel seen_ok line
	local ids=() sel=() missing dup unexp

	mkdir -p "$d"
	TB_XDP_MODE=$m
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select "$SELECT" || up=0
	for i in 1 2 3; do
		tb_start_node "$i" "${NODE_OPTS[@]}" || up=0
	done
	ok $up "$m: analyzer, coordinator (--select $SELECT) and 3 dicapd ${NODE_OPTS[*]} start"

	tb_wait_until "tb_dp_ready 1 2 3" 15000
	up=$(($? == 0))
	[ $up = 1 ] || diag "$TB_WHY"
	for i in 1 2 3; do
		line=$(tb_xdp_mode_of "$i")
		[ "$line" = "$m" ] || { up=0; diag "node$i: XDP attached as '$line', wanted $m"; }
		ids[$i]=$(tb_node_status "$i" .node_id)
	done
	ok $up "$m: the nodes agree on a 3-member table, their programs (attached $m) run it"

	if [ "$SELECT" = flow ]; then
		for i in 1 2 3; do
			tb_tcpdump_start "stack$i.$m" "node$i" eth0 "$d/stack$i.pcap"
		done
	fi
	for i in 1 2 3; do
		tb_node_status "$i" >"$d/node$i.before.json"
	done
	sent_rx0=$(tb_link_stat sw g0 rx.packets)
	started=$(tb_now_ms)
	tb_gen --count "$COUNT" --rate "$RATE" --mix all --flows "$FLOWS" --size 60-400 \
		--seed 7 -w "$d/sent.pcap"
	ok $(($? == 0)) "$m: dicap-gen sent $COUNT frames at $RATE/s" ||
		diag "$(tail -n 2 "$TB_GEN_OUT")"
	diag "$m: $(grep -o 'sent .*' "$TB_GEN_OUT" | tail -n 1)"
	rx=$(($(tb_link_stat sw g0 rx.packets) - sent_rx0))
	[ "$rx" = "$COUNT" ] || diag "$m: the switch received $rx frames of $COUNT"

	tb_wait_delivered ana "$COUNT" 20000 ||
		diag "$m: the analyzer has $TB_DELIVERED records of $COUNT after $(($(tb_now_ms) - started)) ms"
	if [ "$SELECT" = flow ]; then
		tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
		tb_tcpdump_stop "stack1.$m" "stack2.$m" "stack3.$m"
		[ "$TB_TCPDUMP_DROPS" = 0 ] || diag "$m: tcpdump on the nodes dropped $TB_TCPDUMP_DROPS"
	fi
	for i in 1 2 3; do
		tb_node_status "$i" >"$d/node$i.json"
	done
	tb_stop_analyzer ana

	set -- $(tb_capture_compare "$d" "$SNAPLEN")
	missing=$1 dup=$2 unexp=$3
	is "$missing $dup $unexp" "0 0 0" \
		"$m: the analyzer's $(wc -l <"$d/cap.txt") records are the $COUNT frames sent (missing, duplicated, unknown)" ||
		diag "first missing: $(head -n 3 "$d/missing.txt")"

	# Frames without usable IP fields still have exactly one owner.
	line=$(awk '$2 != "ok" { n[$2]++ } END { for (c in n) printf "%s=%d ", c, n[c] }' "$d/sent.txt" |
		tr ' ' '\n' | sort | tr '\n' ' ')
	is "$(awk '$2 != "ok" { n[$2]++ } END { for (c in n) printf "%s=%d ", c, n[c] }' "$d/cap.txt" |
		tr ' ' '\n' | sort | tr '\n' ' ')" "$line" \
		"$m: non-IP, truncated and malformed frames captured once each ($line)"

	sum_sel=0 seen_ok=1
	for i in 1 2 3; do
		sel[$i]=$(ctr_delta "$i" selected)
		sum_sel=$((sum_sel + sel[i]))
		# frames seen: the traffic and the coordinator's markers
		[ $(($(ctr_delta "$i" seen) - $(ctr_delta "$i" markers_ok))) = "$COUNT" ] ||
			{ seen_ok=0; diag "node$i: $(jq -c .datapath.counters "$d/node$i.json")"; }
	done
	ok $((seen_ok && sum_sel == COUNT)) \
		"$m: every node saw all $COUNT frames, the nodes selected $sum_sel together"
	diag "$m: selected per node: ${sel[1]} ${sel[2]} ${sel[3]}"

	local per_ok=1 rec
	for i in 1 2 3; do
		rec=$(tb_ana_stats ana ".nodes[] | select(.id == \"${ids[$i]}\") | \"\(.records) \(.gaps) \(.duplicates) \(.malformed)\"")
		[ "$rec" = "${sel[$i]} 0 0 0" ] ||
			{ per_ok=0; diag "node$i (${ids[$i]}): analyzer records gaps dups malformed = '$rec', selected ${sel[$i]}"; }
	done
	ok $per_ok "$m: per node, the analyzer got every record selected, no gaps, no duplicates"

	if [ "$SELECT" = rr ]; then
		# The coordinator's resync markers restart C on every node at the
		# same frame: position 0 may gain one frame per marker.
		local markers=0 slack rr_ok=1
		for i in 1 2 3; do
			[ "$(ctr_delta "$i" markers_ok)" -gt "$markers" ] && markers=$(ctr_delta "$i" markers_ok)
		done
		slack=$((markers + 1))
		for i in 1 2 3; do
			[ "${sel[$i]}" -ge $((COUNT / 3 - slack)) ] && [ "${sel[$i]}" -le $((COUNT / 3 + slack)) ] || rr_ok=0
		done
		ok $rr_ok "$m: round-robin: each node took $((COUNT / 3)) frames +- $slack (one per marker: $markers)"
		# Resync markers restarted C mid-stream on every node; the exact
		# capture above shows that they did so at the same frame.
		line=
		for i in 1 2 3; do
			line="$line $(ctr_delta "$i" markers_ok)"
		done
		if tb_has_option dicap-coord --inject-dev; then
			ok $(($(echo $line | tr ' ' '\n' | sort -n | head -n 1) >= 1)) \
				"$m: round-robin: the coordinator's markers reached the nodes mid-stream (accepted:$line)"
		else
			tap_result 1 "# SKIP dicap-coord has no --inject-dev"
		fi
	else
		tb_owner_counts "$SELECT" "$d/sent.txt" 1 2 3 >"$d/predicted.txt"
		is "$(tr '\n' ' ' <"$d/predicted.txt")" "1 ${sel[1]} 2 ${sel[2]} 3 ${sel[3]} none 0 " \
			"$m: each node selected exactly the frames whose $SELECT bucket it owns"
		local share_ok=1
		for i in 1 2 3; do
			awk -v s="${sel[$i]}" -v n="$COUNT" -v t="$SHARE_TOL" \
				'BEGIN { d = s / n - 1 / 3; exit !(d <= t && -d <= t) }' || share_ok=0
		done
		ok $share_ok "$m: each share within 1/3 +- $SHARE_TOL"
	fi

	local loss_ok=1 c
	for i in 1 2 3; do
		for c in ringbuf_full ring_errors send_errors records_unsent queue_drops; do
			[ "$(jq -r ".datapath.counters.$c" "$d/node$i.json")" = 0 ] ||
				{ loss_ok=0; diag "node$i: $c = $(jq -r ".datapath.counters.$c" "$d/node$i.json")"; }
		done
	done
	ok $loss_ok "$m: no ring-buffer overflow, send error or unsent record on any node"

	if [ "$SELECT" = flow ]; then
		check_flows "$m" "$d"
	fi
	tb_stop_daemons
}

# ctr_delta I NAME: how much datapath counter NAME of nodeI grew during
# the stream (the round's directory is $d).
ctr_delta() {
	echo $(($(jq -r ".datapath.counters.$2" "$d/node$1.json") -
		$(jq -r ".datapath.counters.$2" "$d/node$1.before.json")))
}

# check_flows MODE DIR: which node passed each frame to its stack.
check_flows() {
	local m=$1 d=$2 i result

	for i in 1 2 3; do
		tb_pcapinfo "$d/stack$i.pcap" "$SNAPLEN" | sed "s/^/$i /"
	done >"$d/stack.txt"
	# flows of OK frames: the set of nodes and of directions seen
	result=$(awk '
	$6 != "-" {
		nodes[$6] = nodes[$6] == "" ? $1 : (index(nodes[$6], $1) ? nodes[$6] : nodes[$6] "," $1)
		dirs[$6, $12] = 1
		frames++
	}
	END {
		for (k in nodes) {
			flows++
			if (index(nodes[k], ",")) { split_flows++; if (ex == "") ex = k " on " nodes[k] }
			if (((k, 0) in dirs) && ((k, 1) in dirs)) both++
		}
		printf "%d %d %d %d %s\n", frames, flows, both, split_flows, ex
	}' "$d/stack.txt")
	set -- $result
	diag "$m: the stacks got $(wc -l <"$d/stack.txt") frames; $1 of them OK IP in $2 conversations, $3 seen in both directions"
	ok $(($4 == 0 && $3 > 0 && $(wc -l <"$d/stack.txt") == COUNT)) \
		"$m: flow: each of $2 conversations (both directions: $3) on one node, every frame on a stack" ||
		diag "$4 conversations on several nodes, e.g. ${5:-}"
}

for m in $MODES; do
	round "$m"
done

done_testing
