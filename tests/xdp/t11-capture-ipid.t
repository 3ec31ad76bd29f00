#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t10-capture-rr.t with the ipid selection mode.
SELECT=ipid exec "$(dirname "$0")/t10-capture-rr.t" "$@"
