#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t10-capture-rr.t with the flow selection mode.
SELECT=flow exec "$(dirname "$0")/t10-capture-rr.t" "$@"
