package net.poolsa.ike.crypto;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * One side's Diffie-Hellman key pair of one exchange ({@link DhGroup#generate}). Not thread-safe; confined to
 * the IKE event loop like the exchange that owns it. {@link #destroy()} zeroes the private value this object
 * holds; the JCA and {@link java.math.BigInteger} temporaries built from it for a computation cannot be wiped
 * and are left to the garbage collector (the same limit as the JDK's own key classes).
 *
 * @see DhGroup
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (g^x, g^xy)</a>
 */
public abstract class DhKeyPair {
    private final DhGroup group;
    private final byte[] publicValue;
    private boolean destroyed;

    DhKeyPair(DhGroup group, byte[] publicValue) {
        if (publicValue.length != group.publicValueLength()) {
            throw new IllegalStateException(group + " public value of " + publicValue.length + " bytes");
        }
        this.group = group;
        this.publicValue = publicValue;
    }

    public final DhGroup group() {
        return group;
    }

    /** Our public value in the group's KE payload format (a copy). */
    public final byte[] publicValue() {
        return publicValue.clone();
    }

    /**
     * g^xy with the peer's KE payload data, in the format SKEYID and KEYMAT take. The caller owns the returned
     * array and zeroes it when the keys are derived.
     *
     * @throws IkeCryptoException INVALID-KEY-INFORMATION when the peer's value has the wrong length or is not a
     *                            valid element of the group
     */
    public final byte[] sharedSecret(byte[] peerPublicValue) throws IkeCryptoException {
        if (destroyed) {
            throw new IllegalStateException(group + " key pair already destroyed");
        }
        if (peerPublicValue.length != group.publicValueLength()) {
            throw IkeCryptoException.invalidKey(group + " public value of " + peerPublicValue.length
                    + " bytes, expected " + group.publicValueLength());
        }
        byte[] secret = agree(peerPublicValue);
        if (secret.length != group.sharedSecretLength()) {
            throw new IllegalStateException(group + " shared secret of " + secret.length + " bytes");
        }
        return secret;
    }

    /** The shared secret of a peer value of the right length; validates the value. */
    abstract byte[] agree(byte[] peerPublicValue) throws IkeCryptoException;

    /** Zeroes the private value. */
    abstract void wipePrivate();

    /** Zeroes the private value; later {@link #sharedSecret} calls fail. Idempotent. */
    public final void destroy() {
        destroyed = true;
        wipePrivate();
    }

    public final boolean isDestroyed() {
        return destroyed;
    }

    /** Names the group only. */
    @Override
    public final String toString() {
        return "DhKeyPair[" + group + (destroyed ? ", destroyed]" : "]");
    }

    /** {@code v} as an unsigned big-endian number of exactly {@code length} bytes. */
    static byte[] fixedLength(BigInteger v, int length) {
        byte[] raw = v.toByteArray();
        if (raw.length == length) {
            return raw;
        }
        byte[] out = new byte[length];
        if (raw.length > length) {
            // toByteArray adds a 0x00 sign octet when the top bit is set
            if (raw.length != length + 1 || raw[0] != 0) {
                throw new IllegalStateException("value of " + raw.length + " bytes does not fit " + length);
            }
            System.arraycopy(raw, 1, out, 0, length);
        } else {
            System.arraycopy(raw, 0, out, length - raw.length, raw.length);
        }
        Arrays.fill(raw, (byte) 0);
        return out;
    }
}
