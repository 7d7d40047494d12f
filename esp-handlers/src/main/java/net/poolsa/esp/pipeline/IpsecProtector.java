package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.IpsecProcessor;
import net.poolsa.esp.transform.SaBundle;

/**
 * The production crypto stage: the ESP/AH transforms of {@link IpsecProcessor} (RFC 4303, RFC 4302, RFC 3948),
 * one per event-loop thread. An outbound ESP SA linked to an AH SA ({@link SaBundle#link}) is sent as AH(ESP(inner)).
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
        ByteBuf out = processor.protect(sa, inner, outerSrc, outerDst);
        SecurityAssociation ah = out == null ? null : SaBundle.outerOf(sa);
        if (ah == null) {
            return out;
        }
        // An AH+ESP bundle (RFC 4301 §4.5): AH in transport mode over the whole ESP packet, outer header included.
        try {
            return processor.protect(ah, out, null, null);
        } finally {
            out.release();
        }
    }

    @Override
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        return processor.unprotect(sa, outer);
    }
}
