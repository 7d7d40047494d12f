package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Vendor ID payload: a hash announcing an extension (NAT-T, DPD, ...); {@link VendorIds} names those poolsa speaks.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Vendor ID (VID)                            ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.16">RFC 2408 section 3.16</a>
 */
public record VendorIdPayload(Octets data) implements OpaquePayload {
    public VendorIdPayload {
        Wire.checkNonEmpty("Vendor ID", data);
    }

    public VendorIdPayload(byte[] data) {
        this(Octets.of(data));
    }

    /** The whole body as the data; an empty body is PAYLOAD-MALFORMED. */
    public static VendorIdPayload decode(ByteBuf body) throws IkeProtocolException {
        return new VendorIdPayload(Wire.restNonEmpty(body, "Vendor ID"));
    }

    @Override
    public PayloadType type() {
        return PayloadType.VENDOR_ID;
    }
}
