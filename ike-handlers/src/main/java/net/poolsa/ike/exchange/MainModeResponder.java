package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.ike.auth.AuthenticationRefusal;
import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.IkeCryptoException;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.job.HalfOpenExpiryJob;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IkeAttributeValues;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.PayloadType;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.message.VendorIdPayload;
import net.poolsa.ike.message.VendorIds;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.proposal.Phase1Sa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaState;
import net.poolsa.ike.sa.IkeSaTable;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.sa.SourceRateLimit;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.InboundIkeDatagram;

/**
 * Main Mode as responder (RFC 2409 §5.4, flow in {@link MainMode}). The connection is the first whose outer pools
 * hold both IKE addresses (the pre-shared key must be known before the peer's identity is, message 5); the
 * proposal is the first of the initiator's that the connection allows. The initiator drives retransmission: a
 * repeated message 1, 3 or 5 gets the stored message 2, 4 or 6. State the initiator abandons is removed after
 * {@link net.poolsa.ike.job.Timers#halfOpenMillis()}.
 *
 * <p>Against floods of first messages (RFC 2408 §2.5.3): message 1 costs no Diffie-Hellman work and no randomness; it
 * creates one half-open SA of bounded size ({@link IkeSaTable#HALF_OPEN_BYTES}), at most
 * {@link SourceRateLimit#BURST} at once and {@link SourceRateLimit#PER_SECOND} a second per source, at most
 * {@link IkeSaTable#MAX_HALF_OPEN} in all (the oldest is evicted for a new one). Our cookie is a keyed hash of the
 * initiator's cookie and both endpoints ({@link net.poolsa.ike.sa.ResponderCookies}); our DH pair is made only for a
 * message 3 that carries it back from the endpoint it was made for. Main Mode cannot be stateless after message 1
 * as IKEv2 is (RFC 7296 §2.6): message 3 does not repeat the SA payload that HASH_I covers, so the responder must keep
 * it from message 1.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.4">RFC 2409 §5.4</a>
 */
final class MainModeResponder extends MainMode {
    /**
     * Largest first message that creates a half-open SA: its SA payload is kept until message 5 (HASH_I covers it).
     * About 100 transforms; strongSwan's first message of one proposal has 180 bytes.
     */
    static final int MAX_FIRST_MESSAGE_BYTES = 4096;

    private MainModeResponder(IkeContext ctx, IkeSa sa, ConnectionState conn) {
        super(ctx, sa, conn);
    }

    /** {@code HDR, SA, VID -->}: a new SA if a connection and a proposal fit; then {@code <-- HDR, SA, VID}. */
    static void start(IkeContext ctx, Received r) throws IkeProtocolException {
        InboundIkeDatagram d = r.datagram();
        IsakmpMessage m = r.clear();
        List<ConnectionState> cs = ctx.connectionsFor(d.local().getAddress(), d.remote().getAddress());
        if (cs.isEmpty()) {
            throw Refusal.silent(IkeDropReason.NO_CONNECTION, "Main Mode from " + Endpoints.text(d.remote()) + " to "
                    + Endpoints.text(d.local())
                    + ": no connection's outer pools hold both addresses");
        }
        ExchangeMessage.MAIN_MODE_1.check(m);
        if (r.raw().length > MAX_FIRST_MESSAGE_BYTES) {
            throw Refusal.silent(IkeDropReason.LARGE_FIRST_MESSAGE, "Main Mode message 1 from "
                    + Endpoints.text(d.remote()) + ": "
                    + r.raw().length + " bytes, more than the " + MAX_FIRST_MESSAGE_BYTES + " a half-open SA may keep");
        }
        ConnectionState conn = cs.get(0);
        Phase1Sa.Choice c;
        try {
            c = Phase1Sa.choose(m.first(SecurityAssociationPayload.class), conn.ikeProposals(),
                    conn.config().certificates() == null ? IkeAttributeValues.AUTH_PRE_SHARED_KEY
                            : conn.config().certificates().method().authMethod());
        } catch (IkeProtocolException e) {
            ctx.events().exchange("main_mode", "refused");
            throw Refusal.notify(IkeDropReason.NO_PROPOSAL, NotifyType.NO_PROPOSAL_CHOSEN, "connection "
                    + conn.name() + ": " + e.getMessage());
        }
        if (ctx.table().full()) {
            throw Refusal.silent(IkeDropReason.TABLE_FULL, "Main Mode from " + Endpoints.text(d.remote()) + ": "
                    + ctx.table().size() + " IKE SAs exist");
        }
        if (!ctx.newMainModes().permit(d.remote().getAddress(), ctx.now())) {
            throw Refusal.silent(IkeDropReason.RATE_LIMITED, "Main Mode from " + Endpoints.text(d.remote())
                    + ": its source started "
                    + SourceRateLimit.BURST + " at once or " + SourceRateLimit.PER_SECOND + " a second already");
        }
        if (ctx.table().halfOpenFull()) {
            ctx.events().halfOpenEvicted();
            ctx.initiations().removeSa(ctx.table().oldestHalfOpen(), "evicted: " + IkeSaTable.MAX_HALF_OPEN
                    + " half-open SAs", false);
        }
        long cr = ctx.cookies().make(m.header().initiatorCookie(), d.remote(), d.local(), ctx.now(), ctx.table());
        IkeSa sa = new IkeSa(Role.RESPONDER, m.header().initiatorCookie(), cr, conn.name(), d.local(), d.remote(),
                ctx.now());
        long ours = conn.config().effectiveIkeLifetimeSeconds();
        sa.negotiated(c.proposal(), c.lifetimeSeconds() > 0 ? Math.min(c.lifetimeSeconds(), ours) : ours);
        sa.negotiatedKilobytes(Lifetimes.agreeKilobytes(c.lifetimeKilobytes(), conn.config().rekey().ikeLifetimeKilobytes()));
        MainModeResponder mm = new MainModeResponder(ctx, sa, conn);
        sa.mainMode(mm);
        ctx.table().add(sa);
        mm.saiB = m.bodyBytes(Received.indexOf(m, PayloadType.SECURITY_ASSOCIATION)).toByteArray();
        mm.natVariant = NatDiscovery.variant(m);
        sa.peerOuterPools(OuterPoolNotify.announced(m));
        sa.peerDpd(DeadPeerDetection.announced(m));
        // no copy of message 1 kept: a repeat is told by its cookie (third()), so a half-open SA holds only SAi_b
        List<IsakmpPayload> p = new ArrayList<>();
        p.add(Phase1Sa.answer(c));
        if (mm.natVariant == Encapsulation.UDP_RFC) {
            p.add(new VendorIdPayload(VendorIds.NAT_T_RFC_3947));
        } else if (mm.natVariant == Encapsulation.UDP_DRAFT) {
            p.add(new VendorIdPayload(NatDiscovery.draftId(m)));
        }
        p.add(OuterPoolNotify.vendorId());
        p.add(DeadPeerDetection.vendorId());
        sa.halfOpenTimer(ctx.scheduler().schedule(new HalfOpenExpiryJob(ctx.jobs(), cr), ctx.timers().halfOpenMillis()));
        // debug: a flood of spoofed first messages would write one line each; the half-open gauge shows them
        IkeContext.LOG.debug("event=main_mode_respond connection={} local={} remote={} proposal={}", conn.name(),
                Endpoints.text(d.local()), Endpoints.text(d.remote()), c.proposal().name());
        mm.outbox.sendToUnproven(Messages.clear(sa.initiatorCookie(), cr, ExchangeType.IDENTITY_PROTECTION, 0, p));
    }

    @Override
    public void received(Received r) throws IkeProtocolException {
        notComputing(r);
        switch (sa.state()) {
            case MM2_SENT:
                repeatedClear(r);
                third(r, r.clear());
                break;
            case MM4_SENT:
                if (r.message() instanceof IsakmpMessage) {
                    repeatedClear(r);
                }
                fifth(r);
                break;
            default:
                Messages.Opened o = Messages.open(sa, r.encrypted(), false);
                if (o.retransmission()) {
                    outbox.resend();
                    throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated Main Mode message 5 from "
                            + sa.remote() + ": message 6 resent");
                }
                throw Refusal.silent(IkeDropReason.UNEXPECTED, "Main Mode message after " + sa + " was established");
        }
    }

    /** {@code HDR, KE, Ni, NAT-D, NAT-D -->}: NAT detection and keys; then {@code <-- HDR, KE, Nr, NAT-D, NAT-D}. */
    private void third(Received r, IsakmpMessage m) throws IkeProtocolException {
        if (m.header().responderCookie() == 0) {
            outbox.resend(); // the dispatcher found this SA by the initiator's cookie and address: its message 1 again
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated Main Mode message 1 from "
                    + Endpoints.text(sa.remote())
                    + ": message 2 resent");
        }
        InboundIkeDatagram d = r.datagram();
        if (!ctx.cookies().verify(sa.responderCookie(), sa.initiatorCookie(), d.remote(), d.local(), ctx.now())) {
            throw Refusal.silent(IkeDropReason.BAD_COOKIE, "Main Mode message 3 for " + sa + " from "
                    + Endpoints.text(d.remote())
                    + " to " + Endpoints.text(d.local()) + ": not the endpoints our cookie was made for");
        }
        ExchangeMessage.MAIN_MODE_3.check(m);
        byte[] peerPublic = peerPublic(m);
        byte[] peerNonce = Phase1Values.requireNonce(m.first(NoncePayload.class).data().toByteArray());
        DhGroup group = sa.proposal().group();
        IkeRandom random = ctx.random();
        // the cookie came back from the endpoints it was made for: only now does the peer cost us a DH computation
        computing = true;
        ctx.offload().run(sa, r, this, () -> Agreement.generate(group, random, peerPublic), done -> {
            Agreement a = done.get();
            dh = a.pair();
            List<IsakmpPayload> p = keyExchange(d.local(), d.remote());
            deriveKeys(peerPublic, peerNonce, a);
            sa.nat(NatDiscovery.evaluate(natVariant, m, sa.proposal().hash(), sa.initiatorCookie(),
                    sa.responderCookie(), d.local(), d.remote(), conn.config().forceEncapsulation()));
            lastReceived = r.raw();
            sa.state(IkeSaState.MM4_SENT);
            ctx.table().cookieReturned(sa);
            IkeContext.LOG.info("event=main_mode_respond connection={} local={} remote={} proposal={} cookie=returned",
                    conn.name(), Endpoints.text(d.local()), Endpoints.text(d.remote()), sa.proposal().name());
            outbox.sendFinal(Messages.clear(sa.initiatorCookie(), sa.responderCookie(),
                    ExchangeType.IDENTITY_PROTECTION, 0, p));
        }, Agreement::wipe);
    }

    /**
     * {@code HDR*, IDii, HASH_I -->} or {@code HDR*, IDii, CERT, SIG_I -->}: the initiator proved the key or its
     * certificate; then {@code <-- HDR*, IDir, HASH_R} or {@code <-- HDR*, IDir, CERT, SIG_R}. A refused
     * certificate, identity or signature is answered with the reason's notification and logged, naming it.
     */
    private void fifth(Received r) throws IkeProtocolException {
        Messages.Opened o = Messages.open(sa, r.encrypted(), false);
        IsakmpMessage m = o.message();
        try {
            verifyProof(r, m, d -> {
                try {
                    d.get();
                } catch (AuthenticationRefusal e) {
                    // it decrypted and parsed under this exchange's keys: the IV chain moves on, so that the initiator
                    // can read the protected notification that answers it (RFC 2409 Appendix B)
                    o.confirm();
                    if (r.datagram().nonEspMarker()) {
                        sa.endpoints(r.datagram().local(), r.datagram().remote()); // the notification goes back there
                    }
                    ctx.events().exchange("main_mode", "refused");
                    throw Refusal.notify(IkeDropReason.AUTHENTICATION, e.notifyType(), "connection " + conn.name()
                            + ": the initiator " + Endpoints.text(r.datagram().remote()) + " is refused: "
                                    + e.getMessage());
                }
                o.confirm();
                if (r.datagram().nonEspMarker()) {
                    sa.endpoints(r.datagram().local(), r.datagram().remote()); // the initiator floated (RFC 3947 §4)
                }
                initialContact(m);
                proof(r, p -> {
                    outbox.sendFinal(Messages.encrypted(sa, ExchangeType.IDENTITY_PROTECTION, 0, p, false));
                    established();
                });
            });
        } catch (IkeCryptoException e) {
            throw Refusal.notify(IkeDropReason.BAD_HASH, NotifyType.INVALID_HASH_INFORMATION, "connection "
                    + conn.name() + ": HASH_I from " + Endpoints.text(r.datagram().remote())
                            + " does not verify (another pre-shared key?)");
        }
    }

    @Override
    void giveUp() {
        // the responder never retransmits in Main Mode: the initiator drives, the half-open expiry cleans up
    }
}
