package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Key Exchange payload (KE): the sender's public Diffie-Hellman value, whose length the negotiated group fixes (the exchange checks it: INVALID-KEY-INFORMATION).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~             Key Exchange Data (the public DH value)             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.7">RFC 2408 section 3.7</a>
 */
public record KeyExchangePayload(Octets data) implements OpaquePayload {
    public KeyExchangePayload {
        Wire.checkNonEmpty("Key Exchange", data);
    }

    public KeyExchangePayload(byte[] data) {
        this(Octets.of(data));
    }

    /** The whole body as the data; an empty body is PAYLOAD-MALFORMED. */
    public static KeyExchangePayload decode(ByteBuf body) throws IkeProtocolException {
        return new KeyExchangePayload(Wire.restNonEmpty(body, "Key Exchange"));
    }

    @Override
    public PayloadType type() {
        return PayloadType.KEY_EXCHANGE;
    }
}
