package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/** Length checks shared by the payload decoders: each one is made before the bytes it covers are read. */
final class Wire {
    private Wire() {
    }

    static IkeProtocolException malformed(String message) {
        return new IkeProtocolException(NotifyType.PAYLOAD_MALFORMED, message);
    }

    /** {@code in} must hold at least {@code n} more readable bytes, else PAYLOAD-MALFORMED. */
    static void need(ByteBuf in, int n, String what) throws IkeProtocolException {
        if (in.readableBytes() < n) {
            throw malformed(what + " needs at least " + n + " bytes, got " + in.readableBytes());
        }
    }

    /** {@code in} must hold no more bytes than a payload body can, else PAYLOAD-MALFORMED. */
    static void notTooLong(ByteBuf in, String what) throws IkeProtocolException {
        if (in.readableBytes() > IsakmpConstants.MAX_BODY_LENGTH) {
            throw malformed(what + " body of " + in.readableBytes() + " bytes exceeds " + IsakmpConstants.MAX_BODY_LENGTH);
        }
    }

    /** Reads all that is left of {@code body} as the non-empty opaque data of {@code what}. */
    static Octets restNonEmpty(ByteBuf body, String what) throws IkeProtocolException {
        need(body, 1, what);
        notTooLong(body, what);
        return Octets.read(body, body.readableBytes());
    }

    /** A body of ours must fit the 16-bit Payload Length; a longer one is our bug. */
    static void checkBodyLength(String what, int length) {
        if (length > IsakmpConstants.MAX_BODY_LENGTH) {
            throw new IllegalArgumentException(what + " body of " + length + " bytes exceeds the "
                    + IsakmpConstants.MAX_BODY_LENGTH + " a payload can carry");
        }
    }

    /** Opaque data of ours must not be empty (nobody sends an empty nonce, hash or key) and must fit. */
    static Octets checkNonEmpty(String what, Octets data) {
        if (data == null || data.isEmpty()) {
            throw new IllegalArgumentException(what + " data must not be empty");
        }
        checkBodyLength(what, data.length());
        return data;
    }

    /** A field value of ours must fit {@code bits} unsigned bits. */
    static int checkField(String what, int value, int bits) {
        if (value < 0 || value >= (1 << bits)) {
            throw new IllegalArgumentException(what + " " + value + " does not fit in " + bits + " bits");
        }
        return value;
    }

    /**
     * One generic header at the reader index of {@code in} (a payload or an SA substructure): checks that
     * the 4 header bytes are there, that the length covers at least them (a shorter one would never advance:
     * the chain would loop) and that it does not overrun what is left, then advances past the whole payload.
     */
    static GenericHeader readGeneric(ByteBuf in, String what) throws IkeProtocolException {
        int left = in.readableBytes();
        if (left < IsakmpConstants.GENERIC_HEADER_LENGTH) {
            throw malformed(what + " needs a " + IsakmpConstants.GENERIC_HEADER_LENGTH + "-byte generic header, "
                    + left + " bytes left");
        }
        int start = in.readerIndex();
        int next = in.getUnsignedByte(start);
        int length = in.getUnsignedShort(start + 2);
        if (length < IsakmpConstants.GENERIC_HEADER_LENGTH) {
            throw malformed(what + " length " + length + " is below the " + IsakmpConstants.GENERIC_HEADER_LENGTH
                    + " bytes of its generic header");
        }
        if (length > left) {
            throw malformed(what + " length " + length + " overruns the " + left + " bytes left");
        }
        ByteBuf body = in.slice(start + IsakmpConstants.GENERIC_HEADER_LENGTH, length - IsakmpConstants.GENERIC_HEADER_LENGTH);
        in.skipBytes(length);
        return new GenericHeader(next, start, length, body);
    }

    /** Writes a generic header (RESERVED zero) for a body of {@code bodyLength} bytes. */
    static void writeGeneric(ByteBuf out, int next, int bodyLength) {
        out.writeByte(next).writeByte(0).writeShort(IsakmpConstants.GENERIC_HEADER_LENGTH + bodyLength);
    }

    /** A generic header read by {@link #readGeneric}: the next type, where it started, its length and its body. */
    record GenericHeader(int next, int start, int length, ByteBuf body) {
    }
}
