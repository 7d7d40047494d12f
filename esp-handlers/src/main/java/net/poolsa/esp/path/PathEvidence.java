package net.poolsa.esp.path;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * What the inbound stages (and the control plane) tell path monitoring: authenticated traffic over a pair of outer
 * addresses proves that path works and says where the peer sends from now; replies to the monitor's own probes
 * arrive on the uplinks too. Implementations are called on the data plane's event loop, per packet: they must not
 * allocate or block.
 */
public interface PathEvidence {
    PathEvidence NONE = new PathEvidence() {
        @Override
        public void authenticatedV4(SecurityAssociation sa, long sequence, int remote, int local, long nowNanos) {
        }

        @Override
        public void authenticatedV6(SecurityAssociation sa, long sequence, long remoteHi, long remoteLo, long localHi,
                                    long localLo, long nowNanos) {
        }

        @Override
        public void confirmed(OuterAddress local, OuterAddress remote, long nowNanos) {
        }

        @Override
        public boolean probeReply(IpPacketView view, ByteBuf packet, long nowNanos) {
            return false;
        }
    };

    /**
     * An inbound packet of {@code sa} from {@code remote} to {@code local} passed the SA's integrity and replay checks
     * (and, in tunnel mode, its selectors).
     *
     * @param sa       the SA its SPI named (the AH SA of an AH+ESP bundle)
     * @param sequence the low 32 bits of its sequence number (RFC 4303 §2.2, RFC 4302 §2.5)
     */
    void authenticatedV4(SecurityAssociation sa, long sequence, int remote, int local, long nowNanos);

    /** As {@link #authenticatedV4}, IPv6 addresses as their network-order halves. */
    void authenticatedV6(SecurityAssociation sa, long sequence, long remoteHi, long remoteLo, long localHi, long localLo,
                         long nowNanos);

    /**
     * Other authenticated proof that the path from {@code remote} to {@code local} works, such as an IKE DPD answer
     * (RFC 3706) or an INFORMATIONAL response: counts as evidence, moves no SA. Called on the event loop.
     */
    void confirmed(OuterAddress local, OuterAddress remote, long nowNanos);

    /** Offers an ICMP/ICMPv6 packet; true when it was a reply to one of our probes (the caller releases it). */
    boolean probeReply(IpPacketView view, ByteBuf packet, long nowNanos);
}
