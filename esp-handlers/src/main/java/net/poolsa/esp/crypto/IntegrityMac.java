package net.poolsa.esp.crypto;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * A truncated HMAC (RFC 2404, RFC 4868) for ESP and AH, fed incrementally; the full digest lands in a reused
 * scratch array and only its first {@link #icvLength()} bytes are written or compared. Not thread-safe.
 */
public final class IntegrityMac {
    private final IntegrityAlgorithm algorithm;
    private final WipeableKey key;
    private final Mac mac;
    private final byte[] digest;
    private final byte[] word = new byte[4];
    private final Jca jca = new Jca(0);

    public IntegrityMac(IntegrityAlgorithm algorithm, byte[] key) throws GeneralSecurityException {
        if (algorithm == IntegrityAlgorithm.NONE) {
            throw new GeneralSecurityException("no integrity algorithm");
        }
        if (key.length != algorithm.keyLength()) {
            throw new GeneralSecurityException(algorithm.ikeName() + " needs a " + algorithm.keyLength() + "-byte key, got " + key.length);
        }
        this.algorithm = algorithm;
        this.key = new WipeableKey(algorithm.jcaName(), key, 0, key.length);
        this.mac = Mac.getInstance(algorithm.jcaName());
        this.mac.init(this.key);
        this.digest = new byte[mac.getMacLength()];
    }

    public int icvLength() {
        return algorithm.icvLength();
    }

    public void update(ByteBuf buf, int off, int len) {
        jca.update(mac, buf, off, len);
    }

    public void update(byte[] b, int off, int len) {
        mac.update(b, off, len);
    }

    /** Appends a 32-bit value, e.g. the implicit ESN high half (RFC 4303 §2.2.1). */
    public void updateInt(int v) {
        AeadCipher.putInt(word, 0, v);
        mac.update(word, 0, 4);
    }

    /** Feeds {@code n} zero bytes (the ICV field while AH computes the ICV). */
    public void updateZeros(int n) {
        for (int i = 0; i < n; i++) {
            mac.update((byte) 0);
        }
    }

    /** Finishes the MAC and writes the truncated ICV at {@code off} of {@code buf}. */
    public void finishInto(ByteBuf buf, int off) throws ShortBufferException {
        mac.doFinal(digest, 0);
        buf.setBytes(off, digest, 0, algorithm.icvLength());
    }

    /** Finishes the MAC into the scratch digest and returns it (the first {@link #icvLength()} bytes are the ICV). */
    public byte[] finish() throws ShortBufferException {
        mac.doFinal(digest, 0);
        return digest;
    }

    /** Finishes the MAC and compares the truncated ICV with the one at {@code off} of {@code buf} in constant time. */
    public boolean finishAndVerify(ByteBuf buf, int off) throws ShortBufferException {
        mac.doFinal(digest, 0);
        int diff = 0;
        for (int i = 0; i < algorithm.icvLength(); i++) {
            diff |= digest[i] ^ buf.getByte(off + i);
        }
        return diff == 0;
    }

    public void destroy() {
        key.destroy();
        Arrays.fill(digest, (byte) 0);
        jca.wipe();
        MacWiper.wipe(mac);
    }
}
