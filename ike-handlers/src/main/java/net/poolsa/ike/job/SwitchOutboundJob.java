package net.poolsa.ike.job;

/**
 * Ends the wait between our HASH(3) of a rekey Quick Mode and the first packet we send on the new pair
 * ({@code net.poolsa.ike.Rekey#OUTBOUND_SWITCH_MILLIS}): a responder may install its inbound SA only when HASH(3)
 * arrives, as strongSwan does. Holds our cookie of the ISAKMP SA and the message ID of the exchange.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
public record SwitchOutboundJob(JobTarget target, long localCookie, int messageId) implements Runnable {
    @Override
    public void run() {
        target.switchOutbound(localCookie, messageId);
    }

    @Override
    public String toString() {
        return String.format("switch-outbound[%016x mid %08x]", localCookie, messageId);
    }
}
