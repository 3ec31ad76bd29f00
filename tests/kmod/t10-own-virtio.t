#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Patched virtio_net with the driver hook: for each selection mode and
# N = 3, three positions (three boots over the same 600 frames, malformed
# and non-IP ones included) own every frame exactly once; not-mine frames
# never got an sk_buff (AF_PACKET never saw them and the driver counted
# each in rx_dropped); malformed genetlink requests get their extack.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
kmod_test_init
kmod_own_test virtio
done_testing
