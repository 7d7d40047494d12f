#!/usr/bin/python3
"""Where a gateway's Java time goes, from a JFR recording of GatewayMain (bench/datapath/run.sh keeps gwA.jfr).

Usage: jfr print --stack-depth 64 --events jdk.ExecutionSample FILE.jfr | bench/datapath/profile.py
Counts Java execution samples (threads running Java code, not blocked in native calls) per stage, by the
outermost poolsa frame on the stack. Native time inside libpcap and sendmmsg is not sampled by JFR: the
capture threads' and the emit syscall's kernel time shows in the gateway CPU column of run.sh instead.
"""
import collections
import re
import sys

STAGES = [
    ("captureLoop", "capture thread (pcap4j dispatch callback, copy into a pooled ByteBuf)"),
    ("RawSocketEmitter", "emit (sendmmsg batches via JNA)"),
    ("IpsecProcessor", "crypto (ESP seal/open, IpsecProcessor)"),
    ("OutboundPolicyStage", "SPD lookup"),
    ("InboundSaStage", "SAD lookup"),
    ("IpDecoder", "decode + reassembly"),
    ("PathMonitor", "path monitor"),
    ("lambda$hand", "pipeline hand-off and glue"),
]
text = sys.stdin.read()
samples = re.split(r"^jdk\.ExecutionSample", text, flags=re.M)[1:]
counts = collections.Counter()
for s in samples:
    frames = re.findall(r"^\s+([\w.$<>]+)\(", s, re.M)
    stack = " ".join(frames)
    for key, name in STAGES:
        if key in stack:
            counts[name] += 1
            break
    else:
        counts["other (JIT, GC, status writer, ...)"] += 1
total = sum(counts.values()) or 1
for name, n in counts.most_common():
    print(f"| {name} | {n} | {100 * n / total:.0f} % |")
