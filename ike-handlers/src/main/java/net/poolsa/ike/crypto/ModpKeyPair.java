package net.poolsa.ike.crypto;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * A MODP Diffie-Hellman key pair, generator 2. The private exponent is drawn with {@link #exponentBits} bits, at least
 * twice the group's security strength as NIST SP 800-56A Rev. 3 §5.6.1.1.4 and RFC 7919 §5.2 require for safe-prime
 * groups (OpenSSL 3 draws 225 bits for a 2048-bit group); a peer's value is accepted when 1 &lt; y &lt; p-1, enough
 * for these safe-prime groups with ephemeral keys (RFC 6989 §2).
 *
 * <p>Before, the exponent had the size of p less one bit, as strongSwan's default ({@code dh_exponent_ansi_x9_42 =
 * yes}): with Java's modPow a group-14 Diffie-Hellman then cost about 8x as much, and the four of a tunnel setup
 * were most of its CPU time (docs/benchmarks.md §6).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc7919#section-5.2">RFC 7919 §5.2 (exponent sizes)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-6.2">RFC 2409 §6.2</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3526#section-3">RFC 3526 §3 and §4</a>
 */
final class ModpKeyPair extends DhKeyPair {
    /** 2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 }. */
    static final BigInteger P1024 = new BigInteger(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16);
    /** 2^2048 - 2^1984 - 1 + 2^64 * { [2^1918 pi] + 124476 }. */
    static final BigInteger P2048 = new BigInteger(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
            + "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
            + "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
            + "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16);
    /** 2^3072 - 2^3008 - 1 + 2^64 * { [2^2942 pi] + 1690314 }. */
    static final BigInteger P3072 = new BigInteger(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
            + "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
            + "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
            + "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
            + "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
            + "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
            + "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
            + "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF", 16);
    private static final BigInteger G = BigInteger.TWO;

    private final BigInteger p;
    private final byte[] exponent;

    ModpKeyPair(DhGroup group, byte[] exponent) {
        this(group, prime(group), exponent.clone());
    }

    private ModpKeyPair(DhGroup group, BigInteger p, byte[] exponent) {
        super(group, fixedLength(G.modPow(new BigInteger(1, exponent), p), group.publicValueLength()));
        this.p = p;
        this.exponent = exponent;
    }

    static ModpKeyPair generate(DhGroup group, IkeRandom random) {
        byte[] x = new byte[exponentBits(group) / 8];
        do {
            random.nextBytes(x);
        } while (new BigInteger(1, x).compareTo(BigInteger.TWO) < 0);
        return new ModpKeyPair(group, prime(group), x);
    }

    /**
     * Bits of a generated private exponent: at least twice the security strength (SP 800-57 Part 1 Table 2: 80, 112
     * and 128 bits for 1024-, 2048- and 3072-bit groups), rounded up to whole bytes with a margin, never below 256.
     */
    static int exponentBits(DhGroup group) {
        switch (group) {
            case MODP_1024:
            case MODP_2048:
                return 256;
            case MODP_3072:
                return 320;
            default:
                throw new IllegalArgumentException(group + " is not a MODP group");
        }
    }

    static BigInteger prime(DhGroup group) {
        switch (group) {
            case MODP_1024:
                return P1024;
            case MODP_2048:
                return P2048;
            case MODP_3072:
                return P3072;
            default:
                throw new IllegalArgumentException(group + " is not a MODP group");
        }
    }

    @Override
    byte[] agree(byte[] peerPublicValue) throws IkeCryptoException {
        BigInteger y = new BigInteger(1, peerPublicValue);
        if (y.compareTo(BigInteger.ONE) <= 0 || y.compareTo(p.subtract(BigInteger.ONE)) >= 0) {
            throw IkeCryptoException.invalidKey(group() + " public value outside 1 < y < p-1");
        }
        return fixedLength(y.modPow(new BigInteger(1, exponent), p), group().sharedSecretLength());
    }

    @Override
    void wipePrivate() {
        Arrays.fill(exponent, (byte) 0);
    }
}
