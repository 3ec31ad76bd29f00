#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# rmmod and insmod of dicap.ko while frames arrive and batches are being
# sent, the patched driver without dicap.ko (frames go to the stack as
# before), and the attached interface going away: the driver unbound under
# traffic, and a veth removed with ip link del (patched virtio_net, or
# e1000e with DICAP_KMOD_NIC=e1000e).  The kernel must stay up
# without a BUG, WARNING or Oops and every rmmod must succeed.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
kmod_test_init
NIC=${DICAP_KMOD_NIC:-virtio}	# or e1000e: the patched driver under test
plan 12

kmod_run unload 0 "$NIC" 100000 100
ok $(($? == 0)) "the guest ran the unload script to its end" || diag "$(tail -n 30 "$KMOD_LOG")"
val() { tr -d '\r' < "$KMOD_LOG" | sed -n "s/^$1 //p" | head -n 1; }
is "$(val RMMOD1)" 0 "rmmod dicap under traffic, capturing and passing"
ok $(($(val RX_WITHOUT_DICAP) > 0)) "without dicap.ko the patched driver passes frames ($(val RX_WITHOUT_DICAP) in 1 s)"
is "$(val INSMOD)" 0 "insmod dicap under traffic"
is "$(val RMMOD2)" 0 "rmmod dicap under traffic again"
ctr=$(tr -d '\r' < "$KMOD_LOG" | grep '^COUNTERS' | head -n 2 | tail -n 1)
ok $(($(echo "$ctr" | tr ' ' '\n' | sed -n 's/^batches_sent=//p') > 0)) \
    "the reloaded module selected and sent batches" || diag "$ctr"
is "$(val UNBIND)" 0 "the driver unbound from the attached interface under traffic"
ok $(($(tr -d '\r' < "$KMOD_LOG" | grep -c '^DMESG.*dicap: interface unregistered') > 0)) \
    "the notifier detached dicap"
is "$(val RMMOD3)" 0 "rmmod dicap after the interface went away"
is "$(val ATTACH_VETH) $(val LINKDEL)" "0 0" "ip link del of an attached veth"
is "$(val RMMOD4)" 0 "rmmod dicap after ip link del"
ok $((! $(grep -c "BUG:\|WARNING:\|Oops\|Call Trace" "$KMOD_LOG"))) "no kernel BUG, WARNING or Oops"
done_testing
