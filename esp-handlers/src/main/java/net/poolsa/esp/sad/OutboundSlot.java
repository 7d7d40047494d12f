package net.poolsa.esp.sad;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The outbound SAs of one reqid. While a rekey is under way two generations live side by side; outbound
 * traffic uses the newest installed one ({@link #current()}, a volatile read) as RFC 4301 section 4.4.2
 * leaves to the implementation, and inbound keeps accepting both until the old one is deleted.
 */
public final class OutboundSlot {
    private final int reqid;
    private volatile SecurityAssociation current;
    private final List<SecurityAssociation> generations = new ArrayList<>(2); // guarded by the SAD writer lock

    OutboundSlot(int reqid) {
        this.reqid = reqid;
    }

    public int reqid() {
        return reqid;
    }

    /** The SA outbound traffic of this reqid uses now, or null (PROTECT without an SA: an acquire). */
    public SecurityAssociation current() {
        return current;
    }

    List<SecurityAssociation> generations() {
        return Collections.unmodifiableList(generations);
    }

    void add(SecurityAssociation sa) {
        generations.add(sa);
        current = sa;
    }

    boolean remove(SecurityAssociation sa) {
        boolean removed = generations.remove(sa);
        if (current == sa) {
            current = generations.isEmpty() ? null : generations.get(generations.size() - 1);
        }
        return removed;
    }

    boolean isEmpty() {
        return generations.isEmpty();
    }
}
