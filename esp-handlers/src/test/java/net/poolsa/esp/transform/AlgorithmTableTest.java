package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.security.GeneralSecurityException;
import java.util.Set;
import java.util.TreeSet;
import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.crypto.IpsecAlgorithms;
import net.poolsa.esp.crypto.LegacyAlgorithms;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import org.junit.jupiter.api.Test;

/**
 * The algorithm table ({@link IpsecAlgorithms} over {@link EspAlgorithm} and {@link IntegrityAlgorithm}) against the
 * transform: every algorithm pair and key length the table accepts builds a context and carries packets both ways;
 * every one it refuses is refused by the transform with the table's message. So the configuration, which decides
 * from the same table, never accepts an SA the data path then drops as unsupported.
 */
class AlgorithmTableTest {
    @Test
    void whatTheTableAcceptsTheTransformRunsAndNothingElse() throws Exception {
        for (boolean des : new boolean[] {false, true}) {
            LegacyAlgorithms.allowDes(des);
            try {
                checkAll();
            } finally {
                LegacyAlgorithms.allowDes(false);
            }
        }
    }

    /** AES-GCM takes 128-, 192- and 256-bit keys (RFC 4106 §8.1), each followed by the 4-byte salt. */
    @Test
    void aesGcmTakesAllThreeAesKeySizes() {
        assertArrayEquals(new int[] {20, 28, 36}, EspAlgorithm.AES_GCM_16.keyMaterialLengths());
        assertNull(IpsecAlgorithms.check(IpsecProtocol.ESP, EspAlgorithm.AES_GCM_16, 28, IntegrityAlgorithm.NONE, 0));
        assertEquals(192, EspAlgorithm.AES_GCM_16.keyBits(28));
    }

    private void checkAll() throws Exception {
        int accepted = 0;
        int refused = 0;
        for (IpsecProtocol proto : IpsecProtocol.values()) {
            for (EspAlgorithm enc : EspAlgorithm.values()) {
                for (int encLen : candidates(enc.keyMaterialLengths())) {
                    for (IntegrityAlgorithm integ : IntegrityAlgorithm.values()) {
                        for (int intLen : candidates(new int[] {integ.keyLength()})) {
                            IpsecAlgorithms.Problem expected = IpsecAlgorithms.check(proto, enc, encLen, integ, intLen);
                            Suite suite = new Suite(enc.ikeName(), encLen, integ.ikeName(), intLen);
                            SaMode mode = proto == IpsecProtocol.AH ? SaMode.TRANSPORT : SaMode.TUNNEL;
                            Pair p = Packets.pair(proto, mode, suite, 0x4000 + accepted + refused, false, null);
                            if (expected == null) {
                                roundTrip(p, mode, suite);
                                accepted++;
                            } else {
                                GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                                        () -> SaTransformContext.of(p.out()), suite::toString);
                                assertEquals(expected.message(), e.getMessage());
                                refused++;
                            }
                            p.out().kill();
                            p.in().kill();
                        }
                    }
                }
            }
        }
        // ESP: GCM 3 sizes + ChaCha 1 + CBC 3 sizes x 5 integrity + 3DES x 5 + null x 4 (+ DES x 5 when allowed); AH: 4.
        int expectedAccepted = 3 + 1 + 3 * 5 + 5 + 4 + (LegacyAlgorithms.desAllowed() ? 5 : 0) + 4;
        assertEquals(expectedAccepted, accepted);
        assertTrue(refused > 10 * accepted, "refusals covered: " + refused);
    }

    /** The accepted lengths, one byte either side of each, and 0. */
    private static Set<Integer> candidates(int[] lengths) {
        Set<Integer> out = new TreeSet<>(Set.of(0));
        for (int l : lengths) {
            out.add(l);
            out.add(l + 1);
            if (l > 0) {
                out.add(l - 1);
            }
        }
        return out;
    }

    private static void roundTrip(Pair p, SaMode mode, Suite suite) {
        Drops drops = new Drops();
        IpsecProcessor tx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        String[] a = mode == SaMode.TUNNEL ? new String[] {IN4_SRC, IN4_DST, OUT4_A, OUT4_B} : new String[] {OUT4_A, OUT4_B, null, null};
        byte[] inner = udp(a[0], a[1], 1000, 2000, payload(77));
        ByteBuf in = Unpooled.wrappedBuffer(inner);
        ByteBuf outer = tx.protect(p.out(), in, a[2] == null ? null : addr(a[2]), a[3] == null ? null : addr(a[3]));
        assertNotNull(outer, () -> suite + " protect dropped: " + drops.reasons);
        try {
            ByteBuf back = rx.unprotect(p.in(), outer);
            assertNotNull(back, () -> suite + " unprotect dropped: " + drops.reasons);
            try {
                assertArrayEquals(inner, bytes(back), suite::toString);
            } finally {
                back.release();
            }
        } finally {
            outer.release();
            in.release();
        }
    }
}
