#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t10-capture-rr.t with the packet selection mode.
SELECT=packet exec "$(dirname "$0")/t10-capture-rr.t" "$@"
