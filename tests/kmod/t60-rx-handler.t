#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The generic fallback, an rx_handler on an unpatched driver: it selects,
# but AF_PACKET taps run before rx_handler, so a packet socket still sees
# every frame, the other nodes' ones too.  That is why the fallback suits
# capture mode (the module forwards only its share) and not distribution
# mode to libpcap.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
kmod_test_init
plan 4

kmod_run rxh 0 stock
ok $(($? == 0)) "the guest ran the rx_handler script to its end" || diag "$(tail -n 20 "$KMOD_LOG")"
p=$(python3 "$KMOD_REPO/tests/kmod/phase.py" "$KMOD_LOG" rxh)
field() { echo "$p" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
is "$(field rxh_frames) $(field hook_frames)" "600 0" "all 600 frames came through the rx_handler" || diag "$p"
ok $(($(field not_mine) > 0 && $(field selected) + $(field not_mine) == 600)) \
    "the module selected $(field selected) and refused $(field not_mine)"
is "$(field frames)" all "yet AF_PACKET saw every frame, the refused ones too" || diag "$p"
done_testing
