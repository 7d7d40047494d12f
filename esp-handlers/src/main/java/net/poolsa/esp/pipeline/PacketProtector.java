package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The crypto stage as the pipeline sees it: the ESP/AH transforms (RFC 4303, RFC 4302) behind the
 * narrowest interface, so the pipeline can be tested with any implementation. Neither call releases its
 * input; both return a new packet or null after reporting the drop themselves (bad ICV, replay, ...).
 * Lifetime accounting of the SA is the implementation's job (it knows the exact bytes protected).
 */
public interface PacketProtector {
    /**
     * @param inner the full inner IP packet (tunnel mode) to protect
     * @return the full outer IP packet from {@code outerSrc} to {@code outerDst} (ESP, AH or UDP/4500 ESP), or null
     */
    ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst);

    /**
     * @param outer the full outer IP packet, already matched to {@code sa} by SPI and pools
     * @return the inner IP packet, or null
     */
    ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer);
}
