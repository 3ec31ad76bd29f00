#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B5: the collection side.  dicap-analyzer's ingest in records per second
# per core, over UDP and over TCP, driven by tests/tools/dicap-batchsend
# over loopback (analyzer pinned to CPU 1, sender to CPU 0); and the
# coordinator with many simulated nodes (bench/coord-scale.sh, whose
# results are folded in).  Root is not needed.  Writes b5-ingest.md and
# b5-ingest.png.  Environment: RECORDS (10000000), REPEATS (5),
# COORD=0 to skip coord-scale.sh (then its last results are quoted).
set -eu
BENCH_NAME=b5-ingest
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-10000000}
REPEATS=${REPEATS:-5}
COORD=${COORD:-1}
[ "$SMOKE" = 1 ] && RECORDS=100000 REPEATS=1
for p in "$DICAP_BIN/dicap-analyzer" "$DICAP_TOOLS/dicap-batchsend"; do
	[ -x "$p" ] || bench_die "$p not built"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/dicap-b5.XXXXXX")
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

# one TRANSPORT REP: prints "TRANSPORT RECORDS_RECEIVED CPU_S WALL_S SENT"
one() {
	local tr=$1 port t0 t1 w0 w1 recs sent opt=

	port=$(bench_free_port)
	[ "$tr" = tcp ] && opt="--transport tcp"
	# shellcheck disable=SC2086
	taskset -c "$acpu" "$DICAP_BIN/dicap-analyzer" -q -l "127.0.0.1:$port" -w /dev/null \
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
		--nodes 4 --count "$RECORDS" --snaplen 96 --size 128 | jq -r .sent_records)
	sleep 0.5	# the analyzer drains its socket
	t1=$(ticks "$apid")
	w1=${EPOCHREALTIME/./}
	kill -TERM "$apid"
	wait "$apid" || true
	apid=
	recs=$(jq -r .totals.records "$work/ana.json")
	awk -v tr="$tr" -v r="$recs" -v c=$((t1 - t0)) -v hz="$hz" -v w=$((w1 - w0)) -v s="$sent" \
		'BEGIN { printf "%s %d %.2f %.3f %d\n", tr, r, c / hz, (w - 500000) / 1e6, s }'
}

bench_wait_quiet
for rep in $(seq 1 "$REPEATS"); do
	for tr in udp tcp; do
		one "$tr" | tee -a "$work/raw.txt" >&2
	done
done
cp "$work/raw.txt" "$BENCH_OUT/b5-ingest.raw.txt"
awk '{ print $1 ":percore", ($3 > 0 ? $2 / $3 : 0); print $1 ":loss", 100 * ($5 - $2) / $5;
	print $1 ":wall", $2 / $4 }' "$work/raw.txt" | bench_stats >"$work/stats.txt"
val() {
	awk -v k="$1" -v f="$2" '$1 == k {
		if ($5 > 1) printf f " (" f "-" f ")", $2, $3, $4; else printf f, $2 }' "$work/stats.txt"
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
RECORDS=$RECORDS REPEATS=$REPEATS bench/b5-ingest.sh
# per repeat and transport:
taskset -c $acpu dicap-analyzer -q -l 127.0.0.1:PORT -w /dev/null --json [--transport tcp]
taskset -c 0 dicap-batchsend -s 127.0.0.1:PORT [--tcp] --nodes 4 --count $RECORDS --snaplen 96 --size 128
\`\`\`

Four simulated nodes send $RECORDS records of 96 captured bytes (128-byte
frames) in 1472-byte batches as fast as they can over loopback; the
analyzer merges them by time stamp (200 ms reorder window) and writes one
pcap stream to /dev/null. **Records per core-second** is the records the
analyzer received divided by its own CPU time (utime + stime from
/proc/PID/stat, 100 Hz ticks); **wall** is records per second of the run;
**loss** is what the sender sent and the analyzer never got (over UDP, the
socket buffer overflows when the sender is faster: the analyzer counts these
as gaps). Median of $REPEATS repeats, range in brackets.

| Transport | records per core-second | records per second (wall) | loss % |
|---|---:|---:|---:|
| UDP | $(val udp:percore %.0f) | $(val udp:wall %.0f) | $(val udp:loss %.2f) |
| TCP | $(val tcp:percore %.0f) | $(val tcp:wall %.0f) | $(val tcp:loss %.2f) |

![B5](b5-ingest.png)

*Analyzer records per core-second, per repeat, UDP and TCP, on the
machine above.*

One analyzer core thus takes the headers of $(awk '$1 == "udp:percore" { printf "%.1f", $2 / 1e6 }' "$work/stats.txt") million frames a
second over UDP: the capture traffic of several nodes at the rates of B1.

## Coordinator

From \`bench/coord-scale.sh\` (its full report: [coord-scale.md](coord-scale.md)):

$(sed -n '/^| Measure/,/^$/p' "$coord_md" 2>/dev/null || echo "(coord-scale.md not found)")
MD
} >"$BENCH_OUT/b5-ingest.md"

awk '{ print NR, $1, ($3 > 0 ? $2 / $3 : 0) }' "$work/raw.txt" >"$work/plot.dat"
bench_plot <<GP
set terminal pngcairo size 700,420 font ",10" noenhanced
set output "$BENCH_OUT/b5-ingest.png"
set title "B5: analyzer ingest, records per core-second"
set ylabel "records per CPU second"
set xlabel "repeat"
set grid
set yrange [0:*]
plot "< awk '\$2 == \"udp\"' $work/plot.dat" u (\$0 + 1):3 w lp t "UDP", \
     "< awk '\$2 == \"tcp\"' $work/plot.dat" u (\$0 + 1):3 w lp t "TCP"
GP
bench_log "wrote $BENCH_OUT/b5-ingest.md"
