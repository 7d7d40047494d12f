package net.poolsa.appliance.netns;

import java.time.Duration;
import java.util.List;

import net.poolsa.esp.netns.Netns;

/**
 * Needs root and nftables: hA - gA - nN - gB - hB, gA behind a real NAT. nN maps gA's source address to its own
 * (203.0.113.1) and every UDP port of gA into {@code [portLow, portHigh]} (so 500 and 4500 change too), masquerades
 * the rest, and forwards nothing from outside in that is not an answer: gB reaches gA only through the mappings gA's
 * own packets made. The nftables table is {@code <table>} in nN, chains {@code snatout} and {@code gate}, for a test
 * that changes the mapping.
 */
final class NatLab {
    static final String NAT = "nN";

    private NatLab() {
    }

    static ApplianceLab create(String labName, String prefix, String table, int portLow, int portHigh) throws Exception {
        ApplianceLab lab = ApplianceLab.empty(labName);
        try {
            Netns hA = lab.addNamespace(prefix, ApplianceLab.HOST_A);
            Netns gA = lab.addNamespace(prefix, ApplianceLab.GW_A);
            Netns n = lab.addNamespace(prefix, NAT);
            Netns gB = lab.addNamespace(prefix, ApplianceLab.GW_B);
            Netns hB = lab.addNamespace(prefix, ApplianceLab.HOST_B);
            Netns.veth(hA, "ha0", gA, "ga0");
            Netns.veth(gA, "l1a", n, "nin");
            Netns.veth(n, "nout", gB, "l1b");
            Netns.veth(gB, "gb0", hB, "hb0");
            hA.exec("ip", "addr", "add", "192.0.2.10/26", "dev", "ha0");
            gA.exec("ip", "addr", "add", "192.0.2.1/26", "dev", "ga0");
            gA.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "l1a");
            n.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "nin");
            n.exec("ip", "addr", "add", "203.0.113.1/29", "dev", "nout");
            gB.exec("ip", "addr", "add", "203.0.113.2/29", "dev", "l1b");
            gB.exec("ip", "addr", "add", "192.0.2.129/26", "dev", "gb0");
            hB.exec("ip", "addr", "add", "192.0.2.130/26", "dev", "hb0");
            hA.exec("ip", "route", "add", "default", "via", "192.0.2.1");
            gA.exec("ip", "route", "add", "default", "via", "198.51.100.2");
            hB.exec("ip", "route", "add", "default", "via", "192.0.2.129");
            n.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            lab.exec(NAT, List.of("nft", "add table ip " + table + ";"
                    + " add chain ip " + table + " snatout { type nat hook postrouting priority srcnat; };"
                    + " add rule ip " + table + " snatout oifname \"nout\" meta l4proto udp snat to 203.0.113.1:" + portLow
                    + "-" + portHigh + ";"
                    + " add rule ip " + table + " snatout oifname \"nout\" masquerade;"
                    + " add chain ip " + table + " gate { type filter hook forward priority filter; policy drop; };"
                    + " add rule ip " + table + " gate iifname \"nin\" accept;"
                    + " add rule ip " + table + " gate ct state established,related accept"), Duration.ofSeconds(10));
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    /** One capture (cleartext) and one uplink interface, an ifb sink, then {@code connections:}. */
    static String dataPath(String capture, String captureAddress, String uplink, String uplinkAddress) {
        return "metrics:\n  listen: \"127.0.0.1:9742\"\n"
                + "data-path:\n  mtu: 1500\n  capture:\n    - interface: " + capture + "\n      addresses: [" + captureAddress + "]\n"
                + "  uplinks:\n    - interface: " + uplink + "\n      addresses: [" + uplinkAddress + "]\n"
                + "  sink:\n    interface: psink\n    type: ifb\n"
                + "connections:\n";
    }

    /** Both appliances' logs, for a failure message. */
    static String logs(ApplianceLab.Poolsa a, ApplianceLab.Poolsa b) {
        try {
            return a + ":\n" + a.log() + "\n" + b + ":\n" + b.log();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
