package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.IpsecProcessor;
import net.poolsa.esp.transform.SaBundle;

/**
 * The production crypto stage: the ESP/AH transforms of {@link IpsecProcessor} (RFC 4303, RFC 4302, RFC 3948),
 * one per event-loop thread. An outbound ESP SA linked to an AH SA ({@link SaBundle#link}) is sent as AH(ESP(inner))
 * (RFC 4301 §4.5), by the processor's one bundle path.
 */
public final class IpsecProtector implements PacketProtector {
    /** For {@link DataPlane}: one processor per event loop. */
    public static final DataPlane.ProtectorFactory FACTORY = IpsecProtector::new;

    private final IpsecProcessor processor;

    public IpsecProtector(ByteBufAllocator alloc, DropListener drops) {
        this(alloc, drops, RandomSource.SYSTEM);
    }

    /** @param random where the processor's IVs and IPv4 identifications come from */
    public IpsecProtector(ByteBufAllocator alloc, DropListener drops, RandomSource random) {
        this.processor = new IpsecProcessor(alloc, drops, random);
    }

    @Override
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, IpPacketView innerView) {
        return processor.protect(sa, SaBundle.outerOf(sa), inner, innerView, null, null);
    }

    @Override
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer, IpPacketView outerView, IpPacketView innerView) {
        return processor.unprotect(sa, outer, outerView, innerView);
    }

    @Override
    public ByteBuf dummy(SecurityAssociation sa) {
        return processor.dummy(sa);
    }

    @Override
    public boolean openedDummy() {
        return processor.openedDummy();
    }

    /** For callers without a decoded packet (tests, tools): decodes it, then as {@link #protect(SecurityAssociation, ByteBuf, IpPacketView)} towards the given outer addresses. */
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst) {
        return processor.protect(sa, SaBundle.outerOf(sa), inner, null, outerSrc, outerDst);
    }

    /** For callers without a decoded packet (tests, tools): decodes it, then as the view-taking method. */
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        return processor.unprotect(sa, outer);
    }
}
