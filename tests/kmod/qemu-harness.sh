#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Command line over tests/kmod/lib.sh, for working by hand:
#   fetch | build | initrd | prepare
#   boot TEST ARG [NIC]   one boot of a guest test, fed on READY; prints
#                         the console log's path
#   own [NIC]             the ownership runs (positions 0..2) and their check
#   all                   prepare, then the TAP suite: prove tests/kmod/*.t
# DICAP_KMOD_OUT and DICAP_KMOD_PORT as in lib.sh.
set -eu
. "$(dirname "$0")/lib.sh"
trap kmod_cleanup EXIT

case ${1:-all} in
fetch) kmod_fetch ;;
build) kmod_build ;;
initrd) kmod_initrd ;;
prepare) kmod_prepare ;;
boot)
	kmod_prepare
	kmod_boot "$2" "${3:-0}" "${4:-virtio}"
	kmod_feed_on_ready
	echo "$KMOD_LOG"
	;;
own)
	kmod_prepare
	for pos in 0 1 2; do
		kmod_boot own "$pos" "${2:-virtio}"
		kmod_feed_on_ready
		logs="${logs:-} $KMOD_LOG"
	done
	python3 "$KMOD_REPO/tests/kmod/check-own.py" $logs
	;;
all) kmod_prepare; prove "$KMOD_REPO"/tests/kmod/*.t ;;
*) echo "usage: $0 [fetch|build|initrd|prepare|boot TEST ARG [NIC]|own [NIC]|all]" >&2; exit 2 ;;
esac
