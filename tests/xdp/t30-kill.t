#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# kill -9 of a capturing dicapd under a steady stream (TB_KILL_RATE,
# 30,000 frames/s), in native and generic XDP mode: its XDP program goes
# away with the process (BPF link), the survivors take over the dead
# node's buckets once the coordinator's timeout has passed, and the loss
# is bounded by (timeout + one heartbeat interval + validity guard +
# TB_SLACK_MS) x rate x the dead node's share.  Every lost frame must be
# one the dead node owned, lost between the kill and the takeover, and no
# frame may be captured twice.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_KILL_RATE:-30000}
SECONDS_STREAM=7
COUNT=$((RATE * SECONDS_STREAM))
MODES=${TB_XDP_MODES:-native generic}
SLACK_MS=${TB_SLACK_MS:-1000}
SNAPLEN=128

tb_init_tap dicap-gen dicap-analyzer
plan $((1 + 8 * $(echo $MODES | wc -w)))

ok_cmd "testbed with 3 nodes" tb_up 3

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

xdp_gone() {	# xdp_gone I: no XDP program on nodeI's eth0, by ip and bpftool
	[ "$(tb_xdp_mode_of "$1")" = none ] || return 1
	command -v bpftool >/dev/null || return 0
	! tb_exec "node$1" bpftool -j net show dev eth0 2>/dev/null | jq -e '.[0].xdp | length > 0' >/dev/null
}

round() {
	local m=$1 d=$TB_DIR/$1 up=1 kill_ns takeover_ns share bound missing dup unexp
	local timeout_ms=$TB_TIMEOUT_MS

	mkdir -p "$d"
	TB_XDP_MODE=$m
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select flow || up=0
	for i in 1 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
	ok $up "$m: 3 nodes capture"
	tb_node_owned 2 >"$d/owned2.txt"
	share=$(tb_node_status 2 .owned_buckets)

	tb_gen_start --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 5 -w "$d/sent.pcap"
	sleep 2
	kill_ns=$(now_ns)
	tb_kill_node 2
	ok $(($? == 0)) "$m: dicapd on node 2 killed with SIGKILL"
	tb_wait_until "xdp_gone 2" 2000
	ok $(($? == 0)) "$m: its XDP program is gone from eth0 (${TB_WAIT_MS} ms)" ||
		diag "$(ip -n "$(tb_ns node2)" link show dev eth0)"

	tb_wait_until "tb_members_are 2 1 3 && tb_dp_ready 1 3" $((timeout_ms + 10000))
	ok $(($? == 0)) "$m: nodes 1 and 3 switch to a 2-member table" || diag "$TB_WHY"
	takeover_ns=$(tb_node_status 1 .validity_start_ns)
	local took=$(((takeover_ns - kill_ns) / 1000000))
	local limit=$((timeout_ms + TB_HB_MS + TB_GUARD_MS + SLACK_MS))
	diag "$m: the new table took effect $took ms after the kill (timeout $timeout_ms + interval $TB_HB_MS + guard $TB_GUARD_MS, slack $SLACK_MS)"

	tb_gen_wait
	ok $(($? == 0)) "$m: dicap-gen sent $COUNT frames at $RATE/s"
	tb_wait_delivered ana "$((COUNT - RATE * limit / 1000))" 15000
	for i in 1 3; do
		tb_node_status "$i" >"$d/node$i.json"
	done
	tb_stop_analyzer ana
	tb_stop_daemons

	set -- $(tb_capture_compare "$d" "$SNAPLEN")
	missing=$1 dup=$2 unexp=$3
	is "$dup $unexp" "0 0" "$m: no frame captured twice, none unknown"

	# Each lost frame: node 2's bucket (flow mode: column 8), between the
	# kill and the takeover (plus 300 ms for records node 2 had not yet sent).
	local stray
	stray=$(awk -v k="$kill_ns" -v t="$takeover_ns" '
		NR == FNR { if (split($0, r, "-") == 2) for (b = r[1]; b <= r[2]; b++) mine[b] = 1; next }
		!($8 in mine) || $12 < k - 300000000 || $12 > t + 100000000 { n++ }
		END { print n + 0 }' "$d/owned2.txt" "$d/missing.txt")
	is "$stray" 0 "$m: every lost frame was node 2's, lost between the kill and the takeover"

	local frames2
	frames2=$(awk 'NR == FNR { if (split($0, r, "-") == 2) for (b = r[1]; b <= r[2]; b++) mine[b] = 1; next }
		($8 in mine) { n++ } END { print n + 0 }' "$d/owned2.txt" "$d/sent.txt")
	bound=$(awk -v ms="$limit" -v r="$RATE" -v f="$frames2" -v n="$COUNT" \
		'BEGIN { printf "%d", ms / 1000 * r * f / n }')
	diag "$m: lost $missing frames; node 2 owned $share buckets, $frames2 of the $COUNT frames; bound ${limit} ms x $RATE/s x $(awk -v f="$frames2" -v n="$COUNT" 'BEGIN { printf "%.3f", f / n }') = $bound"
	ok $((missing <= bound)) "$m: loss $missing <= (timeout + interval + guard + slack) x rate x share = $bound"
}

for m in $MODES; do
	round "$m"
done

done_testing
