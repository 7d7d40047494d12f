package net.poolsa.esp.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IcmpErrors;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.ip.Ipv4Fragmenter;
import net.poolsa.esp.ip.Ipv6Fragmenter;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Outbound crypto: encapsulates the inner packet with its SA towards the SA's current outer addresses
 * (chosen by path monitoring), then enforces the path MTU. An outer packet that is too big is
 * fragmented when the inner packet is IPv4 and allows it (DF clear), so the peer reassembles the ESP
 * packet (RFC 4303 §3.4.1): an IPv4 outer packet by RFC 791, an IPv6 one with a Fragment header, which
 * the gateway may add as the source of the outer packet (RFC 8200 §4.5). Otherwise (IPv6 inner, or DF
 * set) it is dropped as TOO_BIG and the inner source gets ICMP "fragmentation needed" or ICMPv6 "packet too big" announcing the MTU that fits after
 * encapsulation (RFC 4301 §8.2.1). The overhead is measured on the packet just built, so it is exact for
 * the SA's algorithms.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-8.2">RFC 4301 §8.2</a>
 */
public final class ProtectStage extends ChannelInboundHandlerAdapter {
    private final PacketProtector protector;
    private final MtuSettings mtu;
    private final DataPathListener listener;
    private final IcmpErrors icmpLimiter;
    private final List<ByteBuf> fragments = new ArrayList<>(4);

    public ProtectStage(PacketProtector protector, MtuSettings mtu, DataPathListener listener) {
        this.protector = protector;
        this.mtu = mtu;
        this.listener = listener;
        this.icmpLimiter = new IcmpErrors(mtu.icmpPerSecond(), Math.max(1, mtu.icmpPerSecond() / 10));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet p)) {
            ctx.fireChannelRead(msg);
            return;
        }
        SecurityAssociation sa = p.sa;
        OuterAddress src = sa.currentLocal();
        OuterAddress dst = sa.currentRemote();
        if (src == null || dst == null) {
            listener.dropped(DropReason.NO_SA, sa); // no usable outer path yet
            p.drop();
            return;
        }
        ByteBuf inner = p.buf;
        int innerLen = inner.readableBytes();
        ByteBuf outer = protector.protect(sa, inner, src, dst);
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
        // Only an IPv4 inner packet without DF lets us fragment: an IPv6 inner source or one that set DF does
        // path MTU discovery and must hear about the smaller MTU instead (RFC 4301 §8.2.1).
        boolean innerAllows = v.isV4() && !v.dontFragment();
        if (innerAllows && (outerV4 || mtu.pathMtu() >= Ipv6Fragmenter.MIN_MTU)) {
            listener.packet(sa, innerLen);
            p.drop();
            int at = outer.readerIndex();
            if (outerV4) {
                outer.setShort(at + 6, outer.getUnsignedShort(at + 6) & ~0x4000);
                Checksums.writeIpv4HeaderChecksum(outer, at);
                Ipv4Fragmenter.fragment(outer, mtu.pathMtu(), ctx.alloc(), fragments);
            } else {
                // We are the source of the outer IPv6 packet, so we may fragment it (RFC 8200 §4.5); the
                // identification is random per datagram so that it cannot be predicted (RFC 7739 §5.1).
                Ipv6Fragmenter.fragment(outer, mtu.pathMtu(), ThreadLocalRandom.current().nextInt(), ctx.alloc(), fragments);
            }
            outer.release();
            for (int i = 0; i < fragments.size(); i++) {
                p.buf = fragments.get(i);
                p.sa = sa;
                ctx.fireChannelRead(p);
            }
            fragments.clear();
            return;
        }
        outer.release();
        listener.dropped(DropReason.TOO_BIG, sa);
        sendTooBig(ctx, p, innerLen, outerLen - innerLen);
        p.drop();
    }

    private void sendTooBig(ChannelHandlerContext ctx, Packet p, int innerLen, int overhead) {
        // Round down to 8 so that padding to the cipher block never makes the announced size too large.
        int fits = (mtu.pathMtu() - overhead) & ~7;
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
