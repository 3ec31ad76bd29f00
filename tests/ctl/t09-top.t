#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dicapctl top on loopback: a coordinator, one dicapd and three simulated
# nodes (dicap-nodesim: their "seen" counter grows with every heartbeat
# ack), an analyzer fed by dicap-batchsend under the simulated nodes' ids.
# In a tmux pane of 120x40: every node is listed with its share and a
# rate, the screen refreshes, the analyzer's intake is shown, a silent
# coordinator gives "no answer since" and top keeps going, q and Ctrl-C
# quit with exit 0 and the terminal's modes and cursor back.  Without a
# terminal: --count plain tables, no escapes.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
e2e_init dicap-nodesim dicap-batchsend
[ -x "$DICAP_BIN/dicap-analyzer" ] || skip_all "$DICAP_BIN/dicap-analyzer not built"
plan 23

TMUX_SOCK=$E2E_DIR/tmux.sock
trap 'rc=$?; tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; (exit $rc); e2e_cleanup' EXIT

ID_BASE=0x2b000000
SIM_IDS="0x2b000000 0x2b000001 0x2b000002"
alloc_port ana_port
ANA_STATS=$E2E_DIR/analyzer.json

ok_cmd "coordinator starts" start_coord C --select flow
ok_cmd "dicapd starts" start_node n1 C -- --id 0x2a000001
spawn sim "$NODESIM_BIN" --coord "${ADDR[C]}" -k "$NODE_KEY" --nodes 3 --id-base "$ID_BASE" \
	--heartbeat "$HB_MS"
spawn analyzer "$DICAP_BIN/dicap-analyzer" -l "127.0.0.1:$ana_port" -w "$E2E_DIR/out.pcap" \
	--stats "$ANA_STATS" -q
wait_until 10000 test -s "$ANA_STATS"
spawn batchsend "$DICAP_TOOLS/dicap-batchsend" -s "127.0.0.1:$ana_port" --node "$ID_BASE" \
	--nodes 3 --count 10000000 --per-batch 10 --rate 30

members() { [ "$(coord_json C '.nodes | length')" = 4 ]; }
wait_until 20000 members
ok $(($? == 0)) "the coordinator has 4 nodes" || diag "$(coord_json C .nodes)"

TOP=("$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" top)

# pane_run NAME CMD: CMD in a new 120x40 tmux session; its exit status goes to
# $E2E_DIR/NAME.rc and the terminal's modes after it to NAME.stty, then the
# pane stays (sleep) so that it can be inspected.
pane_run() {
	local name=$1 cmd=$2

	rm -f "$E2E_DIR/$name.rc" "$E2E_DIR/$name.stty"
	tmux -S "$TMUX_SOCK" new-session -d -s "$name" -x 120 -y 40 \
		"$cmd; echo \$? >$E2E_DIR/$name.rc; stty -a >$E2E_DIR/$name.stty; sleep 600"
}
pane() { tmux -S "$TMUX_SOCK" capture-pane -p -t "$1"; }
cursor_visible() { tmux -S "$TMUX_SOCK" display -p -t "$1" '#{cursor_flag}'; }

# rows_ok FILE: every node of the coordinator has a row with its share (to
# 0.001) and, for the simulated nodes, a rate above 0 in SEEN/s.
rows_ok() {
	local id share line rate
	ROWS_WHY=
	for id in $(coord_json C '.nodes[].id'); do
		share=$(coord_json C ".nodes[] | select(.id == \"$id\") | .share")
		line=$(grep "^$id " "$1") || { ROWS_WHY="no row for $id"; return 1; }
		set -- "$1" $line
		awk -v a="$5" -v b="$share" 'BEGIN { d = a - b; exit !(d < 0.0015 && d > -0.0015) }' ||
			{ ROWS_WHY="$id: share $5, status says $share"; return 1; }
		rate=$6
		case " $SIM_IDS " in
		*" $id "*)
			awk -v r="$rate" 'BEGIN { exit !(r ~ /^[0-9.]+$/ && r > 0) }' ||
				{ ROWS_WHY="$id: SEEN/s '$rate'"; return 1; } ;;
		esac
	done
}

pane_shows_rates() { pane top1 >"$E2E_DIR/cap1" && rows_ok "$E2E_DIR/cap1"; }

pane_run top1 "${TOP[*]} --analyzer-stats $ANA_STATS"
wait_until 15000 pane_shows_rates
ok $(($? == 0)) "in tmux: every node with its share, the simulated ones with a rate" ||
	{ diag "$ROWS_WHY"; diag "$(cat "$E2E_DIR/cap1")"; }
head -1 "$E2E_DIR/cap1" | grep -q "^coordinator ${ADDR[C]} (active)  term [0-9]*  epoch [0-9]*  mode flow  tunnel [a-z]*  4 nodes  [0-9:]*$"
ok $(($? == 0)) "the header: address, role, term, epoch, mode, tunnel, node count, time" ||
	diag "$(head -1 "$E2E_DIR/cap1")"
is "$(cursor_visible top1)" 0 "the cursor is hidden while top runs"

ana_ok() {
	pane top1 >"$E2E_DIR/cap2"
	grep -q "^analyzer: [0-9.]* rec/s" "$E2E_DIR/cap2" &&
		awk '$1 == "0x2b000000" && $(NF - 1) ~ /^[0-9.]+$/ && $(NF - 1) > 0 { f = 1 }
			END { exit !f }' "$E2E_DIR/cap2"
}
wait_until 15000 ana_ok
ok $(($? == 0)) "the analyzer's intake: total records/s and per node" ||
	diag "$(cat "$E2E_DIR/cap2")"

t1=$(head -1 "$E2E_DIR/cap2" | awk '{ print $NF }')
sleep 1.5
pane top1 >"$E2E_DIR/cap3"
t2=$(head -1 "$E2E_DIR/cap3" | awk '{ print $NF }')
ok $(([ -n "$t1" ] && [ "$t1" != "$t2" ]) && echo 1 || echo 0) "the screen refreshes ($t1, then $t2)"
is "$(grep -c '^coordinator ' "$E2E_DIR/cap3")" 1 "one screen, not tables one after another"

tmux -S "$TMUX_SOCK" send-keys -t top1 q
wait_until 5000 test -s "$E2E_DIR/top1.rc"
is "$(cat "$E2E_DIR/top1.rc" 2>/dev/null)" 0 "q quits, exit 0"
stty_ok() { grep -qw -- icanon "$1" && grep -qw -- echo "$1" && ! grep -qw -- -icanon "$1" && ! grep -qw -- -echo "$1"; }
ok_cmd "after q the terminal is canonical with echo again" stty_ok "$E2E_DIR/top1.stty"
is "$(cursor_visible top1)" 1 "after q the cursor is visible again"

pane_run top2 "${TOP[*]} -n 0.5"
wait_until 10000 sh -c "tmux -S '$TMUX_SOCK' capture-pane -p -t top2 | grep -q '^0x2b000000 '"
tmux -S "$TMUX_SOCK" send-keys -t top2 C-c
wait_until 5000 test -s "$E2E_DIR/top2.rc"
is "$(cat "$E2E_DIR/top2.rc" 2>/dev/null)" 0 "Ctrl-C quits, exit 0"
ok_cmd "after Ctrl-C the terminal is canonical with echo again" stty_ok "$E2E_DIR/top2.stty"

"${TOP[@]}" --count 2 -n 0.5 >"$E2E_DIR/batch.out" 2>"$E2E_DIR/batch.err"
is "$?" 0 "without a terminal, --count 2 exits 0"
is "$(grep -c '^coordinator ' "$E2E_DIR/batch.out")" 2 "two tables" ||
	diag "$(cat "$E2E_DIR/batch.out" "$E2E_DIR/batch.err")"
ok $(($(tr -dc '\033' <"$E2E_DIR/batch.out" | wc -c) == 0)) "no escape sequences"
tail -n +2 "$E2E_DIR/batch.out" | sed -n '/^coordinator /,$p' | tail -n +2 >"$E2E_DIR/batch2"
ok_cmd "the second table has every node with its share and a rate" rows_ok "$E2E_DIR/batch2"
# Every rate column of every capture: a number or "-", never negative.
no_negative() {
	awk '/^0x/ { for (i = 5; i <= 7; i++) if ($i !~ /^([0-9.]+|-)$/) { print FILENAME ": " $0; bad = 1 } }
		END { exit bad }' "$@"
}
ok_cmd "no rate is negative or garbled" no_negative "$E2E_DIR"/cap[123] "$E2E_DIR/batch.out"

# A coordinator that goes silent: top says since when and keeps asking.
pane_run top3 "${TOP[*]} -n 0.5"
wait_until 10000 sh -c "tmux -S '$TMUX_SOCK' capture-pane -p -t top3 | grep -q '^0x2b000000 '"
kill -STOP "${E2E_PID[C]}"
silent() { pane top3 | grep -q "^no answer since [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"; }
wait_until 10000 silent
r=$?
sleep 1
[ "$r" = 0 ] && [ ! -e "$E2E_DIR/top3.rc" ]
ok $(($? == 0)) "a silent coordinator: \"no answer since\" in the header, top goes on" ||
	diag "$(pane top3)"
kill -CONT "${E2E_PID[C]}"
tmux -S "$TMUX_SOCK" send-keys -t top3 q
wait_until 5000 test -s "$E2E_DIR/top3.rc"
is "$(cat "$E2E_DIR/top3.rc" 2>/dev/null)" 0 "q quits after the coordinator came back"

# Nobody at the address: --count ends with exit 1, the header says why.
alloc_port dead_port
"$DICAPCTL_BIN" -c "127.0.0.1:$dead_port" -k "$STATUS_KEY" top --count 2 -n 0.2 >"$E2E_DIR/dead.out" 2>&1
is "$?" 1 "--count against a silent address: exit 1"
is "$(grep -c '^no answer since' "$E2E_DIR/dead.out")" 2 "each table says \"no answer since\"" ||
	diag "$(cat "$E2E_DIR/dead.out")"
