#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check the ownership runs: for each mode, the three positions' bitmaps
(frames that got an sk_buff) partition the frame set, every position's
counters add up, and the driver dropped exactly the frames it did not pass
(rx_dropped == not_mine: those never got an sk_buff).  TAP output."""
import re
import sys

COUNT = 600
# The guest's runs (guest/own.sh): (mode, selection flags).
RUNS = [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (3, 1)]
NAMES = {0: "rr", 1: "ipid", 2: "packet", 3: "flow", 4: "host"}


def run_name(run):
    mode, flags = run
    return NAMES[mode] + (" --tunnel outer" if flags & 1 else "")


def parse(path):
    """Per run: the bitmap, the receive summary, the counters of that mode
    alone (the module's are cumulative) and the driver's rx_dropped."""
    modes, cur, prev = {}, None, {}
    for line in open(path, errors="replace"):
        line = line.strip()
        m = re.match(r"MODE (\d) (\d+)", line)
        if m:
            cur = modes.setdefault((int(m.group(1)), int(m.group(2))), {})
            continue
        if cur is None:
            continue
        if line.startswith("BITMAP "):
            h = line.split()[1]
            cur["bits"] = {i for i in range(COUNT) if int(h[i // 4], 16) >> (i % 4) & 1}
        elif line.startswith("RECV "):
            cur["recv"] = dict(kv.split("=") for kv in line.split()[1:])
        elif line.startswith("COUNTERS "):
            now = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
            cur["ctr"] = {k: v - prev.get(k, 0) for k, v in now.items()}
            prev = now
        elif line.startswith("RXDROPPED "):
            cur["rxdrop"] = int(line.split()[1])
    return modes


def main():
    if len(sys.argv) != 4:
        print("usage: check-own.py LOG0 LOG1 LOG2", file=sys.stderr)
        return 2
    runs = [parse(p) for p in sys.argv[1:4]]
    n, bad = 0, 0

    def ok(cond, what):
        nonlocal n, bad
        n += 1
        bad += not cond
        print(("ok" if cond else "not ok"), n, "-", what)

    for run in RUNS:
        mode = run_name(run)
        rs = [r.get(run, {}) for r in runs]
        if not all("bits" in r and "ctr" in r for r in rs):
            ok(False, f"mode {mode}: results from all three positions")
            continue
        seen = [0] * COUNT
        for r in rs:
            for i in r["bits"]:
                seen[i] += 1
        missing = [i for i in range(COUNT) if seen[i] == 0]
        twice = [i for i in range(COUNT) if seen[i] > 1]
        ok(not missing and not twice,
           f"mode {mode}: every frame owned exactly once "
           f"(missing {missing[:8]}, twice {twice[:8]})")
        for pos, r in enumerate(rs):
            c = r["ctr"]
            ok(c["selected"] == len(r["bits"]) and r["recv"]["unknown"] == "0",
               f"mode {mode} pos {pos}: selected {c['selected']} == frames with an skb {len(r['bits'])}")
            ok(r.get("rxdrop") == c["not_mine"],
               f"mode {mode} pos {pos}: driver rx_dropped {r.get('rxdrop')} == not_mine {c['not_mine']}")
        ok(sum(r["ctr"]["malformed"] for r in rs) > 0 and sum(r["ctr"]["non_ip"] for r in rs) > 0,
           f"mode {mode}: malformed and non-IP frames were in the set")
    print(f"1..{n}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
