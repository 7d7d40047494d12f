package net.poolsa.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import net.poolsa.esp.crypto.MacWiper;
import net.poolsa.esp.crypto.WipeableKey;

/**
 * The phase-1 Hash Algorithm attribute of IKEv1 and the two functions built on it: the hash itself (IV
 * material, RFC 2409 Appendix B) and, since no PRF attribute is negotiated (none is defined), the PRF: the
 * HMAC version of the negotiated hash (RFC 2409 §4). For the SHA-2 hashes the PRF is the full HMAC of 32, 48
 * or 64 bytes (RFC 4868: "the PRF variants are not truncated"; only the ESP/AH ICV is), which is what
 * strongSwan 5.9 derives with (keymat_v1.c maps the negotiated HMAC-SHA2-256-128 to PRF_HMAC_SHA2_256).
 *
 * <p>Stateless; each call builds its own {@link Mac}, so instances are safe from any thread. The control plane
 * calls these a handful of times per exchange.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A (Hash Algorithm values)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4868">RFC 4868</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2104">RFC 2104 (HMAC)</a>
 */
public enum HashAlgorithm {
    SHA1(2, "SHA-1", "HmacSHA1", 20),
    SHA2_256(4, "SHA-256", "HmacSHA256", 32),
    SHA2_384(5, "SHA-384", "HmacSHA384", 48),
    SHA2_512(6, "SHA-512", "HmacSHA512", 64);

    private final int code;
    private final String digestName;
    private final String macName;
    private final int length;

    HashAlgorithm(int code, String digestName, String macName, int length) {
        this.code = code;
        this.digestName = digestName;
        this.macName = macName;
        this.length = length;
    }

    /** The algorithm for an IKEv1 Hash Algorithm attribute value, or null when this code does not offer it. */
    public static HashAlgorithm ofCode(int code) {
        for (HashAlgorithm h : values()) {
            if (h.code == code) {
                return h;
            }
        }
        return null;
    }

    /** The Hash Algorithm attribute value (RFC 2409 Appendix A; 4-6 from the IANA IPsec registry, RFC 4868). */
    public int code() {
        return code;
    }

    /** Output length in bytes of both the hash and the PRF. */
    public int length() {
        return length;
    }

    /** hash(parts[0] | parts[1] | ...). */
    public byte[] hash(byte[]... parts) {
        MessageDigest md = digest();
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    /** prf(key, parts[0] | parts[1] | ...) = HMAC(key, ...), the full output. The key may have any length. */
    public byte[] prf(byte[] key, byte[]... parts) {
        Mac mac = keyedMac(key);
        try {
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } finally {
            MacWiper.wipe(mac);
        }
    }

    /**
     * A {@link Mac} keyed with a copy of {@code key} that this code zeroes at once: what is left is the
     * provider's own key schedule, which {@link #prf} overwrites with {@link MacWiper} when it is done.
     */
    Mac keyedMac(byte[] key) {
        WipeableKey k = new WipeableKey(macName, key, 0, key.length);
        try {
            Mac mac = Mac.getInstance(macName);
            mac.init(k);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(macName + " is part of every Java 17 runtime", e);
        } finally {
            k.destroy();
        }
    }

    private MessageDigest digest() {
        try {
            return MessageDigest.getInstance(digestName);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(digestName + " is part of every Java 17 runtime", e);
        }
    }
}
