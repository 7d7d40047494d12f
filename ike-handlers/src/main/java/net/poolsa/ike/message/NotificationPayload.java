package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.List;

/**
 * A Notification payload (N): an error or status about an SA, identified by protocol and SPI. The typed
 * readers check the data a type needs only when asked, so an unusual status notification we would
 * ignore anyway never fails a message.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-ID  !   SPI Size    !      Notify Message Type      !  offset 4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~  offset 8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * IPsec DOI data by type: RESPONDER-LIFETIME carries SA life attributes (RFC 2407 section 4.6.3.1),
 * REPLAY-STATUS 4 bytes (section 4.6.3.2), INITIAL-CONTACT nothing, with the cookie pair as SPI
 * (section 4.6.3.3); R-U-THERE and R-U-THERE-ACK carry the cookie pair as SPI and a 4-byte sequence
 * number (RFC 3706 section 5.1).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.14">RFC 2408 section 3.14</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.3">RFC 2407 section 4.6.3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5.1">RFC 3706 section 5.1</a>
 */
public record NotificationPayload(Doi doi, ProtocolId protocol, NotifyType notifyType, Octets spi, Octets data)
        implements IsakmpPayload {
    /** DOI, Protocol-ID, SPI Size and Notify Message Type. */
    public static final int FIXED_LENGTH = 8;
    /** Length of the ISAKMP cookie pair used as the SPI of phase-1 notifications. */
    public static final int COOKIE_PAIR_LENGTH = 16;

    public NotificationPayload {
        if (doi == null || protocol == null || notifyType == null || spi == null || data == null) {
            throw new IllegalArgumentException("notification fields must not be null");
        }
        Wire.checkField("SPI size", spi.length(), 8);
        Wire.checkBodyLength("Notification", FIXED_LENGTH + spi.length() + data.length());
    }

    public static NotificationPayload decode(ByteBuf body) throws IkeProtocolException {
        Wire.need(body, FIXED_LENGTH, "Notification");
        Wire.notTooLong(body, "Notification");
        Doi doi = Doi.of(body.readInt());
        ProtocolId protocol = ProtocolId.of(body.readUnsignedByte());
        int spiSize = body.readUnsignedByte();
        NotifyType type = NotifyType.of(body.readUnsignedShort());
        if (spiSize > body.readableBytes()) {
            throw Wire.malformed("Notification " + type + " SPI size " + spiSize + " overruns the "
                    + body.readableBytes() + " bytes left");
        }
        Octets spi = Octets.read(body, spiSize);
        return new NotificationPayload(doi, protocol, type, spi, Octets.read(body, body.readableBytes()));
    }

    /** An IPsec DOI notification of {@code type} about the ISAKMP SA {@code cookies}, with {@code data}. */
    public static NotificationPayload isakmp(NotifyType type, long initiatorCookie, long responderCookie, Octets data) {
        return new NotificationPayload(Doi.IPSEC, ProtocolId.ISAKMP, type,
                Octets.ofCookies(initiatorCookie, responderCookie), data);
    }

    /** INITIAL-CONTACT (RFC 2407 section 4.6.3.3), sent protected in Main Mode message 5 or 6. */
    public static NotificationPayload initialContact(long initiatorCookie, long responderCookie) {
        return isakmp(NotifyType.INITIAL_CONTACT, initiatorCookie, responderCookie, Octets.EMPTY);
    }

    /** R-U-THERE ({@code ack} false) or R-U-THERE-ACK with {@code sequence} (RFC 3706 section 5.1). */
    public static NotificationPayload dpd(boolean ack, long initiatorCookie, long responderCookie, int sequence) {
        return isakmp(ack ? NotifyType.R_U_THERE_ACK : NotifyType.R_U_THERE, initiatorCookie, responderCookie,
                Octets.ofInt(sequence));
    }

    /** RESPONDER-LIFETIME for the SA {@code spi} of {@code protocol} (RFC 2407 section 4.6.3.1). */
    public static NotificationPayload responderLifetime(ProtocolId protocol, Octets spi, List<DataAttribute> lifetimes) {
        int n = DataAttribute.encodedLength(lifetimes);
        ByteBuf b = Unpooled.buffer(n);
        try {
            for (DataAttribute a : lifetimes) {
                a.encode(b);
            }
            byte[] data = new byte[n];
            b.readBytes(data);
            return new NotificationPayload(Doi.IPSEC, protocol, NotifyType.RESPONDER_LIFETIME, spi, Octets.of(data));
        } finally {
            b.release();
        }
    }

    /** The DPD sequence number of an R-U-THERE(-ACK); data of another length is PAYLOAD-MALFORMED. */
    public int dpdSequence() throws IkeProtocolException {
        requireType(NotifyType.R_U_THERE, NotifyType.R_U_THERE_ACK);
        return int32("sequence number");
    }

    /** REPLAY-STATUS: whether the sender runs replay detection (non-zero data, RFC 2407 section 4.6.3.2). */
    public boolean replayDetection() throws IkeProtocolException {
        requireType(NotifyType.REPLAY_STATUS, NotifyType.REPLAY_STATUS);
        return int32("replay status") != 0;
    }

    /** The SA life attributes of a RESPONDER-LIFETIME; malformed ones are PAYLOAD-MALFORMED. */
    public List<DataAttribute> responderLifetimes() throws IkeProtocolException {
        requireType(NotifyType.RESPONDER_LIFETIME, NotifyType.RESPONDER_LIFETIME);
        ByteBuf b = Unpooled.wrappedBuffer(data.toByteArray());
        try {
            return DataAttribute.decodeAll(b, "RESPONDER-LIFETIME");
        } finally {
            b.release();
        }
    }

    private void requireType(NotifyType a, NotifyType b) {
        if (!notifyType.equals(a) && !notifyType.equals(b)) {
            throw new IllegalStateException("a " + notifyType + " notification has no such field");
        }
    }

    private int int32(String what) throws IkeProtocolException {
        if (data.length() != 4) {
            throw Wire.malformed(notifyType + " " + what + " has " + data.length() + " bytes, not 4");
        }
        return data.intAt(0);
    }

    @Override
    public PayloadType type() {
        return PayloadType.NOTIFICATION;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(doi.code()).writeByte(protocol.code()).writeByte(spi.length()).writeShort(notifyType.code());
        spi.writeTo(out);
        data.writeTo(out);
    }

    @Override
    public int encodedLength() {
        return FIXED_LENGTH + spi.length() + data.length();
    }
}
