package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A NAT Original Address payload (NAT-OA) of Quick Mode: an address as its owner sees it, so that the
 * peer can fix transport-mode checksums. Payload type 21 (RFC 3947) or 131 ({@code draft}); the body is
 * the same. Only ID_IPV4_ADDR and ID_IPV6_ADDR are allowed; another ID type, or an address whose length
 * does not fit its type, is PAYLOAD-MALFORMED.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !    ID Type    !   RESERVED    !            RESERVED           !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~           IPv4 (4 octets) or IPv6 address (16 octets)         ~  offset 4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-5.2">RFC 3947 section 5.2</a>
 */
public record NatOriginalAddressPayload(boolean draft, InetAddress address) implements IsakmpPayload {
    /** ID Type and the two RESERVED fields. */
    public static final int FIXED_LENGTH = 4;

    public NatOriginalAddressPayload {
        if (address == null) {
            throw new IllegalArgumentException("address must not be null");
        }
    }

    public static NatOriginalAddressPayload decode(ByteBuf body, boolean draft) throws IkeProtocolException {
        Wire.need(body, FIXED_LENGTH, "NAT-OA");
        IdType type = IdType.of(body.readUnsignedByte());
        body.skipBytes(3); // RESERVED: ignored on receipt, zero when we send
        int size = type.equals(IdType.ID_IPV4_ADDR) ? 4 : type.equals(IdType.ID_IPV6_ADDR) ? 16 : -1;
        if (size < 0) {
            throw Wire.malformed("NAT-OA ID type " + type + " is not ID_IPV4_ADDR or ID_IPV6_ADDR");
        }
        if (body.readableBytes() != size) {
            throw Wire.malformed("NAT-OA " + type + " needs " + size + " address bytes, got " + body.readableBytes());
        }
        byte[] a = new byte[size];
        body.readBytes(a);
        try {
            // Inet6Address.getByAddress keeps an IPv4-mapped address IPv6 (InetAddress.getByAddress would not),
            // so it re-encodes with the type it came with.
            return new NatOriginalAddressPayload(draft, size == 4 ? InetAddress.getByAddress(a)
                    : Inet6Address.getByAddress(null, a, -1));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public PayloadType type() {
        return draft ? PayloadType.NAT_OA_DRAFT : PayloadType.NAT_OA;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte((address instanceof Inet4Address ? IdType.ID_IPV4_ADDR : IdType.ID_IPV6_ADDR).code());
        out.writeByte(0).writeShort(0);
        out.writeBytes(address.getAddress());
    }

    @Override
    public int encodedLength() {
        return FIXED_LENGTH + address.getAddress().length;
    }
}
