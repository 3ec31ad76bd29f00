# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# The fault-injection suite's common part (make check-faults; docs/design.md,
# "Failure behaviour").  Each case runs steady dicap-gen traffic with
# numbered frames through the namespace testbed (tests/testbed.sh), injects
# one fault, compares what the analyzer captured with what was sent, and
# prints its figure as a TAP comment starting "figure:", beside the bound
# it asserts.  Bounds are checked against the sender's own time stamps
# (the -w file) and the moments the test observed, never against how fast
# the machine happened to be.
#
# FAULTS_PROFILE: short (the default, part of make check: each case once,
# a few seconds of fault) or long (longer faults, more rounds).
# Faults that need kernel pieces this kernel lacks (sch_netem) skip with
# the reason.

FAULTS_PROFILE=${FAULTS_PROFILE:-short}
case $FAULTS_PROFILE in
short | long) ;;
*) echo "FAULTS_PROFILE=$FAULTS_PROFILE: short or long" >&2; exit 2 ;;
esac
FAULTS_OBJ=${DICAP_BPF:-$TB_REPO/build/bpf}/faults.bpf.o

# faults_require: skip the whole case without the fault programs.
faults_require() {
	[ -f "$FAULTS_OBJ" ] || skip_all "no $FAULTS_OBJ (make bpf)"
}

# faults_tc HOST DEV DIR SECTION: attach tests/bpf/faults.bpf.c's SECTION
# to DEV in HOST, direction DIR (ingress or egress); clsact made on demand.
faults_tc() {
	local ns

	ns=$(tb_ns "$1")
	tc -n "$ns" qdisc show dev "$2" | grep -q clsact ||
		tc -n "$ns" qdisc add dev "$2" clsact || return 1
	tc -n "$ns" filter add dev "$2" "$3" prio 1 bpf direct-action obj "$FAULTS_OBJ" sec "$4"
}

# faults_tc_clear HOST DEV: remove every fault from DEV.
faults_tc_clear() {
	tc -n "$(tb_ns "$1")" qdisc del dev "$2" clsact 2>/dev/null
	return 0
}

faults_now_ns() {
	echo "${EPOCHREALTIME/./}000"
}

# faults_sent_times PCAP: "SEQ TS_NS" per frame of dicap-gen's -w file.
faults_sent_times() {
	perl -e '
		use strict;
		open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
		my $gh;
		read($fh, $gh, 24) == 24 or exit 0;
		my $m = unpack("V", $gh);
		my ($fmt, $mul) = $m == 0xa1b23c4d ? ("V4", 1) : $m == 0xa1b2c3d4 ? ("V4", 1000) :
			unpack("N", $gh) == 0xa1b23c4d ? ("N4", 1) : ("N4", 1000);
		my ($rh, $d);
		while (read($fh, $rh, 16) == 16) {
			my ($s, $f, $incl) = unpack($fmt, $rh);
			read($fh, $d, $incl) == $incl or die "truncated\n";
			my $i = index($d, "DCAP");
			next if $i < 0 || $i + 8 > length $d;
			printf "%u %u%09u\n", unpack("N", substr($d, $i + 4, 4)), $s, $f * $mul;
		}' "$1"
}

# faults_damage SENT_TIMES CAP_SEQ OUT: per sequence number sent, how often
# it was captured; OUT gets "SEQ TS_NS COUNT" for every frame not captured
# exactly once.  Prints "MISSING DUPLICATES UNKNOWN".
faults_damage() {
	awk -v out="$3" '
		FNR == 1 { f++ }
		f == 1 { ts[$1] = $2; next }
		$1 == "none" { next }
		{ if ($1 in ts) got[$1]++; else unknown++ }
		END {
			printf "" > out
			for (s in ts) {
				n = got[s] + 0
				if (n == 0) missing++
				if (n > 1) dup += n - 1
				if (n != 1) print s, ts[s], n > out
			}
			printf "%d %d %d\n", missing, dup, unknown
		}' "$1" "$2"
}

# faults_frames_between SENT_TIMES T0_NS T1_NS: frames sent in [T0, T1).
faults_frames_between() {
	awk -v a="$2" -v b="$3" '$2 >= a && $2 < b { n++ } END { print n + 0 }' "$1"
}

# faults_outside DAMAGE T0_NS T1_NS: damaged frames sent outside [T0, T1).
faults_outside() {
	awk -v a="$2" -v b="$3" '$2 < a || $2 >= b { n++ } END { print n + 0 }' "$1"
}

# faults_figure TEXT: the case's figure, for the log and the summary.
faults_figure() {
	diag "figure: $*"
}

# faults_start_flow DIR: the analyzer writing DIR/cap.pcap, a flow-mode
# coordinator and nodes 1-3 capturing, waited for until they hold a
# 3-member table; fails (with the reason as a diag) if any of it did not.
faults_start_flow() {
	local i up=0

	tb_start_analyzer -w "$1/cap.pcap" || up=1
	tb_start_coord --select flow || up=1
	for i in 1 2 3; do
		tb_start_node "$i" --capture --snaplen "$SNAPLEN" || up=1
	done
	tb_wait_until "tb_members_are 3 1 2 3 && tb_dp_ready 1 2 3" 15000 || { up=1; diag "$TB_WHY"; }
	return $up
}

# faults_collect DIR: stop the sender, let the analyzer take what is on its
# way, stop it, then compare DIR/sent.pcap with DIR/cap.pcap (faults_damage
# into DIR/damage.txt); FAULTS_DAMAGE is then "MISSING DUPLICATES UNKNOWN".
# Not in a command substitution: the testbed's process records must follow.
faults_collect() {
	tb_gen_stop
	tb_wait_delivered ana 999999999 3000
	tb_stop_analyzer ana
	faults_sent_times "$1/sent.pcap" >"$1/sent.times"
	tb_pcap_seqs "$1/cap.pcap" >"$1/cap.seq"
	FAULTS_DAMAGE=$(faults_damage "$1/sent.times" "$1/cap.seq" "$1/damage.txt")
}
