package net.poolsa.appliance.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.LastOuterAddresses;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The SAs of a running instance, as text in the layout of {@code swanctl --list-sas} (connection line,
 * then one block per SA pair with SPIs, pools, current outer addresses and counters) or as JSON.
 * Never contains key material: algorithms are named with key sizes only.
 *
 * <p>Current outer addresses: for an outbound SA the pair path monitoring chose for sending; for an inbound SA
 * the source and destination of the last authenticated packet it received
 * ({@link SecurityAssociation#lastInboundOuter()}), "-" (JSON null) before the first one.
 */
public final class StatusReport {
    private StatusReport() {
    }

    public static String text(ConnectionManager m, long nowNanos) {
        StringBuilder b = new StringBuilder();
        for (ConnectionConfig c : m.connections().values()) {
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
                    .append(",\"installed\":").append(ic != null);
            if (ic != null) {
                b.append(",\"reqid\":").append(ic.reqid())
                        .append(",\"inbound\":").append(sa(ic.inbound(), nowNanos))
                        .append(",\"outbound\":").append(sa(ic.outbound(), nowNanos));
            }
            b.append('}');
        }
        return b.append("]}").toString();
    }

    private static String sa(SecurityAssociation sa, long nowNanos) {
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
                + ",\"key_fingerprint\":" + qOrNull(keyFingerprint(sa.keys())) + "}";
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
