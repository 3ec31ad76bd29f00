#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t30-switch-lease's checks on the patched e1000e driver.
DICAP_KMOD_NIC=e1000e exec bash "$(dirname "$0")/t30-switch-lease.t"
