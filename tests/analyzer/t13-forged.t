#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Forged batches, as anyone on the management LAN can send them (issue 14),
# bounded: a sequence number 2^24 ahead of a node's stream is a reset, not
# 2^24 - 1 lost batches; records stamped 10 days ahead or behind are refused
# and counted, and neither switch off the reorder window nor stop -G
# rotation; 4200 forged node ids fill the table, the one too many and a
# real new node are refused and counted, the silent ids expire
# (--node-timeout) and the real node is then taken; --reorder-bytes bounds
# what the window holds in bytes.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump python3
plan 31
export TZ=UTC

D=$ANA_DIR
FORGE=$ANA_REPO/tests/analyzer/forge.py
forge() { python3 "$FORGE" "$1" "$ADDR" "${@:2}"; }
now_ns() { echo $((${EPOCHREALTIME/./} * 1000)); }
DAY=86400000000000

# --- a forged sequence jump
S=$D/seq.json
ok_cmd "the analyzer starts" start_analyzer seq -w "$D/seq.pcap" --stats "$S" -q
send --node 0x6e000001 --count 100 --per-batch 1 --batch-seq 0 --rate 20000 \
	--sent "$D/seq1.txt"
forge batch 0x6e000001 $((99 + (1 << 24))) "$(now_ns)"
send --node 0x6e000001 --count 100 --per-batch 1 --batch-seq 100 --frame-seq 1000 \
	--rate 20000 --sent "$D/seq2.txt"
ok_cmd "201 batches arrive" wait_until 5000 stats_reach "$S" .totals.batches 201 ||
	diag "$(stat_of "$S" .totals)"
stop seq
ns() { node_stat "$S" 0x6e000001 "$1"; }
is "$(ns gaps)" 0 "a jump of 2^24 adds no missing batch"
is "$(ns seq_resets) $(stat_of "$S" .totals.seq_resets)" "2 2" \
	"it is counted: out of the window, and the step back to the real stream"
is "$(ns batches) $(ns last_seq)" "201 199" "every batch taken, the real stream goes on"

# --- far-future and far-past time stamps
S=$D/ts.json
T0=$(( ($(date +%s) - 100) * 1000000000 + 250000000 ))	# x.25 s, 100 s ago
ok_cmd "analyzer with -G 1 and a 1 s reorder window" \
	start_analyzer ts -w "$D/g-%s.pcap" -G 1 --reorder-ms 1000 --stats "$S" -q
forge batch 0x6e000002 0 $(($(now_ns) - 10 * DAY)) 1
forge batch 0x6e000002 1 $(($(now_ns) + 10 * DAY)) 2
ok_cmd "2 forged batches arrive" wait_until 5000 stats_reach "$S" .totals.batches 2
sleep 1.2	# past the window: the old analyzer wrote both
ok_cmd "2 nodes send 300 records over 3 s of record time, interleaved" \
	send --nodes 2 --node 0x6e000003 --count 300 --per-batch 10 --ts-start $T0 \
	--ts-step 10000000 --rate 20000 --sent "$D/ts-sent.txt"
ok_cmd "they arrive" wait_until 5000 stats_reach "$S" .totals.batches 32
stop ts
is "$(stat_of "$S" .totals.ts_future) $(stat_of "$S" .totals.ts_past)" "1 1" \
	"one record refused as far-future, one as far-past"
is "$(node_stat "$S" 0x6e000002 ts_refused)" 2 "counted against the node"
is "$(stat_of "$S" .output.late) $(stat_of "$S" .output.written)" "0 300" \
	"the reorder window still orders the 300 records (none late)"
mapfile -t files < <(ls "$D"/g-*.pcap)
is "${#files[@]}" 3 "-G 1 still rotates: 3 files for 3 s of records"
now_s=$(date +%s)
is "$(for f in "${files[@]}"; do n=${f##*/g-}; n=${n%%.*}; \
	[ "$n" -le "$now_s" ] && [ "$n" -ge $((now_s - 200)) ] || echo "$f"; done)" "" \
	"no file is named 10 days away"
pcap_records "${files[@]}" >"$D/ts-got.txt"
cut -d' ' -f1,2 "$D/ts-sent.txt" >"$D/ts-want.txt"
same_sets "$D/ts-got.txt" "$D/ts-want.txt" "the files hold exactly the real records"

# --- the node table
S=$D/nodes.json
ok_cmd "analyzer with --node-timeout 2" \
	start_analyzer nodes -w "$D/nodes.pcap" --node-timeout 2 --stats "$S" -q
forge ids 0x7a000000 4200
ok_cmd "4096 forged ids fill the table, the rest are refused" \
	wait_until 5000 stats_reach "$S" '"\(.totals.nodes) \(.totals.nodes_refused > 0)"' \
	"4096 true" || diag "$(stat_of "$S" .totals)"
refused=$(stat_of "$S" .totals.nodes_refused)
send --node 0x6e000005 --count 10 --per-batch 10 --rate 20000
ok_cmd "a real new node is refused while the table is full" \
	wait_until 3000 stats_reach "$S" .totals.nodes_refused $((refused + 1))
ok_cmd "the silent forged ids expire" \
	wait_until 8000 stats_reach "$S" .totals.nodes_expired 4096 ||
	diag "$(stat_of "$S" .totals)"
send --node 0x6e000005 --count 10 --per-batch 10 --frame-seq 100 --rate 20000
ok_cmd "then the real node is taken" \
	wait_until 3000 stats_reach "$S" "[.nodes[] | select(.id == \"0x6e000005\") | .records][0]" 10
stop nodes
is "$(stat_of "$S" .totals.records)" $((4096 + 10)) \
	"the totals keep the expired nodes' records"
n=$(grep -c "one too many" "$D/nodes.log")
ok $((n >= 1 && n <= 3)) "the refusals are logged, rate-limited ($n lines for $((refused + 1)))"

# --- the reorder window in bytes
S=$D/bytes.json
ok_cmd "analyzer with --reorder-bytes 1m and a window of an hour" \
	start_analyzer bytes -w "$D/bytes.pcap" --reorder-bytes 1m --reorder-ms 3600000 \
	--stats "$S" -q
ok_cmd "60 records of 60000 bytes" \
	send --node 0x6e000006 --count 60 --size 60000 --snaplen 60000 --per-batch 1 --max-bytes 65507 \
	--rate 2000
ok_cmd "they arrive" wait_until 5000 stats_reach "$S" .totals.records 60
buffered=$(stat_of "$S" .output.buffered_bytes)
ok $((buffered > 0 && buffered <= 1048576)) "at most 1 MiB is held ($buffered bytes)"
max=$(stat_of "$S" .output.buffered_bytes_max)
ok $((max <= 1048576 + 65536 + 64)) \
	"never more than one chunk (64 KiB) over it, until the oldest leave ($max bytes at most)"
is "$(stat_of "$S" '"\(.output.forced_bytes + .output.buffered) \(.output.buffered < 60)"')" \
	"60 true" "the oldest are written early and counted (forced_bytes)"
stop bytes
is "$LAST_STATUS" 0 "exit status 0"
tcpdump -r "$D/bytes.pcap" -nn -tt --nano 2>/dev/null | cut -d' ' -f1 >"$D/bytes-got.txt"
is "$(wc -l <"$D/bytes-got.txt") $(stat_of "$S" .output.late)" "60 0" \
	"every record is written, none late"
bad=$(in_order <"$D/bytes-got.txt")
ok $((${#bad} == 0)) "in order" || diag "$bad"
done_testing
