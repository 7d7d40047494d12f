package net.poolsa.ike.message;

/**
 * An ISAKMP Notify Message Type, an open registry: the error a malformed payload makes us report back.
 * Only the codes the codec raises are named; others are kept by number.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.14.1">RFC 2408 section 3.14.1</a>
 */
public final class NotifyType {
    /** A payload's fixed fields are truncated or its length disagrees with its content. */
    public static final NotifyType PAYLOAD_MALFORMED = new NotifyType(16, "PAYLOAD-MALFORMED");
    /** An Identification payload's data does not fit its ID type, or the type is not acceptable here. */
    public static final NotifyType INVALID_ID_INFORMATION = new NotifyType(18, "INVALID-ID-INFORMATION");

    private final int code;
    private final String name;

    private NotifyType(int code, String name) {
        this.code = code;
        this.name = name;
    }

    public static NotifyType of(int code) {
        if (code == 16) {
            return PAYLOAD_MALFORMED;
        }
        if (code == 18) {
            return INVALID_ID_INFORMATION;
        }
        if (code < 0 || code > 65535) {
            throw new IllegalArgumentException("notify type " + code + " does not fit in two bytes");
        }
        return new NotifyType(code, "NOTIFY(" + code + ")");
    }

    public int code() {
        return code;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NotifyType && ((NotifyType) o).code == code;
    }

    @Override
    public int hashCode() {
        return code;
    }

    @Override
    public String toString() {
        return name;
    }
}
