package net.poolsa.ike.crypto;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * An ECP Diffie-Hellman key pair on NIST P-256 (group 19) or P-384 (group 20), scalar multiplication by the
 * JDK's SunEC provider.
 *
 * <p>The JCA derives no public key from a given private scalar, and the private scalar must come from
 * {@link IkeRandom}. So the public point Q = d*G is computed with two ECDH operations on public data: ECDH(d, G)
 * gives x(Q); the curve equation gives y up to its sign; ECDH(d+1, G) = x(Q + G) tells which sign it is,
 * by adding G to one candidate. Only SunEC ever touches d; the BigInteger arithmetic sees public values only.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5903#section-7">RFC 5903 §7 (x | y) and §9 (x of the shared point)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6989#section-2">RFC 6989 §2 (public value checks)</a>
 */
final class EcpKeyPair extends DhKeyPair {
    private final Curve curve;
    private final byte[] scalar;

    EcpKeyPair(DhGroup group, byte[] scalar) {
        this(Curve.of(group), scalar.clone());
    }

    private EcpKeyPair(Curve curve, byte[] scalar) {
        super(curve.group, curve.publicValue(new BigInteger(1, scalar)));
        this.curve = curve;
        this.scalar = scalar;
    }

    /** d uniform in [1, n-2] (reduced from 64 extra random bits), so that d+1 is a valid scalar too. */
    static EcpKeyPair generate(DhGroup group, IkeRandom random) {
        Curve c = Curve.of(group);
        byte[] seed = random.bytes(c.size + 8);
        BigInteger d = new BigInteger(1, seed).mod(c.n.subtract(BigInteger.TWO)).add(BigInteger.ONE);
        Arrays.fill(seed, (byte) 0);
        return new EcpKeyPair(c, fixedLength(d, c.size));
    }

    @Override
    byte[] agree(byte[] peerPublicValue) throws IkeCryptoException {
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(peerPublicValue, 0, curve.size));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(peerPublicValue, curve.size, 2 * curve.size));
        if (!curve.contains(x, y)) {
            throw IkeCryptoException.invalidKey(curve.group + " public value is not a point of the curve");
        }
        try {
            return curve.ecdhX(new BigInteger(1, scalar), new ECPoint(x, y));
        } catch (GeneralSecurityException e) {
            throw IkeCryptoException.invalidKey(curve.group + " public value refused by SunEC: " + e.getMessage());
        }
    }

    @Override
    void wipePrivate() {
        Arrays.fill(scalar, (byte) 0);
    }

    /** The domain parameters of one curve, from SunEC. */
    private static final class Curve {
        private static final Curve P256 = new Curve(DhGroup.ECP_256, "secp256r1");
        private static final Curve P384 = new Curve(DhGroup.ECP_384, "secp384r1");

        final DhGroup group;
        final ECParameterSpec spec;
        final BigInteger p;
        final BigInteger a;
        final BigInteger b;
        final BigInteger n;
        final int size;

        private Curve(DhGroup group, String name) {
            this.group = group;
            try {
                AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec(name));
                spec = params.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(name + " is part of every Java 17 runtime", e);
            }
            p = ((ECFieldFp) spec.getCurve().getField()).getP();
            a = spec.getCurve().getA();
            b = spec.getCurve().getB();
            n = spec.getOrder();
            size = group.sharedSecretLength();
            if (p.testBit(0) && p.testBit(1) && spec.getCofactor() == 1) {
                return;
            }
            // sqrt below needs p = 3 mod 4; "on the curve" means "in the group" only with cofactor 1
            throw new IllegalStateException(name + " does not have p = 3 mod 4 and cofactor 1");
        }

        static Curve of(DhGroup group) {
            switch (group) {
                case ECP_256:
                    return P256;
                case ECP_384:
                    return P384;
                default:
                    throw new IllegalArgumentException(group + " is not an ECP group");
            }
        }

        /** Both coordinates reduced and y^2 = x^3 + ax + b: with cofactor 1 this excludes every small subgroup. */
        boolean contains(BigInteger x, BigInteger y) {
            if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
                return false;
            }
            return y.multiply(y).mod(p).equals(rhs(x));
        }

        private BigInteger rhs(BigInteger x) {
            return x.multiply(x).add(a).multiply(x).add(b).mod(p);
        }

        /** x | y of d*G. */
        byte[] publicValue(BigInteger d) {
            if (d.signum() <= 0 || d.compareTo(n.subtract(BigInteger.ONE)) >= 0) {
                throw new IllegalArgumentException(group + " private scalar outside [1, n-2]");
            }
            ECPoint g = spec.getGenerator();
            BigInteger x;
            BigInteger xNext;
            try {
                x = new BigInteger(1, ecdhX(d, g));
                xNext = new BigInteger(1, ecdhX(d.add(BigInteger.ONE), g));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(group + " scalar multiplication of G failed", e);
            }
            BigInteger y;
            if (x.equals(g.getAffineX())) {
                y = g.getAffineY(); // d = 1: the other point with this x is -G = (n-1)G, outside the range
            } else {
                BigInteger y0 = rhs(x).modPow(p.add(BigInteger.ONE).shiftRight(2), p);
                y = xOfSum(x, y0, g).equals(xNext) ? y0 : p.subtract(y0);
                if (!xOfSum(x, y, g).equals(xNext) || !contains(x, y)) {
                    throw new IllegalStateException(group + " public point reconstruction failed");
                }
            }
            byte[] out = new byte[2 * size];
            System.arraycopy(fixedLength(x, size), 0, out, 0, size);
            System.arraycopy(fixedLength(y, size), 0, out, size, size);
            return out;
        }

        /** x of (x1, y1) + G, affine addition of two distinct points with distinct x. */
        private BigInteger xOfSum(BigInteger x1, BigInteger y1, ECPoint g) {
            BigInteger lambda = g.getAffineY().subtract(y1)
                    .multiply(g.getAffineX().subtract(x1).modInverse(p)).mod(p);
            return lambda.multiply(lambda).subtract(x1).subtract(g.getAffineX()).mod(p);
        }

        /** The x coordinate of d*point, fixed length, by SunEC's ECDH (which also checks that point is on the curve). */
        byte[] ecdhX(BigInteger d, ECPoint point) throws GeneralSecurityException {
            KeyFactory kf = KeyFactory.getInstance("EC");
            PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(d, spec));
            PublicKey pub = kf.generatePublic(new ECPublicKeySpec(point, spec));
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(priv);
            ka.doPhase(pub, true);
            return ka.generateSecret();
        }
    }
}
