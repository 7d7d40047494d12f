#!/usr/bin/python3
"""Reference side of the outer-packet tests: scapy (nobody on poolsa wrote it) reassembles and opens what poolsa sent.

argv[1] names a JSON object {"packets": [hex, ...], "esp": {"spi", "key"}, "ah": null or {"spi", "key"}}:
the packets are one outer IPv4/IPv6 datagram, possibly in fragments (defragment6 / defragment join them), carrying
AES-GCM-16 ESP in tunnel mode, optionally inside transport-mode AH with HMAC-SHA2-256-128 (an AH+ESP bundle).
Prints "OUTER <hex>" (the reassembled outer packet), "AH <next header after AH removal>" when AH was checked,
then "INNER <hex>"; or "ERR <message>" and exit status 1.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
from scapy.layers.inet import IP, defragment  # noqa: E402
from scapy.layers.inet6 import IPv6, defragment6  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        c = json.load(f)
    raw = [bytes.fromhex(h) for h in c["packets"]]
    if raw[0][0] >> 4 == 6:
        pkts = [IPv6(b) for b in raw]
        outer = defragment6(pkts) if len(pkts) > 1 else pkts[0]
        outer = IPv6(bytes(outer))
    else:
        pkts = [IP(b) for b in raw]
        outer = defragment(pkts)[0] if len(pkts) > 1 else pkts[0]
        outer = IP(bytes(outer))
    print("OUTER " + bytes(outer).hex())
    pkt = outer
    if c.get("ah"):
        ah = SecurityAssociation(AH, spi=c["ah"]["spi"], auth_algo="SHA2-256-128", auth_key=bytes.fromhex(c["ah"]["key"]))
        pkt = ah.decrypt(pkt)  # raises IPSecIntegrityError on a bad ICV
        pkt = IPv6(bytes(pkt)) if pkt.version == 6 else IP(bytes(pkt))  # dissect the ESP that AH carried
        print("AH %d" % (pkt.nh if pkt.version == 6 else pkt.proto))
    esp = SecurityAssociation(ESP, spi=c["esp"]["spi"], crypt_algo="AES-GCM", crypt_key=bytes.fromhex(c["esp"]["key"]),
                              tunnel_header=IPv6() if pkt.version == 6 else IP())
    inner = esp.decrypt(pkt)
    print("INNER " + bytes(inner).hex())


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the JUnit side fails with the message
        print("ERR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
        sys.exit(1)
