# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the control plane's end-to-end tests (tests/ctl/*.t): real
# dicap-coord, dicapd and dicap-nodesim processes on 127.0.0.1, each test
# in its own temporary directory and on its own ports.
#
# Everything a test starts is killed on exit (SIGTERM, then SIGKILL) and the
# directory removed, also when the test fails or is interrupted; set
# E2E_KEEP=1 to keep the directory (logs, sockets, key) for a post-mortem.
#
# Timing: every wait has a deadline and polls every 100 ms.  Bounds that the
# protocol promises (takeover within timeout + one interval, ...) are
# asserted with E2E_SLACK_MS (default 1500 ms) added for a loaded 2-core CI
# machine, and the measured value is always printed with diag.

set -u

E2E_REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$E2E_REPO/tests/lib/tap.sh"
. "$E2E_REPO/tests/lib/wait.sh"
. "$E2E_REPO/tests/lib/procs.sh"
. "$E2E_REPO/tests/lib/rundir.sh"

DICAP_BIN=${DICAP_BIN:-$E2E_REPO/build/plain/bin}	# the programs
DICAP_TOOLS=${DICAP_TOOLS:-$E2E_REPO/build/plain/tests/bin}	# tests/tools/
COORD_BIN=$DICAP_BIN/dicap-coord
DICAPD_BIN=$DICAP_BIN/dicapd
DICAPCTL_BIN=$DICAP_BIN/dicapctl
NODESIM_BIN=$DICAP_TOOLS/dicap-nodesim

# Protocol timers used by the tests: shorter than the defaults to keep the
# suite quick, long enough that a busy machine does not miss heartbeats.
HB_MS=${E2E_HB_MS:-500}
TIMEOUT_MS=${E2E_TIMEOUT_MS:-2000}
GUARD_MS=${E2E_GUARD_MS:-300}
SLACK_MS=${E2E_SLACK_MS:-1500}

declare -a E2E_ALL_PIDS=()	# every process started, for the cleanup
declare -A E2E_PID=()		# name -> pid of its latest instance
declare -A E2E_LOG=()		# name -> log file
declare -A ADDR=()		# coordinator name -> 127.0.0.1:port
declare -A SOCK=()		# node name -> UNIX socket path
E2E_DIR=
E2E_PORT_BASE=
E2E_PORT_NEXT=0
WAIT_MS=0
OWN_WHY=
OWN_EPOCH=
OWN_TERM=
OWN_DIGEST=

e2e_cleanup() {
	local rc=$?

	trap - EXIT INT TERM
	if [ "$TAP_FAILED" -ne 0 ]; then
		dump_logs
	fi
	stop_all -n E2E_PID 3000 "${E2E_ALL_PIDS[@]}"
	rundir_remove "$E2E_DIR" "${E2E_KEEP:-0}"
	exit $rc
}

# e2e_init [TOOL...]: skip unless the programs and the test TOOLs
# (tests/tools/, in DICAP_TOOLS) are built; make the temporary directory,
# the credentials (KEY, NODE_KEY, STATUS_KEY) and the port range.
e2e_init() {
	local p

	for p in dicap-coord dicapd dicapctl; do
		[ -x "$DICAP_BIN/$p" ] || skip_all "$DICAP_BIN/$p not built (make programs)"
	done
	for p in "$@"; do
		[ -x "$DICAP_TOOLS/$p" ] || skip_all "$DICAP_TOOLS/$p not built (make tests)"
	done
	command -v jq >/dev/null || skip_all "jq not installed"
	command -v ss >/dev/null || skip_all "ss (iproute2) not installed"
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dicap-e2e.XXXXXX") || bail_out "mktemp failed"
	# dicap-analyzer, started as root, writes its files as nobody (dicap-analyzer(8) --user)
	chmod 0777 "$E2E_DIR"
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# The three credentials (docs/security.md): the coordinators', the
	# nodes' and the status readers'.
	KEY=$E2E_DIR/coord.key
	NODE_KEY=$E2E_DIR/node.key
	STATUS_KEY=$E2E_DIR/status.key
	{ "$DICAPCTL_BIN" keygen "$KEY" &&
	  "$DICAPCTL_BIN" keygen --role node --from "$KEY" "$NODE_KEY" &&
	  "$DICAPCTL_BIN" keygen --role status --from "$KEY" "$STATUS_KEY"; } \
		>"$E2E_DIR/keygen.log" 2>&1 ||
		bail_out "dicapctl keygen failed: $(cat "$E2E_DIR/keygen.log")"
	pick_port_base
}

# A random block of 200 ports below the ephemeral range (so that no
# daemon's own ephemeral socket can take one), with nothing bound in it.
pick_port_base() {
	local lo try base used

	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ -n "$lo" ] && [ "$lo" -gt 12000 ] || lo=32768
	for try in $(seq 50); do
		base=$((10000 + RANDOM % ((lo - 10000 - 200) / 100) * 100))
		used=$(ss -Hantu 2>/dev/null | awk -v lo=$base -v hi=$((base + 199)) '
			{ n = split($5, a, ":"); p = a[n] + 0; if (p >= lo && p <= hi) c++ }
			END { print c + 0 }')
		if [ "$used" -eq 0 ]; then
			E2E_PORT_BASE=$base
			E2E_PORT_NEXT=$base
			return 0
		fi
	done
	bail_out "no free block of 200 ports found"
}

# alloc_port VAR: the next port of this test's block.
alloc_port() {
	printf -v "$1" '%s' "$E2E_PORT_NEXT"
	E2E_PORT_NEXT=$((E2E_PORT_NEXT + 1))
}

# reserve_coord NAME: give coordinator NAME its address before it starts
# (peers must know each other's addresses).
reserve_coord() {
	local port

	[ -n "${ADDR[$1]:-}" ] && return 0
	alloc_port port
	ADDR[$1]=127.0.0.1:$port
}

# spawn NAME CMD...: run CMD in the background, output appended to NAME.log.
spawn() {
	local name=$1 log

	shift
	log=$E2E_DIR/$name.log
	E2E_LOG[$name]=$log
	echo "=== $(date +%T.%N) $*" >>"$log"
	"$@" >>"$log" 2>&1 &
	E2E_PID[$name]=$!
	E2E_ALL_PIDS+=("$!")
	disown $!
}

# start_coord NAME [OPTION...]: a coordinator in the foreground with debug
# logging, the test key, no multicast (parallel test runs must not hear each
# other) and the test timers; OPTIONs are appended (later ones win where the
# program lets them).  Waits until it answers a status request.
start_coord() {
	local name=$1

	shift
	reserve_coord "$name"
	spawn "$name" "$COORD_BIN" -f -d -l "${ADDR[$name]}" -k "$KEY" --no-announce \
		--heartbeat "$HB_MS" --timeout "$TIMEOUT_MS" --guard "$GUARD_MS" "$@"
	if ! wait_until 10000 coord_answers "$name"; then
		diag "coordinator $name did not answer status within 10 s"
		return 1
	fi
}

coord_answers() {
	"$DICAPCTL_BIN" -c "${ADDR[$1]}" -k "$STATUS_KEY" status --json >/dev/null 2>&1
}

# start_node NAME COORD_NAME... [-- OPTION...]: a dicapd (datapath none) on lo
# with its own socket, joining the named coordinators.  Waits for the socket.
start_node() {
	local name=$1 sock args=()

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=(-c "${ADDR[$1]}")
		shift
	done
	[ $# -gt 0 ] && shift
	sock=$E2E_DIR/$name.sock
	SOCK[$name]=$sock
	spawn "$name" "$DICAPD_BIN" -f -d -i lo -s "$sock" -k "$NODE_KEY" --datapath none "${args[@]}" "$@"
	if ! wait_until 10000 node_answers "$name"; then
		diag "node $name did not answer on $sock within 10 s"
		return 1
	fi
}

node_answers() {
	"$DICAPCTL_BIN" -i lo -s "${SOCK[$1]}" status --json >/dev/null 2>&1
}

# kill_proc NAME SIGNAL: signal NAME's process and wait until it is gone.
kill_proc() {
	local pid=${E2E_PID[$1]}

	signal_wait "$pid" "$2" 10000 && return 0
	diag "$1 (pid $pid) still running 10 s after SIG$2"
	return 1
}

alive() {
	kill -0 "${E2E_PID[$1]}" 2>/dev/null
}

# node_json NAME [JQ_FILTER]: what node NAME reports, through dicapctl.
node_json() {
	local out

	out=$("$DICAPCTL_BIN" -i lo -s "${SOCK[$1]}" status --json 2>/dev/null) || return 1
	printf '%s\n' "$out" | jq -r "${2:-.}"
}

# coord_json NAME [JQ_FILTER]: the coordinator's status, through dicapctl.
coord_json() {
	local out

	out=$("$DICAPCTL_BIN" -c "${ADDR[$1]}" -k "$STATUS_KEY" status --json 2>/dev/null) || return 1
	printf '%s\n' "$out" | jq -r "${2:-.}"
}

# owned_save NAME FILE: node NAME's owned ranges into FILE.
owned_save() {
	"$DICAPCTL_BIN" -i lo -s "${SOCK[$1]}" owned >"$2" 2>/dev/null
}

# check_ownership NODE...: every node answers, all report the same term,
# epoch and table digest and no pending switch, and their owned ranges are
# disjoint and cover 0..65535 exactly.  Quiet: the reason of a failure is
# in OWN_WHY; on success OWN_TERM, OWN_EPOCH, OWN_DIGEST are set and each
# node's ranges are in $E2E_DIR/owned.NODE.
check_ownership() {
	local n line first='' files=() f

	OWN_WHY=
	for n in "$@"; do
		line=$(node_json "$n" '"\(.term) \(.epoch) \(.table_digest) \(.owned_buckets) \(.state)"') || {
			OWN_WHY="node $n does not answer status"
			return 1
		}
		if [ -z "$first" ]; then
			first=$line
		elif [ "${line% * *}" != "${first% * *}" ]; then
			OWN_WHY="nodes disagree: '${first% * *}' vs $n '${line% * *}' (term epoch digest)"
			return 1
		fi
		f=$E2E_DIR/owned.$n
		owned_save "$n" "$f" || {
			OWN_WHY="node $n does not answer owned"
			return 1
		}
		files+=("$f")
	done
	OWN_WHY=$(ranges_partition "${files[@]}") || return 1
	set -- $first
	OWN_TERM=$1 OWN_EPOCH=$2 OWN_DIGEST=$3
	return 0
}

# ranges_partition FILE...: the "START-END" lines of all files are disjoint
# and cover 0..65535; prints the reason otherwise.  Sorting the ranges and
# walking them once keeps this fast enough for 100 ms sampling.
ranges_partition() {
	awk '!/^[0-9]+-[0-9]+$/ && !/^$/ {
		printf "unexpected line \"%s\" in %s\n", $0, FILENAME; exit 1 }' "$@" || return 1
	sort -t- -k1,1n "$@" | awk -F- '
	BEGIN { end = -1 }
	/^$/ { next }
	{
		if ($1 + 0 > $2 + 0 || $2 + 0 > 65535) {
			printf "bad range %s\n", $0; bad = 1; exit
		}
		if ($1 + 0 <= end) {
			printf "buckets %d-%d are owned twice\n", $1, ($2 < end ? $2 : end); bad = 1; exit
		}
		if ($1 + 0 > end + 1) {
			printf "buckets %d-%d are owned by nobody\n", end + 1, $1 - 1; bad = 1; exit
		}
		end = $2 + 0
	}
	END {
		if (bad)
			exit 1
		if (end != 65535) {
			printf "buckets %d-65535 are owned by nobody\n", end + 1
			exit 1
		}
	}'
}

# bucket_count FILE: number of buckets in a ranges file.
bucket_count() {
	awk -F- '/^[0-9]+-[0-9]+$/ { n += $2 - $1 + 1 } END { print n + 0 }' "$1"
}

# moved_buckets BEFORE_DIR AFTER_DIR: compare two ownership snapshots (one
# file per node, named after the node); prints "MOVED FROM_SET TO_SET", the
# number of buckets whose owner changed and, comma-separated, the nodes
# that lost and that gained buckets.
moved_buckets() {
	awk '
	FNR == 1 { split(FILENAME, p, "/"); name = p[length(p)]; dir = p[length(p) - 1] }
	/^[0-9]+-[0-9]+$/ {
		split($0, r, "-")
		for (b = r[1] + 0; b <= r[2] + 0; b++)
			if (dir == before) old[b] = name; else new[b] = name
	}
	END {
		for (b = 0; b < 65536; b++) {
			if (old[b] == new[b])
				continue
			moved++
			from[old[b] == "" ? "nobody" : old[b]] = 1
			to[new[b] == "" ? "nobody" : new[b]] = 1
		}
		f = ""; for (k in from) f = f (f == "" ? "" : ",") k
		t = ""; for (k in to) t = t (t == "" ? "" : ",") k
		printf "%d %s %s\n", moved + 0, f == "" ? "-" : f, t == "" ? "-" : t
	}' before="${1##*/}" "$1"/* "$2"/*
}

# snapshot DIR NODE...: copy the owned.NODE files of the last successful
# check_ownership into DIR/NODE.
snapshot() {
	local dir=$1 n

	shift
	mkdir -p "$dir"
	for n in "$@"; do
		cp "$E2E_DIR/owned.$n" "$dir/$n"
	done
}

# dump_logs: the last 20 lines of every daemon's log, as TAP comments.
dump_logs() {
	local name

	for name in $(printf '%s\n' "${!E2E_LOG[@]}" | sort); do
		diag "---- $name: last 20 lines of ${E2E_LOG[$name]}"
		diag "$(tail -n 20 "${E2E_LOG[$name]}" 2>/dev/null)"
	done
}

# bound_ok NAME MEASURED_MS BOUND_MS: pass when MEASURED <= BOUND + slack;
# always print the measurement.
bound_ok() {
	local name=$1 got=$2 bound=$3

	diag "$name: measured $got ms (protocol bound $bound ms, CI slack $SLACK_MS ms)"
	ok $((got <= bound + SLACK_MS)) "$name within $bound ms + $SLACK_MS ms slack"
}

# run_status CMD...: run CMD with a 10 s limit; RUN_RC, RUN_OUT (stdout and
# stderr together).
run_status() {
	RUN_OUT=$(timeout 10 "$@" 2>&1)
	RUN_RC=$?
}
