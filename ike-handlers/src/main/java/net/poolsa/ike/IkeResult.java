package net.poolsa.ike;

/**
 * The outcome of {@link IkeEngine#initiate} or {@link IkeEngine#terminate}: whether it worked, and a line for the
 * operator (the SPIs installed, or why it failed).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 */
public record IkeResult(boolean ok, String message) {
    public IkeResult {
        if (message == null) {
            throw new IllegalArgumentException("a result has a message");
        }
    }

    public static IkeResult ok(String message) {
        return new IkeResult(true, message);
    }

    public static IkeResult failed(String message) {
        return new IkeResult(false, message);
    }
}
