package net.poolsa.ike.exchange;

import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.ProtocolId;

/**
 * A message the exchange layer refuses, with what to do about it: the drop reason to count and whether the peer
 * gets a notification of {@link #notifyType()} (protected by the IKE SA when one has keys, else in the clear and
 * rate-limited). Thrown by the exchanges, turned into a drop, a counter, a log line and the notify in exactly one
 * place ({@link Dispatcher}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5</a>
 */
public final class Refusal extends IkeProtocolException {
    private static final long serialVersionUID = 1L;

    private final IkeDropReason reason;
    private final boolean notifyPeer;
    private ProtocolId protocol = ProtocolId.ISAKMP;
    private Octets spi;

    public Refusal(IkeDropReason reason, NotifyType notifyType, boolean notifyPeer, String message) {
        super(notifyType, message);
        this.reason = reason;
        this.notifyPeer = notifyPeer;
    }

    /** Dropped and counted, the peer is told nothing. */
    public static Refusal silent(IkeDropReason reason, String message) {
        return new Refusal(reason, NotifyType.PAYLOAD_MALFORMED, false, message);
    }

    /** Dropped, counted, and the peer gets {@code type}. */
    public static Refusal notify(IkeDropReason reason, NotifyType type, String message) {
        return new Refusal(reason, type, true, message);
    }

    /** A codec or crypto refusal, with the drop reason its notify type stands for. */
    public static Refusal of(IkeProtocolException e, boolean notifyPeer) {
        if (e instanceof Refusal) {
            return (Refusal) e;
        }
        return new Refusal(reasonFor(e.notifyType()), e.notifyType(), notifyPeer, e.getMessage());
    }

    static IkeDropReason reasonFor(NotifyType t) {
        if (t.equals(NotifyType.INVALID_HASH_INFORMATION)) {
            return IkeDropReason.BAD_HASH;
        }
        if (t.equals(NotifyType.NO_PROPOSAL_CHOSEN)) {
            return IkeDropReason.NO_PROPOSAL;
        }
        if (t.equals(NotifyType.INVALID_ID_INFORMATION)) {
            return IkeDropReason.INVALID_ID;
        }
        if (t.equals(NotifyType.INVALID_KEY_INFORMATION)) {
            return IkeDropReason.INVALID_KEY;
        }
        if (t.equals(NotifyType.INVALID_EXCHANGE_TYPE)) {
            return IkeDropReason.UNSUPPORTED_EXCHANGE;
        }
        if (t.equals(NotifyType.INVALID_COOKIE)) {
            return IkeDropReason.UNKNOWN_COOKIE;
        }
        return IkeDropReason.MALFORMED;
    }

    /**
     * The SA the notification is about: a Quick Mode refusal names the protocol and the SPI of the proposal (by
     * default a notification names the ISAKMP SA by its cookies).
     */
    public Refusal about(ProtocolId protocol, int spi) {
        this.protocol = protocol;
        this.spi = Octets.ofInt(spi);
        return this;
    }

    /** The protocol the notification names. */
    public ProtocolId protocol() {
        return protocol;
    }

    /** The SPI the notification names, or null for the ISAKMP SA's cookies. */
    public Octets spi() {
        return spi;
    }

    public IkeDropReason reason() {
        return reason;
    }

    public boolean notifyPeer() {
        return notifyPeer;
    }
}
