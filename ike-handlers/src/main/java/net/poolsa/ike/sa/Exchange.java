package net.poolsa.ike.sa;

/**
 * One exchange in progress on an IKE SA: Main Mode (message ID 0) or a Quick Mode. The SA holds it so that a
 * received message, a retransmission job or the SA's removal finds it by message ID.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1 (Message ID)</a>
 */
public interface Exchange {
    int messageId();

    /** The retransmission job fired for send number {@code sent}: resend, or give up when the tries are spent. */
    void retransmit(int sent);

    /** The IKE SA is going away: release what the exchange holds (SPIs, a waiting initiation). */
    void abort(String reason);

    /** Whether it sent a message and waits for the peer's answer (its own retransmissions judge the peer meanwhile). */
    default boolean awaitingPeer() {
        return false;
    }
}
