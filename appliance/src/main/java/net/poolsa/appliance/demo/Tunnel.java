package net.poolsa.appliance.demo;

import java.nio.file.Path;
import java.util.List;

/**
 * How the client's traffic is carried in one run: not at all (plain routing), by poolsa (pool SAs or SAs pinned to one
 * address), or by strongSwan with MOBIKE. The run calls {@link #start}, starts the transfer, fails the link, calls
 * {@link #afterFailure}, and once the transfer is over {@link #finish}; {@link Lab#close()} stops what it started.
 */
interface Tunnel {
    /** For the summary, e.g. "poolsa, pool SAs, IKEv1 (PSK, aes128-sha256-modp2048, ESP aes128gcm16)". */
    String description();

    /**
     * Starts the endpoints in {@code lab} (already built) and returns once they are up; the run then checks that the
     * tunnel carries a ping. Throws {@link Unavailable} when this kind of tunnel cannot run on this machine.
     */
    void start(Lab lab, Path dir) throws Exception;

    /** The addresses the SCTP client binds, primary last. */
    default List<String> clientBind(Scenario s) {
        return s.clientBind();
    }

    /** The client address the readiness ping leaves from. */
    default String probeSource(Scenario s) {
        return s.clientPrimary();
    }

    /** Right after the link went down (per-address IPsec: the renegotiation from the new address starts here). */
    default void afterFailure(Lab lab) throws Exception {
    }

    /**
     * After the transfer: stops sampling and returns what the endpoints reported about the transfer (from
     * {@code startMillis}) and the failure (at {@code failureMillis}).
     */
    default TunnelReport finish(Lab lab, long startMillis, long failureMillis) throws Exception {
        return TunnelReport.NONE;
    }

    /** This kind of tunnel cannot run here; {@code evidence} is the log that shows why. */
    final class Unavailable extends Exception {
        private final String evidence;

        Unavailable(String reason, String evidence) {
            super(reason);
            this.evidence = evidence;
        }

        String evidence() {
            return evidence;
        }
    }
}
