package net.poolsa.ike.message;

/**
 * What {@link IsakmpMessageDecoder#decode} makes of one datagram: a message whose payloads are readable,
 * or one whose body (E flag) waits for the crypto layer.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 section 3.1</a>
 */
public sealed interface IsakmpDatagram permits IsakmpMessage, EncryptedIsakmpMessage {
    IsakmpHeader header();
}
