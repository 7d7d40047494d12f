package net.poolsa.esp.sad;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The outbound SAs of one reqid. While a rekey is under way two generations live side by side; outbound
 * traffic uses the newest installed one ({@link #current()}, a volatile read) as RFC 4301 section 4.4.2
 * leaves to the implementation, and inbound keeps accepting both until the old one is deleted.
 *
 * <p><b>Bundles.</b> An ESP SA and a transport-mode AH SA under the same reqid form an SA bundle by
 * transport adjacency (RFC 4301 §4.5), the way a Linux policy with the templates {@code esp ... ah/transport}
 * finds one SA per protocol by reqid: {@link #current()} is then the newest ESP SA (applied first, to the
 * inner packet) and {@link #bundleOuter()} the newest AH SA, applied over the ESP packet, so the wire carries
 * {@code | IP | AH | ESP | ... |}. Without an ESP SA the newest SA of any protocol is current (plain AH).
 */
public final class OutboundSlot {
    private final int reqid;
    private volatile SecurityAssociation current;
    private volatile SecurityAssociation bundleOuter;
    private final List<SecurityAssociation> generations = new ArrayList<>(2); // guarded by the SAD writer lock

    OutboundSlot(int reqid) {
        this.reqid = reqid;
    }

    public int reqid() {
        return reqid;
    }

    /** The SA outbound traffic of this reqid uses now (the ESP SA of a bundle), or null (PROTECT without an SA: an acquire). */
    public SecurityAssociation current() {
        return current;
    }

    /** The transport-mode AH SA applied over {@link #current()}'s ESP packets when this reqid is an AH+ESP bundle, else null. */
    public SecurityAssociation bundleOuter() {
        return bundleOuter;
    }

    /**
     * A copy of the installed generations, oldest first. The caller holds the SAD's monitor
     * ({@code synchronized (sad)}) when it is not the SAD itself.
     */
    public List<SecurityAssociation> generations() {
        return List.copyOf(generations);
    }

    void add(SecurityAssociation sa) {
        generations.add(sa);
        choose();
    }

    boolean remove(SecurityAssociation sa) {
        boolean removed = generations.remove(sa);
        choose();
        return removed;
    }

    boolean isEmpty() {
        return generations.isEmpty();
    }

    private void choose() {
        SecurityAssociation newest = null;
        SecurityAssociation esp = null;
        SecurityAssociation ah = null;
        for (SecurityAssociation g : generations) {
            newest = g;
            if (g.protocol() == IpsecProtocol.ESP) {
                esp = g;
            } else if (g.mode() == SaMode.TRANSPORT) {
                ah = g;
            }
        }
        // Write the outer SA first: a reader that sees the new ESP SA then sees its AH too.
        bundleOuter = esp != null ? ah : null;
        current = esp != null ? esp : newest;
    }
}
