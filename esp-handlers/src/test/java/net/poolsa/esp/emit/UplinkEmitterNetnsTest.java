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
            this.raw = loop.call(() -> new RawSocketEmitter(listener, FWMARK));
            this.uplink = loop.call(() -> UplinkEmitter.open(mode, List.of(uplinks), raw, FWMARK, listener, ringFrames));
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
            try (PeerCapture atPeer = new PeerCapture(p1, "p1", CAPTURE, dir); PeerCapture atRouter = new PeerCapture(rt, "r2", CAPTURE, dir)) {
                e.send(all, true);
                e.send(all, false);
                assertEquals(ring + all.size(), e.ringPackets(), "every packet of the mix took the ring");
                assertEquals(viaRaw, e.rawIpsecPackets());
                List<byte[]> peer = atPeer.await(2 * (toPeer.size() + toPeer6.size()), f -> to(PEER).test(f) || to(PEER_6).test(f));
                List<byte[]> router = atRouter.await(2 * toFar.size(), to(FAR));
                assertHalvesEqual(peer, PEER, toPeer.size());
                assertHalvesEqual(peer, PEER_6, toPeer6.size());
                assertHalvesEqual(router, FAR, toFar.size());
            }
        }
        assertEquals(Map.of(), drops);
    }
}
