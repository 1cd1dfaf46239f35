#!/usr/bin/python3
"""malformed.py IFACE GW_MAC GW_IP PEER_IP K - sends K of each malformed frame
to the gateway. Each kind must raise exactly one drop reason:
  ip_short           Ethernet + 10 bytes of IPv4
  ip_bad_version     version 6 in an IPv4 ethertype frame
  ip_bad_ihl         IHL 3
  ip_bad_checksum    header checksum off by one
  ip_bad_length      total length beyond the frame
(Runt Ethernet frames are not sent: veth drops them before the PMD sees
them. Fragments are not sent: af_packet's DEFRAG fan-out swallows a lone
fragment before the PMD sees it; the unit tests cover ip_fragment.)
  not_local          an echo request to an address that is not the gateway's
  icmp_bad_checksum  an echo request with a wrong ICMP checksum
  arp_bad_format     ARP with hardware length 8
  arp_short          ARP body cut to 20 bytes
"""
import struct
import sys

from scapy.all import ARP, ICMP, IP, Ether, Raw, sendp, conf  # noqa: E402

conf.verb = 0
iface, gw_mac, gw_ip, peer_ip, k = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
src_mac = open(f"/sys/class/net/{iface}/address").read().strip()
eth = Ether(dst=gw_mac, src=src_mac, type=0x0800)


def ip_bytes(**kw):
    return bytes(IP(src=peer_ip, dst=gw_ip, **kw) / ICMP(id=7, seq=1) / Raw(b"x" * 16))


def fix_cksum(hdr):
    hdr = bytearray(hdr)
    hdr[10:12] = b"\0\0"
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), bytes(hdr)))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    hdr[10:12] = struct.pack("!H", ~s & 0xFFFF)
    return bytes(hdr)


good = ip_bytes()
frames = []
frames.append(bytes(eth / Raw(good[:10])))  # ip_short
v6 = bytearray(good)
v6[0] = 0x65
frames.append(bytes(eth) + fix_cksum(bytes(v6[:20])) + bytes(v6[20:]))  # ip_bad_version
ihl3 = bytearray(good)
ihl3[0] = 0x43
frames.append(bytes(eth) + bytes(ihl3))  # ip_bad_ihl
bad = bytearray(good)
bad[10] ^= 0x01
frames.append(bytes(eth) + bytes(bad))  # ip_bad_checksum
longer = bytearray(good)
longer[2:4] = struct.pack("!H", 1000)
frames.append(bytes(eth) + fix_cksum(bytes(longer[:20])) + bytes(longer[20:]))  # ip_bad_length
frames.append(bytes(eth / IP(src=peer_ip, dst="192.0.2.99") / ICMP() / Raw(b"y" * 8)))  # not_local
frames.append(bytes(eth / IP(src=peer_ip, dst=gw_ip) / ICMP(chksum=0x1234) / Raw(b"z" * 8)))
arp = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=src_mac) / ARP(op=1, psrc=peer_ip, pdst=gw_ip, hwsrc=src_mac))
badarp = bytearray(arp)
badarp[14 + 4] = 8  # hlen
frames.append(bytes(badarp))  # arp_bad_format
frames.append(arp[: 14 + 20])  # arp_short

for _ in range(k):
    for f in frames:
        sendp(Raw(f), iface=iface)
