package net.poolsa.ike.message;

/**
 * An ISAKMP exchange type, an open registry (RFC 2408 section 3.1 for 0-5, RFC 2409 for 32-33; 6 is the
 * Transaction exchange of the mode-config draft that strongSwan knows). Which of them poolsa takes part
 * in is {@link ExchangeMessage}'s business, not the codec's.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 section 3.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 section 5</a>
 */
public final class ExchangeType extends RegistryValue {
    private static final Table<ExchangeType> KNOWN = new Table<>();

    public static final ExchangeType NONE = known(0, "NONE");
    public static final ExchangeType BASE = known(1, "BASE");
    /** Main Mode. */
    public static final ExchangeType IDENTITY_PROTECTION = known(2, "ID_PROT");
    public static final ExchangeType AUTHENTICATION_ONLY = known(3, "AUTH_ONLY");
    public static final ExchangeType AGGRESSIVE = known(4, "AGGRESSIVE");
    public static final ExchangeType INFORMATIONAL = known(5, "INFORMATIONAL");
    public static final ExchangeType TRANSACTION = known(6, "TRANSACTION");
    public static final ExchangeType QUICK_MODE = known(32, "QUICK_MODE");
    public static final ExchangeType NEW_GROUP_MODE = known(33, "NEW_GROUP_MODE");

    private ExchangeType(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static ExchangeType known(int code, String name) {
        return KNOWN.add(new ExchangeType(code, name, true));
    }

    /** The named constant for {@code code}, or an {@code UNKNOWN(code)} value; code must fit one byte. */
    public static ExchangeType of(int code) {
        return KNOWN.of(Wire.checkField("exchange type", code, 8), c -> new ExchangeType(c, unknownName("UNKNOWN", c), false));
    }
}
