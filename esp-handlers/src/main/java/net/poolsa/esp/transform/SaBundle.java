package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import java.util.Objects;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * An AH+ESP bundle as the paper tested it, by transport adjacency (RFC 4301 §4.5): outbound the ESP SA first
 * (tunnel or transport), then the AH SA in transport mode over the whole ESP packet, so AH also authenticates
 * the outer header: {@code | outer IP | AH | ESP | inner IP ... | ESP trailer/ICV |}. Inbound in reverse.
 * Both SAs are per direction; the AH SA's pools hold the same outer addresses as the ESP SA.
 */
public record SaBundle(SecurityAssociation esp, SecurityAssociation ah) {
    public SaBundle {
        Objects.requireNonNull(esp, "esp");
        Objects.requireNonNull(ah, "ah");
        if (esp.protocol() != IpsecProtocol.ESP || ah.protocol() != IpsecProtocol.AH || ah.mode() != SaMode.TRANSPORT
                || esp.direction() != ah.direction()) {
            throw new IllegalArgumentException("a bundle is an ESP SA plus a transport-mode AH SA of the same direction");
        }
    }

    /** ESP, then AH; null after the processor reported why. */
    public ByteBuf protect(IpsecProcessor processor, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst) {
        ByteBuf espPacket = processor.protect(esp, inner, outerSrc, outerDst);
        if (espPacket == null) {
            return null;
        }
        try {
            return processor.protect(ah, espPacket, null, null);
        } finally {
            espPacket.release();
        }
    }

    /** AH, then ESP; null after the processor reported why. */
    public ByteBuf unprotect(IpsecProcessor processor, ByteBuf outer) {
        ByteBuf espPacket = processor.unprotect(ah, outer);
        if (espPacket == null) {
            return null;
        }
        try {
            return processor.unprotect(esp, espPacket);
        } finally {
            espPacket.release();
        }
    }
}
