#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# --transport tcp: batches back to back on TCP connections, each batch cut
# into pieces that arrive as separate segments (down to 3 bytes, so headers
# are split too), from 3 nodes at once, with framed malformed batches in
# between (counted, skipped, the stream goes on).  A header that cannot
# start a batch ends that connection and is counted.  UDP keeps working
# beside TCP.  The file holds exactly the good records, in order.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 17

D=$ANA_DIR
S=$D/stats.json
ok_cmd "the analyzer starts with --transport tcp" \
	start_analyzer ana -w "$D/out.pcap" --stats "$S" --transport tcp -q
ok_cmd "it listens on TCP $ADDR too" bound_tcp "$PORT"
ok_cmd "3 nodes send 900 records over TCP in 97-byte pieces, with 3 malformed batches" \
	send --tcp --split 97 --nodes 3 --node 0x6e000001 --count 900 --malformed 3 \
	--sent "$D/s1.txt"
b1=$(sent .sent_batches)
ok_cmd "node 0x6e000004 sends 2-record batches in 3-byte pieces" \
	send --tcp --split 3 --per-batch 2 --node 0x6e000004 --count 40 --frame-seq 10000 \
	--sent "$D/s2.txt"
b2=$(sent .sent_batches)
ok_cmd "node 0x6e000005 sends 100 records and then a garbage header" \
	send --tcp --node 0x6e000005 --count 100 --frame-seq 20000 --tail-garbage \
	--sent "$D/s3.txt"
b3=$(sent .sent_batches)
ok_cmd "node 0x6e000006 sends over UDP meanwhile" \
	send --node 0x6e000006 --count 100 --frame-seq 30000 --sent "$D/s4.txt"
b4=$(sent .sent_batches)
total=$((b1 + b2 + b3 + b4))
ok_cmd "all $total batches arrive" wait_until 5000 stats_reach "$S" .totals.batches "$total" ||
	diag "$(stat_of "$S" .totals)"
ok_cmd "every connection is closed" wait_until 3000 stats_reach "$S" .totals.tcp_open 0
stop ana
is "$LAST_STATUS" 0 "exit status 0"

is "$(stat_of "$S" .totals.tcp_accepted)" 5 "5 TCP connections accepted"
is "$(stat_of "$S" .totals.malformed)" 4 "4 malformed: 3 framed batches and the garbage header"
is "$(stat_of "$S" '[.nodes[] | "\(.id)=\(.malformed)"] | sort | join(" ")')" \
	"0x6e000001=1 0x6e000002=1 0x6e000003=1 0x6e000004=0 0x6e000005=0 0x6e000006=0" \
	"the framed bad batches are counted per node"
ok "$(stat_of "$S" '.senders[] | select(.malformed > 0 and .batches > 0) | .last_error' |
	grep -c 'closing the connection')" "the garbage header's reason says the connection was closed"
is "$(stat_of "$S" '[.nodes[] | .gaps + .duplicates + .out_of_order] | add')" 0 \
	"no gaps, duplicates or reordering over TCP"

pcap_records "$D/out.pcap" >"$D/got.txt"
cat "$D"/s[1-4].txt | cut -d' ' -f1,2 >"$D/want.txt"
same_sets "$D/got.txt" "$D/want.txt" "exactly the good records are written"
bad=$(in_order <"$D/got.txt")
ok $((${#bad} == 0)) "in timestamp order" || diag "$bad"
ok_cmd "tcpdump reads the file cleanly" pcap_ok "$D/out.pcap"
done_testing
