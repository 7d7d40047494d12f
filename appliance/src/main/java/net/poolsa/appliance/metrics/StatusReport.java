package net.poolsa.appliance.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.LastOuterAddresses;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.UdpEncapsulation;
import net.poolsa.ike.ChildSaSnapshot;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeSaSnapshot;

/**
 * The SAs of a running instance, as text in the layout of {@code swanctl --list-sas} (connection line,
 * then one block per SA pair with SPIs, pools, current outer addresses and counters) or as JSON.
 * Never contains key material: algorithms are named with key sizes only.
 *
 * <p>Current outer addresses: for an outbound SA the pair path monitoring chose for sending; for an inbound SA
 * the source and destination of the last authenticated packet it received
 * ({@link SecurityAssociation#lastInboundOuter()}), "-" (JSON null) before the first one.
 *
 * <p>An IKE-keyed connection lists its IKE SAs (peer, cookies, role, state, proposal, age) and below each its child
 * SAs (SPIs, proposal, pools), with the counters and current outer addresses of the installed SAs they name.
 */
public final class StatusReport {
    private StatusReport() {
    }

    /**
     * What the IKE daemon reported for a status: its SAs and the kernel's SAs their children name.
     *
     * @param answered false when the daemon did not answer in time (the report says so instead of "no IKE SA")
     */
    public record IkeView(List<IkeSaSnapshot> sas, List<SecurityAssociation> kernelSas, boolean answered) {
        /** No IKE daemon: no IKE SAs. */
        public static final IkeView NONE = new IkeView(List.of(), List.of(), true);

        public IkeView {
            sas = List.copyOf(sas);
            kernelSas = List.copyOf(kernelSas);
        }

        public static IkeView unanswered(List<SecurityAssociation> kernelSas) {
            return new IkeView(List.of(), kernelSas, false);
        }

        /**
         * The IKE SAs that carry child SAs of {@code connection} (reqid {@code reqid}), each with only those children,
         * plus the ones negotiated for it that carry none. An IKE SA may carry the Quick Modes of several connections
         * to one peer; a child belongs to the connection whose reqid its inbound SA has in the kernel (inbound SPIs
         * are unique there), or, before it is installed, to the IKE SA's connection.
         */
        List<IkeSaSnapshot> of(String connection, Integer reqid) {
            List<IkeSaSnapshot> out = new ArrayList<>();
            for (IkeSaSnapshot s : sas) {
                List<ChildSaSnapshot> mine = new ArrayList<>();
                for (ChildSaSnapshot ch : s.children()) {
                    SecurityAssociation in = find(Direction.INBOUND, ch.spiIn(), null);
                    boolean ours = in != null ? reqid != null && (in.reqid() & IkeConnection.MAX_REQID) == reqid
                            : s.connection().equals(connection);
                    if (ours) {
                        mine.add(ch);
                    }
                }
                if (!mine.isEmpty() || s.connection().equals(connection)) {
                    out.add(s.withChildren(mine));
                }
            }
            return out;
        }

        /** The installed SA of {@code d} with {@code spi} under {@code reqid} (or any reqid when null). */
        SecurityAssociation find(Direction d, int spi, Integer reqid) {
            for (SecurityAssociation sa : kernelSas) {
                if (sa.direction() == d && sa.spi() == spi
                        && (reqid == null || (sa.reqid() & IkeConnection.MAX_REQID) == reqid)) {
                    return sa;
                }
            }
            return null;
        }
    }

    public static String text(ConnectionManager m, long nowNanos) {
        return text(m, IkeView.NONE, nowNanos);
    }

    public static String text(ConnectionManager m, IkeView ike, long nowNanos) {
        StringBuilder b = new StringBuilder();
        for (ConnectionConfig c : m.connections().values()) {
            if (!c.manuallyKeyed()) {
                ikeText(b, c, m.reqid(c.name()), ike, nowNanos);
                continue;
            }
            InstalledConnection ic = m.installed(c.name());
            b.append(c.name()).append(": ").append(ic == null ? "NOT INSTALLED" : "INSTALLED")
                    .append(", ").append(c.manuallyKeyed() ? "manual keys" : "IKE")
                    .append(", ").append(c.mode().name()).append(", ").append(c.protocol().name()).append('\n');
            b.append("  local  outer [").append(c.localOuter()).append("]\n");
            b.append("  remote outer [").append(c.remoteOuter()).append("]\n");
            if (ic != null) {
                SecurityAssociation in = ic.inbound();
                SecurityAssociation out = ic.outbound();
                b.append("  ").append(c.name()).append(": reqid ").append(ic.reqid()).append(", ")
                        .append(out.state()).append(", ").append(c.mode().name()).append(", ")
                        .append(algorithms(out)).append('\n');
                b.append("    installed ").append((nowNanos - out.createdNanos()) / 1_000_000_000L).append("s ago");
                if (out.lifetime().hardSeconds() != 0) {
                    b.append(", expires in ").append(out.lifetime().hardSeconds()
                            - (nowNanos - out.createdNanos()) / 1_000_000_000L).append('s');
                }
                b.append('\n');
                LastOuterAddresses.Pair last = in.lastInboundOuter().get();
                b.append(String.format(Locale.ROOT, "    in  %08x, %10d bytes, %8d packets, outer %s -> %s%n",
                        in.spi(), in.bytes(), in.packets(), orDash(last == null ? null : last.source()),
                        orDash(last == null ? null : last.destination())));
                b.append(String.format(Locale.ROOT, "    out %08x, %10d bytes, %8d packets, outer %s -> %s, switches %d%n",
                        out.spi(), out.bytes(), out.packets(), orDash(out.currentLocal()), orDash(out.currentRemote()),
                        out.outerSwitches() + in.outerSwitches()));
                b.append(String.format(Locale.ROOT, "    installed at monotonic %d ns (in), %d ns (out), key fingerprints in %s, out %s%n",
                        in.createdNanos(), out.createdNanos(), orDash(keyFingerprint(in.keys())), orDash(keyFingerprint(out.keys()))));
            }
            b.append("    local  ").append(c.localProtected()).append('\n');
            b.append("    remote ").append(c.remoteProtected()).append('\n');
        }
        return b.toString();
    }

    /**
     * As {@link #text}, in JSON. To tell whether an SA is still the one installed before (same keys, no rekey, no
     * reinstall), each SA carries {@code installed_monotonic_ns}, when it was installed on the JVM's monotonic
     * clock ({@code System.nanoTime()}: CLOCK_MONOTONIC on Linux, so two reports of one host compare, even across
     * a restart), and {@code key_fingerprint} ({@link #keyFingerprint}).
     */
    public static String json(ConnectionManager m, long nowNanos) {
        return json(m, IkeView.NONE, nowNanos);
    }

    public static String json(ConnectionManager m, IkeView ike, long nowNanos) {
        StringBuilder b = new StringBuilder("{\"connections\":[");
        boolean first = true;
        for (ConnectionConfig c : m.connections().values()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            InstalledConnection ic = m.installed(c.name());
            b.append("{\"name\":").append(q(c.name()))
                    .append(",\"keying\":").append(q(c.manuallyKeyed() ? "manual" : "ike"))
                    .append(",\"mode\":").append(q(c.mode().name().toLowerCase(Locale.ROOT)))
                    .append(",\"protocol\":").append(q(c.protocol().name().toLowerCase(Locale.ROOT)))
                    .append(",\"local_outer\":").append(q(c.localOuter().toString()))
                    .append(",\"remote_outer\":").append(q(c.remoteOuter().toString()))
                    .append(",\"local_protected\":").append(q(c.localProtected().toString()))
                    .append(",\"remote_protected\":").append(q(c.remoteProtected().toString()))
                    .append(",\"installed\":").append(c.manuallyKeyed() ? ic != null : installedChildren(c, m.reqid(c.name()), ike) > 0);
            if (!c.manuallyKeyed()) {
                ikeJson(b, c, m.reqid(c.name()), ike, nowNanos);
            } else if (ic != null) {
                b.append(",\"reqid\":").append(ic.reqid())
                        .append(",\"inbound\":").append(sa(ic.inbound(), nowNanos))
                        .append(",\"outbound\":").append(sa(ic.outbound(), nowNanos));
            }
            b.append('}');
        }
        b.append(']');
        if (!ike.answered()) {
            b.append(",\"ike_unanswered\":true");
        }
        return b.append('}').toString();
    }

    private static void ikeText(StringBuilder b, ConnectionConfig c, Integer reqid, IkeView ike, long nowNanos) {
        List<IkeSaSnapshot> sas = ike.of(c.name(), reqid);
        b.append(c.name()).append(": ").append(installedChildren(c, reqid, ike) > 0 ? "INSTALLED" : "NOT INSTALLED")
                .append(", IKE, ").append(c.mode().name()).append(", ").append(c.protocol().name())
                .append(", start-action ").append(c.startAction().name().toLowerCase(Locale.ROOT)).append('\n');
        b.append("  local  outer [").append(c.localOuter()).append("]\n");
        b.append("  remote outer [").append(c.remoteOuter()).append("]\n");
        if (!ike.answered()) {
            b.append("  IKE SAs: the IKE daemon did not answer in time\n");
        } else if (sas.isEmpty()) {
            b.append("  no IKE SA\n");
        }
        for (IkeSaSnapshot s : sas) {
            b.append("  ").append(c.name()).append(": ").append(s.state()).append(", IKEv1, ").append(s.role()).append(", ")
                    .append(s.initiatorCookie()).append("_i ").append(s.responderCookie()).append("_r\n");
            b.append("    local ").append(endpoint(s.local())).append(", remote ").append(endpoint(s.remote()))
                    .append(s.natT() ? ", NAT-T" : "").append('\n');
            // Main Mode in progress: no proposal chosen yet (or not confirmed), nothing established
            boolean negotiating = s.state().startsWith("MM");
            b.append("    ").append(s.proposal()).append(s.proposal().isEmpty() ? "" : ", ")
                    .append(negotiating ? "Main Mode started " : "established ").append(s.ageSeconds()).append("s ago")
                    .append(lifetimeText(s.rekeyInSeconds(), s.expiresInSeconds(), s.replaced()))
                    .append(kilobytesText(s.protectedBytes(), s.lifetimeKilobytes())).append('\n');
            for (ChildSaSnapshot ch : s.children()) {
                b.append("    ").append(c.name()).append(": reqid ").append(reqid == null ? "-" : reqid).append(", ")
                        .append(c.mode().name()).append(", ").append(ch.proposal()).append(", installed ")
                        .append(ch.ageSeconds()).append("s ago")
                        .append(lifetimeText(ch.rekeyInSeconds(), ch.expiresInSeconds(), ch.replaced())).append('\n');
                SecurityAssociation in = ike.find(Direction.INBOUND, ch.spiIn(), reqid);
                SecurityAssociation out = ike.find(Direction.OUTBOUND, ch.spiOut(), reqid);
                LastOuterAddresses.Pair last = in == null ? null : in.lastInboundOuter().get();
                UdpEncapsulation inUdp = in == null ? null : in.udpEncapsulation();
                UdpEncapsulation outUdp = out == null ? null : out.udpEncapsulation();
                b.append(String.format(Locale.ROOT, "      in  %08x, %10d bytes, %8d packets, outer %s -> %s%n",
                        ch.spiIn(), in == null ? 0 : in.bytes(), in == null ? 0 : in.packets(),
                        withPort(last == null ? null : last.source(), inUdp == null ? 0 : inUdp.remotePort()),
                        withPort(last == null ? null : last.destination(), inUdp == null ? 0 : inUdp.localPort())));
                b.append(String.format(Locale.ROOT, "      out %08x, %10d bytes, %8d packets, outer %s -> %s, switches %d%n",
                        ch.spiOut(), out == null ? 0 : out.bytes(), out == null ? 0 : out.packets(),
                        withPort(out == null ? null : out.currentLocal(), outUdp == null ? 0 : outUdp.localPort()),
                        withPort(out == null ? null : out.currentRemote(), outUdp == null ? 0 : outUdp.remotePort()),
                        (out == null ? 0 : out.outerSwitches()) + (in == null ? 0 : in.outerSwitches())));
                b.append("      local  ").append(ch.localProtected()).append('\n');
                b.append("      remote ").append(ch.remoteProtected()).append('\n');
            }
        }
        if (sas.stream().allMatch(s -> s.children().isEmpty())) {
            b.append("    local  ").append(c.localProtected()).append('\n');
            b.append("    remote ").append(c.remoteProtected()).append('\n');
        }
    }

    private static void ikeJson(StringBuilder b, ConnectionConfig c, Integer reqid, IkeView ike, long nowNanos) {
        if (reqid != null) {
            b.append(",\"reqid\":").append(reqid);
        }
        b.append(",\"start_action\":").append(q(c.startAction().name().toLowerCase(Locale.ROOT)));
        b.append(",\"ike_sas\":[");
        List<String> items = new ArrayList<>();
        for (IkeSaSnapshot s : ike.of(c.name(), reqid)) {
            StringBuilder x = new StringBuilder();
            x.append("{\"local\":").append(q(endpoint(s.local()))).append(",\"remote\":").append(q(endpoint(s.remote())))
                    .append(",\"initiator_cookie\":").append(q(s.initiatorCookie()))
                    .append(",\"responder_cookie\":").append(q(s.responderCookie()))
                    .append(",\"role\":").append(q(s.role())).append(",\"state\":").append(q(s.state()))
                    .append(",\"proposal\":").append(q(s.proposal())).append(",\"age_seconds\":").append(s.ageSeconds())
                    .append(",\"nat_t\":").append(s.natT())
                    .append(",\"rekey_in_seconds\":").append(s.rekeyInSeconds())
                    .append(",\"expires_in_seconds\":").append(s.expiresInSeconds())
                    .append(",\"replaced\":").append(s.replaced())
                    .append(",\"protected_bytes\":").append(s.protectedBytes())
                    .append(",\"lifetime_kilobytes\":").append(s.lifetimeKilobytes()).append(",\"children\":[");
            List<String> children = new ArrayList<>();
            for (ChildSaSnapshot ch : s.children()) {
                SecurityAssociation in = ike.find(Direction.INBOUND, ch.spiIn(), reqid);
                SecurityAssociation out = ike.find(Direction.OUTBOUND, ch.spiOut(), reqid);
                children.add("{\"spi_in\":" + q(String.format("%08x", ch.spiIn())) + ",\"spi_out\":"
                        + q(String.format("%08x", ch.spiOut())) + ",\"proposal\":" + q(ch.proposal())
                        + ",\"local_protected\":" + q(ch.localProtected()) + ",\"remote_protected\":" + q(ch.remoteProtected())
                        + ",\"local_outer\":" + q(ch.localOuter()) + ",\"remote_outer\":" + q(ch.remoteOuter())
                        + ",\"age_seconds\":" + ch.ageSeconds() + ",\"rekey_in_seconds\":" + ch.rekeyInSeconds()
                        + ",\"expires_in_seconds\":" + ch.expiresInSeconds() + ",\"replaced\":" + ch.replaced()
                        + ",\"inbound\":" + (in == null ? "null" : sa(in, nowNanos))
                        + ",\"outbound\":" + (out == null ? "null" : sa(out, nowNanos)) + "}");
            }
            x.append(String.join(",", children)).append("]}");
            items.add(x.toString());
        }
        b.append(String.join(",", items)).append(']');
    }

    /**
     * {@code , rekey in 50s, expires in 100s}, or {@code , replaced (deleted after the grace), expires in 100s}: what
     * the engine plans (-1 = nothing planned, left out).
     */
    /**
     * ", protected N of M KiB" for an ISAKMP SA with a lifetime in kilobytes (RFC 2409 Appendix A life type 2): the
     * bytes of the messages it encrypted and decrypted, against the limit; nothing without one.
     */
    static String kilobytesText(long protectedBytes, long lifetimeKilobytes) {
        return lifetimeKilobytes > 0 ? ", protected " + protectedBytes + " bytes of " + lifetimeKilobytes + " KiB" : "";
    }

    static String lifetimeText(long rekeyIn, long expiresIn, boolean replaced) {
        StringBuilder b = new StringBuilder();
        if (replaced) {
            b.append(", replaced (deleted after the grace)");
        } else if (rekeyIn >= 0) {
            b.append(", rekey in ").append(rekeyIn).append('s');
        }
        if (expiresIn >= 0) {
            b.append(", expires in ").append(expiresIn).append('s');
        }
        return b.toString();
    }

    /** Child SAs of {@code c} whose inbound and outbound SA are both installed. */
    private static int installedChildren(ConnectionConfig c, Integer reqid, IkeView ike) {
        int n = 0;
        for (IkeSaSnapshot s : ike.of(c.name(), reqid)) {
            for (ChildSaSnapshot ch : s.children()) {
                if (ike.find(Direction.INBOUND, ch.spiIn(), reqid) != null && ike.find(Direction.OUTBOUND, ch.spiOut(), reqid) != null) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * An outer address with its UDP port when the SA encapsulates ESP in UDP ({@code port} > 0), as the IKE SA's
     * endpoints are shown: behind a NAT the port is the NAT's mapping, which may change.
     */
    private static String withPort(OuterAddress a, int port) {
        return a == null ? "-" : port > 0 ? a + "[" + port + "]" : a.toString();
    }

    private static String endpoint(java.net.InetSocketAddress a) {
        return a == null ? "-" : net.poolsa.esp.sa.IpLiterals.format(a.getAddress()) + "[" + a.getPort() + "]";
    }

    private static String sa(SecurityAssociation sa, long nowNanos) {
        UdpEncapsulation udp = sa.udpEncapsulation();
        OuterAddress local = sa.currentLocal();
        OuterAddress remote = sa.currentRemote();
        if (sa.direction() == Direction.INBOUND) {
            LastOuterAddresses.Pair last = sa.lastInboundOuter().get();
            local = last == null ? null : last.destination();
            remote = last == null ? null : last.source();
        }
        return "{\"spi\":" + q(String.format("%08x", sa.spi())) + ",\"state\":" + q(sa.state().name().toLowerCase(Locale.ROOT))
                + ",\"algorithms\":" + q(algorithms(sa)) + ",\"bytes\":" + sa.bytes() + ",\"packets\":" + sa.packets()
                + ",\"current_local\":" + (local == null ? "null" : q(local.toString()))
                + ",\"current_remote\":" + (remote == null ? "null" : q(remote.toString()))
                + ",\"outer_switches\":" + sa.outerSwitches()
                + ",\"age_seconds\":" + (nowNanos - sa.createdNanos()) / 1_000_000_000L
                + ",\"installed_monotonic_ns\":" + sa.createdNanos()
                + ",\"key_fingerprint\":" + qOrNull(keyFingerprint(sa.keys()))
                + ",\"udp_encapsulation\":" + (udp == null ? "null"
                : "{\"local_port\":" + udp.localPort() + ",\"remote_port\":" + udp.remotePort() + "}") + "}";
    }

    /** Domain separation: this hash of the keys is used for nothing else. */
    static final String FINGERPRINT_LABEL = "poolsa status key fingerprint v1";

    /**
     * 16 hex digits: the first 8 bytes of SHA-256 over {@link #FINGERPRINT_LABEL}, then the encryption algorithm
     * name, encryption key, integrity algorithm name and integrity key, each preceded by its length as 4 bytes
     * big-endian. One-way and truncated, so it tells two key sets apart without revealing either; null when the
     * keys were already destroyed (the SA is being removed).
     */
    public static String keyFingerprint(net.poolsa.esp.sa.SaKeys keys) {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        try {
            field(d, FINGERPRINT_LABEL.getBytes(StandardCharsets.US_ASCII));
            field(d, keys.encryptionAlgorithm().getBytes(StandardCharsets.US_ASCII));
            field(d, keys.encryptionKey());
            field(d, keys.integrityAlgorithm().getBytes(StandardCharsets.US_ASCII));
            field(d, keys.integrityKey());
        } catch (IllegalStateException destroyed) {
            return null;
        }
        byte[] h = d.digest();
        String out = HexFormat.of().formatHex(h, 0, 8);
        Arrays.fill(h, (byte) 0);
        return out;
    }

    private static void field(MessageDigest d, byte[] value) {
        d.update(new byte[] {(byte) (value.length >>> 24), (byte) (value.length >>> 16), (byte) (value.length >>> 8),
            (byte) value.length});
        d.update(value);
    }

    private static String algorithms(SecurityAssociation sa) {
        return sa.protocol().name() + ":" + sa.keys();
    }

    private static String qOrNull(String s) {
        return s == null ? "null" : q(s);
    }

    private static String orDash(Object o) {
        return o == null ? "-" : o.toString();
    }

    /** A JSON string; connection names and pools are plain ASCII, but escape anyway. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
