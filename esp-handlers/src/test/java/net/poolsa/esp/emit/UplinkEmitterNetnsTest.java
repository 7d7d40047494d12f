package net.poolsa.esp.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.netns.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Needs root and tcpdump: three network namespaces, documentation addresses only, removed in {@link #tearDown()}.
 *
 * <pre>
 * gw: u1 198.51.100.1/29, 2001:db8:1::1/64  ---veth---  p1: p1 198.51.100.2/29, 2001:db8:1::2/64   (on-link peer)
 * gw: u2 198.51.100.9/29                    ---veth---  rt: r2 198.51.100.10/29                    (next-hop router)
 * gw: 203.0.113.0/24 via 198.51.100.10
 * </pre>
 *
 * The emitters run on a thread inside gw ({@link InNamespace}); tcpdump on the receiving ends is the oracle: what
 * left the ring must be, frame for frame and byte for byte, what left the raw socket (the kernel's routing,
 * neighbour resolution and header fix-ups are the reference).
 */
@Tag("root")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UplinkEmitterNetnsTest {
    static final int FWMARK = 0x5053;
    static final byte[] GW1 = ip("198.51.100.1");
    static final byte[] GW2 = ip("198.51.100.9");
    static final byte[] PEER = ip("198.51.100.2");
    static final byte[] FAR = ip("203.0.113.5");
    static final byte[] GW1_6 = ip("2001:db8:1::1");
    static final byte[] PEER_6 = ip("2001:db8:1::2");
    static final String CAPTURE = "esp or ah or udp port 4500 or (ip6 and (ip6[6] == 50 or ip6[6] == 51))";

    private Netns gw;
    private Netns p1;
    private Netns rt;
    private InNamespace loop;
    private Path dir;
    private final Map<DropReason, Integer> drops = new ConcurrentHashMap<>();
    private final DropListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);

    static byte[] ip(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @BeforeAll
    void setUp() throws Exception {
        dir = Files.createDirectories(Path.of("target", "uplink-emitter-" + ProcessHandle.current().pid()).toAbsolutePath());
        gw = Netns.create("psa-eg");
        p1 = Netns.create("psa-ep");
        rt = Netns.create("psa-er");
        Netns.veth(gw, "u1", p1, "p1");
        Netns.veth(gw, "u2", rt, "r2");
        gw.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "u1");
        gw.exec("ip", "addr", "add", "2001:db8:1::1/64", "dev", "u1", "nodad");
        gw.exec("ip", "addr", "add", "198.51.100.9/29", "dev", "u2");
        gw.exec("ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.10");
        p1.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "p1");
        p1.exec("ip", "addr", "add", "2001:db8:1::2/64", "dev", "p1", "nodad");
        rt.exec("ip", "addr", "add", "198.51.100.10/29", "dev", "r2");
        for (Netns ns : new Netns[] {p1, rt}) {
            // Receivers that answer nothing (no ICMP errors that would make them ARP for gw and so teach gw's kernel
            // their addresses): only gw's own neighbour resolution may find out where they are.
            ns.exec("nft", "add", "table", "inet", "sink");
            ns.exec("nft", "add", "chain", "inet", "sink", "in", "{ type filter hook input priority 0; policy accept; }");
            ns.exec("nft", "add", "rule", "inet", "sink", "in", "meta", "l4proto", "!=", "{ icmpv6 }", "drop");
        }
        loop = new InNamespace(gw.name());
    }

    @AfterAll
    void tearDown() {
        if (loop != null) {
            loop.close();
        }
        for (Netns ns : new Netns[] {gw, p1, rt}) {
            if (ns != null) {
                ns.close();
            }
        }
    }

    /** The emitters under test, created and used on the gw thread. */
    final class Emitters implements AutoCloseable {
        final RawSocketEmitter raw;
        final UplinkEmitter uplink;

        Emitters(UplinkEmitter.Mode mode, int ringFrames, String... uplinks) throws Exception {
            this(mode, ringFrames, List.of(uplinks), List.of());
        }

        Emitters(UplinkEmitter.Mode mode, int ringFrames, List<String> uplinks, List<String> cleartext) throws Exception {
            this.raw = loop.call(() -> new RawSocketEmitter(listener, FWMARK));
            this.uplink = loop.call(() -> UplinkEmitter.open(mode, uplinks, cleartext, raw, FWMARK, listener, ringFrames));
        }

        /** Through the decapsulated-packet sink, or through the raw socket. */
        void sendDecapsulated(List<byte[]> packets, boolean throughRaw) throws Exception {
            loop.run(() -> {
                PacketSink sink = throughRaw ? raw : uplink.decapsulated();
                int i = 0;
                for (byte[] p : packets) {
                    sink.send(Frames.buffer(p, i++ % 3 == 2));
                }
                sink.flush();
            });
        }

        Emitters(UplinkEmitter.Mode mode) throws Exception {
            this(mode, UplinkEmitter.RING_FRAMES, "u1", "u2");
        }

        void send(List<byte[]> packets, boolean throughRaw) throws Exception {
            loop.run(() -> {
                int i = 0;
                for (byte[] p : packets) {
                    (throughRaw ? (PacketSink) raw : uplink).send(Frames.buffer(p, i++ % 3 == 2));
                }
                (throughRaw ? (PacketSink) raw : uplink).flush();
            });
        }

        /** Sends one packet to each destination through the uplink emitter and waits until all have a next hop. */
        void resolve(byte[]... destinations) throws Exception {
            List<byte[]> first = new ArrayList<>();
            for (byte[] d : destinations) {
                first.add(d.length == 4 ? Frames.ipv4(Frames.ESP, 0, 1, 0x4000, d == FAR ? GW2 : GW1, d, Frames.esp(1, 0, 40))
                        : Frames.ipv6(Frames.ESP, GW1_6, d, Frames.esp(1, 0, 40)));
            }
            send(first, false);
            for (byte[] d : destinations) {
                String hop = null;
                for (int i = 0; i < 200 && hop == null; i++) {
                    Thread.sleep(50);
                    hop = loop.call(() -> uplink.nextHop(d));
                }
                assertNotNull(hop, "next hop of " + Destinations.literal(d) + " resolved");
            }
        }

        long ringPackets() throws Exception {
            return loop.call(uplink::ringPackets);
        }

        long rawIpsecPackets() throws Exception {
            return loop.call(uplink::rawIpsecPackets);
        }

        long confirmations() throws Exception {
            return loop.call(uplink::confirmations);
        }

        String nextHop(byte[] destination) throws Exception {
            return loop.call(() -> uplink.nextHop(destination));
        }

        /** Waits (up to {@code seconds}) until the next hop of {@code destination} satisfies {@code test}. */
        String awaitNextHop(byte[] destination, Predicate<String> test, int seconds) throws Exception {
            String hop = nextHop(destination);
            for (int i = 0; i < seconds * 20 && !test.test(hop); i++) {
                Thread.sleep(50);
                hop = nextHop(destination);
            }
            assertTrue(test.test(hop), "next hop of " + Destinations.literal(destination) + " after " + seconds + " s: " + hop);
            return hop;
        }

        @Override
        public void close() throws Exception {
            loop.run(() -> {
                uplink.close();
                raw.close();
            });
        }
    }

    /** The mix the byte-identity test sends to one destination: ESP of several sizes, ESP in UDP, AH, and oddities. */
    static List<byte[]> mix(byte[] src, byte[] dst) {
        List<byte[]> l = new ArrayList<>();
        if (dst.length == 4) {
            int seq = 1;
            for (int size : new int[] {24, 100, 512, 1000, 1380}) {
                l.add(Frames.ipv4(Frames.ESP, 0, 0x1000 + seq, 0x4000, src, dst, Frames.esp(0xa001, seq++, size)));
            }
            l.add(Frames.ipv4(Frames.UDP, 0, 0x2000, 0x4000, src, dst, Frames.espInUdp(0xa002, 1, 200)));
            l.add(Frames.ipv4(Frames.AH, 0x2e << 2, 0x2001, 0, src, dst, Frames.esp(0xa003, 1, 300))); // DSCP EF, no DF
            l.add(Frames.ipv4(Frames.ESP, 0, 0x2002, 0x2000, src, dst, Frames.esp(0xa001, seq++, 800))); // first fragment (MF)
            byte[] badChecksum = Frames.ipv4(Frames.ESP, 0, 0x2003, 0x4000, src, dst, Frames.esp(0xa001, seq, 64));
            badChecksum[10] ^= 0x55; // the raw socket recomputes it (raw(7)): so must the ring
            l.add(badChecksum);
        } else {
            for (int size : new int[] {24, 512, 1400}) {
                l.add(Frames.ipv6(Frames.ESP, src, dst, Frames.esp(0xa006, size, size)));
            }
            l.add(Frames.ipv6(Frames.AH, src, dst, Frames.esp(0xa007, 1, 200)));
        }
        return l;
    }

    private static Predicate<byte[]> to(byte[] dst) {
        return f -> dst.length == 4 ? Frames.etherType(f) == 0x0800 && java.util.Arrays.equals(java.util.Arrays.copyOfRange(f, 30, 34), dst)
                : Frames.etherType(f) == 0x86dd && java.util.Arrays.equals(java.util.Arrays.copyOfRange(f, 38, 54), dst);
    }

    /** Frames to {@code dst}, which must be the raw socket's copy followed by the ring's: both halves equal. */
    private static void assertHalvesEqual(List<byte[]> frames, byte[] dst, int perHalf) {
        List<byte[]> mine = frames.stream().filter(to(dst)).toList();
        assertEquals(2 * perHalf, mine.size(), "frames to " + Destinations.literal(dst));
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < perHalf; i++) {
            assertEquals(hex.formatHex(mine.get(i)), hex.formatHex(mine.get(perHalf + i)),
                    "frame " + i + " to " + Destinations.literal(dst) + ": raw socket vs ring");
        }
    }

    @ParameterizedTest
    @EnumSource(value = UplinkEmitter.Mode.class, names = {"PACKET", "PACKET_BYPASS", "XDP"})
    void ringFramesAreByteIdenticalToTheRawSocketsOnLinkAndThroughAGateway(UplinkEmitter.Mode mode) throws Exception {
        drops.clear();
        try (Emitters e = new Emitters(mode)) {
            assertTrue(e.uplink.ringsInUse(), e.uplink.description());
            e.resolve(PEER, FAR, PEER_6);
            List<byte[]> toPeer = mix(GW1, PEER);
            List<byte[]> toFar = mix(GW2, FAR);
            List<byte[]> toPeer6 = mix(GW1_6, PEER_6);
            List<byte[]> all = new ArrayList<>(toPeer);
            all.addAll(toFar);
            all.addAll(toPeer6);
            long ring = e.ringPackets();
            long viaRaw = e.rawIpsecPackets();
            long confirmations = e.confirmations();
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", CAPTURE, dir); PeerCapture atRouter = new PeerCapture(rt, "r2", CAPTURE, dir)) {
                e.send(all, true);
                e.send(all, false);
                // Only a neighbour re-confirmation (an entry that went stale meanwhile) may send one through the raw socket.
                long confirmed = e.confirmations() - confirmations;
                assertEquals(all.size() - confirmed, e.ringPackets() - ring, "every packet of the mix took the ring");
                assertEquals(confirmed, e.rawIpsecPackets() - viaRaw);
                List<byte[]> peer = atPeer.await(2 * (toPeer.size() + toPeer6.size()), f -> to(PEER).test(f) || to(PEER_6).test(f));
                List<byte[]> router = atRouter.await(2 * toFar.size(), to(FAR));
                assertHalvesEqual(peer, PEER, toPeer.size());
                assertHalvesEqual(peer, PEER_6, toPeer6.size());
                assertHalvesEqual(router, FAR, toFar.size());
            }
        }
        assertEquals(Map.of(), drops);
    }

    /** {@code count} ESP packets (DF) from the uplink address on the destination's link, SPI {@code spi}. */
    static List<byte[]> esp(byte[] dst, int spi, int count, int size) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            l.add(dst.length == 16 ? Frames.ipv6(Frames.ESP, GW1_6, dst, Frames.esp(spi, i, size))
                    : Frames.ipv4(Frames.ESP, 0, i, 0x4000, dst == FAR ? GW2 : GW1, dst, Frames.esp(spi, i, size)));
        }
        return l;
    }

    /** The MAC address of {@code dev} in {@code ns} ("aa:bb:..."). */
    static String mac(Netns ns, String dev) {
        return ns.exec("cat", "/sys/class/net/" + dev + "/address").trim();
    }

    private static Predicate<byte[]> spi(int spi) {
        return f -> {
            int l3 = 14;
            int l4 = Frames.etherType(f) == 0x0800 ? l3 + (f[l3] & 0xf) * 4 : l3 + 40;
            return f.length >= l4 + 4 && java.nio.ByteBuffer.wrap(f, l4, 4).getInt() == spi;
        };
    }

    @org.junit.jupiter.api.Test
    void whatTheKernelWouldRewriteAndWhatIsNotIpsecTakesTheRawSocket() throws Exception {
        drops.clear();
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
            e.resolve(PEER, PEER_6);
            long ring = e.ringPackets();
            long viaRaw = e.rawIpsecPackets();
            long confirmations = e.confirmations();
            long rawSent = loop.call(e.raw::sentPackets);
            List<byte[]> packets = List.of(
                    // identification 0 without DF: the raw socket picks one (raw(7)), the ring cannot do the same
                    Frames.ipv4(Frames.ESP, 0, 0, 0, GW1, PEER, Frames.esp(0xb001, 1, 100)),
                    // larger than the link's MTU: the raw socket refuses it with EMSGSIZE, counted as emit_failed
                    Frames.ipv4(Frames.ESP, 0, 7, 0x4000, GW1, PEER, Frames.esp(0xb002, 1, 1600)),
                    // not IPsec: UDP to another port, ICMP
                    Frames.ipv4(Frames.UDP, 0, 8, 0x4000, GW1, PEER, Frames.espInUdp(0xb003, 1, 50)).clone(),
                    Frames.ipv4(1, 0, 9, 0x4000, GW1, PEER, new byte[] {8, 0, (byte) 0xf7, (byte) 0xfe, 0, 1, 0, 0}),
                    // IPv6 with a fragment header before ESP: not recognised as IPsec, so the kernel sends it as is
                    Frames.ipv6(44, GW1_6, PEER_6, fragmentHeaderBeforeEsp()));
            byte[] notNatT = packets.get(2);
            notNatT[20 + 2] = 0x13; // destination port 4500 -> 4884: not ESP in UDP
            notNatT[20 + 3] = 0x14;
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", "ip or ip6", dir)) {
                e.send(packets, false);
                List<byte[]> got = atPeer.await(1, spi(0xb001));
                byte[] id0 = got.stream().filter(spi(0xb001)).findFirst().orElseThrow();
                assertTrue((id0[14 + 4] | id0[14 + 5]) != 0, "the kernel gave the packet an identification");
                assertEquals(2, atPeer.await(2, f -> to(PEER).test(f) && f[14 + 9] != Frames.ESP)
                        .stream().filter(f -> to(PEER).test(f) && f[14 + 9] != Frames.ESP).count(), "UDP and ICMP arrived");
                assertEquals(1, atPeer.await(1, f -> Frames.etherType(f) == 0x86dd && f[14 + 6] == 44).stream()
                        .filter(f -> Frames.etherType(f) == 0x86dd && f[14 + 6] == 44).count(), "IPv6 fragment arrived");
            }
            assertEquals(ring, e.ringPackets(), "nothing of this took the ring");
            assertEquals(2, e.rawIpsecPackets() - viaRaw - (e.confirmations() - confirmations), "identification 0 and too big");
            assertEquals(4, loop.call(e.raw::sentPackets) - rawSent, "all but the oversized one left the raw socket");
        }
        assertEquals(Map.of(DropReason.EMIT_FAILED, 1), drops);
    }

    /** Cleartext a gateway hands on after decapsulation: UDP, TCP, ICMP of several sizes, IPv4 and IPv6. */
    static List<byte[]> cleartext(byte[] src, byte[] dst) {
        List<byte[]> l = new ArrayList<>();
        if (dst.length == 4) {
            int id = 0x3000;
            for (int size : new int[] {28, 200, 1400}) {
                l.add(Frames.ipv4(Frames.UDP, 0, id++, 0x4000, src, dst, Frames.espInUdp(0xf001, id, size)));
            }
            l.add(Frames.ipv4(6, 0x2e << 2, id++, 0x4000, src, dst, Frames.esp(0xf002, 1, 512))); // "TCP", DSCP EF
            l.add(Frames.ipv4(1, 0, id++, 0, src, dst, new byte[] {8, 0, (byte) 0xf7, (byte) 0xfe, 0, 1, 0, 0})); // ICMP, no DF
            byte[] badChecksum = Frames.ipv4(Frames.UDP, 0, id, 0x4000, src, dst, Frames.espInUdp(0xf003, 1, 64));
            badChecksum[10] ^= 0x55; // the raw socket recomputes it (raw(7)): so must the ring
            l.add(badChecksum);
        } else {
            for (int size : new int[] {24, 1400}) {
                l.add(Frames.ipv6(Frames.UDP, src, dst, Frames.espInUdp(0xf004, size, size)));
            }
            l.add(Frames.ipv6(6, src, dst, Frames.esp(0xf005, 1, 300)));
        }
        return l;
    }

    @org.junit.jupiter.api.Test
    void decapsulatedPacketsOfAnyProtocolLeaveThroughTheCleartextInterfacesRingAsTheRawSocketSendsThem() throws Exception {
        drops.clear();
        byte[] remote = ip("192.0.2.7");
        byte[] remote6 = ip("2001:db8:9::7");
        // u1 is the cleartext side here, u2 the uplink.
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET, UplinkEmitter.RING_FRAMES, List.of("u2"), List.of("u1"))) {
            assertTrue(e.uplink.description().contains("u1"), e.uplink.description());
            e.sendDecapsulated(List.of(Frames.ipv4(Frames.UDP, 0, 1, 0x4000, remote, PEER, Frames.espInUdp(1, 1, 20)),
                    Frames.ipv6(Frames.UDP, remote6, PEER_6, Frames.espInUdp(1, 1, 20))), false);
            e.awaitNextHop(PEER, h -> h != null && h.contains("u1"), 10);
            e.awaitNextHop(PEER_6, h -> h != null && h.contains("u1"), 10);
            List<byte[]> toPeer = cleartext(remote, PEER);
            List<byte[]> toPeer6 = cleartext(remote6, PEER_6);
            List<byte[]> all = new ArrayList<>(toPeer);
            all.addAll(toPeer6);
            long ring = loop.call(e.uplink::decapsulatedRingPackets);
            long viaRaw = loop.call(e.uplink::decapsulatedRawPackets);
            long confirmations = e.confirmations();
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", "udp or tcp or icmp or (ip6 and ip6[6] == 6)", dir)) {
                e.sendDecapsulated(all, true);
                e.sendDecapsulated(all, false);
                long confirmed = e.confirmations() - confirmations;
                assertEquals(all.size() - confirmed, loop.call(e.uplink::decapsulatedRingPackets) - ring, "every packet took the ring");
                assertEquals(confirmed, loop.call(e.uplink::decapsulatedRawPackets) - viaRaw);
                List<byte[]> peer = atPeer.await(2 * all.size(), f -> to(PEER).test(f) || to(PEER_6).test(f));
                assertHalvesEqual(peer, PEER, toPeer.size());
                assertHalvesEqual(peer, PEER_6, toPeer6.size());
            }
            // The gateway's own address (a local route) and the link's broadcast: the kernel's business, the raw socket.
            long rawBefore = loop.call(e.uplink::decapsulatedRawPackets);
            long ringBefore = loop.call(e.uplink::decapsulatedRingPackets);
            byte[] broadcast = ip("198.51.100.7");
            for (int round = 0; round < 2; round++) {
                e.sendDecapsulated(List.of(Frames.ipv4(Frames.UDP, 0, 5, 0x4000, remote, GW1, Frames.espInUdp(1, 1, 20)),
                        Frames.ipv4(Frames.UDP, 0, 6, 0x4000, remote, broadcast, Frames.espInUdp(1, 1, 20))), false);
                for (byte[] d : new byte[][] {GW1, broadcast}) {
                    String st = null;
                    for (int i = 0; i < 200 && (st == null || st.equals("unresolved")); i++) {
                        Thread.sleep(50);
                        st = loop.call(() -> e.uplink.state(d));
                    }
                    assertTrue(st.contains("not unicast"), Destinations.literal(d) + ": " + st);
                }
            }
            assertEquals(4, loop.call(e.uplink::decapsulatedRawPackets) - rawBefore, "local and broadcast: the raw socket");
            assertEquals(ringBefore, loop.call(e.uplink::decapsulatedRingPackets));
            assertEquals(0, e.ringPackets(), "none of this counted as outer IPsec");
        }
        // Without a ring on the cleartext interface, decapsulated packets keep the raw socket.
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET, UplinkEmitter.RING_FRAMES, List.of("u2"), List.of())) {
            for (int round = 0; round < 2; round++) {
                e.sendDecapsulated(List.of(Frames.ipv4(Frames.UDP, 0, 7, 0x4000, remote, PEER, Frames.espInUdp(1, 1, 20))), false);
                String st = null;
                for (int i = 0; i < 200 && (st == null || st.equals("unresolved")); i++) {
                    Thread.sleep(50);
                    st = loop.call(() -> e.uplink.state(PEER));
                }
                assertTrue(st.contains("not an interface with a ring"), st);
            }
            assertEquals(0, loop.call(e.uplink::decapsulatedRingPackets));
            assertEquals(2, loop.call(e.uplink::decapsulatedRawPackets));
        }
        // The two broadcasts: the raw socket has no SO_BROADCAST, so the kernel refuses them (EACCES), as a router that
        // does not forward directed broadcasts; nothing else failed.
        assertEquals(Map.of(DropReason.EMIT_FAILED, 2), drops);
    }

    @org.junit.jupiter.api.Test
    void cleartextHostsBeyondTheirShareOfTheTableTakeTheRawSocketAndLeaveTheOuterDestinationsTheirPlace() throws Exception {
        gw.exec("ip", "-6", "route", "add", "2001:db8:ff::/48", "via", "2001:db8:1::2", "dev", "u1");
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET, UplinkEmitter.RING_FRAMES, List.of("u2"), List.of("u1"))) {
            List<byte[]> hosts = new ArrayList<>();
            for (int i = 1; i <= UplinkEmitter.CLEARTEXT_DESTINATIONS + 8; i++) {
                hosts.add(Frames.ipv6(Frames.UDP, ip("2001:db8:9::7"), ip("2001:db8:ff::" + Integer.toHexString(i)),
                        Frames.espInUdp(1, i, 20)));
            }
            e.sendDecapsulated(hosts, false);
            assertEquals(UplinkEmitter.CLEARTEXT_DESTINATIONS + 8, loop.call(e.uplink::decapsulatedRawPackets), "first packets: raw");
            assertNotNull(loop.call(() -> e.uplink.state(ip("2001:db8:ff::400"))), "the 1024th host is tracked");
            assertEquals(null, loop.call(() -> e.uplink.state(ip("2001:db8:ff::401"))), "the 1025th is not");
            // An outer destination that comes after them still gets its place, its next hop and the ring.
            e.resolve(FAR);
            long ring = e.ringPackets();
            e.send(esp(FAR, 0xf101, 4, 100), false);
            assertTrue(e.ringPackets() - ring >= 3, "outer ESP after the cleartext hosts took the ring");
        } finally {
            gw.exec("ip", "-6", "route", "del", "2001:db8:ff::/48");
        }
    }

    private static byte[] fragmentHeaderBeforeEsp() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 60);
        b.put((byte) Frames.ESP).put((byte) 0).putShort((short) 0).putInt(0x1234); // offset 0, last fragment
        b.put(Frames.esp(0xb004, 1, 60));
        return b.array();
    }

    @org.junit.jupiter.api.Test
    void framesAreSentInBatchesOfOneKickPer32() throws Exception {
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
            e.resolve(PEER);
            long kicks = loop.call(e.uplink::kicks);
            long ring = e.ringPackets();
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", CAPTURE, dir)) {
                e.send(esp(PEER, 0xc001, 320, 200), false);
                long sent = e.ringPackets() - ring;
                long k = loop.call(e.uplink::kicks) - kicks;
                assertTrue(sent >= 319, "ring frames: " + sent); // one may have re-confirmed the neighbour
                assertTrue(k >= 10 && k <= 11, "kicks for " + sent + " frames: " + k);
                assertEquals(320, atPeer.await(320, spi(0xc001)).stream().filter(spi(0xc001)).count());
            }
        }
    }

    @org.junit.jupiter.api.Test
    void markedPolicyRoutingDecidesTheLinkAsForTheRawSocket() throws Exception {
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
            e.resolve(PEER);
            String routerMac = mac(rt, "r2");
            gw.exec("ip", "route", "add", "198.51.100.2/32", "via", "198.51.100.10", "dev", "u2", "table", "100");
            gw.exec("ip", "rule", "add", "priority", "50", "fwmark", "0x5053", "lookup", "100");
            try {
                e.awaitNextHop(PEER, h -> h != null && h.contains("via u2 to " + routerMac), 10);
                long ring = e.ringPackets();
                try (PeerCapture atPeer = new PeerCapture(p1, "p1", CAPTURE, dir); PeerCapture atRouter = new PeerCapture(rt, "r2", CAPTURE, dir)) {
                    e.send(esp(PEER, 0xd001, 5, 100), true);
                    e.send(esp(PEER, 0xd002, 5, 100), false);
                    List<byte[]> viaRouter = atRouter.await(10, to(PEER));
                    assertEquals(5, viaRouter.stream().filter(spi(0xd001)).count(), "raw socket: marked, so table 100");
                    assertEquals(5, viaRouter.stream().filter(spi(0xd002)).count(), "ring: looked up with the mark");
                    assertTrue(viaRouter.stream().filter(to(PEER)).allMatch(f -> Frames.destinationMac(f).equals(routerMac)));
                    assertEquals(0, atPeer.frames().stream().filter(to(PEER)).count(), "nothing on the main table's link");
                }
                assertTrue(e.ringPackets() - ring >= 4);
            } finally {
                gw.exec("ip", "rule", "del", "priority", "50", "fwmark", "0x5053", "lookup", "100");
                gw.exec("ip", "route", "del", "198.51.100.2/32", "table", "100");
            }
            e.awaitNextHop(PEER, h -> h != null && h.contains("via u1"), 10);
        }
    }

    @org.junit.jupiter.api.Test
    void ringFramesCarryTheFirewallMarkAsTheRawSocketsPacketsDo() throws Exception {
        // The netfilter egress hook sees what goes through the device's queue: both paths, in packet mode.
        gw.exec("nft", "add", "table", "netdev", "marks");
        try {
            gw.exec("nft", "add", "counter", "netdev", "marks", "marked");
            gw.exec("nft", "add", "counter", "netdev", "marks", "unmarked");
            gw.exec("nft", "add", "chain", "netdev", "marks", "out", "{ type filter hook egress device \"u1\" priority 0; }");
            gw.exec("nft", "add", "rule", "netdev", "marks", "out", "ip", "protocol", "esp", "meta", "mark", "0x5053", "counter", "name", "marked");
            gw.exec("nft", "add", "rule", "netdev", "marks", "out", "ip", "protocol", "esp", "meta", "mark", "!=", "0x5053", "counter", "name",
                    "unmarked");
            try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
                e.resolve(PEER);
                long ring = e.ringPackets();
                long before = packets(gw.exec("nft", "list", "counter", "netdev", "marks", "marked"));
                e.send(esp(PEER, 0xd101, 7, 100), true);
                e.send(esp(PEER, 0xd102, 7, 100), false);
                assertTrue(e.ringPackets() - ring >= 6);
                assertEquals(14, packets(gw.exec("nft", "list", "counter", "netdev", "marks", "marked")) - before);
                assertEquals(0, packets(gw.exec("nft", "list", "counter", "netdev", "marks", "unmarked")));
            }
        } finally {
            gw.exec("nft", "delete", "table", "netdev", "marks");
        }
    }

    private static long packets(String nftCounter) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(nftCounter);
        assertTrue(m.find(), nftCounter);
        return Long.parseLong(m.group(1));
    }

    @org.junit.jupiter.api.Test
    void anAnnouncedMacChangeIsFollowedAtOnce() throws Exception {
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
            e.resolve(PEER);
            String old = mac(p1, "p1");
            String changed = old.equals("02:00:00:00:01:01") ? "02:00:00:00:01:02" : "02:00:00:00:01:01";
            // arp_notify: the peer announces its new address with a gratuitous ARP, as a replaced router would.
            p1.exec("sysctl", "-qw", "net.ipv4.conf.p1.arp_notify=1");
            p1.exec("ip", "link", "set", "p1", "address", changed);
            e.awaitNextHop(PEER, h -> h != null && h.contains(changed), 10);
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", CAPTURE, dir)) {
                e.send(esp(PEER, 0xe001, 40, 100), false);
                List<byte[]> got = atPeer.await(40, spi(0xe001)).stream().filter(spi(0xe001)).toList();
                assertEquals(40, got.size());
                assertTrue(got.stream().allMatch(f -> Frames.destinationMac(f).equals(changed)), "every frame to the new MAC");
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aSilentMacChangeIsNoticedThroughTheKernelsNeighbourProbes() throws Exception {
        // The kernel's reachable time is drawn from [base/2, 3 base/2] (1.25 to 3.75 s here), longer than the
        // delay_first_probe_time (1 s) since the one packet the kernel sends to the peer (resolve's): so the entry goes
        // from REACHABLE to STALE, which the kernel announces. Had the kernel sent to it within that time, it would go
        // to DELAY instead, silently (no netlink message), and probe the peer itself a second later: a MAC changed
        // then is found by the kernel on its own, without the re-confirmation this test is about.
        String[] timers = {"base_reachable_time_ms", "delay_first_probe_time", "retrans_time_ms", "ucast_solicit"};
        String[] fast = {"2500", "1", "100", "2"};
        String[] saved = new String[timers.length];
        for (int i = 0; i < timers.length; i++) {
            saved[i] = gw.exec("sysctl", "-n", "net.ipv4.neigh.u1." + timers[i]).trim();
            gw.exec("sysctl", "-qw", "net.ipv4.neigh.u1." + timers[i] + "=" + fast[i]);
        }
        gw.exec("ip", "neigh", "flush", "dev", "u1"); // the next entry runs on the short timers
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
            e.resolve(PEER);
            // Unused by the kernel (the ring's frames are not its own), the entry goes STALE, where the kernel would
            // keep it for ever.
            for (int i = 0; i < 200 && !String.valueOf(loop.call(() -> e.uplink.state(PEER))).endsWith(" STALE"); i++) {
                Thread.sleep(50);
            }
            String state = loop.call(() -> e.uplink.state(PEER));
            assertTrue(String.valueOf(state).endsWith(" STALE"), state + "; the kernel: " + gw.exec("ip", "neigh", "show", "dev", "u1"));
            String old = mac(p1, "p1");
            String changed = old.equals("02:00:00:00:02:01") ? "02:00:00:00:02:02" : "02:00:00:00:02:01";
            p1.exec("sysctl", "-qw", "net.ipv4.conf.p1.arp_notify=0");
            p1.exec("ip", "link", "set", "p1", "address", changed); // no announcement: only asking finds it
            long confirmations = e.confirmations();
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", CAPTURE, dir)) {
                // Steady traffic, as from a tunnel: the kernel's entry goes STALE, the next packet takes the raw
                // socket, the kernel probes the old address by unicast, declares it FAILED, resolves it anew.
                int seq = 0;
                for (int i = 0; i < 750 && !String.valueOf(e.nextHop(PEER)).contains(changed); i++) {
                    e.send(List.of(Frames.ipv4(Frames.ESP, 0, ++seq, 0x4000, GW1, PEER, Frames.esp(0xf001, seq, 100))), false);
                    Thread.sleep(20);
                }
                e.awaitNextHop(PEER, h -> h != null && h.contains(changed), 1);
                assertTrue(e.confirmations() > confirmations, "the stale entry was re-confirmed through the raw socket");
                e.send(esp(PEER, 0xf002, 20, 100), false);
                List<byte[]> after = atPeer.await(20, spi(0xf002)).stream().filter(spi(0xf002)).toList();
                assertEquals(20, after.size());
                assertTrue(after.stream().allMatch(f -> Frames.destinationMac(f).equals(changed)), "every frame to the new MAC");
            }
        } finally {
            for (int i = 0; i < timers.length; i++) {
                gw.exec("sysctl", "-qw", "net.ipv4.neigh.u1." + timers[i] + "=" + saved[i]);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aDeletedNeighbourTakesTheRawSocketUntilTheKernelHasResolvedItAgain() throws Exception {
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET)) {
            e.resolve(PEER);
            gw.exec("ip", "neigh", "flush", "dev", "u1");
            e.awaitNextHop(PEER, h -> h == null, 10);
            long viaRaw = e.rawIpsecPackets();
            e.send(esp(PEER, 0xf101, 1, 100), false); // the kernel resolves the address for this one
            assertEquals(viaRaw + 1, e.rawIpsecPackets());
            e.awaitNextHop(PEER, h -> h != null && h.contains(mac(p1, "p1")), 10);
            long ring = e.ringPackets();
            e.send(esp(PEER, 0xf102, 10, 100), false);
            assertTrue(e.ringPackets() - ring >= 9, "back on the ring");
        }
    }

    @org.junit.jupiter.api.Test
    void aFullRingDropsAsOverloadAndNeverBlocks() throws Exception {
        drops.clear();
        // A token bucket of one small frame per second holds the frames: the kernel frees none during the test.
        gw.exec("tc", "qdisc", "add", "dev", "u1", "root", "tbf", "rate", "8kbit", "burst", "1600", "limit", "3000000");
        try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET, 64, "u1")) {
            e.resolve(PEER);
            long ring = e.ringPackets();
            long overload = loop.call(e.uplink::overloadDrops);
            long confirmations = e.confirmations();
            drops.clear();
            e.send(esp(PEER, 0xf201, 500, 1000), false);
            long sent = e.ringPackets() - ring;
            long dropped = loop.call(e.uplink::overloadDrops) - overload;
            long confirmed = e.confirmations() - confirmations;
            assertEquals(500, sent + dropped + confirmed, "every packet accounted for");
            assertTrue(sent <= 64 + 2, "no more in flight than the ring holds: " + sent);
            assertTrue(dropped >= 500 - 64 - 2 - confirmed, "dropped: " + dropped);
            assertEquals(Map.of(DropReason.OVERLOAD, (int) dropped), drops);
        } finally {
            gw.exec("tc", "qdisc", "del", "dev", "u1", "root");
        }
    }

    @org.junit.jupiter.api.Test
    void anAfXdpRingKeepsWhatALinkThatIsDownCannotTakeAndReportsFull() throws Exception {
        gw.exec("ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1");
        try {
            int ifindex = Integer.parseInt(gw.exec("cat", "/sys/class/net/x0/ifindex").trim()); // x0 is down
            loop.run(() -> {
                try (XdpTxRing r = XdpTxRing.open("x0", ifindex, 64, 0)) {
                    int committed = 0;
                    for (int off = r.claim(); off >= 0; off = r.claim()) {
                        r.frames().put(off, (byte) 0);
                        r.commit(off, 60);
                        committed++;
                        if (r.queued() == 32) {
                            assertEquals(0, r.kick(), "nothing dropped: the descriptors stay queued");
                        }
                    }
                    assertEquals(64, committed, "the TX ring holds 64 descriptors");
                    assertEquals(64, r.queued());
                    assertEquals(100, r.lastError(), "ENETDOWN");
                }
            });
        } finally {
            gw.exec("ip", "link", "del", "x0");
        }
    }

    @org.junit.jupiter.api.Test
    void withoutAnUsableRingEverythingTakesTheRawSocketAndTheLogSaysWhy() throws Exception {
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        java.io.PrintStream err = System.err;
        System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            try (Emitters e = new Emitters(UplinkEmitter.Mode.PACKET, 64, "lo", "nosuch0")) {
                assertTrue(!e.uplink.ringsInUse());
                assertTrue(e.uplink.description().contains("lo: link type 772 is not Ethernet"), e.uplink.description());
                assertTrue(e.uplink.description().contains("nosuch0: no such interface"), e.uplink.description());
                long rawSent = loop.call(e.raw::sentPackets);
                e.send(esp(PEER, 0xf301, 3, 100), false);
                assertEquals(3, loop.call(e.raw::sentPackets) - rawSent);
            }
            // AF_XDP allows one socket per queue: with queue 0 of u1 taken, the emitter falls back to a packet ring.
            int ifindex = Integer.parseInt(gw.exec("cat", "/sys/class/net/u1/ifindex").trim());
            XdpTxRing taken = loop.call(() -> XdpTxRing.open("u1", ifindex, 64, 0));
            try (Emitters e = new Emitters(UplinkEmitter.Mode.XDP, 64, "u1")) {
                assertTrue(e.uplink.description().startsWith("TPACKET_V2 TX ring on u1"), e.uplink.description());
                e.resolve(PEER);
                long ring = e.ringPackets();
                e.send(esp(PEER, 0xf302, 3, 100), false);
                assertTrue(e.ringPackets() - ring >= 2);
            } finally {
                loop.run(taken::close);
            }
        } finally {
            System.setErr(err);
        }
        String text = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        err.print(text);
        assertEquals(1, text.lines().filter(l -> l.contains("emit: no packet ring could be set up, using raw sockets for everything: "
                + "lo: link type 772 is not Ethernet; nosuch0: no such interface")).count(), text);
        assertEquals(1, text.lines().filter(l -> l.contains("emit: AF_XDP on u1 not possible (bind (XDP_COPY, queue 0) on u1 failed "
                + "(errno 16)), trying a TPACKET_V2 ring")).count(), text);
    }

    @ParameterizedTest
    @EnumSource(value = UplinkEmitter.Mode.class, names = {"PACKET", "XDP"})
    void theRingPathAllocatesNothingPerPacket(UplinkEmitter.Mode mode) throws Exception {
        try (Emitters e = new Emitters(mode)) {
            e.resolve(PEER);
            byte[] packet = Frames.ipv4(Frames.ESP, 0, 1, 0x4000, GW1, PEER, Frames.esp(0xf401, 1, 1000));
            long[] allocated = new long[3];
            long ring = e.ringPackets();
            for (int round = 0; round < allocated.length; round++) {
                int r = round;
                loop.run(() -> {
                    // The buffers are the pipeline's, allocated before: only the emitter's own allocations count. Unpooled
                    // direct buffers, whose release allocates nothing (the pooled allocator's bookkeeping now and then
                    // does), and without the leak detector's wrapper, which in this build's paranoid mode records a stack
                    // trace on every access.
                    List<io.netty.buffer.ByteBuf> buffers = new ArrayList<>();
                    io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
                    io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
                    try {
                        for (int i = 0; i < 20_000; i++) {
                            buffers.add(io.netty.buffer.Unpooled.directBuffer(packet.length).writeBytes(packet));
                        }
                    } finally {
                        io.netty.util.ResourceLeakDetector.setLevel(level);
                    }
                    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < buffers.size(); i++) {
                        e.uplink.send(buffers.get(i));
                        if (i % 128 == 127) {
                            e.uplink.flush();
                        }
                    }
                    e.uplink.flush();
                    allocated[r] = mx.getCurrentThreadAllocatedBytes() - before;
                });
            }
            assertTrue(e.ringPackets() - ring >= 3 * 20_000 - 3, "the packets took the ring");
            // One object per packet would be 320,000 bytes or more. What remains is occasional (a recompilation, a neighbour
            // re-confirmation through the raw socket): measured 0 to a few KB per 20,000 packets.
            assertTrue(allocated[2] < 20_000, "bytes allocated by the emitter for 20,000 packets after two rounds of warm-up: "
                    + allocated[2]);
        }
    }
}
