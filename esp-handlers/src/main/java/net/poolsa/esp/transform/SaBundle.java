package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
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
 *
 * <p>On the data path an outbound bundle is not an object: the AH SA is linked to the ESP SA's
 * {@link SaTransformContext#bundleOuter()} by the control plane ({@link #link}), so that the protect step
 * finds it with one volatile read ({@link #outerOf}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.5">RFC 4301 §4.5</a>
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

    /**
     * Links (or, with {@code ah} null, unlinks) the outbound AH SA to apply over {@code esp}'s packets. An ESP SA
     * whose algorithms are unusable is left alone: it drops its packets anyway.
     */
    public static void link(SecurityAssociation esp, SecurityAssociation ah) {
        if (ah == null) {
            Object c = esp.transformContext();
            if (c instanceof SaTransformContext ctx) {
                ctx.bundleOuter(null);
            }
            return;
        }
        try {
            SaTransformContext.of(esp).bundleOuter(ah);
        } catch (GeneralSecurityException e) {
            // reported per packet as UNSUPPORTED by the processor
        }
    }

    /** The AH SA linked to {@code esp} by {@link #link}, or null. Allocation-free. */
    public static SecurityAssociation outerOf(SecurityAssociation esp) {
        Object c = esp.transformContext();
        return c instanceof SaTransformContext ctx ? ctx.bundleOuter() : null;
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
