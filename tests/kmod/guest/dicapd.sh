# dicapd --datapath kmod in the guest, at position $1 of 3: a coordinator
# on loopback, dicapd on eth0 (patched virtio_net, driver hook) and the
# two other members simulated by dicap-nodesim.  The member ids are the
# same in every boot, so every boot computes the same bucket table; only
# which of them is dicapd changes, and so its position (members sort by
# id).  Per selection mode:
#   DIST  dicapd distributes: dicap-kctl recv reports which frames got an
#         sk_buff (AF_PACKET), as a bitmap
#   CAPT  dicapd captures: dicap-analyzer on loopback writes a pcap, sent
#         to the host in base64
# and dicapd's status JSON after each.  Position 0 also checks dicapd's
# errors and the lease; position 2 ends with the unpatched driver.
# Lines for the host: CHECK NAME 0|1 DETAIL, DIST/CAPT MODE, STATUS ..,
# PCAP-BEGIN/PCAP-END, and dicap-kctl's READY/RECV/BITMAP.
pos=$1
modes="flow rr"
ids="0x1001 0x1002 0x1003"
coord=127.0.0.1:7467
ana=127.0.0.1:7470
mine=$(echo $ids | cut -d' ' -f$((pos + 1)))
others=$(echo $ids | tr ' ' '\n' | grep -v "^$mine$")
mkdir -p /run/dicap
pids=

check() {	# check NAME COND DETAIL...
	name=$1 cond=$2
	shift 2
	echo "CHECK $name $cond $*"
}

# privs PID: "UID CAPEFF CAPPRM NONEWPRIVS" from /proc/PID/status.
privs() {
	awk '/^Uid:/ { u = $2 } /^CapEff:/ { e = $2 } /^CapPrm:/ { p = $2 }
	    /^NoNewPrivs:/ { n = $2 } END { print u, e, p, n }' "/proc/$1/status"
}

# jv KEY: the first value of KEY in $st (dicapctl's JSON; no jq here).
jv() {
	echo "$st" | grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2 | tr -d '"'
}

# dicapd reports 3 members with itself at $pos, and the module uses
# the agent's epoch.
ready() {
	st=$(dicapctl -i eth0 status --json 2>/dev/null) || return 1
	[ "$(jv members)" = 3 ] && [ "$(jv position)" = "$pos" ] &&
	    [ -n "$(jv epoch)" ] && [ "$(jv epoch)" = "$(jv program_epoch)" ] &&
	    [ "$(jv program_pending)" = false ]
}

wait_for() {	# wait_for TENTHS CMD...: retry CMD every 0.1 s
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

gone() {
	! kill -0 "$1" 2>/dev/null
}

stop() {	# stop PID...: TERM, wait up to 10 s each
	for p in "$@"; do
		kill "$p" 2>/dev/null
		wait_for 100 gone "$p" || kill -9 "$p" 2>/dev/null
	done
}

seen() {
	dicap-kctl get | sed -n 's/.* seen=\([0-9]*\).*/\1/p'
}

# The module saw the 600 frames fed since $seen0 was taken.
fed() {
	[ $(($(seen) - seen0)) -ge 600 ]
}

# start MODE [DICAPD OPTION...]: coordinator, simulated members, dicapd.
start() {
	sel=$1
	shift
	dicap-coord -f -l "$coord" --insecure --no-announce --select "$sel" \
	    --analyzer "$ana" > /tmp/coord.log 2>&1 &
	coord_pid=$!
	sim_pids=
	for id in $others; do
		dicap-nodesim --coord "$coord" --insecure --nodes 1 --id-base "$id" \
		    > /tmp/sim-$id.log 2>&1 &
		sim_pids="$sim_pids $!"
	done
	dicapd -f -d -i eth0 -c "$coord" --insecure --id "$mine" --datapath kmod "$@" \
	    > /tmp/dicapd.log 2>&1 &
	dicapd_pid=$!
	wait_for 300 ready
}

stop_all() {
	stop "$dicapd_pid"
	stop $sim_pids "$coord_pid"
}

show_logs() {
	echo "--- dicapd"
	tail -n 15 /tmp/dicapd.log
	echo "--- coord"
	tail -n 5 /tmp/coord.log
}

# ---- errors (position 0 only: one boot is enough) ----
if [ "$pos" = 0 ]; then
	out=$(dicapd -f -i eth0 -c "$coord" --insecure --datapath kmod --hook rx_handler 2>&1)
	rc=$?
	echo "$out" | grep -q "AF_PACKET taps run before rx_handler: use a patched driver (see docs/kmod.md)"
	check rxh-distribute $((rc == 1 && $? == 0)) "rc=$rc: $out"

	rmmod dicap
	out=$(dicapd -f -i eth0 -c "$coord" --insecure --datapath kmod 2>&1)
	rc=$?
	echo "$out" | grep -q "genetlink family dicap not found: modprobe dicap (see docs/kmod.md)"
	check no-module $((rc == 1 && $? == 0)) "rc=$rc: $out"
	insmod /modules/dicap.ko

	out=$(dicapd -f -i lo -c "$coord" --insecure --datapath kmod 2>&1)
	rc=$?
	echo "$out" | grep -q "interface lo is a loopback"
	check loopback $((rc == 1 && $? == 0)) "rc=$rc: $out"

	# The rx_handler for capture, without a coordinator: it attaches.
	dicapd -f -d -i eth0 -c "$coord" --insecure --datapath kmod --hook rx_handler \
	    --capture > /tmp/rxh.log 2>&1 &
	p=$!
	hook_is() {
		st=$(dicapctl -i eth0 status --json 2>/dev/null) &&
		    [ "$(jv hook)" = "$1" ] && [ "$(jv attached)" = true ]
	}
	wait_for 100 hook_is rx_handler
	check rxh-capture $((! $?)) "$(jv name) hook $(jv hook) attached $(jv attached)"

	out=$(dicapd -f -i eth0 -c "$coord" --insecure --datapath kmod -s /tmp/second.sock 2>&1)
	rc=$?
	echo "$out" | grep -q "another dicapd drives dicap.ko"
	check second-dicapd $((rc == 1 && $? == 0)) "rc=$rc: $out"
	# Issue 14: a lock others could open, they could hold.
	lock_modes=$(stat -c %a /run/dicap/kmod /run/dicap/kmod/kmod.lock 2>&1 | tr '\n' ' ')
	[ "$lock_modes" = "700 600 " ]
	check lock-modes $((! $?)) "modes of /run/dicap/kmod and its kmod.lock: $lock_modes"

	# Killed without detaching: the next dicapd takes over.
	kill -9 "$p"
	wait "$p" 2>/dev/null
	rm -f /run/dicap/eth0.sock
	dicapd -f -d -i eth0 -c "$coord" --insecure --datapath kmod > /tmp/takeover.log 2>&1 &
	p=$!
	wait_for 100 hook_is driver
	rc=$?
	grep -q "exited without detaching: taking over" /tmp/takeover.log
	check takeover $((rc == 0 && $? == 0)) "$(grep -m1 "taking over\|datapath kmod" /tmp/takeover.log)"
	stop "$p"
fi

# ---- distribution and capture, per mode ----
for mode in $modes; do
	echo "DIST $mode"
	if start "$mode"; then
		check "dist-$mode-ready" 1 "epoch $(jv epoch), position $(jv position)"
		dicap-kctl recv eth0 600 60
		st=$(dicapctl -i eth0 status --json)
		echo "STATUS dist $mode $st"
		echo "STATUS-TEXT dist $mode $(dicapctl -i eth0 status |
		    grep -c "^datapath *kmod, selecting with epoch [0-9]* ($mode, tunnel inner)\$") \
$(dicapctl -i eth0 status | grep -c '^datapath counters:')"
	else
		check "dist-$mode-ready" 0 "$st"
		show_logs
		echo "READY (skipped)"
	fi
	stop_all

	echo "CAPT $mode"
	rm -f /tmp/cap.pcap
	dicap-analyzer -q -l "$ana" -w /tmp/cap.pcap > /tmp/ana.log 2>&1 &
	ana_pid=$!
	if start "$mode" --capture --snaplen 1440; then
		check "capt-$mode-ready" 1 "epoch $(jv epoch), position $(jv position)"
	else
		check "capt-$mode-ready" 0 "$st"
		show_logs
	fi
	seen0=$(seen)
	echo READY
	wait_for 600 fed
	# the forwarder's flush timer sends the last partial batch
	sleep 1
	st=$(dicapctl -i eth0 status --json)
	echo "STATUS capt $mode $st"
	stop_all
	stop "$ana_pid"
	tail -n 3 /tmp/ana.log
	echo "PCAP-BEGIN $mode"
	base64 /tmp/cap.pcap
	echo "PCAP-END $mode"
done

# ---- the lease (position 0): a stopped dicapd stops refreshing it ----
if [ "$pos" = 0 ]; then
	echo "LEASE"
	# longer than the heartbeat interval (1 s), which refreshes it
	start flow --lease 1500 --lease-policy drop
	check lease-ready $((! $?)) "epoch $(jv epoch), lease $(jv lease_ms) ms"
	# Issue 14: after setup dicapd runs as nobody with CAP_NET_ADMIN alone
	# (dicap.ko's genetlink commands), the coordinator with nothing.
	p=$(privs "$dicapd_pid")
	[ "$p" = "65534 0000000000001000 0000000000001000 1" ]
	check privs-dicapd $((! $?)) "dicapd (kmod): Uid CapEff CapPrm NoNewPrivs $p"
	p=$(privs "$coord_pid")
	[ "$p" = "65534 0000000000000000 0000000000000000 1" ]
	check privs-coord $((! $?)) "dicap-coord: Uid CapEff CapPrm NoNewPrivs $p"
	kill -STOP "$dicapd_pid"
	sleep 3
	drops0=$(dicap-kctl get | sed -n 's/.* lease_drops=\([0-9]*\).*/\1/p')
	seen0=$(seen)
	echo READY
	wait_for 600 fed
	drops=$(($(dicap-kctl get | sed -n 's/.* lease_drops=\([0-9]*\).*/\1/p') - drops0))
	check lease-drop $((drops == 600)) "lease_drops $drops of $(($(seen) - seen0)) frames"
	kill -CONT "$dicapd_pid"
	stop_all
fi

# ---- the unpatched driver (last boot) ----
if [ "$pos" = 2 ]; then
	case $DICAP_NIC in
	e1000e) rmmod e1000e && insmod /modules/e1000e_stock.ko ;;
	*) rmmod virtio_net && insmod /modules/virtio_net_stock.ko ;;
	esac
	wait_for 50 test -e /sys/class/net/eth0
	ip link set eth0 up
	out=$(dicapd -f -i eth0 -c "$coord" --insecure --datapath kmod 2>&1)
	rc=$?
	echo "$out" | grep -q "does not call the DiCAP driver hook"
	check unpatched-driver $((rc == 1 && $? == 0)) "rc=$rc: $out"
fi
