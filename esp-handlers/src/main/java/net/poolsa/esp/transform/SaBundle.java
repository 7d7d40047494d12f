package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.util.Objects;
import net.poolsa.esp.sa.Direction;
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
 * <p>Inbound the same context field marks an ESP SA as the inner half of a bundle ({@link #linkInbound}): such
 * an SA is accepted only inside AH of the same reqid, never bare ({@link #acceptsInbound}, RFC 4301 §5.2).
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
            if (esp.transformContext() instanceof SaTransformContext ctx) {
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

    /**
     * Marks the inbound ESP SA {@code esp} as the inner half of an AH+ESP bundle whose AH SA is {@code ah} (same
     * reqid): from then on {@link #acceptsInbound} refuses it outside AH of that reqid. Called by the control plane
     * before {@code esp} is visible to lookups.
     */
    public static void linkInbound(SecurityAssociation esp, SecurityAssociation ah) {
        if (esp.direction() != Direction.INBOUND || esp.protocol() != IpsecProtocol.ESP) {
            throw new IllegalArgumentException("not an inbound ESP SA: " + esp);
        }
        link(esp, ah);
    }

    /**
     * Whether the inbound ESP SA {@code esp} may be used for a packet that arrived inside the AH SA
     * {@code outerAh} (null: the ESP packet came bare). RFC 4301 §5.2: the SAs applied must be the ones the
     * policy asks for, so a bundled ESP SA needs AH around it, and ESP found inside AH must belong to the AH SA's
     * reqid. Allocation-free: one volatile read.
     */
    public static boolean acceptsInbound(SecurityAssociation esp, SecurityAssociation outerAh) {
        return outerAh == null ? outerOf(esp) == null : esp.reqid() == outerAh.reqid();
    }

    /** The AH SA linked to {@code esp} by {@link #link} or {@link #linkInbound}, or null. Allocation-free. */
    public static SecurityAssociation outerOf(SecurityAssociation esp) {
        return esp.transformContext() instanceof SaTransformContext ctx ? ctx.bundleOuter() : null;
    }

    /** ESP, then AH (the processor's one bundle path); null after the processor reported why. */
    public ByteBuf protect(IpsecProcessor processor, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst) {
        return processor.protect(esp, ah, inner, null, outerSrc, outerDst);
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
