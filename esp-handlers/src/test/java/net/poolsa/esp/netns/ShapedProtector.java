package net.poolsa.esp.netns;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.pipeline.PacketProtector;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * TEST ONLY: what the pipeline asks of a protector, on top of an ESP-shaped test transform (Xor, Copy) that only
 * turns bytes into bytes: the SA's current outer addresses outbound (NO_SA without), and inbound the decoding of the
 * result and the selector check (RFC 4301 §5.2) that the real transforms make.
 */
abstract class ShapedProtector implements PacketProtector {
    final DropListener drops;

    ShapedProtector(DropListener drops) {
        this.drops = drops;
    }

    /** The transform itself, towards explicit outer addresses. */
    public abstract ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress src, OuterAddress dst);

    /** The transform itself, without the checks of the decapsulated packet. */
    public abstract ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer);

    @Override
    public final ByteBuf protect(SecurityAssociation sa, ByteBuf inner, IpPacketView innerView) {
        OuterAddress src = sa.currentLocal();
        OuterAddress dst = sa.currentRemote();
        if (src == null || dst == null) {
            drops.dropped(DropReason.NO_SA, sa);
            return null;
        }
        return protect(sa, inner, src, dst);
    }

    @Override
    public final ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer, IpPacketView outerView, IpPacketView innerView) {
        ByteBuf in = unprotect(sa, outer);
        if (in == null) {
            return null;
        }
        DropReason bad = innerView.decode(in);
        if (bad == null && !innerView.within(sa.selector())) {
            bad = DropReason.SELECTOR_MISMATCH;
        }
        if (bad != null) {
            in.release();
            drops.dropped(bad, sa);
            return null;
        }
        return in;
    }
}
