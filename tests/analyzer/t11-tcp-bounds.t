#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# TCP resources (issue 14).  1024 idle connections from one address: the
# first --tcp-per-source (32) are kept, the rest refused and counted, and a node
# from another address is served meanwhile.  1100 idle connections without
# that cap fill the table: they are closed after --tcp-idle-timeout and a
# node gets in.  Started under a low open-file limit (prlimit 16),
# accept() fails: the listener rests instead of spinning (CPU time and log
# lines bounded), the errors are counted, and once descriptors are free
# again a node connects.
. "$(dirname "$0")/lib.sh"
ana_init python3 prlimit
plan 19

D=$ANA_DIR
FORGE=$ANA_REPO/tests/analyzer/forge.py
S=$D/stats.json

# --- an idle flood from 127.0.0.2, the per-source cap
ok_cmd "the analyzer starts (tcp, defaults: 32 per source)" \
	start_analyzer tcp -w "$D/out.pcap" --transport tcp --stats "$S" -q
python3 "$FORGE" hold "$ADDR" 127.0.0.2 1024 30 >/dev/null 2>"$D/hold.log" &
HOLD=$!
ANA_PIDS+=($HOLD)
ok_cmd "1024 connections are made" wait_until 20000 stats_reach "$S" \
	'.totals.tcp_accepted + .totals.tcp_refused' 1024 || diag "$(stat_of "$S" .totals)"
is "$(stat_of "$S" '"\(.totals.tcp_accepted) \(.totals.tcp_source_refused)"')" "32 992" \
	"32 kept, 992 refused as over the per-source cap"
ok_cmd "a node from 127.0.0.1 sends 100 records meanwhile" \
	send --tcp --node 0x6e000001 --count 100 --rate 20000
ok_cmd "they arrive" wait_until 3000 stats_reach "$S" .totals.records 100
ok_cmd "while the flood is held" kill -0 "$HOLD"
kill "$HOLD"
wait "$HOLD" 2>/dev/null
n=$(grep -c "refusing a TCP connection" "$D/tcp.log")
ok $((n >= 1 && n <= 3)) "the refusals are logged, rate-limited ($n lines for 992)"
stop tcp

# --- a flood that fills the table, the idle timeout
S=$D/idle.json
ok_cmd "the analyzer starts (tcp, idle timeout 3 s, no per-source cap)" \
	start_analyzer idle -w "$D/idle.pcap" --transport tcp --tcp-per-source 1024 \
	--tcp-idle-timeout 3 --stats "$S" -q
python3 "$FORGE" hold "$ADDR" 127.0.0.2 1100 60 >/dev/null 2>"$D/hold-idle.log" &
HOLD=$!
ANA_PIDS+=($HOLD)
wait_until 10000 stats_reach "$S" '.totals.tcp_refused > 0' true ||
	diag "the table did not fill: $(stat_of "$S" .totals)"
node_in() {
	"$BATCHSEND" -s "$ADDR" --tcp --node 0x6e000002 --count 10 --per-batch 10 \
		>/dev/null 2>&1
	wait_until 1500 stats_reach "$S" '.totals.records >= 10' true
}
ok_cmd "a node gets in once the idle connections are closed" wait_until 15000 node_in
is "$(stat_of "$S" '.totals.tcp_idle_closed > 0')" true "idle connections were closed and counted"
ok_cmd "the flooder is still there" kill -0 "$HOLD"
kill "$HOLD"
wait "$HOLD" 2>/dev/null
stop idle

# --- accept() errors
# started under a low open-file limit (prlimit --pid cannot lower it once
# the analyzer runs as another user, without CAP_SYS_RESOURCE here)
printf '#!/bin/sh\nexec prlimit --nofile=16:16 -- "%s" "$@"\n' "$ANALYZER" >"$D/low-nofile"
chmod +x "$D/low-nofile"
REAL_ANALYZER=$ANALYZER
ANALYZER=$D/low-nofile
ok_cmd "the analyzer starts (tcp) with an open-file limit of 16" \
	start_analyzer acc -w "$D/acc.pcap" --transport tcp -q
ANALYZER=$REAL_ANALYZER
pid=${PID[acc]}
is "$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")" 16 "its limit is 16"
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
lines0=$(wc -l <"$D/acc.log")
cpu0=$(cpu)
python3 "$FORGE" hold "$ADDR" 127.0.0.3 30 3 >"$D/held2.txt" 2>"$D/hold2.log" &
HOLD=$!
ANA_PIDS+=($HOLD)
sleep 3
cpu1=$(cpu)
lines1=$(wc -l <"$D/acc.log")
ticks=$((cpu1 - cpu0))
hz=$(getconf CLK_TCK)
ok $((ticks * 4 < 3 * hz)) "no spinning: $ticks ticks of CPU in 3 s (less than 25%)"
ok $((lines1 - lines0 <= 4)) "log lines bounded: $((lines1 - lines0)) in 3 s"
wait "$HOLD"
kill -USR1 "$pid"
wait_until 3000 grep -q '"tcp_accept_errors"' "$D/acc.log"
errs=$(grep '^{' "$D/acc.log" | tail -n 1 | jq -r .totals.tcp_accept_errors)
ok $((errs >= 1 && errs <= 20)) "the accept errors are counted ($errs), a few per second"
ok_cmd "the descriptors free again, a node connects and sends" \
	send --tcp --node 0x6e000002 --count 10 --rate 20000
records() {
	kill -USR1 "$pid"
	sleep 0.2
	[ "$(grep '^{' "$D/acc.log" | tail -n 1 | jq -r .totals.records)" = 10 ]
}
ok_cmd "its records arrive" wait_until 5000 records
stop acc
is "$LAST_STATUS" 0 "exit status 0"
done_testing
