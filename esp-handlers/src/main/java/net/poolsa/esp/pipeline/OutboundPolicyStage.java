package net.poolsa.esp.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * Outbound SPD lookup of cleartext captured on the divert sink (RFC 4301 §5.1): PROTECT goes on to the
 * crypto stage with the policy's current SA; BYPASS is sent as it is with the TTL decremented like any
 * forwarded packet (which also ends a routing loop through the sink); DISCARD and no match are dropped.
 * PROTECT without an SA is dropped as NO_SA and reported to the kernel as an acquire.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-5.1">RFC 4301 §5.1</a>
 */
public final class OutboundPolicyStage extends ChannelInboundHandlerAdapter {
    private final IpsecKernel kernel;
    private final SecurityPolicyDatabase spd;
    private final DataPathListener listener;
    private final LookupTimer timer = new LookupTimer();

    public OutboundPolicyStage(IpsecKernel kernel, DataPathListener listener) {
        this.kernel = kernel;
        this.spd = kernel.spd();
        this.listener = listener;
    }

    /** The outbound policy for the packet {@code v} describes, or null when none matches (RFC 4301 §5.1). */
    static InstalledPolicy classify(SecurityPolicyDatabase spd, IpPacketView v) {
        return v.isV4()
                ? spd.classifyV4(Direction.OUTBOUND, v.v4Source(), v.v4Destination(), v.protocol(), v.sourcePort(), v.destinationPort())
                : spd.classifyV6(Direction.OUTBOUND, v.v6SourceHi(), v.v6SourceLo(), v.v6DestinationHi(), v.v6DestinationLo(),
                v.protocol(), v.sourcePort(), v.destinationPort());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet p)) {
            ctx.fireChannelRead(msg);
            return;
        }
        IpPacketView v = p.view;
        long t = timer.start();
        InstalledPolicy policy = classify(spd, v);
        timer.stopPolicy(t, listener);
        PolicyAction action = policy == null ? PolicyAction.DISCARD : policy.action();
        switch (action) {
            case PROTECT -> {
                SecurityAssociation sa = policy.sa();
                if (sa == null || !sa.usable()) {
                    listener.dropped(DropReason.NO_SA, sa);
                    kernel.reportAcquire(policy, System.nanoTime());
                    p.drop();
                    return;
                }
                p.sa = sa;
                ctx.fireChannelRead(p);
            }
            case BYPASS -> {
                if (v.ttl() <= 1) {
                    listener.dropped(DropReason.POLICY_DISCARD, null);
                    p.drop();
                    return;
                }
                int at = v.offset();
                if (v.isV4()) {
                    p.buf.setByte(at + 8, v.ttl() - 1);
                    Checksums.writeIpv4HeaderChecksum(p.buf, at);
                } else {
                    p.buf.setByte(at + 7, v.ttl() - 1);
                }
                ctx.write(p.take());
            }
            default -> {
                listener.dropped(DropReason.POLICY_DISCARD, null);
                p.drop();
            }
        }
    }
}
