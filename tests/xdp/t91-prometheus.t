#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# --metrics (and the analyzer's "metrics" configuration key): a three-node capture cluster (flow mode, --capture) with the
# coordinator, the nodes and the analyzer serving /metrics on the
# management network.  Each daemon's output passes `promtool check
# metrics`, and its counters are the ones its status shows.  Then a real
# Prometheus server (Debian's, run by hand in the analyzer's namespace with
# a temporary configuration and storage, its web port on that namespace's
# loopback) scrapes all five, and its query API shows the frames selected
# per node, the per-node shares (summing to 1), and the analyzer's records
# per node matching what each node selected; the example Grafana
# dashboard's queries run.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

COUNT=${TB_COUNT:-3000}
RATE=${TB_RATE:-20000}
MPORT=9469		# --metrics port of every daemon (each in its namespace)
PROM_PORT=9090		# Prometheus' web port, on ana's loopback

tb_init_tap dicap-gen dicap-analyzer
for p in promtool prometheus curl; do
	command -v "$p" >/dev/null ||
		bail_out "$p not installed (tests/check-tools.sh e2e; ./configure --install-deps)"
done
plan 13

ok_cmd "testbed with 3 nodes" tb_up 3

up=1
# the analyzer's from its --config file: the "metrics" key (dicap.conf(5))
printf 'metrics %s:%d\n' "$TB_ANA_IP" "$MPORT" >"$TB_DIR/ana.conf"
tb_start_analyzer --config "$TB_DIR/ana.conf" || up=0
tb_start_coord --select flow --metrics "$TB_COORD_IP:$MPORT" || up=0
for i in 1 2 3; do
	tb_start_node "$i" --capture --metrics "$(tb_node_ip "$i"):$MPORT" || up=0
done
ok $up "analyzer (metrics in its --config file), coordinator and 3 nodes start with --metrics ADDR:$MPORT"

tb_wait_until "tb_dp_ready 1 2 3" 15000 || diag "$TB_WHY"

# Prometheus: scrapes every second; the storage is thrown away with TB_DIR.
PROM_DIR=$TB_DIR/prometheus
mkdir -p "$PROM_DIR/data"
{
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
	printf 'scrape_configs:\n  - job_name: dicap\n    static_configs:\n'
	printf '      - targets: ["%s:%d"]\n        labels: {daemon: coordinator}\n' \
		"$TB_COORD_IP" "$MPORT"
	printf '      - targets: ["%s:%d"]\n        labels: {daemon: analyzer}\n' \
		"$TB_ANA_IP" "$MPORT"
	printf '      - targets: ['
	for i in 1 2 3; do
		printf '"%s:%d"%s' "$(tb_node_ip "$i")" "$MPORT" "$([ $i = 3 ] || echo ,)"
	done
	printf ']\n        labels: {daemon: node}\n'
} >"$PROM_DIR/prometheus.yml"
tb_spawn prometheus ana prometheus --config.file="$PROM_DIR/prometheus.yml" \
	--storage.tsdb.path="$PROM_DIR/data" --web.listen-address="127.0.0.1:$PROM_PORT" \
	--log.level=warn

tb_gen --count "$COUNT" --rate "$RATE" --mix ipv4-tcp,ipv4-udp,ipv6-udp --flows 200 --size 60-200 --seed 9
ok $(($? == 0)) "dicap-gen sent $COUNT frames" || diag "$(tail -n 2 "$TB_GEN_OUT")"
tb_wait_delivered ana "$COUNT" 20000 ||
	diag "the analyzer has $TB_DELIVERED records of $COUNT"

# scrape HOST ADDR: one daemon's /metrics, as Prometheus would fetch it.
scrape() {
	tb_exec "$1" curl -sf --max-time 5 "http://$2:$MPORT/metrics"
}

# 1. Each daemon's text passes promtool; its counters are its status's.
check_ok=1
for h in coord ana node1 node2 node3; do
	case $h in
	coord) a=$TB_COORD_IP ;;
	ana) a=$TB_ANA_IP ;;
	*) a=$(tb_node_ip "${h#node}") ;;
	esac
	scrape "$h" "$a" >"$TB_DIR/$h.metrics" || { check_ok=0; diag "$h: no answer at $a:$MPORT"; }
	promtool check metrics <"$TB_DIR/$h.metrics" >"$TB_DIR/$h.promtool" 2>&1 ||
		{ check_ok=0; diag "$h: $(head -n 5 "$TB_DIR/$h.promtool")"; }
done
ok $check_ok "promtool check metrics passes for the coordinator, the analyzer and the 3 nodes"

# metric FILE NAME [LABELS]: the value of one sample in a scrape.
metric() {
	local want=$2

	[ -z "${3:-}" ] || want="$2{$3}"
	awk -v want="$want" '$1 == want { print $2 }' "$1"
}

# The status is read after the scrape, and frames other than the test's
# (the coordinator's markers) may still arrive: a counter in the status is
# at least its value in the scrape.  The test's frames are all selected.
same=1 sum_sel=0
for i in 1 2 3; do
	for c in seen selected not_mine; do
		m=$(metric "$TB_DIR/node$i.metrics" "dicap_node_frames_${c}_total")
		s=$(tb_node_ctr "$i" "$c")
		[ -n "$m" ] && [ "$m" -le "$s" ] || { same=0; diag "node$i $c: metrics $m, status $s"; }
	done
	sel[$i]=$(metric "$TB_DIR/node$i.metrics" dicap_node_frames_selected_total)
	sum_sel=$((sum_sel + ${sel[$i]:-0}))
	for c in ringbuf_full records_unsent; do
		m=$(metric "$TB_DIR/node$i.metrics" dicap_node_drops_total "stage=\"$c\"")
		[ "$m" = "$(tb_node_ctr "$i" "$c")" ] || { same=0; diag "node$i drops $c: $m"; }
	done
done
ok $((same && sum_sel == COUNT)) \
	"each node's seen, selected, not-mine and drop counters are its status's (up to what came after the scrape); selected sum to $sum_sel"

id1=$(tb_node_status 1 .node_id)
is "$(metric "$TB_DIR/coord.metrics" dicap_coord_role 'role="active"') $(metric "$TB_DIR/coord.metrics" dicap_coord_term) $(metric "$TB_DIR/coord.metrics" dicap_coord_members)" \
	"1 $(tb_coord_status .term) 3" "the coordinator: role active, its term, 3 members"
is "$(metric "$TB_DIR/ana.metrics" dicap_analyzer_node_records_total "node_id=\"$id1\"") $(metric "$TB_DIR/ana.metrics" dicap_analyzer_node_batches_missing_total "node_id=\"$id1\"")" \
	"${sel[1]} 0" "the analyzer: node1's records are what node1 selected, no batch missing"

# 2. Prometheus' view, through its query API.
# query PROMQL: the result vector as "LABEL VALUE" lines, sorted.
query() {
	tb_exec ana curl -sf --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" |
		jq -r '.data.result[] | "\(.metric.node_id // .metric.instance // "-") \(.value[1])"' |
		sort
}

tb_wait_until '[ "$(query "count(up{job=\"dicap\"} == 1)" | cut -d" " -f2)" = 5 ]' 30000
ok $(($? == 0)) "Prometheus scrapes all 5 targets (up == 1)" ||
	diag "up: $(query up | tr '\n' ' ')"

# Counters only grow: wait until a scrape after the traffic is in.
tb_wait_until '[ "$(query "sum(dicap_node_frames_selected_total)" | cut -d" " -f2)" = $COUNT ]' 10000
ok $(($? == 0)) "Prometheus: sum(dicap_node_frames_selected_total) = $COUNT" ||
	diag "$(query dicap_node_frames_selected_total | tr '\n' ' ')"

# The coordinator's shares appear once it has built the epoch's table.
shares_sum_to_1() {
	query dicap_coord_node_share_ratio |
		awk 'NF == 2 { n++; s += $2 } END { exit !(n == 3 && s > 0.999 && s < 1.001) }'
}
tb_wait_until shares_sum_to_1 10000
ok $(($? == 0)) "Prometheus: dicap_coord_node_share_ratio has 3 nodes whose shares sum to 1"
diag "shares: $(query dicap_coord_node_share_ratio | tr '\n' ' ')"

# The coordinator's per-node counters come with the heartbeats.
want=$(for i in 1 2 3; do echo "$(tb_node_status "$i" .node_id) ${sel[$i]}"; done | sort)
tb_wait_until '[ "$(query dicap_coord_node_frames_selected_total)" = "$want" ]' 10000
ok $(($? == 0)) "Prometheus: the coordinator's per-node selected counters are each node's" ||
	diag "$(query dicap_coord_node_frames_selected_total | tr '\n' ' ') want $(echo $want)"

tb_wait_until '[ "$(query dicap_analyzer_node_records_total)" = "$want" ]' 10000
ok $(($? == 0)) "Prometheus: the analyzer's records per node are what each node selected" ||
	diag "$(query dicap_analyzer_node_records_total | tr '\n' ' ') want $(echo $want)"

# The example dashboard's queries parse and run (an empty result is fine).
bad=0
while IFS= read -r expr; do
	st=$(tb_exec ana curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$expr" | jq -r .status)
	[ "$st" = success ] || { bad=$((bad + 1)); diag "refused: $expr"; }
done < <(jq -r '.panels[].targets[].expr' "$REPO/docs/grafana-dicap.json")
ok $((bad == 0)) "Prometheus runs every query of docs/grafana-dicap.json"

tb_signal prometheus TERM 10000
tb_stop_daemons
