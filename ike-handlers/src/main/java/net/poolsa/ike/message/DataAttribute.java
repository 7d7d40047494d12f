package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * One SA data attribute, in either of its two encodings: TV (Attribute Format bit set, a 2-byte value in
 * the header, {@code basic}) or TLV (a 2-byte length followed by the value). The encoding is kept so that
 * a decoded attribute re-encodes unchanged; what the type means depends on the transform it is in
 * ({@link AttributeType.Space}).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !A!       Attribute Type        !    AF=0  Attribute Length     !
 * !F!                             !    AF=1  Attribute Value      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.3">RFC 2408 section 3.3</a>
 */
public record DataAttribute(int type, boolean basic, Octets value) {
    /** Type field and either the value (TV) or the length (TLV). */
    public static final int HEADER_LENGTH = 4;
    private static final int AF_BIT = 0x8000;

    public DataAttribute {
        Wire.checkField("attribute type", type, 15);
        if (value == null) {
            throw new IllegalArgumentException("attribute value must not be null");
        }
        if (basic && value.length() != 2) {
            throw new IllegalArgumentException("a TV attribute holds exactly 2 bytes, not " + value.length());
        }
        Wire.checkField("attribute length", value.length(), 16);
    }

    /** A TV attribute. */
    public static DataAttribute basic(AttributeType type, int value) {
        Wire.checkField("TV attribute value", value, 16);
        return new DataAttribute(type.code(), true, Octets.of(new byte[] {(byte) (value >>> 8), (byte) value}));
    }

    /**
     * A number as RFC 2409 Appendix A allows for a Variable attribute: TV if it fits two bytes, else a
     * 4-byte (or, beyond 32 bits, 8-byte) TLV. A Basic type must fit two bytes.
     */
    public static DataAttribute number(AttributeType type, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("attribute value " + value + " is negative");
        }
        if (value <= 0xffff) {
            return basic(type, (int) value);
        }
        if (type.form() == AttributeType.Form.BASIC) {
            throw new IllegalArgumentException(type + " is Basic and cannot hold " + value);
        }
        int n = value <= 0xffffffffL ? 4 : 8;
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (value >>> (8 * (n - 1 - i)));
        }
        return new DataAttribute(type.code(), false, Octets.of(b));
    }

    /** The value as an unsigned number; a TLV longer than 8 bytes is ATTRIBUTES-NOT-SUPPORTED. */
    public long longValue() throws IkeProtocolException {
        if (value.length() > 8) {
            throw new IkeProtocolException(NotifyType.ATTRIBUTES_NOT_SUPPORTED,
                    "attribute " + type + " has a " + value.length() + "-byte value, more than 8");
        }
        return unsigned(value);
    }

    /** Up to 8 bytes as an unsigned big-endian number. */
    private static long unsigned(Octets v) {
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            n = (n << 8) | v.byteAt(i);
        }
        return n;
    }

    /** The type in the registry of {@code space}. */
    public AttributeType type(AttributeType.Space space) {
        return AttributeType.of(space, type);
    }

    public int encodedLength() {
        return basic ? HEADER_LENGTH : HEADER_LENGTH + value.length();
    }

    public void encode(ByteBuf out) {
        if (basic) {
            out.writeShort(AF_BIT | type);
            value.writeTo(out);
        } else {
            out.writeShort(type);
            out.writeShort(value.length());
            value.writeTo(out);
        }
    }

    /**
     * All attributes filling {@code in}: each header's 4 bytes and each TLV's length are checked before
     * they are read (PAYLOAD-MALFORMED), at most {@link IsakmpConstants#MAX_ATTRIBUTES}.
     */
    public static List<DataAttribute> decodeAll(ByteBuf in, String where) throws IkeProtocolException {
        List<DataAttribute> out = new ArrayList<>();
        while (in.isReadable()) {
            if (out.size() == IsakmpConstants.MAX_ATTRIBUTES) {
                throw Wire.malformed(where + " holds more than " + IsakmpConstants.MAX_ATTRIBUTES + " attributes");
            }
            String what = where + " attribute " + (out.size() + 1);
            Wire.need(in, HEADER_LENGTH, what);
            int first = in.readUnsignedShort();
            int second = in.readUnsignedShort();
            if ((first & AF_BIT) != 0) {
                out.add(new DataAttribute(first & ~AF_BIT, true,
                        Octets.of(new byte[] {(byte) (second >>> 8), (byte) second})));
            } else {
                if (second > in.readableBytes()) {
                    throw Wire.malformed(what + " (type " + first + ") length " + second + " overruns the "
                            + in.readableBytes() + " bytes left");
                }
                out.add(new DataAttribute(first, false, Octets.read(in, second)));
            }
        }
        return out;
    }

    /** Bytes of {@link #encode}d {@code attributes}. */
    static int encodedLength(List<DataAttribute> attributes) {
        int n = 0;
        for (DataAttribute a : attributes) {
            n += a.encodedLength();
        }
        return n;
    }

    /** E.g. "Encryption-Algorithm=AES-CBC(7)" or "Life-Duration=28800". */
    public String describe(AttributeType.Space space) {
        AttributeType t = type(space);
        String v;
        if (value.length() <= 8) {
            long n = unsigned(value);
            String name = t.valueName(n);
            v = name == null ? Long.toUnsignedString(n) : name + "(" + n + ")";
        } else {
            v = value.toHex();
        }
        return t + "=" + v;
    }
}
