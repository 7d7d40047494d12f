#!/usr/bin/env python3
"""Writes ikev1_decryption_table and quick-mode-ids.txt from a capture made by capture-quick-mode.sh.

The encryption key comes from the initiator charon's log (ike = 4 prints "encryption key Ka"); tshark
decrypts each Quick Mode message; this script only walks the decrypted ISAKMP payload chain and prints
the body of every ID payload (type 5) as hex, one message per line. Usage: extract-ids.py PCAP CHARON_LOG OUTDIR
"""
import os
import re
import subprocess
import sys
import tempfile

pcap, log, out = sys.argv[1:4]
lines = open(log).read().splitlines()
key = None
for i, line in enumerate(lines):
    if "encryption key Ka =>" in line:
        n = int(re.search(r"=> (\d+) bytes", line).group(1))
        hexes = []
        j = i + 1
        while len(hexes) < n:
            hexes += re.search(r"\d+: ((?:[0-9A-F]{2} ?)+)", lines[j]).group(1).split()
            j += 1
        key = "".join(hexes[:n]).lower()
        break
assert key, "no 'encryption key Ka' in the log: run charon with ike = 4"
cookie = subprocess.run(["tshark", "-n", "-r", pcap, "-c", "1", "-T", "fields", "-e", "isakmp.ispi"],
                        capture_output=True, text=True, check=True).stdout.strip()
with open(os.path.join(out, "ikev1_decryption_table"), "w") as f:
    f.write("%s,%s\n" % (cookie, key))

env = dict(os.environ, WIRESHARK_CONFIG_DIR=out)
frames = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "isakmp.exchangetype == 32", "-T", "fields",
                         "-e", "frame.number", "-e", "isakmp.nextpayload"],
                        capture_output=True, text=True, check=True, env=env).stdout.split("\n")
result = []
for row in filter(None, frames):
    number, first = row.split("\t")
    first = int(first.split(",")[0])
    dump = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "frame.number == " + number, "-x"],
                          capture_output=True, text=True, check=True, env=env).stdout
    block = dump.split("Decrypted IKE")[1].splitlines()[1:]
    data = bytearray()
    for line in block:
        m = re.match(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} )+)", line)
        if not m:
            break
        data += bytes.fromhex(m.group(1).replace(" ", ""))
    off, ptype, ids = 0, first, []
    while ptype != 0:
        nxt, length = data[off], int.from_bytes(data[off + 2:off + 4], "big")
        if ptype == 5:
            ids.append(data[off + 4:off + length].hex())
        off, ptype = off + length, nxt
    result.append("frame %s %s" % (number, " ".join(ids)))
with open(os.path.join(out, "quick-mode-ids.txt"), "w") as f:
    f.write("# Quick Mode ID payload bodies (IDci IDcr) decrypted by tshark from quick-mode.pcap; see extract-ids.py\n")
    f.write("\n".join(result) + "\n")
