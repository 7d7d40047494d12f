package net.poolsa.esp.divert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.netns.Netns;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The divert's changes, undo and rollback: against a recorder, and for real in a namespace (needs root). */
@Tag("root")
class HostDivertTest {
    @Test
    void rollbackUndoesInReverseOrderWhenAStepFails() {
        List<String> log = new ArrayList<>();
        HostCommands rec = (cmd, stdin) -> {
            String c = String.join(" ", cmd);
            log.add(c);
            if (c.contains("type dummy")) {
                return new HostCommands.Result(2, "Error: Unknown device type.");
            }
            if (c.startsWith("sysctl -n")) {
                return new HostCommands.Result(0, "0");
            }
            if (c.startsWith("nft")) {
                return new HostCommands.Result(1, "Error: syntax error");
            }
            return new HostCommands.Result(0, "");
        };
        HostDivert d = new HostDivert(rec, "psink0", List.of("192.0.2.64/26", "2001:db8:2::/64"), List.of("up0"),
                name -> log.add("offloads " + name));
        assertThrows(IllegalStateException.class, d::apply);
        int nft = log.indexOf("nft -f -");
        assertEquals(List.of(
                "sysctl -qw net.ipv6.conf.all.forwarding=0",
                "sysctl -qw net.ipv4.ip_forward=0",
                "ip -6 rule del priority 100 not fwmark 0x5053 lookup 2048",
                "ip -4 rule del priority 100 not fwmark 0x5053 lookup 2048",
                "ip -6 route del 2001:db8:2::/64 dev psink0 table 2048",
                "ip -4 route del 192.0.2.64/26 dev psink0 table 2048",
                "ip link del psink0"), log.subList(nft + 1, log.size()));
        assertEquals("ifb", d.sinkKind());
        assertTrue(d.applied().isEmpty());
    }

    @Test
    void intoTunNeitherCreatesNorDeletesTheDevice() {
        List<String> log = new ArrayList<>();
        HostCommands rec = (cmd, stdin) -> {
            String c = String.join(" ", cmd);
            log.add(c);
            return new HostCommands.Result(0, c.startsWith("sysctl -n") ? "1" : "");
        };
        HostDivert d = HostDivert.intoTun(rec, "ptun0", List.of("192.0.2.64/26"), List.of("up0"));
        d.apply();
        assertEquals("tun", d.sinkKind());
        assertEquals(List.of(
                "ip link set ptun0 txqueuelen 20000",
                "ip link set ptun0 up",
                "ip -4 route add 192.0.2.64/26 dev ptun0 table 2048",
                "ip -4 rule add priority 100 not fwmark 0x5053 lookup 2048",
                "ip -6 rule add priority 100 not fwmark 0x5053 lookup 2048",
                "sysctl -n net.ipv4.ip_forward",
                "sysctl -n net.ipv6.conf.all.forwarding",
                "nft -f -"), log);
        log.clear();
        d.remove();
        assertEquals(List.of(
                "nft delete table inet poolsa",
                "ip -6 rule del priority 100 not fwmark 0x5053 lookup 2048",
                "ip -4 rule del priority 100 not fwmark 0x5053 lookup 2048",
                "ip -4 route del 192.0.2.64/26 dev ptun0 table 2048"), log);
    }

    /** Needs root: applies and removes the divert inside a fresh namespace and checks the kernel's state. */
    @Test
    void appliesAndRemovesInANamespace() {
        try (Netns ns = Netns.create("psa-divert")) {
            ns.exec("ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1");
            ns.exec("ip", "link", "set", "up0", "up");
            ns.exec("sysctl", "-qw", "net.ipv4.ip_forward=0");
            HostDivert d = new HostDivert(ns.commands(), "psink0", List.of("192.0.2.64/26", "2001:db8:2::/64"), List.of("up0"),
                    name -> { });
            d.apply();
            assertTrue(ns.exec("ip", "-4", "route", "show", "table", "2048").contains("192.0.2.64/26 dev psink0"));
            assertTrue(ns.exec("ip", "-6", "route", "show", "table", "2048").contains("2001:db8:2::/64 dev psink0"));
            assertTrue(ns.exec("ip", "-4", "rule").contains("100:\tnot from all fwmark 0x5053 lookup 2048"), ns.exec("ip", "rule"));
            assertEquals("1", ns.exec("sysctl", "-n", "net.ipv4.ip_forward"));
            String table = ns.exec("nft", "list", "table", "inet", HostDivert.NFT_TABLE);
            assertTrue(table.contains("esp"), table);
            d.remove();
            assertFalse(ns.tryExec("ip", "link", "show", "psink0").ok());
            assertEquals("0", ns.exec("sysctl", "-n", "net.ipv4.ip_forward"));
            assertFalse(ns.tryExec("nft", "list", "table", "inet", HostDivert.NFT_TABLE).ok());
            assertFalse(ns.exec("ip", "-4", "rule").contains("2048"));
            assertFalse(ns.exec("ip", "-6", "rule").contains("2048"));
            assertTrue(d.applied().isEmpty());
        }
    }
}
