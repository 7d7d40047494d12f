package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.poolsa.ike.auth.AuthenticationRefusal;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.auth.PeerCertificate;
import net.poolsa.ike.auth.SignatureMethod;
import net.poolsa.ike.crypto.DhKeyPair;
import net.poolsa.ike.crypto.IkeCryptoException;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.message.CertificatePayload;
import net.poolsa.ike.message.ExchangeMessage;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeAttributeValues;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.KeyExchangePayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.PayloadType;
import net.poolsa.ike.message.SignaturePayload;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaState;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.transport.Endpoints;

/**
 * What both roles of Main Mode share, with pre-shared keys (RFC 2409 §5.4) or signatures (§5.1): the
 * Diffie-Hellman pair and our nonce, the initiator's SA payload body SAi_b that both hashes cover, the key
 * derivation after messages 3 and 4, the phase-1 identity (with a pre-shared key our IKE address, as strongSwan's
 * default; with certificates the configured identity or our certificate's subject), the proof in messages 5 and 6
 * (HASH, or CERT and SIG over the same hash), INITIAL-CONTACT, and the recognition of a repeated clear-text
 * message (answered with the stored reply).
 * <pre>
 * Initiator                          Responder
 * HDR, SA, VID                  --&gt;                                 SA: Authentication Method 1 (PSK), 3 (RSA),
 *                               &lt;--   HDR, SA, VID                  9/10/11 (ECDSA P-256/384/521, RFC 4754)
 * HDR, KE, Ni, [CR,] NAT-D, NAT-D --&gt;                               CR with signatures: our CAs' names
 *                               &lt;--   HDR, KE, Nr, [CR,] NAT-D, NAT-D
 * HDR*, IDii, HASH_I [, N]      --&gt;                                 (port 4500 from here on if NATed)
 *   or HDR*, IDii, CERT, SIG_I [, N]
 *                               &lt;--   HDR*, IDir, HASH_R
 *                                 or HDR*, IDir, CERT, SIG_R
 * </pre>
 * With signatures SKEYID = prf(Ni_b | Nr_b, g^xy), and SIG_I / SIG_R sign HASH_I / HASH_R
 * ({@link CertificateAuthenticator}). The negotiated Authentication Method is the connection's (the one its key
 * signs with), and the peer must sign with the same method.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.4">RFC 2409 §5.4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3">RFC 3947 §3</a>
 */
abstract class MainMode implements MessageHandler, Offload.Owner {
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
    /** Our Diffie-Hellman computation is out ({@link Offload}): a message meanwhile is not processed again. */
    boolean computing;

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
        if (dh != null && !computing) {
            dh.destroy(); // while computing the pair is the pool's: the discarded result wipes it
        }
    }

    @Override
    public boolean current() {
        return sa.mainMode() == this;
    }

    @Override
    public void settled() {
        computing = false;
    }

    /** A message while our Diffie-Hellman is computed: the answer goes out when it is ready, once. */
    void notComputing(Received r) throws Refusal {
        if (computing) {
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "Main Mode message from "
                    + Endpoints.text(r.datagram().remote())
                    + " for " + sa + " while its Diffie-Hellman is computed: answered when done");
        }
    }

    /** A repeat of the last accepted clear-text message: resend our answer and stop. */
    void repeatedClear(Received r) throws Refusal {
        if (r.sameBytes(lastReceived)) {
            outbox.resend();
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "repeated " + sa.state() + " predecessor from "
                    + Endpoints.text(r.datagram().remote()) + ": stored reply resent");
        }
    }

    /**
     * KE (of {@link #dh}, made by now), nonce and, if both sides do NAT-T, the two NAT-D payloads, for a message from
     * {@code local} to {@code remote}.
     */
    List<IsakmpPayload> keyExchange(InetSocketAddress local, InetSocketAddress remote) {
        nonce = ctx.random().nonce();
        List<IsakmpPayload> out = new ArrayList<>();
        out.add(new KeyExchangePayload(dh.publicValue()));
        out.add(new NoncePayload(nonce));
        if (certificates() != null) {
            out.addAll(certificates().certificateRequests());
        }
        if (natVariant != Encapsulation.NONE) {
            out.addAll(NatDiscovery.payloads(sa.proposal().hash(), sa.initiatorCookie(), sa.responderCookie(), local,
                    remote, conn.config().forceEncapsulation(), natVariant == Encapsulation.UDP_DRAFT));
        }
        return out;
    }

    /** The peer's KE payload data (g^x of the peer). */
    static byte[] peerPublic(IsakmpMessage peer) {
        return peer.first(KeyExchangePayload.class).data().toByteArray();
    }

    /**
     * SKEYID and the rest (RFC 2409 §5) from the peer's KE and nonce and g^xy computed with our pair {@code a}: g^xy is
     * wiped as soon as the keys exist, and the DH pair with it.
     */
    void deriveKeys(byte[] peerPublic, byte[] peerNonce, Agreement a) {
        byte[] gxy = a.gxy();
        try {
            byte[] ci = cookie(sa.initiatorCookie());
            byte[] cr = cookie(sa.responderCookie());
            byte[] ours = a.pair().publicValue();
            Phase1Values v = sa.role() == Role.INITIATOR
                    ? new Phase1Values(ci, cr, nonce, peerNonce, ours, peerPublic)
                    : new Phase1Values(ci, cr, peerNonce, nonce, peerPublic, ours);
            sa.keys(certificates() == null ? Phase1Keys.preSharedKey(sa.proposal().suite(), conn.config().psk(), v, gxy)
                    : Phase1Keys.signatures(sa.proposal().suite(), v, gxy));
        } finally {
            Agreement.wipe(a);
        }
        if (ctx.keyExport().enabled()) {
            ctx.keyExport().ike(sa.initiatorCookie(), sa.keys().exportEncryptionKey());
        }
    }

    private static byte[] cookie(long c) {
        return Arrays.copyOf(Octets.ofCookies(c, 0).toByteArray(), 8);
    }

    /** The connection's certificate credentials, null when it authenticates by pre-shared key. */
    CertificateAuthenticator certificates() {
        return conn.config().certificates();
    }

    /** The Authentication Method we offer and accept: the connection's. */
    int authMethod() {
        CertificateAuthenticator c = certificates();
        return c == null ? IkeAttributeValues.AUTH_PRE_SHARED_KEY : c.method().authMethod();
    }

    /**
     * Our phase-1 identity: with a pre-shared key the IKE address (ID_IPV4_ADDR or ID_IPV6_ADDR, protocol and port
     * zero); with certificates the configured identity, or our certificate's subject DN.
     */
    IdentificationPayload identity() {
        CertificateAuthenticator c = certificates();
        return c == null ? IdentificationPayload.address(sa.local().getAddress()) : c.identification();
    }

    /** What follows our proof: message 5 or 6 goes out with {@code proof}. */
    @FunctionalInterface
    interface Proven {
        void send(List<IsakmpPayload> proof) throws IkeProtocolException;
    }

    /**
     * Message 5 (initiator) or 6 (responder) without the notifications, handed to {@code then}: our ID and its proof,
     * HASH_I/HASH_R with a pre-shared key (at once), our certificate chain and SIG_I/SIG_R over the same hash with
     * certificates (signed off the IKE thread, {@link Offload}).
     */
    void proof(Received r, Proven then) throws IkeProtocolException {
        IdentificationPayload id = identity();
        byte[] body = Messages.body(id);
        byte[] hash = sa.role() == Role.INITIATOR ? sa.keys().hashI(saiB, body) : sa.keys().hashR(saiB, body);
        CertificateAuthenticator c = certificates();
        if (c == null) {
            then.send(List.of(id, new HashPayload(hash)));
            return;
        }
        computing = true;
        ctx.offload().run(sa, r, this, () -> c.sign(hash), d -> {
            List<IsakmpPayload> out = new ArrayList<>();
            out.add(id);
            out.addAll(c.certificates());
            out.add(d.get());
            then.send(out);
        }, signature -> {
        });
    }

    /**
     * Checks the peer's message 5 or 6 against its payload table and its proof, then runs {@code then}: HASH_I/HASH_R
     * with a pre-shared key at once (with no certificate); with certificates, the certificate path, the ID it names
     * and SIG over the same hash ({@link CertificateAuthenticator}) off the IKE thread ({@link Offload}), and
     * {@code then} gets the validated certificate, kept with the SA for the pool claims that follow, or
     * {@link Offload.Done#get} throws the {@link AuthenticationRefusal}.
     *
     * @throws IkeCryptoException              a HASH that does not verify (another pre-shared key?)
     */
    void verifyProof(Received r, IsakmpMessage m, Offload.Step<PeerCertificate> then) throws IkeProtocolException {
        boolean fromInitiator = sa.role() == Role.RESPONDER;
        CertificateAuthenticator c = certificates();
        if (c == null) {
            (fromInitiator ? ExchangeMessage.MAIN_MODE_5_PSK : ExchangeMessage.MAIN_MODE_6_PSK).check(m);
        } else {
            (fromInitiator ? ExchangeMessage.MAIN_MODE_5_SIGNATURE : ExchangeMessage.MAIN_MODE_6_SIGNATURE).check(m);
        }
        byte[] idBody = peerIdentity(m);
        byte[] hash = fromInitiator ? sa.keys().hashI(saiB, idBody) : sa.keys().hashR(saiB, idBody);
        if (c == null) {
            Phase1Keys.verify(hash, m.first(HashPayload.class).data().toByteArray(), fromInitiator ? "HASH_I" : "HASH_R");
            then.accept(Offload.Done.of(null));
            return;
        }
        IdentificationPayload id = m.first(IdentificationPayload.class);
        List<CertificatePayload> certs = m.payloads(CertificatePayload.class);
        SignatureMethod method = SignatureMethod.ofAuthMethod(authMethod());
        SignaturePayload signature = m.first(SignaturePayload.class);
        computing = true;
        ctx.offload().run(sa, r, this, () -> c.authenticate(id, certs, method, hash, signature), d -> {
            PeerCertificate peer = d.result();
            if (peer != null) {
                sa.peerCertificate(peer);
                IkeContext.LOG.info("event=ike_peer_certificate connection={} remote={} peer_id=\"{}\" certificate=\"{}\"",
                        conn.name(), Endpoints.text(sa.remote()), sa.peerIdentity(), peer);
            }
            then.accept(d);
        }, peer -> {
        });
    }

    /** The peer's ID payload body, for HASH_I / HASH_R, and its value for log lines. */
    byte[] peerIdentity(IsakmpMessage m) {
        int i = Received.indexOf(m, PayloadType.IDENTIFICATION);
        sa.peerIdentity((IdentificationPayload) m.payloads().get(i));
        return m.bodyBytes(i).toByteArray();
    }

    /**
     * INITIAL-CONTACT (RFC 2407 §4.6.3.3) when we hold no other established SA with this peer: none on this
     * connection and none with its address. (The peer removes every SA it holds with our identity on receipt, so
     * sending it while another of ours is in use would cut that one.)
     */
    boolean firstContact() {
        for (IkeSa other : ctx.table().all()) {
            if (other != sa && other.established() && (other.connection().equals(sa.connection())
                    || other.remote().getAddress().equals(sa.remote().getAddress()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The peer's authenticated INITIAL-CONTACT: it held no state with us when it began this Main Mode, so every IKE SA
     * whose peer proved the same identity and that was established before then, and the child SAs under them, are
     * stale; removed without Delete notifications (nobody would understand them). Matched by the identity the peer
     * proved, not by its address (RFC 2407 speaks of the sending system): a dual-homed peer that restarted on its
     * other address still clears the SAs of its first one, and hosts behind one NAT (one address, several identities)
     * do not clear each other's. Not the ones still in Main Mode or established since: a restarted peer with several
     * connections to us negotiates them in parallel, each Main Mode with INITIAL-CONTACT, and the first one through
     * must not take the others down (a half-open SA from before the restart expires by itself).
     */
    void initialContact(IsakmpMessage m) {
        for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
            if (n.notifyType().equals(NotifyType.INITIAL_CONTACT)) {
                for (IkeSa other : ctx.table().all()) {
                    if (other != sa && other.establishedBefore(sa) && other.samePeerIdentity(sa)) {
                        ctx.initiations().removeSa(other, "INITIAL-CONTACT from the same peer identity ("
                                + sa.peerIdentity() + ") at " + Endpoints.text(sa.remote()), false);
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
                Endpoints.text(sa.local()), Endpoints.text(sa.remote()), sa.peerIdentity(), sa.proposal().name(),
                sa.nat().natted(), sa.lifetimeSeconds(), String.format("%016x", sa.initiatorCookie()),
                String.format("%016x", sa.responderCookie()));
        ctx.events().exchange("main_mode", "ok");
        ctx.lifetimes().ikeEstablished(sa);
        ctx.dpd().established(sa, conn);
        ctx.natKeepalive().established(sa);
        ctx.initiations().established(sa);
    }
}
