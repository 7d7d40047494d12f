package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

/**
 * A payload whose whole body is one opaque byte string (KE, HASH, SIG, NONCE, VID): the body is written
 * once, here.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.7">RFC 2408 sections 3.7, 3.11-3.13, 3.16</a>
 */
public sealed interface OpaquePayload extends IsakmpPayload
        permits KeyExchangePayload, HashPayload, SignaturePayload, NoncePayload, VendorIdPayload {

    /** The body. */
    Octets data();

    @Override
    default void encode(ByteBuf out) {
        data().writeTo(out);
    }

    @Override
    default int encodedLength() {
        return data().length();
    }
}
