package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A Transform substructure of a Proposal: a transform ID of the proposal's protocol and its SA
 * attributes, in the order received (RFC 2409 section 5 has no preference among a transform's
 * attributes; the exchange code looks them up by type).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (3, or 0 on the last transform)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Transform #  !  Transform-Id !           RESERVED2           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SA Attributes                          ~  (DataAttribute)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.6">RFC 2408 section 3.6</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 section 4.5</a>
 */
public record Transform(int number, TransformId transformId, List<DataAttribute> attributes) {
    /** Transform #, Transform-Id and RESERVED2. */
    public static final int FIXED_LENGTH = 4;

    public Transform {
        Wire.checkField("transform number", number, 8);
        if (transformId == null) {
            throw new IllegalArgumentException("transform ID must not be null");
        }
        attributes = List.copyOf(attributes);
        if (attributes.size() > IsakmpConstants.MAX_ATTRIBUTES) {
            throw new IllegalArgumentException(attributes.size() + " attributes, more than " + IsakmpConstants.MAX_ATTRIBUTES);
        }
        Wire.checkBodyLength("Transform", FIXED_LENGTH + DataAttribute.encodedLength(attributes));
    }

    /**
     * The body after the generic header, for a proposal of {@code protocol}. A Basic attribute type (RFC 2409
     * Appendix A, RFC 2407 section 4.5) sent in the TLV form is BAD-PROPOSAL-SYNTAX: "Attributes described
     * as basic MUST NOT be encoded as variable".
     */
    public static Transform decode(ByteBuf body, ProtocolId protocol, String where) throws IkeProtocolException {
        Wire.need(body, FIXED_LENGTH, where);
        int number = body.readUnsignedByte();
        TransformId id = TransformId.of(protocol, body.readUnsignedByte());
        body.skipBytes(2); // RESERVED2: ignored on receipt, zero when we send
        List<DataAttribute> attributes = DataAttribute.decodeAll(body, where);
        AttributeType.Space space = AttributeType.Space.of(protocol);
        for (DataAttribute a : attributes) {
            AttributeType t = a.type(space);
            if (!a.basic() && t.form() == AttributeType.Form.BASIC) {
                throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX,
                        where + ": " + t + " is a Basic attribute sent as TLV");
            }
        }
        return new Transform(number, id, attributes);
    }

    public void encode(ByteBuf out) {
        out.writeByte(number).writeByte(transformId.code()).writeShort(0);
        for (DataAttribute a : attributes) {
            a.encode(out);
        }
    }

    public int encodedLength() {
        return FIXED_LENGTH + DataAttribute.encodedLength(attributes);
    }

    /** The first attribute of {@code type}, or null; the type's space must be this transform's. */
    public DataAttribute attribute(AttributeType type) {
        if (type.space() != AttributeType.Space.of(transformId.protocol())) {
            throw new IllegalArgumentException(type + " is a " + type.space() + " attribute, this is a "
                    + transformId.protocol() + " transform");
        }
        for (DataAttribute a : attributes) {
            if (a.type() == type.code()) {
                return a;
            }
        }
        return null;
    }

    /** All attributes of {@code type} (a transform may repeat life types and durations, RFC 2407 section 4.5). */
    public List<DataAttribute> attributes(AttributeType type) {
        List<DataAttribute> out = new ArrayList<>();
        for (DataAttribute a : attributes) {
            if (a.type() == type.code() && type.space() == AttributeType.Space.of(transformId.protocol())) {
                out.add(a);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "T#" + number + " " + transformId + " [", "]");
        AttributeType.Space space = AttributeType.Space.of(transformId.protocol());
        for (DataAttribute a : attributes) {
            j.add(a.describe(space));
        }
        return j.toString();
    }
}
