package net.poolsa.ike.crypto;

import java.security.SecureRandom;

/**
 * The one source of randomness of the IKE code: nonces, cookies, Diffie-Hellman private values, padding.
 * Production uses {@link #system()}; a test passes a deterministic source so that a captured exchange can be
 * replayed byte for byte.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (nonces, cookies, DH values)</a>
 */
@FunctionalInterface
public interface IkeRandom {

    /** Fills {@code out} with random bytes. */
    void nextBytes(byte[] out);

    /** {@code n} fresh random bytes. */
    default byte[] bytes(int n) {
        byte[] b = new byte[n];
        nextBytes(b);
        return b;
    }

    /** The operating system's strong generator ({@link SecureRandom}'s default, /dev/urandom on Linux). */
    static IkeRandom system() {
        SecureRandom random = new SecureRandom();
        return random::nextBytes;
    }
}
