package net.poolsa.appliance.lifecycle;

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
}
