#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# --format pcapng.  Three nodes (one loses a batch, one sends one twice):
# the file is one section with one interface per node, named
# node-0xID, described by the node's address, if_tsresol 9, Ethernet and
# the snaplen; tshark names the interface of every frame, and it is the
# node that sent the record; capinfos and tshark read the file; one
# statistics block per interface holds the analyzer's own final counters
# (received, written, not written, batches lost).  Rotation with -C and
# with -G: every file is a valid pcapng section with the interfaces of the
# nodes it carries and their statistics, and mergecap of the files holds
# every record sent exactly once.  The default stays pcap; the config
# file's "format" key; standard output.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump tshark capinfos mergecap
plan 37
export TZ=UTC

D=$ANA_DIR
S=$D/stats.json
. "$ANA_REPO/tests/lib/pcapng.sh"
[ -x "$NGINFO" ] || bail_out "$NGINFO not built (make tests)"

# --- one file, three nodes, a lost batch and a duplicate
ok_cmd "analyzer --format pcapng" start_analyzer ana -w "$D/one.pcapng" --format pcapng \
	--snaplen 200 --stats "$S" -q
ok_cmd "3000 records from 3 nodes, node 1 skips batch 3, node 2 sends batch 5 twice" \
	send --nodes 3 --count 3000 --size 300 --snaplen 300 --skip 1:3 --dup 2:5 \
	--sent "$D/sent-one.txt"
want=$(wc -l <"$D/sent-one.txt")
ok_cmd "all received" wait_until 8000 stats_reach "$S" .totals.records "$want"
stop ana
is "$LAST_STATUS" 0 "exit status 0"
ok_cmd "dicap-pcapnginfo reads it: one section" ng_valid "$D/one.pcapng"
B=$D/one.pcapng.blocks
is "$(awk '$1 == "idb" { print $2, $3, $4, $5, $6 }' "$B" | sort -k5 | tr '\n' ';')" \
	"0 1 200 tsresol=9 name=node-0x00000001;1 1 200 tsresol=9 name=node-0x00000002;2 1 200 tsresol=9 name=node-0x00000003;" \
	"3 interfaces: Ethernet, snaplen 200, nanoseconds, named after the node ids"
bad=0
for id in 0x00000001 0x00000002 0x00000003; do
	a=$(node_stat "$S" "$id" addr)
	grep -qxF "idb $(grep " name=node-$id " "$B" | cut -d' ' -f2-5) name=node-$id desc=$a" "$B" ||
		{ diag "node $id: stats say $a; $(grep "node-$id" "$B")"; bad=$((bad + 1)); }
done
is "$bad" 0 "each interface's description is its node's address"
ci=$(capinfos -M "$D/one.pcapng" 2>&1)
ok $(($? == 0)) "capinfos reads it" || diag "$ci"
ok "$(printf '%s\n' "$ci" | grep -cE 'File type: +(Wireshark/[.]{3} - )?pcapng$')" "capinfos: pcapng" ||
	diag "$ci"
ok "$(printf '%s\n' "$ci" | grep -c 'Number of interfaces in file: 3')" "capinfos: 3 interfaces"
is "$(printf '%s\n' "$ci" | grep -c 'Time precision = nanoseconds (9)')" 3 \
	"capinfos: nanosecond time on each interface"
ng_records "$D/one.pcapng" >"$D/got-one.txt"
is "$(awk '$3 !~ /^0x0000000[123]$/' "$D/got-one.txt" | wc -l)" 0 \
	"tshark names a node's interface for every frame"
same_sets "$D/got-one.txt" "$D/sent-one.txt" \
	"every record sent, once, in the interface of the node that sent it"
is "$(pcap_records "$D/one.pcapng" | wc -l)" "$want" "tcpdump (libpcap) reads the pcapng too"
bad=0
for id in 0x00000001 0x00000002 0x00000003; do
	why=$(ng_isb_vs_stats "$B" "$S" "$id")
	[ -z "$why" ] || { diag "$why"; bad=$((bad + 1)); }
	ifc=$(grep " name=node-$id " "$B" | cut -d' ' -f2)
	[ "$(awk -v i="$ifc" '$1 == "epb" && $2 == i' "$B" | wc -l)" = "$(node_stat "$S" "$id" written)" ] ||
		{ diag "node $id: frame count differs from written"; bad=$((bad + 1)); }
done
is "$bad" 0 "one statistics block per interface: received, written, not written and lost batches as the analyzer counted them"
is "$(node_stat "$S" 0x00000001 gaps) $(node_stat "$S" 0x00000002 duplicates)" "1 1" \
	"... with node 1's lost batch and node 2's duplicate counted"

# --- -C: 1000-byte records, 1 MB files
ok_cmd "analyzer --format pcapng -C 1" start_analyzer ana -w "$D/size.pcapng" -C 1 \
	--format pcapng --stats "$S" -q
ok_cmd "4000 records of 1000 bytes from 3 nodes" \
	send --nodes 3 --count 4000 --size 1000 --snaplen 1000 --max-bytes 16000 \
	--rate 5000 --sent "$D/sent-size.txt"
ok_cmd "all received" wait_until 8000 stats_reach "$S" .totals.records 4000
stop ana
is "$LAST_STATUS" 0 "exit status 0"
sfiles=("$D/size.pcapng")
for i in 1 2 3 4 5 6 7 8 9; do
	[ -e "$D/size.pcapng$i" ] && sfiles+=("$D/size.pcapng$i")
done
# a file passes 1,000,000 bytes after about 960 blocks of 1,032 bytes
is "${#sfiles[@]}" 5 "5 files: size.pcapng, size.pcapng1 ... size.pcapng4"
ok_cmd "-C: each file is a pcapng section with the interfaces of its nodes and their statistics" \
	ng_rotated_ok "${sfiles[@]}"
sizes=$(for f in "${sfiles[@]:0:${#sfiles[@]}-1}"; do stat -c %s "$f"; done | awk '
	$1 <= 1000000 || $1 > 1000000 + 1032 + 100 + 3 * 400 { bad++ } END { print bad + 0 }')
is "$sizes" 0 "-C: every file but the last exceeds 1,000,000 bytes by at most one record (with its interface) and the statistics"
mergecap -F pcapng -w "$D/size-merged.pcapng" "${sfiles[@]}" 2>"$D/mergecap.log"
ok $(($? == 0)) "-C: mergecap merges the files" || diag "$(cat "$D/mergecap.log")"
ng_records "$D/size-merged.pcapng" >"$D/got-size.txt"
same_sets "$D/got-size.txt" "$D/sent-size.txt" \
	"-C: the merged files hold every record once, each in its node's interface"

# --- -G with a strftime name: 2,500 records 1 ms apart from x.25 s
T0=$(( ($(date +%s) - 100) * 1000000000 + 250000000 ))
ok_cmd "analyzer --format pcapng -G 1" start_analyzer ana -w "$D/t-%H%M%S.pcapng" -G 1 \
	--format pcapng --stats "$S" -q
ok_cmd "2500 records 1 ms apart from 3 nodes" \
	send --nodes 3 --count 2500 --ts-start $T0 --ts-step 1000000 --rate 20000 \
	--sent "$D/sent-time.txt"
ok_cmd "all received" wait_until 8000 stats_reach "$S" .totals.records 2500
stop ana
mapfile -t tfiles < <(ls "$D"/t-*.pcapng | sort)
names=$(for i in 0 1 2; do date -u -d @$((T0 / 1000000000 + i)) +t-%H%M%S.pcapng; done)
is "$(for f in "${tfiles[@]}"; do basename "$f"; done)" "$names" \
	"-G: 3 files, one per second of record time, named after it"
ok_cmd "-G: each file is a pcapng section with the interfaces of its nodes and their statistics" \
	ng_rotated_ok "${tfiles[@]}"
mergecap -F pcapng -w "$D/time-merged.pcapng" "${tfiles[@]}" 2>"$D/mergecap.log"
ok $(($? == 0)) "-G: mergecap merges the files" || diag "$(cat "$D/mergecap.log")"
ng_records "$D/time-merged.pcapng" >"$D/got-time.txt"
same_sets "$D/got-time.txt" "$D/sent-time.txt" \
	"-G: the merged files hold every record once, each in its node's interface"

# --- the default, the config file, standard output
start_analyzer ana -w "$D/default.out" -q
stop ana
is "$(pcap_magic "$D/default.out")" 4d3cb2a1 "without --format: pcap (nanosecond magic)"
printf 'format pcapng\n' >"$D/ana.conf"
chmod 600 "$D/ana.conf"
start_analyzer ana -w "$D/conf.out" --config "$D/ana.conf" -q
stop ana
is "$(pcap_magic "$D/conf.out")" 0a0d0d0a "the config file's format pcapng: a pcapng section"
start_analyzer ana -w - --format pcapng --stats "$S" -q
send --nodes 2 --count 200 --sent "$D/sent-stdout.txt"
wait_until 5000 stats_reach "$S" .totals.records 200
stop ana
ok_cmd "-w - --format pcapng: a valid section on standard output" ng_valid "$D/ana.out"
is "$(grep -c '^epb ' "$D/ana.out.blocks") $(grep -c '^isb ' "$D/ana.out.blocks")" "200 2" \
	"... with its 200 records and both nodes' statistics at the end"
out=$("$ANALYZER" -l "$ADDR" -w "$D/x" --format pcapng2 2>&1)
ok $(($? == 1 && $(printf '%s' "$out" | grep -c 'format pcapng2: use pcap or pcapng'))) \
	"--format pcapng2 is refused" || diag "$out"
done_testing
