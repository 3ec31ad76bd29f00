#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dicap.ko and dicap_hook.ko also build W=1 without warnings against the
# newest Debian 12 6.12 headers, and are built for that kernel.  A build
# check only: the guest tests boot 6.1.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
mkdir -p "$KMOD_OUT"
log=$KMOD_OUT/fetch-$KMOD_NEWER.log
kmod_fetch_newer > "$log" 2>&1 || bail_out "kmod_fetch_newer failed: $(tail -n 5 "$log")"
kver=$(cat "$KMOD_CACHE/kver-$KMOD_NEWER")
out=$KMOD_OUT/linux-$KMOD_NEWER
log=$KMOD_OUT/build-$KMOD_NEWER.log
plan 3
kmod_build_newer
ok $(($? == 0)) "dicap.ko and dicap_hook.ko built against the $kver headers" ||
    diag "$(tail -n 20 "$log")"
grep -q "module BTF skipped" "$log" && diag "$(grep "module BTF skipped" "$log")"
ok $((! $(grep -c "warning:\|error:" "$log"))) "W=1 build without warnings" ||
    diag "$(grep "warning:\|error:" "$log")"
is "$(kmod_vermagic "$out/dicap.ko") $(kmod_vermagic "$out/dicap_hook.ko")" "$kver $kver" \
    "modinfo vermagic of both modules names $kver"
done_testing
