package net.poolsa.ike.crypto;

import java.math.BigInteger;
import java.util.Arrays;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * An ECP Diffie-Hellman key pair on NIST P-256 (group 19) or P-384 (group 20), scalar multiplication by Bouncy
 * Castle's curves with dedicated field arithmetic ({@link CustomNamedCurves}): the public point d*G by a fixed-point
 * comb (its table of multiples of G is built once per curve, its entries read by constant-time lookups), the shared
 * point by the curve's default multiplication (windowed NAF), as Bouncy Castle's own {@code ECDHBasicAgreement}
 * does. Unlike SunEC's, that one's timing depends on the scalar; each scalar here is ephemeral and takes part in one
 * agreement only.
 *
 * <p>Before, both went through the JDK's SunEC ECDH, which derives no public key from a given scalar: d*G took two
 * ECDH operations and a square root, so a Diffie-Hellman cost three generic scalar multiplications, most of the CPU
 * time of a tunnel setup (docs/benchmarks.md §6).
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

    /** d uniform in [1, n-2] (reduced from 64 extra random bits; a seeded random gives the scalars it always gave). */
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
        ECPoint shared = curve.params.getCurve().createPoint(x, y).multiply(new BigInteger(1, scalar)).normalize();
        if (shared.isInfinity()) {
            throw IkeCryptoException.invalidKey(curve.group + " shared point is the point at infinity");
        }
        return fixedLength(shared.getAffineXCoord().toBigInteger(), curve.size);
    }

    @Override
    void wipePrivate() {
        Arrays.fill(scalar, (byte) 0);
    }

    /** The domain parameters of one curve. */
    private static final class Curve {
        private static final Curve P256 = new Curve(DhGroup.ECP_256, "secp256r1");
        private static final Curve P384 = new Curve(DhGroup.ECP_384, "secp384r1");

        final DhGroup group;
        final X9ECParameters params;
        final BigInteger p;
        final BigInteger a;
        final BigInteger b;
        final BigInteger n;
        final int size;
        private final FixedPointCombMultiplier comb = new FixedPointCombMultiplier();

        private Curve(DhGroup group, String name) {
            this.group = group;
            params = CustomNamedCurves.getByName(name);
            ECCurve curve = params.getCurve();
            p = curve.getField().getCharacteristic();
            a = curve.getA().toBigInteger();
            b = curve.getB().toBigInteger();
            n = params.getN();
            size = group.sharedSecretLength();
            if (!BigInteger.ONE.equals(params.getH())) {
                // "on the curve" means "in the group" only with cofactor 1
                throw new IllegalStateException(name + " does not have cofactor 1");
            }
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
            return y.multiply(y).mod(p).equals(x.multiply(x).add(a).multiply(x).add(b).mod(p));
        }

        /** x | y of d*G. */
        byte[] publicValue(BigInteger d) {
            if (d.signum() <= 0 || d.compareTo(n) >= 0) {
                throw new IllegalArgumentException(group + " private scalar outside [1, n-1]");
            }
            ECPoint q = comb.multiply(params.getG(), d).normalize();
            byte[] out = new byte[2 * size];
            System.arraycopy(fixedLength(q.getAffineXCoord().toBigInteger(), size), 0, out, 0, size);
            System.arraycopy(fixedLength(q.getAffineYCoord().toBigInteger(), size), 0, out, size, size);
            return out;
        }
    }
}
