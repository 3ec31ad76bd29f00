#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t20-capture's checks on the patched e1000e driver.
DICAP_KMOD_NIC=e1000e exec bash "$(dirname "$0")/t20-capture.t"
