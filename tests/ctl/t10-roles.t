#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, items 1 to 4, against real daemons on 127.0.0.0/8, with the
# hostile sender dicap-ctlprobe: a node or status credential forges
# nothing a coordinator signs; a JOIN replayed from another address is not
# answered; a genuine ERROR replayed to a node does not make it exit; a
# STATUS_REQ from an unverified address gets no answer larger than itself;
# COORD_SYNC only from configured peers, terms only as elections make them,
# and a sync lists no more nodes than a cluster holds.
. "$(dirname "$0")/lib.sh"
e2e_init dicap-ctlprobe
plan 31

PROBE=$DICAP_TOOLS/dicap-ctlprobe
N1_ID=0x7a000001

reserve_coord C
reserve_coord D
alloc_port FAKE_PEER_PORT
FAKE_PEER=127.0.0.3:$FAKE_PEER_PORT	# a --peer of D that the probe speaks for
start_coord C --id 0x0000000c --priority 200 --peer "${ADDR[D]}"
ok $(($? == 0)) "coordinator C starts"
start_coord D --id 0x0000000d --priority 100 --peer "${ADDR[C]}" --peer "$FAKE_PEER"
ok $(($? == 0)) "coordinator D starts"
roles() { echo "$(coord_json C .coordinator.role) $(coord_json D .coordinator.role)"; }
c_active() { [ "$(roles)" = "active standby" ]; }
wait_until 20000 c_active
ok $(($? == 0)) "C is active, D standby" || diag "roles: $(roles)"
start_node n1 C D -- --id "$N1_ID"
ok $(($? == 0)) "node n1 starts"
n1_settled() {
	check_ownership n1 && [ "$OWN_EPOCH" != null ] &&
		[ "$(node_json n1 .pending_epoch)" = null ]
}
wait_until 10000 n1_settled
ok $(($? == 0)) "n1 holds every bucket" || diag "$OWN_WHY"
old="$OWN_TERM $OWN_EPOCH"
N1_ADDR=$(coord_json C ".nodes[] | select(.id == \"$N1_ID\") | .addr")
diag "n1 at $N1_ADDR, term and epoch $old"

cctr() { coord_json "$1" "(.counters.$2 // .$2) // \"missing\""; }
nctr() { node_json "$1" ".counters.$2 // \"missing\""; }
probe() { "$PROBE" "$@" 2>>"$E2E_DIR/probe.log"; }
counter_at_least() { local now; now=$(if [ "$1" = n1 ]; then nctr n1 "$2"; else cctr "$1" "$2"; fi); [ "$now" -ge "$3" ] 2>/dev/null; }

# --- 1. roles: what a node or status credential cannot do
a0=$(nctr n1 rx_auth_fail)
probe -k "$NODE_KEY" --tag node --to "$N1_ADDR" topology --id 0x0badc0de --term 1000 >/dev/null
wait_until 3000 counter_at_least n1 rx_auth_fail $((a0 + 1))
ok $(($? == 0)) "n1 refuses a TOPOLOGY under the node key (rx_auth_fail)" ||
	diag "rx_auth_fail $a0 -> $(nctr n1 rx_auth_fail)"
check_ownership n1
is "$OWN_TERM $OWN_EPOCH $(node_json n1 .coordinator)" "$old ${ADDR[C]}" \
	"n1 still follows C with the same term and epoch"
out=$(probe -k "$NODE_KEY" --to "$N1_ADDR" topology 2>&1)
ok $(($? != 0)) "a node credential cannot sign a TOPOLOGY at all" || diag "$out"

a0=$(cctr C rx_auth_fail)
out=$(probe -k "$STATUS_KEY" --tag status --to "${ADDR[C]}" replay-join --id 0x7a0000ff)
wait_until 3000 counter_at_least C rx_auth_fail $((a0 + 1))
ok $(($? == 0)) "a JOIN under the status key is refused (rx_auth_fail)" || diag "$out"
is "$(coord_json C "[.nodes[] | select(.id == \"0x7a0000ff\")] | length")" 0 \
	"... and joins nobody"
run_status "$DICAPD_BIN" -f -i lo -s "$E2E_DIR/x.sock" -c "${ADDR[C]}" -k "$STATUS_KEY" \
	--datapath none
[ "$RUN_RC" = 1 ] && printf '%s' "$RUN_OUT" | grep -q "node credential"
ok $(($? == 0)) "dicapd refuses a status credential, naming the node credential" || diag "$RUN_OUT"
run_status "$COORD_BIN" -f -l 127.0.0.1:1 -k "$NODE_KEY" --no-announce
ok $((RUN_RC == 1)) "dicap-coord refuses a node credential" || diag "$RUN_OUT"

# --- 2. replay keyed on identity, not on the source address
r0=$(cctr C rx_replay)
out=$(probe -k "$NODE_KEY" --to "${ADDR[C]}" replay-join --id 0x7a000002 --bind2 127.0.0.2)
is "$(printf '%s' "$out" | jq -r '"\(.joined) \(.recv)"')" "true 0" \
	"a JOIN replayed from another address gets no answer" || diag "$out"
wait_until 3000 counter_at_least C rx_replay $((r0 + 1))
ok $(($? == 0)) "... and is counted in rx_replay" || diag "rx_replay $r0 -> $(cctr C rx_replay)"

s0=$(nctr n1 rx_session) f0=$(nctr n1 rx_not_followed)
out=$(probe -k "$NODE_KEY" --bind 127.0.0.2 --to "${ADDR[C]}" steal-error --id "$N1_ID" \
	--replay-to "$N1_ADDR")
is "$(printf '%s' "$out" | jq -r .error_code)" 3 \
	"a JOIN of n1's id from another host gets a genuine ERROR ID_IN_USE" || diag "$out"
dropped() { [ $(( $(nctr n1 rx_session) + $(nctr n1 rx_not_followed) )) -gt $((s0 + f0)) ]; }
wait_until 3000 dropped
ok $(($? == 0)) "n1 drops that ERROR, replayed to it (rx_session, rx_not_followed)" ||
	diag "rx_session $s0 -> $(nctr n1 rx_session), rx_not_followed $f0 -> $(nctr n1 rx_not_followed)"
# Two coordinator timeouts: the stolen id must not have locked n1 out either.
sleep $(((2 * TIMEOUT_MS + 500) / 1000))
ok $(alive n1 && echo 1 || echo 0) "n1 (started with --id) is still running"
is "$(node_json n1 .state) $(coord_json C "[.nodes[] | select(.id == \"$N1_ID\")][0].addr")" \
	"joined $N1_ADDR" "n1 stays joined to C at its address, heartbeats acknowledged"

# --- 4. no amplification: unverified senders get no more than they sent
out=$(probe -k "$STATUS_KEY" --to "${ADDR[C]}" status)
is "$(printf '%s' "$out" | jq -r .recv)" 0 \
	"a short STATUS_REQ without cookie gets no answer" || diag "$out"
out=$(probe -k "$STATUS_KEY" --to "${ADDR[C]}" status --padded)
ok "$(printf '%s' "$out" | jq -r 'if .recv == 1 and .max_reply <= .max_request then 1 else 0 end')" \
	"a padded one gets one answer (the cookie), no larger than the request" || diag "$out"
out=$(probe -k "$STATUS_KEY" --to "${ADDR[C]}" status-cookie --bind2 127.0.0.2)
ok "$(printf '%s' "$out" | jq -r 'if .max_reply <= .max_request then 1 else 0 end')" \
	"a cookie used from another address buys no status" || diag "$out"
run_status "$DICAPCTL_BIN" -c "${ADDR[C]}" -k "$STATUS_KEY" status
ok $((RUN_RC == 0)) "dicapctl status with the status credential still works" || diag "$RUN_OUT"

# --- 3. terms move only through elections; COORD_SYNC only from peers
term_d=$(coord_json D .term)
p0=$(cctr D rx_not_peer)
probe -k "$KEY" --bind 127.0.0.2 --to "${ADDR[D]}" sync --term $((term_d + 1)) >/dev/null
wait_until 3000 counter_at_least D rx_not_peer $((p0 + 1))
ok $(($? == 0)) "a signed COORD_SYNC from no --peer is refused (rx_not_peer)" ||
	diag "rx_not_peer $p0 -> $(cctr D rx_not_peer)"
j0=$(cctr D rx_term_jump)
probe -k "$KEY" --bind "$FAKE_PEER" --to "${ADDR[D]}" sync --term 4294967295 >/dev/null
wait_until 3000 counter_at_least D rx_term_jump $((j0 + 1))
ok $(($? == 0)) "a COORD_SYNC from a peer with term 2^32-1 is refused (rx_term_jump)" ||
	diag "rx_term_jump $j0 -> $(cctr D rx_term_jump)"
is "$(coord_json D '"\(.term) \(.coordinator.role)"')" "$term_d standby" \
	"D keeps its term and stays standby"
a0=$(cctr D rx_auth_fail)
probe -k "$NODE_KEY" --tag node --bind "$FAKE_PEER" --to "${ADDR[D]}" sync --term "$term_d" \
	>/dev/null
wait_until 3000 counter_at_least D rx_auth_fail $((a0 + 1))
ok $(($? == 0)) "a COORD_SYNC under the node key is refused (rx_auth_fail)"

ok $(alive C && alive D && alive n1 && echo 1 || echo 0) "every daemon is still running"

# A coordinator restarted with --term-file takes a term above its last one,
# so that no (term, epoch) of its new run names another member list.
reserve_coord E
start_coord E --id 0x0000000e --term-file "$E2E_DIR/E.term"
e_active() { [ "$(coord_json E .coordinator.role)" = active ]; }
wait_until 20000 e_active
t1=$(coord_json E .term)
is "$(cat "$E2E_DIR/E.term" 2>/dev/null)" "$t1" "--term-file holds the term the coordinator took ($t1)"
kill_proc E TERM
start_coord E --id 0x0000000e --term-file "$E2E_DIR/E.term"
wait_until 20000 e_active
t2=$(coord_json E .term)
ok $((t2 > t1)) "restarted, it takes a higher term ($t1 -> $t2)" || diag "terms $t1 $t2"
kill_proc E TERM
echo 4294967295 >"$E2E_DIR/E.term"
run_status "$COORD_BIN" -f -l "${ADDR[E]}" -k "$KEY" --no-announce --term-file "$E2E_DIR/E.term"
ok $((RUN_RC == 1)) "a term file at 2^32-1 is refused at start, like such a term on the wire" ||
	diag "exit $RUN_RC: $RUN_OUT"

# Last: with the next term (as an election makes it) D follows the probe,
# and C's syncs are stale to it from then on.
c0=$(cctr D sync_capped)
probe -k "$KEY" --bind "$FAKE_PEER" --to "${ADDR[D]}" sync --term $((term_d + 1)) --nodes 66000 \
	>/dev/null
capped() { [ "$(cctr D sync_capped)" -ge $((c0 + 66000 - 65535)) ] 2>/dev/null; }
wait_until 10000 capped
ok $(($? == 0)) "a sync of 66000 nodes fills the node table to 65535, no more (sync_capped)" ||
	diag "sync_capped $c0 -> $(cctr D sync_capped)"
# A standby with 65535 nodes takes over and builds their table: no need to wait.
kill -KILL "${E2E_PID[D]}" 2>/dev/null
