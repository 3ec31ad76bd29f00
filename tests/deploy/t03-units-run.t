#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The units under a real systemd: systemd (PID 1 of new PID, mount, UTS,
# IPC and network namespaces, in a cgroup of its own) starts
# dicap-coord.service, dicapd@lo.service and dicap-analyzer.service, each
# configured by its file only, with the units' sandboxing as written.  The
# node joins; each daemon runs as an unprivileged user with no capability
# left once it is set up (dicapd and dicap-coord switch from root by
# themselves, the analyzer is a dynamic user), with no_new_privs;
# the journal gets priorities; dicapd@vt0 loads XDP on a veth and the
# frames sent into it reach the analyzer's pcap file in its state
# directory; stopping an instance leaves the cluster and keeps the other's
# socket.  Left out, since nothing here runs udev: the unit's BindsTo= on
# the interface's device.  Nothing leaks out of the namespaces but the
# test's cgroups, which it removes.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/lib/wait.sh"
. "$REPO/tests/lib/rundir.sh"

BIN=${DICAP_BIN:-$REPO/build/plain/bin}
[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, cgroups)"
for c in unshare nsenter python3 jq; do
	command -v $c >/dev/null || skip_all "$c is not installed"
done
[ -x /lib/systemd/systemd ] || skip_all "systemd is not installed"
[ "$(cat /proc/1/comm)" = systemd ] &&
	skip_all "systemd is PID 1 here: install the units and check them as README says"
for p in dicap-coord dicapd dicapctl dicap-analyzer; do
	[ -x "$BIN/$p" ] || skip_all "$BIN/$p not built (make programs)"
done

DIR=$(mktemp -d "${TMPDIR:-/tmp}/dicap-units-run.XXXXXX") || bail_out "mktemp failed"
CG=dicap-units-$$
UPID=
SPID=
cleanup() {
	local rc=$? h i left=

	trap - EXIT INT TERM
	[ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
	[ -n "$UPID" ] && kill -9 "$UPID" 2>/dev/null
	[ -n "$UPID" ] && wait "$UPID" 2>/dev/null
	if [ "$TAP_FAILED" -ne 0 ] && [ -f "$DIR/journal.txt" ]; then
		diag "$(tail -40 "$DIR/journal.txt")"
	fi
	# The cgroups empty a moment after their last process dies.
	for i in $(seq 100); do
		left=
		for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
			[ -d "$h$CG" ] || continue
			find "$h$CG" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$h$CG" ] && left="$left $h$CG"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -n "$left" ] && diag "left behind:$left"
	rundir_remove "$DIR" "${E2E_KEEP:-0}"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
plan 12

cat >"$DIR/inner.sh" <<'INNER'
#!/bin/bash
# PID 1-to-be of the namespaces: private mounts over what systemd writes,
# only the units under test enabled, then exec systemd.
set -e
shopt -s nullglob
REPO=$1 BIN=$2 CG=$3
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[ -f "$h/cgroup.procs" ] || continue
	mkdir -p "$h$CG"
	# A v1 cpuset takes no task before it has CPUs and memory nodes.
	if [ -f "$h$CG/cpuset.cpus" ]; then
		cat "${h}cpuset.cpus" >"$h$CG/cpuset.cpus"
		cat "${h}cpuset.mems" >"$h$CG/cpuset.mems"
	fi
	echo $$ >"$h$CG/cgroup.procs"
done
mount --make-rprivate /
for d in /run /etc/systemd/system /var/lib /var/log; do mount -t tmpfs tmpfs $d; done
S=/etc/systemd/system
# What boot would start besides the journal: masked.
for u in /lib/systemd/system/sysinit.target.wants/* /lib/systemd/system/sockets.target.wants/* \
    /lib/systemd/system/multi-user.target.wants/* /lib/systemd/system/getty.target.wants/* \
    /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/timers.target.wants/*; do
	case ${u##*/} in systemd-journald.service|systemd-journald.socket|systemd-journald-dev-log.socket)
		continue ;; esac
	ln -sf /dev/null "$S/${u##*/}"
done
for n in systemd-remount-fs.service systemd-udevd.service systemd-udev-trigger.service \
    systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
    systemd-logind.service systemd-journald-audit.socket ldconfig.service \
    systemd-hwdb-update.service systemd-update-done.service \
    systemd-journal-catalog-update.service console-getty.service; do
	ln -sf /dev/null "$S/$n"
done
E=/run/dt/etc
mkdir -p $E/dicap
# The units hide /tmp, /home and /root (PrivateTmp, ProtectHome), where a
# checkout may well be: the daemons run from a copy under /run.
SB=/run/dt/sbin
mkdir -p $SB
cp "$BIN/dicap-coord" "$BIN/dicapd" "$BIN/dicap-analyzer" $SB/
for u in "$REPO"/systemd/*.service.in; do
	sed -e "s|@sbindir@|$SB|g" -e "s|@sysconfdir@|$E|g" "$u" >"$S/$(basename "${u%.in}")"
done
sed -i '/sys-subsystem-net-devices/d' "$S/dicapd@.service"
printf '[Unit]\nDescription=DiCAP units under test\nWants=dicap-coord.service dicapd@lo.service dicap-analyzer.service\n' \
	>"$S/dicap-test.target"
"$BIN/dicapctl" keygen $E/dicap/coord.key >/dev/null
"$BIN/dicapctl" keygen --role node --from $E/dicap/coord.key $E/dicap/node.key >/dev/null
"$BIN/dicapctl" keygen --role status --from $E/dicap/coord.key $E/dicap/status.key >/dev/null
ip link set lo up
printf 'key %s\nlisten 127.0.0.1:7467\nno-announce\nheartbeat 500\ntimeout 2000\nanalyzer 127.0.0.1:7470\nterm-file /var/lib/dicap-coord/term\n' \
	$E/dicap/coord.key >$E/dicap/dicap-coord.conf
printf 'key %s\ncoordinator 127.0.0.1:7467\ndatapath none\nid 0x0c0ff1e5\nweight 3\n' \
	$E/dicap/node.key >$E/dicap/dicapd-lo.conf
printf 'key %s\ncoordinator 127.0.0.1:7467\ndatapath xdp\ncapture\nid 0x0c0ff1e6\n' \
	$E/dicap/node.key >$E/dicap/dicapd-vt0.conf
printf 'listen 127.0.0.1:7470\nwrite "capture %%s.pcap"\nrotate-seconds 86400\nstats stats.json\n' \
	>$E/dicap/dicap-analyzer.conf
chmod 644 $E/dicap/*.conf
exec env container=dicap-test /lib/systemd/systemd --system --unit=dicap-test.target \
	--log-target=console
INNER
chmod +x "$DIR/inner.sh"

unshare --fork --kill-child --pid --mount --uts --ipc --net --mount-proc \
	"$DIR/inner.sh" "$REPO" "$BIN" "$CG" >"$DIR/console.log" 2>&1 &
UPID=$!
in_ns() { nsenter -t "$SPID" -m -p -n -u -- "$@"; }
child_up() { SPID=$(pgrep -P "$UPID" | head -1); [ -n "$SPID" ] && [ "$(cat /proc/$SPID/comm 2>/dev/null)" = systemd ]; }
units_up() {
	[ "$(in_ns systemctl is-active dicap-coord dicapd@lo dicap-analyzer 2>/dev/null | sort -u)" = active ]
}
joined() { [ "$(in_ns "$BIN/dicapctl" -i lo status --json 2>/dev/null | jq -r .state)" = joined ]; }
wait_until 20000 child_up || bail_out "systemd did not start: $(tail -5 "$DIR/console.log")"
wait_until 30000 units_up
ok $(($? == 0)) "systemd runs dicap-coord, dicapd@lo and dicap-analyzer from their units" ||
	diag "$(in_ns systemctl --no-pager list-units 'dicap*' 2>&1)"
wait_until 15000 joined
ok $(($? == 0)) "the node joins the coordinator its file names"
out=$(in_ns "$BIN/dicapctl" -c 127.0.0.1:7467 -k /run/dt/etc/dicap/status.key status --json |
	jq -c '[.analyzers[0], (.nodes[] | .id, .weight)]')
is "$out" '["127.0.0.1:7470","0x0c0ff1e5",3]' "the coordinator lists the analyzer and the node's id and weight"
term=$(in_ns "$BIN/dicapctl" -c 127.0.0.1:7467 -k /run/dt/etc/dicap/status.key status --json | jq -r .term)
is "$(in_ns cat /var/lib/dicap-coord/term 2>&1)" "$term" \
	"dicap-coord keeps its term in its StateDirectory (--term-file)"

# privs NAME: "CapEff CapPrm NoNewPrivs" of the daemon, from /proc.
privs() {
	in_ns sh -c "cat /proc/\$(pgrep -x $1)/status" |
		awk '/^CapEff:/ { e = $2 } /^CapPrm:/ { p = $2 } /^NoNewPrivs:/ { n = $2 } END { print e, p, n }'
}
none="0000000000000000 0000000000000000 1"
is "$(privs dicapd), $(privs dicap-coord), $(privs dicap-analyzer)" "$none, $none, $none" \
	"no daemon has a capability left (CapEff, CapPrm), each has no_new_privs (dicapd: datapath none)"
user=dicap
id -u dicap >/dev/null 2>&1 || user=nobody
is "$(in_ns ps -o user= -C dicapd,dicap-coord,dicap-analyzer | tr -d ' ' | sort | tr '\n' ' ')" \
	"dicap-analyzer $user $user " \
	"dicapd and dicap-coord run as $user, dicap-analyzer as its dynamic user"
in_ns journalctl --no-pager -u dicap-coord -u dicapd@lo -u dicapd@vt0 -u dicap-analyzer >"$DIR/journal.txt" 2>&1
out=$(in_ns journalctl --no-pager -u dicapd@lo -o json | jq -r 'select(.MESSAGE | test("^joined ")) | .PRIORITY' | head -1)
is "$out" 6 "a log line reaches the journal with its priority (info), without a time stamp prefix"

in_ns sh -c 'ip link add vt0 type veth peer name vt1 && ip link set vt0 up && ip link set vt1 up'
in_ns systemctl start dicapd@vt0
vt0_joined() { [ "$(in_ns "$BIN/dicapctl" -i vt0 status --json 2>/dev/null | jq -r .state)" = joined ]; }
wait_until 30000 vt0_joined
ok $(($? == 0 && $(in_ns ip link show vt0 | grep -c 'prog/xdp'))) \
	"dicapd@vt0 loads the XDP datapath under its unit's sandbox and joins"
pid=$(in_ns systemctl show -p MainPID --value dicapd@vt0)
out=$(in_ns sh -c "cat /proc/$pid/status" |
	awk '/^Uid:/ { u = $2 } /^CapEff:/ { e = $2 } /^CapPrm:/ { p = $2 } /^NoNewPrivs:/ { n = $2 } END { print u, e, p, n }')
is "$out" "$(id -u $user) $none" "dicapd@vt0 (XDP) runs as $user with no capability and no_new_privs"
in_ns systemctl stop dicapd@lo
left() { in_ns journalctl --no-pager -u dicap-coord -o cat | grep -q '0x0c0ff1e5 .* leaves'; }
wait_until 10000 left
ok $(($? == 0)) "systemctl stop dicapd@lo: the node leaves the cluster"
ok $(in_ns test -S /run/dicap/vt0.sock && echo 1 || echo 0) \
	"/run/dicap keeps the other instance's socket"

# dicapd@vt0 now owns every bucket: 400 UDP frames into the veth.
owns_all() { [ "$(in_ns "$BIN/dicapctl" -i vt0 status --json 2>/dev/null | jq -r .owned_buckets)" = 65536 ]; }
wait_until 10000 owns_all
in_ns python3 - <<'PY'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vt1", 0))
for i in range(400):
    udp = struct.pack("!HHHH", 1000 + i, 53, 26, 0) + b"x" * 18
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 1, i % 200 + 1]))
    c = sum(struct.unpack("!10H", ip)); c = (c >> 16) + (c & 0xffff); c += c >> 16
    ip = ip[:10] + struct.pack("!H", ~c & 0xffff) + ip[12:]
    s.send(b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + udp)
PY
udp_records() {
	REC=$(in_ns sh -c 'cat /var/lib/dicap-analyzer/capture*.pcap' 2>/dev/null |
		tcpdump -r - -n 'udp and dst port 53 and src net 198.18.0.0/24' 2>/dev/null | wc -l)
	[ "$REC" -ge 400 ]
}
wait_until 15000 udp_records
ok $(($? == 0)) "the 400 frames reach the analyzer's pcap file in /var/lib/dicap-analyzer (${REC:-0})"
is "$(in_ns systemctl show -p NRestarts --value dicap-coord dicap-analyzer dicapd@vt0 | grep . | sort -u)" 0 \
	"no unit restarted"
in_ns journalctl --no-pager -u dicap-coord -u dicapd@lo -u dicapd@vt0 -u dicap-analyzer >"$DIR/journal.txt" 2>&1
done_testing
