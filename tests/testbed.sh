# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# The multi-host testbed: network namespaces standing in for the hosts of a
# DiCAP installation, for the end-to-end tests (tests/xdp/), bench/ and
# `make demo`.  Source it (after tests/lib/tap.sh if TAP output is wanted;
# sourcing it twice is harmless), then:
#
#	tb_init				tools, run dir, credentials, cleanup trap, mirror kind
#	tb_up N [--mirror xdp|tc]	namespaces, links, the mirror, mgmt network
#	tb_start_analyzer [-n NAME] [OPTION...]
#	tb_start_coord [OPTION...]	(gets every analyzer started before)
#	tb_start_node I [OPTION...]	(--capture, --distribute, ...)
#	tb_gen [DICAP-GEN OPTION...]	(tb_gen_start, tb_gen_wait: in the background)
#	tb_stop_node I | tb_kill_node I	SIGTERM | SIGKILL, and wait
#	tb_node_status I [JQ]		dicapctl -i eth0 status --json in nodeI
#	tb_coord_status [JQ]		dicapctl -c ... status --json
#	tb_wait_until CMD DEADLINE_MS
#	tb_stop_daemons			all daemons, for the next round of a test
#	tb_down				(also run by the trap on EXIT, INT, TERM)
# and for checking what was captured: tb_tcpdump_start/stop, tb_pcapinfo,
# tb_frames_compare, tb_capture_compare, tb_owner_counts, tb_rawsend, tb_mirror_verify.
#
# Hosts (namespace names carry a per-run prefix, TB_PFX):
#
#	gen ---gen0==g0---+                   +---n1==eth0--- node1
#	                  |  sw: the mirror   +---n2==eth0--- node2
#	coord --inj0==c0--+  (XDP or tc) -----+   ...
#	                                      +---nN==eth0--- nodeN
#
#	mgmt: bridge br0, 198.19.0.0/24; coord .1, ana .2, nodeI .(10+I)
#
# Every frame arriving at sw from gen (traffic) or from coord (round-robin
# markers, dicap-coord --inject-dev inj0) is copied to every node, in the
# same order: the mirror runs in the softirq of the CPU that sent the frame,
# so the sender and the coordinator are pinned to one CPU (TB_SWITCH_CPU),
# which makes it a single ordered switch (two senders on two CPUs do
# interleave differently on different nodes).
#
# The mirror (TB_MIRROR, or tb_up --mirror): "xdp" (the default) is an XDP
# program on g0 and c0 that broadcasts each frame through a devmap to
# n1..nN (tests/tools/dicap-mirror.c): a node's native XDP program then runs
# on an xdp_frame, before any sk_buff exists, as behind a real NIC.  "tc"
# is a tc u32 filter with one mirred mirror action per node: the node's
# program runs on an sk_buff the mirror made.  Unset, TB_MIRROR is xdp
# where this kernel can do it and tc otherwise (said once, as a comment);
# TB_MIRROR=xdp where it cannot skips the test.  TB_MIRROR_USED is the
# one in place.  docs/design.md (The testbed) says what each one costs.
# Control and batch traffic use the management network only; the data links
# carry nothing but what gen and the injector send: IPv6 off, no addresses,
# ARP off.  The switch's ports put VLAN tags back into the frames
# (ethtool txvlan off), so the nodes' XDP programs see them.
#
# Everything lives in TB_DIR (logs, key, sockets, captures) and in the
# namespaces named TB_PFX*: several runs can go on side by side.  On a
# failure (non-zero exit or a failed TAP test) the tail of every log is
# printed; TB_KEEP=1 keeps TB_DIR after the run.

[ -n "${TB_LIB_LOADED:-}" ] && return 0
TB_LIB_LOADED=1

TB_REPO=${TB_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
. "$TB_REPO/tests/lib/wait.sh"
. "$TB_REPO/tests/lib/procs.sh"
. "$TB_REPO/tests/lib/rundir.sh"
DICAP_BIN=${DICAP_BIN:-$TB_REPO/build/plain/bin}	# the programs
DICAP_TOOLS=${DICAP_TOOLS:-$TB_REPO/build/plain/tests/bin}	# tests/tools/

# Protocol timers: shorter than the defaults to keep runs short, long
# enough that a loaded 2-core machine does not miss heartbeats.
TB_HB_MS=${TB_HB_MS:-500}
TB_TIMEOUT_MS=${TB_TIMEOUT_MS:-2000}
TB_GUARD_MS=${TB_GUARD_MS:-300}
# How long a daemon may take to answer after its start: loading the XDP
# program took 16 s at a load average of 12 on the 2-core machine kind.
TB_START_MS=${TB_START_MS:-30000}
TB_XDP_MODE=${TB_XDP_MODE:-native}	# dicapd --xdp-mode
TB_DATAPATH=${TB_DATAPATH:-xdp}		# dicapd --datapath
TB_SWITCH_CPU=${TB_SWITCH_CPU:-0}	# CPU of the sender and the injector
TB_MIRROR=${TB_MIRROR:-}		# xdp, tc; empty: xdp if it works here

TB_MGMT_NET=198.19.0
TB_COORD_IP=$TB_MGMT_NET.1
TB_ANA_IP=$TB_MGMT_NET.2
TB_COORD_PORT=7467
TB_COORD_ADDR=$TB_COORD_IP:$TB_COORD_PORT
TB_ANA_PORT0=7470
TB_INJECT_DEV=inj0

TB_PFX=
TB_DIR=
TB_KEY=				# the coordinators' credential
TB_NODE_KEY=			# the nodes'
TB_STATUS_KEY=			# dicapctl status's
TB_N=0
TB_UP=0
TB_DOWN_DONE=0
TB_GEN_PID=
TB_GEN_OUT=
TB_GEN_SEQ=0
TB_WAIT_MS=0
TB_WHY=
TB_MIRROR_USED=
TB_MIRROR_XDP_WHY=
declare -a TB_PIDS=()		# every process started, for tb_down
declare -a TB_NSES=()		# every namespace made, for tb_down
declare -a TB_ANALYZERS=()	# ADDR:PORT of the analyzers started
declare -a TB_DEFER=()		# commands tb_down runs first
declare -A TB_PID=()		# name -> pid of its latest instance
declare -A TB_LOG=()		# name -> log file
declare -A TB_ANA_ADDR=()	# analyzer name -> ADDR:PORT
declare -A TB_ANA_OUT=()	# analyzer name -> its -w file
declare -A TB_ANA_STATS=()	# analyzer name -> its --stats file

tb_ns() {	# tb_ns HOST: the namespace's name
	printf '%s%s' "$TB_PFX" "$1"
}

tb_exec() {	# tb_exec HOST CMD...: run CMD in HOST's namespace
	local host=$1

	shift
	ip netns exec "$TB_PFX$host" "$@"
}

tb_node_ip() {
	printf '%s.%d' "$TB_MGMT_NET" $((10 + $1))
}

tb_node_id() {	# deterministic node ids make logs comparable between runs
	printf '0x%08x' $((0x0d1c0000 + $1))
}

tb_now_ms() {	# now_ms of tests/lib/wait.sh
	now_ms
}

tb_msg() {	# as a TAP comment, so it never breaks a test's output
	printf '# %s\n' "$*"
}

tb_fail() {
	tb_msg "testbed: $*"
	return 1
}

# tb_init: check the tools, make TB_DIR and the credentials, register the
# cleanup.  Do not set an EXIT trap of your own: add commands with
# tb_defer instead.  Returns 2 (TB_WHY says why) when the testbed cannot
# run here (not root, programs not built), so a test can skip, and 1 when
# something configure installs is missing, which a test must not hide.
tb_init() {
	local p

	TB_WHY=
	[ "$(id -u)" = 0 ] || { TB_WHY="needs root (network namespaces)"; return 2; }
	# configure --install-deps installs these (tests/check-tools.sh):
	# missing, the run fails rather than skips
	for p in ip tc ss jq perl taskset tcpdump ethtool sysctl "${CC:-cc}"; do
		command -v "$p" >/dev/null || { TB_WHY="$p not installed (tests/check-tools.sh demo)"; return 1; }
	done
	for p in dicap-coord dicapd dicapctl; do
		[ -x "$DICAP_BIN/$p" ] || { TB_WHY="$DICAP_BIN/$p not built (make programs)"; return 2; }
	done
	TB_PFX=tb$$r$RANDOM-
	TB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dicap-tb.XXXXXX") || { TB_WHY="mktemp failed"; return 2; }
	# dicap-analyzer, started as root, writes its files as nobody (dicap-analyzer(8) --user)
	# and the daemons remove their sockets here as the user they switched to.
	chmod 0777 "$TB_DIR"
	trap tb_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	tb_reap_stale
	# The coordinators' credential, and the nodes' and status readers'
	# made from it (docs/security.md).
	TB_KEY=$TB_DIR/coord.key
	TB_NODE_KEY=$TB_DIR/node.key
	TB_STATUS_KEY=$TB_DIR/status.key
	{ "$DICAP_BIN/dicapctl" keygen "$TB_KEY" &&
	  "$DICAP_BIN/dicapctl" keygen --role node --from "$TB_KEY" "$TB_NODE_KEY" &&
	  "$DICAP_BIN/dicapctl" keygen --role status --from "$TB_KEY" "$TB_STATUS_KEY"; } \
		>"$TB_DIR/keygen.log" 2>&1 ||
		{ TB_WHY="dicapctl keygen failed: $(cat "$TB_DIR/keygen.log")"; return 1; }
	tb_mirror_choose
}

# tb_mirror_choose: TB_MIRROR_USED from TB_MIRROR and what the kernel can
# do (tb_mirror_probe).  Returns 2 when TB_MIRROR=xdp cannot work here.
tb_mirror_choose() {
	case $TB_MIRROR in
	tc) TB_MIRROR_USED=tc ;;
	xdp|"")
		if tb_mirror_probe; then
			TB_MIRROR_USED=xdp
		elif [ "$TB_MIRROR" = xdp ]; then
			TB_WHY="TB_MIRROR=xdp: $TB_MIRROR_XDP_WHY"
			return 2
		else
			TB_MIRROR_USED=tc
			tb_msg "testbed: the tc mirror, as the XDP mirror cannot work here: $TB_MIRROR_XDP_WHY"
		fi ;;
	*) TB_WHY="TB_MIRROR=$TB_MIRROR: not xdp or tc"; return 1 ;;
	esac
	return 0
}

# tb_mirror_probe: can dicap-mirror attach here?  On a veth pair in a
# namespace of its own, as tb_up uses it.  TB_MIRROR_XDP_WHY says why not.
tb_mirror_probe() {
	local ns=${TB_PFX}probe out rc=0

	TB_MIRROR_XDP_WHY=
	[ -x "$DICAP_TOOLS/dicap-mirror" ] ||
		{ TB_MIRROR_XDP_WHY="$DICAP_TOOLS/dicap-mirror not built (make tests)"; return 1; }
	command -v ethtool >/dev/null || { TB_MIRROR_XDP_WHY="no ethtool"; return 1; }
	tb_add_ns probe || { TB_MIRROR_XDP_WHY="cannot make a namespace"; return 1; }
	if ip -n "$ns" link add p-in type veth peer name p-send &&
	    ip -n "$ns" link add p-out type veth peer name p-node &&
	    ip -n "$ns" link set p-in up && ip -n "$ns" link set p-send up &&
	    ip -n "$ns" link set p-out up && ip -n "$ns" link set p-node up; then
		out=$(ip netns exec "$ns" "$DICAP_TOOLS/dicap-mirror" --probe -i p-in -o p-out 2>&1) ||
			{ TB_MIRROR_XDP_WHY=${out:-dicap-mirror failed}; rc=1; }
		# a node port without a native program needs GRO (tb_up)
		[ "$rc" = 0 ] && ! ip netns exec "$ns" ethtool -K p-node gro on >/dev/null 2>&1 &&
			{ TB_MIRROR_XDP_WHY="ethtool -K gro on fails on veth"; rc=1; }
	else
		TB_MIRROR_XDP_WHY="cannot make veth pairs"
		rc=1
	fi
	ip netns del "$ns" 2>/dev/null
	tb_forget_ns "$ns"
	return $rc
}

tb_forget_ns() {	# tb_forget_ns NS: NS is gone, tb_down need not delete it
	local keep=() n

	for n in "${TB_NSES[@]}"; do
		[ "$n" = "$1" ] || keep+=("$n")
	done
	TB_NSES=("${keep[@]}")
}

# tb_init_tap [PROG...]: tb_init in a TAP test (tests/lib/tap.sh): skip the
# whole file where the testbed cannot run (not root, daemons not built) or a
# PROG of DICAP_BIN is not built; bail out where the machine is broken.
tb_init_tap() {
	local p

	tb_init
	case $? in
	0) ;;
	2) skip_all "$TB_WHY" ;;
	*) bail_out "testbed: $TB_WHY" ;;
	esac
	for p in "$@"; do
		[ -x "$DICAP_BIN/$p" ] || skip_all "$p not built"
	done
}

# Namespaces of earlier runs whose shell is gone (a SIGKILLed test).
tb_reap_stale() {
	local ns pid

	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $ns in
		tb[0-9]*r[0-9]*-*) ;;
		*) continue ;;
		esac
		pid=${ns#tb}
		pid=${pid%%r*}
		kill -0 "$pid" 2>/dev/null && continue
		# its daemons too: a namespace lives on while a process is in it
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}

tb_defer() {	# tb_defer CMD...: run CMD (eval'd) first in tb_down
	TB_DEFER+=("$*")
}

tb_on_exit() {
	local rc=$?

	trap - EXIT INT TERM
	if [ "$rc" -ne 0 ] || [ "${TAP_FAILED:-0}" -ne 0 ]; then
		tb_dump_logs
	fi
	tb_down
	tb_on_exit_files
	exit "$rc"
}

# tb_dump_logs [LINES]: the tail of every process's log, as TAP comments.
tb_dump_logs() {
	local name lines=${1:-25}

	for name in $(printf '%s\n' "${!TB_LOG[@]}" | sort); do
		printf '# ---- %s: last %d lines of %s\n' "$name" "$lines" "${TB_LOG[$name]}"
		tail -n "$lines" "${TB_LOG[$name]}" 2>/dev/null | sed 's/^/#   /'
	done
}

tb_down() {
	local cmd ns
	# Teardown must run to the end even in a caller with set -e: a kill of
	# a process that is already gone is not an error here.
	local -
	set +e

	[ "$TB_DOWN_DONE" = 1 ] && return 0
	TB_DOWN_DONE=1
	for cmd in "${TB_DEFER[@]}"; do
		eval "$cmd" || true
	done
	stop_all -n TB_PID 5000 "${TB_PIDS[@]}"
	for ns in "${TB_NSES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	TB_NSES=()
	TB_UP=0
}

tb_on_exit_files() {	# tb_on_exit_files: TB_DIR goes last (logs are read before)
	rundir_remove "$TB_DIR" "${TB_KEEP:-0}" testbed
}

tb_add_ns() {	# tb_add_ns HOST: a namespace with lo up and IPv6 off
	local ns=$TB_PFX$1

	ip netns add "$ns" || return 1
	TB_NSES+=("$ns")
	# before any interface exists, so that every one inherits "default"
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	ip -n "$ns" link set lo up
}

# tb_veth HOST_A IF_A HOST_B IF_B [arp off]: a veth pair, both ends up.
tb_veth() {
	ip -n "$TB_PFX$1" link add name "$2" type veth peer name "$4" netns "$TB_PFX$3" || return 1
	ip -n "$TB_PFX$1" link set "$2" up ${5:+arp "$6"} &&
		ip -n "$TB_PFX$3" link set "$4" up ${5:+arp "$6"}
}

# The switch's ports towards the nodes must put VLAN tags back into the
# frame: the receive path moves them into metadata, and an XDP program on
# the far side only sees what is in the frame.
tb_no_vlan_offload() {	# tb_no_vlan_offload HOST IFACE
	tb_exec "$1" ethtool -K "$2" txvlan off tx-vlan-stag-hw-insert off >/dev/null 2>&1 ||
		{ tb_fail "ethtool -K $2 txvlan off failed"; return 1; }
}

# tb_up N [--mirror xdp|tc]: the namespaces, the data links with the
# mirror to nodes 1..N, the management network.  A node's namespace exists
# from here on; its dicapd runs only once tb_start_node is called (so a
# test can add a node later: frames to a node without XDP die in its
# stack, as nobody's).  --mirror overrides TB_MIRROR for this run.
tb_up() {
	local n=$1 i h

	[ -n "$TB_DIR" ] || { tb_fail "tb_up before tb_init"; return 1; }
	[ "$n" -ge 1 ] 2>/dev/null || { tb_fail "tb_up: bad node count '$n'"; return 1; }
	if [ "${2:-}" = --mirror ]; then
		case ${3:-} in
		tc) TB_MIRROR_USED=tc ;;
		xdp)
			[ "$TB_MIRROR_USED" = xdp ] || tb_mirror_probe ||
				{ tb_fail "tb_up --mirror xdp: $TB_MIRROR_XDP_WHY"; return 1; }
			TB_MIRROR_USED=xdp ;;
		*) tb_fail "tb_up: --mirror '${3:-}': not xdp or tc"; return 1 ;;
		esac
	fi
	TB_N=$n
	for h in mgmt sw gen coord ana $(seq -f 'node%g' 1 "$n"); do
		tb_add_ns "$h" || { tb_fail "cannot make namespace $h"; return 1; }
	done
	# data links: no ARP, or a node would answer generated ARP requests
	# for its management address (dicap-gen picks hosts in 198.18.0.0/15)
	tb_veth sw g0 gen gen0 arp off || return 1
	tb_veth sw c0 coord "$TB_INJECT_DEV" arp off || return 1
	for i in $(seq 1 "$n"); do
		tb_veth sw "n$i" "node$i" eth0 arp off || return 1
		tb_no_vlan_offload sw "n$i" || return 1
	done
	# management network
	ip -n "${TB_PFX}mgmt" link add name br0 type bridge || return 1
	ip -n "${TB_PFX}mgmt" link set br0 up
	tb_mgmt_port coord "$TB_COORD_IP" || return 1
	tb_mgmt_port ana "$TB_ANA_IP" || return 1
	for i in $(seq 1 "$n"); do
		tb_mgmt_port "node$i" "$(tb_node_ip "$i")" || return 1
	done
	tb_mirror_install || return 1
	TB_UP=1
}

tb_mgmt_port() {	# tb_mgmt_port HOST ADDR
	tb_veth mgmt "m-$1" "$1" mgmt0 || return 1
	ip -n "${TB_PFX}mgmt" link set "m-$1" master br0 || return 1
	ip -n "$TB_PFX$1" addr add "$2/24" dev mgmt0
}

# The mirror: every frame arriving on g0 or c0 goes to n1..nN.
tb_mirror_install() {
	case $TB_MIRROR_USED in
	xdp) tb_mirror_install_xdp ;;
	tc) tb_mirror_install_tc ;;
	*) tb_fail "no mirror chosen (TB_MIRROR_USED '$TB_MIRROR_USED')" ;;
	esac
}

# The XDP mirror: dicap-mirror holds the programs' links in sw and runs
# until tb_down stops it.  veth hands an xdp_frame to its peer only when
# the peer has a NAPI instance, which a native XDP program or GRO gives
# it: the node ports get GRO, and tb_start_node takes it off for a native
# program (which would otherwise have the frames it passes coalesced).
tb_mirror_install_xdp() {
	local i outs=()

	for i in $(seq 1 "$TB_N"); do
		outs+=(-o "n$i")
		tb_node_gro "$i" on || return 1
	done
	tb_spawn mirror sw "$DICAP_TOOLS/dicap-mirror" -i g0 -i c0 "${outs[@]}"
	tb_wait_until "grep -q '^ready' '${TB_LOG[mirror]}' || ! tb_alive mirror" 10000
	grep -q '^ready' "${TB_LOG[mirror]}" ||
		{ tb_fail "the XDP mirror did not start: $(tail -n 2 "${TB_LOG[mirror]}")"; return 1; }
}

# tb_node_gro I on|off: GRO on nodeI's eth0 (with the XDP mirror only).
tb_node_gro() {
	[ "$TB_MIRROR_USED" = xdp ] || return 0
	tb_exec "node$1" ethtool -K eth0 gro "$2" >/dev/null 2>&1 ||
		{ tb_fail "ethtool -K eth0 gro $2 in node$1 failed"; return 1; }
}

# The tc mirror.  Every node gets a mirrored copy: a frame that mirred
# *redirects* is flagged as such, and generic XDP skips flagged frames
# (netif_receive_generic_xdp), so the last node would see nothing in
# generic mode.  The original goes on into sw's own stack, which drops it
# at once (no addresses, ARP and IPv6 off; this kernel has neither
# act_gact nor dummy devices to drop it earlier).
tb_mirror_install_tc() {
	local port i actions=()

	for i in $(seq 1 "$TB_N"); do
		actions+=(action mirred egress mirror dev "n$i")
	done
	for port in g0 c0; do
		tc -n "${TB_PFX}sw" qdisc add dev "$port" clsact || return 1
		tc -n "${TB_PFX}sw" filter add dev "$port" ingress protocol all prio 1 \
			u32 match u32 0 0 "${actions[@]}" ||
			{ tb_fail "tc mirror on $port failed"; return 1; }
	done
}

# tb_spawn NAME HOST CMD...: CMD in HOST's namespace in the background,
# stdout and stderr appended to TB_DIR/NAME.log.
tb_spawn() {
	local name=$1 host=$2 log

	shift 2
	log=$TB_DIR/$name.log
	TB_LOG[$name]=$log
	echo "=== $(date +%T.%N) [$host] $*" >>"$log"
	ip netns exec "$TB_PFX$host" "$@" >>"$log" 2>&1 &
	TB_PID[$name]=$!
	TB_PIDS+=($!)
	disown $!
}

tb_alive() {	# tb_alive NAME
	[ -n "${TB_PID[$1]:-}" ] && kill -0 "${TB_PID[$1]}" 2>/dev/null
}

# tb_signal NAME SIGNAL [DEADLINE_MS]: signal NAME and wait until it is gone.
tb_signal() {
	local pid=${TB_PID[$1]:-} deadline=${3:-10000}

	[ -n "$pid" ] || { tb_fail "no process $1"; return 1; }
	signal_wait "$pid" "$2" "$deadline" ||
		{ tb_fail "$1 (pid $pid) still running $deadline ms after SIG$2"; return 1; }
}

# tb_wait_until CMD DEADLINE_MS: wait_until (tests/lib/wait.sh) for a
# command line to eval; TB_WAIT_MS is how long that took.
tb_wait_until() {
	local rc

	wait_until "$2" eval "$1"
	rc=$?
	TB_WAIT_MS=$WAIT_MS
	return $rc
}

# tb_mgmt_reachable HOST ADDR: HOST resolves ADDR on the management network
# (ARP answered), the proof of a working link without ping.
tb_mgmt_reachable() {
	tb_exec "$1" perl -e 'use Socket; socket(my $s, AF_INET, SOCK_DGRAM, 0) or exit 1;
		send($s, "x", 0, pack_sockaddr_in(9, inet_aton($ARGV[0])))' "$2" 2>/dev/null
	tb_wait_until "ip -n '$TB_PFX$1' neigh show '$2' | grep -Eq 'REACHABLE|STALE|DELAY'" 3000
}

tb_has_option() {	# tb_has_option PROGRAM OPTION: PROGRAM --help mentions OPTION
	"$DICAP_BIN/$1" --help 2>&1 | grep -q -e "$2"
}

# ---- the analyzers --------------------------------------------------------

# tb_start_analyzer [-n NAME] [OPTION...]: dicap-analyzer in the ana
# namespace on TB_ANA_IP, port 7470 for the first name, 7471 for the
# second...; it writes TB_DIR/NAME.pcap unless OPTIONs have -w, and its
# JSON statistics every second to TB_DIR/NAME.stats.json unless they have
# --stats (TB_ANA_OUT[NAME], TB_ANA_STATS[NAME]).  The coordinators started
# afterwards are given every analyzer name started so far (TB_ANALYZERS).
# Starting a name again reuses its address (an analyzer restart).
tb_start_analyzer() {
	local name=ana port args=() prev= o

	if [ "${1:-}" = -n ]; then
		name=$2
		shift 2
	fi
	[ -x "$DICAP_BIN/dicap-analyzer" ] || { tb_fail "dicap-analyzer not built"; return 1; }
	port=${TB_ANA_ADDR[$name]:-}
	port=${port##*:}
	[ -n "$port" ] || port=$((TB_ANA_PORT0 + ${#TB_ANA_ADDR[@]}))
	TB_ANA_OUT[$name]=$TB_DIR/$name.pcap
	TB_ANA_STATS[$name]=$TB_DIR/$name.stats.json
	for o in "$@"; do
		case $prev in
		-w) TB_ANA_OUT[$name]=$o ;;
		--stats) TB_ANA_STATS[$name]=$o ;;
		esac
		prev=$o
	done
	printf '%s\n' "$@" | grep -qx -- -w || args+=(-w "${TB_ANA_OUT[$name]}")
	printf '%s\n' "$@" | grep -qx -- --stats || args+=(--stats "${TB_ANA_STATS[$name]}")
	if [ -z "${TB_ANA_ADDR[$name]:-}" ]; then
		TB_ANA_ADDR[$name]=$TB_ANA_IP:$port
		TB_ANALYZERS+=("$TB_ANA_IP:$port")
	fi
	rm -f "${TB_ANA_STATS[$name]}"
	# Started as root, it creates its files as nobody: a test's own
	# directory under TB_DIR must let it in too.
	for o in "${TB_ANA_OUT[$name]}" "${TB_ANA_STATS[$name]}"; do
		o=$(dirname "$o")
		[ "${o#"$TB_DIR"}" != "$o" ] && chmod 0777 "$o"
	done
	tb_spawn "$name" ana "$DICAP_BIN/dicap-analyzer" -q -l "$TB_ANA_IP:$port" "${args[@]}" "$@"
	tb_wait_until "tb_alive $name && tb_port_bound ana $port" "$TB_START_MS" ||
		{ tb_fail "analyzer $name does not listen on $port within $TB_START_MS ms"; return 1; }
}

# tb_ana_stats [NAME [JQ_FILTER]]: the analyzer's latest JSON statistics.
tb_ana_stats() {
	local f=${TB_ANA_STATS[${1:-ana}]:-}

	[ -n "$f" ] && [ -s "$f" ] || return 1
	jq -r "${2:-.}" "$f"
}

# tb_wait_delivered NAME EXPECTED DEADLINE_MS: wait until analyzer NAME has
# received EXPECTED records, or its count has not moved for 3 s.  Returns 0
# only in the first case.  TB_DELIVERED is the last count seen.
tb_wait_delivered() {
	local name=$1 want=$2 deadline=$3 t0 last=-1 since now

	t0=$(tb_now_ms)
	since=$t0
	while :; do
		TB_DELIVERED=$(tb_ana_stats "$name" .totals.records 2>/dev/null || echo 0)
		[ "$TB_DELIVERED" -ge "$want" ] && return 0
		now=$(tb_now_ms)
		if [ "$TB_DELIVERED" != "$last" ]; then
			last=$TB_DELIVERED
			since=$now
		fi
		[ $((now - since)) -ge 3000 ] && return 1
		[ $((now - t0)) -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

tb_port_bound() {	# tb_port_bound HOST PORT: something listens on PORT (udp or tcp)
	[ -n "$(tb_exec "$1" ss -Hlntu "sport = :$2" 2>/dev/null)" ]
}

tb_stop_analyzer() {	# tb_stop_analyzer [NAME]: SIGTERM, wait for the output to be closed
	tb_signal "${1:-ana}" TERM 10000
}

tb_kill_analyzer() {
	tb_signal "${1:-ana}" KILL 10000
}

# ---- the coordinator ------------------------------------------------------

# tb_start_coord [OPTION...]: dicap-coord in the coord namespace on
# TB_COORD_ADDR with the run's key and timers, no multicast, every analyzer
# started so far, and the marker injector on inj0 when the program has
# --inject-dev.  Pinned to TB_SWITCH_CPU with the sender, so that markers
# and traffic pass the mirror in one order for every node.  Later OPTIONs
# win where the program lets them.
tb_start_coord() {
	local args=() a

	args=(-f -d -l "$TB_COORD_ADDR" -k "$TB_KEY" --no-announce
		--heartbeat "$TB_HB_MS" --timeout "$TB_TIMEOUT_MS" --guard "$TB_GUARD_MS")
	for a in "${TB_ANALYZERS[@]}"; do
		args+=(--analyzer "$a")
	done
	tb_has_option dicap-coord --inject-dev && args+=(--inject-dev "$TB_INJECT_DEV")
	tb_spawn coord coord taskset -c "$TB_SWITCH_CPU" "$DICAP_BIN/dicap-coord" "${args[@]}" "$@"
	tb_wait_until "tb_coord_status >/dev/null" "$TB_START_MS" ||
		{ tb_fail "the coordinator does not answer status within $TB_START_MS ms"; return 1; }
}

# tb_coord_status [JQ_FILTER]: the coordinator's status JSON, via dicapctl.
tb_coord_status() {
	local out

	tb_alive coord || return 1
	out=$(tb_exec coord "$DICAP_BIN/dicapctl" -c "$TB_COORD_ADDR" -k "$TB_STATUS_KEY" \
		status --json 2>/dev/null) || return 1
	printf '%s\n' "$out" | jq -r "${1:-.}"
}

tb_stop_coord() {
	tb_signal coord TERM 10000
}

# ---- the nodes ------------------------------------------------------------

tb_node_sock() {
	printf '%s/node%d.sock' "$TB_DIR" "$1"
}

# tb_start_node I [OPTION...]: dicapd on nodeI's eth0 with the XDP datapath
# in TB_XDP_MODE, joining the coordinator over the management network.
# Waits until its socket answers.  OPTIONs are appended (--capture, ...).
tb_start_node() {
	local i=$1 sock args=()

	shift
	[ "$i" -ge 1 ] && [ "$i" -le "$TB_N" ] 2>/dev/null ||
		{ tb_fail "tb_start_node: no node$i (tb_up $TB_N)"; return 1; }
	sock=$(tb_node_sock "$i")
	rm -f "$sock"
	args=(-f -d -i eth0 -c "$TB_COORD_ADDR" -k "$TB_NODE_KEY" -s "$sock"
		--id "$(tb_node_id "$i")" --bind "$(tb_node_ip "$i")")
	[ -n "$TB_DATAPATH" ] && args+=(--datapath "$TB_DATAPATH")
	[ "$TB_DATAPATH" = xdp ] && [ -n "$TB_XDP_MODE" ] && args+=(--xdp-mode "$TB_XDP_MODE")
	# behind the XDP mirror: a native program gives eth0 its NAPI, and GRO
	# would coalesce the TCP segments it passes to the stack; anything
	# else needs GRO (tb_mirror_install_xdp).  --xdp-mode auto counts as
	# native: it is native wherever the XDP mirror works
	if [ "$TB_DATAPATH" = xdp ] && [ "$TB_XDP_MODE" != generic ]; then
		tb_node_gro "$i" off || return 1
	else
		tb_node_gro "$i" on || return 1
	fi
	tb_spawn "node$i" "node$i" "$DICAP_BIN/dicapd" "${args[@]}" "$@"
	tb_wait_until "tb_node_status $i >/dev/null" "$TB_START_MS" ||
		{ tb_fail "node$i does not answer on $sock within $TB_START_MS ms"; return 1; }
}

# tb_node_status I [JQ_FILTER]: what nodeI's dicapd reports.
tb_node_status() {
	local out

	tb_alive "node$1" || return 1
	out=$(tb_exec "node$1" "$DICAP_BIN/dicapctl" -i eth0 -s "$(tb_node_sock "$1")" \
		status --json 2>/dev/null) || return 1
	printf '%s\n' "$out" | jq -r "${2:-.}"
}

tb_node_owned() {	# tb_node_owned I: dicapctl owned
	tb_exec "node$1" "$DICAP_BIN/dicapctl" -i eth0 -s "$(tb_node_sock "$1")" owned
}

tb_stop_node() {	# tb_stop_node I: SIGTERM (LEAVE, then exit)
	tb_signal "node$1" TERM 10000 && tb_node_gro "$1" on
}

tb_kill_node() {	# tb_kill_node I: SIGKILL
	tb_signal "node$1" KILL 10000 && tb_node_gro "$1" on
}

# tb_xdp_mode_of I: the XDP attachment of nodeI's eth0 as the kernel
# reports it: none, native, generic, offload or multi.
tb_xdp_mode_of() {
	local m

	m=$(ip -n "${TB_PFX}node$1" -j -d link show dev eth0 2>/dev/null |
		jq -r '.[0].xdp.mode // 0') || return 1
	case $m in
	0) echo none ;;
	1) echo native ;;
	2) echo generic ;;
	3) echo offload ;;
	*) echo multi ;;
	esac
}

# tb_nodes_agree I...: the nodes answer, are joined, and report one term,
# epoch and table digest with no pending switch.  TB_WHY says why not;
# TB_EPOCH is the agreed epoch.
tb_nodes_agree() {
	local i line first=

	TB_WHY=
	for i in "$@"; do
		line=$(tb_node_status "$i" '"\(.state) \(.term) \(.epoch) \(.table_digest) \(.pending_epoch)"') ||
			{ TB_WHY="node$i does not answer"; return 1; }
		case $line in
		"joined "*" null") ;;
		*) TB_WHY="node$i: $line"; return 1 ;;
		esac
		if [ -z "$first" ]; then
			first=$line
		elif [ "$line" != "$first" ]; then
			TB_WHY="node$i: '$line' vs '$first'"
			return 1
		fi
	done
	set -- $first
	TB_EPOCH=$3
}

# tb_node_ctr I NAME: one of nodeI's datapath counters.
tb_node_ctr() {
	tb_node_status "$1" ".datapath.counters.$2"
}

# tb_dp_ready I...: tb_nodes_agree, and every node's XDP program runs the
# epoch the agent applied (in round-robin: its marker has been seen).
tb_dp_ready() {
	local i line

	tb_nodes_agree "$@" || return 1
	for i in "$@"; do
		line=$(tb_node_status "$i" '"\(.epoch) \(.datapath.program_epoch) \(.datapath.program_pending)"')
		set -- $line
		[ "$1" = "$2" ] && [ "$3" = false ] ||
			{ TB_WHY="node$i: agent epoch $1, program epoch $2, pending $3"; return 1; }
	done
}

# tb_members_are COUNT I...: the nodes agree (tb_nodes_agree) on a table
# of COUNT members.
tb_members_are() {
	local want=$1 got

	shift
	tb_nodes_agree "$@" || return 1
	got=$(tb_node_status "$1" .members)
	[ "$got" = "$want" ] || { TB_WHY="node$1 counts $got members, want $want"; return 1; }
}

# tb_link_stat HOST IFACE FIELD: a counter of IFACE (rx.packets, rx.dropped,
# tx.packets, ...), from ip -s -j.
tb_link_stat() {
	ip -n "$TB_PFX$1" -s -j link show dev "$2" | jq -r ".[0].stats64.$3"
}

# tb_ethtool_stat HOST IFACE NAME: a counter of ethtool -S, 0 if IFACE has
# none of that name.
tb_ethtool_stat() {
	tb_exec "$1" ethtool -S "$2" 2>/dev/null |
		awk -v n="$3:" '$1 == n { v = $2 } END { print v + 0 }'
}

# tb_stop_daemons: SIGTERM every node agent, the coordinator and every
# analyzer that runs, and wait for them: the namespaces stay up for the
# next round of a test.
tb_stop_daemons() {
	local name rc=0

	for name in $(printf '%s\n' "${!TB_PID[@]}" | grep '^node' | sort) coord \
			"${!TB_ANA_ADDR[@]}"; do
		tb_alive "$name" || continue
		tb_signal "$name" TERM 10000 || rc=1
		case $name in
		node*) [[ ${name#node} =~ ^[0-9]+$ ]] && { tb_node_gro "${name#node}" on || rc=1; } ;;
		esac
	done
	return $rc
}

# ---- traffic --------------------------------------------------------------

# tb_gen [OPTION...]: dicap-gen on gen's gen0, pinned to TB_SWITCH_CPU, in
# the foreground; its output goes to TB_GEN_OUT (and the log).
tb_gen() {
	tb_gen_start "$@" || return 1
	tb_gen_wait
}

tb_gen_start() {	# tb_gen_start [OPTION...]: the same in the background
	[ -x "$DICAP_BIN/dicap-gen" ] || { tb_fail "dicap-gen not built"; return 1; }
	TB_GEN_SEQ=$((TB_GEN_SEQ + 1))
	TB_GEN_OUT=$TB_DIR/gen.$TB_GEN_SEQ.out
	TB_LOG[gen.$TB_GEN_SEQ]=$TB_GEN_OUT
	echo "=== $(date +%T.%N) [gen] dicap-gen -i gen0 $*" >"$TB_GEN_OUT"
	ip netns exec "${TB_PFX}gen" taskset -c "$TB_SWITCH_CPU" \
		"$DICAP_BIN/dicap-gen" -i gen0 "$@" >>"$TB_GEN_OUT" 2>&1 &
	TB_GEN_PID=$!
	TB_PIDS+=("$TB_GEN_PID")
}

tb_gen_wait() {	# tb_gen_wait: wait for the sender; its exit status
	local rc

	[ -n "$TB_GEN_PID" ] || return 1
	wait "$TB_GEN_PID"
	rc=$?
	TB_GEN_PID=
	[ "$rc" = 0 ] || tb_msg "testbed: dicap-gen exited $rc: $(tail -n 3 "$TB_GEN_OUT")"
	return "$rc"
}

tb_gen_stop() {	# tb_gen_stop: SIGTERM the background sender, wait
	[ -n "$TB_GEN_PID" ] || return 0
	kill -TERM "$TB_GEN_PID" 2>/dev/null
	wait "$TB_GEN_PID" 2>/dev/null
	TB_GEN_PID=
}

# tb_rawsend HOST IFACE [PPS]: send the frames read from stdin, one per line
# in hex, out of IFACE in HOST's namespace (AF_PACKET, one send each, PPS
# frames a second at most), pinned to TB_SWITCH_CPU.  For hand-made frames:
# forged markers, the mirror check without dicap-gen.
tb_rawsend() {
	tb_exec "$1" taskset -c "$TB_SWITCH_CPU" perl -e '
		use strict; use Socket; use Time::HiRes qw(time sleep);
		my ($if, $pps) = @ARGV;
		open(my $fh, "<", "/sys/class/net/$if/ifindex") or die "no $if\n";
		my $idx = <$fh>; chomp $idx;
		socket(my $s, 17, SOCK_RAW, 0) or die "socket: $!\n";	# AF_PACKET
		# struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr
		my $sll = pack("S n i S C C a8", 17, 0, $idx, 0, 0, 6, "");
		my ($n, $t0) = (0, time);
		while (my $line = <STDIN>) {
			chomp $line;
			next if $line eq "";
			defined(send($s, pack("H*", $line), 0, $sll)) or die "send: $!\n";
			$n++;
			if ($pps) {
				my $ahead = $t0 + $n / $pps - time;
				sleep($ahead) if $ahead > 0;
			}
		}
		print "$n\n";' "$2" "${3:-0}"
}

# tb_udp_frames COUNT [FIRST_SEQ]: COUNT IPv4/UDP frames in hex, one per
# line, each carrying "DCAP" and its sequence number, padded to 60 bytes.
tb_udp_frames() {
	perl -e '
		my ($count, $seq) = @ARGV;
		for my $i (0 .. $count - 1) {
			my $pay = "DCAP" . pack("N", $seq + $i);
			my $udp = pack("n n n n", 40000 + $i % 100, 9, 8 + length($pay), 0) . $pay;
			my $ip = pack("C C n n n C C n a4 a4", 0x45, 0, 20 + length($udp),
				$i & 0xffff, 0, 64, 17, 0, pack("C4", 198, 18, 1, 1),
				pack("C4", 198, 18, 2, 1 + $i % 50));
			my $f = pack("H12 H12 n", "02000000bbbb", "02000000aaaa", 0x0800) . $ip . $udp;
			$f .= "\0" x (60 - length($f)) if length($f) < 60;
			print unpack("H*", $f), "\n";
		}' "$1" "${2:-0}"
}

# ---- captures -------------------------------------------------------------

# tb_tcpdump_start NAME HOST IFACE FILE [FILTER...]: tcpdump -w FILE on IFACE
# in HOST's namespace; returns once it listens.
tb_tcpdump_start() {
	local name=$1 host=$2 ifc=$3 file=$4 log=$TB_DIR/$1.log skip=1

	shift 4
	command -v tcpdump >/dev/null || { tb_fail "tcpdump not installed"; return 1; }
	[ -f "$log" ] && skip=$(($(wc -l <"$log") + 1))
	tb_spawn "$name" "$host" tcpdump -n -i "$ifc" -B 32768 -s 0 -w "$file" "$@"
	tb_wait_until "tail -n +$skip '$log' | grep -q 'listening on'" 10000 ||
		{ tb_fail "tcpdump $name does not start"; return 1; }
}

# tb_tcpdump_stop NAME...: SIGTERM, wait; TB_TCPDUMP_DROPS is the sum of
# what they counted as dropped by the kernel.  libpcap (TPACKET_V3) hands
# a block of frames over only when it is full or 1 s old, and a stopping
# tcpdump does not read the block in progress: stop it no sooner than
# TB_TCPDUMP_SETTLE_MS (1200) after the last frame of interest.
tb_tcpdump_stop() {
	local name drops

	TB_TCPDUMP_DROPS=0
	for name in "$@"; do
		tb_signal "$name" TERM 10000 || return 1
		drops=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' \
			"${TB_LOG[$name]}" | tail -n 1)
		if [ -z "$drops" ]; then
			TB_TCPDUMP_DROPS=unknown
			return 1
		fi
		TB_TCPDUMP_DROPS=$((TB_TCPDUMP_DROPS + drops))
	done
}
TB_TCPDUMP_SETTLE_MS=${TB_TCPDUMP_SETTLE_MS:-1200}

tb_sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# tb_pcap_seqs FILE [-v]: one line per record of a pcap file (microsecond
# or nanosecond, either byte order): the sequence number after the first
# "DCAP" in the frame, or "none".  With -v: "SEQ WIRELEN CAPLEN MD5".
tb_pcap_seqs() {
	perl -e '
		use strict; use Digest::MD5 qw(md5_hex);
		my ($file, $verbose) = @ARGV;
		open(my $fh, "<:raw", $file) or die "$file: $!\n";
		my $gh;
		read($fh, $gh, 24) == 24 or exit 0;		# empty file: no records
		my $fmt;
		for my $m (0xa1b2c3d4, 0xa1b23c4d) {
			$fmt = "V4" if unpack("V", $gh) == $m;
			$fmt = "N4" if unpack("N", $gh) == $m;
		}
		defined $fmt or die "$file: not a pcap file\n";
		my ($rh, $d);
		while (read($fh, $rh, 16) == 16) {
			my (undef, undef, $incl, $orig) = unpack($fmt, $rh);
			read($fh, $d, $incl) == $incl or die "$file: truncated record\n";
			my $i = index($d, "DCAP");
			my $seq = ($i >= 0 && $i + 8 <= length $d) ?
				unpack("N", substr($d, $i + 4, 4)) : "none";
			print $verbose ? "$seq $orig $incl " . md5_hex($d) . "\n" : "$seq\n";
		}' "$1" "${2:-}"
}

# tb_frames_compare SENT GOT [MISSING_FILE [DUP_FILE]]: two tb_pcapinfo
# outputs, compared as multisets of frames (hash and wire length).  Prints
# "MISSING DUPLICATES UNEXPECTED"; writes the sent lines of the missing
# and of the duplicated frames (once per extra copy) to the files given.
tb_frames_compare() {
	awk -v missing_out="${3:-}" -v dup_out="${4:-}" '
	FNR == 1 { f++ }
	f == 1 { k = $9 " " $10; sent[k]++; line[k] = $0; next }
	{ k = $9 " " $10; if (k in sent) got[k]++; else unexpected++ }
	END {
		if (missing_out != "") printf "" > missing_out
		if (dup_out != "") printf "" > dup_out
		for (k in sent) {
			d = got[k] - sent[k]
			for (; d < 0; d++) {
				missing++
				if (missing_out != "") print line[k] > missing_out
			}
			for (; d > 0; d--) {
				dup++
				if (dup_out != "") print line[k] > dup_out
			}
		}
		printf "%d %d %d\n", missing, dup, unexpected
	}' "$1" "$2"
}

# tb_capture_compare DIR SNAPLEN: DIR/sent.pcap (what dicap-gen sent) against
# DIR/cap.pcap (what was captured), through tb_pcapinfo into DIR/sent.txt and
# DIR/cap.txt; writes DIR/missing.txt and DIR/dup.txt and prints
# "MISSING DUPLICATES UNEXPECTED" as tb_frames_compare does.
tb_capture_compare() {
	tb_pcapinfo "$1/sent.pcap" "$2" >"$1/sent.txt"
	tb_pcapinfo "$1/cap.pcap" "$2" >"$1/cap.txt"
	tb_frames_compare "$1/sent.txt" "$1/cap.txt" "$1/missing.txt" "$1/dup.txt"
}

# tb_seq_compare SENT_FILE GOT_FILE: both hold one sequence number a line
# ("none" lines are ignored).  Prints "MISSING DUPLICATES UNEXPECTED".
tb_seq_compare() {
	awk '
	FNR == 1 { f++ }
	$1 == "none" { next }
	f == 1 { sent[$1] = 1; next }
	{
		if (!($1 in sent)) unexpected++
		else if (got[$1]++) dup++
	}
	END {
		for (s in sent) if (!(s in got)) missing++
		printf "%d %d %d\n", missing, dup, unexpected
	}' "$1" "$2"
}

# tb_owner_counts MODE INFO I...: how many frames of INFO (a tb_pcapinfo
# output) each of nodes I... owns by its current table (dicapctl owned) in
# hash mode MODE (ipid, packet, flow, host); one "I COUNT" line per node, then
# "none COUNT" for frames in nobody's buckets.
tb_owner_counts() {
	local mode=$1 info=$2 i col

	shift 2
	col=$(tb_bucket_col "$mode") || { tb_fail "tb_owner_counts: not a hash mode: $mode"; return 1; }
	for i in "$@"; do
		tb_node_owned "$i" | sed "s/^/$i /"
	done | awk -v col=$col '
	NR == FNR {
		if ($2 !~ /^[0-9]+-[0-9]+$/) next
		split($2, r, "-")
		for (b = r[1] + 0; b <= r[2] + 0; b++) owner[b] = $1
		nodes[$1] = 1
		next
	}
	{ o = ($col in owner) ? owner[$col] : "none"; n[o]++ }
	END {
		for (i in nodes) printf "%s %d\n", i, n[i]
		printf "none %d\n", n["none"]
	}' - "$info" | sort
}

# ---- the mirror -----------------------------------------------------------

# tb_mirror_verify COUNT [SENDER]: send COUNT frames from gen (SENDER
# "gen": dicap-gen --count COUNT --mix all --rate 20000; "raw": hand-made
# UDP frames; default: gen if built) while tcpdump listens on every node's
# eth0 (no XDP must be attached).  Passes when each node got exactly the
# frames that gen sent, byte for byte, in the same order, and nothing
# else.  What was sent is what dicap-gen wrote (-w), or for raw frames
# what tcpdump saw leave gen0: the XDP mirror takes every frame at g0
# before a capture there could see it.  TB_WHY says why not.
tb_mirror_verify() {
	local count=$1 sender=${2:-} i ref got sent=$TB_DIR/mirror.sent.pcap

	TB_WHY=
	if [ -z "$sender" ]; then
		sender=raw
		[ -x "$DICAP_BIN/dicap-gen" ] && sender=gen
	fi
	[ "$sender" = raw ] && { tb_tcpdump_start mirror.gen0 gen gen0 "$sent" || return 1; }
	for i in $(seq 1 "$TB_N"); do
		tb_tcpdump_start "mirror.n$i" "node$i" eth0 "$TB_DIR/mirror.n$i.pcap" || return 1
	done
	if [ "$sender" = gen ]; then
		tb_gen --count "$count" --mix all --rate 20000 -w "$sent" ||
			{ TB_WHY="dicap-gen failed"; return 1; }
	else
		tb_udp_frames "$count" 0 | tb_rawsend gen gen0 >/dev/null ||
			{ TB_WHY="raw send failed"; return 1; }
	fi
	tb_sleep_ms "$TB_TCPDUMP_SETTLE_MS"
	if [ "$sender" = raw ]; then
		tb_tcpdump_stop mirror.gen0
		[ "$TB_TCPDUMP_DROPS" = 0 ] ||
			{ TB_WHY="tcpdump on gen0 dropped $TB_TCPDUMP_DROPS"; return 1; }
	fi
	tb_pcap_seqs "$sent" -v >"$TB_DIR/mirror.sent.txt"
	ref=$(wc -l <"$TB_DIR/mirror.sent.txt")
	[ "$ref" = "$count" ] || { TB_WHY="$ref frames sent, not $count"; return 1; }
	for i in $(seq 1 "$TB_N"); do
		tb_tcpdump_stop "mirror.n$i"
		[ "$TB_TCPDUMP_DROPS" = 0 ] ||
			{ TB_WHY="tcpdump on node$i dropped $TB_TCPDUMP_DROPS"; return 1; }
		tb_pcap_seqs "$TB_DIR/mirror.n$i.pcap" -v >"$TB_DIR/mirror.n$i.txt"
		if ! cmp -s "$TB_DIR/mirror.sent.txt" "$TB_DIR/mirror.n$i.txt"; then
			got=$(wc -l <"$TB_DIR/mirror.n$i.txt")
			TB_WHY="node$i got $got frames, not the $ref sent in order: first difference: $(
				diff "$TB_DIR/mirror.sent.txt" "$TB_DIR/mirror.n$i.txt" | sed -n 1,3p | tr '\n' ' ')"
			return 1
		fi
	done
	TB_MIRROR_NONE=$(grep -c '^none ' "$TB_DIR/mirror.sent.txt")
	return 0
}

# ---- what each frame is ---------------------------------------------------

# tb_pcapinfo FILE: one line per record of a pcap file, from the project's
# own parser and selection code (include/dicap/packet.h, include/dicap/select.h), so a test can
# tell which node must own each frame:
#
#	SEQ CLASS FRAG IPID FLOWKEY B_IPID B_PACKET B_FLOW HASH WIRELEN DIR TS B_HOST
#
# SEQ: the number after "DCAP", or "none".  CLASS: ok, non-ip, truncated,
# malformed.  FRAG: 1 for a fragment.  FLOWKEY: the conversation FLOW mode
# hashes (select.h's dicap_select_ident(): a tunnel's inner flow, the
# packet an ICMP error quotes, the addresses and ports a truncated or
# malformed frame still shows), with its endpoints in a canonical order,
# both directions alike; "-" for frames without readable addresses (the
# raw rule); fragments have no ports in it.  B_*: the frame's bucket in
# each hash mode (selection flags 0: tunnels opened).  HASH: FNV-1a 64 of
# the first HASHBYTES (default: all) captured bytes, with WIRELEN to
# compare captures frame for frame.  DIR: 0 if the source is the first
# endpoint of FLOWKEY, 1 if it is the second.  TS: the record's time, ns.
# tb_pcapinfo FILE [HASHBYTES]
tb_pcapinfo() {
	"$DICAP_TOOLS/dicap-pcapinfo" "$1" "${2:-0}"
}

# tb_bucket_col MODE: the column of B_IPID, B_PACKET, B_FLOW or B_HOST in
# tb_pcapinfo's lines for hash mode MODE (ipid, packet, flow, host); fails
# for any other MODE.
tb_bucket_col() {
	case $1 in
	ipid) echo 6 ;;
	packet) echo 7 ;;
	flow) echo 8 ;;
	host) echo 13 ;;
	*) return 1 ;;
	esac
}

