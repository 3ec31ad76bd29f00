#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The selection travels: coordinators A (priority 200) and B (priority 100),
# both started with --select host --tunnel outer, and a third, C (priority
# 0), with --tunnel inner; 3 dicapd (datapath none) know A and B.  Every
# node applies mode host, tunnel outer, and its datapath selects with them
# (status JSON and dicapctl's summary); the coordinators' status says so.
# COORD_SYNC carries the flags: C, which differs in --tunnel alone, warns
# that the active coordinator is configured differently, and B does not.
# kill -9 A: B takes over and the nodes follow it with a new term, still
# host and outer, on the same table.  Last, a version 1 JOIN is refused by
# B with a message that names both versions.
. "$(dirname "$0")/lib.sh"
e2e_init
plan 23

NODES="n1 n2 n3"
SEL="--select host --tunnel outer"

# like TEXT REGEX NAME: TEXT matches the extended regular expression REGEX.
like() {
	[[ $1 =~ $2 ]]
	ok $(($? == 0)) "$3" || diag "no match for /$2/ in: $1"
}
BACKOFF_MAX_MS=1100

reserve_coord A
reserve_coord B
reserve_coord C
start_coord A --id 0x0000000a --priority 200 --peer "${ADDR[B]}" --peer "${ADDR[C]}" $SEL
ok $(($? == 0)) "coordinator A starts with $SEL"
start_coord B --id 0x0000000b --priority 100 --peer "${ADDR[A]}" --peer "${ADDR[C]}" $SEL
ok $(($? == 0)) "coordinator B starts with $SEL"
start_coord C --id 0x0000000c --priority 0 --peer "${ADDR[A]}" --peer "${ADDR[B]}" \
	--select host --tunnel inner
ok $(($? == 0)) "coordinator C starts with --select host --tunnel inner"

roles() { echo "$(coord_json A .coordinator.role) $(coord_json B .coordinator.role) $(coord_json C .coordinator.role)"; }
a_active() { [ "$(roles)" = "active standby standby" ]; }
wait_until $((3 * TIMEOUT_MS + BACKOFF_MAX_MS + SLACK_MS + 5000)) a_active
ok $(($? == 0)) "A becomes active, B and C stay standbys" || diag "roles (A B C): $(roles)"

is "$(coord_json A '"\(.mode) \(.tunnel)"')" "host outer" "A's status: mode host, tunnel outer"
run_status "$DICAPCTL_BIN" -c "${ADDR[A]}" -k "$STATUS_KEY" status
ok $((RUN_RC == 0)) "dicapctl status of A answers" || diag "exit $RUN_RC: $RUN_OUT"
like "$RUN_OUT" "mode host, tunnel outer," "... and its summary says mode host, tunnel outer"

i=0 started=0
for n in $NODES; do
	i=$((i + 1))
	start_node "$n" A B -- --id "$(printf '0x%08x' $((0x7e000000 + i * 0x01010101)))" &&
		started=$((started + 1))
done
is "$started" 3 "3 dicapd start with -c A -c B"

# selection_is MODE TUNNEL MIN_TERM COORD: every node follows COORD with term
# >= MIN_TERM, has applied its current epoch on a complete, disjoint table,
# and both the agent and its datapath select with MODE and TUNNEL.
selection_is() {
	local n line want="$1 $2 $1 $2"

	check_ownership $NODES || return 1
	for n in $NODES; do
		line=$(node_json "$n" '"\(.coordinator) \(.term >= '"$3"') \(.pending_epoch) \(.epoch == .datapath.program_epoch)"')
		[ "$line" = "${ADDR[$4]} true null true" ] ||
			{ OWN_WHY="$n: coordinator, term, pending, datapath epoch: $line"; return 1; }
		line=$(node_json "$n" '"\(.mode) \(.tunnel) \(.datapath.program_mode) \(.datapath.program_tunnel)"')
		[ "$line" = "$want" ] || { OWN_WHY="$n: mode, tunnel, datapath's: $line"; return 1; }
	done
	[ "$OWN_EPOCH" = "$(coord_json "$4" .epoch)" ] ||
		{ OWN_WHY="nodes at epoch $OWN_EPOCH, $4 at $(coord_json "$4" .epoch)"; return 1; }
}
wait_until 20000 selection_is host outer 1 A
ok $(($? == 0)) "every node and its datapath select with host, tunnel outer, from A" ||
	diag "last reason: $OWN_WHY"
old_term=$OWN_TERM old_digest=$OWN_DIGEST
diag "term $old_term epoch $OWN_EPOCH digest $old_digest"
run_status "$DICAPCTL_BIN" -i lo -s "${SOCK[n1]}" status
like "$RUN_OUT" "\(host, tunnel outer\), valid since" "dicapctl's node summary: (host, tunnel outer)"
like "$RUN_OUT" "datapath +none, selecting with epoch [0-9]+ \(host, tunnel outer\)" \
	"... and its datapath selects with host, tunnel outer"
is "$(node_json n1 .datapath.counters.stage_errors)" 0 "no stage errors"

# The standbys have had syncs for some intervals now.
sleep $(((2 * HB_MS + 999) / 1000))
warned() { grep -q "configured differently (select, tunnel" "${E2E_LOG[$1]}"; }
ok_cmd "C (--tunnel inner) warns that the active coordinator is configured differently" warned C
warned B
ok $(($? != 0)) "B (the same settings as A) does not"
is "$(coord_json C '"\(.mode) \(.tunnel)"')" "host inner" \
	"a standby's status shows its own settings (C: host inner)"

kill_proc A KILL
ok $(($? == 0)) "A killed with SIGKILL"
b_active() { [ "$(coord_json B .coordinator.role)" = active ]; }
wait_until $((TIMEOUT_MS + HB_MS + BACKOFF_MAX_MS + SLACK_MS + 10000)) b_active
ok $(($? == 0)) "B becomes active" || diag "roles (B C): $(coord_json B .coordinator.role) $(coord_json C .coordinator.role)"
wait_until $((TIMEOUT_MS + HB_MS + SLACK_MS + 10000)) selection_is host outer $((old_term + 1)) B
ok $(($? == 0)) "after the takeover every node follows B with a new term, still host, tunnel outer" ||
	diag "last reason: $OWN_WHY"
diag "term $OWN_TERM epoch $OWN_EPOCH digest $OWN_DIGEST"
is "$OWN_DIGEST" "$old_digest" "same members and selection: the same table digest"
is "$(coord_json B '"\(.mode) \(.tunnel)"')" "host outer" "B's status: mode host, tunnel outer"

# A node of the previous release: its JOIN (protocol version 1) is refused.
before=$(coord_json B .counters.rx_malformed)
printf '\x01\x01\x00\x04\x00\x28\x00\x00\x41\x00\x00\x00\x2a\xca\x00\x08\x17\x97\x9c\xfe\x36\x2a\x00\x01\xcb\x00\x08\x17\x97\x9c\xfe\x36\x2a\x00\x00\x4c\x00\x00\x00\x0a' \
	>"/dev/udp/127.0.0.1/${ADDR[B]##*:}"
refused() { [ "$(coord_json B .counters.rx_malformed)" -gt "$before" ]; }
wait_until 5000 refused
ok $(($? == 0)) "a version 1 JOIN is dropped and counted in rx_malformed"
ok_cmd "the log names both versions" \
	grep -q "unsupported protocol version: version 1, this program speaks 3" "${E2E_LOG[B]}"

alive_all=1
for n in B C $NODES; do alive "$n" || { alive_all=0; diag "$n is gone"; }; done
ok $alive_all "every daemon is still running"

done_testing
