package net.poolsa.esp.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * Inbound SAD lookup of packets captured on an uplink: SPI -> SA, then the outer source must lie in the
 * SA's remote pool and the destination in its local pool (the paper's §3.1: any pair of the two pools is
 * the same SA). UDP-encapsulated ESP (RFC 3948) is looked up as ESP. Replies to path probes are handed to
 * path monitoring; anything else captured here is dropped as UNSUPPORTED.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-5.2">RFC 4301 §5.2</a>
 */
public final class InboundSaStage extends ChannelInboundHandlerAdapter {
    private final SecurityAssociationDatabase sad;
    private final PathEvidence paths;
    private final DataPathListener listener;
    private final LookupTimer timer = new LookupTimer();

    public InboundSaStage(SecurityAssociationDatabase sad, PathEvidence paths, DataPathListener listener) {
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
        IpPacketView v = p.view;
        int proto = v.protocol();
        if (proto == IpPacketView.PROTO_ICMP || proto == IpPacketView.PROTO_ICMPV6) {
            if (!paths.probeReply(v, p.buf, System.nanoTime())) {
                listener.dropped(DropReason.UNSUPPORTED, null);
            }
            p.drop();
            return;
        }
        int ipsecProto;
        if (proto == IpPacketView.PROTO_ESP || proto == IpPacketView.PROTO_AH) {
            ipsecProto = proto;
        } else if (v.isUdpEncapsulatedEsp()) {
            ipsecProto = IpPacketView.PROTO_ESP;
        } else if (proto == IpPacketView.PROTO_UDP && (v.destinationPort() == IpPacketView.NAT_T_PORT
                || v.sourcePort() == IpPacketView.NAT_T_PORT)) {
            // IKE behind the non-ESP marker or a NAT-keepalive (RFC 3948 §2.2, §2.3): the capture holds a copy of what
            // the kernel gives the IKE socket, nothing was dropped
            p.drop();
            return;
        } else {
            listener.dropped(DropReason.UNSUPPORTED, null); // other UDP comes only as fragments the filter let by
            p.drop();
            return;
        }
        long t = timer.start();
        SecurityAssociation sa = v.isV4()
                ? sad.lookupInboundV4(v.spi(), ipsecProto, v.v4Source(), v.v4Destination(), listener)
                : sad.lookupInboundV6(v.spi(), ipsecProto, v.v6SourceHi(), v.v6SourceLo(), v.v6DestinationHi(),
                v.v6DestinationLo(), listener);
        timer.stop(t, listener);
        if (sa == null) {
            p.drop(); // the SAD reported why
            return;
        }
        p.sa = sa;
        ctx.fireChannelRead(p);
    }
}
