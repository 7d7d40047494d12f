package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import org.junit.jupiter.api.Test;

import net.poolsa.ike.exchange.IkeDropReason;
import net.poolsa.ike.job.Timers;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpMessageDecoder;
import net.poolsa.ike.message.IsakmpMessageEncoder;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.VendorIdPayload;
import net.poolsa.ike.sa.IkeSaTable;
import net.poolsa.ike.sa.SourceRateLimit;
import net.poolsa.ike.transport.InboundIkeDatagram;

/**
 * Floods of first Main Mode messages (RFC 2408 §2.5.3) at responder B: copies of A's genuine message 1 with fresh
 * initiator cookies, from many sources (one per IPv6 /64 of 2001:db8::/32) or one. Message 1 draws no randomness (no
 * DH pair, no nonce) whatever the flood; a message 3 from another endpoint than the one our cookie was made for is
 * dropped before the DH work; a source gets {@link SourceRateLimit#BURST} new SAs at once and
 * {@link SourceRateLimit#PER_SECOND} a second; the half-open SAs stay at {@link IkeSaTable#MAX_HALF_OPEN}, each
 * within {@link IkeSaTable#HALF_OPEN_BYTES} of heap; and A's own negotiation completes in the middle of the flood.
 * <pre>
 * flood: HDR(CKY-I = n), SA, VID  --&gt;  B      (thousands, spoofed sources)
 * A:     HDR, SA, VID             --&gt;  B      ... flood ...
 *                                 &lt;--  HDR, SA, VID        ... flood ...
 *        HDR, KE, Ni              --&gt;  B      (our cookie back: no longer half-open) ...
 * </pre>
 */
class DenialOfServiceTest {
    private final Wire wire = new Wire();
    private final Wire.Side a = wire.side("A", 1, Timers.DEFAULT, "192.0.2.1");
    private final Wire.Side b = wire.side("B", 2, Timers.DEFAULT, "192.0.2.2", "2001:db8::2");
    private final InetSocketAddress bV6 = new InetSocketAddress(address("2001:db8::2"), 500);

    DenialOfServiceTest() {
        Gateways.done(a.engine.configure(List.of(Conn.of("192.0.2.1", "192.0.2.2, 2001:db8::2", "198.51.100.0/24",
                "203.0.113.0/24").build())).toCompletableFuture());
        Gateways.done(b.engine.configure(List.of(Conn.of("192.0.2.2, 2001:db8::2", "192.0.2.0/24, 2001:db8::/32",
                "203.0.113.0/24", "198.51.100.0/24").build())).toCompletableFuture());
    }

    private java.util.concurrent.CompletableFuture<IkeResult> aResult;

    /** A's genuine message 1, taken off the wire (A starts a negotiation that the test then runs or lets retransmit). */
    private byte[] messageOne() {
        aResult = a.engine.initiate("c").toCompletableFuture();
        List<Wire.Datagram> sent = wire.take();
        assertEquals(1, sent.size());
        return sent.get(0).bytes();
    }

    /** Delivers {@code count} copies of {@code m1} to B, the i-th with initiator cookie {@code first + i} from source i. */
    private void flood(byte[] m1, int first, int count, boolean oneSource) {
        byte[] copy = m1.clone();
        for (int i = first; i < first + count; i++) {
            long ci = 0x0f10_0d00_0000_0000L + i;
            for (int k = 0; k < 8; k++) {
                copy[k] = (byte) (ci >>> (56 - 8 * k));
            }
            ByteBuf content = Unpooled.wrappedBuffer(copy);
            try {
                b.engine.core().received(new InboundIkeDatagram(bV6, source(oneSource ? 0 : i), content, false));
            } finally {
                content.release();
            }
        }
        wire.take(); // B's messages 2 to the flood (nobody answers them): the callers flood with nothing else queued
    }

    /** [2001:db8:HI:LO::1]:500, one /64 per {@code i}. */
    private static InetSocketAddress source(int i) {
        byte[] v6 = new byte[16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = (byte) 0xb8;
        v6[4] = (byte) (i >>> 24);
        v6[5] = (byte) (i >>> 16);
        v6[6] = (byte) (i >>> 8);
        v6[7] = (byte) i;
        v6[15] = 1;
        try {
            return new InetSocketAddress(InetAddress.getByAddress(v6), 500);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void firstMessagesDrawNoRandomnessAndAForeignMessageThreeNoDiffieHellman() {
        byte[] m1 = messageOne();
        flood(m1, 0, 1, false); // the first one draws the cookie secret and the rate-limit key
        long drawn = b.randomBytes;
        flood(m1, 1, 2000, false);
        assertEquals(drawn, b.randomBytes, "2000 first messages drew no DH private value and no nonce");
        assertEquals(2001, b.events.halfOpen);

        // A's own exchange: message 3 replayed from another port of A's address carries the right cookie for the
        // wrong endpoint; B does no DH for it
        wire.deliver(new Wire.Datagram(new InetSocketAddress(address("192.0.2.1"), 500),
                new InetSocketAddress(address("192.0.2.2"), 500), m1));
        List<Wire.Datagram> two = wire.take();
        wire.deliver(two.get(0));
        Wire.Datagram three = wire.take().get(0);
        long before = b.randomBytes;
        wire.deliver(new Wire.Datagram(new InetSocketAddress(three.from().getAddress(), 40500), three.to(), three.bytes()));
        assertEquals(before, b.randomBytes, "no DH pair, no nonce for a message 3 from a foreign endpoint");
        assertEquals(1, b.events.drops(IkeDropReason.BAD_COOKIE.label()), b.events.drops.toString());
        assertEquals(List.of(), wire.take(), "no message 4");

        // the genuine message 3: B makes its DH pair and nonce now, and the SA is no longer half-open
        wire.deliver(three);
        // a 32-byte nonce and a 256-bit private exponent (ModpKeyPair.exponentBits)
        assertTrue(b.randomBytes - before >= 32 + 32, "nonce and modp2048 private value drawn: "
                + (b.randomBytes - before));
        assertEquals(2001, b.events.halfOpen, "2001 flood SAs half-open, A's SA past message 3");
        wire.flush();
        assertEquals(1, b.events.exchanges("main_mode/ok"));
        assertEquals(1, b.events.exchanges("quick_mode/ok"));
    }

    @Test
    void aSourceStartsItsBurstAtOnceThenItsRateASecond() {
        byte[] m1 = messageOne();
        flood(m1, 0, 100, true);
        assertEquals(SourceRateLimit.BURST, b.events.halfOpen);
        assertEquals(100 - SourceRateLimit.BURST, b.events.drops(IkeDropReason.RATE_LIMITED.label()));
        wire.advance(1000);
        flood(m1, 100, 100, true);
        assertEquals(SourceRateLimit.BURST + SourceRateLimit.PER_SECOND, b.events.halfOpen);
        assertEquals(200 - SourceRateLimit.BURST - SourceRateLimit.PER_SECOND,
                b.events.drops(IkeDropReason.RATE_LIMITED.label()));
        flood(m1, 200, 1, false);
        assertEquals(SourceRateLimit.BURST + SourceRateLimit.PER_SECOND + 1, b.events.halfOpen, "another source");
    }

    @Test
    void theHalfOpenSasStayAtTheCapAndAGenuinePeerCompletesDuringTheFlood() {
        byte[] m1 = messageOne();
        // more than the whole IKE SA table (10,000) before A starts: without the cap, A would find it full
        int flooded = IkeSaTable.MAX_SAS + 2000;
        flood(m1, 0, flooded, false);
        assertEquals(IkeSaTable.MAX_HALF_OPEN, b.events.halfOpen);
        assertEquals(flooded - IkeSaTable.MAX_HALF_OPEN, b.events.evicted);
        assertEquals(IkeSaTable.MAX_HALF_OPEN, Gateways.done(b.engine.snapshot().toCompletableFuture()).size());

        // A's message 1 was lost: it retransmits it after 4 s; before each of its datagrams reaches B, another 1000
        // first messages do
        wire.clock.advance(Timers.DEFAULT.retransmitMillis(), () -> {
        });
        int[] next = {flooded};
        wire.flush(d -> {
            if (!d.to().getAddress().getHostAddress().equals("192.0.2.2") && !d.to().getAddress().getHostAddress()
                    .equals("192.0.2.1")) {
                return null;
            }
            flood(m1, next[0], 1000, false);
            next[0] += 1000;
            return d;
        });
        IkeResult result = Gateways.done(aResult);
        assertTrue(result.ok(), result.message());
        // every message 2 went out as expendable (a congested socket drops it rather than delay A's messages 4 and 6,
        // IkeTransport.sendExpendable); nothing B sent A after A's cookie came back was
        int flood = next[0];
        assertEquals(flood + 1, b.expendable.size(), "B's messages 2: the flood's and A's");
        long toA = b.expendable.stream().filter(d -> d.to().getAddress().getHostAddress().equals("192.0.2.1")).count();
        assertEquals(1, toA, "A's message 2 only");
        assertTrue(b.expendable.stream().allMatch(d -> d.exchangeType() == 2 && !d.encrypted() && d.bytes()[16] == 1),
                "each a Main Mode (2) message in the clear whose first payload is the SA (1)");
        assertEquals(IkeSaTable.MAX_HALF_OPEN, b.events.maxHalfOpen, "never above the cap");
        assertEquals(1, b.events.exchanges("main_mode/ok"));
        assertEquals(2, b.kernel.listSas().size(), "A's SA pair installed at B");
    }

    @Test
    void aFirstMessageTooLargeToKeepCreatesNoSa() {
        byte[] m1 = messageOne();
        IsakmpMessage m = (IsakmpMessage) decode(m1);
        List<IsakmpPayload> p = new java.util.ArrayList<>(m.payloads());
        p.add(new VendorIdPayload(Octets.of(new byte[4096 - m1.length])));
        byte[] big = encode(new IsakmpMessage(m.header(), p));
        assertEquals(4096 + 4, big.length);
        flood(big, 0, 3, false);
        assertEquals(0, b.events.halfOpen);
        assertEquals(3, b.events.drops(IkeDropReason.LARGE_FIRST_MESSAGE.label()));
        flood(m1, 3, 1, false);
        assertEquals(1, b.events.halfOpen, "the same message without the padding");
    }

    private static Object decode(byte[] b) {
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        try {
            return IsakmpMessageDecoder.decode(buf);
        } catch (net.poolsa.ike.message.IkeProtocolException e) {
            throw new AssertionError(e);
        } finally {
            buf.release();
        }
    }

    private static byte[] encode(IsakmpMessage m) {
        ByteBuf buf = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encode(m, buf);
            return io.netty.buffer.ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /**
     * The heap a half-open SA keeps, as the used heap after a full collection grows when
     * {@link IkeSaTable#MAX_HALF_OPEN} of them are made: within {@link IkeSaTable#HALF_OPEN_BYTES} each.
     */
    @Test
    void aHalfOpenSaKeepsBoundedHeap() {
        byte[] m1 = messageOne();
        flood(m1, 0, 10, false); // classes loaded, secrets drawn
        long before = usedHeapAfterGc();
        flood(m1, 10, IkeSaTable.MAX_HALF_OPEN - 10, false);
        long after = usedHeapAfterGc();
        assertEquals(IkeSaTable.MAX_HALF_OPEN, b.events.halfOpen);
        long perSa = (after - before) / (IkeSaTable.MAX_HALF_OPEN - 10);
        System.out.println("heap per half-open SA: " + perSa + " bytes (m1 " + m1.length + " bytes)");
        assertTrue(perSa <= IkeSaTable.HALF_OPEN_BYTES, perSa + " bytes per half-open SA");
        assertTrue(perSa > 0, "the measurement saw the SAs: " + perSa);
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
