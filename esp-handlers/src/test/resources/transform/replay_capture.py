#!/usr/bin/python3
# A capture made by scapy (an implementation nobody here wrote) for CaptureReplayTest: ESP AES-CBC-128 with
# HMAC-SHA2-256-128, tunnel mode, with known IVs and outer IPv4 identifications. The test hands poolsa's transform
# the same random bytes and expects these packets byte for byte. Run with /usr/bin/python3; the checked-in
# replay-capture.txt is the oracle ("name hex" per line).
from scapy.all import IP, IPv6, UDP, Raw, raw
from scapy.layers.ipsec import SecurityAssociation, ESP

SPI = 0x1001
CRYPT_KEY = bytes(range(16))
AUTH_KEY = bytes(range(32, 64))
IVS = [bytes.fromhex(h) for h in ("00112233445566778899aabbccddeeff", "f0e1d2c3b4a5968778695a4b3c2d1e0f",
                                   "0123456789abcdeffedcba9876543210")]
FIRST_ID = 0x5678  # the low half of the first four random bytes, 12 34 56 78

out = []
def v(name, pkt):
    out.append("%s %s" % (name, raw(pkt).hex()))

def payload(n):
    return bytes((i * 7 + 3) & 0xff for i in range(n))

for i, n in enumerate((29, 100, 1000)):
    inner = IP(src="203.0.113.10", dst="203.0.113.200", tos=0x10, flags="DF", id=0x1234, ttl=63) / \
        UDP(sport=1000, dport=2000) / Raw(payload(n))
    sa = SecurityAssociation(ESP, spi=SPI, crypt_algo="AES-CBC", crypt_key=CRYPT_KEY, auth_algo="SHA2-256-128",
                             auth_key=AUTH_KEY, tunnel_header=IP(src="192.0.2.1", dst="198.51.100.7", tos=0x10,
                                                                 flags="DF", id=FIRST_ID + i, ttl=64))
    v("inner4-%d" % i, inner)
    v("esp4-%d" % i, sa.encrypt(inner, seq_num=i + 1, iv=IVS[i]))

# IPv4 without DF in IPv6, too big for a 1280-byte path: the protect stage fragments the outer packet.
inner = IP(src="192.0.2.1", dst="192.0.2.65", id=0x4321, ttl=63) / UDP(sport=5000, dport=6000) / Raw(payload(1300))
sa = SecurityAssociation(ESP, spi=SPI, crypt_algo="AES-CBC", crypt_key=CRYPT_KEY, auth_algo="SHA2-256-128",
                         auth_key=AUTH_KEY, tunnel_header=IPv6(src="2001:db8:ff::1", dst="2001:db8:ff::2", tc=0, hlim=64))
v("inner6", inner)
v("esp6", sa.encrypt(inner, seq_num=1, iv=IVS[0]))

with open("replay-capture.txt", "w") as f:
    f.write("\n".join(out) + "\n")
