#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dicapd's drain and send per captured record: bench/drain-cost.c linked
# with this tree's node/dicapd/capture.o, at the batch sizes of an
# Ethernet (1472), a jumbo (8972) and the loopback (65507) path MTU, in
# CPU time of the sending thread (the kernel's send included; on loopback
# the receive softirq runs there too).  BASE_CAPTURE_O=PATH: a capture.o
# of another tree (e.g. an older commit's build) linked into the same
# harness and run in the same rounds at its own fixed 1472 bytes, so
# the two compare on the same load; BASE_DESC says what it is.  Root is
# not needed.  Writes drain-cost.md.  Environment: RECORDS (220000),
# REPEATS (7).
set -eu
BENCH_NAME=drain-cost
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-220000}
REPEATS=${REPEATS:-7}
BASE_CAPTURE_O=${BASE_CAPTURE_O:-}
BASE_DESC=${BASE_DESC:-$BASE_CAPTURE_O}
[ "$SMOKE" = 1 ] && RECORDS=20000 REPEATS=1
CAP_O=$BENCH_REPO/build/plain/node/dicapd/capture.o
[ -f "$CAP_O" ] || bench_die "$CAP_O not built"

work=$(mktemp -d "${TMPDIR:-/tmp}/dicap-drain.XXXXXX")
trap 'rm -rf "$work"' EXIT

bench_cc drain-cost "$BENCH_REPO/bench/drain-cost.c" "$CAP_O" "$BENCH_REPO/build/plain/libdicap.a" \
	-g -lbpf -levent -lsodium -lm
whos=new
if [ -n "$BASE_CAPTURE_O" ]; then
	# An older capture.o has no capture_set_batch_max(): the harness
	# without it, at the batch size that capture.o always used.
	sed -e '/capture_set_batch_max(c, batch);/d' -e '/if (batch != 0)$/d' \
		-e 's/capture_batch_max(c)/1472u/' "$BENCH_REPO/bench/drain-cost.c" >"$work/drain-base.c"
	bench_cc drain-cost-base "$work/drain-base.c" "$BASE_CAPTURE_O" \
		"$BENCH_REPO/build/plain/libdicap.a" -Wno-unused-but-set-variable \
		-g -lbpf -levent -lsodium -lm
	whos="new base"
fi

bench_wait_quiet
for _ in $(seq 1 "$REPEATS"); do
	for who in $whos; do
		if [ "$who" = base ]; then
			"$BENCH_BUILD/drain-cost-base" "$RECORDS" 128 96 2>/dev/null |
				awk '{ print "base:1472", $NF }'
			continue
		fi
		for b in 1472 8972 65507; do
			"$BENCH_BUILD/drain-cost" "$RECORDS" 128 96 "$b" 2>/dev/null |
				awk -v b="$b" '{ print "new:" b, $NF }'
		done
	done
done | tee "$work/raw.txt" >&2
bench_stats <"$work/raw.txt" >"$work/stats.txt"
val() {
	awk -v k="$1" '$1 == k { if ($5 > 1) printf "%.1f (%.1f-%.1f)", $2, $3, $4; else printf "%.1f", $2 }' \
		"$work/stats.txt"
}

{
cat <<MD
# dicapd's drain and send, CPU per record

Produced by \`bench/drain-cost.sh\`.

## Machine

$(bench_machine)

## Commands

\`\`\`
RECORDS=$RECORDS REPEATS=$REPEATS${BASE_CAPTURE_O:+ BASE_CAPTURE_O=$BASE_CAPTURE_O} bench/drain-cost.sh
# per repeat:
build/bench/drain-cost $RECORDS 128 96 BATCH     # BATCH = 1472, 8972, 65507
$( [ -n "$BASE_CAPTURE_O" ] && echo "build/bench/drain-cost-base $RECORDS 128 96     # the same harness linked with BASE_CAPTURE_O")
\`\`\`
$( [ -n "$BASE_CAPTURE_O" ] && printf '\nBASE_CAPTURE_O: %s\n' "$BASE_DESC")

\`bench/drain-cost.c\` hands $RECORDS records of a 128-byte frame, 96 bytes
captured, to dicapd's ring buffer callback (\`capture_ring_record()\` of
node/dicapd/capture.c) one by one, as libbpf's \`ring_buffer__consume()\`
does, and times the calls with the thread's CPU clock: the batching, and
the \`send()\` of each full batch on a connected UDP socket to 127.0.0.1,
kernel included (on loopback the receive softirq runs on the sending
thread too). Not included: libbpf's own loop over the ring and the
wakeups of dicapd's event loop. Median of $REPEATS repeats, range in
brackets; ns of CPU per record.

| capture.o | batch bytes | path MTU it stands for | ns per record |
|---|---:|---|---:|
$( [ -n "$BASE_CAPTURE_O" ] && echo "| BASE_CAPTURE_O | 1472 | any (fixed) | $(val base:1472) |")
| this tree | 1472 | Ethernet, 1500 | $(val new:1472) |
| this tree | 8972 | jumbo, 9000 | $(val new:8972) |
| this tree | 65507 | loopback, 65536 | $(val new:65507) |

dicapd picks the batch size from the path MTU to its analyzers
(docs/design.md, "Capture: ring buffer, wakeups, batches"); the send of
one datagram, not the work per record, is most of the cost.
MD
} >"$BENCH_OUT/drain-cost.md"
cp "$work/raw.txt" "$BENCH_OUT/drain-cost.raw.txt"
bench_log "wrote $BENCH_OUT/drain-cost.md"
