#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B5: the collection side.  dicap-analyzer's ingest in records per second
# per core, over UDP and over TCP, driven by tests/tools/dicap-batchsend
# over loopback (analyzer pinned to CPU 1, sender to CPU 0); and the
# coordinator with many simulated nodes (bench/coord-scale.sh, whose
# results are folded in).  Root is not needed.  Writes b5-ingest.md and
# b5-ingest.png.  Environment: RECORDS (10000000), REPEATS (5),
# COORD=0 to skip coord-scale.sh (then its last results are quoted),
# BASE_ANALYZER=PATH: another dicap-analyzer (e.g. a build of an older
# commit) run in the same repeats, alternating with this one, so that the
# two compare on the same load.  Besides 1472-byte batches (an Ethernet
# MTU), UDP also runs with 8972-byte ones (a jumbo MTU: dicapd fills the
# path MTU).  BASE_ANALYZER_DESC says in the report what it is.
set -eu
BENCH_NAME=b5-ingest
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-10000000}
REPEATS=${REPEATS:-5}
COORD=${COORD:-1}
BASE_ANALYZER=${BASE_ANALYZER:-}
BASE_ANALYZER_DESC=${BASE_ANALYZER_DESC:-$BASE_ANALYZER}
[ "$SMOKE" = 1 ] && RECORDS=100000 REPEATS=1
for p in "$DICAP_BIN/dicap-analyzer" "$DICAP_TOOLS/dicap-batchsend" ${BASE_ANALYZER:+"$BASE_ANALYZER"}; do
	[ -x "$p" ] || bench_die "$p not built"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/dicap-b5.XXXXXX")
# dicap-analyzer, started as root, writes its files as nobody (dicap-analyzer(8) --user)
chmod 0777 "$work"
apid=
cleanup() {
	[ -n "$apid" ] && kill -TERM "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
hz=$(getconf CLK_TCK)
cpus=$(nproc)
acpu=$((cpus > 1 ? 1 : 0))

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# one WHO TRANSPORT BATCH: prints "WHO:TRANSPORT:BATCH RECORDS_RECEIVED CPU_S WALL_S SENT"
one() {
	local who=$1 tr=$2 batch=$3 ana=$DICAP_BIN/dicap-analyzer port t0 t1 w0 w1 recs sent opt=

	[ "$who" = base ] && ana=$BASE_ANALYZER
	port=$(bench_free_port)
	[ "$tr" = tcp ] && opt="--transport tcp"
	# shellcheck disable=SC2086
	taskset -c "$acpu" "$ana" -q -l "127.0.0.1:$port" -w /dev/null \
		--json $opt >"$work/ana.json" 2>"$work/ana.err" &
	apid=$!
	for _ in $(seq 50); do
		ss -Hlntu "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	t0=$(ticks "$apid")
	w0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2086
	sent=$(taskset -c 0 "$DICAP_TOOLS/dicap-batchsend" -s "127.0.0.1:$port" $([ "$tr" = tcp ] && echo --tcp) \
		--nodes 4 --count "$RECORDS" --snaplen 96 --size 128 --max-bytes "$batch" | jq -r .sent_records)
	sleep 0.5	# the analyzer drains its socket
	t1=$(ticks "$apid")
	w1=${EPOCHREALTIME/./}
	kill -TERM "$apid"
	wait "$apid" || true
	apid=
	recs=$(jq -r .totals.records "$work/ana.json")
	awk -v k="$who:$tr:$batch" -v r="$recs" -v c=$((t1 - t0)) -v hz="$hz" -v w=$((w1 - w0)) -v s="$sent" \
		'BEGIN { printf "%s %d %.2f %.3f %d\n", k, r, c / hz, (w - 500000) / 1e6, s }'
}

bench_wait_quiet
whos="new${BASE_ANALYZER:+ base}"
for rep in $(seq 1 "$REPEATS"); do
	for case in udp:1472 tcp:1472 udp:8972; do
		for who in $whos; do
			one "$who" "${case%:*}" "${case#*:}" | tee -a "$work/raw.txt" >&2
		done
	done
done
cp "$work/raw.txt" "$BENCH_OUT/b5-ingest.raw.txt"
awk '{ print $1 ":percore", ($3 > 0 ? $2 / $3 : 0); print $1 ":ns", ($2 > 0 ? 1e9 * $3 / $2 : 0)
	print $1 ":loss", 100 * ($5 - $2) / $5; print $1 ":wall", $2 / $4 }' "$work/raw.txt" |
	bench_stats >"$work/stats.txt"
val() {
	awk -v k="$1" -v f="$2" '$1 == k {
		if ($5 > 1) printf f " (" f "-" f ")", $2, $3, $4; else printf f, $2 }' "$work/stats.txt"
}
# row WHO TRANSPORT BATCH LABEL: a line of the table
row() {
	local k=$1:$2:$3

	echo "| $4 | $2 | $3 | $(val "$k:percore" %.0f) | $(val "$k:ns" %.0f) | $(val "$k:wall" %.0f) | $(val "$k:loss" %.2f) |"
}
rows() {
	local who label

	for who in $whos; do
		label="this tree"
		[ "$who" = base ] && label="BASE_ANALYZER"
		row "$who" udp 1472 "$label"
		row "$who" tcp 1472 "$label"
		row "$who" udp 8972 "$label"
	done
}

coord_md=$BENCH_OUT/coord-scale.md
if [ "$COORD" = 1 ]; then
	if [ "$SMOKE" = 1 ]; then
		NODES=64 CPU_SECONDS=2 CHURN=1 OUT=$coord_md "$BENCH_REPO/bench/coord-scale.sh" >/dev/null ||
			bench_die "coord-scale.sh failed"
	else
		OUT=$coord_md "$BENCH_REPO/bench/coord-scale.sh" >/dev/null || bench_die "coord-scale.sh failed"
	fi
fi

{
cat <<MD
# B5: the collection and control side

Produced by \`bench/b5-ingest.sh\`.

## Machine

$(bench_machine)

## Analyzer ingest

\`\`\`
RECORDS=$RECORDS REPEATS=$REPEATS${BASE_ANALYZER:+ BASE_ANALYZER=$BASE_ANALYZER} bench/b5-ingest.sh
# per repeat, transport and batch size (1472: udp and tcp; 8972: udp)$( [ -n "$BASE_ANALYZER" ] && echo ", this tree's analyzer then BASE_ANALYZER")
taskset -c $acpu dicap-analyzer -q -l 127.0.0.1:PORT -w /dev/null --json [--transport tcp]
taskset -c 0 dicap-batchsend -s 127.0.0.1:PORT [--tcp] --nodes 4 --count $RECORDS --snaplen 96 --size 128 --max-bytes BATCH
\`\`\`
$( [ -n "$BASE_ANALYZER" ] && echo "
BASE_ANALYZER: $BASE_ANALYZER_DESC
")
Four simulated nodes send $RECORDS records of 96 captured bytes (128-byte
frames) in batches of at most BATCH bytes as fast as they can over loopback; the
analyzer merges them by time stamp (200 ms reorder window) and writes one
pcap stream to /dev/null. **Records per core-second** is the records the
analyzer received divided by its own CPU time (utime + stime from
/proc/PID/stat, 100 Hz ticks); **ns per record** is its inverse, the
analyzer's CPU per record; **wall** is records per second of the run;
**loss** is what the sender sent and the analyzer never got (over UDP, the
socket buffer overflows when the sender is faster: the analyzer counts these
as gaps). Median of $REPEATS repeats, range in brackets.

| Analyzer | Transport | Batch bytes | records per core-second | ns per record | records per second (wall) | loss % |
|---|---|---:|---:|---:|---:|---:|
$(rows)

![B5](b5-ingest.png)

*Analyzer records per core-second, per repeat, UDP and TCP (1472-byte
batches), on the machine above.*

One analyzer core thus takes the headers of $(awk '$1 == "new:udp:1472:percore" { printf "%.1f", $2 / 1e6 }' "$work/stats.txt") million frames a
second over UDP in 1472-byte batches, $(awk '$1 == "new:udp:8972:percore" { printf "%.1f", $2 / 1e6 }' "$work/stats.txt") million in jumbo ones.

## Coordinator

From \`bench/coord-scale.sh\` (its full report: [coord-scale.md](coord-scale.md)):

$(sed -n '/^| Measure/,/^$/p' "$coord_md" 2>/dev/null || echo "(coord-scale.md not found)")
MD
} >"$BENCH_OUT/b5-ingest.md"

series=
for k in new:udp:1472 new:tcp:1472 ${BASE_ANALYZER:+base:udp:1472 base:tcp:1472}; do
	awk -v k="$k" '$1 == k { print ++n, ($3 > 0 ? $2 / $3 : 0) }' "$work/raw.txt" >"$work/$k.dat"
	t="$(echo "${k%:*}" | sed 's/^new://; s/^base:\(.*\)/\1, BASE_ANALYZER/' | tr a-z A-Z)"
	series="$series${series:+, }\"$work/$k.dat\" u 1:2 w lp t \"$t\""
done
bench_plot <<GP
set terminal pngcairo size 700,420 font ",10" noenhanced
set output "$BENCH_OUT/b5-ingest.png"
set title "B5: analyzer ingest, records per core-second"
set ylabel "records per CPU second"
set xlabel "repeat"
set grid
set yrange [0:*]
plot $series
GP
bench_log "wrote $BENCH_OUT/b5-ingest.md"
