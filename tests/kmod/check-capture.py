#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check capture mode: per run (a mode and its selection flags), what the host received as header batches
(kmod-feed's COLLECT file, one section per feed, ended by END) is exactly
the node's share of the frame set, once each, with the right lengths; the
batch stream is numbered without gaps; the module's counters agree.
usage: check-capture.py FEEDER COLLECT GUESTLOG POS N NODE_ID [MINLEN]: MINLEN
(e1000e: 60) is the length the NIC pads runts to.  TAP output."""
import re
import subprocess
import sys

COUNT, SNAPLEN = 600, 96
# The guest's runs (guest/capture.sh): (mode, selection flags).
RUNS = [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (3, 1)]
NAMES = {0: "rr", 1: "ipid", 2: "packet", 3: "flow", 4: "host"}


def main():
    feeder, collect, guestlog = sys.argv[1:4]
    pos, n, node = (int(a) for a in sys.argv[4:7])
    minlen = sys.argv[7] if len(sys.argv) > 7 else "0"
    sections = open(collect).read().split("END\n")[:-1]
    ctrs, prev = [], {}
    for line in open(guestlog, errors="replace"):
        line = line.strip()
        if line.startswith("COUNTERS "):
            now = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
            ctrs.append({k: v - prev.get(k, 0) for k, v in now.items()})
            prev = now
    recv = re.findall(r"^RECV got=(\d+)", open(guestlog, errors="replace").read(), re.M)
    t, bad, seqs = 0, 0, []

    def ok(cond, what):
        nonlocal t, bad
        t += 1
        bad += not cond
        print(("ok" if cond else "not ok"), t, "-", what)

    ok(len(sections) == len(RUNS) and len(ctrs) == len(RUNS),
       f"{len(RUNS)} runs fed and counted ({len(sections)}, {len(ctrs)})")
    for k, sec in enumerate(sections[:len(RUNS)]):
        mode_id, flags = RUNS[k]
        mode = NAMES[mode_id] + (" --tunnel outer" if flags & 1 else "")
        owners = subprocess.run([feeder, "owners", str(mode_id), str(n), minlen, str(flags)],
                                capture_output=True, text=True, check=True).stdout.strip()
        share = {i for i in range(COUNT) if int(owners[i]) == pos}
        recs = [dict(kv.split("=") for kv in l.split()[1:]) for l in sec.splitlines()
                if l.startswith("REC ")]
        batches = [dict(kv.split("=") for kv in l.split()[1:]) for l in sec.splitlines()
                   if l.startswith("BATCH ")]
        got = [int(r["idx"]) for r in recs]
        ok(sorted(got) == sorted(share),
           f"mode {mode}: the analyzer got the headers of exactly the share "
           f"({len(got)} records, share {len(share)}, missing {sorted(share - set(got))[:6]}, "
           f"extra {sorted(set(got) - share)[:6]})")
        ok(all(int(r["caplen"]) == min(SNAPLEN, int(r["wirelen"])) for r in recs),
           f"mode {mode}: every record holds min(snaplen 96, frame) bytes of its frame")
        ok(not any(l.startswith("BAD ") for l in sec.splitlines()) and
           all(int(b["node"]) == node for b in batches) and
           batches and int(batches[-1]["flags"]) == 1,
           f"mode {mode}: {len(batches)} batches decode, carry node id {node}, "
           "the last one sent by the flush timer")
        seqs += [int(b["seq"]) for b in batches]
        if k < len(ctrs):
            c = ctrs[k]
            ok(c["batches_sent"] == len(batches) and c["records_sent"] == len(recs) ==
               c["selected"] == c["ring_records"] and c["ringbuf_full"] == 0 and
               c["send_errors"] == 0,
               f"mode {mode}: counters: batches_sent {c['batches_sent']}, records_sent "
               f"{c['records_sent']}, selected {c['selected']}, ringbuf_full {c['ringbuf_full']}")
        if k < len(recv):
            ok(recv[k] == "0", f"mode {mode}: captured frames never reached AF_PACKET "
               f"(got {recv[k]})")
    ok(sorted(seqs) == list(range(len(seqs))),
       f"the analyzer stream is numbered 0..{len(seqs) - 1} without gaps")
    print(f"1..{t}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
