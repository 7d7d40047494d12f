package net.poolsa.esp.event;

import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Where every stage of the data plane reports a dropped packet. Implementations must not block or
 * allocate per call; the appliance binds this to Micrometer counters tagged with {@link DropReason#label()}.
 */
public interface DropListener {
    DropListener NONE = (reason, sa) -> {
    };

    /** A packet was dropped; {@code sa} is the SA involved, or null when none was found. */
    void dropped(DropReason reason, SecurityAssociation sa);

    /**
     * {@code count} packets were dropped outside the data path, by rules it installed on the host (read from
     * their counters): one call for many packets. The default reports them one by one.
     */
    default void droppedByHost(DropReason reason, long count) {
        for (long i = 0; i < count; i++) {
            dropped(reason, null);
        }
    }
}
