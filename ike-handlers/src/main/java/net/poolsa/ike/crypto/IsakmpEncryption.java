package net.poolsa.ike.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import net.poolsa.esp.crypto.WipeableKey;

/**
 * Encryption of the payloads of an ISAKMP message (everything after the 28-byte header, RFC 2408 §3.1 E flag)
 * with the phase-1 cipher in CBC mode and the IVs of this SA's {@link IvChain}.
 *
 * <p>Padding: the payloads are padded with 0x00 octets to a multiple of the block size (RFC 2409 Appendix B),
 * always with at least one octet, a whole block when they already fit (what strongSwan 5.9 sends,
 * encrypted_payload.c encrypt_v1). The ISAKMP header's length counts the padding. On receipt the padding is not
 * examined: strongSwan, racoon and others fill it differently (zeros, random bytes, a pad-length last octet),
 * and the payload chain says where the payloads end; {@link Decrypted#plaintext()} is the whole decrypted
 * body, padding included.
 *
 * <p>An encrypted body that is empty or not a multiple of the block size cannot be decrypted:
 * {@link IkeCryptoException} with PAYLOAD-MALFORMED. (INVALID-FLAGS, for a message whose E flag is set when no
 * keys exist yet, or clear when they must be used, is the header check's, before this class is reached.)
 *
 * <p>Not thread-safe: one per ISAKMP SA ({@link Phase1Keys#newEncryption()}), confined to the IKE event loop.
 * {@link #destroy()} zeroes the key and re-keys the JCA cipher with zeros so that its key schedule is
 * overwritten (best effort, as {@link net.poolsa.esp.crypto.WipeableKey} explains).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-B">RFC 2409 Appendix B</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1</a>
 */
public final class IsakmpEncryption {
    private final IkeCipher cipher;
    private final WipeableKey key;
    private final IvChain chain;
    private final Cipher jca;
    private boolean destroyed;

    /** {@code key} is copied. */
    public IsakmpEncryption(IkeCipher cipher, byte[] key, IvChain chain) {
        if (chain.blockSize() != cipher.blockSize()) {
            throw new IllegalArgumentException("IV chain of " + chain.blockSize() + "-byte blocks for " + cipher);
        }
        if (!cipher.allowsKeyBits(key.length * 8)) {
            throw new IllegalArgumentException(cipher + " has no " + key.length * 8 + "-bit keys");
        }
        this.cipher = cipher;
        this.key = new WipeableKey(cipher.keyAlgorithm(), key, 0, key.length);
        this.chain = chain;
        try {
            this.jca = Cipher.getInstance(cipher.transformation());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(cipher.transformation() + " is part of every Java 17 runtime", e);
        }
    }

    public IkeCipher cipher() {
        return cipher;
    }

    /** The IV chain, for the exchange to {@link IvChain#forget} finished exchanges. */
    public IvChain chain() {
        return chain;
    }

    /**
     * Encrypts the payloads of our next message of exchange {@code messageId} (0: Main Mode, otherwise Quick
     * Mode) and moves the chain on. Call once per message; a retransmission resends the stored bytes.
     */
    public byte[] encrypt(int messageId, byte[] payloads) {
        byte[] out = crypt(Cipher.ENCRYPT_MODE, chain.sending(messageId), pad(payloads));
        chain.sent(messageId, out);
        return out;
    }

    /** Encrypts the payloads of an Informational message; no chain state changes. */
    public byte[] encryptInformational(int messageId, byte[] payloads) {
        return crypt(Cipher.ENCRYPT_MODE, chain.informational(messageId), pad(payloads));
    }

    /**
     * Decrypts a received message of exchange {@code messageId}; the chain moves only on
     * {@link Decrypted#confirm()}, after the message's HASH verified.
     */
    public Decrypted decrypt(int messageId, byte[] body) throws IkeCryptoException {
        checkLength(body);
        IvChain.Inbound in = chain.receiving(messageId, body);
        return new Decrypted(crypt(Cipher.DECRYPT_MODE, in.iv(), body), in);
    }

    /** Decrypts a received Informational message. */
    public Decrypted decryptInformational(int messageId, byte[] body) throws IkeCryptoException {
        checkLength(body);
        return new Decrypted(crypt(Cipher.DECRYPT_MODE, chain.informational(messageId), body), null);
    }

    private void checkLength(byte[] body) throws IkeCryptoException {
        int bs = cipher.blockSize();
        if (body.length == 0 || body.length % bs != 0) {
            throw new IkeCryptoException(IkeCryptoException.PAYLOAD_MALFORMED, "encrypted body of " + body.length
                    + " bytes is not a positive multiple of the " + bs + "-byte " + cipher + " block");
        }
    }

    private byte[] pad(byte[] payloads) {
        int bs = cipher.blockSize();
        return Arrays.copyOf(payloads, payloads.length + bs - payloads.length % bs);
    }

    private byte[] crypt(int mode, byte[] iv, byte[] in) {
        if (destroyed) {
            throw new IllegalStateException("encryption of this ISAKMP SA was destroyed");
        }
        try {
            jca.init(mode, key, new IvParameterSpec(iv));
            return jca.doFinal(in);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(cipher + " with a checked key, IV and length failed", e);
        }
    }

    /** Zeroes the key and overwrites the cipher's key schedule. Idempotent. */
    public void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        byte[] zeros = new byte[key.length()];
        try {
            jca.init(Cipher.ENCRYPT_MODE, new WipeableKey(cipher.keyAlgorithm(), zeros, 0, zeros.length),
                    new IvParameterSpec(new byte[cipher.blockSize()]));
        } catch (GeneralSecurityException e) {
            // nothing left to overwrite: the provider refused the key before building a schedule
        }
        key.destroy();
    }

    /** The decrypted body of one received message. */
    public final class Decrypted {
        private final byte[] plaintext;
        private final IvChain.Inbound inbound;

        private Decrypted(byte[] plaintext, IvChain.Inbound inbound) {
            this.plaintext = plaintext;
            this.inbound = inbound;
        }

        /** The payloads and the padding after them. */
        public byte[] plaintext() {
            return plaintext;
        }

        /** The peer sent these bytes before and we accepted them: resend the stored reply, process nothing. */
        public boolean retransmission() {
            return inbound != null && inbound.retransmission();
        }

        /** The message's HASH verified: the IV chain moves to its last block (nothing for Informational). */
        public void confirm() {
            if (inbound != null) {
                chain.confirm(inbound);
            }
        }
    }
}
