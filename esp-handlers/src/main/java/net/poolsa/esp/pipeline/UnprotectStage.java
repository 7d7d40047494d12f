package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * Inbound crypto: decapsulates with the SA found by the SAD stage, validates the inner packet and checks
 * it against the SA's traffic selector (RFC 4301 §5.2 step 4: a packet that decrypts correctly but does
 * not match the selectors is dropped). Only then does the outer source count as evidence that its path
 * works, so forged traffic cannot keep a dead path alive.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-5.2">RFC 4301 §5.2</a>
 */
public final class UnprotectStage extends ChannelInboundHandlerAdapter {
    private final PacketProtector protector;
    private final PathEvidence paths;
    private final DataPathListener listener;
    private final IpPacketView inner = new IpPacketView();

    public UnprotectStage(PacketProtector protector, PathEvidence paths, DataPathListener listener) {
        this.protector = protector;
        this.paths = paths;
        this.listener = listener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet p)) {
            ctx.fireChannelRead(msg);
            return;
        }
        SecurityAssociation sa = p.sa;
        IpPacketView outer = p.view;
        ByteBuf in = protector.unprotect(sa, p.buf);
        p.drop();
        if (in == null) {
            return; // the protector reported why
        }
        DropReason bad = inner.decode(in);
        if (bad != null) {
            in.release();
            listener.dropped(bad, sa);
            return;
        }
        TrafficSelector ts = sa.selector();
        boolean match = inner.isV4()
                ? ts.matchesV4(inner.v4Source(), inner.v4Destination(), inner.protocol(), inner.sourcePort(), inner.destinationPort())
                : ts.matchesV6(inner.v6SourceHi(), inner.v6SourceLo(), inner.v6DestinationHi(), inner.v6DestinationLo(),
                inner.protocol(), inner.sourcePort(), inner.destinationPort());
        if (!match) {
            in.release();
            listener.dropped(DropReason.SELECTOR_MISMATCH, sa);
            return;
        }
        long now = System.nanoTime();
        if (outer.isV4()) {
            paths.authenticatedFromV4(outer.v4Source(), now);
        } else {
            paths.authenticatedFromV6(outer.v6SourceHi(), outer.v6SourceLo(), now);
        }
        sa.markInbound(now);
        listener.packet(sa, inner.totalLength());
        p.buf = in;
        p.sa = sa;
        ctx.fireChannelRead(p);
    }
}
