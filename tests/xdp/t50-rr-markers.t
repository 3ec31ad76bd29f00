#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Round-robin markers from the coordinator (dicap-coord --inject-dev): the
# coordinator sends each epoch's marker into the switch, which mirrors it
# to every node in line with the traffic, so the nodes switch topology and
# restart their round-robin count at the same frame.
#
# Per XDP mode (TB_XDP_MODES, default "native generic"):
#  1. 3 nodes in round-robin capture mode; 100,000 frames at a moderate
#     rate while a 4th node joins.  The analyzer's records are exactly the
#     frames sent, the nodes selected them once between them, every node
#     accepted markers and rejected none, and the count C agrees on all
#     nodes.  The markers on the wire (tcpdump on the coordinator's
#     injection port: the XDP mirror takes them at the switch port before
#     a capture there could see them) are what the coordinator counted,
#     one token per epoch.
#  2. During a second stream, hand-made markers from the traffic side: the
#     current epoch with a random token, older and newer epochs with random
#     tokens, and a replay of an older epoch's real marker.  Every node
#     counts each as rejected and nothing changes: no duplicate, no gap,
#     same epoch.  A replay of the current epoch's marker is accepted
#     (docs/protocol.md: it resets C on every node at the same frame) and
#     changes nothing either.
# Before that, without traffic: the start-up errors of --inject-dev.
#
# TB_COUNT (100000), TB_RATE (25000 frames/s) change the load.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

COUNT=${TB_COUNT:-100000}
COUNT2=$((COUNT / 2))
RATE=${TB_RATE:-15000}	# stream 1 lasts 6.7 s: the join (about 3.5 s on a loaded machine) lands mid-stream
MODES=${TB_XDP_MODES:-native generic}
SEQ2=10000000			# first sequence number of the second stream
SNAPLEN=256
MIX=ipv4-udp,ipv4-tcp,ipv6-udp,vlan
N_BAD=120			# forged markers that must be rejected
N_REPLAY_CUR=20			# replays of the current marker: accepted

command -v tcpdump >/dev/null || skip_all "tcpdump not installed"
tb_init_tap dicap-gen dicap-analyzer
tb_has_option dicap-coord --inject-dev || skip_all "dicap-coord has no --inject-dev"
set -- $MODES
plan $((5 + 14 * $#))

ok_cmd "testbed with 4 node hosts (node4 joins later)" tb_up 4

# ---- start-up errors ------------------------------------------------------

# coord_try OPTION...: a short-lived coordinator in the coord namespace
# (own port, no key); its output and exit status in TRY_OUT, TRY_RC.
coord_try() {
	TRY_OUT=$(tb_exec coord timeout 5 "$DICAP_BIN/dicap-coord" -f --insecure --no-announce \
		-l 127.0.0.1:17467 --select rr "$@" 2>&1)
	TRY_RC=$?
}

coord_try --inject-dev nosuch0
ok $((TRY_RC == 1)) "--inject-dev nosuch0: exit 1 ($(printf '%s' "$TRY_OUT" | grep -o 'no such interface'))" ||
	diag "$TRY_OUT"

ip -n "$(tb_ns coord)" link add down0 type veth peer name down1
coord_try --inject-dev down0
ok $((TRY_RC == 1)) "--inject-dev on an interface that is down: exit 1 ($(printf '%s' "$TRY_OUT" | grep -o 'is down'))" ||
	diag "$TRY_OUT"

if command -v setpriv >/dev/null; then
	TRY_OUT=$(tb_exec coord setpriv --bounding-set=-net_raw timeout 5 "$DICAP_BIN/dicap-coord" -f \
		--insecure --no-announce -l 127.0.0.1:17467 --select rr --inject-dev "$TB_INJECT_DEV" 2>&1)
	TRY_RC=$?
	ok $((TRY_RC == 1)) "without CAP_NET_RAW: exit 1 naming the capability" ||
		diag "$TRY_OUT"
	printf '%s' "$TRY_OUT" | grep -q CAP_NET_RAW || diag "no mention of CAP_NET_RAW: $TRY_OUT"
else
	tap_result 1 "# SKIP setpriv not installed"
fi

TRY_OUT=$(tb_exec coord timeout 1 "$DICAP_BIN/dicap-coord" -f --insecure --no-announce \
	-l 127.0.0.1:17467 --select rr 2>&1)
is "$(printf '%s\n' "$TRY_OUT" | grep -c 'round-robin without --inject-dev')" 1 \
	"round-robin without --inject-dev: logged once that it rests on the clocks"

# ---- helpers --------------------------------------------------------------

coord_ctr() {	# coord_ctr NAME: one of the coordinator's counters
	tb_coord_status ".counters.$1"
}

# after_marker: wait until the coordinator has just sent a marker, so that
# the next one (a resync) is about --marker-interval away.
after_marker() {
	local n0

	n0=$(coord_ctr markers_sent) || return 1
	tb_wait_until "[ \"\$(coord_ctr markers_sent)\" -gt $n0 ] 2>/dev/null" 5000
}

# snapshot FILE: node_ctrs 1 2 3 4 into FILE at one moment of the stream;
# SNAP_MARKERS: markers sent by then.  A marker changes every node's
# counters and C at the same frame, but reaches the nodes a little after
# the coordinator counts it sent, so an unchanged markers_sent alone does
# not prove that no marker arrived between two nodes' reads.  Two passes
# over the nodes that read alike, with markers_sent the same before and
# after both, do: no node's counters moved between its two reads, and
# those intervals overlap.  Retried for up to 10 s.
snapshot_try() {
	local n0 pass

	n0=$(coord_ctr markers_sent) || return 1
	node_ctrs 1 2 3 4 >"$SNAP_FILE.a"
	node_ctrs 1 2 3 4 >"$SNAP_FILE.b"
	SNAP_MARKERS=$(coord_ctr markers_sent) || return 1
	[ "$n0" = "$SNAP_MARKERS" ] && cmp -s "$SNAP_FILE.a" "$SNAP_FILE.b"
}

snapshot() {
	SNAP_FILE=$1
	tb_wait_until snapshot_try 10000 || return 1
	mv "$1.a" "$1"
	rm -f "$1.b"
}

# ctr FILE I FIELD: a field of node I in a node_ctrs output (seen, sel, ok,
# bad, c, epoch).
ctr() {
	awk -v i="$2" -v f="$3" '
		BEGIN { split("seen sel ok bad c epoch", n); for (k in n) col[n[k]] = k + 1 }
		$1 == i { print $col[f] }' "$1"
}

# node_ctrs I...: "I SEEN SELECTED OK BAD C EPOCH" per node.
node_ctrs() {
	local i

	for i in "$@"; do
		printf '%s %s\n' "$i" "$(tb_node_status "$i" '"\(.datapath.counters.seen) \(.datapath.counters.selected) \(.datapath.counters.markers_ok) \(.datapath.counters.markers_bad) \(.datapath.rr_counter) \(.datapath.program_epoch)"')"
	done
}

ctr_delta() {	# ctr_delta BEFORE AFTER I FIELD
	echo $(($(ctr "$2" "$3" "$4") - $(ctr "$1" "$3" "$4")))
}

# pcap_markers FILE: "EPOCH SRCMAC TOKEN LEN HEX" per 0x88B5 frame.
pcap_markers() {
	perl -e '
		use strict;
		open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
		my $gh;
		read($fh, $gh, 24) == 24 or exit 0;
		my $fmt = unpack("V", $gh) == 0xa1b2c3d4 || unpack("V", $gh) == 0xa1b23c4d ? "V4" : "N4";
		my ($rh, $d);
		while (read($fh, $rh, 16) == 16) {
			my (undef, undef, $incl, $orig) = unpack($fmt, $rh);
			read($fh, $d, $incl) == $incl or die "truncated\n";
			next unless $incl >= 38 && unpack("n", substr($d, 12, 2)) == 0x88b5;
			next unless substr($d, 14, 4) eq "DCMK";
			printf "%u %s %s %u %s\n", unpack("N", substr($d, 18, 4)),
				unpack("H12", substr($d, 6, 6)), unpack("H32", substr($d, 22, 16)),
				$orig, unpack("H*", $d);
		}' "$1"
}

# forged EPOCH COUNT: COUNT markers of EPOCH with random tokens, in hex.
forged() {
	perl -e '
		my ($epoch, $n) = @ARGV;
		for (1 .. $n) {
			my $tok = join("", map { chr(int(rand(256))) } 1 .. 16);
			my $f = pack("H12 H12 n", "ffffffffffff", "020000006666", 0x88b5) .
				"DCMK" . pack("N", $epoch) . $tok;
			$f .= "\0" x (60 - length($f));
			print unpack("H*", $f), "\n";
		}' "$1" "$2"
}

# ---- one round ------------------------------------------------------------

round() {
	local m=$1 d=$TB_DIR/$1 i up=1 line ok1 n0 n1 e cur old mac
	local -a sel mok mbad rrc

	mkdir -p "$d"
	TB_XDP_MODE=$m
	tb_tcpdump_start "markers.$m" coord "$TB_INJECT_DEV" "$d/markers.pcap" ether proto 0x88b5 || up=0
	tb_start_analyzer -w "$d/cap.pcap" || up=0
	tb_start_coord --select rr --marker-interval 1000 || up=0
	for i in 1 2 3; do
		after_marker || diag "$m: no marker within 5 s before starting node$i"
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=0
	done
	ok $up "$m: analyzer, coordinator (--select rr --inject-dev $TB_INJECT_DEV), 3 dicapd --capture start"

	tb_wait_until "tb_dp_ready 1 2 3" 15000
	ok $(($? == 0)) "$m: 3 nodes agree, their programs switched to the epoch at its marker" ||
		diag "$TB_WHY"

	# -- 1: a stream with a join
	tb_gen_start --count "$COUNT" --rate "$RATE" --mix "$MIX" --size 60-200 --flows 200 \
		--seed 11 -w "$d/sent1.pcap"
	sleep 1
	after_marker || diag "$m: no marker within 5 s before starting node4"
	tb_start_node 4 --capture --snaplen "$SNAPLEN" || diag "$m: node4 does not start"
	tb_wait_until "tb_members_are 4 1 2 3 4 && tb_dp_ready 1 2 3 4" 10000
	ok $(($? == 0)) "$m: node4 joined; 4 nodes switched at the marker within $TB_WAIT_MS ms" ||
		diag "$TB_WHY"
	tb_gen_wait || diag "$m: dicap-gen failed"
	# at once: C is then (most likely) the frames since the last resync
	snapshot "$d/ctr1.txt" || diag "$m: no quiet moment for a snapshot"
	tb_wait_delivered ana "$COUNT" 20000 ||
		diag "$m: the analyzer has $TB_DELIVERED records of $COUNT"
	for i in 1 2 3 4; do
		sel[i]=$(ctr "$d/ctr1.txt" "$i" sel)
		mok[i]=$(ctr "$d/ctr1.txt" "$i" ok)
		mbad[i]=$(ctr "$d/ctr1.txt" "$i" bad)
		rrc[i]=$(ctr "$d/ctr1.txt" "$i" c)
	done

	is "$((sel[1] + sel[2] + sel[3] + sel[4]))" "$COUNT" \
		"$m: the nodes selected the $COUNT frames once between them" ||
		diag "$(cat "$d/ctr1.txt")"
	ok $((sel[4] > 0 && sel[4] < COUNT / 4)) "$m: the join took effect mid-stream (node4 selected ${sel[4]})"
	ok $((mok[1] > 0 && mok[2] > 0 && mok[3] > 0 && mok[4] > 0 &&
		mbad[1] + mbad[2] + mbad[3] + mbad[4] == 0)) \
		"$m: every node accepted markers (${mok[1]} ${mok[2]} ${mok[3]} ${mok[4]}), none rejected" ||
		diag "$(cat "$d/ctr1.txt")"
	ok $((rrc[1] == rrc[2] && rrc[2] == rrc[3] && rrc[3] == rrc[4])) \
		"$m: the round-robin count agrees on all nodes (${rrc[1]} ${rrc[2]} ${rrc[3]} ${rrc[4]})"
	cur=$(ctr "$d/ctr1.txt" 1 epoch)

	# the markers on the wire: those sent TB_TCPDUMP_SETTLE_MS before tcpdump
	# stops are in its file; the later ones may be
	n0=$(coord_ctr markers_sent)
	tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
	tb_tcpdump_stop "markers.$m"
	n1=$(coord_ctr markers_sent)
	pcap_markers "$d/markers.pcap" >"$d/markers.txt"
	mac=$(ip -n "$(tb_ns coord)" -j link show dev "$TB_INJECT_DEV" | jq -r '.[0].address' | tr -d :)
	line=$(awk -v mac="$mac" '
		$2 != mac || $4 != 60 { bad++ }
		{ if (($1 in tok) && tok[$1] != $3) bad++; tok[$1] = $3; n++ }
		END {
			for (e in tok) for (f in tok) if (e < f && tok[e] == tok[f]) bad++
			printf "%d %d\n", n, bad
		}' "$d/markers.txt")
	set -- $line
	ok $(($1 >= n0 && $1 <= n1 && $2 == 0)) \
		"$m: $1 markers on the wire (coordinator: $n0..$n1 sent), 60 bytes from $TB_INJECT_DEV, one token per epoch" ||
		diag "$(head -n 3 "$d/markers.txt")"
	diag "$m: epochs with a marker: $(awk '{ print $1 }' "$d/markers.txt" | uniq -c | awk '{ printf "%s(x%s) ", $2, $1 }')"
	old=$(awk -v cur="$cur" '$1 < cur { l = $5 } END { print l }' "$d/markers.txt")

	# -- 2: forged markers in a second stream
	{
		forged "$cur" 40
		forged $((cur - 1)) 40
		forged $((cur + 1)) 20
		for i in $(seq 20); do echo "$old"; done
	} | shuf >"$d/forged.hex"
	awk -v cur="$cur" '$1 == cur { l = $5 } END { for (i = 0; i < n; i++) print l }' \
		n="$N_REPLAY_CUR" "$d/markers.txt" >"$d/replay_cur.hex"
	ok $(($(wc -l <"$d/forged.hex") == N_BAD && $(grep -c . "$d/replay_cur.hex") == N_REPLAY_CUR &&
		${#old} == 120)) "$m: $N_BAD forged markers and $N_REPLAY_CUR replays of the current one made"

	snapshot "$d/ctr2a.txt" || diag "$m: no quiet moment for a snapshot"
	n0=$SNAP_MARKERS
	tb_gen_start --count "$COUNT2" --rate "$RATE" --mix "$MIX" --size 60-200 --flows 200 \
		--seed 12 --seq-start "$SEQ2" -w "$d/sent2.pcap"
	sleep 0.3
	cat "$d/forged.hex" "$d/replay_cur.hex" | tb_rawsend gen gen0 200 >"$d/rawsend.out"
	tb_gen_wait || diag "$m: dicap-gen failed"
	snapshot "$d/ctr2b.txt" || diag "$m: no quiet moment for a snapshot"
	n1=$SNAP_MARKERS
	tb_wait_delivered ana $((COUNT + COUNT2)) 20000 ||
		diag "$m: the analyzer has $TB_DELIVERED records of $((COUNT + COUNT2))"
	local bad_ok=1 ok_ok=1 seen_ok=1 same_ok=1 sum=0 want_ok=$((n1 - n0 + N_REPLAY_CUR)) k
	for i in 1 2 3 4; do
		[ "$(ctr_delta "$d/ctr2a.txt" "$d/ctr2b.txt" "$i" bad)" = "$N_BAD" ] || bad_ok=0
		[ "$(ctr_delta "$d/ctr2a.txt" "$d/ctr2b.txt" "$i" ok)" = "$want_ok" ] || ok_ok=0
		[ "$(ctr_delta "$d/ctr2a.txt" "$d/ctr2b.txt" "$i" seen)" = $((COUNT2 + N_BAD + N_REPLAY_CUR + n1 - n0)) ] || seen_ok=0
		sum=$((sum + $(ctr_delta "$d/ctr2a.txt" "$d/ctr2b.txt" "$i" sel)))
		for k in epoch c; do
			[ "$(ctr "$d/ctr2b.txt" "$i" "$k")" = "$(ctr "$d/ctr2b.txt" 1 "$k")" ] || same_ok=0
		done
	done
	ok $bad_ok "$m: every node rejected the $N_BAD forged markers" ||
		diag "before: $(cat "$d/ctr2a.txt")" "after: $(cat "$d/ctr2b.txt")"
	ok $ok_ok "$m: every node accepted the $N_REPLAY_CUR current replays and the coordinator's $((n1 - n0)) resyncs" ||
		diag "before: $(tr '\n' ';' <"$d/ctr2a.txt") after: $(tr '\n' ';' <"$d/ctr2b.txt")"
	ok $((seen_ok && same_ok && sum == COUNT2 && $(ctr "$d/ctr2b.txt" 1 epoch) == cur)) \
		"$m: nothing changed: every node saw every frame, $sum of $COUNT2 selected once, epoch $cur, C agrees ($(ctr "$d/ctr2b.txt" 1 c))" ||
		diag "$(cat "$d/ctr2b.txt")"
	ok $(($(tb_coord_status .counters.marker_errors) == 0)) "$m: the coordinator had no marker send errors"

	# -- the analyzer's records against both streams
	local per_ok=1 id rec
	for i in 1 2 3 4; do
		id=$(tb_node_status "$i" .node_id)
		rec=$(tb_ana_stats ana ".nodes[] | select(.id == \"$id\") | \"\(.gaps) \(.duplicates) \(.malformed)\"")
		[ "$rec" = "0 0 0" ] || { per_ok=0; diag "node$i ($id): gaps dups malformed = '$rec'"; }
	done
	tb_stop_analyzer ana
	{ tb_pcap_seqs "$d/sent1.pcap"; tb_pcap_seqs "$d/sent2.pcap"; } >"$d/sent.seq"
	tb_pcap_seqs "$d/cap.pcap" >"$d/cap.seq"
	line=$(tb_seq_compare "$d/sent.seq" "$d/cap.seq")
	is "$line $(grep -c none "$d/cap.seq") $per_ok" "0 0 0 0 1" \
		"$m: the analyzer's $(wc -l <"$d/cap.seq") records are the $((COUNT + COUNT2)) frames sent (missing dup unknown, no marker, no batch gap)" ||
		diag "phase 1: $(awk -v s="$SEQ2" '$1 < s' "$d/cap.seq" | wc -l) records, phase 2: $(awk -v s="$SEQ2" '$1 >= s' "$d/cap.seq" | wc -l)"
	tb_stop_daemons
}

for m in $MODES; do
	round "$m"
done

done_testing
