#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The selection reaches the XDP program: a coordinator with --select host
# --tunnel outer and two nodes on the XDP datapath (TB_XDP_MODE, native):
# every node's agent applies mode host, tunnel outer, and its program runs
# that epoch with mode host and the tunnel-outer flag in its slot (read
# back from the BPF map).  The coordinator is restarted with the defaults
# (flow, inner): the nodes rejoin it and their programs follow with tunnel
# inner, the flag cleared.  No topology is refused (stage_errors 0).
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

tb_init_tap
plan 8

ok_cmd "testbed with 2 nodes" tb_up 2

# selection_is MODE TUNNEL I...: agent and program of every node select with
# MODE and TUNNEL, on the epoch the agent applied.
selection_is() {
	local want="$1 $2 $1 $2" i line

	shift 2
	tb_dp_ready "$@" || return 1
	for i in "$@"; do
		line=$(tb_node_status "$i" \
			'"\(.mode) \(.tunnel) \(.datapath.program_mode) \(.datapath.program_tunnel)"')
		[ "$line" = "$want" ] || { TB_WHY="node$i: mode, tunnel, program's: $line"; return 1; }
	done
}

ok_cmd "a coordinator with --select host --tunnel outer" \
	tb_start_coord --select host --tunnel outer
up=1
tb_start_node 1 || up=0
tb_start_node 2 || up=0
ok $up "nodes 1 and 2 start on the XDP datapath"
tb_wait_until "tb_members_are 2 1 2 && selection_is host outer 1 2" 20000
ok $(($? == 0)) "both programs select with mode host, tunnel outer" || diag "$TB_WHY"
diag "epoch $TB_EPOCH after $TB_WAIT_MS ms"
is "$(tb_node_status 1 .datapath.counters.stage_errors) $(tb_node_status 2 .datapath.counters.stage_errors)" \
	"0 0" "no stage errors"

ok_cmd "the coordinator stops" tb_stop_coord
ok_cmd "and starts again with the defaults" tb_start_coord
tb_wait_until "tb_members_are 2 1 2 && selection_is flow inner 1 2" 30000
ok $(($? == 0)) "the nodes rejoin it and both programs select with flow, tunnel inner" ||
	diag "$TB_WHY"

done_testing
