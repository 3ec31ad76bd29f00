#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Signals.  SIGTERM and SIGINT with everything still in the reorder window
# (a 10-minute window): the records are written in order, the file is
# closed and valid, the exit status is 0.  SIGUSR1 prints the statistics
# at once (to stderr without --stats).  The stats file is replaced
# atomically (no temporary left).  The live line appears only on a
# terminal, and not with -q.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 16

D=$ANA_DIR
S=$D/stats.json

for sig in TERM INT; do
	start_analyzer ana -w "$D/$sig.pcap" --reorder-ms 600000 --stats "$S" -q
	send --nodes 3 --count 2000 --rate 20000 --sent "$D/sent-$sig.txt"
	wait_until 5000 stats_reach "$S" .totals.records 2000
	is "$(stat_of "$S" '"\(.output.buffered) \(.output.written)"')" "2000 0" \
		"SIG$sig: all 2000 records still in the reorder window"
	stop ana $sig
	is "$LAST_STATUS" 0 "SIG$sig: exit status 0"
	ok_cmd "SIG$sig: the file is valid" pcap_ok "$D/$sig.pcap"
	pcap_records "$D/$sig.pcap" >"$D/got-$sig.txt"
	cut -d' ' -f1,2 "$D/sent-$sig.txt" >"$D/want-$sig.txt"
	same_sets "$D/got-$sig.txt" "$D/want-$sig.txt" "SIG$sig: every record is written"
	bad=$(in_order <"$D/got-$sig.txt")
	ok $((${#bad} == 0)) "SIG$sig: in timestamp order" || diag "$bad"
done
is "$(stat_of "$S" .output.written)" 2000 "the final statistics are written on exit"
ok $((! $(ls "$D" | grep -c '\.tmp$'))) "no temporary stats file is left"

# SIGUSR1 without --stats: JSON on stderr at once
start_analyzer usr1 -w "$D/usr1.pcap" -q
send --count 10 >/dev/null
sleep 0.2
kill -USR1 "${PID[usr1]}"
has_json() { grep -q '^{"version":1' "$D/usr1.log"; }
ok_cmd "SIGUSR1 prints the JSON statistics on stderr" wait_until 500 has_json
stop usr1

# the live line: only on a terminal
if command -v script >/dev/null; then
	script -qfec "'$ANALYZER' -l $ADDR -w '$D/live.pcap' & echo \$! >'$D/live.pid'; wait" \
		"$D/typescript" >/dev/null 2>&1 </dev/null &
	ANA_PIDS+=($!)
	SCRIPT=$!
	wait_until 3000 bound_udp "$PORT"
	LIVE=$(cat "$D/live.pid")
	ANA_PIDS+=($LIVE)
	send --nodes 2 --node 0x6e000001 --count 1300 --rate 40 >/dev/null
	kill -TERM "$LIVE"
	wait $SCRIPT
	lines=$(grep -c 'rec/s 2 nodes | 0x6e00000[12] .*/s .*% loss 0.00% | 0x6e00000[12]' "$D/typescript")
	ok $((lines >= 1)) "on a terminal: a live line per second with per-node rate, share, loss ($lines)" ||
		diag "$(tail -n 5 "$D/typescript")"
	grep -m1 'rec/s' "$D/typescript" | sed 's/^/# /'
else
	ok 1 "# SKIP script(1) is not installed"
fi
start_analyzer quiet -w "$D/quiet.pcap"
send --count 100 --per-batch 10 --rate 8 >/dev/null
stop quiet
is "$(grep -c 'rec/s' "$D/quiet.log")" 0 "not a terminal: no live line"
ok "$(grep -c '100 records from 1 nodes written to' "$D/quiet.log")" "a summary line on exit"
done_testing
