package net.poolsa.appliance.lifecycle;

/**
 * A running data path: capture, protect/unprotect through the SAD/SPD, emit. {@link #stop()} must remove
 * the diversion (routes into the sink, the sink device if it created it) so that, once poolsa is gone,
 * the router forwards normally instead of black-holing protected traffic.
 */
public interface DataPath {
    /** Stops capture and emission and removes the diversion; called once, on shutdown. */
    void stop();
}
