#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Round-robin drift: one node misses one frame (docs/design.md, "Failure
# behaviour" and "Round-robin drift").
#
# 3 nodes in round-robin capture mode behind the tc mirror, markers every
# MARKER_MS.  A tc egress filter on node1's mirror port (cls_bpf,
# tests/bpf/faults.bpf.c tc/drop_seq) drops the one frame dicap-gen
# numbered 20000.  node1 then counts one behind the others: it captures
# the next node's frames and skips its own, until the next marker resets
# every node's count at the same frame.  Checked, without timing:
#  - node1 saw exactly one frame fewer than node2 and node3;
#  - the coordinator counted one drift, on node1 (status: per node and in
#    total, and the DRIFTS column of dicapctl status), and logged it with
#    the count node1 missed (-1);
#  - against node2's copy of the wire (tcpdump on its mirror port, markers
#    included, in the mirror's order): every frame missing from or
#    duplicated in the analyzer's capture lies between frame 20000 and the
#    first marker after it, and there are at most a third of those frames
#    missing and as many duplicated (one node of three drifted by one);
#    everything before and after is exactly once.  So the damage ends at
#    the next marker: within one marker interval.
#
# TB_RATE (8000 frames/s) and TB_COUNT (40000) change the load.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

COUNT=${TB_COUNT:-40000}
RATE=${TB_RATE:-8000}
MARKER_MS=500
DROP_SEQ=20000			# FAULT_DROP_SEQ in tests/bpf/faults.bpf.c
FAULTS_OBJ=${DICAP_BPF:-$REPO/build/bpf}/faults.bpf.o

[ "$COUNT" -gt $((DROP_SEQ + RATE)) ] || skip_all "TB_COUNT $COUNT: frame $DROP_SEQ must be well inside the stream"
[ -f "$FAULTS_OBJ" ] || skip_all "no $FAULTS_OBJ (make bpf)"
command -v tcpdump >/dev/null || skip_all "tcpdump not installed"
tb_init_tap dicap-gen dicap-analyzer
tb_has_option dicap-coord --inject-dev || skip_all "dicap-coord has no --inject-dev"
plan 10

ok_cmd "testbed with 3 node hosts on the tc mirror" tb_up 3 --mirror tc
d=$TB_DIR

sw=$(tb_ns sw)
tc -n "$sw" qdisc add dev n1 clsact &&
	tc -n "$sw" filter add dev n1 egress bpf direct-action obj "$FAULTS_OBJ" sec tc/drop_seq
ok $(($? == 0)) "node1's mirror port drops frame $DROP_SEQ (tc egress, cls_bpf)"

up=1
tb_tcpdump_start wire sw n2 "$d/wire.pcap" || up=0
tb_start_analyzer -w "$d/cap.pcap" || up=0
tb_start_coord --select rr --marker-interval "$MARKER_MS" || up=0
for i in 1 2 3; do
	tb_start_node "$i" --capture --snaplen 128 || up=0
done
tb_wait_until "tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
ok $up "analyzer, coordinator (rr, markers every $MARKER_MS ms), 3 nodes ready"

tb_gen --count "$COUNT" --rate "$RATE" --mix ipv4-udp --size 60-200 --flows 100 --seed 5 \
	-w "$d/sent.pcap" || diag "dicap-gen failed"
# the report marker after the drop, then a heartbeat: about 2 s here
tb_wait_until '[ "$(tb_coord_status .counters.rr_drifts)" -ge 1 ] 2>/dev/null' 10000
tb_wait_delivered ana $((COUNT - COUNT / 3)) 20000
tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
tb_tcpdump_stop wire || diag "tcpdump: $(tail -n 3 "${TB_LOG[wire]}")"

# frames seen but markers: markers keep coming, and reach all nodes alike
seen=()
for i in 1 2 3; do
	seen[i]=$(tb_node_status "$i" '.datapath.counters | .seen - .markers_ok - .markers_bad')
done
ok $((seen[1] + 1 == seen[2] && seen[2] == seen[3])) \
	"node1 saw one frame fewer than the others (${seen[1]} ${seen[2]} ${seen[3]}, markers aside)"

drifts=""
for i in 1 2 3; do
	id=$(tb_node_status "$i" .node_id)
	drifts+="$(tb_coord_status ".nodes[] | select(.id == \"$id\") | .counters.rr_drifts") "
done
is "$drifts$(tb_coord_status .counters.rr_drifts)" "1 0 0 1" \
	"the coordinator counted one drift, node1's (per node: node1 node2 node3, then the total)"
id1=$(tb_node_status 1 .node_id)
table=$(tb_exec coord "$DICAP_BIN/dicapctl" -c "$TB_COORD_ADDR" -k "$TB_KEY" status 2>&1)
is "$(printf '%s\n' "$table" | awk -v id="$id1" '$1 == "ID" { col = NF } $1 == id { print $col }')" 1 \
	"dicapctl status shows node1's drift in its DRIFTS column" || diag "$table"
grep "round-robin drift: node ${id1}" "${TB_LOG[coord]}" | grep -q "missed or gained -1"
ok $(($? == 0)) "and logged it: node1 ($id1) missed one" ||
	diag "$(grep 'drift' "${TB_LOG[coord]}" | head -n 3)"

tb_stop_analyzer ana
tb_pcap_seqs "$d/sent.pcap" >"$d/sent.seq"
tb_pcap_seqs "$d/cap.pcap" >"$d/cap.seq"
# node2's copy of the wire: a frame's sequence number, or M for a marker
perl -e '
	use strict;
	open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
	my $gh;
	read($fh, $gh, 24) == 24 or exit 0;
	my $fmt = unpack("V", $gh) == 0xa1b2c3d4 || unpack("V", $gh) == 0xa1b23c4d ? "V4" : "N4";
	my ($rh, $d);
	while (read($fh, $rh, 16) == 16) {
		my (undef, undef, $incl) = unpack($fmt, $rh);
		read($fh, $d, $incl) == $incl or die "truncated\n";
		if ($incl >= 18 && unpack("n", substr($d, 12, 2)) == 0x88b5 &&
		    substr($d, 14, 4) eq "DCMK") {
			print "M\n";
			next;
		}
		my $i = index($d, "DCAP");
		print $i >= 0 ? unpack("N", substr($d, $i + 4, 4)) . "\n" : "none\n";
	}' "$d/wire.pcap" >"$d/wire.txt"
# the first frame after the first marker after DROP_SEQ: the end of the damage
end=$(awk -v x="$DROP_SEQ" '
	$1 == x { at = 1; next }
	at == 1 && $1 == "M" { at = 2; next }
	at == 2 && $1 != "M" && $1 != "none" { print $1; exit }' "$d/wire.txt")
ok $(( ${end:-0} > DROP_SEQ && TB_TCPDUMP_DROPS == 0 )) \
	"node2's copy of the wire: a marker after frame $DROP_SEQ, then frame ${end:-none} (tcpdump dropped ${TB_TCPDUMP_DROPS})" ||
	diag "$(grep -n -m 3 -C 2 "^$DROP_SEQ\$" "$d/wire.txt")"
end=${end:-$DROP_SEQ}

# missing and duplicated sequence numbers
awk '
	FNR == 1 { f++ }
	$1 == "none" { next }
	f == 1 { sent[$1] = 1; next }
	{ got[$1]++ }
	END {
		for (s in sent) if (!(s in got)) print "missing", s
		for (s in got) if (got[s] > 1) print "dup", s, got[s] - 1
		for (s in got) if (!(s in sent)) print "unknown", s
	}' "$d/sent.seq" "$d/cap.seq" | sort -k2,2n >"$d/damage.txt"
line=$(awk -v x="$DROP_SEQ" -v y="$end" '
	$1 == "missing" { m++; if ($2 < x || $2 >= y) out++ }
	$1 == "dup" { dd += $3; if ($2 < x || $2 >= y) out++ }
	$1 == "unknown" { out++ }
	END { printf "%d %d %d\n", m, dd, out }' "$d/damage.txt")
set -- $line
span=$((end - DROP_SEQ))
diag "drift damage: $1 missing, $2 duplicated, in the $span frames from $DROP_SEQ to the next marker (bound: a third of them each)"
ok $(($3 == 0)) "every missing or duplicated frame lies between frame $DROP_SEQ and the next marker ($3 outside)" ||
	diag "$(awk -v x="$DROP_SEQ" -v y="$end" '$2 < x || $2 >= y' "$d/damage.txt" | head -n 5)"
ok $((($1 >= 1 || span < 6) && $1 <= span / 3 + 2 && $2 <= span / 3 + 2)) \
	"in between, $1 missing and $2 duplicated: at most a third of the $span frames each"

tb_stop_daemons
done_testing
