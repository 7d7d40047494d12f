package net.poolsa.ike.sa;

/**
 * Which side started the exchange: the initiator's cookie comes first in the header, and the hashes and keys
 * are computed by role (RFC 2409 §5).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1</a>
 */
public enum Role {
    INITIATOR,
    RESPONDER;

    public String label() {
        return this == INITIATOR ? "initiator" : "responder";
    }
}
