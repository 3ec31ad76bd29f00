#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The kernel module's test harness: Debian's own 6.1 kernel under qemu TCG
# (the host kernel loads no modules).  Steps, each reusable alone:
#   fetch    look up the current Debian 6.1 ABI; download only the image,
#            headers and linux-source packages into build/kmod-cache/;
#            extract the headers there (no install: the one absolute path
#            in the headers' Makefile is rewritten), vmlinuz and the .ko
#            files needed, and from the source tarball only virtio_net.c,
#            e1000e/ and checkpatch.pl
#   build    dicap_hook.ko + dicap.ko (W=1), the patched virtio_net.ko,
#            the guest tool (static) and the host feeder, in build/kmod/
#   initrd   busybox-static initramfs with the modules and the tests
#   boot TEST ARG   one qemu boot, console to build/kmod/TEST-ARG.log
#   own      the ownership test: three boots, positions 0..2
# Usage: tests/kmod/qemu-harness.sh [fetch|build|initrd|own|all]
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$REPO/build/kmod-cache
OUT=${DICAP_KMOD_OUT:-$REPO/build/kmod}
P_HOST=${DICAP_KMOD_PORT:-47110}	# qemu sends the guest's frames here
P_GUEST=$((P_HOST + 1))			# datagrams here become eth0 frames

kver() {
	apt-cache depends linux-image-amd64 |
	    sed -n 's/.*Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p'
}

fetch() {
	KVER=$(kver)
	[ -n "$KVER" ] || { echo "no linux-image-6.1 ABI found (apt-get update?)" >&2; exit 1; }
	ABI=${KVER%-amd64}
	mkdir -p "$CACHE" && cd "$CACHE"
	for p in linux-image-$KVER linux-headers-$KVER linux-headers-$ABI-common \
	    linux-kbuild-6.1 linux-source-6.1; do
		ls ${p}_*.deb >/dev/null 2>&1 || apt-get download "$p"
	done
	H=$CACHE/root/usr/src/linux-headers-$KVER
	if [ ! -f "$H/.config" ]; then
		for p in linux-headers-$KVER linux-headers-$ABI-common linux-kbuild-6.1; do
			dpkg-deb -x ${p}_*.deb root
		done
		sed -i "s|^include /usr/src/|include $CACHE/root/usr/src/|" "$H/Makefile"
	fi
	if [ ! -f img/boot/vmlinuz-$KVER ]; then
		M=./lib/modules/$KVER/kernel
		dpkg-deb --fsys-tarfile linux-image-${KVER}_*.deb | tar -C img -x \
		    ./boot/vmlinuz-$KVER --wildcards "$M/drivers/virtio/*" \
		    "$M/drivers/net/virtio_net.ko" "$M/drivers/net/net_failover.ko" \
		    "$M/net/core/failover.ko" "$M/drivers/net/ethernet/intel/e1000e/e1000e.ko"
	fi
	if [ ! -f src/linux-source-6.1/scripts/checkpatch.pl ]; then
		mkdir -p src
		dpkg-deb --fsys-tarfile linux-source-6.1_*.deb |
		    tar -xO ./usr/src/linux-source-6.1.tar.xz > linux-source-6.1.tar.xz
		tar -C src -xJf linux-source-6.1.tar.xz linux-source-6.1/drivers/net/virtio_net.c \
		    linux-source-6.1/drivers/net/ethernet/intel/e1000e \
		    linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		    linux-source-6.1/scripts/const_structs.checkpatch
		rm -f linux-source-6.1.tar.xz
	fi
	echo "$KVER" > "$CACHE/kver"
}

build() {
	KVER=$(cat "$CACHE/kver")
	KDIR=$CACHE/root/usr/src/linux-headers-$KVER
	rm -rf "$OUT/linux" "$OUT/virtio_net"
	mkdir -p "$OUT/linux" "$OUT/virtio_net"
	cp "$REPO"/kmod/linux/Kbuild "$REPO"/kmod/linux/*.[ch] "$OUT/linux/"
	make -s -C "$KDIR" M="$OUT/linux" DICAP_SRC="$REPO" W=1 modules 2>&1 |
	    tee "$OUT/build.log"
	if grep -q "warning:" "$OUT/build.log"; then
		echo "W=1 warnings in dicap.ko" >&2
		exit 1
	fi
	cp "$CACHE/src/linux-source-6.1/drivers/net/virtio_net.c" "$OUT/virtio_net/"
	(cd "$OUT/virtio_net" && sed 's|^\([-+][-+][-+] [ab]\)/drivers/net/|\1/|' \
	    "$REPO/patches/linux/0001-virtio_net-call-the-DiCAP-driver-hook.patch" | patch -s -p1)
	printf 'obj-m := virtio_net.o\nccflags-y := -I%s/kmod/linux\n' "$REPO" > "$OUT/virtio_net/Kbuild"
	make -s -C "$KDIR" M="$OUT/virtio_net" KBUILD_EXTRA_SYMBOLS="$OUT/linux/Module.symvers" modules
	cc -static -O2 -Wall -Wextra -Werror -I"$REPO/kmod/linux" \
	    -o "$OUT/dicap-kctl" "$REPO/tests/kmod/dicap-kctl.c"
	cc -O2 -Wall -Wextra -Werror -o "$OUT/kmod-feed" "$REPO/tests/kmod/kmod-feed.c"
}

initrd() {
	KVER=$(cat "$CACHE/kver")
	R=$OUT/initramfs
	rm -rf "$R"
	mkdir -p "$R/bin" "$R/sbin" "$R/proc" "$R/sys" "$R/dev" "$R/modules" "$R/tests"
	cp /bin/busybox "$R/bin/"
	for a in $("$R/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
	done
	K=$CACHE/img/lib/modules/$KVER/kernel
	for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci; do
		cp "$K/drivers/virtio/$m.ko" "$R/modules/"
	done
	cp "$K/net/core/failover.ko" "$K/drivers/net/net_failover.ko" \
	    "$OUT/linux/dicap_hook.ko" "$OUT/linux/dicap.ko" "$R/modules/"
	cp "$OUT/virtio_net/virtio_net.ko" "$R/modules/virtio_net.ko"
	cp "$K/drivers/net/virtio_net.ko" "$R/modules/virtio_net_stock.ko"
	echo "virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci" \
	    "failover net_failover dicap_hook virtio_net dicap" > "$R/modules/order.virtio"
	echo "virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci" \
	    "failover net_failover virtio_net_stock dicap_hook dicap" > "$R/modules/order.stock"
	cp "$OUT/dicap-kctl" "$R/bin/"
	cp "$REPO/tests/kmod/guest/init" "$R/init"
	chmod +x "$R/init"
	cp "$REPO"/tests/kmod/guest/*.sh "$R/tests/"
	(cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$OUT/initrd.gz"
}

# boot TEST ARG NIC: one qemu run in the background; console in $LOG.
boot() {
	KVER=$(cat "$CACHE/kver")
	LOG=$OUT/$1-$2.log
	: > "$LOG"
	timeout 300 qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nographic -no-reboot \
	    -kernel "$CACHE/img/boot/vmlinuz-$KVER" -initrd "$OUT/initrd.gz" \
	    -append "console=ttyS0 quiet panic=-1 dicap_test=$1 dicap_arg=$2 dicap_nic=${3:-virtio}" \
	    -netdev socket,id=n0,udp=127.0.0.1:$P_HOST,localaddr=127.0.0.1:$P_GUEST \
	    -device virtio-net-pci,netdev=n0 > "$LOG" 2>&1 &
	QEMU=$!
}

# Feed the frame set each time the guest says READY, until it ends.
feed_on_ready() {
	fed=0
	while kill -0 "$QEMU" 2>/dev/null; do
		n=$(grep -c '^READY' "$LOG" || true)
		if [ "$n" -gt "$fed" ]; then
			"$OUT/kmod-feed" "$P_GUEST" 600 100
			fed=$((fed + 1))
		fi
		sleep 0.2
	done
	wait "$QEMU" || true
}

own() {
	for pos in 0 1 2; do
		boot own "$pos"
		feed_on_ready
		grep -q "GUEST-END own" "$LOG" || { echo "boot $pos did not finish" >&2; exit 1; }
	done
	python3 "$REPO/tests/kmod/check-own.py" "$OUT"/own-0.log "$OUT"/own-1.log "$OUT"/own-2.log
}

case ${1:-all} in
fetch) fetch ;;
build) build ;;
initrd) initrd ;;
own) own ;;
all) fetch; build; initrd; own ;;
*) echo "usage: $0 [fetch|build|initrd|own|all]" >&2; exit 2 ;;
esac
