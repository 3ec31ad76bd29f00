#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The reorder window's rule, W = --reorder-ms, T = newest timestamp seen:
#   1. a record is written once its timestamp is <= T - W;
#   2. everything is written once W of wall time passed without T growing;
#   3. beyond --reorder-max records the oldest are written early ("forced");
# and a record older than one already written is still written, counted
# as late.  SIGUSR1 with --stats rewrites the file at once: the tests read
# the state between the rules' moments.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 13

D=$ANA_DIR
S=$D/stats.json
usr1() { rm -f "$S"; kill -USR1 "${PID[$1]}"; wait_until 1000 test -s "$S"; }
T0=$(( ($(date +%s) - 50) * 1000000000 ))

# 200 records 10 ms apart (1.99 s of record time), sent in a few ms, W = 1.5 s:
# rule 1 writes those with ts <= 1.99 s - 1.5 s, i.e. records 0..49
start_analyzer ana -w "$D/out.pcap" --reorder-ms 1500 --stats "$S" -q
t_send=${EPOCHREALTIME/./}
send --count 200 --per-batch 20 --ts-start $T0 --ts-step 10000000 --sent "$D/sent1.txt"
usr1 ana
t_read=${EPOCHREALTIME/./}
if [ $(( (t_read - t_send) / 1000 )) -lt 1200 ]; then
	is "$(stat_of "$S" '"\(.output.written) \(.output.buffered)"')" "50 150" \
		"rule 1: records 0..49 written at once, 150 held"
else
	ok 1 "# SKIP the machine is too slow to look within the window"
fi
ok_cmd "rule 2: W of wall time later all 200 are written" \
	wait_until 4000 eval 'usr1 ana && stats_reach "$S" .output.written 200'
is "$(stat_of "$S" .output.buffered)" 0 "nothing is held"

# 30 records from 20 s earlier: older than what is written, so late
send --node 2 --count 30 --ts-start $((T0 - 20000000000)) --frame-seq 5000 --sent "$D/sent2.txt"
ok_cmd "records older than the written ones are still written" \
	wait_until 4000 eval 'usr1 ana && stats_reach "$S" .output.written 230'
is "$(stat_of "$S" .output.late)" 30 "and counted late (30)"
is "$(node_stat "$S" 0x00000002 late)" 30 "per node too"
stop ana
pcap_records "$D/out.pcap" >"$D/got.txt"
cat "$D/sent1.txt" "$D/sent2.txt" | cut -d' ' -f1,2 >"$D/want.txt"
same_sets "$D/got.txt" "$D/want.txt" "the file holds all 230 records"
is "$(head -n 200 "$D/got.txt" | in_order)" "" "the first 200 are in order"
is "$(tail -n 30 "$D/got.txt" | cut -d' ' -f2 | tr '\n' ' ')" "$(seq -s ' ' 5000 5029) " \
	"the late ones follow, in their own order"

# rule 3: at most 10 held
start_analyzer ana -w "$D/max.pcap" --reorder-ms 600000 --reorder-max 10 --stats "$S" -q
send --count 100 --per-batch 7 --sent "$D/sent3.txt"
usr1 ana
is "$(stat_of "$S" '"\(.output.buffered) \(.output.buffered_max) \(.output.forced)"')" \
	"10 10 90" "rule 3: 10 held, never more, 90 written early"
stop ana
pcap_records "$D/max.pcap" >"$D/got3.txt"
cut -d' ' -f1,2 "$D/sent3.txt" >"$D/want3.txt"
same_sets "$D/got3.txt" "$D/want3.txt" "all 100 are written, the held ones on exit"
is "$(in_order <"$D/got3.txt")" "" "in order"

# --reorder-ms 0: written as each batch arrives
start_analyzer ana -w "$D/zero.pcap" --reorder-ms 0 --stats "$S" -q
send --count 100 --per-batch 10 >/dev/null
usr1 ana
is "$(stat_of "$S" '"\(.output.written) \(.output.buffered)"')" "100 0" \
	"--reorder-ms 0: nothing is held"
stop ana
done_testing
