package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.ike.Rekey;
import net.poolsa.ike.crypto.ChildSaKeys;
import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.DhKeyPair;
import net.poolsa.ike.crypto.IkeCryptoException;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.job.ForgetExchangeJob;
import net.poolsa.ike.job.SwitchOutboundJob;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.KeyExchangePayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.proposal.EspProposal;
import net.poolsa.ike.proposal.Phase2Sa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.SelectorPair;
import net.poolsa.ike.transport.Endpoints;

/**
 * Quick Mode as initiator (RFC 2409 §5.5, flow in {@link QuickMode}) for one pair of protected pools: our pool in
 * IDci and the peer's in IDcr, each one ID (an RFC 3554 ID_LIST when a pool has several ranges) or one range pair
 * towards a peer without ID_LIST. The responder must return exactly the IDs we sent (strongSwan answers an ID type
 * it does not know with host-to-host selectors instead of refusing); when an ID_LIST comes back changed or is
 * refused, the peer is remembered as one without ID_LIST and the initiation falls back to one Quick Mode per range
 * pair.
 *
 * <p>Until HASH(2) verifies, a reply changes nothing and the retransmissions go on. After it, a reply that does not
 * fit (a transform we did not offer, other IDs, an outer pool beyond the configuration) ends the exchange with an
 * authenticated error notification to the peer, and our SPI is released.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 §3</a>
 */
final class QuickModeInitiator extends QuickMode {
    private final Negotiation negotiation;
    private final IdentificationPayload idLocal;
    private final IdentificationPayload idRemote;
    private final AddressPool localPool;
    private final AddressPool remotePool;
    private List<EspProposal> offered;
    private boolean done;
    /** The refusal that ended this exchange, reported already. */
    private Refusal reported;
    /** A rekey's outbound SA waiting for its switch time (null: none). */
    private PendingSwitch pendingSwitch;

    private QuickModeInitiator(IkeContext ctx, IkeSa sa, int messageId, ConnectionState conn, Negotiation negotiation,
                               IdentificationPayload idLocal, IdentificationPayload idRemote) throws IkeProtocolException {
        super(ctx, sa, messageId);
        this.conn = conn;
        this.negotiation = negotiation;
        this.idLocal = idLocal;
        this.idRemote = idRemote;
        this.localPool = PoolPolicy.protectedPool(idLocal, "IDci");
        this.remotePool = PoolPolicy.protectedPool(idRemote, "IDcr");
    }

    /** Whether this exchange offers a pool of several ranges as one ID_LIST. */
    boolean offersIdList() {
        return idLocal.idType().equals(IdType.ID_LIST) || idRemote.idType().equals(IdType.ID_LIST);
    }

    Negotiation negotiation() {
        return negotiation;
    }

    /** Whether {@code spi} is one of the SPIs we proposed (a bundle's AH SPI too; a refusal may name either). */
    boolean proposed(int spi) {
        return spi == spiIn || (ahSpiIn != 0 && spi == ahSpiIn);
    }

    /** Still waiting for the responder (not finished and only answering repeats). */
    boolean waiting() {
        return !done;
    }

    /** Sends {@code HDR*, HASH(1), SA, Ni [, KE], IDci, IDcr [, NAT-OA, NAT-OA] [, N(outer pool)] -->}. */
    static void start(IkeContext ctx, IkeSa sa, ConnectionState conn, Negotiation negotiation,
                      IdentificationPayload idLocal, IdentificationPayload idRemote) {
        int mid = ctx.newMessageId(sa);
        QuickModeInitiator qm;
        try {
            qm = new QuickModeInitiator(ctx, sa, mid, conn, negotiation, idLocal, idRemote);
        } catch (IkeProtocolException e) {
            throw new IllegalArgumentException("our own IDs " + idLocal + " / " + idRemote + ": " + e.getMessage(), e);
        }
        sa.quickMode(mid, qm);
        qm.send();
    }

    private void send() {
        DhGroup group = conn.espProposals().get(0).group();
        offered = new ArrayList<>();
        for (EspProposal p : conn.espProposals()) {
            if (Objects.equals(p.group(), group)) {
                offered.add(p); // one KE payload: only transforms of the first proposal's PFS group go out
            }
        }
        String refusal = bundleRefusal();
        if (refusal != null) {
            fail(refusal, "failed");
            return;
        }
        spiIn = ctx.kernel().allocateSpi();
        if (bundle()) {
            ahSpiIn = ctx.kernel().allocateSpi();
        }
        nonceI = ctx.random().nonce();
        if (group == null) {
            offer(null);
            return;
        }
        IkeRandom random = ctx.random();
        computing = true;
        try {
            ctx.offload().run(sa, null, this, () -> group.generate(random), d -> offer(d.get()), pair -> {
                if (pair != null) {
                    pair.destroy();
                }
            });
        } catch (IkeProtocolException e) {
            throw new IllegalStateException("making our Diffie-Hellman pair: " + e.getMessage(), e);
        }
    }

    /** The offer, with the KE of {@code pair} (null without PFS). */
    private void offer(DhKeyPair pair) {
        dh = pair;
        Encapsulation encap = encapsulation();
        List<IsakmpPayload> rest = new ArrayList<>();
        rest.add(Phase2Sa.offer(offered, conn.bundleAh(), spiIn, ahSpiIn, conn.config().mode(), encap,
                conn.config().childLifetime()));
        rest.add(new NoncePayload(nonceI));
        if (dh != null) {
            rest.add(new KeyExchangePayload(dh.publicValue()));
        }
        rest.add(idLocal);
        rest.add(idRemote);
        rest.addAll(natOa(sa.local().getAddress(), sa.remote().getAddress()));
        if (PoolPolicy.announces(sa)) {
            rest.add(OuterPoolNotify.build(Phase2Sa.protocolId(conn.config().protocol()), spiIn, conn.config().localOuter()));
        }
        IkeContext.LOG.info("event=quick_mode_initiate connection={} mid={} idci=\"{}\" idcr=\"{}\" proposals={}{} udp={}",
                conn.name(), Integer.toHexString(messageId), idLocal, idRemote, offered,
                bundle() ? " ah_bundle=" + conn.bundleAh() : "", encap.udp());
        outbox.sendAwaiting(message(sa.keys().quickModeHash1(messageId, Messages.chain(rest)), rest));
    }

    @Override
    public void received(Received r) throws IkeProtocolException {
        notComputing();
        Messages.Opened o = Messages.open(sa, r.encrypted(), false);
        if (o.retransmission()) {
            if (done) {
                outbox.resend(); // HASH(3) was lost: the responder repeats HASH(2)
            }
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated Quick Mode message 2 on " + sa);
        }
        if (done) {
            throw Refusal.silent(IkeDropReason.UNEXPECTED, "Quick Mode message after the exchange ended on " + sa);
        }
        IsakmpMessage m = o.message();
        ExchangeMessage.QUICK_MODE_2.check(m);
        byte[] nr = m.first(NoncePayload.class).data().toByteArray();
        try {
            Phase1Keys.verify(sa.keys().quickModeHash2(messageId, nonceI, m.chainBytes(1).toByteArray()),
                    m.first(HashPayload.class).data().toByteArray(), "HASH(2)");
        } catch (IkeCryptoException e) {
            throw Refusal.silent(IkeDropReason.BAD_HASH, e.getMessage() + " on " + sa);
        }
        o.confirm();
        r.markFresh(); // HASH(2) covers our Ni
        outbox.answered();
        try {
            second(r, m, nr);
        } catch (IkeProtocolException e) {
            throw failed(e);
        }
    }

    /** Ends the exchange over {@code e} (once: a refusal from the continuation is already this) and names our SA. */
    private IkeProtocolException failed(IkeProtocolException e) {
        if (e == reported) {
            return e;
        }
        Refusal f;
        if (e instanceof Refusal) {
            f = (Refusal) e;
            fail(f.getMessage(), f.reason() == IkeDropReason.INVALID_ID || f.reason() == IkeDropReason.NO_PROPOSAL
                    ? "refused" : "failed");
        } else {
            fail(e.getMessage(), "failed");
            f = Refusal.of(e, true);
        }
        reported = f.about(Phase2Sa.protocolId(conn.config().protocol()), spiIn);
        return reported;
    }

    /** The authenticated {@code <-- HDR*, HASH(2), SA, Nr [, KE], IDci, IDcr [, N]}: install, HASH(3), install. */
    private void second(Received r, IsakmpMessage m, byte[] nr) throws IkeProtocolException {
        Phase2Sa.Chosen c = Phase2Sa.accepted(m.first(SecurityAssociationPayload.class), offered, conn.bundleAh(),
                conn.config().mode(), encapsulation());
        nonceR = Phase1Values.requireNonce(nr);
        KeyExchangePayload ke = m.first(KeyExchangePayload.class);
        if ((c.main().proposal().group() != null) != (ke != null)) {
            throw Refusal.notify(IkeDropReason.MALFORMED, NotifyType.PAYLOAD_MALFORMED, "the responder chose "
                    + c.main().proposal() + (ke == null ? " without" : " with") + " a KE payload");
        }
        List<IdentificationPayload> ids = m.payloads(IdentificationPayload.class);
        if (ids.size() != 2 || !ids.get(0).equals(idLocal) || !ids.get(1).equals(idRemote)) {
            String got = ids.isEmpty() ? "no IDs" : ids.toString();
            if (offersIdList()) {
                idListRefused("answered our ID_LIST with " + got);
                return;
            }
            throw Refusal.notify(IkeDropReason.INVALID_ID, NotifyType.INVALID_ID_INFORMATION, "connection "
                    + conn.name() + ": the responder answered IDs [" + idLocal + ", " + idRemote + "] with " + got);
        }
        checkEntitled("protected pool (IDcr)", remotePool);
        AddressPool announced = announcedOuter(m);
        ctx.dpd().outerAnnounced(sa, announced);
        // the answer's transform is normally our own; one without a life in seconds means 28800 s (RFC 2407 §4.5)
        Lifetime answered = agree(conn.config().childLifetime(), c.main().lifetimeSeconds(),
                c.main().lifetimeKilobytes());
        Lifetime lifetime = withSequenceLimit(responderLifetime(m, answered), c.main().proposal().esn());
        if (ke == null) {
            keyed(c, lifetime, announced, null);
            return;
        }
        DhKeyPair ours = dh;
        byte[] peerPublic = ke.data().toByteArray();
        computing = true;
        ctx.offload().run(sa, r, this, () -> ours.sharedSecret(peerPublic), d -> {
            try {
                keyed(c, lifetime, announced, d.get());
            } catch (IkeProtocolException e) {
                throw failed(e);
            }
        }, gqmxy -> {
            if (gqmxy != null) {
                java.util.Arrays.fill(gqmxy, (byte) 0);
            }
            ours.destroy(); // the exchange ended while the pool held the pair (end() left it to us)
        });
    }

    /** With g(qm)^xy ({@code gqmxy}, null without PFS): the keys, the inbound SA, HASH(3), the outbound SA. */
    private void keyed(Phase2Sa.Chosen c, Lifetime lifetime, AddressPool announced, byte[] gqmxy)
            throws IkeProtocolException {
        ChildSaKeys ahKeys = ahKeys(c, gqmxy);
        ChildSaKeys keys = keys(c.main().proposal(), c.main().spi(), gqmxy);
        SelectorPair pair = conn.pair(localPool, remotePool);
        AddressPool localOuter = PoolPolicy.localOuter(sa, conn.config(), localPool);
        AddressPool remoteOuter = PoolPolicy.remoteOuter(sa, conn.config(), announced, remotePool);
        child = installInbound(c, pair, keys, ahKeys, localOuter, remoteOuter, lifetime);
        sa.children().add(child);
        done = true;
        outbox.sendFinal(message(sa.keys().quickModeHash3(messageId, nonceI, nonceR), List.of()));
        if (dh != null) {
            dh.destroy();
        }
        SaKeys out = keys.outbound();
        SaKeys ahOut = ahKeys == null ? null : ahKeys.outbound();
        if (ctx.lifetimes().replacesInstalledPair(sa, child)) {
            // a rekey: the old pair still carries our traffic until the responder surely installed the new one
            pendingSwitch = new PendingSwitch(c, pair, out, ahOut, lifetime);
            ctx.scheduler().schedule(new SwitchOutboundJob(ctx.jobs(), sa.localCookie(), messageId),
                    Rekey.OUTBOUND_SWITCH_MILLIS);
        } else {
            switchOutbound(c, pair, out, ahOut, lifetime);
        }
        ctx.initiations().quickModeEnded(sa);
        // answer a repeated HASH(2) with the stored HASH(3) as long as the responder may retransmit
        ctx.scheduler().schedule(new ForgetExchangeJob(ctx.jobs(), sa.localCookie(), messageId), ctx.timers().giveUpMillis());
    }

    /** The outbound half of a rekeyed pair, installed {@link Rekey#OUTBOUND_SWITCH_MILLIS} after HASH(3). */
    private record PendingSwitch(Phase2Sa.Chosen chosen, SelectorPair pair, SaKeys keys, SaKeys ahKeys,
                                 Lifetime lifetime) {
    }

    /**
     * Installs the outbound SA (from then on the data plane sends on it) and reports the pair; on failure the pair
     * is taken down, the peer told, and the negotiation fails.
     */
    private void switchOutbound(Phase2Sa.Chosen c, SelectorPair pair, SaKeys out, SaKeys ahOut, Lifetime lifetime) {
        try {
            installOutbound(c, pair, out, ahOut, lifetime);
        } catch (RuntimeException e) {
            ctx.children().remove(sa, child, true);
            negotiation.quickModeFailed("installing the outbound SA failed: " + e.getMessage());
            end();
            throw e;
        }
        installed(pair);
        negotiation.childInstalled(child);
    }

    /** The switch delay of a rekey is over: send on the new pair, unless it was removed meanwhile. */
    void switchNow() {
        PendingSwitch p = pendingSwitch;
        if (p == null) {
            return;
        }
        pendingSwitch = null;
        if (!sa.children().contains(child)) {
            wipe(p);
            negotiation.quickModeFailed("the new pair was removed before it carried traffic");
            return;
        }
        switchOutbound(p.chosen(), p.pair(), p.keys(), p.ahKeys(), p.lifetime());
    }

    private static void wipe(PendingSwitch p) {
        p.keys().destroy();
        if (p.ahKeys() != null) {
            p.ahKeys().destroy();
        }
    }

    /** The responder does not take our ID_LIST: remember it, and offer the pools one range pair at a time. */
    private void idListRefused(String how) {
        end();
        ctx.events().exchange("quick_mode", "refused");
        ctx.initiations().idListRefused(sa, conn, negotiation, how);
        ctx.initiations().quickModeEnded(sa);
        // tell the responder that the SA it offered is not wanted (it may already have installed its inbound SA)
        ctx.informational().notifyProtected(sa, NotifyType.INVALID_ID_INFORMATION,
                Phase2Sa.protocolId(conn.config().protocol()), net.poolsa.ike.message.Octets.ofInt(spiIn));
    }

    /** An authenticated error notification from the peer about this exchange. */
    void peerRefused(NotificationPayload n) {
        if (done) {
            return;
        }
        // a poolsa peer (its vendor ID) takes ID_LIST: its INVALID-ID-INFORMATION is a policy refusal, not a fallback
        if (offersIdList() && !sa.peerOuterPools() && (n.notifyType().equals(NotifyType.INVALID_ID_INFORMATION)
                || n.notifyType().equals(NotifyType.INVALID_PAYLOAD_TYPE)
                || n.notifyType().equals(NotifyType.PAYLOAD_MALFORMED))) {
            end();
            ctx.events().exchange("quick_mode", "refused");
            ctx.initiations().idListRefused(sa, conn, negotiation, "refused our ID_LIST with " + n.notifyType());
            ctx.initiations().quickModeEnded(sa);
            return;
        }
        fail("the responder refused: " + n.notifyType(), "refused");
    }

    private void fail(String why, String result) {
        end();
        ctx.events().exchange("quick_mode", result);
        IkeContext.LOG.warn("event=quick_mode_failed connection={} mid={} reason=\"{}\"", conn.name(),
                Integer.toHexString(messageId), why);
        negotiation.quickModeFailed(why);
        ctx.initiations().quickModeEnded(sa);
    }

    @Override
    public void retransmit(int sent) {
        if (!outbox.retransmit(sent)) {
            fail("Quick Mode timed out: no answer from " + Endpoints.text(sa.remote()), "timeout");
        }
    }

    @Override
    public void abort(String reason) {
        if (pendingSwitch != null) {
            wipe(pendingSwitch);
            pendingSwitch = null;
            negotiation.quickModeFailed(reason);
        }
        if (!done) {
            end();
            negotiation.quickModeFailed(reason);
        } else {
            end();
        }
    }

    /** The linger time after HASH(3) is over. */
    void forget() {
        switchNow();
        sa.removeQuickMode(messageId);
    }
}
