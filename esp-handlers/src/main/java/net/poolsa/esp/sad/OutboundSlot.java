package net.poolsa.esp.sad;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.SaBundle;

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
 *
 * <p>Every ESP generation gets the newest AH SA linked into its transform context ({@link SaBundle#link})
 * <em>before</em> it is published as {@link #current()}, in the same writer section: no packet can pick a new
 * ESP SA of a bundle that is not linked yet.
 *
 * <p><b>Bundle required.</b> Once the slot held an ESP and a transport-mode AH SA at the same time (or the
 * control plane said so, {@link #requireBundle()}), the reqid's policy is AH+ESP, and RFC 4301 §4.5 forbids
 * sending half of it: while either SA is missing (AH deleted or hard-expired without successor, ESP rekeyed
 * before AH) {@link #current()} is null, so the data path drops as NO_SA and raises an acquire. ESP SAs keep
 * the last AH SA linked even after it died, so a packet that picked one just before is dropped (SA_EXPIRED)
 * rather than sent as bare ESP. The flag lasts until the slot holds no SA at all (the connection is gone).
 */
public final class OutboundSlot {
    private final int reqid;
    private volatile SecurityAssociation current;
    private volatile SecurityAssociation bundleOuter;
    private volatile boolean bundleRequired; // written under the SAD writer lock; read by tests and status
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
        if (generations.isEmpty()) {
            bundleRequired = false; // the connection is gone; a declared bundle is declared again
        }
        choose();
        return removed;
    }

    /** True when this reqid's policy is AH+ESP: no SA alone carries its traffic (see the class comment). */
    public boolean bundleRequired() {
        return bundleRequired;
    }

    /**
     * Declares this reqid an AH+ESP bundle before its SAs exist, for a control plane that may install the ESP SA
     * before the AH SA. The caller holds the SAD's monitor.
     */
    public void requireBundle() {
        bundleRequired = true;
        choose();
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
        if (esp != null && ah != null) {
            bundleRequired = true;
        }
        // Link before publishing: a reader that sees an ESP SA as current finds its AH SA in its context.
        // Without a successor the dead AH SA stays linked when a bundle is required (in-flight packets drop).
        if (ah != null || !bundleRequired) {
            for (SecurityAssociation g : generations) {
                if (g.protocol() == IpsecProtocol.ESP) {
                    SaBundle.link(g, ah);
                }
            }
        }
        bundleOuter = esp != null ? ah : null;
        if (bundleRequired) {
            current = esp != null && ah != null ? esp : null;
        } else {
            current = esp != null ? esp : newest;
        }
    }
}
