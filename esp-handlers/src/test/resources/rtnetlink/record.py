#!/usr/bin/python3
"""Records the rtnetlink datagrams the kernel sends for a scripted sequence of link, address and route changes, as
hex lines (one datagram per line, preceded by a '# STEP' comment), for RtNetlinkParserTest. Needs root; runs in a
network namespace of its own, deleted at the end. Usage: record.py > events.hex"""
import os, socket, subprocess, sys

if sys.argv[1:] != ["--in-namespace"]:
    ns = "psa-rtrec-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        sys.stdout.flush()
        sys.exit(subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--in-namespace"]).returncode)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
else:
    groups = 0x1 | 0x10 | 0x40 | 0x100 | 0x400  # RTMGRP_LINK, IPV4_IFADDR, IPV4_ROUTE, IPV6_IFADDR, IPV6_ROUTE
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.bind((0, groups))
    s.settimeout(0.3)

    def step(name, *cmds):
        for c in cmds:
            subprocess.run(c.split(), check=True)
        print("# " + name)
        while True:
            try:
                print(s.recv(65536).hex())
            except socket.timeout:
                break

    step("veth up", "ip link add up1 type veth peer name up1p", "ip link set up1p up", "ip link set up1 up")
    step("addresses", "ip addr add 198.51.100.1/29 dev up1", "ip addr add 2001:db8:100:1::1/64 dev up1 nodad")
    step("route", "ip route add 203.0.113.0/24 via 198.51.100.2 dev up1")
    step("carrier lost", "ip link set up1p down")
    step("carrier back", "ip link set up1p up")
    step("address removed", "ip addr del 198.51.100.1/29 dev up1")
    step("admin down", "ip link set up1 down")
    step("deleted", "ip link del up1")
