package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * The body of one ISAKMP payload: what follows its 4-byte generic payload header, which the message codec
 * reads and writes once for all payloads (Next Payload chaining and Payload Length are not part of a
 * payload's value). Every implementation is an immutable value with a static {@code decode(ByteBuf body)}
 * that consumes exactly the body and never keeps the buffer.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.2">RFC 2408 section 3.2</a>
 */
public sealed interface IsakmpPayload permits SecurityAssociationPayload, OpaquePayload, IdentificationPayload,
        CertificatePayload, CertificateRequestPayload, NotificationPayload, DeletePayload, NatDiscoveryPayload,
        NatOriginalAddressPayload, UnknownPayload {

    /** The payload type announced for this body by the previous Next Payload field. */
    PayloadType type();

    /** Writes the body, {@link #encodedLength()} bytes. */
    void encode(ByteBuf out);

    /** Length of the body {@link #encode} writes, without the generic header. */
    int encodedLength();
}
