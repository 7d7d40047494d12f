package net.poolsa.esp.crypto;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The one source of the data plane's unpredictable values: the blocks whose encryption is a CBC IV (RFC 3602 §3,
 * RFC 4303 §3.3.2; {@link CbcHmacCipher}), outer IPv4
 * identifications, IPv6 fragment identifications (RFC 7739 §5). Each per-thread user (a transform processor, a
 * protect stage) asks it once for a generator of its own, so no generator is shared between threads and no
 * per-packet path takes a lock. Production uses {@link #SYSTEM}; a test hands in a source that replays known bytes,
 * so that what the transforms write can be compared with a capture byte for byte.
 */
@FunctionalInterface
public interface RandomSource {
    /** A generator for one thread's use; never shared. */
    SecureRandom newGenerator();

    /**
     * A DRBG (NIST SP 800-90A, seeded by the JDK from the operating system) per caller: unlike the NativePRNG
     * singleton, no lock is shared with other threads. It is read in 4 KB blocks ({@link BufferedRandom}): a CBC
     * IV's block drawn per packet then costs a copy, not a DRBG request.
     */
    RandomSource SYSTEM = () -> {
        SecureRandom drbg;
        try {
            drbg = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            drbg = new SecureRandom();
        }
        return new BufferedRandom(drbg);
    };
}
