#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages of `make deb` on a fresh Debian 12: a minimal root
# made with debootstrap from the Debian mirror apt already uses, the three
# packages installed there with apt (which pulls their dependencies from
# that mirror), then the README's "Deploying" steps run from that root in
# a network namespace of the test's own: the credentials, dicap-coord, dicapd
# with the XDP datapath on a veth, dicapctl against both, and
# `dicap-run tcpdump -i dicap:IFACE` capturing the frames dicap-gen sends.
# dicap-dkms must have added dicap/0.1 to DKMS, which must build and
# install the modules once Debian 12's kernel headers are installed.
# DICAP_DEB_DIR: the packages (default build/deb).  DICAP_DEB_CACHE: where
# debootstrap keeps the packages it downloads (default build/deb-cache).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/wait.sh"

DEB_DIR=${DICAP_DEB_DIR:-$PWD/build/deb}
CACHE=${DICAP_DEB_CACHE:-$PWD/build/deb-cache}
NS=dicapdeb-$$
FRAMES=200

[ "$(id -u)" = 0 ] || skip_all "needs root (debootstrap, chroot, network namespaces)"
command -v debootstrap >/dev/null || skip_all "debootstrap is missing (apt-get install debootstrap)"
command -v ip >/dev/null || skip_all "ip is missing (apt-get install iproute2)"
command -v jq >/dev/null || skip_all "jq is missing (apt-get install jq)"
debs=$(ls "$DEB_DIR"/dicap_*.deb "$DEB_DIR"/dicap-pcap_*.deb "$DEB_DIR"/dicap-dkms_*.deb 2>/dev/null)
[ "$(echo "$debs" | wc -w)" = 3 ] || skip_all "no packages in $DEB_DIR: run make deb"
# The mirror of Debian 12 that the system's apt uses.
# shellcheck disable=SC2016
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(TARGET_OF)' 2>/dev/null |
	awk '$2 == "bookworm" && $3 == "main" && $4 == "deb" { print $1; exit }')
[ -n "$mirror" ] || skip_all "apt knows no Debian 12 (bookworm) mirror"
ip netns add "$NS" 2>/dev/null || skip_all "cannot make a network namespace"

ROOT=$(mktemp -d "${TMPDIR:-/var/tmp}/dicap-deb-root.XXXXXX")
# Every process the test starts in the new root runs in its namespace.
ns_pids() {
	ip netns pids "$NS" 2>/dev/null
}

cleanup() {
	local p

	for p in $(ns_pids); do
		kill -TERM "$p" 2>/dev/null
	done
	WAIT_POLL=0.1 wait_until 5000 test -z "$(ns_pids)"
	for p in $(ns_pids); do
		kill -KILL "$p" 2>/dev/null
	done
	WAIT_POLL=0.1 wait_until 2000 test -z "$(ns_pids)"
	ip netns del "$NS" 2>/dev/null
	# Every mount below was made in a mount namespace of its own, gone with
	# its process; never remove a root that still has one.
	if grep -q " $ROOT/" /proc/mounts; then
		echo "# $ROOT still has mounts: left in place" >&2
	else
		rm -rf "$ROOT"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# in_root [--host-net] CMD...: CMD in the new root, with /proc, /sys and
# /dev of its own (in a mount namespace that ends with CMD), in the test's
# network namespace (where cleanup finds every process it started), or in
# the host's for apt.  Background jobs use "${IN_ROOT[@]}" CMD &.
# shellcheck disable=SC2016
IN_ROOT=(ip netns exec "$NS" sh -c 'r=$1; shift
	mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
	mount --bind /dev "$r/dev" && exec chroot "$r" "$@"' sh "$ROOT")

in_root() {
	if [ "$1" = --host-net ]; then
		shift
		unshare -m --propagation slave "${IN_ROOT[@]:4}" "$@"
	else
		"${IN_ROOT[@]}" "$@"
	fi
}

plan 12

mkdir -p "$CACHE"
start=$(now_ms)
debootstrap --variant=minbase --cache-dir="$CACHE" bookworm "$ROOT" "$mirror" >"$ROOT.debootstrap.log" 2>&1
ok $(($? == 0)) "debootstrap made a minimal Debian 12 root from $mirror" ||
	diag "$(tail -n 20 "$ROOT.debootstrap.log")"
diag "debootstrap: $(($(now_ms) - start)) ms"
rm -f "$ROOT.debootstrap.log"

mkdir -p "$ROOT/tmp/debs"
# shellcheck disable=SC2086
cp $debs "$ROOT/tmp/debs/"
# Nothing a package would start runs in the new root.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
start=$(now_ms)
log=$(in_root --host-net sh -c 'export DEBIAN_FRONTEND=noninteractive
	apt-get update -q && apt-get install -y -q --no-install-recommends \
		/tmp/debs/*.deb tcpdump' 2>&1)
ok $(($? == 0)) "apt installs dicap, dicap-pcap and dicap-dkms with their dependencies, and tcpdump" ||
	diag "$(printf '%s\n' "$log" | tail -n 30)"
diag "apt-get update and install: $(($(now_ms) - start)) ms"

# shellcheck disable=SC2016
st=$(in_root dpkg-query -W -f='${Package} ${Status}\n' dicap dicap-pcap dicap-dkms libpcap0.8 2>&1 |
	awk '$NF == "installed" { print $1 }' | sort | tr '\n' ' ')
is "$st" "dicap dicap-dkms dicap-pcap libpcap0.8 " "the three packages and the system's libpcap0.8 are installed side by side"

st=$(in_root dkms status dicap 2>&1)
case $st in
"dicap/0.1: added"*|"dicap/0.1"*) r=1 ;;
*) r=0 ;;
esac
ok $r "DKMS knows dicap/0.1 (no kernel headers here, so nothing is built)" || diag "dkms status: $st"

# The namespace: loopback for the control traffic, a veth pair as the
# mirror port (veth1, the node's capture interface) and its sender (veth0).
ip -n "$NS" link set lo up
ip -n "$NS" link add veth0 type veth peer name veth1
ip -n "$NS" link set veth0 up
ip -n "$NS" link set veth1 up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1

mkdir -p "$ROOT/etc/dicap"
in_root dicapctl keygen /etc/dicap/coord.key >/dev/null 2>&1 &&
	in_root dicapctl keygen --role node --from /etc/dicap/coord.key /etc/dicap/node.key \
	>/dev/null 2>&1 &&
	in_root dicapctl keygen --role status --from /etc/dicap/coord.key /etc/dicap/status.key \
	>/dev/null 2>&1
[ $? = 0 ] && [ "$(stat -c %a "$ROOT/etc/dicap/coord.key" "$ROOT/etc/dicap/node.key" \
	"$ROOT/etc/dicap/status.key" 2>/dev/null | sort -u)" = 600 ] &&
	head -1 "$ROOT/etc/dicap/node.key" | grep -qx 'dicap-credential node'
ok $(($? == 0)) "dicapctl keygen writes the coordinator, node and status credentials (0600)"

"${IN_ROOT[@]}" dicap-coord -k /etc/dicap/coord.key -l 127.0.0.1:7467 >"$ROOT/tmp/coord.log" 2>&1 &
"${IN_ROOT[@]}" dicapd -i veth1 -c 127.0.0.1:7467 -k /etc/dicap/node.key >"$ROOT/tmp/dicapd.log" 2>&1 &

# Joined, and the epoch that gives the node its share has started.
node_joined() {
	[ "$(in_root dicapctl -i veth1 status --json 2>/dev/null |
		jq -r '"\(.state) \(.pending_epoch)"')" = "joined null" ]
}
wait_until 15000 node_joined
ok $(($? == 0)) "dicapd (XDP datapath on veth1) joins dicap-coord and holds its share" ||
	diag "dicapd: $(tail -n 5 "$ROOT/tmp/dicapd.log")" "coord: $(tail -n 5 "$ROOT/tmp/coord.log")"

n=$(in_root dicapctl -c 127.0.0.1:7467 -k /etc/dicap/status.key status --json 2>/dev/null |
	jq -r '.nodes | length')
is "$n" 1 "dicapctl status: the coordinator has one node"

out=$(in_root dicap-run tcpdump -D 2>&1)
dev=$(printf '%s\n' "$out" | grep -c 'dicap:veth1 (DiCAP node 1 of 1 on veth1')
is "$dev" 1 "dicap-run tcpdump -D lists dicap:veth1 as node 1 of 1" || diag "$out"

"${IN_ROOT[@]}" dicap-run tcpdump -i dicap:veth1 -c "$FRAMES" -w /tmp/share.pcap >"$ROOT/tmp/tcpdump.log" 2>&1 &
td=$!
sleep 2
in_root dicap-gen -i veth0 -c "$FRAMES" -R 2000 --seed 7 >"$ROOT/tmp/gen.log" 2>&1
ok $(($? == 0)) "dicap-gen sends $FRAMES frames on veth0" || diag "$(tail -n 5 "$ROOT/tmp/gen.log")"
WAIT_POLL=0.1 wait_until 10000 sh -c "! kill -0 $td 2>/dev/null"
got=$(in_root tcpdump -r /tmp/share.pcap 2>/dev/null | wc -l)
is "$got" "$FRAMES" "dicap-run tcpdump -i dicap:veth1 captured the whole share: every frame of a 1-node cluster" ||
	diag "tcpdump: $(tail -n 5 "$ROOT/tmp/tcpdump.log")"

# DKMS builds the modules when a kernel's headers arrive (its
# header_postinst.d hook, AUTOINSTALL): Debian 12's kernel, as tests/kmod.
start=$(now_ms)
kver=$(in_root apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/.*Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
log=$(in_root --host-net sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends linux-headers-$kver" 2>&1)
st=$(in_root dkms status dicap 2>&1)
ko=$(find "$ROOT/lib/modules/$kver/updates/dkms/" -name '*.ko*' -printf '%f ' 2>/dev/null)
r=0
case "$st" in
*"dicap/0.1, $kver, "*": installed"*)
	case " $ko " in *" dicap.ko "*) case " $ko " in *" dicap_hook.ko "*) r=1 ;; esac ;; esac ;;
esac
ok $r "installing linux-headers-${kver:-?} makes DKMS build and install dicap.ko and dicap_hook.ko" ||
	diag "dkms status: $st" "modules: $ko" "$(printf '%s\n' "$log" | tail -n 20)"
diag "kernel headers and the DKMS build: $(($(now_ms) - start)) ms; dkms status: $st; modules: $ko"

v=$(in_root dicap-run tcpdump --version 2>&1 | grep -c 'with DiCAP capture module')
w=$(in_root tcpdump --version 2>&1 | grep -c 'with DiCAP capture module')
is "$v $w" "1 0" "only through dicap-run does tcpdump load DiCAP's libpcap; plain tcpdump keeps the system's"

done_testing
