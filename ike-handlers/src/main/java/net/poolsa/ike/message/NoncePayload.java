package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Nonce payload (Ni, Nr). RFC 2409 section 5: "The length of nonce payload MUST be between 8 and 256
 * bytes inclusive"; a nonce outside that is PAYLOAD-MALFORMED.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Nonce Data (8-256 bytes)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.13">RFC 2408 section 3.13</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 section 5</a>
 */
public record NoncePayload(Octets data) implements OpaquePayload {
    public static final int MIN_LENGTH = 8;
    public static final int MAX_LENGTH = 256;

    public NoncePayload {
        if (data == null || data.length() < MIN_LENGTH || data.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("a nonce has " + MIN_LENGTH + "-" + MAX_LENGTH + " bytes, not "
                    + (data == null ? "null" : data.length()));
        }
    }

    public NoncePayload(byte[] data) {
        this(Octets.of(data));
    }

    public static NoncePayload decode(ByteBuf body) throws IkeProtocolException {
        int n = body.readableBytes();
        if (n < MIN_LENGTH || n > MAX_LENGTH) {
            throw Wire.malformed("Nonce of " + n + " bytes is outside the " + MIN_LENGTH + "-" + MAX_LENGTH
                    + " RFC 2409 section 5 allows");
        }
        return new NoncePayload(Octets.read(body, n));
    }

    @Override
    public PayloadType type() {
        return PayloadType.NONCE;
    }
}
