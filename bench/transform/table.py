#!/usr/bin/env python3
"""Median (p0.50) ns per packet from JMH sample-mode CSV files (-rf csv), one column pair per file:
   table.py 'JDK 17'=esp-17.csv 'Temurin 25'=esp-25.csv"""
import csv
import sys
from collections import defaultdict

runs = [a.split('=', 1) for a in sys.argv[1:]]
p50 = defaultdict(dict)  # (algorithm, size) -> (run, op) -> ns
for name, path in runs:
    for row in csv.DictReader(open(path)):
        bench = row['Benchmark']
        if not bench.endswith(':p0.50'):
            continue
        op = bench.rsplit(':', 1)[0].split('.')[-1]
        alg = row.get('Param: algorithm') or 'bare JCA aes128gcm'
        size = int(row.get('Param: size') or 1400)
        p50[(alg, size)][(name, op)] = float(row['Score'])
cols = [(name, op) for name, _ in runs for op in ('seal', 'open')]
print('| algorithm | bytes | ' + ' | '.join(f'{n} {o}' for n, o in cols) + ' |')
print('|---|---|' + '---|' * len(cols))
for (alg, size) in sorted(p50, key=lambda k: (k[0], k[1])):
    cells = ['%.0f' % p50[(alg, size)][c] if c in p50[(alg, size)] else '-' for c in cols]
    print(f'| {alg} | {size} | ' + ' | '.join(cells) + ' |')
