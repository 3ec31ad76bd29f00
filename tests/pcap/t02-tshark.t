#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Several programs on one node at once, each seeing the node's share:
# on node1 tcpdump, `tshark -i dicap:eth0` and `tshark -i dicap:eth0 -f udp`
# (a capture filter) run side by side while nodes 2 and 3 run tcpdump.
# tshark's frames are tcpdump's, its filtered frames are tcpdump's UDP
# frames, and node1's share with the other nodes' is everything sent.
. "$(dirname "$0")/lib.sh"

COUNT=${PD_COUNT:-30000}
RATE=${PD_RATE:-20000}

pd_init tshark
plan 9

ok_cmd "testbed with 3 nodes, cluster in flow mode" eval 'pd_up 3 && pd_cluster flow 1 2 3'
d=$TB_DIR

pd_run 1 tshark -D >"$d/tshark-D.txt" 2>&1
ok_cmd "tshark -D lists dicap:eth0" grep -q '^[0-9]*\. dicap:eth0$' "$d/tshark-D.txt" ||
	diag "tshark -D: $(tr '\n' ' ' <"$d/tshark-D.txt")"

up=1
pd_tcpdump_start td.1 1 "$d/td1.pcap" || up=0
for i in 2 3; do
	pd_tcpdump_start "td.$i" "$i" "$d/td$i.pcap" || up=0
done
# tshark -w writes pcapng through dumpcap; tcpdump turns it into pcap below.
# tshark prints "Capturing on 'dicap:eth0'" before it even starts dumpcap;
# "Capture started." comes once dumpcap has opened the device (pcap
# activated) and created its file: only from then on does it see frames.
pd_spawn ts.all 1 tshark -n -i dicap:eth0 -w "$d/ts-all.pcapng"
pd_spawn ts.udp 1 tshark -n -i dicap:eth0 -f udp -w "$d/ts-udp.pcapng"
for t in ts.all ts.udp; do
	pd_wait_log "$t" 'Capture started\.' 20000 ||
		{ up=0; diag "$t: $(tail -n 3 "${TB_LOG[$t]}")"; }
done
ok $up "on node1 tcpdump and two tshark capture dicap:eth0 at once; tcpdump on nodes 2 and 3"

tb_gen --count "$COUNT" --rate "$RATE" --mix all --flows 500 --seed 3 -w "$d/sent.pcap"
ok $(($? == 0)) "dicap-gen sent $COUNT frames"
tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
tb_signal ts.all TERM 15000
tb_signal ts.udp TERM 15000
tb_tcpdump_stop td.1 td.2 td.3
for f in ts-all ts-udp; do
	tcpdump -r "$d/$f.pcapng" -w "$d/$f.pcap" 2>/dev/null
done
# The kernel filters a frame with its outer VLAN tag moved into metadata,
# so "udp" there is "udp or (vlan and udp)" on the file, where libpcap
# has put the tag back: the same as on any Linux interface.
tcpdump -r "$d/td1.pcap" -w "$d/td1-udp.pcap" 'udp or (vlan and udp)' 2>/dev/null

pd_seqs "$d/sent.pcap" >"$d/sent.txt"
pd_seqs "$d/td1.pcap" "$d/td2.pcap" "$d/td3.pcap" >"$d/all-nodes.txt"
set -- $(tb_seq_compare "$d/sent.txt" "$d/all-nodes.txt")
is "$*" "0 0 0" "the three nodes' tcpdump files hold every frame once (missing, duplicated, unknown)"

pd_seqs "$d/td1.pcap" | sort -n >"$d/td1.txt"
pd_seqs "$d/ts-all.pcap" | sort -n >"$d/ts-all.txt"
n1=$(wc -l <"$d/td1.txt")
ok $((n1 > COUNT / 5)) "node1's share is a third or so: $n1 of $COUNT"
if cmp -s "$d/td1.txt" "$d/ts-all.txt"; then same=1; else same=0; fi
ok $same "tshark on node1 captured the same frames as tcpdump there ($(wc -l <"$d/ts-all.txt") and $n1)" ||
	diag "$(diff "$d/td1.txt" "$d/ts-all.txt" | head -n 4 | tr '\n' ' ')"

pd_seqs "$d/td1-udp.pcap" | sort -n >"$d/td1-udp.txt"
pd_seqs "$d/ts-udp.pcap" | sort -n >"$d/ts-udp.txt"
nu=$(wc -l <"$d/td1-udp.txt")
if cmp -s "$d/td1-udp.txt" "$d/ts-udp.txt" && [ "$nu" -gt 0 ]; then same=1; else same=0; fi
ok $same "tshark -f udp captured node1's UDP frames and nothing else ($(wc -l <"$d/ts-udp.txt") and $nu)" ||
	diag "$(diff "$d/td1-udp.txt" "$d/ts-udp.txt" | head -n 4 | tr '\n' ' ')"

ok $((nu < n1)) "the capture filter left out the other frames of the share ($nu of $n1 are UDP)"

done_testing
