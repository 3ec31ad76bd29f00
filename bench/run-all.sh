#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run-all.sh [--smoke]: every benchmark, in order of cost; each writes
# bench/results/<name>.md and .png (build/bench/smoke/ with --smoke).
#
# --smoke runs each for a few seconds with tiny repeat counts, so that CI
# keeps the scripts working; it asserts nothing about speed.  A benchmark
# that cannot run here (not root, nothing built) fails the run: configure
# installs what they need.  Each script cleans up after itself (traps);
# the namespace testbed also reaps what a killed run left.
# Environment: ONLY="b4 b3 ..." to run a subset.
set -u
here=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
--smoke) export SMOKE=1 ;;
"") export SMOKE=${SMOKE:-0} ;;
*) echo "usage: bench/run-all.sh [--smoke]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "run-all: run as root (namespaces, XDP, BPF_PROG_RUN)" >&2; exit 1; }
[ -x "${DICAP_BIN:-$here/../build/plain/bin}/dicapd" ] || { echo "run-all: build first (make)" >&2; exit 1; }

ONLY=${ONLY:-b4 b4cg b3 b1 b2 b2spin b5 drain}
failed=
for b in $ONLY; do
	consumer=tshark
	case $b in
	b1) s=b1-loss.sh ;;
	b2) s=b2-scaling.sh ;;
	b2spin) s=b2-scaling.sh; consumer=spin ;;
	b3) s=b3-balance.sh ;;
	b4) s=b4-xdp-cost.sh ;;
	b4cg) s=b4-callgrind.sh ;;
	b5) s=b5-ingest.sh ;;
	drain) s=drain-cost.sh ;;
	*) echo "run-all: unknown benchmark $b" >&2; exit 2 ;;
	esac
	echo "run-all: $s $([ "$consumer" = spin ] && echo "(CONSUMER=spin) ")$([ "$SMOKE" = 1 ] && echo '(smoke)')" >&2
	t0=$SECONDS
	if CONSUMER=$consumer bash "$here/$s"; then
		echo "run-all: $s done in $((SECONDS - t0)) s" >&2
	else
		echo "run-all: $s FAILED" >&2
		failed="$failed $s"
	fi
done
if [ -n "$failed" ]; then
	echo "run-all: failed:$failed" >&2
	exit 1
fi
echo "run-all: all done" >&2
