package net.poolsa.esp.divert;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Diverts traffic on a Linux router to the userspace data path, and puts everything back afterwards.
 * Every change is recorded with the command that undoes it; {@link #remove()} undoes them in reverse
 * order, and a failing {@link #apply()} undoes what it had done before rethrowing. docs/host-changes.md
 * lists the exact commands.
 *
 * <ol>
 * <li>a sink interface, {@code dummy} where the kernel has it, else {@code ifb}: routes to the protected
 *     remote pools point into it, so the kernel forwards cleartext there, where libpcap captures it and it
 *     goes nowhere else. The routes live in table {@link #ROUTE_TABLE}, consulted before the main table by
 *     every packet that does not carry poolsa's mark {@link #FWMARK}: what poolsa sends itself (ESP,
 *     decapsulated packets) is routed normally even when an outer address lies in a protected pool, as on
 *     a multihomed host whose own addresses are both its outer pool and its inner selector;</li>
 * <li>TX checksum offload off on the sink ({@link Offloads}), so captured TCP/UDP carry complete checksums;</li>
 * <li>IPv4/IPv6 forwarding on (old values restored);</li>
 * <li>an nftables table {@code inet poolsa} that drops inbound ESP, AH and UDP/4500 ESP (non-zero marker,
 *     RFC 3948 §2.2) on the uplinks after libpcap has seen them: this kernel has no ESP state, and without
 *     the drop it would answer every packet with ICMP "protocol unreachable". IKE on UDP/4500 (zero
 *     marker) and UDP/500 are not touched. The same table checks cleartext arriving on the uplinks against
 *     the inbound policies ({@link InboundPolicyRules}, RFC 4301 §5.2), for this host and for forwarding,
 *     and counts what it drops.</li>
 * </ol>
 * Decapsulated packets are re-injected through the raw socket and routed by the kernel; nothing else changes.
 * A reload changes the routes ({@link #routes}) and the inbound-policy rules ({@link #inboundPolicy}) in place.
 */
public final class HostDivert {
    public static final String NFT_TABLE = "poolsa";
    /** Routing table holding the routes into the sink. */
    public static final int ROUTE_TABLE = 2048;
    /** Firewall mark of everything poolsa sends itself: such packets skip {@link #ROUTE_TABLE}. */
    public static final int FWMARK = 0x5053;
    /** Queue of a TUN sink in packets (about the 32 MB of a capture ring, in 1500-byte packets). */
    public static final int TUN_QUEUE_PACKETS = 20000;
    /** Priority of the policy-routing rule, before the main table (32766). */
    public static final int RULE_PRIORITY = 100;
    private static final Logger LOG = LoggerFactory.getLogger(HostDivert.class);

    private static final Pattern COUNTER = Pattern.compile("counter (\\S+) \\{\\s*packets (\\d+) bytes (\\d+)");

    private final HostCommands host;
    private final String sink;
    private final List<String> protectedPrefixes;
    private final List<String> uplinks;
    private final java.util.function.Consumer<String> offloads;
    private final boolean tunSink;
    /** Each entry undoes one change, adding what failed to the list it is given. */
    private final Deque<java.util.function.Consumer<List<String>>> undo = new ArrayDeque<>();
    private final List<String> applied = new ArrayList<>();
    /** Prefixes routed into the sink now, in the order added. */
    private final Set<String> routes = new LinkedHashSet<>();
    private int routesAt = -1; // where the routes go in applied(), -1 before they are set up
    private InboundPolicyRules inbound = InboundPolicyRules.NONE;
    private boolean tableCreated;
    private String sinkKind;

    /** Packets the inbound-policy rules dropped since the table was created (its named counters). */
    public record InboundDrops(long protectedCleartext, long discarded) {
        public static final InboundDrops NONE = new InboundDrops(0, 0);
    }

    /**
     * @param sink              name of the sink interface to create (must not exist)
     * @param protectedPrefixes remote protected pools as CIDR prefixes ("192.0.2.64/26", "2001:db8:2::/64")
     * @param uplinks           interfaces on which inbound ESP arrives
     */
    public HostDivert(HostCommands host, String sink, List<String> protectedPrefixes, List<String> uplinks) {
        this(host, sink, protectedPrefixes, uplinks, Offloads::disableTxChecksum);
    }

    /** @param offloads turns off TX checksum offload on the new sink (see {@link Offloads}); replaceable in tests */
    public HostDivert(HostCommands host, String sink, List<String> protectedPrefixes, List<String> uplinks,
                      java.util.function.Consumer<String> offloads) {
        this(host, sink, protectedPrefixes, uplinks, offloads, false);
    }

    /**
     * Diverts into a TUN device the data plane has already created ({@code net.poolsa.esp.emit.TunDevice}):
     * no sink is created or deleted, and no offloads are touched (a TUN device without offloads receives
     * complete checksums and segmented packets); the rest is as for a capture sink. The device and its
     * routes disappear when the data plane closes its descriptor.
     */
    public static HostDivert intoTun(HostCommands host, String tun, List<String> protectedPrefixes, List<String> uplinks) {
        return new HostDivert(host, tun, protectedPrefixes, uplinks, name -> { }, true);
    }

    private HostDivert(HostCommands host, String sink, List<String> protectedPrefixes, List<String> uplinks,
                       java.util.function.Consumer<String> offloads, boolean tunSink) {
        this.tunSink = tunSink;
        this.offloads = Objects.requireNonNull(offloads);
        this.host = Objects.requireNonNull(host);
        this.sink = Objects.requireNonNull(sink);
        this.protectedPrefixes = new ArrayList<>(protectedPrefixes);
        this.uplinks = List.copyOf(uplinks);
        if (!sink.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("'" + sink + "' is not a valid interface name");
        }
        for (String u : uplinks) {
            if (!u.matches("[A-Za-z0-9_.-]{1,15}")) {
                throw new IllegalArgumentException("'" + u + "' is not a valid interface name");
            }
        }
    }

    /** "dummy", "ifb" or "tun" once applied. */
    public String sinkKind() {
        return sinkKind;
    }

    /** Human-readable list of the changes in force (for status output and logs). */
    public synchronized List<String> applied() {
        List<String> out = new ArrayList<>(applied);
        if (routesAt >= 0) {
            String table = Integer.toString(ROUTE_TABLE);
            out.addAll(routesAt, routes.stream().map(p -> "route " + p + " dev " + sink + " table " + table).toList());
        }
        if (tableCreated) {
            out.add("nftables table inet " + NFT_TABLE + ": " + inbound);
        }
        return out;
    }

    /** Applies every change; on failure undoes the ones made and throws. */
    public synchronized void apply() {
        if (!undo.isEmpty()) {
            throw new IllegalStateException("divert already applied");
        }
        try {
            clearStale();
            if (tunSink) {
                sinkKind = "tun";
                applied.add("link " + sink + " type tun (opened by the data plane)");
                // A TUN device queues only 500 packets for its reader by default: a burst that the event loop
                // cannot take at once would be lost (TCP then halves its window), where a capture ring holds
                // 32 MB. Removed with the device.
                change(List.of("ip", "link", "set", sink, "txqueuelen", Integer.toString(TUN_QUEUE_PACKETS)), null,
                        "sink " + sink + " txqueuelen " + TUN_QUEUE_PACKETS);
            } else {
                createSink();
                offloads.accept(sink);
                applied.add("sink " + sink + " tx-checksumming and scatter-gather off");
            }
            change(List.of("ip", "link", "set", sink, "up"), null, "sink " + sink + " up");
            String table = Integer.toString(ROUTE_TABLE);
            String mark = "0x" + Integer.toHexString(FWMARK);
            String prio = Integer.toString(RULE_PRIORITY);
            routesAt = applied.size();
            undo.push(this::removeAllRoutes);
            for (String prefix : protectedPrefixes) {
                addRoute(prefix);
            }
            for (String family : new String[] {"-4", "-6"}) {
                change(List.of("ip", family, "rule", "add", "priority", prio, "not", "fwmark", mark, "lookup", table),
                        List.of("ip", family, "rule", "del", "priority", prio, "not", "fwmark", mark, "lookup", table),
                        "rule " + family + " priority " + prio + " not fwmark " + mark + " lookup " + table);
            }
            sysctl("net.ipv4.ip_forward", "1");
            sysctl("net.ipv6.conf.all.forwarding", "1");
            nftables();
        } catch (RuntimeException e) {
            LOG.warn("divert failed, rolling back: {}", e.getMessage());
            remove();
            throw e;
        }
    }

    /** Undoes every recorded change in reverse order; continues past failures and reports them at the end. */
    public synchronized void remove() {
        List<String> failures = new ArrayList<>();
        while (!undo.isEmpty()) {
            undo.pop().accept(failures);
        }
        applied.clear();
        routesAt = -1;
        tableCreated = false;
        if (!failures.isEmpty()) {
            LOG.warn("divert removal: {}", failures);
        }
    }

    /**
     * Makes the routes into the sink those of {@code prefixes} (a reload added or removed remote pools): new
     * routes first, then the ones no longer wanted go. Before {@link #apply()} it only replaces the list applied.
     *
     * @throws IllegalStateException when a route cannot be added; the routes added by this call are removed again
     */
    public synchronized void routes(List<String> prefixes) {
        Set<String> want = new LinkedHashSet<>(prefixes);
        if (routesAt < 0) {
            protectedPrefixes.clear();
            protectedPrefixes.addAll(want);
            return;
        }
        List<String> added = new ArrayList<>();
        try {
            for (String p : want) {
                if (!routes.contains(p)) {
                    addRoute(p);
                    added.add(p);
                }
            }
        } catch (RuntimeException e) {
            List<String> failures = new ArrayList<>();
            for (String p : added) {
                deleteRoute(p, failures);
            }
            throw e;
        }
        List<String> failures = new ArrayList<>();
        for (String p : List.copyOf(routes)) {
            if (!want.contains(p)) {
                deleteRoute(p, failures);
            }
        }
        if (!failures.isEmpty()) {
            LOG.warn("route removal: {}", failures);
        }
    }

    /**
     * Replaces the inbound-policy rules. Once the table exists this is one {@code nft -f} transaction that
     * flushes and refills the policy chains (and the probe-reply chain): the kernel applies all of it or none of it, and the named
     * counters keep counting. Before {@link #apply()} the rules are kept for it.
     *
     * @throws IllegalStateException when nft refuses the rules (the old ones stay in force)
     */
    public synchronized void inboundPolicy(InboundPolicyRules rules) {
        Objects.requireNonNull(rules);
        if (tableCreated && !rules.equals(inbound)) {
            String t = "inet " + NFT_TABLE + " ";
            String script = "flush chain " + t + InboundPolicyRules.LOCAL_CHAIN + "\n"
                    + "flush chain " + t + InboundPolicyRules.POLICY_CHAIN + "\n"
                    + "flush chain " + t + InboundPolicyRules.PROBE_REPLY_CHAIN + "\n"
                    + "table inet " + NFT_TABLE + " {\n" + rules.chains() + "}\n";
            check(host.run(List.of("nft", "-f", "-"), script), "nft -f - (inbound policy of table inet " + NFT_TABLE + ")");
        }
        inbound = rules;
    }

    /** The inbound-policy rules in force, or to be applied. */
    public synchronized InboundPolicyRules inboundPolicy() {
        return inbound;
    }

    /**
     * Reads the named counters of the inbound-policy rules ({@code nft list counters}); a blocking child process,
     * so never on the event loop. {@link InboundDrops#NONE} before the table exists.
     *
     * @throws IllegalStateException when nft cannot list them
     */
    public synchronized InboundDrops inboundDrops() {
        if (!tableCreated) {
            return InboundDrops.NONE;
        }
        HostCommands.Result r = host.run(List.of("nft", "list", "counters", "table", "inet", NFT_TABLE));
        check(r, "nft list counters table inet " + NFT_TABLE);
        long cleartext = 0;
        long discarded = 0;
        Matcher m = COUNTER.matcher(r.output());
        while (m.find()) {
            long packets = Long.parseLong(m.group(2));
            if (m.group(1).equals(InboundPolicyRules.COUNTER_PROTECT)) {
                cleartext = packets;
            } else if (m.group(1).equals(InboundPolicyRules.COUNTER_DISCARD)) {
                discarded = packets;
            }
        }
        return new InboundDrops(cleartext, discarded);
    }

    private void addRoute(String prefix) {
        String family = prefix.indexOf(':') >= 0 ? "-6" : "-4";
        check(host.run(List.of("ip", family, "route", "add", prefix, "dev", sink, "table", Integer.toString(ROUTE_TABLE))),
                "ip " + family + " route add " + prefix + " dev " + sink + " table " + ROUTE_TABLE);
        routes.add(prefix);
    }

    private void deleteRoute(String prefix, List<String> failures) {
        String family = prefix.indexOf(':') >= 0 ? "-6" : "-4";
        List<String> c = List.of("ip", family, "route", "del", prefix, "dev", sink, "table", Integer.toString(ROUTE_TABLE));
        HostCommands.Result r = host.run(c);
        if (!r.ok()) {
            failures.add(String.join(" ", c) + ": " + r.output());
        }
        routes.remove(prefix);
    }

    private void removeAllRoutes(List<String> failures) {
        List<String> newestFirst = new ArrayList<>(routes);
        java.util.Collections.reverse(newestFirst);
        for (String p : newestFirst) {
            deleteRoute(p, failures);
        }
    }

    /**
     * Removes what an instance that died without its orderly stop (kill -9, a crash, power loss under systemd's
     * {@code Restart=on-failure}) left behind: its sink, the policy rules, table {@link #ROUTE_TABLE}'s routes and
     * the nftables table. All of them are poolsa's by name and number, and only one instance runs per host (the
     * control socket and state directory locks are taken before the data path starts). A sink name held by an
     * interface of another type is the operator's: refused with its name, never deleted. The forwarding sysctls a
     * crashed instance changed cannot be told from the operator's own setting, so they are left as found.
     */
    private void clearStale() {
        List<String> cleared = new ArrayList<>();
        HostCommands.Result link = host.run(List.of("ip", "-d", "link", "show", "dev", sink));
        if (link.ok() && !link.output().isBlank()) {
            String kind = linkKind(link.output());
            if (tunSink ? !"tun".equals(kind) : !"dummy".equals(kind) && !"ifb".equals(kind)) {
                throw new IllegalStateException("interface " + sink + " already exists and is a " + (kind == null ? "device" : kind)
                        + ", not a sink poolsa left behind: choose another data-path.sink.interface or remove it");
            }
            if (!tunSink) {
                check(host.run(List.of("ip", "link", "del", sink)), "ip link del " + sink + " (left by an earlier instance)");
                cleared.add("link " + sink);
            }
        }
        String table = Integer.toString(ROUTE_TABLE);
        String mark = "0x" + Integer.toHexString(FWMARK);
        String prio = Integer.toString(RULE_PRIORITY);
        for (String family : new String[] {"-4", "-6"}) {
            HostCommands.Result rules = host.run(List.of("ip", family, "rule", "show"));
            for (String line : rules.ok() ? rules.output().split("\n") : new String[0]) {
                if (line.startsWith(prio + ":") && line.contains("lookup " + table)) {
                    check(host.run(List.of("ip", family, "rule", "del", "priority", prio, "not", "fwmark", mark, "lookup", table)),
                            "ip " + family + " rule del priority " + prio + " (left by an earlier instance)");
                    cleared.add("rule " + family + " priority " + prio);
                }
            }
            HostCommands.Result routes = host.run(List.of("ip", family, "route", "show", "table", table));
            if (routes.ok() && !routes.output().isBlank()) {
                check(host.run(List.of("ip", family, "route", "flush", "table", table)), "ip " + family + " route flush table " + table);
                cleared.add("routes " + family + " table " + table);
            }
        }
        HostCommands.Result nft = host.run(List.of("nft", "list", "table", "inet", NFT_TABLE));
        if (nft.ok() && !nft.output().isBlank()) {
            check(host.run(List.of("nft", "delete", "table", "inet", NFT_TABLE)), "nft delete table inet " + NFT_TABLE);
            cleared.add("nftables table inet " + NFT_TABLE);
        }
        if (!cleared.isEmpty()) {
            LOG.warn("event=stale_diversion_removed reason=\"an earlier instance did not stop in order\" removed=\"{}\"",
                    String.join(", ", cleared));
        }
    }

    /**
     * The link kind {@code ip -d link show} prints as the first word of the line after {@code link/...} ("dummy",
     * "ifb", "tun", "veth"; for a device without a kind, e.g. a NIC, the word is some other attribute), or null.
     */
    static String linkKind(String ipDetails) {
        String[] lines = ipDetails.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.startsWith("link/")) {
                return i + 1 < lines.length ? lines[i + 1].trim().split("\\s+")[0] : null;
            }
        }
        return null;
    }

    private void createSink() {
        HostCommands.Result r = host.run(List.of("ip", "link", "add", sink, "type", "dummy"));
        if (r.ok()) {
            sinkKind = "dummy";
        } else {
            check(host.run(List.of("ip", "link", "add", sink, "type", "ifb")), "ip link add " + sink + " type ifb");
            sinkKind = "ifb";
        }
        undo.push(failures -> runUndo(List.of("ip", "link", "del", sink), failures));
        applied.add("link " + sink + " type " + sinkKind);
    }

    private void sysctl(String key, String value) {
        HostCommands.Result old = host.run(List.of("sysctl", "-n", key));
        check(old, "sysctl -n " + key);
        if (old.output().equals(value)) {
            return;
        }
        change(List.of("sysctl", "-qw", key + "=" + value), List.of("sysctl", "-qw", key + "=" + old.output()),
                "sysctl " + key + "=" + value + " (was " + old.output() + ")");
    }

    private void nftables() {
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(NFT_TABLE).append(" {\n");
        s.append("  counter ").append(InboundPolicyRules.COUNTER_PROTECT).append(" {\n  }\n");
        s.append("  counter ").append(InboundPolicyRules.COUNTER_DISCARD).append(" {\n  }\n");
        s.append(inbound.chains());
        s.append("  chain input {\n    type filter hook input priority -150; policy accept;\n");
        for (String u : uplinks) {
            s.append("    iifname \"").append(u).append("\" meta l4proto { esp, ah } drop\n");
            s.append("    iifname \"").append(u).append("\" udp dport 4500 @th,64,32 != 0 drop\n");
        }
        if (!uplinks.isEmpty()) {
            s.append("    iifname ").append(interfaces()).append(" jump ").append(InboundPolicyRules.LOCAL_CHAIN).append('\n');
        }
        s.append("  }\n");
        // Forwarded cleartext from an uplink (towards the protected side) is checked too; decapsulated packets
        // are sent by poolsa itself and never pass the forward hook from an uplink.
        s.append("  chain forward {\n    type filter hook forward priority -150; policy accept;\n");
        if (!uplinks.isEmpty()) {
            s.append("    iifname ").append(interfaces()).append(" jump ").append(InboundPolicyRules.POLICY_CHAIN).append('\n');
        }
        s.append("  }\n");
        // A route chain: a mark set here makes the kernel route the packet again, by the main table.
        s.append("  chain output {\n    type route hook output priority -150; policy accept;\n");
        s.append("    jump ").append(InboundPolicyRules.PROBE_REPLY_CHAIN).append('\n');
        s.append("  }\n}\n");
        HostCommands.Result r = host.run(List.of("nft", "-f", "-"), s.toString());
        check(r, "nft -f - (table inet " + NFT_TABLE + ")");
        undo.push(failures -> {
            tableCreated = false;
            runUndo(List.of("nft", "delete", "table", "inet", NFT_TABLE), failures);
        });
        tableCreated = true;
    }

    private String interfaces() {
        StringBuilder b = new StringBuilder("{ ");
        for (int i = 0; i < uplinks.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(uplinks.get(i)).append('"');
        }
        return b.append(" }").toString();
    }

    private void runUndo(List<String> command, List<String> failures) {
        HostCommands.Result r = host.run(command);
        if (!r.ok()) {
            failures.add(String.join(" ", command) + ": " + r.output());
        }
    }

    private void change(List<String> doIt, List<String> undoIt, String what) {
        check(host.run(doIt), String.join(" ", doIt));
        if (undoIt != null) {
            undo.push(failures -> runUndo(undoIt, failures));
        }
        applied.add(what);
    }

    private static void check(HostCommands.Result r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " failed (" + r.exitCode() + "): " + r.output());
        }
    }
}
