package net.poolsa.ike.exchange;

import java.util.Locale;

/**
 * Why the exchange layer dropped a datagram without acting on it. The label is what {@code IkeEvents.dropped}
 * reports and what the rate-limited log line says.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5 (payload processing)</a>
 */
public enum IkeDropReason {
    /** Did not decode, or broke the payload table of its exchange (RFC 2408 §5). */
    MALFORMED,
    /** An exchange type we do not take part in (Aggressive Mode, Base, New Group ...). */
    UNSUPPORTED_EXCHANGE,
    /** No IKE SA with these cookies. */
    UNKNOWN_COOKIE,
    /** Right cookies, other peer address. */
    WRONG_PEER,
    /** A message the SA's state does not expect now. */
    UNEXPECTED,
    /** A HASH (phase 1 or 2) that does not verify: forged, corrupted, or another key. */
    BAD_HASH,
    /** A certificate, identity or signature refused in Main Mode with signatures (RFC 2409 §5.1, RFC 4945 §5). */
    AUTHENTICATION,
    /** A message ID seen before on this SA (a replayed Informational or Quick Mode). */
    REPLAYED,
    /** The same bytes as the last message accepted: answered with the stored reply (if any), not processed again. */
    RETRANSMITTED,
    /** A first message from an address no connection covers. */
    NO_CONNECTION,
    /** No acceptable proposal (phase 1 or Quick Mode). */
    NO_PROPOSAL,
    /** Identities (protected or outer pools) outside what the connection allows. */
    INVALID_ID,
    /** A Diffie-Hellman value off the group. */
    INVALID_KEY,
    /** A notification that would change state but is not authenticated (sent in the clear). */
    UNAUTHENTICATED,
    /** Too many IKE SAs exist to take a new one. */
    TABLE_FULL,
    /** An authenticated R-U-THERE-ACK echoing no sequence number we wait for (RFC 3706 §5.5): late, replayed or never sent. */
    STALE_DPD_ACK,
    /** A first Main Mode message from a source that started more than its share of new ones (denial of service). */
    RATE_LIMITED,
    /** A Main Mode message 3 whose responder cookie is not the one we made for its sender (RFC 2408 §2.5.3). */
    BAD_COOKIE,
    /** A first Main Mode message larger than a half-open SA may keep. */
    LARGE_FIRST_MESSAGE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
