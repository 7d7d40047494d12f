#!/usr/bin/python3
"""Failover benchmark (needs root): the longest time without delivered packets when an outer path fails, for plain
routing, poolsa (`poolsa run`, manual keys, ESP AES-CBC-128 + HMAC-SHA2-256-128) and strongSwan 5.9.8 IKEv2 with MOBIKE
(kernel-libipsec, NOTES.md recipe), in the host case (the multihomed client runs the IPsec endpoint, the paper's Fig. 10)
and the router case (two dual-homed gateways), for a local link failure and a remote one. Prints one Markdown table with
medians over the repeats, and every run's numbers.

Before the first cut of each system, 15 s of the same traffic, unmeasured (JIT warm-up). Traffic during each run: a UDP
stream of 200 packets/s from the far host to the near one (the direction the far end must repair) and a 20 ms ping from
the near host. Gap = the longest time between two delivered packets (UDP) or replies (ping)
from 0.5 s before the cut to the end of the window. Also counted from captures of the near side's links after the cut: IKE
messages (UDP 500/4500 that are not ESP) and whether the ESP SPIs changed.

The link cut is the near side's link that carried more packets in the 0.5 s before the cut (an IPsec endpoint may stay
on the other link after an earlier cut; plain routing always uses the first). Failures: "local" = `ip link set DEV down`
on it (its veth peer loses carrier too); "remote" = everything sent on that link is dropped at both ends by an nftables netdev egress chain (the wire in
the middle fails: neither end sees a carrier change). The cut is written to an `ip -batch` / `nft -i` already running in
the namespace and stamped just before.

Documentation addresses only; every namespace is named with this process's PID and deleted at exit, and every process
started here is stopped by its handle.

Usage: run.py --jar appliance/target/poolsa-appliance-VERSION-all.jar [--repeats 3] [--cases host,router]
              [--systems plain,poolsa,mobike] [--failures local,remote] [--window 5] [--out DIR]
       run.py --table-from OUTPUT... (the table of the result lines of earlier runs' outputs)
"""
import argparse
import atexit
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

PID = os.getpid()
PROCS = []
NAMESPACES = []
STREAM_PORT = 9000
WARM_UP_SECONDS = 15
KEY_ENC_AB, KEY_ENC_BA = "0x" + "11" * 16, "0x" + "22" * 16
KEY_INT_AB, KEY_INT_BA = "0x" + "33" * 32, "0x" + "44" * 32


def sh(*cmd, check=True, ns=None, input=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    r = subprocess.run(full, capture_output=True, text=True, input=input)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(full), r.stdout, r.stderr))
    return r.stdout


def spawn(cmd, ns=None, log=None, stdin=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    out = open(log, "ab") if log else subprocess.DEVNULL
    p = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, stdin=stdin)
    PROCS.append(p)
    return p


def stop(p, grace=5.0):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def cleanup():
    for p in reversed(PROCS):
        try:
            stop(p, 3)
        except Exception:
            pass
    PROCS.clear()
    for n in reversed(NAMESPACES):
        subprocess.run(["ip", "netns", "del", n], capture_output=True)
    NAMESPACES.clear()


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
signal.signal(signal.SIGINT, lambda *a: sys.exit(130))


class Lab:
    """One topology in namespaces. Roles: near host (N), near endpoint (A), far endpoint (B), far host (F); in the host
    case the near host is the near endpoint itself (N == A)."""

    def __init__(self, case, system, out):
        self.case, self.system, self.out = case, system, out
        self.ns = {}
        self.cutters = {}

    def add(self, role):
        n = "pfo-%s-%s-%d" % (self.case[0], role, PID)
        sh("ip", "netns", "add", n)
        NAMESPACES.append(n)
        sh("ip", "link", "set", "lo", "up", ns=n)
        self.ns[role] = n
        return n

    def veth(self, a, da, b, db):
        sh("ip", "link", "add", da, "type", "veth", "peer", "name", db, "netns", self.ns[b], ns=self.ns[a])
        sh("ip", "link", "set", da, "up", ns=self.ns[a])
        sh("ip", "link", "set", db, "up", ns=self.ns[b])

    def ip(self, role, *args):
        sh("ip", *args, ns=self.ns[role])

    def close(self):
        for p in self.cutters.values():
            try:
                p.stdin.close()
            except Exception:
                pass
        cleanup()


# ---------------------------------------------------------------- topologies

def build_router(lab):
    """hA -- gA ==l1/l2== gB -- hB (the namespace tests' router case). Near = hA/gA, far = gB/hB."""
    for r in ("N", "A", "B", "F"):
        lab.add(r)
    lab.veth("N", "ha0", "A", "ga0")
    lab.veth("A", "l1a", "B", "l1b")
    lab.veth("A", "l2a", "B", "l2b")
    lab.veth("B", "gb0", "F", "hb0")
    lab.ip("N", "addr", "add", "192.0.2.10/26", "dev", "ha0")
    lab.ip("N", "route", "add", "default", "via", "192.0.2.1")
    lab.ip("A", "addr", "add", "192.0.2.1/26", "dev", "ga0")
    lab.ip("A", "addr", "add", "198.51.100.1/29", "dev", "l1a")
    lab.ip("A", "addr", "add", "203.0.113.1/29", "dev", "l2a")
    lab.ip("B", "addr", "add", "198.51.100.2/29", "dev", "l1b")
    lab.ip("B", "addr", "add", "203.0.113.2/29", "dev", "l2b")
    lab.ip("B", "addr", "add", "192.0.2.129/26", "dev", "gb0")
    lab.ip("F", "addr", "add", "192.0.2.130/26", "dev", "hb0")
    lab.ip("F", "route", "add", "default", "via", "192.0.2.129")
    for r in ("A", "B"):
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=lab.ns[r])
        sh("sysctl", "-qw", "net.ipv4.conf.all.ignore_routes_with_linkdown=1", ns=lab.ns[r])
    lab.near_addr, lab.far_addr = "192.0.2.10", "192.0.2.130"
    lab.links = [("A", "l1a", "B", "l1b"), ("A", "l2a", "B", "l2b")]
    lab.primary = lab.links[0]
    lab.captures = [("A", "l1a"), ("A", "l2a")]


def build_host(lab):
    """Client A (dual-homed: p, s) -- gateway B -- server F (the NOTES.md MOBIKE shape)."""
    for r in ("A", "B", "F"):
        lab.add(r)
    lab.ns["N"] = lab.ns["A"]
    lab.veth("A", "p", "B", "gp")
    lab.veth("A", "s", "B", "gs")
    lab.veth("B", "gl", "F", "sv")
    lab.ip("A", "addr", "add", "192.0.2.10/25", "dev", "p")
    lab.ip("A", "addr", "add", "198.51.100.10/25", "dev", "s")
    lab.ip("B", "addr", "add", "192.0.2.1/25", "dev", "gp")
    lab.ip("B", "addr", "add", "198.51.100.1/25", "dev", "gs")
    lab.ip("B", "addr", "add", "203.0.113.1/24", "dev", "gl")
    lab.ip("F", "addr", "add", "203.0.113.10/24", "dev", "sv")
    lab.ip("F", "route", "add", "default", "via", "203.0.113.1")
    for r in ("A", "B"):
        sh("sysctl", "-qw", "net.ipv4.conf.all.ignore_routes_with_linkdown=1", ns=lab.ns[r])
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=lab.ns["B"])
    lab.far_addr = "203.0.113.10"
    lab.links = [("A", "p", "B", "gp"), ("A", "s", "B", "gs")]
    lab.primary = lab.links[0]
    lab.captures = [("A", "p"), ("A", "s")]


# ---------------------------------------------------------------- systems

def plain(lab):
    if lab.case == "router":
        lab.ip("A", "route", "add", "192.0.2.128/26", "via", "198.51.100.2", "metric", "10")
        lab.ip("A", "route", "add", "192.0.2.128/26", "via", "203.0.113.2", "metric", "20")
        lab.ip("B", "route", "add", "192.0.2.0/26", "via", "198.51.100.1", "metric", "10")
        lab.ip("B", "route", "add", "192.0.2.0/26", "via", "203.0.113.1", "metric", "20")
    else:
        # The client's traffic uses an address of its own on lo, reached over either link (as MOBIKE's virtual IP).
        lab.ip("A", "addr", "add", "192.0.2.200/32", "dev", "lo")
        lab.ip("A", "route", "add", "default", "via", "192.0.2.1", "src", "192.0.2.200", "metric", "10")
        lab.ip("A", "route", "add", "default", "via", "198.51.100.1", "src", "192.0.2.200", "metric", "20")
        lab.ip("B", "route", "add", "192.0.2.200/32", "via", "192.0.2.10", "metric", "10")
        lab.ip("B", "route", "add", "192.0.2.200/32", "via", "198.51.100.10", "metric", "20")
        lab.near_addr = "192.0.2.200"


def poolsa_yaml(lab, role):
    near = role == "A"
    d = os.path.join(lab.out, "poolsa-" + role)
    os.makedirs(os.path.join(d, "secrets"), exist_ok=True)
    os.chmod(d, 0o700)
    os.chmod(os.path.join(d, "secrets"), 0o700)
    keys = {"enc-in": KEY_ENC_BA if near else KEY_ENC_AB, "enc-out": KEY_ENC_AB if near else KEY_ENC_BA,
            "int-in": KEY_INT_BA if near else KEY_INT_AB, "int-out": KEY_INT_AB if near else KEY_INT_BA}
    for k, v in keys.items():
        f = os.path.join(d, "secrets", k)
        with open(f, "w") as fh:
            fh.write(v + "\n")
        os.chmod(f, 0o600)
    if lab.case == "router":
        own, peer = ("1", "2") if near else ("2", "1")
        uplinks = [("l1a" if near else "l1b", "198.51.100.%s/29" % own), ("l2a" if near else "l2b", "203.0.113.%s/29" % own)]
        local_outer = "[198.51.100.%s/32, 203.0.113.%s/32]" % (own, own)
        remote_outer = "[198.51.100.%s/32, 203.0.113.%s/32]" % (peer, peer)
        lp, rp = ("[192.0.2.0/26]", "[192.0.2.128/26]") if near else ("[192.0.2.128/26]", "[192.0.2.0/26]")
        capture = "ga0" if near else "gb0"
    else:
        client, gateway = "[192.0.2.10/32, 198.51.100.10/32]", "[192.0.2.1/32, 198.51.100.1/32]"
        uplinks = [("p", "192.0.2.10/25"), ("s", "198.51.100.10/25")] if near else [("gp", "192.0.2.1/25"), ("gs", "198.51.100.1/25")]
        local_outer, remote_outer = (client, gateway) if near else (gateway, client)
        # The paper's host case: the client's own addresses are what the SA protects.
        lp, rp = (client, "[203.0.113.0/24]") if near else ("[203.0.113.0/24]", client)
        capture = "lo" if near else "gl"
    y = ["metrics:", '  listen: "127.0.0.1:9742"', "data-path:", "  mtu: 1500", "  capture:", "    - interface: " + capture,
         "  uplinks:"]
    for dev, addr in uplinks:
        y += ["    - interface: " + dev, "      addresses: [%s]" % addr]
    y += ["  sink:", "    interface: psink", "    type: ifb", "connections:", "  bench:", "    mode: tunnel",
          "    protocol: esp", "    local-outer: " + local_outer, "    remote-outer: " + remote_outer,
          "    local-protected: " + lp, "    remote-protected: " + rp, "    manual:",
          "      spi-in: 0x%08x" % (0xb001 if near else 0xa001), "      spi-out: 0x%08x" % (0xa001 if near else 0xb001),
          "      encryption: aes-cbc", "      integrity: hmac-sha2-256-128"]
    for k in keys:
        name = {"enc-in": "encryption-key-in", "enc-out": "encryption-key-out", "int-in": "integrity-key-in",
                "int-out": "integrity-key-out"}[k]
        y.append("      %s: secrets/%s" % (name, k))
    path = os.path.join(d, "poolsa.yaml")
    with open(path, "w") as fh:
        fh.write("\n".join(y) + "\n")
    return d, path


def poolsa(lab, jar):
    if lab.case == "host":
        lab.near_addr = "192.0.2.10"  # the address on the link that fails: the pool SA keeps it reachable
    logs = {}
    for role in ("B", "A"):
        d, cfg = poolsa_yaml(lab, role)
        logs[role] = os.path.join(d, "run.log")
        if os.path.exists(logs[role]):
            os.remove(logs[role])
        # The JVM options of the packaged launcher (packaging/src/deb/bin/poolsa); each instance its own state
        # directory (the default, /var/lib/poolsa, is the host's).
        spawn(["java", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseTransparentHugePages", "-jar", jar, "run", "-c", cfg,
               "--control-socket", os.path.join(d, "ctl"), "--state-dir", os.path.join(d, "state")],
              ns=lab.ns[role], log=logs[role])
    # Both start at once: a JVM start takes a minute or more on a loaded two-core machine.
    deadline = time.time() + 240
    for role, log in logs.items():
        while "event=started" not in (open(log, errors="replace").read() if os.path.exists(log) else ""):
            if time.time() > deadline:
                raise RuntimeError("poolsa in %s did not start:\n%s" % (role, open(log, errors="replace").read()[-3000:]))
            time.sleep(0.2)
    lab.logs = logs


def charon(lab, role, conf):
    d = os.path.join(lab.out, "ss-" + role)
    os.makedirs(os.path.join(d, "run"), exist_ok=True)
    os.makedirs(os.path.join(d, "swanctl"), exist_ok=True)
    with open(os.path.join(d, "strongswan.conf"), "w") as fh:
        fh.write("""charon {
  load = random nonce openssl pem pkcs1 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp curve25519 kernel-libipsec kernel-netlink socket-default vici updown
  plugins { vici { socket = unix://%s/charon.vici } }
  filelog { log { path = %s/charon.log
                  time_format = %%s
                  default = 1
                  ike = 2
                  knl = 2 } }
}
""" % (d, d))
    with open(os.path.join(d, "swanctl", "swanctl.conf"), "w") as fh:
        fh.write(conf)
    spawn(["sh", "-c", "mount --bind %s/run /run && STRONGSWAN_CONF=%s/strongswan.conf exec /usr/lib/ipsec/charon" % (d, d)],
          ns=lab.ns[role], log=os.path.join(d, "stdout.log"))
    for _ in range(100):
        if os.path.exists(os.path.join(d, "charon.vici")):
            break
        time.sleep(0.1)
    sh("env", "STRONGSWAN_CONF=%s/strongswan.conf" % d, "SWANCTL_DIR=%s/swanctl" % d, "swanctl", "--load-all", "--uri",
       "unix://%s/charon.vici" % d, ns=lab.ns[role])
    return d


def mobike(lab):
    psk = 'secrets { ike-1 { id-1 = a.poolsa.test\n id-2 = b.poolsa.test\n secret = "poolsa-bench-only" } }\n'
    if lab.case == "router":
        ts_a, ts_b = "192.0.2.0/26", "192.0.2.128/26"
        a_conf = ("connections { bench { version = 2\n remote_addrs = 198.51.100.2\n encap = yes\n mobike = yes\n dpd_delay = 1s\n"
                  " proposals = aes128-sha256-x25519\n local { auth = psk\n id = a.poolsa.test }\n"
                  " remote { auth = psk\n id = b.poolsa.test }\n children { bench { local_ts = %s\n remote_ts = %s\n"
                  " esp_proposals = aes128-sha256 } } } }\n" % (ts_a, ts_b)) + psk
        b_conf = ("connections { bench { version = 2\n encap = yes\n mobike = yes\n dpd_delay = 1s\n proposals = aes128-sha256-x25519\n"
                  " local { auth = psk\n id = b.poolsa.test }\n remote { auth = psk\n id = a.poolsa.test }\n"
                  " children { bench { local_ts = %s\n remote_ts = %s\n esp_proposals = aes128-sha256 } } } }\n" % (ts_b, ts_a)) + psk
        # IKE goes between the outer addresses only: nothing is forwarded between the LANs outside the tunnel.
        lab.near_addr = "192.0.2.10"
    else:
        a_conf = ("connections { bench { version = 2\n remote_addrs = 192.0.2.1\n vips = 0.0.0.0\n encap = yes\n mobike = yes\n"
                  " dpd_delay = 1s\n proposals = aes128-sha256-x25519\n local { auth = psk\n id = a.poolsa.test }\n"
                  " remote { auth = psk\n id = b.poolsa.test }\n children { bench { remote_ts = 203.0.113.0/24\n"
                  " esp_proposals = aes128-sha256 } } } }\n") + psk
        b_conf = ("connections { bench { version = 2\n encap = yes\n mobike = yes\n dpd_delay = 1s\n pools = vip\n"
                  " proposals = aes128-sha256-x25519\n local { auth = psk\n id = b.poolsa.test }\n"
                  " remote { auth = psk\n id = a.poolsa.test }\n children { bench { local_ts = 203.0.113.0/24\n"
                  " esp_proposals = aes128-sha256 } } } }\npools { vip { addrs = 192.0.2.200/32 } }\n") + psk
        lab.ip("A", "route", "add", "default", "via", "192.0.2.1", "metric", "10")
        lab.ip("A", "route", "add", "default", "via", "198.51.100.1", "metric", "20")
        # Tunnel-only: the gateway forwards nothing between the client's links and the server's LAN (NOTES.md).
        # ("fwd" is an nft keyword: the chain is called "tunnel_only")
        sh("nft", "add table inet bench; add chain inet bench tunnel_only { type filter hook forward priority 0; policy accept; }; "
           "add rule inet bench tunnel_only iifname { gp, gs } oifname gl drop; "
           "add rule inet bench tunnel_only iifname gl oifname { gp, gs } drop", ns=lab.ns["B"])
        lab.near_addr = "192.0.2.200"
    db = charon(lab, "B", b_conf)
    da = charon(lab, "A", a_conf)
    sh("env", "STRONGSWAN_CONF=%s/strongswan.conf" % da, "SWANCTL_DIR=%s/swanctl" % da, "swanctl", "--initiate", "--child",
       "bench", "--ike", "bench", "--uri", "unix://%s/charon.vici" % da, ns=lab.ns["A"])
    lab.logs = {"A": os.path.join(da, "charon.log"), "B": os.path.join(db, "charon.log")}


# ---------------------------------------------------------------- one measured cut

RECEIVER = r"""
import socket, sys, time, json
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(0.5)
end = time.time() + float(sys.argv[2])
got = []
while time.time() < end:
    try:
        d, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    got.append(time.time())
print(json.dumps(got))
"""

SENDER = r"""
import json, socket, sys, time
sent = []
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0 = time.time()
n = 0
while True:
    due = t0 + n * 0.005
    now = time.time()
    if now - t0 > seconds:
        break
    if due > now:
        time.sleep(due - now)
    try:
        s.sendto(n.to_bytes(8, "big") + b"x" * 92, (dst, port))
    except OSError:
        pass
    sent.append(time.time())
    n += 1
print(json.dumps(sent))
"""


def longest_gap(times, start, end):
    t = sorted(x for x in times if start <= x <= end)
    if not t:
        return float("inf")
    pts = [start] + t
    gap = max(b - a for a, b in zip(pts, pts[1:]))
    return gap if end - t[-1] < 1.0 else float("inf")  # nothing in the last second: not recovered


def cutter(lab, role, kind):
    key = (role, kind)
    if key not in lab.cutters:
        cmd = ["ip", "-batch", "-"] if kind == "ip" else ["nft", "-i"]
        lab.cutters[key] = spawn(cmd, ns=lab.ns[role], stdin=subprocess.PIPE)
    return lab.cutters[key]


def send_line(p, line):
    p.stdin.write((line + "\n").encode())
    p.stdin.flush()


def cut(lab, failure):
    a, da, b, db = lab.primary
    if failure == "local":
        p = cutter(lab, a, "ip")
        t = time.time()
        send_line(p, "link set %s down" % da)
        return t
    pa, pb = cutter(lab, a, "nft"), cutter(lab, b, "nft")
    for role, p, dev in ((a, pa, da), (b, pb, db)):
        send_line(p, "add table netdev bcut_%s" % dev)
    t = time.time()
    send_line(pa, 'add chain netdev bcut_%s o { type filter hook egress device "%s" priority 0; policy drop; }' % (da, da))
    send_line(pb, 'add chain netdev bcut_%s o { type filter hook egress device "%s" priority 0; policy drop; }' % (db, db))
    return t


def restore(lab, failure):
    a, da, b, db = lab.primary
    if failure == "local":
        send_line(cutter(lab, a, "ip"), "link set %s up" % da)
        if lab.case == "router" and lab.system == "plain":
            time.sleep(0.5)  # routes through the link come back with it? the static ones do not: add them again
            sh("ip", "route", "replace", "192.0.2.128/26", "via", "198.51.100.2", "metric", "10", ns=lab.ns["A"], check=False)
        if lab.case == "host" and lab.system == "plain":
            time.sleep(0.5)
            sh("ip", "route", "replace", "default", "via", "192.0.2.1", "src", "192.0.2.200", "metric", "10",
               ns=lab.ns["A"], check=False)
        if lab.case == "host" and lab.system == "mobike":
            time.sleep(0.5)
            sh("ip", "route", "replace", "default", "via", "192.0.2.1", "metric", "10", ns=lab.ns["A"], check=False)
            sh("ip", "route", "replace", "default", "via", "198.51.100.1", "metric", "20", ns=lab.ns["A"], check=False)
    else:
        send_line(cutter(lab, a, "nft"), "delete table netdev bcut_%s" % da)
        send_line(cutter(lab, b, "nft"), "delete table netdev bcut_%s" % db)


def ike_and_spis(pcaps, t_cut):
    """From the near side's captures (the cut link's first): IKE messages after the cut, the ESP SPIs seen before and
    after it, and the packets on the cut link in the 0.5 s before the cut (0: the cut missed the path in use)."""
    ike, before, after, on_cut_link = 0, set(), set(), 0
    for i, f in enumerate(pcaps):
        r = subprocess.run(["tshark", "-n", "-r", f, "-T", "fields", "-e", "frame.time_epoch", "-e", "esp.spi",
                            "-e", "isakmp.ispi", "-e", "udp.port", "-e", "udp.length"], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            fld = line.split("\t")
            if len(fld) < 5:
                continue
            t = float(fld[0])
            ports = set(fld[3].split(",")) if fld[3] else set()
            if i == 0 and t_cut - 0.5 <= t <= t_cut:
                on_cut_link += 1
            if fld[1]:
                (after if t > t_cut else before).add(fld[1])
            elif fld[4] == "9":
                continue  # NAT-T keepalive (RFC 3948 §2.3): one 0xff byte, not an IKE message
            elif fld[2] or "500" in ports or "4500" in ports:
                ike += 1 if t > t_cut else 0
    return ike, before, after, on_cut_link


def tx_packets(lab, role, dev):
    """Packets sent and received on dev."""
    st = "/sys/class/net/%s/statistics/" % dev
    return sum(int(x) for x in sh("cat", st + "tx_packets", st + "rx_packets", ns=lab.ns[role]).split())


def busier_link(lab):
    """The near side's link that carried more in the last 0.5 s: the one in use (an IPsec endpoint may stay on the other
    link after an earlier cut; plain routing always goes back to the first)."""
    before = [tx_packets(lab, a, da) for a, da, _, _ in lab.links]
    time.sleep(0.5)
    after = [tx_packets(lab, a, da) for a, da, _, _ in lab.links]
    return lab.links[max(range(len(lab.links)), key=lambda i: after[i] - before[i])]


def measure(lab, failure, window, n):
    tag = "%s-%s-%s-%d" % (lab.case, lab.system, failure, n)
    caps = []
    for role, dev in lab.captures:
        f = os.path.join(lab.out, tag + "-" + dev + ".pcap")
        caps.append((spawn(["tcpdump", "-i", dev, "-n", "-U", "-s", "128", "-w", f, "esp or udp or icmp"], ns=lab.ns[role],
                           log=os.path.join(lab.out, tag + "-" + dev + ".tcpdump.log")), f))
    time.sleep(1.0)
    seconds = 4.0 + window  # 2 s before the cut, up to 1 s to pick the link in use, slack at the end
    # The traffic tools run with real-time priority: on a shared host their own scheduling delays would show as gaps.
    rt = ["chrt", "-f", "20"]
    recv = subprocess.Popen(["ip", "netns", "exec", lab.ns["N"]] + rt + ["/usr/bin/python3", "-c", RECEIVER, str(STREAM_PORT),
                             str(seconds + 0.5)], stdout=subprocess.PIPE, text=True)
    PROCS.append(recv)
    time.sleep(0.2)
    send = subprocess.Popen(["ip", "netns", "exec", lab.ns["F"]] + rt + ["/usr/bin/python3", "-c", SENDER, lab.near_addr,
                             str(STREAM_PORT), str(seconds)], stdout=subprocess.PIPE, text=True)
    PROCS.append(send)
    ping_log = os.path.join(lab.out, tag + "-ping.txt")
    ping = spawn(rt + ["ping", "-n", "-D", "-i", "0.02", "-W", "1", "-w", str(int(seconds) + 1), "-I", lab.near_addr, lab.far_addr],
                 ns=lab.ns["N"], log=ping_log)
    time.sleep(2.0)  # all three flowing well before the cut, whatever their start-up took
    if lab.system != "plain":
        lab.primary = busier_link(lab)
        caps.sort(key=lambda c: not c[1].endswith("-" + lab.primary[1] + ".pcap"))  # the cut link's capture first
    t_cut = cut(lab, failure)
    time.sleep(window)
    sent_out, _ = send.communicate()
    out, _ = recv.communicate()
    ping.wait()
    for p, _ in caps:
        stop(p)
    udp = json.loads(out or "[]")
    sent = json.loads(sent_out or "[]")
    replies = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", open(ping_log).read(), re.M)]
    end = t_cut + window
    ike, before, after, on_cut_link = ike_and_spis([f for _, f in caps], t_cut)
    res = {"udp_gap_ms": 1000 * longest_gap(udp, t_cut - 0.5, end), "ping_gap_ms": 1000 * longest_gap(replies, t_cut - 0.5, end),
           "ike_after_cut": ike, "spi_changed": bool(after - before) if after else None, "udp_received": len(udp),
           "cut_link_packets_before": on_cut_link, "cut_link": lab.primary[1],
           "sender_gap_ms": 1000 * longest_gap(sent, t_cut - 0.5, end)}
    restore(lab, failure)
    return res


def run_system(case, system, args):
    out = os.path.join(args.out, "%s-%s" % (case, system))
    os.makedirs(out, exist_ok=True)
    lab = Lab(case, system, out)
    results = []
    try:
        (build_router if case == "router" else build_host)(lab)
        if system == "plain":
            plain(lab)
        elif system == "poolsa":
            poolsa(lab, args.jar)
        else:
            mobike(lab)
        if not wait_for_ping(lab, 60):
            raise RuntimeError("%s/%s: no ping from %s to %s" % (case, system, lab.near_addr, lab.far_addr))
        warm_up(lab, WARM_UP_SECONDS)
        for failure in args.failures:
            for n in range(args.repeats):
                r = measure(lab, failure, args.window, n)
                r.update(case=case, system=system, failure=failure, run=n, load=os.getloadavg()[0])
                print(json.dumps(r), flush=True)
                results.append(r)
                settle(lab)
    finally:
        lab.close()
    return results


def warm_up(lab, seconds):
    """The measured traffic, unmeasured, before the first cut: a gateway runs long before its link fails, so the JVM's
    JIT has compiled the packet path by then (the same for every system)."""
    send = spawn(["/usr/bin/python3", "-c", SENDER, lab.near_addr, str(STREAM_PORT), str(seconds)], ns=lab.ns["F"])
    ping = spawn(["ping", "-n", "-q", "-i", "0.02", "-w", str(int(seconds)), "-I", lab.near_addr, lab.far_addr], ns=lab.ns["N"])
    send.wait()
    ping.wait()


def wait_for_ping(lab, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        r = subprocess.run(["ip", "netns", "exec", lab.ns["N"], "ping", "-n", "-c", "1", "-W", "1", "-I", lab.near_addr,
                            lab.far_addr], capture_output=True)
        if r.returncode == 0:
            return True
    return False


def settle(lab):
    """After a restore: until pings pass again, then long enough for poolsa's switch back (5 s) or MOBIKE to settle."""
    wait_for_ping(lab, 60)
    time.sleep(8)


def fmt(v):
    if v is None:
        return "-"
    if v == float("inf"):
        return "no recovery"
    return "%.0f" % v


def table(results, window):
    rows = ["| case | failure | system | UDP gap ms (median) | ping gap ms (median) | UDP gap ms (all runs) | IKE messages after the cut | SPI changed | cut link in use |",
            "|---|---|---|---|---|---|---|---|---|"]
    keys = []
    for r in results:
        k = (r["case"], r["failure"], r["system"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = [r for r in results if (r["case"], r["failure"], r["system"]) == k]
        udp = [r["udp_gap_ms"] for r in rs]
        ping = [r["ping_gap_ms"] for r in rs]
        spi = {r["spi_changed"] for r in rs}
        idle = [str(r["run"]) for r in rs if r["cut_link_packets_before"] < 50]  # ~150 expected in 0.5 s
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            k[0], k[1], k[2], fmt(statistics.median(udp)), fmt(statistics.median(ping)), " / ".join(fmt(x) for x in udp),
            " / ".join(str(r["ike_after_cut"]) for r in rs),
            "-" if spi == {None} else "yes" if True in spi else "no",
            "yes" if not idle else "no, in run(s) " + ", ".join(idle)))
    return "\n".join(rows) + "\n\n(no recovery: nothing delivered in the last second of the %.0f s window after the cut)" % window


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jar")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", default="host,router")
    ap.add_argument("--systems", default="plain,poolsa,mobike")
    ap.add_argument("--failures", default="local,remote")
    ap.add_argument("--window", type=float, default=5.0)
    ap.add_argument("--out", default="target/bench-failover")
    ap.add_argument("--table-from", nargs="+", metavar="FILE",
                    help="only print the table of the result lines (JSON) in these outputs of earlier runs")
    args = ap.parse_args()
    if args.table_from:
        rows = [json.loads(l) for f in args.table_from for l in open(f) if l.startswith("{")]
        print(table(rows, args.window))
        return
    args.failures = args.failures.split(",")
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    if not args.jar:
        sys.exit("run.py: --jar is needed to measure")
    if os.geteuid() != 0:
        sys.exit("run.py: needs root (namespaces)")
    print("load average at start: %.1f %.1f %.1f" % os.getloadavg(), flush=True)
    results = []
    failed = []
    for case in args.cases.split(","):
        for system in args.systems.split(","):
            try:
                results += run_system(case, system, args)
            except Exception as e:  # one system that does not come up must not lose the others' runs
                print("%s/%s failed: %s" % (case, system, e), flush=True)
                failed.append("%s/%s" % (case, system))
    print("load average at end: %.1f %.1f %.1f" % os.getloadavg())
    print()
    print(table(results, args.window))
    if failed:
        print("\nnot measured (set-up failed, see above): " + ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
