package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.MtuSettings;
import net.poolsa.esp.pipeline.Pipelines;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Property: every configuration {@link ConfigLoader#load} accepts installs ({@link ManualKeying} into a
 * {@link UserspaceIpsecKernel}) and carries a packet end to end both ways, through the real pipelines
 * ({@link Pipelines#cleartext} on one side, {@link Pipelines#uplink} on the mirrored other side, in
 * {@link EmbeddedChannel}s), the inner packet coming out byte-identical (with the capture sink a forwarded tunnel-mode
 * packet has its TTL or hop limit one lower, as from any router; with the TUN sink the kernel does that); every
 * configuration it refuses says
 * {@code FILE:LINE: field.path: ...} and names the field that is wrong.
 *
 * <p>The generator writes YAML text (key files with owner-only permissions) or setkey(8) sa-files (AH+ESP bundles
 * included) over algorithms, right and wrong key lengths, modes, protocols, IPv4/IPv6 pools, UDP encapsulation
 * ports (with a NAT in front of the peer when its port is not 4500), replay windows, ESN and lifetimes, and injects
 * at most one fault per configuration. Its oracle is written here, from the RFCs: which key lengths each algorithm
 * takes (RFC 3602, 2451, 2410, 4868, 2404), no counter-mode AEAD with static keys (RFC 4106 §10, RFC 8221 §3),
 * SPIs from 256 (RFC 4303 §2.1), and what the data path needs (a single peer address to send to, NAT-T on 4500).
 * The seed is printed; rerun one with {@code -Dpoolsa.configPropertySeed=N}.
 */
class ConfigPropertyTest {
    private static final int CASES = 336;
    /** Fault kinds per cycle of cases: all of them once, the rest valid. */
    private static final int CYCLE = 24;
    private static int carried;
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    enum Source { YAML, SA_FILE }

    /** At most one thing wrong per configuration. */
    enum Fault {
        NONE, ENC_KEY_LENGTH, INT_KEY_LENGTH, AEAD_WITH_MANUAL_KEYS, NO_INTEGRITY, NAT_T_LOCAL_PORT, NO_SINGLE_REMOTE,
        FAMILY_MISMATCH, BUNDLE_SPI_EQUAL, REPLAY_RANGE, SOFT_ABOVE_HARD, LIFE_BYTES_BELOW_MTU, RESERVED_SPI,
        LOCAL_OUTER_OFF_UPLINK, AH_WITH_UDP, KEY_FILE_READABLE
    }

    /** Encryption choices: canonical name, setkey name, key lengths the RFCs give, AEAD. */
    private record Enc(String name, String setkey, int[] lengths, boolean aead) {
    }

    private record Integ(String name, String setkey, int length) {
    }

    private static final Enc[] ENCS = {
        new Enc("aes-cbc", "rijndael-cbc", new int[] {16, 24, 32}, false),        // RFC 3602
        new Enc("3des-cbc", "3des-cbc", new int[] {24}, false),                  // RFC 2451
        new Enc("null", "null", new int[] {0}, false),                           // RFC 2410
        new Enc("aes-gcm-16", "aes-gcm-16", new int[] {20, 28, 36}, true),        // RFC 4106 §8.1: key + 4-byte salt
        new Enc("chacha20-poly1305", "chacha20-poly1305", new int[] {36}, true),  // RFC 7634 §2
    };
    private static final Integ[] INTEGS = {
        new Integ("hmac-sha1-96", "hmac-sha1", 20),           // RFC 2404
        new Integ("hmac-sha2-256-128", "hmac-sha256", 32),    // RFC 4868 §2.1.1: key = hash length
        new Integ("hmac-sha2-384-192", "hmac-sha384", 48),
        new Integ("hmac-sha2-512-256", "hmac-sha512", 64),
    };

    /** One generated configuration, seen from side A; side B is its mirror. */
    private static final class Model {
        Source source;
        Fault fault = Fault.NONE;
        boolean ah;
        boolean tunnel;
        boolean v6Outer;
        boolean v6Inner;
        Enc enc;
        Integ integ; // null: no integrity
        int encLen;
        int intLen;
        boolean faultOnIn; // which direction a key/SPI fault hits
        int spiIn;
        int spiOut;
        Integ bundle; // sa-file AH+ESP bundle, or null
        int ahSpiIn;
        int ahSpiOut;
        int replay;
        boolean esn;
        int udpRemotePort; // 0: no UDP encapsulation
        long softSeconds;
        long hardSeconds;
        long softBytes;
        long hardBytes;
        long hardPackets;
        int mtu;
        int reqid;
        String addrA;
        String addrB;
        boolean extraRanges;
        int payload;
        boolean tunSink; // the receiver's decapsulated packets go to a TUN device (the kernel forwards them)
        byte[][] keys = new byte[6][]; // enc A->B, enc B->A, int A->B, int B->A, AH A->B, AH B->A

        @Override
        public String toString() {
            return source + " fault=" + fault + (ah ? " ah" : " esp") + (tunnel ? " tunnel" : " transport")
                    + (v6Outer ? " outer6" : " outer4") + (v6Inner ? " inner6" : " inner4")
                    + (ah ? "" : " " + enc.name() + "/" + encLen) + " " + (integ == null ? "no-integrity" : integ.name() + "/" + intLen)
                    + (bundle == null ? "" : " bundle-ah=" + bundle.name()) + " spi=" + Integer.toHexString(spiIn) + "/"
                    + Integer.toHexString(spiOut) + " replay=" + replay + (esn ? " esn" : "")
                    + (udpRemotePort == 0 ? "" : " udp->" + udpRemotePort) + " life=" + softSeconds + "/" + hardSeconds + "s,"
                    + softBytes + "/" + hardBytes + "B," + hardPackets + "p mtu=" + mtu + (tunSink ? " tun" : " capture") + " " + addrA
                    + "->" + addrB;
        }
    }

    @Test
    void acceptedConfigurationsCarryPacketsAndRefusedOnesNameTheirField() throws Exception {
        long seed = Long.getLong("poolsa.configPropertySeed", new SecureRandom().nextLong());
        System.out.println("ConfigPropertyTest seed=" + seed + " (rerun: -Dpoolsa.configPropertySeed=" + seed + ")");
        Random r = new Random(seed);
        // Every fault kind in turn, with runs of valid configurations between: each kind is tried CASES / CYCLE times.
        List<Fault> cycle = new ArrayList<>(List.of(Fault.values()));
        while (cycle.size() < CYCLE) {
            cycle.add(Fault.NONE);
        }
        int valid = 0;
        carried = 0;
        for (int i = 0; i < CASES; i++) {
            Model m = generate(r, cycle.get(i % cycle.size()));
            valid += m.fault == Fault.NONE ? 1 : 0;
            check(dir.resolve("case" + i), m, "seed " + seed + " case " + i + ": " + m);
        }
        System.out.println("ConfigPropertyTest: " + CASES + " configurations, " + valid + " valid, " + carried + " packets carried");
        assertEquals(2 * valid, carried, "every valid configuration carried one packet each way");
    }

    /** Known cases that passed check-config and then could not work before the algorithm table decided. */
    @Test
    void regressions() throws Exception {
        Random r = new Random(1);
        Model gcm192 = esp(r, Source.YAML, ENCS[3], 28, null, Fault.AEAD_WITH_MANUAL_KEYS);
        check(dir.resolve("gcm192"), gcm192, "AES-192-GCM with manual keys: " + gcm192);

        Model equalSpi = esp(r, Source.SA_FILE, ENCS[0], 16, INTEGS[1], Fault.BUNDLE_SPI_EQUAL);
        equalSpi.bundle = INTEGS[1];
        equalSpi.ahSpiIn = equalSpi.spiIn;
        equalSpi.faultOnIn = true;
        rekey(r, equalSpi);
        check(dir.resolve("equal-spi"), equalSpi, "AH+ESP bundle with AH SPI = ESP SPI: " + equalSpi);

        Model natt = esp(r, Source.YAML, ENCS[0], 32, INTEGS[0], Fault.NAT_T_LOCAL_PORT);
        natt.udpRemotePort = 4500;
        check(dir.resolve("natt"), natt, "NAT-T local port 4501: " + natt);
    }

    /** A valid ESP model with these algorithms and {@code fault} marked (the caller sets what the fault needs). */
    private static Model esp(Random r, Source source, Enc enc, int encLen, Integ integ, Fault fault) {
        Model m = valid(r, source);
        m.ah = false;
        m.enc = enc;
        m.encLen = encLen;
        m.integ = integ;
        m.intLen = integ == null ? 0 : integ.length();
        m.fault = fault;
        rekey(r, m);
        return m;
    }

    // ---- generation ----

    /** A random configuration with {@code fault} injected (none for {@link Fault#NONE}). */
    private static Model generate(Random r, Fault fault) {
        Source source = switch (fault) {
            case NAT_T_LOCAL_PORT, AH_WITH_UDP -> Source.YAML;
            case BUNDLE_SPI_EQUAL -> Source.SA_FILE;
            default -> r.nextBoolean() ? Source.YAML : Source.SA_FILE;
        };
        Model m;
        do {
            m = valid(r, source);
        } while (fault != Fault.NONE && !applies(m, fault));
        m.fault = fault;
        inject(r, m);
        return m;
    }

    private static boolean applies(Model m, Fault f) {
        boolean yaml = m.source == Source.YAML;
        boolean espNotNull = !m.ah && !m.enc.name().equals("null");
        return switch (f) {
            case ENC_KEY_LENGTH -> espNotNull;
            case INT_KEY_LENGTH -> m.integ != null;
            case AEAD_WITH_MANUAL_KEYS -> !m.ah;
            case NO_INTEGRITY -> espNotNull;
            case NAT_T_LOCAL_PORT -> yaml && !m.ah;
            case AH_WITH_UDP -> yaml && m.ah;
            case BUNDLE_SPI_EQUAL -> !yaml && !m.ah;
            default -> true;
        };
    }

    /** A configuration that must be accepted and work. */
    private static Model valid(Random r, Source source) {
        Model m = new Model();
        m.source = source;
        m.ah = r.nextInt(4) == 0;
        m.tunnel = r.nextInt(3) != 0;
        m.v6Outer = r.nextBoolean();
        m.v6Inner = m.tunnel ? r.nextBoolean() : m.v6Outer;
        if (m.ah) {
            m.enc = null;
            m.integ = INTEGS[r.nextInt(INTEGS.length)];
        } else {
            m.enc = ENCS[r.nextInt(3)]; // the ones static keys may use
            m.integ = INTEGS[r.nextInt(INTEGS.length)];
            m.encLen = m.enc.lengths()[r.nextInt(m.enc.lengths().length)];
            if (source == Source.SA_FILE && r.nextInt(3) == 0) {
                m.bundle = INTEGS[r.nextInt(INTEGS.length)];
            }
        }
        m.intLen = m.integ.length();
        int[] spis = distinctSpis(r, 4);
        m.spiIn = spis[0];
        m.spiOut = spis[1];
        m.ahSpiIn = spis[2];
        m.ahSpiOut = spis[3];
        m.replay = new int[] {0, 32, 64, 128, 1024, 1 + r.nextInt(1 << 20)}[r.nextInt(6)];
        m.esn = source == Source.YAML && r.nextBoolean();
        if (source == Source.YAML && !m.ah && r.nextInt(3) == 0) {
            m.udpRemotePort = r.nextBoolean() ? 4500 : 1024 + r.nextInt(60000);
        }
        m.mtu = 1280 + r.nextInt(9000 - 1280);
        if (r.nextBoolean()) {
            m.hardSeconds = 60 + r.nextInt(100000);
            m.softSeconds = r.nextInt((int) m.hardSeconds);
        }
        if (r.nextBoolean()) {
            m.hardBytes = m.mtu + r.nextInt(1 << 30);
            m.softBytes = r.nextBoolean() ? 0 : r.nextInt((int) m.hardBytes);
        }
        if (source == Source.YAML && r.nextBoolean()) {
            m.hardPackets = 2 + r.nextInt(1 << 20);
        }
        m.reqid = source == Source.SA_FILE || r.nextBoolean() ? 1 + r.nextInt(0xFFFF) : 0;
        m.addrA = m.v6Outer ? "2001:db8:a::" + Integer.toHexString(1 + r.nextInt(0xfff)) : "198.51.100." + (1 + r.nextInt(126));
        m.addrB = m.v6Outer ? "2001:db8:b::" + Integer.toHexString(1 + r.nextInt(0xfff)) : "203.0.113." + (1 + r.nextInt(126));
        m.extraRanges = r.nextBoolean();
        m.payload = r.nextInt(1000);
        m.tunSink = r.nextBoolean();
        m.faultOnIn = r.nextBoolean();
        rekey(r, m);
        return m;
    }

    /** Random keys of the lengths the model's algorithms take. */
    private static void rekey(Random r, Model m) {
        int enc = m.ah ? 0 : m.encLen;
        int integ = m.integ == null ? 0 : m.integ.length();
        int ah = m.bundle == null ? 0 : m.bundle.length();
        int[] lens = {enc, enc, integ, integ, ah, ah};
        for (int i = 0; i < 6; i++) {
            m.keys[i] = new byte[lens[i]];
            r.nextBytes(m.keys[i]);
        }
    }

    private static int[] distinctSpis(Random r, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int s;
            boolean dup;
            do {
                s = 256 + r.nextInt(Integer.MAX_VALUE - 256);
                dup = false;
                for (int j = 0; j < i; j++) {
                    dup |= out[j] == s;
                }
            } while (dup);
            out[i] = s;
        }
        return out;
    }

    private static void inject(Random r, Model m) {
        switch (m.fault) {
            case ENC_KEY_LENGTH -> {
                int bad;
                do {
                    bad = 1 + r.nextInt(40);
                } while (contains(m.enc.lengths(), bad));
                m.keys[m.faultOnIn ? 1 : 0] = new byte[bad];
            }
            case INT_KEY_LENGTH -> {
                int bad;
                do {
                    bad = 1 + r.nextInt(80);
                } while (bad == m.integ.length());
                m.keys[m.faultOnIn ? 3 : 2] = new byte[bad];
            }
            case AEAD_WITH_MANUAL_KEYS -> {
                // Any key length, right ones included (28 bytes: AES-192-GCM), with or without integrity.
                m.enc = ENCS[3 + r.nextInt(2)];
                m.encLen = r.nextInt(4) == 0 ? 16 + r.nextInt(24) : m.enc.lengths()[r.nextInt(m.enc.lengths().length)];
                if (r.nextBoolean()) {
                    m.integ = null;
                }
                rekey(r, m);
            }
            case NO_INTEGRITY -> {
                m.integ = null;
                rekey(r, m);
            }
            case NAT_T_LOCAL_PORT, AH_WITH_UDP -> m.udpRemotePort = 4500;
            case BUNDLE_SPI_EQUAL -> {
                m.bundle = m.bundle != null ? m.bundle : INTEGS[r.nextInt(INTEGS.length)];
                rekey(r, m);
                if (m.faultOnIn) {
                    m.ahSpiIn = m.spiIn;
                } else {
                    m.ahSpiOut = m.spiOut;
                }
            }
            case REPLAY_RANGE -> m.replay = (1 << 20) + 1 + r.nextInt(1000);
            case SOFT_ABOVE_HARD -> {
                m.hardSeconds = 10 + r.nextInt(1000);
                m.softSeconds = m.hardSeconds + 1 + r.nextInt(1000);
            }
            case LIFE_BYTES_BELOW_MTU -> {
                m.hardBytes = 1 + r.nextInt(m.mtu - 1);
                m.softBytes = 0;
            }
            case RESERVED_SPI -> {
                if (m.faultOnIn) {
                    m.spiIn = r.nextInt(256);
                } else {
                    m.spiOut = r.nextInt(256);
                }
            }
            default -> {
                // NO_SINGLE_REMOTE, FAMILY_MISMATCH, LOCAL_OUTER_OFF_UPLINK, KEY_FILE_READABLE: in the rendering
            }
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    // ---- rendering ----

    /** One side's view of the model. */
    private record Side(String self, String peer, List<String> localOuter, List<String> remoteOuter, String localProtected,
                        String remoteProtected, int spiIn, int spiOut, byte[] encIn, byte[] encOut, byte[] intIn,
                        byte[] intOut, int ahSpiIn, int ahSpiOut, byte[] ahIn, byte[] ahOut) {
    }

    private static Side side(Model m, boolean b, boolean withFault) {
        Fault f = withFault ? m.fault : Fault.NONE;
        String me = b ? m.addrB : m.addrA;
        String peer = b ? m.addrA : m.addrB;
        List<String> local = outerPool(m, b, me);
        List<String> remote = outerPool(m, !b, peer);
        if (f == Fault.NO_SINGLE_REMOTE) {
            remote = List.of(m.v6Outer ? "2001:db8:b::/64" : "203.0.113.0/25"); // holds the peer, but no single address
        } else if (f == Fault.FAMILY_MISMATCH) {
            remote = List.of(m.v6Outer ? "203.0.113.9/32" : "2001:db8:b::9/128", m.v6Outer ? "203.0.113.64/26" : "2001:db8:b:1::/64");
        } else if (f == Fault.LOCAL_OUTER_OFF_UPLINK) {
            local = List.of(m.v6Outer ? "2001:db8:c::1/128" : "192.0.2.250/32");
        }
        String netA = m.v6Inner ? "2001:db8:1::/64" : "192.0.2.0/25";
        String netB = m.v6Inner ? "2001:db8:2::/64" : "192.0.2.128/25";
        return b ? new Side(me, peer, local, remote, netB, netA, m.spiOut, m.spiIn, m.keys[0], m.keys[1], m.keys[2], m.keys[3],
                m.ahSpiOut, m.ahSpiIn, m.keys[4], m.keys[5])
                : new Side(me, peer, local, remote, netA, netB, m.spiIn, m.spiOut, m.keys[1], m.keys[0], m.keys[3], m.keys[2],
                m.ahSpiIn, m.ahSpiOut, m.keys[5], m.keys[4]);
    }

    /** A side's outer pool: its uplink address as a single address, and maybe a range that does not hold it. */
    private static List<String> outerPool(Model m, boolean b, String addr) {
        List<String> p = new ArrayList<>();
        p.add(addr + (m.v6Outer ? "/128" : "/32"));
        if (m.extraRanges) {
            p.add(m.v6Outer ? (b ? "2001:db8:b:1::/64" : "2001:db8:a:1::/64") : (b ? "203.0.113.128/26" : "198.51.100.128/26"));
        }
        return p;
    }

    /** Text with the line of each field path it writes, as the loader will report them. */
    private static final class Text {
        final StringBuilder sb = new StringBuilder();
        final Map<String, Integer> lines = new LinkedHashMap<>();
        int line = 1;

        Text add(String text, String... fields) {
            for (String f : fields) {
                lines.putIfAbsent(f, line);
            }
            sb.append(text).append('\n');
            line += text.chars().filter(c -> c == '\n').count() + 1;
            return this;
        }

        int lineOf(String field) {
            Integer l = lines.get(field);
            assertNotNull(l, "no line recorded for " + field);
            return l;
        }
    }

    /** Where the refusal must point: a file, a line and a field path. */
    private record Expected(Path file, int line, String field) {
    }

    private static final String C = "connections.peer";

    /** Writes one side's configuration into {@code dir}; returns the YAML file and where a fault must be reported. */
    private static Expected write(Path dir, Model m, boolean b, boolean withFault) throws Exception {
        Fault f = withFault ? m.fault : Fault.NONE;
        Side s = side(m, b, withFault);
        Files.createDirectories(dir.resolve("secrets"));
        Path yamlFile = dir.resolve("poolsa.yaml");
        Text y = new Text();
        y.add("metrics:\n  listen: \"127.0.0.1:0\"");
        y.add("data-path:\n  mtu: " + m.mtu + "\n  capture:\n    - interface: lan0\n      addresses: [192.0.2.1/25]");
        y.add("  uplinks:\n    - interface: wan0\n      addresses: [" + s.self() + (m.v6Outer ? "/64" : "/24") + "]");
        y.add("  sink:\n    interface: psink\n    type: ifb");
        if (m.source == Source.SA_FILE) {
            y.add("sa-file: static.sa", "sa-file");
            Expected e = writeSaFile(dir.resolve("static.sa"), m, s, f, b);
            Files.writeString(yamlFile, y.sb.toString());
            if (f == Fault.KEY_FILE_READABLE) {
                Files.setPosixFilePermissions(dir.resolve("static.sa"), PosixFilePermissions.fromString("rw-r--r--"));
                return new Expected(yamlFile, y.lineOf("sa-file"), "sa-file");
            }
            return e;
        }
        y.add("connections:\n  peer:");
        y.add("    mode: " + (m.tunnel ? "tunnel" : "transport"));
        y.add("    protocol: " + (m.ah ? "ah" : "esp"));
        y.add("    local-outer: " + s.localOuter(), C + ".local-outer");
        y.add("    remote-outer: " + s.remoteOuter(), C + ".remote-outer");
        if (m.tunnel) {
            y.add("    local-protected: [" + s.localProtected() + "]");
            y.add("    remote-protected: [" + s.remoteProtected() + "]");
        }
        if (m.reqid != 0) {
            y.add("    reqid: " + m.reqid);
        }
        if (m.hardSeconds != 0 || m.hardBytes != 0 || m.hardPackets != 0 || m.softSeconds != 0) {
            y.add("    lifetime: {rekey-time: " + m.softSeconds + ", life-time: " + m.hardSeconds + ", rekey-bytes: "
                    + m.softBytes + ", life-bytes: " + m.hardBytes + ", life-packets: " + m.hardPackets + "}",
                    C + ".lifetime", C + ".lifetime.life-bytes");
        }
        y.add("    replay-window: " + m.replay, C + ".replay-window");
        if (m.esn) {
            y.add("    esn: true");
        }
        if (m.udpRemotePort != 0) {
            // Side A talks to the peer's NAT mapping; B, behind the NAT, sees A's real port 4500.
            int local = f == Fault.NAT_T_LOCAL_PORT ? 4501 : 4500;
            y.add("    udp-encapsulation: {local-port: " + local + ", remote-port: " + (b ? 4500 : m.udpRemotePort) + "}",
                    C + ".udp-encapsulation", C + ".udp-encapsulation.local-port");
        }
        y.add("    manual:");
        y.add("      spi-in: 0x" + Integer.toHexString(s.spiIn()), C + ".manual.spi-in", C + ".manual.integrity");
        y.add("      spi-out: 0x" + Integer.toHexString(s.spiOut()), C + ".manual.spi-out");
        if (!m.ah) {
            y.add("      encryption: " + m.enc.name(), C + ".manual.encryption");
        }
        if (m.integ != null) {
            y.add("      integrity: " + m.integ.name());
        }
        String keyField = null;
        if (!m.ah && !m.enc.name().equals("null")) {
            y.add("      encryption-key-in: secrets/enc-in", C + ".manual.encryption-key-in");
            y.add("      encryption-key-out: secrets/enc-out", C + ".manual.encryption-key-out");
            secret(dir.resolve("secrets/enc-in"), s.encIn());
            secret(dir.resolve("secrets/enc-out"), s.encOut());
            keyField = C + ".manual.encryption-key-in";
        }
        if (m.integ != null) {
            y.add("      integrity-key-in: secrets/int-in", C + ".manual.integrity-key-in");
            y.add("      integrity-key-out: secrets/int-out", C + ".manual.integrity-key-out");
            secret(dir.resolve("secrets/int-in"), s.intIn());
            secret(dir.resolve("secrets/int-out"), s.intOut());
            keyField = keyField != null ? keyField : C + ".manual.integrity-key-in";
        }
        Files.writeString(yamlFile, y.sb.toString());
        String inOut = m.faultOnIn ? "in" : "out";
        String field = switch (f) {
            case NONE -> null;
            case ENC_KEY_LENGTH -> C + ".manual.encryption-key-" + inOut;
            case INT_KEY_LENGTH -> C + ".manual.integrity-key-" + inOut;
            case AEAD_WITH_MANUAL_KEYS -> C + ".manual.encryption";
            case NO_INTEGRITY -> C + ".manual.integrity";
            case NAT_T_LOCAL_PORT -> C + ".udp-encapsulation.local-port";
            case AH_WITH_UDP -> C + ".udp-encapsulation";
            case NO_SINGLE_REMOTE, FAMILY_MISMATCH -> C + ".remote-outer";
            case LOCAL_OUTER_OFF_UPLINK -> C + ".local-outer";
            case REPLAY_RANGE -> C + ".replay-window";
            case SOFT_ABOVE_HARD -> C + ".lifetime";
            case LIFE_BYTES_BELOW_MTU -> C + ".lifetime.life-bytes";
            case RESERVED_SPI -> C + ".manual.spi-" + inOut;
            case KEY_FILE_READABLE -> keyField;
            case BUNDLE_SPI_EQUAL -> throw new AssertionError("sa-file only");
        };
        if (f == Fault.KEY_FILE_READABLE) {
            String file = keyField.endsWith("encryption-key-in") ? "secrets/enc-in" : "secrets/int-in";
            Files.setPosixFilePermissions(dir.resolve(file), PosixFilePermissions.fromString("rw-r-----"));
        }
        return field == null ? null : new Expected(yamlFile, y.lineOf(field), field);
    }

    private static void secret(Path p, byte[] key) throws Exception {
        Files.writeString(p, HEX.formatHex(key) + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * The setkey(8) file: both sides hold the same {@code add} statements (each written over three lines, as the
     * manual page does) and their own {@code -P out} policy.
     */
    private static Expected writeSaFile(Path file, Model m, Side s, Fault f, boolean b) throws Exception {
        Text t = new Text();
        t.add("# generated by ConfigPropertyTest\nflush;\nspdflush;");
        String lo = String.join(",", s.localOuter());
        String ro = String.join(",", s.remoteOuter());
        String mode = m.tunnel ? "tunnel" : "transport";
        String proto = m.ah ? "ah" : "esp";
        // The statements in the same order on both sides: A's outbound SA first.
        String aOuter = b ? ro : lo;
        String bOuter = b ? lo : ro;
        int spiAB = b ? s.spiIn() : s.spiOut();
        int spiBA = b ? s.spiOut() : s.spiIn();
        byte[] encAB = m.keys[0];
        byte[] encBA = m.keys[1];
        byte[] intAB = m.keys[2];
        byte[] intBA = m.keys[3];
        String life = (m.softSeconds != 0 ? " -ls " + m.softSeconds : "") + (m.hardSeconds != 0 ? " -lh " + m.hardSeconds : "")
                + (m.softBytes != 0 ? " -bs " + m.softBytes : "") + (m.hardBytes != 0 ? " -bh " + m.hardBytes : "");
        String[] tags = {"ab", "ba"};
        for (int i = 0; i < 2; i++) {
            String tag = tags[i];
            String from = i == 0 ? aOuter : bOuter;
            String to = i == 0 ? bOuter : aOuter;
            int spi = i == 0 ? spiAB : spiBA;
            String head = "add " + from + " " + to + " " + proto + " 0x" + Integer.toHexString(spi) + " -m " + mode
                    + " -u " + m.reqid + " -r " + m.replay + life;
            t.add(head, tag + ".add", tag + ".spi");
            StringBuilder body = new StringBuilder();
            if (!m.ah) {
                String key = m.enc.name().equals("null") ? "" : " 0x" + HEX.formatHex(i == 0 ? encAB : encBA);
                t.add("    -E " + m.enc.setkey() + key, tag + ".-E");
            }
            if (m.integ != null) {
                t.add("    -A " + m.integ.setkey() + " 0x" + HEX.formatHex(i == 0 ? intAB : intBA), tag + ".-A");
            }
            t.add("    ;");
        }
        if (m.bundle != null) {
            int ahAB = b ? s.ahSpiIn() : s.ahSpiOut();
            int ahBA = b ? s.ahSpiOut() : s.ahSpiIn();
            t.add("add " + aOuter + " " + bOuter + " ah 0x" + Integer.toHexString(ahAB) + " -m transport -r " + m.replay
                    + life + " -A " + m.bundle.setkey() + " 0x" + HEX.formatHex(m.keys[4]) + " ;", "ahab.add");
            t.add("add " + bOuter + " " + aOuter + " ah 0x" + Integer.toHexString(ahBA) + " -m transport -r " + m.replay
                    + life + " -A " + m.bundle.setkey() + " 0x" + HEX.formatHex(m.keys[5]) + " ;", "ahba.add");
        }
        String request = m.tunnel ? proto + "/tunnel/" + lo + "-" + ro + "/unique:" + m.reqid : proto + "/transport//unique:" + m.reqid;
        String sel = m.tunnel ? s.localProtected() + " " + s.remoteProtected() : lo + " " + ro;
        t.add("spdadd " + sel + " any -P out ipsec\n    " + request + (m.bundle != null ? " ah/transport//require" : "") + " ;",
                "policy");
        Files.writeString(file, t.sb.toString());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        // A's outbound SA is "ab"; the fault hits A's inbound ("ba") or outbound ("ab") SA.
        String hit = m.faultOnIn ? "ba" : "ab";
        Expected policyRequest = new Expected(file, t.lineOf("policy"), m.tunnel ? "spdadd.request" : "spdadd.destination");
        return switch (f) {
            case NONE, KEY_FILE_READABLE -> null;
            case ENC_KEY_LENGTH -> new Expected(file, t.lineOf(hit + ".-E"), "add.-E");
            case INT_KEY_LENGTH -> new Expected(file, t.lineOf(hit + ".-A"), "add.-A");
            case AEAD_WITH_MANUAL_KEYS -> new Expected(file, t.lineOf("ab.-E"), "add.-E");
            case NO_INTEGRITY -> new Expected(file, t.lineOf("ab.add"), "add.-A");
            case NO_SINGLE_REMOTE, FAMILY_MISMATCH -> policyRequest;
            case LOCAL_OUTER_OFF_UPLINK -> new Expected(file, t.lineOf("policy"), m.tunnel ? "spdadd.request" : "spdadd.source");
            case BUNDLE_SPI_EQUAL -> new Expected(file, t.lineOf(m.faultOnIn ? "ahba.add" : "ahab.add"), "add.spi");
            case REPLAY_RANGE -> new Expected(file, t.lineOf("ab.add"), "add.-r");
            case SOFT_ABOVE_HARD -> new Expected(file, t.lineOf("ab.add"), "add.-ls");
            case LIFE_BYTES_BELOW_MTU -> new Expected(file, t.lineOf("ab.add"), "add.-bh");
            case RESERVED_SPI -> new Expected(file, t.lineOf(hit + ".spi"), "add.spi");
            case NAT_T_LOCAL_PORT, AH_WITH_UDP -> throw new AssertionError("YAML only");
        };
    }

    // ---- checking ----

    private static void check(Path caseDir, Model m, String ctx) throws Exception {
        Path dirA = caseDir.resolve("a");
        Expected expected = write(dirA, m, false, true);
        PoolsaConfig a;
        try {
            a = ConfigLoader.load(dirA.resolve("poolsa.yaml"));
        } catch (ConfigException e) {
            if (expected == null) {
                fail(ctx + "\n  a valid configuration was refused: " + e.getMessage());
            }
            String prefix = expected.file() + ":" + expected.line() + ": " + expected.field() + ": ";
            assertTrue(e.getMessage().startsWith(prefix), () -> ctx + "\n  expected " + prefix + "...\n  got      " + e.getMessage());
            assertEquals(expected.field(), e.field(), ctx);
            assertTrue(e.getMessage().length() > prefix.length() + 10, () -> ctx + ": the refusal says why: " + e.getMessage());
            return;
        }
        if (expected != null) {
            fail(ctx + "\n  accepted, but " + expected.field() + " is wrong (" + m.fault + ")");
        }
        Path dirB = caseDir.resolve("b");
        write(dirB, m, true, false);
        PoolsaConfig b = ConfigLoader.load(dirB.resolve("poolsa.yaml"));
        assertEquals(1, a.connections().size(), ctx);
        assertEquals(1, b.connections().size(), ctx);
        UserspaceIpsecKernel ka = install(a, m.addrA, m.addrB, ctx);
        UserspaceIpsecKernel kb = install(b, m.addrB, m.addrA, ctx);
        try {
            int natPort = m.udpRemotePort == 0 ? 0 : m.udpRemotePort;
            carry(ka, kb, innerPacket(m, false), m, natPort, true, ctx + " A->B");
            carry(kb, ka, innerPacket(m, true), m, natPort, false, ctx + " B->A");
            carried += 2;
        } finally {
            ka.flush();
            kb.flush();
        }
    }

    private static UserspaceIpsecKernel install(PoolsaConfig c, String self, String peer, String ctx) {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        ConnectionConfig cc = c.connections().values().iterator().next();
        try {
            new ManualKeying(k).install(cc, cc.reqid() != 0 ? cc.reqid() : 1, System.nanoTime());
        } catch (RuntimeException e) {
            throw new AssertionError(ctx + "\n  check-config accepted it, but it does not install: " + e, e);
        }
        // What the data path does at start: point outbound SAs at a single peer address of the pool.
        for (SecurityAssociation sa : k.listSas()) {
            if (sa.direction() == Direction.OUTBOUND) {
                sa.setCurrentLocal(OuterAddress.parse(self));
                sa.setCurrentRemote(OuterAddress.parse(peer));
            }
        }
        return k;
    }

    /** A UDP packet between the protected pools (tunnel) or the two gateways themselves (transport), valid checksums. */
    private static byte[] innerPacket(Model m, boolean fromB) {
        String src;
        String dst;
        if (m.tunnel) {
            String a = m.v6Inner ? "2001:db8:1::10" : "192.0.2.10";
            String b = m.v6Inner ? "2001:db8:2::20" : "192.0.2.200";
            src = fromB ? b : a;
            dst = fromB ? a : b;
        } else {
            src = fromB ? m.addrB : m.addrA;
            dst = fromB ? m.addrA : m.addrB;
        }
        byte[] s = IpLiterals.parse(src);
        byte[] d = IpLiterals.parse(dst);
        int udpLen = 8 + m.payload;
        ByteBuf p = PooledByteBufAllocator.DEFAULT.heapBuffer();
        try {
            if (s.length == 4) {
                p.writeByte(0x45).writeByte(0).writeShort(20 + udpLen).writeShort(0x4242).writeShort(0x4000).writeByte(64)
                        .writeByte(17).writeShort(0).writeBytes(s).writeBytes(d);
                p.setShort(10, ~sum(p, 0, 20, 0) & 0xffff);
            } else {
                p.writeInt(0x6000_0000).writeShort(udpLen).writeByte(17).writeByte(64).writeBytes(s).writeBytes(d);
            }
            int u = p.writerIndex();
            p.writeShort(40000).writeShort(5001).writeShort(udpLen).writeShort(0);
            for (int i = 0; i < m.payload; i++) {
                p.writeByte(i * 31 + 7);
            }
            long pseudo = sum(p, s.length == 4 ? 12 : 8, 2 * s.length, 17 + udpLen);
            int c = ~sum(p, u, udpLen, pseudo) & 0xffff;
            p.setShort(u + 6, c == 0 ? 0xffff : c);
            return ByteBufUtil.getBytes(p);
        } finally {
            p.release();
        }
    }

    /** {@code p} one router hop later: TTL (hop limit) one lower, the IPv4 header checksum recomputed. */
    private static byte[] forwarded(byte[] p) {
        byte[] f = p.clone();
        if ((f[0] >> 4 & 0xf) == 4) {
            f[8]--;
            ByteBuf h = io.netty.buffer.Unpooled.wrappedBuffer(f);
            h.setShort(10, 0);
            h.setShort(10, ~sum(h, 0, 20, 0) & 0xffff);
        } else {
            f[7]--;
        }
        return f;
    }

    /** The one's-complement sum of RFC 1071, folded to 16 bits. */
    private static int sum(ByteBuf b, int off, int len, long start) {
        long s = start;
        for (int i = 0; i + 1 < len; i += 2) {
            s += b.getUnsignedShort(off + i);
        }
        if ((len & 1) != 0) {
            s += b.getUnsignedByte(off + len - 1) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** Drops of the packet being carried; the test runs on one thread, like one event loop. */
    private static final Map<DropReason, Integer> DROPS = new EnumMap<>(DropReason.class);
    private static final DataPathListener LISTENER = (reason, sa) -> DROPS.merge(reason, 1, Integer::sum);
    // One protector per side for the whole run, as a data plane keeps one per event loop (each holds a DRBG).
    private static final IpsecProtector SENDER = new IpsecProtector(PooledByteBufAllocator.DEFAULT, LISTENER);
    private static final IpsecProtector RECEIVER = new IpsecProtector(PooledByteBufAllocator.DEFAULT, LISTENER);

    /**
     * {@code inner} through the sender's cleartext pipeline, the wire (a NAT in front of B maps B's 4500 to
     * {@code natPort} when that is not 4500), and the receiver's uplink pipeline: it must come out byte-identical, but
     * for the one hop a gateway forwarding a tunnel-mode packet with the capture sink takes off its TTL (hop limit).
     */
    private static void carry(UserspaceIpsecKernel from, UserspaceIpsecKernel to, byte[] inner, Model m, int natPort,
                              boolean towardsB, String ctx) {
        Map<DropReason, Integer> drops = DROPS;
        drops.clear();
        EmbeddedChannel clear = new EmbeddedChannel();
        Pipelines.cleartext(clear.pipeline(), from, SENDER, MtuSettings.of(m.mtu), LISTENER);
        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), to, RECEIVER, PathEvidence.NONE, LISTENER, null,
                m.tunSink ? DataPlaneConfig.Sink.TUN : DataPlaneConfig.Sink.CAPTURE);
        try {
            clear.writeInbound(PooledByteBufAllocator.DEFAULT.directBuffer(inner.length).writeBytes(inner));
            ByteBuf outer = clear.readOutbound();
            assertNotNull(outer, () -> ctx + ": nothing left the sender, drops " + drops);
            assertTrue(clear.outboundMessages().isEmpty(), ctx + ": one packet in, one out");
            if (natPort != 0 && natPort != 4500) {
                nat(outer, towardsB, natPort);
            }
            uplink.writeInbound(outer);
            ByteBuf got = uplink.readOutbound();
            assertNotNull(got, () -> ctx + ": nothing came out of the receiver, drops " + drops);
            try {
                assertArrayEquals(m.tunnel && !m.tunSink ? forwarded(inner) : inner, ByteBufUtil.getBytes(got), ctx);
            } finally {
                got.release();
            }
            assertEquals(Map.of(), drops, ctx);
        } finally {
            assertFalse(clear.finish(), ctx);
            assertFalse(uplink.finish(), ctx);
        }
    }

    /** The NAT in front of B: towards B it rewrites the destination port to 4500, from B the source port 4500. */
    private static void nat(ByteBuf outer, boolean towardsB, int natPort) {
        int at = outer.readerIndex();
        boolean v4 = (outer.getUnsignedByte(at) >>> 4) == 4;
        int udp = at + (v4 ? (outer.getUnsignedByte(at) & 0xf) * 4 : 40);
        assertEquals(17, outer.getUnsignedByte(at + (v4 ? 9 : 6)), "UDP-encapsulated ESP");
        int portAt = udp + (towardsB ? 2 : 0);
        int old = outer.getUnsignedShort(portAt);
        int now = towardsB ? 4500 : natPort;
        outer.setShort(portAt, now);
        int cs = outer.getUnsignedShort(udp + 6);
        if (cs != 0) {
            // RFC 1624 incremental update: HC' = ~(~HC + ~m + m').
            long s = (~cs & 0xffff) + (~old & 0xffff) + now;
            while ((s >>> 16) != 0) {
                s = (s & 0xffff) + (s >>> 16);
            }
            int c = (int) (~s & 0xffff);
            outer.setShort(udp + 6, c == 0 ? 0xffff : c);
        }
    }
}
