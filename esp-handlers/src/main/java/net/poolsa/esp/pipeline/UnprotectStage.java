package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.esp.transform.SaBundle;

/**
 * Inbound crypto: decapsulates with the SA found by the SAD stage, validates the inner packet and checks
 * it against the SA's traffic selector (RFC 4301 §5.2 step 4: a packet that decrypts correctly but does
 * not match the selectors is dropped). Only then does the outer source count as evidence that its path
 * works, so forged traffic cannot keep a dead path alive. An inbound AH+ESP bundle (transport-mode AH over
 * ESP, the paper's configuration) is opened in two steps: AH, then the ESP SA its SPI names. The SAs applied
 * must be the ones the policy asks for (RFC 4301 §5.2): an ESP SA the kernel marked as a bundle's inner half
 * ({@link SaBundle#acceptsInbound}) is refused bare, and ESP inside AH must belong to the AH SA's reqid; both
 * are dropped before decryption as SELECTOR_MISMATCH.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-5.2">RFC 4301 §5.2</a>
 */
public final class UnprotectStage extends ChannelInboundHandlerAdapter {
    private final PacketProtector protector;
    private final SecurityAssociationDatabase sad;
    private final PathEvidence paths;
    private final DataPathListener listener;
    private final IpPacketView inner = new IpPacketView();

    public UnprotectStage(PacketProtector protector, SecurityAssociationDatabase sad, PathEvidence paths,
                          DataPathListener listener) {
        this.protector = protector;
        this.sad = sad;
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
        if (sa.protocol() == IpsecProtocol.ESP && !SaBundle.acceptsInbound(sa, null)) {
            p.drop(); // bare ESP of an AH+ESP bundle: the policy asks for AH around it
            listener.dropped(DropReason.SELECTOR_MISMATCH, sa);
            return;
        }
        ByteBuf in = protector.unprotect(sa, p.buf);
        p.drop();
        if (in == null) {
            return; // the protector reported why
        }
        DropReason bad = inner.decode(in);
        if (bad == null && sa.protocol() == IpsecProtocol.AH && sa.mode() == SaMode.TRANSPORT
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
            ByteBuf decapsulated = protector.unprotect(esp, in);
            in.release();
            if (decapsulated == null) {
                return;
            }
            in = decapsulated;
            sa = esp;
            bad = inner.decode(in);
        }
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
