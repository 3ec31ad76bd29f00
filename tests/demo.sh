#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make demo`: DiCAP's main job on this one machine.  Network namespaces
# stand in for the hosts: a traffic source, a switch that mirrors every
# frame to three capture nodes, a coordinator and a packet data analyzer
# on a management network.  Each node runs dicapd (XDP datapath) and an
# unmodified tcpdump on dicap:eth0; dicap-gen sends a mixed stream; the
# demo then shows the cluster, each node's share, and the proof that the
# shares are disjoint and together equal what was sent.  Everything it
# started is removed at the end; the capture files stay in build/demo/.
#
# DEMO_COUNT (default 30000) and DEMO_RATE (frames/s, default 20000)
# change the load; DEMO_SELECT (flow) the selection mode; TB_MIRROR (xdp,
# tc: tests/testbed.sh) the switch.
REPO=$(cd "$(dirname "$0")/.." && pwd)
: "${DICAP_BIN:=$REPO/build/plain/bin}"
export DICAP_BIN
COUNT=${DEMO_COUNT:-30000}
RATE=${DEMO_RATE:-20000}
SELECT=${DEMO_SELECT:-flow}
OUT=$REPO/build/demo
N=3

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' Z=$'\e[0m'
else
	B= G= R= D= Z=
fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$Z"; }
info() { printf '   %s\n' "$*"; }
fail() { printf '%sdemo: %s%s\n' "$R" "$*" "$Z" >&2; exit 1; }

# The testbed's messages are TAP comments; the demo has no TAP stream.
diag() { printf '%s   %s%s\n' "$D" "$*" "$Z"; }
. "$REPO/tests/testbed.sh"
# Every namespace sees the same /run, and every node's capture interface is
# eth0: each node's dicapd gets a socket directory of its own, which the
# libpcap module on that node finds through DICAP_SOCKET_DIR.
tb_node_sock() {
	printf '%s/node%d/eth0.sock' "$TB_DIR" "$1"
}

[ "$(id -u)" = 0 ] || fail "run as root: the demo builds network namespaces and attaches XDP programs"
[ -x "$DICAP_BIN/dicap-run" ] || fail "dicap-run is not built: run make first"
tb_init
case $? in
0) ;;
*) fail "the testbed cannot run here: $TB_WHY" ;;
esac
rm -rf "$OUT"
mkdir -p "$OUT"
# dicap-analyzer, started as root, writes its pcap as nobody (dicap-analyzer(8) --user)
chmod 1777 "$OUT"

step "1. Hosts: a traffic source, a mirroring switch, $N capture nodes, a coordinator, an analyzer"
tb_up $N || fail "could not build the namespaces"
for i in $(seq 1 $N); do
	mkdir -p "$TB_DIR/node$i"
done
info "namespaces: $(ip netns list | awk -v p="$TB_PFX" 'index($1, p) == 1 { sub(p, "", $1); printf "%s ", $1 }')"
info "management network 198.19.0.0/24; the mirrored link carries only the generated traffic"
case $TB_MIRROR_USED in
xdp) info "the switch: an XDP program on its ingress ports broadcasts each frame to the nodes (TB_MIRROR=xdp)" ;;
*) info "the switch: a tc filter mirrors each frame to the nodes (TB_MIRROR=$TB_MIRROR_USED)" ;;
esac

step "2. Start dicap-analyzer, dicap-coord (--select $SELECT) and dicapd on every node"
tb_start_analyzer -w "$OUT/analyzer.pcap" || fail "the analyzer did not start"
tb_start_coord --select "$SELECT" || fail "the coordinator did not start"
for i in $(seq 1 $N); do
	tb_start_node "$i" --capture --distribute --snaplen 1440 || fail "dicapd on node$i did not start"
done
tb_wait_until "tb_dp_ready $(seq -s ' ' 1 $N)" 20000 || fail "the nodes did not agree on a topology: $TB_WHY"
info "the nodes agree on epoch $TB_EPOCH after $TB_WAIT_MS ms"
echo
info "$ dicapctl -c $TB_COORD_ADDR -k status.key status"
tb_exec coord "$DICAP_BIN/dicapctl" -c "$TB_COORD_ADDR" -k "$TB_STATUS_KEY" status | sed 's/^/   /'

step "3. On every node, an unmodified tcpdump captures the node's share: dicap-run tcpdump -i dicap:eth0"
for i in $(seq 1 $N); do
	tb_spawn "tcpdump$i" "node$i" env DICAP_SOCKET_DIR="$TB_DIR/node$i" \
		"$DICAP_BIN/dicap-run" tcpdump -i dicap:eth0 -n \
		--immediate-mode -B 16384 -w "$OUT/node$i.pcap"
done
for i in $(seq 1 $N); do
	tb_wait_until "grep -q 'listening on dicap:eth0' '$TB_DIR/tcpdump$i.log'" 15000 ||
		fail "tcpdump on node$i did not start: $(tail -3 "$TB_DIR/tcpdump$i.log")"
done
info "$N tcpdump processes listening on dicap:eth0"

step "4. dicap-gen sends $COUNT mixed frames (IPv4, IPv6, VLAN, TCP, UDP, ICMP, fragments, malformed) at $RATE/s"
tb_gen --count "$COUNT" --rate "$RATE" --mix all --flows 500 --seed 7 -w "$OUT/sent.pcap" ||
	fail "dicap-gen failed: $(tail -3 "$TB_GEN_OUT")"
grep -v '^===' "$TB_GEN_OUT" | sed 's/^/   /' | tail -3
tb_wait_delivered ana "$COUNT" 15000 >/dev/null 2>&1
tb_sleep_ms 1000
for i in $(seq 1 $N); do
	tb_signal "tcpdump$i" TERM 5000
done

step "5. Each node's share"
printf '   %-6s %-10s %10s %10s %10s %12s\n' node id seen selected not-mine "tcpdump got"
for i in $(seq 1 $N); do
	tb_pcapinfo "$OUT/node$i.pcap" >"$OUT/node$i.info"
	printf '   %-6s %-10s %10s %10s %10s %12s\n' "node$i" "$(tb_node_status "$i" .node_id)" \
		"$(tb_node_ctr "$i" seen)" "$(tb_node_ctr "$i" selected)" "$(tb_node_ctr "$i" not_mine)" \
		"$(wc -l <"$OUT/node$i.info")"
done

step "6. Proof: the shares are disjoint and together equal what was sent"
tb_pcapinfo "$OUT/sent.pcap" >"$OUT/sent.info"
cat "$OUT"/node[0-9]*.info >"$OUT/union.info"
# compare LABEL INFO: INFO against what was sent, frame by frame.
compare() {
	local missing dup unexpected

	read -r missing dup unexpected < <(tb_frames_compare "$OUT/sent.info" "$2" \
		"$OUT/$1.missing" "$OUT/$1.dup")
	if [ "$missing$dup$unexpected" = 000 ]; then
		info "$G$1 == the $(wc -l <"$OUT/sent.info") frames sent: 0 missing, 0 twice, 0 unknown$Z"
	else
		info "$R$1 differs from what was sent: $missing missing, $dup twice, $unexpected unknown$Z"
		status=1
	fi
}
compare "the union of the $N tcpdump files" "$OUT/union.info"
for i in $(seq 1 $N); do
	for j in $(seq $((i + 1)) $N); do
		both=$(sort "$OUT/node$i.info" "$OUT/node$j.info" | awk '{ print $9, $10 }' | sort | uniq -d | wc -l)
		[ "$both" = 0 ] || { info "${R}node$i and node$j both captured $both frames$Z"; status=1; }
	done
done
[ "${status:-0}" = 0 ] && info "${G}no frame is in two nodes' files: the shares are disjoint$Z"
tb_pcapinfo "$OUT/analyzer.pcap" >"$OUT/analyzer.info"
compare "the analyzer's merged pcap (distributed capture mode)" "$OUT/analyzer.info"

step "7. Files"
info "what was sent:            $OUT/sent.pcap"
for i in $(seq 1 $N); do
	info "node$i's share (tcpdump):  $OUT/node$i.pcap"
done
info "all headers, merged:      $OUT/analyzer.pcap"
info "try: tcpdump -nn -r $OUT/node1.pcap | head"

step "8. Clean up"
tb_down
info "namespaces, XDP programs and processes removed"
exit "${status:-0}"
