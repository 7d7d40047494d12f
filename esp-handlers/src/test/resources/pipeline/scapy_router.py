#!/usr/bin/python3
"""Reference side of the forwarding tests: scapy (nobody on poolsa wrote it) dissects what the gateway forwarded
or answered and recomputes every checksum itself.

argv[1] names a file with one hex IP packet per line. Prints one line per packet:
"PKT version=4|6 ttl=N ecn=N ip_checksum=ok|bad|none icmp_type=N|- icmp_code=N|- icmp_checksum=ok|bad|- quoted=HEX|-"
where quoted is the invoking packet an ICMP error carries; or "ERR <message>" and exit status 1.
"""
import sys
import warnings

warnings.filterwarnings("ignore")
from scapy.layers.inet import ICMP, IP, IPerror  # noqa: E402
from scapy.layers.inet6 import IPv6, IPerror6, _ICMPv6  # noqa: E402


def checksum_ok(layer, field):
    fresh = layer.__class__(bytes(layer))
    setattr(fresh, field, None)
    return "ok" if getattr(layer.__class__(bytes(fresh)), field) == getattr(layer, field) else "bad"


def icmp6_layer(p):
    layer = p.payload
    while layer is not None and layer.name != "NoPayload" and not isinstance(layer, _ICMPv6):
        layer = layer.payload
    return layer if isinstance(layer, _ICMPv6) else None


def describe(raw):
    if raw[0] >> 4 == 4:
        p = IP(raw)
        line = "PKT version=4 ttl=%d ecn=%d ip_checksum=%s" % (p.ttl, p.tos & 3, checksum_ok(p, "chksum"))
        if ICMP in p:
            icmp = p[ICMP]
            quoted = bytes(icmp.payload).hex() if IPerror in icmp else "-"
            fresh = IP(raw)
            fresh[ICMP].chksum = None
            ok = "ok" if IP(bytes(fresh))[ICMP].chksum == icmp.chksum else "bad"
            return line + " icmp_type=%d icmp_code=%d icmp_checksum=%s quoted=%s" % (icmp.type, icmp.code, ok, quoted)
        return line + " icmp_type=- icmp_code=- icmp_checksum=- quoted=-"
    p = IPv6(raw)
    line = "PKT version=6 ttl=%d ecn=%d ip_checksum=none" % (p.hlim, p.tc & 3)
    icmp = icmp6_layer(p)
    if icmp is not None:
        quoted = bytes(icmp.payload).hex() if IPerror6 in icmp else "-"
        fresh = IPv6(raw)
        icmp6_layer(fresh).cksum = None
        ok = "ok" if icmp6_layer(IPv6(bytes(fresh))).cksum == icmp.cksum else "bad"
        return line + " icmp_type=%d icmp_code=%d icmp_checksum=%s quoted=%s" % (icmp.type, icmp.code, ok, quoted)
    return line + " icmp_type=- icmp_code=- icmp_checksum=- quoted=-"


def main():
    with open(sys.argv[1]) as f:
        for h in f.read().split():
            print(describe(bytes.fromhex(h)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the JUnit side fails with the message
        print("ERR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
        sys.exit(1)
