package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;

import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.sa.IkeSa;

/**
 * The last message one exchange sent, kept as the bytes that went out: resent by the retransmission job while no
 * answer came (exponential backoff, {@link net.poolsa.ike.job.Timers}), and resent once as the stored reply when
 * the peer repeats the message it answers.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2</a>
 */
final class Outbox {
    private final IkeContext ctx;
    private final IkeSa sa;
    private final int messageId;
    private byte[] datagram;
    private int sent;
    private boolean awaiting;
    /** The stored message answers a source that has not proved its address ({@link #sendToUnproven}). */
    private boolean expendable;
    private Scheduler.Cancellable timer = Scheduler.Cancellable.NONE;
    /** Where this exchange's messages go when not to the IKE SA's peer endpoint ({@link #replyTo}); null: there. */
    private InetSocketAddress replyTo;

    Outbox(IkeContext ctx, IkeSa sa, int messageId) {
        this.ctx = ctx;
        this.sa = sa;
        this.messageId = messageId;
    }

    /**
     * This exchange answers a request that came from {@code remote}, the peer's address on another port than the IKE
     * SA's (a NAT mapped it anew): its messages go there, as a response goes where its request came from (RFC 7296
     * §2.11). The IKE SA itself moves only on a message that proved to be fresh ({@link Received}).
     */
    void replyTo(InetSocketAddress remote) {
        replyTo = remote;
    }

    private InetSocketAddress remote() {
        return replyTo != null ? replyTo : sa.remote();
    }

    /** Sends a new message and retransmits it until {@link #answered()}. */
    void sendAwaiting(byte[] message) {
        datagram = message;
        expendable = false;
        sent = 0;
        awaiting = true;
        transmit();
    }

    /** Sends a final message (no answer comes); it is resent only when the peer repeats its last message. */
    void sendFinal(byte[] message) {
        timer.cancel();
        datagram = message;
        awaiting = false;
        expendable = false;
        ctx.sendTo(sa.local(), remote(), datagram);
    }

    /**
     * {@link #sendFinal} for an answer to a source that has not proved its address (Main Mode message 2): it and its
     * resends may be dropped rather than delay the messages of proven peers ({@link IkeNetwork#sendExpendable}).
     */
    void sendToUnproven(byte[] message) {
        timer.cancel();
        datagram = message;
        awaiting = false;
        expendable = true;
        ctx.sendTo(sa.local(), sa.remote(), datagram, true);
    }

    /** Whether the last message sent waits for an answer. */
    boolean awaiting() {
        return awaiting;
    }

    /** The answer came: no more retransmissions; the message stays as the stored reply. */
    void answered() {
        awaiting = false;
        timer.cancel();
    }

    /** The peer repeated the message this one answers: send the stored bytes again. */
    void resend() {
        if (datagram != null) {
            ctx.sendTo(sa.local(), remote(), datagram, expendable);
        }
    }

    /**
     * The retransmission job for send number {@code sentThen} fired.
     *
     * @return false when the tries are spent and the exchange must give up; true otherwise (also when the job
     *         was stale: answered, or a newer message went out since)
     */
    boolean retransmit(int sentThen) {
        if (!awaiting || sentThen != sent) {
            return true;
        }
        if (sent > ctx.timers().retransmits()) {
            awaiting = false;
            return false;
        }
        IkeContext.LOG.debug("event=ike_retransmit sa={} mid={} try={}", sa, Integer.toHexString(messageId), sent);
        transmit();
        return true;
    }

    void stop() {
        awaiting = false;
        timer.cancel();
    }

    /** How often the current message went out. */
    int sent() {
        return sent;
    }

    /** Whether the retransmission job for send number {@code sentThen} is current: still unanswered, nothing newer sent. */
    boolean current(int sentThen) {
        return awaiting && sentThen == sent;
    }

    private void transmit() {
        ctx.sendTo(sa.local(), remote(), datagram);
        sent++;
        timer.cancel();
        timer = ctx.retransmitLater(sa, messageId, sent);
    }
}
