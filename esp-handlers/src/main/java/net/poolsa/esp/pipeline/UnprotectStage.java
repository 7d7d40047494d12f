package net.poolsa.esp.pipeline;

import java.util.List;
import java.util.function.LongSupplier;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IcmpErrors;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.UdpEncapsulation;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicyDatabase;
import net.poolsa.esp.transform.SaBundle;

/**
 * Inbound crypto: decapsulates with the SA found by the SAD stage, reading the outer packet from the view the
 * decoder made; the protector decodes the inner packet (its one decode) and checks it against the SA's traffic
 * selector (RFC 4301 §5.2 step 4: a packet that decrypts correctly but does not match the selectors is dropped),
 * and this stage reads that view for everything after. Only then does the outer pair count as evidence that its path
 * works and, when it is the connection's newest packet, as where the peer now sends from (path monitoring moves the
 * outbound SA there), so forged traffic can neither keep a dead path alive nor move an SA; and only then is the outer
 * pair recorded on the SA
 * ({@link SecurityAssociation#lastInboundOuter()}). An inbound AH+ESP bundle (transport-mode AH over
 * ESP, the paper's configuration) is opened in two steps: AH, then the ESP SA its SPI names. The SAs applied
 * must be the ones the policy asks for (RFC 4301 §5.2): an ESP SA the kernel marked as a bundle's inner half
 * ({@link SaBundle#acceptsInbound}) is refused bare, and ESP inside AH must belong to the AH SA's reqid; both
 * are dropped before decryption as SELECTOR_MISMATCH.
 *
 * <p><b>Forwarding as a router does it</b> (RFC 4301 §5.1.2.1 note 2, RFC 1812 §5.3.1, RFC 8200 §3). With the
 * capture sink, decapsulated packets leave through a raw socket as if this host had sent them, so the kernel
 * never decrements them: this stage does, for a tunnel-mode packet the gateway forwards. One that arrives with a
 * TTL / hop limit of 0 or 1 is dropped as {@link DropReason#TTL_EXPIRED} and answered, at a rate limit, with ICMP
 * / ICMPv6 time exceeded from the configured ICMP source ({@link MtuSettings#icmpSourceV4()}, the gateway's inside
 * address) to its source, so that traceroute sees the gateway and a routing loop through the tunnel dies. The
 * error goes back the way the packet came: the outbound SPD decides (PROTECT: sealed with the policy's SA and sent
 * to its current outer address; BYPASS: sent as it is; otherwise dropped as the cleartext stage would).
 * Not decremented: transport-mode packets and tunnel-mode packets to one of our own addresses (an address of the
 * SA's local outer pool, which holds only ours, as in the paper's host case, or the ICMP source), which are
 * delivered here, not forwarded; and everything with the TUN sink, whose decapsulated packets the kernel receives
 * on the TUN device and forwards (decrementing and answering) itself.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-5.2">RFC 4301 §5.2</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1812#section-5.3.1">RFC 1812 §5.3.1</a>
 */
public final class UnprotectStage extends ChannelInboundHandlerAdapter {
    /**
     * Room left for the tunnel around a time exceeded message, so the sealed error fits the path MTU: outer IPv6
     * header, AH with a 32-byte ICV, UDP, ESP header, a 16-byte IV, padding and a 16-byte ICV.
     */
    static final int TUNNEL_HEADROOM = 160;

    private final PacketProtector protector;
    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final PathEvidence paths;
    private final DataPathListener listener;
    private final MtuSettings icmp;
    private final boolean forwarder;
    private final IcmpErrors icmpLimiter;
    private final LongSupplier clock;
    /** What the protector decapsulated; for an AH+ESP bundle, what AH carried (the ESP packet). */
    private final IpPacketView decapsulated = new IpPacketView();
    /** An AH+ESP bundle's inner packet, what ESP carried. */
    private final IpPacketView bundleDecapsulated = new IpPacketView();
    private final IpPacketView errorView = new IpPacketView();

    /** Decrements as with the capture sink, sends no ICMP errors (no source address is known). */
    public UnprotectStage(PacketProtector protector, SecurityAssociationDatabase sad, PathEvidence paths,
                          DataPathListener listener) {
        this(protector, sad, null, paths, listener, null, DataPlaneConfig.Sink.CAPTURE, System::nanoTime);
    }

    /**
     * @param icmp ICMP error sources, rate limit and path MTU; null: no ICMP errors
     * @param sink how decapsulated packets leave: {@link DataPlaneConfig.Sink#CAPTURE} (raw socket: this stage
     *             forwards like a router) or {@link DataPlaneConfig.Sink#TUN} (the kernel forwards them)
     */
    public UnprotectStage(PacketProtector protector, IpsecKernel kernel, PathEvidence paths,
                          DataPathListener listener, MtuSettings icmp, DataPlaneConfig.Sink sink) {
        this(protector, kernel.sad(), kernel.spd(), paths, listener, icmp, sink, System::nanoTime);
    }

    UnprotectStage(PacketProtector protector, SecurityAssociationDatabase sad, SecurityPolicyDatabase spd,
                   PathEvidence paths, DataPathListener listener, MtuSettings icmp, DataPlaneConfig.Sink sink,
                   LongSupplier clock) {
        this.protector = protector;
        this.sad = sad;
        this.spd = spd;
        this.paths = paths;
        this.listener = listener;
        this.icmp = spd == null ? null : icmp;
        this.forwarder = sink == DataPlaneConfig.Sink.CAPTURE;
        this.icmpLimiter = icmp == null ? null : new IcmpErrors(icmp.icmpPerSecond(), Math.max(1, icmp.icmpPerSecond() / 10));
        this.clock = clock;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet p)) {
            ctx.fireChannelRead(msg);
            return;
        }
        SecurityAssociation sa = p.sa;
        IpPacketView outer = p.view;
        if (sa.protocol() == IpsecProtocol.ESP && !SaBundle.acceptsInbound(sa, null)) {
            p.drop(); // bare ESP of an AH+ESP bundle: the policy asks for AH around it
            listener.dropped(DropReason.SELECTOR_MISMATCH, sa);
            return;
        }
        // The protector decodes what it decapsulates into the given view and checks it against the SA's selectors.
        IpPacketView inner = decapsulated;
        ByteBuf in = protector.unprotect(sa, p.buf, outer, inner);
        // An authentic dummy packet (RFC 4303 §2.6) delivers nothing, but proves its path like any other: the peer
        // sends one when it moved to another path, so that this end follows at once.
        boolean dummy = in == null && protector.openedDummy();
        // Read while the outer packet is still held; its header was valid, since the transform accepted it.
        long sequence = in == null && !dummy ? 0 : outerSequence(outer, p.buf);
        SecurityAssociation outerSa = sa;
        p.drop();
        if (in == null) {
            if (dummy) {
                authenticated(outer, outerSa, sa, null, sequence);
            }
            return; // the protector reported why
        }
        SecurityAssociation ah = null;
        if (sa.protocol() == IpsecProtocol.AH && sa.mode() == SaMode.TRANSPORT
                && (inner.protocol() == IpPacketView.PROTO_ESP || inner.isUdpEncapsulatedEsp())) {
            // An AH+ESP bundle by transport adjacency (RFC 4301 §4.5): AH is off, now the ESP SA it carried.
            SecurityAssociation esp = inner.isV4()
                    ? sad.lookupInboundV4(inner.spi(), IpPacketView.PROTO_ESP, inner.v4Source(), inner.v4Destination(), listener)
                    : sad.lookupInboundV6(inner.spi(), IpPacketView.PROTO_ESP, inner.v6SourceHi(), inner.v6SourceLo(),
                    inner.v6DestinationHi(), inner.v6DestinationLo(), listener);
            if (esp == null) {
                in.release();
                return; // the SAD reported why
            }
            if (!SaBundle.acceptsInbound(esp, sa)) {
                in.release(); // ESP of another reqid inside this AH: not the SAs the policy asks for
                listener.dropped(DropReason.SELECTOR_MISMATCH, esp);
                return;
            }
            ByteBuf espInner = protector.unprotect(esp, in, inner, bundleDecapsulated);
            in.release();
            if (espInner == null) {
                return;
            }
            in = espInner;
            inner = bundleDecapsulated;
            ah = sa;
            sa = esp;
        }
        long now = authenticated(outer, outerSa, sa, ah, sequence);
        if (forwarder && sa.mode() == SaMode.TUNNEL && !deliveredHere(sa, inner)) {
            if (inner.ttl() <= 1) {
                listener.dropped(DropReason.TTL_EXPIRED, sa);
                timeExceeded(ctx, in, inner, now);
                in.release();
                return;
            }
            decrementTtl(in, inner);
        }
        listener.packet(sa, inner.totalLength());
        p.buf = in;
        p.sa = sa;
        ctx.fireChannelRead(p);
    }

    /**
     * A NAT in front of the peer that forgot its mapping (idle timeout, restart) maps the peer to a new UDP port: the
     * peer's packets, authenticated, not replayed and newer than the one that set the current port, now come from
     * there, and ours must go there too or they die at
     * the NAT (RFC 7296 §2.23; RFC 3948 leaves it to IKE, which keeps the child SAs' ports). The outbound SAs of the
     * connection that sent to the old port of that peer address follow. Only a change does any work.
     */
    private void followNatMapping(IpPacketView outer, SecurityAssociation inbound, long sequence) {
        int port = outer.sourcePort();
        int previous = inbound.followRemotePort(port, sequence);
        if (previous < 0) {
            return;
        }
        List<SecurityAssociation> generations;
        synchronized (sad) {
            generations = sad.slot(inbound.reqid()).generations();
        }
        for (SecurityAssociation out : generations) {
            UdpEncapsulation e = out.udpEncapsulation();
            OuterAddress to = out.currentRemote();
            if (e != null && e.remotePort() == previous && to != null && sameAddress(to, outer)
                    && out.followRemotePort(port) >= 0) {
                listener.natMappingChanged(inbound, out, previous, port);
            }
        }
    }

    private static boolean sameAddress(OuterAddress a, IpPacketView outer) {
        return outer.isV4() ? a.v4() && a.v4Bits() == outer.v4Source()
                : !a.v4() && a.v6Hi() == outer.v6SourceHi() && a.v6Lo() == outer.v6SourceLo();
    }

    /**
     * Reports an authenticated inbound packet to path monitoring and records its outer addresses on its SAs.
     *
     * @param outerSa the SA its SPI named; {@code sa} the SA that opened it (the ESP SA inside {@code ah}, or the same)
     * @return the time it was taken at
     */
    private long authenticated(IpPacketView outer, SecurityAssociation outerSa, SecurityAssociation sa, SecurityAssociation ah,
                               long sequence) {
        long now = clock.getAsLong();
        if (sa.udpEncapsulation() != null && outer.isUdpEncapsulatedEsp()) {
            followNatMapping(outer, sa, sequence);
        }
        if (outer.isV4()) {
            paths.authenticatedV4(outerSa, sequence, outer.v4Source(), outer.v4Destination(), now);
            sa.lastInboundOuter().recordV4(outer.v4Source(), outer.v4Destination());
            if (ah != null) {
                ah.lastInboundOuter().recordV4(outer.v4Source(), outer.v4Destination());
            }
        } else {
            paths.authenticatedV6(outerSa, sequence, outer.v6SourceHi(), outer.v6SourceLo(), outer.v6DestinationHi(),
                    outer.v6DestinationLo(), now);
            sa.lastInboundOuter().recordV6(outer.v6SourceHi(), outer.v6SourceLo(), outer.v6DestinationHi(), outer.v6DestinationLo());
            if (ah != null) {
                ah.lastInboundOuter().recordV6(outer.v6SourceHi(), outer.v6SourceLo(), outer.v6DestinationHi(),
                        outer.v6DestinationLo());
            }
        }
        sa.markInbound(now);
        return now;
    }

    /**
     * The low 32 bits of the sequence number of the outer ESP (RFC 4303 §2.2), AH (RFC 4302 §2.5) or UDP-encapsulated
     * ESP header (RFC 3948 §2.1), which path monitoring uses to tell the peer's newest packet from a reordered one.
     */
    static long outerSequence(IpPacketView outer, ByteBuf b) {
        int at = outer.transportOffset();
        int field = outer.protocol() == IpPacketView.PROTO_AH ? at + 8 : outer.isUdpEncapsulatedEsp() ? at + 12 : at + 4;
        return b.getUnsignedInt(field);
    }

    /**
     * Whether the decapsulated packet is for this host: its destination lies in the SA's local outer pool (the
     * addresses this end of the SA owns; in the paper's host case the inner selector is that pool) or is the
     * configured ICMP source of its family.
     */
    private boolean deliveredHere(SecurityAssociation sa, IpPacketView inner) {
        if (inner.isV4()) {
            int dst = inner.v4Destination();
            OuterAddress own = icmp == null ? null : icmp.icmpSourceV4();
            return sa.localOuter().containsV4(dst) || (own != null && own.v4Bits() == dst);
        }
        long hi = inner.v6DestinationHi();
        long lo = inner.v6DestinationLo();
        OuterAddress own = icmp == null ? null : icmp.icmpSourceV6();
        return sa.localOuter().containsV6(hi, lo) || (own != null && own.v6Hi() == hi && own.v6Lo() == lo);
    }

    /** TTL / hop limit minus one, with the IPv4 header checksum updated incrementally (RFC 1624). */
    private void decrementTtl(ByteBuf b, IpPacketView inner) {
        int at = inner.offset();
        if (inner.isV4()) {
            int old = b.getUnsignedShort(at + 8); // TTL shares its 16-bit word with the protocol byte
            int word = old - 0x100;
            b.setShort(at + 8, word);
            Checksums.updateWord(b, at + 10, old, word);
        } else {
            b.setByte(at + 7, inner.ttl() - 1);
        }
    }

    /**
     * Answers the expired packet ({@code inner} describes it) with ICMP / ICMPv6 time exceeded, at the rate limit,
     * if an ICMP source of its family is configured and the packet may be answered at all
     * ({@link IcmpErrors#mayAnswer}).
     */
    private void timeExceeded(ChannelHandlerContext ctx, ByteBuf expired, IpPacketView inner, long now) {
        if (icmp == null) {
            return;
        }
        OuterAddress source = inner.isV4() ? icmp.icmpSourceV4() : icmp.icmpSourceV6();
        if (source == null || !IcmpErrors.mayAnswer(inner) || !icmpLimiter.permit(now)) {
            return;
        }
        int room = Math.max(icmp.pathMtu() - TUNNEL_HEADROOM, inner.isV4() ? 56 : 96); // at least the headers it must quote
        ByteBuf err = inner.isV4()
                ? IcmpErrors.timeExceeded(ctx.alloc(), source.v4Bits(), expired, room)
                : IcmpErrors.hopLimitExceeded(ctx.alloc(), source.v6Hi(), source.v6Lo(), expired, room);
        try {
            DropReason bad = errorView.decode(err);
            if (bad != null) {
                listener.dropped(bad, null); // cannot happen for what IcmpErrors builds; counted if it ever does
                return;
            }
            InstalledPolicy policy = OutboundPolicyStage.classify(spd, errorView);
            PolicyAction action = policy == null ? PolicyAction.DISCARD : policy.action();
            if (action == PolicyAction.BYPASS) {
                ctx.write(err.retain(), ctx.voidPromise());
                return;
            }
            SecurityAssociation out = action == PolicyAction.PROTECT ? policy.sa() : null;
            if (action != PolicyAction.PROTECT || out == null || !out.usable()) {
                listener.dropped(action == PolicyAction.PROTECT ? DropReason.NO_SA : DropReason.POLICY_DISCARD, out);
                return;
            }
            ByteBuf sealed = protector.protect(out, err, errorView); // towards the SA's current outer addresses
            if (sealed == null) {
                return; // the protector reported why
            }
            if (sealed.readableBytes() > icmp.pathMtu()) {
                sealed.release();
                listener.dropped(DropReason.TOO_BIG, out);
                return;
            }
            listener.packet(out, err.readableBytes());
            ctx.write(sealed, ctx.voidPromise());
        } finally {
            err.release();
        }
    }
}
