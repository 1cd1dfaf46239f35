#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpus of fuzz_tcp (see fuzz_tcp.c for the input format:
one setup byte, then records of ctl, len and a raw TCP segment from
10.0.0.2). Our ISN is fixed at 0x10000000 and the active side uses local
port 50000, so the seeds walk every state. Standard library only.

    python3 make_corpus.py [outdir]     (default: ./corpus next to this file)
"""
import os
import struct
import sys

ISN = 0x10000000
PEER_ISN = 1000
LPORT, RPORT = 80, 40000          # passive: the peer's port 40000 to our 80
APORT, SPORT = 50000, 443         # active: ours 50000 to the peer's 443

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# ctl byte (fuzz_tcp.c)
STEP_1MS, STEP_100MS, STEP_3S = 1, 2, 3
BAD_CKSUM, SPLIT, ICMP = 0x04, 0x08, 0x80
A_SEND100, A_SEND3000, A_SHUT, A_CLOSE, A_ABORT, A_CONSUME, A_KEEPALIVE = range(1, 8)
# setup byte
S_CONNECT, S_NO_OPTS, S_KEEP, S_NO_DELACK, S_BACKLOG1, S_NO_COOKIES = 1, 2, 4, 8, 16, 32

# SYN cookies (stack/stk_tcp_cookie.c) under the harness's fixed secret; the
# clock starts at 1 s, in cookie slot 0
COOKIE_KEY = (0x636f6f6b69653031, 0x66757a7a5f746370)
US, PEER = 0x0a000001, 0x0a000002
MSS_TABLE = (64, 536, 1220, 1300, 1400, 1440, 1460, 8960)


def siphash24(k, data):
    m64 = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & m64

    def rnd(v):
        v[0] = (v[0] + v[1]) & m64
        v[1] = rotl(v[1], 13) ^ v[0]
        v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & m64
        v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & m64
        v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & m64
        v[1] = rotl(v[1], 17) ^ v[2]
        v[2] = rotl(v[2], 32)

    v = [k[0] ^ 0x736f6d6570736575, k[1] ^ 0x646f72616e646f6d,
         k[0] ^ 0x6c7967656e657261, k[1] ^ 0x7465646279746573]
    tail = len(data) & 7
    for i in range(0, len(data) - tail, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v[3] ^= m
        rnd(v)
        rnd(v)
        v[0] ^= m
    b = (len(data) << 56) | int.from_bytes(data[len(data) - tail:], "little")
    v[3] ^= b
    rnd(v)
    rnd(v)
    v[0] ^= b
    v[2] ^= 0xff
    for _ in range(4):
        rnd(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def cookie(rport, peer_isn, mss, tso, slot=0):
    """The ISN of our cookie SYN-ACK; tso: the TSval's option bits, 0xff
    without timestamps (struct mac_in in stk_tcp_cookie.c)."""
    idx = max(i for i, v in enumerate(MSS_TABLE) if v <= mss or i == 0)
    mac_in = struct.pack("<IIHHIIBBxx", US, PEER, LPORT, rport, peer_isn, slot, idx, tso)
    return (siphash24(COOKIE_KEY, mac_in) & 0xfffffff8) | idx


def opts(mss=1460, ws=7, sackok=True, ts=None):
    b = b""
    if mss:
        b += struct.pack("!BBH", 2, 4, mss)
    if ws is not None:
        b += bytes([1, 3, 3, ws])
    if sackok:
        b += bytes([1, 1, 4, 2])
    if ts is not None:
        b += bytes([1, 1, 8, 10]) + struct.pack("!II", ts[0], ts[1])
    return b


def tcp(seq, ack, flags, data=b"", o=b"", wnd=65535, sport=RPORT, dport=LPORT, doff=None):
    if doff is None:
        doff = (20 + len(o)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                       doff << 4, flags, wnd, 0, 0) + o + data


def rec(seg, step=0, ctl=0, action=0):
    assert len(seg) < 256
    return bytes([step | ctl | (action << 4), len(seg)]) + seg


def passive_open(o=b"", ts=False):
    """SYN, then the ACK of our SYN-ACK."""
    a = opts(ts=(1, 0)) if ts else o
    ack_o = opts(mss=0, ws=None, sackok=False, ts=(2, 1)) if ts else b""
    return (rec(tcp(PEER_ISN, 0, SYN, o=a)) +
            rec(tcp(PEER_ISN + 1, ISN + 1, ACK, o=ack_o), step=STEP_1MS))


def seeds():
    s = {}
    p = PEER_ISN + 1
    data = bytes(range(100))
    # the full passive life: data both ways, close from each side
    s["passive_close"] = bytes([0]) + passive_open(opts()) + \
        rec(tcp(p, ISN + 1, ACK | PSH, data), action=A_SEND100) + \
        rec(tcp(p + 100, ISN + 101, ACK | FIN), step=STEP_1MS, action=A_SHUT) + \
        rec(tcp(p + 101, ISN + 102, ACK), step=STEP_1MS)
    s["active_close"] = bytes([0]) + passive_open() + \
        rec(tcp(p, ISN + 1, ACK, data), action=A_CLOSE) + \
        rec(tcp(p + 100, ISN + 2, ACK), step=STEP_1MS) + \
        rec(tcp(p + 100, ISN + 2, ACK | FIN), step=STEP_100MS) + \
        rec(tcp(p + 100, ISN + 2, ACK | FIN), step=STEP_100MS)
    s["timestamps"] = bytes([0]) + passive_open(ts=True) + \
        rec(tcp(p, ISN + 1, ACK, data, o=opts(0, None, False, (3, 1000))), action=A_SEND3000)
    s["no_options"] = bytes([S_NO_OPTS | S_NO_DELACK]) + passive_open(opts()) + \
        rec(tcp(p, ISN + 1, ACK, data))
    # out of order: a hole, more beyond it, overlaps, then the fill
    s["ooo"] = bytes([0]) + passive_open() + \
        rec(tcp(p + 100, ISN + 1, ACK, data)) + \
        rec(tcp(p + 300, ISN + 1, ACK, data)) + \
        rec(tcp(p + 150, ISN + 1, ACK, data + data)) + \
        rec(tcp(p + 400, ISN + 1, ACK | FIN, b"")) + \
        rec(tcp(p, ISN + 1, ACK, data))
    s["rst_in_window"] = bytes([0]) + passive_open() + rec(tcp(p + 5, 0, RST))
    s["syn_in_established"] = bytes([0]) + passive_open() + rec(tcp(p + 5, 0, SYN))
    s["out_of_window"] = bytes([0]) + passive_open() + \
        rec(tcp(p + 1000000, ISN + 1, ACK, data)) + rec(tcp(p - 50, ISN + 1, ACK, data))
    s["bad_ack"] = bytes([0]) + passive_open() + rec(tcp(p, ISN + 99999, ACK, data))
    # the application sends, the peer loses one: dupacks, fast retransmit
    s["fast_retransmit"] = bytes([S_KEEP]) + passive_open() + \
        rec(tcp(p, ISN + 1, ACK), action=A_SEND3000) + \
        rec(tcp(p, ISN + 1, ACK), action=A_SEND3000) + \
        rec(tcp(p, ISN + 1, ACK)) + rec(tcp(p, ISN + 1, ACK)) + rec(tcp(p, ISN + 1, ACK)) + \
        rec(tcp(p, ISN + 1461, ACK)) + rec(tcp(p, ISN + 6001, ACK), step=STEP_1MS)
    s["zero_window"] = bytes([S_KEEP]) + passive_open() + \
        rec(tcp(p, ISN + 1, ACK, wnd=0), action=A_SEND3000) + \
        rec(tcp(p, ISN + 1, ACK, wnd=0), step=STEP_100MS) + \
        rec(tcp(p, ISN + 1, ACK, wnd=0), step=STEP_100MS) + \
        rec(tcp(p, ISN + 1, ACK, wnd=5000), step=STEP_100MS)
    s["keepalive"] = bytes([0]) + passive_open() + \
        rec(tcp(p, ISN + 1, ACK), action=A_KEEPALIVE) + \
        rec(tcp(p, ISN + 1, ACK), step=STEP_100MS) + rec(tcp(p, ISN + 1, ACK), step=STEP_3S)
    s["rto"] = bytes([0]) + passive_open() + rec(tcp(p, ISN + 1, ACK), action=A_SEND100) + \
        rec(tcp(p, ISN + 1, ACK), step=STEP_3S) + rec(tcp(p, ISN + 101, ACK), step=STEP_3S)
    s["abort"] = bytes([0]) + passive_open() + rec(tcp(p, ISN + 1, ACK, data), action=A_ABORT) + \
        rec(tcp(p + 100, ISN + 1, ACK, data))
    s["time_wait_reuse"] = bytes([0]) + passive_open() + \
        rec(tcp(p, ISN + 1, ACK), action=A_SHUT) + \
        rec(tcp(p, ISN + 2, ACK | FIN), step=STEP_1MS) + \
        rec(tcp(p + 1, ISN + 2, ACK | FIN), step=STEP_100MS) + \
        rec(tcp(p + 100000, 0, SYN, o=opts()), step=STEP_1MS)
    s["syn_received"] = bytes([0]) + rec(tcp(PEER_ISN, 0, SYN, o=opts())) + \
        rec(tcp(PEER_ISN, 0, SYN)) + rec(tcp(PEER_ISN + 1, ISN + 7, ACK)) + \
        rec(tcp(PEER_ISN + 1, 0, RST), step=STEP_3S)
    s["listen_junk"] = bytes([0]) + rec(tcp(5, 9, ACK)) + rec(tcp(5, 0, RST)) + \
        rec(tcp(5, 0, SYN | FIN)) + rec(tcp(5, 0, FIN)) + \
        rec(tcp(5, 0, SYN, dport=81)) + rec(tcp(5, 0, SYN, data=data))
    # active opens
    s["connect"] = bytes([S_CONNECT]) + \
        rec(tcp(7000, ISN + 1, SYN | ACK, o=opts(1200, 3, True), sport=SPORT, dport=APORT)) + \
        rec(tcp(7001, ISN + 1, ACK | PSH, data, sport=SPORT, dport=APORT), action=A_SEND100) + \
        rec(tcp(7101, ISN + 101, ACK | FIN, sport=SPORT, dport=APORT), action=A_CLOSE) + \
        rec(tcp(7102, ISN + 102, ACK, sport=SPORT, dport=APORT), step=STEP_1MS)
    s["connect_refused"] = bytes([S_CONNECT]) + \
        rec(tcp(0, ISN + 1, RST | ACK, sport=SPORT, dport=APORT))
    s["connect_simultaneous"] = bytes([S_CONNECT]) + \
        rec(tcp(7000, 0, SYN, o=opts(), sport=SPORT, dport=APORT)) + \
        rec(tcp(7000, ISN + 1, SYN | ACK, sport=SPORT, dport=APORT)) + \
        rec(tcp(7001, ISN + 1, ACK, sport=SPORT, dport=APORT))
    s["connect_timeout"] = bytes([S_CONNECT]) + rec(b"", step=STEP_3S) + rec(b"", step=STEP_3S)
    s["connect_icmp"] = bytes([S_CONNECT]) + \
        rec(struct.pack("!HHI", SPORT, APORT, ISN) + bytes([3, 0, 0]), ctl=ICMP)
    s["frag_needed"] = bytes([0]) + passive_open() + \
        rec(tcp(p, ISN + 1, ACK), action=A_SEND3000) + \
        rec(struct.pack("!HHI", RPORT, LPORT, ISN + 1) + bytes([4, 0x02, 0x40]), ctl=ICMP)
    # malformed
    s["malformed"] = bytes([0]) + rec(b"\x00" * 12) + rec(tcp(1, 0, SYN, doff=4)) + \
        rec(tcp(1, 0, SYN, doff=15)) + rec(tcp(1, 0, SYN, o=bytes([2, 0, 1, 1]))) + \
        rec(tcp(1, 0, SYN, o=bytes([8, 12, 1, 1]))) + rec(tcp(1, 0, SYN), ctl=BAD_CKSUM) + \
        rec(tcp(1, 0, SYN, o=opts()), ctl=SPLIT)
    s["wrap"] = bytes([0]) + rec(tcp(0xffffff00, 0, SYN)) + \
        rec(tcp(0xffffff01, ISN + 1, ACK, data + data)) + \
        rec(tcp(0xffffff01 + 200, ISN + 1, ACK, data)) + \
        rec(tcp(0x00000031, ISN + 1, ACK | FIN))
    # SYN cookies: a backlog of one, the second SYN answered with a cookie,
    # its ACK (with data, TS echo carrying wscale 7 and SACK) opening the
    # connection; then a bad cookie, and the same without timestamps
    c = cookie(40001, 5000, 1460, 7 | 0x10)
    s["syncookie"] = bytes([S_BACKLOG1]) + rec(tcp(PEER_ISN, 0, SYN, o=opts())) + \
        rec(tcp(5000, 0, SYN, o=opts(ts=(1, 0)), sport=40001)) + \
        rec(tcp(5001, c + 1, ACK | PSH, data, o=opts(0, None, False, (2, 0x1717)),
                sport=40001), step=STEP_1MS, action=A_SEND100) + \
        rec(tcp(5101, c + 101, ACK | FIN, o=opts(0, None, False, (3, 0x1717)), sport=40001),
            step=STEP_1MS, action=A_CLOSE) + \
        rec(tcp(5001, c + 2, ACK, sport=40001))
    c = cookie(40002, 6000, 1300, 0xff)
    s["syncookie_no_ts"] = bytes([S_BACKLOG1 | S_NO_OPTS]) + rec(tcp(PEER_ISN, 0, SYN)) + \
        rec(tcp(6000, 0, SYN, o=opts(1300), sport=40002)) + \
        rec(tcp(6001, c + 2, ACK, sport=40002)) + \
        rec(tcp(6001, c + 1, ACK, data, sport=40002), action=A_SEND3000) + \
        rec(tcp(6101, c + 1, ACK, sport=40002), step=STEP_3S)
    s["syncookie_off"] = bytes([S_BACKLOG1 | S_NO_COOKIES]) + rec(tcp(PEER_ISN, 0, SYN)) + \
        rec(tcp(6000, 0, SYN, sport=40002)) + rec(tcp(6001, 1, ACK, sport=40002))
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, b in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
    print("wrote %d seeds to %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
