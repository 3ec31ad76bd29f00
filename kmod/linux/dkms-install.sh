#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Put the module's sources where DKMS wants them and let DKMS build and
# install it for the running kernel (and, AUTOINSTALL, for later ones):
#   sudo kmod/linux/dkms-install.sh
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
V=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/kmod/linux/dkms.conf")
D=${DESTDIR:-}/usr/src/dicap-$V
rm -rf "$D"
mkdir -p "$D/dicap-src"
cp "$REPO"/kmod/linux/Kbuild "$REPO"/kmod/linux/dkms.conf "$REPO"/kmod/linux/*.[ch] "$D/"
cp -R "$REPO"/include "$D/dicap-src/"
[ -n "${DESTDIR:-}" ] && exit 0
dkms remove "dicap/$V" --all >/dev/null 2>&1 || true
dkms add "dicap/$V"
dkms build "dicap/$V"
dkms install "dicap/$V"
