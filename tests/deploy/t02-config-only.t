#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A coordinator, a dicapd (datapath none, on lo) and an analyzer, each
# started with --config FILE and nothing else: they find each other and
# every setting in the files takes effect (the coordinator's selection,
# timers and analyzer, the node's id, weight and socket, the analyzer's
# output file, a quoted name with a blank).  The example files of
# etc/dicap/ are valid for their daemons, a bad line is named by file and
# line, and the command line wins over a file.  (With the datapath none
# no frame is captured: the analyzer is checked for listening and writing
# its file, not for receiving headers.)
. "$(dirname "$0")/../ctl/lib.sh"
e2e_init
[ -x "$DICAP_BIN/dicap-analyzer" ] || skip_all "$DICAP_BIN/dicap-analyzer not built (make programs)"
plan 18

ANALYZER_BIN=$DICAP_BIN/dicap-analyzer
for d in dicap-coord:dicap-coord.conf dicapd:dicapd-IFACE.conf dicap-analyzer:dicap-analyzer.conf; do
	out=$("$DICAP_BIN/${d%%:*}" --config "$E2E_REPO/etc/dicap/${d#*:}" --help 2>&1)
	ok $(($? == 0)) "etc/dicap/${d#*:} is a valid file for ${d%%:*}" || diag "$out"
done

reserve_coord C
alloc_port aport
OUT="$E2E_DIR/out dir"
mkdir -p "$OUT"
chmod 0777 "$OUT"	# the analyzer, started as root, writes as nobody
cat >"$E2E_DIR/coord.conf" <<CONF
# the coordinator, all from this file
listen ${ADDR[C]}
key $KEY
foreground
debug
no-announce
select host		# not the default (flow)
tunnel outer
heartbeat $HB_MS
timeout $TIMEOUT_MS
guard $GUARD_MS
analyzer 127.0.0.1:$aport
CONF
cat >"$E2E_DIR/node.conf" <<CONF
iface lo
coordinator ${ADDR[C]}
key $NODE_KEY
socket $E2E_DIR/n1.sock
datapath none
id 0x0c0ff1e5
weight 7
foreground
debug
CONF
cat >"$E2E_DIR/analyzer.conf" <<CONF
listen 127.0.0.1:$aport
write "$OUT/capture.pcap"
stats "$OUT/stats.json"
foreground
quiet
CONF
SOCK[n1]=$E2E_DIR/n1.sock

spawn A "$ANALYZER_BIN" --config "$E2E_DIR/analyzer.conf"
spawn C "$COORD_BIN" --config "$E2E_DIR/coord.conf"
wait_until 10000 coord_answers C
ok $(($? == 0)) "dicap-coord --config FILE answers on the file's listen address"
spawn n1 "$DICAPD_BIN" --config "$E2E_DIR/node.conf"
wait_until 10000 node_answers n1
ok $(($? == 0)) "dicapd --config FILE answers on the file's socket"

joined() { [ "$(node_json n1 .state)" = joined ] && [ "$(coord_json C '.nodes | length')" = 1 ]; }
wait_until 15000 joined
ok $(($? == 0)) "the node joins the coordinator named in its file"
is "$(node_json n1 .node_id)" 0x0c0ff1e5 "the node's id is the file's"
is "$(coord_json C '.nodes[0].id') $(coord_json C '.nodes[0].weight')" "0x0c0ff1e5 7" \
	"the coordinator sees the file's id and weight"
is "$(coord_json C .mode) $(coord_json C .tunnel)" "host outer" \
	"select and tunnel from the coordinator's file"
is "$(coord_json C '.analyzers | join(",")')" "127.0.0.1:$aport" "the analyzer from the coordinator's file"
# ACCEPT makes the node "joined"; its first topology follows a moment later.
tunnel_outer() { [ "$(node_json n1 .tunnel)" = outer ]; }
wait_until 10000 tunnel_outer
is "$(node_json n1 .tunnel)" outer "the node follows the coordinator's tunnel setting"
ss -Hlun "sport = :$aport" | grep -q "127.0.0.1:$aport"
ok $(($? == 0)) "the analyzer listens on the file's address"
wait_until 5000 test -s "$OUT/stats.json"
ok $(($? == 0 && $(jq -e . "$OUT/stats.json" >/dev/null 2>&1; echo $((! $?))))) \
	"the analyzer writes --stats to the file's quoted path with a blank"
# The header reaches the file with the first flush (each second).
wait_until 5000 test -s "$OUT/capture.pcap"
magic=$(od -An -tx1 -N4 "$OUT/capture.pcap" 2>/dev/null | tr -d ' ')
nsec=0
[ "$magic" = 4d3cb2a1 ] || [ "$magic" = a1b23c4d ] && nsec=1
ok $nsec \
	"the analyzer's pcap file (nanosecond magic) is where the file says" || diag "magic '$magic'"

# The command line wins; a bad line names file and line.
alloc_port p2
out=$(timeout 5 "$COORD_BIN" --config "$E2E_DIR/coord.conf" -l 127.0.0.1:$p2 --timeout 100 2>&1)
ok $(($? == 1)) "the command line overrides the file (--timeout 100 is below the file's heartbeat)" ||
	diag "$out"
printf '%s\n' "$out" | grep -q -- "--timeout 100 must be larger than --heartbeat $HB_MS"
ok $(($? == 0)) "and the message says so" || diag "$out"
printf 'datapath none\n\nweight 70000\n' >"$E2E_DIR/bad.conf"
out=$("$DICAPD_BIN" --config "$E2E_DIR/bad.conf" -i lo 2>&1)
ok $(($? == 1)) "a bad value in a file stops dicapd"
printf '%s\n' "$out" | grep -q "^dicapd: $E2E_DIR/bad.conf:3: --weight 70000: expected a number"
ok $(($? == 0)) "the message names the file and line 3" || diag "$out"
done_testing
