package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The crypto stage as the pipeline sees it: the ESP/AH transforms (RFC 4303, RFC 4302) behind the
 * narrowest interface, so the pipeline can be tested with any implementation. Packets come with the view the
 * decoder made of them (one parse per packet). Neither call releases its input; both return a new packet or null
 * after reporting the drop themselves (bad ICV, replay, ...). The implementation chooses the outer addresses (the
 * SA's current ones), checks the decapsulated packet against the SA's selectors (RFC 4301 §5.2) and counts the SA's
 * lifetime (it knows the exact bytes protected).
 */
public interface PacketProtector {
    /**
     * @param inner     the full inner IP packet (tunnel mode) to protect
     * @param innerView {@code inner} decoded; read, never changed
     * @return the full outer IP packet from the SA's current local address to its current remote one (ESP, AH,
     *         UDP/4500 ESP, or AH over ESP for a bundle), or null (NO_SA while the SA has no outer address yet)
     */
    ByteBuf protect(SecurityAssociation sa, ByteBuf inner, IpPacketView innerView);

    /**
     * @param outer     the full outer IP packet, already matched to {@code sa} by SPI and pools
     * @param outerView {@code outer} decoded; read, never changed
     * @param innerView receives the decoding of the returned packet (not {@code outerView})
     * @return the inner IP packet, within the SA's selectors, or null
     */
    ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer, IpPacketView outerView, IpPacketView innerView);

    /**
     * An ESP dummy packet (RFC 4303 §2.6) on {@code sa}'s current outer addresses, which the peer authenticates and
     * discards: the data plane sends one when the SA moved to another path on its own decision, so that the peer
     * follows at once. Null when this protector or this SA sends none (the peer then finds the move by its probes).
     */
    default ByteBuf dummy(SecurityAssociation sa) {
        return null;
    }

    /**
     * Whether the last {@link #unprotect} returned null because the packet was an authentic dummy packet (its ICV and
     * sequence number checked): the caller counts it as evidence of its path. False for a protector that opens none.
     */
    default boolean openedDummy() {
        return false;
    }
}
