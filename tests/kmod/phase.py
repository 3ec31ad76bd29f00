#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Summarise one phase of a guest log (PHASE NAME, then dicap-kctl recv and
get): which frames got an sk_buff (all, none, odd, even, or a count) and
the module's counters for that phase alone, as NAME=VALUE words.
usage: phase.py LOG PHASE"""
import sys

COUNT = 600


def main():
    log, want = sys.argv[1], sys.argv[2]
    cur, prev, out = None, {}, {}
    for line in open(log, errors="replace"):
        line = line.strip()
        if line.startswith("PHASE "):
            cur = line.split()[1]
        elif line.startswith("BITMAP ") and cur == want:
            h = line.split()[1]
            bits = {i for i in range(COUNT) if int(h[i // 4], 16) >> (i % 4) & 1}
            shape = ("all" if len(bits) == COUNT else "none" if not bits else
                     "odd" if bits == set(range(1, COUNT, 2)) else
                     "even" if bits == set(range(0, COUNT, 2)) else str(len(bits)))
            out["frames"] = shape
        elif line.startswith("STATE ") and cur == want:
            out.update(kv.split("=") for kv in line.split()[1:])
        elif line.startswith("COUNTERS "):
            now = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
            if cur == want:
                out.update({k: v - prev.get(k, 0) for k, v in now.items()})
            prev = now
    print(" ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
