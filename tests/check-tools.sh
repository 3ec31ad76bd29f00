#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tests/check-tools.sh [--packages | --list] GROUP...
#
# The tools that the tests, the demo, the benchmarks and the fuzzers run,
# each with the Debian package that provides it.  Building the programs
# needs none of them (./configure checks the build dependencies); each
# make target that runs something checks its own group first:
#
#	unit   make check-unit          asan   make check-asan
#	e2e    make check-e2e           kmod   make check-kmod
#	demo   make demo                bench  make bench, make bench-smoke
#	fuzz   make fuzz                deb    make deb, make check-deb
#	check  unit asan e2e kmod (make check)     all   every group
#
# Without an option: prints each missing tool with its package and exits 1
# if one is missing.  --packages prints the Debian packages of the missing
# tools on one line (./configure --install-deps installs them); --list
# prints every tool of the groups.  CC and CLANG name the compilers.
set -u

CC=${CC:-cc}
CLANG=${CLANG:-clang}

# GROUPS TOOL DEBIAN-PACKAGE WHAT-FOR, separated by blanks.  A TOOL starting with @ is a
# probe below instead of a command.  Essential packages (coreutils,
# diffutils, util-linux, bsdutils, tar, gzip, sed, grep, findutils, mawk)
# are listed where their commands are used, though no Debian system
# lacks them.
tool_table() {
	cat <<'EOF'
unit,asan			prove		perl		the TAP harness
asan				@asan		libasan8	the unit tests under ASan+UBSan (CC -fsanitize=address,undefined)
e2e,demo,bench			ip		iproute2	namespaces, veth, addresses (tests/testbed.sh)
e2e,demo,bench			tc		iproute2	the testbed's tc mirror (tc mirred)
e2e,demo,bench			ss		iproute2	is a port bound
e2e,demo,bench			ethtool		ethtool		VLAN offload off on the mirror ports, GRO of the node ports (XDP mirror)
e2e,demo,bench			sysctl		procps		IPv6 off in every namespace
e2e,bench,kmod			pkill		procps		stopping a consumer or qemu
e2e,demo,bench			jq		jq		the daemons' JSON status
e2e,demo,bench,kmod		perl		perl		raw frames, pcap reading, checkpatch.pl (Digest::MD5)
e2e,demo,bench			taskset		util-linux	pinning the sender and the coordinator
e2e				setpriv		util-linux	dropped capabilities (tests/gen, pcap, xdp)
kmod				flock		util-linux	one kernel-module build at a time
e2e				script		bsdutils	a terminal for dicap-analyzer (tests/analyzer/t07)
e2e				tmux		tmux		a terminal for dicapctl top (tests/ctl/t09)
e2e				systemd-analyze	systemd		the units verified and run under systemd (tests/deploy/t01, t03)
e2e,demo,bench			tcpdump		tcpdump		captures on the testbed, reading pcaps
e2e,bench			tshark		tshark		dissecting captures; a libpcap consumer
e2e,bench			dumpcap		tshark		(wireshark-common, with tshark) the B2 consumer
e2e				mergecap	tshark		(wireshark-common, with tshark) merging analyzers' files (tests/xdp/t61, tests/analyzer/t10)
e2e				capinfos	tshark		(wireshark-common, with tshark) reading the analyzer's pcapng (tests/analyzer/t10)
e2e				tcpflow		tcpflow		TCP streams reassembled on each node (tests/xdp/t80)
e2e				curl		curl		scraping --metrics and Prometheus' query API (tests/xdp/t91)
e2e				promtool	prometheus	checking the daemons' --metrics output (tests/xdp/t91)
e2e				prometheus	prometheus	a Prometheus server scraping the testbed (tests/xdp/t91)
e2e,bench			valgrind	valgrind	the libpcap module under memcheck (tests/pcap/t05); callgrind
bench				callgrind_annotate valgrind	instructions per record (bench/b4-callgrind.sh)
bench				gnuplot		gnuplot-nox	the benchmarks' plots
e2e,bench			cmp		diffutils	comparing captures
e2e,kmod			timeout		coreutils	bounded runs, qemu's time limit
kmod				qemu-system-x86_64 qemu-system-x86 Debian's 6.1 kernel booted under TCG
kmod				@busybox-static	busybox-static	the guest's initramfs (a static /bin/busybox)
e2e,bench,kmod			python3		python3		hand-built traces (tests/lib/tracegen.py); the kernel-module checks (tests/kmod/*.py)
kmod				pahole		pahole		module BTF for the 6.12 build check
kmod				patch		patch		the driver patches (patches/linux/)
kmod				xz		xz-utils	linux-source-6.1.tar.xz
kmod,bench			gzip		gzip		the initramfs; tcpdump's test traces (B3)
kmod,bench			tar		tar		unpacking the kernel packages and traces
kmod				dpkg-deb	dpkg		unpacking the kernel packages
kmod,bench			apt-get		apt		downloading Debian's kernel (and tcpdump's source for B3)
kmod				readelf		binutils	a module's vermagic
kmod,bench			make		make		kbuild; the helpers
fuzz				@fuzzer		libclang-rt-14-dev libFuzzer and the sanitizers for CLANG
deb				dpkg-buildpackage dpkg-dev	building the packages (make deb)
deb				dh		debhelper	debian/rules (compat 13)
deb				dh_dkms		dh-dkms		the dicap-dkms package
deb				lintian		lintian		checking the packages
deb				debootstrap	debootstrap	a fresh Debian 12 root (make check-deb)
deb				prove		perl		the TAP harness (make check-deb)
deb				ip		iproute2	the namespace of make check-deb
deb				jq		jq		dicapd's JSON status (make check-deb)
EOF
}

probe() {
	t=$(mktemp -d "${TMPDIR:-/tmp}/dicap-tools.XXXXXX") || return 1
	case $1 in
	asan)
		printf 'int main(void) { return 0; }\n' >"$t/a.c"
		$CC -fsanitize=address,undefined "$t/a.c" -o "$t/a" && "$t/a" ;;
	fuzzer)
		printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/f.c"
		$CLANG -fsanitize=fuzzer,address,undefined "$t/f.c" -o "$t/f" ;;
	busybox-static)
		[ -x /bin/busybox ] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q "not a dynamic" ;;
	*) false ;;
	esac >/dev/null 2>&1
	rc=$?
	rm -rf "$t"
	return $rc
}

mode=check
case ${1:-} in
--packages) mode=packages; shift ;;
--list) mode=list; shift ;;
-h|--help) sed -n '3,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -gt 0 ] || { echo "usage: tests/check-tools.sh [--packages | --list] GROUP..." >&2; exit 2; }

groups=
for g do
	case $g in
	unit|asan|e2e|kmod|demo|bench|fuzz|deb) groups="$groups $g" ;;
	check) groups="$groups unit asan e2e kmod" ;;
	all) groups="$groups unit asan e2e kmod demo bench fuzz deb" ;;
	*) echo "check-tools: unknown group '$g' (unit asan e2e kmod demo bench fuzz deb check all)" >&2; exit 2 ;;
	esac
done

wanted() {	# wanted GROUPS-FIELD: one of the groups asked for is in it
	for g in $groups; do
		case ,$1, in *,$g,*) return 0 ;; esac
	done
	return 1
}

missing='' pkgs='' seen=''
while read -r grp tool pkg why; do
	case $grp in ''|'#'*) continue ;; esac
	wanted "$grp" || continue
	case " $seen " in *" $tool "*) continue ;; esac
	seen="$seen $tool"
	if [ "$mode" = list ]; then
		printf '%-20s %-20s %s\n' "${tool#@}" "$pkg" "$why"
		continue
	fi
	case $tool in
	@*) probe "${tool#@}" </dev/null ;;
	*) command -v "$tool" >/dev/null 2>&1 ;;
	esac && continue
	missing="$missing
  ${tool#@} (Debian package $pkg): $why"
	case " $pkgs " in *" $pkg "*) ;; *) pkgs="${pkgs:+$pkgs }$pkg" ;; esac
done <<EOF
$(tool_table)
EOF

case $mode in
list) exit 0 ;;
packages) [ -z "$pkgs" ] || echo "$pkgs"; exit 0 ;;
esac
if [ -n "$missing" ]; then
	echo "check-tools: missing for$groups:$missing" >&2
	echo "check-tools: apt-get install $pkgs  (or ./configure --install-deps as root)" >&2
	exit 1
fi
exit 0
