#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B3 (the paper's Figure 7): how evenly the ipid, packet, flow and host
# modes spread traffic over N = 2, 4, 8, 16 nodes, as max/mean share,
# flow and host both with tunnels opened (--tunnel inner, the default)
# and not (outer), computed offline by bench/balance.c with the project's
# own parser and bucket tables, on synthetic traces (dicap-gen --dry-run
# with random, sequential and mostly-zero IP IDs; one with an elephant
# flow; a GTP-U trace of many users inside 4 tunnels from
# tests/lib/tracegen.py) and on real frames: the test captures of
# Debian's tcpdump source package.  Writes b3-balance.md, b3-balance.png
# (max/mean against N) and b3-ipid-hist.png (IP ID histograms).  Root is
# not needed.
# Environment: COUNT (frames per synthetic trace, 200000), SEEDS (3).
set -eu
BENCH_NAME=b3-balance
. "$(dirname "$0")/lib.sh"

COUNT=${COUNT:-200000}
SEEDS=${SEEDS:-3}
[ "$SMOKE" = 1 ] && COUNT=5000 SEEDS=1
work=$(mktemp -d "${TMPDIR:-/tmp}/dicap-b3.XXXXXX")
trap 'rm -rf "$work"' EXIT
bench_cc balance "$BENCH_REPO/bench/balance.c" "$BENCH_REPO/build/plain/libdicap.a" -lpcap

gen() {	# gen FILE OPTION...: a synthetic trace
	local f=$1

	shift
	"$DICAP_BIN/dicap-gen" --dry-run -q -w "$f" "$@" || bench_die "dicap-gen $* failed"
}

# The real trace: the capture files of tcpdump's test suite, from the
# source package of the installed tcpdump (a private apt source list, as
# configure does for libpcap; cached in build/bench/traces).
real_trace() {
	local dir=$BENCH_BUILD/traces apt=$BENCH_REPO/build/libpcap/apt ver

	ls "$dir"/tcpdump-*/tests/*.pcap >/dev/null 2>&1 && return 0
	[ -f "$apt/sources.list" ] || return 1
	mkdir -p "$dir"
	ver=$(dpkg-query -W -f='${source:Version}' tcpdump 2>/dev/null) || return 1
	(cd "$dir" && apt-get -q -o Dir::Etc::SourceList="$apt/sources.list" \
		-o Dir::Etc::SourceParts=- -o Dir::State::Lists="$apt/lists" \
		-o Dir::Cache="$apt/cache" source --download-only "tcpdump=$ver" >/dev/null 2>&1 &&
		tar xzf tcpdump_*.orig.tar.gz --wildcards 'tcpdump-*/tests/*.pcap') || return 1
	ls "$dir"/tcpdump-*/tests/*.pcap >/dev/null 2>&1
}

traces=(random seq mostly-zero elephant gtpu)
modes=(ipid-paper ipid packet flow flow-outer host host-outer)
GTPU_USERS=$((COUNT / 7))	# 7 frames a user on average
: >"$work/shares.txt"
for seed in $(seq 1 "$SEEDS"); do
	for t in random seq mostly-zero; do
		gen "$work/$t.pcap" --count "$COUNT" --mix ipv4 --flows 1000 --ipid "$t" --seed "$seed"
	done
	# one pair of endpoints (a TCP and a UDP flow) carries half of the frames
	gen "$work/eleph1.pcap" --count $((COUNT / 2)) --mix ipv4 --flows 1 --seed "$seed"
	gen "$work/eleph2.pcap" --count $((COUNT / 2)) --mix ipv4 --flows 1000 --seed $((seed + 100)) \
		--seq-start $((COUNT / 2))
	python3 "$BENCH_REPO/tests/lib/tracegen.py" gtpu "$work/gtpu.pcap" --seed "$seed" \
		--scale "$GTPU_USERS" || bench_die "tracegen.py gtpu failed"
	for t in "${traces[@]}"; do
		case $t in
		elephant) files=("$work/eleph1.pcap" "$work/eleph2.pcap") ;;
		*) files=("$work/$t.pcap") ;;
		esac
		"$BENCH_BUILD/balance" "${files[@]}" >"$work/$t.out" || bench_die "balance failed"
		awk -v t="$t" '$1 == "share" { print t ":" $2 ":" $3, $4 }' "$work/$t.out" >>"$work/shares.txt"
		awk -v t="$t" '$1 == "top-flow" { print t, $2 }' "$work/$t.out" >>"$work/top.txt"
		awk -v t="$t" '$1 == "top-host" { print t, $2 }' "$work/$t.out" >>"$work/top-host.txt"
		[ "$t" = gtpu ] && awk '$1 == "frames" { print $2 }' "$work/$t.out" >>"$work/gtpu-frames.txt"
		[ "$seed" = 1 ] && awk '$1 == "ipid" { print $2, $3 }' "$work/$t.out" >"$work/hist.$t"
	done
done
real=no
if real_trace; then
	real=yes
	"$BENCH_BUILD/balance" "$BENCH_BUILD"/traces/tcpdump-*/tests/*.pcap >"$work/real.out" \
		2>"$work/real.err" || bench_die "balance failed on the real trace"
	awk '$1 == "share" { print "tcpdump-tests:" $2 ":" $3, $4 }' "$work/real.out" >>"$work/shares.txt"
	awk '$1 == "ipid" { print $2, $3 }' "$work/real.out" >"$work/hist.tcpdump-tests"
	real_files=$(ls "$BENCH_BUILD"/traces/tcpdump-*/tests/*.pcap | wc -l)
	real_skipped=$(grep -c 'skipped' "$work/real.err" || true)
	read -r _ real_frames real_v4 < <(grep '^frames' "$work/real.out")
	real_top=$(awk '$1 == "top-flow" { print $2 }' "$work/real.out")
	real_top_host=$(awk '$1 == "top-host" { print $2 }' "$work/real.out")
	real_src=$(ls -d "$BENCH_BUILD"/traces/tcpdump-*/ | xargs -n1 basename)
	traces+=(tcpdump-tests)
else
	bench_log "no real trace (the tcpdump source package could not be fetched)"
fi
bench_stats <"$work/shares.txt" >"$work/stats.txt"

cell() {	# cell TRACE MODE N
	awk -v k="$1:$2:$3" '$1 == k {
		if ($5 > 1) printf "%.3f (%.3f-%.3f)", $2, $3, $4; else printf "%.3f", $2 }' "$work/stats.txt"
}
med() {	# med TRACE MODE N: the median alone
	awk -v k="$1:$2:$3" '$1 == k { printf "%.2f", $2 }' "$work/stats.txt"
}
top() {	# top FILE TRACE: the first seed's largest bucket share
	awk -v t="$2" '$1 == t { print $2; exit }' "$work/$1"
}

{
cat <<MD
# B3: load balance of the selection modes (the paper's Figure 7)

Produced by \`bench/b3-balance.sh\` (helper \`bench/balance.c\`).

## Machine

$(bench_machine)

(The result does not depend on the machine: it is computed offline.)

## Commands

\`\`\`
COUNT=$COUNT SEEDS=$SEEDS bench/b3-balance.sh
# synthetic traces, for SEED in 1..$SEEDS:
dicap-gen --dry-run -w T.pcap --count $COUNT --mix ipv4 --flows 1000 --ipid {random,seq,mostly-zero} --seed SEED
# elephant: half the frames between one pair of endpoints (a TCP and a UDP flow), half over 1000 flows
dicap-gen --dry-run -w E1.pcap --count $((COUNT / 2)) --mix ipv4 --flows 1 --seed SEED
dicap-gen --dry-run -w E2.pcap --count $((COUNT / 2)) --mix ipv4 --flows 1000 --seed SEED+100 --seq-start $((COUNT / 2))
# GTP-U: $GTPU_USERS users (2-12 frames each) inside the tunnels of 4 eNodeB-SGW pairs
python3 tests/lib/tracegen.py gtpu G.pcap --seed SEED --scale $GTPU_USERS
build/bench/balance T.pcap        # or E1.pcap E2.pcap, or G.pcap
MD
[ "$real" = yes ] && cat <<MD
# real frames: the test captures of Debian's tcpdump source package
apt-get source --download-only tcpdump=$(dpkg-query -W -f='${source:Version}' tcpdump)   # private source list, as configure
build/bench/balance $real_src/tests/*.pcap
MD
cat <<MD
\`\`\`

\`balance\` parses every frame and takes its bucket in each mode with
\`dicap_select_bucket()\` (the call of dicapd, the XDP program and
dicap.ko), builds the bucket table of N equal members with
\`dicap_table_build()\` (what the coordinator and every node compute) and
counts each member's frames. flow and host open tunnels (the default,
\`--tunnel inner\`); flow-outer and host-outer are the same modes with
\`--tunnel outer\` (\`DICAP_SEL_TUNNEL_OUTER\`). The figure is the largest
share over the mean share (1.0 is perfect; with N nodes a node of capacity
1/N of the link is overloaded by that factor). Synthetic traces: IPv4 TCP
and UDP, 1000 flows (each between its own pair of hosts) in both
directions, $COUNT frames; the GTP-U trace: about $(awk '{ s += $1 } END { printf "%d", s / NR }' "$work/gtpu-frames.txt") frames. $SEEDS seeds
(median, with the range over the seeds in brackets).

## Results: max/mean share

| Trace | Mode | N = 2 | N = 4 | N = 8 | N = 16 |
|---|---|---|---|---|---|
MD
for t in "${traces[@]}"; do
	for m in "${modes[@]}"; do
		printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$m" "$(cell "$t" "$m" 2)" \
			"$(cell "$t" "$m" 4)" "$(cell "$t" "$m" 8)" "$(cell "$t" "$m" 16)"
	done
done
cat <<MD

![B3](b3-balance.png)

*Max/mean share against the number of nodes, per trace and mode (median
over the seeds). Computed with the project's selection code; 1.0 is a
perfect split.*

![IP ID histograms](b3-ipid-hist.png)

*IPv4 identification values in 256 bins of 256, per trace (seed 1).*

## What it shows

- **ipid (paper)** is the paper's rule, hash(IP ID) for every IPv4 packet
  (computed by \`balance\` from the project's \`dicap_mix16()\`): as good as
  a hash of the packet when IDs are random or counting, and useless when
  most are 0 (Linux sends TCP with DF set and, depending on the socket,
  ID 0): on the "mostly-zero" trace (90% zero) one node gets 90% of the
  frames, whatever N.
- **ipid** is DiCAP's version: an unfragmented IPv4 packet with ID 0 takes
  the packet rule instead (RFC 6864 atomic datagrams; include/dicap/select_impl.h),
  fragments always hash their ID. That removes the zero pile-up: the
  mostly-zero trace spreads as well as the random one.
- **packet** spreads every trace evenly (it hashes the frame's bytes), but
  splits flows over nodes: fine for capture to disk, not for an IDS.
- **flow** keeps both directions of a flow on one node, so one node must
  take the largest flow whole. In the elephant trace half the frames are
  between one pair of endpoints, as one TCP and one UDP flow of a quarter
  each (the largest flow bucket holds $(top top.txt elephant) of the frames): the node
  that gets one of them carries at least a quarter of the link, max/mean
  >= N/4, and >= N/2 when both land on the same node (the ranges show
  both cases among the seeds). Weighted shares (dicapctl weight) for the
  node that holds an elephant, or packet mode, are the remedies; flow mode
  cannot split a flow by design.
- **host** hashes the address pair alone, so every flow between two hosts
  lands on one node with its fragments and the ICMP errors about it. Where
  every flow has its own pair of hosts (the synthetic traces) it balances
  about as flow does: $(med random host 16) against $(med random flow 16) on the random trace at
  N = 16, what 1000 equal items give in 16 bins (62.5 a bin, a standard
  deviation of 8: the fullest bin is about 1.8 deviations above the mean).
  dicap-gen puts flow k between the same two hosts in every seed, so the
  host rows have no range. It is coarser where a few pairs carry much: the elephant
  trace's TCP and UDP flows share one pair, so their half of the link is
  always on one node (the largest host bucket holds $(top top-host.txt elephant) of the
  frames): max/mean >= N/2, $(med elephant host 16) at N = 16 against $(med elephant flow 16) for flow.
- **Tunnels** (the GTP-U trace): every frame is a GTP-U packet between one
  of 4 eNodeB-SGW pairs, UDP port 2152 both ways. Opened (flow, host: the
  default), the users inside spread like any other traffic: $(med gtpu flow 16) (flow)
  and $(med gtpu host 16) (host) at N = 16. Not opened (flow-outer, host-outer:
  \`--tunnel outer\`), each eNodeB-SGW pair is one flow and one host pair:
  4 buckets for the whole link, so at N = 16 at most 4 nodes get anything
  and each of those a quarter: $(med gtpu flow-outer 16) and $(med gtpu host-outer 16). With fewer nodes it is
  the luck of 4 items: $(med gtpu flow-outer 4) and $(med gtpu host-outer 4) at N = 4, $(med gtpu flow-outer 2) and $(med gtpu host-outer 2) at N = 2.
  On the traces without tunnels outer and inner are the same rule (the
  rows are equal).
MD
if [ "$real" = yes ]; then
cat <<MD
- **Real frames** ($real_src test captures, Debian source package
  tcpdump $(dpkg-query -W -f='${source:Version}' tcpdump)): $real_files files, $real_skipped skipped (not Ethernet), $real_frames
  Ethernet frames of which $real_v4 IPv4, captured by many people on many
  stacks. They are protocol samples, not one link's traffic: small files,
  many repeated frames (identical frames share a bucket in every mode),
  many non-IP frames (which take the fallback bucket of the raw bytes), and
  few frames per node at N = 16 (~$((real_frames / 16))), so the ratios are
  rough. The largest flow bucket holds $real_top of the frames, the largest
  host bucket $real_top_host. Their IP IDs (histogram) have a spike at 0
  and are otherwise spread. Some of them are tunnelled (GRE, MPLS, PPPoE,
  VXLAN, GTP captures), so outer and inner differ a little.
MD
fi
} >"$BENCH_OUT/b3-balance.md"

# plot data: one file per trace and mode, "N median"
for t in "${traces[@]}"; do
	for m in "${modes[@]}"; do
		awk -v t="$t" -v m="$m" '{ split($1, k, ":"); if (k[1] == t && k[2] == m) print k[3], $2 }' \
			"$work/stats.txt" >"$work/p.$t.$m"
	done
done
{
	n=${#traces[@]}
	echo "set terminal pngcairo size 1200,$(( (n + 2) / 3 * 330 )) font ',9' noenhanced"
	echo "set output '$BENCH_OUT/b3-balance.png'"
	echo "set multiplot layout $(( (n + 2) / 3 )),3 title 'B3: max/mean share against N'"
	echo "set logscale x 2; set xrange [1.5:20]; set xtics (2,4,8,16); set grid"
	echo "set yrange [0.9:*]; set logscale y; set key top left"
	for t in "${traces[@]}"; do
		echo "set title '$t'"
		plot="plot"
		for m in "${modes[@]}"; do
			case $m in
			*-outer) style="w lp dt 2" ;;
			*) style="w lp" ;;
			esac
			plot="$plot '$work/p.$t.$m' $style t '$m',"
		done
		echo "${plot%,}"
	done
	echo "unset multiplot"
	echo "set terminal pngcairo size 1200,$(( (n + 2) / 3 * 300 )) font ',9' noenhanced"
	echo "set output '$BENCH_OUT/b3-ipid-hist.png'"
	echo "set multiplot layout $(( (n + 2) / 3 )),3 title 'IPv4 ID histogram (256 bins of 256 values)'"
	echo "unset logscale; set autoscale; set xrange [0:65536]; set xtics 16384; set logscale y; set style fill solid; unset key"
	for t in "${traces[@]}"; do
		[ -s "$work/hist.$t" ] || continue
		echo "set title '$t'"
		echo "plot '$work/hist.$t' u (\$1*256):(\$2 > 0 ? \$2 : 1/0) w boxes"
	done
	echo "unset multiplot"
} | bench_plot
bench_log "wrote $BENCH_OUT/b3-balance.md"
