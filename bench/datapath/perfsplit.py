#!/usr/bin/python3
"""Where a gateway's CPU goes, from `perf script` of a `perf record -g -p PID` (bench/datapath/run.sh PERF_SECS=N).

Usage: perf script -i FILE.perf | bench/datapath/perfsplit.py

Each sample is attributed by its call chain: to the emit system call it ran in (sendmmsg on the raw sockets, sendto
on a TPACKET ring or an AF_XDP socket), split into the receiver's side that veth runs inline in the sender's call
(softirq: the peer's capture tap, IP input, nftables, the host's TCP) and the send itself; else to other system
calls, other kernel work, or user space (the JVM, libc, libpcap, JNA, and code without symbols: perf has no map of
the JIT-compiled Java). Prints a Markdown table.
"""
import collections
import re
import sys

RECEIVE = ("net_rx_action", "process_backlog", "__netif_receive_skb", "netif_receive_skb", "__napi_poll")


def classify(frames):
    syms = [f[0] for f in frames]
    dsos = [f[1] for f in frames]
    joined = " ".join(syms)
    emit = None
    if "__sys_sendmmsg" in joined or "__x64_sys_sendmmsg" in joined:
        emit = "sendmmsg (raw sockets)"
    elif "tpacket_snd" in joined or "packet_sendmsg" in joined:
        emit = "sendto (TPACKET ring kick)"
    elif "xsk_sendmsg" in joined or "__xsk_generic_xmit" in joined:
        emit = "sendto (AF_XDP kick)"
    if emit:
        if any(r in joined for r in RECEIVE):
            side = "receiver's side run inline (softirq)"
        elif "dev_queue_xmit_nit" in joined:
            side = "copies to this host's packet taps of the sending device (dev_queue_xmit_nit)"
        else:
            side = "the send itself"
        return f"kernel, inside {emit}: {side}"
    kernel = [s for s, d in frames if d == "[kernel.kallsyms]"]
    if kernel and "exc_page_fault" in joined:
        return "kernel, page faults"
    if kernel:
        call = next((s for s in reversed(kernel) if re.match(r"__(x64|do)_sys_", s)), None)
        if call:
            return "kernel, other system calls (" + re.sub(r"^__(x64|do)_sys_", "", call) + ")"
        return "kernel, other (page faults, interrupts, scheduler)"
    leaf = dsos[0] if dsos else "?"
    if "libjvm" in leaf:
        return "user: JVM runtime, JIT compiler, GC"
    if "libpcap" in leaf:
        return "user: libpcap"
    if "libc" in leaf or "ld-linux" in leaf:
        return "user: libc"
    if "jna" in leaf.lower():
        return "user: JNA"
    if leaf.rsplit("/", 1)[-1].startswith("perf-") and leaf.endswith(".map"):
        # the JVM's map of its generated code (-XX:+DumpPerfMapAtExit): JIT-compiled Java, stubs, the interpreter
        sym = frames[0][0]
        if sym in ("Interpreter", "I2C/C2I adapters") or sym.startswith(("StubRoutines", "vtable", "itable")):
            return "user: interpreter, stubs (JVM-generated code)"
        return "user: JIT-compiled Java"
    return "user: code without symbols (in a gateway: JIT-compiled Java, the interpreter)"


def main():
    counts = collections.Counter()
    frames = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                counts[classify(frames)] += 1
            frames = []
            continue
        if not line.startswith(("\t", " ")):
            frames = []
            continue
        m = re.match(r"\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
        if m:
            frames.append((re.sub(r"\+0x[0-9a-f]+$", "", m[1]), m[2]))
    if frames:
        counts[classify(frames)] += 1
    total = sum(counts.values())
    print(f"| where ({total} samples) | share |")
    print("|---|---|")
    small = 0
    for k, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if n * 100 < total:
            small += n  # rows below 1 % each, summed on one line
        else:
            print(f"| {k} | {100 * n / total:.0f} % |")
    if small:
        print(f"| the rest (each below 1 %) | {100 * small / total:.0f} % |")


if __name__ == "__main__":
    main()
