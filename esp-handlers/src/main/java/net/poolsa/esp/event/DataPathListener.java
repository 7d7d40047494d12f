package net.poolsa.esp.event;

import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Events of the data path for metrics (the appliance binds them to Micrometer). Called on the event loop:
 * implementations must not block and should not allocate. All methods but {@link #dropped} default to no-op.
 */
public interface DataPathListener extends DropListener {
    DataPathListener NONE = (reason, sa) -> {
    };

    /** One packet of {@code innerBytes} crossed {@code sa} (its direction says which way). */
    default void packet(SecurityAssociation sa, int innerBytes) {
    }

    /**
     * A sampled inbound SAD lookup (SPI and pool check of an IPsec packet) took {@code nanos} (one packet in
     * {@code LookupTimer.SAMPLE_EVERY}).
     */
    default void lookupLatency(long nanos) {
    }

    /**
     * A sampled outbound SPD lookup (the policy of a cleartext packet, whatever its action) took {@code nanos} (one
     * packet in {@code LookupTimer.SAMPLE_EVERY}). Apart from {@link #lookupLatency}: the two are different searches,
     * and the SAD's histogram counts only inbound IPsec packets.
     */
    default void policyLookupLatency(long nanos) {
    }

    /**
     * {@code sa} moved to another pair of outer addresses without a new SA (path failover): same SPI, same keys, no
     * IKE. Its {@link SecurityAssociation#currentLocal()} and {@link SecurityAssociation#currentRemote()} are the new
     * pair.
     *
     * @param detectionNanos how long the old path had been without evidence when the switch was decided (for a local
     *                       event: since the kernel's message was read), or -1 when that does not apply (switch back)
     */
    default void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                  PathSwitchCause cause, long detectionNanos) {
    }

    /** A better path for {@code sa} was not taken (yet): anti-flapping. Reported once per hold. */
    default void outerPathHeld(SecurityAssociation sa, SwitchHold why) {
    }

    /**
     * Path monitoring changed its view of the path from {@code local} to {@code remote}; {@code previous} is null for
     * a new path, {@code current} null for one no longer monitored.
     */
    default void pathStateChanged(OuterAddress local, OuterAddress remote, PathState previous, PathState current) {
    }

    /** Path monitoring sent {@code count} probes. */
    default void pathProbesSent(int count) {
    }

    /**
     * A path whose evidence must be authenticated ({@code PathMonitor#authenticatedOnly}) wants a probe now (its ICMP
     * probe went out, or an echo reply hinted that it works): the control plane should send an IKE DPD R-U-THERE over
     * it (RFC 3706), whose answer comes back as {@code PathEvidence#confirmed}. Called on the event loop; must not block.
     */
    default void authenticatedProbeWanted(OuterAddress local, OuterAddress remote) {
    }

    /**
     * The path monitor's timer ran {@code lateNanos} after it was due (the event loop itself was not scheduled: a GC
     * pause, a loaded host): replies missed meanwhile are no evidence, so every detection window restarts now instead
     * of paths being declared down.
     */
    default void pathMonitorStalled(long lateNanos) {
    }

    /**
     * An authenticated UDP-encapsulated packet of {@code inbound} came from {@code newPort} instead of
     * {@code previousPort} (the NAT in front of the peer mapped it anew), and {@code outbound} now sends there.
     */
    default void natMappingChanged(SecurityAssociation inbound, SecurityAssociation outbound, int previousPort,
                                   int newPort) {
    }

    /** Adapts a plain drop listener. */
    static DataPathListener of(DropListener drops) {
        return drops instanceof DataPathListener d ? d : drops::dropped;
    }
}
