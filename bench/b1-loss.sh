#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B1 (the paper's Table 1): loss and CPU per frame against the offered
# rate, on the namespace testbed (tests/testbed.sh), a two-node cluster
# behind the testbed's mirror (MIRROR=xdp|tc, bench/lib.sh), for:
#   base  nothing captures (frames die in the nodes' stacks): the cost of
#         generating and mirroring;
#   a     tcpdump -w /dev/null on each node's raw eth0 (plain libpcap);
#   b     tcpdump 'ip[4:2] % 2 = P' on node P+1 (the static split);
#   c     DiCAP capture mode: dicapd --capture on both, headers to the analyzer;
#   d     DiCAP distribution: dicap-run tcpdump -i dicap:eth0 -w /dev/null.
# The variants alternate within each repeat.  Needs root.  Writes b1-loss.md
# and b1-loss.png (through bench/b1-report.sh).  Environment: SIZES ("64 72"), RATES ("119000 232000
# 380000 492000 620000 0": 0 is as fast as the generator goes), SECONDS_PER_POINT (2),
# REPEATS (3), MIRROR.
set -eu
BENCH_NAME=b1-loss
. "$(dirname "$0")/lib.sh"

SIZES=${SIZES:-64 72}
RATES=${RATES:-119000 232000 380000 492000 620000 0}
SECS=${SECONDS_PER_POINT:-2}
REPEATS=${REPEATS:-3}
VARIANTS=${VARIANTS:-base a b c d}
if [ "$SMOKE" = 1 ]; then
	SIZES=64 RATES="50000 0" SECS=1 REPEATS=1
fi
[ "$(id -u)" = 0 ] || bench_die "needs root (network namespaces, XDP)"

diag() { :; }
. "$BENCH_REPO/tests/testbed.sh"
tb_node_sock() {	# a socket directory per node, for the libpcap module
	printf '%s/node%d/eth0.sock' "$TB_DIR" "$1"
}
tb_init || bench_die "testbed: $TB_WHY"
# testbed.sh's clean-up is written for scripts without set -e
trap 'rc=$?; set +e; (exit $rc); tb_on_exit' EXIT
tb_up 2 || bench_die "testbed: cannot build the namespaces"
mkdir -p "$TB_DIR/node1" "$TB_DIR/node2"
"$DICAP_BIN/dicap-run" --libdir >/dev/null 2>&1 ||
	bench_die "the drop-in libpcap is not built (variant d)"
tb_start_analyzer -w /dev/null || bench_die "analyzer"
tb_start_coord --select ipid || bench_die "coordinator"
RAW=$TB_DIR/raw.txt
: >"$RAW"

# busy: jiffies of all CPUs not idle, iowait or steal, from /proc/stat.
busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}

nodes_up() {	# nodes_up OPTION...: dicapd on both nodes, agreed
	local i

	for i in 1 2; do
		tb_start_node "$i" "$@" || return 1
	done
	tb_wait_until "tb_dp_ready 1 2" 20000 || { bench_log "nodes not ready: $TB_WHY"; return 1; }
}

nodes_down() {
	local i

	for i in 1 2; do
		tb_alive "node$i" && tb_stop_node "$i"
	done
	return 0
}

RUN=0
consumers_start() {	# consumers_start VARIANT: tcpdump on both nodes as needed
	local v=$1 i

	CONS=()
	for i in 1 2; do
		case $v in
		a) tb_spawn "td.$RUN.$i" "node$i" tcpdump -n -i eth0 -w /dev/null ;;
		b) tb_spawn "td.$RUN.$i" "node$i" tcpdump -n -i eth0 -w /dev/null "ip[4:2] % 2 = $((i - 1))" ;;
		d) tb_spawn "td.$RUN.$i" "node$i" env DICAP_SOCKET_DIR="$TB_DIR/node$i" \
			"$DICAP_BIN/dicap-run" tcpdump -n -i dicap:eth0 -w /dev/null ;;
		*) continue ;;
		esac
		CONS+=("td.$RUN.$i")
	done
	for i in "${CONS[@]}"; do
		tb_wait_until "grep -q 'listening on' '${TB_LOG[$i]}'" 15000 ||
			{ bench_log "tcpdump $i did not start: $(tail -2 "${TB_LOG[$i]}")"; return 1; }
	done
}

consumers_stop() {	# prints the frames the consumers captured, summed
	local n=0 c name

	for name in "${CONS[@]}"; do
		tb_signal "$name" TERM 10000
		c=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "${TB_LOG[$name]}" | tail -1)
		n=$((n + ${c:-0}))
	done
	echo "$n"
}

# point VARIANT SIZE RATE REP: one measurement, appended to RAW as
# "VARIANT SIZE RATE REP SENT ACHIEVED_PPS GOT EXPECTED BUSY_JIFFIES"
point() {
	local v=$1 size=$2 rate=$3 rep=$4 b0 b1 got=0 sent pps ana0 expected json

	RUN=$((RUN + 1))
	consumers_start "$v" || return 1
	ana0=$(tb_ana_stats ana .totals.records 2>/dev/null || echo 0)
	b0=$(busy)
	tb_gen --duration "$SECS" --rate "$rate" --size "$size" --mix ipv4-udp --flows 256 \
		--ipid seq --seed "$rep" --json || return 1
	tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
	b1=$(busy)
	json=$(grep '^{' "$TB_GEN_OUT" | tail -1)
	sent=$(jq -r .packets <<<"$json")
	pps=$(jq -r .rate_pps <<<"$json")
	expected=$sent
	case $v in
	a) expected=$((2 * sent)) ;;	# each node captures everything
	base) expected=0 ;;
	esac
	case $v in
	a | b | d) got=$(consumers_stop) ;;
	c)
		tb_wait_delivered ana $((ana0 + sent)) 4000 || true
		got=$(( $(tb_ana_stats ana .totals.records) - ana0 ))
		;;
	esac
	echo "$v $size $rate $rep $sent $pps $got $expected $((b1 - b0))" >>"$RAW"
	bench_log "$v size $size rate $rate rep $rep: sent $sent at $pps pps, got $got of $expected"
}

variant() {	# variant V REP: set up V, run every size and rate, tear down
	local v=$1 rep=$2 size rate

	case $v in
	c) nodes_up --capture || return 1 ;;
	d) nodes_up || return 1 ;;
	esac
	for size in $SIZES; do
		for rate in $RATES; do
			point "$v" "$size" "$rate" "$rep" || bench_log "point $v $size $rate failed"
		done
	done
	nodes_down
}

bench_wait_quiet
for rep in $(seq 1 "$REPEATS"); do
	for v in $VARIANTS; do
		variant "$v" "$rep" || bench_die "variant $v failed"
	done
done
cp "$RAW" "$BENCH_OUT/b1-loss.raw.txt"
BENCH_RUN_LOAD="before the run: $BENCH_LOAD_START; at its end: $(cut -d' ' -f1-3 /proc/loadavg)" \
	SIZES=$SIZES RATES=$RATES SECS=$SECS REPEATS=$REPEATS SETTLE_MS=$TB_TCPDUMP_SETTLE_MS \
	SWITCH_CPU=$TB_SWITCH_CPU TB_MIRROR_USED=$TB_MIRROR_USED \
	bash "$BENCH_REPO/bench/b1-report.sh" "$BENCH_OUT/b1-loss.raw.txt"
