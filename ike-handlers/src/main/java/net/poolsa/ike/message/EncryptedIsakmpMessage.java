package net.poolsa.ike.message;

/**
 * A message with the E flag, as received: the header and the ciphertext that follows it. The crypto layer
 * decrypts the ciphertext with the phase-1 key and the IV of this message ID (RFC 2409 Appendix B; its
 * last block is the next IV), then {@link IsakmpMessageDecoder#decodePlaintext} walks the payload chain
 * starting at the header's Next Payload.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 section 3.1 (E flag)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-B">RFC 2409 Appendix B</a>
 */
public record EncryptedIsakmpMessage(IsakmpHeader header, Octets ciphertext) implements IsakmpDatagram {
    public EncryptedIsakmpMessage {
        if (header == null || !header.encrypted()) {
            throw new IllegalArgumentException("an encrypted message has a header with the E flag");
        }
        if (ciphertext == null || ciphertext.isEmpty()) {
            throw new IllegalArgumentException("an encrypted message has a body");
        }
    }
}
