#!/usr/bin/python3
"""flows.py IFACE GW_MAC GW_IP PEER_IP NFLOWS PER_FLOW NWORKERS - sends UDP
datagrams on NFLOWS distinct flows (source ports 20000+i, destination port 9,
where nothing listens), PER_FLOW each, and prints the number of datagrams
each worker should own according to the ownership function: symmetric
Toeplitz (key 0x6d5a repeated) over (saddr, daddr, sport, dport), reduced
through a 128-entry round-robin indirection table. Written independently of
the C code so the test can fail."""
import ipaddress
import json
import sys

from scapy.all import IP, UDP, Ether, Raw, conf, sendp

KEY = bytes([0x6D, 0x5A] * 20)


def toeplitz(data: bytes) -> int:
    key = int.from_bytes(KEY, "big")
    keybits = len(KEY) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                shift = keybits - 32 - (i * 8 + b)
                h ^= (key >> shift) & 0xFFFFFFFF
    return h


def owner(saddr, daddr, sport, dport, n):
    data = (
        ipaddress.IPv4Address(saddr).packed
        + ipaddress.IPv4Address(daddr).packed
        + sport.to_bytes(2, "big")
        + dport.to_bytes(2, "big")
    )
    return (toeplitz(data) % 128) % n


conf.verb = 0
iface, gw_mac, gw_ip, peer_ip = sys.argv[1:5]
nflows, per, nworkers = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
src_mac = open(f"/sys/class/net/{iface}/address").read().strip()
expect = [0] * nworkers
frames = []
for i in range(nflows):
    sport = 20000 + i
    expect[owner(peer_ip, gw_ip, sport, 9, nworkers)] += per
    # symmetric: the reply direction must land on the same worker
    assert owner(gw_ip, peer_ip, 9, sport, nworkers) == owner(peer_ip, gw_ip, sport, 9, nworkers)
    f = Ether(dst=gw_mac, src=src_mac) / IP(src=peer_ip, dst=gw_ip) / UDP(sport=sport, dport=9) / Raw(b"f" * 18)
    frames += [f] * per
sendp(frames, iface=iface, inter=0.001)
print(json.dumps(expect))
