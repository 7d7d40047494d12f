package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Signature payload: SIG_I/SIG_R of Main Mode with signatures (RFC 2409 section 5.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Signature Data                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.12">RFC 2408 section 3.12</a>
 */
public record SignaturePayload(Octets data) implements OpaquePayload {
    public SignaturePayload {
        Wire.checkNonEmpty("Signature", data);
    }

    public SignaturePayload(byte[] data) {
        this(Octets.of(data));
    }

    /** The whole body as the data; an empty body is PAYLOAD-MALFORMED. */
    public static SignaturePayload decode(ByteBuf body) throws IkeProtocolException {
        return new SignaturePayload(Wire.restNonEmpty(body, "Signature"));
    }

    @Override
    public PayloadType type() {
        return PayloadType.SIGNATURE;
    }
}
