package net.poolsa.ike.sa;

/**
 * Where a Main Mode stands, by the last message this side sent (RFC 2409 §5, pre-shared keys):
 * <pre>
 * initiator  MM1_SENT --MM2--> MM3_SENT --MM4--> MM5_SENT --MM6--> ESTABLISHED
 * responder  --MM1--> MM2_SENT --MM3--> MM4_SENT --MM5--> ESTABLISHED (MM6 sent)
 * </pre>
 * DELETED is final: the SA left the table (deleted, expired half-open, failed) and every job that still names it
 * finds nothing.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 */
public enum IkeSaState {
    MM1_SENT,
    MM2_SENT,
    MM3_SENT,
    MM4_SENT,
    MM5_SENT,
    ESTABLISHED,
    DELETED
}
