package net.poolsa.ike.auth;

import java.math.BigInteger;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;

/**
 * ECDSA over P-256 and P-384 with Bouncy Castle's curve arithmetic ({@code CustomNamedCurves}: dedicated field
 * arithmetic, a fixed-point comb for k*G whose table is built once per curve), the same arithmetic the ECP
 * Diffie-Hellman groups use ({@code EcpKeyPair}): a profile of certificate setups found most of their CPU in the
 * JDK's SunEC P-256 arithmetic (docs/benchmarks.md §6). The message is HASH_I/HASH_R itself, truncated to the order's bit length as ECDSA prescribes (the same as
 * the JDK's {@code NONEwithECDSA}); the nonce k is derived as RFC 6979 §3.2 describes (HMAC-SHA-256 over the key and
 * the message), so no randomness is drawn. Stateless; safe from any thread (the curve's tables are built under BC's
 * own lock).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4754#section-7">RFC 4754 §7</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6979#section-3.2">RFC 6979 §3.2</a>
 */
final class BcEcdsa {
    private static final ECDomainParameters P256 = domain("secp256r1");
    private static final ECDomainParameters P384 = domain("secp384r1");

    private BcEcdsa() {
    }

    /** The domain of a curve this class computes on, null for another (P-521 stays with the JDK). */
    static ECDomainParameters of(String curve) {
        return switch (curve) {
            case "secp256r1" -> P256;
            case "secp384r1" -> P384;
            default -> null;
        };
    }

    /** r | s, each left-padded to {@code length} bytes. */
    static byte[] sign(ECDomainParameters d, ECPrivateKey key, byte[] hash, int length) {
        ECDSASigner s = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        s.init(true, new ECPrivateKeyParameters(key.getS(), d));
        BigInteger[] rs = s.generateSignature(hash);
        byte[] out = new byte[2 * length];
        put(rs[0], out, 0, length);
        put(rs[1], out, length, length);
        return out;
    }

    /** Whether r | s ({@code signature}, 2 * {@code length} bytes) signs {@code hash} with {@code key}. */
    static boolean verify(ECDomainParameters d, ECPublicKey key, byte[] hash, byte[] signature, int length) {
        ECPoint q;
        try {
            q = d.validatePublicPoint(d.getCurve().createPoint(key.getW().getAffineX(), key.getW().getAffineY()));
        } catch (IllegalArgumentException offTheCurve) {
            return false;
        }
        ECDSASigner s = new ECDSASigner();
        s.init(false, new ECPublicKeyParameters(q, d));
        // verifySignature refuses r or s outside [1, n-1]
        return s.verifySignature(hash, new BigInteger(1, Arrays.copyOfRange(signature, 0, length)),
                new BigInteger(1, Arrays.copyOfRange(signature, length, 2 * length)));
    }

    private static void put(BigInteger v, byte[] out, int offset, int length) {
        byte[] b = v.toByteArray();
        int skip = b.length > length ? b.length - length : 0; // the sign octet toByteArray adds
        int n = b.length - skip;
        System.arraycopy(b, skip, out, offset + length - n, n);
    }

    private static ECDomainParameters domain(String name) {
        X9ECParameters x = CustomNamedCurves.getByName(name);
        return new ECDomainParameters(x.getCurve(), x.getG(), x.getN(), x.getH(), x.getSeed());
    }
}
