#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Hand-built traces for the tests and benchmarks of the selection rules,
written as pcap files (microsecond, Ethernet) for `dicap-gen -r`.

usage: tracegen.py KIND PCAP [LABELS] [--seed N] [--scale N]

KIND:
  streams  TCP streams for tcpflow (tests/xdp/t80): plain IPv4 and IPv6,
           VLAN, frames sliced to 64/96/128 bytes, lying IP and TCP length
           fields, and streams inside tunnels (GTP-U, VXLAN, GRE, GRE with
           Ethernet, IP-in-IP, 6in4, 4in6, Geneve, MPLS, PPPoE, GTP-U in
           VXLAN), each with a few plain streams beside them.
  host     host pairs, each with a TCP flow, a UDP flow, an echo,
           fragmented datagrams (IPv4 and IPv6, in order and out of order)
           and ICMP errors quoting the flows (ICMP 3, 4, 5, 11, 12; ICMPv6
           1, 2, 3, 4) sent by a router that is neither host
           (tests/xdp/t81).
  gtpu     a GTP-U trace for B3: many users' flows inside a few tunnels
           (--scale users, default 2000, 2-12 frames each, 7 on average;
           4 eNodeB-SGW pairs, one TEID per bearer and direction).
  tunnels  four frames for B4: a TCP segment in GTP-U, in VXLAN, in GRE
           (IPv6 inside IPv4) and in IPv6 (IPv4 inside).

LABELS gets one line per frame, in the order of the pcap: the stream (or
host pair and flow) the frame belongs to by construction, `kind:id`, and
what the frame is or what was done to it (plain, sliced-64, ...).  The tests group the
frames captured on each node by these labels, which come from this script
and not from DiCAP's parser.

Every frame is distinct (sequence numbers, IP IDs), except the
retransmissions of the streams trace, which repeat a segment on purpose.
"""
import random
import struct
import sys

# ---- pcap ------------------------------------------------------------------


def pcap_write(path, frames, t0=1700000000.0, gap_us=50):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            t = int(t0 * 1000000) + i * gap_us
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)))
            f.write(fr)


# ---- headers ---------------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(n):
    return struct.pack("!HI", 0x0200, n & 0xFFFFFFFF)


def eth(payload, ethertype, src=1, dst=2, vlans=()):
    hdr = mac(dst) + mac(src)
    for v in vlans:
        hdr += struct.pack("!HH", 0x8100, v)
    return hdr + struct.pack("!H", ethertype) + payload


def v4(a):
    return bytes(int(x) for x in a.split("."))


def v6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def ipv4(src, dst, proto, payload, ident=0, df=True, frag_off=0, mf=False, ttl=64,
         total_len=None):
    """total_len: what the header claims (lying when not the real length)."""
    tl = 20 + len(payload) if total_len is None else total_len
    fl = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl & 0xFFFF, ident & 0xFFFF, fl, ttl, proto, 0,
                    v4(src), v4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload, plen=None, hlim=64, flow=0):
    pl = len(payload) if plen is None else plen
    h = struct.pack("!IHBB16s16s", 0x60000000 | (flow & 0xFFFFF), pl & 0xFFFF, nh, hlim,
                    v6(src), v6(dst))
    return h + payload


def v6frag(nh, payload, offset, mf, ident):
    return struct.pack("!BBHI", nh, 0, offset | (1 if mf else 0), ident) + payload


def pseudo(src, dst, proto, length):
    if ":" in src:
        return v6(src) + v6(dst) + struct.pack("!IxxxB", length, proto)
    return v4(src) + v4(dst) + struct.pack("!xBH", proto, length)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", doff=5, win=64240):
    """doff: the data offset the header claims (lying when not 5)."""
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    (doff & 0xF) << 4, flags, win, 0, 0)
    c = csum(pseudo(src, dst, 6, len(h) + len(payload)) + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def udp(src, dst, sport, dport, payload):
    h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    c = csum(pseudo(src, dst, 17, len(h) + len(payload)) + h + payload) or 0xFFFF
    return h[:6] + struct.pack("!H", c) + payload


def ip(src, dst, proto, payload, **kw):
    """IPv4 or IPv6 by the address; extra keywords go to ipv4()."""
    if ":" in src:
        return ipv6(src, dst, proto, payload, plen=kw.get("plen"))
    kw.pop("plen", None)
    return ipv4(src, dst, proto, payload, **kw)


def ethertype_of(src):
    return 0x86DD if ":" in src else 0x0800


def icmp_error(typ, code, quote, v6_=False, src=None, dst=None, mtu=0):
    """An ICMP(v6) error quoting @quote (an IP packet's first bytes)."""
    rest = struct.pack("!I", mtu)
    if v6_:
        body = struct.pack("!BBH", typ, code, 0) + rest + quote
        c = csum(pseudo(src, dst, 58, len(body)) + body)
        return body[:2] + struct.pack("!H", c) + body[4:]
    body = struct.pack("!BBH", typ, code, 0) + rest + quote
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


def icmp_echo(typ, ident, v6_=False, src=None, dst=None):
    body = struct.pack("!BBHHH", typ, 0, 0, ident & 0xFFFF, 1) + b"ping"
    c = csum(pseudo(src, dst, 58, len(body)) + body) if v6_ else csum(body)
    return body[:2] + struct.pack("!H", c) + body[4:]


# ---- tunnels: each wraps an inner IP packet (or Ethernet frame) --------------
# wrap(inner_ip_packet, inner_is_v6) -> (outer ethertype, outer bytes after Ethernet)


def tun_gtpu(outer, teid):
    s, d = outer

    def wrap(inner, _v6):
        g = struct.pack("!BBHI", 0x30, 0xFF, len(inner), teid) + inner
        return ethertype_of(s), ip(s, d, 17, udp(s, d, 2152, 2152, g), ident=teid & 0xFFFF, df=False)
    return wrap


def tun_vxlan(outer, vni, sport=49152):
    s, d = outer

    def wrap(inner, v6_):
        fr = eth(inner, 0x86DD if v6_ else 0x0800, src=0x7000 + vni, dst=0x7100 + vni)
        vx = struct.pack("!II", 0x08000000, vni << 8) + fr
        return ethertype_of(s), ip(s, d, 17, udp(s, d, sport, 4789, vx), df=False)
    return wrap


def tun_geneve(outer, vni):
    s, d = outer

    def wrap(inner, v6_):
        fr = eth(inner, 0x86DD if v6_ else 0x0800, src=0x7200 + vni, dst=0x7300 + vni)
        gn = struct.pack("!BBHI", 0, 0, 0x6558, vni << 8) + fr
        return ethertype_of(s), ip(s, d, 17, udp(s, d, 50000, 6081, gn), df=False)
    return wrap


def tun_gre(outer, teb=False):
    s, d = outer

    def wrap(inner, v6_):
        if teb:
            payload = eth(inner, 0x86DD if v6_ else 0x0800, src=0x7400, dst=0x7500)
            g = struct.pack("!HH", 0, 0x6558) + payload
        else:
            g = struct.pack("!HH", 0, 0x86DD if v6_ else 0x0800) + inner
        return ethertype_of(s), ip(s, d, 47, g)
    return wrap


def tun_ipip(outer):
    """IP-in-IP (4), 6in4 (41) or 4in6 by the outer and inner versions."""
    s, d = outer

    def wrap(inner, v6_):
        return ethertype_of(s), ip(s, d, 41 if v6_ else 4, inner)
    return wrap


def tun_mpls(labels):
    def wrap(inner, v6_):
        st = b""
        for i, lab in enumerate(labels):
            st += struct.pack("!I", lab << 12 | (1 << 8 if i == len(labels) - 1 else 0) | 64)
        return 0x8847, st + inner
    return wrap


def tun_pppoe(session):
    def wrap(inner, v6_):
        ppp = struct.pack("!H", 0x0057 if v6_ else 0x0021) + inner
        return 0x8864, struct.pack("!BBHH", 0x11, 0, session, len(ppp)) + ppp
    return wrap


def tun_nest(outer_wrap, inner_wrap):
    """inner_wrap's packet inside outer_wrap (the outer must carry IP)."""
    def wrap(inner, v6_):
        et, pkt = inner_wrap(inner, v6_)
        return outer_wrap(pkt, et == 0x86DD)
    return wrap


# ---- TCP streams -----------------------------------------------------------


class Stream:
    """One TCP connection, both directions, as a list of IP packets."""

    def __init__(self, rnd, cli, srv, cport, sport, nreq=3, mss=900):
        self.cli, self.srv, self.cport, self.sport = cli, srv, cport, sport
        self.rnd, self.mss = rnd, mss
        self.cseq = rnd.getrandbits(32)
        self.sseq = rnd.getrandbits(32)
        self.ipid = [rnd.getrandbits(16), rnd.getrandbits(16)]
        self.pkts = []		# (ip packet bytes, direction 0/1, has payload)
        self.nreq = nreq

    def seg(self, d, flags, data=b"", **ipkw):
        if d == 0:
            s, t, sp, dp, seq, ack = self.cli, self.srv, self.cport, self.sport, self.cseq, self.sseq
        else:
            s, t, sp, dp, seq, ack = self.srv, self.cli, self.sport, self.cport, self.sseq, self.cseq
        doff = ipkw.pop("doff", 5)
        seg = tcp(s, t, sp, dp, seq, ack, flags, data, doff=doff)
        self.ipid[d] = (self.ipid[d] + 1) & 0xFFFF
        pkt = ip(s, t, 6, seg, ident=self.ipid[d], **ipkw)
        adv = len(data) + (1 if flags & 0x03 else 0)	# SYN, FIN
        if d == 0:
            self.cseq += adv
        else:
            self.sseq += adv
        self.pkts.append((pkt, d, len(data) > 0))
        return pkt

    def build(self):
        r = self.rnd
        self.seg(0, 0x02)			# SYN
        self.cseq, self.sseq = self.cseq, self.sseq
        self.seg(1, 0x12)			# SYN|ACK
        self.seg(0, 0x10)			# ACK
        for i in range(self.nreq):
            req = b"GET /obj/%d/%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (
                self.cport, i, self.srv.encode())
            self.seg(0, 0x18, req)
            body = bytes(r.getrandbits(8) for _ in range(r.randint(200, 3000)))
            for off in range(0, len(body), self.mss):
                self.seg(1, 0x18 if off + self.mss >= len(body) else 0x10, body[off:off + self.mss])
            self.seg(0, 0x10)
        self.seg(0, 0x11)			# FIN|ACK
        self.seg(1, 0x11)
        self.seg(0, 0x10)
        return self


def interleave(rnd, lists):
    """Merge lists at random, each list's order kept."""
    lists = [list(x) for x in lists if x]
    pos = [0] * len(lists)
    out = []
    live = list(range(len(lists)))
    while live:
        i = rnd.choice(live)
        out.append(lists[i][pos[i]])
        pos[i] += 1
        if pos[i] == len(lists[i]):
            live.remove(i)
    return out


def streams(seed, scale):
    """(frame, label) lists per stream, for tcpflow."""
    r = random.Random(seed)
    groups = []
    port = [20000]

    def new_stream(cli, srv, **kw):
        port[0] += 1
        return Stream(r, cli, srv, port[0], r.choice([80, 443, 8080, 25, 110]), **kw).build()

    def plain(name, cli, srv, vlans=(), n=1, edit=None):
        for k in range(n):
            st = new_stream(cli, srv)
            lab = "%s:%s.%d" % (name, cli, st.cport)
            out = []
            for j, (pkt, d, data) in enumerate(st.pkts):
                how = "plain"
                if edit:
                    pkt, how = edit(st, j, pkt, d, data)
                out.append((eth(pkt, ethertype_of(cli), src=1 + d, dst=2 - d, vlans=vlans),
                            "%s %s" % (lab, how)))
            groups.append(out)

    n = max(1, scale)
    for k in range(6 * n):
        plain("v4", "10.1.%d.%d" % (k // 200, 1 + k % 200), "10.2.0.%d" % (1 + k % 7))
    for k in range(3 * n):
        plain("v6", "2001:db8:1::%x" % (k + 1), "2001:db8:2::%x" % (1 + k % 5))
    for k in range(2 * n):
        plain("vlan", "10.3.0.%d" % (k + 1), "10.4.0.1", vlans=(100 + k,))

    # Sliced as a packet broker or a snaplen does: every frame of the stream
    # cut to 64, 96 or 128 bytes; the IP total length still says the whole.
    for cut in (64, 96, 128):
        def slicer(st, j, pkt, d, data, cut=cut):
            fr_len = 14 + len(pkt)
            if fr_len > cut:
                return pkt[:cut - 14], "sliced-%d" % cut
            return pkt, "plain"
        for k in range(n):
            plain("sliced%d" % cut, "10.5.%d.%d" % (cut, k + 1), "10.6.0.1", edit=slicer)
            plain("sliced%d" % cut, "2001:db8:5::%x:%x" % (cut, k + 1), "2001:db8:6::1", edit=slicer)

    # Lying lengths: the IP total length (or the IPv6 payload length) too
    # large or too small for what is there, the TCP data offset below 5.
    def liar(st, j, pkt, d, data):
        v6_ = pkt[0] >> 4 == 6
        if j % 4 == 1:
            if v6_:
                return pkt[:4] + struct.pack("!H", len(pkt) - 40 + 300) + pkt[6:], "lying-ip-len-big"
            return relen4(pkt, len(pkt) + 300), "lying-ip-len-big"
        if j % 4 == 2 and data:
            if v6_:
                return pkt[:4] + struct.pack("!H", 24) + pkt[6:], "lying-ip-len-small"
            return relen4(pkt, 44), "lying-ip-len-small"
        if j % 4 == 3 and data:
            h = 40 if v6_ else 20
            return pkt[:h + 12] + bytes([(pkt[h + 12] & 0x0F) | (2 << 4)]) + pkt[h + 13:], "lying-tcp-doff"
        return pkt, "plain"
    for k in range(2 * n):
        plain("lying", "10.7.0.%d" % (k + 1), "10.8.0.1", edit=liar)
        plain("lying", "2001:db8:7::%x" % (k + 1), "2001:db8:8::1", edit=liar)

    # Tunnels: several user streams inside each; a tunnel's streams should
    # spread over the nodes by their inner flows.
    tunnels = [
        ("gtpu", tun_gtpu(("172.16.0.1", "172.16.0.2"), 0x1000), False),
        ("gtpu6", tun_gtpu(("2001:db8:f::1", "2001:db8:f::2"), 0x2000), False),
        ("vxlan", tun_vxlan(("172.16.1.1", "172.16.1.2"), 42), False),
        ("geneve", tun_geneve(("172.16.2.1", "172.16.2.2"), 7), True),
        ("gre", tun_gre(("172.16.3.1", "172.16.3.2")), True),
        ("gre-teb", tun_gre(("172.16.4.1", "172.16.4.2"), teb=True), False),
        ("ipip", tun_ipip(("172.16.5.1", "172.16.5.2")), False),
        ("6in4", tun_ipip(("172.16.6.1", "172.16.6.2")), True),
        ("4in6", tun_ipip(("2001:db8:e::1", "2001:db8:e::2")), False),
        ("mpls", tun_mpls((1000, 2000)), False),
        ("pppoe", tun_pppoe(0x42), False),
        ("gtpu-in-vxlan", tun_nest(tun_vxlan(("172.16.7.1", "172.16.7.2"), 9),
                                   tun_gtpu(("172.16.8.1", "172.16.8.2"), 0x3000)), False),
    ]
    for t, (name, wrap, inner6) in enumerate(tunnels):
        for k in range(8 * n):
            cli = "2001:db8:a%x::%x" % (t, k + 1) if inner6 else "10.%d.0.%d" % (100 + t, k + 1)
            srv = "2001:db8:b::1" if inner6 else "10.99.0.1"
            st = new_stream(cli, srv)
            lab = "tun-%s:%s.%d" % (name, cli, st.cport)
            out = []
            for pkt, d, data in st.pkts:
                et, outer = wrap(pkt, inner6)
                out.append((eth(outer, et, src=10 + d, dst=11 - d), "%s tunnel-%s" % (lab, name)))
            groups.append(out)

    # Retransmissions and reordering a reassembler has to undo, on a few
    # plain streams: a data segment sent twice, two segments swapped.
    for k in range(n):
        st = new_stream("10.9.0.%d" % (k + 1), "10.9.1.1")
        pk = [(p, d) for p, d, _ in st.pkts]
        datas = [j for j, (p, d, x) in enumerate(st.pkts) if x]
        a, b = datas[1], datas[2]
        pk[a], pk[b] = pk[b], pk[a]
        pk.insert(datas[3] + 1, pk[datas[3]])
        lab = "reorder:10.9.0.%d.%d" % (k + 1, st.cport)
        groups.append([(eth(p, 0x0800, src=1 + d, dst=2 - d), lab + " plain") for p, d in pk])
    return interleave(r, groups)


def relen4(pkt, tl):
    h = pkt[:2] + struct.pack("!H", tl & 0xFFFF) + pkt[4:10] + b"\0\0" + pkt[12:20]
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + pkt[20:]


# ---- host pairs: fragments and ICMP errors -----------------------------------


def host(seed, scale):
    """Labels: pair:A-B/FLOW HOW, FLOW being the conversation the frame
    belongs to (tcp, udp, echo, or one fragmented datagram), for an ICMP
    error the one it quotes; HOW what the frame is."""
    r = random.Random(seed)
    groups = []
    n = max(1, scale)
    for k in range(8 * n):
        six = k % 2 == 1
        if six:
            a, b, rtr = "2001:db8:10::%x" % (k + 1), "2001:db8:20::%x" % (k % 3 + 1), "2001:db8:ff::1"
        else:
            a, b, rtr = "10.10.%d.%d" % (k // 250, k % 250 + 1), "10.20.0.%d" % (k % 3 + 1), "10.255.0.1"
        lab = "pair:%s-%s" % (a, b)
        fr = []
        et = ethertype_of(a)

        def add(pkt, flow, how, src=1, et=et):
            fr.append((eth(pkt, et, src=src, dst=3 - src), "%s/%s %s" % (lab, flow, how)))

        # a TCP flow, a UDP flow and an echo between the two hosts
        st = Stream(r, a, b, 30000 + k, 443, nreq=1).build()
        for pkt, d, _ in st.pkts:
            add(pkt, "tcp", "tcp", src=1 + d)
        uport = 40000 + k
        for j in range(4):
            add(ip(a, b, 17, udp(a, b, uport, 53, b"DCAP" + struct.pack("!I", k * 16 + j) + b"q" * 20),
                   ident=r.getrandbits(16)), "udp", "udp")
        if six:
            echo = ipv6(a, b, 58, icmp_echo(128, k, True, a, b))
            reply = ipv6(b, a, 58, icmp_echo(129, k, True, b, a))
        else:
            echo = ipv4(a, b, 1, icmp_echo(8, k), ident=2)
            reply = ipv4(b, a, 1, icmp_echo(0, k), ident=3)
        add(echo, "echo", "echo")
        add(reply, "echo", "echo", src=2)
        # fragmented UDP datagrams of the UDP flow's ports: in order, and
        # out of order (last first)
        v = "6" if six else "4"
        for order in ("in-order", "out-of-order"):
            ident = r.getrandbits(32)
            data = udp(a, b, uport, 53, b"DCAP" + struct.pack("!I", ident) +
                       bytes(r.getrandbits(8) for _ in range(2400)))
            pkts = []
            for off in range(0, len(data), 1000):
                ch = data[off:off + 1000]
                mf = off + len(ch) < len(data)
                if six:
                    pkts.append(ipv6(a, b, 44, v6frag(17, ch, off, mf, ident)))
                else:
                    pkts.append(ipv4(a, b, 17, ch, ident=ident & 0xFFFF, df=False, frag_off=off, mf=mf))
            if order == "out-of-order":
                pkts = pkts[::-1]
            for p in pkts:
                add(p, "frag%x" % ident, "ipv%s-frag-%s" % (v, order))
        # ICMP errors from a router, to the first host, about each flow
        tcp_q = st.pkts[3][0]
        udp_q = ip(a, b, 17, udp(a, b, uport, 53, b"x" * 60), ident=1)
        if six:
            errs = [(1, 4, udp_q, "udp", 0), (2, 0, tcp_q, "tcp", 1280), (3, 0, tcp_q, "tcp", 0),
                    (3, 0, echo, "echo", 0), (4, 0, udp_q, "udp", 0)]
            for typ, code, q, flow, mtu in errs:
                # as much of the packet as fits in the minimum MTU: here all
                body = icmp_error(typ, code, q[:1232], True, rtr, a, mtu)
                add(ipv6(rtr, a, 58, body), flow, "icmp6-error-%d-quoting-%s" % (typ, flow), src=2)
        else:
            errs = [(3, 3, udp_q, "udp", 0), (3, 4, tcp_q, "tcp", 1400), (4, 0, tcp_q, "tcp", 0),
                    (5, 1, udp_q, "udp", 0), (11, 0, tcp_q, "tcp", 0), (11, 0, echo, "echo", 0),
                    (12, 0, udp_q, "udp", 0)]
            for i, (typ, code, q, flow, mtu) in enumerate(errs):
                # RFC 792: the IP header and 8 bytes of data, no more: the
                # quoted total length then lies about what follows
                body = icmp_error(typ, code, q[:28], False, mtu=mtu)
                add(ipv4(rtr, a, 1, body, ident=r.getrandbits(16)), flow,
                    "icmp-error-%d-quoting-%s" % (typ, flow), src=2)
        groups.append(fr)
    return interleave(r, groups)


# ---- GTP-U: many users inside a few tunnels (B3) ----------------------------


def gtpu(seed, users):
    """users flows (TCP or UDP, both directions, a few packets each) inside
    4 GTP-U tunnels (eNodeB <-> SGW pairs); ordered as they come."""
    r = random.Random(seed)
    tunnels = [("192.0.2.%d" % (1 + t), "198.51.100.%d" % (1 + t % 2)) for t in range(4)]
    frames = []
    for u in range(users):
        enb, sgw = tunnels[u % len(tunnels)]
        teid = (0x100000 + u, 0x200000 + u)	# each bearer its own, each way
        ue = "100.64.%d.%d" % (u // 250, 1 + u % 250)
        srv = "203.0.113.%d" % (1 + r.randrange(20))
        proto = 6 if r.random() < 0.8 else 17
        sport, dport = r.randrange(1024, 65535), r.choice([443, 80, 53, 8443])
        npk = r.randint(2, 12)
        for j in range(npk):
            up = j % 2 == 0
            s, d, sp, dp = (ue, srv, sport, dport) if up else (srv, ue, dport, sport)
            pay = b"DCAP" + struct.pack("!I", len(frames)) + bytes(r.randint(0, 300))
            l4 = tcp(s, d, sp, dp, r.getrandbits(32), r.getrandbits(32), 0x18, pay) if proto == 6 \
                else udp(s, d, sp, dp, pay)
            inner = ipv4(s, d, proto, l4, ident=r.getrandbits(16))
            os_, od = (enb, sgw) if up else (sgw, enb)
            frames.append((eth(ipv4(os_, od, 17, udp(os_, od, 2152, 2152, struct.pack(
                "!BBHI", 0x30, 0xFF, len(inner), teid[0 if up else 1]) + inner),
                ident=r.getrandbits(16), df=False), 0x0800), "user:%d gtpu" % u))
    # users' packets interleave as time goes: shuffle in windows
    out = []
    for i in range(0, len(frames), 64):
        w = frames[i:i + 64]
        r.shuffle(w)
        out += w
    return out


def tunnels(seed):
    """One TCP segment in each of four tunnels, for B4: GTP-U and VXLAN
    over IPv4, IPv6 in GRE, IPv4 in IPv6."""
    r = random.Random(seed)
    out = []
    for name, wrap, six in (("gtpu", tun_gtpu(("172.16.0.1", "172.16.0.2"), 0x1234), False),
                            ("vxlan", tun_vxlan(("172.16.1.1", "172.16.1.2"), 42), False),
                            ("gre", tun_gre(("172.16.3.1", "172.16.3.2")), True),
                            ("4in6", tun_ipip(("2001:db8:e::1", "2001:db8:e::2")), False)):
        cli, srv = ("2001:db8:a::1", "2001:db8:b::1") if six else ("10.100.0.1", "10.99.0.1")
        seg = tcp(cli, srv, 40000 + len(out), 443, r.getrandbits(32), r.getrandbits(32), 0x18,
                  b"DCAP" + struct.pack("!I", len(out)))
        et, pkt = wrap(ip(cli, srv, 6, seg, ident=r.getrandbits(16)), six)
        out.append((eth(pkt, et), "tun-%s:%s 0" % (name, cli)))
    return out


def main(argv):
    args = argv[1:]
    seed, scale = 1, None
    while "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    while "--scale" in args:
        i = args.index("--scale")
        scale = int(args[i + 1])
        del args[i:i + 2]
    if len(args) not in (2, 3) or args[0] not in ("streams", "host", "gtpu", "tunnels"):
        sys.stderr.write(__doc__)
        return 2
    kind, path = args[0], args[1]
    if kind == "streams":
        fr = streams(seed, scale or 1)
    elif kind == "host":
        fr = host(seed, scale or 1)
    elif kind == "gtpu":
        fr = gtpu(seed, scale or 2000)
    else:
        fr = tunnels(seed)
    pcap_write(path, [f for f, _ in fr])
    if len(args) == 3:
        with open(args[2], "w") as f:
            for _, lab in fr:
                f.write(lab + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
