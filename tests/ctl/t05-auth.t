#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Forged, unauthenticated, garbage, truncated and replayed datagrams change
# nothing (epoch, tables, membership) and are counted by the coordinator
# (rx_auth_fail, rx_malformed, rx_replay) and the nodes.  Key handling at
# start: a key file readable by others is refused with a message naming
# chmod, no key without --insecure is refused, --insecure logs a warning.
. "$(dirname "$0")/lib.sh"
e2e_init dicap-nodesim
plan 33

NODES="n1 n2 n3"
ok_cmd "coordinator starts" start_coord C
i=0 started=0
for n in $NODES; do
	i=$((i + 1))
	start_node "$n" C -- --id "$(printf '0x%08x' $((0x5d000000 + i * 0x00333333)))" &&
		started=$((started + 1))
done
is "$started" 3 "3 dicapd start"
wait_until 20000 check_ownership $NODES
ok $(($? == 0)) "3 nodes agree on a complete, disjoint table" || diag "$OWN_WHY"
old_term=$OWN_TERM old_epoch=$OWN_EPOCH old_digest=$OWN_DIGEST
# Heartbeats must not be mistaken for changes below: let the resends settle.
sleep 1

cctr() { coord_json C "(.counters.$1 // .$1) // \"missing\""; }
nctr() { node_json "$1" ".counters.$2 // \"missing\""; }
n1_id=$(node_json n1 .node_id)
declare -A NADDR
for n in $NODES; do
	NADDR[$n]=$(coord_json C ".nodes[] | select(.id == \"$(node_json "$n" .node_id)\") | .addr")
done
diag "node addresses: ${NADDR[*]}"

inject() {	# inject KIND TO [OPTION...]
	local kind=$1 to=$2
	shift 2
	"$NODESIM_BIN" --inject "$kind" --to "$to" -k "$NODE_KEY" "$@" >>"$E2E_DIR/inject.log" 2>&1
}

# counter_grew WHO CTR BEFORE DELTA: WHO's counter reaches BEFORE + DELTA
counter_is() {
	local now
	if [ "$1" = C ]; then now=$(cctr "$2"); else now=$(nctr "$1" "$2"); fi
	[ "$now" = "$3" ]
}
check_delta() {	# check_delta WHO CTR BEFORE DELTA NAME
	local who=$1 ctr=$2 before=$3 delta=$4 now
	shift 4
	wait_until 3000 counter_is "$who" "$ctr" $((before + delta))
	if [ "$who" = C ]; then now=$(cctr "$ctr"); else now=$(nctr "$who" "$ctr"); fi
	is "$now" $((before + delta)) "$*"
}

# --- the coordinator
auth0=$(cctr rx_auth_fail) mal0=$(cctr rx_malformed) rep0=$(cctr rx_replay)
diag "coordinator counters before: rx_auth_fail $auth0 rx_malformed $mal0 rx_replay $rep0"
case "$auth0$mal0$rep0" in *missing*) diag "the coordinator status lacks counters: $(coord_json C '.counters | tostring')" ;; esac

for t in topology leave join heartbeat; do
	inject forged "${ADDR[C]}" --inject-type "$t" --id-base "$n1_id"
done
check_delta C rx_auth_fail "$auth0" 4 "coordinator: 4 forged messages (topology, leave, join, heartbeat) counted in rx_auth_fail"
for t in topology leave; do
	inject unsigned "${ADDR[C]}" --inject-type "$t" --id-base "$n1_id"
done
check_delta C rx_auth_fail "$auth0" 6 "coordinator: 2 unsigned messages counted in rx_auth_fail"
inject garbage "${ADDR[C]}" --count 4
check_delta C rx_malformed "$mal0" 4 "coordinator: 4 garbage datagrams counted in rx_malformed"
inject truncated "${ADDR[C]}" --inject-type leave --id-base "$n1_id" --count 2
check_delta C rx_malformed "$mal0" 6 "coordinator: 2 truncated datagrams counted in rx_malformed"

# --- the nodes: a forged TOPOLOGY is what would blind them
for n in $NODES; do
	a0=$(nctr "$n" rx_auth_fail) m0=$(nctr "$n" rx_malformed)
	inject forged "${NADDR[$n]}" --inject-type topology --id-base 0x0badc0de
	inject unsigned "${NADDR[$n]}" --inject-type topology --id-base 0x0badc0de
	inject garbage "${NADDR[$n]}" --count 2
	inject truncated "${NADDR[$n]}" --inject-type topology --count 2
	check_delta "$n" rx_auth_fail "$a0" 2 "$n: forged and unsigned TOPOLOGY counted in rx_auth_fail"
	check_delta "$n" rx_malformed "$m0" 4 "$n: garbage and truncated datagrams counted in rx_malformed"
done

sleep 0.5
check_ownership $NODES
ok $(($? == 0)) "after the injections the nodes still partition the buckets" || diag "$OWN_WHY"
is "$OWN_TERM $OWN_EPOCH $OWN_DIGEST" "$old_term $old_epoch $old_digest" \
	"term, epoch and table digest are unchanged"
is "$(coord_json C '"\(.term) \(.epoch) \(.nodes | length)"')" "$old_term $old_epoch 3" \
	"the coordinator's term, epoch and node count are unchanged"
is "$(coord_json C "[.nodes[] | select(.id == \"$n1_id\")] | length")" 1 \
	"the node named in the forged LEAVE is still a member"
is "$(coord_json C '[.nodes[] | select(.weight == 65535)] | length')" 0 \
	"the forged JOIN added nobody"

# --- replay: a legitimate (simulated) node re-sends its own datagrams
rep0=$(cctr rx_replay)
RT=$E2E_DIR/replay.json
"$NODESIM_BIN" --replay-test --coord "${ADDR[C]}" -k "$NODE_KEY" --id-base 0x5eed0001 \
	>"$RT" 2>>"$E2E_DIR/replay.log"
rc=$?
ok $((rc == 0)) "nodesim --replay-test passes" || diag "exit $rc: $(cat "$RT" "$E2E_DIR/replay.log")"
is "$(jq -r '"\(.heartbeat_acked) \(.heartbeat_replay_acked)"' "$RT")" "true false" \
	"a replayed HEARTBEAT is not acknowledged"
is "$(jq -r '"\(.leave_removed) \(.rejoined) \(.leave_replay_ignored)"' "$RT")" "true true true" \
	"an old LEAVE replayed after a rejoin does not remove the node"
now=$(cctr rx_replay)
ok $((now >= rep0 + 2)) "the coordinator counted the replays in rx_replay" ||
	diag "rx_replay $rep0 -> $now"
diag "rx_replay $rep0 -> $now"

# --- key handling at start
cp "$KEY" "$E2E_DIR/open.key"
chmod 644 "$E2E_DIR/open.key"
alloc_port p
run_status "$COORD_BIN" -f -l 127.0.0.1:$p -k "$E2E_DIR/open.key" --no-announce
ok $((RUN_RC == 1)) "dicap-coord refuses a world-readable key file (exit 1)" || diag "exit $RUN_RC"
ok "$(printf '%s' "$RUN_OUT" | grep -c chmod)" "... with a message naming chmod" || diag "$RUN_OUT"
run_status "$DICAPD_BIN" -f -i lo -s "$E2E_DIR/x.sock" -c "${ADDR[C]}" -k "$E2E_DIR/open.key"
ok $((RUN_RC == 1)) "dicapd refuses a world-readable key file (exit 1)" || diag "exit $RUN_RC"
ok "$(printf '%s' "$RUN_OUT" | grep -c chmod)" "... with a message naming chmod" || diag "$RUN_OUT"
run_status "$COORD_BIN" -f -l 127.0.0.1:$p --no-announce
ok $((RUN_RC == 1)) "dicap-coord without -k or --insecure is refused (exit 1)" || diag "exit $RUN_RC"
ok "$(printf '%s' "$RUN_OUT" | grep -c -- --insecure)" "... with a message naming --insecure" || diag "$RUN_OUT"
run_status "$DICAPD_BIN" -f -i lo -s "$E2E_DIR/x.sock" -c "${ADDR[C]}"
ok $((RUN_RC == 1)) "dicapd without -k or --insecure is refused (exit 1)" || diag "exit $RUN_RC"

ADDR[I]=127.0.0.1:$p
spawn I "$COORD_BIN" -f -l "${ADDR[I]}" --insecure --no-announce
insecure_up() { "$DICAPCTL_BIN" -c "${ADDR[I]}" --insecure status --json >/dev/null 2>&1; }
wait_until 10000 insecure_up
ok $(($? == 0)) "dicap-coord --insecure runs and answers dicapctl --insecure"
warning=$(grep -v '^=== ' "${E2E_LOG[I]}" | grep -i 'insecure\|without.*key\|unauthenticated' | head -1)
ok $(( ${#warning} > 0 )) "dicap-coord --insecure logs a warning" || diag "$(cat "${E2E_LOG[I]}")"
diag "$warning"
run_status "$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$E2E_DIR/open.key" status
ok $((RUN_RC != 0)) "dicapctl refuses a world-readable key file too" || diag "exit $RUN_RC"

alive_all=1
for n in C $NODES; do alive "$n" || { alive_all=0; diag "$n is gone"; }; done
ok $alive_all "the coordinator and the nodes survived all of it"

done_testing
