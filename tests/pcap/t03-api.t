#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The libpcap API on a dicap: device, as programs use it:
# tests/tools/pcap-dicap-check (pcap_findalldevs, create, the options,
# activate, next_ex, dispatch, non-blocking mode, the selectable
# descriptor, breakloop from a callback and from a signal handler, stats,
# inject and direction refused, pcap_open_live + pcap_next) on node1 while
# traffic flows.  Every frame it was handed is node1's.
. "$(dirname "$0")/lib.sh"

CHECK=$DICAP_TOOLS/pcap-dicap-check

pd_init
[ -x "$CHECK" ] || skip_all "$CHECK not built"

ok_cmd "testbed with 3 nodes, cluster in flow mode" eval 'pd_up 3 && pd_cluster flow 1 2 3'

# Enough traffic for every check, at a rate the program reads without loss.
tb_gen_start --rate 4000 --duration 60 --mix all --flows 200 --seed 5
pd_run 1 "$CHECK" -w "$TB_DIR/api.pcap" dicap:eth0 >"$TB_DIR/check.out" 2>&1
rc=$?
tb_gen_stop

n=0
while IFS= read -r line; do
	case $line in
	"ok "*) ok 1 "${line#ok }"; n=$((n + 1)) ;;
	"not ok "*) ok 0 "${line#not ok }"; n=$((n + 1)) ;;
	*) diag "${line#\# }" ;;
	esac
done <"$TB_DIR/check.out"
ok $((n >= 25 && rc == 0)) "pcap-dicap-check ran every check and exited 0 ($n checks, exit $rc)"

pd_owned_save 1 "$TB_DIR/owned1.txt" && pd_owned_only flow "$TB_DIR/api.pcap" "$TB_DIR/owned1.txt"
ok $(($? == 0)) "every frame handed to the program is node1's: $TB_WHY"

done_testing
