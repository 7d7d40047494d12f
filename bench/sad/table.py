#!/usr/bin/env python3
"""Turns SadBenchmarkMain's SUMMARY/SKIPPED lines (stdin) into markdown tables: one per operation and pool
shape, rows = addresses per SA, columns = SA count, cells = median ns per representation, plus memory."""
import re
import sys
from collections import defaultdict

cells = defaultdict(dict)  # (op, shape) -> (addresses, sas, rep) -> text
memory = defaultdict(dict)  # (op, shape) -> (addresses, rep) -> bytes
for line in sys.stdin:
    m = re.match(r'^(SUMMARY|SKIPPED) (.*)$', line.strip())
    if not m:
        continue
    f = dict(kv.split('=', 1) for kv in m.group(2).split())
    key = (f['op'], f['shape'])
    cell = (int(f['addresses']), int(f['sas']), f['rep'])
    if m.group(1) == 'SUMMARY':
        cells[key][cell] = '%g' % float(f['median_ns'])
        memory[key][(int(f['addresses']), f['rep'])] = f['bytes_per_sa']
    else:
        cells[key][cell] = 'skip'

reps = ['pool', 'list', 'per-address']
for (op, shape) in sorted(cells):
    c = cells[(op, shape)]
    addresses = sorted({a for a, _, _ in c})
    sas = sorted({n for _, n, _ in c})
    print(f'\n**{op}, {shape} pools** (median ns per lookup: pool / RFC 3554 list / per-address)\n')
    print('| addresses per SA | ' + ' | '.join(f'{n:,} SAs' for n in sas) + ' | bytes per SA (pool / list / per-address) |')
    print('|---' * (len(sas) + 2) + '|')
    for a in addresses:
        row = [' / '.join(c.get((a, n, r), '-') for r in reps) for n in sas]
        mem = ' / '.join(memory[(op, shape)].get((a, r), '-') for r in reps)
        print(f'| {a:,} | ' + ' | '.join(row) + f' | {mem} |')
