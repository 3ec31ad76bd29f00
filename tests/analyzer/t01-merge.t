#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Three fake nodes over UDP, their records interleaved in time (record i
# goes to node i mod 3, 1234 ns apart, so each batch overlaps the others'):
# the pcap holds exactly the records sent, in timestamp order, with the
# nanoseconds intact (nanosecond magic; tcpdump --nano and tshark agree
# with the sent timestamps digit for digit); the JSON statistics count
# every batch and record per node.  The file sent again through
# dicap-batchsend -r (records read back from a pcap) comes out the same;
# a microsecond copy made by tcpdump -w keeps its microseconds.  A
# symlink planted at the statistics' temporary name (stats.json.tmp) is
# not followed: its target is unchanged and the statistics still come.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 22

D=$ANA_DIR
N=3000
printf 'victim\n' >"$D/victim"
ln -s "$D/victim" "$D/stats.json.tmp"
ok_cmd "the analyzer starts on $ADDR" \
	start_analyzer ana -w "$D/out.pcap" --stats "$D/stats.json" --json -q
ok_cmd "dicap-batchsend sends $N records from 3 nodes" \
	send --nodes 3 --node 0x6e000001 --count $N --rate 20000 --sent "$D/sent.txt" --ts-step 1234
batches=$(sent .sent_batches)
ok_cmd "the analyzer counts all $batches batches" \
	wait_until 5000 stats_reach "$D/stats.json" .totals.batches "$batches" ||
	diag "stats: $(stat_of "$D/stats.json" .totals)"
stop ana
is "$LAST_STATUS" 0 "SIGTERM: exit status 0"
is "$(cat "$D/victim")" "victim" "the symlink planted at stats.json.tmp was not followed"

is "$(pcap_magic "$D/out.pcap")" "4d3cb2a1" "the file has the nanosecond pcap magic"
ok_cmd "tcpdump reads the file cleanly" pcap_ok "$D/out.pcap"
pcap_records "$D/out.pcap" >"$D/got.txt"
cut -d' ' -f1,2 "$D/sent.txt" >"$D/want.txt"
is "$(wc -l <"$D/got.txt")" "$N" "$N records in the file"
same_sets "$D/got.txt" "$D/want.txt" "exactly the records sent, timestamps to the nanosecond"
bad=$(in_order <"$D/got.txt")
ok $((${#bad} == 0)) "records are in timestamp order" || diag "$bad"
is "$(sort -k1,1 "$D/want.txt" | cut -d' ' -f2 | tr '\n' ' ')" \
	"$(cut -d' ' -f2 "$D/got.txt" | tr '\n' ' ')" "the merge order is the global order"
ns=$(awk '{ split($1, a, "."); if (a[2] % 1000 != 0) c++ } END { print c + 0 }' "$D/got.txt")
ok $((ns > N / 2)) "sub-microsecond digits survive ($ns of $N records have them)"

if command -v tshark >/dev/null; then
	tshark -r "$D/out.pcap" -T fields -e frame.time_epoch 2>/dev/null >"$D/tshark.txt"
	is "$(md5sum <"$D/tshark.txt")" "$(cut -d' ' -f1 "$D/got.txt" | md5sum)" \
		"tshark reads the same nanosecond timestamps"
else
	ok 1 "# SKIP tshark is not installed"
fi
snap=$(od -An -tu4 -j16 -N4 "$D/out.pcap" | tr -d ' ')
is "$snap" 65535 "the file header's snaplen is the default 65535"

J=$D/ana.out
ok "$(jq -e . "$J" >/dev/null 2>&1 && echo 1 || echo 0)" "--json prints the final statistics on stdout"
is "$(jq -r '.totals | "\(.nodes) \(.records) \(.gaps) \(.duplicates) \(.malformed) \(.out_of_order)"' "$J")" \
	"3 $N 0 0 0 0" "totals: 3 nodes, $N records, no gaps, duplicates, malformed or reordering"
is "$(jq -r '[.nodes[] | "\(.id)=\(.records)/\(.written)"] | sort | join(" ")' "$J")" \
	"0x6e000001=1000/1000 0x6e000002=1000/1000 0x6e000003=1000/1000" \
	"per node: 1000 records received and written each"
is "$(jq -r '[.nodes[].share * 1000 | round] | sort | join(" ")' "$J")" "333 333 333" \
	"per node share 1/3"
is "$(jq -r '.output.written' "$J") $(jq -r '.output.late' "$J")" "$N 0" \
	"output: $N written, none late"

# round trip: the output replayed by 2 other nodes, and a microsecond copy
tcpdump -r "$D/out.pcap" -w "$D/us.pcap" 2>/dev/null
ok_cmd "a second analyzer starts" start_analyzer ana2 -w "$D/again.pcap" --stats "$D/s2.json" -q
send -r "$D/out.pcap" --nodes 2 --node 0x6e000011 --snaplen 65535 --rate 20000 &&
	send -r "$D/us.pcap" --node 0x6e000021 --snaplen 65535 --rate 20000
wait_until 5000 stats_reach "$D/s2.json" .totals.records $((2 * N))
stop ana2
is "$(pcap_records "$D/again.pcap" | wc -l)" "$((2 * N))" \
	"replayed with -r: $N records, and $N more from the microsecond copy"
{ cat "$D/got.txt"; awk '{ print substr($1, 1, 17) "000", $2 }' "$D/got.txt"; } >"$D/want2.txt"
pcap_records "$D/again.pcap" >"$D/got2.txt"
same_sets "$D/got2.txt" "$D/want2.txt" "the same records and timestamps (the copy truncated to microseconds)"
done_testing
