package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Hash payload: HASH_I/HASH_R of Main Mode with pre-shared keys (RFC 2409 section 5), HASH(1..3) of Quick Mode and HASH(1) of Informational (RFC 2409 sections 5.5, 5.7).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                  Hash Data (the PRF output)                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.11">RFC 2408 section 3.11</a>
 */
public record HashPayload(Octets data) implements OpaquePayload {
    public HashPayload {
        Wire.checkNonEmpty("Hash", data);
    }

    public HashPayload(byte[] data) {
        this(Octets.of(data));
    }

    /** The whole body as the data; an empty body is PAYLOAD-MALFORMED. */
    public static HashPayload decode(ByteBuf body) throws IkeProtocolException {
        return new HashPayload(Wire.restNonEmpty(body, "Hash"));
    }

    @Override
    public PayloadType type() {
        return PayloadType.HASH;
    }
}
