#!/usr/bin/python3
"""Medians over several bench/datapath/run.sh outputs (the Markdown rows each run prints).

Usage: bench/datapath/summary.py RUN1.md RUN2.md ...   (optionally NAME=ALIAS arguments first, to merge cases
that ran under another name in older runs, e.g. poolsa-gcm-imm=poolsa-gcm)
Prints one row per case: median TCP, UDP received, ping p50/p99, and the per-run TCP values; and the median gateway
CPU microseconds per ESP packet (A / B) where the rows have that last column.
"""
import re
import statistics
import sys

alias = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a and not a.endswith(".md"))
runs = {}
order = []
for f in (a for a in sys.argv[1:] if a.endswith(".md")):
    for line in open(f):
        m = re.match(r"\| (\S+) \| (\d+) \| (\d+) \| (\d+) \(([\d.]+) % lost\) \| ([\d.]+) \| ([\d.]+)(?: \([\d.]+ % lost\))? \|", line)
        if not m:
            continue
        name = alias.get(f + ":" + m[1], alias.get(m[1], m[1]))
        if name not in runs:
            runs[name] = []
            order.append(name)
        c = re.search(r"\| ([\d.]+) / ([\d.]+) \|\s*$", line)
        runs[name].append(tuple(float(x) for x in m.groups()[1:]) + ((float(c[1]), float(c[2])) if c else ()))
med = lambda xs: statistics.median(xs)


def per_packet(r):
    c = [x[6:8] for x in r if len(x) >= 8]
    if not c:
        return "-"
    return (f"**{med([a for a, _ in c]):.1f} / {med([b for _, b in c]):.1f}** "
            f"({', '.join(f'{a:.1f}/{b:.1f}' for a, b in c)})")


print("| case | runs | TCP Mbit/s median (each run) | UDP received Mbit/s median (each run) | ping p50 ms | ping p99 ms "
      "| gateway CPU us per ESP packet, median A / B (each run) |")
print("|---|---|---|---|---|---|---|")
for name in order:
    r = runs[name]
    tcp = [x[0] for x in r]
    udp = [x[2] for x in r]
    print(f"| {name} | {len(r)} | **{med(tcp):.0f}** ({', '.join(f'{t:.0f}' for t in tcp)}) "
          f"| **{med(udp):.0f}** ({', '.join(f'{u:.0f}' for u in udp)}) "
          f"| {med([x[4] for x in r]):.2f} | {med([x[5] for x in r]):.2f} | {per_packet(r)} |")
