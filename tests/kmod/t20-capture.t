#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Capture mode through the patched virtio_net (DICAP_KMOD_NIC=e1000e: the
# patched e1000e): the module sends the headers of its share (position 1 of
# 3) in header batches from a kernel UDP socket; the host decodes them with
# lib/batch.c and compares them with the frames it sent, for each of the
# five selection modes and for flow mode with --tunnel outer.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
kmod_test_init
NIC=${DICAP_KMOD_NIC:-virtio}	# or e1000e: the patched driver under test

collect=$KMOD_OUT/capture.collect
rm -f "$collect"
kmod_run capture 1 "$NIC" 600 100 "$collect"
ok $(($? == 0)) "the guest ran the capture script to its end" || diag "$(tail -n 20 "$KMOD_LOG")"
kmod_tap_from python3 "$KMOD_REPO/tests/kmod/check-capture.py" "$KMOD_OUT/kmod-feed" \
    "$collect" "$KMOD_LOG" 1 3 7 "$([ "$NIC" = e1000e ] && echo 60 || echo 0)"
done_testing
