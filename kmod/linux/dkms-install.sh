#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Put the module's sources where DKMS wants them and let DKMS build and
# install it for the running kernel (and, AUTOINSTALL, for later ones):
#   sudo kmod/linux/dkms-install.sh
# kmod/linux/dkms-install.sh --copy-into DIR only writes the source tree,
# to DIR/dicap-VERSION (`make install` does this for $(prefix)/src; then
# `dkms add DIR/dicap-VERSION` copies it to /usr/src/dicap-VERSION).
#
# The source tree: kmod/linux's Kbuild, dkms.conf, *.c and *.h, and the
# DiCAP tree's include/ (the contracts the module compiles) as
# dicap-src/include/.  Kbuild's DICAP_SRC is dicap-src/ when it is there.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
V=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/kmod/linux/dkms.conf")
case $# in
0) D=${DESTDIR:-}/usr/src/dicap-$V ;;
2) [ "$1" = --copy-into ] || { echo "usage: $0 [--copy-into DIR]" >&2; exit 2; }
   D=$2/dicap-$V ;;
*) echo "usage: $0 [--copy-into DIR]" >&2; exit 2 ;;
esac
rm -rf "$D"
mkdir -p "$D/dicap-src"
cp "$REPO"/kmod/linux/Kbuild "$REPO"/kmod/linux/dkms.conf "$REPO"/kmod/linux/*.[ch] "$D/"
cp -R "$REPO/include" "$D/dicap-src/"
[ $# = 0 ] && [ -z "${DESTDIR:-}" ] || exit 0
dkms remove "dicap/$V" --all >/dev/null 2>&1 || true
dkms add "dicap/$V"
dkms build "dicap/$V"
dkms install "dicap/$V"
