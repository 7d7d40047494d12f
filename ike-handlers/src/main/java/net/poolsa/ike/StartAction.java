package net.poolsa.ike;

/**
 * When an IKE-keyed connection negotiates, as swanctl's {@code start_action}: {@link #START} at configuration
 * time, {@link #TRAP} on the data plane's first packet that hits the connection's PROTECT policy without an SA
 * (the policy is installed at configuration time and raises an acquire), {@link #NONE} only on
 * {@code poolsa initiate} (or as responder).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.1">RFC 4301 §4.4.1 (PROTECT policies)</a>
 */
public enum StartAction {
    START,
    TRAP,
    NONE
}
