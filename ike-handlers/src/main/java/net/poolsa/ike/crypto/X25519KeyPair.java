package net.poolsa.ike.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * A Curve25519 key pair (group 31) by the JDK's X25519. The private value is 32 random bytes, clamped by
 * X25519 itself; the public value is X25519(k, 9). A peer value is decoded as RFC 7748 §5 says (little-endian,
 * top bit masked, non-canonical values reduced); a shared secret of all zeros (a small-order peer point) is
 * refused, as RFC 8031 §2 requires.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8031#section-2">RFC 8031 §2</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc7748#section-5">RFC 7748 §5</a>
 */
final class X25519KeyPair extends DhKeyPair {
    private static final int SIZE = 32;
    private final byte[] scalar;

    /** Copies {@code scalar}. */
    X25519KeyPair(byte[] scalar) {
        super(DhGroup.CURVE25519, publicValue(scalar));
        this.scalar = scalar.clone();
    }

    static X25519KeyPair generate(IkeRandom random) {
        byte[] k = random.bytes(SIZE);
        try {
            return new X25519KeyPair(k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    private static byte[] publicValue(byte[] scalar) {
        if (scalar.length != SIZE) {
            throw new IllegalArgumentException("X25519 scalar of " + scalar.length + " bytes, expected 32");
        }
        try {
            return x25519(scalar, BigInteger.valueOf(9));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 with the base point failed", e);
        }
    }

    @Override
    byte[] agree(byte[] peerPublicValue) throws IkeCryptoException {
        byte[] be = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            be[i] = peerPublicValue[SIZE - 1 - i];
        }
        be[0] &= 0x7f;
        byte[] secret;
        try {
            secret = x25519(scalar, new BigInteger(1, be));
        } catch (GeneralSecurityException e) {
            // SunEC refuses a small-order point itself ("Point has small order")
            throw IkeCryptoException.invalidKey("Curve25519 public value refused: " + e.getMessage());
        }
        int or = 0;
        for (byte s : secret) {
            or |= s;
        }
        if (or == 0) {
            throw IkeCryptoException.invalidKey("Curve25519 shared secret is all zero (small-order public value)");
        }
        return secret;
    }

    private static byte[] x25519(byte[] scalar, BigInteger u) throws GeneralSecurityException {
        KeyFactory kf = KeyFactory.getInstance("XDH");
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar)));
        ka.doPhase(kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u)), true);
        return ka.generateSecret();
    }

    @Override
    void wipePrivate() {
        Arrays.fill(scalar, (byte) 0);
    }
}
