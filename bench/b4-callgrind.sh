#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# B4, userspace part: instructions per record of dicap-analyzer's ingest
# (receive a batch, check it, merge by time, write pcap), counted with
# valgrind --tool=callgrind.  Two runs with R1 and R2 records over TCP
# (lossless), the slope (I2 - I1) / (R2 - R1) is the cost of one record
# without the start-up; the top functions of the larger run are listed.
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
apid=
cleanup() {
	[ -n "$apid" ] && kill -TERM "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local lo p

	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range)
	while :; do
		p=$((10000 + RANDOM % (lo - 10000)))
		ss -Hantu | awk -v p=":$p" '$5 ~ p"$" { f = 1 } END { exit f }' && break
	done
	echo "$p"
}

# count RECORDS: prints "RECORDS_RECEIVED INSTRUCTIONS"
count() {
	local n=$1 port out=$work/cg.$1

	port=$(free_port)
	valgrind --tool=callgrind --callgrind-out-file="$out" "$DICAP_BIN/dicap-analyzer" -q \
		-l "127.0.0.1:$port" -w /dev/null --transport tcp --json >"$work/ana.$n.json" \
		2>"$work/vg.$n.log" &
	apid=$!
	for _ in $(seq 200); do
		ss -Hlnt "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	"$DICAP_BIN/dicap-batchsend" -s "127.0.0.1:$port" --tcp --nodes 4 --count "$n" \
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

Not measured (no time left in this round): dicapd's ring drain (XDP ring
buffer records to UDP batches). It needs dicapd with its XDP program
attached in a testbed namespace under valgrind (whether valgrind handles
the bpf() calls was not tried), or a user-space harness feeding
capture.c's batching with synthetic ring records.
MD
} >"$BENCH_OUT/b4-callgrind.md"
bench_log "wrote $BENCH_OUT/b4-callgrind.md: $per instructions per record"
