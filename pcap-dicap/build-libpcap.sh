#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# The drop-in libpcap: the installed libpcap0.8's own source with the
# dicap:IFACE capture module (pcap-dicap.c) added, built as libpcap.so.0.8
# with the same optional features as the system library, so that swapping
# it in through LD_LIBRARY_PATH loses nothing.  No system file is changed:
# apt runs with a private source list, state and cache under the build
# directory.
#
#   build-libpcap.sh fetch [--src DIR]   get the source (apt-get source, or a
#                                        copy of DIR: an unpacked Debian
#                                        libpcap source tree)
#   build-libpcap.sh deps                print the Debian packages the build
#                                        still needs (empty: none), from the
#                                        source's Build-Depends
#   build-libpcap.sh build [--out DIR] [--src DIR]
#                                        patch, configure, build (fetching
#                                        first if the source is not there);
#                                        install libpcap.so.0.8 into DIR
#                                        (default build/plain/lib/dicap)
#
# Common options: --build-dir DIR (default build/libpcap), -q (quiet: the
# compiler's output goes to BUILD_DIR/build.log).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build_dir=$repo/build/libpcap
out_dir=$repo/build/plain/lib/dicap
src=
quiet=0

die() {
	echo "build-libpcap: $*" >&2
	exit 1
}

say() {
	echo "build-libpcap: $*"
}

usage() {
	sed -n '/^#   build-libpcap/,/^# compiler/s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

[ $# -ge 1 ] || usage 1
cmd=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--src) [ $# -ge 2 ] || die "--src needs a directory"; src=$2; shift ;;
	--src=*) src=${1#--src=} ;;
	--out) [ $# -ge 2 ] || die "--out needs a directory"; out_dir=$2; shift ;;
	--out=*) out_dir=${1#--out=} ;;
	--build-dir) [ $# -ge 2 ] || die "--build-dir needs a directory"; build_dir=$2; shift ;;
	--build-dir=*) build_dir=${1#--build-dir=} ;;
	-q) quiet=1 ;;
	-h|--help) usage 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done

orig=$build_dir/orig		# the source as fetched (Debian's patches applied)
tree=$build_dir/tree		# orig + patches/libpcap + the module

# The libpcap0.8 that programs load now: its source package and version.
installed_version() {
	dpkg-query -W -f='${source:Package} ${source:Version}\n' libpcap0.8 2>/dev/null ||
		die "libpcap0.8 is not installed (apt-get install libpcap0.8)"
}

# apt with a source list, lists and cache of its own: deb-src entries for
# every repository the system uses for binary packages.
private_apt() {
	apt=$build_dir/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(TARGET_OF)' |
		awk '$4 == "deb" && $1 != "" { print "deb-src " $1 " " $2 " " $3 }' |
		sort -u >"$apt/sources.list"
	[ -s "$apt/sources.list" ] || die "apt knows no repository to fetch the source from"
	set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=- \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o Dir::Cache::archives="$apt/cache/archives" -o APT::Sandbox::User=root
	apt_opts="$*"
}

fetch_apt() {
	# shellcheck disable=SC2046
	set -- $(installed_version)
	pkg=$1 ver=$2
	command -v dpkg-source >/dev/null || die "dpkg-source is missing (apt-get install dpkg-dev)"
	private_apt
	dl=$build_dir/dl
	rm -rf "$dl"
	mkdir -p "$dl"
	say "fetching the source of $pkg $ver (the installed libpcap0.8) with apt-get source"
	# shellcheck disable=SC2086
	apt-get -q $apt_opts update >"$build_dir/apt.log" 2>&1 ||
		die "apt-get update failed (see $build_dir/apt.log); or use --src DIR"
	# shellcheck disable=SC2086
	(cd "$dl" && apt-get -q $apt_opts source "$pkg=$ver") >>"$build_dir/apt.log" 2>&1 ||
		die "apt-get source $pkg=$ver failed (see $build_dir/apt.log): is $ver still in the archive? Or use --src DIR"
	for d in "$dl"/*/; do
		if [ -f "$d/pcap.c" ]; then
			from=${d%/}
			return 0
		fi
	done
	die "apt-get source left no libpcap tree in $dl"
}

cmd_fetch() {
	mkdir -p "$build_dir"
	if [ -n "$src" ]; then
		[ -f "$src/pcap.c" ] || die "$src is not a libpcap source tree (no pcap.c)"
		from=$(cd "$src" && pwd)
	else
		fetch_apt
	fi
	grep -q 'SOLIBRARY' "$from/Makefile.in" && [ -f "$from/debian/changelog" ] ||
		die "$from is not Debian's libpcap source with its patches applied (no libpcap.so.0.8 rules): use apt-get source libpcap, or dpkg-source -x"
	# shellcheck disable=SC2046
	set -- $(installed_version)
	[ "$(tree_version "$from")" = "$2" ] ||
		say "warning: $from is libpcap $(tree_version "$from"), the installed libpcap0.8 is $2"
	rm -rf "$orig" "$tree"
	cp -a "$from" "$orig"
	say "libpcap $(tree_version "$orig") from $from in $orig"
}

# The Build-Depends of the source that are not installed, debhelper aside
# (only Debian's packaging needs it).
cmd_deps() {
	[ -d "$orig" ] || die "no source in $orig: run '$0 fetch' first"
	command -v dpkg-checkbuilddeps >/dev/null || { echo dpkg-dev; return 0; }
	(cd "$orig" && dpkg-checkbuilddeps 2>&1) |
		sed -n 's/.*Unmet build dependencies: //p' |
		sed 's/([^)]*)//g; s/\[[^]]*\]//g; s/<[^>]*>//g; s/|[^ ]*//g' | tr ' ' '\n' |
		grep -v -e '^$' -e '^debhelper' | sort -u | tr '\n' ' ' | sed 's/ $//'
	echo
}

tree_version() {	# tree_version DIR: the Debian version of the source in DIR
	sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$1/debian/changelog"
}

patches_digest() {
	cat "$repo"/patches/libpcap/*.patch 2>/dev/null | cksum | cut -d' ' -f1
}

# Debian's libpcap0.8 (1.10) is built with D-Bus, Bluetooth, usbmon and
# netfilter, without RDMA, libnl, netmap, DPDK, DAG, Septel, SNF, TurboCap
# and remote capture: ask for exactly that, so a missing header is an error
# here instead of a feature silently lost.
configure_tree() {
	ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
	cflags=$(dpkg-buildflags --get CFLAGS 2>/dev/null || echo "-g -O2")
	cppflags=$(dpkg-buildflags --get CPPFLAGS 2>/dev/null || true)
	ldflags=$(dpkg-buildflags --get LDFLAGS 2>/dev/null || true)
	(cd "$tree" && CFLAGS="$cflags" CPPFLAGS="$cppflags" LDFLAGS="$ldflags" ./configure \
		--prefix=/usr --libdir="/usr/lib/$ma" --with-pcap=linux \
		--enable-ipv6 --enable-usb --enable-bluetooth --enable-dbus \
		--disable-rdma --without-libnl --disable-netmap --without-dpdk \
		--without-dag --without-septel --without-snf --without-turbocap \
		--disable-remote)
}

run() {	# run LOG CMD...: CMD's output to LOG (-q) or to the terminal
	log=$1
	shift
	if [ "$quiet" = 1 ]; then
		"$@" >>"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
	else
		"$@"
	fi
}

cmd_build() {
	# A clean build directory ("make clean"): fetch again, as configure did.
	[ -d "$orig" ] || cmd_fetch
	want=$(patches_digest)
	if [ ! -f "$tree/.dicap-patches" ] || [ "$(cat "$tree/.dicap-patches")" != "$want" ]; then
		say "preparing $tree"
		rm -rf "$tree"
		cp -a "$orig" "$tree"
		for p in "$repo"/patches/libpcap/*.patch; do
			[ -f "$p" ] || continue
			patch -d "$tree" -p1 -s --no-backup-if-mismatch <"$p" ||
				die "patch $p does not apply to libpcap $(tree_version "$orig")"
		done
		echo "$want" >"$tree/.dicap-patches"
	fi
	# The module is compiled in the tree, like libpcap's own modules.
	for f in pcap-dicap.c pcap-dicap.h pcap-dicap-status.h pcap-dicap-clock.h; do
		cmp -s "$here/$f" "$tree/$f" || cp "$here/$f" "$tree/$f"
	done
	log=$build_dir/build.log
	: >"$log"
	if [ ! -f "$tree/config.status" ]; then
		say "configuring (log: $log)"
		run "$log" configure_tree || die "configure failed (see $log)"
	fi
	say "building libpcap.so.0.8"
	# A make of its own, not a part of the caller's (flags, jobserver).
	run "$log" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$tree" -j"$(nproc 2>/dev/null || echo 2)" shared ||
		die "make failed (see $log)"
	lib=
	for f in "$tree"/libpcap.so.[0-9]*.[0-9]*.[0-9]*; do
		[ -f "$f" ] && lib=$f
	done
	[ -n "$lib" ] || die "the build made no libpcap.so.VERSION in $tree"
	mkdir -p "$out_dir"
	cp "$lib" "$out_dir/libpcap.so.0.8.tmp"
	mv "$out_dir/libpcap.so.0.8.tmp" "$out_dir/libpcap.so.0.8"
	ln -sf libpcap.so.0.8 "$out_dir/libpcap.so"
	say "$out_dir/libpcap.so.0.8"
}

case $cmd in
fetch) cmd_fetch ;;
deps) cmd_deps ;;
build) cmd_build ;;
-h|--help|help) usage 0 ;;
*) die "unknown command '$cmd': fetch, deps or build" ;;
esac
