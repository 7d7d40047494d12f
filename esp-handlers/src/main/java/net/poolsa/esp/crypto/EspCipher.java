package net.poolsa.esp.crypto;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;

/**
 * The cryptographic core of one ESP SA for one thread: encrypts and authenticates, or verifies and decrypts,
 * the bytes between the ESP header and the ICV. ESP framing (header, padding, trailer) is the caller's.
 * Not thread-safe: one instance per SA and thread.
 *
 * <pre>
 *  espOff
 *  | SPI (4) | Sequence Number (4) | IV (ivLength) | payload + padding + pad length + next header | ICV |
 *  \------------------- authenticated ------------------------------------------------/
 *                                                 \---------- encrypted ----------------/
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-2">RFC 4303 §2 (packet format)</a>
 */
public interface EspCipher {
    int ivLength();

    int icvLength();

    /** The trailer aligns the plaintext to this many bytes. */
    int blockSize();

    /**
     * Seals in place: {@code buf} holds the ESP header at {@code espOff} and {@code plaintextLength} bytes of
     * plaintext after the (not yet written) IV. Writes the IV, encrypts, and writes the ICV after the ciphertext.
     *
     * @param seq the full 64-bit sequence number (its high half is authenticated when {@code esn})
     */
    void seal(ByteBuf buf, int espOff, int plaintextLength, long seq, boolean esn) throws GeneralSecurityException;

    /**
     * Verifies the ICV and decrypts the ESP packet of {@code espLength} bytes at {@code espOff} of {@code src}
     * into {@code dst} at its writer index (the writer index advances by the plaintext length).
     *
     * @param seqHigh high 32 bits of the extended sequence number (ignored unless {@code esn})
     * @return false when the ICV did not verify; nothing was written then
     */
    boolean open(ByteBuf src, int espOff, int espLength, int seqHigh, boolean esn, ByteBuf dst) throws GeneralSecurityException;

    /** Overwrites the key schedules held by the JCA objects (best effort) and forgets the keys. */
    void destroy();
}
