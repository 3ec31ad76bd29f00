# SPDX-License-Identifier: BSD-2-Clause
# Helpers for dicap-analyzer's end-to-end tests (tests/analyzer/*.t): a real
# dicap-analyzer on 127.0.0.1 fed by dicap-batchsend, its pcap output read
# back with tcpdump (and tshark where it helps).  Each test has its own
# temporary directory and its own free port; whatever it started is stopped
# on exit (SIGTERM, then SIGKILL), also on failure.  E2E_KEEP=1 keeps the
# directory for a post-mortem.

set -u

ANA_REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$ANA_REPO/tests/lib/tap.sh"
. "$ANA_REPO/tests/lib/wait.sh"
. "$ANA_REPO/tests/lib/procs.sh"
. "$ANA_REPO/tests/lib/ports.sh"
. "$ANA_REPO/tests/lib/rundir.sh"

DICAP_BIN=${DICAP_BIN:-$ANA_REPO/build/plain/bin}	# the programs
DICAP_TOOLS=${DICAP_TOOLS:-$ANA_REPO/build/plain/tests/bin}	# tests/tools/
ANALYZER=$DICAP_BIN/dicap-analyzer
BATCHSEND=$DICAP_TOOLS/dicap-batchsend

declare -a ANA_PIDS=()
declare -A PID=()
ANA_DIR=
PORT=
LAST_STATUS=

ana_cleanup() {
	local rc=$? f

	trap - EXIT INT TERM
	stop_all -n PID 3000 "${ANA_PIDS[@]}"
	if [ "$TAP_FAILED" -ne 0 ] && [ -n "$ANA_DIR" ]; then
		for f in "$ANA_DIR"/*.log; do
			[ -s "$f" ] || continue
			echo "# --- $f (last 30 lines)"
			tail -n 30 "$f" | sed 's/^/#   /'
		done
	fi
	rundir_remove "$ANA_DIR" "${E2E_KEEP:-0}"
	exit $rc
}

# ana_init [TOOL...]: skip unless the programs and tools are there.
ana_init() {
	local t

	[ -x "$ANALYZER" ] || skip_all "$ANALYZER not built (make programs)"
	[ -x "$BATCHSEND" ] || skip_all "$BATCHSEND not built (make tests)"
	for t in jq ss "$@"; do
		command -v "$t" >/dev/null || skip_all "$t is not installed"
	done
	ANA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dicap-ana.XXXXXX") || bail_out "mktemp failed"
	# dicap-analyzer, started as root, writes its files as nobody (dicap-analyzer(8) --user)
	chmod 0777 "$ANA_DIR"
	trap ana_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	PORT=$(free_port) || bail_out "no free port"
	ADDR=127.0.0.1:$PORT
}

bound_udp() { [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]; }
bound_tcp() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# start_analyzer NAME ARGS...: run dicap-analyzer -l $ADDR ARGS in the
# background (stderr to NAME.log, stdout to NAME.out unless ARGS redirect
# it through a pipeline: see start_pipeline) and wait until it listens.
start_analyzer() {
	local name=$1

	shift
	"$ANALYZER" -l "$ADDR" "$@" >"$ANA_DIR/$name.out" 2>"$ANA_DIR/$name.log" &
	PID[$name]=$!
	ANA_PIDS+=($!)
	wait_until 5000 bound_udp "$PORT" && return 0
	diag "$name did not bind udp $ADDR: $(cat "$ANA_DIR/$name.log")"
	return 1
}

# stop NAME [SIGNAL]: signal it (TERM) and wait; the exit status in LAST_STATUS.
stop() {
	local name=$1 sig=${2:-TERM} pid=${PID[$1]}

	if ! signal_wait "$pid" "$sig" 5000; then
		diag "$name (pid $pid) still runs 5 s after SIG$sig"
		kill -KILL "$pid"
	fi
	wait "$pid" 2>/dev/null
	LAST_STATUS=$?
	return 0
}

# send ARGS...: dicap-batchsend -s $ADDR ARGS; its JSON summary in SENT_JSON.
send() {
	SENT_JSON=$("$BATCHSEND" -s "$ADDR" "$@" 2>>"$ANA_DIR/batchsend.log")
	local rc=$?

	[ $rc -eq 0 ] || diag "dicap-batchsend exited $rc: $(tail -n 3 "$ANA_DIR/batchsend.log")"
	return $rc
}

sent() { printf '%s' "$SENT_JSON" | jq -r "$1"; }

# stat_of FILE JQ: a value from a stats file ("" if unreadable).
stat_of() { jq -r "$2" "$1" 2>/dev/null; }

# stats_reach FILE JQ VALUE: true once the stats file shows VALUE.
stats_reach() { [ "$(stat_of "$1" "$2")" = "$3" ]; }

# node_stat FILE ID FIELD
node_stat() { stat_of "$1" ".nodes[] | select(.id == \"$2\") | .$3"; }

# pcap_records FILE...: "SEC.NSEC SEQ" per record, in file order, through
# tcpdump; SEQ is the number after the first "DCAP" in the frame, -1 if none.
pcap_records() {
	local f

	for f in "$@"; do
		tcpdump -r "$f" -nn -tt --nano -xx 2>/dev/null
	done | dump_records
}

# dump_records: the same from `tcpdump -nn -tt --nano -xx` output on stdin.
dump_records() {
	awk '
	function hexval(s,    i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	function emit(    p, q, seq) {
		if (ts == "")
			return
		seq = -1
		p = 1
		while ((q = index(substr(hex, p), "44434150")) > 0) {
			p += q - 1
			if (p % 2 == 1) {
				if (length(hex) >= p + 15)
					seq = hexval(substr(hex, p + 8, 8))
				break
			}
			p++
		}
		printf "%s %d\n", ts, seq
		ts = ""
	}
	/^[0-9]/ { emit(); ts = $1; hex = ""; next }
	/^[ \t]+0x[0-9a-f]+:/ {
		for (i = 2; i <= NF; i++)
			hex = hex tolower($i)
	}
	END { emit() }'
}

# in_order: stdin "SEC.NSEC ..." lines; prints the first line out of order.
in_order() {
	awk '{ t = $1 ""; if (NR > 1 && t < prev) { print NR ": " prev " then " t; exit 1 } prev = t }'
}

# pcap_ok FILE: tcpdump reads the whole file without complaint.
pcap_ok() {
	local err

	err=$(tcpdump -r "$1" -nn -c 1000000000 2>&1 >/dev/null | grep -v '^reading from file')
	[ -z "$err" ] || { diag "tcpdump -r $1: $err"; return 1; }
}

# pcap_magic FILE: the first 4 bytes as hex.
pcap_magic() { od -An -tx1 -N4 "$1" | tr -d ' \n'; }

# same_sets A B NAME: the sorted lines of files A and B are equal.
same_sets() {
	local a=$1 b=$2 name=$3 d

	d=$(diff <(sort "$a") <(sort "$b") | head -n 6)
	if [ -z "$d" ]; then
		ok 1 "$name"
	else
		ok 0 "$name"
		diag "$(wc -l <"$a") vs $(wc -l <"$b") lines; first differences:"
		diag "$d"
	fi
}
