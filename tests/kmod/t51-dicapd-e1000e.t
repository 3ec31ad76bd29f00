#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t50-dicapd's checks (dicapd --datapath kmod at three positions, capture
# and distribution, the error cases) on the patched e1000e driver.
DICAP_T50_NIC=e1000e exec bash "$(dirname "$0")/t50-dicapd.t"
