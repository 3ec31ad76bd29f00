#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# A forger of header batches and TCP connections for tests/analyzer/t1x-*.t:
# what an attacker on the management LAN can send without any key (issue 14).
#
#   forge.py batch ADDR:PORT NODE SEQ TS_NS [FRAMESEQ]
#       one UDP batch of one record (node id, sequence number and time
#       stamp as given), the record a test frame carrying "DCAP" FRAMESEQ
#   forge.py ids ADDR:PORT FIRST N
#       N UDP batches, one per node id FIRST, FIRST+1, ..., stamped now
#   forge.py hold ADDR:PORT SRC N SECONDS
#       N TCP connections from address SRC, each left silent; after 1 s
#       prints how many are still open (the others were closed by the
#       analyzer), then holds them SECONDS more and closes them
import resource
import select
import socket
import struct
import sys
import time

MAGIC = 0xD1CA
VERSION = 1
HDR_LEN = 20
ROUND = 16
REC_HDR_LEN = 12


def frame(frame_seq):
    eth = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"
    ip = b"\x45\x00\x00\x2e" + b"\x00" * 8 + b"\x7f\x00\x00\x01" * 2
    udp = b"\x00\x35\x00\x35\x00\x1a\x00\x00"
    return eth + ip + udp + b"DCAP" + struct.pack(">I", frame_seq) + b"\x00" * 10


def batch(node, seq, ts, frame_seq):
    data = frame(frame_seq)
    rec = struct.pack(">QHH", ts, len(data), len(data)) + data
    length = HDR_LEN + len(rec)
    hdr = struct.pack(">HBBIIHHI", MAGIC, VERSION, 0, node, seq, 1, 1, length)
    return hdr + rec


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def cmd_batch(a):
    dst = addr(a[0])
    frame_seq = int(a[4], 0) if len(a) > 4 else 0xf0000000
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(batch(int(a[1], 0), int(a[2], 0), int(a[3], 0), frame_seq), dst)


def cmd_ids(a):
    dst = addr(a[0])
    first, n = int(a[1], 0), int(a[2], 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(batch(first + i, 0, time.time_ns(), 0xf1000000 + i), dst)
        if i % 256 == 255:
            time.sleep(0.01)	# the analyzer's socket buffer is finite


def cmd_hold(a):
    dst = addr(a[0])
    src, n, secs = a[1], int(a[2]), float(a[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, n + 64)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    # in rounds of ROUND, each waited for: a burst beyond the listen
    # backlog would leave connections half-open (SYN cookies) that the
    # analyzer only sees once they send something or close
    conns = []
    for first in range(0, n, ROUND):
        pending = {}
        poller = select.poll()
        for _ in range(min(ROUND, n - first)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.setblocking(False)
            s.connect_ex(dst)
            poller.register(s, select.POLLOUT)
            pending[s.fileno()] = s
        deadline = time.monotonic() + 10
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(500):
                s = pending.pop(fd)
                poller.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    conns.append(s)
                else:
                    s.close()
        for s in pending.values():
            s.close()
        time.sleep(0.02)
    time.sleep(1)
    still = 0
    for s in conns:
        try:
            if s.recv(1) == b"":
                continue	# closed by the analyzer
        except BlockingIOError:
            pass
        except OSError:
            continue
        still += 1
    print(still, flush=True)
    time.sleep(secs)
    for s in conns:
        s.close()


def main():
    cmds = {"batch": cmd_batch, "ids": cmd_ids, "hold": cmd_hold}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit("usage: forge.py batch|ids|hold ...")
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
