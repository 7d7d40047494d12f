package net.poolsa.ike.message;

/**
 * A Domain of Interpretation (4 bytes in SA, Notification and Delete payloads), an open registry. poolsa
 * speaks the IPsec DOI; the others are named so that a log line says what a peer asked for.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.4">RFC 2408 section 3.4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.2">RFC 2407 section 4.2</a>
 */
public final class Doi extends RegistryValue {
    private static final Table<Doi> KNOWN = new Table<>();

    /** The generic ISAKMP DOI (0): used by some implementations in phase-1 notifications. */
    public static final Doi ISAKMP = known(0, "ISAKMP");
    public static final Doi IPSEC = known(1, "IPSEC");
    /** RFC 6407 Group DOI. */
    public static final Doi GDOI = known(2, "GDOI");

    private Doi(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static Doi known(int code, String name) {
        return KNOWN.add(new Doi(code, name, true));
    }

    /** The named constant for the unsigned 32-bit {@code code}, or a {@code DOI(n)} value. */
    public static Doi of(int code) {
        return KNOWN.of(code, c -> new Doi(c, unknownName("DOI", c), false));
    }
}
