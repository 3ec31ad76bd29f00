#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Fragments and ICMP errors travel with their flows.  tests/lib/tracegen.py
# makes host pairs (IPv4 and IPv6), each with a TCP flow, a UDP flow, an
# echo, two fragmented UDP datagrams (one in order, one last fragment
# first) and ICMP errors from a router quoting those flows (ICMP 3, 4, 5,
# 11, 12 with RFC 792's 8 bytes of quote, so the quoted length lies;
# ICMPv6 1, 2, 3, 4).  dicap-gen replays it to three nodes on the XDP
# datapath with --distribute, and tcpdump on each node's eth0 tells which
# node took each frame.  Frames are known by the trace's own labels (the
# pair and the flow each frame was made for), not by DiCAP's parser.
#
# host mode: every frame of a host pair, fragments and errors included, is
# on one node: the node that owns the bucket of the pair's TCP frames.
# flow mode: every flow with the ICMP errors quoting it is on one node, the
# owner of its plain frames' bucket; each fragmented datagram is whole on
# one node (by design not always its flow's: docs/design.md).
# T81_MODES ("host flow"), T81_SCALE (6: 8 host pairs each), T81_RATE (4000).
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

MODES=${T81_MODES:-host flow}
SCALE=${T81_SCALE:-6}
RATE=${T81_RATE:-4000}

tb_init_tap dicap-gen
command -v python3 >/dev/null || skip_all "python3 not installed"
[ -x "$DICAP_TOOLS/dicap-pcapinfo" ] || skip_all "dicap-pcapinfo not built"
plan $((2 + 10 * $(echo $MODES | wc -w)))

ok_cmd "testbed with 3 nodes" tb_up 3
python3 "$REPO/tests/lib/tracegen.py" host "$TB_DIR/trace.pcap" "$TB_DIR/trace.lab" --scale "$SCALE"
COUNT=$(wc -l <"$TB_DIR/trace.lab")
PAIRS=$(awk '{ sub(/\/.*/, "", $1); print $1 }' "$TB_DIR/trace.lab" | sort -u | wc -l)
ok $((COUNT > 0 && PAIRS == 8 * SCALE)) "tracegen.py wrote $COUNT frames of $PAIRS host pairs"

records() {	# records FILE...: how many whole records the pcap files have
	local f

	for f in "$@"; do
		tb_pcap_seqs "$f" 2>/dev/null
	done | wc -l
}

# placed MODE DIR: one line per captured frame: NODE LABEL HOW BUCKET OWNER,
# BUCKET the frame's in MODE and OWNER the node whose table range holds
# BUCKET.  Frames are matched to the trace by hash and length (sent.txt
# line N is the trace's frame N).
placed() {
	local mode=$1 dir=$2 col i

	col=$(tb_bucket_col "$mode")
	for i in 1 2 3; do
		tb_node_owned "$i" | sed "s/^/$i /"
	done >"$dir/owned.txt"
	for i in 1 2 3; do
		sed "s/^/$i /" "$dir/node$i.txt"
	done | awk -v col="$col" '
	FILENAME == ARGV[1] {
		if ($2 !~ /^[0-9]+-[0-9]+$/) next
		split($2, r, "-")
		for (b = r[1] + 0; b <= r[2] + 0; b++) owner[b] = $1
		next
	}
	FILENAME == ARGV[2] { lab[FNR] = $1 " " $2; next }
	FILENAME == ARGV[3] { k[$9 " " $10] = lab[FNR]; bucket[$9 " " $10] = $col; next }
	{
		key = $10 " " $11
		if (!(key in k)) { print $1, "unknown - -1 none"; next }
		b = bucket[key]
		print $1, k[key], b, (b in owner) ? owner[b] : "none"
	}' "$dir/owned.txt" "$TB_DIR/trace.lab" "$dir/sent.txt" -
}

# whole GROUPING KIND_RE FILE: of the frames whose HOW matches KIND_RE,
# "FRAMES WITH" where WITH counts those whose group (GROUPING: pair, or
# flow: pair and flow) has all its frames on the node that owns its
# reference frames (those of HOW tcp, udp or echo; a fragment group has
# none and must only be whole).
whole() {
	awk -v grouping="$1" -v re="^($2)\$" '
	{
		g = $2
		if (grouping == "pair") sub(/\/.*/, "", g)
		node[NR] = $1; grp[NR] = g; how[NR] = $3
		if (!((g, $1) in on)) { on[g, $1] = 1; n[g]++; where[g] = $1 }
		if ($3 ~ /^(tcp|udp|echo)$/ && !(g in ref)) ref[g] = $5
	}
	END {
		for (i = 1; i <= NR; i++) {
			if (how[i] !~ re) continue
			frames++
			g = grp[i]
			if (n[g] == 1 && (!(g in ref) || ref[g] == where[g])) with++
		}
		print frames + 0, with + 0
	}' "$3"
}

round() {
	local mode=$1 d=$TB_DIR/$1 i up=1 r grouping frags quoted
	local -a per

	mkdir -p "$d"
	tb_start_coord --select "$mode" || up=0
	for i in 1 2 3; do
		tb_start_node "$i" --distribute || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || up=0
	ok $((up)) "$mode: coordinator --select $mode, 3 dicapd --distribute, programs ready" ||
		diag "$TB_WHY"
	is "$(tb_node_status 1 .mode) $(tb_node_status 1 .datapath.program_mode)" "$mode $mode" \
		"$mode: the agent and the XDP program select with $mode"

	for i in 1 2 3; do
		tb_tcpdump_start "td.$mode.$i" "node$i" eth0 "$d/node$i.pcap" -U || up=0
	done
	tb_gen -r "$TB_DIR/trace.pcap" --rate "$RATE" -w "$d/sent.pcap"
	ok $(($? == 0 && up == 1)) "$mode: dicap-gen replayed the $COUNT frames while tcpdump listened on each node"
	tb_wait_until '[ "$(records "$d"/node[123].pcap)" -ge "$COUNT" ]' 15000 ||
		diag "$mode: after $TB_WAIT_MS ms the nodes have $(records "$d"/node[123].pcap) frames of $COUNT"
	tb_tcpdump_stop "td.$mode.1" "td.$mode.2" "td.$mode.3" || diag "$mode: a tcpdump did not stop"

	tb_pcapinfo "$d/sent.pcap" >"$d/sent.txt"
	for i in 1 2 3; do
		tb_pcapinfo "$d/node$i.pcap" >"$d/node$i.txt"
	done
	cat "$d"/node[123].txt >"$d/cap.txt"
	set -- $(tb_frames_compare "$d/sent.txt" "$d/cap.txt")
	is "$*" "0 0 0" "$mode: the nodes took every frame once (missing, duplicated, unknown)"

	placed "$mode" "$d" >"$d/placed.txt"
	if [ "$mode" = host ]; then
		set -- $(whole pair '.*' "$d/placed.txt")
		is "$1 $2" "$COUNT $COUNT" \
			"host: all frames of each of the $PAIRS host pairs on one node, the owner of the pair's TCP frames' bucket"
	else
		set -- $(whole flow 'tcp|udp|echo|icmp.*' "$d/placed.txt")
		is "$1 $2" "$1 $1" "$mode: each TCP, UDP and echo flow with the errors quoting it on one node, its bucket's owner ($1 frames)"
	fi
	if [ "$mode" = host ]; then
		grouping=pair frags="with their host pair" quoted="host pair"
	else
		grouping=flow frags="whole datagrams on one node" quoted=flow
	fi
	set -- $(whole "$grouping" 'ipv4-frag-in-order|ipv4-frag-out-of-order' "$d/placed.txt")
	is "$2" "$1" "$mode: the $1 IPv4 fragments, in order and out of order, $frags"
	set -- $(whole "$grouping" 'ipv6-frag-in-order|ipv6-frag-out-of-order' "$d/placed.txt")
	is "$2" "$1" "$mode: the $1 IPv6 fragments, in order and out of order, $frags"
	set -- $(whole "$grouping" 'icmp-error-.*' "$d/placed.txt")
	is "$2" "$1" "$mode: the $1 ICMP errors (3, 4, 5, 11, 12) on the node of the $quoted they quote"
	set -- $(whole "$grouping" 'icmp6-error-.*' "$d/placed.txt")
	is "$2" "$1" "$mode: the $1 ICMPv6 errors (1, 2, 3, 4) on the node of the $quoted they quote"

	for i in 1 2 3; do
		per[i]=$(awk -v i="$i" '$1 == i' "$d/placed.txt" | wc -l)
	done
	ok $((per[1] > 0 && per[2] > 0 && per[3] > 0)) "$mode: every node took a share: ${per[1]}, ${per[2]}, ${per[3]} frames"
	if [ "$mode" = flow ]; then
		# the documented limit: fragments hash the 3-tuple
		r=$(awk '$3 ~ /frag/ { g = $2; sub(/\/.*/, "", g); f[g] = $1 }
			$3 == "udp" { g = $2; sub(/\/.*/, "", g); u[g] = $1 }
			END { for (g in f) { n++; if (f[g] == u[g]) s++ } print s + 0 "/" n + 0 }' "$d/placed.txt")
		diag "flow: pairs whose last fragment is on their UDP flow's node: $r (3-tuple against 5-tuple)"
	fi
	tb_stop_daemons
}

for mode in $MODES; do
	round "$mode"
done

done_testing
