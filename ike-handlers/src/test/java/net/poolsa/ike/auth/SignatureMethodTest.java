package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Random;

import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SIG payload signatures of IKEv1 (RFC 2409 §5.1): round trips with RSA and ECDSA P-256/P-384/P-521 over hashes
 * of every PRF length, and each encoding checked with code other than the JDK provider that makes it: the RSA
 * signature opened with the raw public-key operation is exactly PKCS#1 v1.5 block type 1 around the hash, with no
 * DigestInfo; the ECDSA r | s verifies with Bouncy Castle's ECDSA over the hash as given.
 */
class SignatureMethodTest {
    private static final int[] HASH_LENGTHS = {20, 32, 48, 64}; // SHA-1, SHA2-256/384/512 PRFs

    private static byte[] hash(int n, long seed) {
        byte[] h = new byte[n];
        new Random(seed).nextBytes(h);
        return h;
    }

    @ParameterizedTest
    @ValueSource(ints = {2048, 3072})
    void rsaIsPkcs1Type1AroundTheBareHash(int bits) {
        KeyPair k = TestPki.rsa(bits);
        assertEquals(SignatureMethod.RSA, SignatureMethod.forKey(k.getPublic()));
        for (int n : HASH_LENGTHS) {
            byte[] h = hash(n, n);
            byte[] sig = SignatureMethod.RSA.sign(k.getPrivate(), h);
            assertEquals(bits / 8, sig.length);
            assertTrue(SignatureMethod.RSA.verify(k.getPublic(), h, sig));
            // s^e mod n = 00 01 FF..FF 00 || hash
            RSAPublicKey pub = (RSAPublicKey) k.getPublic();
            byte[] em = new BigInteger(1, sig).modPow(pub.getPublicExponent(), pub.getModulus()).toByteArray();
            byte[] block = new byte[bits / 8];
            System.arraycopy(em, 0, block, block.length - em.length, em.length);
            assertEquals(0, block[0]);
            assertEquals(1, block[1]);
            int sep = block.length - n - 1;
            for (int i = 2; i < sep; i++) {
                assertEquals((byte) 0xff, block[i], "padding octet " + i);
            }
            assertEquals(0, block[sep]);
            assertArrayEquals(h, Arrays.copyOfRange(block, sep + 1, block.length), "the hash, no DigestInfo");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"secp256r1", "secp384r1", "secp521r1"})
    void ecdsaIsRConcatSOverTheHashAsGiven(String curve) {
        KeyPair k = TestPki.ec(curve);
        SignatureMethod m = SignatureMethod.forKey(k.getPublic());
        int size = curve.equals("secp256r1") ? 32 : curve.equals("secp384r1") ? 48 : 66;
        assertEquals(curve, m.curve());
        X9ECParameters x9 = ECNamedCurveTable.getByName(curve);
        ECDomainParameters domain = new ECDomainParameters(x9.getCurve(), x9.getG(), x9.getN(), x9.getH());
        ECPublicKey pub = (ECPublicKey) k.getPublic();
        ECDSASigner bc = new ECDSASigner();
        bc.init(false, new ECPublicKeyParameters(x9.getCurve().createPoint(pub.getW().getAffineX(),
                pub.getW().getAffineY()), domain));
        for (int n : HASH_LENGTHS) {
            byte[] h = hash(n, n + 1);
            byte[] sig = m.sign(k.getPrivate(), h);
            assertEquals(2 * size, sig.length, curve + " r | s");
            assertEquals(2 * size, m.signatureLength(k.getPublic()));
            assertTrue(m.verify(k.getPublic(), h, sig));
            BigInteger r = new BigInteger(1, Arrays.copyOf(sig, size));
            BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, size, 2 * size));
            assertTrue(bc.verifySignature(h, r, s), curve + ": Bouncy Castle verifies over the " + n + "-byte hash");
        }
    }

    @Test
    void everyFlippedByteOfSignatureOrHashIsRefused() {
        for (KeyPair k : new KeyPair[] {TestPki.rsa(2048), TestPki.ec("secp256r1"), TestPki.ec("secp384r1")}) {
            SignatureMethod m = SignatureMethod.forKey(k.getPublic());
            byte[] h = hash(32, 7);
            byte[] sig = m.sign(k.getPrivate(), h);
            for (int i = 0; i < sig.length; i++) {
                byte[] bad = sig.clone();
                bad[i] ^= 0x80;
                assertFalse(m.verify(k.getPublic(), h, bad), m + " signature byte " + i);
            }
            for (int i = 0; i < h.length; i++) {
                byte[] bad = h.clone();
                bad[i] ^= 0x01;
                assertFalse(m.verify(k.getPublic(), bad, sig), m + " hash byte " + i);
            }
            assertFalse(m.verify(k.getPublic(), h, Arrays.copyOf(sig, sig.length - 1)), m + " short");
            assertFalse(m.verify(k.getPublic(), h, Arrays.copyOf(sig, sig.length + 1)), m + " long");
            assertFalse(m.verify(k.getPublic(), h, new byte[sig.length]), m + " zeros");
            // another key of the same kind
            KeyPair other = m == SignatureMethod.RSA ? TestPki.rsa(2048) : TestPki.ec(m.curve());
            assertFalse(m.verify(other.getPublic(), h, sig), m + " other key");
        }
    }

    @Test
    void methodAndKeyMustAgree() throws Exception {
        KeyPair p256 = TestPki.ec("secp256r1");
        KeyPair rsa = TestPki.rsa(2048);
        assertFalse(SignatureMethod.ECDSA_384.accepts(p256.getPublic()));
        assertFalse(SignatureMethod.RSA.verify(p256.getPublic(), new byte[32], new byte[64]));
        assertThrows(IllegalArgumentException.class, () -> SignatureMethod.ECDSA_256.sign(rsa.getPrivate(), new byte[32]));
        // a 256-bit curve that is not P-256
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
        g.initialize(new ECGenParameterSpec("brainpoolP256r1"));
        assertNull(SignatureMethod.forKey(g.generateKeyPair().getPublic()));
    }

    @Test
    void authenticationMethodCodes() {
        assertEquals(3, SignatureMethod.RSA.authMethod());
        assertEquals(9, SignatureMethod.ECDSA_256.authMethod());
        assertEquals(10, SignatureMethod.ECDSA_384.authMethod());
        assertEquals(11, SignatureMethod.ECDSA_521.authMethod());
        assertEquals(SignatureMethod.ECDSA_384, SignatureMethod.ofAuthMethod(10));
        assertNull(SignatureMethod.ofAuthMethod(1), "pre-shared key is no signature method");
        assertNull(SignatureMethod.ofAuthMethod(2), "DSS is not offered");
    }
}
