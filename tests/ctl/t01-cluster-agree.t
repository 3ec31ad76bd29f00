#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A coordinator and 5 dicapd on loopback: every node reports the same term,
# epoch and table digest, the owned ranges are disjoint and cover all 65536
# buckets, and the coordinator's status --json has the contract's fields.
. "$(dirname "$0")/lib.sh"
e2e_init
plan 23

NODES="n1 n2 n3 n4 n5"
alloc_port analyzer_port
ANALYZER=127.0.0.1:$analyzer_port

ok_cmd "coordinator starts" start_coord C --select flow --analyzer "$ANALYZER"
i=0
started=0
for n in $NODES; do
	i=$((i + 1))
	start_node "$n" C -- --id "$(printf '0x%08x' $((0x1c000000 + i * 0x01234567)))" &&
		started=$((started + 1))
done
is "$started" 5 "5 dicapd start and answer on their sockets"

wait_until 20000 check_ownership $NODES
ok $(($? == 0)) "all nodes agree and their owned sets partition the buckets" ||
	diag "last reason: $OWN_WHY"
diag "converged after $WAIT_MS ms: term $OWN_TERM epoch $OWN_EPOCH digest $OWN_DIGEST"

# What each node believes, field by field.
members_ok=1 coord_ok=1 state_ok=1 sum=0 share_ok=1 pending_ok=1
for n in $NODES; do
	line=$(node_json "$n" '"\(.members) \(.coordinator) \(.state) \(.owned_buckets) \(.share) \(.pending_epoch)"')
	set -- $line
	[ "${1:-}" = 5 ] || { members_ok=0; diag "$n: members '${1:-}'"; }
	[ "${2:-}" = "${ADDR[C]}" ] || { coord_ok=0; diag "$n: coordinator '${2:-}'"; }
	[ "${3:-}" = joined ] || { state_ok=0; diag "$n: state '${3:-}'"; }
	[ "${6:-}" = null ] || { pending_ok=0; diag "$n: pending_epoch '${6:-}'"; }
	ranges=$(bucket_count "$E2E_DIR/owned.$n")
	[ "${4:-x}" = "$ranges" ] || { share_ok=0; diag "$n: owned_buckets ${4:-} but owned lists $ranges"; }
	awk -v b="${4:-0}" -v s="${5:-0}" 'BEGIN { d = b * 100 / 65536 - s; exit !(d < 0.01 && d > -0.01) }' ||
		{ share_ok=0; diag "$n: share ${5:-} for ${4:-} buckets"; }
	sum=$((sum + ${4:-0}))
done
ok $members_ok "every node counts 5 members"
ok $coord_ok "every node names the coordinator ${ADDR[C]}"
ok $state_ok "every node is in state joined"
ok $pending_ok "no node has a pending switch"
ok $share_ok "owned_buckets and share agree with the owned ranges"
is "$sum" 65536 "owned_buckets of all nodes add up to 65536"

# The coordinator's view.
CJ=$E2E_DIR/coord.json
coord_json C >"$CJ"
ok $(($? == 0)) "dicapctl -c status --json answers"
is "$(jq -r '.nodes | length' "$CJ")" 5 "the coordinator lists 5 nodes"
is "$(jq -r '[.term, .epoch] | map(type) | join(",")' "$CJ")" "number,number" "term and epoch are numbers"
is "$(jq -r '.term' "$CJ") $(jq -r '.epoch' "$CJ")" "$OWN_TERM $OWN_EPOCH" \
	"the coordinator's term and epoch are the nodes'"
is "$(jq -r '.mode' "$CJ")" flow "mode is flow"
is "$(jq -r '.tunnel' "$CJ") $(node_json n1 .tunnel)" "inner inner" \
	"tunnel is inner (the default) at the coordinator and the nodes"
is "$(jq -c '.analyzers' "$CJ")" "[\"$ANALYZER\"]" "analyzers lists the configured analyzer"
is "$(jq -r '.coordinator.role' "$CJ")" active "the coordinator is active"
is "$(jq -r '[.nodes[] | (.id | type == "string" and test("^0x[0-9a-f]{8}$")) and
	(.addr | type == "string" and test("^127\\.0\\.0\\.1:[0-9]+$")) and
	(.weight | type == "number") and (.share | type == "number") and
	(.last_heartbeat_ms | type == "number")] | all' "$CJ")" true \
	"every node has id, addr, weight, share and last_heartbeat_ms of the right types"
ok "$(jq -r '[.nodes[].share] | add | (. - 100) | fabs < 0.01 | if . then 1 else 0 end' "$CJ")" \
	"the shares add up to 100 (+-0.01)" || diag "shares: $(jq -c '[.nodes[].share]' "$CJ")"
want=$(for n in $NODES; do node_json "$n" .node_id; done | sort | tr '\n' ' ')
is "$(jq -r '.nodes[].id' "$CJ" | sort | tr '\n' ' ')" "$want" "the coordinator lists exactly the nodes' ids"
is "$(jq -r "[.nodes[].last_heartbeat_ms | select(. > $TIMEOUT_MS)] | length" "$CJ")" 0 \
	"no heartbeat is older than the timeout"

run_status "$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" status
ok $((RUN_RC == 0 && $(printf '%s\n' "$RUN_OUT" | wc -l) >= 6)) \
	"the human-readable coordinator status prints a header and a table" ||
	diag "exit $RUN_RC: $RUN_OUT"

alive_all=1
for n in C $NODES; do
	alive "$n" || { alive_all=0; diag "$n is gone"; }
done
ok $alive_all "every daemon is still running"

done_testing
