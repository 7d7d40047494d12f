package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.IpsecProcessor;

/**
 * The production crypto stage: the ESP/AH transforms of {@link IpsecProcessor} (RFC 4303, RFC 4302, RFC 3948),
 * one per event-loop thread.
 */
public final class IpsecProtector implements PacketProtector {
    /** For {@link DataPlane}: one processor per event loop. */
    public static final DataPlane.ProtectorFactory FACTORY = IpsecProtector::new;

    private final IpsecProcessor processor;

    public IpsecProtector(ByteBufAllocator alloc, DropListener drops) {
        this.processor = new IpsecProcessor(alloc, drops);
    }

    @Override
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst) {
        return processor.protect(sa, inner, outerSrc, outerDst);
    }

    @Override
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        return processor.unprotect(sa, outer);
    }
}
