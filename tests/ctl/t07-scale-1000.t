#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Scale: one dicap-nodesim process simulates 1,000 node ids (one socket
# each) with 1 s heartbeats against one coordinator.  All 1,000 receive a
# consistent topology (the same term and epoch, 1000 members, each at the
# POSITION it was told, every copy of every part identical), and the
# coordinator answers dicapctl status within 1 s while they run.  One real
# dicapd runs among them: it must hold the same epoch as the simulated
# nodes, with all 1001 members.
. "$(dirname "$0")/lib.sh"
e2e_init dicap-nodesim
plan 18

N=1000
HB_MS=1000 TIMEOUT_MS=3000 GUARD_MS=500	# the defaults: 1 s heartbeats
ok_cmd "coordinator starts" start_coord C
ok_cmd "one real dicapd starts" start_node n1 C -- --id 0x6fffffff
REPORT=$E2E_DIR/sim.json
t_sim=$(now_ms)
spawn sim "$NODESIM_BIN" --nodes $N --coord "${ADDR[C]}" -k "$NODE_KEY" --id-base 0x70000000 \
	--others 1 --duration 300 --report "$REPORT" --per-node -v
converged() { [ "$(jq -r .converged "$REPORT" 2>/dev/null)" = true ]; }
# For the record: one status request while the nodes are still joining.
sleep 0.5
t0=$(now_ms)
n=$("$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" status --json 2>/dev/null | jq -r '.nodes | length')
diag "status --json during the join storm: $(( $(now_ms) - t0 )) ms, ${n:-no} nodes listed"
wait_until 60000 converged
ok $(($? == 0)) "all $N simulated nodes hold the same complete topology" ||
	diag "$(jq -c 'del(.per_node)' "$REPORT" 2>/dev/null)"
diag "converged $(( $(now_ms) - t_sim )) ms after the simulator started; $(jq -r '.convergence_ms' "$REPORT") ms after its last JOIN"

# Responsiveness while 1000 nodes heartbeat (once the join storm is over):
# 5 requests, one a second.
sleep 2
slow=0 worst=0 listed=ok
for i in 1 2 3 4 5; do
	t0=$(now_ms)
	out=$("$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" status --json 2>&1)
	rc=$?
	dt=$(( $(now_ms) - t0 ))
	[ $dt -gt $worst ] && worst=$dt
	[ $rc -eq 0 ] && [ $dt -le 1000 ] || { slow=$((slow + 1)); diag "request $i: exit $rc, $dt ms"; }
	n=$(printf '%s' "$out" | jq -r '.nodes | length' 2>/dev/null)
	[ "$n" = $((N + 1)) ] || { listed="request $i listed '$n'"; }
	sleep 1
done
diag "status --json with $N nodes: worst of 5 took $worst ms"
is "$slow" 0 "the coordinator answers status --json within 1 s, 5 times out of 5"
is "$listed" ok "each answer lists $((N + 1)) nodes"
run_status "$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" status
ok $((RUN_RC == 0)) "the human-readable status works too"

# The simulator's view after a few more heartbeats.
kill -USR1 "${E2E_PID[sim]}"
sleep 1.5
R=$E2E_DIR/final.json
cp "$REPORT" "$R"
is "$(jq -r '"\(.joined) \(.holding_newest) \(.all_same_epoch) \(.positions_ok)"' "$R")" \
	"$N $N true $N" "all $N nodes joined, hold the newest epoch, agree, and sit at their POSITION"
is "$(jq -r '.newest.member_count' "$R")" $((N + 1)) "the newest topology has $((N + 1)) members"
is "$(jq -r '[.per_node[] | "\(.term)/\(.epoch)"] | unique | length' "$R")" 1 \
	"one (term, epoch) across all nodes"
is "$(jq -r '"\(.parts_inconsistent) \(.topology_bad) \(.position_bad)"' "$R")" "0 0 0" \
	"every copy of every part agreed, the lists were sorted and complete"
is "$(jq -r '"\(.rx.auth_fail) \(.rx.malformed) \(.rx.replay)"' "$R")" "0 0 0" \
	"the nodes received no bad datagram"
is "$(jq -r '"\(.rx.unknown_node) \(.coord_lost) \(.rejoins)"' "$R")" "0 0 0" \
	"no node was dropped or lost the coordinator"
is "$(jq -r '[.per_node[] | select(.acks == 0)] | length' "$R")" 0 "every node's heartbeats are acknowledged"
CJ=$E2E_DIR/coord.json
coord_json C >"$CJ"
is "$(jq -r '"\(.epoch) \(.term)"' "$CJ")" "$(jq -r '"\(.newest.epoch) \(.newest.term)"' "$R")" \
	"the coordinator's term and epoch are the nodes'"
is "$(jq -r '(.counters.timeouts // .timeouts // "missing")' "$CJ")" 0 "the coordinator timed out no node"
diag "coordinator: $(jq -c '.counters' "$CJ")"
diag "simulator: $(jq -c 'del(.per_node)' "$R")"
NJ=$E2E_DIR/n1.json
node_json n1 >"$NJ"
is "$(jq -r '"\(.state) \(.term) \(.epoch) \(.members) \(.position) \(.pending_epoch)"' "$NJ")" \
	"joined $(jq -r '"\(.newest.term) \(.newest.epoch)"' "$R") $((N + 1)) 0 null" \
	"the real dicapd holds the same term and epoch, $((N + 1)) members, position 0"
ob=$(jq -r .owned_buckets "$NJ")
ok $((ob > 0 && ob < 65536 * 3 / (N + 1))) "the real dicapd owns about 1/$((N + 1)) of the buckets ($ob)"
diag "dicapd: late_topology $(jq -r .counters.late_topology "$NJ"), topologies_applied $(jq -r .counters.topologies_applied "$NJ")"
ok_cmd "the coordinator is still running" alive C

done_testing
