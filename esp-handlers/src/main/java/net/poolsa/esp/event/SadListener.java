package net.poolsa.esp.event;

import net.poolsa.esp.sa.SecurityAssociation;

/**
 * What the SAD/SPD report from the per-packet path. Implementations must not block or allocate per call;
 * the appliance binds this to Micrometer counters.
 */
public interface SadListener {
    SadListener NONE = (reason, sa) -> {
    };

    /** A packet was dropped; {@code sa} is the SA involved, or null when none was found. */
    void dropped(DropReason reason, SecurityAssociation sa);
}
