package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.DhKeyPair;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.auth.AuthenticationRefusal;
import net.poolsa.ike.message.EncryptedIsakmpMessage;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.proposal.Phase1Sa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaState;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.PortRole;

/**
 * Main Mode as initiator (RFC 2409 §5.4, flow in {@link MainMode}). Every message is retransmitted until the
 * answer comes; an answer that does not fit (malformed, a proposal we did not offer, a DH value off the group, a
 * HASH_R that does not verify) is dropped and the wait goes on, since nothing in the clear part of Main Mode is
 * authenticated. When the tries are spent the attempt fails and says what the peer last sent that did not fit.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.4">RFC 2409 §5.4</a>
 */
final class MainModeInitiator extends MainMode {
    private MainModeInitiator(IkeContext ctx, IkeSa sa, ConnectionState conn) {
        super(ctx, sa, conn);
    }

    /** Creates the SA and sends message 1: {@code HDR, SA, VID -->}. */
    static IkeSa start(IkeContext ctx, ConnectionState conn, InetSocketAddress local, InetSocketAddress remote) {
        long ci = ctx.table().newCookie(ctx.random());
        IkeSa sa = new IkeSa(Role.INITIATOR, ci, 0, conn.name(), local, remote, ctx.now());
        MainModeInitiator mm = new MainModeInitiator(ctx, sa, conn);
        sa.mainMode(mm);
        ctx.table().add(sa);
        List<IsakmpPayload> p = new ArrayList<>();
        p.add(Phase1Sa.offer(conn.ikeProposals(), conn.config().effectiveIkeLifetimeSeconds(),
                conn.config().rekey().ikeLifetimeKilobytes(), mm.authMethod()));
        p.addAll(NatDiscovery.vendorIds());
        p.add(OuterPoolNotify.vendorId());
        p.add(DeadPeerDetection.vendorId());
        mm.saiB = new IsakmpMessage(IsakmpHeader.of(ci, 0, ExchangeType.IDENTITY_PROTECTION, 0), p).bodyBytes(0)
                .toByteArray();
        IkeContext.LOG.info("event=main_mode_initiate connection={} local={} remote={} proposals={}", conn.name(),
                Endpoints.text(local), Endpoints.text(remote), conn.ikeProposals());
        mm.outbox.sendAwaiting(Messages.clear(ci, 0, ExchangeType.IDENTITY_PROTECTION, 0, p));
        return sa;
    }

    @Override
    public void received(Received r) throws IkeProtocolException {
        notComputing(r);
        try {
            switch (sa.state()) {
                case MM1_SENT:
                    second(r, r.clear());
                    break;
                case MM3_SENT:
                    repeatedClear(r);
                    fourth(r, r.clear());
                    break;
                case MM5_SENT:
                    if (r.message() instanceof IsakmpMessage) {
                        repeatedClear(r);
                    }
                    sixth(r, r.encrypted());
                    break;
                default:
                    Messages.Opened o = Messages.open(sa, r.encrypted(), false);
                    throw Refusal.silent(o.retransmission() ? IkeDropReason.RETRANSMITTED : IkeDropReason.UNEXPECTED,
                            "Main Mode message after " + sa + " was established");
            }
        } catch (Refusal e) {
            if (e.reason() != IkeDropReason.RETRANSMITTED) {
                sa.lastPeerError(e.getMessage());
            }
            throw e;
        } catch (IkeProtocolException e) {
            sa.lastPeerError(e.getMessage());
            throw e;
        }
    }

    /** {@code <-- HDR, SA, VID}: the responder's choice and cookie; then {@code HDR, KE, Ni, NAT-D, NAT-D -->}. */
    private void second(Received r, IsakmpMessage m) throws IkeProtocolException {
        ExchangeMessage.MAIN_MODE_2.check(m);
        Phase1Sa.Choice c = Phase1Sa.accepted(m.first(SecurityAssociationPayload.class), conn.ikeProposals(),
                authMethod());
        sa.responderCookie(m.header().responderCookie());
        sa.negotiated(c.proposal(), c.lifetimeSeconds() > 0 ? c.lifetimeSeconds()
                : conn.config().effectiveIkeLifetimeSeconds());
        sa.negotiatedKilobytes(Lifetimes.agreeKilobytes(c.lifetimeKilobytes(), conn.config().rekey().ikeLifetimeKilobytes()));
        natVariant = NatDiscovery.variant(m);
        sa.peerOuterPools(OuterPoolNotify.announced(m));
        sa.peerDpd(DeadPeerDetection.announced(m));
        lastReceived = r.raw();
        sa.state(IkeSaState.MM3_SENT);
        DhGroup group = sa.proposal().group();
        IkeRandom random = ctx.random();
        computing = true;
        ctx.offload().run(sa, r, this, () -> group.generate(random), done -> {
            dh = done.get();
            outbox.sendAwaiting(Messages.clear(sa.initiatorCookie(), sa.responderCookie(),
                    ExchangeType.IDENTITY_PROTECTION, 0, keyExchange(sa.local(), sa.remote())));
        }, pair -> {
            if (pair != null) {
                pair.destroy();
            }
        });
    }

    /**
     * {@code <-- HDR, KE, Nr, [CR,] NAT-D, NAT-D}: keys, NAT detection, the float; then
     * {@code HDR*, IDii, HASH_I -->} or {@code HDR*, IDii, CERT, SIG_I -->}.
     */
    private void fourth(Received r, IsakmpMessage m) throws IkeProtocolException {
        ExchangeMessage.MAIN_MODE_4.check(m);
        byte[] peerPublic = peerPublic(m);
        byte[] peerNonce = Phase1Values.requireNonce(m.first(NoncePayload.class).data().toByteArray());
        DhKeyPair pair = dh;
        computing = true;
        ctx.offload().run(sa, r, this, () -> new Agreement(pair, pair.sharedSecret(peerPublic)), done -> {
            Agreement a;
            try {
                a = done.get();
            } catch (IkeProtocolException e) {
                sa.lastPeerError(e.getMessage()); // a value off the group: the wait for another message 4 goes on
                throw e;
            }
            fourth(r, m, peerPublic, peerNonce, a);
        }, a -> {
            Agreement.wipe(a);
            pair.destroy(); // the SA ended while the pool held the pair (abort() left it to us)
        });
    }

    private void fourth(Received r, IsakmpMessage m, byte[] peerPublic, byte[] peerNonce, Agreement a)
            throws IkeProtocolException {
        deriveKeys(peerPublic, peerNonce, a);
        sa.nat(NatDiscovery.evaluate(natVariant, m, sa.proposal().hash(), sa.initiatorCookie(), sa.responderCookie(),
                sa.local(), sa.remote(), conn.config().forceEncapsulation()));
        lastReceived = r.raw();
        if (sa.nat().natted()) {
            InetSocketAddress local = ctx.network().local(sa.local().getAddress(), PortRole.NAT_T);
            if (local == null) {
                throw new IllegalStateException("no NAT-T socket on " + Endpoints.text(sa.local().getAddress()));
            }
            sa.endpoints(local, new InetSocketAddress(sa.remote().getAddress(), ctx.network().peerPort(PortRole.NAT_T)));
        }
        proof(r, proof -> {
            List<IsakmpPayload> p = new ArrayList<>(proof);
            if (firstContact()) {
                p.add(NotificationPayload.initialContact(sa.initiatorCookie(), sa.responderCookie()));
            }
            sa.state(IkeSaState.MM5_SENT);
            outbox.sendAwaiting(Messages.encrypted(sa, ExchangeType.IDENTITY_PROTECTION, 0, p, false));
        });
    }

    /**
     * {@code <-- HDR*, IDir, HASH_R} or {@code <-- HDR*, IDir, CERT, SIG_R}: the responder proved the key or its
     * certificate. A refused certificate, identity or signature ends the attempt at once (the message was
     * encrypted with this exchange's keys, so it is the answer, not noise): the responder, which holds the SA as
     * established, gets the reason's notification and a Delete of the ISAKMP SA, and the attempt fails naming
     * what was refused.
     */
    private void sixth(Received r, EncryptedIsakmpMessage e) throws IkeProtocolException {
        Messages.Opened o = Messages.open(sa, e, false);
        if (o.retransmission()) {
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated Main Mode message 6");
        }
        IsakmpMessage m = o.message();
        verifyProof(r, m, d -> {
            try {
                d.get();
            } catch (AuthenticationRefusal refused) {
                o.confirm();
                // the responder has sent message 6 and holds the SA as established: tell it why, and delete it
                ctx.informational().notifyProtected(sa, refused.notifyType(), null, null);
                ctx.informational().deleteIkeSa(sa);
                ctx.events().exchange("main_mode", "refused");
                ctx.initiations().mainModeFailed(sa, "the responder's authentication was refused: "
                        + refused.getMessage());
                throw Refusal.silent(IkeDropReason.AUTHENTICATION, refused.getMessage());
            }
            o.confirm();
            initialContact(m);
            established();
        });
    }

    /**
     * Message 1 unanswered over its pair of addresses after the first wait: the initiations waiting for it move to a
     * new Main Mode over the next pair of the pools ({@link Initiations#nextPair}), so a dead uplink on either side
     * costs one wait, not the whole backoff. After every pair had its wait, the retransmissions take the pairs in turn
     * ({@link Initiations#rotatePair}) with the usual backoff.
     */
    @Override
    public void retransmit(int sent) {
        if (sa.state() == IkeSaState.MM1_SENT && sa.lastPeerError() == null && outbox.current(sent)) {
            if (ctx.initiations().nextPair(sa, ctx.timers().waitAfter(sent))) {
                return;
            }
            if (sent <= ctx.timers().retransmits()) {
                ctx.initiations().rotatePair(sa); // only when a retransmission follows: giveUp names the last pair
            }
        }
        super.retransmit(sent);
    }

    @Override
    void giveUp() {
        String why = sa.lastPeerError() == null ? "no answer from " + Endpoints.text(sa.remote())
                : "no acceptable answer from " + Endpoints.text(sa.remote()) + " (last: " + sa.lastPeerError() + ")";
        ctx.events().exchange("main_mode", "timeout");
        ctx.initiations().mainModeFailed(sa, "Main Mode timed out in " + sa.state() + ": " + why);
    }
}
