package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.crypto.IntegrityMac;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sa.UdpEncapsulation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every malformed or hostile input is dropped with its own reason; nothing throws, nothing leaks (paranoid leak
 * detection). Malformed IP headers, at every entry point including the decapsulated packet: MalformedIpTest.
 */
class BadInputTest {
    private final Drops drops = new Drops();
    private final IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
    private final IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
    private final ByteBuf inner4 = Unpooled.wrappedBuffer(udp(IN4_SRC, IN4_DST, 1000, 2000, payload(1)));

    @AfterEach
    void release() {
        inner4.release();
    }

    private static SaTransformContext ctx(SecurityAssociation sa) {
        try {
            return SaTransformContext.of(sa);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private ByteBuf protect(SecurityAssociation sa) {
        ByteBuf out = proc.protect(sa, inner4, addr(OUT4_A), addr(OUT4_B));
        assertNotNull(out, drops.reasons::toString);
        return out;
    }

    private void expectDrop(DropReason reason, SecurityAssociation sa, ByteBuf outer) {
        drops.reasons.clear();
        try {
            ByteBuf r = rx.unprotect(sa, outer);
            if (r != null) {
                r.release();
                fail("accepted, expected " + reason);
            }
            assertEquals(reason, drops.last());
            assertEquals(1, drops.reasons.size());
        } finally {
            outer.release();
        }
    }

    /** Sets the IPv4 total length and checksum after a test cut or grew the packet. */
    private static ByteBuf fixV4(ByteBuf b) {
        b.setShort(2, b.readableBytes());
        b.setShort(10, 0);
        b.setShort(10, Checksums.checksum(b, 0, 20));
        return b;
    }

    @Test
    void truncatedHeaders() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x100, false, null);
        ByteBuf good = protect(p.out());
        expectDrop(DropReason.TRUNCATED, p.in(), fixV4(good.copy(0, 26))); // ESP header cut
        expectDrop(DropReason.TRUNCATED, p.in(), fixV4(good.copy(0, 20 + 8 + 8 + 16))); // no room for a trailer
        good.release();
    }

    @Test
    void badLengths() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, CBC128_SHA256, 0x101, false, null);
        ByteBuf good = protect(p.out());
        expectDrop(DropReason.BAD_LENGTH, p.in(), fixV4(good.copy(0, good.readableBytes() - 1))); // ciphertext % 16 != 0
        good.release();
        Pair n = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x102, false, UdpEncapsulation.NAT_T);
        ByteBuf udp = protect(n.out());
        udp.setShort(24, udp.getUnsignedShort(24) + 4);
        expectDrop(DropReason.BAD_LENGTH, n.in(), udp);
        Pair ah = pair(IpsecProtocol.AH, SaMode.TUNNEL, AH_SHA256, 0x103, false, null);
        ByteBuf a = protect(ah.out());
        a.setByte(21, 3); // AH payload length no longer matches the ICV size
        expectDrop(DropReason.BAD_LENGTH, ah.in(), a);
    }

    @Test
    void badIcvForEveryKindOfIntegrity() {
        int spi = 0x200;
        for (Suite s : new Suite[] {GCM128, CHACHA, CBC128_SHA1, NULL_SHA256, AH_SHA1}) {
            IpsecProtocol proto = s.enc().equals("none") ? IpsecProtocol.AH : IpsecProtocol.ESP;
            Pair p = pair(proto, SaMode.TUNNEL, s, spi++, false, null);
            int seqByte = proto == IpsecProtocol.AH ? 20 + 11 : 20 + 7;
            for (int at : new int[] {seqByte, 40, -1}) { // sequence number, body, ICV: all authenticated
                ByteBuf bad = protect(p.out());
                int idx = at < 0 ? bad.readableBytes() - 1 : at;
                bad.setByte(idx, bad.getByte(idx) ^ 0x02);
                expectDrop(DropReason.BAD_ICV, p.in(), bad);
            }
        }
    }

    @Test
    void ahIgnoresMutableFieldsButCoversTheRest() {
        Pair p = pair(IpsecProtocol.AH, SaMode.TUNNEL, AH_SHA256, 0x210, false, null);
        ByteBuf a = protect(p.out());
        a.setByte(8, 3); // TTL changed in transit (mutable, RFC 4302 §3.3.3.1.1.1)
        a.setByte(1, 0xb8); // DSCP remarked
        fixV4(a);
        ByteBuf back = rx.unprotect(p.in(), a);
        assertNotNull(back, drops.reasons::toString);
        back.release();
        a.release();
        ByteBuf b = protect(p.out());
        b.setByte(12, 192); // source address is immutable
        b.setByte(15, 9);
        expectDrop(DropReason.BAD_ICV, p.in(), fixV4(b));
    }

    /** A NULL-encryption SA shows its plaintext, so a test can rewrite the trailer and re-sign it with the SA's key. */
    private ByteBuf resigned(Pair p, int offset, int value) throws Exception {
        ByteBuf b = protect(p.out());
        b.setByte(offset, value);
        IntegrityMac mac = new IntegrityMac(IntegrityAlgorithm.HMAC_SHA2_256_128, NULL_SHA256.integKey());
        int icv = b.readableBytes() - 16;
        mac.update(b, 20, icv - 20);
        mac.finishInto(b, icv);
        return b;
    }

    @Test
    void badPaddingAndDummyPackets() throws Exception {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, NULL_SHA256, 0x300, false, null);
        // inner 29 bytes -> 1 pad byte at ESP payload offset 28+29, pad length at +1, next header at +2
        int pad = 20 + 8 + 29;
        ByteBuf check = protect(p.out());
        assertEquals(1, check.getUnsignedByte(pad));
        assertEquals(1, check.getUnsignedByte(pad + 1));
        assertEquals(4, check.getUnsignedByte(pad + 2));
        check.release();
        expectDrop(DropReason.BAD_PADDING, p.in(), resigned(p, pad, 7));
        expectDrop(DropReason.BAD_PADDING, p.in(), resigned(p, pad + 1, 200));
        expectDrop(DropReason.DUMMY_PACKET, p.in(), resigned(p, pad + 2, 59));
        expectDrop(DropReason.UNSUPPORTED, p.in(), resigned(p, pad + 2, 17)); // transport payload on a tunnel SA
    }

    @Test
    void replayedAndTooOld() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x400, false, null);
        ByteBuf first = protect(p.out());
        ctx(p.out()).outbound().skipTo(5000);
        ByteBuf later = protect(p.out());
        ByteBuf ok = rx.unprotect(p.in(), later);
        assertNotNull(ok);
        ok.release();
        expectDrop(DropReason.REPLAYED, p.in(), later.retainedDuplicate());
        later.release();
        expectDrop(DropReason.TOO_OLD, p.in(), first);
    }

    @Test
    void replayWindowAdvancesOnlyAfterTheIcvVerified() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, CHACHA, 0x401, false, null);
        ByteBuf genuine = protect(p.out());
        ByteBuf forged = genuine.copy();
        forged.setByte(forged.readableBytes() - 1, forged.getByte(forged.readableBytes() - 1) ^ 0x40);
        expectDrop(DropReason.BAD_ICV, p.in(), forged);
        ByteBuf back = rx.unprotect(p.in(), genuine); // same sequence number and nonce as the forgery: still accepted
        assertNotNull(back, drops.reasons::toString);
        back.release();
        genuine.release();
    }

    @Test
    void selectorMismatchAfterDecapsulation() {
        TrafficSelector narrow = TrafficSelector.between(AddressPool.parse("203.0.113.128/25"), AddressPool.ANY);
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x500, false, null, 1024, narrow);
        expectDrop(DropReason.SELECTOR_MISMATCH, p.in(), protect(p.out()));
        TrafficSelector port = new TrafficSelector(AddressPool.ANY, AddressPool.ANY, 17, net.poolsa.esp.sa.PortRange.ANY,
                net.poolsa.esp.sa.PortRange.of(53));
        Pair q = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x501, false, null, 1024, port);
        expectDrop(DropReason.SELECTOR_MISMATCH, q.in(), protect(q.out()));
    }

    @Test
    void wrongSpiOrProtocol() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x600, false, null);
        Pair other = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x601, false, null);
        expectDrop(DropReason.UNKNOWN_SPI, other.in(), protect(p.out()));
        Pair ah = pair(IpsecProtocol.AH, SaMode.TUNNEL, AH_SHA1, 0x600, false, null);
        expectDrop(DropReason.UNKNOWN_SPI, ah.in(), protect(p.out()));
        expectDrop(DropReason.UNSUPPORTED, pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x600, false, null).in(),
                protect(pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x600, false, UdpEncapsulation.NAT_T).out()));
    }

    @Test
    void natTraversalMarkers() {
        Pair n = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x700, false, UdpEncapsulation.NAT_T);
        ByteBuf keepalive = fixV4(Unpooled.buffer().writeBytes(udp(OUT4_A, OUT4_B, 4500, 4500, new byte[] {(byte) 0xFF})));
        keepalive.setShort(26, 0);
        assertEquals(0, spiOf(keepalive));
        expectDrop(DropReason.UNSUPPORTED, n.in(), keepalive);
        ByteBuf ike = Unpooled.wrappedBuffer(udp(OUT4_A, OUT4_B, 4500, 4500, new byte[40]));
        assertEquals(0, spiOf(ike));
        expectDrop(DropReason.UNSUPPORTED, n.in(), ike);
        ByteBuf other = Unpooled.wrappedBuffer(udp(OUT4_A, OUT4_B, 53, 53, payload(40)));
        assertEquals(0, spiOf(other));
        other.release();
        ByteBuf esp = protect(n.out());
        assertEquals(0x700, spiOf(esp));
        esp.release();
    }

    @Test
    void sequenceNumberExhaustionExpiresTheSa() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x800, false, null);
        ctx(p.out()).outbound().skipTo(0xFFFF_FFFFL);
        protect(p.out()).release();
        drops.reasons.clear();
        assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr(OUT4_B)));
        assertEquals(DropReason.SEQUENCE_EXHAUSTED, drops.last());
        assertEquals(SaState.EXPIRED, p.out().state());
        assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr(OUT4_B)));
        assertEquals(DropReason.SA_EXPIRED, drops.last());
    }

    @Test
    void killedSaIsWipedAndRefused() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, CBC128_SHA256, 0x900, false, null);
        ByteBuf pkt = protect(p.out());
        p.out().kill();
        assertTrue(p.out().keys().isDestroyed());
        assertTrue(((SaTransformContext) p.out().transformContext()).closed());
        assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr(OUT4_B)));
        assertEquals(DropReason.SA_EXPIRED, drops.last());
        p.in().kill();
        expectDrop(DropReason.SA_EXPIRED, p.in(), pkt);
    }

    @Test
    void unusableAlgorithms() {
        for (SaKeys k : new SaKeys[] {
            new SaKeys("aes-ccm-16", new byte[20], "none", null),
            new SaKeys("des-cbc", new byte[8], "hmac-sha1-96", new byte[20]),
            new SaKeys("aes-gcm-16", new byte[20], "hmac-sha1-96", new byte[20]),
            new SaKeys("aes-gcm-16", new byte[17], "none", null),
            new SaKeys("null", null, "none", null),
            new SaKeys("aes-cbc", new byte[16], "hmac-sha2-256-128", new byte[16]),
        }) {
            SecurityAssociation sa = SecurityAssociation.builder().spi(0x1000).direction(Direction.OUTBOUND)
                    .localOuter(AddressPool.ANY).remoteOuter(AddressPool.ANY)
                    .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(k).build();
            drops.reasons.clear();
            assertNull(proc.protect(sa, inner4, addr(OUT4_A), addr(OUT4_B)), k.toString());
            assertEquals(DropReason.UNSUPPORTED, drops.last(), k.toString());
        }
    }

    @Test
    void outerAddressOutsideThePools() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0xA00, false, null);
        assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr("203.0.113.99")));
        assertEquals(DropReason.POOL_MISMATCH, drops.last());
        assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr(OUT6_B)));
        assertEquals(DropReason.POOL_MISMATCH, drops.last());
        assertNull(proc.protect(p.out(), inner4, null, null)); // no current address chosen yet: the SA cannot send yet
        assertEquals(DropReason.NO_SA, drops.last());
        Pair t = pair(IpsecProtocol.ESP, SaMode.TRANSPORT, GCM128, 0xA01, false, null);
        ByteBuf tr = Unpooled.wrappedBuffer(udp(OUT4_A, OUT4_B, 1, 2, payload(3)));
        assertNull(proc.protect(t.out(), tr, addr("192.0.2.2"), null));
        assertEquals(DropReason.POOL_MISMATCH, drops.last());
        tr.release();
    }

    @Test
    void oversizedInnerPacketOutbound() {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0xB00, false, null);
        ByteBuf huge = Unpooled.wrappedBuffer(udp(IN6_SRC, IN6_DST, 1, 2, payload(65_480)));
        assertNull(proc.protect(p.out(), huge, addr(OUT4_A), addr(OUT4_B)));
        assertEquals(DropReason.TOO_BIG, drops.last());
        huge.release();
    }

    /** Every prefix and random single-byte corruptions of valid packets: a drop or a packet, never an exception or a leak. */
    @Test
    void mangledPacketsNeverThrow() {
        Random rnd = new Random(42);
        int spi = 0xC00;
        for (Suite s : new Suite[] {GCM128, CBC128_SHA1, CBC128_NOAUTH, AH_SHA256}) {
            IpsecProtocol proto = s.enc().equals("none") ? IpsecProtocol.AH : IpsecProtocol.ESP;
            for (SaMode mode : SaMode.values()) {
                Pair p = pair(proto, mode, s, spi++, false, null);
                ByteBuf in = mode == SaMode.TUNNEL ? inner4.retainedDuplicate() : Unpooled.wrappedBuffer(udp(OUT6_A, OUT6_B, 1, 2, payload(40)));
                ByteBuf good = proc.protect(p.out(), in, mode == SaMode.TUNNEL ? addr(OUT4_A) : null, mode == SaMode.TUNNEL ? addr(OUT4_B) : null);
                in.release();
                assertNotNull(good, drops.reasons::toString);
                for (int len = 0; len < good.readableBytes(); len++) {
                    ByteBuf r = rx.unprotect(p.in(), good.slice(0, len));
                    if (r != null) {
                        r.release();
                    }
                }
                for (int i = 0; i < 300; i++) {
                    ByteBuf m = good.copy();
                    m.setByte(rnd.nextInt(m.readableBytes()), rnd.nextInt(256));
                    ByteBuf r = rx.unprotect(p.in(), m);
                    if (r != null) {
                        r.release();
                    }
                    m.release();
                }
                good.release();
            }
        }
    }
}
