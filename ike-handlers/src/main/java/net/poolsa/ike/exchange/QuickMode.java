package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.Rekey;
import net.poolsa.ike.auth.AuthenticationRefusal;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.crypto.ChildSaKeys;
import net.poolsa.ike.crypto.DhKeyPair;
import net.poolsa.ike.message.DataAttribute;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.HashPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IpsecAttributeValues;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.NatOriginalAddressPayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.AttributeType;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.proposal.EspProposal;
import net.poolsa.ike.proposal.Phase2Sa;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.SelectorPair;

/**
 * What both roles of Quick Mode share (RFC 2409 §5.5): the message ID, our SPI (reserved from the kernel and
 * released if no SA takes it), the nonces and the PFS key pair, the KEYMAT of the pair, the lifetime both sides
 * agree on, the outer pools ({@link PoolPolicy}) and the installation.
 * <pre>
 * Initiator                                          Responder
 * HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, N(outer pool)] --&gt;
 *                       &lt;-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(outer pool)]   (responder installs inbound)
 * HDR*, HASH(3) --&gt;                                                (initiator: inbound, HASH(3), outbound, policies)
 *                                                                  (responder: outbound, policies)
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
abstract class QuickMode implements MessageHandler, Offload.Owner {
    final IkeContext ctx;
    final IkeSa sa;
    final int messageId;
    final Outbox outbox;
    ConnectionState conn;
    int spiIn;
    boolean spiTaken;
    /** An AH+ESP bundle's inbound AH SPI (0 without a bundle), and whether an installed SA holds it. */
    int ahSpiIn;
    boolean ahSpiTaken;
    byte[] nonceI;
    byte[] nonceR;
    DhKeyPair dh;
    ChildSa child;
    /** Our PFS Diffie-Hellman computation is out ({@link Offload}): a message meanwhile is not processed again. */
    boolean computing;

    QuickMode(IkeContext ctx, IkeSa sa, int messageId) {
        this.ctx = ctx;
        this.sa = sa;
        this.messageId = messageId;
        this.outbox = new Outbox(ctx, sa, messageId);
    }

    @Override
    public boolean awaitingPeer() {
        return outbox.awaiting();
    }

    @Override
    public int messageId() {
        return messageId;
    }

    @Override
    public boolean current() {
        return sa.quickMode(messageId) == this;
    }

    @Override
    public void settled() {
        computing = false;
    }

    /** A message while our Diffie-Hellman is computed: the answer goes out when it is ready, once. */
    void notComputing() throws Refusal {
        if (computing) {
            throw Refusal.silent(IkeDropReason.RETRANSMITTED, "Quick Mode message " + Integer.toHexString(messageId)
                    + " on " + sa + " while its Diffie-Hellman is computed: answered when done");
        }
    }

    /** {@code HDR*, HASH(n), rest}: the hash computed over {@code rest} by {@code hash}. */
    byte[] message(byte[] hash, List<IsakmpPayload> rest) {
        List<IsakmpPayload> all = new ArrayList<>();
        all.add(new HashPayload(hash));
        all.addAll(rest);
        return Messages.encrypted(sa, ExchangeType.QUICK_MODE, messageId, all, false);
    }

    /**
     * The Encapsulation-Mode family of this exchange: UDP behind a NAT (RFC 3947 §5.1), except for AH, which has no
     * UDP encapsulation (RFC 3948 covers ESP only).
     */
    Encapsulation encapsulation() {
        return conn.config().protocol() == net.poolsa.esp.sa.IpsecProtocol.AH ? Encapsulation.NONE
                : sa.nat().encapsulation();
    }

    /** NAT-OAi and NAT-OAr for transport mode behind a NAT (RFC 3947 §5.2): the initiator's address, then the responder's. */
    List<IsakmpPayload> natOa(java.net.InetAddress initiator, java.net.InetAddress responder) {
        Encapsulation e = encapsulation();
        if (conn.config().mode() != SaMode.TRANSPORT || !e.udp()) {
            return List.of();
        }
        boolean draft = e == Encapsulation.UDP_DRAFT;
        return List.of(new NatOriginalAddressPayload(draft, initiator), new NatOriginalAddressPayload(draft, responder));
    }

    /** Whether the connection negotiates AH+ESP bundles. */
    boolean bundle() {
        return !conn.bundleAh().isEmpty();
    }

    /** Why a bundle cannot be negotiated here, or null: AH covers the outer addresses a NAT rewrites (RFC 3715 §2.1). */
    String bundleRefusal() {
        return bundle() && encapsulation().udp() ? "connection " + conn.name() + ": an AH+ESP bundle cannot cross a NAT "
                + "(AH authenticates the outer addresses, RFC 3715 section 2.1)" : null;
    }

    /** A bundle's AH KEYMAT (our AH SPI inbound, the peer's outbound), null without one; g(qm)^xy is kept for {@link #keys}. */
    ChildSaKeys ahKeys(Phase2Sa.Chosen c, byte[] gqmxy) {
        return c.ah() == null ? null
                : ChildSaKeys.derive(sa.keys(), c.ah().proposal().suite(), ahSpiIn, c.ah().spi(), nonceI, nonceR, gqmxy);
    }

    /**
     * Installs the inbound SA and, for a bundle, the inbound AH SA, and returns the child that holds them. On failure
     * nothing stays installed, every key is wiped and the SPIs are released.
     */
    ChildSa installInbound(Phase2Sa.Chosen c, SelectorPair pair, ChildSaKeys keys, ChildSaKeys ahKeys,
                           AddressPool localOuter, AddressPool remoteOuter, Lifetime lifetime) {
        SecurityAssociation in;
        try {
            in = ctx.children().inbound(sa, conn, pair, c.main().proposal(), spiIn, keys.inbound(), localOuter,
                    remoteOuter, lifetime);
        } catch (RuntimeException e) {
            keys.outbound().destroy(); // the inbound ones died with the SA that refused them
            if (ahKeys != null) {
                ahKeys.inbound().destroy();
                ahKeys.outbound().destroy();
            }
            spiTaken = true; // released by the installer
            throw e;
        }
        spiTaken = true;
        ChildSa ch = new ChildSa(conn.name(), pair, c.main().proposal(), in, c.main().spi(), ctx.now());
        if (ahKeys != null) {
            try {
                ch.bundle(c.ah().proposal().withGroup(null), ctx.children().bundleAh(sa, conn, pair, c.ah().proposal(),
                        Direction.INBOUND, ahSpiIn, ahKeys.inbound(), localOuter, remoteOuter, lifetime), c.ah().spi());
            } catch (RuntimeException e) {
                ahSpiTaken = true; // released by the installer
                ahKeys.outbound().destroy();
                keys.outbound().destroy();
                ctx.kernel().deleteSa(Direction.INBOUND, spiIn, c.main().proposal().protocol(), pair.reqid());
                throw e;
            }
            ahSpiTaken = true;
        }
        return ch;
    }

    /**
     * Installs the outbound side of {@link #child}: a bundle's AH SA first (the bundle is whole from its first packet),
     * then the outbound SA, then the policies. The SAs own the keys (an SA that is refused wipes its own; the ESP
     * keys are wiped here when the AH SA is refused).
     */
    void installOutbound(Phase2Sa.Chosen c, SelectorPair pair, SaKeys keys, SaKeys ahKeys, Lifetime lifetime) {
        if (ahKeys != null) {
            try {
                child.ahOutbound(ctx.children().bundleAh(sa, conn, pair, c.ah().proposal(), Direction.OUTBOUND,
                        c.ah().spi(), ahKeys, child.localOuter(), child.remoteOuter(), lifetime));
            } catch (RuntimeException e) {
                keys.destroy();
                throw e;
            }
        }
        child.outbound(ctx.children().outbound(sa, conn, pair, c.main().proposal(), c.main().spi(), keys,
                child.localOuter(), child.remoteOuter(), lifetime));
        ctx.children().policies(conn, pair);
    }

    /** The KEYMAT of both directions (our SPI inbound, the peer's outbound); g(qm)^xy is wiped here. */
    ChildSaKeys keys(EspProposal p, int spiOut, byte[] gqmxy) {
        try {
            return ChildSaKeys.derive(sa.keys(), p.suite(), spiIn, spiOut, nonceI, nonceR, gqmxy);
        } finally {
            if (gqmxy != null) {
                Arrays.fill(gqmxy, (byte) 0);
            }
        }
    }

    /** The announced outer pool of the peer in {@code m}, checked against the configuration; null if none came. */
    AddressPool announcedOuter(IsakmpMessage m) throws IkeProtocolException {
        NotificationPayload n = OuterPoolNotify.find(m);
        if (n == null) {
            return null;
        }
        AddressPool p;
        try {
            p = OuterPoolNotify.read(n);
        } catch (IkeProtocolException e) {
            throw Refusal.notify(IkeDropReason.INVALID_ID, NotifyType.INVALID_ID_INFORMATION, "connection "
                    + conn.name() + ": " + e.getMessage());
        }
        PoolPolicy.check(conn.name(), "outer pool", p, conn.config().remoteOuter());
        checkEntitled("outer pool", p);
        return p;
    }

    /**
     * RFC 3554 §4 for a peer authenticated by certificate: every address of {@code claimed} must be in its
     * certificate's subjectAltName or the connection's grant; otherwise INVALID-ID-INFORMATION, and the log line
     * names the addresses not covered. Nothing to check with a pre-shared key (the configured pools are the bound,
     * {@link PoolPolicy}).
     */
    void checkEntitled(String what, AddressPool claimed) throws Refusal {
        CertificateAuthenticator auth = conn.config().certificates();
        if (auth == null || sa.peerCertificate() == null) {
            return;
        }
        try {
            auth.checkClaim(sa.peerCertificate(), what, claimed);
        } catch (AuthenticationRefusal e) {
            throw Refusal.notify(IkeDropReason.INVALID_ID, e.notifyType(), "connection " + conn.name() + ": "
                    + e.getMessage());
        }
    }

    /**
     * The lifetime both sides keep: ours, shortened to the peer's where it asked for less (RFC 2407 §4.5: the SA
     * ends at whichever limit comes first); the soft limit keeps its share of the hard one.
     */
    static Lifetime agree(Lifetime ours, long theirSeconds, long theirKilobytes) {
        long[] s = agree(ours.softSeconds(), ours.hardSeconds(), theirSeconds);
        long[] b = agree(ours.softBytes(), ours.hardBytes(), theirKilobytes > Long.MAX_VALUE / 1024 ? Long.MAX_VALUE
                : theirKilobytes * 1024);
        return new Lifetime(s[0], s[1], b[0], b[1], ours.softPackets(), ours.hardPackets());
    }

    private static long[] agree(long soft, long hard, long theirs) {
        if (theirs <= 0 || (hard != 0 && hard <= theirs)) {
            return new long[] {soft, hard};
        }
        long newHard = theirs;
        long newSoft;
        if (soft == 0) {
            newSoft = 0;
        } else if (hard != 0) {
            newSoft = Math.max(1, (long) ((double) soft * newHard / hard));
        } else {
            newSoft = Math.min(soft, newHard - newHard / 10);
        }
        return new long[] {Math.min(newSoft, newHard), newHard};
    }

    /**
     * {@code l} with a soft packet limit at {@link Rekey#SEQUENCE_SOFT_LIMIT} for an SA with 32-bit sequence numbers
     * (RFC 4303 §3.3.3: the counter must not wrap; the data plane stops the SA at 2^32 - 1), so that the data plane's
     * soft expiry starts the rekey well before; a lower configured limit stays.
     */
    static Lifetime withSequenceLimit(Lifetime l, boolean esn) {
        long limit = Rekey.SEQUENCE_SOFT_LIMIT;
        if (esn || (l.softPackets() != 0 && l.softPackets() <= limit) || (l.hardPackets() != 0 && l.hardPackets() < limit)) {
            return l;
        }
        return new Lifetime(l.softSeconds(), l.hardSeconds(), l.softBytes(), l.hardBytes(), limit, l.hardPackets());
    }

    /**
     * Our RESPONDER-LIFETIME (RFC 2407 §4.6.3.1) for the SA {@code spi}, when our hard limits are shorter than what
     * the initiator offered (in seconds {@code theirSeconds}, in kilobytes {@code theirKilobytes}; 0 = not offered),
     * so that it expires the SA when we do; null when they are not.
     */
    static NotificationPayload responderLifetimeNotify(Lifetime ours, long theirSeconds, long theirKilobytes,
                                                       net.poolsa.ike.message.ProtocolId protocol, int spi) {
        List<DataAttribute> a = new ArrayList<>();
        if (ours.hardSeconds() > 0 && (theirSeconds == 0 || ours.hardSeconds() < theirSeconds)) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_SECONDS));
            a.add(DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, ours.hardSeconds()));
        }
        long kb = ours.hardBytes() / 1024;
        if (kb > 0 && (theirKilobytes == 0 || kb < theirKilobytes)) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_KILOBYTES));
            a.add(DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, kb));
        }
        return a.isEmpty() ? null : NotificationPayload.responderLifetime(protocol,
                net.poolsa.ike.message.Octets.ofInt(spi), a);
    }

    /** The peer's RESPONDER-LIFETIME (RFC 2407 §4.6.3.1), applied to {@code ours}. */
    static Lifetime responderLifetime(IsakmpMessage m, Lifetime ours) throws IkeProtocolException {
        Lifetime out = ours;
        for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
            if (!n.notifyType().equals(NotifyType.RESPONDER_LIFETIME)) {
                continue;
            }
            long seconds = 0;
            long kilobytes = 0;
            int type = 0;
            for (DataAttribute a : n.responderLifetimes()) {
                AttributeType t = a.type(AttributeType.Space.IPSEC);
                if (t.equals(AttributeType.IPSEC_SA_LIFE_TYPE)) {
                    type = (int) a.longValue();
                } else if (t.equals(AttributeType.IPSEC_SA_LIFE_DURATION)) {
                    if (type == IpsecAttributeValues.LIFE_SECONDS) {
                        seconds = a.longValue();
                    } else if (type == IpsecAttributeValues.LIFE_KILOBYTES) {
                        kilobytes = a.longValue();
                    }
                }
            }
            out = agree(out, seconds, kilobytes);
        }
        return out;
    }

    /** The SA pair is in: report it. */
    void installed(SelectorPair pair) {
        IkeContext.LOG.info("event=child_sa_installed connection={} role={} spi_in=0x{} spi_out=0x{} proposal=\"{}\" "
                + "local_ts=[{}] remote_ts=[{}] local_outer=[{}] remote_outer=[{}] udp={} reqid={}{}", conn.name(),
                sa.role().label(), String.format("%08x", child.spiIn()), String.format("%08x", child.spiOut()),
                child.proposalName(), pair.localProtected(), pair.remoteProtected(), child.localOuter(),
                child.remoteOuter(), child.inbound().udpEncapsulation() != null, pair.reqid(),
                child.ahInbound() == null ? "" : String.format(" ah_spi_in=0x%08x ah_spi_out=0x%08x",
                        child.ahInbound().spi(), child.ahSpiOut()));
        ctx.events().childSaInstalled(conn.name(), child.spiIn(), child.spiOut());
        ctx.events().exchange("quick_mode", "ok");
        ctx.lifetimes().childInstalled(sa, child);
    }

    /** Gives our SPIs back unless an installed SA holds them. */
    void releaseSpi() {
        if (spiIn != 0 && !spiTaken) {
            ctx.kernel().releaseSpi(spiIn);
            spiTaken = true;
        }
        if (ahSpiIn != 0 && !ahSpiTaken) {
            ctx.kernel().releaseSpi(ahSpiIn);
            ahSpiTaken = true;
        }
    }

    /** Stops the exchange: no retransmission, no held SPI or key pair, out of the SA's table. */
    void end() {
        outbox.stop();
        releaseSpi();
        if (dh != null && !computing) {
            dh.destroy(); // while computing the pair is the pool's: the discarded result wipes it
        }
        sa.removeQuickMode(messageId);
    }
}
