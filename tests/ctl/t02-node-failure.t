#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# kill -9 one of 5 nodes: within the timeout plus one interval (plus the
# guard before a topology applies, plus CI slack) the 4 survivors agree on a
# new epoch whose table is disjoint and complete, and only the dead node's
# buckets moved: each survivor's new set is a superset of its old one.
. "$(dirname "$0")/lib.sh"
e2e_init
plan 13

NODES="n1 n2 n3 n4 n5"
SURVIVORS="n1 n2 n4 n5"
ok_cmd "coordinator starts" start_coord C
i=0 started=0
for n in $NODES; do
	i=$((i + 1))
	start_node "$n" C -- --id "$(printf '0x%08x' $((0x2a000000 + i * 0x00f00f01)))" &&
		started=$((started + 1))
done
is "$started" 5 "5 dicapd start"

wait_until 20000 check_ownership $NODES
ok $(($? == 0)) "5 nodes agree on a complete, disjoint table" || diag "$OWN_WHY"
old_epoch=$OWN_EPOCH old_digest=$OWN_DIGEST
snapshot "$E2E_DIR/before" $NODES
dead_id=$(node_json n3 .node_id)
dead_count=$(bucket_count "$E2E_DIR/before/n3")
diag "epoch $old_epoch; n3 ($dead_id) owns $dead_count buckets"

# The new table is in force once all survivors report an epoch above the old
# one, 4 members, and partition the buckets among themselves.
new_table() {
	check_ownership $SURVIVORS || return 1
	[ "$OWN_EPOCH" -gt "$old_epoch" ] || { OWN_WHY="still epoch $OWN_EPOCH"; return 1; }
	[ "$(node_json n1 .members)" = 4 ] || { OWN_WHY="n1 does not count 4 members"; return 1; }
}

kill_proc n3 KILL
ok $(($? == 0)) "n3 killed with SIGKILL"
wait_until $((TIMEOUT_MS + HB_MS + GUARD_MS + SLACK_MS + 15000)) new_table
ok $(($? == 0)) "the survivors agree on a new epoch with a complete, disjoint table" ||
	diag "last reason: $OWN_WHY"
bound_ok "failure to new table in force" "$WAIT_MS" $((TIMEOUT_MS + HB_MS + GUARD_MS))
diag "(bound: timeout $TIMEOUT_MS + interval $HB_MS + validity guard $GUARD_MS)"
diag "new epoch $OWN_EPOCH (was $old_epoch), digest $OWN_DIGEST (was $old_digest)"

snapshot "$E2E_DIR/after" $SURVIVORS
set -- $(moved_buckets "$E2E_DIR/before" "$E2E_DIR/after")
moved=$1 from=$2 to=$3
diag "moved $moved buckets from {$from} to {$to}"
is "$from" n3 "only the dead node's buckets moved"
is "$moved" "$dead_count" "exactly n3's $dead_count buckets moved"
superset=1
for n in $SURVIVORS; do
	# every old range must still be owned: the old set minus the new is empty
	lost=$(cat "$E2E_DIR/before/$n" "$E2E_DIR/after/$n" | awk -F- -v nb="$(wc -l <"$E2E_DIR/before/$n")" '
		NR <= nb { for (b = $1; b <= $2; b++) old[b] = 1; next }
		{ for (b = $1; b <= $2; b++) delete old[b] }
		END { print length(old) }')
	[ "$lost" = 0 ] || { superset=0; diag "$n lost $lost buckets"; }
done
ok $superset "each survivor's new set is a superset of its old set"

CJ=$E2E_DIR/coord.json
coord_json C >"$CJ"
is "$(jq -r '.nodes | length' "$CJ")" 4 "the coordinator lists 4 nodes"
is "$(jq -r --arg id "$dead_id" '[.nodes[] | select(.id == $id)] | length' "$CJ")" 0 \
	"the dead node is not listed"
ok "$(jq -r '(.counters.timeouts // .timeouts // 0) >= 1 | if . then 1 else 0 end' "$CJ")" \
	"the coordinator counted the timeout" || diag "$(jq -c '.counters' "$CJ")"
alive_all=1
for n in C $SURVIVORS; do alive "$n" || { alive_all=0; diag "$n is gone"; }; done
ok $alive_all "the coordinator and the survivors are still running"

done_testing
