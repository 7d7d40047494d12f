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

    /** A sampled SAD/SPD lookup took {@code nanos} (one packet in {@code LookupTimer.SAMPLE_EVERY}). */
    default void lookupLatency(long nanos) {
    }

    /** The outer address {@code sa} uses changed without a new SA (path failover): same SPI, same keys. */
    default void outerAddressChanged(SecurityAssociation sa, OuterAddress previous, OuterAddress current) {
    }

    /** Path monitoring decided that {@code remote} became reachable or unreachable. */
    default void pathStateChanged(OuterAddress remote, boolean alive) {
    }

    /** Adapts a plain drop listener. */
    static DataPathListener of(DropListener drops) {
        return drops instanceof DataPathListener d ? d : drops::dropped;
    }
}
