package net.poolsa.appliance.netns;

import java.time.Duration;
import java.util.List;

/**
 * Frames sent with scapy ({@code /usr/bin/python3}) from one namespace of an {@link ApplianceLab} straight onto a
 * link, bypassing that namespace's routing and its poolsa: what an attacker or a broken peer on the uplink sends.
 */
final class Scapy {
    private Scapy() {
    }

    /** The MAC address of {@code dev} in {@code role}. */
    static String mac(ApplianceLab lab, String role, String dev) throws Exception {
        String[] f = lab.exec(role, List.of("ip", "-br", "link", "show", dev), Duration.ofSeconds(10)).trim().split("\\s+");
        return f[2];
    }

    /**
     * Sends {@code packets} (a Python expression of scapy layers, a list or a packet, without the Ethernet header)
     * {@code count} times out of {@code dev} in {@code role}, to the Ethernet address {@code dstMac}.
     */
    static void send(ApplianceLab lab, String role, String dev, String dstMac, String packets, int count) throws Exception {
        lab.exec(role, List.of("/usr/bin/python3", "-c", "from scapy.all import *\n"
                + "from scapy.layers.inet6 import *\n"
                + "p = " + packets + "\n"
                + "p = p if isinstance(p, list) else [p]\n"
                + "e = Ether(dst='" + dstMac + "', src=get_if_hwaddr('" + dev + "'))\n"
                + "for i in range(" + count + "):\n"
                + "    sendp([e / x for x in p], iface='" + dev + "', verbose=False)\n"), Duration.ofSeconds(60));
    }
}
