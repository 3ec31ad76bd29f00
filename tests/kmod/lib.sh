# SPDX-License-Identifier: BSD-2-Clause
# The kernel module's test harness as sourceable functions (bash): Debian's
# own 6.1 kernel under qemu TCG, because the host kernel loads no modules.
#
#   kmod_fetch      look up the current Debian 6.1 ABI; download only the
#                   image, headers and linux-source packages into
#                   build/kmod-cache/; extract the headers there (not
#                   installed: the one absolute include in the headers'
#                   Makefile is rewritten), vmlinuz and the .ko files the
#                   guest needs, and from the source tarball only the
#                   drivers we patch and checkpatch.pl
#   kmod_build      dicap_hook.ko + dicap.ko (W=1, warnings fail), the
#                   patched virtio_net.ko and e1000e.ko, the guest tool
#                   (static) and the host tools, in $KMOD_OUT
#   kmod_initrd     busybox initramfs: modules, guest tests (/tests), and
#                   the daemons (DICAP_BIN) and dicap-nodesim (DICAP_TOOLS)
#                   with their shared libraries
#   kmod_prepare    the three above, each only when its inputs changed
#   kmod_fetch_newer, kmod_build_newer   headers and dicap.ko for the
#                   newest Debian 12 6.12 kernel: a build check, not booted
#   kmod_boot TEST ARG [NIC]   one qemu run in the background (NIC virtio
#                   or e1000e); sets KMOD_QEMU (pid) and KMOD_LOG (console)
#   kmod_feed [COUNT [USEC]]   the frame set into the guest's NIC once
#   kmod_feed_on_ready [COUNT [USEC]]  feed each time the guest prints
#                   READY, until qemu ends
#   kmod_wait       wait for qemu to end (its own timeout bounds it)
#   kmod_cleanup    kill the qemu this shell started (trap it on EXIT)
#
# Environment: DICAP_BIN (default build/plain/bin), DICAP_TOOLS (default
# build/plain/tests/bin), DICAP_KMOD_OUT (default build/kmod), DICAP_KMOD_PORT
# (qemu sends the guest's frames to this UDP port and listens on the next
# one; default: a free pair, so that two test runs can boot side by side),
# DICAP_KMOD_TIMEOUT (seconds per boot, 300).

KMOD_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KMOD_CACHE=$KMOD_REPO/build/kmod-cache
KMOD_OUT=${DICAP_KMOD_OUT:-$KMOD_REPO/build/kmod}
# Kbuild reads a relative M= from the headers' directory, and kmod_initrd cds.
case $KMOD_OUT in /*) ;; *) KMOD_OUT=$PWD/$KMOD_OUT ;; esac
. "$KMOD_REPO/tests/lib/ports.sh"
# kmod_free_pair: a port P with P + 1 free as well.
kmod_free_pair() {
	local p

	for _ in $(seq 50); do
		p=$(free_port) || return 1
		[ -z "$(ss -Hantu "sport = :$((p + 1))" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}
KMOD_PORT=${DICAP_KMOD_PORT:-$(kmod_free_pair || echo 47110)}
KMOD_GUEST_PORT=$((KMOD_PORT + 1))
KMOD_TIMEOUT=${DICAP_KMOD_TIMEOUT:-300}
KMOD_QEMU=
KMOD_LOG=
# Programs (KMOD_BIN) and test tools (KMOD_TOOLS) copied into the guest
# when they are built: kmod_guest_elfs lists those.
KMOD_BIN=${DICAP_BIN:-$KMOD_REPO/build/plain/bin}
KMOD_TOOLS=${DICAP_TOOLS:-$KMOD_REPO/build/plain/tests/bin}
KMOD_DAEMONS="dicapd dicap-coord dicap-analyzer dicapctl"
KMOD_GUEST_TOOLS="dicap-nodesim"

kmod_guest_elfs() {
	local d
	for d in $KMOD_DAEMONS; do
		if [ -x "$KMOD_BIN/$d" ]; then echo "$KMOD_BIN/$d"; fi
	done
	for d in $KMOD_GUEST_TOOLS; do
		if [ -x "$KMOD_TOOLS/$d" ]; then echo "$KMOD_TOOLS/$d"; fi
	done
}

kmod_kver() {
	apt-cache depends linux-image-amd64 2>/dev/null |
	    sed -n 's/.*Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1
}

kmod_fetch() (
	set -e
	local kver abi p h m
	kver=$(cat "$KMOD_CACHE/kver" 2>/dev/null || true)
	[ -n "$kver" ] || kver=$(kmod_kver)
	if [ -z "$kver" ]; then
		echo "kmod_fetch: no linux-image-6.1 ABI found (apt-get update?)" >&2
		exit 1
	fi
	abi=${kver%-amd64}
	mkdir -p "$KMOD_CACHE" && cd "$KMOD_CACHE"
	for p in linux-image-$kver linux-headers-$kver linux-headers-$abi-common \
	    linux-kbuild-6.1 linux-source-6.1; do
		ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p"
	done
	h=$KMOD_CACHE/root/usr/src/linux-headers-$kver
	if [ ! -f "$h/.config" ]; then
		for p in linux-headers-$kver linux-headers-$abi-common linux-kbuild-6.1; do
			dpkg-deb -x "${p}"_*.deb root
		done
		sed -i "s|^include /usr/src/|include $KMOD_CACHE/root/usr/src/|" "$h/Makefile"
	fi
	m=./lib/modules/$kver/kernel
	if [ ! -f "img/$m/drivers/net/veth.ko" ] ||
	    [ ! -f "img/boot/vmlinuz-$kver" ]; then
		mkdir -p img
		dpkg-deb --fsys-tarfile "linux-image-${kver}"_*.deb | tar -C img -x \
		    "./boot/vmlinuz-$kver" --wildcards "$m/drivers/virtio/*" \
		    "$m/drivers/net/virtio_net.ko" "$m/drivers/net/net_failover.ko" \
		    "$m/drivers/net/veth.ko" \
		    "$m/net/core/failover.ko" "$m/drivers/net/ethernet/intel/e1000e/e1000e.ko"
	fi
	if [ ! -f src/linux-source-6.1/scripts/checkpatch.pl ] ||
	    [ ! -f src/linux-source-6.1/drivers/net/ethernet/intel/e1000e/netdev.c ]; then
		mkdir -p src
		dpkg-deb --fsys-tarfile linux-source-6.1_*.deb |
		    tar -xO ./usr/src/linux-source-6.1.tar.xz > linux-source-6.1.tar.xz
		tar -C src -xJf linux-source-6.1.tar.xz linux-source-6.1/drivers/net/virtio_net.c \
		    linux-source-6.1/drivers/net/ethernet/intel/e1000e \
		    linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		    linux-source-6.1/scripts/const_structs.checkpatch
		rm -f linux-source-6.1.tar.xz
	fi
	echo "$kver" > "$KMOD_CACHE/kver"
)

# kmod_patch_driver DIR PATCH: apply one patches/linux/ patch (paths from
# the kernel tree's root) to the driver sources copied into DIR.
kmod_patch_driver() {
	local dir=$1 patch=$2 strip
	strip=$(sed -n 's|^--- a/\(.*\)/[^/]*$|\1|p' "$patch" | head -n 1)
	sed "s|^\([-+][-+][-+] [ab]\)/$strip/|\1/|" "$patch" | (cd "$dir" && patch -s -p1)
}

kmod_build() (
	set -e
	local kver kdir src
	kver=$(cat "$KMOD_CACHE/kver")
	kdir=$KMOD_CACHE/root/usr/src/linux-headers-$kver
	src=$KMOD_CACHE/src/linux-source-6.1
	rm -rf "$KMOD_OUT/linux" "$KMOD_OUT/virtio_net" "$KMOD_OUT/e1000e"
	mkdir -p "$KMOD_OUT/linux" "$KMOD_OUT/virtio_net" "$KMOD_OUT/e1000e"
	cp "$KMOD_REPO"/kmod/linux/Kbuild "$KMOD_REPO"/kmod/linux/*.[ch] "$KMOD_OUT/linux/"
	make -s -C "$kdir" M="$KMOD_OUT/linux" DICAP_SRC="$KMOD_REPO" W=1 modules 2>&1 |
	    tee "$KMOD_OUT/build.log"
	if grep -q "warning:\|error:" "$KMOD_OUT/build.log"; then
		echo "kmod_build: W=1 warnings in dicap.ko" >&2
		exit 1
	fi
	[ -f "$KMOD_OUT/linux/dicap.ko" ]
	cp "$src/drivers/net/virtio_net.c" "$KMOD_OUT/virtio_net/"
	kmod_patch_driver "$KMOD_OUT/virtio_net" \
	    "$KMOD_REPO/patches/linux/0001-virtio_net-call-the-DiCAP-driver-hook.patch"
	printf 'obj-m := virtio_net.o\nccflags-y := -I%s/kmod/linux\n' "$KMOD_REPO" \
	    > "$KMOD_OUT/virtio_net/Kbuild"
	make -s -C "$kdir" M="$KMOD_OUT/virtio_net" \
	    KBUILD_EXTRA_SYMBOLS="$KMOD_OUT/linux/Module.symvers" modules
	if ls "$KMOD_REPO"/patches/linux/0002-e1000e-*.patch >/dev/null 2>&1; then
		cp "$src"/drivers/net/ethernet/intel/e1000e/* "$KMOD_OUT/e1000e/"
		kmod_patch_driver "$KMOD_OUT/e1000e" "$(ls "$KMOD_REPO"/patches/linux/0002-e1000e-*.patch)"
		sed -i "s|^ccflags-y.*||" "$KMOD_OUT/e1000e/Makefile"
		printf 'ccflags-y += -I%s/kmod/linux\n' "$KMOD_REPO" >> "$KMOD_OUT/e1000e/Makefile"
		make -s -C "$kdir" M="$KMOD_OUT/e1000e" CONFIG_E1000E=m \
		    KBUILD_EXTRA_SYMBOLS="$KMOD_OUT/linux/Module.symvers" modules
	fi
	cc -static -O2 -Wall -Wextra -Werror -I"$KMOD_REPO/include" \
	    -o "$KMOD_OUT/dicap-kctl" "$KMOD_REPO/tests/kmod/dicap-kctl.c"
	cc -O2 -Wall -Wextra -Werror -I"$KMOD_REPO/include" -I"$KMOD_REPO/lib" \
	    -o "$KMOD_OUT/kmod-feed" "$KMOD_REPO/tests/kmod/kmod-feed.c" \
	    "$KMOD_REPO/lib/batch.c" "$KMOD_REPO/lib/why.c" "$KMOD_REPO/lib/packet.c" \
	    "$KMOD_REPO/lib/select.c"
)

# A newer kernel series than the guest's, for a build check only (it is
# not booted): Debian 12 carries 6.12 next to 6.1.
KMOD_NEWER=6.12

# Its newest ABI, e.g. 6.12.117+deb12-amd64: the metapackage names it;
# without one, the highest version apt knows.
kmod_kver_newer() {
	local re=${KMOD_NEWER//./\\.} kver
	kver=$(apt-cache depends "linux-headers-$KMOD_NEWER-amd64" 2>/dev/null |
	    sed -n "s/.*Depends: linux-headers-\($re\.[0-9]*+deb12-amd64\)$/\1/p" | head -n 1)
	[ -n "$kver" ] || kver=$(apt-cache search --names-only "^linux-headers-$re\.[0-9]+\+deb12-amd64\$" |
	    sed 's/^linux-headers-\([^ ]*\) .*/\1/' | sort -V | tail -n 1)
	echo "$kver"
}

# kmod_fetch_newer: download only its headers, -common and kbuild packages
# into build/kmod-cache/ and extract them like kmod_fetch does; the ABI is
# looked up once and kept in kver-$KMOD_NEWER.
kmod_fetch_newer() (
	set -e
	local kver abi p h
	mkdir -p "$KMOD_CACHE" && cd "$KMOD_CACHE"
	exec 9> ".lock-$KMOD_NEWER"
	flock 9
	kver=$(cat "kver-$KMOD_NEWER" 2>/dev/null || true)
	[ -n "$kver" ] || kver=$(kmod_kver_newer)
	if [ -z "$kver" ]; then
		echo "kmod_fetch_newer: no linux-headers-$KMOD_NEWER ABI found (apt-get update?" \
		    "Debian 12 carries $KMOD_NEWER in bookworm-security: is it in apt's sources?)" >&2
		exit 1
	fi
	abi=${kver%-amd64}
	h=$KMOD_CACHE/root/usr/src/linux-headers-$kver
	if [ ! -f "$h/.config" ]; then
		for p in "linux-headers-$kver" "linux-headers-$abi-common" "linux-kbuild-$abi"; do
			ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p"
			dpkg-deb -x "${p}"_*.deb root
		done
		sed -i "s|^include /usr/src/|include $KMOD_CACHE/root/usr/src/|" "$h/Makefile"
	fi
	echo "$kver" > "kver-$KMOD_NEWER"
)

# kmod_build_newer: dicap_hook.ko + dicap.ko (W=1) against those headers in
# $KMOD_OUT/linux-$KMOD_NEWER, log in $KMOD_OUT/build-$KMOD_NEWER.log;
# fails when a .ko is missing (the caller judges the warnings).
kmod_build_newer() (
	set -e
	local kver out btf=
	kver=$(cat "$KMOD_CACHE/kver-$KMOD_NEWER")
	out=$KMOD_OUT/linux-$KMOD_NEWER
	# Its kbuild generates module BTF with pahole (linux-kbuild depends on
	# it); extracted, not installed, it may be missing: then no BTF.
	command -v pahole >/dev/null 2>&1 || btf=CONFIG_DEBUG_INFO_BTF_MODULES=
	rm -rf "$out"
	mkdir -p "$out"
	cp "$KMOD_REPO"/kmod/linux/Kbuild "$KMOD_REPO"/kmod/linux/*.[ch] "$out/"
	{
		[ -z "$btf" ] || echo "kmod_build_newer: pahole is not installed, module BTF skipped"
		make -s -C "$KMOD_CACHE/root/usr/src/linux-headers-$kver" M="$out" \
		    DICAP_SRC="$KMOD_REPO" W=1 $btf modules 2>&1 || true
	} > "$KMOD_OUT/build-$KMOD_NEWER.log"
	[ -f "$out/dicap.ko" ] && [ -f "$out/dicap_hook.ko" ]
)

# kmod_vermagic KO: the kernel release a module was built for.
kmod_vermagic() {
	if command -v modinfo >/dev/null 2>&1; then
		modinfo -F vermagic "$1"
	else
		readelf -p .modinfo "$1" 2>/dev/null | sed -n 's/^ *\[ *[0-9a-f]*\]  vermagic=//p'
	fi | awk '{ print $1 }'
}

# Copy ELF files with their shared libraries and loader, at the same paths.
kmod_copy_elf() {
	local root=$1 f l
	shift
	for f in "$@"; do
		cp "$f" "$root/bin/"
		for l in $(ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^\s*\(\/[^ ]*\) .*/\1/p'); do
			[ -f "$root$l" ] && continue
			mkdir -p "$root$(dirname "$l")"
			cp -L "$l" "$root$l"
		done
	done
}

kmod_initrd() (
	set -e
	local kver r k m daemons
	kver=$(cat "$KMOD_CACHE/kver")
	r=$KMOD_OUT/initramfs
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/sbin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/run" \
	    "$r/modules" "$r/tests" "$r/etc"
	# The daemons, started as root, switch to nobody (lib/privdrop.c); it
	# creates files in /tmp.
	chmod 1777 "$r/tmp"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	    > "$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
	cp /bin/busybox "$r/bin/"
	for m in $("$r/bin/busybox" --list); do
		[ "$m" = busybox ] || ln -s busybox "$r/bin/$m"
	done
	k=$KMOD_CACHE/img/lib/modules/$kver/kernel
	for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci; do
		cp "$k/drivers/virtio/$m.ko" "$r/modules/"
	done
	cp "$k/net/core/failover.ko" "$k/drivers/net/net_failover.ko" \
	    "$KMOD_OUT/linux/dicap_hook.ko" "$KMOD_OUT/linux/dicap.ko" "$r/modules/"
	cp "$KMOD_OUT/virtio_net/virtio_net.ko" "$r/modules/virtio_net.ko"
	cp "$k/drivers/net/virtio_net.ko" "$r/modules/virtio_net_stock.ko"
	cp "$k/drivers/net/ethernet/intel/e1000e/e1000e.ko" "$r/modules/e1000e_stock.ko"
	cp "$k/drivers/net/veth.ko" "$r/modules/"
	[ ! -f "$KMOD_OUT/e1000e/e1000e.ko" ] || cp "$KMOD_OUT/e1000e/e1000e.ko" "$r/modules/"
	local virtio="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover"
	echo "$virtio dicap_hook virtio_net dicap" > "$r/modules/order.virtio"
	echo "$virtio virtio_net_stock dicap_hook dicap" > "$r/modules/order.stock"
	echo "dicap_hook e1000e dicap" > "$r/modules/order.e1000e"
	echo "e1000e_stock dicap_hook dicap" > "$r/modules/order.e1000e_stock"
	cp "$KMOD_OUT/dicap-kctl" "$r/bin/"
	daemons=$(kmod_guest_elfs)
	[ -z "$daemons" ] || kmod_copy_elf "$r" $daemons
	cp "$KMOD_REPO/tests/kmod/guest/init" "$r/init"
	chmod +x "$r/init"
	cp "$KMOD_REPO"/tests/kmod/guest/*.sh "$r/tests/"
	(cd "$r" && find . | "$r/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) \
	    > "$KMOD_OUT/initrd.gz"
)

# Anything under these paths newer than the stamp means a rebuild.
kmod_newer() {	# kmod_newer STAMP PATH...
	local stamp=$1
	shift
	[ -f "$stamp" ] || return 0
	[ -n "$(find "$@" -newer "$stamp" -type f 2>/dev/null | head -n 1)" ]
}

# fetch, build and initrd, each when needed; one at a time per output dir.
kmod_prepare() {
	mkdir -p "$KMOD_OUT"
	(
		flock 9
		# No step may run inside an && or || list: set -e would not hold in it.
		set -e
		if ! { [ -f "$KMOD_CACHE/kver" ] &&
		    [ -f "$KMOD_CACHE/src/linux-source-6.1/drivers/net/ethernet/intel/e1000e/netdev.c" ] &&
		    [ -f "$KMOD_CACHE/img/lib/modules/$(cat "$KMOD_CACHE/kver")/kernel/drivers/net/veth.ko" ]; }; then
			kmod_fetch
		fi
		if kmod_newer "$KMOD_OUT/.built" "$KMOD_REPO/kmod/linux" "$KMOD_REPO/include" \
		    "$KMOD_REPO/lib" "$KMOD_REPO/patches/linux" "$KMOD_REPO/tests/kmod"; then
			kmod_build
			touch "$KMOD_OUT/.built"
		fi
		local daemons
		daemons=$(kmod_guest_elfs)
		if kmod_newer "$KMOD_OUT/.initrd" "$KMOD_OUT/.built" "$KMOD_REPO/tests/kmod/guest" \
		    $daemons; then
			kmod_initrd
			touch "$KMOD_OUT/.initrd"
		fi
	) 9> "$KMOD_OUT/.lock"
}

# kmod_boot TEST ARG [NIC]: NIC virtio (patched), stock (unpatched
# virtio_net), e1000e (patched) or e1000e_stock.  The guest's eth0 MAC is
# 52:54:00:12:34:56; the frame set is for other MACs (a mirror port).
kmod_boot() {
	local kver nic=${3:-virtio} dev
	kver=$(cat "$KMOD_CACHE/kver")
	KMOD_LOG=$KMOD_OUT/$1-$2-$nic.log
	case $nic in
	e1000e*) dev=e1000e ;;
	*) dev=virtio-net-pci ;;
	esac
	: > "$KMOD_LOG"
	timeout "$KMOD_TIMEOUT" qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nographic \
	    -no-reboot -kernel "$KMOD_CACHE/img/boot/vmlinuz-$kver" \
	    -initrd "$KMOD_OUT/initrd.gz" \
	    -append "console=ttyS0 quiet panic=-1 dicap_test=$1 dicap_arg=$2 dicap_nic=$nic" \
	    -netdev "socket,id=n0,udp=127.0.0.1:$KMOD_PORT,localaddr=127.0.0.1:$KMOD_GUEST_PORT" \
	    -device "$dev,netdev=n0,mac=52:54:00:12:34:56,romfile=" \
	    > "$KMOD_LOG" 2>&1 < /dev/null &
	KMOD_QEMU=$!
}

# kmod_feed [COUNT [USEC [COLLECT_FILE]]]: with COLLECT_FILE, the feeder
# also keeps what the guest transmits (decoded header batches).
kmod_feed() {
	"$KMOD_OUT/kmod-feed" "$KMOD_GUEST_PORT" "${1:-600}" "${2:-100}" ${3:+"$3"}
}

kmod_feed_on_ready() {
	local fed=0 n
	while kill -0 "$KMOD_QEMU" 2>/dev/null; do
		n=$(grep -c '^READY' "$KMOD_LOG" || true)
		if [ "$n" -gt "$fed" ]; then
			kmod_feed "$@"
			fed=$((fed + 1))
		fi
		sleep 0.2
	done
	kmod_wait
}

kmod_wait() {
	[ -n "$KMOD_QEMU" ] || return 0
	wait "$KMOD_QEMU" 2>/dev/null || true
	KMOD_QEMU=
}

# kmod_wait_for PATTERN SECS: wait until the console shows PATTERN.
kmod_wait_for() {
	local i=0
	while [ "$i" -lt "$(($2 * 5))" ]; do
		grep -q "$1" "$KMOD_LOG" && return 0
		kill -0 "$KMOD_QEMU" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

kmod_cleanup() {
	if [ -n "$KMOD_QEMU" ]; then
		# timeout(1) runs qemu as its child: end both.
		pkill -P "$KMOD_QEMU" 2>/dev/null
		kill "$KMOD_QEMU" 2>/dev/null
		wait "$KMOD_QEMU" 2>/dev/null
		KMOD_QEMU=
	fi
	return 0
}

# The guest's lines for one section: kmod_log_lines PREFIX
kmod_log_lines() {
	tr -d '\r' < "$KMOD_LOG" | grep "^$1"
}

# For the .t files (after tests/lib/tap.sh): skip without qemu or
# busybox-static, stop if the build fails, kill qemu on every exit.
kmod_test_init() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    skip_all "qemu-system-x86_64 is not installed"
	[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" ||
	    skip_all "busybox-static is not installed"
	trap kmod_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	mkdir -p "$KMOD_OUT"
	# a plain command, not in an || list, so that set -e holds in the steps
	kmod_prepare > "$KMOD_OUT/prepare.log" 2>&1
	[ $? = 0 ] || bail_out "kmod_prepare failed: $(tail -n 5 "$KMOD_OUT/prepare.log")"
}

# kmod_run TEST ARG [NIC [COUNT [USEC [COLLECT]]]]: one boot, fed on READY,
# waited for; fails unless the guest script ran to its end.
kmod_run() {
	kmod_boot "$1" "$2" "${3:-virtio}"
	kmod_feed_on_ready "${4:-600}" "${5:-100}" ${6:+"$6"}
	grep -q "^GUEST-END $1" "$KMOD_LOG"
}

# kmod_tap_from CMD...: re-emit the ok / not ok lines of a checker that
# prints TAP as this test's own results (its plan line is dropped).
kmod_tap_from() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_result 1 "${line#* - }" ;;
		"not ok "*) tap_result 0 "${line#* - }" ;;
		"#"*) echo "$line" ;;
		esac
	done < <("$@")
}

# The ownership check for one patched driver: three boots (positions 0..2
# of N = 3), each mode, frames that got an sk_buff per AF_PACKET, then
# tests/kmod/check-own.py; the first boot also runs the malformed-request
# checks and shows attach's promiscuity reference.
kmod_own_test() {
	local nic=$1 pos logs= l
	for pos in 0 1 2; do
		kmod_run own "$pos" "$nic"
		ok $(($? == 0)) "$nic position $pos: the guest ran the ownership script to its end" ||
		    diag "$(tail -n 20 "$KMOD_LOG")"
		logs="$logs $KMOD_LOG"
	done
	l=${logs# }
	l=${l%% *}
	is "$(tr -d '\r' < "$l" | sed -n 's/^PROMISC //p')" 1 \
	    "$nic: attach made eth0 promiscuous (init does not)"
	is "$(tr -d '\r' < "$l" | sed -n 's/^PROMISC_AFTER //p')" 0 \
	    "$nic: detach dropped the promiscuity reference"
	kmod_tap_from python3 "$KMOD_REPO/tests/kmod/check-own.py" $logs
	KMOD_LOG=$l
	kmod_tap_from kmod_log_lines "\(not \)\?ok [0-9]* - "
}
