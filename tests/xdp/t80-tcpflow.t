#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end with a program no one here wrote: three nodes in flow mode
# (distribution, XDP datapath, --tunnel inner by default) each run
# `dicap-run tcpflow -i dicap:eth0` while dicap-gen replays a trace of
# real TCP streams (handshake, requests, responses, FIN; a retransmission
# and a reordered pair) made by tests/lib/tracegen.py: plain IPv4, IPv6
# and VLAN streams, streams whose every frame is sliced to 64, 96 or 128
# bytes with the IP length still saying the whole, streams with lying IP
# total lengths, IPv6 payload lengths and TCP data offsets, and 8 streams
# in each of 12 tunnels (GTP-U over IPv4 and IPv6, VXLAN, Geneve, GRE,
# GRE with Ethernet, IP-in-IP, 6in4, 4in6, MPLS, PPPoE, GTP-U in VXLAN).
#
# What tcpflow writes on the three nodes together is what `tcpflow -r`
# makes of the whole sent pcap: the same stream files, byte for byte, each
# on exactly one node.  tcpflow opens no tunnel, so tshark (which decodes
# them all) reads the nodes' captures (`dicap-run tcpdump` beside tcpflow)
# for the tunnelled streams: each inner TCP conversation on one node, and
# the streams of every tunnel spread over the nodes.  And by the trace's
# own labels, not DiCAP's parser: every stream, however its frames were
# cut or lied about, has all its frames on one node.
#
# tcpflow 1.6 trusts an IPv6 payload length larger than the frame and
# writes whatever lies in its buffer past the frame's end, which depends
# on the frames it read before: for the IPv6 streams of the sliced and
# lying kinds (2001:db8:5::/48 to 2001:db8:8::/48) its files, their
# contents and even how it splits them into connections (c1, c2, ...)
# differ between two runs on parts of one file, so those files are left
# out of the tcpflow comparison; the labels check those streams.  (It
# also takes an IPv4 frame's Ethernet padding for data, so a padded FIN
# starts a "c1" file of a few zero bytes: the same on the nodes and in
# tcpflow -r, which reads the frames as sent, padded.)
# T80_RATE (5000 frames/s), T80_SCALE (1: streams per kind).
. "$(dirname "$0")/../pcap/lib.sh"

RATE=${T80_RATE:-5000}
SCALE=${T80_SCALE:-1}
# tcpflow's file names of the streams whose output it makes up (above)
UNRELIABLE='2001:db8:[5-8]:'

pd_init tcpflow tshark python3
plan 16

ok_cmd "testbed with 3 nodes" pd_up 3
d=$TB_DIR

python3 "$REPO/tests/lib/tracegen.py" streams "$d/trace.pcap" "$d/trace.lab" --scale "$SCALE"
COUNT=$(wc -l <"$d/trace.lab")
STREAMS=$(awk '{ print $1 }' "$d/trace.lab" | sort -u | wc -l)
ok $((COUNT > 1000)) "tracegen.py wrote $COUNT frames of $STREAMS TCP streams"

ok_cmd "coordinator in flow mode and 3 dicapd in distribution mode" pd_cluster flow 1 2 3
is "$(tb_node_status 1 '"\(.mode) \(.tunnel)"')" "flow inner" "the nodes select with mode flow, tunnel inner"

up=1
for i in 1 2 3; do
	mkdir -p "$d/tf$i"
	pd_spawn "tf.$i" "$i" tcpflow -i dicap:eth0 -o "$d/tf$i"
	# -U: each frame reaches the file when tcpdump reads it, so the test
	# can wait until every frame is there
	pd_tcpdump_start "td.$i" "$i" "$d/node$i.pcap" -U || up=0
done
for i in 1 2 3; do
	pd_wait_log "tf.$i" 'listening on dicap:eth0' 15000 ||
		{ up=0; diag "tcpflow on node$i: $(tail -n 3 "${TB_LOG[tf.$i]}")"; }
done
ok $up "dicap-run tcpflow -i dicap:eth0 and dicap-run tcpdump -i dicap:eth0 listen on every node"

tb_gen -r "$d/trace.pcap" --rate "$RATE" -w "$d/sent.pcap"
ok $(($? == 0)) "dicap-gen replayed the $COUNT frames at $RATE/s"

# What tcpflow makes of the whole traffic, and its size without the
# streams it makes up: the nodes' tcpflows are done when they wrote as much.
stream_files() {	# stream_files DIR: the stream files tcpflow wrote in DIR
	local f

	for f in "$1"/*; do
		[ -f "$f" ] && [ "${f##*/}" != report.xml ] && printf '%s\n' "${f##*/}"
	done
}
stream_bytes() {	# stream_bytes DIR...: their size, the made-up ones aside
	local dir f n=0

	for dir in "$@"; do
		while IFS= read -r f; do
			n=$((n + $(stat -c %s "$dir/$f")))
		done < <(stream_files "$dir" | grep -v -e "$UNRELIABLE")
	done
	echo "$n"
}
mkdir -p "$d/ref"
tcpflow -r "$d/sent.pcap" -o "$d/ref" >"$d/ref.log" 2>&1
stream_files "$d/ref" | sort >"$d/ref.files"
grep -v -e "$UNRELIABLE" "$d/ref.files" >"$d/ref.checked"
REF_BYTES=$(stream_bytes "$d/ref")
node_bytes() {
	stream_bytes "$d/tf1" "$d/tf2" "$d/tf3"
}
records() {	# records FILE...: how many whole records the pcap files have
	local f

	for f in "$@"; do
		tb_pcap_seqs "$f" 2>/dev/null
	done | wc -l
}
tb_wait_until '[ "$(records "$d"/node[123].pcap)" -ge "$COUNT" ] && [ "$(node_bytes)" -ge "$REF_BYTES" ]' 20000 ||
	diag "after $TB_WAIT_MS ms: $(records "$d"/node[123].pcap) frames of $COUNT captured," \
		"tcpflow wrote $(node_bytes) bytes of $REF_BYTES"
for i in 1 2 3; do
	tb_signal "tf.$i" TERM 10000 || diag "tcpflow on node$i does not stop"
done
tb_tcpdump_stop td.1 td.2 td.3 || diag "a tcpdump did not stop"
diag "tcpdump kernel drops: $TB_TCPDUMP_DROPS"

# ---- tcpdump: every frame once ----
tb_pcapinfo "$d/sent.pcap" >"$d/sent.txt"
for i in 1 2 3; do
	tb_pcapinfo "$d/node$i.pcap" >"$d/node$i.txt"
done
cat "$d"/node[123].txt >"$d/cap.txt"
set -- $(tb_frames_compare "$d/sent.txt" "$d/cap.txt" "$d/missing.txt" "$d/dup.txt")
is "$* $(wc -l <"$d/sent.txt")" "0 0 0 $COUNT" \
	"the nodes' captures hold every frame sent once (missing, duplicated, unknown, sent)"

# ---- by the trace's labels: each stream on one node ----
# sent.txt line N is the trace's frame N; a frame is known by its hash and
# length (a retransmission is its stream's twice).
result=$(for i in 1 2 3; do sed "s/^/$i /" "$d/node$i.txt"; done | awk '
	FILENAME == ARGV[1] { lab[FNR] = $1; next }
	FILENAME == ARGV[2] {
		k = $9 " " $10
		if ((k in stream) && stream[k] != lab[FNR]) clash++
		stream[k] = lab[FNR]
		all[lab[FNR]] = 1
		next
	}
	{
		k = $10 " " $11
		if (!(k in stream)) { unknown++; next }
		s = stream[k]
		if (!((s, $1) in on)) { on[s, $1] = 1; nodes[s] = nodes[s] " " $1; n[s]++ }
	}
	END {
		for (s in all) {
			streams++
			if (n[s] > 1) { split_++; if (ex == "") ex = s " on" nodes[s] }
			if (n[s] == 0) missing++
			if (n[s] == 1) per[nodes[s] + 0]++
			# a tunnel: the nodes its streams are on
			if (s ~ /^tun-/ && n[s] == 1) {
				t = s; sub(/:.*/, "", t)
				if (!((t, nodes[s] + 0) in tn)) { tn[t, nodes[s] + 0] = 1; tcount[t]++ }
			}
		}
		for (t in tcount) { tunnels++; if (tcount[t] > 1) spread++; else if (one == "") one = t }
		printf "%d %d %d %d %d %d %d %d %d %d %s|%s\n", streams, split_, missing, unknown + 0,
			clash + 0, per[1], per[2], per[3], tunnels, spread, ex, one
	}' "$d/trace.lab" "$d/sent.txt" -)
set -- ${result%%|*}
one=${result##*|}
is "$1 $2 $3 $4 $5" "$STREAMS 0 0 0 0" \
	"by the trace's labels, each of the $STREAMS streams has all its frames on one node (streams, split, missing, unknown frames, label clashes)" ||
	diag "e.g. ${*:11}"
ok $(($6 > 0 && $7 > 0 && $8 > 0)) "every node has whole streams: $6, $7, $8"
is "$9 ${10}" "12 12" "the streams of each of the 12 tunnels are on more than one node (inner flows)" ||
	diag "all on one node: $one"

# ---- tshark on the captures: the inner conversations of the tunnels ----
# The innermost IP header tshark decodes (the last ip or ipv6 of
# frame.protocols) and its TCP ports; only frames inside a tunnel.
inner_convs() {	# inner_convs I: "conversation node" lines of nodeI's capture
	tshark -r "$d/node$1.pcap" -T fields -E occurrence=l -e frame.protocols \
		-e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport 2>/dev/null |
	awk -F '\t' -v node="$1" '
	{
		n = split($1, p, ":"); l3 = ""; depth = 0
		for (i = 1; i <= n; i++) if (p[i] == "ip" || p[i] == "ipv6") { depth++; l3 = p[i] }
		if (depth < 2 && $1 !~ /mpls|pppoes/) next
		if (l3 == "ip") { a = $2; b = $3 } else { a = $4; b = $5 }
		a = a "." $6; b = b "." $7
		print (a < b ? a "|" b : b "|" a), node
	}'
}
for i in 1 2 3; do
	inner_convs "$i"
done | sort -u >"$d/inner.txt"
set -- $(awk '{ c[$1]++ } END { for (k in c) { n++; if (c[k] > 1) s++ } print n + 0, s + 0 }' "$d/inner.txt")
is "$1 $2" "$((96 * SCALE)) 0" "tshark finds the $((96 * SCALE)) inner TCP conversations of the tunnels in the captures, none on two nodes"

# ---- tcpflow ----
for i in 1 2 3; do
	stream_files "$d/tf$i" | sed "s/\$/ $i/"
done | sort >"$d/node.files"
set -- $(awk '{ c[$1]++ } END { for (f in c) { n++; if (c[f] > 1) twice++ } print n + 0, twice + 0 }' "$d/node.files")
ok $(($2 == 0 && $1 > 0)) "no tcpflow stream file is on two nodes ($1 files on the nodes)"
is "$(awk '{ print $1 }' "$d/node.files" | grep -v -e "$UNRELIABLE" | sort -u | tr '\n' ' ')" \
	"$(tr '\n' ' ' <"$d/ref.checked")" \
	"the nodes' tcpflows wrote the $(wc -l <"$d/ref.checked") stream files tcpflow -r makes of the sent pcap (IPv6 sliced or lying ones aside)"
diff_files=0 checked=0
while read -r f i; do
	printf '%s\n' "$f" | grep -q -e "$UNRELIABLE" && continue
	checked=$((checked + 1))
	cmp -s "$d/ref/$f" "$d/tf$i/$f" || { diff_files=$((diff_files + 1)); diag "differs: $f (node$i)"; }
done <"$d/node.files"
ok $((diff_files == 0 && checked == $(wc -l <"$d/ref.checked"))) \
	"each of the $checked stream files is byte-identical to tcpflow -r's"
diag "left out: tcpflow -r wrote $(($(wc -l <"$d/ref.files") - $(wc -l <"$d/ref.checked"))) files of IPv6 sliced or lying streams, the nodes $(grep -c -e "$UNRELIABLE" "$d/node.files")"
ok $(($(node_bytes) == REF_BYTES && REF_BYTES > 0)) "$REF_BYTES bytes of streams in all, as tcpflow -r"
for i in 1 2 3; do
	nf[i]=$(grep -c " $i\$" "$d/node.files")
done
ok $((nf[1] > 0 && nf[2] > 0 && nf[3] > 0)) "tcpflow wrote streams on every node: ${nf[1]}, ${nf[2]}, ${nf[3]} files"

done_testing
