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
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5</a>
 */
record Received(InboundIkeDatagram datagram, byte[] raw, IsakmpDatagram message) {
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
