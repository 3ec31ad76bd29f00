#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A committed topology takes over at its validity start: frames before it
# follow the old one, frames after it the new one (the first of them
# switches, and round robin's C starts there).  Lease expiry follows the
# policy: DROP drops every frame but keeps C in step, a refresh restores
# the share, KEEP keeps selecting.  The patched driver
# (virtio_net; DICAP_KMOD_NIC=e1000e for e1000e), driver hook.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
kmod_test_init
NIC=${DICAP_KMOD_NIC:-virtio}	# or e1000e: the patched driver under test
plan 9

kmod_run switch 0 "$NIC"
ok $(($? == 0)) "the guest ran the switch and lease script to its end" ||
    diag "$(tail -n 20 "$KMOD_LOG")"
phase() { python3 "$KMOD_REPO/tests/kmod/phase.py" "$KMOD_LOG" "$1"; }
field() { phase "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

p=$(phase before)
is "$(field before frames) $(field before active) $(field before pending) $(field before switches)" \
    "all 1 2 0" "before the validity start: epoch 1 (all frames), epoch 2 pending, no switch" ||
    diag "$p"
p=$(phase after)
is "$(field after frames) $(field after active) $(field after pending) $(field after switches)" \
    "odd 2 0 1" "after it: the first frame switched to epoch 2, round robin from C = 0 (odd frames)" ||
    diag "$p"
is "$(field after selected) $(field after not_mine)" "300 300" "after it: 300 selected, 300 not mine"
p=$(phase expired-drop)
is "$(field expired-drop frames) $(field expired-drop lease_drops) $(field expired-drop selected)" \
    "none 600 0" "lease expired, policy DROP: every frame dropped (lease_drops)" || diag "$p"
p=$(phase refreshed)
is "$(field refreshed frames) $(field refreshed selected)" "odd 300" \
    "lease refreshed: the share again, C kept in step through the drops (odd frames)" || diag "$p"
p=$(phase expired-keep)
is "$(field expired-keep frames) $(field expired-keep lease_drops)" "odd 0" \
    "lease expired, policy KEEP: the last share goes on" || diag "$p"
seen=$(tr -d '\r' < "$KMOD_LOG" | grep '^COUNTERS' | tail -n 1 | tr ' ' '\n' | sed -n 's/^seen=//p')
is "$seen" 3000 "the module saw all 3000 frames of the five feeds"
ok $((! $(grep -c "BUG:\|WARNING:\|Oops" "$KMOD_LOG"))) "no kernel BUG, WARNING or Oops"
done_testing
