package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;

import io.netty.buffer.ByteBufUtil;

import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpDatagram;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessageDecoder;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.InboundIkeDatagram;

/**
 * Every received IKE datagram enters here: decoded, routed by cookies and message ID to its IKE SA and exchange,
 * and, when anything refuses it, turned in exactly this one place into a drop counted by reason
 * ({@code IkeEvents.dropped}), a log line (rate-limited per reason, except refusals of authenticated messages,
 * which a peer cannot flood) and the notification the refusal asks for: protected by the IKE SA when it has keys,
 * else in the clear (rate-limited). A refused message changes no state: the exchanges act only on what decoded,
 * fits the payload table and, once keys exist, carries a verified hash.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5</a>
 */
final class Dispatcher {
    private final IkeContext ctx;
    private final RateLimitedLog logLimit = RateLimitedLog.perTenSeconds(IkeDropReason.values().length);

    Dispatcher(IkeContext ctx) {
        this.ctx = ctx;
    }

    void received(InboundIkeDatagram d) {
        byte[] raw = ByteBufUtil.getBytes(d.content());
        IsakmpDatagram m;
        try {
            m = IsakmpMessageDecoder.decode(d.content().duplicate());
        } catch (IkeProtocolException e) {
            refuse(d, null, null, Refusal.of(e, false));
            return;
        }
        Received r = new Received(d, raw, m);
        IkeSa sa = null;
        try {
            supported(m);
            sa = lookup(r);
            boolean keyed = sa != null && sa.established();
            deliver(sa, r);
            if (keyed && r.fresh()) {
                followNatMapping(sa, d);
                ctx.dpd().heard(sa, d.local(), d.remote());
            }
        } catch (Refusal f) {
            refuse(d, m.header(), sa, f);
        } catch (IkeProtocolException e) {
            refuse(d, m.header(), sa, Refusal.of(e, false));
        }
    }

    /**
     * The NAT in front of the peer mapped it to another port (its mapping expired, or it restarted): a fresh message
     * of the SA ({@link Received}: authenticated and not a replay) came from the peer's address and a new port to our
     * own endpoint. Our Informationals and Quick Modes and the ESP of its child SAs go to the new port from now on, as
     * RFC 7296 §2.23 asks of the end that is not behind the NAT; else they would die at the NAT. (The data path does the same for a child SA on its own
     * authenticated ESP.)
     */
    private void followNatMapping(IkeSa sa, InboundIkeDatagram d) {
        InetSocketAddress was = sa.remote();
        if (!sa.nat().natted() || was.getPort() == d.remote().getPort() || !was.getAddress().equals(d.remote().getAddress())
                || !sa.local().equals(d.local())) {
            return;
        }
        sa.endpoints(sa.local(), d.remote());
        ctx.dpd().followed(sa, was);
        for (ChildSa c : sa.children()) {
            // The installed child SAs too: the peer's next ESP packet may be long in coming (one way traffic to it)
            for (SecurityAssociation esp : new SecurityAssociation[] {c.inbound(), c.outbound()}) {
                if (esp != null) {
                    esp.followRemotePort(d.remote().getPort());
                }
            }
        }
        IkeContext.LOG.info("event=ike_sa_moved connection={} from={}>{} to={}>{} cause=nat_mapping", sa.connection(),
                Endpoints.text(sa.local()), Endpoints.text(was), Endpoints.text(sa.local()), Endpoints.text(d.remote()));
    }

    /** Aggressive Mode is refused with a notify (RFC 2409 §5.4 allows us to offer only Main Mode); other types silently. */
    private void supported(IsakmpDatagram m) throws IkeProtocolException {
        try {
            ExchangeMessage.checkSupportedExchange(m);
        } catch (IkeProtocolException e) {
            if (m.header().exchangeType().equals(ExchangeType.AGGRESSIVE)
                    && e.notifyType().equals(NotifyType.NO_PROPOSAL_CHOSEN)) {
                ctx.events().exchange("aggressive_mode", "refused");
                throw Refusal.notify(IkeDropReason.UNSUPPORTED_EXCHANGE, NotifyType.NO_PROPOSAL_CHOSEN, e.getMessage());
            }
            throw new Refusal(IkeDropReason.UNSUPPORTED_EXCHANGE, e.notifyType(), false, e.getMessage());
        }
    }

    /** The SA the message belongs to; null for a first Main Mode message that starts a new one. */
    private IkeSa lookup(Received r) throws Refusal {
        IsakmpHeader h = r.header();
        InboundIkeDatagram d = r.datagram();
        if (h.responderCookie() == 0) {
            if (h.exchangeType().equals(ExchangeType.IDENTITY_PROTECTION)) {
                return ctx.table().responderFor(h.initiatorCookie(), d.remote());
            }
            IkeSa ours = ctx.table().byLocalCookie(h.initiatorCookie());
            if (h.exchangeType().equals(ExchangeType.INFORMATIONAL) && ours != null && ours.role() == Role.INITIATOR
                    && ours.remote().getAddress().equals(d.remote().getAddress())) {
                return ours;
            }
            throw Refusal.silent(IkeDropReason.UNKNOWN_COOKIE, h.exchangeType() + " without a responder cookie from "
                    + Endpoints.text(d.remote()));
        }
        IkeSa sa = ctx.table().find(h.initiatorCookie(), h.responderCookie());
        if (sa == null) {
            throw Refusal.silent(IkeDropReason.UNKNOWN_COOKIE, String.format("%s %016x_i %016x_r from %s",
                    h.exchangeType(), h.initiatorCookie(), h.responderCookie(), Endpoints.text(d.remote())));
        }
        if (!sa.remote().getAddress().equals(d.remote().getAddress()) && !otherPath(sa, r)) {
            throw Refusal.silent(IkeDropReason.WRONG_PEER, h.exchangeType() + " for " + sa + " from "
                    + Endpoints.text(d.remote()));
        }
        return sa;
    }

    /**
     * A message of an established SA over another pair of its connection's outer pools: dead peer detection tests
     * every path (RFC 3706 over pools) and moves the SA to one that answers, so a Quick Mode or Informational may come
     * over a pair that is not (or no longer) the SA's own; what it carries is acted on only once its hash verified.
     */
    private boolean otherPath(IkeSa sa, Received r) {
        ConnectionState c = ctx.connection(sa.connection());
        InboundIkeDatagram d = r.datagram();
        return c != null && sa.established() && DeadPeerDetection.poolPaths(sa)
                && !r.header().exchangeType().equals(ExchangeType.IDENTITY_PROTECTION)
                && c.config().remoteOuter().contains(d.remote().getAddress().getAddress())
                && c.config().localOuter().contains(d.local().getAddress().getAddress());
    }

    private void deliver(IkeSa sa, Received r) throws IkeProtocolException {
        ExchangeType t = r.header().exchangeType();
        if (sa == null) {
            MainModeResponder.start(ctx, r);
        } else if (t.equals(ExchangeType.IDENTITY_PROTECTION)) {
            ((MessageHandler) sa.mainMode()).received(r);
        } else if (t.equals(ExchangeType.QUICK_MODE)) {
            MessageHandler q = (MessageHandler) sa.quickMode(r.header().messageId());
            if (q != null) {
                q.received(r);
            } else {
                QuickModeResponder.start(ctx, sa, r);
            }
        } else {
            ctx.informational().received(sa, r);
        }
    }

    /** A refusal of {@code r} that came after its computation off the IKE thread ({@link Offload}). */
    void refused(Received r, IkeSa sa, IkeProtocolException e) {
        refuse(r.datagram(), r.header(), sa, e instanceof Refusal ? (Refusal) e : Refusal.of(e, false));
    }

    private void refuse(InboundIkeDatagram d, IsakmpHeader h, IkeSa sa, Refusal f) {
        ctx.events().dropped(f.reason().label());
        boolean keyed = sa != null && sa.keys() != null && ctx.table().byLocalCookie(sa.localCookie()) == sa;
        // a refusal after the hash verified comes from the peer itself: always logged; anything else (a bad hash
        // included) could be anyone's flood and is rate-limited, its notification too
        boolean floodable = !(keyed && f.notifyPeer()) || f.reason() == IkeDropReason.BAD_HASH;
        if (!floodable) {
            IkeContext.LOG.warn("event=ike_refused reason={} remote={} notify={} detail=\"{}\"", f.reason().label(),
                    Endpoints.text(d.remote()), f.notifyType(), f.getMessage());
        } else {
            long suppressed = logLimit.permit(f.reason().ordinal());
            if (suppressed != RateLimitedLog.SUPPRESSED) {
                IkeContext.LOG.info("event=ike_dropped reason={} remote={} notify={} suppressed={} detail=\"{}\"",
                        f.reason().label(), Endpoints.text(d.remote()), f.notifyPeer() ? f.notifyType() : "none",
                        suppressed,
                        f.getMessage());
            }
        }
        if (!f.notifyPeer() || h == null || (floodable && !ctx.informational().permitUnsolicited())) {
            return;
        }
        if (keyed) {
            ctx.informational().notifyProtected(sa, f.notifyType(), f.protocol(), f.spi());
        } else {
            ctx.informational().notifyClear(d.local(), d.remote(), h.initiatorCookie(),
                    sa != null ? sa.responderCookie() : h.responderCookie(), f.notifyType());
        }
    }
}
