#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The module against a fake dicapd on a socket of this test's own: what it
# answers is garbage, truncated, too deep, too long, incomplete, late, for
# another interface, an error line, or a well-formed status for an
# interface without DiCAP's XDP program.  Each is refused with a clear
# reason, pcap_findalldevs describes the share, and hundreds of randomly
# damaged answers go through the parser under valgrind without one
# invalid read.  No namespaces, no capture is ever opened: the interface
# is lo, and every case stops before the capture socket.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"

DICAP_BIN=${DICAP_BIN:-$REPO/build/plain/bin}
DICAP_TOOLS=${DICAP_TOOLS:-$REPO/build/plain/tests/bin}
CHECK=$DICAP_TOOLS/pcap-dicap-check
ROUNDS=${PD_FUZZ_ROUNDS:-300}

command -v tcpdump >/dev/null || skip_all "tcpdump not installed"
command -v perl >/dev/null || skip_all "perl not installed"
"$DICAP_BIN/dicap-run" --libdir >/dev/null 2>&1 || skip_all "the drop-in libpcap is not built"
plan 16

dir=$(mktemp -d "${TMPDIR:-/tmp}/dicap-fake.XXXXXX") || bail_out "mktemp failed"
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill -TERM "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# The fake: answers every connection with the file ANSWER as it is then;
# "HANG" answers nothing (until the client hangs up), "HUGE" 300 KiB, "MUTATE" the status of lo with a
# few random changes (seeded).
perl -e '
	use strict; use IO::Socket::UNIX;
	my ($path, $answer) = @ARGV;
	my $s = IO::Socket::UNIX->new(Local => $path, Listen => 64) or die "listen: $!\n";
	srand(42);
	my $good = `cat $answer.good`;
	my @junk = ("{", "}", "[", "]", "\"", "\\", ",", ":", "0", "-", "e", "null", "\x00", "\xff", " ");
	while (my $c = $s->accept) {
		my $cmd = <$c>;
		open(my $fh, "<", $answer) or next;
		local $/; my $a = <$fh>; close $fh;
		if ($a eq "HANG\n") { my $eof = <$c>; next }	# until the client gives up
		if ($a eq "HUGE\n") { print $c "{\"iface\":\"" . ("x" x 307200) . "\"}"; next }
		if ($a eq "MUTATE\n") {
			$a = $good;
			for (1 .. 1 + int(rand(4))) {
				my $at = int(rand(length $a));
				my $op = int(rand(4));
				if ($op == 0) { substr($a, $at, 1) = chr(int(rand(256))) }
				elsif ($op == 1) { substr($a, $at, int(rand(20))) = "" }
				elsif ($op == 2) { substr($a, $at, 0) = $junk[int(rand(@junk))] }
				else { $a = substr($a, 0, $at) }
			}
		}
		print $c $a;
	}' "$dir/lo.sock" "$dir/answer" &
fake_pid=$!

status() {	# status IFACE DATAPATH DISTRIBUTE EPOCH POSITION: a status line
	printf '{"node_id":"0x0d1c0002","iface":"%s","weight":1,"state":"joined",' "$1"
	printf '"coordinator":"198.19.0.1:7467","coordinators":["198.19.0.1:7467"],"term":1,'
	printf '"epoch":%s,"mode":"flow","members":5,"position":%s,"owned_buckets":13107,' "$4" "$5"
	printf '"share":20.0002,"validity_start_ns":1,"analyzers":[],"table_digest":"00",'
	printf '"pending_epoch":null,"datapath":{"name":"%s","distribute":%s,"counters":{"seen":0}},' "$2" "$3"
	printf '"counters":{"rx_malformed":0}}\n'
}
status lo xdp true 3 1 >"$dir/answer.good"

answer() {	# answer TEXT: what the fake says from now on
	printf '%s\n' "$1" >"$dir/answer.tmp" && mv "$dir/answer.tmp" "$dir/answer"
}

# try: open dicap:lo with tcpdump; OUT, RC, MS
try() {
	local t0=${EPOCHREALTIME/./}

	OUT=$(DICAP_SOCKET_DIR=$dir DICAP_JOIN_TIMEOUT=0 "$DICAP_BIN/dicap-run" \
		tcpdump -n -c 1 -i dicap:lo -w /dev/null 2>&1)
	RC=$?
	MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

refused() {	# refused NAME PATTERN: tcpdump failed (not a crash) saying PATTERN
	if [ "$RC" = 1 ] && printf '%s\n' "$OUT" | grep -qF -e "$2"; then
		ok 1 "$1"
	else
		ok 0 "$1"
		diag "exit $RC: $OUT"
	fi
}

for i in $(seq 50); do
	[ -S "$dir/lo.sock" ] && break
	sleep 0.1
done

answer 'hello'
try
refused "not JSON: refused" "dicap:lo: dicapd at $dir/lo.sock: its status is not a JSON object"

answer "$(head -c 120 "$dir/answer.good")"
try
refused "truncated JSON: refused" "its status is not a JSON object"

answer "$(status lo xdp true 3 1 | sed 's/"joined"/joined/')"
try
refused "a bare word as a value: refused" "its status is not a JSON object"

answer "$(printf '%0.s[' $(seq 100))$(printf '%0.s]' $(seq 100))"
try
refused "nesting 100 deep: refused (the reader stops at 16)" "its status is not a JSON object"

answer '{"iface":"lo","state":"joined"}'
try
refused "a status without epoch and datapath: refused" "its status lacks iface, state, epoch or datapath.name"

answer "$(status eth7 xdp true 3 1)"
try
refused "a status of another interface: refused" "$dir/lo.sock belongs to dicapd for eth7, not lo"

answer 'error: busy: too many clients, try again'
try
refused "an error line: passed on" 'answered "error: busy: too many clients, try again"'

answer HUGE
try
refused "an answer of 300 KiB: refused" "is longer than 262143 bytes"

answer HANG
try
refused "no answer: refused after the timeout" "no answer from $dir/lo.sock: timed out"
ok $((MS >= 2500 && MS < 6000)) "... of 3 s ($MS ms)"

answer "$(status lo xdp true 3 1)"
line=$(DICAP_SOCKET_DIR=$dir "$DICAP_BIN/dicap-run" tcpdump -D 2>&1 | grep 'dicap:lo')
is "$line" "$(printf '%s' "$line" | grep -o '^[0-9]*\.')dicap:lo (DiCAP node 2 of 5 on lo: 20.0% of the traffic, flow selection) [Up, Running]" \
	"tcpdump -D describes the share"
try
refused "lo has no XDP program: refused" "dicapd for lo reports the XDP datapath, but lo has no XDP program in this network namespace"

answer '{"iface":"lo","state":"no-coordinator","coordinator":null,"coordinators":["[fd00::1]:7467","10.0.0.1:7467"],"epoch":null,"position":null,"datapath":{"name":"xdp","distribute":true}}'
try
refused "no share yet: the coordinators known are named" \
	"dicapd for lo has no share yet after 0 s (state no-coordinator, coordinators: [fd00::1]:7467, 10.0.0.1:7467)"

answer "$(status lo xdp false null null)"
line=$(DICAP_SOCKET_DIR=$dir "$DICAP_BIN/dicap-run" tcpdump -D 2>&1 | grep 'dicap:lo')
case $line in
*"DiCAP on lo: dicapd passes no traffic to libpcap"*) ok 1 "tcpdump -D says when dicapd passes nothing" ;;
*) ok 0 "tcpdump -D says when dicapd passes nothing"; diag "$line" ;;
esac

# Randomly damaged status answers, under valgrind when there is one.
answer MUTATE
vg=
command -v valgrind >/dev/null && vg="valgrind -q --error-exitcode=99 --log-file=$dir/vg.log"
if [ -x "$CHECK" ]; then
	out=$(DICAP_SOCKET_DIR=$dir DICAP_JOIN_TIMEOUT=0 "$DICAP_BIN/dicap-run" $vg "$CHECK" -n "$ROUNDS" dicap:lo 2>&1)
	rc=$?
	diag "$ROUNDS damaged answers${vg:+ under valgrind}: $out"
	ok $((rc == 0)) "the parser survives $ROUNDS randomly damaged answers (exit $rc)" ||
		diag "$(head -n 20 "$dir/vg.log" 2>/dev/null)"
	case $out in
	*"activated 0 failed $ROUNDS"*) ok 1 "... and none of them is taken for a usable dicapd" ;;
	*) ok 0 "... and none of them is taken for a usable dicapd" ;;
	esac
else
	ok 1 "# SKIP $CHECK not built"
	ok 1 "# SKIP $CHECK not built"
fi

done_testing
