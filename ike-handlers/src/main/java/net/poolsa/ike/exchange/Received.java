package net.poolsa.ike.exchange;

import java.util.Arrays;

import net.poolsa.ike.message.EncryptedIsakmpMessage;
import net.poolsa.ike.message.IsakmpDatagram;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.PayloadType;
import net.poolsa.ike.transport.InboundIkeDatagram;

/**
 * One received datagram as the exchanges see it: where it came from and went to, the bytes as received (a
 * repeated clear-text message is recognised by them) and the decoded message. The datagram's buffer is the
 * transport's and is not kept.
 *
 * <p>An exchange {@link #fresh() marks} the message fresh when it proved to be both the peer's and new: its hash
 * covers one of our own nonces (Quick Mode messages 2 and 3), or it answers an R-U-THERE we wait for, or it is an
 * R-U-THERE whose sequence number is new. Only a fresh message may move the IKE SA to the port it came from or
 * prove the peer alive: a verified hash alone does not make a message new, since an Informational or a first Quick
 * Mode message verifies again when replayed once its message ID has left {@link net.poolsa.ike.sa.RecentMessageIds}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5</a>
 */
final class Received {
    private final InboundIkeDatagram datagram;
    private final byte[] raw;
    private final IsakmpDatagram message;
    private boolean fresh;

    Received(InboundIkeDatagram datagram, byte[] raw, IsakmpDatagram message) {
        this.datagram = datagram;
        this.raw = raw;
        this.message = message;
    }

    InboundIkeDatagram datagram() {
        return datagram;
    }

    byte[] raw() {
        return raw;
    }

    IsakmpDatagram message() {
        return message;
    }

    /** The peer sent this message, and not before (class comment): said by the exchange that proved it. */
    void markFresh() {
        fresh = true;
    }

    boolean fresh() {
        return fresh;
    }

    IsakmpHeader header() {
        return message.header();
    }

    /** The clear-text message; a Refusal when it came encrypted. */
    IsakmpMessage clear() throws Refusal {
        if (message instanceof IsakmpMessage) {
            return (IsakmpMessage) message;
        }
        throw Refusal.silent(IkeDropReason.UNEXPECTED, "encrypted " + message.header().exchangeType()
                + " where a clear-text message is expected");
    }

    /** The encrypted message; a Refusal when it came in the clear. */
    EncryptedIsakmpMessage encrypted() throws Refusal {
        if (message instanceof EncryptedIsakmpMessage) {
            return (EncryptedIsakmpMessage) message;
        }
        throw Refusal.silent(IkeDropReason.UNEXPECTED, "clear-text " + message.header().exchangeType()
                + " where an encrypted message is expected");
    }

    boolean sameBytes(byte[] other) {
        return other != null && Arrays.equals(raw, other);
    }

    /** Index of the first payload of {@code type} in {@code m}, or -1. */
    static int indexOf(IsakmpMessage m, PayloadType type) {
        for (int i = 0; i < m.payloads().size(); i++) {
            if (m.payloads().get(i).type().equals(type)) {
                return i;
            }
        }
        return -1;
    }
}
