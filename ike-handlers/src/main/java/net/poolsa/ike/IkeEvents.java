package net.poolsa.ike;

import java.net.InetAddress;

/**
 * What the IKE engine reports, for the appliance to bind to its metrics and logs (this module knows no metrics
 * library). Called on the IKE event loop; implementations must be cheap and must not block. All defaults do
 * nothing.
 *
 * <p>Labels are low-cardinality: exchange types {@code main_mode}, {@code quick_mode}, {@code informational},
 * {@code aggressive_mode}; results {@code ok}, {@code failed}, {@code timeout}, {@code refused}; drop reasons are
 * the labels of {@link net.poolsa.ike.exchange.IkeDropReason} and of
 * {@link net.poolsa.ike.transport.TransportDropReason}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5 (what a receiver checks)</a>
 */
public interface IkeEvents {
    IkeEvents NONE = new IkeEvents() {
    };

    /** An exchange ended, e.g. ("main_mode", "ok") or ("quick_mode", "refused"). */
    default void exchange(String exchangeType, String result) {
    }

    /** A datagram was dropped without changing any state, e.g. "malformed", "unknown_cookie", "bad_hash", "replayed". */
    default void dropped(String reason) {
    }

    /** A child SA pair was installed for {@code connection}. */
    default void childSaInstalled(String connection, int spiIn, int spiOut) {
    }

    /** The peer does not take RFC 3554 ID_LIST: one Quick Mode per range pair from now on. */
    default void compatibilityFallback(String connection, String peer) {
    }

    // --- rekeying (issue 12: lifetimes) ---

    /**
     * A rekey ended: {@code kind} {@code child} (a Quick Mode replaced a child SA pair) or {@code ike} (a Main Mode
     * replaced an ISAKMP SA); {@code result} {@code ok} (the new SA carries the traffic, counted by both peers) or
     * {@code failed} (our attempt did not complete; counted by the side that started it).
     */
    default void rekey(String kind, String result) {
    }

    // ---- dead peer detection (RFC 3706)

    /**
     * One DPD outcome for one address of the peer's outer pool: {@code sent} (an R-U-THERE went to it),
     * {@code acked} (an authenticated R-U-THERE-ACK echoed one of its sequence numbers), {@code timeout} (it gave
     * no such answer for the connection's DPD timeout; reported once until it answers again).
     */
    default void dpd(String connection, InetAddress peer, String outcome) {
    }

    /** No address of the peer answered for the DPD timeout: {@code action} ({@code clear}, {@code restart}) applies. */
    default void dpdPeerDead(String connection, String action) {
    }

    /**
     * Authenticated proof that the path from {@code remote} to {@code local} works (a DPD answer that came over it):
     * the evidence the data plane's path monitor takes instead of unauthenticated ICMP echo replies.
     */
    default void pathConfirmed(InetAddress local, InetAddress remote) {
    }

    /** {@link #natKeepalive}: we sent one (the kernel took it). */
    String KEEPALIVE_SENT = "sent";
    /** {@link #natKeepalive}: one arrived (and was discarded). */
    String KEEPALIVE_RECEIVED = "received";

    /**
     * A NAT-keepalive (RFC 3948 §2.3, one octet 0xFF on the NAT-T port) went out ({@link #KEEPALIVE_SENT}) or came in
     * ({@link #KEEPALIVE_RECEIVED}); one call per datagram, from the transport's event loop.
     */
    default void natKeepalive(String direction) {
    }

    // Denial of service (RFC 2408 §2.5.3): half-open responder SAs. A flood's drops come through dropped() with
    // the reasons rate_limited and bad_cookie.

    /** The number of responder SAs waiting for their initiator to come back with our cookie is now {@code count}. */
    default void halfOpen(int count) {
    }

    /** A half-open SA was removed at the cap to make room for a new one. */
    default void halfOpenEvicted() {
    }
}
