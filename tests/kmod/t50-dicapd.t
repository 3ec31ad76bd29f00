#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dicapd --datapath kmod under qemu (tests/kmod/guest/dicapd.sh): a
# coordinator on the guest's loopback, dicapd driving dicap.ko on the
# patched virtio_net's eth0, and two members simulated by dicap-nodesim,
# so that N = 3; three boots put dicapd at positions 0, 1 and 2 of the
# same member list.  The host feeds the 600-frame set on each READY.
# Checked:
#  - distribution: the frames the three boots passed to the stack
#    (AF_PACKET) are disjoint and together the whole set;
#  - capture: the analyzer in the guest got exactly the frames that the
#    same position passed in distribution, once each, byte for byte;
#  - dicapctl status shows the datapath "kmod", the mode and tunnel setting
#    the module selects with (DICAP_CMD_GET), and its counters, which
#    add up (seen = selected + not_mine = 600, records_sent = selected);
#  - dicapd's errors: --distribute with the rx_handler, no module, a
#    loopback, a second dicapd (and the kmod lock's modes, 0700 directory
#    and 0600 file), an unpatched driver; the takeover after a
#    dicapd was killed without detaching; the lease with policy drop
#    while dicapd is stopped.
# DICAP_T50_NIC=e1000e runs it on the patched e1000e instead of virtio_net.
# Boots use DICAP_KMOD_OUT=build/kmod-dicapd unless set, so that they do
# not collide with the module's own tests; the ports are a free pair
# (tests/kmod/lib.sh) unless DICAP_KMOD_PORT is set.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
export DICAP_KMOD_OUT=${DICAP_KMOD_OUT:-$REPO/build/kmod-dicapd}
. "$REPO/tests/kmod/lib.sh"
NIC=${DICAP_T50_NIC:-virtio}	# or e1000e: the patched driver under test

for p in $KMOD_DAEMONS; do
	[ -x "$KMOD_BIN/$p" ] || skip_all "$KMOD_BIN/$p not built (make)"
done
for p in $KMOD_GUEST_TOOLS; do
	[ -x "$KMOD_TOOLS/$p" ] || skip_all "$KMOD_TOOLS/$p not built (make)"
done
command -v python3 >/dev/null || skip_all "python3 is not installed"
mkdir -p "$KMOD_OUT"
kmod_test_init

# The frame set as bytes: kmod-feed sends it to a local UDP socket too.
ref=$KMOD_OUT/frames.hex
python3 - "$KMOD_OUT/kmod-feed" $((KMOD_PORT + 8)) "$ref" <<'EOF'
import socket, subprocess, sys
feeder, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
s.bind(("127.0.0.1", port))
s.settimeout(5)
feed = subprocess.Popen([feeder, str(port), "600", "200"])
frames = []
try:
    while len(frames) < 600:
        frames.append(s.recv(65536).hex())
except socket.timeout:
    pass
feed.wait()
open(out, "w").write("\n".join(frames) + "\n")
sys.exit(0 if len(frames) == 600 else 1)
EOF
ok $(($? == 0)) "the 600 frames of the set, as the feeder sends them" ||
	bail_out "cannot collect the frame set from kmod-feed"

logs=()
for pos in 0 1 2; do
	kmod_run dicapd "$pos" "$NIC" 600 100
	ok $(($? == 0)) "boot $pos: the guest ran dicapd.sh to its end (dicapd at position $pos, $NIC)" ||
		diag "$(tail -n 25 "$KMOD_LOG")"
	logs+=("$KMOD_LOG")
done

kmod_tap_from python3 - "$ref" "${logs[@]}" <<'EOF'
import base64, json, re, struct, sys

ref = [bytes.fromhex(l) for l in open(sys.argv[1]).read().split()]
index = {f: i for i, f in enumerate(ref)}
# e1000e hands runts over padded to the 60-byte Ethernet minimum, as a
# real NIC receives them; a record of such a frame is its padded bytes.
for i, f in enumerate(ref):
    if len(f) < 60:
        index.setdefault(f + bytes(60 - len(f)), i)
ALL = set(range(len(ref)))
n = 0


def ok(cond, what):
    global n
    n += 1
    print(("ok" if cond else "not ok"), n, "-", what)
    return cond


def pcap_records(data):
    """(caplen, wirelen, bytes) of each record of a pcap file."""
    recs, off = [], 24
    if len(data) < 24:
        return None
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        recs.append((incl, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return recs


def parse(path):
    """Per boot: checks, and per mode the DIST bitmap, status, capture."""
    lines = [l.rstrip("\r\n") for l in open(path, errors="replace")]
    b = {"checks": [], "dist": {}, "recv": {}, "status": {}, "text": {}, "pcap": {}}
    mode, in_pcap, chunks = None, None, []
    for l in lines:
        if in_pcap is not None:
            if l.startswith("PCAP-END"):
                b["pcap"][in_pcap] = base64.b64decode("".join(chunks))
                in_pcap = None
            else:
                chunks.append(l.strip())
            continue
        if l.startswith("CHECK "):
            w = l.split(" ", 3)
            b["checks"].append((w[1], w[2] == "1", w[3] if len(w) > 3 else ""))
        elif l.startswith("DIST ") or l.startswith("CAPT "):
            mode = l.split()[1]
        elif l.startswith("RECV ") and mode:
            b["recv"][mode] = dict(kv.split("=") for kv in l.split()[1:])
        elif l.startswith("BITMAP ") and mode:
            hexs = l.split()[1]
            b["dist"][mode] = {i for i in ALL if int(hexs[i // 4], 16) >> (i % 4) & 1}
        elif l.startswith("STATUS "):
            w = l.split(" ", 3)
            try:
                b["status"][(w[1], w[2])] = json.loads(w[3])
            except (IndexError, ValueError):
                pass
        elif l.startswith("STATUS-TEXT "):
            w = l.split()
            b["text"][w[2]] = w[3:5]
        elif l.startswith("PCAP-BEGIN "):
            in_pcap, chunks = l.split()[1], []
    return b


boots = [parse(p) for p in sys.argv[2:]]
modes = ["flow", "rr"]

# dicapd's own checks from the guest (errors, readiness, takeover)
for pos, b in enumerate(boots):
    for name, good, detail in b["checks"]:
        ok(good, f"boot {pos}: {name}" + ("" if good else f": {detail[:300]}"))
names = {c[0] for b in boots for c in b["checks"]}
for want in ("rxh-distribute", "no-module", "loopback", "rxh-capture", "second-dicapd",
             "lock-modes", "takeover", "lease-drop", "unpatched-driver"):
    ok(want in names, f"the guest ran the {want} check")

for mode in modes:
    shares = [b["dist"].get(mode) for b in boots]
    if not ok(all(s is not None for s in shares), f"{mode}: every boot reported its share"):
        continue
    union = set().union(*shares)
    overlap = sum(len(shares[i] & shares[j]) for i in range(3) for j in range(i + 1, 3))
    ok(union == ALL and overlap == 0,
       f"{mode}: distribution: the three positions' shares ({', '.join(str(len(s)) for s in shares)}) "
       f"are disjoint and complete (missing {len(ALL - union)}, twice {overlap})")
    ok(all(b["recv"].get(mode, {}).get("unknown") == "0" and
           b["recv"].get(mode, {}).get("dup") == "0" for b in boots),
       f"{mode}: distribution: no unknown or duplicated frame reached AF_PACKET")
    for pos, b in enumerate(boots):
        st = b["status"].get(("dist", mode), {})
        dp = st.get("datapath", {})
        c = dp.get("counters", {})
        sel = len(shares[pos])
        ok(dp.get("name") == "kmod" and dp.get("hook") == "driver" and
           c.get("seen") == 600 and c.get("selected") == sel and
           c.get("not_mine") == 600 - sel and dp.get("hook_frames") == 600 and
           dp.get("program_mode") == mode and dp.get("program_tunnel") == "inner" and
           b["text"].get(mode) == ["1", "1"],
           f"{mode}: position {pos}: dicapctl status shows datapath kmod (driver hook, "
           f"selecting with {dp.get('program_mode')}, tunnel {dp.get('program_tunnel')}) "
           f"with its counters: seen {c.get('seen')}, selected {c.get('selected')} "
           f"(AF_PACKET {sel}), not_mine {c.get('not_mine')}, hook_frames {dp.get('hook_frames')}")
        data = b["pcap"].get(mode)
        recs = pcap_records(data) if data is not None else None
        if not ok(recs is not None, f"{mode}: position {pos}: the analyzer wrote a pcap"):
            continue
        got = [index.get(r[2]) for r in recs]
        known = [g for g in got if g is not None]
        ok(sorted(known) == sorted(shares[pos]) and None not in got,
           f"{mode}: position {pos}: capture: the analyzer got exactly the share passed in "
           f"distribution ({len(recs)} records, share {sel}, missing "
           f"{sorted(shares[pos] - set(known))[:6]}, extra {sorted(set(known) - shares[pos])[:6]}, "
           f"unknown {got.count(None)}, twice {len(known) - len(set(known))})")
        st = b["status"].get(("capt", mode), {})
        dp = st.get("datapath", {})
        c = dp.get("counters", {})
        ok(dp.get("capture") is True and c.get("seen") == 600 and c.get("selected") == sel and
           c.get("records_sent") == sel and c.get("ringbuf_full") == 0 and
           c.get("send_errors") == 0,
           f"{mode}: position {pos}: capture counters: seen {c.get('seen')}, selected "
           f"{c.get('selected')}, records_sent {c.get('records_sent')}, batches_sent "
           f"{c.get('batches_sent')}, ringbuf_full {c.get('ringbuf_full')}, send_errors "
           f"{c.get('send_errors')}")
print(f"1..{n}")
EOF
done_testing
