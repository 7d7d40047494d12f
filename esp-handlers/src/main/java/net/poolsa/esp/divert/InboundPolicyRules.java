package net.poolsa.esp.divert;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.path.PathMonitor;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicy;

/**
 * The inbound SPD check for cleartext (RFC 4301 §5.2): what arrives on an uplink <em>not</em> as ESP/AH is
 * matched against the inbound policies in SPD order (RFC 4301 §4.4.1, {@code esp/spd}); BYPASS lets it through,
 * PROTECT drops it (it should have come inside an SA) and DISCARD drops it, each drop counted in a named
 * nftables counter. The host forwards such packets itself (poolsa never sees them), so the check is made by
 * nftables rules that {@link HostDivert} installs in its {@code inet poolsa} table and replaces in one
 * {@code nft -f} transaction when the policies change. Traffic that no inbound policy covers is not touched.
 *
 * <p>Two regular chains: {@value #POLICY_CHAIN} holds one rule per policy and family in SPD order, and is
 * jumped to from the forward hook and, through {@value #LOCAL_CHAIN}, from the input hook for uplink
 * interfaces only. {@value #LOCAL_CHAIN} first lets through what a gateway needs between its own outer
 * addresses even where a protected pool is its outer pool (the host case, paper §2.4): IKE to UDP 500/4500
 * (and the local ports of UDP-encapsulated SAs) and the path probes (ICMP/ICMPv6 echo with the identifier
 * {@link PathMonitor#ECHO_ID}) between the outer pools. ESP and AH are dropped earlier in the input hook after
 * libpcap has seen them. Decapsulated packets never match: poolsa re-injects them through its raw socket (they
 * are locally generated, then arrive on {@code lo} if they are for this host) or writes them into the TUN sink,
 * never through an uplink.
 *
 * <p>Ports: a policy with port ranges cannot match a non-first fragment, which carries none. For PROTECT and
 * DISCARD such a policy gets a second rule that drops the non-first fragments of its addresses and protocols
 * (RFC 4301 §7: the ports are unknown, so the fragment may belong to protected traffic); a BYPASS with ports
 * lets through only what it can check, so its non-first fragments fall to the next policy.
 */
public final class InboundPolicyRules {
    /** Counter of cleartext that an inbound PROTECT policy covers. */
    public static final String COUNTER_PROTECT = "inbound_cleartext";
    /** Counter of cleartext that an inbound DISCARD policy covers. */
    public static final String COUNTER_DISCARD = "inbound_discard";
    public static final String LOCAL_CHAIN = "inbound_local";
    public static final String POLICY_CHAIN = "inbound_policy";
    public static final String PROBE_REPLY_CHAIN = "probe_replies";
    /** IKE (RFC 7296 §2.23) and UDP-encapsulated ESP (RFC 3948) ports, always let through to this host. */
    public static final List<Integer> IKE_PORTS = List.of(500, 4500);
    private static final String PORT_PROTOCOLS = "{ 6, 17, 132, 136 }";

    public static final InboundPolicyRules NONE = new InboundPolicyRules(List.of(), List.of(), List.of());

    private final List<String> localRules;
    private final List<String> policyRules;
    private final List<String> replyRules;

    private InboundPolicyRules(List<String> localRules, List<String> policyRules, List<String> replyRules) {
        this.localRules = List.copyOf(localRules);
        this.policyRules = List.copyOf(policyRules);
        this.replyRules = List.copyOf(replyRules);
    }

    /**
     * The rules of the kernel's inbound policies, with the exemptions for this gateway's outer traffic: the outer
     * pools of its SAs plus the uplink addresses and monitored peers, and the UDP ports of its encapsulated SAs.
     */
    public static InboundPolicyRules from(IpsecKernel kernel, Collection<OuterAddress> localAddresses,
                                          Collection<OuterAddress> peers) {
        AddressPool.Builder local = AddressPool.builder();
        AddressPool.Builder remote = AddressPool.builder();
        localAddresses.forEach(a -> local.add(a.toString()));
        peers.forEach(a -> remote.add(a.toString()));
        SortedSet<Integer> ports = new TreeSet<>(IKE_PORTS);
        for (SecurityAssociation sa : kernel.listSas()) {
            local.addAll(sa.localOuter());
            remote.addAll(sa.remoteOuter());
            if (sa.direction() == Direction.INBOUND && sa.udpEncapsulation() != null) {
                ports.add(sa.udpEncapsulation().localPort());
            }
        }
        List<SecurityPolicy> inbound = new ArrayList<>();
        for (InstalledPolicy p : kernel.spd().ordered(Direction.INBOUND)) {
            inbound.add(p.policy());
        }
        return of(inbound, local.build(), remote.build(), ports);
    }

    /**
     * @param inbound     inbound policies in SPD order
     * @param localOuter  this gateway's outer addresses (destination of IKE and probes it must receive)
     * @param remoteOuter the peers' outer addresses (their source)
     * @param udpPorts    local UDP ports of IKE and encapsulated ESP
     */
    public static InboundPolicyRules of(List<SecurityPolicy> inbound, AddressPool localOuter, AddressPool remoteOuter,
                                        Collection<Integer> udpPorts) {
        if (inbound.isEmpty()) {
            return NONE;
        }
        List<String> local = new ArrayList<>();
        local.add("udp dport " + set(new TreeSet<>(udpPorts)) + " accept");
        if (localOuter.hasV4() && remoteOuter.hasV4()) {
            local.add("ip saddr " + set(elements(remoteOuter, false)) + " ip daddr " + set(elements(localOuter, false))
                    + " icmp type { echo-request, echo-reply } icmp id " + PathMonitor.ECHO_ID + " accept");
        }
        if (localOuter.hasV6() && remoteOuter.hasV6()) {
            local.add("ip6 saddr " + set(elements(remoteOuter, true)) + " ip6 daddr " + set(elements(localOuter, true))
                    + " icmpv6 type { echo-request, echo-reply } icmpv6 id " + PathMonitor.ECHO_ID + " accept");
        }
        local.add("jump " + POLICY_CHAIN);
        List<String> replies = new ArrayList<>();
        String mark = " meta mark set 0x" + Integer.toHexString(HostDivert.FWMARK);
        if (localOuter.hasV4() && remoteOuter.hasV4()) {
            replies.add("ip saddr " + set(elements(localOuter, false)) + " ip daddr " + set(elements(remoteOuter, false))
                    + " icmp type echo-reply icmp id " + PathMonitor.ECHO_ID + mark);
        }
        if (localOuter.hasV6() && remoteOuter.hasV6()) {
            replies.add("ip6 saddr " + set(elements(localOuter, true)) + " ip6 daddr " + set(elements(remoteOuter, true))
                    + " icmpv6 type echo-reply icmpv6 id " + PathMonitor.ECHO_ID + mark);
        }
        List<String> rules = new ArrayList<>();
        for (SecurityPolicy p : inbound) {
            if (p.direction() != Direction.INBOUND) {
                throw new IllegalArgumentException("policy " + p.id() + " is not inbound");
            }
            for (boolean v6 : new boolean[] {false, true}) {
                addRules(rules, p, v6);
            }
        }
        return new InboundPolicyRules(local, rules, replies);
    }

    private static void addRules(List<String> rules, SecurityPolicy p, boolean v6) {
        TrafficSelector ts = p.selector();
        List<String> src = elements(ts.source(), v6);
        List<String> dst = elements(ts.destination(), v6);
        if (src.isEmpty() || dst.isEmpty()) {
            return;
        }
        String ip = v6 ? "ip6" : "ip";
        String addresses = ip + " saddr " + set(src) + " " + ip + " daddr " + set(dst);
        String verdict = switch (p.action()) {
            case BYPASS -> "accept";
            case PROTECT -> "counter name \"" + COUNTER_PROTECT + "\" drop";
            case DISCARD -> "counter name \"" + COUNTER_DISCARD + "\" drop";
        };
        String id = p.id().replaceAll("[^A-Za-z0-9_./:-]", "_");
        String comment = " comment \"" + (id.length() > 100 ? id.substring(0, 100) : id) + "\"";
        int proto = ts.ipProtocol();
        if (ts.sourcePorts().isAny() && ts.destinationPorts().isAny()) {
            rules.add(addresses + (proto == TrafficSelector.ANY_PROTOCOL ? "" : " meta l4proto " + proto) + " " + verdict + comment);
            return;
        }
        if (proto != TrafficSelector.ANY_PROTOCOL && !TrafficSelector.hasPorts(proto)) {
            return; // ports on a protocol without ports: the policy matches nothing (TrafficSelector)
        }
        String protocols = "meta l4proto " + (proto == TrafficSelector.ANY_PROTOCOL ? PORT_PROTOCOLS : Integer.toString(proto));
        rules.add(addresses + " " + protocols + ports("sport", ts.sourcePorts()) + ports("dport", ts.destinationPorts())
                + " " + verdict + comment);
        if (p.action() != PolicyAction.BYPASS) {
            String nonFirstFragment = v6 ? "frag frag-off != 0 " : "ip frag-off & 0x1fff != 0 ";
            rules.add(nonFirstFragment + addresses + " " + protocols + " " + verdict + comment);
        }
    }

    private static String ports(String field, PortRange r) {
        if (r.isAny()) {
            return "";
        }
        return " th " + field + " " + (r.from() == r.to() ? Integer.toString(r.from()) : r.from() + "-" + r.to());
    }

    /** The pool's addresses of one family as nftables set elements: prefixes where a range is one, else ranges. */
    static List<String> elements(AddressPool pool, boolean v6) {
        List<String> out = new ArrayList<>();
        for (AddressPool.Range r : pool.ranges()) {
            if ((r.first() instanceof java.net.Inet6Address) != v6) {
                continue;
            }
            List<AddressPool.Prefix> asPrefixes = AddressPool.parse(r.toString()).prefixes();
            out.add(asPrefixes.size() == 1 ? asPrefixes.get(0).toString() : r.toString());
        }
        return out;
    }

    private static String set(Collection<?> elements) {
        StringBuilder b = new StringBuilder("{ ");
        boolean first = true;
        for (Object e : elements) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(e);
        }
        return b.append(" }").toString();
    }

    /** Rules of {@value #LOCAL_CHAIN}: the exemptions for this host's outer traffic, then the jump to the policies. */
    public List<String> localRules() {
        return localRules;
    }

    /** Rules of {@value #POLICY_CHAIN}, in SPD order. */
    public List<String> policyRules() {
        return policyRules;
    }

    /** Rules of {@value #PROBE_REPLY_CHAIN}: the host's echo replies to the peers' probes, marked. */
    public List<String> replyRules() {
        return replyRules;
    }

    /** The three chains with their rules, as nft declarations inside a {@code table} block. */
    String chains() {
        StringBuilder s = new StringBuilder();
        s.append("  chain ").append(LOCAL_CHAIN).append(" {\n");
        localRules.forEach(r -> s.append("    ").append(r).append('\n'));
        s.append("  }\n  chain ").append(POLICY_CHAIN).append(" {\n");
        policyRules.forEach(r -> s.append("    ").append(r).append('\n'));
        s.append("  }\n  chain ").append(PROBE_REPLY_CHAIN).append(" {\n");
        replyRules.forEach(r -> s.append("    ").append(r).append('\n'));
        return s.append("  }\n").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InboundPolicyRules r && r.localRules.equals(localRules) && r.policyRules.equals(policyRules)
                && r.replyRules.equals(replyRules);
    }

    @Override
    public int hashCode() {
        return Objects.hash(localRules, policyRules, replyRules);
    }

    @Override
    public String toString() {
        return policyRules.size() + " inbound policy rules";
    }
}
