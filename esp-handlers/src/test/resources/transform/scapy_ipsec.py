#!/usr/bin/python3
"""Reference side of ScapyInteropTest: scapy.layers.ipsec (an ESP/AH implementation nobody on poolsa wrote).

Reads a JSON list of cases from the file named by argv[1]. For each case it
  * decrypts/verifies every packet poolsa produced ("ours", hex) and reports the inner packet, and
  * encrypts the case's inner packet itself for every (esn_hi, seq) in "scapy_seqs" and reports the result.
Writes one line per result to stdout: "D<TAB>id<TAB>index<TAB>hex" for a decryption, "E<TAB>..." for an
encryption, with "ERR ..." instead of hex when scapy refused.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402
from scapy.packet import Raw  # noqa: E402

CRYPT = {"aes-gcm-16": "AES-GCM", "chacha20-poly1305": "CHACHA20-POLY1305", "aes-cbc": "AES-CBC",
         "3des-cbc": "3DES", "des-cbc": "DES", "null": "NULL"}
AUTH = {"hmac-sha1-96": "HMAC-SHA1-96", "hmac-sha2-256-128": "SHA2-256-128", "hmac-sha2-384-192": "SHA2-384-192",
        "hmac-sha2-512-256": "SHA2-512-256", "none": "NULL"}


def parse(hexstr):
    b = bytes.fromhex(hexstr)
    return IP(b) if b[0] >> 4 == 4 else IPv6(b)


def make_sa(c):
    tunnel = None
    if c["tunnel"]:
        t = c["tunnel"]
        tunnel = IP(src=t["src"], dst=t["dst"]) if ":" not in t["src"] else IPv6(src=t["src"], dst=t["dst"])
    natt = UDP(sport=4500, dport=4500) if c["natt"] else None
    if c["proto"] == "AH":
        return SecurityAssociation(AH, spi=c["spi"], auth_algo=AUTH[c["auth"]], auth_key=bytes.fromhex(c["auth_key"]),
                                   tunnel_header=tunnel, esn_en=c["esn"])
    return SecurityAssociation(ESP, spi=c["spi"], crypt_algo=CRYPT[c["crypt"]], crypt_key=bytes.fromhex(c["crypt_key"]),
                               auth_algo=AUTH[c["auth"]], auth_key=bytes.fromhex(c["auth_key"]) or None,
                               tunnel_header=tunnel, nat_t_header=natt, esn_en=c["esn"])


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for c in cases:
        sa = make_sa(c)
        for i, (hi, pkt) in enumerate(zip(c["ours_esn_hi"], c["ours"])):
            try:
                out = sa.decrypt(parse(pkt), esn_en=c["esn"], esn=hi)
                line("D", c["id"], i, bytes(out).hex())
            except Exception as e:  # reported to the JUnit side, which fails with the message
                line("D", c["id"], i, "ERR " + type(e).__name__ + ": " + str(e))
        for i, (hi, seq) in enumerate(c["scapy_seqs"]):
            try:
                p = sa.encrypt(parse(c["inner"]), seq_num=seq, esn_en=c["esn"], esn=hi)
                line("E", c["id"], i, bytes(p).hex())
            except Exception as e:
                line("E", c["id"], i, "ERR " + type(e).__name__ + ": " + str(e))


def line(kind, case_id, index, value):
    print("%s\t%s\t%d\t%s" % (kind, case_id, index, value.replace("\n", " ").replace("\t", " ")))


if __name__ == "__main__":
    main()
