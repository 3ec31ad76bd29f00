#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Discovery by multicast announcements (dicapd --discover), and a standby
# takeover that the nodes follow only by announcements:
#   1. coordinators A (priority 200, wildcard -l, so its announced address
#      comes from the multicast route) and B (priority 100, -l 198.19.0.3)
#      are peers on the management bridge; 3 capturing nodes started with
#      --discover and no coordinator address find A by its announcements
#      (239.255.74.67:7468, the default group, TTL 1, over the bridge with
#      IGMP snooping on) and join it; only the active coordinator
#      announces; a node given only B's address is sent on to A by B;
#   2. under a steady stream (TB_DISC_RATE, 10,000 frames/s), A is killed
#      with SIGKILL: B takes over, announces, and the nodes, which never
#      knew B's address, follow it with the same members and table (B
#      also sends its topology to the nodes A synced to it: either gets
#      there first); a node restarted then finds B by its announcements;
#   3. no frame of the stream across the takeover, nor of a second stream
#      once the nodes follow B, is captured twice or not at all: the
#      members did not change, so the nodes keep their shares throughout
#      (node 3's restart is a graceful leave and a join between them).
# Announcements are checked on the wire: tcpdump on node 1's management
# port sees them from A before the kill and from B only after it.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_DISC_RATE:-10000}
SNAPLEN=128
GROUP=239.255.74.67
GROUP_PORT=7468
A_IP=$TB_COORD_IP		# coordinator A, in the coord namespace
B_IP=$TB_MGMT_NET.3		# coordinator B, in the coord2 namespace
A_ADDR=$A_IP:$TB_COORD_PORT
B_ADDR=$B_IP:$TB_COORD_PORT
# A standby's back-off before it stands for election (dicap-coord(8)):
# (highest priority heard - own + 1) x 100 ms, at most 10 steps, plus a
# jitter below one step.
BACKOFF_MAX_MS=1100
SLACK_MS=${TB_SLACK_MS:-1500}

tb_init_tap dicap-gen dicap-analyzer
plan 20

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

# coord_json HOST ADDR [JQ]: the status of the coordinator at ADDR.
coord_json() {
	local out

	out=$(tb_exec "$1" "$DICAP_BIN/dicapctl" -c "$2" -k "$TB_STATUS_KEY" status --json 2>/dev/null) ||
		return 1
	printf '%s\n' "$out" | jq -r "${3:-.}"
}

# start_coord NAME HOST OPTION...: dicap-coord with the testbed's key,
# timers and analyzers, announcing on the default group (no --no-announce).
start_coord() {
	local name=$1 host=$2 args=() a

	shift 2
	args=(-f -d -k "$TB_KEY" --heartbeat "$TB_HB_MS" --timeout "$TB_TIMEOUT_MS"
		--guard "$TB_GUARD_MS" --select flow)
	for a in "${TB_ANALYZERS[@]}"; do
		args+=(--analyzer "$a")
	done
	tb_spawn "$name" "$host" "$DICAP_BIN/dicap-coord" "${args[@]}" "$@"
}

# start_node I OPTION...: dicapd with --discover and no -c.
start_node() {
	local i=$1 sock

	shift
	sock=$(tb_node_sock "$i")
	rm -f "$sock"
	tb_spawn "node$i" "node$i" "$DICAP_BIN/dicapd" -f -d -i eth0 --discover -k "$TB_NODE_KEY" \
		-s "$sock" --id "$(tb_node_id "$i")" --bind "$(tb_node_ip "$i")" \
		--datapath xdp --xdp-mode "$TB_XDP_MODE" "$@"
	tb_wait_until "tb_node_status $i >/dev/null" "$TB_START_MS" ||
		{ tb_fail "node$i does not answer within $TB_START_MS ms"; return 1; }
}

# follow ADDR MIN_TERM: the 3 nodes agree on a 3-member table, run it in
# XDP, and name ADDR as their coordinator with a term >= MIN_TERM.
follow() {
	local i c

	tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3 || return 1
	for i in 1 2 3; do
		c=$(tb_node_status "$i" '"\(.coordinator) \(.term >= '"$2"')"')
		[ "$c" = "$1 true" ] || { TB_WHY="node$i: coordinator and term >= $2: $c"; return 1; }
	done
}

roles() {
	echo "$(coord_json coord "$A_ADDR" .coordinator.role) $(coord_json coord2 "$B_ADDR" .coordinator.role)"
}

d=$TB_DIR/run
mkdir -p "$d"
up=1
tb_up 3 || up=0
tb_add_ns coord2 && tb_mgmt_port coord2 "$B_IP" || up=0
# A listens on the wildcard: it announces the address the kernel would send
# to the group from, which needs a route to the group (a host without a
# default route has none; dicap-coord would then announce on lo only).
ip -n "$(tb_ns coord)" route add 224.0.0.0/4 dev mgmt0 || up=0
ok $up "testbed: 3 nodes, coordinators A ($A_IP) and B ($B_IP) on the management bridge"

tb_start_analyzer -w "$d/cap.pcap"
tb_tcpdump_start ann node1 mgmt0 "$d/ann.pcap" udp dst port "$GROUP_PORT"
start_coord coordA coord -l 0.0.0.0:"$TB_COORD_PORT" --id 0x0000000a --priority 200 \
	--peer "$B_ADDR"
start_coord coordB coord2 -l "$B_ADDR" --id 0x0000000b --priority 100 --peer "$A_ADDR"
tb_wait_until '[ "$(roles)" = "active standby" ]' $((3 * TB_TIMEOUT_MS + BACKOFF_MAX_MS + 10000))
ok $(($? == 0)) "A (higher priority) is active, B standby (${TB_WAIT_MS} ms)" ||
	diag "roles (A B): $(roles)"
settled_ns=$(now_ns)	# from here on only A may announce, until the kill

# A node given only the standby's address is answered NOT_LEADER with the
# active one's address, which must be one it can reach although A listens
# on the wildcard.  It runs without a datapath in the ana namespace and
# leaves before the capturing nodes start.
probe_sock=$TB_DIR/probe.sock
tb_spawn probe ana "$DICAP_BIN/dicapd" -f -d -i lo --datapath none -c "$B_ADDR" -k "$TB_NODE_KEY" \
	-s "$probe_sock" --id 0x0d1c0099 --bind "$TB_ANA_IP"
probe_follows() {
	[ "$(tb_exec ana "$DICAP_BIN/dicapctl" -i lo -s "$probe_sock" status --json 2>/dev/null |
		jq -r '"\(.state) \(.coordinator)"')" = "joined $A_ADDR" ]
}
tb_wait_until probe_follows $((4 * TB_TIMEOUT_MS + SLACK_MS))
ok $(($? == 0)) "a node given only B's address is sent on to A at $A_ADDR and joins it (${TB_WAIT_MS} ms)" ||
	diag "$(grep -i 'standby\|active one' "${TB_LOG[probe]}" | tail -n 3)"
tb_signal probe TERM 10000

up=1
for i in 1 2 3; do
	start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
done
tb_wait_until "follow $A_ADDR 1" 20000 || { up=0; diag "$TB_WHY"; }
ok $up "3 nodes started with --discover and no -c join A at $A_ADDR (${TB_WAIT_MS} ms)"
known=$(for i in 1 2 3; do tb_node_status "$i" '.coordinators | join(",")'; done | sort -u | tr '\n' ' ')
is "$known" "$A_ADDR " "the nodes know of A only, from its announcements"
joined_by=0
for i in 1 2 3; do
	grep -q "announcement: coordinator $A_ADDR, term [0-9]*: joining it" "${TB_LOG[node$i]}" &&
		joined_by=$((joined_by + 1))
done
is "$joined_by" 3 "each node's log says an announcement of $A_ADDR made it join"
groups=0
for i in 1 2 3; do
	ip -n "$(tb_ns "node$i")" maddr show dev mgmt0 | grep -qw "inet *$GROUP" && groups=$((groups + 1))
done
is "$groups" 3 "each node is a member of $GROUP on its management port (IGMP)"
old_term=$(tb_node_status 1 .term)
old_digest=$(tb_node_status 1 .table_digest)

# The stream across the takeover: long enough that the nodes follow B
# well before it ends (takeover in timeout + interval + back-off).
COUNT1=$((RATE * 10))
tb_gen_start --count "$COUNT1" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 \
	--seed 21 -w "$d/sent1.pcap"
sleep 2
kill_ns=$(now_ns)
tb_signal coordA KILL 10000
ok $(($? == 0)) "A killed with SIGKILL"
tb_wait_until '[ "$(coord_json coord2 "$B_ADDR" .coordinator.role)" = active ]' \
	$((TB_TIMEOUT_MS + TB_HB_MS + BACKOFF_MAX_MS + SLACK_MS + 10000))
ok $(($? == 0)) "B becomes active" || diag "B: $(coord_json coord2 "$B_ADDR" '.coordinator | tostring')"
active_ms=$((($(now_ns) - kill_ns) / 1000000))
bound=$((TB_TIMEOUT_MS + TB_HB_MS + BACKOFF_MAX_MS))
diag "B active $active_ms ms after the kill (timeout $TB_TIMEOUT_MS + interval $TB_HB_MS + back-off <= $BACKOFF_MAX_MS = $bound, slack $SLACK_MS)"
ok $((active_ms <= bound + SLACK_MS)) "B takes over within timeout + interval + back-off + slack"
new_term=$(coord_json coord2 "$B_ADDR" .term)
tb_wait_until "follow $B_ADDR $((old_term + 1))" $((TB_TIMEOUT_MS + TB_HB_MS + SLACK_MS + 10000))
ok $(($? == 0)) "the nodes follow B at $B_ADDR with its term $new_term > $old_term" || diag "$TB_WHY"
follow_ms=$((($(now_ns) - kill_ns) / 1000000))
diag "the nodes follow B $follow_ms ms after the kill"
is "$(tb_node_status 1 .table_digest)" "$old_digest" "same members, so the same table digest"
# B sends its first topology to every node A synced to it, and announces:
# whichever reaches a node first makes it follow B.
switched_by=0
for i in 1 2 3; do
	grep -q "announcement: coordinator $B_ADDR, term $new_term: joining it" "${TB_LOG[node$i]}" &&
		switched_by=$((switched_by + 1))
done
diag "$switched_by of the 3 nodes went to B on its announcement, the others on its topology"
tb_gen_wait
ok $(($? == 0)) "dicap-gen sent $COUNT1 frames at $RATE/s across the takeover"

# A node that starts afresh now knows nothing: only B's announcements
# can bring it in.  It leaves gracefully (no frame lost) and comes back.
tb_signal node3 TERM 10000
tb_wait_until "tb_members_are 2 1 2 && tb_dp_ready 1 2" 10000
n3_lines=$(wc -l <"${TB_LOG[node3]}")
start_node 3 --capture --snaplen "$SNAPLEN"
tb_wait_until "follow $B_ADDR $new_term" 15000
ok $(($? == 0)) "node 3, restarted with --discover, finds B by its announcements and joins (${TB_WAIT_MS} ms)" ||
	diag "$TB_WHY"
is "$(tail -n +$((n3_lines + 1)) "${TB_LOG[node3]}" |
	grep -c "announcement: coordinator $B_ADDR, term $new_term: joining it")" 1 \
	"its log says B's announcement made it join"

# A second stream, on B's topology only.
COUNT2=$((RATE * 2))
tb_gen --count "$COUNT2" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 \
	--seed 22 -w "$d/sent2.pcap"
ok $(($? == 0)) "dicap-gen sent $COUNT2 frames at $RATE/s with the nodes on B"
tb_wait_delivered ana $((COUNT1 + COUNT2)) 15000
tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
tb_tcpdump_stop ann
alive=0
for i in 1 2 3; do
	tb_alive "node$i" && alive=$((alive + 1))
done
tb_alive coordB && alive=$((alive + 1))
is "$alive" 4 "the nodes and B still run"
for i in 1 2 3; do
	tb_signal "node$i" TERM 10000
done
tb_stop_analyzer ana
tb_signal coordB TERM 10000

tb_pcapinfo "$d/sent1.pcap" "$SNAPLEN" | sed 's/$/ stream1/' >"$d/sent.txt"
tb_pcapinfo "$d/sent2.pcap" "$SNAPLEN" | sed 's/$/ stream2/' >>"$d/sent.txt"
tb_pcapinfo "$d/cap.pcap" "$SNAPLEN" >"$d/cap.txt"
set -- $(tb_frames_compare "$d/sent.txt" "$d/cap.txt" "$d/missing.txt" "$d/dup.txt")
diag "$(wc -l <"$d/sent.txt") frames sent, $(wc -l <"$d/cap.txt") captured: $1 missing ($(grep -c stream1 "$d/missing.txt") of stream 1), $2 duplicated, $3 unknown"
is "$1 $2 $3" "0 0 0" "every frame of both streams captured exactly once, across the takeover too"

# Announcements on the wire, by source address and time.
tcpdump -n -tt -r "$d/ann.pcap" 2>/dev/null |
	awk -v s="$settled_ns" -v k="$kill_ns" -v g="$GROUP.$GROUP_PORT" '
	$5 == g ":" {
		t = $1 * 1e9
		split($3, a, ".")
		src = a[1] "." a[2] "." a[3] "." a[4]
		print (t < s ? "start" : t < k ? "before" : "after"), src
	}' | sort | uniq -c | awk '{ print $2, $3, $1 }' >"$d/ann.txt"
diag "announcements seen on node1's mgmt0 (when, source, count): $(tr '\n' ';' <"$d/ann.txt")"
ann_a_before=$(awk -v s="$A_IP" '$1 == "before" && $2 == s { print $3 }' "$d/ann.txt")
ann_b_before=$(awk -v s="$B_IP" '$1 == "before" && $2 == s { print $3 }' "$d/ann.txt")
ann_b_after=$(awk -v s="$B_IP" '$1 == "after" && $2 == s { print $3 }' "$d/ann.txt")
ann_other=$(awk -v a="$A_IP" -v b="$B_IP" '$2 != a && $2 != b { n += $3 } END { print n + 0 }' "$d/ann.txt")
ok $((${ann_a_before:-0} > 0 && ${ann_b_before:-0} == 0 && ann_other == 0)) \
	"from the election to the kill only A announced (${ann_a_before:-0} announcements), the standby B none"
ok $((${ann_b_after:-0} > 0)) "after the takeover B announces (${ann_b_after:-0} announcements)"

done_testing
