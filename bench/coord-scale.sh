#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# coord-scale.sh: the coordinator with many simulated nodes (dicap-nodesim,
# one UDP socket per node) at 1 s heartbeats.  Measures:
#   - the coordinator's CPU use in steady state (utime + stime from
#     /proc/PID/stat over CPU_SECONDS), and the simulator's for comparison;
#   - its resident memory (VmRSS, and the peak VmHWM, from /proc/PID/status);
#   - how long `dicapctl status --json` takes with every node listed;
#   - the time from the first JOIN of the whole fleet, and from one extra
#     node's JOIN (and then its LEAVE), to every node holding the complete
#     new topology (all parts received; nodes apply it at its validity
#     start, --guard later), over CHURN rounds.
# Writes the results as markdown to OUT (default bench/results/coord-scale.md).
#
# Environment: NODES (4096), CPU_SECONDS (30), CHURN (5), DICAP_BIN
# (build/plain/bin), DICAP_TOOLS (build/plain/tests/bin), OUT.  Run from
# anywhere; needs jq; root is not needed.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DICAP_BIN:-$repo/build/plain/bin}
TOOLS=${DICAP_TOOLS:-$repo/build/plain/tests/bin}
NODES=${NODES:-4096}
CPU_SECONDS=${CPU_SECONDS:-30}
CHURN=${CHURN:-5}
OUT=${OUT:-$repo/bench/results/coord-scale.md}
HB_MS=1000
TIMEOUT_MS=3000

for p in "$BIN/dicap-coord" "$BIN/dicapctl" "$TOOLS/dicap-nodesim"; do
	[ -x "$p" ] || { echo "coord-scale: $p not built (make)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "coord-scale: needs jq" >&2; exit 1; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d "${TMPDIR:-/tmp}/dicap-bench.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	if [ "${KEEP:-0}" = 1 ]; then echo "coord-scale: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "coord-scale: $*" >&2; }
now_ms() { local us=${EPOCHREALTIME/./}; echo $((us / 1000)); }

# A free UDP port below the ephemeral range.
lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range)
while :; do
	port=$((10000 + RANDOM % (lo - 10000)))
	ss -Hanu | awk -v p=":$port" '$4 ~ p"$" { f = 1 } END { exit f }' && break
done
COORD=127.0.0.1:$port

"$BIN/dicapctl" keygen "$work/key" >/dev/null
"$BIN/dicapctl" keygen --role node --from "$work/key" "$work/node.key" >/dev/null
coord_cmd="dicap-coord -f -l $COORD -k KEY --no-announce --heartbeat $HB_MS --timeout $TIMEOUT_MS"
"$BIN/dicap-coord" -f -l "$COORD" -k "$work/key" --no-announce --heartbeat $HB_MS \
	--timeout $TIMEOUT_MS >"$work/coord.log" 2>&1 &
cpid=$!
pids+=("$cpid")
for i in $(seq 50); do
	"$BIN/dicapctl" -c "$COORD" -k "$work/key" status --json >/dev/null 2>&1 && break
	sleep 0.1
done

REPORT=$work/sim.json
sim_cmd="dicap-nodesim --nodes $NODES --coord $COORD -k NODEKEY --id-base 0x10000000 --churn $CHURN --churn-delay $((CPU_SECONDS + 15)) --churn-settle 5 --duration 900 --report FILE"
log "starting $NODES simulated nodes against $COORD"
t_start=$(now_ms)
"$TOOLS/dicap-nodesim" --nodes "$NODES" --coord "$COORD" -k "$work/node.key" --id-base 0x10000000 \
	--churn "$CHURN" --churn-delay $((CPU_SECONDS + 15)) --churn-settle 5 --duration 900 \
	--report "$REPORT" \
	-v 2>"$work/sim.log" &
spid=$!
pids+=("$spid")

jqr() { jq -r "$1" "$REPORT" 2>/dev/null; }
for i in $(seq 1200); do
	[ "$(jqr .converged)" = true ] && break
	kill -0 $spid 2>/dev/null || { log "the simulator died: $(tail -5 "$work/sim.log")"; exit 1; }
	sleep 0.1
done
[ "$(jqr .converged)" = true ] || { log "no convergence in 120 s: $(jq -c 'del(.per_node)' "$REPORT")"; exit 1; }
t_conv=$(( $(now_ms) - t_start ))
initial_ms=$(jqr .convergence_ms)
log "converged ${t_conv} ms after start (${initial_ms} ms after the last JOIN)"

cpu_ticks() {	# utime + stime, fields 14 and 15 after the command name
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
sleep 3
hz=$(getconf CLK_TCK)
udp_errs() { awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else print $col["RcvbufErrors"] }' /proc/net/snmp; }
e0=$(udp_errs)
c0=$(cpu_ticks $cpid) s0=$(cpu_ticks $spid) w0=$(now_ms)
log "measuring CPU for $CPU_SECONDS s"
sleep "$CPU_SECONDS"
c1=$(cpu_ticks $cpid) s1=$(cpu_ticks $spid) w1=$(now_ms)
e1=$(udp_errs)
wall=$((w1 - w0))
coord_cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.1f", t / hz * 100000 / w }')
sim_cpu=$(awk -v t=$((s1 - s0)) -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.1f", t / hz * 100000 / w }')
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$cpid/status)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$cpid/status)
steady_ok=$(jqr .converged)
log "coordinator CPU $coord_cpu %, RSS $rss kB (peak $hwm kB); simulator CPU $sim_cpu %"

# Status latency in steady state: 5 requests, one a second, before the
# join/leave rounds start.
status_ms() {
	local t0 n
	t0=$(now_ms)
	n=$("$BIN/dicapctl" -c "$COORD" -k "$work/key" status --json | jq '.nodes | length')
	echo $(( $(now_ms) - t0 ))
	[ "$n" -ge "$NODES" ] || log "status listed $n nodes"
}
stats_of() { sort -n | awk '{ a[NR] = $1 } END { printf "%d / %d / %d", a[1], a[int(NR / 2) + 1], a[NR] }'; }
st_steady=()
for i in $(seq 5); do
	st_steady+=("$(status_ms)")
	sleep 1
done
st_steady_stats=$(printf '%s\n' "${st_steady[@]}" | stats_of)
log "waiting for $CHURN join/leave rounds (status requests meanwhile)"
st_churn=()
for i in $(seq 3000); do
	[ "$(jqr .churn.done)" = true ] && break
	[ "$(jqr .churn.started)" = true ] && st_churn+=("$(status_ms)")
	sleep 0.7
done
st_churn_stats=$(printf '%s\n' "${st_churn[@]}" | stats_of)
[ "$(jqr .churn.done)" = true ] || { log "churn did not finish: $(jq -c 'del(.per_node)' "$REPORT")"; exit 1; }
rss_end=$(awk '/^VmRSS/ { print $2 }' /proc/$cpid/status)
hwm_end=$(awk '/^VmHWM/ { print $2 }' /proc/$cpid/status)
counters=$("$BIN/dicapctl" -c "$COORD" -k "$work/key" status --json | jq -c '.counters')
final=$(jq -c 'del(.per_node)' "$REPORT")

stats() {	# stats JQ_ARRAY_PATH: "min / median / max"
	jq -r "$1 | sort | \"\(.[0]) / \(.[(length / 2 | floor)]) / \(.[-1])\"" "$REPORT"
}
join_stats=$(stats .churn.join_ms)
leave_stats=$(stats .churn.leave_ms)
join_all=$(jq -r '.churn.join_ms | map(tostring) | join(", ")' "$REPORT")
leave_all=$(jq -r '.churn.leave_ms | map(tostring) | join(", ")' "$REPORT")
parts=$(( (NODES + 146) / 147 ))

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<MD
# Coordinator scale benchmark

Produced by \`bench/coord-scale.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC').

## Machine

- CPU: $cpu_model, $(nproc) cores online
- Kernel: $(uname -r)
- Load average (1, 5, 15 min) before the run: $load_start; at its end: $load_end
  (anything well above 0 before the run means other work shared the cores)
- Everything on one machine over loopback: the coordinator and the simulator
  (all $NODES nodes in one process, one UDP socket each) share the cores.

## Commands

\`\`\`
NODES=$NODES CPU_SECONDS=$CPU_SECONDS CHURN=$CHURN bench/coord-scale.sh
# which runs:
$coord_cmd
$sim_cmd
\`\`\`

The coordinator runs without \`-d\` (no debug logging). Heartbeats every
$HB_MS ms, timeout $TIMEOUT_MS ms, the default guard (500 ms), re-send (10 s)
and coalescing of changes. The join/leave rounds are 5 s apart, so that
each change finds the coordinator quiet (its coalescing wait back at the
minimum). A topology for $NODES members is $parts parts (147 members per
part), sent to every node.

## Results

| Measure | Value |
|---|---|
| Simulated nodes | $NODES |
| Coordinator CPU, steady state, 1 s heartbeats (over $((wall / 1000)) s) | $coord_cpu % of one core |
| Simulator CPU over the same time (for comparison) | $sim_cpu % of one core |
| Coordinator resident memory (VmRSS) in steady state | $((rss / 1024)) MiB ($rss kB) |
| Coordinator peak resident memory (VmHWM) at the end | $((hwm_end / 1024)) MiB ($hwm_end kB) |
| Fleet start: first JOIN to all $NODES nodes holding one complete topology | $t_conv ms |
| ... of which after the last node's JOIN | $initial_ms ms |
| One extra JOIN to all $((NODES + 1)) nodes holding the new epoch, min / median / max of $CHURN | $join_stats ms |
| One LEAVE to all $NODES nodes holding the new epoch, min / median / max of $CHURN | $leave_stats ms |
| \`dicapctl status --json\` listing all nodes, steady state, min / median / max of ${#st_steady[@]} | $st_steady_stats ms |
| ... while the join/leave rounds run, min / median / max of ${#st_churn[@]} | $st_churn_stats ms |
| UDP receive-buffer drops on the machine during the CPU window | $((e1 - e0)) |
| Topology still consistent at the end of the CPU window | $steady_ok |

"Holding" means a node has every part of the new (term, epoch); nodes switch
to it at its validity start, the guard time (500 ms) after the coordinator
published it.

Each join round, in ms: $join_all. Each leave round: $leave_all.
Status requests in steady state, in ms: ${st_steady[*]}; during the rounds: ${st_churn[*]}.

Coordinator counters at the end:

\`\`\`
$counters
\`\`\`

Simulator report at the end (per-node list removed):

\`\`\`
$final
\`\`\`

## Notes

- The CPU window is steady state only: after the fleet joined and before
  the join/leave rounds. It includes the periodic re-send of the topology
  (every 10 s, $parts datagrams to each of the $NODES nodes).
- A \`status\` request made right after a membership change waits until
  the coordinator has rebuilt the bucket table behind the shares (in a
  worker thread), and dicap_table_build() costs O(65536 x members).
MD
if [ "$(jq -r .rx.foreign "$REPORT")" != 0 ]; then
	cat >>"$OUT" <<MD
- rx.foreign / rx.auth_fail in the simulator report: datagrams from other
  processes on this shared machine (other test runs) reached ports that the
  simulator's sockets had reused; authentication rejected every one.
MD
fi
log "wrote $OUT"
cat "$OUT"
