package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A Certificate Request payload (CR). An empty Certificate Authority asks for any certificate of the type.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Cert. Type   !                                               !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+                                               !
 * ~                    Certificate Authority                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.10">RFC 2408 section 3.10</a>
 */
public record CertificateRequestPayload(CertEncoding encoding, Octets authority) implements IsakmpPayload {
    public CertificateRequestPayload {
        if (encoding == null || authority == null) {
            throw new IllegalArgumentException("certificate type and authority must not be null");
        }
        Wire.checkBodyLength("Certificate Request", 1 + authority.length());
    }

    public static CertificateRequestPayload decode(ByteBuf body) throws IkeProtocolException {
        Wire.need(body, 1, "Certificate Request");
        Wire.notTooLong(body, "Certificate Request");
        CertEncoding encoding = CertEncoding.of(body.readUnsignedByte());
        return new CertificateRequestPayload(encoding, Octets.read(body, body.readableBytes()));
    }

    @Override
    public PayloadType type() {
        return PayloadType.CERTIFICATE_REQUEST;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(encoding.code());
        authority.writeTo(out);
    }

    @Override
    public int encodedLength() {
        return 1 + authority.length();
    }
}
