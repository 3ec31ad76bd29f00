# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# What the tests of the libpcap module (tests/pcap/*.t) share, on top of
# tests/testbed.sh: a cluster in distribution mode, and libpcap programs
# run through dicap-run in a node's namespace.
#
# Every namespace sees the same /run and /tmp, and every node's capture
# interface is eth0, so each node's dicapd gets a socket directory of its
# own, TB_DIR/nodeI/eth0.sock, and the programs of nodeI find it through
# DICAP_SOCKET_DIR.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/testbed.sh"

# testbed.sh's socket path, overridden: the module looks for IFACE.sock.
tb_node_sock() {
	printf '%s/node%d/eth0.sock' "$TB_DIR" "$1"
}

# pd_init: tb_init, and skip_all when something the tests need is missing.
pd_init() {
	local p

	tb_init_tap dicap-gen
	for p in tcpdump "$@"; do
		command -v "$p" >/dev/null || skip_all "$p not installed"
	done
	"$DICAP_BIN/dicap-run" --libdir >/dev/null 2>&1 ||
		skip_all "the drop-in libpcap is not built: $("$DICAP_BIN/dicap-run" --libdir 2>&1)"
}

# pd_up N: the testbed with N nodes and a socket directory for each.
pd_up() {
	local i

	tb_up "$1" || return 1
	for i in $(seq 1 "$1"); do
		mkdir -p "$TB_DIR/node$i"
	done
}

# pd_cluster MODE I...: the coordinator in selection MODE, dicapd on nodes
# I... (distribution mode: the default), until their XDP programs run the
# agreed table.
pd_cluster() {
	local mode=$1 i

	shift
	tb_start_coord --select "$mode" || return 1
	for i in "$@"; do
		tb_start_node "$i" || return 1
	done
	tb_wait_until "tb_members_are $# $* && tb_dp_ready $*" 15000 ||
		{ tb_fail "the cluster is not ready: $TB_WHY"; return 1; }
}

# pd_run I CMD...: CMD through dicap-run in nodeI's namespace, in the
# foreground.
pd_run() {
	local i=$1

	shift
	tb_exec "node$i" env DICAP_SOCKET_DIR="$TB_DIR/node$i" "$DICAP_BIN/dicap-run" "$@"
}

# pd_spawn NAME I CMD...: the same in the background (tb_spawn: log in
# TB_DIR/NAME.log, pid in TB_PID[NAME]).
pd_spawn() {
	local name=$1 i=$2

	shift 2
	tb_spawn "$name" "node$i" env DICAP_SOCKET_DIR="$TB_DIR/node$i" \
		"$DICAP_BIN/dicap-run" "$@"
}

# pd_wait_log NAME PATTERN DEADLINE_MS: NAME's log has a line matching
# PATTERN (grep -E), or NAME has exited.  Returns 0 only in the first case.
pd_wait_log() {
	PD_PATTERN=$2
	tb_wait_until 'grep -Eq -e "$PD_PATTERN" "${TB_LOG['"$1"']}" || ! tb_alive '"$1" "$3" &&
		grep -Eq -e "$2" "${TB_LOG[$1]}"
}

# pd_tcpdump_start NAME I FILE [ARG...]: dicap-run tcpdump -i dicap:eth0
# -w FILE on nodeI; returns once it listens.
pd_tcpdump_start() {
	local name=$1 i=$2 file=$3

	shift 3
	pd_spawn "$name" "$i" tcpdump -n -i dicap:eth0 -B 32768 -s 0 -w "$file" "$@"
	pd_wait_log "$name" 'listening on dicap:eth0' 15000 ||
		{ tb_fail "tcpdump $name does not start: $(tail -n 2 "${TB_LOG[$name]}")"; return 1; }
}

# pd_seqs FILE...: the sequence numbers of the frames of pcap FILEs, one a line.
pd_seqs() {
	local f

	for f in "$@"; do
		tb_pcap_seqs "$f" || return 1
	done
}

# pd_owned_save I FILE: nodeI's owned bucket ranges (dicapctl owned) to FILE.
pd_owned_save() {
	tb_node_owned "$1" >"$2" && grep -q '^[0-9]*-[0-9]*$' "$2"
}

# pd_owned_only MODE PCAP OWNED: every frame of PCAP is in the buckets of
# OWNED (pd_owned_save) in hash MODE.  TB_WHY: how many are and are not.
pd_owned_only() {
	local mode=$1 info=$TB_DIR/owned.$RANDOM.txt col counts

	col=$(tb_bucket_col "$mode") || { tb_fail "pd_owned_only: not a hash mode: $mode"; return 1; }
	tb_pcapinfo "$2" >"$info" || return 1
	counts=$(awk -v col=$col '
	NR == FNR {
		split($1, r, "-")
		for (b = r[1] + 0; b <= r[2] + 0; b++) mine[b] = 1
		next
	}
	{ if ($col in mine) m++; else o++ }
	END { printf "%d %d\n", m, o }' "$3" "$info")
	set -- $counts
	TB_WHY="$1 frames of the node's share, $2 of others"
	[ "$2" = 0 ]
}
