#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# pcapng from real daemons: 3 nodes capture a stream (flow mode, UDP,
# TB_NG_RATE frames/s, 10,000, for 3 s) for one analyzer writing
# --format pcapng with both rotations (-G 1 -C 300k).
#   1. every file is one valid pcapng section whose interfaces are the
#      nodes of its frames, each described once (name node-0xID of the
#      node's --id, description the address it sends from) and with its
#      statistics; capinfos reads each;
#   2. mergecap puts the files together: every frame the analyzer wrote,
#      once, none unknown to what dicap-gen sent;
#   3. tshark names an interface for every frame, and it is the node that
#      owns the frame's bucket (dicapctl owned, flow hash of
#      tests/tools/dicap-pcapinfo), frames per interface are the node's
#      written count, and the last file's statistics equal the analyzer's
#      final counters.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"
. "$REPO/tests/lib/pcapng.sh"

RATE=${TB_NG_RATE:-10000}
COUNT=$((RATE * 3))
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer dicapctl
for t in tshark capinfos mergecap; do
	command -v "$t" >/dev/null || bail_out "$t not installed (tests/check-tools.sh e2e)"
done
[ -x "$NGINFO" ] || bail_out "$NGINFO not built (make tests)"
plan 10

d=$TB_DIR/ng
mkdir -p "$d"
up=1
ok_cmd "testbed with 3 nodes" tb_up 3
# %s: epoch seconds, so that the names sort in time order
tb_start_analyzer -w "$d/cap-%s.pcapng" --format pcapng -G 1 -C 300k || up=0
tb_start_coord --select flow || up=0
for i in 1 2 3; do
	tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
done
tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
ok $up "3 nodes capture for an analyzer writing pcapng, -G 1 -C 300k"

tb_gen --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 500 --seed 62 \
	-w "$d/sent.pcap"
tb_wait_delivered ana "$COUNT" 10000
diag "the analyzer received $TB_DELIVERED of $COUNT frames"
for i in 1 2 3; do
	tb_node_owned "$i" | sed "s/^/$(tb_node_id "$i") /"
done >"$d/owned.txt"
tb_stop_analyzer ana
ok $(($? == 0)) "the analyzer stops on SIGTERM"
tb_stop_daemons
S=${TB_ANA_STATS[ana]}

mapfile -t files < <(ls "$d"/cap-*.pcapng* | grep -v '\.blocks$' | sort -V)
names=$(for f in "${files[@]}"; do basename "$f" | sed 's/\.pcapng[0-9]*$//'; done | sort -u | wc -l)
ok $((names >= 2 && ${#files[@]} > names)) \
	"${#files[@]} files: $names -G intervals, -C files within them"
ok_cmd "each file is a pcapng section with the interfaces of its nodes and their statistics" \
	ng_rotated_ok "${files[@]}"
bad=0
for i in 1 2 3; do
	id=$(tb_node_id "$i")
	want="name=node-$id desc=udp $(tb_node_ip "$i"):"
	n=$(cat "${files[@]/%/.blocks}" | awk -v n="name=node-$id" '$1 == "idb" && $6 == n' | sort -u |
		cut -d' ' -f6- | sed 's/[0-9]*$//' | sort -u)
	[ "$n" = "$want" ] || { diag "node $i: '$n', expected '$want'"; bad=$((bad + 1)); }
done
is "$bad" 0 "each node's interface is named after its id and described by its address"

mergecap -F pcapng -w "$d/merged.pcapng" "${files[@]}" 2>"$d/mergecap.log"
ok $(($? == 0)) "mergecap merges the files" || diag "$(cat "$d/mergecap.log")"
tb_pcapinfo "$d/sent.pcap" "$SNAPLEN" >"$d/sent.txt"
tb_pcapinfo "$d/merged.pcapng" "$SNAPLEN" >"$d/cap.txt"
set -- $(tb_frames_compare "$d/sent.txt" "$d/cap.txt" "$d/missing.txt" "$d/dup.txt")
written=$(jq -r .output.written "$S")
diag "$1 frames sent were not captured; the analyzer counted $(jq -r .totals.gaps "$S") lost batches"
ok $(($2 == 0 && $3 == 0 && $(wc -l <"$d/cap.txt") == written)) \
	"the merged files hold the $written frames the analyzer wrote, once each, none unknown" ||
	diag "duplicates $2, unknown $3, $(wc -l <"$d/cap.txt") frames"

# frame i of the merged file: its interface name, and the owner of its bucket
col=$(tb_bucket_col flow)
tshark -r "$d/merged.pcapng" -T fields -e frame.interface_name 2>/dev/null >"$d/ifnames.txt"
wrong=$(paste -d' ' "$d/ifnames.txt" <(awk -v c="$col" '{ print $c }' "$d/cap.txt") | awk '
	NR == FNR {
		split($2, r, "-")
		for (b = r[1] + 0; b <= r[2] + 0; b++) owner[b] = "node-" $1
		next
	}
	{ n++; if (!($2 in owner) || owner[$2] != $1) { bad++; if (bad <= 3) print "frame " n ": " $0 } }
	END { print (bad + 0) " of " (n + 0) }' <(awk '$2 ~ /^[0-9]+-[0-9]+$/' "$d/owned.txt") -)
is "$(printf '%s\n' "$wrong" | tail -n 1)" "0 of $written" \
	"tshark names an interface for every frame, and it is the node owning the frame's bucket" ||
	diag "$wrong"

bad=0
last=${files[${#files[@]}-1]}
for i in 1 2 3; do
	id=$(tb_node_id "$i")
	n=$(grep -c "^node-$id\$" "$d/ifnames.txt")
	w=$(jq -r ".nodes[] | select(.id == \"$id\") | .written" "$S")
	[ "$n" = "$w" ] || { diag "node $id: $n frames in its interface, written $w"; bad=$((bad + 1)); }
	if grep -q " name=node-$id " "$last.blocks"; then
		why=$(ng_isb_vs_stats "$last.blocks" "$S" "$id")
		[ -z "$why" ] || { diag "$why"; bad=$((bad + 1)); }
	fi
done
ok $((bad == 0 && $(grep -c '^isb ' "$last.blocks") > 0)) \
	"frames per interface are the nodes' written counts; the last file's statistics are the analyzer's final counters"
done_testing
