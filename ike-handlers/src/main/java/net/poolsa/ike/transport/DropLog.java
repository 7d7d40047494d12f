package net.poolsa.ike.transport;

import java.io.IOException;
import java.net.InetSocketAddress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.esp.event.RateLimitedLog;

/** Counts a transport drop and logs it, at most one line per reason every ten seconds. */
final class DropLog {
    private static final Logger LOG = LoggerFactory.getLogger("net.poolsa.ike.transport");

    private final TransportEvents events;
    private final RateLimitedLog limit = RateLimitedLog.perTenSeconds(TransportDropReason.values().length);

    DropLog(TransportEvents events) {
        this.events = events;
    }

    TransportEvents events() {
        return events;
    }

    void drop(PortRole role, TransportDropReason reason, InetSocketAddress remote, int bytes) {
        events.dropped(role, reason);
        long suppressed = limit.permit(reason.ordinal());
        if (suppressed != RateLimitedLog.SUPPRESSED) {
            LOG.warn("event=ike_datagram_dropped reason={} port={} remote={} bytes={} suppressed={}", reason.label(),
                    role.label(), Endpoints.text(remote), bytes, suppressed);
        }
    }

    /**
     * A datagram lost to an exception. A send the kernel refuses (no route while an uplink is down, a firewall's
     * EPERM) is the network's state, which DPD and the retransmissions deal with: a warning naming the error. Anything
     * else is a fault of this program: an error with its stack trace.
     */
    void failure(PortRole role, TransportDropReason reason, InetSocketAddress remote, Throwable cause) {
        events.dropped(role, reason);
        long suppressed = limit.permit(reason.ordinal());
        if (suppressed == RateLimitedLog.SUPPRESSED) {
            return;
        }
        if (reason == TransportDropReason.SEND_FAILED && cause instanceof IOException) {
            LOG.warn("event=ike_datagram_dropped reason={} port={} remote={} suppressed={} error=\"{}\"",
                    reason.label(), role.label(), Endpoints.text(remote), suppressed, cause.getMessage());
        } else {
            LOG.error("event=ike_datagram_dropped reason={} port={} remote={} suppressed={} error=\"{}\"", reason.label(),
                    role.label(), Endpoints.text(remote), suppressed, cause.toString(), cause);
        }
    }
}
