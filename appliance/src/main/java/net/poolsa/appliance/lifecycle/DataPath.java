package net.poolsa.appliance.lifecycle;

import net.poolsa.esp.sa.OuterAddress;

/**
 * A running data path: capture, protect/unprotect through the SAD/SPD, emit. {@link #stop()} must remove
 * the diversion (routes into the sink, the sink device if it created it) so that, once poolsa is gone,
 * the router forwards normally instead of black-holing protected traffic.
 */
public interface DataPath {
    /** Stops capture and emission and removes the diversion; called once, on shutdown. */
    void stop();

    /**
     * Brings the running data path in line with the connections of a reload, which the kernel already holds:
     * what the data path derives from them (peer addresses to probe, remote pools diverted into the sink,
     * inbound-policy rules, first outer addresses of new outbound SAs) changes without a restart. The
     * data-path settings themselves (interfaces, sink, MTU) stay as started. Called with the appliance's lock
     * held, never concurrently with {@link #stop()}.
     *
     * @throws RuntimeException when the host refused a change; what was applied before stays
     */
    void update(DataPathContext context);

    /**
     * Authenticated proof from IKE (a DPD answer, RFC 3706) that the path from {@code remote} to {@code local} works:
     * evidence for the path monitor. Any thread; a data path without path monitoring ignores it.
     */
    default void pathConfirmed(OuterAddress local, OuterAddress remote) {
    }

    /**
     * Where the path monitor asks for DPD probes over paths to IKE-keyed peers with DPD, whose ICMP echo replies it
     * no longer takes as evidence ({@code PathMonitor#authenticatedOnly}). Set once, after start.
     */
    default void authenticatedProbes(java.util.function.BiConsumer<OuterAddress, OuterAddress> requests) {
    }
}
