package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpMessageDecoder;
import net.poolsa.ike.message.IsakmpMessageEncoder;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.KeyExchangePayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.proposal.AlgorithmWords;
import net.poolsa.ike.proposal.Phase1Sa;

/**
 * Bad input against two established gateways: every datagram of their own exchange, replayed as it was and mutated
 * (byte flips, cuts, garbage appended, a seed printed on failure), then an oversized datagram and an Aggressive
 * Mode proposal. Nothing throws, nothing leaks (paranoid leak detection), every datagram is dropped and counted
 * (a mutated first message that still parses starts a new half-open SA instead, which expires), and the
 * established SAs keep their SPIs, keys and state.
 */
class BadInputTest {
    private static final long SEED = 0x5eed_2409L;
    private static final int MUTATIONS_PER_DATAGRAM = 60;

    @Test
    void replayedAndMutatedDatagramsChangeNoEstablishedSa() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().encap(true), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        g.wire.advance(1000);
        List<Wire.Datagram> exchange = List.copyOf(g.wire.log);
        assertEquals(9, exchange.size());
        State before = State.of(g);

        int delivered = 0;
        for (Wire.Datagram d : exchange) {
            g.wire.deliver(d);
            delivered++;
        }
        g.wire.take(); // stored replies to the replays: not delivered
        Random random = new Random(SEED);
        for (Wire.Datagram d : exchange) {
            for (int i = 0; i < MUTATIONS_PER_DATAGRAM; i++) {
                g.wire.deliver(d.with(mutate(d.bytes(), random)));
                delivered++;
                g.wire.take();
            }
        }
        int halfOpen = g.snapshot(g.a).size() - 1 + g.snapshot(g.b).size() - 1;
        int drops = g.a.events.totalDrops() + g.b.events.totalDrops();
        assertEquals(delivered, drops + halfOpen, "seed " + SEED + ": every datagram dropped or half-open: drops "
                + g.a.events.drops + " " + g.b.events.drops + ", half-open " + halfOpen);
        before.assertSame(g, "seed " + SEED);
        g.wire.advance(31_000);
        assertEquals(1, g.snapshot(g.b).size(), "the half-open SAs expired");
        before.assertSame(g, "seed " + SEED + " after expiry");
    }

    @Test
    void anOversizedDatagramIsDroppedAsMalformed() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        Wire.Datagram first = g.wire.log.get(0);
        byte[] big = Arrays.copyOf(first.bytes(), 10_001);
        big[24] = 0;
        big[25] = 0;
        big[26] = 0x27;
        big[27] = 0x11; // header Length 10001 to match
        g.wire.deliver(first.with(big));
        assertEquals(1, g.b.events.drops("malformed"));
        assertEquals(1, g.snapshot(g.b).size());
    }

    /**
     * {@code HDR, SA, KE, Ni, IDii -->} (Aggressive Mode) {@code <-- HDR, N(NO-PROPOSAL-CHOSEN)} in the clear: poolsa
     * offers only Main Mode (the identity and a pre-shared key's hash would go in the clear).
     */
    @Test
    void aggressiveModeIsRefusedWithANotify() throws Exception {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        List<IsakmpPayload> p = List.of(Phase1Sa.offer(AlgorithmWords.parseIke("aes128-sha256-modp2048"), 28800),
                new KeyExchangePayload(new byte[256]), new NoncePayload(new byte[32]),
                IdentificationPayload.address(java.net.InetAddress.getByName("192.0.2.1")));
        byte[] am = encode(new IsakmpMessage(IsakmpHeader.of(0x1122334455667788L, 0, ExchangeType.AGGRESSIVE, 0), p));
        g.wire.deliver(new Wire.Datagram(new java.net.InetSocketAddress("192.0.2.1", 500),
                new java.net.InetSocketAddress("192.0.2.2", 500), am));
        List<Wire.Datagram> answer = g.wire.take();
        assertEquals(1, answer.size());
        ByteBuf b = Unpooled.wrappedBuffer(answer.get(0).bytes());
        try {
            IsakmpMessage n = (IsakmpMessage) IsakmpMessageDecoder.decode(b);
            assertEquals(ExchangeType.INFORMATIONAL, n.header().exchangeType());
            assertEquals(0x1122334455667788L, n.header().initiatorCookie());
            assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, n.first(NotificationPayload.class).notifyType());
        } finally {
            b.release();
        }
        assertEquals(1, g.b.events.exchanges("aggressive_mode/refused"));
        assertEquals(1, g.b.events.drops("unsupported_exchange"));
        assertEquals(0, g.snapshot(g.b).size());
    }

    /** The message's bytes in the clear, for tests that forge one. */
    static byte[] encode(IsakmpMessage m) {
        ByteBuf b = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encode(m, b);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** One of: 1-3 flipped bytes, a cut, garbage appended, a header field rewritten. */
    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        switch (r.nextInt(4)) {
            case 0:
                for (int n = 1 + r.nextInt(3); n > 0; n--) {
                    b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
                }
                return b;
            case 1:
                return Arrays.copyOf(b, r.nextInt(b.length));
            case 2:
                byte[] longer = Arrays.copyOf(b, b.length + 1 + r.nextInt(64));
                for (int i = b.length; i < longer.length; i++) {
                    longer[i] = (byte) r.nextInt();
                }
                return longer;
            default:
                int field = 16 + r.nextInt(12); // next payload, version, exchange, flags, message ID, length
                b[field] = (byte) r.nextInt();
                return b;
        }
    }

    /** The SAs of both gateways: SPIs, keys, state. */
    private record State(List<String> sas, List<byte[]> keys, List<String> ike) {
        static State of(Gateways g) {
            List<String> sas = new ArrayList<>();
            List<byte[]> keys = new ArrayList<>();
            for (Wire.Side s : List.of(g.a, g.b)) {
                for (SecurityAssociation sa : s.kernel.listSas()) {
                    sas.add(s + " " + sa.direction() + " " + sa.spiHex() + " " + sa.state());
                    keys.add(sa.keys().encryptionKey().clone());
                }
            }
            List<String> ike = new ArrayList<>();
            for (Wire.Side s : List.of(g.a, g.b)) {
                for (IkeSaSnapshot i : g.snapshot(s)) {
                    if (i.state().equals("ESTABLISHED")) {
                        ike.add(s + " " + i.initiatorCookie() + i.responderCookie() + " " + i.children().size());
                    }
                }
            }
            return new State(sas, keys, ike);
        }

        void assertSame(Gateways g, String where) {
            State now = of(g);
            assertEquals(sas, now.sas, where);
            assertEquals(ike, now.ike, where);
            for (int i = 0; i < keys.size(); i++) {
                assertArrayEquals(keys.get(i), now.keys.get(i), where);
            }
            for (Wire.Side s : List.of(g.a, g.b)) {
                for (SecurityAssociation sa : s.kernel.listSas()) {
                    assertEquals(SaState.ACTIVE, sa.state(), where);
                }
            }
        }
    }
}
