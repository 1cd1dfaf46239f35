#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpus of fuzz_frame (see fuzz_frame.c for the input
format: one control byte, then an Ethernet frame). Standard library only.

    python3 make_corpus.py [outdir]     (default: ./corpus next to this file)
"""
import os
import struct
import sys

US_MAC = bytes.fromhex("020000000001")
US1_MAC = bytes.fromhex("020000000002")
PEER_MAC = bytes.fromhex("0200000000aa")
BCAST = b"\xff" * 6
ZERO = b"\x00" * 6

US = bytes([10, 0, 0, 1])
US1 = bytes([192, 168, 1, 1])
PEER = bytes([10, 0, 0, 2])
PEER1 = bytes([192, 168, 1, 2])
STRANGER = bytes([10, 0, 0, 77])
ROUTER = bytes([10, 0, 0, 254])
FAR = bytes([8, 8, 8, 8])

# control byte bits (fuzz_frame.c)
LEARN_ONLY = 0x01
CK_BAD, CK_GOOD, CK_NONE = 0x02, 0x04, 0x06
PORT1 = 0x08
STEP_10MS, STEP_250MS, STEP_2S = 0x10, 0x20, 0x30
SPLIT_QUARTER, SPLIT_HALF, SPLIT_3Q = 0x40, 0x80, 0xC0


def cksum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)


def eth(dst, src, etype):
    return dst + src + struct.pack("!H", etype)


def arp(op, sha, spa, tha, tpa, dst=BCAST, src=None):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa
    return eth(dst, src or sha, 0x0806) + body


def ip(src, dst, proto, payload, ttl=64, frag=0x4000, ihl=5, tot=None, fix=True):
    opts = b"\x01" * (ihl * 4 - 20) if ihl >= 5 else b""
    if tot is None:
        tot = 20 + len(opts) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, tot, 0x1234, frag, ttl,
                      proto, 0, src, dst) + opts
    if fix:
        hdr = hdr[:10] + cksum(hdr) + hdr[12:]
    return hdr + payload


def icmp(typ, code, rest, data):
    msg = struct.pack("!BBH", typ, code, 0) + rest + data
    return msg[:2] + cksum(msg) + msg[4:]


def echo(ident, seq, data):
    return icmp(8, 0, struct.pack("!HH", ident, seq), data)


def tcp(sport, dport, seq=1, flags=0x02):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    return hdr


def frame_ip(src, dst, proto, payload, dmac=US_MAC, smac=PEER_MAC, **kw):
    return eth(dmac, smac, 0x0800) + ip(src, dst, proto, payload, **kw)


def corpus():
    ping = bytes(range(32))
    quoted = ip(US, FAR, 6, tcp(40000, 443, 0xDEADBEEF)[:8], frag=0x4000)
    yield "arp_request", 0, arp(1, PEER_MAC, PEER, ZERO, US)
    yield "arp_request_learn_only", LEARN_ONLY, arp(1, PEER_MAC, PEER, ZERO, US)
    yield "arp_reply", 0, arp(2, PEER_MAC, PEER, US_MAC, US, dst=US_MAC)
    yield "arp_probe", 0, arp(1, PEER_MAC, b"\x00" * 4, ZERO, US)
    yield "arp_gratuitous", STEP_250MS, arp(1, PEER_MAC, PEER, ZERO, PEER)
    yield "arp_request_port1", PORT1, arp(1, PEER_MAC, PEER1, ZERO, US1)
    yield "arp_short", 0, arp(1, PEER_MAC, PEER, ZERO, US)[:30]
    yield "echo_request", 0, frame_ip(PEER, US, 1, echo(0x42, 1, ping))
    yield "echo_unknown_peer", STEP_10MS, frame_ip(STRANGER, US, 1, echo(7, 7, ping))
    yield "echo_split", SPLIT_HALF, frame_ip(PEER, US, 1, echo(1, 2, ping * 8))
    yield "echo_ip_options", SPLIT_QUARTER, frame_ip(PEER, US, 1, echo(3, 4, ping), ihl=7)
    yield "echo_padded", 0, frame_ip(PEER, US, 1, echo(5, 6, b"")) + b"\xee" * 18
    yield "echo_port1_offload", PORT1 | CK_GOOD, frame_ip(PEER1, US1, 1, echo(9, 9, ping),
                                                        dmac=US1_MAC)
    yield "icmp_frag_needed", 0, frame_ip(ROUTER, US, 1,
                                          icmp(3, 4, struct.pack("!HH", 0, 1400), quoted))
    yield "icmp_time_exceeded", SPLIT_3Q, frame_ip(ROUTER, US, 1,
                                                   icmp(11, 0, b"\x00" * 4, quoted))
    yield "tcp_syn", 0, frame_ip(PEER, US, 6, tcp(40000, 443))
    yield "udp", 0, frame_ip(PEER, US, 17, struct.pack("!HHHH", 5353, 53, 8, 0))
    yield "truncated_eth", 0, eth(US_MAC, PEER_MAC, 0x0800)[:10]
    yield "truncated_ip", 0, frame_ip(PEER, US, 1, echo(1, 1, b""))[:14 + 12]
    yield "bad_ihl", 0, frame_ip(PEER, US, 1, echo(1, 1, ping), ihl=4, fix=False)
    beyond = bytearray(frame_ip(PEER, US, 1, echo(1, 1, b"")))
    beyond[14] = 0x4F  # a 60-byte header in a 28-byte datagram
    yield "ihl_beyond_frame", 0, bytes(beyond)
    yield "ip_fragment", 0, frame_ip(PEER, US, 6, tcp(1, 2), frag=0x2000)
    yield "bad_ip_cksum_port1", PORT1 | CK_BAD, frame_ip(PEER1, US1, 1, echo(1, 1, ping),
                                                        dmac=US1_MAC)
    yield "ipv6", 0, eth(US_MAC, PEER_MAC, 0x86DD) + b"\x60" + b"\x00" * 39
    yield "vlan", 0, eth(US_MAC, PEER_MAC, 0x8100) + b"\x00\x05\x08\x00" + ip(PEER, US, 1,
                                                                          echo(1, 1, b""))
    yield "timers_2s", STEP_2S, arp(1, PEER_MAC, STRANGER, ZERO, US)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(out, exist_ok=True)
    for name, ctl, frame in corpus():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([ctl]) + frame)


if __name__ == "__main__":
    main()
