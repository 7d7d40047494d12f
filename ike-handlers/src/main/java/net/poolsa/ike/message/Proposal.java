package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A Proposal substructure of an SA payload: one protocol (ISAKMP in phase 1; AH, ESP or IPCOMP in Quick
 * Mode) with its SPI and the transforms offered for it, most preferred first. Proposals with the same
 * number form one bundle (AH and ESP together, RFC 2408 section 4.2).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (2, or 0 on the last proposal)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Transforms                             ~  (Transform)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.5">RFC 2408 section 3.5</a>
 */
public record Proposal(int number, ProtocolId protocol, Octets spi, List<Transform> transforms) {
    /** Proposal #, Protocol-Id, SPI Size and # of Transforms. */
    public static final int FIXED_LENGTH = 4;

    public Proposal {
        Wire.checkField("proposal number", number, 8);
        if (protocol == null || spi == null) {
            throw new IllegalArgumentException("protocol and SPI must not be null");
        }
        Wire.checkField("SPI size", spi.length(), 8);
        transforms = List.copyOf(transforms);
        if (transforms.isEmpty() || transforms.size() > IsakmpConstants.MAX_TRANSFORMS_PER_PROPOSAL) {
            throw new IllegalArgumentException("a proposal has 1-" + IsakmpConstants.MAX_TRANSFORMS_PER_PROPOSAL
                    + " transforms, not " + transforms.size());
        }
        for (Transform t : transforms) {
            if (!t.transformId().protocol().equals(protocol)) {
                throw new IllegalArgumentException("transform " + t.transformId() + " is not of protocol " + protocol);
            }
        }
        Wire.checkBodyLength("Proposal", FIXED_LENGTH + spi.length() + transformsLength(transforms));
    }

    /**
     * The body after the generic header. Lengths are PAYLOAD-MALFORMED; a transform chain whose Next Payload
     * is neither 3 nor 0, or that disagrees with "# of Transforms", is BAD-PROPOSAL-SYNTAX.
     */
    public static Proposal decode(ByteBuf body, String where) throws IkeProtocolException {
        Wire.need(body, FIXED_LENGTH, where);
        int number = body.readUnsignedByte();
        ProtocolId protocol = ProtocolId.of(body.readUnsignedByte());
        int spiSize = body.readUnsignedByte();
        int count = body.readUnsignedByte();
        if (spiSize > body.readableBytes()) {
            throw Wire.malformed(where + " SPI size " + spiSize + " overruns the " + body.readableBytes() + " bytes left");
        }
        Octets spi = Octets.read(body, spiSize);
        if (count == 0) {
            throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX, where + " has no transforms");
        }
        List<Transform> transforms = new ArrayList<>();
        int next = PayloadType.TRANSFORM.code();
        while (next != 0) {
            if (next != PayloadType.TRANSFORM.code()) {
                throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX, where + " transform "
                        + transforms.size() + " is followed by type " + next + ", not 3 (T) or 0");
            }
            if (transforms.size() == count) {
                throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX,
                        where + " announces " + count + " transforms and chains more");
            }
            String what = where + " transform " + (transforms.size() + 1);
            Wire.GenericHeader h = Wire.readGeneric(body, what);
            transforms.add(Transform.decode(h.body(), protocol, what));
            next = h.next();
        }
        if (transforms.size() != count) {
            throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX,
                    where + " announces " + count + " transforms and holds " + transforms.size());
        }
        if (body.isReadable()) {
            throw Wire.malformed(where + " has " + body.readableBytes() + " bytes after its last transform");
        }
        return new Proposal(number, protocol, spi, transforms);
    }

    public void encode(ByteBuf out) {
        out.writeByte(number).writeByte(protocol.code()).writeByte(spi.length()).writeByte(transforms.size());
        spi.writeTo(out);
        for (int i = 0; i < transforms.size(); i++) {
            Transform t = transforms.get(i);
            Wire.writeGeneric(out, i + 1 < transforms.size() ? PayloadType.TRANSFORM.code() : 0, t.encodedLength());
            t.encode(out);
        }
    }

    public int encodedLength() {
        return FIXED_LENGTH + spi.length() + transformsLength(transforms);
    }

    private static int transformsLength(List<Transform> transforms) {
        int n = 0;
        for (Transform t : transforms) {
            n += IsakmpConstants.GENERIC_HEADER_LENGTH + t.encodedLength();
        }
        return n;
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "P#" + number + " " + protocol + " SPI " + spi + " {", "}");
        for (Transform t : transforms) {
            j.add(t.toString());
        }
        return j.toString();
    }
}
