package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.ike.crypto.ChildSaKeys;
import net.poolsa.ike.crypto.IkeCryptoException;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.KeyExchangePayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.proposal.Phase2Sa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.SelectorPair;
import net.poolsa.ike.transport.Endpoints;

/**
 * Quick Mode as responder (RFC 2409 §5.5, flow in {@link QuickMode}). The IDs are the initiator's claim: IDci is
 * its protected pool, IDcr ours, and the connection is the first (with the IKE SA's pre-shared key and outer pools)
 * whose configured pools cover both (RFC 3554 §4); without IDs the IKE addresses are meant (RFC 2409 §5.5). The
 * initiator's outer-pool notification must lie within the configured remote outer pool. Our inbound SA is
 * installed before HASH(2) goes out, the outbound SA and the policies after HASH(3) came; HASH(2) is retransmitted
 * until then, and when the tries are spent the inbound SA is removed again and the peer told with a Delete.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4</a>
 */
final class QuickModeResponder extends QuickMode {
    private Phase2Sa.Chosen choice;
    private SelectorPair pair;
    private SaKeys outboundKeys;
    private SaKeys ahOutboundKeys;
    private Lifetime lifetime;

    private QuickModeResponder(IkeContext ctx, IkeSa sa, int messageId) {
        super(ctx, sa, messageId);
    }

    /** {@code HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] -->} on an established SA: a new exchange. */
    static void start(IkeContext ctx, IkeSa sa, Received r) throws IkeProtocolException {
        int mid = r.header().messageId();
        if (!sa.established()) {
            throw Refusal.silent(IkeDropReason.UNEXPECTED, "Quick Mode before " + sa + " is established");
        }
        if (sa.seenMessageIds().contains(mid)) {
            throw Refusal.silent(IkeDropReason.REPLAYED, "Quick Mode message ID " + Integer.toHexString(mid)
                    + " seen before on " + sa);
        }
        Messages.Opened o = Messages.open(sa, r.encrypted(), false);
        IsakmpMessage m = o.message();
        ExchangeMessage.QUICK_MODE_1.check(m);
        try {
            Phase1Keys.verify(sa.keys().quickModeHash1(mid, m.chainBytes(1).toByteArray()),
                    m.first(HashPayload.class).data().toByteArray(), "HASH(1)");
        } catch (IkeCryptoException e) {
            throw Refusal.notify(IkeDropReason.BAD_HASH, NotifyType.INVALID_HASH_INFORMATION, e.getMessage() + " on " + sa);
        }
        o.confirm();
        sa.seenMessageIds().add(mid);
        QuickModeResponder qm = new QuickModeResponder(ctx, sa, mid);
        java.net.InetSocketAddress from = r.datagram().remote();
        if (sa.nat().natted() && from.getAddress().equals(sa.remote().getAddress()) && from.getPort() != sa.remote().getPort()
                && r.datagram().local().equals(sa.local())) {
            qm.outbox.replyTo(from); // HASH(1) may be a replay: the SA moves on HASH(3), which is fresh
        }
        sa.quickMode(mid, qm);
        qm.first(r, m);
    }

    /** Ends the exchange over {@code e} and names the SA the initiator proposed, so that it can tell which was refused. */
    private Refusal refused(IsakmpMessage m, IkeProtocolException e) {
        Refusal refusal = Refusal.of(e, true);
        end();
        ctx.events().exchange("quick_mode", refusal.reason() == IkeDropReason.MALFORMED ? "failed" : "refused");
        net.poolsa.ike.message.Proposal first = m.first(SecurityAssociationPayload.class).proposals().get(0);
        if (first.spi().length() == 4) {
            refusal.about(first.protocol(), first.spi().intAt(0));
        }
        return refusal;
    }

    /**
     * The authenticated first message: choose, then (with PFS, off the IKE thread) our DH pair and g(qm)^xy, then
     * key, install inbound and {@code <-- HDR*, HASH(2), ...}.
     */
    private void first(Received r, IsakmpMessage m) throws IkeProtocolException {
        AddressPool localPool;
        AddressPool remotePool;
        AddressPool announced;
        KeyExchangePayload ke;
        List<IdentificationPayload> ids = m.payloads(IdentificationPayload.class);
        try {
            nonceI = Phase1Values.requireNonce(m.first(NoncePayload.class).data().toByteArray());
            if (ids.isEmpty()) {
                remotePool = PoolPolicy.single(sa.remote().getAddress());
                localPool = PoolPolicy.single(sa.local().getAddress());
            } else {
                remotePool = PoolPolicy.protectedPool(ids.get(0), "IDci");
                localPool = PoolPolicy.protectedPool(ids.get(1), "IDcr");
            }
            conn = connectionFor(localPool, remotePool);
            if (!ids.isEmpty()) {
                checkEntitled("protected pool (IDci)", remotePool);
            }
            announced = announcedOuter(m);
            ctx.dpd().outerAnnounced(sa, announced);
            ke = m.first(KeyExchangePayload.class);
            String refusal = bundleRefusal();
            if (refusal != null) {
                throw Refusal.notify(IkeDropReason.NO_PROPOSAL, NotifyType.NO_PROPOSAL_CHOSEN, refusal);
            }
            choice = Phase2Sa.choose(m.first(SecurityAssociationPayload.class), conn.espProposals(), conn.bundleAh(),
                    conn.config().mode(), encapsulation(), ke != null);
        } catch (IkeProtocolException e) {
            throw refused(m, e);
        }
        AddressPool lp = localPool;
        AddressPool rp = remotePool;
        AddressPool an = announced;
        Offload.Step<Agreement> then = done -> { // done null: no PFS
            try {
                answer(m, ids, lp, rp, an, done == null ? null : done.get());
            } catch (IkeProtocolException e) {
                throw refused(m, e);
            }
        };
        if (ke == null) {
            then.accept(null);
            return;
        }
        net.poolsa.ike.crypto.DhGroup group = choice.main().proposal().group();
        net.poolsa.ike.crypto.IkeRandom random = ctx.random();
        byte[] peerPublic = ke.data().toByteArray();
        computing = true;
        ctx.offload().run(sa, r, this, () -> Agreement.generate(group, random, peerPublic), then, Agreement::wipe);
    }

    /** Keys from {@code a} (null without PFS), the inbound SA, and {@code <-- HDR*, HASH(2), SA, Nr [, KE] ...}. */
    private void answer(IsakmpMessage m, List<IdentificationPayload> ids, AddressPool localPool, AddressPool remotePool,
                        AddressPool announced, Agreement a) throws IkeProtocolException {
        byte[] gqmxy = null;
        if (a != null) {
            dh = a.pair();
            gqmxy = a.gxy();
        }
        spiIn = ctx.kernel().allocateSpi();
        if (choice.ah() != null) {
            ahSpiIn = ctx.kernel().allocateSpi();
        }
        nonceR = ctx.random().nonce();
        lifetime = withSequenceLimit(agree(conn.config().childLifetime(), choice.main().lifetimeSeconds(),
                choice.main().lifetimeKilobytes()), choice.main().proposal().esn());
        ChildSaKeys ahKeys = ahKeys(choice, gqmxy);
        ChildSaKeys keys = keys(choice.main().proposal(), choice.main().spi(), gqmxy);
        pair = conn.pair(localPool, remotePool);
        AddressPool localOuter = PoolPolicy.localOuter(sa, conn.config(), localPool);
        AddressPool remoteOuter = PoolPolicy.remoteOuter(sa, conn.config(), announced, remotePool);
        child = installInbound(choice, pair, keys, ahKeys, localOuter, remoteOuter, lifetime);
        outboundKeys = keys.outbound();
        ahOutboundKeys = ahKeys == null ? null : ahKeys.outbound();
        sa.children().add(child);
        List<IsakmpPayload> rest = new ArrayList<>();
        rest.add(Phase2Sa.answer(choice, spiIn, ahSpiIn));
        rest.add(new NoncePayload(nonceR));
        if (dh != null) {
            rest.add(new KeyExchangePayload(dh.publicValue()));
            dh.destroy();
        }
        rest.addAll(ids);
        rest.addAll(natOa(sa.remote().getAddress(), sa.local().getAddress()));
        if (PoolPolicy.announces(sa)) {
            rest.add(OuterPoolNotify.build(Phase2Sa.protocolId(conn.config().protocol()), spiIn, conn.config().localOuter()));
        }
        NotificationPayload shorter = responderLifetimeNotify(conn.config().childLifetime(),
                choice.main().lifetimeSeconds(), choice.main().lifetimeKilobytes(),
                Phase2Sa.protocolId(conn.config().protocol()), spiIn);
        if (shorter != null) {
            rest.add(shorter);
        }
        outbox.sendAwaiting(message(sa.keys().quickModeHash2(messageId, nonceI, Messages.chain(rest)), rest));
    }

    /**
     * The first connection with this IKE SA's key and addresses whose configured pools cover the claim; the claim
     * is refused against the first such connection when none does.
     */
    private ConnectionState connectionFor(AddressPool localPool, AddressPool remotePool) throws Refusal {
        ConnectionState ike = ctx.connection(sa.connection());
        List<ConnectionState> candidates = new ArrayList<>();
        for (ConnectionState c : ctx.connectionsFor(sa.local().getAddress(), sa.remote().getAddress())) {
            if (ike != null && c.config().sameCredentials(ike.config())) {
                candidates.add(c);
            }
        }
        for (ConnectionState c : candidates) {
            if (c.config().remoteProtected().covers(remotePool) && c.config().localProtected().covers(localPool)) {
                return c;
            }
        }
        if (candidates.isEmpty()) {
            throw Refusal.notify(IkeDropReason.NO_CONNECTION, NotifyType.INVALID_ID_INFORMATION, "Quick Mode on " + sa
                    + ": its connection is gone");
        }
        ConnectionState first = candidates.get(0);
        PoolPolicy.check(first.name(), "protected pool (IDci)", remotePool, first.config().remoteProtected());
        PoolPolicy.check(first.name(), "our protected pool (IDcr)", localPool, first.config().localProtected());
        throw new IllegalStateException("covered pools refused");
    }

    @Override
    public void received(Received r) throws IkeProtocolException {
        notComputing();
        Messages.Opened o = Messages.open(sa, r.encrypted(), false);
        if (o.retransmission()) {
            outbox.resend(); // our HASH(2) was lost: the initiator repeats HASH(1)
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated Quick Mode message 1 on " + sa
                    + ": message 2 resent");
        }
        IsakmpMessage m = o.message();
        ExchangeMessage.QUICK_MODE_3.check(m);
        try {
            Phase1Keys.verify(sa.keys().quickModeHash3(messageId, nonceI, nonceR),
                    m.first(HashPayload.class).data().toByteArray(), "HASH(3)");
        } catch (IkeCryptoException e) {
            throw Refusal.silent(IkeDropReason.BAD_HASH, e.getMessage() + " on " + sa);
        }
        o.confirm();
        r.markFresh(); // HASH(3) covers our Nr
        outbox.answered();
        try {
            installOutbound(choice, pair, outboundKeys, ahOutboundKeys, lifetime);
        } catch (RuntimeException e) {
            ctx.children().remove(sa, child, true);
            end();
            throw e;
        } finally {
            // the installed SAs own them (or killed them when they were refused)
            outboundKeys = null;
            ahOutboundKeys = null;
        }
        installed(pair);
        end();
    }

    @Override
    public void retransmit(int sent) {
        if (!outbox.retransmit(sent)) {
            // HASH(3) never came: the initiator may think the pair is up; take ours down and say so
            IkeContext.LOG.warn("event=quick_mode_failed connection={} mid={} reason=\"no HASH(3) from {}\"",
                    conn.name(), Integer.toHexString(messageId), Endpoints.text(sa.remote()));
            ctx.events().exchange("quick_mode", "timeout");
            ctx.children().remove(sa, child, true);
            abort("timed out");
        }
    }

    @Override
    public void abort(String reason) {
        if (outboundKeys != null) {
            outboundKeys.destroy();
            outboundKeys = null;
        }
        if (ahOutboundKeys != null) {
            ahOutboundKeys.destroy();
            ahOutboundKeys = null;
        }
        end();
    }
}
