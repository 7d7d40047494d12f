#!/usr/bin/python3
"""Frames an uplink may receive, built by scapy: NAME, whether poolsa must see it, Ethernet frame as hex.
Used by UplinkFilterTest to check DataPlane.UPLINK_FILTER with libpcap's own compiler."""
from scapy.all import (Ether, IP, IPv6, UDP, TCP, ICMP, ESP, AH, Raw, fragment, fragment6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                       ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6MLReport, RouterAlert)

E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
A4, B4 = "198.51.100.2", "198.51.100.1"
A6, B6 = "2001:db8:a::2", "2001:db8:a::1"
big = Raw(bytes(range(256)) * 12)


def out(name, seen, pkt):
    print(name, "seen" if seen else "ignored", bytes(pkt).hex())


out("v4-esp", True, E / IP(src=A4, dst=B4) / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
out("v4-ah", True, E / IP(src=A4, dst=B4) / AH(spi=0x1001, seq=1, nh=4) / Raw(b"x" * 64))
out("v4-natt", True, E / IP(src=A4, dst=B4) / UDP(sport=4500, dport=4500) / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
for i, f in enumerate(fragment(IP(src=A4, dst=B4, id=7) / UDP(sport=4500, dport=4500) / Raw(b"\0\0\x10\x01") / big, fragsize=1200)):
    out("v4-natt-fragment-%d" % i, True, E / f)
for i, f in enumerate(fragment(IP(src=A4, dst=B4, id=8, proto=50) / big, fragsize=1200)):
    out("v4-esp-fragment-%d" % i, True, E / f)
out("v4-echo-reply", True, E / IP(src=A4, dst=B4) / ICMP(type=0, id=0x5053, seq=1) / Raw(b"12345678"))
out("v4-echo-request", False, E / IP(src=A4, dst=B4) / ICMP(type=8, id=0x5053, seq=1) / Raw(b"12345678"))
out("v4-tcp", False, E / IP(src=A4, dst=B4) / TCP(sport=40000, dport=22))
out("v4-udp-dns", False, E / IP(src=A4, dst=B4) / UDP(sport=53, dport=40000) / Raw(b"x" * 32))

out("v6-esp", True, E / IPv6(src=A6, dst=B6) / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
out("v6-esp-behind-destopts", True, E / IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt() / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
out("v6-esp-behind-hopbyhop", True, E / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
out("v6-ah-behind-routing", True, E / IPv6(src=A6, dst=B6) / IPv6ExtHdrRouting(addresses=[B6]) / AH(spi=0x1001, seq=1, nh=41)
    / Raw(b"x" * 64))
out("v6-esp-behind-hopbyhop-destopts", True, E / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
    / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
out("v6-esp-behind-hopbyhop-routing-destopts", True, E / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop()
    / IPv6ExtHdrRouting(addresses=[B6]) / IPv6ExtHdrDestOpt() / ESP(spi=0x1001, seq=1) / Raw(b"x" * 64))
for i, f in enumerate(fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=9) / ESP(spi=0x1001, seq=1) / big, 1280)):
    out("v6-esp-fragment-%d" % i, True, E / f)
for i, f in enumerate(fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(id=10) / ESP(spi=0x1001, seq=1)
                                / big, 1280)):
    out("v6-esp-destopts-fragment-%d" % i, True, E / f)
for i, f in enumerate(fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=11) / UDP(sport=4500, dport=4500)
                                / Raw(b"\0\0\x10\x01") / big, 1280)):
    out("v6-natt-fragment-%d" % i, True, E / f)
out("v6-echo-reply", True, E / IPv6(src=A6, dst=B6) / ICMPv6EchoReply(id=0x5053, seq=1, data=b"12345678"))
out("v6-echo-request", False, E / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(id=0x5053, seq=1, data=b"12345678"))
out("v6-tcp", False, E / IPv6(src=A6, dst=B6) / TCP(sport=40000, dport=22))
out("v6-tcp-behind-destopts", False, E / IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt() / TCP(sport=40000, dport=22))
out("v6-mld-report", False, E / IPv6(src="fe80::1", dst="ff02::16", hlim=1)
    / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLReport())
