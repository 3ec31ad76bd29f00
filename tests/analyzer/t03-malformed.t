#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Malformed batches, two of each kind among good ones from 3 nodes: every
# one is counted against the address that sent it, and against the node
# when its header was valid enough to name one; none of their records is
# written (their frames carry sequence numbers 0xbad00000 + k), and the
# good records around them all are.  Raw garbage datagrams from another
# socket are counted against that socket alone.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 13

D=$ANA_DIR
S=$D/stats.json
ok_cmd "the analyzer starts" start_analyzer ana -w "$D/out.pcap" --stats "$S" -q
ok_cmd "3 nodes send 1500 records and 14 malformed batches" \
	send --nodes 3 --node 0x6e000001 --count 1500 --malformed 14 --rate 20000 \
	--sent "$D/sent.txt"
is "$(sent '"\(.malformed) \(.malformed_with_node)"')" "14 6" \
	"the sender made 14 bad batches, 6 of them with a readable header"
good=$(sent .sent_batches)
# garbage from the shell's own socket: too short, and a bad magic
exec 3>/dev/udp/127.0.0.1/$PORT
printf 'hello' >&3
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' >&3
exec 3>&-
ok_cmd "the analyzer counts 16 malformed datagrams" \
	wait_until 5000 stats_reach "$S" .totals.malformed 16 ||
	diag "$(stat_of "$S" .totals)"
ok_cmd "and all $good good batches" wait_until 3000 stats_reach "$S" .totals.batches "$good"
stop ana
is "$LAST_STATUS" 0 "exit status 0"
is "$(stat_of "$S" '[.senders[].malformed] | add')" 16 "per sender: 16 in all"
is "$(stat_of "$S" '[.senders[] | select(.batches == 0) | .malformed] | join(" ")')" 2 \
	"the garbage socket: 2 malformed, no batches"
is "$(stat_of "$S" '[.senders[] | select(.batches > 0) | .malformed] | join(" ")')" "5 5 4" \
	"the three node sockets: 5, 5 and 4 malformed"
is "$(stat_of "$S" '[.nodes[] | "\(.id)=\(.malformed)"] | sort | join(" ")')" \
	"0x6e000001=2 0x6e000002=2 0x6e000003=2" "per node: 2 each (the readable headers)"
reasons=$(stat_of "$S" '[.senders[].last_error] | join("; ")')
diag "last errors: $reasons"
is "$(stat_of "$S" '.senders[] | select(.batches == 0) | .last_error')" \
	"bad batch magic (magic 0x5858, expected 0xd1ca)" "the last reason is kept per sender"

pcap_records "$D/out.pcap" >"$D/got.txt"
cut -d' ' -f1,2 "$D/sent.txt" >"$D/want.txt"
same_sets "$D/got.txt" "$D/want.txt" "exactly the good records are written"
is "$(awk '$2 >= 3134193664' "$D/got.txt" | wc -l)" 0 "no record of a malformed batch"
done_testing
