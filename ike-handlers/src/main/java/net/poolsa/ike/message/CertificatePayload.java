package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Certificate payload (CERT) of Main Mode with signatures.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Cert Encoding !                                               !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+                                               !
 * ~                       Certificate Data                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.9">RFC 2408 section 3.9</a>
 */
public record CertificatePayload(CertEncoding encoding, Octets data) implements IsakmpPayload {
    public CertificatePayload {
        if (encoding == null) {
            throw new IllegalArgumentException("certificate encoding must not be null");
        }
        Wire.checkNonEmpty("Certificate", data);
        Wire.checkBodyLength("Certificate", 1 + data.length());
    }

    /** Encoding byte and non-empty certificate data; anything shorter is PAYLOAD-MALFORMED. */
    public static CertificatePayload decode(ByteBuf body) throws IkeProtocolException {
        Wire.need(body, 2, "Certificate");
        CertEncoding encoding = CertEncoding.of(body.readUnsignedByte());
        return new CertificatePayload(encoding, Wire.restNonEmpty(body, "Certificate"));
    }

    @Override
    public PayloadType type() {
        return PayloadType.CERTIFICATE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(encoding.code());
        data.writeTo(out);
    }

    @Override
    public int encodedLength() {
        return 1 + data.length();
    }
}
