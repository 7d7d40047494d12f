#!/usr/bin/env python3
"""Writes ikev1_decryption_table and messages.txt from a capture made by capture.sh.

The phase-1 encryption key of each IKE SA comes from the initiator charon's log (ike = 4 prints
"encryption key Ka" followed by "natd_chunk", whose first 8 bytes are the initiator cookie). tshark
decrypts every encrypted message with them; this script only copies bytes: for every ISAKMP message the
UDP payload (the 4-byte non-ESP marker of port 4500 removed) and, for an encrypted one, tshark's
"Decrypted IKE" bytes (the plaintext payload chain with strongSwan's zero padding).
Usage: extract.py PCAP CHARON_LOG OUTDIR LABEL...   (one label per IKE SA, in order of appearance)
"""
import os
import re
import subprocess
import sys

pcap, log, out = sys.argv[1:4]
labels = sys.argv[4:]


def dump(lines, i):
    """The bytes of a charon '=> N bytes' dump starting at line i."""
    n = int(re.search(r"=> (\d+) bytes", lines[i]).group(1))
    hexes = []
    j = i + 1
    while len(hexes) < n:
        hexes += re.search(r"\d+: ((?:[0-9A-F]{2} ?)+)", lines[j]).group(1).split()
        j += 1
    return "".join(hexes[:n]).lower()


lines = open(log).read().splitlines()
keys = {}
key = None
for i, line in enumerate(lines):
    if "encryption key Ka =>" in line:
        key = dump(lines, i)
    elif "natd_chunk =>" in line and key:
        keys[dump(lines, i)[:16]] = key
        key = None
assert keys, "no 'encryption key Ka' in the log: run charon with ike = 4"
with open(os.path.join(out, "ikev1_decryption_table"), "w") as f:
    for cookie, k in keys.items():
        f.write("%s,%s\n" % (cookie, k))

env = dict(os.environ, WIRESHARK_CONFIG_DIR=out)
rows = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "isakmp", "-T", "fields", "-E", "separator=|",
                       "-e", "frame.number", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport",
                       "-e", "udp.payload", "-e", "isakmp.ispi", "-e", "isakmp.exchangetype", "-e", "isakmp.flags"],
                      capture_output=True, text=True, check=True, env=env).stdout.split("\n")
counters = {}
group = {}
result = []
for row in filter(None, rows):
    number, src, sport, dst, dport, payload, ispi, exchange, flags = row.split("|")
    data = bytes.fromhex(payload)
    if sport == "4500" or dport == "4500":
        assert data[:4] == b"\0\0\0\0", "frame %s: no non-ESP marker" % number
        data = data[4:]
    if ispi not in group:
        group[ispi] = labels[len(group)]
    label = group[ispi]
    kind = {"2": "mm", "5": "info", "32": "qm"}[exchange]
    counters[(label, kind)] = counters.get((label, kind), 0) + 1
    name = "%s-%s%d" % (label, kind, counters[(label, kind)])
    line = "%s %s %s:%s>%s:%s isakmp=%s" % (name, number, src, sport, dst, dport, data.hex())
    if int(flags, 16) & 1:
        x = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "frame.number == " + number, "-x"],
                           capture_output=True, text=True, check=True, env=env).stdout
        block = x.split("Decrypted IKE")[1].splitlines()[1:]
        plain = bytearray()
        for bl in block:
            m = re.match(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} )+)", bl)
            if not m:
                break
            plain += bytes.fromhex(m.group(1).replace(" ", ""))
        assert len(plain) == len(data) - 28, "frame %s: tshark did not decrypt it" % number
        line += " plain=%s" % plain.hex()
    result.append(line)
with open(os.path.join(out, "messages.txt"), "w") as f:
    f.write("# IKEv1 messages of ikev1-natt.pcap (see README.md): NAME FRAME SRC:PORT>DST:PORT isakmp=HEX"
            " [plain=HEX]\n# isakmp: the ISAKMP message as sent (non-ESP marker removed); plain: tshark's"
            " decryption of the body (payload chain and padding). Written by extract.py.\n")
    f.write("\n".join(result) + "\n")
