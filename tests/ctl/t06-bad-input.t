#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad input and restarts:
# - a JOIN with a live node's id from another address (127.0.0.2) is refused
#   with ERROR ID_IN_USE naming the holder, and nothing changes;
# - a node restarting with the same id is a rejoin: the node count stays;
# - a clock step on a joined node, simulated: dicap-nodesim --ts-offset-ms
#   sends every message after its ACCEPT with a TIMESTAMP 1 h ahead (then
#   1 h behind); the coordinator judges a known node by SEQ and keeps it
#   (a real clock step would disturb the test machine);
# - the coordinator restarted with an empty table: the nodes rejoin on their
#   own within a few intervals;
# - option errors: exit status 1 and a message naming the problem.
. "$(dirname "$0")/lib.sh"
e2e_init dicap-nodesim
plan 37

ID1=0x6e000001 ID2=0x6e000002
ok_cmd "coordinator starts" start_coord C
started=0
start_node n1 C -- --id $ID1 && started=$((started + 1))
start_node n2 C -- --id $ID2 && started=$((started + 1))
is "$started" 2 "2 dicapd start"
wait_until 20000 check_ownership n1 n2
ok $(($? == 0)) "the nodes agree on a complete, disjoint table" || diag "$OWN_WHY"

nodes_line() { coord_json C '[.nodes[] | "\(.id)=\(.addr)"] | sort | join(" ")'; }
cctr() { coord_json C "(.counters.$1 // .$1) // \"missing\""; }

# --- duplicate id from another address
before=$(nodes_line)
DUP=$E2E_DIR/dup.json
"$NODESIM_BIN" --bind 127.0.0.2 --coord "${ADDR[C]}" -k "$NODE_KEY" --id-base $ID1 --nodes 1 \
	--duration 10 >"$DUP" 2>>"$E2E_DIR/dup.log"
rc=$?
ok $((rc == 3 && $(jq -r '.refused' "$DUP") == 1)) \
	"a JOIN with n1's id from 127.0.0.2 is refused (ERROR ID_IN_USE)" ||
	diag "exit $rc: $(cat "$DUP")"
err=$(jq -r '.last_error' "$DUP")
diag "error text: $err"
ok "$(printf '%s' "$err" | grep -ci "$ID1.*held by\|held by.*$ID1")" \
	"the error text names the id and who holds it"
ok "$(cctr id_conflicts | awk '{ print ($1 >= 1) }')" "the coordinator counted an id conflict" ||
	diag "id_conflicts: $(cctr id_conflicts)"
is "$(nodes_line)" "$before" "the node table is unchanged (n1 keeps its address)"

# --- a node restarting with the same id
n2_addr=$(coord_json C ".nodes[] | select(.id == \"$ID2\") | .addr")
rejoins0=$(cctr rejoins)
kill_proc n2 KILL
start_node n2 C -- --id $ID2
ok $(($? == 0)) "n2 restarts with the same id"
counts=$E2E_DIR/counts
rejoined() {
	coord_json C '.nodes | length' >>"$counts"
	[ "$(coord_json C ".nodes[] | select(.id == \"$ID2\") | .addr")" != "$n2_addr" ] &&
		check_ownership n1 n2
}
wait_until $((2 * HB_MS + GUARD_MS + SLACK_MS + 5000)) rejoined
ok $(($? == 0)) "the coordinator has n2's new address and the nodes agree" ||
	diag "n2: $(coord_json C ".nodes[] | select(.id == \"$ID2\") | tostring"); $OWN_WHY"
diag "rejoined after $WAIT_MS ms; node counts seen: $(sort -u "$counts" | tr '\n' ' ')"
is "$(sort -u "$counts" | tr '\n' ' ')" "2 " "the coordinator listed 2 nodes all along (a rejoin, not a duplicate)"
ok "$(awk -v a="$rejoins0" -v b="$(cctr rejoins)" 'BEGIN { print (b >= a + 1) }')" \
	"the coordinator counted a rejoin" || diag "rejoins $rejoins0 -> $(cctr rejoins)"

# --- a clock step on a joined node, simulated with --ts-offset-ms
run_s=$(( (6 * HB_MS + 999) / 1000 ))
for off in 3600000 -3600000; do
	id=$(printf '0x6e0000%02x' $(( off > 0 ? 0x10 : 0x20 )))
	rep=$E2E_DIR/step$off.json
	spawn "step$off" "$NODESIM_BIN" --coord "${ADDR[C]}" -k "$NODE_KEY" --id-base "$id" --nodes 1 \
		--ts-offset-ms "$off" --duration "$run_s" --report "$rep" --per-node
	listed() { [ "$(coord_json C "[.nodes[] | select(.id == \"$1\")] | length")" = 1 ]; }
	wait_until 5000 listed "$id"
	sleep $(( run_s / 2 ))
	age=$(coord_json C ".nodes[] | select(.id == \"$id\") | .last_heartbeat_ms")
	ok $(( ${age:-999999} < TIMEOUT_MS )) \
		"clock step ${off} ms: the coordinator keeps the node, heartbeat age ${age:-none} ms"
	wait_until $((run_s * 1000 + 5000)) eval '! alive step'$off
	acks=$(jq -r '.per_node[0].acks' "$rep") unknown=$(jq -r '.rx.unknown_node' "$rep")
	diag "clock step $off ms: $acks heartbeats acknowledged, $unknown UNKNOWN_NODE errors"
	ok $(( acks >= run_s * 1000 / HB_MS - 3 && unknown == 0 )) \
		"clock step ${off} ms: its heartbeats are acknowledged, never UNKNOWN_NODE" ||
		diag "$(cat "$rep")"
	wait_until 2000 eval '! listed '"$id"
	ok $(($? == 0)) "clock step ${off} ms: its LEAVE is accepted too (removed at once)"
done

# --- the coordinator restarts with an empty table
kill_proc C KILL
t0=$(now_ms)
start_coord C
ok $(($? == 0)) "the coordinator restarts (empty table)"
all_back() {
	[ "$(coord_json C '[.nodes[].id] | sort | join(" ")')" = "$ID1 $ID2" ] &&
		check_ownership n1 n2 &&
		[ "$(coord_json C '"\(.term) \(.epoch)"')" = "$OWN_TERM $OWN_EPOCH" ]
}
wait_until 30000 all_back
ok $(($? == 0)) "the nodes rejoin on their own and agree with the coordinator" ||
	diag "coordinator: $(coord_json C '"\(.term) \(.epoch) \([.nodes[].id])"'); $OWN_WHY"
back=$(( $(now_ms) - t0 ))
bound_ok "coordinator restart to nodes rejoined, table in force" "$back" $((3 * HB_MS + GUARD_MS))
diag "(bound: a few intervals: 3 x $HB_MS + validity guard $GUARD_MS); term $OWN_TERM epoch $OWN_EPOCH"

# --- option errors: exit status 1 and a message naming the problem
opt_err() {	# opt_err PATTERN CMD...
	local pat=$1
	shift
	local args="${*:2}" name
	run_status "$@"
	args=${args//$E2E_DIR\//}
	args=${args//-k coord.key /}
	args=${args//-k node.key /}
	args=${args//-k status.key /}
	name="${1##*/} $args: exit 1, message names '$pat'"
	if [ "$RUN_RC" = 1 ] && printf '%s' "$RUN_OUT" | grep -qi -- "$pat"; then
		tap_result 1 "$name"
	else
		tap_result 0 "$name"
		diag "exit $RUN_RC: $RUN_OUT"
	fi
}
alloc_port p
L="-f -l 127.0.0.1:$p -k $KEY --no-announce"
opt_err --timeout "$COORD_BIN" $L --heartbeat 1000 --timeout 500
opt_err bogus "$COORD_BIN" $L --select bogus
opt_err nonsense "$COORD_BIN" -f -l nonsense -k "$KEY" --no-announce
opt_err priority "$COORD_BIN" $L --priority lots
opt_err frobnicate "$COORD_BIN" $L --frobnicate
S="-s $E2E_DIR/x.sock"
opt_err "-i\|interface" "$DICAPD_BIN" -f $S -c "${ADDR[C]}" -k "$NODE_KEY"
opt_err notanaddr "$DICAPD_BIN" -f -i lo $S -c notanaddr -k "$NODE_KEY"
opt_err weight "$DICAPD_BIN" -f -i lo $S -c "${ADDR[C]}" -k "$NODE_KEY" --weight 0
opt_err frobnicate "$DICAPD_BIN" -f -i lo $S -c "${ADDR[C]}" -k "$NODE_KEY" --frobnicate
opt_err frobnicate "$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" frobnicate
opt_err notanaddr "$DICAPCTL_BIN" -c notanaddr -k "$STATUS_KEY" status
opt_err exist "$DICAPCTL_BIN" keygen "$KEY"
run_status "$DICAPCTL_BIN" -i lo -s "$E2E_DIR/none.sock" status
ok $((RUN_RC != 0 && $(printf '%s' "$RUN_OUT" | grep -c none.sock) > 0)) \
	"dicapctl against a missing socket fails, naming it" || diag "exit $RUN_RC: $RUN_OUT"
for prog in "$COORD_BIN" "$DICAPD_BIN" "$DICAPCTL_BIN"; do
	run_status "$prog" --help
	ok $((RUN_RC == 0)) "${prog##*/} --help exits 0" || diag "exit $RUN_RC: $RUN_OUT"
done

alive_all=1
for n in C n1 n2; do alive "$n" || { alive_all=0; diag "$n is gone"; }; done
ok $alive_all "the coordinator and the nodes are still running"

done_testing
