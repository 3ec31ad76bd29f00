#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Sequence accounting, exactly as injected: batches skipped by the sender
# (loss between node and analyzer) are counted as gaps, batches sent twice
# as duplicates (and written once), a batch sent after its successor as
# out of order (and its gap repaid); a stream whose 32-bit sequence number
# wraps has no spurious gap.  The pcap holds exactly the records sent.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 20

D=$ANA_DIR
S=$D/stats.json
ok_cmd "the analyzer starts" start_analyzer ana -w "$D/out.pcap" --stats "$S" -q
# node 1: two gaps (3 batches, then 1); node 2: two duplicates and a swap;
# node 3: a gap, a duplicate and a swap
ok_cmd "3 nodes send 3000 records with faults" \
	send --nodes 3 --node 0x6e000001 --count 3000 --rate 20000 --sent "$D/sent1.txt" \
	--skip 0x6e000001:3,4,5,20 --dup 0x6e000002:2,7 --swap 0x6e000002:10 \
	--skip 0x6e000003:8 --dup 0x6e000003:9 --swap 0x6e000003:12
is "$(sent '"\(.skipped_batches) \(.dup_batches) \(.swapped_batches) \(.unused_faults)"')" \
	"5 3 2 0" "the sender skipped 5, duplicated 3, swapped 2 batches"
want1=$(sent .sent_batches)
# a stream that wraps: 6 batches before 2^32, 2 missing after the wrap
ok_cmd "node 0x6e000010 sends across the sequence wrap" \
	send --node 0x6e000010 --count 400 --per-batch 10 --batch-seq 4294967290 --frame-seq 100000 \
	--rate 20000 --sent "$D/sent2.txt" --skip 0x6e000010:1,2
cat "$D/sent1.txt" "$D/sent2.txt" >"$D/sent.txt"
want=$((want1 + $(sent .sent_batches) + 3))	# + the duplicates, which are received
ok_cmd "the analyzer has received $want batches" \
	wait_until 5000 stats_reach "$S" .totals.batches "$((want - 3))" ||
	diag "$(stat_of "$S" .totals)"
sleep 0.3
stop ana
is "$LAST_STATUS" 0 "exit status 0"

ns() { node_stat "$S" "$1" "$2"; }
is "$(ns 0x6e000001 gaps) $(ns 0x6e000001 gap_events)" "4 2" \
	"node 1: 4 batches missing in 2 gaps"
is "$(ns 0x6e000001 duplicates) $(ns 0x6e000001 out_of_order)" "0 0" \
	"node 1: no duplicates, nothing out of order"
is "$(ns 0x6e000002 duplicates)" 2 "node 2: 2 duplicates"
is "$(ns 0x6e000002 out_of_order) $(ns 0x6e000002 gaps)" "1 0" \
	"node 2: the swapped batch is out of order and repays its gap"
is "$(ns 0x6e000003 gaps) $(ns 0x6e000003 duplicates) $(ns 0x6e000003 out_of_order)" "1 1 1" \
	"node 3: 1 gap, 1 duplicate, 1 out of order"
is "$(ns 0x6e000010 gaps) $(ns 0x6e000010 restarts)" "2 0" \
	"the wrapping stream: exactly the 2 skipped batches missing, no restart"
is "$(ns 0x6e000010 first_seq) $(ns 0x6e000010 last_seq)" "4294967290 33" \
	"first and last sequence numbers across the wrap"
loss=$(ns 0x6e000001 loss)
b1=$(ns 0x6e000001 batches)
is "$(awk -v l="$loss" -v b="$b1" 'BEGIN { printf "%.6f", l }')" \
	"$(awk -v b="$b1" 'BEGIN { printf "%.6f", 4 / (b + 4) }')" "node 1: loss = gaps / (received + gaps)"
is "$(stat_of "$S" .totals.gaps) $(stat_of "$S" .totals.duplicates) $(stat_of "$S" .totals.out_of_order)" \
	"7 3 2" "totals: 7 missing, 3 duplicates, 2 out of order"

pcap_records "$D/out.pcap" >"$D/got.txt"
cut -d' ' -f1,2 "$D/sent.txt" >"$D/want.txt"
same_sets "$D/got.txt" "$D/want.txt" "the file holds exactly the records sent (skipped ones absent, duplicates once)"
is "$(cut -d' ' -f2 "$D/got.txt" | sort | uniq -d | wc -l)" 0 "no record twice"
bad=$(in_order <"$D/got.txt")
ok $((${#bad} == 0)) "in timestamp order" || diag "$bad"
is "$(stat_of "$S" .output.late)" 0 "nothing late"
ok_cmd "tcpdump reads the file cleanly" pcap_ok "$D/out.pcap"
done_testing
