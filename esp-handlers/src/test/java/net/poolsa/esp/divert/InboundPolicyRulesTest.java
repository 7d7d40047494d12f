package net.poolsa.esp.divert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;

import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.Test;

/** The nftables rules made from inbound policies: one per policy and family, in the SPD's order (RFC 4301 §4.4.1). */
class InboundPolicyRulesTest {
    private static final AddressPool LOCAL = AddressPool.parse("192.0.2.0/25", "2001:db8:1::/64");
    private static final AddressPool REMOTE = AddressPool.parse("192.0.2.128/25", "2001:db8:2::/64");

    private static SecurityPolicy in(String id, PolicyAction action, TrafficSelector ts) {
        return new SecurityPolicy(id, Direction.INBOUND, 1000, ts, action, action == PolicyAction.PROTECT ? 1 : 0);
    }

    @Test
    void aProtectPolicyDropsAndCountsCleartextOfBothFamilies() {
        InboundPolicyRules r = InboundPolicyRules.of(List.of(in("c/in", PolicyAction.PROTECT, TrafficSelector.between(REMOTE, LOCAL))),
                AddressPool.parse("198.51.100.1/32", "203.0.113.1/32"), AddressPool.parse("198.51.100.2/32", "203.0.113.2/32"),
                List.of(4500, 500));
        assertEquals(List.of(
                "ip saddr { 192.0.2.128/25 } ip daddr { 192.0.2.0/25 } counter name \"inbound_cleartext\" drop comment \"c/in\"",
                "ip6 saddr { 2001:db8:2::/64 } ip6 daddr { 2001:db8:1::/64 } counter name \"inbound_cleartext\" drop comment \"c/in\""),
                r.policyRules());
        assertEquals(List.of(
                "udp dport { 500, 4500 } accept",
                "ip saddr { 198.51.100.2/32, 203.0.113.2/32 } ip daddr { 198.51.100.1/32, 203.0.113.1/32 }"
                        + " icmp type { echo-request, echo-reply } icmp id 20563 accept",
                "jump inbound_policy"), r.localRules());
        // The other way: the host's echo replies to the peer's probes get poolsa's mark, so they are not diverted.
        assertEquals(List.of("ip saddr { 198.51.100.1/32, 203.0.113.1/32 } ip daddr { 198.51.100.2/32, 203.0.113.2/32 }"
                + " icmp type echo-reply icmp id 20563 meta mark set 0x5053"), r.replyRules());
    }

    /** The SPD, not the order of installation, decides: the narrower BYPASS goes first, the DISCARD of another pair last. */
    @Test
    void rulesFollowTheSpdOrder() {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        k.addPolicy(in("protect", PolicyAction.PROTECT, TrafficSelector.between(AddressPool.parse("192.0.2.128/25"),
                AddressPool.parse("192.0.2.0/25"))));
        k.addPolicy(in("discard", PolicyAction.DISCARD, TrafficSelector.between(AddressPool.parse("198.51.100.0/24"),
                AddressPool.parse("192.0.2.0/24"))));
        k.addPolicy(in("dns", PolicyAction.BYPASS, new TrafficSelector(AddressPool.parse("192.0.2.130/32"),
                AddressPool.parse("192.0.2.10/32"), 17, PortRange.ANY, PortRange.of(5353))));
        k.addPolicy(SecurityPolicy.protect("outbound", TrafficSelector.between(LOCAL, REMOTE), 1));
        InboundPolicyRules r = InboundPolicyRules.from(k, List.of(OuterAddress.parse("198.51.100.1")),
                List.of(OuterAddress.parse("198.51.100.2")));
        assertEquals(List.of(
                "ip saddr { 192.0.2.130/32 } ip daddr { 192.0.2.10/32 } meta l4proto 17 th dport 5353 accept comment \"dns\"",
                "ip saddr { 192.0.2.128/25 } ip daddr { 192.0.2.0/25 } counter name \"inbound_cleartext\" drop comment \"protect\"",
                "ip saddr { 198.51.100.0/24 } ip daddr { 192.0.2.0/24 } counter name \"inbound_discard\" drop comment \"discard\""),
                r.policyRules());
    }

    /**
     * A non-first fragment has no ports: PROTECT and DISCARD with ports also drop those of their addresses and
     * protocol; a BYPASS with ports does not let them through. Ports on a protocol without ports match nothing.
     */
    @Test
    void portsAndFragments() {
        TrafficSelector ssh = new TrafficSelector(REMOTE, LOCAL, 6, PortRange.ANY, PortRange.of(22));
        TrafficSelector anyPorted = new TrafficSelector(AddressPool.parse("2001:db8:2::7", "192.0.2.200-192.0.2.210"),
                AddressPool.parse("192.0.2.10/32"), 0, PortRange.parse("1024-65535"), PortRange.ANY);
        TrafficSelector icmpWithPorts = new TrafficSelector(REMOTE, LOCAL, 1, PortRange.of(8), PortRange.ANY);
        InboundPolicyRules r = InboundPolicyRules.of(List.of(in("ssh", PolicyAction.DISCARD, ssh),
                        in("high", PolicyAction.BYPASS, anyPorted), in("icmp", PolicyAction.PROTECT, icmpWithPorts)),
                LOCAL, REMOTE, List.of(500));
        assertEquals(List.of(
                "ip saddr { 192.0.2.128/25 } ip daddr { 192.0.2.0/25 } meta l4proto 6 th dport 22 counter name \"inbound_discard\" drop comment \"ssh\"",
                "ip frag-off & 0x1fff != 0 ip saddr { 192.0.2.128/25 } ip daddr { 192.0.2.0/25 } meta l4proto 6 counter name \"inbound_discard\" drop comment \"ssh\"",
                "ip6 saddr { 2001:db8:2::/64 } ip6 daddr { 2001:db8:1::/64 } meta l4proto 6 th dport 22 counter name \"inbound_discard\" drop comment \"ssh\"",
                "frag frag-off != 0 ip6 saddr { 2001:db8:2::/64 } ip6 daddr { 2001:db8:1::/64 } meta l4proto 6 counter name \"inbound_discard\" drop comment \"ssh\"",
                "ip saddr { 192.0.2.200-192.0.2.210 } ip daddr { 192.0.2.10/32 } meta l4proto { 6, 17, 132, 136 } th sport 1024-65535 accept comment \"high\""),
                r.policyRules());
    }

    @Test
    void withoutInboundPoliciesThereAreNoRules() {
        assertSame(InboundPolicyRules.NONE, InboundPolicyRules.of(List.of(), LOCAL, REMOTE, List.of(500)));
        assertEquals(List.of(), InboundPolicyRules.NONE.policyRules());
        assertEquals(List.of(), InboundPolicyRules.NONE.localRules());
        assertEquals(List.of(), InboundPolicyRules.NONE.replyRules());
    }
}
