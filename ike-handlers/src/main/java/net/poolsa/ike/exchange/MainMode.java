package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.poolsa.ike.crypto.DhKeyPair;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.KeyExchangePayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.PayloadType;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaState;
import net.poolsa.ike.sa.Role;

/**
 * What both roles of Main Mode with pre-shared keys share (RFC 2409 §5.4): the Diffie-Hellman pair and our nonce,
 * the initiator's SA payload body SAi_b that both hashes cover, the key derivation after messages 3 and 4, the
 * phase-1 identity (our IKE address, as strongSwan's default for PSK), INITIAL-CONTACT, and the recognition of a
 * repeated clear-text message (answered with the stored reply).
 * <pre>
 * Initiator                          Responder
 * HDR, SA, VID                  --&gt;
 *                               &lt;--   HDR, SA, VID
 * HDR, KE, Ni, NAT-D, NAT-D     --&gt;
 *                               &lt;--   HDR, KE, Nr, NAT-D, NAT-D
 * HDR*, IDii, HASH_I [, N]      --&gt;                                 (port 4500 from here on if NATed)
 *                               &lt;--   HDR*, IDir, HASH_R
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.4">RFC 2409 §5.4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3">RFC 3947 §3</a>
 */
abstract class MainMode implements MessageHandler {
    final IkeContext ctx;
    final IkeSa sa;
    final ConnectionState conn;
    final Outbox outbox;
    DhKeyPair dh;
    byte[] nonce;
    byte[] saiB;
    Encapsulation natVariant = Encapsulation.NONE;
    /** The last clear-text message accepted: the same bytes again are the peer's retransmission. */
    byte[] lastReceived;

    MainMode(IkeContext ctx, IkeSa sa, ConnectionState conn) {
        this.ctx = ctx;
        this.sa = sa;
        this.conn = conn;
        this.outbox = new Outbox(ctx, sa, 0);
    }

    @Override
    public int messageId() {
        return 0;
    }

    @Override
    public void retransmit(int sent) {
        if (!outbox.retransmit(sent)) {
            giveUp();
        }
    }

    /** The tries are spent. */
    abstract void giveUp();

    @Override
    public void abort(String reason) {
        outbox.stop();
        if (dh != null) {
            dh.destroy();
        }
    }

    /** A repeat of the last accepted clear-text message: resend our answer and stop. */
    void repeatedClear(Received r) throws Refusal {
        if (r.sameBytes(lastReceived)) {
            outbox.resend();
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated " + sa.state() + " predecessor from "
                    + r.datagram().remote() + ": stored reply resent");
        }
    }

    /** KE, nonce and, if both sides do NAT-T, the two NAT-D payloads, for a message from {@code local} to {@code remote}. */
    List<IsakmpPayload> keyExchange(InetSocketAddress local, InetSocketAddress remote) {
        dh = sa.proposal().group().generate(ctx.random());
        nonce = ctx.random().nonce();
        List<IsakmpPayload> out = new ArrayList<>();
        out.add(new KeyExchangePayload(dh.publicValue()));
        out.add(new NoncePayload(nonce));
        if (natVariant != Encapsulation.NONE) {
            out.addAll(NatDiscovery.payloads(sa.proposal().hash(), sa.initiatorCookie(), sa.responderCookie(), local,
                    remote, conn.config().forceEncapsulation(), natVariant == Encapsulation.UDP_DRAFT));
        }
        return out;
    }

    /**
     * SKEYID and the rest from the peer's KE and nonce (RFC 2409 §5): g^xy is wiped as soon as the keys exist, and
     * the DH pair with it. A peer value off the group is INVALID-KEY-INFORMATION and changes nothing.
     */
    void deriveKeys(IsakmpMessage peer) throws IkeProtocolException {
        byte[] peerPublic = peer.first(KeyExchangePayload.class).data().toByteArray();
        byte[] peerNonce = Phase1Values.requireNonce(peer.first(NoncePayload.class).data().toByteArray());
        byte[] gxy = dh.sharedSecret(peerPublic);
        try {
            byte[] ci = cookie(sa.initiatorCookie());
            byte[] cr = cookie(sa.responderCookie());
            Phase1Values v = sa.role() == Role.INITIATOR
                    ? new Phase1Values(ci, cr, nonce, peerNonce, dh.publicValue(), peerPublic)
                    : new Phase1Values(ci, cr, peerNonce, nonce, peerPublic, dh.publicValue());
            sa.keys(Phase1Keys.preSharedKey(sa.proposal().suite(), conn.config().psk(), v, gxy));
        } finally {
            Arrays.fill(gxy, (byte) 0);
        }
        dh.destroy();
        if (ctx.keyExport().enabled()) {
            ctx.keyExport().ike(sa.initiatorCookie(), sa.keys().exportEncryptionKey());
        }
    }

    private static byte[] cookie(long c) {
        return Arrays.copyOf(Octets.ofCookies(c, 0).toByteArray(), 8);
    }

    /** Our phase-1 identity: the IKE address, ID_IPV4_ADDR or ID_IPV6_ADDR with protocol and port zero. */
    IdentificationPayload identity() {
        return IdentificationPayload.address(sa.local().getAddress());
    }

    /** The peer's ID payload body, for HASH_I / HASH_R, and its value for log lines. */
    byte[] peerIdentity(IsakmpMessage m) {
        int i = Received.indexOf(m, PayloadType.IDENTIFICATION);
        sa.peerIdentity(m.payloads().get(i).toString());
        return m.bodyBytes(i).toByteArray();
    }

    /** INITIAL-CONTACT for a peer we hold no other established SA with (RFC 2407 §4.6.3.3). */
    boolean firstContact() {
        for (IkeSa other : ctx.table().all()) {
            if (other != sa && other.established() && other.remote().getAddress().equals(sa.remote().getAddress())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The peer's authenticated INITIAL-CONTACT: it holds no state with us, so every other IKE SA with its address
     * and the child SAs under them are stale; removed without Delete notifications (nobody would understand them).
     */
    void initialContact(IsakmpMessage m) {
        for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
            if (n.notifyType().equals(NotifyType.INITIAL_CONTACT)) {
                for (IkeSa other : ctx.table().all()) {
                    if (other != sa && other.remote().getAddress().equals(sa.remote().getAddress())) {
                        ctx.initiations().removeSa(other, "INITIAL-CONTACT from the peer", false);
                    }
                }
            }
        }
    }

    /** Main Mode is through: report, and hand the SA to what waits for it. */
    void established() {
        sa.state(IkeSaState.ESTABLISHED);
        sa.cancelHalfOpenTimer();
        outbox.answered();
        IkeContext.LOG.info("event=ike_sa_established connection={} role={} local={} remote={} peer_id=\"{}\" "
                + "proposal={} nat_t={} lifetime={}s icookie={} rcookie={}", conn.name(), sa.role().label(),
                sa.local(), sa.remote(), sa.peerIdentity(), sa.proposal().name(), sa.nat().natted(),
                sa.lifetimeSeconds(), String.format("%016x", sa.initiatorCookie()),
                String.format("%016x", sa.responderCookie()));
        ctx.events().exchange("main_mode", "ok");
        ctx.dpd().established(sa, conn);
        ctx.initiations().established(sa);
    }
}
