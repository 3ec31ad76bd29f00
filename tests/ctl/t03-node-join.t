#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A 6th node joins 5: the only buckets that move are those the joiner takes
# (minimal movement), and its share is close to 1/6 (within 2 points).
. "$(dirname "$0")/lib.sh"
e2e_init
plan 11

OLD="n1 n2 n3 n4 n5"
ALL="$OLD n6"
node_id() { printf '0x%08x' $((0x3b000000 + $1 * 0x00a5a5a5)); }

ok_cmd "coordinator starts" start_coord C
i=0 started=0
for n in $OLD; do
	i=$((i + 1))
	start_node "$n" C -- --id "$(node_id $i)" && started=$((started + 1))
done
is "$started" 5 "5 dicapd start"
wait_until 20000 check_ownership $OLD
ok $(($? == 0)) "5 nodes agree on a complete, disjoint table" || diag "$OWN_WHY"
old_epoch=$OWN_EPOCH
snapshot "$E2E_DIR/before" $OLD

joined() {
	check_ownership $ALL || return 1
	[ "$OWN_EPOCH" -gt "$old_epoch" ] || { OWN_WHY="still epoch $OWN_EPOCH"; return 1; }
	[ "$(node_json n6 .members)" = 6 ] || { OWN_WHY="n6 does not count 6 members"; return 1; }
}

t0=$(now_ms)
ok_cmd "n6 starts" start_node n6 C -- --id "$(node_id 6)"
wait_until 20000 joined
ok $(($? == 0)) "6 nodes agree on a new, complete, disjoint table" || diag "last reason: $OWN_WHY"
diag "n6 in the table $(( $(now_ms) - t0 )) ms after it was started (epoch $old_epoch -> $OWN_EPOCH)"
bound_ok "join (socket up) to new table in force" "$WAIT_MS" $((HB_MS + GUARD_MS))
diag "(bound: one JOIN retry interval $HB_MS + validity guard $GUARD_MS)"

snapshot "$E2E_DIR/after" $ALL
set -- $(moved_buckets "$E2E_DIR/before" "$E2E_DIR/after")
moved=$1 from=$2 to=$3
joiner=$(bucket_count "$E2E_DIR/after/n6")
diag "moved $moved buckets from {$from} to {$to}; n6 owns $joiner"
is "$to" n6 "buckets moved only to the joiner"
is "$moved" "$joiner" "the number of moved buckets is the joiner's count (the minimum)"
pct=$(awk -v c="$joiner" 'BEGIN { printf "%.3f", c * 100 / 65536 }')
diag "n6 share: $pct% (ideal 16.667%)"
ok "$(awk -v p="$pct" 'BEGIN { d = p - 100 / 6; print (d <= 2 && d >= -2) ? 1 : 0 }')" \
	"the joiner's share is within 2 percentage points of 1/6"
share=$(node_json n6 .share)
ok "$(awk -v s="$share" -v p="$pct" 'BEGIN { d = s - p; print (d < 0.01 && d > -0.01) ? 1 : 0 }')" \
	"n6 reports that share" || diag "n6 share: $share"
is "$(coord_json C '.nodes | length')" 6 "the coordinator lists 6 nodes"

done_testing
