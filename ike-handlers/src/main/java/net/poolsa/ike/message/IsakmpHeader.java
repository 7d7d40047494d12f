package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * The fixed ISAKMP header of every IKEv1 message. The Length field is not part of the value: the encoder
 * computes it and the decoder checks it against the datagram ({@link IsakmpMessageDecoder}). Next Payload
 * is kept because an encrypted body can only be walked with it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Initiator                            !  offset 0
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Responder                            !  offset 8
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !  offset 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Message ID                           !  offset 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                            Length                             !  offset 24
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Checked on decode, in the order of RFC 2408 section 5.2: a zero Initiator Cookie is INVALID-COOKIE, a
 * Major Version other than 1 INVALID-MAJOR-VERSION (an IKEv2 message, say), a flag bit other than E, C
 * and A INVALID-FLAGS ("the remaining bits ... MUST be set to 0"). The Minor Version is kept as sent:
 * RFC 2408 fixes what a sender puts there, and the same major version means a compatible message.
 * Exchange type and Next Payload are open registries; {@link ExchangeMessage} judges them.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 section 3.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5.2">RFC 2408 section 5.2</a>
 */
public record IsakmpHeader(long initiatorCookie, long responderCookie, PayloadType nextPayload, int minorVersion,
                           ExchangeType exchangeType, int flags, int messageId) {
    /** The defined flag bits. */
    public enum Flag {
        /** E: everything after the header is encrypted. */
        ENCRYPTION(0x01),
        /** C: key exchange synchronisation (RFC 2408 section 3.1). */
        COMMIT(0x02),
        /** A: authenticated but not encrypted (Informational of an Authentication Only exchange). */
        AUTHENTICATION_ONLY(0x04);

        private final int bit;

        Flag(int bit) {
            this.bit = bit;
        }

        public int bit() {
            return bit;
        }
    }

    /** All defined flag bits. */
    public static final int DEFINED_FLAGS = 0x07;

    public IsakmpHeader {
        if (nextPayload == null || exchangeType == null) {
            throw new IllegalArgumentException("next payload and exchange type must not be null");
        }
        Wire.checkField("minor version", minorVersion, 4);
        if ((flags & ~DEFINED_FLAGS) != 0) {
            throw new IllegalArgumentException("flags 0x" + Integer.toHexString(flags) + " has undefined bits");
        }
    }

    /** A version 1.0 header. */
    public static IsakmpHeader of(long initiatorCookie, long responderCookie, ExchangeType exchangeType, int messageId,
                                  Flag... flags) {
        int bits = 0;
        for (Flag f : flags) {
            bits |= f.bit;
        }
        return new IsakmpHeader(initiatorCookie, responderCookie, PayloadType.NONE, 0, exchangeType, bits, messageId);
    }

    /**
     * Reads the 28 header bytes at the reader index ({@code in} must hold them: the message decoder checks
     * that first) and checks the fields RFC 2408 section 5.2 has the receiver check.
     */
    static IsakmpHeader decode(ByteBuf in) throws IkeProtocolException {
        long icookie = in.readLong();
        long rcookie = in.readLong();
        PayloadType next = PayloadType.of(in.readUnsignedByte());
        int version = in.readUnsignedByte();
        ExchangeType exchange = ExchangeType.of(in.readUnsignedByte());
        int flags = in.readUnsignedByte();
        int messageId = in.readInt();
        in.skipBytes(4); // Length: checked by the message decoder against the datagram
        if (icookie == 0) {
            throw new IkeProtocolException(NotifyType.INVALID_COOKIE, "Initiator Cookie is zero");
        }
        if (version >>> 4 != IsakmpConstants.MAJOR_VERSION) {
            throw new IkeProtocolException(NotifyType.INVALID_MAJOR_VERSION, "ISAKMP version " + (version >>> 4)
                    + "." + (version & 0xf) + ", only " + IsakmpConstants.MAJOR_VERSION + ".x is spoken here");
        }
        if ((flags & ~DEFINED_FLAGS) != 0) {
            throw new IkeProtocolException(NotifyType.INVALID_FLAGS,
                    "flags 0x" + Integer.toHexString(flags) + " set bits other than E, C and A");
        }
        return new IsakmpHeader(icookie, rcookie, next, version & 0xf, exchange, flags, messageId);
    }

    /** Writes the 28 header bytes with Length {@code length}. */
    void encode(ByteBuf out, int length) {
        out.writeLong(initiatorCookie).writeLong(responderCookie).writeByte(nextPayload.code())
                .writeByte(IsakmpConstants.MAJOR_VERSION << 4 | minorVersion).writeByte(exchangeType.code())
                .writeByte(flags).writeInt(messageId).writeInt(length);
    }

    public boolean has(Flag flag) {
        return (flags & flag.bit) != 0;
    }

    /** True if the body is encrypted (the E flag). */
    public boolean encrypted() {
        return has(Flag.ENCRYPTION);
    }

    public IsakmpHeader withNextPayload(PayloadType next) {
        return new IsakmpHeader(initiatorCookie, responderCookie, next, minorVersion, exchangeType, flags, messageId);
    }

    public IsakmpHeader withFlags(int newFlags) {
        return new IsakmpHeader(initiatorCookie, responderCookie, nextPayload, minorVersion, exchangeType, newFlags,
                messageId);
    }

    @Override
    public String toString() {
        return String.format("%s %016x_i %016x_r MID %08x flags 0x%02x next %s v1.%d", exchangeType, initiatorCookie,
                responderCookie, messageId, flags, nextPayload, minorVersion);
    }
}
