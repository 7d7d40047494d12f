package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A NAT Discovery payload (NAT-D): HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash. Payload type
 * 20 (RFC 3947) or, with a peer that announced only a draft, 130 ({@code draft}); the body is the same.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                 HASH of the address and port                  ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3.2">RFC 3947 section 3.2</a>
 */
public record NatDiscoveryPayload(boolean draft, Octets hash) implements IsakmpPayload {
    public NatDiscoveryPayload {
        Wire.checkNonEmpty("NAT-D", hash);
    }

    /** An RFC 3947 NAT-D (type 20). */
    public NatDiscoveryPayload(byte[] hash) {
        this(false, Octets.of(hash));
    }

    public static NatDiscoveryPayload decode(ByteBuf body, boolean draft) throws IkeProtocolException {
        return new NatDiscoveryPayload(draft, Wire.restNonEmpty(body, "NAT-D"));
    }

    @Override
    public PayloadType type() {
        return draft ? PayloadType.NAT_D_DRAFT : PayloadType.NAT_D;
    }

    @Override
    public void encode(ByteBuf out) {
        hash.writeTo(out);
    }

    @Override
    public int encodedLength() {
        return hash.length();
    }
}
