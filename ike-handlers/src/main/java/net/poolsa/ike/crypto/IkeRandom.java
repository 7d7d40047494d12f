package net.poolsa.ike.crypto;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The one source of randomness of the IKE code: nonces, cookies, Diffie-Hellman private values. (ISAKMP padding
 * is zeros and the CBC IVs are chained, RFC 2409 Appendix B, so neither draws from it.)
 * Production uses {@link #system()}; a test passes a deterministic source so that a captured exchange can be
 * replayed byte for byte.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (nonces, cookies, DH values)</a>
 */
@FunctionalInterface
public interface IkeRandom {
    /** Bytes of the nonces this code sends. */
    int NONCE_LENGTH = 32;

    /** Fills {@code out} with random bytes. */
    void nextBytes(byte[] out);

    /** {@code n} fresh random bytes. */
    default byte[] bytes(int n) {
        byte[] b = new byte[n];
        nextBytes(b);
        return b;
    }

    /**
     * A nonce body of {@link #NONCE_LENGTH} bytes. RFC 2409 §5 allows 8 to 256; 32 is what strongSwan sends, 256
     * bits, as many as the largest key offered.
     */
    default byte[] nonce() {
        return bytes(NONCE_LENGTH);
    }

    /**
     * An 8-byte ISAKMP cookie, never all zeros: a zero responder cookie marks a message that starts an exchange
     * (RFC 2408 §3.1), so a zero value would be ambiguous.
     */
    default byte[] cookie() {
        byte[] c = new byte[8];
        do {
            nextBytes(c);
        } while (Arrays.equals(c, new byte[8]));
        return c;
    }

    /** The operating system's strong generator ({@link SecureRandom}'s default, /dev/urandom on Linux). */
    static IkeRandom system() {
        SecureRandom random = new SecureRandom();
        return random::nextBytes;
    }
}
