#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# -w - into a pipe: tcpdump -r - sees the file header at once (before any
# record), then every record in order; tshark -r - reads the same stream;
# with -w - the --json statistics go to stderr, so stdout stays pure pcap.
# When the reader goes away the analyzer stops with status 1 and says why.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 14

D=$ANA_DIR
S=$D/stats.json
mkfifo "$D/pipe" "$D/pipe2" "$D/pipe3"

# start_piped NAME FIFO ARGS...: the analyzer writing -w - into FIFO.
start_piped() {
	local name=$1 fifo=$2

	shift 2
	"$ANALYZER" -l "$ADDR" -w - "$@" >"$fifo" 2>"$D/$name.log" &
	PID[$name]=$!
	ANA_PIDS+=($!)
	wait_until 5000 bound_udp "$PORT"
}

tcpdump -r - -nn -tt --nano -xx <"$D/pipe" >"$D/td.txt" 2>"$D/td.log" &
TD=$!
ANA_PIDS+=($TD)
ok_cmd "analyzer -w - piped into tcpdump -r -" start_piped ana "$D/pipe" --stats "$S" --json -q
ok_cmd "tcpdump has the file header before any record was sent" \
	wait_until 3000 grep -q 'reading from file -' "$D/td.log"
ok_cmd "3 nodes send 1200 records" \
	send --nodes 3 --count 1200 --rate 20000 --sent "$D/sent.txt"
wait_until 5000 stats_reach "$S" .totals.records 1200
stop ana
is "$LAST_STATUS" 0 "the analyzer exits 0 on SIGTERM"
wait $TD
is "$?" 0 "tcpdump -r - reads to the end and exits 0"
dump_records <"$D/td.txt" >"$D/got.txt"
cut -d' ' -f1,2 "$D/sent.txt" >"$D/want.txt"
same_sets "$D/got.txt" "$D/want.txt" "tcpdump -r - got exactly the records sent"
bad=$(in_order <"$D/got.txt")
ok $((${#bad} == 0)) "in timestamp order" || diag "$bad"
ok "$(grep '^{' "$D/ana.log" | jq -e '.totals.records == 1200' 2>/dev/null | grep -c true)" \
	"--json with -w -: the statistics are on stderr"

if command -v tshark >/dev/null; then
	tshark -r - -T fields -e frame.time_epoch <"$D/pipe2" >"$D/ts.txt" 2>"$D/ts.log" &
	TS=$!
	ANA_PIDS+=($TS)
	start_piped ana2 "$D/pipe2" --stats "$S" -q
	send --nodes 2 --count 500 --rate 20000 --sent "$D/sent2.txt"
	wait_until 5000 stats_reach "$S" .totals.records 500
	stop ana2
	wait $TS
	is "$?" 0 "tshark -r - reads the stream and exits 0"
	is "$(md5sum <"$D/ts.txt")" "$(cut -d' ' -f1 "$D/sent2.txt" | sort | md5sum)" \
		"tshark sees every record, in order, to the nanosecond"
else
	ok 1 "# SKIP tshark is not installed"
	ok 1 "# SKIP tshark is not installed"
fi

# the reader goes away after 100 bytes
head -c 100 <"$D/pipe3" >/dev/null &
ANA_PIDS+=($!)
start_piped ana3 "$D/pipe3" -q
send --count 3000 --rate 20000 >/dev/null
gone() { ! kill -0 "${PID[ana3]}" 2>/dev/null; }
ok_cmd "the analyzer stops when its reader is gone" wait_until 5000 gone
stop ana3
is "$LAST_STATUS" 1 "with exit status 1"
ok "$(grep -c 'standard output: Broken pipe; stopping' "$D/ana3.log")" "and says why (Broken pipe)" ||
	diag "$(cat "$D/ana3.log")"
ok_cmd "-w - with -C is refused" eval "! '$ANALYZER' -l $ADDR -w - -C 1 2>/dev/null"
done_testing
