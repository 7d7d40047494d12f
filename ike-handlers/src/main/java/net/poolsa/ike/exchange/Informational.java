package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.crypto.IkeCryptoException;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.message.DeletePayload;
import net.poolsa.ike.message.Doi;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.ProtocolId;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.IkeSa;

/**
 * Informational exchanges (RFC 2409 §5.7): one message, {@code HDR*, HASH(1), N/D}, with HASH(1) =
 * prf(SKEYID_a, M-ID | N/D). We send error notifications (protected by the IKE SA where it has keys, else in the
 * clear; either at most {@link #CLEAR_NOTIFIES_PER_SECOND} a second when it answers a message anyone could have sent,
 * so that garbage cannot make us a reflector),
 * and Delete payloads. We act only on what the hash authenticates: a Delete removes the SAs it names, an error
 * notification ends the Quick Mode it concerns, an R-U-THERE is answered and an R-U-THERE-ACK goes to
 * {@link DeadPeerDetection} (RFC 3706); other status notifications are logged. A notification in the
 * clear changes nothing; it is remembered as the reason a waiting Main Mode gives when it times out.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.7">RFC 2409 §5.7</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.15">RFC 2408 §3.15 (Delete)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5.2">RFC 3706 §5.2 (DPD only if announced)</a>
 */
final class Informational {
    static final int CLEAR_NOTIFIES_PER_SECOND = 10;

    private final IkeContext ctx;
    private long windowStart = Long.MIN_VALUE;
    private int inWindow;

    Informational(IkeContext ctx) {
        this.ctx = ctx;
    }

    /** {@code HDR*, HASH(1), payloads -->} under {@code sa}'s keys. */
    void sendProtected(IkeSa sa, List<IsakmpPayload> payloads) {
        sendProtectedVia(sa, sa.local(), sa.remote(), payloads);
    }

    /** As {@link #sendProtected}, over another pair of the SA's pools (dead peer detection tests each path). */
    void sendProtectedVia(IkeSa sa, InetSocketAddress local, InetSocketAddress remote, List<IsakmpPayload> payloads) {
        int mid = ctx.newMessageId(sa);
        byte[] hash = sa.keys().informationalHash(mid, Messages.chain(payloads));
        List<IsakmpPayload> all = new ArrayList<>();
        all.add(new HashPayload(hash));
        all.addAll(payloads);
        ctx.sendTo(local, remote, Messages.encrypted(sa, ExchangeType.INFORMATIONAL, mid, all, true));
    }

    /** An error notification about {@code protocol}/{@code spi} (null: the ISAKMP SA's cookies). */
    void notifyProtected(IkeSa sa, NotifyType type, ProtocolId protocol, Octets spi) {
        Octets s = spi != null ? spi : Octets.ofCookies(sa.initiatorCookie(), sa.responderCookie());
        sendProtected(sa, List.of(new NotificationPayload(Doi.IPSEC, spi != null ? protocol : ProtocolId.ISAKMP, type, s,
                Octets.EMPTY)));
    }

    /**
     * Whether one more notification answering an unauthenticated message may go out this second (at most
     * {@link #CLEAR_NOTIFIES_PER_SECOND}): garbage must not turn us into a reflector.
     */
    boolean permitUnsolicited() {
        long now = ctx.now();
        if (now - windowStart >= 1000) {
            windowStart = now;
            inWindow = 0;
        }
        return ++inWindow <= CLEAR_NOTIFIES_PER_SECOND;
    }

    /** An error notification in the clear (no keys yet). */
    void notifyClear(InetSocketAddress local, InetSocketAddress remote, long initiatorCookie, long responderCookie,
                     NotifyType type) {
        long rc = responderCookie != 0 ? responderCookie : ctx.table().newCookie(ctx.random());
        byte[] id = ctx.random().bytes(4);
        int mid = ((id[0] & 0xff) << 24) | ((id[1] & 0xff) << 16) | ((id[2] & 0xff) << 8) | (id[3] & 0xff);
        // it answers a message nobody authenticated: it must not delay the messages of proven peers
        ctx.sendTo(local, remote, Messages.clear(initiatorCookie, rc, ExchangeType.INFORMATIONAL, mid,
                List.of(NotificationPayload.isakmp(type, initiatorCookie, rc, Octets.EMPTY))), true);
    }

    /** Tells the peer we deleted our inbound SA {@code spi} (its outbound). */
    void deleteChild(IkeSa sa, IpsecProtocol protocol, int spi) {
        sendProtected(sa, List.of(new DeletePayload(Doi.IPSEC, protocol == IpsecProtocol.AH ? ProtocolId.IPSEC_AH
                : ProtocolId.IPSEC_ESP, List.of(Octets.ofInt(spi)))));
    }

    /** Tells the peer we deleted the ISAKMP SA. */
    void deleteIkeSa(IkeSa sa) {
        sendProtected(sa, List.of(DeletePayload.isakmp(sa.initiatorCookie(), sa.responderCookie())));
    }

    /** An Informational message for {@code sa}. */
    void received(IkeSa sa, Received r) throws IkeProtocolException {
        if (!(r.message() instanceof net.poolsa.ike.message.EncryptedIsakmpMessage)) {
            IsakmpMessage m = r.clear();
            if (m.count(net.poolsa.ike.message.PayloadType.DELETE) > 0) {
                throw Refusal.silent(IkeDropReason.UNAUTHENTICATED, "Delete in the clear for " + sa + " (not acted on)");
            }
            ExchangeMessage.INFORMATIONAL_UNPROTECTED.check(m);
            List<String> types = new ArrayList<>();
            for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
                types.add(n.notifyType().toString());
            }
            sa.lastPeerError("unauthenticated notification " + types);
            throw Refusal.silent(IkeDropReason.UNAUTHENTICATED, "Informational in the clear for " + sa + ": " + types
                    + " (not acted on)");
        }
        int mid = r.header().messageId();
        if (sa.keys() == null) {
            throw Refusal.silent(IkeDropReason.UNEXPECTED, "encrypted Informational before " + sa + " has keys");
        }
        if (sa.seenMessageIds().contains(mid)) {
            throw Refusal.silent(IkeDropReason.REPLAYED, "Informational message ID " + Integer.toHexString(mid)
                    + " seen before on " + sa);
        }
        Messages.Opened o = Messages.open(sa, r.encrypted(), true);
        IsakmpMessage m = o.message();
        ExchangeMessage.INFORMATIONAL_PROTECTED.check(m);
        try {
            Phase1Keys.verify(sa.keys().informationalHash(mid, m.chainBytes(1).toByteArray()),
                    m.first(HashPayload.class).data().toByteArray(), "Informational HASH(1)");
        } catch (IkeCryptoException e) {
            throw Refusal.silent(IkeDropReason.BAD_HASH, e.getMessage() + " on " + sa);
        }
        o.confirm();
        sa.seenMessageIds().add(mid);
        for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
            if (n.notifyType().equals(NotifyType.R_U_THERE_ACK)) {
                ctx.dpd().acked(sa, n, r.datagram().local(), r.datagram().remote());
                r.markFresh(); // it echoes a sequence number we wait for (a stale one was refused)
            }
        }
        ctx.events().exchange("informational", "ok");
        for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
            if (n.notifyType().equals(NotifyType.R_U_THERE)) {
                if (ctx.dpd().answer(sa, n, r.datagram().local(), r.datagram().remote())) {
                    r.markFresh();
                }
            } else if (!n.notifyType().equals(NotifyType.R_U_THERE_ACK)) {
                notification(sa, n);
            }
        }
        for (DeletePayload d : m.payloads(DeletePayload.class)) {
            delete(sa, d);
            if (!ctx.table().all().contains(sa)) {
                return; // the ISAKMP SA itself was deleted
            }
        }
    }

    private void notification(IkeSa sa, NotificationPayload n) {
        if (n.notifyType().isError()) {
            IkeContext.LOG.warn("event=ike_peer_error sa={} notify={} protocol={} spi={}", sa, n.notifyType(),
                    n.protocol(), n.spi());
            ctx.initiations().peerError(sa, n);
        } else {
            IkeContext.LOG.debug("event=ike_peer_status sa={} notify={}", sa, n.notifyType());
        }
    }

    private void delete(IkeSa sa, DeletePayload d) {
        if (d.protocol().equals(ProtocolId.ISAKMP)) {
            for (Octets spi : d.spis()) {
                if (spi.length() == 16 && spi.longAt(0) == sa.initiatorCookie() && spi.longAt(8) == sa.responderCookie()) {
                    // a peer that wants the pairs gone deletes them first (its Deletes for them came before)
                    ctx.lifetimes().moveChildren(sa, "the peer deleted this ISAKMP SA");
                    ctx.initiations().removeSa(sa, "the peer deleted it", false);
                    return;
                }
            }
            return;
        }
        IpsecProtocol proto = d.protocol().equals(ProtocolId.IPSEC_AH) ? IpsecProtocol.AH
                : d.protocol().equals(ProtocolId.IPSEC_ESP) ? IpsecProtocol.ESP : null;
        if (proto == null || d.spiSize() != 4) {
            return;
        }
        for (Octets spi : d.spis()) {
            int s = spi.intAt(0);
            for (IkeSa owner : ctx.table().all()) {
                if (!owner.remote().getAddress().equals(sa.remote().getAddress())) {
                    continue; // a peer deletes only what it negotiated with us
                }
                for (ChildSa c : List.copyOf(owner.children())) {
                    if ((c.spiOut() == s && c.proposal().protocol() == proto)
                            || (proto == IpsecProtocol.AH && c.ahProposal() != null && c.ahSpiOut() == s)) {
                        ctx.children().remove(owner, c, false);
                    }
                }
            }
        }
    }
}
