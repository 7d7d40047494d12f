package net.poolsa.esp.crypto;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Truncated HMACs against published vectors whose key lengths are the ones ESP uses. */
class HmacVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    private static void check(IntegrityAlgorithm alg, byte[] key, byte[] data, String fullMac) throws Exception {
        IntegrityMac mac = new IntegrityMac(alg, key);
        mac.update(data, 0, 3);
        mac.update(Unpooled.wrappedBuffer(data), 3, data.length - 3);
        ByteBuf icv = Unpooled.buffer(64).writeZero(64);
        mac.finishInto(icv, 0);
        String expected = fullMac.substring(0, alg.icvLength() * 2);
        assertEquals(expected, HEX.formatHex(icv.array(), 0, alg.icvLength()));
        mac.update(data, 0, data.length);
        assertTrue(mac.finishAndVerify(icv, 0));
        icv.setByte(alg.icvLength() - 1, icv.getByte(alg.icvLength() - 1) ^ 0x80);
        mac.update(data, 0, data.length);
        assertFalse(mac.finishAndVerify(icv, 0));
    }

    private static byte[] fill(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private static final byte[] HI_THERE = "Hi There".getBytes(StandardCharsets.US_ASCII);

    /** RFC 2202 §3 test case 1 (HMAC-SHA-1), truncated to 96 bits as RFC 2404 §2. */
    @Test
    void hmacSha1Rfc2202() throws Exception {
        check(IntegrityAlgorithm.HMAC_SHA1_96, fill(20, 0x0b), HI_THERE, "b617318655057264e28bc0b6fb378c8ef146be00");
    }

    /** RFC 4868 §2.7.2.1 test cases AUTH256-1 and AUTH256-2 (RFC 4231 data with 32-byte keys). */
    @Test
    void hmacSha256Rfc4868() throws Exception {
        check(IntegrityAlgorithm.HMAC_SHA2_256_128, fill(32, 0x0b), HI_THERE,
                "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
        check(IntegrityAlgorithm.HMAC_SHA2_256_128, "JefeJefeJefeJefeJefeJefeJefeJefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII),
                "167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6");
        check(IntegrityAlgorithm.HMAC_SHA2_256_128, fill(32, 0xaa), fill(50, 0xdd),
                "cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0");
    }

    /** RFC 4868 §2.7.2.3 test cases AUTH512-1 and AUTH512-2. */
    @Test
    void hmacSha512Rfc4868() throws Exception {
        check(IntegrityAlgorithm.HMAC_SHA2_512_256, fill(64, 0x0b), HI_THERE,
                "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"
                        + "ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b");
        check(IntegrityAlgorithm.HMAC_SHA2_512_256, "JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"
                        .getBytes(StandardCharsets.US_ASCII), "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII),
                "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"
                        + "6aa334ae9fb9afc2184932d8695e397bfa0ffb93466cfcceaae38c833b7dba38");
    }

    @Test
    void wrongKeyLengthIsRefused() {
        assertThrows(java.security.GeneralSecurityException.class, () -> new IntegrityMac(IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[20]));
    }

    @Test
    void namesAreCaseInsensitive() {
        assertEquals(EspAlgorithm.AES_GCM_16, EspAlgorithm.of("AES-GCM-16"));
        assertEquals(EspAlgorithm.CHACHA20_POLY1305, EspAlgorithm.of(" ChaCha20-Poly1305 "));
        assertEquals(IntegrityAlgorithm.HMAC_SHA2_384_192, IntegrityAlgorithm.of("HMAC-SHA2-384-192"));
        assertNull(EspAlgorithm.of("aes-ccm-16"));
    }
}
