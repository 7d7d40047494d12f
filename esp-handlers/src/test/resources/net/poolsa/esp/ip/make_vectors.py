#!/usr/bin/python3
# Generates the IP test vectors with scapy (an independent implementation): run with /usr/bin/python3.
# Each vector is one line "name hex". Re-run only to add vectors; the checked-in file is the oracle.
from scapy.all import IP, IPv6, UDP, TCP, ICMP, ICMPv6PacketTooBig, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, \
    IPv6ExtHdrFragment, Raw, fragment, fragment6, raw
import random

out = []
def v(name, pkt):
    out.append("%s %s" % (name, raw(pkt).hex()))

udp4 = IP(src="192.0.2.1", dst="192.0.2.65", id=0x1234, ttl=63) / UDP(sport=40000, dport=53) / Raw(b"x" * 20)
v("udp4", udp4)
tcp6 = IPv6(src="2001:db8:1::1", dst="2001:db8:2::1", hlim=64) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / TCP(sport=443, dport=51000)
v("tcp6ext", tcp6)
payload = bytes((i * 7) & 0xff for i in range(3000))
esp4 = IP(src="198.51.100.1", dst="198.51.100.2", id=0x4242, ttl=64, proto=50) / Raw(payload)
v("esp4", esp4)
for i, f in enumerate(fragment(esp4, fragsize=1480)):
    v("esp4frag%d" % i, f)
esp6 = IPv6(src="2001:db8:a::1", dst="2001:db8:b::1", hlim=64) / IPv6ExtHdrFragment(id=0x01020304, nh=50) / Raw(payload)
v("esp6", IPv6(src="2001:db8:a::1", dst="2001:db8:b::1", nh=50, hlim=64) / Raw(payload))
for i, f in enumerate(fragment6(esp6, 1280)):
    v("esp6frag%d" % i, f)
big4 = IP(src="192.0.2.1", dst="192.0.2.65", id=7, flags="DF", ttl=63) / UDP(sport=1000, dport=2000) / Raw(b"y" * 1472)
v("big4df", big4)
icmp = IP(src="192.0.2.2", dst="192.0.2.1", id=0, flags=0, ttl=64, tos=0xc0) / ICMP(type=3, code=4, nexthopmtu=1400) / raw(big4)[:548]
v("fragneeded", icmp)
big6 = IPv6(src="2001:db8:1::1", dst="2001:db8:2::1", hlim=63) / UDP(sport=1000, dport=2000) / Raw(b"z" * 1452)
v("big6", big6)
ptb = IPv6(src="2001:db8:1::2", dst="2001:db8:1::1", hlim=64, tc=0xc0) / ICMPv6PacketTooBig(mtu=1380) / raw(big6)[:1232]
v("ptb", ptb)
open("vectors.txt", "w").write("\n".join(out) + "\n")
# Path probes (PathMonitorTest): echo requests with identifier 0x5053, sequence 1, 8 bytes of timestamp.
from scapy.all import ICMPv6EchoRequest
ts = bytes.fromhex("0102030405060708")
out2 = []
out2.append("echo4 " + raw(IP(src="198.51.100.1", dst="198.51.100.2", id=1, flags="DF", ttl=64) / ICMP(type=8, id=0x5053, seq=1) / Raw(ts)).hex())
out2.append("echo6 " + raw(IPv6(src="2001:db8:a::1", dst="2001:db8:b::1", hlim=64) / ICMPv6EchoRequest(id=0x5053, seq=1, data=ts)).hex())
open("vectors.txt", "a").write("\n".join(out2) + "\n")
# IPv6 with an unfragmentable part (Hop-by-Hop, Destination Options before Routing, Routing) and a Destination
# Options header in the fragmentable part: RFC 8200 §4.5 puts the Fragment header after the Routing header.
# Also an atomic fragment (offset 0, M clear) with the identification of esp6frag* (RFC 6946).
from scapy.all import IPv6ExtHdrRouting
ext = lambda: IPv6(src="2001:db8:a::1", dst="2001:db8:b::1", hlim=64) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() \
    / IPv6ExtHdrRouting(addresses=["2001:db8:c::1"], segleft=0)
out3 = []
out3.append("ext6 " + raw(ext() / IPv6ExtHdrDestOpt(nh=50) / Raw(payload[:2000])).hex())
for i, f in enumerate(fragment6(ext() / IPv6ExtHdrFragment(id=0x0a0b0c0d) / IPv6ExtHdrDestOpt(nh=50) / Raw(payload[:2000]), 1280)):
    out3.append("ext6frag%d %s" % (i, raw(f).hex()))
atomic = IPv6(src="2001:db8:a::1", dst="2001:db8:b::1", hlim=64) / IPv6ExtHdrFragment(id=0x01020304, nh=50, m=0, offset=0) / Raw(payload[:100])
out3.append("atomic6 " + raw(atomic).hex())
out3.append("atomic6whole " + raw(IPv6(src="2001:db8:a::1", dst="2001:db8:b::1", nh=50, hlim=64) / Raw(payload[:100])).hex())
open("vectors.txt", "a").write("\n".join(out3) + "\n")
