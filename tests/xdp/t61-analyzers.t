#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Several analyzers: dicap-coord --analyzer three times, 3 nodes capturing
# a steady stream (TB_ANAS_RATE, 15,000 frames/s), over UDP and over TCP
# (TB_TRANSPORTS).  Each node sends each header batch to one analyzer,
# round-robin, numbered per analyzer (dicapd(8), "Capture").
#   1. while the three run, each gets batches from every node, and none
#      counts a sequence gap;
#   2. analyzer 2 goes away mid-stream (SIGTERM: it drains its sockets and
#      closes its file, so what it got is exactly known; the nodes see what
#      they would after a crash: the port is closed).  UDP: a node learns
#      it from the next send to it (ECONNREFUSED, from the ICMP port
#      unreachable), skips it, and retries it after 1 s, then after 2 s,
#      4 s, 4 s...: each try costs the one batch sent before the ICMP error
#      came back.  TCP: the connection breaks (what reached analyzer 2's
#      socket after its last read is lost with it), and the retries are
#      connects, which send nothing.  Everything else goes to analyzers 1
#      and 3, which count no gap;
#   3. mergecap of the three files against what dicap-gen sent: no frame
#      twice, none unknown, and the missing frames are exactly the records
#      of the batches the nodes numbered for analyzer 2 that it never got
#      (node records_sent minus what the analyzers got, per node; node
#      batches for analyzer 2 minus what it got), all sent around the stop
#      or around one of a node's retries: no loss the sequence numbers do
#      not show.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

RATE=${TB_ANAS_RATE:-15000}
TRANSPORTS=${TB_TRANSPORTS:-udp tcp}
SECONDS_STREAM=6
STOP_AFTER_S=2
COUNT=$((RATE * SECONDS_STREAM))
SNAPLEN=128
# dicapd's back-off (node/dicapd/capture.h): first retry after 1 s, then
# doubling up to 4 s.
RETRY_MS=1000
RETRY_MAX_MS=4000
# A lost record's frame was sent at most this long before its batch left
# the node (flush interval 50 ms and the ring's wakeups, on a loaded
# machine), or after the try that lost it (the ICMP error on its way back).
WINDOW_BEFORE_MS=${TB_ANAS_WINDOW_BEFORE_MS:-1000}
WINDOW_AFTER_MS=${TB_ANAS_WINDOW_AFTER_MS:-300}

tb_init_tap dicap-gen dicap-analyzer
command -v mergecap >/dev/null || bail_out "mergecap not installed (tests/check-tools.sh e2e)"
plan $((1 + 14 * $(echo $TRANSPORTS | wc -w)))

now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

# ana_records: what analyzers 1 and 3 (the ones that stay) have received.
ana_records() {
	echo $(($(tb_ana_stats a1 .totals.records 2>/dev/null || echo 0) +
		$(tb_ana_stats a3 .totals.records 2>/dev/null || echo 0)))
}

# quiet_for MS DEADLINE_MS: wait until analyzers 1 and 3 have received
# nothing new for MS (their statistics are written every second).
quiet_for() {
	local quiet=$1 deadline=$2 t0 last=-1 since now n

	t0=$(tb_now_ms)
	while :; do
		n=$(ana_records)
		now=$(tb_now_ms)
		if [ "$n" != "$last" ]; then
			last=$n
			since=$now
		fi
		[ $((now - since)) -ge "$quiet" ] && return 0
		[ $((now - t0)) -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

round() {
	local t=$1 d=$TB_DIR/$1 up=1 a i id sent got nb ab lb n_an before start_ns stop_ns end_ns
	local gone_ns gone_ms unsent lost_records lost_batches live_diff report gaps13 after missing tries c b outside down

	mkdir -p "$d"
	for a in a1 a2 a3; do
		tb_start_analyzer -n "$a" -w "$d/$a.pcap" --transport "$t" || up=0
	done
	tb_start_coord --select flow || up=0
	for i in 1 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" --transport "$t" || up=0
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=0; diag "$TB_WHY"; }
	ok $up "$t: 3 nodes capture, 3 analyzers: ${TB_ANALYZERS[*]}"
	n_an=$(for i in 1 2 3; do tb_node_status "$i" '.analyzers | join(",")'; done | sort -u)
	is "$n_an" "$(IFS=,; echo "${TB_ANALYZERS[*]}")" "$t: every node has the three analyzers, in the coordinator's order"

	tb_gen_start --count "$COUNT" --rate "$RATE" --mix all --size 60-"$SNAPLEN" --flows 1000 --seed 61 \
		-w "$d/sent.pcap"
	start_ns=$(now_ns)
	sleep "$STOP_AFTER_S"
	# Before the stop: every analyzer hears from every node, without gaps.
	for a in a1 a2 a3; do
		tb_wait_until "[ \"\$(tb_ana_stats $a '.nodes | length')\" = 3 ]" 3000
	done
	before=$(for a in a1 a2 a3; do tb_ana_stats "$a" '"\(.totals.nodes) \(.totals.batches) \(.totals.gaps)"'; done |
		tr '\n' ' ')
	diag "before the stop (nodes batches gaps) a1 a2 a3: $before"
	set -- $before
	ok $(($1 == 3 && $4 == 3 && $7 == 3 && $2 > 0 && $5 > 0 && $8 > 0 && $3 + $6 + $9 == 0)) \
		"$t: each analyzer gets batches from the 3 nodes, with no sequence gap"

	stop_ns=$(now_ns)
	tb_stop_analyzer a2
	ok $(($? == 0)) "$t: analyzer 2 stops on SIGTERM $(((stop_ns - start_ns) / 1000000)) ms into the stream"
	gone_ns=$(now_ns)
	diag "$t: it was gone $(((gone_ns - stop_ns) / 1000000)) ms after the signal"
	cp "${TB_ANA_STATS[a2]}" "$d/a2.json"

	tb_gen_wait
	ok $(($? == 0)) "$t: dicap-gen sent $COUNT frames at $RATE/s"
	end_ns=$(now_ns)
	quiet_for 2500 20000
	for i in 1 2 3; do
		tb_node_status "$i" >"$d/node$i.json"
	done
	tb_stop_analyzer a1
	tb_stop_analyzer a3
	cp "${TB_ANA_STATS[a1]}" "$d/a1.json"
	cp "${TB_ANA_STATS[a3]}" "$d/a3.json"
	tb_stop_daemons

	unsent=$(jq -s 'map(.datapath.counters.records_unsent) | add' "$d"/node[123].json)
	is "$unsent" 0 "$t: no batch found no analyzer to take it (records_unsent)"

	# Per node: records handed to the sockets minus records the analyzers
	# got; batches handed to analyzer 2's socket minus batches it got; and for
	# analyzers 1 and 3 both must be equal.
	lost_records=0 lost_batches=0 live_diff=0 report=
	for i in 1 2 3; do
		id=$(tb_node_id "$i")
		sent=$(jq -r .datapath.counters.records_sent "$d/node$i.json")
		got=0
		for a in a1 a2 a3; do
			got=$((got + $(jq -r --arg id "$id" '[.nodes[] | select(.id == $id) | .records] | add // 0' "$d/$a.json")))
		done
		for a in a1 a2 a3; do
			nb=$(jq -r --arg ad "${TB_ANA_ADDR[$a]}" \
				'.datapath.analyzers[] | select(.addr == $ad) | .batches' "$d/node$i.json")
			ab=$(jq -r --arg id "$id" '[.nodes[] | select(.id == $id) | .batches] | add // 0' "$d/$a.json")
			if [ "$a" = a2 ]; then
				lb=$((nb - ab))
				lost_batches=$((lost_batches + lb))
			else
				live_diff=$((live_diff + (nb > ab ? nb - ab : ab - nb)))
			fi
		done
		lost_records=$((lost_records + sent - got))
		report="$report node$i: $((sent - got)) records in $lb batches;"
	done
	diag "$t: lost to analyzer 2 after its stop:$report"
	gaps13=$(jq -s 'map(.totals.gaps) | add' "$d/a1.json" "$d/a3.json")
	is "$live_diff $gaps13" "0 0" "$t: analyzers 1 and 3 got every batch the nodes sent them, with no sequence gap"
	is "$(jq -r .totals.gaps "$d/a2.json")" 0 "$t: analyzer 2 counted no gap while it ran"
	after=$(jq -s '[.[] | .nodes[] | select(.last_seen_ns > '"$stop_ns"')] | length' "$d/a1.json" "$d/a3.json")
	is "$after" 6 "$t: after the stop, analyzers 1 and 3 both still get batches from the 3 nodes"

	mergecap -F nsecpcap -w "$d/merged.pcap" "$d/a1.pcap" "$d/a2.pcap" "$d/a3.pcap" 2>"$d/mergecap.err"
	ok $(($? == 0)) "$t: mergecap merges the three files" || diag "$(cat "$d/mergecap.err")"
	tb_pcapinfo "$d/sent.pcap" "$SNAPLEN" >"$d/sent.txt"
	tb_pcapinfo "$d/merged.pcap" "$SNAPLEN" >"$d/merged.txt"
	set -- $(tb_frames_compare "$d/sent.txt" "$d/merged.txt" "$d/missing.txt" "$d/dup.txt")
	missing=$1
	diag "$t: $(wc -l <"$d/sent.txt") frames sent, $(wc -l <"$d/merged.txt") in the merged files: $1 missing, $2 twice, $3 unknown"
	is "$2 $3" "0 0" "$t: no frame reached two analyzers or was captured twice, none unknown"
	ok $((missing == lost_records && (missing == 0) == (lost_batches == 0))) \
		"$t: the $missing missing frames are exactly the $lost_records records of the $lost_batches batches numbered for analyzer 2 after it had gone"

	# When the lost frames were sent, relative to the stop: around the stop
	# (UDP: the first send to the closed port; TCP: what the connection
	# held when it broke) or, over UDP, around a retry (1 s, 3 s, 7 s,
	# 11 s... after the first failure; over TCP a retry is a connect, which
	# sends nothing until it succeeds).
	# The nodes find the port closed once the analyzer has exited, and
	# count their retries from then: the windows are relative to its exit,
	# the first one begins at the signal.
	gone_ms=$(((gone_ns - stop_ns) / 1000000))
	awk -v s="$gone_ns" '{ printf "%d\n", ($12 - s) / 1000000 }' "$d/missing.txt" | sort -n >"$d/lost_ms.txt"
	tries="0" c=0 b=$RETRY_MS
	while [ "$t" = udp ] && [ $((c + b)) -le $(((end_ns - gone_ns) / 1000000 + WINDOW_AFTER_MS)) ]; do
		c=$((c + b))
		tries="$tries $c"
		b=$((b * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : b * 2))
	done
	outside=$(awk -v tries="$tries" -v lo="$WINDOW_BEFORE_MS" -v hi="$WINDOW_AFTER_MS" -v g="$gone_ms" '
		BEGIN { n = split(tries, t, " ") }
		{
			for (i = 1; i <= n; i++)
				if ($1 >= t[i] - lo - (i == 1 ? g : 0) && $1 <= t[i] + hi) { w[i]++; next }
			out++
		}
		END {
			for (i = 1; i <= n; i++) printf "%s ms: %d; ", t[i], w[i]
			printf "outside: %d\n", out
		}' "$d/lost_ms.txt")
	diag "$t: lost frames by try (sent ms after the analyzer exited, in [try - $WINDOW_BEFORE_MS, try + $WINDOW_AFTER_MS], the first from the signal on): $outside"
	diag "$t: lost frames sent at (ms after the exit, first and last): $(head -n 1 "$d/lost_ms.txt") .. $(tail -n 1 "$d/lost_ms.txt")"
	is "${outside##*outside: }" 0 "$t: every lost frame was sent around the stop or a retry of analyzer 2"
	if [ "$t" = udp ]; then
		ok $((lost_batches <= 3 * 2 * $(echo $tries | wc -w))) \
			"$t: at most 2 batches per node and try lost ($lost_batches over $(echo $tries | wc -w) tries by 3 nodes)"
	else
		down=$(for i in 1 2 3; do
			jq -r --arg ad "${TB_ANA_ADDR[a2]}" '"\(.datapath.counters.tcp_disconnects >= 1) \(
				.datapath.analyzers[] | select(.addr == $ad) | .state)"' "$d/node$i.json"
		done | sort -u | tr '\n' ' ')
		is "$down" "true down " "$t: each node saw its connection to analyzer 2 break and keeps it down"
	fi
}

ok_cmd "testbed with 3 nodes" tb_up 3
for t in $TRANSPORTS; do
	round "$t"
done

done_testing
