package net.poolsa.ike.crypto;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The formulas of RFC 2409 §5, §5.5, §5.7 and Appendix B, recomputed here with a bare {@link Mac} so that a slip
 * in {@link Phase1Keys} (an operand order, the one-octet 0/1/2, the expansion seed) shows. {@link KeymatVectorTest}
 * checks the same code against strongSwan's own values.
 */
class Phase1KeysTest {
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] psk = "test-only-psk".getBytes(StandardCharsets.US_ASCII);
    private final Phase1Values values = new Phase1Values(bytes("cky-i", 8), bytes("cky-r", 8), bytes("ni", 20),
            bytes("nr", 24), bytes("gxi", 128), bytes("gxr", 128));
    private final byte[] gxy = bytes("gxy", 128);

    private static byte[] bytes(String seed, int n) {
        return new SeededRandom(seed).bytes(n);
    }

    private static byte[] hmac(String alg, byte[] key, byte[]... parts) throws Exception {
        Mac mac = Mac.getInstance(alg);
        mac.init(new SecretKeySpec(key, alg));
        for (byte[] p : parts) {
            mac.update(p);
        }
        return mac.doFinal();
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** SKEYID for pre-shared keys and for signatures, then SKEYID_d, _a, _e with the octets 0, 1, 2. */
    @Test
    void skeyidFamily() throws Exception {
        Phase1Suite suite = new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128);
        Phase1Keys k = Phase1Keys.preSharedKey(suite, psk, values, gxy);
        byte[] skeyid = hmac("HmacSHA256", psk, values.nonceI(), values.nonceR());
        assertArrayEquals(skeyid, k.skeyid());
        byte[] d = hmac("HmacSHA256", skeyid, gxy, values.cookieI(), values.cookieR(), new byte[] {0});
        byte[] a = hmac("HmacSHA256", skeyid, d, gxy, values.cookieI(), values.cookieR(), new byte[] {1});
        byte[] e = hmac("HmacSHA256", skeyid, a, gxy, values.cookieI(), values.cookieR(), new byte[] {2});
        assertArrayEquals(d, k.skeyidD());
        assertArrayEquals(a, k.skeyidA());
        assertArrayEquals(e, k.skeyidE());
        assertArrayEquals(Arrays.copyOf(e, 16), k.encryptionKey(), "SKEYID_e long enough: its first 16 bytes");

        Phase1Keys sig = Phase1Keys.signatures(suite, values, gxy);
        assertArrayEquals(hmac("HmacSHA256", cat(values.nonceI(), values.nonceR()), gxy), sig.skeyid());
    }

    /** Appendix B: SKEYID_e of 20 bytes for a 32- or 24-byte key: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1). */
    @Test
    void shortSkeyidEIsExpanded() throws Exception {
        for (Phase1Suite suite : new Phase1Suite[] {new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.AES_CBC, 256),
            new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.TRIPLE_DES_CBC, 192),
            new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.AES_CBC, 192)}) {
            Phase1Keys k = Phase1Keys.preSharedKey(suite, psk, values, gxy);
            byte[] e = k.skeyidE();
            assertEquals(20, e.length);
            byte[] k1 = hmac("HmacSHA1", e, new byte[] {0});
            byte[] k2 = hmac("HmacSHA1", e, k1);
            assertArrayEquals(Arrays.copyOf(cat(k1, k2), suite.keyLength()), k.encryptionKey(), suite.toString());
            assertFalse(Arrays.equals(Arrays.copyOf(e, 20), Arrays.copyOf(k.encryptionKey(), 20)),
                    "not SKEYID_e itself");
        }
        // three blocks: a 64-byte request with a 20-byte PRF
        byte[] e = bytes("e", 20);
        byte[] k1 = hmac("HmacSHA1", e, new byte[] {0});
        byte[] k2 = hmac("HmacSHA1", e, k1);
        byte[] k3 = hmac("HmacSHA1", e, k2);
        byte[] k4 = hmac("HmacSHA1", e, k3);
        assertArrayEquals(Arrays.copyOf(cat(k1, k2, k3, k4), 64), Phase1Keys.expand(HashAlgorithm.SHA1, e, 64));
    }

    /** HASH_I and HASH_R: the responder's form swaps the DH values and the cookies but keeps SAi_b. */
    @Test
    void phase1Hashes() throws Exception {
        Phase1Keys k = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA2_384, IkeCipher.AES_CBC, 256), psk,
                values, gxy);
        byte[] sa = bytes("sa", 44);
        byte[] idi = bytes("idi", 8);
        byte[] idr = bytes("idr", 8);
        assertArrayEquals(hmac("HmacSHA384", k.skeyid(), values.publicI(), values.publicR(), values.cookieI(),
                values.cookieR(), sa, idi), k.hashI(sa, idi));
        assertArrayEquals(hmac("HmacSHA384", k.skeyid(), values.publicR(), values.publicI(), values.cookieR(),
                values.cookieI(), sa, idr), k.hashR(sa, idr));
    }

    /** RFC 2409 §5.5 HASH(1)-(3) and §5.7 Informational HASH(1), with the M-ID in network order. */
    @Test
    void phase2Hashes() throws Exception {
        Phase1Keys k = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA2_512, IkeCipher.AES_CBC, 128), psk,
                values, gxy);
        int mid = 0x89abcdef;
        byte[] m = HEX.parseHex("89abcdef");
        byte[] rest = bytes("rest", 300);
        byte[] ni = bytes("qm-ni", 32);
        byte[] nr = bytes("qm-nr", 32);
        assertArrayEquals(hmac("HmacSHA512", k.skeyidA(), m, rest), k.quickModeHash1(mid, rest));
        assertArrayEquals(hmac("HmacSHA512", k.skeyidA(), m, ni, rest), k.quickModeHash2(mid, ni, rest));
        assertArrayEquals(hmac("HmacSHA512", k.skeyidA(), new byte[] {0}, m, ni, nr), k.quickModeHash3(mid, ni, nr));
        assertArrayEquals(hmac("HmacSHA512", k.skeyidA(), m, rest), k.informationalHash(mid, rest));
    }

    /** KEYMAT: K1 = prf(SKEYID_d, seed), Kn = prf(SKEYID_d, Kn-1 | seed), seed = [g(qm)^xy |] protocol | SPI | Ni | Nr. */
    @Test
    void keymatExpansion() throws Exception {
        Phase1Keys k = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.AES_CBC, 128), psk,
                values, gxy);
        byte[] ni = bytes("qm-ni", 16);
        byte[] nr = bytes("qm-nr", 16);
        byte[] pfs = bytes("qm-gxy", 128);
        for (byte[] g : new byte[][] {null, pfs}) {
            byte[] seed = cat(g == null ? new byte[0] : g, new byte[] {3}, HEX.parseHex("c0ffee01"), ni, nr);
            byte[] k1 = hmac("HmacSHA1", k.skeyidD(), seed);
            byte[] k2 = hmac("HmacSHA1", k.skeyidD(), k1, seed);
            byte[] k3 = hmac("HmacSHA1", k.skeyidD(), k2, seed);
            assertArrayEquals(Arrays.copyOf(cat(k1, k2, k3), 44), k.keymat(3, 0xc0ffee01, g, ni, nr, 44));
        }
        assertFalse(Arrays.equals(k.keymat(3, 1, null, ni, nr, 20), k.keymat(2, 1, null, ni, nr, 20)),
                "the protocol octet is part of the seed");
    }

    @Test
    void hashMismatchIsInvalidHashInformation() throws Exception {
        byte[] h = bytes("h", 32);
        Phase1Keys.verify(h, h.clone(), "HASH(1)");
        byte[] other = h.clone();
        other[31] ^= 1;
        IkeCryptoException e = assertThrows(IkeCryptoException.class, () -> Phase1Keys.verify(h, other, "HASH(1)"));
        assertEquals(23, e.notifyType().code());
        assertTrue(e.getMessage().startsWith("HASH(1) does not verify"), e.getMessage());
        assertThrows(IkeCryptoException.class, () -> Phase1Keys.verify(h, Arrays.copyOf(h, 20), "HASH_R"));
    }

    @Test
    void destroyZeroesEveryKeyAndToStringNamesTheSuiteOnly() {
        Phase1Keys k = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 256), psk,
                values, gxy);
        byte[][] live = {k.skeyid(), k.skeyidD(), k.skeyidA(), k.skeyidE(), k.encryptionKey()};
        assertEquals("Phase1Keys[AES_CBC-256/SHA2_256]", k.toString());
        k.destroy();
        for (byte[] key : live) {
            assertArrayEquals(new byte[key.length], key);
        }
        assertTrue(k.isDestroyed());
        assertThrows(IllegalStateException.class, () -> k.hashI(new byte[1], new byte[1]));
        assertThrows(IllegalStateException.class, () -> k.keymat(3, 1, null, new byte[1], new byte[1], 16));
        assertThrows(IllegalStateException.class, k::newEncryption);
        assertEquals("Phase1Keys[AES_CBC-256/SHA2_256, destroyed]", k.toString());
    }

    @Test
    void suiteAndValuesRefuseImpossibleArguments() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.AES_CBC, 64));
        assertThrows(IllegalArgumentException.class,
                () -> new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.TRIPLE_DES_CBC, 128));
        assertEquals(192, IkeCipher.TRIPLE_DES_CBC.defaultKeyBits());
        assertEquals(0, IkeCipher.AES_CBC.defaultKeyBits(), "AES needs its Key Length attribute");
        assertThrows(IllegalArgumentException.class,
                () -> new Phase1Values(new byte[7], new byte[8], new byte[8], new byte[8], new byte[1], new byte[1]));
        for (int len : new int[] {0, 7, 257}) {
            IkeCryptoException e = assertThrows(IkeCryptoException.class, () -> Phase1Values.requireNonce(new byte[len]));
            assertEquals(16, e.notifyType().code(), "PAYLOAD-MALFORMED");
        }
        assertEquals(8, Phase1Values.requireNonce(new byte[8]).length);
        assertEquals(256, Phase1Values.requireNonce(new byte[256]).length);
        assertThrows(IllegalArgumentException.class,
                () -> Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.AES_CBC, 128), new byte[0],
                        values, gxy));
    }
}
