package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A Delete payload (D): the SAs of one protocol the sender has deleted. All SPIs have the same size: 16
 * (the cookie pair) for ISAKMP, 4 for AH and ESP. The body must be exactly the SPIs it announces.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-Id  !   SPI Size    !           # of SPIs           !  offset 4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~  offset 8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.15">RFC 2408 section 3.15</a>
 */
public record DeletePayload(Doi doi, ProtocolId protocol, List<Octets> spis) implements IsakmpPayload {
    /** DOI, Protocol-Id, SPI Size and # of SPIs. */
    public static final int FIXED_LENGTH = 8;

    public DeletePayload {
        if (doi == null || protocol == null) {
            throw new IllegalArgumentException("DOI and protocol must not be null");
        }
        spis = List.copyOf(spis);
        if (spis.isEmpty()) {
            throw new IllegalArgumentException("a Delete names at least one SPI");
        }
        int size = spis.get(0).length();
        Wire.checkField("SPI size", size, 8);
        for (Octets s : spis) {
            if (s.length() != size || size == 0) {
                throw new IllegalArgumentException("the SPIs of one Delete have one non-zero size");
            }
        }
        Wire.checkField("# of SPIs", spis.size(), 16);
        Wire.checkBodyLength("Delete", FIXED_LENGTH + size * spis.size());
    }

    public static DeletePayload decode(ByteBuf body) throws IkeProtocolException {
        Wire.need(body, FIXED_LENGTH, "Delete");
        Wire.notTooLong(body, "Delete");
        Doi doi = Doi.of(body.readInt());
        ProtocolId protocol = ProtocolId.of(body.readUnsignedByte());
        int size = body.readUnsignedByte();
        int count = body.readUnsignedShort();
        if (size == 0 || count == 0) {
            throw Wire.malformed("Delete of " + protocol + " names " + count + " SPIs of size " + size);
        }
        if ((long) size * count != body.readableBytes()) {
            throw Wire.malformed("Delete of " + protocol + " announces " + count + " SPIs of " + size
                    + " bytes, its body holds " + body.readableBytes());
        }
        List<Octets> spis = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            spis.add(Octets.read(body, size));
        }
        return new DeletePayload(doi, protocol, spis);
    }

    /** Delete of the ISAKMP SA with these cookies. */
    public static DeletePayload isakmp(long initiatorCookie, long responderCookie) {
        return new DeletePayload(Doi.IPSEC, ProtocolId.ISAKMP, List.of(Octets.ofCookies(initiatorCookie, responderCookie)));
    }

    public int spiSize() {
        return spis.get(0).length();
    }

    @Override
    public PayloadType type() {
        return PayloadType.DELETE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(doi.code()).writeByte(protocol.code()).writeByte(spiSize()).writeShort(spis.size());
        for (Octets s : spis) {
            s.writeTo(out);
        }
    }

    @Override
    public int encodedLength() {
        return FIXED_LENGTH + spiSize() * spis.size();
    }
}
