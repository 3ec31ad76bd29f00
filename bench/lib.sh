# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# What the benchmarks (bench/b*.sh) share: the machine's description,
# median and spread of repeated samples, building the C helpers into
# build/bench/, plots with gnuplot.  Source it after setting BENCH_NAME.
#
# Environment: BENCH_RUN_LOAD (the load averages to report, for a report
# written after the run from its raw file), SMOKE=1 (set by run-all.sh --smoke: a few seconds, tiny
# repeat counts; the numbers then mean nothing), BENCH_OUT (directory of
# the results, default bench/results; smoke runs write to build/bench/smoke),
# MIRROR (xdp or tc: the testbed's mirror for B1 and B2, TB_MIRROR of
# tests/testbed.sh; default xdp where it works, else tc).

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/lib/ports.sh
. "$BENCH_REPO/tests/lib/ports.sh"
DICAP_BIN=${DICAP_BIN:-$BENCH_REPO/build/plain/bin}	# the programs
DICAP_TOOLS=${DICAP_TOOLS:-$BENCH_REPO/build/plain/tests/bin}	# tests/tools/
BENCH_BUILD=$BENCH_REPO/build/bench
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
	BENCH_OUT=${BENCH_OUT:-$BENCH_BUILD/smoke}
else
	BENCH_OUT=${BENCH_OUT:-$BENCH_REPO/bench/results}
fi
mkdir -p "$BENCH_OUT" "$BENCH_BUILD"
BENCH_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
TB_MIRROR=${MIRROR:-${TB_MIRROR:-}}
export TB_MIRROR

bench_log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
bench_die() { bench_log "$*"; exit 1; }

# bench_free_port: a TCP and UDP port below the ephemeral range that
# nothing on this host uses (free_port of tests/lib/ports.sh).
bench_free_port() {
	free_port || bench_die "no free port below the ephemeral range"
}

# bench_cc OUT SRC... [-lLIB...]: build a helper with the project's flags.
bench_cc() {
	local out=$1

	shift
	${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$BENCH_REPO/include" \
		-I"$BENCH_REPO/lib" -I"$BENCH_REPO" "$@" -o "$BENCH_BUILD/$out" ||
		bench_die "cannot build $out"
}

# bench_machine: the Markdown lines describing the machine and its load.
bench_machine() {
	cat <<MD
- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores online
- Kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")
- Load average (1, 5, 15 min) ${BENCH_RUN_LOAD:-before the run: $BENCH_LOAD_START; at its end: $(cut -d' ' -f1-3 /proc/loadavg)}
- Written on $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$SMOKE" = 1 ] && echo ' as a SMOKE run: tiny repeat counts, the numbers mean nothing')
MD
	[ -z "${TB_MIRROR_USED:-}" ] ||
		echo "- Testbed mirror: $TB_MIRROR_USED (MIRROR; docs/design.md, The testbed)"
}

# bench_stats: reads "KEY VALUE" lines, prints "KEY MEDIAN MIN MAX COUNT"
# per key, keys in order of first appearance.
bench_stats() {
	awk '
	!($1 in n) { order[++k] = $1 }
	{ v[$1, ++n[$1]] = $2 }
	END {
		for (i = 1; i <= k; i++) {
			key = order[i]; c = n[key]
			for (a = 1; a <= c; a++) s[a] = v[key, a]
			for (a = 1; a <= c; a++)
				for (b = a + 1; b <= c; b++)
					if (s[b] + 0 < s[a] + 0) { t = s[a]; s[a] = s[b]; s[b] = t }
			med = c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
			printf "%s %s %s %s %d\n", key, med, s[1], s[c], c
		}
	}'
}

# bench_plot SCRIPT: run gnuplot on SCRIPT (from stdin) if it is installed.
bench_plot() {
	if ! command -v gnuplot >/dev/null; then
		bench_log "gnuplot not installed (apt-get install gnuplot-nox): no plot"
		cat >/dev/null
		return 0
	fi
	gnuplot 2>"$BENCH_BUILD/gnuplot.$BENCH_NAME.log" ||
		bench_log "gnuplot failed: $(tail -3 "$BENCH_BUILD/gnuplot.$BENCH_NAME.log")"
}

# bench_wait_quiet: wait (up to 60 s) until the 1-minute load average is
# below 1.0, so that a measurement does not share the cores by accident.
bench_wait_quiet() {
	local i

	[ "$SMOKE" = 1 ] && return 0
	for i in $(seq 60); do
		awk '{ exit !($1 < 1.0) }' /proc/loadavg && return 0
		sleep 1
	done
	bench_log "load average still $(cut -d' ' -f1 /proc/loadavg): measuring anyway"
}
