package net.poolsa.ike.exchange;

import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sa.UdpEncapsulation;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.ike.proposal.EspProposal;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.SelectorPair;

/**
 * Installs and removes child SAs and their policies through the {@link net.poolsa.esp.kernel.IpsecKernel}, the one
 * interface to the data plane. The order keeps every packet receivable: the inbound SA goes in before the peer can
 * use it, the outbound SA and the policies after the peer has its inbound SA (the exchanges decide when); removal
 * takes the policies first (no policy: nothing is sent in the clear meanwhile), then the SAs.
 *
 * <p>An SA's outer pools are those {@link PoolPolicy} allows; the outbound SA starts on the IKE addresses. Behind a
 * NAT (or with forced encapsulation) ESP goes in UDP between the IKE SA's NAT-T ports (RFC 3948).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4">RFC 4301 §4.4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2">RFC 3948 §2</a>
 */
final class ChildInstaller {
    /** Policies IKE installs sit at the priority manual keying uses; specificity orders them. */
    static final int POLICY_PRIORITY = 1000;

    private final IkeContext ctx;

    ChildInstaller(IkeContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Builds and installs the inbound SA, which then owns {@code keys} (zeroed when it dies); on failure the keys
     * are wiped and the SPI released.
     */
    SecurityAssociation inbound(IkeSa sa, ConnectionState c, SelectorPair pair, EspProposal p, int spi, SaKeys keys,
                                AddressPool localOuter, AddressPool remoteOuter, Lifetime lifetime) {
        SecurityAssociation in = build(sa, c, pair, p, Direction.INBOUND, spi, keys, localOuter, remoteOuter, lifetime);
        try {
            ctx.kernel().addSa(in);
        } catch (RuntimeException e) {
            in.kill();
            ctx.kernel().releaseSpi(spi);
            throw e;
        }
        ctx.keyExport().esp(in, sa.local().getAddress());
        return in;
    }

    /** Builds and installs the outbound SA, starting on the IKE addresses; it owns {@code keys} as {@link #inbound}. */
    SecurityAssociation outbound(IkeSa sa, ConnectionState c, SelectorPair pair, EspProposal p, int spi, SaKeys keys,
                                 AddressPool localOuter, AddressPool remoteOuter, Lifetime lifetime) {
        SecurityAssociation out = build(sa, c, pair, p, Direction.OUTBOUND, spi, keys, localOuter, remoteOuter, lifetime);
        try {
            ctx.kernel().addSa(out);
        } catch (RuntimeException e) {
            out.kill();
            throw e;
        }
        ctx.keyExport().esp(out, sa.local().getAddress());
        return out;
    }

    private SecurityAssociation build(IkeSa sa, ConnectionState c, SelectorPair pair, EspProposal p, Direction dir,
                                      int spi, SaKeys keys, AddressPool localOuter, AddressPool remoteOuter,
                                      Lifetime lifetime) {
        boolean udp = sa.nat().natted() && p.protocol() == IpsecProtocol.ESP;
        SecurityAssociation.Builder b = SecurityAssociation.builder()
                .spi(spi)
                .protocol(p.protocol())
                .mode(c.config().mode())
                .direction(dir)
                .reqid(pair.reqid())
                .localOuter(localOuter)
                .remoteOuter(remoteOuter)
                .selector(dir == Direction.OUTBOUND
                        ? TrafficSelector.between(pair.localProtected(), pair.remoteProtected())
                        : TrafficSelector.between(pair.remoteProtected(), pair.localProtected()))
                .keys(keys)
                .lifetime(lifetime)
                .extendedSequenceNumbers(p.esn())
                .replayWindow(c.config().replayWindow())
                .udpEncapsulation(udp ? new UdpEncapsulation(sa.local().getPort(), sa.remote().getPort()) : null)
                .createdNanos(System.nanoTime());
        if (dir == Direction.OUTBOUND) {
            b.currentRemote(OuterAddress.of(sa.remote().getAddress())).currentLocal(OuterAddress.of(sa.local().getAddress()));
        }
        return b.build();
    }

    /**
     * Builds and installs the AH half of an AH+ESP bundle in direction {@code dir}: transport mode between the outer
     * pools, under the ESP pair's reqid, which makes the data plane apply it over the ESP packets (see
     * {@link net.poolsa.esp.kernel.IpsecKernel#addSa}); never in UDP. It owns {@code keys}; on failure they are wiped
     * and an inbound SPI is released.
     */
    SecurityAssociation bundleAh(IkeSa sa, ConnectionState c, SelectorPair pair, EspProposal ah, Direction dir, int spi,
                                 SaKeys keys, AddressPool localOuter, AddressPool remoteOuter, Lifetime lifetime) {
        SecurityAssociation.Builder b = SecurityAssociation.builder()
                .spi(spi)
                .protocol(IpsecProtocol.AH)
                .mode(SaMode.TRANSPORT)
                .direction(dir)
                .reqid(pair.reqid())
                .localOuter(localOuter)
                .remoteOuter(remoteOuter)
                .selector(dir == Direction.OUTBOUND ? TrafficSelector.between(localOuter, remoteOuter)
                        : TrafficSelector.between(remoteOuter, localOuter))
                .keys(keys)
                .lifetime(lifetime)
                .extendedSequenceNumbers(ah.esn())
                .replayWindow(c.config().replayWindow())
                .createdNanos(System.nanoTime());
        if (dir == Direction.OUTBOUND) {
            b.currentRemote(OuterAddress.of(sa.remote().getAddress())).currentLocal(OuterAddress.of(sa.local().getAddress()));
        }
        SecurityAssociation ahSa = b.build();
        try {
            ctx.kernel().addSa(ahSa);
        } catch (RuntimeException e) {
            ahSa.kill();
            if (dir == Direction.INBOUND) {
                ctx.kernel().releaseSpi(spi);
            }
            throw e;
        }
        return ahSa;
    }

    /** The pair's PROTECT policies, unless installed already (a trap, or another SA generation of the pair). */
    void policies(ConnectionState c, SelectorPair pair) {
        String out = pair.outboundPolicyId(c.name());
        if (c.policies().add(out)) {
            ctx.kernel().addPolicy(new SecurityPolicy(out, Direction.OUTBOUND, POLICY_PRIORITY,
                    TrafficSelector.between(pair.localProtected(), pair.remoteProtected()), PolicyAction.PROTECT,
                    pair.reqid()));
        }
        String in = pair.inboundPolicyId(c.name());
        if (c.policies().add(in)) {
            ctx.kernel().addPolicy(new SecurityPolicy(in, Direction.INBOUND, POLICY_PRIORITY,
                    TrafficSelector.between(pair.remoteProtected(), pair.localProtected()), PolicyAction.PROTECT,
                    pair.reqid()));
        }
    }

    /** A trap connection's whole-pool policies: traffic that hits them without an SA raises an acquire. */
    void trap(ConnectionState c) {
        policies(c, c.pair(c.config().localProtected(), c.config().remoteProtected()));
    }

    /** Removes every policy of the connection (it is removed or changed). */
    void removePolicies(ConnectionState c) {
        for (String id : List.copyOf(c.policies())) {
            ctx.kernel().deletePolicy(id);
        }
        c.policies().clear();
    }

    /**
     * Removes a child SA pair: its policies when no other SA pair of the connection uses them (a trap's whole-pool
     * policies stay), then the outbound and the inbound SA; {@code tellPeer} sends a Delete for our inbound SPI.
     */
    void remove(IkeSa sa, ChildSa child, boolean tellPeer) {
        sa.children().remove(child);
        child.cancelTimers();
        ConnectionState c = ctx.connection(child.connection());
        SelectorPair pair = child.pair();
        if (c != null && !(pair.index() == 0 && c.trap()) && !inUse(child)) {
            for (String id : List.of(pair.outboundPolicyId(c.name()), pair.inboundPolicyId(c.name()))) {
                if (c.policies().remove(id)) {
                    ctx.kernel().deletePolicy(id);
                }
            }
        }
        IpsecProtocol proto = child.proposal().protocol();
        if (child.outbound() != null) {
            ctx.kernel().deleteSa(Direction.OUTBOUND, child.spiOut(), proto, pair.reqid());
        }
        if (child.ahOutbound() != null) {
            ctx.kernel().deleteSa(Direction.OUTBOUND, child.ahSpiOut(), IpsecProtocol.AH, pair.reqid());
        }
        ctx.kernel().deleteSa(Direction.INBOUND, child.spiIn(), proto, pair.reqid());
        if (child.ahInbound() != null) {
            ctx.kernel().deleteSa(Direction.INBOUND, child.ahInbound().spi(), IpsecProtocol.AH, pair.reqid());
        }
        // Only on an established IKE SA (a Delete needs its keys): the log says whether one went out, not whether the
        // peer heard it (after a dead-peer clear it is sent best effort).
        boolean deleteSent = tellPeer && sa.established();
        if (deleteSent) {
            ctx.informational().deleteChild(sa, proto, child.spiIn());
            if (child.ahInbound() != null) {
                ctx.informational().deleteChild(sa, IpsecProtocol.AH, child.ahInbound().spi());
            }
        }
        // outbound_installed=false: a responder's half pair whose Quick Mode never finished (no HASH(3), or its IKE SA
        // went first); it was never reported as child_sa_installed
        IkeContext.LOG.info("event=child_sa_removed connection={} spi_in=0x{} spi_out=0x{} delete_sent={} outbound_installed={}",
                child.connection(), String.format("%08x", child.spiIn()), String.format("%08x", child.spiOut()), deleteSent,
                child.outbound() != null);
    }

    private boolean inUse(ChildSa gone) {
        for (IkeSa sa : ctx.table().all()) {
            for (ChildSa ch : sa.children()) {
                if (ch != gone && ch.connection().equals(gone.connection()) && ch.pair().index() == gone.pair().index()) {
                    return true;
                }
            }
        }
        return false;
    }
}
