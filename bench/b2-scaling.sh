#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B2 (the paper's Figure 8): the share of the traffic a cluster of N nodes
# captures when the consumer does real per-packet work:
#	dicap-run dumpcap -i dicap:eth0 -w - | tshark -r - -V > /dev/null
# on node1 of the testbed, pinned to its own CPU.  node1 holds a 1/N share
# (packet mode) of an N-member cluster whose other N-1 members are
# simulated (dicap-nodesim: they join and heartbeat but capture nothing);
# node1 stands for every node of a cluster of N identical machines, each
# seeing the same traffic and doing the same work.  Needs root.  Writes
# b2-scaling.md and b2-scaling.png.  With CONSUMER=spin the consumer is
# bench/spin-consumer.c instead, which works SPIN_NS (20000) ns per packet,
# and the results are b2-spin.md and b2-spin.png.
# Environment: RATE (250000 frames/s),
# SECONDS_PER_POINT (5), SIZES ("60 270 526": IP packets of 40, 256, 512
# bytes), NODES ("1 2 4 5"), REPEATS (2), MIRROR (xdp|tc, bench/lib.sh).
set -eu
CONSUMER=${CONSUMER:-tshark}
case $CONSUMER in
tshark) BENCH_NAME=b2-scaling ;;
spin) BENCH_NAME=b2-spin ;;
*) echo "b2-scaling: CONSUMER is tshark or spin" >&2; exit 2 ;;
esac
. "$(dirname "$0")/lib.sh"

RATE=${RATE:-250000}
SECS=${SECONDS_PER_POINT:-5}
SIZES=${SIZES:-60 270 526}
NODES=${NODES:-1 2 4 5}
REPEATS=${REPEATS:-2}
SPIN_NS=${SPIN_NS:-20000}
if [ "$SMOKE" = 1 ]; then
	RATE=20000 SECS=1 SIZES=60 NODES="1 2" REPEATS=1
fi
if [ -n "${REPORT_ONLY:-}" ]; then	# REPORT_ONLY=RAW: redo the report from a raw file
	TB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dicap-b2r.XXXXXX")
	trap 'rm -rf "$TB_DIR"' EXIT
	RAW=$TB_DIR/raw.txt
	cp "$REPORT_ONLY" "$RAW"
	CPU_CONS=$(( $(nproc) > 1 ? 1 : 0 ))
	TB_SWITCH_CPU=0
else
[ "$(id -u)" = 0 ] || bench_die "needs root (network namespaces, XDP)"
	if [ "$CONSUMER" = tshark ]; then
		for p in dumpcap tshark; do
			command -v $p >/dev/null || bench_die "needs $p (wireshark's tshark package)"
		done
	else
		bench_cc spin-consumer "$BENCH_REPO/bench/spin-consumer.c" -lpcap
	fi
	CPU_CONS=$(( $(nproc) > 1 ? 1 : 0 ))
	
	diag() { :; }
	. "$BENCH_REPO/tests/testbed.sh"
	tb_node_sock() {
		printf '%s/node%d/eth0.sock' "$TB_DIR" "$1"
	}
	tb_init || bench_die "testbed: $TB_WHY"
	# testbed.sh's clean-up is written for scripts without set -e
	trap 'rc=$?; set +e; (exit $rc); tb_on_exit' EXIT
	tb_up 1 || bench_die "testbed: cannot build the namespaces"
	mkdir -p "$TB_DIR/node1"
	"$DICAP_BIN/dicap-run" --libdir >/dev/null 2>&1 || bench_die "the drop-in libpcap is not built"
	tb_start_coord --select packet || bench_die "coordinator"
	RAW=$TB_DIR/raw.txt
	: >"$RAW"
	
	sim_pid=
	sim_stop() {
		[ -n "$sim_pid" ] || return 0
		kill -TERM "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
		sim_pid=
	}
	tb_defer sim_stop
	
	cluster() {	# cluster N: node1 plus N-1 simulated members
		local n=$1
	
		sim_stop
		tb_alive node1 && tb_stop_node 1
		if [ "$n" -gt 1 ]; then
			ip netns exec "${TB_PFX}ana" "$DICAP_TOOLS/dicap-nodesim" --nodes $((n - 1)) \
				--coord "$TB_COORD_ADDR" -k "$TB_NODE_KEY" --bind "$TB_ANA_IP" \
				--id-base 0x20000000 --heartbeat "$TB_HB_MS" --others 1 \
				>"$TB_DIR/sim.$n.json" 2>"$TB_DIR/sim.$n.log" &
			sim_pid=$!
			TB_PIDS+=("$sim_pid")
		fi
		tb_start_node 1 || return 1
		tb_wait_until "tb_members_are $n 1 && tb_dp_ready 1" 30000 ||
			{ bench_log "node1 not in a $n-member cluster: $TB_WHY"; return 1; }
	}
	
	RUN=0
	# point N SIZE REP: appends "N SIZE REP SENT PPS SELECTED CAPTURED DROPPED"
	point() {
		local n=$1 size=$2 rep=$3 sel0 sel1 name json sent pps cap drop
	
		RUN=$((RUN + 1))
		name=cons.$RUN
		if [ "$CONSUMER" = tshark ]; then
			tb_spawn "$name" node1 taskset -c "$CPU_CONS" sh -c \
				"DICAP_SOCKET_DIR='$TB_DIR/node1' '$DICAP_BIN/dicap-run' dumpcap -q -i dicap:eth0 -w - 2>'$TB_DIR/$name.dumpcap' | tshark -r - -V >/dev/null"
			tb_wait_until "grep -q 'File: -' '$TB_DIR/$name.dumpcap' 2>/dev/null" 15000 ||
				{ bench_log "dumpcap did not start: $(tail -2 "$TB_DIR/$name.dumpcap")"; return 1; }
		else
			# exec all the way down: the spawned pid is the consumer's
			tb_spawn "$name" node1 taskset -c "$CPU_CONS" sh -c \
				"DICAP_SOCKET_DIR='$TB_DIR/node1' exec '$DICAP_BIN/dicap-run' '$BENCH_BUILD/spin-consumer' -i dicap:eth0 -n $SPIN_NS >'$TB_DIR/$name.out' 2>'$TB_DIR/$name.err'"
			tb_wait_until "grep -q 'capturing on' '$TB_DIR/$name.err' 2>/dev/null" 15000 ||
				{ bench_log "spin-consumer did not start: $(tail -2 "$TB_DIR/$name.err")"; return 1; }
		fi
		sleep 0.5
		sel0=$(tb_node_ctr 1 selected)
		tb_gen --duration "$SECS" --rate "$RATE" --size "$size" --mix ipv4-udp --flows 1024 \
			--seed "$rep" --json || return 1
		sleep 2
		sel1=$(tb_node_ctr 1 selected)
		if [ "$CONSUMER" = tshark ]; then
			# dumpcap first: tshark ends at the end of its input
			pkill -TERM -x dumpcap -P "${TB_PID[$name]}" 2>/dev/null || true
			tb_wait_until "! tb_alive $name" 60000 || tb_signal "$name" TERM 5000
		else
			tb_signal "$name" TERM 10000 || true
		fi
		json=$(grep '^{' "$TB_GEN_OUT" | tail -1)
		sent=$(jq -r .packets <<<"$json")
		pps=$(jq -r .rate_pps <<<"$json")
		if [ "$CONSUMER" = tshark ]; then
			cap=$(sed -n 's/.*Packets captured: \([0-9]*\).*/\1/p' "$TB_DIR/$name.dumpcap" | tail -1)
			drop=$(sed -n 's/.*Packets received\/dropped on interface .*: [0-9]*\/\([0-9]*\).*/\1/p' \
				"$TB_DIR/$name.dumpcap" | tail -1)
		else
			read -r _ cap _ _ _ drop _ _ <"$TB_DIR/$name.out" || true
		fi
		echo "$n $size $rep $sent $pps $((sel1 - sel0)) ${cap:-0} ${drop:-0}" >>"$RAW"
		bench_log "N=$n size $size rep $rep: sent $sent at $pps pps, node1 selected $((sel1 - sel0)), captured ${cap:-?}, dropped ${drop:-?}"
	}
	
	bench_wait_quiet
	for n in $NODES; do
		cluster "$n" || bench_die "cluster of $n failed"
		for size in $SIZES; do
			for rep in $(seq 1 "$REPEATS"); do
				point "$n" "$size" "$rep" || bench_log "point N=$n size $size failed"
			done
		done
	done
fi
[ -n "${REPORT_ONLY:-}" ] || cp "$RAW" "$BENCH_OUT/$BENCH_NAME.raw.txt"
ST=$TB_DIR/stats.txt
awk -v secs="$SECS" '{ k = $1 ":" $2; printf "%s:pct %.2f\n%s:share %.4f\n%s:cons %.0f\n", k,
	($6 > 0 ? 100 * $7 / $6 : 0), k, ($4 > 0 ? $6 / $4 : 0), k, $7 / secs }' "$RAW" | bench_stats >"$ST"
med() { awk -v k="$1" '$1 == k { print $2 }' "$ST"; }
val() {
	awk -v k="$1" -v f="$2" '$1 == k {
		if ($5 > 1) printf f " (" f "-" f ")", $2, $3, $4; else printf f, $2 }' "$ST"
}

if [ "$CONSUMER" = tshark ]; then
	cons_env=
	cons_short="tshark -V"
	cons_cmd="taskset -c $CPU_CONS sh -c 'dicap-run dumpcap -q -i dicap:eth0 -w - | tshark -r - -V >/dev/null'"
	cons_desc="The consumer dissects every frame fully
(\`tshark -V\`) and reads live through a bounded buffer (dumpcap's kernel
ring and a 64 KiB pipe), so it drops when it falls behind, as an IDS does."
	cons_captured="dumpcap's \"Packets captured\" (every
frame it wrote, which tshark read and dissected)"
else
	cons_env="CONSUMER=spin SPIN_NS=$SPIN_NS"
	cons_short="$SPIN_NS ns per packet"
	cons_cmd="taskset -c $CPU_CONS dicap-run build/bench/spin-consumer -i dicap:eth0 -n $SPIN_NS"
	cons_desc="The consumer, bench/spin-consumer.c, reads
every captured byte of a packet and then keeps its CPU busy until
$SPIN_NS ns have passed since libpcap handed the packet over: a consumer
whose cost per packet is a known constant. It reads live through
libpcap's kernel ring of 2 MiB (dumpcap's default), so it drops in the
kernel when it falls behind, as an IDS does."
	cons_captured="the packets it worked on"
fi
{
cat <<MD
# B2: capture rate against cluster size (the paper's Figure 8)$([ "$CONSUMER" = spin ] && echo ", consumer of $SPIN_NS ns per packet")

Produced by \`bench/b2-scaling.sh\` on the namespace testbed.

## Machine

$(bench_machine)

## Set-up and commands

\`\`\`
$cons_env RATE=$RATE SECONDS_PER_POINT=$SECS SIZES="$SIZES" NODES="$NODES" REPEATS=$REPEATS bench/b2-scaling.sh
# coordinator: dicap-coord --select packet ...
# the N-1 other members (namespace ana; they join and heartbeat, capture nothing):
dicap-nodesim --nodes N-1 --coord COORD -k KEY --others 1 ...
# node1: dicapd -i eth0 -c COORD ... (distribution mode), and the consumer, on CPU $CPU_CONS:
$cons_cmd
# sender (CPU $TB_SWITCH_CPU):
dicap-gen -i gen0 --duration $SECS --rate $RATE --size SIZE --mix ipv4-udp --flows 1024 --seed REP --json
\`\`\`

One real node, node1, holds a 1/N share (packet mode) of an N-member
cluster; the other members are simulated by dicap-nodesim, so the
coordinator computes the same table as for N machines. All nodes of a real
cluster see the same mirrored traffic and do the same work for their
share, so node1's captured fraction is the cluster's: **node1 stands for
each of N identical machines**. $cons_desc
Frame sizes $SIZES bytes are IP packets of 40, 256 and 512 bytes (the
paper's sizes) plus the 14-byte Ethernet header (40 is padded to the
60-byte minimum). **Captured** is $cons_captured over node1's share (its
XDP program's selected counter). Offered rate $RATE frames/s for $SECS s;
median of $REPEATS repeats, range in brackets.

## Results: % of the traffic captured

| N | node1's share | $(for s in $SIZES; do printf '%s B | ' "$s"; done)
|---|---:|$(for s in $SIZES; do printf -- '---:|'; done)
MD
for n in $NODES; do
	printf '| %s | %s |' "$n" "$(awk -v k="$n:$(echo $SIZES | cut -d' ' -f1):share" '$1 == k { printf "%.3f", $2 }' "$ST")"
	for s in $SIZES; do
		printf ' %s |' "$(val "$n:$s:pct" %.1f)"
	done
	echo
done
cat <<MD

Consumer throughput (frames the one node's consumer got through per second):
$(for s in $SIZES; do printf '%s B: %s; ' "$s" "$(for n in $NODES; do printf 'N=%s %s ' "$n" "$(med "$n:$s:cons")"; done)"; done)

![B2]($BENCH_NAME.png)

*Percentage of the offered traffic captured against the number of nodes,
per frame size; one pinned node measured, standing for N identical
machines. Dashed: linear scaling from N = 1.*

## Against the target

MD
n1=$(echo $NODES | cut -d' ' -f1)
for s in $SIZES; do
	p1=$(med "$n1:$s:pct")
	printf -- '- %s B: N=%s captures %s %%' "$s" "$n1" "$p1"
	for n in $NODES; do
		[ "$n" = "$n1" ] && continue
		printf ', N=%s %s %% (%sx)' "$n" "$(med "$n:$s:pct")" \
			"$(awk -v a="$(med "$n:$s:pct")" -v b="$p1" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
	done
	echo
done
n4=$(echo " $NODES " | grep -q ' 4 ' && echo 4 || true)
n5=$(echo " $NODES " | grep -q ' 5 ' && echo 5 || true)
for s in $SIZES; do
	if [ -n "$n4" ]; then awk -v a="$(med "4:$s:pct")" -v b="$(med "$n1:$s:pct")" -v s="$s" 'BEGIN {
		r = (b > 0 ? a / b : 0)
		printf "- %s B: 4 nodes capture %.2f times what 1 does: %s\n", s, r, (r >= 3.6 ? "target met (>= 3.6)" : "target missed (< 3.6)") }'
	fi
	if [ -n "$n5" ]; then awk -v a="$(med "5:$s:pct")" -v s="$s" 'BEGIN {
		printf "  5 nodes capture %.1f %%: %s\n", a, (a >= 99.99 ? "everything" : "not everything (target missed)") }'
	fi
done
cat <<MD

Target: at the rate where one node captures less than 20 %, 4 nodes
capture at least 3.6 times as much and 5 nodes everything. The consumer
keeps up with a fixed number of frames per second whatever N, so the
captured share grows linearly with N until the node's share fits that
budget. "5 nodes capture everything" needs one node's fifth of the
traffic to fit it, which holds only if one node alone captures at least
20 %: at exactly the rate where N = 1 is below 20 %, N = 5 is just short
of 100 % by construction.
MD
} >"$BENCH_OUT/$BENCH_NAME.md"

for s in $SIZES; do
	for n in $NODES; do
		echo "$n $(med "$n:$s:pct")"
	done >"$TB_DIR/p.$s"
done
{
	echo "set terminal pngcairo size 800,480 font ',10' noenhanced"
	echo "set output '$BENCH_OUT/$BENCH_NAME.png'"
	echo "set title 'B2: % captured by an N-node cluster, $cons_short consumer, $RATE frames/s offered'"
	echo "set xlabel 'nodes (N)'; set ylabel '% captured'; set grid; set key bottom right"
	echo "set xrange [0.5:$(echo $NODES | awk '{ print $NF + 0.5 }')]; set yrange [0:105]"
	printf 'plot '
	sep=
	for s in $SIZES; do
		p1=$(med "$n1:$s:pct")
		printf "%s'%s' w lp lw 2 t '%s-byte frames', (x * %s > 100 ? 100 : x * %s) dt 2 lc rgb 'gray' notitle" \
			"$sep" "$TB_DIR/p.$s" "$s" "${p1:-0}" "${p1:-0}"
		sep=', '
	done
	echo
} | bench_plot
bench_log "wrote $BENCH_OUT/$BENCH_NAME.md"
