package net.poolsa.ike.message;

/**
 * The peer sent something we cannot accept. Carries the notify type to send back; the one handler that
 * catches it turns it into a drop, a counter and a rate-limited log line. A bug of ours is an
 * {@link IllegalArgumentException} or {@link IllegalStateException} instead, never this.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5.1">RFC 2408 section 5.1</a>
 */
public class IkeProtocolException extends Exception {
    private final NotifyType notifyType;

    public IkeProtocolException(NotifyType notifyType, String message) {
        // No stack trace: this is the peer's fault, not a code path to debug, and a flood of bad packets
        // must not cost a stack walk each.
        super(message, null, false, false);
        if (notifyType == null) {
            throw new IllegalArgumentException("notify type must not be null");
        }
        this.notifyType = notifyType;
    }

    public NotifyType notifyType() {
        return notifyType;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + notifyType + "]: " + getMessage();
    }
}
