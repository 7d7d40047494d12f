package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one UDP datagram (non-ESP marker already removed) into an ISAKMP message. Every length is
 * checked before the bytes it covers are read, against the named caps of {@link IsakmpConstants}; bad
 * input is an {@link IkeProtocolException} carrying the notify to report:
 * <ul>
 * <li>fewer than 28 bytes, more than {@link IsakmpConstants#MAX_MESSAGE_LENGTH}: PAYLOAD-MALFORMED;</li>
 * <li>the header checks of {@link IsakmpHeader} (INVALID-COOKIE, INVALID-MAJOR-VERSION, INVALID-FLAGS);</li>
 * <li>a header Length that differs from the datagram: UNEQUAL-PAYLOAD-LENGTHS;</li>
 * <li>a payload chain that would loop (a Payload Length below 4), overruns the message, ends early (more
 *     payloads announced than bytes left, or bytes left after the last payload) or holds more than
 *     {@link IsakmpConstants#MAX_PAYLOADS_PER_MESSAGE} payloads: PAYLOAD-MALFORMED;</li>
 * <li>a payload body that does not fit its type: the notify of that payload's decoder.</li>
 * </ul>
 * Payload types without a record become {@link UnknownPayload}s; whether a type is allowed in a message is
 * {@link ExchangeMessage}'s check, made after decoding. With the E flag the body is handed over undecoded
 * ({@link EncryptedIsakmpMessage}); after decryption {@link #decodePlaintext} walks it, tolerating up to
 * {@link IsakmpConstants#MAX_PADDING_LENGTH} bytes of padding after the last payload. No buffer is
 * retained or released here.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 section 5</a>
 */
public final class IsakmpMessageDecoder {
    private IsakmpMessageDecoder() {
    }

    /** Reads all readable bytes of {@code datagram} as one ISAKMP message. */
    public static IsakmpDatagram decode(ByteBuf datagram) throws IkeProtocolException {
        int n = datagram.readableBytes();
        if (n < IsakmpConstants.HEADER_LENGTH) {
            throw Wire.malformed("ISAKMP message needs at least " + IsakmpConstants.HEADER_LENGTH + " bytes, got " + n);
        }
        if (n > IsakmpConstants.MAX_MESSAGE_LENGTH) {
            throw Wire.malformed("datagram of " + n + " bytes exceeds " + IsakmpConstants.MAX_MESSAGE_LENGTH);
        }
        long declared = datagram.getUnsignedInt(datagram.readerIndex() + IsakmpConstants.HEADER_LENGTH - 4);
        IsakmpHeader header = IsakmpHeader.decode(datagram);
        if (declared != n) {
            throw new IkeProtocolException(NotifyType.UNEQUAL_PAYLOAD_LENGTHS,
                    "header Length " + declared + " differs from the " + n + "-byte datagram");
        }
        if (header.encrypted()) {
            if (!datagram.isReadable()) {
                throw Wire.malformed("encrypted message has no body");
            }
            return new EncryptedIsakmpMessage(header, Octets.read(datagram, datagram.readableBytes()));
        }
        return chain(header, datagram, 0);
    }

    /**
     * The payload chain of a decrypted body: {@code plaintext} is everything the ciphertext decrypted to,
     * {@code header} the header of the {@link EncryptedIsakmpMessage} (its Next Payload names the first payload).
     */
    public static IsakmpMessage decodePlaintext(IsakmpHeader header, ByteBuf plaintext) throws IkeProtocolException {
        if (!header.encrypted()) {
            throw new IllegalArgumentException("only the body of a message with the E flag is decrypted");
        }
        if (plaintext.readableBytes() > IsakmpConstants.MAX_MESSAGE_LENGTH) {
            throw Wire.malformed("plaintext of " + plaintext.readableBytes() + " bytes exceeds "
                    + IsakmpConstants.MAX_MESSAGE_LENGTH);
        }
        return chain(header, plaintext, IsakmpConstants.MAX_PADDING_LENGTH);
    }

    private static IsakmpMessage chain(IsakmpHeader header, ByteBuf in, int maxPadding) throws IkeProtocolException {
        int base = in.readerIndex();
        List<IsakmpPayload> payloads = new ArrayList<>();
        int[] offsets = new int[IsakmpConstants.MAX_PAYLOADS_PER_MESSAGE];
        PayloadType type = header.nextPayload();
        while (!type.equals(PayloadType.NONE)) {
            if (payloads.size() == IsakmpConstants.MAX_PAYLOADS_PER_MESSAGE) {
                throw Wire.malformed("message holds more than " + IsakmpConstants.MAX_PAYLOADS_PER_MESSAGE + " payloads");
            }
            String what = "payload " + (payloads.size() + 1) + " (" + type + ")";
            Wire.GenericHeader g = Wire.readGeneric(in, what);
            offsets[payloads.size()] = g.start() - base;
            IsakmpPayload p = body(type, g.body());
            if (g.body().isReadable()) {
                throw Wire.malformed(what + " has " + g.body().readableBytes() + " bytes its type does not define");
            }
            payloads.add(p);
            type = PayloadType.of(g.next());
        }
        int used = in.readerIndex() - base;
        int left = in.readableBytes();
        if (left > maxPadding) {
            throw Wire.malformed(left + " bytes follow the last payload"
                    + (maxPadding == 0 ? "" : ", more than " + maxPadding + " bytes of padding"));
        }
        byte[] received = new byte[used];
        in.getBytes(base, received);
        in.skipBytes(left);
        int[] exact = new int[payloads.size()];
        System.arraycopy(offsets, 0, exact, 0, exact.length);
        return new IsakmpMessage(header, payloads, received, exact);
    }

    /** The record for a body of {@code type}; a type without one is kept as an {@link UnknownPayload}. */
    static IsakmpPayload body(PayloadType type, ByteBuf body) throws IkeProtocolException {
        switch (type.code()) {
            case 1:
                return SecurityAssociationPayload.decode(body);
            case 4:
                return KeyExchangePayload.decode(body);
            case 5:
                return IdentificationPayload.decode(body);
            case 6:
                return CertificatePayload.decode(body);
            case 7:
                return CertificateRequestPayload.decode(body);
            case 8:
                return HashPayload.decode(body);
            case 9:
                return SignaturePayload.decode(body);
            case 10:
                return NoncePayload.decode(body);
            case 11:
                return NotificationPayload.decode(body);
            case 12:
                return DeletePayload.decode(body);
            case 13:
                return VendorIdPayload.decode(body);
            case 20:
            case 130:
                return NatDiscoveryPayload.decode(body, type.code() == 130);
            case 21:
            case 131:
                return NatOriginalAddressPayload.decode(body, type.code() == 131);
            default:
                return UnknownPayload.decode(type, body);
        }
    }
}
