#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The harness's one-time steps (fetch, build, initrd; later tests reuse
# them), and that the module builds W=1 without warnings and it, the
# headers it shares (include/), the XDP program and the driver patches are
# clean under the kernel's checkpatch.pl.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/kmod/lib.sh"
kmod_test_init
plan 7
ok_cmd "dicap.ko and dicap_hook.ko built" test -f "$KMOD_OUT/linux/dicap.ko" -a -f "$KMOD_OUT/linux/dicap_hook.ko"
ok $((! $(grep -c "warning:" "$KMOD_OUT/build.log"))) "W=1 build without warnings"
ok_cmd "patched virtio_net.ko and e1000e.ko built" test -f "$KMOD_OUT/virtio_net/virtio_net.ko" -a -f "$KMOD_OUT/e1000e/e1000e.ko"
ok_cmd "initramfs built" test -s "$KMOD_OUT/initrd.gz"
cp=$KMOD_CACHE/src/linux-source-6.1/scripts/checkpatch.pl
# An out-of-tree module that builds for several kernels needs LINUX_VERSION_CODE checks.
out=$(perl "$cp" --no-tree --terse --show-types --ignore LINUX_VERSION_CODE \
    -f "$KMOD_REPO"/kmod/linux/*.[ch] 2>&1 | grep -v "^total:")
ok $(( $(printf '%s' "$out" | grep -c "ERROR\|WARNING") == 0 )) "checkpatch: kmod/linux clean" || diag "$out"
# include/ and the XDP program are kernel style too.  Shared with gcc and
# clang -target bpf, they spell attributes and the unroll pragma out as
# macros (which also hides a loop's brace from checkpatch), and BPF globals
# the loader writes are volatile.
out=$(perl "$cp" --no-tree --terse --show-types \
    --ignore COMPLEX_MACRO,PREFER_DEFINED_ATTRIBUTE_MACRO,OPEN_BRACE,VOLATILE \
    -f "$KMOD_REPO"/include/dicap/*.h "$KMOD_REPO"/kmod/xdp/*.c 2>&1 | grep -v "^total:")
ok $(( $(printf '%s' "$out" | grep -c "ERROR\|WARNING") == 0 )) "checkpatch: include/dicap and kmod/xdp clean" ||
	diag "$out"
out=$(perl "$cp" --no-tree --no-signoff --terse "$KMOD_REPO"/patches/linux/*.patch 2>&1 | grep -v "^total:")
ok $(( $(printf '%s' "$out" | grep -c "ERROR\|WARNING") == 0 )) "checkpatch: patches/linux clean" || diag "$out"
done_testing
