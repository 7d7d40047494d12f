package net.poolsa.esp.pipeline;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IcmpErrors;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.ip.Ipv4Fragmenter;
import net.poolsa.esp.ip.Ipv6Fragmenter;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * Outbound crypto: encapsulates the inner packet with its SA towards the SA's current outer addresses
 * (chosen by path monitoring), then enforces the path MTU. An outer packet that is too big is
 * fragmented when the inner packet is IPv4 and allows it (DF clear), or is IPv6 of at most 1280 bytes
 * (its source ignores a Packet Too Big below 1280, RFC 8201 §4, so the tunnel entry must fragment the outer
 * packet, RFC 2473 §7.1 and RFC 4459 §3.1); the peer reassembles the ESP packet (RFC 4303 §3.4.1): an IPv4
 * outer packet by RFC 791, an IPv6 one with a Fragment header, which the gateway may add as the source of
 * the outer packet (RFC 8200 §4.5). Otherwise (larger IPv6 inner, or DF set) it is dropped as TOO_BIG and
 * the inner source gets ICMP "fragmentation needed" or ICMPv6 "packet too big" announcing the MTU that
 * fits after encapsulation, at least 1280 for IPv6 (RFC 4301 §8.2.1). A failure to fragment drops the
 * packet as TOO_BIG without leaking a buffer. The overhead is measured on the packet just built, so it is exact for
 * the SA's algorithms.
 *
 * <p>The inner TTL / hop limit is left as it arrives (RFC 4301 §5.1.2.1 note 2: the encapsulator decrements only
 * what it forwards): what reaches the sink was either forwarded into it by the kernel, which already decremented it
 * (and answered an expired one itself), or sent by this host, which a host never decrements. The outer ECN field is
 * a copy of the inner one (RFC 6040 §4.1, normal mode), written by the transform.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-8.2">RFC 4301 §8.2</a>
 */
public final class ProtectStage extends ChannelInboundHandlerAdapter {
    private final PacketProtector protector;
    private final MtuSettings mtu;
    private final DataPathListener listener;
    private final IcmpErrors icmpLimiter;
    private final List<ByteBuf> fragments = new ArrayList<>(4);
    private long idState;
    private final long idStep;
    private final long idKey;
    private final SecurityPolicyDatabase spd;

    public ProtectStage(PacketProtector protector, MtuSettings mtu, DataPathListener listener) {
        this(protector, mtu, listener, RandomSource.SYSTEM);
    }

    /** @param random where the secrets of the IPv6 fragment identifications come from */
    public ProtectStage(PacketProtector protector, MtuSettings mtu, DataPathListener listener, RandomSource random) {
        this(protector, mtu, listener, random, null);
    }

    /**
     * @param spd where a packet whose SA died after the policy stage chose it finds its policy's SA again (null: such
     *            a packet is dropped as SA_EXPIRED)
     */
    public ProtectStage(PacketProtector protector, MtuSettings mtu, DataPathListener listener, RandomSource random,
                        SecurityPolicyDatabase spd) {
        this.spd = spd;
        this.protector = protector;
        this.mtu = mtu;
        this.listener = listener;
        this.icmpLimiter = new IcmpErrors(mtu.icmpPerSecond(), Math.max(1, mtu.icmpPerSecond() / 10));
        SecureRandom seed = random.newGenerator();
        this.idState = seed.nextLong();
        this.idStep = seed.nextLong() | 1;
        this.idKey = seed.nextLong();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet p)) {
            ctx.fireChannelRead(msg);
            return;
        }
        SecurityAssociation sa = p.sa;
        if (!sa.usable() && spd != null) {
            sa = successor(p, sa);
        }
        ByteBuf inner = p.buf;
        int innerLen = inner.readableBytes();
        ByteBuf outer = protector.protect(sa, inner, p.view); // towards the SA's current outer addresses
        if (outer == null) {
            p.drop();
            return;
        }
        int outerLen = outer.readableBytes();
        if (outerLen <= mtu.pathMtu()) {
            listener.packet(sa, innerLen);
            p.drop();
            p.buf = outer;
            p.sa = sa;
            ctx.fireChannelRead(p);
            return;
        }
        IpPacketView v = p.view;
        boolean outerV4 = (outer.getUnsignedByte(outer.readerIndex()) >>> 4) == 4;
        // An IPv4 inner packet without DF lets us fragment; an IPv4 source that set DF, or an IPv6 source of
        // a packet above 1280 bytes, does path MTU discovery and must hear about the smaller MTU instead
        // (RFC 4301 §8.2.1). An IPv6 packet of at most 1280 bytes must get through: its source ignores a
        // Packet Too Big below 1280 (RFC 8201 §4), so the tunnel entry fragments the outer packet
        // (RFC 2473 §7.1, RFC 4459 §3.1).
        boolean innerAllows = v.isV4() ? !v.dontFragment() : innerLen <= Ipv6Fragmenter.MIN_MTU;
        if (innerAllows && (outerV4 || mtu.pathMtu() >= Ipv6Fragmenter.MIN_MTU)) {
            if (!fragmentOuter(ctx, outer, outerV4)) {
                listener.dropped(DropReason.TOO_BIG, sa); // a header chain we cannot split, or no memory
                p.drop();
                return;
            }
            listener.packet(sa, innerLen);
            p.drop();
            try {
                for (int i = 0; i < fragments.size(); i++) {
                    p.buf = fragments.set(i, null); // ownership passes on; the finally below skips it
                    p.sa = sa;
                    ctx.fireChannelRead(p);
                }
            } finally {
                releaseFragments();
            }
            return;
        }
        outer.release();
        listener.dropped(DropReason.TOO_BIG, sa);
        sendTooBig(ctx, p, innerLen, outerLen - innerLen);
        p.drop();
    }

    /**
     * The SA the packet's policy gives now, for a packet whose SA died after the policy stage chose it: the control
     * plane deleted it (a simultaneous rekey's redundant outbound SA goes at once) while the packet waited in this
     * loop's batch or in another loop's hand-off queue. A moment later the policy stage would have chosen the newer SA;
     * the packet gets it now instead of a drop. Only this rare path classifies again; {@code sa} itself when the policy
     * has no usable SA (then the protector drops the packet as SA_EXPIRED, as before).
     */
    private SecurityAssociation successor(Packet p, SecurityAssociation sa) {
        InstalledPolicy policy = OutboundPolicyStage.classify(spd, p.view);
        if (policy == null || policy.action() != PolicyAction.PROTECT) {
            return sa;
        }
        SecurityAssociation now = policy.sa();
        return now != null && now.usable() ? now : sa;
    }

    /**
     * Fragments {@code outer} into {@link #fragments} and always releases it. On failure (an extension-header
     * chain that cannot be split, allocation failure) nothing is left in {@link #fragments} and false is
     * returned, so nothing throws out of the pipeline and no buffer leaks.
     */
    private boolean fragmentOuter(ChannelHandlerContext ctx, ByteBuf outer, boolean outerV4) {
        boolean ok = false;
        try {
            if (outerV4) {
                int at = outer.readerIndex();
                outer.setShort(at + 6, outer.getUnsignedShort(at + 6) & ~0x4000);
                Checksums.writeIpv4HeaderChecksum(outer, at);
                Ipv4Fragmenter.fragment(outer, mtu.pathMtu(), ctx.alloc(), fragments);
            } else {
                // We are the source of the outer IPv6 packet, so we may fragment it (RFC 8200 §4.5); the
                // identification must not be predictable (RFC 7739 §5).
                Ipv6Fragmenter.fragment(outer, mtu.pathMtu(), nextFragmentId(), ctx.alloc(), fragments);
            }
            ok = true;
        } catch (RuntimeException | OutOfMemoryError e) { // OutOfDirectMemoryError is an OutOfMemoryError
            ok = false;
        } finally {
            outer.release();
            if (!ok) {
                releaseFragments();
            }
        }
        return ok;
    }

    private void releaseFragments() {
        for (int i = 0; i < fragments.size(); i++) {
            ByteBuf f = fragments.get(i);
            if (f != null) {
                f.release();
            }
        }
        fragments.clear();
    }

    /**
     * A fragment identification nobody can predict from the ones seen (RFC 7739 §5.1): a counter with a
     * secret odd step, mixed with a secret key through the SplitMix64 finalizer; both secrets come from
     * the {@link RandomSource} per instance. No allocation and no lock: one instance serves one event loop.
     */
    private int nextFragmentId() {
        idState += idStep;
        long z = idState ^ idKey;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return (int) ((z ^ (z >>> 31)) >>> 32);
    }

    private void sendTooBig(ChannelHandlerContext ctx, Packet p, int innerLen, int overhead) {
        // Round down to 8 so that padding to the cipher block never makes the announced size too large.
        int fits = (mtu.pathMtu() - overhead) & ~7;
        if (!p.view.isV4()) {
            fits = Math.max(fits, Ipv6Fragmenter.MIN_MTU); // below 1280 the source ignores it (RFC 8201 §4)
        }
        ByteBufAllocator alloc = ctx.alloc();
        ByteBuf err = null;
        if (p.view.isV4() && mtu.icmpSourceV4() != null && icmpLimiter.permit(System.nanoTime())) {
            err = IcmpErrors.fragmentationNeeded(alloc, mtu.icmpSourceV4().v4Bits(), p.buf, Math.max(fits, Ipv4Fragmenter.MIN_MTU));
        } else if (!p.view.isV4() && mtu.icmpSourceV6() != null && icmpLimiter.permit(System.nanoTime())) {
            err = IcmpErrors.packetTooBig(alloc, mtu.icmpSourceV6().v6Hi(), mtu.icmpSourceV6().v6Lo(), p.buf, fits);
        }
        if (err != null) {
            ctx.write(err); // goes back towards the inner source; flushed with the batch
        }
    }
}
