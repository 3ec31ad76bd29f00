#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t40-unload's checks on the patched e1000e driver.
DICAP_KMOD_NIC=e1000e exec bash "$(dirname "$0")/t40-unload.t"
