#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B4, userspace part, counted with valgrind --tool=callgrind:
# - instructions per record of dicap-analyzer's ingest (receive a batch,
#   check it, merge by time, write pcap).  Two runs with R1 and R2 records
#   over TCP (lossless), the slope (I2 - I1) / (R2 - R1) is the cost of one
#   record without the start-up; the top functions of the larger run are
#   listed.
# - instructions per record of dicapd's ring-buffer drain (capture.c's
#   ring buffer callback: record -> batch -> UDP send), by bench/drain-cost.c
#   which feeds the callback R1 and R2 records in the XDP program's record
#   format; only the callback is counted (--toggle-collect).
# Root is not needed.  Writes b4-callgrind.md.  Environment: R1 (20000),
# R2 (220000).
set -eu
BENCH_NAME=b4-callgrind
. "$(dirname "$0")/lib.sh"

R1=${R1:-20000}
R2=${R2:-220000}
[ "$SMOKE" = 1 ] && R1=2000 R2=6000
command -v valgrind >/dev/null || bench_die "needs valgrind"
work=$(mktemp -d "${TMPDIR:-/tmp}/dicap-cg.XXXXXX")
# dicap-analyzer, started as root, writes its files as nobody (dicap-analyzer(8) --user)
chmod 0777 "$work"
apid=
cleanup() {
	[ -n "$apid" ] && kill -TERM "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# count RECORDS: prints "RECORDS_RECEIVED INSTRUCTIONS"
count() {
	local n=$1 port out=$work/cg.$1

	port=$(bench_free_port)
	valgrind --tool=callgrind --callgrind-out-file="$out" "$DICAP_BIN/dicap-analyzer" -q \
		-l "127.0.0.1:$port" -w /dev/null --transport tcp --json >"$work/ana.$n.json" \
		2>"$work/vg.$n.log" &
	apid=$!
	for _ in $(seq 200); do
		ss -Hlnt "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	"$DICAP_TOOLS/dicap-batchsend" -s "127.0.0.1:$port" --tcp --nodes 4 --count "$n" \
		--snaplen 96 --size 128 >/dev/null
	sleep 2
	kill -TERM "$apid"
	wait "$apid" || true
	apid=
	echo "$(jq -r .totals.records "$work/ana.$n.json") $(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1)"
}

read -r got1 ir1 < <(count "$R1")
read -r got2 ir2 < <(count "$R2")
per=$(awk -v a="$ir1" -v b="$ir2" -v r1="$got1" -v r2="$got2" 'BEGIN { printf "%.0f", (b - a) / (r2 - r1) }')
top=$(callgrind_annotate "$work/cg.$R2" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -12)

# dicapd's drain: the harness links dicapd's capture.o.
bench_cc drain-cost "$BENCH_REPO/bench/drain-cost.c" "$BENCH_REPO/build/plain/node/dicapd/capture.o" \
	"$BENCH_REPO/build/plain/libdicap.a" \
	-g -lbpf -levent -lsodium -lm
# drain RECORDS: prints "INSTRUCTIONS" of the callback over RECORDS records
drain() {
	local out=$work/dcg.$1

	valgrind --tool=callgrind --toggle-collect='capture_ring_record*' --callgrind-out-file="$out" \
		"$BENCH_BUILD/drain-cost" "$1" 128 96 1472 >"$work/drain.$1.txt" 2>"$work/dvg.$1.log" ||
		bench_die "drain-cost under valgrind failed: $(tail -3 "$work/dvg.$1.log")"
	sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1
}
dir1=$(drain "$R1")
dir2=$(drain "$R2")
dper1=$(awk -v i="$dir1" -v r="$R1" 'BEGIN { printf "%.1f", i / r }')
dper2=$(awk -v i="$dir2" -v r="$R2" 'BEGIN { printf "%.1f", i / r }')
dslope=$(awk -v a="$dir1" -v b="$dir2" -v r1="$R1" -v r2="$R2" 'BEGIN { printf "%.0f", (b - a) / (r2 - r1) }')
read -r _ _ _ dbatches _ _ _ _ _ _ _ _ _ _ <"$work/drain.$R2.txt"
dtop=$(callgrind_annotate --auto=no "$work/dcg.$R2" 2>/dev/null | grep -E '^ *[0-9,]+ \(' |
	sed "s|$BENCH_REPO/||g; s|bench/\.\./||g" | head -8)
batch_share=$(callgrind_annotate --auto=no "$work/dcg.$R2" 2>/dev/null |
	awk -v t="$dir2" '/lib\/batch\.h:/ { gsub(",", "", $1); s += $1 } END { printf "%.0f", 100 * s / t }')
# natively, for the time (the kernel's side of send() included); median of 5
dns=$(for i in 1 2 3 4 5; do
	"$BENCH_BUILD/drain-cost" "$R2" 128 96 1472 2>/dev/null | awk '{ print "ns", $NF }'
done | bench_stats | awk '{ printf "%.0f (%.0f-%.0f)", $2, $3, $4 }')

{
cat <<MD
# B4 (userspace): instructions per record, analyzer ingest

Produced by \`bench/b4-callgrind.sh\`.

## Machine

$(bench_machine)

## Commands

\`\`\`
R1=$R1 R2=$R2 bench/b4-callgrind.sh
# for R in $R1 $R2:
valgrind --tool=callgrind dicap-analyzer -q -l 127.0.0.1:PORT -w /dev/null --transport tcp --json
dicap-batchsend -s 127.0.0.1:PORT --tcp --nodes 4 --count R --snaplen 96 --size 128
\`\`\`

Four simulated nodes send records of 96 captured bytes (128-byte frames)
over TCP; the analyzer receives, checks, merges them by time and writes
the pcap stream (to /dev/null). Instructions are callgrind's Ir, a count,
not a time: they do not depend on the load of the machine.

## Results

| Records received | Instructions (Ir) |
|---:|---:|
| $got1 | $ir1 |
| $got2 | $ir2 |

**$per instructions per record** (the slope between the two runs, so
start-up and shut-down cancel out).

Where they go (the $got2-record run, self cost per function, exclusive of
what it calls; top 12):

\`\`\`
$top
\`\`\`

## dicapd's ring-buffer drain

\`\`\`
# for R in $R1 $R2:
valgrind --tool=callgrind --toggle-collect='capture_ring_record*' build/bench/drain-cost R 128 96 1472
\`\`\`

\`bench/drain-cost.c\` compiles node/dicapd/capture.c into itself and calls
its ring buffer callback, \`capture_ring_record()\`, once per record, as
libbpf's \`ring_buffer__consume()\` does: a record in the XDP program's
format (\`struct dicap_xdp_rec\`, include/dicap/xdp_kern_user.h) of a 128-byte frame,
96 bytes captured, in a 112-byte sample (the size dicapd's program
reserves at a 96-byte snaplen). The callback appends it to the batch
(lib/batch.h) and, when the batch is full ($(awk -v b="$dbatches" -v r="$R2" 'BEGIN { printf "%.0f", r / b }') records of
96 bytes in 1472 bytes), sends it with \`send()\` on a connected UDP socket
to one analyzer: here a socket of the harness on 127.0.0.1, read between
chunks of records outside the callback. Every batch received is decoded,
and the run fails unless every record arrived once. Only the callback and
what it calls are counted: not the harness, not libbpf's own loop over
the ring (a record's length word and the consumer position), and not the
kernel's side of \`send()\`, which callgrind does not see.

| Records | Instructions in the callback (Ir) | per record |
|---:|---:|---:|
| $R1 | $dir1 | $dper1 |
| $R2 | $dir2 | $dper2 |

**$dslope instructions per record** (slope), against the analyzer's $per
per record above.

Where they go ($R2 records; lib/batch.h's code is inlined into the
callback, so callgrind names it by file):

\`\`\`
$dtop
\`\`\`

include/dicap/batch.h's inlined code (\`dicap_batch_add()\`, \`dicap_batch_finish()\`)
is $batch_share % of it.$([ "${batch_share%.*}" -ge 50 ] && cat <<'TXT'
 Most of that is `dicap_batch_add()` copying the captured bytes one at a
time: the loop in include/dicap/batch.h (kept libc-free for the BPF and kernel
builds) is not turned into `memcpy()` by gcc. The rest is the record
check, the time conversion, the batch header and one `send()` per batch.
TXT
)

Time, natively (not under valgrind; the machine's load above applies):
$dns ns per record, median (range) of 5 runs of $R2 records, the
kernel's UDP send of one batch per $(awk -v b="$dbatches" -v r="$R2" 'BEGIN { printf "%.0f", r / b }') records included.
MD
} >"$BENCH_OUT/b4-callgrind.md"
bench_log "wrote $BENCH_OUT/b4-callgrind.md: $per instructions per record"
