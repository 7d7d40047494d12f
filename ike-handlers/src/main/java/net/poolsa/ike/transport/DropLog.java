package net.poolsa.ike.transport;

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
                    role.label(), remote, bytes, suppressed);
        }
    }

    void failure(PortRole role, TransportDropReason reason, InetSocketAddress remote, Throwable cause) {
        events.dropped(role, reason);
        long suppressed = limit.permit(reason.ordinal());
        if (suppressed != RateLimitedLog.SUPPRESSED) {
            LOG.error("event=ike_datagram_dropped reason={} port={} remote={} suppressed={} error=\"{}\"", reason.label(),
                    role.label(), remote, suppressed, cause.toString(), cause);
        }
    }
}
