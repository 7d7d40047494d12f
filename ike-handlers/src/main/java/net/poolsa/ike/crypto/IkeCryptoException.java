package net.poolsa.ike.crypto;

import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;

/**
 * The peer's input failed a cryptographic check: a public value off the group, a ciphertext of an impossible
 * length, a hash that does not verify. Carries the notify type RFC 2408 names for it; like every
 * {@link IkeProtocolException} it becomes a drop, a counter and a rate-limited log line in one place. The
 * message names sizes and algorithms, never key material.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.14.1">RFC 2408 §3.14.1 (notify types)</a>
 */
public final class IkeCryptoException extends IkeProtocolException {
    private static final long serialVersionUID = 1L;

    /** A KE payload whose value is not a valid element of the group (RFC 2408 §5.7). */
    public static final NotifyType INVALID_KEY_INFORMATION = NotifyType.of(17);
    /** A HASH payload that does not verify (RFC 2408 §5.11). */
    public static final NotifyType INVALID_HASH_INFORMATION = NotifyType.of(23);
    /** An encrypted body of an impossible length (RFC 2408 §5.1, the payload cannot be parsed). */
    public static final NotifyType PAYLOAD_MALFORMED = NotifyType.PAYLOAD_MALFORMED;

    public IkeCryptoException(NotifyType notifyType, String message) {
        super(notifyType, message);
    }

    static IkeCryptoException invalidKey(String message) {
        return new IkeCryptoException(INVALID_KEY_INFORMATION, message);
    }
}
