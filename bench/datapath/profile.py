#!/usr/bin/python3
"""Where a gateway's Java time goes, from a JFR recording of GatewayMain (bench/datapath/run.sh keeps gwA.jfr).

Usage: jfr print --stack-depth 64 --events jdk.ExecutionSample FILE.jfr | bench/datapath/profile.py
Counts Java execution samples (threads running Java code, not blocked in native calls) per stage: each
sample goes to the stage of the innermost frame (nearest the top of the stack) that names one. Native time inside libpcap, read(2) and sendmmsg is not sampled by JFR:
their kernel time shows in the gateway CPU column of run.sh instead.
"""
import collections
import re
import sys

STAGES = [
    (("net.poolsa.esp.transform.", "net.poolsa.esp.crypto.", "net.poolsa.esp.replay."), "crypto (ESP seal/open)"),
    (("RawSocketEmitter",), "emit (sendmmsg batches via JNA)"),
    (("ChannelOutboundBuffer", "AbstractUnsafe.write", "AbstractUnsafe.flush", "PcapChannel.doWrite"), "Netty write/flush path"),
    (("classifyV4", "classifyV6"), "SPD lookup"),
    (("lookupInbound",), "SAD lookup"),
    (("IpPacketView", "IpDecoder", "Reassembler", "Ipv4Fragmenter"), "decode / reassembly / fragmentation"),
    (("PathMonitor",), "path monitor"),
    (("readBatch", "FastPcap", "LinkLayer", "TunDevice.read", "org.pcap4j.", "com.sun.jna."),
     "capture (pcap_next_ex / TUN read and the copy, on the loop)"),
    (("ProtectStage", "UnprotectStage", "OutboundPolicyStage", "InboundSaStage", "EmitStage", "PcapChannel",
      "PolledChannel", "io.netty."), "pipeline glue (stages, drain task, buffers, Netty)"),
]
text = sys.stdin.read()
samples = re.split(r"^jdk\.ExecutionSample", text, flags=re.M)[1:]
counts = collections.Counter()
for s in samples:
    frames = re.findall(r"^\s+([\w.$<>]+)\(", s, re.M)
    stage = None
    for frame in frames:
        for keys, name in STAGES:
            if any(k in frame for k in keys):
                stage = name
                break
        if stage:
            break
    counts[stage or "other (status writer, JIT, GC, ...)"] += 1
total = sum(counts.values()) or 1
for name, n in counts.most_common():
    print(f"| {name} | {n} | {100 * n / total:.0f} % |")
