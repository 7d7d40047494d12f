package net.poolsa.esp.divert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.netns.Netns;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicy;
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
                "ip -d link show dev ptun0",
                "ip -4 rule show",
                "ip -4 route show table 2048",
                "ip -6 rule show",
                "ip -6 route show table 2048",
                "nft list table inet poolsa",
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

    private static HostCommands recorder(List<String> log, List<String> stdins) {
        return (cmd, stdin) -> {
            String c = String.join(" ", cmd);
            log.add(c);
            if (stdin != null) {
                stdins.add(stdin);
            }
            if (c.contains("route add 198.51.100.128/25")) {
                return new HostCommands.Result(2, "Error: Nexthop device is not up.");
            }
            return new HostCommands.Result(0, c.startsWith("sysctl -n") ? "1" : "");
        };
    }

    private static InboundPolicyRules protect(String remote, String local) {
        return InboundPolicyRules.of(List.of(new SecurityPolicy("c/in", Direction.INBOUND, 1000,
                TrafficSelector.between(AddressPool.parse(remote), AddressPool.parse(local)), PolicyAction.PROTECT, 1)),
                AddressPool.parse("198.51.100.1/32"), AddressPool.parse("198.51.100.2/32"), List.of(500, 4500));
    }

    /** A reload's routes: new ones first, then the old ones go; a route the kernel refuses takes this call's additions back. */
    @Test
    void routesChangeInPlaceAndAFailedAdditionIsTakenBack() {
        List<String> log = new ArrayList<>();
        HostDivert d = new HostDivert(recorder(log, new ArrayList<>()), "psink0", List.of("192.0.2.64/26", "2001:db8:2::/64"),
                List.of("up0"), name -> { });
        d.apply();
        log.clear();
        d.routes(List.of("2001:db8:2::/64", "203.0.113.0/24"));
        assertEquals(List.of("ip -4 route add 203.0.113.0/24 dev psink0 table 2048",
                "ip -4 route del 192.0.2.64/26 dev psink0 table 2048"), log);
        log.clear();
        assertThrows(IllegalStateException.class, () -> d.routes(List.of("2001:db8:2::/64", "203.0.113.0/24",
                "192.0.2.0/26", "198.51.100.128/25")));
        assertEquals(List.of("ip -4 route add 192.0.2.0/26 dev psink0 table 2048",
                "ip -4 route add 198.51.100.128/25 dev psink0 table 2048",
                "ip -4 route del 192.0.2.0/26 dev psink0 table 2048"), log);
        assertTrue(d.applied().containsAll(List.of("route 2001:db8:2::/64 dev psink0 table 2048",
                "route 203.0.113.0/24 dev psink0 table 2048")), d.applied().toString());
        log.clear();
        d.remove();
        assertEquals(List.of("nft delete table inet poolsa",
                "ip -6 rule del priority 100 not fwmark 0x5053 lookup 2048",
                "ip -4 rule del priority 100 not fwmark 0x5053 lookup 2048",
                "ip -4 route del 203.0.113.0/24 dev psink0 table 2048",
                "ip -6 route del 2001:db8:2::/64 dev psink0 table 2048",
                "ip link del psink0"), log);
    }

    /** The rules given before apply() are part of the table; later ones replace the two chains in one nft transaction. */
    @Test
    void inboundPolicyIsPartOfTheTableAndChangesInOneTransaction() {
        List<String> log = new ArrayList<>();
        List<String> scripts = new ArrayList<>();
        HostDivert d = new HostDivert(recorder(log, scripts), "psink0", List.of("192.0.2.64/26"), List.of("up0", "up1"),
                name -> { });
        d.inboundPolicy(protect("192.0.2.64/26", "192.0.2.0/26"));
        d.apply();
        assertEquals(1, scripts.size());
        String table = scripts.get(0);
        assertTrue(table.contains("counter inbound_cleartext {"), table);
        assertTrue(table.contains("iifname { \"up0\", \"up1\" } jump inbound_local"), table);
        assertTrue(table.contains("type route hook output priority -150; policy accept;\n    jump probe_replies"), table);
        assertTrue(table.contains("type filter hook forward priority -150; policy accept;\n"
                + "    iifname { \"up0\", \"up1\" } jump inbound_policy"), table);
        assertTrue(table.contains("ip saddr { 192.0.2.64/26 } ip daddr { 192.0.2.0/26 } counter name \"inbound_cleartext\" drop"),
                table);
        d.inboundPolicy(protect("192.0.2.64/26", "192.0.2.0/26")); // the same rules: nothing to do
        assertEquals(1, scripts.size());
        d.inboundPolicy(protect("203.0.113.0/24", "192.0.2.0/26"));
        assertEquals(2, scripts.size());
        String update = scripts.get(1);
        assertTrue(update.startsWith("flush chain inet poolsa inbound_local\nflush chain inet poolsa inbound_policy\n"
                + "flush chain inet poolsa probe_replies\ntable inet poolsa {\n  chain inbound_local {\n"), update);
        assertTrue(update.contains("ip saddr { 203.0.113.0/24 }"), update);
        assertFalse(update.contains("192.0.2.64/26"), update);
        assertEquals("nft -f -", log.get(log.size() - 1));
    }

    /**
     * Needs root: an instance killed without its orderly stop leaves its sink, rules, routes and nftables table behind;
     * the next start clears them and applies its own (systemd's Restart=on-failure after a crash), and an orderly stop
     * then leaves nothing.
     */
    @Test
    void aStartAfterACrashClearsTheStaleDiversion() {
        try (Netns ns = Netns.create("psa-divert-stale")) {
            ns.exec("ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1");
            HostDivert crashed = new HostDivert(ns.commands(), "psink0", List.of("192.0.2.64/26", "2001:db8:2::/64"),
                    List.of("up0"), name -> { });
            crashed.apply(); // never removed: the process "died"
            HostDivert next = new HostDivert(ns.commands(), "psink0", List.of("192.0.2.128/26"), List.of("up0"), name -> { });
            next.apply();
            String v4 = ns.exec("ip", "-4", "route", "show", "table", "2048");
            assertTrue(v4.contains("192.0.2.128/26 dev psink0") && !v4.contains("192.0.2.64/26"), v4);
            assertEquals("", ns.exec("ip", "-6", "route", "show", "table", "2048").strip());
            assertEquals(1, ns.exec("ip", "-4", "rule").lines().filter(l -> l.contains("lookup 2048")).count(), ns.exec("ip", "-4", "rule"));
            assertEquals(1, ns.exec("ip", "-6", "rule").lines().filter(l -> l.contains("lookup 2048")).count(), ns.exec("ip", "-6", "rule"));
            next.remove();
            assertFalse(ns.tryExec("ip", "link", "show", "psink0").ok());
            assertFalse(ns.exec("ip", "-4", "rule").contains("2048"));
            assertFalse(ns.exec("ip", "-6", "rule").contains("2048"));
            assertFalse(ns.tryExec("nft", "list", "table", "inet", HostDivert.NFT_TABLE).ok());
        }
    }

    /** Needs root: a sink name that an interface of another kind holds is the operator's: refused by name, not deleted. */
    @Test
    void aSinkNameHeldByAnotherKindOfInterfaceIsRefused() {
        try (Netns ns = Netns.create("psa-divert-taken")) {
            ns.exec("ip", "link", "add", "psink0", "type", "veth", "peer", "name", "other0");
            HostDivert d = new HostDivert(ns.commands(), "psink0", List.of("192.0.2.64/26"), List.of("other0"), name -> { });
            IllegalStateException e = assertThrows(IllegalStateException.class, d::apply);
            assertTrue(e.getMessage().contains("psink0 already exists and is a veth"), e.getMessage());
            assertTrue(ns.tryExec("ip", "link", "show", "psink0").ok(), "the operator's interface is still there");
        }
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
            // Every kind of rule the policies make, as the kernel takes them, replaced in place.
            TrafficSelector ssh = new TrafficSelector(AddressPool.parse("192.0.2.64/26", "2001:db8:2::/64"),
                    AddressPool.parse("192.0.2.0/26", "2001:db8:1::/64"), 6, PortRange.ANY, PortRange.of(22));
            TrafficSelector high = new TrafficSelector(AddressPool.parse("192.0.2.70-192.0.2.80"), AddressPool.parse("192.0.2.1"),
                    0, PortRange.parse("1024-65535"), PortRange.ANY);
            d.inboundPolicy(InboundPolicyRules.of(List.of(
                    new SecurityPolicy("ssh", Direction.INBOUND, 1000, ssh, PolicyAction.DISCARD, 0),
                    new SecurityPolicy("high", Direction.INBOUND, 1000, high, PolicyAction.BYPASS, 0),
                    new SecurityPolicy("c/in", Direction.INBOUND, 1000, TrafficSelector.between(AddressPool.parse("192.0.2.64/26",
                            "2001:db8:2::/64"), AddressPool.parse("192.0.2.0/26", "2001:db8:1::/64")), PolicyAction.PROTECT, 1)),
                    AddressPool.parse("198.51.100.1", "2001:db8:a::1"), AddressPool.parse("198.51.100.2", "2001:db8:a::2"),
                    List.of(500, 4500)));
            String rules = ns.exec("nft", "list", "chain", "inet", HostDivert.NFT_TABLE, InboundPolicyRules.POLICY_CHAIN);
            assertEquals(7, rules.lines().filter(l -> l.contains("comment")).count(), rules); // ssh 2 + 2 fragments, high 1, c/in 2
            assertTrue(ns.exec("nft", "list", "chain", "inet", HostDivert.NFT_TABLE, InboundPolicyRules.LOCAL_CHAIN)
                    .contains("icmpv6 id 20563"));
            String replies = ns.exec("nft", "list", "chain", "inet", HostDivert.NFT_TABLE, InboundPolicyRules.PROBE_REPLY_CHAIN);
            assertTrue(replies.contains("icmp type echo-reply icmp id 20563 meta mark set 0x00005053"), replies);
            assertEquals(new HostDivert.InboundDrops(0, 0), d.inboundDrops());
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
