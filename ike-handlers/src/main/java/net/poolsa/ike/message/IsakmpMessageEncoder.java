package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * Writes ISAKMP messages: the header with the computed Length, then each payload's generic header (Next
 * Payload chaining to the following payload, 0 on the last; RESERVED zero) and body. An encrypted message
 * is written in two steps: {@link #encodeChain} gives the plaintext the crypto layer pads and encrypts,
 * {@link #encodeEncrypted} puts the header in front of the ciphertext. A message larger than
 * {@link IsakmpConstants#MAX_MESSAGE_LENGTH} is our bug ({@link IllegalArgumentException}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3">RFC 2408 section 3</a>
 */
public final class IsakmpMessageEncoder {
    private IsakmpMessageEncoder() {
    }

    /** Writes an unencrypted message (no E flag). */
    public static void encode(IsakmpMessage message, ByteBuf out) {
        if (message.header().encrypted()) {
            throw new IllegalArgumentException("a message with the E flag is written by encodeEncrypted");
        }
        int length = checkLength(IsakmpConstants.HEADER_LENGTH + chainLength(message.payloads()));
        message.header().encode(out, length);
        encodeChain(message.payloads(), out);
    }

    /** Writes {@code header} (which must have the E flag) and then the readable bytes of {@code ciphertext}, which stays unread. */
    public static void encodeEncrypted(IsakmpHeader header, ByteBuf ciphertext, ByteBuf out) {
        if (!header.encrypted()) {
            throw new IllegalArgumentException("an encrypted message needs the E flag in its header");
        }
        int n = ciphertext.readableBytes();
        header.encode(out, checkLength(IsakmpConstants.HEADER_LENGTH + n));
        out.writeBytes(ciphertext, ciphertext.readerIndex(), n);
    }

    /** Writes the payload chain of {@code payloads} (no header, no padding). */
    public static void encodeChain(List<IsakmpPayload> payloads, ByteBuf out) {
        for (int i = 0; i < payloads.size(); i++) {
            encodePayload(payloads, i, out);
        }
    }

    /** Bytes {@link #encodeChain} writes. */
    public static int chainLength(List<IsakmpPayload> payloads) {
        int n = 0;
        for (IsakmpPayload p : payloads) {
            n += IsakmpConstants.GENERIC_HEADER_LENGTH + p.encodedLength();
        }
        return n;
    }

    /** Payload {@code i} of the chain with its generic header. */
    static void encodePayload(List<IsakmpPayload> payloads, int i, ByteBuf out) {
        IsakmpPayload p = payloads.get(i);
        int next = i + 1 < payloads.size() ? payloads.get(i + 1).type().code() : 0;
        Wire.writeGeneric(out, next, p.encodedLength());
        p.encode(out);
    }

    private static int checkLength(int length) {
        if (length > IsakmpConstants.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("message of " + length + " bytes exceeds "
                    + IsakmpConstants.MAX_MESSAGE_LENGTH);
        }
        return length;
    }
}
