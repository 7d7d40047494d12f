package net.poolsa.esp.path;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.ip.IpPacketView;

/**
 * What the inbound stages tell path monitoring: authenticated traffic from a remote outer address proves
 * the path from it works, and replies to the monitor's own probes arrive on the uplinks too.
 */
public interface PathEvidence {
    PathEvidence NONE = new PathEvidence() {
        @Override
        public void authenticatedFromV4(int remote, long nowNanos) {
        }

        @Override
        public void authenticatedFromV6(long remoteHi, long remoteLo, long nowNanos) {
        }

        @Override
        public boolean probeReply(IpPacketView view, ByteBuf packet, long nowNanos) {
            return false;
        }
    };

    /** An inbound packet from {@code remote} passed the SA's integrity check. */
    void authenticatedFromV4(int remote, long nowNanos);

    void authenticatedFromV6(long remoteHi, long remoteLo, long nowNanos);

    /** Offers an ICMP/ICMPv6 packet; true when it was a reply to one of our probes (the caller releases it). */
    boolean probeReply(IpPacketView view, ByteBuf packet, long nowNanos);
}
