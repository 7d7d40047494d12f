package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A payload whose type this codec has no record for (an unassigned or private-use number, or a
 * substructure type such as Proposal where a payload belongs), kept as its body bytes so that it
 * re-encodes unchanged. IKEv1 has no critical bit: whether an unknown payload fails a message is
 * decided by {@link ExchangeMessage} (RFC 2408 section 5.2 makes an invalid Next Payload
 * INVALID-PAYLOAD-TYPE).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   body, as received                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.2">RFC 2408 section 3.2</a>
 */
public record UnknownPayload(PayloadType type, Octets body) implements IsakmpPayload {
    public UnknownPayload {
        if (type == null || body == null) {
            throw new IllegalArgumentException("type and body must not be null");
        }
        if (type.equals(PayloadType.NONE)) {
            throw new IllegalArgumentException("payload type 0 ends a chain, it cannot be a payload");
        }
        Wire.checkBodyLength("unknown payload", body.length());
    }

    public static UnknownPayload decode(PayloadType type, ByteBuf body) throws IkeProtocolException {
        Wire.notTooLong(body, type.toString());
        return new UnknownPayload(type, Octets.read(body, body.readableBytes()));
    }

    @Override
    public void encode(ByteBuf out) {
        body.writeTo(out);
    }

    @Override
    public int encodedLength() {
        return body.length();
    }
}
